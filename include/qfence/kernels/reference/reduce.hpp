// qfence/kernels/reference/reduce.hpp: reference kernels of the reductions
// MEAN, SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_ALL. The arithmetic is
// TFLM's reduce.cc (TFLite's reference/reduce.h), docs/numerics.md; both
// paths run it, and kernels/reduce-inl.hpp on vectors gives its bytes.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/reduce_geometry.hpp"
#include "qfence/kernels/reference/extreme.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The multiplier of a quantized MEAN over n elements: the scale ratio `m`
/// with 1/n folded in, as TFLite does (both paths, every kernel). An empty
/// reduction keeps `m` (its sums are 0).
constexpr quantized_multiplier mean_multiplier(quantized_multiplier m, std::int64_t n) noexcept {
  if (n <= 0) return m;
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

inline void sum(const reduce_geometry& g, const float* in, float* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = 0.0f;
  reduce_sum(g, in, out);
}

inline void mean(const reduce_geometry& g, const float* in, float* out) noexcept {
  sum(g, in, out);
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = out[o] / static_cast<float>(g.reduced_elements);
}

/// Quantized SUM: `scratch` holds out_elements int32 sums (planned in the
/// arena); each output is (sum - zp * n) times `m`, the scale ratio, plus
/// the output's zero point, saturated. int8, uint8 and int16: TFLM's
/// QuantizedMeanOrSum is one template for all.
template <class T>
  requires(sizeof(T) <= 2)
inline void sum(const reduce_geometry& g, const T* in, std::int32_t input_zero_point, quantized_multiplier m,
                std::int32_t output_zero_point, std::int32_t* scratch, T* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) scratch[o] = 0;
  reduce_sum(g, in, scratch);
  const std::int64_t n = g.reduced_elements;
  for (std::int64_t o = 0; o < g.out_elements; ++o) {
    const auto shifted_sum = static_cast<std::int32_t>(scratch[o] - input_zero_point * n);
    const std::int32_t v = multiply_by_quantized_multiplier(shifted_sum, m) + output_zero_point;
    out[o] = saturate_cast<T>(v);
  }
}

/// Quantized MEAN: the SUM with 1/n folded into its multiplier.
template <class T>
  requires(sizeof(T) <= 2)
inline void mean(const reduce_geometry& g, const T* in, std::int32_t input_zero_point, quantized_multiplier m,
                 std::int32_t output_zero_point, std::int32_t* scratch, T* out) noexcept {
  sum(g, in, input_zero_point, mean_multiplier(m, g.reduced_elements), output_zero_point, scratch, out);
}

/// REDUCE_MAX (Max) or REDUCE_MIN of any ordered T; quantized values
/// compare raw (the output has the input's parameters). A float REDUCE_MAX
/// of only -inf or NaN gives -FLT_MAX, as TFLM's does (extreme.hpp).
template <bool Max, class T>
inline void reduce_extreme(const reduce_geometry& g, const T* in, T* out) noexcept {
  using pick = extreme<Max>;
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = pick::template start<T>();
  const reduce_rows rows(g, in, out);
  const int inner = rows.inner();
  for (const auto [src, dst] : rows) {
    if (rows.inner_kept()) {
      for (int i = 0; i < inner; ++i)
        if (pick::replaces(src[i], dst[i])) dst[i] = src[i];
    } else {
      for (int i = 0; i < inner; ++i)
        if (pick::replaces(src[i], *dst)) *dst = src[i];
    }
  }
}

/// REDUCE_ALL of bool.
inline void reduce_all(const reduce_geometry& g, const bool* in, bool* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = true;
  const reduce_rows rows(g, in, out);
  const int inner = rows.inner();
  for (const auto [src, dst] : rows) {
    if (rows.inner_kept()) {
      for (int i = 0; i < inner; ++i) dst[i] = dst[i] && src[i];
    } else {
      for (int i = 0; i < inner; ++i) *dst = *dst && src[i];
    }
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
