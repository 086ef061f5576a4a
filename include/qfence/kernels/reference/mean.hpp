// qfence/kernels/reference/mean.hpp: reference kernel code of mean
// (moved from ops/mean.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/reduce_geometry.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The multiplier of a quantized MEAN over n elements: the scale ratio `m`
/// with 1/n folded in, as TFLite does (both paths, every kernel).
constexpr quantized_multiplier mean_multiplier(quantized_multiplier m, std::int64_t n) noexcept {
  int shift = 63 - std::countl_zero(static_cast<std::uint64_t>(n));
  shift = std::min(shift, 32);
  shift = std::min(shift, 31 + m.shift);
  return {static_cast<std::int32_t>((static_cast<std::int64_t>(m.multiplier) << shift) / n), m.shift - shift};
}

namespace reference {

/// Sums input elements into `acc[out_index]` (acc zeroed by the caller), in
/// input order (float sums keep the reference's order).
template <class T, class Acc>
inline void reduce_sum(const reduce_geometry& g, const T* in, Acc* acc) noexcept {
  const reduce_rows rows(g, in, acc);
  const int inner = rows.inner();
  for (const auto [src, dst] : rows) {
    if (rows.inner_kept()) {
      for (int i = 0; i < inner; ++i) dst[i] += static_cast<Acc>(src[i]);
    } else {
      for (int i = 0; i < inner; ++i) *dst += static_cast<Acc>(src[i]);
    }
  }
}

inline void mean(const reduce_geometry& g, const float* in, float* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = 0.0f;
  reduce_sum(g, in, out);
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = out[o] / static_cast<float>(g.reduced_elements);
}

/// `scratch` holds out_elements int32 sums (planned in the arena). int8,
/// uint8 and int16: TFLM's QuantizedMeanOrSum is one template for all.
template <class T>
  requires(sizeof(T) <= 2)
inline void mean(const reduce_geometry& g, const T* in, std::int32_t input_zero_point, quantized_multiplier m,
                 std::int32_t output_zero_point, std::int32_t* scratch, T* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) scratch[o] = 0;
  reduce_sum(g, in, scratch);
  const std::int64_t n = g.reduced_elements;
  const quantized_multiplier per_element = mean_multiplier(m, n);
  for (std::int64_t o = 0; o < g.out_elements; ++o) {
    const auto shifted_sum = static_cast<std::int32_t>(scratch[o] - input_zero_point * n);
    const std::int32_t v = multiply_by_quantized_multiplier(shifted_sum, per_element) + output_zero_point;
    out[o] = saturate_cast<T>(v);
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
