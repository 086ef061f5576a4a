// qfence/kernels/packed_buffers.hpp: packed weights and per-channel constants
// that own their memory, for the runtime path (which packs each layer once,
// at prepare). The compile-time path keeps the same data in constexpr arrays
// instead. Layouts: kernels/packed_conv.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include <hwy/aligned_allocator.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/hybrid_conv.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/packed_conv_float.hpp"
#include "qfence/kernels/requantize_form.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

namespace detail {
template <class T>
hwy::AlignedFreeUniquePtr<T[]> aligned_array(std::size_t n) {
  auto p = hwy::AllocateAligned<T>(n > 0 ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
/// A row of `n` bytes of the input zero point (what padding taps read).
template <class T>
hwy::AlignedFreeUniquePtr<T[]> pad_row(std::size_t n, std::int32_t zero_point) {
  auto row = aligned_array<T>(n);
  for (std::size_t i = 0; i < n; ++i) row[i] = static_cast<T>(zero_point);
  return row;
}
}  // namespace detail

/// One int8 or legacy uint8 convolution (or int8 fully connected layer),
/// packed: T is the activations' type (and the weights', which for uint8
/// carry `weight_zero_point`).
template <class T>
struct packed_conv2d_quantized {
  conv_packing packing;
  hwy::AlignedFreeUniquePtr<std::int8_t[]> weights;
  hwy::AlignedFreeUniquePtr<std::int32_t[]> epilogue;
  hwy::AlignedFreeUniquePtr<T[]> pad_row;
  std::int32_t output_zero_point;
  int_range act;
  std::int32_t input_sum_factor;
  /// The layer's epilogue among runtime_forms (kernels/requantize_form.hpp).
  int form_index;

  /// `weights` OHWI; `bias` may be null; one multiplier per output channel.
  packed_conv2d_quantized(conv_packing p, const T* w, const std::int32_t* bias, std::int32_t input_zero_point,
                          std::int32_t weight_zero_point, const std::vector<quantized_multiplier>& multipliers,
                          std::int32_t out_zero_point, int_range range)
      : packing(p),
        weights(detail::aligned_array<std::int8_t>(p.weight_bytes())),
        epilogue(detail::aligned_array<std::int32_t>(p.epilogue_words())),
        pad_row(detail::pad_row<T>(static_cast<std::size_t>(p.padded_segment()), input_zero_point)),
        output_zero_point(out_zero_point),
        act(range),
        input_sum_factor(conv_input_sum_factor<T>(weight_zero_point)),
        form_index(runtime_form_index(requantize_form_of<T>(multipliers.data(), multipliers.size(), range))) {
    pack_conv_weights(p, w, weights.get());
    pack_conv_epilogue(p, w, bias, input_zero_point, multipliers.data(), epilogue.get(), weight_zero_point);
  }

  conv2d_quantized_args<T> args(const T* input, T* output) const noexcept {
    return {input, weights.get(), epilogue.get(), pad_row.get(), output_zero_point, act, output, input_sum_factor};
  }
};
using packed_conv2d_int8 = packed_conv2d_quantized<std::int8_t>;

/// One int16x8 convolution's weights packed in pairs (`p.step` 2), its bias
/// widened to int64 and its row of zero inputs
/// (kernels/conv2d_int16x8-inl.hpp).
struct packed_conv2d_int16x8 {
  conv_packing packing;
  hwy::AlignedFreeUniquePtr<std::int8_t[]> weights;
  hwy::AlignedFreeUniquePtr<std::int16_t[]> pad_row;
  std::vector<std::int64_t> bias;  // empty without one

  /// `weights` OHWI; `b` (int64 or int32, out_c of them) may be null.
  template <class Bias>
  packed_conv2d_int16x8(conv_packing p, const std::int8_t* w, const Bias* b)
      : packing(p),
        weights(detail::aligned_array<std::int8_t>(p.weight_bytes())),
        pad_row(detail::pad_row<std::int16_t>(static_cast<std::size_t>(p.padded_segment()), 0)) {
    pack_conv_weights(p, w, weights.get());
    if (b != nullptr) bias.assign(b, b + p.out_c);
  }

  /// The kernel's arguments for `layer` (its bias replaced by the widened one).
  template <class Bias>
  conv2d_int16x8_packed_args args(const conv2d_int16x8_args<Bias>& layer) const noexcept {
    return {{layer.input, layer.filter, bias.empty() ? nullptr : bias.data(), layer.multipliers, layer.output_offset,
             layer.act, layer.output},
            weights.get(),
            pad_row.get()};
  }
};

/// One float convolution (or fully connected layer), packed.
struct packed_conv2d_float {
  conv_float_packing packing;
  hwy::AlignedFreeUniquePtr<float[]> data;  // weights, then bias
  float_range act;

  /// `weights` OHWI (or [units][depth]); `bias` may be null.
  packed_conv2d_float(conv_float_packing p, const float* w, const float* b, float_range range)
      : packing(p), data(detail::aligned_array<float>(p.count())), act(range) {
    pack_conv_float(p, w, b, data.get());
  }

  conv2d_float_args args(const float* input, float* output) const noexcept {
    return {input, data.get(), packed_conv_float_bias(packing, data.get()), act, output};
  }
};

/// One int8 or legacy uint8 depthwise convolution (any depth multiplier),
/// packed (T as packed_conv2d_quantized).
template <class T>
struct packed_depthwise_quantized {
  depthwise_packing packing;
  hwy::AlignedFreeUniquePtr<std::int16_t[]> weights;
  hwy::AlignedFreeUniquePtr<std::int32_t[]> epilogue;
  hwy::AlignedFreeUniquePtr<T[]> pad_row;
  std::int32_t output_zero_point;
  int_range act;
  /// The layer's epilogue among runtime_forms (kernels/requantize_form.hpp).
  int form_index;

  packed_depthwise_quantized(depthwise_packing p, const T* w, const std::int32_t* bias, std::int32_t input_zero_point,
                             std::int32_t weight_zero_point, const std::vector<quantized_multiplier>& multipliers,
                             std::int32_t out_zero_point, int_range range)
      : packing(p),
        weights(detail::aligned_array<std::int16_t>(p.weight_count())),
        epilogue(detail::aligned_array<std::int32_t>(p.epilogue_words())),
        pad_row(detail::pad_row<T>(static_cast<std::size_t>(p.padded_channels()), input_zero_point)),
        output_zero_point(out_zero_point),
        act(range),
        form_index(runtime_form_index(requantize_form_of<T>(multipliers.data(), multipliers.size(), range))) {
    pack_depthwise_weights(p, w, weights.get(), weight_zero_point);
    pack_depthwise_epilogue(p, w, bias, input_zero_point, multipliers.data(), epilogue.get(), weight_zero_point);
  }

  depthwise_quantized_args<T> args(const T* input, T* output) const noexcept {
    return {input, weights.get(), epilogue.get(), pad_row.get(), output_zero_point, act, output};
  }
};
using packed_depthwise_int8 = packed_depthwise_quantized<std::int8_t>;

/// One hybrid layer packed for the int8 kernels (kernels/hybrid_conv.hpp):
/// Packing is a conv_packing (CONV_2D with groups of 1, FULLY_CONNECTED) or
/// a depthwise_packing (DEPTHWISE_CONV_2D). With the scratch its invokes use.
template <class Packing>
struct packed_hybrid_layer {
  Packing packing;
  hwy::AlignedFreeUniquePtr<hybrid_weight_t<Packing>[]> weights;
  hwy::AlignedFreeUniquePtr<std::int32_t[]> weight_sums;
  hwy::AlignedFreeUniquePtr<float[]> weight_scales, bias;
  hwy::AlignedFreeUniquePtr<std::byte[]> scratch_bytes;
  hybrid_layer_constants constants{};
  hybrid_scratch_arrays scratch{};

  /// Weights OHWI (or [units][depth], or depthwise [1, H, W, C]), `scales`
  /// one per output channel or one, `b` float or null; `fully_connected`
  /// and `asymmetric_fc` (its asymmetric_quantize_inputs) for a
  /// conv_packing; `input_elements` the input's.
  packed_hybrid_layer(const Packing& p, bool fully_connected, const std::int8_t* w, const float* scales,
                      int scale_count, const float* b, activation act, bool asymmetric_fc, std::int64_t input_elements)
      : packing(p),
        weights(detail::aligned_array<hybrid_weight_t<Packing>>(hybrid_weight_count(p))),
        weight_sums(detail::aligned_array<std::int32_t>(static_cast<std::size_t>(hybrid_channels(p)))),
        weight_scales(detail::aligned_array<float>(static_cast<std::size_t>(hybrid_channels(p)))),
        bias(detail::aligned_array<float>(static_cast<std::size_t>(hybrid_channels(p)))),
        scratch_bytes(detail::aligned_array<std::byte>(
            hybrid_scratch_size(input_elements, hybrid_channels(p), hybrid_pad_bytes(p)))) {
    pack_hybrid_weights(p, w, weights.get());
    hybrid_weight_sums(p, w, weight_sums.get());
    constants = hybrid_constants(p, fully_connected, scales, scale_count, b, act, asymmetric_fc,
                                 {weight_sums.get(), weight_scales.get(), bias.get()});
    scratch = hybrid_scratch_at(scratch_bytes.get(), input_elements, hybrid_channels(p), hybrid_pad_bytes(p));
  }
};

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
