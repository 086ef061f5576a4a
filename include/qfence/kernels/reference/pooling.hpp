// qfence/kernels/reference/pooling.hpp: reference kernel code of pooling
// (moved from ops/pooling.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/parameter.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// Each output element is `reduce` over the taps of its clipped window, in
/// row-major tap order.
template <class T, class Reduce, class Geometry>
inline void pool2d(const Geometry& geometry, const T* input, T* output, Reduce&& reduce) noexcept {
  const window_geometry& g = kernels::value_of(geometry);
  const std::size_t channels = static_cast<std::size_t>(g.in_c), row = static_cast<std::size_t>(g.in_w) * channels;
  for (const clipped_window& w : clipped_windows(g))
    for (std::size_t c = 0; c < channels; ++c)
      output[w.out + c] = reduce([&](auto&& visit) {
        for (int fy = 0; fy < w.rows; ++fy)
          for (int fx = 0; fx < w.cols; ++fx)
            visit(input[w.first + static_cast<std::size_t>(fy) * row + static_cast<std::size_t>(fx) * channels + c]);
      });
}

template <class Geometry>
inline void average_pool2d(const Geometry& geometry, const float* input, float_range act, float* output) noexcept {
  pool2d(geometry, input, output, [&](auto&& window) {
    float total = 0.0f;
    int count = 0;
    window([&](float v) { total += v; ++count; });
    return apply(act, total / static_cast<float>(count));
  });
}

/// L2_POOL_2D (float only): sqrt(sum of squares / count) over the clipped
/// window, in tap order, as TFLite's L2Pool.
template <class Geometry>
inline void l2_pool2d(const Geometry& geometry, const float* input, float_range act, float* output) noexcept {
  pool2d(geometry, input, output, [&](auto&& window) {
    float sum_squares = 0.0f;
    int count = 0;
    window([&](float v) { sum_squares += v * v; ++count; });
    return apply(act, std::sqrt(sum_squares / static_cast<float>(count)));
  });
}

/// Quantized average pooling (int8, int16; legacy uint8, where the sum is
/// never negative): an int32 sum rounded half away from zero by the count.
template <class T, class Geometry>
  requires(sizeof(T) <= 2)
inline void average_pool2d(const Geometry& geometry, const T* input, int_range act, T* output) noexcept {
  pool2d(geometry, input, output, [&](auto&& window) {
    std::int32_t acc = 0;
    int count = 0;
    window([&](T v) { acc += v; ++count; });
    // count > 0: SAME/VALID windows always overlap the input.
    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    return static_cast<T>(apply(act, acc));
  });
}

template <class T, class Range, class Geometry>
inline void max_pool2d(const Geometry& geometry, const T* input, Range act, T* output) noexcept {
  pool2d(geometry, input, output, [&](auto&& window) {
    T best = std::numeric_limits<T>::lowest();
    window([&](T v) { best = std::max(best, v); });
    if constexpr (std::is_same_v<T, float>) {
      return apply(act, best);
    } else {
      return static_cast<T>(apply(act, static_cast<std::int32_t>(best)));
    }
  });
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
