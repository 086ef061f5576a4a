// qfence/kernels/reference/batch_matmul.hpp: BATCH_MATMUL, as TFLM's and
// TFLite's reference BatchMatMul compute it.
//
// Each output element sums over the depth in order from 0: float in float
// from 0.0f, one product and one addition per step; int8 in int32 and
// int16 in int64 over (rhs - its zero point) x (lhs - its zero point),
// then the output multiplier (the scale product formed in float, as
// GetQuantizedConvolutionMultipler does; int16 through TFLite's 64-bit
// MultiplyByQuantizedMultiplier), the output zero point, saturation. The
// batch dimensions broadcast; adj_x / adj_y read an operand transposed in
// its last two dimensions (the references transpose a copy first; the
// values and their order of summation are the same).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/rules/batch_matmul.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Sizes and strides of a BATCH_MATMUL: up to three batch dimensions (the
/// references extend every shape to rank 5), each operand's step per batch
/// index (0 where it is broadcast), and the element steps of lhs along its
/// rows (M) and depth (K) and of rhs along depth and columns (N).
struct batch_matmul_geometry {
  std::array<std::int64_t, 3> batch{1, 1, 1}, lhs_batch_step{}, rhs_batch_step{};
  std::int64_t m = 1, k = 1, n = 1;
  std::int64_t lhs_row_step = 0, lhs_depth_step = 0, rhs_depth_step = 0, rhs_col_step = 0;
};

/// The geometry of operands the rule accepted.
constexpr batch_matmul_geometry make_batch_matmul_geometry(const batch_matmul_attrs& a, const tensor_desc& l,
                                                           const tensor_desc& r) noexcept {
  const bool adj_x = a.adj_x, adj_y = a.adj_y;
  batch_matmul_geometry g;
  std::array<std::int64_t, 5> el{1, 1, 1, 1, 1}, er{1, 1, 1, 1, 1};
  for (int i = 0; i < l.rank; ++i) el[static_cast<std::size_t>(5 - l.rank + i)] = l.dims[static_cast<std::size_t>(i)];
  for (int i = 0; i < r.rank; ++i) er[static_cast<std::size_t>(5 - r.rank + i)] = r.dims[static_cast<std::size_t>(i)];
  g.m = adj_x ? el[4] : el[3];
  g.k = adj_x ? el[3] : el[4];
  g.n = adj_y ? er[3] : er[4];
  g.lhs_row_step = adj_x ? 1 : g.k;
  g.lhs_depth_step = adj_x ? g.m : 1;
  g.rhs_depth_step = adj_y ? 1 : g.n;
  g.rhs_col_step = adj_y ? g.k : 1;
  std::int64_t lhs_size = el[3] * el[4], rhs_size = er[3] * er[4];
  for (int d = 2; d >= 0; --d) {
    const auto u = static_cast<std::size_t>(d);
    g.batch[u] = el[u] == 1 ? er[u] : el[u];
    g.lhs_batch_step[u] = el[u] == 1 ? 0 : lhs_size;
    g.rhs_batch_step[u] = er[u] == 1 ? 0 : rhs_size;
    lhs_size *= el[u];
    rhs_size *= er[u];
  }
  return g;
}

/// The quantized form's constants (int8, int16).
struct batch_matmul_params {
  std::int32_t lhs_offset = 0, rhs_offset = 0, output_offset = 0;
  quantized_multiplier output{};
};

constexpr batch_matmul_params make_batch_matmul_params(float lhs_scale, std::int32_t lhs_zp, float rhs_scale,
                                                       std::int32_t rhs_zp, float out_scale,
                                                       std::int32_t out_zp) noexcept {
  return {-lhs_zp, -rhs_zp, out_zp, rescale_multiplier(lhs_scale, rhs_scale, out_scale, true)};
}

namespace reference {

namespace detail {

/// Calls f(lhs_offset, rhs_offset, out_offset) for every batch matrix.
template <class F>
constexpr void for_each_batch_matrix(const batch_matmul_geometry& g, F&& f) {
  std::int64_t out = 0;
  for (std::int64_t b0 = 0; b0 < g.batch[0]; ++b0)
    for (std::int64_t b1 = 0; b1 < g.batch[1]; ++b1)
      for (std::int64_t b2 = 0; b2 < g.batch[2]; ++b2) {
        f(b0 * g.lhs_batch_step[0] + b1 * g.lhs_batch_step[1] + b2 * g.lhs_batch_step[2],
          b0 * g.rhs_batch_step[0] + b1 * g.rhs_batch_step[1] + b2 * g.rhs_batch_step[2], out);
        out += g.m * g.n;
      }
}

}  // namespace detail

inline void batch_matmul(const batch_matmul_geometry& g, const float* lhs, const float* rhs, float* out) noexcept {
  detail::for_each_batch_matrix(g, [&](std::int64_t lo, std::int64_t ro, std::int64_t oo) {
    for (std::int64_t i = 0; i < g.m; ++i)
      for (std::int64_t j = 0; j < g.n; ++j) {
        float total = 0.0f;
        for (std::int64_t k = 0; k < g.k; ++k)
          total += rhs[ro + k * g.rhs_depth_step + j * g.rhs_col_step] * lhs[lo + i * g.lhs_row_step + k * g.lhs_depth_step];
        out[oo + i * g.n + j] = total;
      }
  });
}

/// int8 (int32 sums, wrapping past 2^31 where the references overflow) and
/// int16 (int64 sums).
template <class T>
  requires(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::int16_t>)
constexpr void batch_matmul(const batch_matmul_geometry& g, const T* lhs, const T* rhs, const batch_matmul_params& p,
                            T* out) noexcept {
  constexpr std::int32_t lo_v = std::numeric_limits<T>::min(), hi_v = std::numeric_limits<T>::max();
  detail::for_each_batch_matrix(g, [&](std::int64_t lo, std::int64_t ro, std::int64_t oo) {
    for (std::int64_t i = 0; i < g.m; ++i)
      for (std::int64_t j = 0; j < g.n; ++j) {
        std::int32_t scaled;
        if constexpr (sizeof(T) == 1) {
          std::uint32_t total = 0;
          for (std::int64_t k = 0; k < g.k; ++k)
            total += static_cast<std::uint32_t>((rhs[ro + k * g.rhs_depth_step + j * g.rhs_col_step] + p.rhs_offset) *
                                                (lhs[lo + i * g.lhs_row_step + k * g.lhs_depth_step] + p.lhs_offset));
          scaled = multiply_by_quantized_multiplier(static_cast<std::int32_t>(total), p.output);
        } else {
          std::int64_t total = 0;
          for (std::int64_t k = 0; k < g.k; ++k)
            total += std::int64_t{rhs[ro + k * g.rhs_depth_step + j * g.rhs_col_step] + p.rhs_offset} *
                     (lhs[lo + i * g.lhs_row_step + k * g.lhs_depth_step] + p.lhs_offset);
          scaled = multiply_by_quantized_multiplier_wide(total, p.output);
        }
        const std::int32_t v = scaled + p.output_offset;
        out[oo + i * g.n + j] = static_cast<T>(v < lo_v ? lo_v : v > hi_v ? hi_v : v);
      }
  });
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
