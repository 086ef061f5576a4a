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
template <class Requests, class Offsets, class Order, class Placed>
constexpr plan_totals plan_memory_into(std::size_t n, const Requests& req, Offsets& offset, Order& order,
                                       Placed& placed) {
  plan_totals totals{};
  for (std::size_t i = 0; i < n; ++i) {
    order[i] = i;
    placed[i] = false;
    offset[i] = 0;
  }
  // Largest first; ties by first use, then index, so the plan is deterministic.
  std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), [&](std::size_t a, std::size_t b) {
    if (req[a].bytes != req[b].bytes) return req[a].bytes > req[b].bytes;
    if (req[a].first != req[b].first) return req[a].first < req[b].first;
    return a < b;
  });
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = order[k];
    const std::size_t size = align_up(req[i].bytes);
    totals.naive_bytes += size;
    if (size == 0) continue;
    // Candidate offsets: 0 and the end of every placed, lifetime-overlapping buffer.
    std::size_t best = 0;
    bool found = false;
    for (std::size_t c = 0; c <= n; ++c) {
      std::size_t candidate = 0;
      if (c < n) {
        if (!placed[c] || !lifetimes_overlap(req[i], req[c])) continue;
        candidate = offset[c] + align_up(req[c].bytes);
      }
      bool fits = true;
      for (std::size_t o = 0; o < n && fits; ++o) {
        if (!placed[o] || !lifetimes_overlap(req[i], req[o])) continue;
        const std::size_t o_begin = offset[o], o_end = o_begin + align_up(req[o].bytes);
        if (candidate < o_end && o_begin < candidate + size) fits = false;
      }
      if (fits && (!found || candidate < best)) {
        best = candidate;
        found = true;
      }
    }
    offset[i] = best;
    placed[i] = true;
    totals.arena_bytes = std::max(totals.arena_bytes, best + size);
  }
  return totals;
}

template <std::size_t N>
constexpr memory_plan<N> plan_memory(const std::array<buffer_request, N>& req) {
  memory_plan<N> plan{};
  std::array<std::size_t, N> order{};
  std::array<bool, N> placed{};
  const plan_totals totals = plan_memory_into(N, req, plan.offset, order, placed);
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
