// qfence/kernels/hybrid_conv.hpp: TFLite's hybrid CONV_2D,
// FULLY_CONNECTED and DEPTHWISE_CONV_2D (the dynamic-range scheme: float
// activations, int8 weights; kernels/reference/hybrid.hpp) on the int8
// kernels.
//
// A hybrid layer is an int8 layer whose input is quantized at every invoke:
// per batch (per row for FULLY_CONNECTED) the input gets a scale and a zero
// point of its own, then the sums w * (q - zero point) are the int8
// kernel's, exactly (integers), and only the ending differs: the sums are
// scaled back to float with the input's and the weights' scales, the bias
// added and the activation applied, in the order of each TFLite kernel
// (kernels/arguments.hpp, hybrid_ending). So the layer packs its weights as
// the int8 kernel does (kernels/packed_conv.hpp) and keeps each channel's
// weight sum; per invoke and batch it quantizes the input (the reference's
// functions), sets the sums' start (-(zero point + 128) * sum(w) for the
// convolution kernel, which reads inputs plus 128; -zero point * sum(w) for
// the depthwise one) and the pad row (the zero point), and runs the kernel
// (dispatch.hpp, hybrid_layer). The outputs are the reference's bit for
// bit on every target (tests/unit/hybrid_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/reference/hybrid.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// Which TFLite kernel a hybrid layer is, i.e. how its input is quantized
/// and how its sums end (kernels/reference/hybrid.hpp):
enum class hybrid_form {
  conv_per_channel,  ///< CONV_2D, channel scales that differ: asymmetric input, acc * w * input, + bias if any
  conv_per_tensor,   ///< CONV_2D, one scale: symmetric input, acc * (input * w) + (bias or 0)
  fully_connected,   ///< (bias or 0) + acc * (input * w), then TFLite's ApplyActivationToVector
  depthwise,         ///< DEPTHWISE_CONV_2D: asymmetric input, acc * (w * input), + bias if any
};

/// The form of a CONV_2D or (`fully_connected`) FULLY_CONNECTED layer whose
/// `scale_count` weight scales are `scales`.
constexpr hybrid_form conv_hybrid_form(bool fully_connected, const float* scales, int scale_count) noexcept {
  if (fully_connected) return hybrid_form::fully_connected;
  for (int c = 1; c < scale_count; ++c)
    if (scales[c] != scales[0]) return hybrid_form::conv_per_channel;
  return hybrid_form::conv_per_tensor;
}

/// The per-channel constants of a packed hybrid layer, `channels` (padded
/// to channel_tile) long, and how it ends; pointers (the owner keeps the
/// arrays: kernels/packed_buffers.hpp on the runtime path).
struct hybrid_layer_constants {
  hybrid_form form;
  bool asymmetric_inputs;
  int channels;                     // padded
  int pad_bytes;                    // the pad row's
  const std::int32_t* weight_sums;  // sum of each channel's weights
  const float* weight_scales;       // each channel's (one scale: repeated)
  const float* bias;                // zeros where the layer has none and adds one anyway; null: adds none
  float_range act;
  bool clamp_fully_connected;
};

/// The arrays a hybrid layer owns besides its packed weights, padded
/// channels long each.
struct hybrid_constant_arrays {
  std::int32_t* weight_sums;
  float* weight_scales;
  float* bias;
};

/// A hybrid layer's sizes by its packing: a conv_packing for CONV_2D and
/// FULLY_CONNECTED (the int8 convolution kernel's), a depthwise_packing for
/// DEPTHWISE_CONV_2D (the depthwise kernel's, int16 weights).
constexpr int hybrid_channels(const conv_packing& p) noexcept { return p.padded_out_c(); }
constexpr int hybrid_channels(const depthwise_packing& p) noexcept { return p.padded_channels(); }
constexpr int hybrid_pad_bytes(const conv_packing& p) noexcept { return p.padded_segment(); }
constexpr int hybrid_pad_bytes(const depthwise_packing& p) noexcept { return p.padded_channels(); }
constexpr std::size_t hybrid_weight_count(const conv_packing& p) noexcept { return p.weight_bytes(); }
constexpr std::size_t hybrid_weight_count(const depthwise_packing& p) noexcept { return p.weight_count(); }
template <class Packing>
using hybrid_weight_t = std::conditional_t<std::is_same_v<Packing, depthwise_packing>, std::int16_t, std::int8_t>;

/// Packs a hybrid layer's weights (OHWI, or [units][depth], or depthwise
/// [1, H, W, C]) as its kernel reads them.
constexpr void pack_hybrid_weights(const conv_packing& p, const std::int8_t* w, std::int8_t* out) noexcept {
  pack_conv_weights(p, w, out);
}
constexpr void pack_hybrid_weights(const depthwise_packing& p, const std::int8_t* w, std::int16_t* out) noexcept {
  pack_depthwise_weights(p, w, out);
}

/// Each channel's weight sum into `sums` (padded channels long; 0 past the
/// last channel), modular as the kernels' sums.
constexpr void hybrid_weight_sums(const conv_packing& p, const std::int8_t* w, std::int32_t* sums) noexcept {
  const auto per_channel = static_cast<std::size_t>(p.segments) * static_cast<std::size_t>(p.segment_len);
  for (int c = 0; c < p.padded_out_c(); ++c) {
    std::uint32_t sum = 0;
    if (c < p.out_c)
      for (std::size_t k = 0; k < per_channel; ++k)
        sum += static_cast<std::uint32_t>(w[static_cast<std::size_t>(c) * per_channel + k]);
    sums[c] = static_cast<std::int32_t>(sum);
  }
}
constexpr void hybrid_weight_sums(const depthwise_packing& p, const std::int8_t* w, std::int32_t* sums) noexcept {
  const int taps = p.filter_h * p.filter_w;
  for (int c = 0; c < p.padded_channels(); ++c) {
    std::uint32_t sum = 0;
    if (c < p.channels)
      for (int k = 0; k < taps; ++k) sum += static_cast<std::uint32_t>(w[k * p.channels + c]);
    sums[c] = static_cast<std::int32_t>(sum);
  }
}

/// The form of a layer packed as `p`: DEPTHWISE_CONV_2D for a
/// depthwise_packing, else CONV_2D or (`fully_connected`) FULLY_CONNECTED
/// with `scale_count` weight scales `scales`.
constexpr hybrid_form hybrid_form_of(const depthwise_packing&, bool, const float*, int) noexcept {
  return hybrid_form::depthwise;
}
constexpr hybrid_form hybrid_form_of(const conv_packing&, bool fully_connected, const float* scales,
                                     int scale_count) noexcept {
  return conv_hybrid_form(fully_connected, scales, scale_count);
}

/// Describes a layer packed as `p` and fills its scales and bias into
/// `out` (weight sums: hybrid_weight_sums, or prepacked): `scales` one per
/// channel or one (`scale_count`), `bias` float or null, `act` the fused
/// activation; `fully_connected` and `asymmetric_fc` (its
/// asymmetric_quantize_inputs) for a conv_packing.
template <class Packing>
constexpr hybrid_layer_constants hybrid_constants(const Packing& p, bool fully_connected, const float* scales,
                                                  int scale_count, const float* bias, activation act,
                                                  bool asymmetric_fc, const hybrid_constant_arrays& out) noexcept {
  const hybrid_form form = hybrid_form_of(p, fully_connected, scales, scale_count);
  const int channels = [&] {
    if constexpr (std::is_same_v<Packing, depthwise_packing>) return p.channels;
    else return p.out_c;
  }();
  const int padded = hybrid_channels(p);
  for (int c = 0; c < padded; ++c) {
    const auto i = static_cast<std::size_t>(c);
    out.weight_scales[i] = c < channels ? scales[scale_count > 1 ? c : 0] : 0.0f;
    out.bias[i] = c < channels && bias != nullptr ? bias[c] : 0.0f;
  }
  // Whether the layer adds a bias that is absent: TFLite's per-channel
  // CONV_2D and DEPTHWISE_CONV_2D add none (x += bias only with one); the
  // others add 0.0f (which turns -0 into +0).
  const bool adds = bias != nullptr || form == hybrid_form::conv_per_tensor || form == hybrid_form::fully_connected;
  float_range range = float_activation_range(act);
  bool clamp_fc = false;
  if (form == hybrid_form::fully_connected) {
    // ApplyActivationToVector: std::max(0, x), std::max(0, std::min(x, 6)),
    // std::max(-1, std::min(x, 1)); no clamp at all otherwise.
    constexpr float inf = std::numeric_limits<float>::infinity();
    clamp_fc = act == activation::relu || act == activation::relu6 || act == activation::relu_n1_to_1;
    range = {act == activation::relu_n1_to_1 ? -1.0f : clamp_fc ? 0.0f : -inf,
             act == activation::relu6 ? 6.0f : act == activation::relu_n1_to_1 ? 1.0f : inf};
  }
  const bool asymmetric = form == hybrid_form::conv_per_channel || form == hybrid_form::depthwise ||
                          (form == hybrid_form::fully_connected && asymmetric_fc);
  return {form,     asymmetric,        padded, hybrid_pad_bytes(p), out.weight_sums, out.weight_scales,
          adds ? out.bias : nullptr, range, clamp_fc};
}

/// What a hybrid layer computes per invoke: the quantized input, each
/// channel's start and scale, and the pad row.
struct hybrid_scratch_arrays {
  std::int8_t* quantized_input;
  std::int32_t* start;
  float* scale;
  std::int8_t* pad_row;
};

/// Bytes of scratch for `input_elements` inputs and a layer of `channels`
/// (padded) channels and `pad_bytes`: 64-byte aligned pieces.
constexpr std::size_t hybrid_scratch_size(std::int64_t input_elements, int channels, int pad_bytes) noexcept {
  const auto up = [](std::size_t n) { return (n + 63) / 64 * 64; };
  const auto c = static_cast<std::size_t>(channels);
  return up(static_cast<std::size_t>(input_elements)) + up(c * sizeof(std::int32_t)) + up(c * sizeof(float)) +
         up(static_cast<std::size_t>(pad_bytes));
}

/// The scratch laid out in `bytes` (hybrid_scratch_size of them, 64-byte
/// aligned), its arrays begun as objects (core/typed_storage.hpp).
inline hybrid_scratch_arrays hybrid_scratch_at(void* bytes, std::int64_t input_elements, int channels,
                                               int pad_bytes) noexcept {
  const auto up = [](std::size_t n) { return (n + 63) / 64 * 64; };
  auto* at = static_cast<std::byte*>(bytes);
  const auto c = static_cast<std::size_t>(channels), n = static_cast<std::size_t>(input_elements);
  hybrid_scratch_arrays s{};
  s.quantized_input = qfence::detail::begin_lifetime<std::int8_t>(at, n);
  at += up(n);
  s.start = qfence::detail::begin_lifetime<std::int32_t>(at, c);
  at += up(c * sizeof(std::int32_t));
  s.scale = qfence::detail::begin_lifetime<float>(at, c);
  at += up(c * sizeof(float));
  s.pad_row = qfence::detail::begin_lifetime<std::int8_t>(at, static_cast<std::size_t>(pad_bytes));
  return s;
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
