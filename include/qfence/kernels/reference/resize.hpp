// qfence/kernels/reference/resize.hpp: reference kernel code of resize
// (moved from ops/resize.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct resize_geometry {
  int batches, in_h, in_w, channels, out_h, out_w;
  bool align_corners, half_pixel_centers;
};


/// How a resize maps output pixels to input coordinates (TFLite's options).
enum class resize_mode : std::uint8_t { plain, align_corners, half_pixel_centers };

namespace reference {

namespace detail {
/// TFLite ComputeInterpolationValues (float source coordinate and its two
/// neighbours).
inline void interpolation_values(int value, float scale, bool half_pixel_centers, int input_size, float* scaled,
                                 int* lower, int* upper) noexcept {
  *scaled = half_pixel_centers ? (static_cast<float>(value) + 0.5f) * scale - 0.5f : static_cast<float>(value) * scale;
  *lower = std::max(static_cast<int>(std::floor(*scaled)), 0);
  *upper = std::min(static_cast<int>(std::ceil(*scaled)), input_size - 1);
}

/// The same in 10-bit fixed point (ComputeInterpolationValuesInteger).
inline void interpolation_values_10(int value, std::int32_t scale_10, bool half_pixel_centers, int input_size,
                                    std::int32_t* scaled, int* lower, int* upper) noexcept {
  *scaled = half_pixel_centers ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  *lower = std::max(*scaled / (1 << 10), 0);
  *upper = std::min((*scaled + (1 << 10) - 1) / (1 << 10), input_size - 1);
}

inline float resize_scale(int in, int out, bool align_corners) noexcept {
  return (align_corners && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                    : static_cast<float>(in) / static_cast<float>(out);
}

/// The same ratio in 10-bit fixed point, rounded (ResizeBilinearInteger).
inline std::int32_t resize_scale_10(int in, int out, bool align_corners) noexcept {
  if (align_corners && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  return ((1 << 10) * in + out / 2) / out;
}
}  // namespace detail

/// Float arithmetic (TFLite's ResizeBilinear template: float32, and the
/// legacy uint8 path, which adds 0.5 and truncates).
template <class T>
inline void resize_bilinear(const resize_geometry& g, const T* in, T* out) noexcept {
  const float height_scale = detail::resize_scale(g.in_h, g.out_h, g.align_corners);
  const float width_scale = detail::resize_scale(g.in_w, g.out_w, g.align_corners);
  const float rounding = std::numeric_limits<T>::is_integer ? 0.5f : 0.0f;
  auto at = [&](int b, int y, int x, int c) { return static_cast<float>(in[((b * g.in_h + y) * g.in_w + x) * g.channels + c]); };
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y) {
      float iy;
      int y0, y1;
      detail::interpolation_values(y, height_scale, g.half_pixel_centers, g.in_h, &iy, &y0, &y1);
      for (int x = 0; x < g.out_w; ++x) {
        float ix;
        int x0, x1;
        detail::interpolation_values(x, width_scale, g.half_pixel_centers, g.in_w, &ix, &x0, &x1);
        const float dy = iy - static_cast<float>(y0), dx = ix - static_cast<float>(x0);
        for (int c = 0; c < g.channels; ++c) {
          *out++ = static_cast<T>(at(b, y0, x0, c) * (1 - dy) * (1 - dx) + at(b, y1, x0, c) * dy * (1 - dx) +
                                  at(b, y0, x1, c) * (1 - dy) * dx + at(b, y1, x1, c) * dy * dx + rounding);
        }
      }
    }
}

/// Integer arithmetic with 10-bit source coordinates (TFLite's
/// ResizeBilinearInteger: int8, int16).
template <class T>
inline void resize_bilinear_integer(const resize_geometry& g, const T* in, T* out) noexcept {
  const std::int32_t height_scale_10 = detail::resize_scale_10(g.in_h, g.out_h, g.align_corners);
  const std::int32_t width_scale_10 = detail::resize_scale_10(g.in_w, g.out_w, g.align_corners);
  auto at = [&](int b, int y, int x, int c) {
    return static_cast<std::int64_t>(in[((b * g.in_h + y) * g.in_w + x) * g.channels + c]);
  };
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y) {
      std::int32_t iy;
      int y0, y1;
      detail::interpolation_values_10(y, height_scale_10, g.half_pixel_centers, g.in_h, &iy, &y0, &y1);
      for (int x = 0; x < g.out_w; ++x) {
        std::int32_t ix;
        int x0, x1;
        detail::interpolation_values_10(x, width_scale_10, g.half_pixel_centers, g.in_w, &ix, &x0, &x1);
        const std::int64_t fy = iy - (1 << 10) * y0, fx = ix - (1 << 10) * x0;
        for (int c = 0; c < g.channels; ++c) {
          const std::int64_t sum = at(b, y0, x0, c) * ((1 << 10) - fy) * ((1 << 10) - fx) +
                                   at(b, y1, x0, c) * fy * ((1 << 10) - fx) + at(b, y0, x1, c) * ((1 << 10) - fy) * fx +
                                   at(b, y1, x1, c) * fy * fx;
          // Round half away from zero, then divide (TFLite's default double rounding).
          const std::int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
          *out++ = static_cast<T>((sum + round) / (1 << 20));
        }
      }
    }
}

/// TFLite GetNearestNeighbor.
inline int nearest_neighbor(int out_index, int in_size, int out_size, bool align_corners,
                            bool half_pixel_centers) noexcept {
  const float scale = detail::resize_scale(in_size, out_size, align_corners);
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float src = (static_cast<float>(out_index) + offset) * scale;
  int v = std::min(align_corners ? static_cast<int>(std::round(src)) : static_cast<int>(std::floor(src)), in_size - 1);
  if (half_pixel_centers) v = std::max(0, v);
  return v;
}

inline void resize_nearest_neighbor(const resize_geometry& g, const void* input, std::size_t element_bytes,
                                    void* output) noexcept {
  const auto* in = static_cast<const unsigned char*>(input);
  auto* out = static_cast<unsigned char*>(output);
  const std::size_t pixel = element_bytes * static_cast<std::size_t>(g.channels);
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y) {
      const int iy = nearest_neighbor(y, g.in_h, g.out_h, g.align_corners, g.half_pixel_centers);
      for (int x = 0; x < g.out_w; ++x) {
        const int ix = nearest_neighbor(x, g.in_w, g.out_w, g.align_corners, g.half_pixel_centers);
        std::memcpy(out, in + static_cast<std::size_t>((b * g.in_h + iy) * g.in_w + ix) * pixel, pixel);
        out += pixel;
      }
    }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
