// qfence/quant/affine_params.hpp: from a real range to a scale and a zero
// point, and from float weights and biases to quantized ones, as TFLite's
// quantizer does it (tflite/tools/optimize/quantization_utils.cc), so that
// a model qfence quantizes carries the parameters TFLite's would for the
// same ranges. The per-value rules are constexpr: the compile-time
// quantization of a C++-described model uses the same ones.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "qfence/core/dtype.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/quant/real_range.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// One (scale, zero point) pair: real = scale * (q - zero_point).
struct affine_params {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
  constexpr bool operator==(const affine_params&) const = default;
};

/// Asymmetric parameters for [qmin, qmax] (activations): the range is
/// stretched to hold 0, the zero point is rounded (half away from zero) and
/// clamped, so 0 is exactly representable. A range that is exactly [0, 0]
/// (a tensor that was always zero) would give scale 0, which no kernel
/// accepts; it gets the scale of [0, 1] instead, and calibration reports it.
constexpr affine_params asymmetric_params(real_range r, int qmin, int qmax) {
  r = r.with_zero();
  const auto qmin_f = static_cast<float>(qmin), qmax_f = static_cast<float>(qmax);
  float scale = (r.max - r.min) / (qmax_f - qmin_f);
  if (scale == 0.0f) {
    r = {0.0f, 1.0f};
    scale = 1.0f / (qmax_f - qmin_f);
  }
  const float zero_from_min = qmin_f - r.min / scale;
  std::int32_t zero_point;
  if (zero_from_min < qmin_f) {
    zero_point = qmin;
  } else if (zero_from_min > qmax_f) {
    zero_point = qmax;
  } else {
    zero_point = static_cast<std::int32_t>(qfence::detail::round_to_int64(zero_from_min));
  }
  return {scale, zero_point};
}

/// Symmetric parameters with zero point 0 and `qmax` steps each side
/// (int16 activations of int16x8: qmax = 32767). Scale 0 is avoided as
/// for asymmetric_params.
constexpr affine_params symmetric_params(real_range r, int qmax) {
  const float half = std::max(-r.min, r.max) > 0 ? std::max(-r.min, r.max) : 0.0f;
  return {half == 0.0f ? 1.0f / static_cast<float>(qmax) : half / static_cast<float>(qmax), 0};
}

/// An activation's parameters in the scheme's type (TFLite's rules): int8
/// asymmetric over [-128, 127]; int16 (int16x8) symmetric with zero point
/// 0. Both quantizers (quantize_model.hpp, quantize_graph.hpp) take them
/// from here.
constexpr affine_params activation_params(real_range r, dtype activations) {
  return activations == dtype::i16 ? symmetric_params(r, 32767) : asymmetric_params(r, -128, 127);
}

/// Symmetric int16 parameters whose scale is 2^k / 32768 for the smallest
/// k in 0..10 with 2^k >= the range's magnitude (TFLite's
/// GetPowerOfTwoScale): an LSTM's cell state, which the integer kernels
/// rescale by shifts. Below 1 the scale stays 2^-15 (k = 0), as TFLite's.
constexpr affine_params power_of_two_int16_params(real_range r) {
  const float magnitude = std::max(r.min < 0 ? -r.min : r.min, r.max < 0 ? -r.max : r.max);
  int k = 0;
  float power = 1.0f;
  while (k < 10 && power < magnitude) {
    ++k;
    power *= 2.0f;
  }
  return {power / 32768.0f, 0};
}

/// The scale of symmetric int8 weights whose largest magnitude is `half`
/// (127 steps each side). A channel of zeros gets the scale of [-1, 1]
/// rather than TFLite's 0, so that its bias (scale input * weight) still
/// quantizes.
constexpr float weight_scale(float half) { return (half == 0.0f ? 1.0f : half) / 127.0f; }

/// One weight at 1 / scale = `inverse`, in [-127, 127] (TFLite multiplies
/// by the inverse, in float, and rounds half away from zero).
constexpr std::int8_t quantize_weight(float w, float inverse) {
  const std::int64_t q = qfence::detail::round_to_int64(static_cast<double>(w * inverse));
  return static_cast<std::int8_t>(q < -127 ? -127 : q > 127 ? 127 : q);
}
constexpr float weight_inverse(float half) { return 127.0f / (half == 0.0f ? 1.0f : half); }

/// One bias value at `scale` (input scale * weight scale; zero point 0),
/// saturated to +-max of Bias (int32, or int64 for int16x8) as TFLite's
/// SymmetricBiasQuantize does.
template <class Bias>
constexpr Bias quantize_bias_value(float b, float scale) {
  constexpr Bias top = std::numeric_limits<Bias>::max();
  const auto inverse = static_cast<float>(scale == 0.0f ? 0.0 : 1.0 / static_cast<double>(scale));
  const float x = b * inverse;
  // Saturate before converting: converting an out-of-range float is UB.
  constexpr auto limit = static_cast<float>(top);
  if (x >= limit) return top;
  if (x <= -limit) return static_cast<Bias>(-top);
  return static_cast<Bias>(qfence::detail::round_to_int64(static_cast<double>(x)));
}

/// Symmetric int8 weights along `axis` of `shape`, one scale per channel
/// (per_channel = false: one for the whole tensor): TFLite's
/// SymmetricPerChannelQuantization, with the scalar rules above.
struct quantized_weights {
  std::vector<std::int8_t> values;
  std::vector<float> scales;
};

/// Which of `channels` channels along `axis` of `shape` element i (row
/// major) belongs to; one channel: always 0. Weights are quantized, and
/// dequantized, per channel with it.
class channel_of_element {
 public:
  constexpr channel_of_element(std::span<const int> shape, int axis, std::int64_t channels) : channels_(channels) {
    for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < shape.size(); ++d) inner_ *= shape[d];
  }
  constexpr std::size_t operator()(std::size_t i) const noexcept {
    return channels_ <= 1 ? 0 : static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner_) % channels_);
  }
  /// Calls f(channel, first, end) for each run of consecutive elements of
  /// one channel among `n`, in order: a loop over the weights that looks
  /// its channel up once per run, not per element (qfence::quantize runs
  /// these loops at compile time, where every step counts against the
  /// compiler's constant-evaluation limit).
  template <class F>
  constexpr void for_each_run(std::size_t n, F&& f) const {
    const std::size_t run = channels_ <= 1 ? n : static_cast<std::size_t>(inner_);
    for (std::size_t first = 0; first < n; first += run) f((*this)(first), first, first + run < n ? first + run : n);
  }

 private:
  std::int64_t channels_, inner_ = 1;  // inner_: elements between consecutive channels
};

/// The largest |w| of each channel, into `half` (zeros on entry): what the
/// channels' symmetric scales are made from.
constexpr void channel_magnitudes(std::span<const float> w, const channel_of_element& channel_of, std::span<float> half) {
  const float* p = w.data();  // no call per weight: every step counts at compile time
  channel_of.for_each_run(w.size(), [&](std::size_t c, std::size_t first, std::size_t end) {
    float m = half[c];
    for (std::size_t i = first; i < end; ++i) {
      const float a = p[i] < 0.0f ? -p[i] : p[i];
      m = a > m ? a : m;
    }
    half[c] = m;
  });
}

/// How far `w` lies from the nearest level of the grid whose inverse step
/// is `inverse` (weight_inverse(half)), in steps of that grid (0 to 0.5).
/// (qfence::quantize runs this and quantize_weight over every weight at
/// compile time: a compiler's constant-evaluation limit hit here or there
/// wants Clang's -fconstexpr-steps or GCC's -fconstexpr-ops-limit raised
/// for a large model; README, "Quantizing a model described in C++".)
constexpr double distance_to_grid_of(float w, double inverse) {
  const double steps = static_cast<double>(w) * inverse;
  const double off = steps - static_cast<double>(qfence::detail::round_to_int64(steps));
  return off < 0 ? -off : off;
}

/// Where every weight of a channel lies on the whole tensor's grid (the
/// largest magnitude of every channel at 127) and not on the channel's own,
/// the channel takes the tensor's: `half` (each channel's largest |w|, from
/// channel_magnitudes) becomes the tensor's there. The weights of a model
/// that was quantized per tensor and then dequantized (a float twin) so
/// come back to their int8 values exactly instead of being rounded a second
/// time onto a grid that does not hold them.
///
/// Only an exact fit counts, not a smaller rounding error: a grid a little
/// coarser than the one the weights lie on rounds them in proportion to
/// their value, a gain error that adds up coherently across a layer's sum
/// (measured on mobilenet_v1's twin, int16x8: 9 dB worse output though the
/// weights' squared error was smaller); the channel's own grid rounds
/// independently of the value. "On a grid": within 1/1000 of a step, far
/// above float32's error in w = q * scale (|q| <= 127) and far below what
/// data that is not on it shows. `scratch`: two values per channel.
constexpr void prefer_tensor_grid(std::span<const float> w, const channel_of_element& channel_of, std::span<float> half,
                                  std::span<double> scratch) {
  if (half.size() <= 1) return;
  constexpr double on_grid = 1e-3;
  float tensor_half = 0.0f;
  for (const float h : half) tensor_half = std::max(tensor_half, h);
  const std::span<double> off_own = scratch.first(half.size()), off_tensor = scratch.subspan(half.size(), half.size());
  std::fill(off_own.begin(), off_own.end(), 0.0);
  std::fill(off_tensor.begin(), off_tensor.end(), 0.0);
  // A channel with a weight off the tensor's grid keeps its own: the rest of
  // its weights need not be looked at (a model not made from a per-tensor
  // one, almost every model, stops at its first weights; fewer steps of
  // constant evaluation for qfence::quantize).
  const auto tensor_inverse = static_cast<double>(weight_inverse(tensor_half));
  channel_of.for_each_run(w.size(), [&](std::size_t c, std::size_t first, std::size_t end) {
    if (off_tensor[c] > on_grid) return;
    const auto own_inverse = static_cast<double>(weight_inverse(half[c]));
    double own = off_own[c];
    for (std::size_t i = first; i < end; ++i) {
      if (const double b = distance_to_grid_of(w[i], tensor_inverse); b > on_grid) {
        off_tensor[c] = b;
        return;
      }
      const double a = distance_to_grid_of(w[i], own_inverse);
      own = a > own ? a : own;
    }
    off_own[c] = own;
  });
  for (std::size_t c = 0; c < half.size(); ++c)
    if (off_tensor[c] <= on_grid && off_own[c] > on_grid) half[c] = tensor_half;
}

inline quantized_weights quantize_weights_symmetric(std::span<const float> w, std::span<const int> shape, int axis,
                                                    bool per_channel) {
  const int channels = per_channel ? shape[static_cast<std::size_t>(axis)] : 1;
  const channel_of_element channel_of(shape, axis, channels);
  std::vector<float> half(static_cast<std::size_t>(channels), 0.0f);
  channel_magnitudes(w, channel_of, half);
  std::vector<double> scratch(2 * half.size());
  prefer_tensor_grid(w, channel_of, half, scratch);
  quantized_weights out;
  for (const float h : half) out.scales.push_back(weight_scale(h));
  out.values.resize(w.size());
  channel_of.for_each_run(w.size(), [&](std::size_t c, std::size_t first, std::size_t end) {
    const float inverse = weight_inverse(half[c]);
    for (std::size_t i = first; i < end; ++i) out.values[i] = quantize_weight(w[i], inverse);
  });
  return out;
}

/// SVDF's time weights: symmetric int16 in [-512, 512], one scale
/// (TFLite's 10-bit weights: scale = largest magnitude / 512, values
/// multiplied by the inverse in float and rounded half away from zero). A
/// tensor of zeros gets the scale of [-1, 1], as weight_scale does.
struct quantized_time_weights {
  std::vector<std::int16_t> values;
  float scale = 0.0f;
};

/// The largest |w| of `w`.
constexpr float magnitude_of(std::span<const float> w) {
  float half = 0.0f;
  for (const float v : w) half = std::max(half, v < 0 ? -v : v);
  return half;
}
constexpr float time_weight_scale(float half) { return (half == 0.0f ? 1.0f : half) / 512.0f; }
constexpr float time_weight_inverse(float scale) { return static_cast<float>(1.0 / static_cast<double>(scale)); }
constexpr std::int16_t quantize_time_weight(float v, float inverse) {
  const std::int64_t q = qfence::detail::round_to_int64(static_cast<double>(v * inverse));
  return static_cast<std::int16_t>(std::clamp<std::int64_t>(q, -32767, 32767));
}

inline quantized_time_weights quantize_time_weights(std::span<const float> w) {
  quantized_time_weights out;
  out.scale = time_weight_scale(magnitude_of(w));
  const float inverse = time_weight_inverse(out.scale);
  out.values.reserve(w.size());
  for (const float v : w) out.values.push_back(quantize_time_weight(v, inverse));
  return out;
}

/// Bias values at input_scale * weight_scales[c] (one weight scale: the
/// same for every value).
template <class Bias>
std::vector<Bias> quantize_bias(std::span<const float> b, float input_scale, std::span<const float> weight_scales) {
  std::vector<Bias> out(b.size());
  for (std::size_t i = 0; i < b.size(); ++i)
    out[i] = quantize_bias_value<Bias>(b[i], input_scale * weight_scales[weight_scales.size() == 1 ? 0 : i]);
  return out;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
