// qfence/kernels/reference/signal/bits.hpp: the integer helpers of TFLM's
// signal library (signal/src/msb_*.cc, square_root_*.cc, log.cc), which its
// audio front-end ops share: the most significant bit, integer square roots
// and a fixed-point natural logarithm.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference::signal {

/// The position of x's most significant bit, counted from 1; 32 for x == 0.
/// The 32 is TFLM's answer wherever it is built with GCC or Clang
/// (`__builtin_clz` branch of msb_32.cc; its portable loop says 0), and its
/// ops' results depend on it (FftAutoScale of silence).
constexpr std::uint32_t most_significant_bit(std::uint32_t x) noexcept {
  return x ? 32u - static_cast<std::uint32_t>(std::countl_zero(x)) : 32u;
}
/// As most_significant_bit for 64 bits: 64 for x == 0.
constexpr std::uint32_t most_significant_bit(std::uint64_t x) noexcept {
  return x ? 64u - static_cast<std::uint32_t>(std::countl_zero(x)) : 64u;
}

namespace detail {
/// TFLM's bit-by-bit square root (Sqrt32, Sqrt64: the same steps at two
/// widths) of num != 0, then its one rounding step, which stops at the
/// largest root of the width (0xFFFF, 0xFFFFFFFF).
template <class U>
constexpr U bitwise_sqrt(U num) noexcept {
  constexpr int bits = std::numeric_limits<U>::digits;
  U res = 0;
  const int max_bit_number = static_cast<int>(static_cast<std::uint32_t>(bits) - most_significant_bit(num)) | 1;
  U bit = U{1} << (bits - 1 - max_bit_number);
  for (int iterations = (bits - 1 - max_bit_number) / 2 + 1; iterations > 0; --iterations) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1u) + bit;
    } else {
      res >>= 1u;
    }
    bit >>= 2u;
  }
  if (num > res && res != (U{1} << (bits / 2)) - 1) ++res;
  return res;
}
}  // namespace detail

/// The square root of a 32-bit value, rounded to nearest (TFLM's Sqrt32).
constexpr std::uint16_t sqrt32(std::uint32_t num) noexcept {
  return num == 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(detail::bitwise_sqrt(num));
}

/// The square root of a 64-bit value (TFLM's Sqrt64: Sqrt32 below 2^32).
constexpr std::uint32_t sqrt64(std::uint64_t num) noexcept {
  if ((num >> 32) == 0) return sqrt32(static_cast<std::uint32_t>(num));
  return static_cast<std::uint32_t>(detail::bitwise_sqrt(num));
}

namespace detail {
/// log2(1 + k/128) corrections of TFLM's log.cc, in 1/65536 (129 entries +
/// one for the interpolation's right end).
inline constexpr std::uint16_t log_lut[] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944, 3087, 3224,
    3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791, 4864, 4934, 5001, 5063,
    5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640,
    5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203,
    5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935,
    3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971,
    1851, 1729, 1605, 1480, 1353, 1224, 1094, 963,  830,  695,  559,  421,  282,  142,  0,    0};

/// The fraction of log2(x) in 1/65536, x >= 2^log2x (TFLM's
/// Log2FractionPart32: a table of 128 segments, linearly interpolated).
constexpr std::uint32_t log2_fraction(std::uint32_t x, std::uint32_t log2x) noexcept {
  std::int32_t frac = static_cast<std::int32_t>(static_cast<std::int64_t>(x) - (std::int64_t{1} << log2x));
  if (log2x < 16) frac <<= 16 - log2x;
  else frac >>= log2x - 16;
  const std::uint32_t base_seg = static_cast<std::uint32_t>(frac) >> 9;
  const std::int32_t c0 = log_lut[base_seg], c1 = log_lut[base_seg + 1];
  const std::int32_t seg_base = static_cast<std::int32_t>(512u * base_seg);
  const std::int32_t rel_pos = ((c1 - c0) * (frac - seg_base)) >> 16;
  return static_cast<std::uint32_t>(frac + c0 + rel_pos);
}
}  // namespace detail

/// ln(x) * out_scale, rounded, for x >= 2 (TFLM's Log32; unsigned wrap-around
/// where TFLM's unsigned arithmetic wraps).
constexpr std::uint32_t log32(std::uint32_t x, std::uint32_t out_scale) noexcept {
  const std::uint32_t integer = most_significant_bit(x) - 1;
  const std::uint32_t log2 = (integer << 16) + detail::log2_fraction(x, integer);
  constexpr std::uint32_t round = 32768;
  const auto loge = static_cast<std::uint32_t>((std::uint64_t{45426} * log2 + round) >> 16);
  return (out_scale * loge + round) >> 16;
}

}  // namespace qfence::reference::signal

QFENCE_EXACT_FLOAT_END
