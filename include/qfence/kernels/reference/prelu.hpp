// qfence/kernels/reference/prelu.hpp: PRELU, x >= 0 ? x : x * alpha, alpha
// broadcast over x (TFLM's prelu.cc and TFLite's reference prelu.h).
//
// float: the comparison and one multiply (so -0 stays -0, NaN stays NaN).
// Quantized: x - its zero point; where that is >= 0, one multiplier (input
// scale / output scale), else the product with alpha - its zero point and a
// second multiplier (input scale x alpha scale / output scale); plus the
// output zero point, saturated. TFLM forms both multipliers in double,
// TFLite's Prepare in float (then widens): make_prelu_params says which.
#pragma once

#include <cstdint>
#include <limits>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct prelu_params {
  std::int32_t input_offset = 0, alpha_offset = 0, output_offset = 0;
  quantized_multiplier positive{}, negative{};
};

/// Whether a quantized PRELU of input dtype `x` forms its multipliers as
/// TFLite's Prepare does (in float): uint8 always (only TFLite runs it),
/// int8 and int16 under TFLite's numerics; otherwise TFLM's (in double).
constexpr bool prelu_float_multipliers(dtype x, bool tflite_numerics) noexcept {
  return x == dtype::u8 || tflite_numerics;
}

/// `float_multipliers`: see prelu_float_multipliers.
constexpr prelu_params make_prelu_params(float in_scale, std::int32_t in_zp, float alpha_scale, std::int32_t alpha_zp,
                                         float out_scale, std::int32_t out_zp, bool float_multipliers) noexcept {
  prelu_params p;
  p.input_offset = -in_zp;
  p.alpha_offset = -alpha_zp;
  p.output_offset = out_zp;
  if (float_multipliers) {
    p.positive = quantize_multiplier(static_cast<double>(in_scale / out_scale));
    p.negative = quantize_multiplier(static_cast<double>(in_scale * alpha_scale / out_scale));
  } else {
    p.positive = scale_ratio_multiplier(in_scale, out_scale);
    p.negative = rescale_multiplier(in_scale, alpha_scale, out_scale, false);
  }
  return p;
}

namespace reference {

inline void prelu(const broadcast_geometry& g, const float* x, const float* alpha, float* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t i, std::int64_t a) {
    out[o] = x[i] >= 0.0f ? x[i] : x[i] * alpha[a];
  });
}

/// T: the input's dtype (int8, uint8, int16); A: alpha's (int8, or uint8
/// for uint8 inputs).
template <class T, class A>
constexpr void prelu(const broadcast_geometry& g, const T* x, const A* alpha, const prelu_params& p, T* out) noexcept {
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t i, std::int64_t a) {
    const std::int32_t v = p.input_offset + x[i];
    const std::int32_t scaled = v >= 0 ? multiply_by_quantized_multiplier(v, p.positive)
                                       : multiply_by_quantized_multiplier(v * (p.alpha_offset + alpha[a]), p.negative);
    const std::int32_t y = scaled + p.output_offset;
    out[o] = static_cast<T>(y < lo ? lo : y > hi ? hi : y);
  });
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
