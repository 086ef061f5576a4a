// qfence/kernels/resize_bilinear-inl.hpp: RESIZE_BILINEAR with Highway, per
// target (re-included through kernels/dispatch.hpp): TFLite's float path
// (float32, and legacy uint8, which adds 0.5 and truncates) and its integer
// path (int8, 10-bit fixed-point coordinates).
//
// Both run an output row as one contiguous stretch of out_w * channels lanes,
// whatever the channel count (DeepLab's 21 classes filled 21 of 32 lanes when
// the lanes were one pixel's channels). What varies along a row, the source
// columns x0/x1 and the weight dx, is laid out per lane once:
//   - an input row is "expanded" into scratch: for each output column x, the
//     channels of input pixel x0(x) (and x1(x)) side by side, so that lane
//     j of the expansion lines up with lane j of the output row. Many output
//     rows read the same input row (DeepLab: 33 -> 513, each input row about
//     15 times), so a cache of two expanded rows is filled once per input row;
//   - the float path also lays dx out per lane, once per call (1 - dx is
//     the same float subtraction in a lane as in the reference's scalar).
//
// Bit for bit the reference kernels (kernels/reference/resize.hpp):
//   - float path: each lane computes
//       a00 * (1 - dy) * (1 - dx) + a10 * dy * (1 - dx) + a01 * (1 - dy) * dx
//         + a11 * dy * dx + rounding
//     in that order, a multiply and an add at a time (never fused, see
//     core/exact_float.hpp), from the same coordinates and weights
//     (reference::detail::interpolation_values);
//   - integer path: the reference's int64 sum
//       a00 (1024 - fy)(1024 - fx) + a10 fy (1024 - fx) + a01 (1024 - fy) fx
//         + a11 fy fx
//     is an exact integer, so it may be regrouped as
//       (1024 - fy) h0 + fy h1,   h = a0 (1024 - fx) + a1 fx,
//     with h the expanded row (int32). For int8 every term fits in int32:
//     |a| <= 128 and each weight is in [-512, 1536] (fx < 0 at the left edge
//     with half-pixel centres), so |sum| <= 128 * 1536^2 < 2^31. Then the
//     reference's rounding: half away from zero, divided by 2^20 toward zero.
//     int16 would need int64 products and stays on the reference kernel.
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

/// The element at `p`'s first `valid` lanes as D's lane type (the rest 0).
template <class D, class T>
HWY_INLINE hn::Vec<D> LoadAs(D d, const T* p, int valid) {
  if constexpr (std::is_same_v<T, hn::TFromD<D>>) {
    return LoadFirstLanes(d, p, valid);
  } else if constexpr (std::is_floating_point_v<hn::TFromD<D>>) {
    const hn::Rebind<std::int32_t, D> di;
    return hn::ConvertTo(d, LoadFirstLanesWidened(di, p, valid));
  } else {
    return LoadFirstLanesWidened(d, p, valid);
  }
}

/// Which input row each of two scratch slots holds (-1: none yet), so that an
/// input row is expanded once while the output rows that read it run.
struct row_cache {
  std::ptrdiff_t holds[2] = {-1, -1};

  /// The slot holding input row `row` (batch-major), filling one with `fill`
  /// if neither holds it, never the slot that holds `keep` (the other row the
  /// current output row reads).
  template <class Fill>
  int slot_of(std::ptrdiff_t row, std::ptrdiff_t keep, Fill&& fill) {
    for (int s = 0; s < 2; ++s)
      if (holds[s] == row) return s;
    const int s = holds[0] == keep ? 1 : 0;
    fill(s, row);
    holds[s] = row;
    return s;
  }
};

/// Runs f(o, i0, i1, weight) for each output position o along one axis of
/// `in_size` input and `out_size` output positions: the source positions and
/// weight of TFLite's float (float weight) or integer (int32, in 1/1024)
/// path. Columns and rows step alike; only their sizes differ.
template <bool Integer, class F>
HWY_INLINE void ForEachAxisStep(const resize_geometry& g, int in_size, int out_size, F&& f) {
  if constexpr (Integer) {
    const std::int32_t scale_10 = reference::detail::resize_scale_10(in_size, out_size, g.align_corners);
    for (int o = 0; o < out_size; ++o) {
      std::int32_t at;
      int i0, i1;
      reference::detail::interpolation_values_10(o, scale_10, g.half_pixel_centers, in_size, &at, &i0, &i1);
      f(o, i0, i1, at - (1 << 10) * i0);
    }
  } else {
    const float scale = reference::detail::resize_scale(in_size, out_size, g.align_corners);
    for (int o = 0; o < out_size; ++o) {
      float at;
      int i0, i1;
      reference::detail::interpolation_values(o, scale, g.half_pixel_centers, in_size, &at, &i0, &i1);
      f(o, i0, i1, at - static_cast<float>(i0));
    }
  }
}

/// Runs f(x, x0, x1, weight) for each output column (ForEachAxisStep).
template <bool Integer, class F>
HWY_INLINE void ForEachColumn(const resize_geometry& g, F&& f) {
  ForEachAxisStep<Integer>(g, g.in_w, g.out_w, f);
}

/// Runs f(b, y, y0, y1, weight) for each output row of each batch.
template <bool Integer, class F>
HWY_INLINE void ForEachRow(const resize_geometry& g, F&& f) {
  for (int b = 0; b < g.batches; ++b)
    ForEachAxisStep<Integer>(g, g.in_h, g.out_h,
                             [&](int y, int y0, int y1, auto weight) { f(b, y, y0, y1, weight); });
}

/// Runs f(j, valid) over lanes [0, n) of a row in vectors of d, valid lanes
/// in each (the last vector may be partial).
template <class D, class F>
HWY_INLINE void ForEachVector(D d, std::size_t n, F&& f) {
  const std::size_t lanes = hn::Lanes(d);
  for (std::size_t j = 0; j < n; j += lanes) f(j, n - j < lanes ? static_cast<int>(n - j) : static_cast<int>(lanes));
}

/// Walks input row `r` (batch-major) as an output row reads it: for each
/// output column x and each vector of channels,
///   f(o, v0, v1, valid, weight)
/// with v0 and v1 the channels of input pixels x0(x) and x1(x) as D's lanes,
/// o their lane in the output row, valid the lanes a store there may write,
/// and ForEachColumn's weight. A pixel's last vector may spill into the next
/// pixel's lanes; the next pixel then writes over them, and only the row's
/// last store and the input's last load are cut to what exists.
template <bool Integer, class D, class T, class F>
HWY_INLINE void ForEachSourceVector(D d, const resize_geometry& g, const T* in, std::ptrdiff_t r, F&& f) {
  const std::size_t lanes = hn::Lanes(d), channels = static_cast<std::size_t>(g.channels);
  const std::size_t row = static_cast<std::size_t>(g.out_w) * channels, in_row = static_cast<std::size_t>(g.in_w) * channels;
  const std::size_t in_end = static_cast<std::size_t>(g.batches) * static_cast<std::size_t>(g.in_h) * in_row;
  const std::size_t from_row = static_cast<std::size_t>(r) * in_row;
  const auto cap = [&](std::size_t at, std::size_t end) {
    return static_cast<int>(end - at < lanes ? end - at : lanes);
  };
  ForEachColumn<Integer>(g, [&](int x, int x0, int x1, auto weight) {
    const std::size_t to = static_cast<std::size_t>(x) * channels;
    const std::size_t from0 = from_row + static_cast<std::size_t>(x0) * channels;
    const std::size_t from1 = from_row + static_cast<std::size_t>(x1) * channels;
    for (std::size_t c = 0; c < channels; c += lanes)
      f(to + c, LoadAs(d, in + from0 + c, cap(from0 + c, in_end)), LoadAs(d, in + from1 + c, cap(from1 + c, in_end)),
        cap(to + c, row), weight);
  });
}

/// Runs f(s0, s1, weight) for each output row: the cache slots holding its
/// input rows y0 and y1 (expand(slot, row) fills one) and ForEachRow's
/// weight.
template <bool Integer, class Expand, class F>
HWY_INLINE void ForEachCachedRow(const resize_geometry& g, Expand&& expand, F&& f) {
  row_cache cache;
  ForEachRow<Integer>(g, [&](int b, int, int y0, int y1, auto weight) {
    const std::ptrdiff_t r0 = static_cast<std::ptrdiff_t>(b) * g.in_h + y0;
    const std::ptrdiff_t r1 = static_cast<std::ptrdiff_t>(b) * g.in_h + y1;
    const int s0 = cache.slot_of(r0, r1, expand), s1 = cache.slot_of(r1, r0, expand);
    f(s0, s1, weight);
  });
}

}  // namespace resize_detail

/// RESIZE_BILINEAR, TFLite's float path, T = float or std::uint8_t. `scratch`
/// holds resize_bilinear_scratch_elements(g, dtype::f32) floats.
template <class T>
HWY_NOINLINE void ResizeBilinearFloat(const resize_geometry& g, const T* in, T* out, float* scratch) {
  using namespace resize_detail;
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const int channels = g.channels;
  const std::size_t row = static_cast<std::size_t>(g.out_w) * static_cast<std::size_t>(channels);
  // Scratch: dx per lane, then two slots of [x0 expansion, x1 expansion].
  float* const wx = scratch;
  float* const slots = wx + row;
  ForEachColumn<false>(g, [&](int x, int, int, float dx) {
    for (int c = 0; c < channels; ++c)
      wx[static_cast<std::size_t>(x) * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = dx;
  });
  const auto expand = [&](int s, std::ptrdiff_t r) {
    float* e0 = slots + static_cast<std::size_t>(2 * s) * row;
    float* e1 = e0 + row;
    ForEachSourceVector<false>(df, g, in, r, [&](std::size_t o, V v0, V v1, int valid, float) {
      StoreFirstLanes(df, v0, valid, e0 + o);
      StoreFirstLanes(df, v1, valid, e1 + o);
    });
  };
  const V rounding = hn::Set(df, std::is_same_v<T, float> ? 0.0f : 0.5f), one = hn::Set(df, 1.0f);
  const hn::Rebind<std::int32_t, decltype(df)> di;
  ForEachCachedRow<false>(g, expand, [&](int s0, int s1, float dy) {
    const float* a00 = slots + static_cast<std::size_t>(2 * s0) * row;
    const float* a01 = a00 + row;
    const float* a10 = slots + static_cast<std::size_t>(2 * s1) * row;
    const float* a11 = a10 + row;
    const V wy = hn::Set(df, dy), wy1 = hn::Set(df, 1 - dy);
    ForEachVector(df, row, [&](std::size_t j, int valid) {
      const auto at = [&](const float* p) { return LoadFirstLanes(df, p + j, valid); };
      const V vx = at(wx), vx1 = hn::Sub(one, vx);
      V sum = hn::Mul(hn::Mul(at(a00), wy1), vx1);
      sum = hn::Add(sum, hn::Mul(hn::Mul(at(a10), wy), vx1));
      sum = hn::Add(sum, hn::Mul(hn::Mul(at(a01), wy1), vx));
      sum = hn::Add(sum, hn::Mul(hn::Mul(at(a11), wy), vx));
      sum = hn::Add(sum, rounding);
      if constexpr (std::is_same_v<T, float>) {
        StoreFirstLanes(df, sum, valid, out + j);
      } else {  // uint8: toward zero, as the reference's static_cast (the sum lies in [0, 255.5])
        const hn::Rebind<T, decltype(df)> d8;
        StoreFirstLanes(d8, hn::DemoteTo(d8, hn::ConvertTo(di, sum)), valid, out + j);
      }
    });
    out += row;
  });
}

/// RESIZE_BILINEAR, TFLite's integer path, int8. `scratch` holds
/// resize_bilinear_scratch_elements(g, dtype::i8) int32s. (inline: a
/// function that is not a template, in a header every translation unit of a
/// program may include.)
HWY_NOINLINE inline void ResizeBilinearInt8(const resize_geometry& g, const std::int8_t* in, std::int8_t* out,
                                            std::int32_t* scratch) {
  using namespace resize_detail;
  const hn::ScalableTag<std::int32_t> di;
  using V = hn::Vec<decltype(di)>;
  const std::size_t row = static_cast<std::size_t>(g.out_w) * static_cast<std::size_t>(g.channels);
  // An input row expanded and interpolated along x: h = a0 (1024 - fx) + a1 fx.
  const auto expand = [&](int s, std::ptrdiff_t r) {
    std::int32_t* h = scratch + static_cast<std::size_t>(s) * row;
    ForEachSourceVector<true>(di, g, in, r, [&](std::size_t o, V a0, V a1, int valid, std::int32_t fx) {
      StoreFirstLanes(di, hn::Add(hn::Mul(a0, hn::Set(di, (1 << 10) - fx)), hn::Mul(a1, hn::Set(di, fx))), valid, h + o);
    });
  };
  const V half = hn::Set(di, 1 << 19);
  const hn::Rebind<std::int8_t, decltype(di)> d8;
  ForEachCachedRow<true>(g, expand, [&](int s0, int s1, std::int32_t fy) {
    const std::int32_t* h0 = scratch + static_cast<std::size_t>(s0) * row;
    const std::int32_t* h1 = scratch + static_cast<std::size_t>(s1) * row;
    const V w0 = hn::Set(di, (1 << 10) - fy), w1 = hn::Set(di, fy);
    ForEachVector(di, row, [&](std::size_t j, int valid) {
      const V sum = hn::Add(hn::Mul(LoadFirstLanes(di, h0 + j, valid), w0), hn::Mul(LoadFirstLanes(di, h1 + j, valid), w1));
      // Half away from zero, then toward zero: the magnitude rounds, the sign follows.
      const V magnitude = hn::ShiftRight<20>(hn::Add(hn::Abs(sum), half));
      const V rounded = hn::IfThenElse(hn::Lt(sum, hn::Zero(di)), hn::Neg(magnitude), magnitude);
      StoreFirstLanes(d8, hn::DemoteTo(d8, rounded), valid, out + j);
    });
    out += row;
  });
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
