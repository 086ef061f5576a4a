// qfence/kernels/depthwise_conv2d_float-inl.hpp: float DEPTHWISE_CONV_2D
// (any depth multiplier) with Highway, per target (re-included through
// kernels/dispatch.hpp).
//
// Bit for bit TFLite's reference_ops::DepthwiseConv: each output is acc = 0;
// acc += filter * input over the taps inside the input in (fy, fx) order;
// acc + bias; clamped. A lane is one output channel and does exactly that
// (multiply, then add: never fused, core/exact_float.hpp); a tile is a
// vector of neighbouring channels at several output pixels of one row. The
// filter is read as the model stores it ([fh][fw][channels], channels
// innermost), so nothing is packed. Layers whose channel count is a
// multiple of 8 or 4 but not of the full vector run on vectors of that many
// lanes (a MobileNet's 8-channel layer on AVX-512); other remainders go
// through a stack copy, which never reads past the input, filter or bias.
// With a depth multiplier, lane j reads input channel (c + j) / multiplier:
// a broadcast when the lanes share one, a gather otherwise.
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/float_epilogue-inl.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_DEPTHWISE_CONV2D_FLOAT_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_DEPTHWISE_CONV2D_FLOAT_INL_HPP_
#undef QFENCE_KERNELS_DEPTHWISE_CONV2D_FLOAT_INL_HPP_
#else
#define QFENCE_KERNELS_DEPTHWISE_CONV2D_FLOAT_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace depthwise_float_detail {

/// Output pixels per tile.
inline constexpr int kPixels = 8;

/// The `valid` channels from `c` of `from` (one per output channel: the
/// filter, the bias, a partial last vector of input).
template <class D>
HWY_INLINE hn::Vec<D> LoadChannels(D d, const float* from, int c, int valid) {
  return LoadFirstLanes(d, from + c, valid);
}

/// Where a vector of output channels reads its input with a depth
/// multiplier: lane j reads input channel (c + j) / multiplier. One
/// broadcast when every lane reads one channel (e.g. a single input
/// channel), a gather otherwise.
template <class D>
struct InputChannels {
  bool one;
  int first;
  hn::Vec<hn::RebindToSigned<D>> index;

  HWY_INLINE InputChannels(D d, int c, int valid, int multiplier) {
    const hn::RebindToSigned<D> di;
    alignas(64) std::int32_t lanes[HWY_MAX_BYTES / sizeof(float)] = {};
    for (int j = 0; j < valid; ++j) lanes[j] = (c + j) / multiplier;
    for (int j = valid; j < static_cast<int>(hn::Lanes(d)); ++j) lanes[j] = lanes[0];  // read, never stored
    first = lanes[0];
    one = lanes[valid - 1] == first;
    index = hn::LoadU(di, lanes);
  }
  HWY_INLINE hn::Vec<D> Load(D d, const float* pixel) const {
    return one ? hn::Set(d, pixel[first]) : hn::GatherIndex(d, pixel, index);
  }
};

template <class D>
HWY_INLINE void Rows(D d, const window_geometry& g, const depthwise_float_args& a) {
  using V = hn::Vec<D>;
  const int n = static_cast<int>(hn::Lanes(d));
  const int channels = g.out_c, multiplier = g.out_c / g.in_c;
  const std::size_t in_c = static_cast<std::size_t>(g.in_c), out_c = static_cast<std::size_t>(channels);
  const V lo = hn::Set(d, a.act.min), hi = hn::Set(d, a.act.max);
  for (int b = 0; b < g.batches; ++b) {
    const float* batch_in = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) * in_c;
    float* batch_out = a.output + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.out_h * g.out_w) * out_c;
    for (int oy = 0; oy < g.out_h; ++oy) {
      float* out_row = batch_out + static_cast<std::size_t>(oy) * static_cast<std::size_t>(g.out_w) * out_c;
      for (int c = 0; c < channels; c += n) {
        const int valid = channels - c < n ? channels - c : n;
        const V bias = a.bias != nullptr ? LoadChannels(d, a.bias, c, valid) : hn::Zero(d);
        const InputChannels<D> sources(d, c, valid, multiplier);
        for (int ox0 = 0; ox0 < g.out_w; ox0 += kPixels) {
          const int count = g.out_w - ox0 < kPixels ? g.out_w - ox0 : kPixels;
          V acc[kPixels];
          QFENCE_UNROLL
          for (int i = 0; i < kPixels; ++i) acc[i] = hn::Zero(d);
          for (int fy = 0; fy < g.filter_h; ++fy) {
            const float* row = window_input_row(g, batch_in, oy, fy);
            if (row == nullptr) continue;  // the reference skips the taps outside the input
            for (int fx = 0; fx < g.filter_w; ++fx) {
              const V w = LoadChannels(d, a.weights + static_cast<std::size_t>(fy * g.filter_w + fx) * out_c, c, valid);
              QFENCE_UNROLL
              for (int i = 0; i < kPixels; ++i) {
                const int x = (ox0 + i) * g.stride_w - g.pad_w + fx * g.dilation_w;
                if (i < count && x >= 0 && x < g.in_w) {
                  const float* pixel = row + static_cast<std::size_t>(x) * in_c;
                  const V in = multiplier != 1 ? sources.Load(d, pixel)
                               : valid == n    ? hn::LoadU(d, pixel + c)
                                               : LoadChannels(d, pixel, c, valid);
                  acc[i] = hn::Add(acc[i], hn::Mul(w, in));
                }
              }
            }
          }
          QFENCE_UNROLL
          for (int i = 0; i < kPixels; ++i) {
            if (i < count)
              StoreBiasedClamped(d, acc[i], bias, lo, hi, valid,
                                 out_row + static_cast<std::size_t>(ox0 + i) * out_c + static_cast<std::size_t>(c));
          }
        }
      }
    }
  }
}

}  // namespace depthwise_float_detail

/// Float depthwise convolution (see the file comment).
template <class Geometry>
HWY_NOINLINE void DepthwiseConv2DFloat(const Geometry& geometry, const depthwise_float_args& args) {
  const depthwise_float_args a = args;  // kept in registers (the stores may alias it)
  const window_geometry& g = value_of(geometry);
  const hn::ScalableTag<float> d;
#if HWY_TARGET != HWY_SCALAR
  const int n = static_cast<int>(hn::Lanes(d));
  const hn::CappedTag<float, 8> d8;
  const hn::CappedTag<float, 4> d4;
  if (g.out_c % n != 0 && n > 8 && g.out_c % 8 == 0) return depthwise_float_detail::Rows(d8, g, a);
  if (g.out_c % n != 0 && n > 4 && g.out_c % 4 == 0) return depthwise_float_detail::Rows(d4, g, a);
#endif
  depthwise_float_detail::Rows(d, g, a);
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
