// qfence/kernels/packed_arrays.hpp: a layer's packed SIMD data on the
// compile-time path, in the model object itself: either packed when the
// model is constructed (constexpr arrays, so a constexpr model carries them in
// read-only data and packs at compile time), or pointers to the arrays that
// `qfence embed` wrote already packed (graph/options.hpp, prepacked). The
// runtime path owns the same layouts on the heap (packed_buffers.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/graph/options.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/hybrid_conv.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/packed_conv_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

template <class T, std::size_t N>
constexpr std::array<T, N> filled_row(std::int32_t value) noexcept {
  std::array<T, N> row{};
  for (auto& x : row) x = static_cast<T>(value);
  return row;
}

/// An int8 or legacy uint8 convolution's packed weights and constants (T:
/// the activations' type; P: its sizes). Prepacked: pointers into the
/// generated header; otherwise owned arrays.
template <class T, conv_packing P, bool Prepacked>
struct conv2d_quantized_arrays {
  alignas(64) std::array<std::int8_t, P.weight_bytes()> weights{};
  alignas(64) std::array<std::int32_t, P.epilogue_words()> epilogue{};
  alignas(64) std::array<T, static_cast<std::size_t>(P.padded_segment())> pad_row{};
  std::int32_t input_sum_factor = 0;  // uint8 only (kernels/packed_conv.hpp)

  constexpr conv2d_quantized_arrays(const T* w, const std::int32_t* bias, std::int32_t input_zero_point,
                                    std::int32_t weight_zero_point, const quantized_multiplier* multipliers,
                                    prepacked_t<std::int8_t>) noexcept
      : pad_row(filled_row<T, static_cast<std::size_t>(P.padded_segment())>(input_zero_point)),
        input_sum_factor(conv_input_sum_factor<T>(weight_zero_point)) {
    pack_conv_weights(P, w, weights.data());
    pack_conv_epilogue(P, w, bias, input_zero_point, multipliers, epilogue.data(), weight_zero_point);
  }
  constexpr const std::int8_t* weight_data() const noexcept { return weights.data(); }
  constexpr const std::int32_t* epilogue_data() const noexcept { return epilogue.data(); }
};

template <class T, conv_packing P>
struct conv2d_quantized_arrays<T, P, true> {
  const std::int8_t* weights;
  const std::int32_t* epilogue;
  alignas(64) std::array<T, static_cast<std::size_t>(P.padded_segment())> pad_row{};
  std::int32_t input_sum_factor = 0;

  constexpr conv2d_quantized_arrays(const T*, const std::int32_t*, std::int32_t input_zero_point,
                                    std::int32_t weight_zero_point, const quantized_multiplier*,
                                    prepacked_t<std::int8_t> given) noexcept
      : weights(given.weights),
        epilogue(given.epilogue),
        pad_row(filled_row<T, static_cast<std::size_t>(P.padded_segment())>(input_zero_point)),
        input_sum_factor(conv_input_sum_factor<T>(weight_zero_point)) {}
  constexpr const std::int8_t* weight_data() const noexcept { return weights; }
  constexpr const std::int32_t* epilogue_data() const noexcept { return epilogue; }
};

/// An int16x8 convolution's weights packed in pairs (P.step == 2), its bias
/// widened to int64 and its row of zero inputs; the multipliers are read as
/// the layer has them. The constructor takes what prepared_layer hands every
/// quantized layer (ops/op_support.hpp) and packs the weights, or takes the
/// array `qfence embed` wrote (Prepacked).
template <conv_packing P, bool Prepacked>
struct conv2d_int16x8_arrays {
  static_assert(P.step == 2, "int16x8 weights are packed in pairs");
  struct owned {
    alignas(64) std::array<std::int8_t, P.weight_bytes()> weights{};
  };
  struct given {
    const std::int8_t* weights = nullptr;
  };
  std::conditional_t<Prepacked, given, owned> packed{};
  alignas(64) std::array<std::int16_t, static_cast<std::size_t>(P.padded_segment())> pad_row{};
  std::array<std::int64_t, static_cast<std::size_t>(P.out_c)> bias{};
  bool has_bias = false;

  /// `b`: the layer's int64 or int32 bias, or null.
  template <class Bias>
  constexpr conv2d_int16x8_arrays(const std::int8_t* w, const Bias* b, std::int32_t, std::int32_t,
                                  const quantized_multiplier*, prepacked_t<std::int8_t> from_embed) noexcept
      : has_bias(b != nullptr) {
    if constexpr (Prepacked) packed.weights = from_embed.weights;
    else pack_conv_weights(P, w, packed.weights.data());
    if (b != nullptr)
      for (std::size_t c = 0; c < bias.size(); ++c) bias[c] = b[c];
  }
  constexpr const std::int64_t* bias_data() const noexcept { return has_bias ? bias.data() : nullptr; }
  constexpr const std::int8_t* weight_data() const noexcept {
    if constexpr (Prepacked) return packed.weights;
    else return packed.weights.data();
  }
};

/// A float convolution's (or fully connected layer's) packed weights and
/// bias, one array (kernels/packed_conv_float.hpp).
template <conv_float_packing P, bool Prepacked>
struct conv2d_float_arrays {
  alignas(64) std::array<float, P.count()> packed{};

  constexpr conv2d_float_arrays(const float* w, const float* bias, prepacked_t<float>) noexcept {
    pack_conv_float(P, w, bias, packed.data());
  }
  constexpr const float* weight_data() const noexcept { return packed.data(); }
  constexpr const float* bias_data() const noexcept { return packed_conv_float_bias(P, packed.data()); }
};

template <conv_float_packing P>
struct conv2d_float_arrays<P, true> {
  const float* packed;

  constexpr conv2d_float_arrays(const float*, const float*, prepacked_t<float> given) noexcept
      : packed(given.weights) {}
  constexpr const float* weight_data() const noexcept { return packed; }
  constexpr const float* bias_data() const noexcept { return packed_conv_float_bias(P, packed); }
};

/// An int8 or legacy uint8 depthwise convolution's packed weights and
/// constants (T as conv2d_quantized_arrays).
template <class T, depthwise_packing P, bool Prepacked>
struct depthwise_quantized_arrays {
  alignas(64) std::array<std::int16_t, P.weight_count()> weights{};
  alignas(64) std::array<std::int32_t, P.epilogue_words()> epilogue{};
  alignas(64) std::array<T, static_cast<std::size_t>(P.padded_channels())> pad_row{};

  constexpr depthwise_quantized_arrays(const T* w, const std::int32_t* bias, std::int32_t input_zero_point,
                                       std::int32_t weight_zero_point, const quantized_multiplier* multipliers,
                                       prepacked_t<std::int16_t>) noexcept
      : pad_row(filled_row<T, static_cast<std::size_t>(P.padded_channels())>(input_zero_point)) {
    pack_depthwise_weights(P, w, weights.data(), weight_zero_point);
    pack_depthwise_epilogue(P, w, bias, input_zero_point, multipliers, epilogue.data(), weight_zero_point);
  }
  constexpr const std::int16_t* weight_data() const noexcept { return weights.data(); }
  constexpr const std::int32_t* epilogue_data() const noexcept { return epilogue.data(); }
};

template <class T, depthwise_packing P>
struct depthwise_quantized_arrays<T, P, true> {
  const std::int16_t* weights;
  const std::int32_t* epilogue;
  alignas(64) std::array<T, static_cast<std::size_t>(P.padded_channels())> pad_row{};

  constexpr depthwise_quantized_arrays(const T*, const std::int32_t*, std::int32_t input_zero_point, std::int32_t,
                                       const quantized_multiplier*, prepacked_t<std::int16_t> given) noexcept
      : weights(given.weights),
        epilogue(given.epilogue),
        pad_row(filled_row<T, static_cast<std::size_t>(P.padded_channels())>(input_zero_point)) {}
  constexpr const std::int16_t* weight_data() const noexcept { return weights; }
  constexpr const std::int32_t* epilogue_data() const noexcept { return epilogue; }
};

/// A hybrid layer's packed weights and per-channel constants
/// (kernels/hybrid_conv.hpp). Spec describes the layer with static
/// constexpr members: `packing` (a conv_packing, or a depthwise_packing for
/// DEPTHWISE_CONV_2D), `scales` (the weights' scales, one per channel or
/// one), `act` (the fused activation), `fully_connected` and
/// `asymmetric_fc` (FULLY_CONNECTED's asymmetric_quantize_inputs).
/// Prepacked: the weights and their sums as `qfence embed` wrote them
/// (prepacked_t: weights, and the sums as its epilogue); otherwise packed
/// when the model is constructed. The scales and the bias, a few floats per
/// channel, are copied either way.
template <class Spec, bool Prepacked>
struct hybrid_arrays {
  using packing_type = std::remove_const_t<decltype(Spec::packing)>;
  using weight_type = hybrid_weight_t<packing_type>;
  static constexpr packing_type packing = Spec::packing;
  static constexpr int channels = hybrid_channels(packing);
  static constexpr int pad_bytes = hybrid_pad_bytes(packing);

  struct owned {
    alignas(64) std::array<weight_type, hybrid_weight_count(packing)> weights{};
    alignas(64) std::array<std::int32_t, static_cast<std::size_t>(channels)> sums{};
  };
  struct given {
    const weight_type* weights = nullptr;
    const std::int32_t* sums = nullptr;
  };
  std::conditional_t<Prepacked, given, owned> packed{};
  alignas(64) std::array<float, static_cast<std::size_t>(channels)> weight_scales{};
  alignas(64) std::array<float, static_cast<std::size_t>(channels)> bias{};
  hybrid_layer_constants described{};  // without pointers (this object is copied): constants() sets them
  bool adds_bias = false;

  constexpr hybrid_arrays(const std::int8_t* w, const float* b, prepacked_t<weight_type> from_embed) noexcept {
    if constexpr (Prepacked) {
      packed = {from_embed.weights, from_embed.epilogue};
    } else {
      pack_hybrid_weights(packing, w, packed.weights.data());
      hybrid_weight_sums(packing, w, packed.sums.data());
    }
    described = hybrid_constants(packing, Spec::fully_connected, Spec::scales.data(),
                                 static_cast<int>(Spec::scales.size()), b, Spec::act, Spec::asymmetric_fc,
                                 {nullptr, weight_scales.data(), bias.data()});
    adds_bias = described.bias != nullptr;
    described.weight_scales = nullptr;
    described.bias = nullptr;
  }

  const weight_type* weight_data() const noexcept {
    if constexpr (Prepacked) return packed.weights;
    else return packed.weights.data();
  }
  /// The layer as kernels::hybrid_layer takes it, pointing into this object.
  hybrid_layer_constants constants() const noexcept {
    hybrid_layer_constants c = described;
    if constexpr (Prepacked) c.weight_sums = packed.sums;
    else c.weight_sums = packed.sums.data();
    c.weight_scales = weight_scales.data();
    c.bias = adds_bias ? bias.data() : nullptr;
    return c;
  }
};

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
