// qfence/kernels/resize_bilinear-inl.hpp: RESIZE_BILINEAR on TFLite's float
// path (float32, and legacy uint8, which adds 0.5 and truncates) with
// Highway, per target (re-included through kernels/dispatch.hpp).
//
// Bit for bit reference::resize_bilinear: each output pixel takes its source
// coordinates and weights from the same code (reference::detail::
// interpolation_values), and each channel computes
//   a00 * (1 - dy) * (1 - dx) + a10 * dy * (1 - dx) + a01 * (1 - dy) * dx
//     + a11 * dy * dx + rounding
// in that order, a multiply and an add at a time (never fused, see
// core/exact_float.hpp). The lanes are the pixel's channels; the weights are
// one broadcast per pixel. uint8 converts the sum toward zero, as the
// reference's static_cast does.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/resize.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_RESIZE_BILINEAR_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_RESIZE_BILINEAR_INL_HPP_
#undef QFENCE_KERNELS_RESIZE_BILINEAR_INL_HPP_
#else
#define QFENCE_KERNELS_RESIZE_BILINEAR_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace resize_detail {

/// `valid` channels from `p` as floats (the rest 0).
template <class DF, class T>
HWY_INLINE hn::Vec<DF> LoadChannelsAsFloat(DF df, const T* p, int valid) {
  if constexpr (std::is_same_v<T, float>) {
    return LoadFirstLanes(df, p, valid);
  } else {
    const hn::Rebind<std::int32_t, DF> di;
    const hn::Rebind<T, DF> d8;
    return hn::ConvertTo(df, hn::PromoteTo(di, LoadFirstLanes(d8, p, valid)));
  }
}

/// `v` stored as T to the first `valid` channels at `out` (uint8: truncated
/// toward zero; the sum lies in [0, 255.5]).
template <class DF, class T>
HWY_INLINE void StoreChannels(DF df, hn::Vec<DF> v, int valid, T* out) {
  if constexpr (std::is_same_v<T, float>) {
    StoreFirstLanes(df, v, valid, out);
  } else {
    const hn::Rebind<std::int32_t, DF> di;
    const hn::Rebind<T, DF> d8;
    StoreFirstLanes(d8, hn::DemoteTo(d8, hn::ConvertTo(di, v)), valid, out);
  }
}

}  // namespace resize_detail

/// RESIZE_BILINEAR, TFLite's float path, T = float or std::uint8_t.
template <class T>
HWY_NOINLINE void ResizeBilinearFloat(const resize_geometry& g, const T* in, T* out) {
  using namespace resize_detail;
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const int n = static_cast<int>(hn::Lanes(df)), channels = g.channels;
  const float height_scale = reference::detail::resize_scale(g.in_h, g.out_h, g.align_corners);
  const float width_scale = reference::detail::resize_scale(g.in_w, g.out_w, g.align_corners);
  const V rounding = hn::Set(df, std::is_same_v<T, float> ? 0.0f : 0.5f);
  const auto pixel = [&](int b, int y, int x) {
    return in + ((static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h) + static_cast<std::size_t>(y)) *
                     static_cast<std::size_t>(g.in_w) + static_cast<std::size_t>(x)) *
                    static_cast<std::size_t>(channels);
  };
  for (int b = 0; b < g.batches; ++b)
    for (int y = 0; y < g.out_h; ++y) {
      float iy;
      int y0, y1;
      reference::detail::interpolation_values(y, height_scale, g.half_pixel_centers, g.in_h, &iy, &y0, &y1);
      const float dy = iy - static_cast<float>(y0);
      const V wy = hn::Set(df, dy), wy1 = hn::Set(df, 1 - dy);
      for (int x = 0; x < g.out_w; ++x) {
        float ix;
        int x0, x1;
        reference::detail::interpolation_values(x, width_scale, g.half_pixel_centers, g.in_w, &ix, &x0, &x1);
        const float dx = ix - static_cast<float>(x0);
        const V wx = hn::Set(df, dx), wx1 = hn::Set(df, 1 - dx);
        const T *p00 = pixel(b, y0, x0), *p10 = pixel(b, y1, x0), *p01 = pixel(b, y0, x1), *p11 = pixel(b, y1, x1);
        for (int c = 0; c < channels; c += n) {
          const int valid = channels - c < n ? channels - c : n;
          const V a00 = LoadChannelsAsFloat(df, p00 + c, valid), a10 = LoadChannelsAsFloat(df, p10 + c, valid);
          const V a01 = LoadChannelsAsFloat(df, p01 + c, valid), a11 = LoadChannelsAsFloat(df, p11 + c, valid);
          V sum = hn::Mul(hn::Mul(a00, wy1), wx1);
          sum = hn::Add(sum, hn::Mul(hn::Mul(a10, wy), wx1));
          sum = hn::Add(sum, hn::Mul(hn::Mul(a01, wy1), wx));
          sum = hn::Add(sum, hn::Mul(hn::Mul(a11, wy), wx));
          StoreChannels(df, hn::Add(sum, rounding), valid, out + c);
        }
        out += channels;
      }
    }
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
