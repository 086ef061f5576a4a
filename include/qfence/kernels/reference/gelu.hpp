// qfence/kernels/reference/gelu.hpp: GELU, x * Phi(x), exact (erfc) or
// with TFLite's tanh approximation.
//
// The functions are TFLite's GeluTransform and GeluTransformApproximate
// (reference/gelu.h), float operations in their order with the C library's
// erfcf and tanhf. TFLite fills its 8-bit and int16 tables with them
// (LUTPopulate), so qfence's quantized GELU gives TFLite's bytes. TFLite's
// float kernel evaluates the same expression with Eigen's array erfc/tanh,
// which may differ from the C library in the last bit; qfence calls the C
// library there too (docs/numerics.md).
#pragma once

#include <cmath>
#include <cstdint>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// 0.5 x erfc(-x / sqrt(2)): erfc, not 1 + erf, so large negative inputs
/// keep their tiny values.
inline float gelu_exact(float x) noexcept { return 0.5f * x * std::erfc(x * static_cast<float>(-0.70710678118654752440)); }

/// 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
inline float gelu_approximate(float x) noexcept {
  constexpr auto sqrt_2_over_pi = static_cast<float>(1.12837916709551257390 * 0.70710678118654752440);
  return 0.5f * x * (1.0f + std::tanh(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
}

using gelu_function = float (*)(float) noexcept;

constexpr gelu_function gelu_function_of(bool approximate) noexcept {
  return approximate ? gelu_approximate : gelu_exact;
}

namespace reference {

inline void gelu(std::int64_t n, const float* in, bool approximate, float* out) noexcept {
  const gelu_function f = gelu_function_of(approximate);
  for (std::int64_t i = 0; i < n; ++i) out[i] = f(in[i]);
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
