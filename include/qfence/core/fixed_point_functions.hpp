// qfence/core/fixed_point_functions.hpp: exp, log, logistic, tanh and
// 1/(1+x) on 32-bit fixed-point values.
//
// TFLite's int8 SOFTMAX, LOG_SOFTMAX, LOGISTIC and TANH are defined by gemmlowp's
// fixed-point approximations; to be bit-exact we evaluate the same polynomial
// and Newton-Raphson steps with the same rounding. Values are raw int32 in
// Q(IntegerBits).(31 - IntegerBits), the integer bits a template argument as in
// gemmlowp's FixedPoint<int32_t, IntegerBits>.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::fixed {

namespace detail {
constexpr std::int32_t wrap_add(std::int32_t a, std::int32_t b) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}
constexpr std::int32_t wrap_sub(std::int32_t a, std::int32_t b) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
}
constexpr std::int32_t wrap_neg(std::int32_t a) noexcept { return wrap_sub(0, a); }
constexpr std::int32_t mul(std::int32_t a, std::int32_t b) noexcept {
  return saturating_rounding_doubling_high_mul(a, b);
}

/// gemmlowp SaturatingRoundingMultiplyByPOT<Exponent>.
template <int Exponent>
constexpr std::int32_t saturating_rounding_multiply_by_pot(std::int32_t x) noexcept {
  if constexpr (Exponent == 0) {
    return x;
  } else if constexpr (Exponent < 0) {
    return rounding_divide_by_pot(x, -Exponent);
  } else {
    constexpr std::int32_t threshold = (std::int32_t{1} << (31 - Exponent)) - 1;
    if (x > threshold) return std::numeric_limits<std::int32_t>::max();
    if (x < -threshold) return std::numeric_limits<std::int32_t>::min();
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << Exponent);
  }
}

/// gemmlowp Rescale: Q(Src) -> Q(Dst).
template <int Dst, int Src>
constexpr std::int32_t rescale(std::int32_t x) noexcept {
  return saturating_rounding_multiply_by_pot<Src - Dst>(x);
}

template <int IntegerBits>
constexpr std::int32_t one() noexcept {
  if constexpr (IntegerBits == 0) {
    return std::numeric_limits<std::int32_t>::max();
  } else {
    return std::int32_t{1} << (31 - IntegerBits);
  }
}

/// gemmlowp RoundingHalfSum for int32.
constexpr std::int32_t rounding_half_sum(std::int32_t a, std::int32_t b) noexcept {
  const std::int64_t sum = std::int64_t{a} + std::int64_t{b};
  const std::int64_t sign = sum >= 0 ? 1 : -1;
  return static_cast<std::int32_t>((sum + sign) / 2);
}

/// exp(x) for x in [-1/4, 0), Q0.31 in and out.
constexpr std::int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(std::int32_t a) noexcept {
  constexpr std::int32_t constant_term = 1895147668;     // exp(-1/8)
  constexpr std::int32_t constant_1_over_3 = 715827883;  // 1/3
  const std::int32_t x = wrap_add(a, std::int32_t{1} << 28);  // a + 1/8
  const std::int32_t x2 = mul(x, x);
  const std::int32_t x3 = mul(x2, x);
  const std::int32_t x4 = mul(x2, x2);
  const std::int32_t x4_over_4 = saturating_rounding_multiply_by_pot<-2>(x4);
  const std::int32_t poly =
      saturating_rounding_multiply_by_pot<-1>(wrap_add(mul(wrap_add(x4_over_4, x3), constant_1_over_3), x2));
  return wrap_add(constant_term, mul(constant_term, wrap_add(x, poly)));
}
}  // namespace detail

/// exp(a) for a <= 0; a in Q(IntegerBits), result in Q0.31.
template <int IntegerBits>
constexpr std::int32_t exp_on_negative_values(std::int32_t a) noexcept {
  using namespace detail;
  constexpr int frac = 31 - IntegerBits;
  constexpr std::int32_t one_quarter = std::int32_t{1} << (frac - 2);
  constexpr std::int32_t mask = one_quarter - 1;
  const std::int32_t a_mod_quarter_minus_one_quarter = wrap_sub(a & mask, one_quarter);
  std::int32_t result =
      exp_on_interval_between_negative_one_quarter_and_0_excl(rescale<0, IntegerBits>(a_mod_quarter_minus_one_quarter));
  const std::int32_t remainder = wrap_sub(a_mod_quarter_minus_one_quarter, a);

  // Barrel shifter: multiply by exp(-2^k) for every bit k set in the remainder.
  constexpr struct { int exponent; std::int32_t multiplier; } barrel[] = {
      {-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
      {2, 39332535},    {3, 720401},      {4, 242}};
  for (const auto& step : barrel) {
    if (IntegerBits > step.exponent) {
      const int shift = frac + step.exponent;
      if ((remainder & (std::int32_t{1} << shift)) != 0) result = mul(result, step.multiplier);
    }
  }
  if constexpr (IntegerBits > 5) {
    constexpr int clamp_bits = 36 - IntegerBits;
    if (a < -(std::int32_t{1} << clamp_bits)) result = 0;
  }
  if (a == 0) result = one<0>();
  return result;
}

/// 1 / (1 + a) for a in (0, 1), Q0.31 in and out (Newton-Raphson, 3 steps).
constexpr std::int32_t one_over_one_plus_x_for_x_in_0_1(std::int32_t a) noexcept {
  using namespace detail;
  const std::int32_t half_denominator = rounding_half_sum(a, one<0>());
  constexpr std::int32_t c48_over_17 = 1515870810;       // Q2.29
  constexpr std::int32_t c_neg_32_over_17 = -1010580540;  // Q2.29
  std::int32_t x = wrap_add(c48_over_17, mul(half_denominator, c_neg_32_over_17));
  for (int i = 0; i < 3; ++i) {
    const std::int32_t half_denominator_times_x = mul(half_denominator, x);
    const std::int32_t one_minus = wrap_sub(one<2>(), half_denominator_times_x);
    x = wrap_add(x, rescale<2, 4>(mul(x, one_minus)));
  }
  return rescale<0, 1>(x);  // ExactMulByPot<-1> turns Q2.29 into Q1.30
}

/// (1 - a) / (1 + a) for a in (0, 1), Q0.31 in and out.
constexpr std::int32_t one_minus_x_over_one_plus_x_for_x_in_0_1(std::int32_t a) noexcept {
  using namespace detail;
  const std::int32_t half_denominator = rounding_half_sum(a, one<0>());
  constexpr std::int32_t c48_over_17 = 1515870810;
  constexpr std::int32_t c_neg_32_over_17 = -1010580540;
  std::int32_t x = wrap_add(c48_over_17, mul(half_denominator, c_neg_32_over_17));
  for (int i = 0; i < 3; ++i) {
    const std::int32_t half_denominator_times_x = mul(half_denominator, x);
    const std::int32_t one_minus = wrap_sub(one<2>(), half_denominator_times_x);
    x = wrap_add(x, rescale<2, 4>(mul(x, one_minus)));
  }
  return rescale<0, 2>(wrap_sub(x, one<2>()));
}

/// tanh(a), a in Q(IntegerBits), result in Q0.31.
template <int IntegerBits>
constexpr std::int32_t tanh(std::int32_t a) noexcept {
  using namespace detail;
  if (a == 0) return 0;
  const bool negative = a < 0;
  const std::int32_t n = negative ? a : wrap_neg(a);
  // -tanh(n) for n < 0 = (1 - exp(2n)) / (1 + exp(2n)); 2n is n in Q(IntegerBits+1).
  const std::int32_t t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values<IntegerBits + 1>(n));
  return negative ? wrap_neg(t) : t;
}

/// logistic(a) = 1 / (1 + exp(-a)), a in Q(IntegerBits), result in Q0.31.
template <int IntegerBits>
constexpr std::int32_t logistic(std::int32_t a) noexcept {
  using namespace detail;
  if (a == 0) return std::int32_t{1} << 30;
  const bool positive = a > 0;
  const std::int32_t abs_input = positive ? a : wrap_neg(a);
  const std::int32_t if_positive =
      one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values<IntegerBits>(wrap_neg(abs_input)));
  return positive ? if_positive : wrap_sub(one<0>(), if_positive);
}

/// TFLite's `SaturatingRoundingMultiplyByPOTParam` for a left shift known
/// only at run time (exponent >= 0), saturating.
constexpr std::int32_t saturating_rounding_multiply_by_pot_param(std::int32_t x, int exponent) noexcept {
  if (exponent == 0) return x;
  const std::int32_t threshold = static_cast<std::int32_t>((std::int64_t{1} << (31 - exponent)) - 1);
  if (x > threshold) return std::numeric_limits<std::int32_t>::max();
  if (x < -threshold) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << exponent);
}

/// TFLite's `log_x_for_x_greater_than_or_equal_to_1` (internal/common.h):
/// ln(x) for x >= 1 in Q(InputIntegerBits), as Q(OutputIntegerBits). x is
/// brought into [sqrt(1/2), 1) two ways (by its leading zeros, and after a
/// multiply by sqrt(1/2)), the nearer one kept with its power of two; then a
/// rational approximation around 2^(-1/4), accumulated with one integer bit
/// of headroom, as gemmlowp's operators round and wrap.
template <int OutputIntegerBits, int InputIntegerBits>
constexpr std::int32_t log_x_for_x_greater_than_or_equal_to_1(std::int32_t input) noexcept {
  using namespace detail;
  constexpr int accum_bits = OutputIntegerBits + 1;
  constexpr std::int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250,
                         one_quarter = 536870912;
  constexpr std::int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
  const auto saturate = [](std::int64_t v) {
    return static_cast<std::int32_t>(v > std::numeric_limits<std::int32_t>::max()   ? std::numeric_limits<std::int32_t>::max()
                                     : v < std::numeric_limits<std::int32_t>::min() ? std::numeric_limits<std::int32_t>::min()
                                                                                    : v);
  };
  const std::int32_t shifted_quarter = rescale<accum_bits, 0>(one_quarter);
  const int z_a_headroom_plus_1 = std::countl_zero(static_cast<std::uint32_t>(input));
  const std::int32_t r_a_tmp = saturating_rounding_multiply_by_pot_param(input, z_a_headroom_plus_1 - 1);
  const std::int32_t r_a = saturating_rounding_multiply_by_pot_param(mul(r_a_tmp, sqrt_half), 1);
  const std::int32_t z_a_pow_2_adj =
      saturate(std::int64_t{saturating_rounding_multiply_by_pot_param(InputIntegerBits - z_a_headroom_plus_1,
                                                                       31 - accum_bits)} +
               shifted_quarter);
  const std::int32_t z_b = mul(input, sqrt_half);
  const int z_b_headroom = std::countl_zero(static_cast<std::uint32_t>(z_b)) - 1;
  const std::int32_t r_b = saturating_rounding_multiply_by_pot_param(input, z_b_headroom);
  const std::int32_t z_b_pow_2_adj = saturate(
      std::int64_t{saturating_rounding_multiply_by_pot_param(InputIntegerBits - z_b_headroom, 31 - accum_bits)} -
      shifted_quarter);
  const std::int32_t r = r_a < r_b ? r_a : r_b;
  const std::int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
  const std::int32_t p = rounding_half_sum(r, sqrt_sqrt_half);
  std::int32_t q = wrap_sub(r, sqrt_sqrt_half);
  q = wrap_add(q, q);
  const std::int32_t common_sq = mul(q, q);
  const std::int32_t num = wrap_add(mul(q, r), mul(mul(q, common_sq), alpha_n));
  const std::int32_t denom_minus_one =
      wrap_add(mul(p, wrap_add(wrap_add(alpha_i, q), mul(alpha_d, common_sq))), mul(alpha_f, q));
  const std::int32_t recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
  const std::int32_t num_scaled = rescale<accum_bits, 0>(num);
  return rescale<OutputIntegerBits, accum_bits>(wrap_add(mul(z_pow_2_adj, log_2), mul(num_scaled, recip_denom)));
}

/// TFLite `GetReciprocal`: 1/x for x in Q(x_integer_digits), returned as a
/// Q0.31 value and the number of bits x has above 1.0.
constexpr std::int32_t get_reciprocal(std::int32_t x, int x_integer_digits, int* num_bits_over_unit) noexcept {
  const int headroom_plus_one = std::countl_zero(static_cast<std::uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const auto shifted_sum_minus_one =
      static_cast<std::int32_t>((static_cast<std::uint32_t>(x) << headroom_plus_one) - (std::uint32_t{1} << 31));
  return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

/// TFLite `GetInvSqrtQuantizedMultiplierExp`: 1/sqrt(input) as a multiplier
/// and a shift (times `reverse_shift`, -1 for a left shift): five
/// Newton-Raphson steps on Q3.28 from 1, as gemmlowp writes them. 0 and 1
/// give the largest multiplier and shift 0 (0 has no inverse square root).
constexpr quantized_multiplier inv_sqrt_quantized_multiplier_exp(std::int32_t input, int reverse_shift) noexcept {
  using namespace detail;
  if (input <= 1) return {std::numeric_limits<std::int32_t>::max(), 0};
  int shift = 11;
  while (input >= (std::int32_t{1} << 29)) {
    input /= 4;
    ++shift;
  }
  const unsigned max_left_shift_bits = static_cast<unsigned>(std::countl_zero(static_cast<std::uint32_t>(input))) - 1;
  const unsigned left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
  shift -= static_cast<int>(left_shift_bit_pairs);
  input = static_cast<std::int32_t>(static_cast<std::uint32_t>(input) << (2 * left_shift_bit_pairs));
  const std::int32_t fixed_input = input >> 1;  // Q3.28
  const std::int32_t half_input = saturating_rounding_multiply_by_pot<-1>(fixed_input);
  constexpr std::int32_t half_three = (std::int32_t{1} << 28) + (std::int32_t{1} << 27);  // 1.5 in Q3.28
  std::int32_t x = one<3>();
  for (int i = 0; i < 5; ++i) {
    const std::int32_t x3 = rescale<3, 9>(mul(mul(x, x), x));
    x = rescale<3, 6>(wrap_sub(mul(half_three, x), mul(half_input, x3)));
  }
  constexpr std::int32_t half_sqrt_2 = 1518500250;  // sqrt(2) / 2 in Q0.31
  x = mul(x, half_sqrt_2);
  if (shift < 0) {
    x = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << -shift);
    shift = 0;
  }
  return {x, shift * reverse_shift};
}

}  // namespace qfence::fixed

QFENCE_EXACT_FLOAT_END
