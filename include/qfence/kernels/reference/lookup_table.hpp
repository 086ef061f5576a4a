// qfence/kernels/reference/lookup_table.hpp: 8-bit ops as a 256-entry table.
//
// TFLite's reference kernels for uint8/int8 LOGISTIC and TANH (and TFLite's
// other LUT ops) evaluate the float function once per possible input value:
// dequantize, apply, requantize with round-half-away-from-zero, clamp
// (LUTPopulate). TFLM computes int8 LOGISTIC/TANH in fixed point instead,
// which is why those ops follow the numerics choice.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Table indexed by the input's bit pattern as uint8 (int8 -1 is entry 255).
template <class T>
using lookup_table = std::array<T, 256>;

template <class T, class F>
  requires(sizeof(T) == 1)
lookup_table<T> make_lookup_table(float input_scale, std::int32_t input_zero_point, float output_scale,
                                  std::int32_t output_zero_point, F&& transform) {
  lookup_table<T> table{};
  const float inverse_scale = 1.0f / output_scale;
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (std::int32_t v = lo; v <= hi; ++v) {
    const float dequantized = input_scale * static_cast<float>(v - input_zero_point);
    const float transformed = transform(dequantized);
    std::int32_t quantized = lo;
    if (std::isfinite(transformed)) {
      const float rescaled = std::round(transformed * inverse_scale);  // half away from zero
      quantized = static_cast<std::int32_t>(rescaled + static_cast<float>(output_zero_point));
    }
    table[static_cast<std::uint8_t>(v)] = static_cast<T>(quantized < lo ? lo : (quantized > hi ? hi : quantized));
  }
  return table;
}

namespace reference {

template <class T>
inline void lookup(std::int64_t n, const T* in, const lookup_table<T>& table, T* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = table[static_cast<std::uint8_t>(in[i])];
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
