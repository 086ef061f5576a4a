// qfence/kernels/packed_conv.hpp: the layout the int8 convolution kernels
// read their weights and per-channel constants in (kernels/conv2d-inl.hpp).
//
// The SIMD dot product (vpdpbusd, or its widening emulation) multiplies 4
// unsigned bytes by 4 signed bytes per 32-bit lane. So:
//   - weights are stored as w + 128 (unsigned) and tiled as [out_c / 16][tap]
//     [in_c / 4][16 out channels][4 in channels] (in_c and out_c rounded up
//     with weights of 0, stored as 128): one 64-byte tile is one AVX-512
//     vector, two AVX2 vectors or four 128-bit ones, the same bytes on every
//     target;
//   - inputs are the signed operand, broadcast straight from memory; padding
//     taps read a pad row of the input zero point. Over all taps the
//     accumulator is sum((w + 128) * x) = sum(w * x) + 128 * sum(x), so the
//     kernel starts each pixel at bias' - 128 * sum(x) (sum(x): its window's
//     bytes, pad taps included) with
//       bias' = bias - input_zero_point * sum(w)                (mod 2^32)
//     which leaves TFLite's sum(w * (x - zero_point)) over the in-bounds taps
//     exactly (a padding tap adds w * zp - w * zp = 0);
//   - the requantization constants are stored as the lanes use them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// Output channels per weight tile (one 512-bit vector of int32 lanes).
inline constexpr int channel_tile = 16;

constexpr int round_up(int v, int multiple) noexcept { return (v + multiple - 1) / multiple * multiple; }

/// The sizes of one packed convolution (groups of 1).
struct conv_packing {
  int out_c = 0, taps = 0, in_c = 0;

  constexpr int padded_out_c() const noexcept { return round_up(out_c, channel_tile); }
  constexpr int padded_in_c() const noexcept { return round_up(in_c, 4); }
  /// Bytes of one 16-channel column of tiles (every tap, every input group).
  constexpr std::size_t column_bytes() const noexcept {
    return static_cast<std::size_t>(taps) * static_cast<std::size_t>(padded_in_c()) * channel_tile;
  }
  constexpr std::size_t weight_bytes() const noexcept {
    return column_bytes() * static_cast<std::size_t>(padded_out_c() / channel_tile);
  }
  /// int32 words of the per-channel constants (see conv_epilogue_row).
  constexpr std::size_t epilogue_words() const noexcept { return 5 * static_cast<std::size_t>(padded_out_c()); }
};

/// Rows of the packed per-channel constants, each padded_out_c() long.
enum class conv_epilogue_row : int {
  bias = 0,        // bias - input zero point * sum(weights)
  multiplier = 1,  // the fixed-point multiplier
  left = 2,        // 1 << max(shift, 0): TFLite's x * (1 << left_shift), as a multiply
  right = 3,       // max(-shift, 0), the rounding right shift
  mask = 4,        // (1 << right) - 1
};

/// Packs `weights` ([out_c][taps][in_c], TFLite's OHWI) into p.weight_bytes()
/// bytes at `packed`, as w + 128.
template <class Out>
constexpr void pack_conv_weights(const conv_packing& p, const std::int8_t* weights, Out* packed) noexcept {
  const int in_cp = p.padded_in_c();
  std::size_t at = 0;
  for (int column = 0; column < p.padded_out_c() / channel_tile; ++column)
    for (int tap = 0; tap < p.taps; ++tap)
      for (int group = 0; group < in_cp / 4; ++group)
        for (int lane = 0; lane < channel_tile; ++lane)
          for (int k = 0; k < 4; ++k) {
            const int oc = column * channel_tile + lane, ic = group * 4 + k;
            const bool real = oc < p.out_c && ic < p.in_c;
            packed[at++] = static_cast<Out>(128 + (real ? weights[(static_cast<std::size_t>(oc) * static_cast<std::size_t>(p.taps) +
                                                            static_cast<std::size_t>(tap)) *
                                                               static_cast<std::size_t>(p.in_c) +
                                                           static_cast<std::size_t>(ic)]
                                                 : 0));
          }
}

/// Packs per-channel constants into 5 * padded_out_c words at `out`:
/// `bias` may be null, `multipliers` has out_c entries (per channel, or one
/// value repeated), `weight_sum(oc)` is the sum of channel oc's weights and
/// `pad_value` what the kernel multiplies them by for a padding tap (the
/// input zero point, shifted as the kernel shifts its inputs).
template <class WeightSum>
constexpr void pack_epilogue(int out_c, int padded_out_c, WeightSum&& weight_sum, const std::int32_t* bias,
                             std::int32_t pad_value, const quantized_multiplier* multipliers,
                             std::int32_t* out) noexcept {
  const auto row = [&](conv_epilogue_row r, int oc) -> std::int32_t& {
    return out[static_cast<std::size_t>(static_cast<int>(r)) * static_cast<std::size_t>(padded_out_c) +
               static_cast<std::size_t>(oc)];
  };
  for (int oc = 0; oc < padded_out_c; ++oc) {
    if (oc >= out_c) {  // padding channels: computed, never stored
      row(conv_epilogue_row::bias, oc) = 0;
      row(conv_epilogue_row::multiplier, oc) = 0;
      row(conv_epilogue_row::left, oc) = 1;
      row(conv_epilogue_row::right, oc) = 0;
      row(conv_epilogue_row::mask, oc) = 0;
      continue;
    }
    // Modular arithmetic, as the reference's int32 accumulation wraps.
    const auto b = static_cast<std::uint32_t>(bias != nullptr ? bias[oc] : 0);
    row(conv_epilogue_row::bias, oc) =
        static_cast<std::int32_t>(b - static_cast<std::uint32_t>(pad_value) * static_cast<std::uint32_t>(weight_sum(oc)));
    const quantized_multiplier m = multipliers[oc];
    const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
    row(conv_epilogue_row::multiplier, oc) = m.multiplier;
    row(conv_epilogue_row::left, oc) = static_cast<std::int32_t>(std::uint32_t{1} << left);
    row(conv_epilogue_row::right, oc) = right;
    row(conv_epilogue_row::mask, oc) = static_cast<std::int32_t>((std::int64_t{1} << right) - 1);
  }
}

/// The per-channel constants of an int8 convolution (weights as
/// pack_conv_weights takes them).
constexpr void pack_conv_epilogue(const conv_packing& p, const std::int8_t* weights, const std::int32_t* bias,
                                  std::int32_t input_zero_point, const quantized_multiplier* multipliers,
                                  std::int32_t* out) noexcept {
  const std::size_t per_channel = static_cast<std::size_t>(p.taps) * static_cast<std::size_t>(p.in_c);
  const auto weight_sum = [&](int oc) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < per_channel; ++i)
      sum += static_cast<std::uint32_t>(static_cast<std::int32_t>(weights[static_cast<std::size_t>(oc) * per_channel + i]));
    return sum;
  };
  pack_epilogue(p.out_c, p.padded_out_c(), weight_sum, bias, input_zero_point, multipliers, out);
}

/// The sizes of one packed depthwise convolution (depth multiplier 1): the
/// weights widened to int16 as [tap][padded channels] (the kernel multiplies
/// in int16: |x * w| <= 128 * 127, and two such products still fit).
struct depthwise_packing {
  int channels = 0, taps = 0;
  constexpr int padded_channels() const noexcept { return round_up(channels, channel_tile); }
  constexpr std::size_t weight_count() const noexcept {
    return static_cast<std::size_t>(taps) * static_cast<std::size_t>(padded_channels());
  }
  constexpr std::size_t epilogue_words() const noexcept { return 5 * static_cast<std::size_t>(padded_channels()); }
};

/// Widens TFLite's depthwise weights ([1][taps][channels]) into
/// [tap][padded channels] int16.
constexpr void pack_depthwise_weights(const depthwise_packing& p, const std::int8_t* weights,
                                      std::int16_t* packed) noexcept {
  for (int t = 0; t < p.taps; ++t)
    for (int c = 0; c < p.padded_channels(); ++c)
      packed[static_cast<std::size_t>(t) * static_cast<std::size_t>(p.padded_channels()) + static_cast<std::size_t>(c)] =
          c < p.channels ? weights[static_cast<std::size_t>(t) * static_cast<std::size_t>(p.channels) + static_cast<std::size_t>(c)] : 0;
}

/// The per-channel constants of an int8 depthwise convolution (its kernel
/// multiplies the inputs as they are; padding taps read the zero point).
constexpr void pack_depthwise_epilogue(const depthwise_packing& p, const std::int8_t* weights,
                                       const std::int32_t* bias, std::int32_t input_zero_point,
                                       const quantized_multiplier* multipliers, std::int32_t* out) noexcept {
  const auto weight_sum = [&](int c) {
    std::uint32_t sum = 0;
    for (int t = 0; t < p.taps; ++t)
      sum += static_cast<std::uint32_t>(static_cast<std::int32_t>(
          weights[static_cast<std::size_t>(t) * static_cast<std::size_t>(p.channels) + static_cast<std::size_t>(c)]));
    return sum;
  };
  pack_epilogue(p.channels, p.padded_channels(), weight_sum, bias, input_zero_point, multipliers, out);
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
