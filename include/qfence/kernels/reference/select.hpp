// qfence/kernels/reference/select.hpp: SELECT_V2, out = condition ? x : y
// over three broadcasting shapes (TFLM's select.cc: Select, or
// BroadcastSelect5DSlow). It copies values, so one kernel serves every dtype
// of a given size.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The three operands right-aligned against the output, padded with leading
/// 1s to max_broadcast_rank, and each operand's element strides (0 along a
/// dimension it broadcasts).
struct select_geometry {
  std::array<int, max_broadcast_rank> out{1, 1, 1, 1, 1, 1};
  std::array<std::array<std::int64_t, max_broadcast_rank>, 3> stride{};
  std::int64_t elements = 1;
};

/// Geometry of shapes that broadcast (a rule accepted them): condition, x, y.
constexpr select_geometry make_select_geometry(const std::array<const int*, 3>& dims,
                                               const std::array<int, 3>& ranks) noexcept {
  select_geometry g;
  std::array<std::array<int, max_broadcast_rank>, 3> padded{};
  for (std::size_t k = 0; k < 3; ++k)
    for (int i = 0; i < max_broadcast_rank; ++i) {
      const int from_back = max_broadcast_rank - 1 - i;
      padded[k][static_cast<std::size_t>(i)] = from_back < ranks[k] ? dims[k][ranks[k] - 1 - from_back] : 1;
    }
  for (std::size_t i = 0; i < max_broadcast_rank; ++i)
    for (std::size_t k = 0; k < 3; ++k)
      if (padded[k][i] != 1) g.out[i] = padded[k][i];
  for (std::size_t k = 0; k < 3; ++k) {
    std::int64_t s = 1;
    for (std::size_t i = max_broadcast_rank; i-- > 0;) {
      g.stride[k][i] = padded[k][i] == 1 ? 0 : s;
      s *= padded[k][i];
    }
  }
  for (const int d : g.out) g.elements *= d;
  return g;
}

namespace reference {

/// out = condition ? x : y, in output order.
template <class T>
inline void select(const select_geometry& g, const bool* condition, const T* x, const T* y, T* out) noexcept {
  if (g.elements <= 0) return;
  std::array<int, max_broadcast_rank> at{};
  std::array<std::int64_t, 3> offset{};
  for (std::int64_t o = 0; o < g.elements; ++o) {
    out[o] = condition[offset[0]] ? x[offset[1]] : y[offset[2]];
    for (std::size_t i = max_broadcast_rank; i-- > 0;) {
      for (std::size_t k = 0; k < 3; ++k) offset[k] += g.stride[k][i];
      if (++at[i] < g.out[i]) break;
      for (std::size_t k = 0; k < 3; ++k) offset[k] -= g.stride[k][i] * g.out[i];
      at[i] = 0;
    }
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
