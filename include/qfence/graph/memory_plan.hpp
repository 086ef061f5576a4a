// qfence/graph/memory_plan.hpp: arena layout computed at compile time.
//
// Each buffer (a tensor, or a kernel's scratch) lives from the step that
// writes it to the last step that reads it. Buffers whose lifetimes overlap
// must not share bytes; others may. The planner is TFLM's greedy strategy
// (largest buffer first, lowest offset that fits), run as constexpr code so
// that `arena_bytes` is a compile-time constant.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Arena offsets are aligned for the widest SIMD loads (AVX-512: 64 bytes).
inline constexpr std::size_t arena_alignment = 64;

constexpr std::size_t align_up(std::size_t n, std::size_t a = arena_alignment) noexcept {
  return (n + a - 1) / a * a;
}

struct buffer_request {
  std::size_t bytes = 0;  // 0: no buffer
  int first = 0;          // step that writes it
  int last = 0;           // last step that reads it
};

template <std::size_t N>
struct memory_plan {
  std::array<std::size_t, N> offset{};
  std::size_t arena_bytes = 0;  // shared plan
  std::size_t naive_bytes = 0;  // every buffer on its own
};

constexpr bool lifetimes_overlap(const buffer_request& a, const buffer_request& b) noexcept {
  return a.first <= b.last && b.first <= a.last;
}

struct plan_totals {
  std::size_t arena_bytes = 0;  // shared plan
  std::size_t naive_bytes = 0;  // every buffer on its own
};

/// The greedy planner over any indexable containers of `n` elements, so that
/// the compile-time plan (std::array) and the runtime interpreter's plan
/// (std::vector) are the same code. `order` and `placed` are scratch.
///
/// Largest buffer first; each goes to the lowest offset where it does not
/// overlap a placed buffer whose lifetime overlaps its own: a sweep over the
/// placed buffers in offset order (TFLM's GreedyMemoryPlanner). O(n^2), which
/// keeps the constexpr evaluation of a 100-layer model within the compilers'
/// step limits.
template <class Requests, class Offsets, class Order, class Placed>
constexpr plan_totals plan_memory_into(std::size_t n, const Requests& req, Offsets& offset, Order& order,
                                       Placed& by_offset) {
  plan_totals totals{};
  std::size_t count = 0;  // buffers with bytes, compacted into order[0, count)
  for (std::size_t i = 0; i < n; ++i) {
    offset[i] = 0;
    totals.naive_bytes += align_up(req[i].bytes);
    if (req[i].bytes != 0) order[count++] = i;
  }
  // Largest first; ties by first use, then index, so the plan is deterministic.
  std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count), [&](std::size_t a, std::size_t b) {
    if (req[a].bytes != req[b].bytes) return req[a].bytes > req[b].bytes;
    if (req[a].first != req[b].first) return req[a].first < req[b].first;
    return a < b;
  });
  std::size_t placed = 0;  // by_offset[0, placed): placed buffers, ascending offset
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t i = order[k];
    const std::size_t size = align_up(req[i].bytes);
    std::size_t candidate = 0;
    for (std::size_t p = 0; p < placed; ++p) {
      const std::size_t o = by_offset[p];
      if (!lifetimes_overlap(req[i], req[o])) continue;
      if (candidate + size <= offset[o]) break;  // fits in the gap before o
      candidate = std::max(candidate, offset[o] + align_up(req[o].bytes));
    }
    offset[i] = candidate;
    std::size_t at = placed++;
    while (at > 0 && offset[by_offset[at - 1]] > candidate) {
      by_offset[at] = by_offset[at - 1];
      --at;
    }
    by_offset[at] = i;
    totals.arena_bytes = std::max(totals.arena_bytes, candidate + size);
  }
  return totals;
}

template <std::size_t N>
constexpr memory_plan<N> plan_memory(const std::array<buffer_request, N>& req) {
  memory_plan<N> plan{};
  std::array<std::size_t, N> order{};
  std::array<std::size_t, N> by_offset{};
  const plan_totals totals = plan_memory_into(N, req, plan.offset, order, by_offset);
  plan.arena_bytes = totals.arena_bytes;
  plan.naive_bytes = totals.naive_bytes;
  return plan;
}

/// True when no two buffers that are alive at the same step share a byte.
template <std::size_t N>
constexpr bool plan_is_sound(const std::array<buffer_request, N>& req, const memory_plan<N>& plan) {
  for (std::size_t a = 0; a < N; ++a)
    for (std::size_t b = a + 1; b < N; ++b) {
      if (req[a].bytes == 0 || req[b].bytes == 0 || !lifetimes_overlap(req[a], req[b])) continue;
      const std::size_t a0 = plan.offset[a], a1 = a0 + req[a].bytes;
      const std::size_t b0 = plan.offset[b], b1 = b0 + req[b].bytes;
      if (a0 < b1 && b0 < a1) return false;
      if (a1 > plan.arena_bytes || b1 > plan.arena_bytes) return false;
    }
  return true;
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
