// qfence/kernels/reference/pooling.hpp: reference kernel code of pooling
// (moved from ops/pooling.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/parameter.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

template <class T, class Reduce, class Geometry>
inline void pool2d(const Geometry& geometry, const T* input, T* output, Reduce&& reduce) noexcept {
  const window_geometry& g = kernels::value_of(geometry);
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < g.in_c; ++c) {
          const int in_x0 = ox * g.stride_w - g.pad_w;
          const int in_y0 = oy * g.stride_h - g.pad_h;
          const int fx_start = std::max(0, -in_x0);
          const int fx_end = std::min(g.filter_w, g.in_w - in_x0);
          const int fy_start = std::max(0, -in_y0);
          const int fy_end = std::min(g.filter_h, g.in_h - in_y0);
          output[((b * g.out_h + oy) * g.out_w + ox) * g.in_c + c] = reduce([&](auto&& visit) {
            for (int fy = fy_start; fy < fy_end; ++fy)
              for (int fx = fx_start; fx < fx_end; ++fx)
                visit(input[((b * g.in_h + in_y0 + fy) * g.in_w + in_x0 + fx) * g.in_c + c]);
          });
        }
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

/// 8-bit average pooling (int8; legacy uint8, where the sum is never negative).
template <class T, class Geometry>
  requires(sizeof(T) == 1)
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
