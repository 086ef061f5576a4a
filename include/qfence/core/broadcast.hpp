// qfence/core/broadcast.hpp: NumPy/TFLite broadcasting of two shapes.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

inline constexpr int max_broadcast_rank = 6;

/// Two input shapes right-aligned against the output shape, padded to
/// max_broadcast_rank with leading 1s, plus the element strides of each input
/// (0 along a broadcast dimension).
struct broadcast_geometry {
  std::array<int, max_broadcast_rank> out{};
  std::array<std::int64_t, max_broadcast_rank> stride_a{};
  std::array<std::int64_t, max_broadcast_rank> stride_b{};
  std::int64_t elements = 1;
  bool same_shape = false;
};

/// Whether two shapes broadcast together (each dimension equal, or one is 1).
template <std::size_t RA, std::size_t RB>
constexpr bool broadcastable(const std::array<int, RA>& a, const std::array<int, RB>& b) noexcept {
  const std::size_t rank = RA > RB ? RA : RB;
  for (std::size_t i = 0; i < rank; ++i) {
    const int da = i < RA ? a[RA - 1 - i] : 1;
    const int db = i < RB ? b[RB - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return false;
  }
  return true;
}

template <std::size_t RA, std::size_t RB>
constexpr std::array<int, (RA > RB ? RA : RB)> broadcast_shape(const std::array<int, RA>& a,
                                                               const std::array<int, RB>& b) noexcept {
  constexpr std::size_t rank = RA > RB ? RA : RB;
  std::array<int, rank> out{};
  for (std::size_t i = 0; i < rank; ++i) {
    const int da = i < RA ? a[RA - 1 - i] : 1;
    const int db = i < RB ? b[RB - 1 - i] : 1;
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

/// The geometry of broadcasting shapes a and b (ranks up to
/// max_broadcast_rank). Neighbouring dimensions along which each input
/// either steps or is broadcast alike are merged (a scalar against [1, 192,
/// 192, 3] is one dimension of 110592; [C] against [N, H, W, C] is [N*H*W,
/// C]), and size-1 dimensions dropped: the visiting order is the same
/// row-major order, in the fewest and longest runs.
constexpr broadcast_geometry make_broadcast_geometry(const int* a, int rank_a, const int* b, int rank_b) noexcept {
  broadcast_geometry g;
  std::array<int, max_broadcast_rank> da{}, db{};
  for (int i = 0; i < max_broadcast_rank; ++i) {
    const int from_back = max_broadcast_rank - 1 - i;
    da[static_cast<std::size_t>(i)] = from_back < rank_a ? a[rank_a - 1 - from_back] : 1;
    db[static_cast<std::size_t>(i)] = from_back < rank_b ? b[rank_b - 1 - from_back] : 1;
  }
  // Merged dimensions, innermost first.
  std::array<int, max_broadcast_rank> out{};
  std::array<std::int64_t, max_broadcast_rank> stride_a{}, stride_b{};
  int merged = 0;
  std::int64_t sa = 1, sb = 1;
  g.same_shape = true;
  for (int i = max_broadcast_rank - 1; i >= 0; --i) {
    const auto k = static_cast<std::size_t>(i);
    const int dim = da[k] == 1 ? db[k] : da[k];
    if (da[k] != db[k]) g.same_shape = false;
    g.elements *= dim;
    const std::int64_t step_a = da[k] == 1 ? 0 : sa, step_b = db[k] == 1 ? 0 : sb;
    sa *= da[k];
    sb *= db[k];
    if (dim == 1) continue;
    const auto last = static_cast<std::size_t>(merged - 1);
    if (merged > 0 && (stride_a[last] == 0) == (step_a == 0) && (stride_b[last] == 0) == (step_b == 0)) {
      out[last] *= dim;  // contiguous with the merged dimension inside it (or broadcast along both)
      continue;
    }
    out[static_cast<std::size_t>(merged)] = dim;
    stride_a[static_cast<std::size_t>(merged)] = step_a;
    stride_b[static_cast<std::size_t>(merged)] = step_b;
    ++merged;
  }
  for (int m = 0; m < max_broadcast_rank; ++m) {
    const auto k = static_cast<std::size_t>(max_broadcast_rank - 1 - m);
    g.out[k] = m < merged ? out[static_cast<std::size_t>(m)] : 1;
    g.stride_a[k] = m < merged ? stride_a[static_cast<std::size_t>(m)] : 0;
    g.stride_b[k] = m < merged ? stride_b[static_cast<std::size_t>(m)] : 0;
  }
  return g;
}

/// A broadcast whose merged output is [rows, period], one input covering it
/// contiguously and the other repeating the same `period` elements in every
/// row: per-channel constants ([C] against [N, H, W, C], or [1, 1, 1, C]).
/// Its runs are rows of `period` elements, too short for vectors when the
/// period is small; a kernel can tile the repeating pattern instead.
struct repeating_operand {
  std::int64_t period = 0;  // 0: the broadcast has another form
  bool b_repeats = true;    // else a repeats
};

constexpr repeating_operand repeating_operand_of(const broadcast_geometry& g) noexcept {
  constexpr auto last = static_cast<std::size_t>(max_broadcast_rank - 1), row = last - 1;
  for (std::size_t k = 0; k < row; ++k)
    if (g.out[k] != 1) return {};
  if (g.out[row] == 1 || g.stride_a[last] != 1 || g.stride_b[last] != 1) return {};
  const std::int64_t period = g.out[last];
  if (g.stride_a[row] == period && g.stride_b[row] == 0) return {period, true};
  if (g.stride_b[row] == period && g.stride_a[row] == 0) return {period, false};
  return {};
}

/// Which input, if either, is one value broadcast over the whole output (the
/// other input then covers the output in its order).
enum class single_value_operand : std::uint8_t { none, a, b };

constexpr single_value_operand single_value_operand_of(const broadcast_geometry& g) noexcept {
  bool a_single = true, b_single = true;
  for (std::size_t k = 0; k < static_cast<std::size_t>(max_broadcast_rank); ++k) {
    if (g.out[k] == 1) continue;
    a_single = a_single && g.stride_a[k] == 0;
    b_single = b_single && g.stride_b[k] == 0;
  }
  if (a_single == b_single) return single_value_operand::none;  // one element, or no single value
  return a_single ? single_value_operand::a : single_value_operand::b;
}

/// Calls f(out_index, a_index, b_index, length, a_step, b_step) for every run
/// of the output's last dimension (the whole tensor when the shapes are the
/// same): `length` elements from out_index, each input advancing by its step
/// (1, or 0 when it is broadcast along that dimension). Kernels vectorize the
/// runs.
template <class F>
constexpr void for_each_broadcast_run(const broadcast_geometry& g, F&& f) {
  if (g.same_shape) {
    f(std::int64_t{0}, std::int64_t{0}, std::int64_t{0}, g.elements, std::int64_t{1}, std::int64_t{1});
    return;
  }
  constexpr auto last = static_cast<std::size_t>(max_broadcast_rank - 1);
  const std::int64_t length = g.out[last];
  if (length == 0) return;
  std::array<int, max_broadcast_rank> idx{};
  std::int64_t ia = 0, ib = 0;
  for (std::int64_t o = 0; o < g.elements; o += length) {
    f(o, ia, ib, length, g.stride_a[last], g.stride_b[last]);
    for (int d = max_broadcast_rank - 2; d >= 0; --d) {
      const auto k = static_cast<std::size_t>(d);
      ++idx[k];
      ia += g.stride_a[k];
      ib += g.stride_b[k];
      if (idx[k] < g.out[k]) break;
      ia -= g.stride_a[k] * idx[k];
      ib -= g.stride_b[k] * idx[k];
      idx[k] = 0;
    }
  }
}

/// Calls f(out_index, a_index, b_index) for every output element, in row-major
/// order.
template <class F>
constexpr void for_each_broadcast(const broadcast_geometry& g, F&& f) {
  for_each_broadcast_run(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib, std::int64_t length,
                                std::int64_t step_a, std::int64_t step_b) {
    for (std::int64_t i = 0; i < length; ++i) f(o + i, ia + i * step_a, ib + i * step_b);
  });
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
