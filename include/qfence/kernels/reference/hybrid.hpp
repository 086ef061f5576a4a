// qfence/kernels/reference/hybrid.hpp: TFLite's hybrid kernels, the
// dynamic-range scheme's: float activations, int8 weights (symmetric, per
// channel or per tensor), float bias and output. Each invoke quantizes the
// float input to int8 per batch, multiplies in integers, and scales the
// int32 sums back to float with the input's and the weights' scales.
//
// The arithmetic is TFLite's reference, operation for operation, so the
// outputs are TFLite's bit for bit (tests/unit/hybrid_test.cpp checks them
// against outputs of TFLite's own code):
// - input quantization: tensor_utils::SymmetricQuantizeFloats (scale
//   max|x| / 127) or AsymmetricQuantizeFloats (min/max with 0 included,
//   scale in double, zero point nudged into int8);
// - FULLY_CONNECTED (fully_connected.cc, EvalHybridDense): the output starts
//   as the bias, then += (sum w * (q - zero point)) * scale, scale =
//   input scale x weight scale (per channel: input scale, then x the
//   channel's); then the activation as ApplyActivationToVector applies it.
//   An input that is all zeros skips the product, as TFLite's does.
// - DEPTHWISE_CONV_2D (depthwise_conv.cc EvalHybridPerChannel): asymmetric
//   inputs; out = acc x (channel scale x input scale), + bias, clamped
//   (the product of the scales first: another association than CONV_2D's).
// - CONV_2D (conv.cc): per-channel weights whose scales differ take
//   EvalHybridPerChannel (asymmetric inputs; out = acc x channel scale x
//   input scale, + bias, clamped); per-tensor weights take EvalHybrid
//   (symmetric inputs; out = acc x (input scale x weight scale) + bias,
//   clamped).
//
// Non-finite inputs give non-finite outputs, never undefined behaviour:
// the quantizer saturates instead of converting NaN or infinity to int.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/reference/conv2d.hpp"
#include "qfence/kernels/reference/depthwise_conv2d.hpp"
#include "qfence/kernels/reference/fully_connected.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

namespace hybrid_detail {

/// The least and the greatest of x[0..n), as std::minmax_element picks them
/// (first least, last greatest; NaN never replaces the first value).
inline std::pair<float, float> min_max(std::int64_t n, const float* x) noexcept {
  float lo = n > 0 ? x[0] : 0.0f, hi = lo;
  for (std::int64_t i = 1; i < n; ++i) {
    if (x[i] < lo) lo = x[i];
    if (!(x[i] < hi)) hi = x[i];
  }
  return {lo, hi};
}

/// static_cast<int32_t>(r) for a rounded float r, saturated to [lo, hi]
/// (NaN: 0), where TFLite converts first and clamps after.
inline std::int32_t to_int_saturated(float r, std::int32_t lo, std::int32_t hi) noexcept {
  if (!(r == r)) return 0;
  if (r <= static_cast<float>(lo)) return lo;
  if (r >= static_cast<float>(hi)) return hi;
  return static_cast<std::int32_t>(r);
}

}  // namespace hybrid_detail

/// One batch's input quantized: int8 values and the real value of one step
/// (`scale`) with the zero point `zero_point` (0 for symmetric).
struct hybrid_input_params {
  float scale;
  std::int32_t zero_point;
};

/// How one batch is quantized: its (scale, zero point), the factor each
/// value is multiplied by, the int8 range, and whether every value is 0
/// (an input of zeros: TFLite writes zeros, scale 1).
struct hybrid_quantization {
  hybrid_input_params params;
  float inverse;
  std::int32_t lo, hi;
  bool zeros;
};

/// The quantization of a batch whose least and greatest values are lo and
/// hi: TFLite's SymmetricQuantizeFloats (scale max|x| / 127, values in
/// [-127, 127]) or AsymmetricQuantizeFloats (the range [min(0, lo),
/// max(0, hi)] onto [-128, 127], scale and zero point computed in double,
/// the zero point nudged into int8).
inline hybrid_quantization hybrid_quantization_of(bool asymmetric, float lo, float hi) noexcept {
  if (!asymmetric) {
    const float range = std::max(std::abs(lo), std::abs(hi));
    if (range == 0) return {{1.0f, 0}, 0.0f, -127, 127, true};
    return {{range / 127.0f, 0}, 127.0f / range, -127, 127, false};
  }
  const double rmin = static_cast<double>(std::min(0.0f, lo)), rmax = static_cast<double>(std::max(0.0f, hi));
  if (rmin == rmax) return {{1.0f, 0}, 0.0f, -128, 127, true};
  const double scale = (rmax - rmin) / 255.0;
  const double from_min = -128.0 - rmin / scale, from_max = 127.0 - rmax / scale;
  const double error_min = 128.0 + std::abs(rmin / scale), error_max = 127.0 + std::abs(rmax / scale);
  const double zp = error_min < error_max ? from_min : from_max;
  // An infinite lo or hi makes zp NaN (inf / inf). TFLite converts it with a
  // plain static_cast, undefined in C++; on x86 the conversion's 0x80000000
  // keeps 0 in its low byte, so a NaN zero point is 0 here, by definition.
  const std::int32_t zero_point = std::isnan(zp)   ? 0
                                  : zp <= -128.0   ? -128
                                  : zp >= 127.0    ? 127
                                                   : static_cast<std::int8_t>(std::round(zp));
  const auto s = static_cast<float>(scale);
  return {{s, zero_point}, 1.0f / s, -128, 127, false};
}

/// One value as hybrid_quantization `h` quantizes it: round(x * inverse)
/// (symmetric) or round(zero point + x * inverse), saturated (NaN: 0).
inline std::int8_t hybrid_quantize_value(const hybrid_quantization& h, bool asymmetric, float x) noexcept {
  const float v = asymmetric ? static_cast<float>(h.params.zero_point) + x * h.inverse : x * h.inverse;
  return static_cast<std::int8_t>(hybrid_detail::to_int_saturated(std::round(v), h.lo, h.hi));
}

/// TFLite's SymmetricQuantizeFloats (asymmetric = false) or
/// AsymmetricQuantizeFloats of n values.
inline hybrid_input_params quantize_hybrid_input(std::int64_t n, const float* x, bool asymmetric,
                                                 std::int8_t* q) noexcept {
  const auto [lo, hi] = hybrid_detail::min_max(n, x);
  const hybrid_quantization h = hybrid_quantization_of(asymmetric, lo, hi);
  if (h.zeros) {
    std::memset(q, 0, static_cast<std::size_t>(n));
  } else {
    for (std::int64_t i = 0; i < n; ++i) q[i] = hybrid_quantize_value(h, asymmetric, x[i]);
  }
  return h.params;
}
inline hybrid_input_params quantize_symmetric(std::int64_t n, const float* x, std::int8_t* q) noexcept {
  return quantize_hybrid_input(n, x, false, q);
}
inline hybrid_input_params quantize_asymmetric(std::int64_t n, const float* x, std::int8_t* q) noexcept {
  return quantize_hybrid_input(n, x, true, q);
}

/// The weights of a hybrid layer: int8, with one scale per output channel
/// (`per_channel`) or one for all.
struct hybrid_weights {
  const std::int8_t* data;
  const float* scales;
  bool per_channel;
};

/// What a hybrid kernel needs besides its operands, per invoke: the
/// quantized input (as many int8 as the input has elements) and one
/// (scale, zero point) per batch.
struct hybrid_scratch {
  std::int8_t* quantized_input;
  hybrid_input_params* batch_params;
};

/// Bytes of scratch a hybrid kernel needs for an input of
/// `input_elements` in `batches` batches: the quantized input, then one
/// hybrid_input_params per batch.
constexpr std::size_t hybrid_scratch_bytes(std::int64_t input_elements, int batches) noexcept {
  constexpr std::size_t a = alignof(hybrid_input_params);
  return (static_cast<std::size_t>(input_elements) + a - 1) / a * a +
         static_cast<std::size_t>(batches) * sizeof(hybrid_input_params);
}

/// The scratch laid out in `bytes` (hybrid_scratch_bytes of them, aligned
/// for a float), its arrays begun as objects (core/typed_storage.hpp).
inline hybrid_scratch hybrid_scratch_at(void* bytes, std::int64_t input_elements, int batches) noexcept {
  constexpr std::size_t a = alignof(hybrid_input_params);
  auto* base = static_cast<std::byte*>(bytes);
  const auto n = static_cast<std::size_t>(input_elements);
  return {qfence::detail::begin_lifetime<std::int8_t>(base, n),
          qfence::detail::begin_lifetime<hybrid_input_params>(base + (n + a - 1) / a * a,
                                                              static_cast<std::size_t>(batches))};
}

/// TFLite's ApplyActivationToVector (std::max / std::min, argument order
/// kept: a NaN becomes 0 under RELU, as there).
inline float hybrid_fc_activation(activation a, float x) noexcept {
  switch (a) {
    case activation::relu: return std::max(0.0f, x);
    case activation::relu_n1_to_1: return std::max(-1.0f, std::min(x, 1.0f));
    case activation::relu6: return std::max(0.0f, std::min(x, 6.0f));
    default: return x;
  }
}

/// Hybrid FULLY_CONNECTED (TFLite EvalHybridDense with the portable tensor
/// utils). `asymmetric_inputs` is the op's asymmetric_quantize_inputs.
template <class Geometry>
inline void fully_connected_hybrid(const Geometry& geometry, const float* input, hybrid_weights w, const float* bias,
                                   activation act, bool asymmetric_inputs, hybrid_scratch s, float* output) noexcept {
  const fc_geometry& g = kernels::value_of(geometry);
  const std::int64_t depth = g.accum_depth, units = g.output_depth;
  for (int b = 0; b < g.batches; ++b)
    for (std::int64_t u = 0; u < units; ++u) output[b * units + u] = bias != nullptr ? bias[u] : 0.0f;
  bool all_zero = true;
  for (std::int64_t i = 0; i < g.batches * depth && all_zero; ++i) all_zero = input[i] == 0.0f;
  if (!all_zero) {
    for (int b = 0; b < g.batches; ++b)
      s.batch_params[b] = asymmetric_inputs ? quantize_asymmetric(depth, input + b * depth, s.quantized_input + b * depth)
                                            : quantize_symmetric(depth, input + b * depth, s.quantized_input + b * depth);
    for (int b = 0; b < g.batches; ++b) {
      const std::int8_t* q = s.quantized_input + b * depth;
      const std::int32_t zp = s.batch_params[b].zero_point;
      // Per tensor, TFLite folds the weight scale into the batch's first.
      const float batch_scale = w.per_channel ? s.batch_params[b].scale : s.batch_params[b].scale * w.scales[0];
      for (std::int64_t u = 0; u < units; ++u) {
        const std::int8_t* row = w.data + u * depth;
        std::int32_t dot = 0;
        for (std::int64_t k = 0; k < depth; ++k) dot += static_cast<std::int32_t>(row[k]) * (static_cast<std::int32_t>(q[k]) - zp);
        float scale = batch_scale;
        if (w.per_channel) scale *= w.scales[u];
        output[b * units + u] += static_cast<float>(dot) * scale;
      }
    }
  }
  for (std::int64_t i = 0; i < g.batches * units; ++i) output[i] = hybrid_fc_activation(act, output[i]);
}

namespace hybrid_detail {

/// The windowed layers' batch loop: each batch's input quantized
/// (asymmetric or symmetric) into the scratch, then
/// `layer(one_batch_geometry, quantized input, its params, batch output)`.
template <class Layer>
inline void per_batch(const window_geometry& g, const float* input, bool asymmetric, hybrid_scratch s, float* output,
                      Layer&& layer) noexcept {
  const std::int64_t in_size = std::int64_t{g.in_h} * g.in_w * g.in_c;
  const std::int64_t out_size = std::int64_t{g.out_h} * g.out_w * g.out_c;
  window_geometry one = g;
  one.batches = 1;
  for (int b = 0; b < g.batches; ++b) {
    std::int8_t* q = s.quantized_input + b * in_size;
    const hybrid_input_params p = asymmetric ? quantize_asymmetric(in_size, input + b * in_size, q)
                                             : quantize_symmetric(in_size, input + b * in_size, q);
    layer(one, q, p, output + b * out_size);
  }
}

}  // namespace hybrid_detail

/// Hybrid CONV_2D (TFLite conv.cc EvalHybridPerChannel with
/// reference_ops::HybridConvPerChannel when the weights' channel scales
/// differ, EvalHybrid with optimized_ops::HybridConv otherwise). `act` is
/// the fused activation's float range.
template <class Geometry>
inline void conv2d_hybrid(const Geometry& geometry, int filter_in_c, const float* input, hybrid_weights w,
                          const float* bias, float_range act, hybrid_scratch s, float* output) noexcept {
  const window_geometry& g = kernels::value_of(geometry);
  bool per_channel = false;
  if (w.per_channel)
    for (int c = 1; c < g.out_c; ++c) per_channel = per_channel || w.scales[c] != w.scales[0];
  hybrid_detail::per_batch(g, input, per_channel, s, output,
                           [&](const window_geometry& one, const std::int8_t* q, hybrid_input_params p, float* out) {
                             if (per_channel) {
                               conv2d_loop<std::int32_t>(
                                   one, filter_in_c, q, w.data,
                                   [&](std::int64_t i, int oc, std::int32_t acc) {
                                     float x = static_cast<float>(acc) * w.scales[oc] * p.scale;
                                     if (bias != nullptr) x += bias[oc];
                                     out[i] = apply(act, x);  // ActivationFunctionWithMinMax
                                   },
                                   -p.zero_point);
                             } else {
                               const float scale = p.scale * w.scales[0];
                               conv2d_loop<std::int32_t>(
                                   one, filter_in_c, q, w.data,
                                   [&](std::int64_t i, int oc, std::int32_t acc) {
                                     out[i] = apply(act, static_cast<float>(acc) * scale +
                                                             (bias != nullptr ? bias[oc] : 0.0f));
                                   },
                                   std::int32_t{0});
                             }
                           });
}

/// Hybrid DEPTHWISE_CONV_2D (TFLite depthwise_conv.cc EvalHybridPerChannel
/// with reference_integer_ops::DepthwiseConvHybridPerChannel). Weights
/// [1, KH, KW, OC], one scale per output channel (or one for all).
template <class Geometry>
inline void depthwise_conv2d_hybrid(const Geometry& geometry, const float* input, hybrid_weights w, const float* bias,
                                    float_range act, hybrid_scratch s, float* output) noexcept {
  hybrid_detail::per_batch(kernels::value_of(geometry), input, /*asymmetric=*/true, s, output,
                           [&](const window_geometry& one, const std::int8_t* q, hybrid_input_params p, float* out) {
                             depthwise_conv2d_loop<std::int32_t>(
                                 one, q, w.data,
                                 [&](std::int64_t i, int oc, std::int32_t acc) {
                                   float x = static_cast<float>(acc);
                                   x *= w.scales[w.per_channel ? oc : 0] * p.scale;
                                   if (bias != nullptr) x += bias[oc];
                                   out[i] = apply(act, x);  // ActivationFunctionWithMinMax
                                 },
                                 -p.zero_point);
                           });
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
