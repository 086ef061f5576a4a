// qfence/core/fixed_point.hpp: TFLite's integer requantization arithmetic.
//
// These functions define qfence's integer numerics. They reproduce, bit for
// bit, the helpers of TensorFlow Lite's `kernels/internal/common.h` and
// `quantization_util.cc` (the default, double-rounding variant that both
// TFLite and TFLM build with).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// A real multiplier as TFLite represents it: `multiplier` in Q0.31 times
/// 2^shift (shift > 0 is a left shift).
struct quantized_multiplier {
  std::int32_t multiplier = 0;
  int shift = 0;
  friend constexpr bool operator==(const quantized_multiplier&, const quantized_multiplier&) = default;
};

namespace detail {
// std::frexp and std::round are not constexpr in C++20; these are exact
// equivalents for finite doubles (scaling by 2 is exact in binary floating
// point, and x - trunc(x) is exact).
constexpr double frexp(double x, int* exp) noexcept {
  *exp = 0;
  if (x == 0.0) return 0.0;
  const bool neg = x < 0;
  if (neg) x = -x;
  while (x >= 1.0) { x *= 0.5; ++*exp; }
  while (x < 0.5) { x *= 2.0; --*exp; }
  return neg ? -x : x;
}

/// Round half away from zero, like std::round, for |x| < 2^62.
constexpr std::int64_t round_to_int64(double x) noexcept {
  const auto t = static_cast<std::int64_t>(x);  // truncates toward zero
  const double frac = x - static_cast<double>(t);
  if (frac >= 0.5) return t + 1;
  if (frac <= -0.5) return t - 1;
  return t;
}

constexpr std::int32_t round_to_int32(float x) noexcept {
  return static_cast<std::int32_t>(round_to_int64(static_cast<double>(x)));
}

/// std::round for a float, in a constant expression as well: a float of
/// magnitude 2^23 or more is already whole (and infinities and NaN come
/// back as they are), a smaller one rounds half away from zero exactly.
constexpr float round_float(float x) noexcept {
  if (!(x > -8388608.0f && x < 8388608.0f)) return x;
  return static_cast<float>(round_to_int64(static_cast<double>(x)));
}
}  // namespace detail

/// TFLite `QuantizeMultiplier`: decompose a positive real multiplier into a
/// Q0.31 significand and a power-of-two exponent. constexpr so that a layer
/// whose scales are in its type gets its multipliers at compile time.
constexpr quantized_multiplier quantize_multiplier(double real_multiplier) noexcept {
  if (real_multiplier == 0.0) return {0, 0};
  int shift = 0;
  const double q = detail::frexp(real_multiplier, &shift);
  std::int64_t q_fixed = detail::round_to_int64(q * static_cast<double>(std::int64_t{1} << 31));
  if (q_fixed == (std::int64_t{1} << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  return {static_cast<std::int32_t>(q_fixed), shift};
}

/// gemmlowp `SaturatingRoundingDoublingHighMul` for int32.
/// The requantization multiplier of a conv-like layer's output channel,
/// input_scale * filter_scale / output_scale. TFLite forms the scale product
/// two ways: in double (PopulateConvolutionQuantizationParams: int8 per-channel
/// conv, depthwise, fully connected) or in float
/// (GetQuantizedConvolutionMultipler: legacy uint8 conv layers and TFLM's
/// per-tensor fully connected). The two differ in the multiplier's low bits
/// for most layers, and the uint8 goldens (traffic_backbone, deeplabv3) match
/// only the float product (docs/numerics.md).
constexpr quantized_multiplier rescale_multiplier(float input_scale, float filter_scale, float output_scale,
                                                  bool float_product) noexcept {
  const double product = float_product ? static_cast<double>(input_scale * filter_scale)
                                       : static_cast<double>(input_scale) * static_cast<double>(filter_scale);
  return quantize_multiplier(product / static_cast<double>(output_scale));
}

/// The multiplier that takes values of scale `from` to scale `to`
/// (QUANTIZE's requantization, MEAN, RELU's rescale), formed in double as
/// both references form it.
constexpr quantized_multiplier scale_ratio_multiplier(float from, float to) noexcept {
  return quantize_multiplier(static_cast<double>(from) / static_cast<double>(to));
}

constexpr std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) noexcept {
  const bool overflow = a == b && a == std::numeric_limits<std::int32_t>::min();
  const std::int64_t ab = static_cast<std::int64_t>(a) * static_cast<std::int64_t>(b);
  const std::int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  const auto high = static_cast<std::int32_t>((ab + nudge) / (std::int64_t{1} << 31));
  return overflow ? std::numeric_limits<std::int32_t>::max() : high;
}

/// gemmlowp `RoundingDivideByPOT`: x / 2^exponent rounded to nearest, ties
/// away from zero. gemmlowp asserts exponent <= 31, but TFLite's 8-bit
/// SOFTMAX passes up to 34 (a row whose exponentials sum to 512 or more)
/// and then shifts an int32 by 32 or more, which C++ leaves undefined. qfence
/// gives the exact rounding there (docs/numerics.md): |x| <= 2^31 <=
/// 2^(exponent - 1), so 0, but for INT32_MIN / 2^32 = -0.5, which rounds away
/// from zero to -1.
constexpr std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) noexcept {
  if (exponent > 31) return exponent == 32 && x == std::numeric_limits<std::int32_t>::min() ? -1 : 0;
  const std::int32_t mask = static_cast<std::int32_t>((std::int64_t{1} << exponent) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// gemmlowp `SaturatingRoundingDoublingHighMul` for int16 (HARD_SWISH's
/// 16-bit fixed point): (a * b + nudge) / 2^15, the nudge rounding to
/// nearest, ties away from zero.
constexpr std::int16_t saturating_rounding_doubling_high_mul_16(std::int16_t a, std::int16_t b) noexcept {
  const bool overflow = a == b && a == std::numeric_limits<std::int16_t>::min();
  const std::int32_t ab = std::int32_t{a} * std::int32_t{b};
  const std::int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return overflow ? std::numeric_limits<std::int16_t>::max() : static_cast<std::int16_t>((ab + nudge) / (1 << 15));
}

/// TFLite's `SaturatingDoublingHighMul` for int16: as above but truncated
/// toward zero (ARM's SQDMULH), which HARD_SWISH uses to cancel the bias of
/// its rounding steps.
constexpr std::int16_t saturating_doubling_high_mul_16(std::int16_t a, std::int16_t b) noexcept {
  const bool overflow = a == b && a == std::numeric_limits<std::int16_t>::min();
  return overflow ? std::numeric_limits<std::int16_t>::max()
                  : static_cast<std::int16_t>(std::int32_t{a} * std::int32_t{b} / (1 << 15));
}

/// gemmlowp's generic `RoundingDivideByPOT` on int16, in int16 arithmetic:
/// its mask is truncated to 16 bits, so an exponent of 16 or more gives +1
/// for x >= 0 and -1 below, as gemmlowp computes it (not x / 2^exponent).
constexpr std::int16_t rounding_divide_by_pot_16(std::int16_t x, int exponent) noexcept {
  const auto mask = static_cast<std::int16_t>((std::int64_t{1} << exponent) - 1);
  const auto remainder = static_cast<std::int16_t>(x & mask);
  const auto threshold = static_cast<std::int16_t>((mask >> 1) + (x < 0 ? 1 : 0));
  const int shifted = exponent < 32 ? (x >> exponent) : (x < 0 ? -1 : 0);
  return static_cast<std::int16_t>(shifted + (remainder > threshold ? 1 : 0));
}

/// TFLite's `DownScaleInt32ToInt16Multiplier`: a Q0.31 multiplier rounded to
/// Q0.15, saturating at the top.
constexpr std::int16_t down_scale_multiplier_to_16(std::int32_t multiplier) noexcept {
  constexpr std::int32_t rounding = 1 << 15;
  if (multiplier >= std::numeric_limits<std::int32_t>::max() - rounding) return std::numeric_limits<std::int16_t>::max();
  return static_cast<std::int16_t>((multiplier + rounding) >> 16);
}

/// TFLite `MultiplyByQuantizedMultiplier` (int32 accumulator).
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t multiplier,
                                                        int shift) noexcept {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  // The left shift wraps exactly as TFLite's `x * (1 << left_shift)` does on
  // two's-complement hardware; do it in unsigned arithmetic to stay defined.
  const auto shifted = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << left_shift);
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right_shift);
}

constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, quantized_multiplier m) noexcept {
  return multiply_by_quantized_multiplier(x, m.multiplier, m.shift);
}

/// MultiplyByQuantizedMultiplier's two roundings as one 64-bit shift, which
/// the AVX-512 kernels use (kernels/requantize-inl.hpp): for the product
/// p = (x << left) * multiplier (int64; multipliers are never negative),
///   result = (p + round + (p < 0 ? negative : 0)) >> shift   (arithmetic).
/// Why it is the same number:
///   - SaturatingRoundingDoublingHighMul is h = floor((p + 2^30) / 2^31)
///     (gemmlowp's nudge and truncating division give that for every p);
///   - RoundingDivideByPOT(h, r) for r >= 1 is
///     floor((h + 2^(r-1) - [h < 0]) / 2^r): its `remainder > threshold`
///     is `remainder + 2^(r-1) - [h < 0] >= 2^r`;
///   - floor((floor(y) + k) / q) = floor((y + k) / q) for integer k and
///     q > 0, so result = floor((p + 2^30 + 2^(30+r) - 2^31 [h < 0]) / 2^(31+r));
///   - [h < 0] is [p < -2^30]; [p < 0] differs from it only where
///     -2^30 <= p < 0, and there both give 0.
/// For r = 0 the result is h. The sum stays inside int64 (|p| < 2^62,
/// round <= 2^61 + 2^30); fixed_point_test checks the identity.
struct single_rounding {
  std::int64_t round;
  int shift;
  std::int64_t negative;
};

/// The single rounding of a right shift of `right` (0..31) bits.
constexpr single_rounding single_rounding_of(int right) noexcept {
  if (right == 0) return {std::int64_t{1} << 30, 31, 0};
  return {(std::int64_t{1} << 30) + (std::int64_t{1} << (30 + right)), 31 + right, -(std::int64_t{1} << 31)};
}

/// The screened float rounding of the AVX-512 kernels (kernels/
/// requantize-inl.hpp): MultiplyByQuantizedMultiplier plus an output zero
/// point in float32 lanes, trusted only where float cannot have erred, the
/// exact integer steps elsewhere. For a right shift r >= 1 (no left shift),
/// single_rounding reads, with x = a * m / 2^(31+r) (real):
///   result + zp = floor(x + zp + C),  C = 1/2 + 2^-(r+1) - 2^-r [a < 0].
/// The kernel computes one fma per lane,
///   t = fma(float(a), M, C'),  M = float(m / 2^(31+r)),
///   C' = float(C + 4 w) + (zp + offset) rounded to float,  w = 2^-15,
/// where the offset (screen_offset: 384 for int8, 256 for uint8) puts every
/// value of the 8-bit type, y = x + zp + C + offset, in [256, 512). There a
/// float's bits are (135 << 23) + (t - 256) / w: bits 15 and up hold
/// floor(t), the 15 below t's fraction in units of w. The result is
/// (bits >> 15) - (34304 + offset), no conversion; the screen trusts it
/// where those fraction bits are 8 or more (one test of bits & 0x7FF8).
/// Why that is floor(y) - offset, the exact result:
///   - t in [256, 512) means |float(a) M| < 256 (C' is in [256.25, 512)
///     for a zero point of the type), so |x| < 256.001 and
///     |float(a) M - x| <= |x| (2u + u^2) < 1.0001 w (u = 2^-24);
///   - C' differs from C + 4 w + zp + offset by at most w/2 + 2^-25 (not at
///     all for r <= 14), the fma's rounding by at most w/2;
///   - so |t - (y + 4 w)| < 2.01 w; a trusted fraction of 8 to 2^15 - 1
///     units puts y in t's integer with 1.99 w to spare below and 2.99 w
///     above.
/// Outside [256, 512) the bits still order as the floats do: t >= 512 gives
/// 128 (int8; 256 for uint8) or more, where y - offset > 127.999 (255.999)
/// and the exact result clamped to the type is its top too; t < 256 gives
/// -129 (-1) or less, where y - offset < -127.999 (0.001) and the exact
/// result clamped is the bottom. |x| < 2^29 keeps every value finite. About
/// one vector of 16 lanes in 256 is refused (8 fractions in 2^15 per lane).
/// fixed_point_test checks screened_requantize against
/// multiply_by_quantized_multiplier next to every rounding boundary and at
/// both ends of each 8-bit range.
struct float_screen {
  float multiplier = 0.0f;
  // C + 4 w for a >= 0 and for a < 0 (without zp and offset). A padded
  // channel keeps 1/2: its lanes' fraction is then never refused.
  float positive = 0.5f, negative = 0.5f;
};

/// The offset that puts an 8-bit type's values at [256, 512).
template <class T>
inline constexpr std::int32_t screen_offset = 256 - std::numeric_limits<T>::min();
/// The fraction bits of t in [256, 512), and the bits' value at t = 256
/// shifted right by as many.
inline constexpr int screen_fraction_bits = 15;
inline constexpr std::int32_t screen_bits_at_256 = (127 + 8) << (23 - screen_fraction_bits);
/// What the kernels subtract from t's bits >> screen_fraction_bits to get
/// the result of an 8-bit type T: the bits' value at 256, less the 256 that
/// the offset added beyond T's lowest value.
template <class T>
inline constexpr std::int32_t screen_result_base = screen_bits_at_256 - 256 + screen_offset<T>;
/// Fractions below 8 units (t's fraction within 4 units of an integer, less
/// the 4 that C' adds) are refused: t's bits & screen_refused_mask is 0
/// exactly there.
inline constexpr int screen_window = 4;
inline constexpr std::int32_t screen_refused_mask =
    ((std::int32_t{1} << screen_fraction_bits) - 1) & ~(2 * screen_window - 1);

/// Whether a multiplier has a float screen: a right shift of 1..31 bits
/// (multipliers below one half), no left shift.
constexpr bool has_float_screen(quantized_multiplier m) noexcept { return m.shift <= -1 && m.shift >= -31; }

/// The float screen's constants for m (has_float_screen(m)).
constexpr float_screen float_screen_of(quantized_multiplier m) noexcept {
  const int r = -m.shift;
  const auto power = [](int k) { return static_cast<double>(std::uint64_t{1} << k); };
  const double window = screen_window / power(screen_fraction_bits);
  const double positive = 0.5 + 1.0 / power(r + 1) + window, negative = positive - 1.0 / power(r);
  return {static_cast<float>(static_cast<double>(m.multiplier) / power(31 + r)), static_cast<float>(positive),
          static_cast<float>(negative)};
}

/// One lane of the screened rounding, as the kernels compute it: the result
/// (with zero point zp, before any clamp) and whether the screen trusts it,
/// for an output of 8-bit type T. A scalar model for the tests; std::fma
/// rounds once, as vfmadd does.
struct screened_result {
  std::int32_t value;
  bool trusted;
};
template <class T>
inline screened_result screened_requantize(std::int32_t a, const float_screen& s, std::int32_t zp) noexcept {
  const float c = (a < 0 ? s.negative : s.positive) + static_cast<float>(zp + screen_offset<T>);
  const auto bits = std::bit_cast<std::int32_t>(std::fma(static_cast<float>(a), s.multiplier, c));
  return {(bits >> screen_fraction_bits) - screen_result_base<T>,
          (bits & screen_refused_mask) != 0};
}

/// ADD's and SUB's 8-bit input scaling, MultiplyByQuantizedMultiplier(v *
/// 2^20, m) for an offset input |v| <= 255, in 32-bit steps (the SIMD ADD
/// runs it on int32 lanes: kernels/add-inl.hpp). m is an input multiplier:
/// positive, at most one half (right shift r in 0..31; the larger input's is
/// exactly one half, r = 0). single_rounding gives
///   floor((v m 2^20 + 2^30 + 2^(30+r) - 2^31 [v < 0]) / 2^(31+r))  (r >= 1)
///   floor((v m 2^20 + 2^30) / 2^31)                                (r = 0)
/// (p < 0 exactly when v < 0). Every term but the product is a multiple of
/// 2^20, and floor(floor(y / a) / b) = floor(y / (a b)); with m = mh 2^11 + ml,
/// 0 <= ml < 2^11:
///   t = v mh + ((v ml + 2^10 - 2^11 [v < 0]) >> 11) + 2^(r-1),  result = t >> r
/// (for r = 0 without the sign term and the half). |v mh| < 2^28 and
/// 2^(r-1) <= 2^30 keep t inside int32. fixed_point_test checks it against
/// multiply_by_quantized_multiplier for every v.
struct input_scale_20 {
  std::int32_t high, low, sign, half;
  int right;
};
constexpr bool has_input_scale_20(quantized_multiplier m) noexcept {
  return m.multiplier > 0 && m.shift <= 0 && m.shift >= -31;
}
constexpr input_scale_20 make_input_scale_20(quantized_multiplier m) noexcept {
  const int r = -m.shift;
  return {m.multiplier >> 11, m.multiplier & ((1 << 11) - 1), r >= 1 ? (1 << 11) : 0,
          r >= 1 ? std::int32_t{1} << (r - 1) : 0, r};
}
constexpr std::int32_t scale_input_20(const input_scale_20& s, std::int32_t v) noexcept {
  const std::int32_t low = (v * s.low + (1 << 10) - (v < 0 ? s.sign : 0)) >> 11;
  return (v * s.high + low + s.half) >> s.right;
}

/// The largest right shift for which round_with_zero_point stays exact.
inline constexpr int zero_point_in_round_max_right = 22;

/// single_rounding's `round` with an output zero point `zp` added inside:
///   ((p + round + n) >> shift) + zp = (p + round + zp * 2^shift + n) >> shift
/// for every p, since zp * 2^shift is a whole multiple of 2^shift; so a
/// kernel adds the zero point with the rounding constant, not as one more
/// step. The sum stays inside int64 when right <= 22 (shift <= 53) and
/// |zp| <= 255: |p| < 2^62, round <= 2^52 + 2^30, |n| <= 2^31 and
/// |zp * 2^shift| < 2^61. fixed_point_test checks the extremes (23 would
/// still fit them, 24 not).
constexpr std::int64_t round_with_zero_point(const single_rounding& s, std::int32_t zp) noexcept {
  return s.round + static_cast<std::int64_t>(zp) * (std::int64_t{1} << s.shift);
}

/// TFLite's `MultiplyByQuantizedMultiplier(int64_t x, ...)`, used by the
/// int16x8 kernels on their 64-bit accumulators: the multiplier is first
/// rounded to 16 bits, then one rounding shift. Inputs are within +-2^47 and
/// the result fits int32 (TFLite's preconditions, which the int16x8 kernels
/// guarantee by construction).
constexpr std::int32_t multiply_by_quantized_multiplier_wide(std::int64_t x, quantized_multiplier m) noexcept {
  const std::int32_t reduced = m.multiplier < 0x7FFF0000 ? ((m.multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - m.shift;
  const std::int64_t round = std::int64_t{1} << (total_shift - 1);
  // x * reduced stays below 2^63 for |x| < 2^47; >> on a negative value is
  // arithmetic (C++20).
  return static_cast<std::int32_t>((x * reduced + round) >> total_shift);
}

/// TFLite `MultiplyByQuantizedMultiplierGreaterThanOne`.
constexpr std::int32_t multiply_by_quantized_multiplier_greater_than_one(std::int32_t x, std::int32_t multiplier,
                                                                         int left_shift) noexcept {
  const auto shifted = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << left_shift);
  return saturating_rounding_doubling_high_mul(shifted, multiplier);
}

/// TFLite `CalculateInputRadius`: the largest input difference that cannot
/// overflow `multiply_by_quantized_multiplier_greater_than_one`.
constexpr int calculate_input_radius(int input_integer_bits, int input_left_shift, int total_signed_bits = 31) noexcept {
  const double max_input_rescaled = 1.0 * ((1 << input_integer_bits) - 1) *
                                    static_cast<double>(std::int64_t{1} << (total_signed_bits - input_integer_bits)) /
                                    static_cast<double>(std::int64_t{1} << input_left_shift);
  // floor for a non-negative value
  return static_cast<int>(max_input_rescaled);
}

/// Saturating cast of an int32 value into an integer type's range.
template <class T>
constexpr T saturate_cast(std::int32_t v) noexcept {
  return static_cast<T>(std::clamp<std::int32_t>(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
