// qfence/kernels/reference/cumsum.hpp: CUMSUM, running sums along an axis,
// inclusive or exclusive, forward or reversed (TFLM's cumsum.cc and
// TFLite's reference CumSum). Integers wrap. int8 (TFLM only) rescales as
// ADD_N does (add_n_params) and, as there, starts each running sum from the
// rescaled input offset rather than 0.
#pragma once

#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/reference/add_n.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// A shape seen as [before, depth, after] around the summed axis.
struct cumsum_geometry {
  std::int64_t before = 1, depth = 1, after = 1;
  bool exclusive = false, reverse = false;
};

constexpr cumsum_geometry make_cumsum_geometry(const int* dims, int rank, int axis, bool exclusive,
                                               bool reverse) noexcept {
  cumsum_geometry g;
  if (axis < 0) axis += rank;
  for (int d = 0; d < rank; ++d) (d < axis ? g.before : d > axis ? g.after : g.depth) *= dims[d];
  g.exclusive = exclusive;
  g.reverse = reverse;
  return g;
}

namespace reference {

/// Calls f(index) for each element of each running sum, in summing order,
/// after start() for each sum.
template <class Start, class Step>
constexpr void each_running_sum(const cumsum_geometry& g, Start&& start, Step&& step) {
  for (std::int64_t b = 0; b < g.before; ++b)
    for (std::int64_t a = 0; a < g.after; ++a) {
      start();
      for (std::int64_t k = 0; k < g.depth; ++k) {
        const std::int64_t at = g.reverse ? g.depth - 1 - k : k;
        step((b * g.depth + at) * g.after + a);
      }
    }
}

template <class T>
  requires(std::is_same_v<T, float> || std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>)
inline void cumsum(const cumsum_geometry& g, const T* in, T* out) noexcept {
  T acc = 0;
  const auto add = [](T x, T y) {
    if constexpr (std::is_floating_point_v<T>) return x + y;
    else return static_cast<T>(static_cast<std::make_unsigned_t<T>>(x) + static_cast<std::make_unsigned_t<T>>(y));
  };
  each_running_sum(g, [&] { acc = 0; }, [&](std::int64_t i) {
    if (g.exclusive) {
      out[i] = acc;
      acc = add(acc, in[i]);
    } else {
      acc = add(acc, in[i]);
      out[i] = acc;
    }
  });
}

inline void cumsum(const cumsum_geometry& g, const std::int8_t* in, const add_n_params& p, std::int8_t* out) noexcept {
  const auto rescaled = [&](std::int32_t v) {
    return static_cast<std::uint32_t>(multiply_by_quantized_multiplier(v * (1 << add_n_left_shift), p.input));
  };
  std::uint32_t acc = 0;  // int32 arithmetic that wraps, spelt in unsigned
  each_running_sum(g, [&] { acc = rescaled(p.input_offset); }, [&](std::int64_t i) {
    const std::uint32_t before = acc;
    acc += rescaled(p.input_offset + in[i]);
    const auto sum = static_cast<std::int32_t>(g.exclusive ? before : acc);
    out[i] = saturate_cast<std::int8_t>(multiply_by_quantized_multiplier(sum, p.output) + p.output_offset);
  });
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
