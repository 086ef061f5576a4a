// qfence/kernels/packed_conv.hpp: the layout the int8 convolution kernels
// read their weights and per-channel constants in (kernels/conv2d-inl.hpp).
//
// The SIMD dot product (vpdpbusd, or its widening emulation) multiplies 4
// unsigned bytes by 4 signed bytes per 32-bit lane. So:
//   - weights are the signed operand, stored as they are and tiled as
//     [out_c / 16][segment][segment bytes / 4][16 out channels][4 bytes]
//     (rounded up with weights of 0): one 64-byte tile is one AVX-512 vector,
//     two AVX2 vectors or four 128-bit ones, the same bytes on every target
//     (int16x8 layers take the same layout in pairs, conv_packing::step 2:
//     32-byte tiles, widened to int16 as they are loaded);
//   - inputs are the unsigned operand: the kernel broadcasts 4 input bytes
//     and flips their sign bits, which reads x + 128. Over all taps the
//     accumulator gains sum(w * (x + 128)), so it starts at
//       bias' = bias - (input_zero_point + 128) * sum(w)        (mod 2^32)
//     which leaves TFLite's sum(w * (x - zero_point)): a constant per
//     channel, nothing per pixel. Padding taps read a pad row of the input
//     zero point (they add w * (zp + 128) - w * (zp + 128) = 0);
//   - a segment is what the kernel reads contiguously from one input pixel
//     on: a whole filter row (filter_w * in_c bytes, when dilation_w is 1 and
//     the row is small enough to assemble on the stack at the image's left
//     and right borders), else one tap (in_c bytes). Filter rows keep few
//     channels dense: an RGB 3x3 row is 9 bytes in 3 groups of 4, not 3 taps
//     of one padded group each;
//   - the requantization constants are stored as the lanes use them.
// Legacy uint8 layers (uint8 inputs; uint8 weights w with a zero point zw,
// so w - zw spans up to [-255, 255] and fits no byte) swap the roles of the
// +128: inputs are the unsigned operand as they are, weights are stored as
// w - 128 (a signed byte). Over all N taps the accumulator gains
// sum(x * (w - 128)), and TFLite's sum((x - zx) * (w - zw)) is that plus
//       (128 - zw) * sum(x)                  per pixel: the kernel adds it
//     - zx * sum(w - zw)                     per channel: in bias'
// (expand both sides; padding taps read zx, where (x - zx) = 0). The
// per-pixel input sum costs a byte sum per window, not a multiply per tap.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// Output channels per weight tile (one 512-bit vector of int32 lanes).
inline constexpr int channel_tile = 16;

/// Rows of per-channel constants (conv_epilogue_row) the kernels read.
inline constexpr std::size_t epilogue_rows = 14;

constexpr int round_up(int v, int multiple) noexcept { return (v + multiple - 1) / multiple * multiple; }

/// The longest filter row the convolution kernel assembles on the stack
/// (where the row leaves the image); longer rows are read tap by tap.
inline constexpr int max_assembled_row = 512;

/// Whether the convolution kernel reads whole filter rows as one segment.
constexpr bool reads_filter_rows(int filter_w, int in_c, int dilation_w) noexcept {
  return filter_w == 1 || (dilation_w == 1 && round_up(filter_w * in_c, 4) <= max_assembled_row);
}

/// The sizes of one packed convolution (groups of 1): `segments` runs of
/// `segment_len` input values per output pixel (see the file comment), and
/// `step`, the input values one 32-bit lane of the dot product takes at a
/// time: 4 bytes (DotBytes: int8, uint8, hybrid layers) or 2 int16 (DotPairs:
/// int16x8 layers, kernels/conv2d_int16x8-inl.hpp). Weights stay bytes
/// either way; a tile is 16 channels x `step` of them.
struct conv_packing {
  int out_c = 0, segments = 0, segment_len = 0, step = 4;

  /// A convolution's packing: filter rows as segments when the kernel reads
  /// them whole, taps otherwise.
  static constexpr conv_packing for_filter(int out_c, int filter_h, int filter_w, int in_c, int dilation_w,
                                           int step = 4) noexcept {
    if (reads_filter_rows(filter_w, in_c, dilation_w)) return {out_c, filter_h, filter_w * in_c, step};
    return {out_c, filter_h * filter_w, in_c, step};
  }

  constexpr int padded_out_c() const noexcept { return round_up(out_c, channel_tile); }
  constexpr int padded_segment() const noexcept { return round_up(segment_len, step); }
  /// Bytes of one 16-channel tile: what one step reads for 16 channels.
  constexpr std::size_t tile_bytes() const noexcept { return static_cast<std::size_t>(channel_tile * step); }
  /// Bytes of one 16-channel column of tiles (every segment, every step).
  constexpr std::size_t column_bytes() const noexcept {
    return static_cast<std::size_t>(segments) * static_cast<std::size_t>(padded_segment()) * channel_tile;
  }
  /// Where channel c's weights start in the packed weights: its column,
  /// then its `step` bytes within each tile (the kernels step by
  /// tile_bytes() from there).
  constexpr std::size_t channel_offset(int c) const noexcept {
    return static_cast<std::size_t>(c / channel_tile) * column_bytes() +
           static_cast<std::size_t>(c % channel_tile) * static_cast<std::size_t>(step);
  }
  constexpr std::size_t weight_bytes() const noexcept {
    return column_bytes() * static_cast<std::size_t>(padded_out_c() / channel_tile);
  }
  /// int32 words of the per-channel constants (see conv_epilogue_row).
  constexpr std::size_t epilogue_words() const noexcept {
    return epilogue_rows * static_cast<std::size_t>(padded_out_c());
  }
};

/// Rows of the packed per-channel constants, each padded_out_c() long: the
/// bias, then TFLite's MultiplyByQuantizedMultiplier as requantize-inl.hpp
/// uses it (read by requantize_lanes, so the layout lives in one place).
enum class conv_epilogue_row : int {
  bias = 0,            // bias - pad value * sum(weights)
  left = 1,            // max(shift, 0): TFLite's x * (1 << left_shift), as a shift
  multiplier = 2,      // the fixed-point multiplier
  multiplier_odd = 3,  // word 2j and 2j+1: channel 2j+1's multiplier (what the odd lanes' 64-bit products take)
  right = 4,           // max(-shift, 0), the rounding right shift
  mask = 5,            // (1 << right) - 1
  half_mask = 6,       // mask >> 1
  // The single 64-bit rounding of AVX-512 (core/fixed_point.hpp,
  // single_rounding), one int64 per channel in the words of a channel
  // pair: words 2j and 2j+1 of the even rows hold channel 2j's, of the odd
  // rows channel 2j+1's (what the even and odd lanes' products meet).
  round_even = 7,
  round_odd = 8,
  shift_even = 9,
  shift_odd = 10,
  // The float screen (core/fixed_point.hpp, float_screen_of), float bits;
  // float_screen{} for a channel without one.
  screen_multiplier = 11,
  screen_positive = 12,  // C for accumulators >= 0
  screen_negative = 13,  // C for accumulators < 0
};

/// A weight as the kernels' signed operand: int8 as it is, uint8 as w - 128.
constexpr std::int8_t signed_weight(std::int8_t w) noexcept { return w; }
constexpr std::int8_t signed_weight(std::uint8_t w) noexcept { return static_cast<std::int8_t>(w - 128); }

/// Packs `weights` (TFLite's OHWI, i.e. [out_c][segments * segment_len]
/// either way; int8, or uint8 stored as w - 128) into p.weight_bytes() bytes
/// at `packed`: [column][segment][step][16 channels][p.step values].
template <class TW>
constexpr void pack_conv_weights(const conv_packing& p, const TW* weights, std::int8_t* packed) noexcept {
  const std::size_t per_channel = static_cast<std::size_t>(p.segments) * static_cast<std::size_t>(p.segment_len);
  std::size_t at = 0;
  for (int column = 0; column < p.padded_out_c() / channel_tile; ++column)
    for (int segment = 0; segment < p.segments; ++segment)
      for (int group = 0; group < p.padded_segment() / p.step; ++group)
        for (int lane = 0; lane < channel_tile; ++lane)
          for (int k = 0; k < p.step; ++k) {
            const int oc = column * channel_tile + lane, byte = group * p.step + k;
            packed[at++] = oc < p.out_c && byte < p.segment_len
                               ? signed_weight(weights[static_cast<std::size_t>(oc) * per_channel +
                                                       static_cast<std::size_t>(segment) *
                                                           static_cast<std::size_t>(p.segment_len) +
                                                       static_cast<std::size_t>(byte)])
                               : std::int8_t{0};
          }
}

/// Packs per-channel constants into conv_packing::epilogue_rows *
/// padded_out_c words at `out`: `bias` may be null, `multipliers` has out_c
/// entries (per channel, or one value repeated), `weight_sum(oc)` is the sum
/// of channel oc's weights and `pad_value` what the kernel multiplies them by
/// for a padding tap (the input zero point, shifted as the kernel shifts its
/// inputs).
template <class WeightSum>
constexpr void pack_epilogue(int out_c, int padded_out_c, WeightSum&& weight_sum, const std::int32_t* bias,
                             std::int32_t pad_value, const quantized_multiplier* multipliers,
                             std::int32_t* out) noexcept {
  const auto row = [&](conv_epilogue_row r, int oc) -> std::int32_t& {
    return out[static_cast<std::size_t>(static_cast<int>(r)) * static_cast<std::size_t>(padded_out_c) +
               static_cast<std::size_t>(oc)];
  };
  for (int oc = 0; oc < padded_out_c; ++oc) {
    // Padding channels are computed, never stored: a multiplier of 0.
    const quantized_multiplier m = oc < out_c ? multipliers[oc] : quantized_multiplier{0, 0};
    const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
    // Modular arithmetic, as the reference's int32 accumulation wraps.
    const auto b = static_cast<std::uint32_t>(oc < out_c && bias != nullptr ? bias[oc] : 0);
    row(conv_epilogue_row::bias, oc) = oc < out_c ? static_cast<std::int32_t>(
                                                        b - static_cast<std::uint32_t>(pad_value) *
                                                                static_cast<std::uint32_t>(weight_sum(oc)))
                                                  : 0;
    const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << right) - 1);
    row(conv_epilogue_row::left, oc) = left;
    row(conv_epilogue_row::multiplier, oc) = m.multiplier;
    row(conv_epilogue_row::right, oc) = right;
    row(conv_epilogue_row::mask, oc) = mask;
    row(conv_epilogue_row::half_mask, oc) = mask >> 1;
    if (oc % 2 == 1) {
      row(conv_epilogue_row::multiplier_odd, oc - 1) = m.multiplier;
      row(conv_epilogue_row::multiplier_odd, oc) = m.multiplier;
    }
    const single_rounding one = single_rounding_of(right);
    const auto int64_at = [&](conv_epilogue_row even, conv_epilogue_row odd, std::int64_t v) {
      const int pair = oc - oc % 2;
      const conv_epilogue_row r = oc % 2 == 0 ? even : odd;
      row(r, pair) = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
      row(r, pair + 1) = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v) >> 32));
    };
    int64_at(conv_epilogue_row::round_even, conv_epilogue_row::round_odd, one.round);
    int64_at(conv_epilogue_row::shift_even, conv_epilogue_row::shift_odd, one.shift);
    const float_screen screen = oc < out_c && has_float_screen(m) ? float_screen_of(m) : float_screen{};
    row(conv_epilogue_row::screen_multiplier, oc) = std::bit_cast<std::int32_t>(screen.multiplier);
    row(conv_epilogue_row::screen_positive, oc) = std::bit_cast<std::int32_t>(screen.positive);
    row(conv_epilogue_row::screen_negative, oc) = std::bit_cast<std::int32_t>(screen.negative);
  }
}

/// What the convolution kernel adds to an input byte to make it the dot
/// product's unsigned operand: int8 + 128 (its sign bit flipped); uint8 is
/// unsigned already.
template <class T>
inline constexpr std::int32_t input_operand_offset = std::is_same_v<T, std::int8_t> ? 128 : 0;

/// The per-channel constants of an int8 or legacy uint8 convolution
/// (weights as pack_conv_weights takes them; weight_zero_point is 0 for int8):
/// bias - (zx + input_operand_offset) * sum(w - zw) (the file comment; a uint8
/// layer's kernel adds the per-pixel term).
template <class TW>
constexpr void pack_conv_epilogue(const conv_packing& p, const TW* weights, const std::int32_t* bias,
                                  std::int32_t input_zero_point, const quantized_multiplier* multipliers,
                                  std::int32_t* out, std::int32_t weight_zero_point = 0) noexcept {
  const std::size_t per_channel = static_cast<std::size_t>(p.segments) * static_cast<std::size_t>(p.segment_len);
  const auto weight_sum = [&](int oc) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < per_channel; ++i)
      sum += static_cast<std::uint32_t>(
          static_cast<std::int32_t>(weights[static_cast<std::size_t>(oc) * per_channel + i]) - weight_zero_point);
    return sum;
  };
  pack_epilogue(p.out_c, p.padded_out_c(), weight_sum, bias, input_zero_point + input_operand_offset<TW>, multipliers,
                out);
}

/// What the kernel multiplies each pixel's input sum by: 128 - zw for a
/// uint8 layer (the file comment); an int8 layer has no such term (0).
template <class T>
constexpr std::int32_t conv_input_sum_factor(std::int32_t weight_zero_point) noexcept {
  return std::is_same_v<T, std::uint8_t> ? 128 - weight_zero_point : 0;
}

/// The sizes of one packed depthwise convolution (`channels`: its output
/// channels, any depth multiplier). The
/// kernel (depthwise_conv2d-inl.hpp) multiplies int16 pairs: each 32-bit lane
/// holds one channel's inputs from two filter rows (fy = 2k and 2k + 1) and
/// gains their dot product with the two weights (|x * (w - zw)| <= 255 *
/// 255 for legacy uint8, 128 * 128 for int8: a pair of products fits int32).
/// Weights are widened to int16 as [pair k][fx][padded channel][fy = 2k,
/// 2k + 1] (0 past the last row or channel).
struct depthwise_packing {
  int channels = 0, filter_h = 0, filter_w = 0;
  constexpr int padded_channels() const noexcept { return round_up(channels, channel_tile); }
  /// Pairs of filter rows (an odd last row pairs with weights of 0).
  constexpr int pairs() const noexcept { return (filter_h + 1) / 2; }
  constexpr std::size_t weight_count() const noexcept {
    return static_cast<std::size_t>(pairs()) * static_cast<std::size_t>(filter_w) *
           static_cast<std::size_t>(padded_channels()) * 2;
  }
  constexpr std::size_t epilogue_words() const noexcept {
    return epilogue_rows * static_cast<std::size_t>(padded_channels());
  }
};

/// Widens TFLite's depthwise weights ([1][filter_h][filter_w][channels]) into
/// the layout of depthwise_packing, minus their zero point (legacy uint8:
/// w - zw in [-255, 255], times an input byte of at most 255, a pair of them
/// still fits int32; int8 weights have none).
template <class TW>
constexpr void pack_depthwise_weights(const depthwise_packing& p, const TW* weights, std::int16_t* packed,
                                      std::int32_t weight_zero_point = 0) noexcept {
  std::size_t at = 0;
  for (int k = 0; k < p.pairs(); ++k)
    for (int fx = 0; fx < p.filter_w; ++fx)
      for (int c = 0; c < p.padded_channels(); ++c)
        for (int j = 0; j < 2; ++j) {
          const int fy = 2 * k + j;
          packed[at++] = c < p.channels && fy < p.filter_h
                             ? static_cast<std::int16_t>(
                                   weights[(static_cast<std::size_t>(fy) * static_cast<std::size_t>(p.filter_w) +
                                            static_cast<std::size_t>(fx)) * static_cast<std::size_t>(p.channels) +
                                           static_cast<std::size_t>(c)] - weight_zero_point)
                             : std::int16_t{0};
        }
}

/// The per-channel constants of a quantized depthwise convolution (its
/// kernel multiplies the inputs as they are by w - zw; padding taps read the
/// input zero point): bias - zx * sum(w - zw).
template <class TW>
constexpr void pack_depthwise_epilogue(const depthwise_packing& p, const TW* weights, const std::int32_t* bias,
                                       std::int32_t input_zero_point, const quantized_multiplier* multipliers,
                                       std::int32_t* out, std::int32_t weight_zero_point = 0) noexcept {
  const int taps = p.filter_h * p.filter_w;
  const auto weight_sum = [&](int c) {
    std::uint32_t sum = 0;
    for (int t = 0; t < taps; ++t)
      sum += static_cast<std::uint32_t>(
          static_cast<std::int32_t>(weights[static_cast<std::size_t>(t) * static_cast<std::size_t>(p.channels) +
                                            static_cast<std::size_t>(c)]) -
          weight_zero_point);
    return sum;
  };
  pack_epilogue(p.channels, p.padded_channels(), weight_sum, bias, input_zero_point, multipliers, out);
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
