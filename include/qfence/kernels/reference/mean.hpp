// qfence/kernels/reference/mean.hpp: reference kernel code of mean
// (moved from ops/mean.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Generic reduction layout: for each output element, which input elements
/// fold into it. Computed from up-to-6-D shapes.
struct reduce_geometry {
  std::array<int, 6> in_dims{1, 1, 1, 1, 1, 1};
  std::array<bool, 6> reduced{};
  std::int64_t out_elements = 1;
  std::int64_t reduced_elements = 1;
};

/// Geometry of a reduction of a rank-`rank` (<= 6) shape over `axes`
/// (negative axes count from the back; repeated axes count once).
template <class Axis>
constexpr reduce_geometry make_reduce_geometry(const int* dims, int rank, const Axis* axes, int axis_count) {
  reduce_geometry g;
  for (int d = 0; d < rank; ++d) g.in_dims[static_cast<std::size_t>(6 - rank + d)] = dims[d];
  for (int i = 0; i < axis_count; ++i) {
    const int k = static_cast<int>(axes[i] < 0 ? axes[i] + rank : axes[i]);
    g.reduced[static_cast<std::size_t>(6 - rank + k)] = true;
  }
  for (std::size_t k = 0; k < 6; ++k) (g.reduced[k] ? g.reduced_elements : g.out_elements) *= g.in_dims[k];
  return g;
}

template <std::size_t R, std::size_t N>
constexpr reduce_geometry make_reduce_geometry(const std::array<int, R>& dims, const std::array<int, N>& axes) {
  return make_reduce_geometry(dims.data(), static_cast<int>(R), axes.data(), static_cast<int>(N));
}

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
/// input order (float sums keep the reference's order). The output offset
/// steps along with the input: reduced dimensions do not move it.
template <class T, class Acc>
inline void reduce_sum(const reduce_geometry& g, const T* in, Acc* acc) noexcept {
  const auto& d = g.in_dims;
  std::array<std::int64_t, 6> os{};
  std::int64_t s = 1;
  for (std::size_t k = 6; k-- > 0;) {
    os[k] = g.reduced[k] ? 0 : s;
    if (!g.reduced[k]) s *= d[k];
  }
  const T* src = in;
  for (int i0 = 0; i0 < d[0]; ++i0)
    for (int i1 = 0; i1 < d[1]; ++i1)
      for (int i2 = 0; i2 < d[2]; ++i2)
        for (int i3 = 0; i3 < d[3]; ++i3)
          for (int i4 = 0; i4 < d[4]; ++i4, src += d[5]) {
            Acc* dst = acc + i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3] + i4 * os[4];
            if (os[5] == 1) {
              for (int i5 = 0; i5 < d[5]; ++i5) dst[i5] += static_cast<Acc>(src[i5]);
            } else {
              for (int i5 = 0; i5 < d[5]; ++i5) *dst += static_cast<Acc>(src[i5]);
            }
          }
}

inline void mean(const reduce_geometry& g, const float* in, float* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = 0.0f;
  reduce_sum(g, in, out);
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = out[o] / static_cast<float>(g.reduced_elements);
}

/// `scratch` holds out_elements int32 sums (planned in the arena).
template <class T>
  requires(sizeof(T) == 1)
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
