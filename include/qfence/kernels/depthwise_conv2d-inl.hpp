// qfence/kernels/depthwise_conv2d-inl.hpp: int8 DEPTHWISE_CONV_2D (depth
// multiplier 1) with Highway, per target (re-included through
// kernels/dispatch.hpp).
//
// Channels run along the lanes: for each output pixel and each vector of
// channels, the taps' input bytes are widened to int16 and multiplied by the
// taps' int16 weights two taps at a time (|x * w| <= 128 * 127, so a pair of
// products fits int16), and each pair is widened into the int32
// accumulators. Padding taps read the pad row (the input zero point), and the
// bias holds -zero_point * sum(weights) (kernels/packed_conv.hpp), so the
// accumulator is TFLite's sum(w * (x - zero_point)) over the in-bounds taps.
// The epilogue is the convolution's (requantize-inl.hpp).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/requantize-inl.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_
#undef QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_
#else
#define QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace depthwise_detail {

/// Taps whose row pointers are gathered at once (larger kernels go in
/// chunks).
inline constexpr int kTapChunk = 32;

/// Requantizes, clamps and stores one vector of int32 accumulators for the
/// channels from c (`valid` of them are real).
template <class D>
HWY_INLINE void store(D d, hn::Vec<D> acc, const depthwise_int8_args& a, std::size_t padded, int c, int valid,
                      std::int8_t* out) {
  const hn::Rebind<std::int8_t, D> d8;
  const std::int32_t* ep = a.epilogue + c;
  const auto v = hn::Add(MultiplyByQuantizedMultiplier(d, acc, hn::LoadU(d, ep + padded), hn::LoadU(d, ep + 2 * padded),
                                                       hn::LoadU(d, ep + 3 * padded), hn::LoadU(d, ep + 4 * padded)),
                         hn::Set(d, a.output_zero_point));
  const auto narrow = hn::DemoteTo(d8, hn::Min(hn::Max(v, hn::Set(d, a.act.min)), hn::Set(d, a.act.max)));
  if (valid >= static_cast<int>(hn::Lanes(d))) {
    hn::StoreU(narrow, d8, out + c);
  } else {
    alignas(64) std::int8_t tail[64];
    hn::StoreU(narrow, d8, tail);
    std::memcpy(out + c, tail, static_cast<std::size_t>(valid));
  }
}

/// acc += the taps' products for the D16 lanes of channels from c, where
/// rows[t] + c holds them (D16 has 1 or 2 times the int32 lanes of D).
template <class D, class D16>
HWY_INLINE void accumulate(D d, D16 d16, const std::int8_t* const* rows, int taps, const std::int16_t* w,
                           std::size_t padded, std::size_t c, hn::Vec<D>& lo, hn::Vec<D>& hi) {
  const hn::Rebind<std::int8_t, D16> d8;
  int t = 0;
  const auto widen_into = [&](hn::Vec<D16> p) HWY_ATTR {
    if constexpr (hn::MaxLanes(D16()) == 2 * hn::MaxLanes(D())) {
#if HWY_TARGET != HWY_SCALAR
      const hn::Half<D16> dh;
      lo = hn::Add(lo, hn::PromoteTo(d, hn::LowerHalf(dh, p)));
      hi = hn::Add(hi, hn::PromoteTo(d, hn::UpperHalf(dh, p)));
#endif
    } else {
      (void)hi;
      lo = hn::Add(lo, hn::PromoteTo(d, p));
    }
  };
  for (; t + 2 <= taps; t += 2) {
    const auto p0 = hn::Mul(hn::PromoteTo(d16, hn::LoadU(d8, rows[t] + c)),
                            hn::LoadU(d16, w + static_cast<std::size_t>(t) * padded + c));
    const auto p1 = hn::Mul(hn::PromoteTo(d16, hn::LoadU(d8, rows[t + 1] + c)),
                            hn::LoadU(d16, w + static_cast<std::size_t>(t + 1) * padded + c));
    widen_into(hn::Add(p0, p1));
  }
  if (t < taps)
    widen_into(hn::Mul(hn::PromoteTo(d16, hn::LoadU(d8, rows[t] + c)),
                       hn::LoadU(d16, w + static_cast<std::size_t>(t) * padded + c)));
}

}  // namespace depthwise_detail

/// int8 depthwise convolution, depth multiplier 1 (see the file comment).
template <class Geometry>
HWY_NOINLINE void DepthwiseConv2DInt8(const Geometry& geometry, const depthwise_int8_args& a) {
  using namespace depthwise_detail;
  const window_geometry& g = value_of(geometry);
  const hn::ScalableTag<std::int32_t> d;
  const int n = static_cast<int>(hn::Lanes(d));
  const int channels = g.in_c;
  const std::size_t padded = static_cast<std::size_t>(round_up(channels, channel_tile));
  const int taps = g.filter_h * g.filter_w;
#if HWY_TARGET == HWY_SCALAR
  const hn::Simd<std::int16_t, 1, 0> d16;
  const hn::Simd<std::int16_t, 1, 0> d16_wide;
#else
  const hn::Repartition<std::int16_t, decltype(d)> d16_wide;  // 2n lanes
  const hn::Rebind<std::int16_t, decltype(d)> d16;            // n lanes
#endif
  const int wide = static_cast<int>(hn::Lanes(d16_wide));
  const std::int8_t* rows[kTapChunk];
  // Where each tap of a window reads, relative to the window's origin, for
  // windows entirely inside the input (most of them): no bounds tests.
  std::ptrdiff_t tap_offset[kTapChunk];
  const bool one_chunk = taps <= kTapChunk;
  for (int t = 0; t < taps && t < kTapChunk; ++t)
    tap_offset[t] = (static_cast<std::ptrdiff_t>(t / g.filter_w * g.dilation_h) * g.in_w + t % g.filter_w * g.dilation_w) *
                    channels;
  const int reach_y = (g.filter_h - 1) * g.dilation_h, reach_x = (g.filter_w - 1) * g.dilation_w;
  for (int b = 0; b < g.batches; ++b) {
    const std::int8_t* batch_in = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) *
                                                static_cast<std::size_t>(channels);
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        std::int8_t* out = a.output + ((static_cast<std::size_t>(b) * static_cast<std::size_t>(g.out_h) +
                                        static_cast<std::size_t>(oy)) * static_cast<std::size_t>(g.out_w) +
                                       static_cast<std::size_t>(ox)) * static_cast<std::size_t>(channels);
        const int y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
        const bool inside = one_chunk && y0 >= 0 && y0 + reach_y < g.in_h && x0 >= 0 && x0 + reach_x < g.in_w;
        if (inside) {
          const std::int8_t* origin =
              batch_in + (static_cast<std::size_t>(y0) * static_cast<std::size_t>(g.in_w) + static_cast<std::size_t>(x0)) *
                             static_cast<std::size_t>(channels);
          for (int t = 0; t < taps; ++t) rows[t] = origin + tap_offset[t];
        }
        for (int c0 = 0; c0 < channels; c0 += wide) {  // blocks of up to 2n channels
          const int valid = channels - c0;
          auto lo = hn::LoadU(d, a.epilogue + c0);
          auto hi = hn::Zero(d);
          if (valid > n) hi = hn::LoadU(d, a.epilogue + c0 + n);
          for (int t0 = 0; t0 < taps; t0 += kTapChunk) {
            const int count = taps - t0 < kTapChunk ? taps - t0 : kTapChunk;
            for (int t = 0; t < count && !inside; ++t) {
              const int tap = t0 + t;
              const int iy = y0 + tap / g.filter_w * g.dilation_h, ix = x0 + tap % g.filter_w * g.dilation_w;
              rows[t] = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w
                            ? batch_in + (static_cast<std::size_t>(iy) * static_cast<std::size_t>(g.in_w) +
                                          static_cast<std::size_t>(ix)) * static_cast<std::size_t>(channels)
                            : a.pad_row;
            }
            const std::int16_t* w = a.weights + static_cast<std::size_t>(t0) * padded;
            if (valid >= wide) {
              accumulate(d, d16_wide, rows, count, w, padded, static_cast<std::size_t>(c0), lo, hi);
            } else if (valid >= n) {  // one vector of channels, then maybe a partial one
              accumulate(d, d16, rows, count, w, padded, static_cast<std::size_t>(c0), lo, hi);
              if (valid > n) {
                // The last channels of a row: copied, so no load passes its end.
                alignas(64) std::int8_t tails[kTapChunk][64] = {};
                const std::int8_t* tail_rows[kTapChunk];
                for (int t = 0; t < count; ++t) {
                  std::memcpy(tails[t], rows[t] + c0 + n, static_cast<std::size_t>(valid - n));
                  tail_rows[t] = tails[t];
                }
                accumulate(d, d16, tail_rows, count, w + c0 + n, padded, 0, hi, hi);
              }
            } else {
              alignas(64) std::int8_t tails[kTapChunk][64] = {};
              const std::int8_t* tail_rows[kTapChunk];
              for (int t = 0; t < count; ++t) {
                std::memcpy(tails[t], rows[t] + c0, static_cast<std::size_t>(valid));
                tail_rows[t] = tails[t];
              }
              accumulate(d, d16, tail_rows, count, w + c0, padded, 0, lo, lo);
            }
          }
          store(d, lo, a, padded, c0, valid, out);
          if (valid > n) store(d, hi, a, padded, c0 + n, valid - n, out);
        }
      }
  }
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
