// qfence/kernels/conv2d_int16x8-inl.hpp: the int16x8 window layers (int16
// activations with zero point 0, int8 weights, 64-bit bias): CONV_2D,
// TRANSPOSE_CONV and DEPTHWISE_CONV_2D (DepthwiseConvInt16x8 says how) with
// Highway, per target (re-included through kernels/dispatch.hpp).
//
// TFLite's reference (kernels/reference/conv2d.hpp) sums filter * input over
// the taps inside the input in int64, adds the bias and requantizes with the
// 64-bit MultiplyByQuantizedMultiplier. Here, per output pixel and block of
// four output channels:
//   - the window is read as runs: with dilation 1 a filter row's taps inside
//     the input are one contiguous run of input (taps * in_c int16) and of
//     weights (the model's OHWI layout, as stored: no packing, so neither
//     path nor `qfence embed` needs new data); with dilation, one run per tap;
//   - each run is a dot product on vectors: the input loaded once, each
//     channel's weights widened to int16, pairs of products summed into int32
//     lanes (DotPairs: vpdpwssd on AVX3_DL, vpmaddwd elsewhere on x86). A
//     product is at most 2^15 * 2^7 = 2^22, so a lane gains at most 2^23 per
//     step: after 255 steps the int32 lanes are widened and added to int64
//     lanes, before they could overflow;
//     A window of fewer than 512 products fits int32 whatever the lanes
//     (512 * 2^22 = 2^31), so it is never widened;
//   - the lanes are summed in int64 and the reference's own epilogue
//     (reference::requantize_per_channel_wide: bias, 64-bit multiplier,
//     offset, clamp) finishes each output: one scalar step per output against
//     K / lanes vector steps.
// Integer sums in any order give the reference's int64 (it cannot overflow:
// TFLite bounds int16x8 accumulators by 2^47), so every target gives its
// values. Grouped convolutions run the reference (kernels::conv2d_int16x8).
// TFLite itself runs int16x8 on its reference kernels (XNNPACK has none).
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/dot_product-inl.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/conv2d.hpp"
#include "qfence/kernels/reference/depthwise_conv2d.hpp"
#include "qfence/kernels/reference/epilogue.hpp"
#include "qfence/kernels/reference/transpose_conv.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_CONV2D_INT16X8_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_CONV2D_INT16X8_INL_HPP_
#undef QFENCE_KERNELS_CONV2D_INT16X8_INL_HPP_
#else
#define QFENCE_KERNELS_CONV2D_INT16X8_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace conv2d_int16x8_detail {

/// Output channels that share each input load.
inline constexpr int kChannelBlock = 4;

/// Steps (vpmaddwd per lane) an int32 lane takes before it is widened: each
/// step adds at most 2 * 2^22, and 255 * 2^23 < 2^31.
inline constexpr int kStepsPerFlush = 255;

#if HWY_TARGET != HWY_SCALAR
/// The sums of up to kChannelBlock output channels of one output pixel. A
/// window of fewer than 512 products (kNarrow) cannot leave int32 (512 *
/// 2^22 = 2^31): its lanes are never widened and are summed in int32.
template <class D16, bool kNarrow>
class DotSums {
 public:
  using D32 = hn::Repartition<std::int32_t, D16>;
  using D64 = hn::Repartition<std::int64_t, D16>;

  explicit DotSums(int channels) : channels_(channels) {
    for (int j = 0; j < kChannelBlock; ++j) {
      acc_[j] = hn::Zero(D32());
      wide_[j] = hn::Zero(D64());
    }
  }

  /// Adds the dot products of input[0 .. length) with the weights of each
  /// channel j, weights[j * stride .. + length).
  HWY_INLINE void AddRun(const std::int16_t* input, const std::int8_t* weights, std::size_t stride, int length) {
    const D16 d16;
    const D32 d32;
    const int n = static_cast<int>(hn::Lanes(d16));
    for (int i = 0; i < length; i += n) {
      const int valid = length - i;
      const auto x = LoadFirstLanes(d16, input + i, valid);
      QFENCE_UNROLL
      for (int j = 0; j < kChannelBlock; ++j)
        if (j < channels_)
          acc_[j] = DotPairs(d32, acc_[j], x,
                             LoadFirstLanesWidened(d16, weights + static_cast<std::size_t>(j) * stride + i, valid));
      if constexpr (!kNarrow)
        if (++steps_ == kStepsPerFlush) Flush();
    }
  }

  /// Channel j's sum.
  HWY_INLINE std::int64_t Sum(int j) {
    if constexpr (kNarrow) {
      return hn::GetLane(hn::SumOfLanes(D32(), acc_[j]));
    } else {
      if (steps_ != 0) Flush();
      return hn::GetLane(hn::SumOfLanes(D64(), wide_[j]));
    }
  }

 private:
  HWY_INLINE void Flush() {
    const D32 d32;
    const D64 d64;
    const hn::Half<D32> half;
    for (int j = 0; j < kChannelBlock; ++j) {
      wide_[j] = hn::Add(wide_[j], hn::Add(hn::PromoteTo(d64, hn::LowerHalf(half, acc_[j])),
                                           hn::PromoteTo(d64, hn::UpperHalf(half, acc_[j]))));
      acc_[j] = hn::Zero(d32);
    }
    steps_ = 0;
  }

  int channels_;
  int steps_ = 0;
  hn::Vec<D32> acc_[kChannelBlock];
  hn::Vec<D64> wide_[kChannelBlock];
};
#endif

}  // namespace conv2d_int16x8_detail

#if HWY_TARGET != HWY_SCALAR
namespace conv2d_int16x8_detail {

/// The loops both int16x8 kernels share: every output pixel, kChannelBlock
/// channels at a time, each block's int64 sums gathered by
///   gather(sums, b, oy, ox, channel_weights)
/// (channel_weights: the block's first channel's [filter_h][filter_w][in_c]
/// weights; the next channel's start per_channel values on) and finished by
/// the reference's wide requantization.
template <bool kNarrow, class Bias, class Gather>
HWY_INLINE void ForEachOutputBlock(const window_geometry& g, const conv2d_int16x8_args<Bias>& a, Gather&& gather) {
  const hn::ScalableTag<std::int16_t> d16;
  const reference::requantize_per_channel_wide<Bias> finish{a.bias, a.multipliers, a.output_offset, a.act, a.output};
  const std::size_t per_channel = static_cast<std::size_t>(g.filter_h) * static_cast<std::size_t>(g.filter_w) *
                                  static_cast<std::size_t>(g.in_c);
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int at = ((b * g.out_h + oy) * g.out_w + ox) * g.out_c;
        for (int oc = 0; oc < g.out_c; oc += kChannelBlock) {
          const int channels = g.out_c - oc < kChannelBlock ? g.out_c - oc : kChannelBlock;
          DotSums<decltype(d16), kNarrow> sums(channels);
          gather(sums, b, oy, ox, a.filter + static_cast<std::size_t>(oc) * per_channel);
          for (int j = 0; j < channels; ++j) finish(at + oc + j, oc + j, sums.Sum(j));
        }
      }
}

/// CONV_2D: each filter row's taps inside the input as one run (dilation 1)
/// or tap by tap.
template <bool kNarrow, class Bias>
HWY_INLINE void EachOutput(const window_geometry& g, const conv2d_int16x8_args<Bias>& a) {
  const auto size = [](int v) { return static_cast<std::size_t>(v); };
  const std::size_t filter_row = size(g.filter_w) * size(g.in_c);
  const std::size_t per_channel = size(g.filter_h) * filter_row;
  ForEachOutputBlock<kNarrow>(g, a, [&](auto& sums, int b, int oy, int ox, const std::int8_t* channel_weights)
                                           QFENCE_INLINE_LAMBDA {
    const int y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
    for (int fy = 0; fy < g.filter_h; ++fy) {
      const int iy = y0 + fy * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      const std::int16_t* row = a.input + (size(b) * size(g.in_h) + size(iy)) * size(g.in_w) * size(g.in_c);
      const std::int8_t* w = channel_weights + size(fy) * filter_row;
      if (g.dilation_w == 1) {  // the taps inside the input: one run
        const int fx0 = x0 < 0 ? -x0 : 0, fx1 = g.filter_w < g.in_w - x0 ? g.filter_w : g.in_w - x0;
        if (fx1 > fx0)
          sums.AddRun(row + size(x0 + fx0) * size(g.in_c), w + size(fx0) * size(g.in_c), per_channel,
                      (fx1 - fx0) * g.in_c);
      } else {
        for (int fx = 0; fx < g.filter_w; ++fx) {
          const int ix = x0 + fx * g.dilation_w;
          if (ix >= 0 && ix < g.in_w)
            sums.AddRun(row + size(ix) * size(g.in_c), w + size(fx) * size(g.in_c), per_channel, g.in_c);
        }
      }
    }
  });
}

/// int16x8 TRANSPOSE_CONV read from the output's side. The reference
/// scatters input pixel (iy, ix) through tap (fy, fx) into output
/// (iy * stride_h - pad_h + fy, ...); output (oy, ox) therefore gathers the
/// taps fy = oy + pad_h - iy * stride_h, one in stride_h rows of the filter
/// (likewise along x): each tap one run of in_c input values against the
/// weights [oc, fy, fx, 0 .. in_c). The same int64 sums, no scratch, and the
/// same epilogue as CONV_2D.
template <bool kNarrow, class Bias>
HWY_INLINE void EachTransposedOutput(const window_geometry& g, const conv2d_int16x8_args<Bias>& a) {
  const auto size = [](int v) { return static_cast<std::size_t>(v); };
  const std::size_t per_channel = size(g.filter_h) * size(g.filter_w) * size(g.in_c);
  // The input row (column) behind output row oy through filter row fy, or -1.
  const auto source = [](int o, int pad, int f, int stride, int in) {
    const int t = o + pad - f;
    return t >= 0 && t % stride == 0 && t / stride < in ? t / stride : -1;
  };
  ForEachOutputBlock<kNarrow>(g, a, [&](auto& sums, int b, int oy, int ox, const std::int8_t* channel_weights)
                                           QFENCE_INLINE_LAMBDA {
    for (int fy = 0; fy < g.filter_h; ++fy) {
      const int iy = source(oy, g.pad_h, fy, g.stride_h, g.in_h);
      if (iy < 0) continue;
      for (int fx = 0; fx < g.filter_w; ++fx) {
        const int ix = source(ox, g.pad_w, fx, g.stride_w, g.in_w);
        if (ix < 0) continue;
        sums.AddRun(a.input + ((size(b) * size(g.in_h) + size(iy)) * size(g.in_w) + size(ix)) * size(g.in_c),
                    channel_weights + (size(fy) * size(g.filter_w) + size(fx)) * size(g.in_c), per_channel, g.in_c);
      }
    }
  });
}

}  // namespace conv2d_int16x8_detail
#endif

#if HWY_TARGET != HWY_SCALAR
namespace conv2d_int16x8_detail {

/// The reference's wide requantization (reference::requantize_per_channel_wide:
/// bias, TFLite's 64-bit MultiplyByQuantizedMultiplier, offset, clamp) of
/// the int32 sums of channels [c, c + valid) in vectors, stored to
/// out[0 .. valid) (valid may exceed the lanes; the first Lanes(d32) are
/// done). In int64 lanes, the scalar rule's integers: x = sum + bias;
/// reduced = the multiplier rounded to 15 bits; x * reduced as
/// (x >> 16) * reduced * 2^16 + (x & 0xffff) * reduced (two 32x32-bit
/// products: |x| < 2^47, the rule's precondition, so x >> 16 fits 32 bits);
/// plus the rounding bit, shifted right by 15 - shift; its low 32 bits (the
/// rule's cast), plus the offset, clamped. The multipliers are read as the
/// int32 pairs (multiplier, shift) they are stored as.
template <class D32, class Bias>
HWY_INLINE void RequantizeWide(D32 d32, hn::Vec<D32> sums, const conv2d_int16x8_args<Bias>& a, int c, int valid,
                               std::int16_t* out) {
  static_assert(sizeof(quantized_multiplier) == 2 * sizeof(std::int32_t) && sizeof(int) == sizeof(std::int32_t));
  const hn::Repartition<std::int64_t, D32> d64;
  const hn::Half<D32> half;
  const hn::Rebind<std::int16_t, D32> d16;
  const int n64 = static_cast<int>(hn::Lanes(d64));
  const auto pairs = reinterpret_cast<const std::int32_t*>(a.multipliers + c);
  const auto finish = [&](hn::Vec<decltype(d64)> acc, int first, int count) QFENCE_INLINE_LAMBDA {
    auto x = acc;
    if (a.bias != nullptr) {
      if constexpr (sizeof(Bias) == 8) {
        x = hn::Add(x, LoadFirstLanes(d64, a.bias + c + first, count));
      } else {
        const hn::Rebind<std::int32_t, decltype(d64)> d32_of_64;
        x = hn::Add(x, hn::PromoteTo(d64, LoadFirstLanes(d32_of_64, a.bias + c + first, count)));
      }
    }
    const auto pair = hn::BitCast(d64, LoadFirstLanes(d32, pairs + 2 * first, 2 * count));
    const auto multiplier = hn::And(pair, hn::Set(d64, 0xffffffff));
    const auto reduced = hn::IfThenElse(hn::Lt(multiplier, hn::Set(d64, 0x7fff0000)),
                                        hn::ShiftRight<16>(hn::Add(multiplier, hn::Set(d64, 1 << 15))),
                                        hn::Set(d64, 0x7fff));
    const auto total_shift = hn::Sub(hn::Set(d64, 15), hn::ShiftRight<32>(pair));
    const auto round = hn::Shl(hn::Set(d64, 1), hn::Sub(total_shift, hn::Set(d64, 1)));
    const auto high = hn::MulEven(hn::BitCast(d32, hn::ShiftRight<16>(x)), hn::BitCast(d32, reduced));
    const auto low = hn::MulEven(hn::BitCast(d32, hn::And(x, hn::Set(d64, 0xffff))), hn::BitCast(d32, reduced));
    return hn::Shr(hn::Add(hn::Add(hn::ShiftLeft<16>(high), low), round), total_shift);
  };
  const int rest = valid > n64 ? valid - n64 : 0;
  const auto lower = finish(hn::PromoteTo(d64, hn::LowerHalf(half, sums)), 0, valid < n64 ? valid : n64);
  // A vector of channels that fits the lower half (8 channels in 512-bit
  // vectors: person_detect's first layers) stores nothing from the upper.
  const auto upper = rest > 0 ? finish(hn::PromoteTo(d64, hn::UpperHalf(half, sums)), n64, rest) : hn::Zero(d64);
  auto v = hn::Add(hn::ConcatEven(d32, hn::BitCast(d32, upper), hn::BitCast(d32, lower)), hn::Set(d32, a.output_offset));
  v = hn::Min(hn::Max(v, hn::Set(d32, a.act.min)), hn::Set(d32, a.act.max));
  StoreFirstLanes(d16, hn::DemoteTo(d16, v), valid, out);
}

/// The first filter tap (fy or fx) whose input row (column) origin + tap *
/// dilation lies inside [0, in), and one past the last; the taps between
/// are all inside (the position grows with the tap).
HWY_INLINE void TapsInside(int origin, int dilation, int filter, int in, int& first, int& end) {
  first = 0;
  while (first < filter && origin + first * dilation < 0) ++first;
  end = filter;
  while (end > first && origin + (end - 1) * dilation >= in) --end;
}

}  // namespace conv2d_int16x8_detail
#endif

/// int16x8 DEPTHWISE_CONV_2D, windows of fewer than 512 taps
/// (kernels::depthwise_conv2d_int16x8 sends longer ones to the reference).
/// Output channels run along 32-bit lanes: per output pixel and vector of
/// channels, each tap inside the input adds input * weight (int16 and int8
/// widened, one int32 product of at most 2^22: fewer than 512 of them fit
/// int32), and RequantizeWide finishes the vector as the reference's wide
/// requantization does each channel. The integer sum is the reference's
/// int64 one, in any order. With a depth multiplier of 1 a tap loads a
/// vector of input channels; with M > 1, output channels ic * M .. + M read
/// input channel ic, broadcast (person_detect's first layer: M = 8 on one
/// input channel).
template <class Bias, class Geometry>
HWY_NOINLINE void DepthwiseConvInt16x8(const Geometry& geometry, const conv2d_int16x8_args<Bias>& a) {
#if HWY_TARGET == HWY_SCALAR
  reference::depthwise_conv2d(geometry, a.input, a.filter, a.bias, a.multipliers, a.output_offset, a.act, a.output);
#else
  const window_geometry& g = value_of(geometry);
  const hn::ScalableTag<std::int32_t> d32;
  const hn::Rebind<std::int16_t, decltype(d32)> d16;
  const hn::Rebind<std::int8_t, decltype(d32)> d8;
  const int lanes = static_cast<int>(hn::Lanes(d32));
  const auto size = [](int v) { return static_cast<std::size_t>(v); };
  const int multiplier = g.out_c / g.in_c;
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = oy * g.stride_h - g.pad_h;
      int fy0, fy1;
      conv2d_int16x8_detail::TapsInside(y0, g.dilation_h, g.filter_h, g.in_h, fy0, fy1);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = ox * g.stride_w - g.pad_w;
        int fx0, fx1;
        conv2d_int16x8_detail::TapsInside(x0, g.dilation_w, g.filter_w, g.in_w, fx0, fx1);
        const int at = ((b * g.out_h + oy) * g.out_w + ox) * g.out_c;
        // Output channels [c, c + valid) (valid may exceed the lanes); the
        // tap's input vector from its input pixel: input(pixel).
        const auto channels = [&](int c, int valid, auto input) QFENCE_INLINE_LAMBDA {
          auto acc = hn::Zero(d32);
          for (int fy = fy0; fy < fy1; ++fy) {
            const std::int16_t* row =
                a.input + (size(b) * size(g.in_h) + size(y0 + fy * g.dilation_h)) * size(g.in_w) * size(g.in_c);
            const std::int8_t* w = a.filter + size(fy) * size(g.filter_w) * size(g.out_c) + size(c);
            for (int fx = fx0; fx < fx1; ++fx) {
              const auto x = input(row + size(x0 + fx * g.dilation_w) * size(g.in_c));
              const auto k = hn::PromoteTo(d32, LoadFirstLanes(d8, w + size(fx) * size(g.out_c), valid));
              acc = hn::Add(acc, hn::Mul(x, k));
            }
          }
          conv2d_int16x8_detail::RequantizeWide(d32, acc, a, c, valid, a.output + at + c);
        };
        if (multiplier == 1) {
          for (int c = 0; c < g.out_c; c += lanes)
            channels(c, g.out_c - c, [&](const std::int16_t* pixel) QFENCE_INLINE_LAMBDA {
              return hn::PromoteTo(d32, LoadFirstLanes(d16, pixel + c, g.out_c - c));
            });
        } else {
          for (int ic = 0; ic < g.in_c; ++ic)
            for (int m = 0; m < multiplier; m += lanes)
              channels(ic * multiplier + m, multiplier - m, [&](const std::int16_t* pixel) QFENCE_INLINE_LAMBDA {
                return hn::Set(d32, std::int32_t{pixel[ic]});
              });
        }
      }
    }
#endif
}

/// int16x8 TRANSPOSE_CONV (see EachTransposedOutput).
template <class Bias, class Geometry>
HWY_NOINLINE void TransposeConvInt16x8(const Geometry& geometry, const conv2d_int16x8_args<Bias>& a,
                                       [[maybe_unused]] std::int64_t* scratch) {
  [[maybe_unused]] const window_geometry& g = value_of(geometry);
#if HWY_TARGET == HWY_SCALAR
  reference::transpose_conv(geometry, a.input, a.filter, a.bias, a.multipliers, a.output_offset, a.act, scratch,
                            a.output);
#else
  // An output gathers at most ceil(filter_h / stride_h) * ceil(filter_w /
  // stride_w) taps; fewer than 512 products fit int32.
  const int taps = ((g.filter_h + g.stride_h - 1) / g.stride_h) * ((g.filter_w + g.stride_w - 1) / g.stride_w);
  if (taps * g.in_c < 512) conv2d_int16x8_detail::EachTransposedOutput<true>(g, a);
  else conv2d_int16x8_detail::EachTransposedOutput<false>(g, a);
#endif
}

/// int16x8 CONV_2D, groups of 1 (see the file comment).
template <class Bias, class Geometry>
HWY_NOINLINE void Conv2DInt16x8(const Geometry& geometry, const conv2d_int16x8_args<Bias>& a) {
  const window_geometry& g = value_of(geometry);
#if HWY_TARGET == HWY_SCALAR
  reference::conv2d(geometry, g.in_c, a.input, a.filter, a.bias, a.multipliers, a.output_offset, a.act, a.output);
#else
  // |input * weight| <= 2^15 * 2^7: fewer than 512 products fit int32.
  if (g.filter_h * g.filter_w * g.in_c < 512) conv2d_int16x8_detail::EachOutput<true>(g, a);
  else conv2d_int16x8_detail::EachOutput<false>(g, a);
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
