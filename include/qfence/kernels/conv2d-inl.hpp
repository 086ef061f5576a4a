// qfence/kernels/conv2d-inl.hpp: int8 CONV_2D (and FULLY_CONNECTED) with
// Highway, per target (re-included through kernels/dispatch.hpp).
//
// A register tile of Pixels output pixels x Vectors vectors of output
// channels accumulates, for every tap and every 4 input channels, one
// broadcast of each pixel's 4 input bytes (signed, straight from memory)
// times one vector of weights + 128 (16 channels x 4 bytes on AVX-512):
// DotBytes, i.e. vpdpbusd. The +128 comes back out through each pixel's
// window sum, the zero point through the bias (kernels/packed_conv.hpp);
// padding taps read the pad row, so no tap is skipped and the inner loops
// have no border cases. The epilogue requantizes per channel exactly as
// TFLite (requantize-inl.hpp), adds the output zero point, clamps and
// narrows to int8.
//
// Geometry comes as a kernel parameter: kernels::fixed<g> on the compile-time
// path (every bound below a constant of the layer), a window_geometry on the
// runtime path. The arithmetic is the reference's, bit for bit, on every
// target; the tests compare them over random layers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/dot_product-inl.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/requantize-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_CONV2D_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_CONV2D_INL_HPP_
#undef QFENCE_KERNELS_CONV2D_INL_HPP_
#else
#define QFENCE_KERNELS_CONV2D_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace conv_detail {

/// The input row of tap (dy, dx) of the window at (y0, x0), or the pad row.
inline const std::int8_t* tap_row(const window_geometry& g, const conv2d_int8_args& a, const std::int8_t* batch_input,
                                  int y, int x) noexcept {
  if (y < 0 || y >= g.in_h || x < 0 || x >= g.in_w) return a.pad_row;
  return batch_input + (static_cast<std::size_t>(y) * static_cast<std::size_t>(g.in_w) + static_cast<std::size_t>(x)) *
                           static_cast<std::size_t>(g.in_c);
}

/// The sum of `n` signed bytes.
inline std::int32_t row_sum(const std::int8_t* row, int n) noexcept {
#if HWY_TARGET == HWY_SCALAR
  std::int32_t s = 0;
  for (int c = 0; c < n; ++c) s += row[c];
  return s;
#else
  // 4 bytes per int32 lane times ones: the dot product the kernel uses.
  const hn::ScalableTag<std::int32_t> d;
  const hn::Repartition<std::int8_t, decltype(d)> d8;
  const hn::Repartition<std::uint8_t, decltype(d)> du8;
  const int bytes = static_cast<int>(hn::Lanes(d8));
  const auto ones = hn::BitCast(d, hn::Set(du8, 1));
  auto acc = hn::Zero(d);
  int c = 0;
  if (n < 16) {  // a few channels (e.g. RGB): not worth a vector
    std::int32_t s = 0;
    for (int i = 0; i < n; ++i) s += row[i];
    return s;
  }
  for (; c + bytes <= n; c += bytes) acc = DotBytes(d, acc, ones, hn::BitCast(d, hn::LoadU(d8, row + c)));
  if (c < n) {
    alignas(64) std::int8_t tail[64] = {};
    std::memcpy(tail, row + c, static_cast<std::size_t>(n - c));
    acc = DotBytes(d, acc, ones, hn::BitCast(d, hn::LoadU(d8, tail)));
  }
  return hn::GetLane(hn::SumOfLanes(d, acc));
#endif
}

/// The sum of a pixel's window, padding taps included (int32, wrapping as the
/// accumulator does).
inline std::uint32_t window_sum(const window_geometry& g, const conv2d_int8_args& a, const std::int8_t* batch_input,
                                int y0, int x0) noexcept {
  std::uint32_t sum = 0;
  for (int fy = 0; fy < g.filter_h; ++fy)
    for (int fx = 0; fx < g.filter_w; ++fx)
      sum += static_cast<std::uint32_t>(
          row_sum(tap_row(g, a, batch_input, y0 + fy * g.dilation_h, x0 + fx * g.dilation_w), g.in_c));
  return sum;
}

#if HWY_TARGET != HWY_SCALAR

inline constexpr int kVectors = 4;
/// Registers for accumulators: 24 of AVX-512's 32 (beside the weight vectors
/// and a broadcast), 12 of 16 elsewhere.
inline constexpr int kAccumulators = HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3 ? 12 : 24;
/// Pixels per tile for a tile of `vectors` vectors of channels.
constexpr int pixels_for(int vectors) noexcept {
  return kAccumulators / vectors > 12 ? 12 : kAccumulators / vectors;
}
inline constexpr int kMaxPixels = 12;

/// Where the pixels of a tile read their windows.
struct tile_pixels {
  const std::int8_t* batch_input;
  int y0[kMaxPixels], x0[kMaxPixels];
  std::int32_t start[kMaxPixels];  // -128 * window sum
  std::int8_t* out[kMaxPixels];
  int count;
};

inline std::int32_t load_word(const std::int8_t* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// The epilogue of one vector of channels for the tile's pixels: requantize,
/// add the output zero point, clamp, narrow, store (partially for the last
/// channels).
template <int V, int Pixels, class D, class Acc>
HWY_INLINE void finish(D d, const Acc& acc, const tile_pixels& px, const conv2d_int8_args& a, int padded_out_c,
                       int out_c, int oc) {
  const hn::Rebind<std::int8_t, D> d8;
  const int n = static_cast<int>(hn::Lanes(d));
  const std::int32_t* ep = a.epilogue + oc;
  const std::size_t row = static_cast<std::size_t>(padded_out_c);
  const auto multiplier = hn::LoadU(d, ep + row * 1), left = hn::LoadU(d, ep + row * 2),
             right = hn::LoadU(d, ep + row * 3), mask = hn::LoadU(d, ep + row * 4);
  const auto zero_point = hn::Set(d, a.output_zero_point);
  const auto lo = hn::Set(d, a.act.min), hi = hn::Set(d, a.act.max);
  const int valid = out_c - oc;
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i) {
    // A guard rather than a break: Clang unrolls only loops without exits.
    if (i < px.count) {
      const auto v = hn::Add(MultiplyByQuantizedMultiplier(d, acc[i][V], multiplier, left, right, mask), zero_point);
      const auto narrow = hn::DemoteTo(d8, hn::Min(hn::Max(v, lo), hi));
      if (valid >= n) {
        hn::StoreU(narrow, d8, px.out[i] + oc);
      } else if (valid > 0) {
        alignas(64) std::int8_t tail[64];
        hn::StoreU(narrow, d8, tail);
        std::memcpy(px.out[i] + oc, tail, static_cast<std::size_t>(valid));
      }
    }
  }
}

/// acc[i][v] += w[v] . x[i] for the tile's pixels i and vectors v (unrolled,
/// so that the accumulators stay in registers).
template <int Vectors, int Pixels, class D, class V>
HWY_INLINE void accumulate(D d, V (&acc)[Pixels][Vectors], const std::uint8_t* const (&w)[Vectors], std::size_t at,
                           const std::int32_t (&words)[Pixels]) {
  const hn::Repartition<std::uint8_t, D> du8;
  V wv[Vectors];
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) wv[v] = hn::BitCast(d, hn::LoadU(du8, w[v] + at));
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i) {
    const V x = hn::Set(d, words[i]);
    QFENCE_UNROLL
    for (int v = 0; v < Vectors; ++v) acc[i][v] = DotBytes(d, acc[i][v], wv[v], x);
  }
}

/// One register tile: Pixels pixels of `px` by Vectors vectors of channels
/// from `oc`.
template <int Vectors, int Pixels, class D>
HWY_INLINE void tile(D d, const window_geometry& g, const conv2d_int8_args& a, const tile_pixels& px, int oc) {
  const int n = static_cast<int>(hn::Lanes(d));
  const conv_packing pk{g.out_c, g.filter_h * g.filter_w, g.in_c};
  const int groups = pk.padded_in_c() / 4, whole = g.in_c / 4;
  using V = hn::Vec<D>;
  V acc[Pixels][Vectors];
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) {
    const V bias = hn::LoadU(d, a.epilogue + oc + v * n);
    QFENCE_UNROLL
    for (int i = 0; i < Pixels; ++i) acc[i][v] = hn::Add(bias, hn::Set(d, px.start[i]));
  }
  // Vector v covers channels oc + v*n ..: column (oc + v*n) / 16, lanes at
  // byte (oc + v*n) % 16 * 4 of each 64-byte tile.
  const std::uint8_t* w[Vectors];
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) {
    const int c = oc + v * n;
    w[v] = a.weights + static_cast<std::size_t>(c / channel_tile) * pk.column_bytes() +
           static_cast<std::size_t>(c % channel_tile) * 4;
  }
  for (int fy = 0; fy < g.filter_h; ++fy)
    for (int fx = 0; fx < g.filter_w; ++fx) {
      const std::int8_t* src[Pixels];
      QFENCE_UNROLL
      for (int i = 0; i < Pixels; ++i)
        src[i] = i < px.count ? tap_row(g, a, px.batch_input, px.y0[i] + fy * g.dilation_h, px.x0[i] + fx * g.dilation_w)
                              : a.pad_row;
      const std::size_t tap = static_cast<std::size_t>(fy * g.filter_w + fx) * static_cast<std::size_t>(groups) * 64;
      for (int k = 0; k < whole; ++k) {
        std::int32_t words[Pixels];
        QFENCE_UNROLL
        for (int i = 0; i < Pixels; ++i) words[i] = load_word(src[i] + 4 * k);
        accumulate<Vectors, Pixels>(d, acc, w, tap + static_cast<std::size_t>(k) * 64, words);
      }
      if (whole < groups) {  // the last 1..3 input channels: read no further than the row
        std::int32_t words[Pixels];
        QFENCE_UNROLL
        for (int i = 0; i < Pixels; ++i) {
          words[i] = 0;
          std::memcpy(&words[i], src[i] + 4 * whole, static_cast<std::size_t>(g.in_c - 4 * whole));
        }
        accumulate<Vectors, Pixels>(d, acc, w, tap + static_cast<std::size_t>(whole) * 64, words);
      }
    }
  [&]<int... I>(std::integer_sequence<int, I...>) HWY_ATTR {
    (finish<I, Pixels>(d, acc, px, a, pk.padded_out_c(), g.out_c, oc + I * n), ...);
  }(std::make_integer_sequence<int, Vectors>{});
}

/// Every output pixel, tile by tile, for a tile of Vectors vectors of
/// channels (fewer for the last channels).
template <int Vectors, class D>
HWY_INLINE void pixel_tiles(D d, const window_geometry& g, const conv2d_int8_args& a, int oc_begin, int oc_end) {
  constexpr int Pixels = pixels_for(Vectors);
  const int n = static_cast<int>(hn::Lanes(d));
  const int pixels = g.out_h * g.out_w;
  for (int b = 0; b < g.batches; ++b) {
    tile_pixels px;
    px.batch_input = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) *
                                   static_cast<std::size_t>(g.in_c);
    std::int8_t* batch_out =
        a.output + static_cast<std::size_t>(b) * static_cast<std::size_t>(pixels) * static_cast<std::size_t>(g.out_c);
    for (int p0 = 0; p0 < pixels; p0 += Pixels) {
      px.count = pixels - p0 < Pixels ? pixels - p0 : Pixels;
      for (int i = 0; i < Pixels; ++i) {
        const int p = p0 + (i < px.count ? i : 0);
        px.y0[i] = p / g.out_w * g.stride_h - g.pad_h;
        px.x0[i] = p % g.out_w * g.stride_w - g.pad_w;
        px.start[i] = static_cast<std::int32_t>(0u - 128u * window_sum(g, a, px.batch_input, px.y0[i], px.x0[i]));
        px.out[i] = batch_out + static_cast<std::size_t>(p) * static_cast<std::size_t>(g.out_c);
      }
      for (int oc = oc_begin; oc < oc_end; oc += Vectors * n) {
        const int vectors = (oc_end - oc) / n;
        if (vectors >= Vectors) tile<Vectors, Pixels>(d, g, a, px, oc);
        else if (vectors == 3) tile<3, Pixels>(d, g, a, px, oc);
        else if (vectors == 2) tile<2, Pixels>(d, g, a, px, oc);
        else tile<1, Pixels>(d, g, a, px, oc);
      }
    }
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace conv_detail

/// int8 convolution, groups of 1 (see the file comment).
template <class Geometry>
HWY_NOINLINE void Conv2DInt8(const Geometry& geometry, const conv2d_int8_args& a) {
  const window_geometry& g = value_of(geometry);
  const conv_packing pk{g.out_c, g.filter_h * g.filter_w, g.in_c};
#if HWY_TARGET == HWY_SCALAR
  // Highway's one-lane target (the baseline of GCC < 12.3, where EMU128 is
  // broken) has no byte lanes: the same packed data, one channel at a time.
  const std::size_t row = static_cast<std::size_t>(pk.padded_out_c());
  const int groups = pk.padded_in_c() / 4;
  for (int b = 0; b < g.batches; ++b) {
    const std::int8_t* batch_input = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) *
                                                   static_cast<std::size_t>(g.in_c);
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
        const std::uint32_t start = 0u - 128u * conv_detail::window_sum(g, a, batch_input, y0, x0);
        for (int oc = 0; oc < g.out_c; ++oc) {
          const std::uint8_t* column = a.weights + static_cast<std::size_t>(oc / channel_tile) * pk.column_bytes() +
                                       static_cast<std::size_t>(oc % channel_tile) * 4;
          std::uint32_t acc = static_cast<std::uint32_t>(a.epilogue[oc]) + start;
          for (int t = 0; t < pk.taps; ++t) {
            const std::int8_t* src = conv_detail::tap_row(g, a, batch_input, y0 + t / g.filter_w * g.dilation_h,
                                                          x0 + t % g.filter_w * g.dilation_w);
            for (int ic = 0; ic < g.in_c; ++ic)
              acc += static_cast<std::uint32_t>(
                  column[static_cast<std::size_t>(t * groups + ic / 4) * 64 + static_cast<std::size_t>(ic % 4)] * src[ic]);
          }
          const std::size_t at = static_cast<std::size_t>(oc);
          const auto shifted = static_cast<std::int32_t>(acc * static_cast<std::uint32_t>(a.epilogue[2 * row + at]));
          std::int32_t v = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, a.epilogue[row + at]),
                                                  a.epilogue[3 * row + at]) +
                           a.output_zero_point;
          v = v < a.act.min ? a.act.min : v > a.act.max ? a.act.max : v;
          a.output[((static_cast<std::size_t>(b) * static_cast<std::size_t>(g.out_h) + static_cast<std::size_t>(oy)) *
                        static_cast<std::size_t>(g.out_w) +
                    static_cast<std::size_t>(ox)) *
                       static_cast<std::size_t>(g.out_c) +
                   at] = static_cast<std::int8_t>(v);
        }
      }
  }
#else
  const hn::ScalableTag<std::int32_t> d;
  conv_detail::pixel_tiles<conv_detail::kVectors>(d, g, a, 0, pk.padded_out_c());
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
