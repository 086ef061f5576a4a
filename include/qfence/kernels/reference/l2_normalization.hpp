// qfence/kernels/reference/l2_normalization.hpp: L2_NORMALIZATION over the
// last dimension, as TFLite's reference (TFLM runs the same code).
//
// float: the squares summed in order, sqrt, at least 1e-6, then one
// division per value. 8-bit: the squared differences from the zero point
// summed in int32, 1/sqrt of the sum as a fixed-point multiplier (TFLite's
// GetInvSqrtQuantizedMultiplierExp; a sum of 0 or 1 gives the largest), and
// each difference rescaled to 1/128 steps: int8 with one
// MultiplyByQuantizedMultiplier (its shift + 7), uint8 as 128 x difference
// through the high multiply and a rounding right shift, plus 128.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/fixed_point_functions.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

inline void l2_normalization(int outer, int depth, const float* in, float* out) noexcept {
  for (int i = 0; i < outer; ++i) {
    const float* x = in + static_cast<std::ptrdiff_t>(i) * depth;
    float* y = out + static_cast<std::ptrdiff_t>(i) * depth;
    float squared = 0.0f;
    for (int c = 0; c < depth; ++c) squared += x[c] * x[c];
    const float norm = std::max(std::sqrt(squared), 1e-6f);
    for (int c = 0; c < depth; ++c) y[c] = x[c] / norm;
  }
}

template <class T>
  requires(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t>)
constexpr void l2_normalization(int outer, int depth, std::int32_t zero_point, const T* in, T* out) noexcept {
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (int i = 0; i < outer; ++i) {
    const T* x = in + static_cast<std::ptrdiff_t>(i) * depth;
    T* y = out + static_cast<std::ptrdiff_t>(i) * depth;
    // int32 as TFLite sums; wrapping (not undefined) past 2^31, which takes
    // over 33000 values of the largest difference in a row.
    std::uint32_t squared = 0;
    for (int c = 0; c < depth; ++c) {
      const std::int32_t d = std::int32_t{x[c]} - zero_point;
      squared += static_cast<std::uint32_t>(d * d);
    }
    const quantized_multiplier inv = fixed::inv_sqrt_quantized_multiplier_exp(static_cast<std::int32_t>(squared), -1);
    for (int c = 0; c < depth; ++c) {
      const std::int32_t d = std::int32_t{x[c]} - zero_point;
      std::int32_t v;
      if constexpr (std::is_same_v<T, std::int8_t>) {
        v = multiply_by_quantized_multiplier(d, inv.multiplier, inv.shift + 7);
      } else {
        v = 128 + rounding_divide_by_pot(saturating_rounding_doubling_high_mul(128 * d, inv.multiplier), -inv.shift);
      }
      y[c] = static_cast<T>(v < lo ? lo : v > hi ? hi : v);
    }
  }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
