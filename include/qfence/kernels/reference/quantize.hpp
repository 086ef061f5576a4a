// qfence/kernels/reference/quantize.hpp: reference kernel code of quantize
// (moved from ops/quantize.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/half.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// TFLite's AffineQuantize: round(x / scale) + zero_point, clamped to T.
/// Where x / scale is NaN, infinite or beyond int32, TFLite converts float
/// to int32 with undefined behaviour (x86 and Arm give different bits);
/// qfence defines it: NaN is the real 0 (the zero point), everything else
/// saturates (docs/numerics.md). A fenced custom op that returns NaN or
/// infinity therefore gives a defined quantized output.
constexpr std::int64_t quantize_value(float x, float scale, std::int32_t zero_point) noexcept {
  const float q = x / scale;
  if (q != q) return zero_point;
  if (q >= 2147483648.0f) return std::int64_t{2147483647} + zero_point;
  if (q <= -2147483648.0f) return std::int64_t{-2147483647} - 1 + zero_point;
  return std::int64_t{qfence::detail::round_to_int32(q)} + zero_point;
}

template <class T>
inline void quantize(std::int64_t n, const float* in, float scale, std::int32_t zero_point, T* out) noexcept {
  constexpr std::int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t v = quantize_value(in[i], scale, zero_point);
    out[i] = static_cast<T>(v < lo ? lo : (v > hi ? hi : v));
  }
}

template <class T>
inline void dequantize(std::int64_t n, const T* in, float scale, std::int32_t zero_point, float* out) noexcept {
  const double s = static_cast<double>(scale);
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(s * (static_cast<std::int32_t>(in[i]) - zero_point));
}

/// DEQUANTIZE of float16 weights: each widened exactly (core/half.hpp).
inline void widen(std::int64_t n, const half* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = to_float(in[i]);
}

template <class In, class Out>
constexpr void requantize(std::int64_t n, const In* in, std::int32_t input_zero_point, quantized_multiplier m,
                       std::int32_t output_zero_point, Out* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = saturate_cast<Out>(multiply_by_quantized_multiplier(in[i] - input_zero_point, m) + output_zero_point);
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
