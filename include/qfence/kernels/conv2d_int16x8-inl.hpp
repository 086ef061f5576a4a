// qfence/kernels/conv2d_int16x8-inl.hpp: the int16x8 window layers (int16
// activations with zero point 0, int8 weights, 64-bit bias): CONV_2D,
// TRANSPOSE_CONV and DEPTHWISE_CONV_2D (DepthwiseConvInt16x8 says how) with
// Highway, per target (re-included through kernels/dispatch.hpp).
//
// TFLite's reference (kernels/reference/conv2d.hpp) sums filter * input over
// the taps inside the input in int64, adds the bias and requantizes with the
// 64-bit MultiplyByQuantizedMultiplier. Integer sums in any order give the
// reference's int64 (it cannot overflow: TFLite bounds int16x8 accumulators
// by 2^47), so every target gives its values bit for bit.
//
// CONV_2D (groups of 1) has output channels along the 32-bit lanes, as the
// int8 kernel (kernels/conv2d-inl.hpp) does, whose segments, pad row and
// row assembly it shares: weights packed in pairs (kernels/packed_conv.hpp,
// conv_packing step 2: [16-channel column][segment][pair][16 channels][2
// bytes]), a register tile of pixels x vectors of channels, and per pair
// of input values one broadcast per pixel (2 int16 in a 32-bit word) times
// one vector of weights widened to int16: DotPairs (vpdpwssd on AVX3_DL,
// vpmaddwd elsewhere on x86). A product is at most 2^15 * 2^7 = 2^22, so a
// lane gains at most 2^23 per pair: after 255 pairs the int32 lanes are
// added to int64 sums kept beside the tile and cleared (a window of at most
// 255 pairs, most of them, never is). The epilogue (WideRequantizer) is the
// reference's wide requantization in int64 lanes, its per-channel constants
// loaded once per tile.
//
// DEPTHWISE_CONV_2D and TRANSPOSE_CONV read the weights as the model stores
// them (see DepthwiseConvInt16x8 and EachTransposedOutput). Grouped
// convolutions and the one-lane target run the reference.
// TFLite itself runs int16x8 on its reference kernels (XNNPACK has none).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/conv2d-inl.hpp"
#include "qfence/kernels/dot_product-inl.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/register_tile-inl.hpp"
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

/// TRANSPOSE_CONV's loops: every output pixel, kChannelBlock channels at a
/// time, each block's int64 sums gathered by
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
/// bias, TFLite's 64-bit MultiplyByQuantizedMultiplier, offset, clamp) of a
/// vector of channels [c, c + valid) (valid may exceed the lanes; the first
/// Lanes(d32) are done), in int64 lanes: the channels' first half, then
/// their second. The rule's integers: x = sum + bias; reduced = the
/// multiplier rounded to 15 bits; x * reduced as (x >> 16) * reduced * 2^16
/// + (x & 0xffff) * reduced (two 32x32-bit products: |x| < 2^47, the rule's
/// precondition, so x >> 16 fits 32 bits); plus the rounding bit, shifted
/// right by 15 - shift; its low 32 bits (the rule's cast), plus the offset,
/// clamped. The per-channel constants are loaded once, at construction (a
/// tile reuses them for each of its pixels); the multipliers are read as
/// the int32 pairs (multiplier, shift) they are stored as.
template <class D32, class Bias>
class WideRequantizer {
 public:
  using D64 = hn::Repartition<std::int64_t, D32>;
  using V64 = hn::Vec<D64>;

  HWY_INLINE WideRequantizer(D32 d32, const conv2d_int16x8_args<Bias>& a, int c, int valid)
      : offset_(a.output_offset), act_(a.act), valid_(valid) {
    const int n64 = static_cast<int>(hn::Lanes(D64()));
    halves_[0] = ConstantsOf(d32, a, c, valid < n64 ? valid : n64);
    upper_ = valid > n64;
    halves_[1] = upper_ ? ConstantsOf(d32, a, c + n64, valid - n64) : halves_[0];
  }

  /// The channels' int32 sums, requantized and stored to out[0 .. valid).
  HWY_INLINE void Store(hn::Vec<D32> sums, std::int16_t* out) const {
    const hn::Half<D32> half;
    Store(hn::PromoteTo(D64(), hn::LowerHalf(half, sums)), hn::PromoteTo(D64(), hn::UpperHalf(half, sums)), out);
  }

  /// The channels' int64 sums (first half, second half), likewise.
  HWY_INLINE void Store(V64 lower, V64 upper, std::int16_t* out) const {
    StoreFirstLanes(hn::Rebind<std::int16_t, D32>(), Requantized(lower, upper), valid_, out);
  }

  /// Pixel pairs: the same channels [c, c + valid) twice, valid at most half
  /// the lanes, one pixel's sums in each half of the lanes.
  struct pixel_pairs {};
  HWY_INLINE WideRequantizer(D32 d32, const conv2d_int16x8_args<Bias>& a, int c, int valid, pixel_pairs)
      : offset_(a.output_offset), act_(a.act), valid_(valid) {
    halves_[0] = halves_[1] = ConstantsOf(d32, a, c, valid);
    upper_ = true;
  }
  /// The two pixels' sums (lower half: `first`'s), stored to first[0 ..
  /// valid) and second[0 .. valid).
  HWY_INLINE void StorePair(hn::Vec<D32> sums, std::int16_t* first, std::int16_t* second) const {
    const hn::Half<D32> half;
    const hn::Rebind<std::int16_t, D32> d16;
    const hn::Half<decltype(d16)> half16;
    const auto v = Requantized(hn::PromoteTo(D64(), hn::LowerHalf(half, sums)),
                               hn::PromoteTo(D64(), hn::UpperHalf(half, sums)));
    StoreFirstLanes(half16, hn::LowerHalf(half16, v), valid_, first);
    StoreFirstLanes(half16, hn::UpperHalf(half16, v), valid_, second);
  }

 private:
  struct Constants {
    V64 bias, reduced, total_shift, round;
  };

  static HWY_INLINE Constants ConstantsOf(D32 d32, const conv2d_int16x8_args<Bias>& a, int c, int count) {
    static_assert(sizeof(quantized_multiplier) == 2 * sizeof(std::int32_t) && sizeof(int) == sizeof(std::int32_t));
    const D64 d64;
    Constants k;
    k.bias = hn::Zero(d64);
    if (a.bias != nullptr) {
      if constexpr (sizeof(Bias) == 8) {
        k.bias = LoadFirstLanes(d64, a.bias + c, count);
      } else {
        const hn::Rebind<std::int32_t, D64> d32_of_64;
        k.bias = hn::PromoteTo(d64, LoadFirstLanes(d32_of_64, a.bias + c, count));
      }
    }
    const auto pairs = reinterpret_cast<const std::int32_t*>(a.multipliers + c);
    const auto pair = hn::BitCast(d64, LoadFirstLanes(d32, pairs, 2 * count));
    const auto multiplier = hn::And(pair, hn::Set(d64, 0xffffffff));
    k.reduced = hn::IfThenElse(hn::Lt(multiplier, hn::Set(d64, 0x7fff0000)),
                               hn::ShiftRight<16>(hn::Add(multiplier, hn::Set(d64, 1 << 15))), hn::Set(d64, 0x7fff));
    k.total_shift = hn::Sub(hn::Set(d64, 15), hn::ShiftRight<32>(pair));
    k.round = hn::Shl(hn::Set(d64, 1), hn::Sub(k.total_shift, hn::Set(d64, 1)));
    return k;
  }

  /// The requantized lanes, narrowed (lower: the first half of the lanes).
  HWY_INLINE hn::Vec<hn::Rebind<std::int16_t, D32>> Requantized(V64 lower, V64 upper) const {
    const D32 d32;
    const V64 low = Finish(halves_[0], lower);
    // A vector of channels that fits the lower half (8 channels in 512-bit
    // vectors) computes nothing of the upper.
    const V64 high = upper_ ? Finish(halves_[1], upper) : hn::Zero(D64());
    auto v = hn::Add(hn::ConcatEven(d32, hn::BitCast(d32, high), hn::BitCast(d32, low)), hn::Set(d32, offset_));
    v = hn::Min(hn::Max(v, hn::Set(d32, act_.min)), hn::Set(d32, act_.max));
    return hn::DemoteTo(hn::Rebind<std::int16_t, D32>(), v);
  }

  static HWY_INLINE V64 Finish(const Constants& k, V64 sum) {
    const D32 d32;
    const D64 d64;
    const auto x = hn::Add(sum, k.bias);
    const auto high = hn::MulEven(hn::BitCast(d32, hn::ShiftRight<16>(x)), hn::BitCast(d32, k.reduced));
    const auto low = hn::MulEven(hn::BitCast(d32, hn::And(x, hn::Set(d64, 0xffff))), hn::BitCast(d32, k.reduced));
    return hn::Shr(hn::Add(hn::Add(hn::ShiftLeft<16>(high), low), k.round), k.total_shift);
  }

  Constants halves_[2];
  std::int32_t offset_;
  int_range act_;
  int valid_;
  bool upper_;
};

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
/// int32), and WideRequantizer finishes the vector as the reference's wide
/// requantization does each channel. The integer sum is the reference's
/// int64 one, in any order. With a depth multiplier of 1 a tap loads a
/// vector of input channels; with M > 1, output channels ic * M .. + M read
/// input channel ic, broadcast (person_detect's first layer: M = 8 on one
/// input channel). A vector's last channels, when they fill at most half
/// of it, are computed for two pixels at once (one per half of the lanes)
/// wherever both windows lie inside the input along x: person_detect's
/// 8-channel layers filled half of each 512-bit vector (2x faster).
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
  const int multiplier = g.out_c / g.in_c;
  using std::ptrdiff_t;
  const ptrdiff_t in_c = g.in_c, out_c = g.out_c;
  const ptrdiff_t tap_x = g.dilation_w * in_c, tap_y = g.dilation_h * g.in_w * in_c;
  const ptrdiff_t weight_y = g.filter_w * out_c;
  // Output channels [c, c + valid) of every output pixel, the tap's input
  // from its input pixel's channel `from`: input(pointer to it, full, valid)
  // a vector, input_half(pointer, valid) half a vector. Mode: whole vectors
  // (valid >= the lanes: no masks), a part, or a part of at most half the
  // lanes computed for two pixels at once, one in each half (pixel pairs:
  // 8 channels in 512-bit vectors, person_detect's first layers), where
  // both windows lie inside the input along x. Channels outside, pixels
  // inside: the requantization's per-channel constants are loaded once per
  // vector of channels, and the inner loops step pointers.
  enum mode_t { whole_vectors, part_vector, pixel_pairs };
  const auto channels = [&](auto mode_tag, int b, int c, int valid, int from, auto input,
                            auto input_half) QFENCE_INLINE_LAMBDA {
    constexpr mode_t kMode = decltype(mode_tag)::value;
    const std::integral_constant<bool, kMode == whole_vectors> full;
    using requantizer = conv2d_int16x8_detail::WideRequantizer<decltype(d32), Bias>;
    const requantizer requantize(d32, a, c, valid);
    // Pixel pairs: the same constants in both halves.
    const auto pair_requantize = [&] {
      if constexpr (kMode == pixel_pairs) return requantizer(d32, a, c, valid, typename requantizer::pixel_pairs{});
      else return nullptr;
    }();
    const std::int16_t* batch_input = a.input + static_cast<ptrdiff_t>(b) * g.in_h * g.in_w * in_c + from;
    std::int16_t* out = a.output + static_cast<ptrdiff_t>(b) * g.out_h * g.out_w * out_c + c;
    const hn::Half<decltype(d32)> half;
    const hn::Rebind<std::int8_t, decltype(half)> half8;
    const ptrdiff_t next_pixel = g.stride_w * in_c;  // from a pixel's window to the next one's
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = oy * g.stride_h - g.pad_h;
      int fy0, fy1;
      conv2d_int16x8_detail::TapsInside(y0, g.dilation_h, g.filter_h, g.in_h, fy0, fy1);
      for (int ox = 0; ox < g.out_w;) {
        const int x0 = ox * g.stride_w - g.pad_w;
        if constexpr (kMode == pixel_pairs) {
          if (ox + 1 < g.out_w && fy0 < fy1 && x0 >= 0 &&
              x0 + g.stride_w + (g.filter_w - 1) * g.dilation_w < g.in_w) {
            auto acc = hn::Zero(d32);
            const std::int16_t* row = batch_input + (static_cast<ptrdiff_t>(y0 + fy0 * g.dilation_h) * g.in_w + x0) * in_c;
            const std::int8_t* w = a.filter + static_cast<ptrdiff_t>(fy0) * weight_y + c;
            for (int fy = fy0; fy < fy1; ++fy, row += tap_y, w += weight_y) {
              const std::int16_t* x = row;
              const std::int8_t* k = w;
              for (int fx = 0; fx < g.filter_w; ++fx, x += tap_x, k += out_c) {
                const auto weights = hn::PromoteTo(half, LoadFirstLanes(half8, k, valid));
                const auto inputs = hn::Combine(d32, input_half(x + next_pixel, valid), input_half(x, valid));
                acc = hn::Add(acc, hn::Mul(inputs, hn::Combine(d32, weights, weights)));
              }
            }
            pair_requantize.StorePair(acc, out, out + out_c);
            out += 2 * out_c;
            ox += 2;
            continue;
          }
        }
        int fx0, fx1;
        conv2d_int16x8_detail::TapsInside(x0, g.dilation_w, g.filter_w, g.in_w, fx0, fx1);
        auto acc = hn::Zero(d32);
        if (fy0 < fy1 && fx0 < fx1) {
          // The first tap inside the input, and its weights.
          const std::int16_t* row =
              batch_input + (static_cast<ptrdiff_t>(y0 + fy0 * g.dilation_h) * g.in_w + (x0 + fx0 * g.dilation_w)) * in_c;
          const std::int8_t* w = a.filter + (static_cast<ptrdiff_t>(fy0) * g.filter_w + fx0) * out_c + c;
          for (int fy = fy0; fy < fy1; ++fy, row += tap_y, w += weight_y) {
            const std::int16_t* x = row;
            const std::int8_t* k = w;
            for (int fx = fx0; fx < fx1; ++fx, x += tap_x, k += out_c) {
              const auto weights = full ? hn::PromoteTo(d32, hn::LoadU(d8, k))
                                        : hn::PromoteTo(d32, LoadFirstLanes(d8, k, valid));
              acc = hn::Add(acc, hn::Mul(input(x, full, valid), weights));
            }
          }
        }
        requantize.Store(acc, out);
        out += out_c;
        ++ox;
      }
    }
  };
  const std::integral_constant<mode_t, whole_vectors> whole;
  const std::integral_constant<mode_t, part_vector> part;
  const std::integral_constant<mode_t, pixel_pairs> pairs;
  const hn::Half<decltype(d32)> half;
  for (int b = 0; b < g.batches; ++b) {
    const auto rest = [&](int c, int valid, int from, auto input, auto input_half) QFENCE_INLINE_LAMBDA {
      if (2 * valid <= lanes) channels(pairs, b, c, valid, from, input, input_half);
      else channels(part, b, c, valid, from, input, input_half);
    };
    if (multiplier == 1) {
      const auto input = [&](const std::int16_t* x, auto full, int valid) QFENCE_INLINE_LAMBDA {
        if constexpr (decltype(full)::value) return hn::PromoteTo(d32, hn::LoadU(d16, x));
        else return hn::PromoteTo(d32, LoadFirstLanes(d16, x, valid));
      };
      const auto input_half = [&](const std::int16_t* x, int valid) QFENCE_INLINE_LAMBDA {
        return hn::PromoteTo(half, LoadFirstLanes(hn::Rebind<std::int16_t, decltype(half)>(), x, valid));
      };
      int c = 0;
      for (; c + lanes <= g.out_c; c += lanes) channels(whole, b, c, lanes, c, input, input_half);
      if (c < g.out_c) rest(c, g.out_c - c, c, input, input_half);
    } else {
      const auto input = [&](const std::int16_t* x, auto, int) QFENCE_INLINE_LAMBDA {
        return hn::Set(d32, std::int32_t{*x});
      };
      const auto input_half = [&](const std::int16_t* x, int) QFENCE_INLINE_LAMBDA {
        return hn::Set(half, std::int32_t{*x});
      };
      for (int ic = 0; ic < g.in_c; ++ic) {
        int m = 0;
        for (; m + lanes <= multiplier; m += lanes) channels(whole, b, ic * multiplier + m, lanes, ic, input, input_half);
        if (m < multiplier) rest(ic * multiplier + m, multiplier - m, ic, input, input_half);
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

#if HWY_TARGET != HWY_SCALAR
namespace conv2d_int16x8_detail {

/// The pixels a tile keeps at most (their window pointers and rows).
inline constexpr int kMaxPixels = 12;

/// acc[i][v] += the pair of inputs words[i] . the pair of weights of each
/// channel of vector v (weights w[v] + at, widened to int16).
template <int Vectors, int Pixels, class D32>
HWY_INLINE void AccumulatePairs(D32 d32, hn::Vec<D32> (&acc)[Pixels][Vectors], const std::int8_t* const (&w)[Vectors],
                                std::size_t at, const std::int32_t (&words)[Pixels]) {
  const hn::Repartition<std::int16_t, D32> d16;
  const hn::Rebind<std::int8_t, decltype(d16)> d8;
  hn::Vec<decltype(d16)> wv[Vectors];
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) wv[v] = hn::PromoteTo(d16, hn::LoadU(d8, w[v] + at));
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i) {
    const auto x = hn::BitCast(d16, hn::Set(d32, words[i]));
    QFENCE_UNROLL
    for (int v = 0; v < Vectors; ++v) acc[i][v] = DotPairs(d32, acc[i][v], x, wv[v]);
  }
}

/// One register tile: the pixels of `px` by Vectors vectors of channels from
/// `oc`. `wide`: the window has more than kStepsPerFlush pairs, whose sums
/// are carried in int64 (the file comment). (A run-time flag: as a template
/// parameter it doubled the tiles compiled, for a branch that the inner
/// loop predicts.)
template <int Vectors, int Pixels, class D32>
HWY_INLINE void PackedTile(D32 d32, const window_geometry& g, const conv_packing& pk,
                           const conv2d_int16x8_packed_args& a, const conv_detail::tile_pixels<std::int16_t>& px,
                           int oc, bool wide) {
  using V = hn::Vec<D32>;
  const hn::Repartition<std::int64_t, D32> d64;
  const hn::Half<D32> half;
  const int n = static_cast<int>(hn::Lanes(d32));
  constexpr std::size_t kLanes64 = hn::MaxLanes(decltype(d64)());
  const bool filter_rows = reads_filter_rows(g.filter_w, g.in_c, g.dilation_w);
  const int pairs = pk.padded_segment() / 2, whole = pk.segment_len / 2;
  V acc[Pixels][Vectors];
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i)
    QFENCE_UNROLL
    for (int v = 0; v < Vectors; ++v) acc[i][v] = hn::Zero(d32);
  // Vector v covers channels oc + v*n .. (conv_packing::channel_offset).
  const std::int8_t* w[Vectors];
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) w[v] = a.weights + pk.channel_offset(oc + v * n);
  // wide: the sums flushed so far, [pixel][vector][half][int64 lane], in
  // memory (touched once per kStepsPerFlush pairs).
  alignas(64) std::int64_t sums[Pixels][Vectors][2][kLanes64];
  int steps = 0;
  const auto flush = [&]() QFENCE_INLINE_LAMBDA {
    for (int i = 0; i < Pixels; ++i)
      for (int v = 0; v < Vectors; ++v) {
        std::int64_t* lower = sums[i][v][0];
        std::int64_t* upper = sums[i][v][1];
        hn::Store(hn::Add(hn::Load(d64, lower), hn::PromoteTo(d64, hn::LowerHalf(half, acc[i][v]))), d64, lower);
        hn::Store(hn::Add(hn::Load(d64, upper), hn::PromoteTo(d64, hn::UpperHalf(half, acc[i][v]))), d64, upper);
        acc[i][v] = hn::Zero(d32);
      }
    steps = 0;
  };
  if (wide) {
    for (int i = 0; i < Pixels; ++i)
      for (int v = 0; v < Vectors; ++v)
        for (int h = 0; h < 2; ++h) hn::Store(hn::Zero(d64), d64, sums[i][v][h]);
  }
  // Filter rows that leave the image at its left or right, assembled.
  alignas(64) std::int16_t assembled[Pixels][max_assembled_row];
  const int segments = kept_loop_bound(pk.segments);
  for (int s = 0; s < segments; ++s) {
    const std::int16_t* src[Pixels];
    QFENCE_UNROLL
    for (int i = 0; i < Pixels; ++i)
      src[i] = i < px.count ? conv_detail::segment_row(g, a.pad_row, px.batch_input, filter_rows, s, px.y0[i],
                                                       px.x0[i], assembled[i])
                            : a.pad_row;
    const std::size_t at = static_cast<std::size_t>(s) * static_cast<std::size_t>(pairs) * pk.tile_bytes();
    // Runs of pairs with no flush inside (a flush in the loop kept GCC from
    // holding the accumulators in registers: 128-channel 1x1 layers ran at
    // half speed); a wide window's runs end where its lanes must be widened.
    for (int k = 0; k < whole;) {
      const int run = wide ? std::min(whole - k, kStepsPerFlush - steps) : whole - k;
      for (const int end = k + run; k < end; ++k) {
        std::int32_t words[Pixels];
        QFENCE_UNROLL
        for (int i = 0; i < Pixels; ++i) words[i] = conv_detail::load_word(src[i] + 2 * k);
        AccumulatePairs<Vectors, Pixels>(d32, acc, w, at + static_cast<std::size_t>(k) * pk.tile_bytes(), words);
      }
      if (wide && (steps += run) == kStepsPerFlush) flush();
    }
    if (whole < pairs) {  // an odd last value: read no further than the segment
      std::int32_t words[Pixels];
      QFENCE_UNROLL
      for (int i = 0; i < Pixels; ++i) words[i] = static_cast<std::uint16_t>(src[i][2 * whole]);
      AccumulatePairs<Vectors, Pixels>(d32, acc, w, at + static_cast<std::size_t>(whole) * pk.tile_bytes(), words);
      if (wide && ++steps == kStepsPerFlush) flush();
    }
  }
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) {
    const int c = oc + v * n;
    if (c >= g.out_c) continue;
    const WideRequantizer<D32, std::int64_t> requantize(d32, a.layer, c, g.out_c - c);
    QFENCE_UNROLL
    for (int i = 0; i < Pixels; ++i) {
      if (i >= px.count) continue;
      if (wide) {
        requantize.Store(hn::Add(hn::Load(d64, sums[i][v][0]), hn::PromoteTo(d64, hn::LowerHalf(half, acc[i][v]))),
                         hn::Add(hn::Load(d64, sums[i][v][1]), hn::PromoteTo(d64, hn::UpperHalf(half, acc[i][v]))),
                         px.out[i] + c);
      } else {
        requantize.Store(acc[i][v], px.out[i] + c);
      }
    }
  }
}

/// Every output pixel in tiles of Vectors vectors of the channels
/// [oc_begin, oc_end) (a whole number of vectors).
template <int Vectors, class D32>
HWY_INLINE void PackedPixelTiles(D32 d32, const window_geometry& g, const conv_packing& pk,
                                 const conv2d_int16x8_packed_args& a, int oc_begin, int oc_end, bool wide) {
  constexpr int Pixels = TilePixels(Vectors, kMaxPixels);
  const int n = static_cast<int>(hn::Lanes(d32));
  const int pixels = g.out_h * g.out_w;
  const std::size_t in_image = static_cast<std::size_t>(g.in_h) * static_cast<std::size_t>(g.in_w) *
                               static_cast<std::size_t>(g.in_c);
  for (int b = 0; b < g.batches; ++b) {
    conv_detail::tile_pixels<std::int16_t> px;
    px.batch_input = a.layer.input + static_cast<std::size_t>(b) * in_image;
    std::int16_t* batch_out = a.layer.output + static_cast<std::size_t>(b) * static_cast<std::size_t>(pixels) *
                                                   static_cast<std::size_t>(g.out_c);
    // Pixels [p0, p0 + count) as the tile's first rows (the rest repeat p0).
    const auto gather = [&](int p0, int count, int rows) QFENCE_INLINE_LAMBDA {
      px.count = count;
      for (int i = 0; i < rows; ++i) {
        const int p = p0 + (i < count ? i : 0), oy = p / g.out_w, ox = p % g.out_w;
        px.y0[i] = oy * g.stride_h - g.pad_h;
        px.x0[i] = ox * g.stride_w - g.pad_w;
        px.out[i] = batch_out + static_cast<std::size_t>(p) * static_cast<std::size_t>(g.out_c);
      }
    };
    for (int p0 = 0; p0 < pixels; p0 += Pixels) {
      const int count = pixels - p0 < Pixels ? pixels - p0 : Pixels;
      if constexpr (Pixels > 1) {
        // A few pixels left (a 1x1 map, a map's last): tiles of one pixel.
        // A tile computes all its rows, used or not; a one-pixel tile loads
        // each weight vector for its one row.
        if (count * 2 <= Pixels) {
          for (int j = 0; j < count; ++j) {
            gather(p0 + j, 1, 1);
            for (int oc = oc_begin; oc < oc_end; oc += Vectors * n) PackedTile<Vectors, 1>(d32, g, pk, a, px, oc, wide);
          }
          continue;
        }
      }
      gather(p0, count, Pixels);
      for (int oc = oc_begin; oc < oc_end; oc += Vectors * n) PackedTile<Vectors, Pixels>(d32, g, pk, a, px, oc, wide);
    }
  }
}

/// The channels in passes, as the int8 kernel's ChannelPasses: tiles of
/// kTileVectors vectors over as many channels as they fill, then one pass
/// over the 1..3 vectors left, in tiles of their own width (more pixels).
template <class D32>
HWY_INLINE void PackedChannelPasses(D32 d32, const window_geometry& g, const conv_packing& pk,
                                    const conv2d_int16x8_packed_args& a, bool wide) {
  const int n = static_cast<int>(hn::Lanes(d32));
  const int all = pk.padded_out_c() / n, full = all / kTileVectors * kTileVectors, rest = all - full;
  static_assert(kTileVectors == 4, "the passes below cover 1..3 vectors left");
  if (full > 0) PackedPixelTiles<kTileVectors>(d32, g, pk, a, 0, full * n, wide);
  if (rest == 3) PackedPixelTiles<3>(d32, g, pk, a, full * n, all * n, wide);
  else if (rest == 2) PackedPixelTiles<2>(d32, g, pk, a, full * n, all * n, wide);
  else if (rest == 1) PackedPixelTiles<1>(d32, g, pk, a, full * n, all * n, wide);
}

/// The kernel of every layer (geometry at run time: one copy per target,
/// not one per layer).
HWY_NOINLINE inline void Conv2DInt16x8Packed(const window_geometry& g, const conv2d_int16x8_packed_args& a) {
  const hn::ScalableTag<std::int32_t> d32;
  const conv_packing pk = conv_packing::for_filter(g.out_c, g.filter_h, g.filter_w, g.in_c, g.dilation_w, 2);
  if constexpr (HWY_HAVE_SCALABLE || hn::MaxLanes(decltype(d32)()) > channel_tile) {
    // Vectors wider than a 16-channel tile (no x86 target): the reference.
    reference::conv2d(g, g.in_c, a.layer.input, a.layer.filter, a.layer.bias, a.layer.multipliers,
                      a.layer.output_offset, a.layer.act, a.layer.output);
  } else {
    PackedChannelPasses(d32, g, pk, a, static_cast<std::int64_t>(pk.segments) * (pk.padded_segment() / 2) > kStepsPerFlush);
  }
}

}  // namespace conv2d_int16x8_detail
#endif

/// int16x8 CONV_2D, groups of 1, on weights packed in pairs (see the file
/// comment); the one-lane target runs the reference on the weights as
/// stored.
template <class Geometry>
HWY_NOINLINE void Conv2DInt16x8(const Geometry& geometry, const conv2d_int16x8_packed_args& a) {
#if HWY_TARGET == HWY_SCALAR
  const conv2d_int16x8_args<std::int64_t>& l = a.layer;
  reference::conv2d(geometry, value_of(geometry).in_c, l.input, l.filter, l.bias, l.multipliers, l.output_offset,
                    l.act, l.output);
#else
  conv2d_int16x8_detail::Conv2DInt16x8Packed(value_of(geometry), a);
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
