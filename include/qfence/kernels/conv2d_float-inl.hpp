// qfence/kernels/conv2d_float-inl.hpp: float CONV_2D (groups of 1) and
// FULLY_CONNECTED with Highway, per target (re-included through
// kernels/dispatch.hpp).
//
// Bit for bit TFLite's reference_ops::Conv and FullyConnected: each output
// is acc = 0; acc += filter * input over the taps inside the input in (fy,
// fx, ic) order; acc + bias; clamped. A lane is one output channel and does
// exactly that sequence (a multiply, then an add: never fused, see
// core/exact_float.hpp); the vector holds neighbouring output channels
// (weights packed [tap][in_c][channels], kernels/packed_conv_float.hpp). A
// register tile of Pixels output pixels x Vectors vectors of channels
// broadcasts one input value per pixel and reads one vector of weights per
// vector of channels. Taps outside the input are skipped as the reference
// skips them (not multiplied by a padding 0: 0 * inf is NaN), per pixel
// where the tile's pixels disagree. The epilogue: float_epilogue-inl.hpp.
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/float_epilogue-inl.hpp"
#include "qfence/kernels/packed_conv_float.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/register_tile-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_CONV2D_FLOAT_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_CONV2D_FLOAT_INL_HPP_
#undef QFENCE_KERNELS_CONV2D_FLOAT_INL_HPP_
#else
#define QFENCE_KERNELS_CONV2D_FLOAT_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace conv_float_detail {

inline constexpr int kVectors = kTileVectors;
inline constexpr int kMaxPixels = 8;
/// Pixels per tile for a tile of `vectors` vectors of channels.
constexpr int pixels_for(int vectors) noexcept { return TilePixels(vectors, kMaxPixels); }

/// The pixels of one tile: where their windows start, where they write.
struct tile_pixels {
  const float* batch_input;
  int y0[kMaxPixels], x0[kMaxPixels];
  float* out[kMaxPixels];
  int count;
};

/// One register tile: the tile's pixels by Vectors vectors of channels from
/// `oc`.
template <int Vectors, int Pixels, class D>
HWY_INLINE void tile(D d, const window_geometry& g, const conv2d_float_args& a, const tile_pixels& px, int oc) {
  using V = hn::Vec<D>;
  const int n = static_cast<int>(hn::Lanes(d));
  const std::size_t padded = static_cast<std::size_t>(round_up(g.out_c, channel_tile));
  const std::size_t in_c = static_cast<std::size_t>(g.in_c);
  V acc[Pixels][Vectors];
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i) {
    QFENCE_UNROLL
    for (int v = 0; v < Vectors; ++v) acc[i][v] = hn::Zero(d);
  }
  const float* w = a.weights + static_cast<std::size_t>(oc);
  for (int fy = 0; fy < g.filter_h; ++fy) {
    for (int fx = 0; fx < g.filter_w; ++fx, w += in_c * padded) {
      // Each pixel's input pixel of this tap, or null outside the input.
      const float* src[Pixels];
      bool all_inside = true;
      QFENCE_UNROLL
      for (int i = 0; i < Pixels; ++i) {
        const int p = i < px.count ? i : 0;  // spare lanes repeat pixel 0
        const float* row = input_row_or_null(g, px.batch_input, px.y0[p] + fy * g.dilation_h);
        const int x = px.x0[p] + fx * g.dilation_w;
        src[i] = row != nullptr && x >= 0 && x < g.in_w ? row + static_cast<std::size_t>(x) * in_c : nullptr;
        all_inside = all_inside && src[i] != nullptr;
      }
      if (all_inside) {
        for (std::size_t ic = 0; ic < in_c; ++ic) {
          V wv[Vectors];
          QFENCE_UNROLL
          for (int v = 0; v < Vectors; ++v) wv[v] = hn::LoadU(d, w + ic * padded + static_cast<std::size_t>(v * n));
          QFENCE_UNROLL
          for (int i = 0; i < Pixels; ++i) {
            const V x = hn::Set(d, src[i][ic]);
            QFENCE_UNROLL
            for (int v = 0; v < Vectors; ++v) acc[i][v] = hn::Add(acc[i][v], hn::Mul(x, wv[v]));
          }
        }
      } else {  // the border: only the pixels whose tap is inside
        QFENCE_UNROLL
        for (int i = 0; i < Pixels; ++i) {
          // Guards rather than continue: Clang unrolls only loops without exits.
          if (src[i] != nullptr) {
            for (std::size_t ic = 0; ic < in_c; ++ic) {
              const V x = hn::Set(d, src[i][ic]);
              QFENCE_UNROLL
              for (int v = 0; v < Vectors; ++v)
                acc[i][v] =
                    hn::Add(acc[i][v], hn::Mul(x, hn::LoadU(d, w + ic * padded + static_cast<std::size_t>(v * n))));
            }
          }
        }
      }
    }
  }
  const V lo = hn::Set(d, a.act.min), hi = hn::Set(d, a.act.max);
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) {
    const int c = oc + v * n, valid = g.out_c - c;
    const V bias = hn::LoadU(d, a.bias + c);
    QFENCE_UNROLL
    for (int i = 0; i < Pixels; ++i) {
      if (i < px.count && valid > 0) StoreBiasedClamped(d, acc[i][v], bias, lo, hi, valid, px.out[i] + c);
    }
  }
}

/// Every output pixel, tile by tile, Vectors vectors of channels a tile
/// (fewer for the last channels).
template <int Vectors, class D>
HWY_INLINE void pixel_tiles(D d, const window_geometry& g, const conv2d_float_args& a) {
  constexpr int Pixels = pixels_for(Vectors);
  const int n = static_cast<int>(hn::Lanes(d));
  const int pixels = g.out_h * g.out_w, channels = g.out_c;
  for (int b = 0; b < g.batches; ++b) {
    tile_pixels px;
    px.batch_input = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) *
                                   static_cast<std::size_t>(g.in_c);
    float* batch_out =
        a.output + static_cast<std::size_t>(b) * static_cast<std::size_t>(pixels) * static_cast<std::size_t>(channels);
    int oy = 0, ox = 0;  // the tile's first pixel, stepped along
    for (int p0 = 0; p0 < pixels; p0 += Pixels) {
      px.count = pixels - p0 < Pixels ? pixels - p0 : Pixels;
      for (int i = 0; i < px.count; ++i) {
        px.y0[i] = oy * g.stride_h - g.pad_h;
        px.x0[i] = ox * g.stride_w - g.pad_w;
        px.out[i] = batch_out + static_cast<std::size_t>(p0 + i) * static_cast<std::size_t>(channels);
        if (++ox == g.out_w) ox = 0, ++oy;
      }
      for (int oc = 0; oc < channels; oc += Vectors * n) {
        const int vectors = (channels - oc + n - 1) / n;
        if (vectors >= Vectors) tile<Vectors, Pixels>(d, g, a, px, oc);
        else if (Vectors > 3 && vectors == 3) tile<3, Pixels>(d, g, a, px, oc);
        else if (Vectors > 2 && vectors == 2) tile<2, Pixels>(d, g, a, px, oc);
        else tile<1, Pixels>(d, g, a, px, oc);
      }
    }
  }
}

}  // namespace conv_float_detail

/// Float convolution, groups of 1, or fully connected (see the file comment).
template <class Geometry>
HWY_NOINLINE void Conv2DFloat(const Geometry& geometry, const conv2d_float_args& args) {
  // A copy the compiler keeps in registers (the float stores may alias it).
  const conv2d_float_args a = args;
  const window_geometry& g = value_of(geometry);
  const hn::ScalableTag<float> d;
  conv_float_detail::pixel_tiles<conv_float_detail::kVectors>(d, g, a);
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
