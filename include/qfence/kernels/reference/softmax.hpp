// qfence/kernels/reference/softmax.hpp: reference kernel code of softmax
// and log_softmax
// (moved from ops/softmax.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/fixed_point_functions.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct softmax_params {
  std::int32_t input_multiplier;
  int input_left_shift;
  int diff_min;
};

/// TFLite PreprocessSoftmaxScaling + CalculateInputRadius for Q5.26.
constexpr softmax_params make_softmax_params(float beta, float input_scale) noexcept {
  constexpr int scaled_diff_integer_bits = 5;
  const double real = std::min(static_cast<double>(beta) * static_cast<double>(input_scale) *
                                   static_cast<double>(1 << (31 - scaled_diff_integer_bits)),
                               static_cast<double>((std::int64_t{1} << 31) - 1));
  const quantized_multiplier m = quantize_multiplier(real);
  return {m.multiplier, m.shift, -calculate_input_radius(scaled_diff_integer_bits, m.shift, 31)};
}

/// The int16 SOFTMAX's parameters (TFLM's CalculateSoftmaxParams for int16):
/// the input difference scaled so that [-65535, 0] is [-10, 0], and the two
/// tables, exp on [-10, 0] and 1 / (1 + x) on [0, 1].
struct softmax_int16_params {
  quantized_multiplier input;
  lookup_table_int16 exp, one_over_one_plus_x;
};

inline softmax_int16_params make_softmax_int16_params(float beta, float input_scale) {
  constexpr float range = 65535.0f;  // int16 max - min
  return {quantize_multiplier(static_cast<double>(input_scale) * static_cast<double>(beta) / (10.0 / 65535.0)),
          make_lookup_table_int16(10.0f / range, 32767, 2.0f / range, 0, [](float v) { return std::exp(v); }),
          make_lookup_table_int16(1.0f / range, -32768, 2.0f / range, 0,
                                  [](float v) { return 1.0f / (1.0f + v); })};
}

/// LOG_SOFTMAX's parameters (TFLite's PreprocessLogSoftmaxScalingExp, beta
/// 1): SOFTMAX's Q5.26 input scaling, and its inverse, which brings the
/// smallest Q5.26 value above the row's log-sum back to input steps.
struct log_softmax_params {
  softmax_params input;
  quantized_multiplier reverse;
};

constexpr log_softmax_params make_log_softmax_params(float input_scale) noexcept {
  const softmax_params in = make_softmax_params(1.0f, input_scale);
  // (1 << (31 - left shift)) / multiplier, in double as TFLite forms it
  // (its int shift needs left shift >= 1: an input scale >= 2^-26).
  const double reverse = static_cast<double>(std::int64_t{1} << (31 - in.input_left_shift)) /
                         static_cast<double>(in.input_multiplier);
  return {in, quantize_multiplier(reverse)};
}

namespace reference {

/// Float LOG_SOFTMAX over rows of `depth`: x - max - log(sum exp(x - max)),
/// summed in order, as TFLite's reference.
inline void log_softmax(int outer, int depth, const float* in, float* out) noexcept {
  for (int i = 0; i < outer; ++i) {
    const float* x = in + static_cast<std::ptrdiff_t>(i) * depth;
    float* y = out + static_cast<std::ptrdiff_t>(i) * depth;
    float max = std::numeric_limits<float>::lowest();
    for (int c = 0; c < depth; ++c) max = std::max(max, x[c]);
    float sum = 0.0f;
    for (int c = 0; c < depth; ++c) sum += std::exp(x[c] - max);
    const float log_sum = std::log(sum);
    for (int c = 0; c < depth; ++c) y[c] = x[c] - max - log_sum;
  }
}

/// 8-bit LOG_SOFTMAX (TFLM's LogSoftmaxQuantized, TFLite's the same): the
/// row's exponentials summed in Q12.19, their log in Q5.26, each input's
/// scaled difference minus that log, to the output's fixed scale 1/16 with
/// its zero point at the dtype's top; values too far below the row's maximum
/// give the dtype's lowest value.
template <class T>
constexpr void log_softmax(int outer, int depth, const log_softmax_params& p, const T* in, T* out) noexcept {
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const auto in_q5 = [&](std::int32_t diff) {
    return multiply_by_quantized_multiplier(diff, p.input.input_multiplier, p.input.input_left_shift);
  };
  for (int i = 0; i < outer; ++i) {
    const T* x = in + static_cast<std::ptrdiff_t>(i) * depth;
    T* y = out + static_cast<std::ptrdiff_t>(i) * depth;
    T max = std::numeric_limits<T>::min();
    for (int c = 0; c < depth; ++c) max = std::max(max, x[c]);
    std::int32_t sum_q12 = 0;
    for (int c = 0; c < depth; ++c) {
      const std::int32_t diff = std::int32_t{x[c]} - max;
      if (diff >= p.input.diff_min)
        sum_q12 = fixed::detail::wrap_add(sum_q12, fixed::detail::rescale<12, 0>(fixed::exp_on_negative_values<5>(in_q5(diff))));
    }
    const std::int32_t log_sum_q5 = fixed::log_x_for_x_greater_than_or_equal_to_1<5, 12>(sum_q12);
    const std::int32_t shifted_log_sum = fixed::detail::wrap_add(log_sum_q5, std::numeric_limits<std::int32_t>::min());
    const std::int32_t adjusted_diff_min =
        std::max(p.input.diff_min - 1, multiply_by_quantized_multiplier(shifted_log_sum, p.reverse));
    for (int c = 0; c < depth; ++c) {
      const std::int32_t diff = std::int32_t{x[c]} - max;
      if (diff > adjusted_diff_min) {
        const std::int32_t v = rounding_divide_by_pot(fixed::detail::wrap_sub(in_q5(diff), log_sum_q5), 31 - 5 - 4) + hi;
        y[c] = static_cast<T>(v < lo ? lo : v > hi ? hi : v);
      } else {
        y[c] = static_cast<T>(lo);
      }
    }
  }
}

inline void softmax(int outer, int depth, float beta, const float* in, float* out) noexcept {
  for (int i = 0; i < outer; ++i) {
    const float* x = in + i * depth;
    float* y = out + i * depth;
    float max = std::numeric_limits<float>::lowest();
    for (int c = 0; c < depth; ++c) max = std::max(max, x[c]);
    float sum = 0.0f;
    for (int c = 0; c < depth; ++c) {
      y[c] = std::exp((x[c] - max) * beta);
      sum += y[c];
    }
    for (int c = 0; c < depth; ++c) y[c] = y[c] / sum;
  }
}

namespace detail {

/// e^(beta * input_scale * diff) in Q0.31 for diff = x - (the row's maximum)
/// <= 0; it takes part in the row only where diff >= p.diff_min.
constexpr std::int32_t softmax_scaled_exp(std::int32_t diff, const softmax_params& p) noexcept {
  return fixed::exp_on_negative_values<5>(
      multiply_by_quantized_multiplier_greater_than_one(diff, p.input_multiplier, p.input_left_shift));
}

/// The Q12.19 sum of a row's exponentials takes this much from one of them.
inline constexpr int softmax_accumulation_integer_bits = 12;
constexpr std::int32_t softmax_sum_term(std::int32_t scaled_exp) noexcept {
  return fixed::detail::rescale<softmax_accumulation_integer_bits, 0>(scaled_exp);
}

/// sum + term, wrapping as TFLite's int32 sum does on every machine it runs
/// on (a row of 4096 equal elements reaches 2^31; C++ leaves signed overflow
/// undefined, so qfence spells the wrap out).
constexpr std::int32_t softmax_add_term(std::int32_t sum, std::int32_t term) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(sum) + static_cast<std::uint32_t>(term));
}

/// 1 / (a row's sum of exponentials), as get_reciprocal's Q0.31 value and the
/// right shift that turns its product with an exponential into an output.
struct softmax_reciprocal {
  std::int32_t shifted_scale;
  int exponent;
};
template <class Out>
constexpr softmax_reciprocal softmax_reciprocal_of(std::int32_t sum_of_exps) noexcept {
  int num_bits_over_unit = 0;
  const std::int32_t shifted_scale =
      fixed::get_reciprocal(sum_of_exps, softmax_accumulation_integer_bits, &num_bits_over_unit);
  return {shifted_scale, num_bits_over_unit + 31 - 8 * static_cast<int>(sizeof(Out))};
}

/// The output of an element that takes part, from its exponential.
template <class Out>
constexpr Out softmax_output(std::int32_t scaled_exp, const softmax_reciprocal& r) noexcept {
  const std::int32_t unsat =
      rounding_divide_by_pot(saturating_rounding_doubling_high_mul(r.shifted_scale, scaled_exp), r.exponent);
  return saturate_cast<Out>(unsat + std::int32_t{std::numeric_limits<Out>::min()});
}

}  // namespace detail

/// Quantized softmax from 8-bit input (TFLite reference_ops::Softmax for
/// int8 and uint8): output scale 1/2^bits of the output type (1/256 for
/// 8-bit, 1/65536 for int16), zero point at the output type's lowest value.
template <class T, class Out = T>
  requires(sizeof(T) == 1 && sizeof(Out) <= 2)
inline void softmax(int outer, int depth, const softmax_params& p, const T* in, Out* out) noexcept {
  for (int i = 0; i < outer; ++i) {
    const T* x = in + i * depth;
    Out* y = out + i * depth;
    T max_in_row = std::numeric_limits<T>::min();
    for (int c = 0; c < depth; ++c) max_in_row = std::max(max_in_row, x[c]);

    const auto diff = [&](int c) { return std::int32_t{x[c]} - max_in_row; };
    std::int32_t sum_of_exps = 0;  // Q12.19
    for (int c = 0; c < depth; ++c)
      if (diff(c) >= p.diff_min)
        sum_of_exps = detail::softmax_add_term(sum_of_exps, detail::softmax_sum_term(detail::softmax_scaled_exp(diff(c), p)));

    const detail::softmax_reciprocal r = detail::softmax_reciprocal_of<Out>(sum_of_exps);
    for (int c = 0; c < depth; ++c)
      y[c] = diff(c) >= p.diff_min ? detail::softmax_output<Out>(detail::softmax_scaled_exp(diff(c), p), r)
                                   : std::numeric_limits<Out>::min();
  }
}

/// TFLM's SoftmaxInt16 (output scale 1/32768, zero point 0): each row's
/// exponentials from the table (kept in `out` meanwhile), their sum's
/// reciprocal from the other table, then one rounding shift per element.
inline void softmax(int outer, int depth, const softmax_int16_params& p, const std::int16_t* in,
                    std::int16_t* out) noexcept {
  for (int i = 0; i < outer; ++i) {
    const std::int16_t* x = in + static_cast<std::int64_t>(i) * depth;
    std::int16_t* y = out + static_cast<std::int64_t>(i) * depth;
    std::int16_t max_in_row = std::numeric_limits<std::int16_t>::min();
    for (int c = 0; c < depth; ++c) max_in_row = std::max(max_in_row, x[c]);
    std::int32_t sum_of_exps = 0;  // Q16.15
    for (int c = 0; c < depth; ++c) {
      const std::int32_t scaled_diff = multiply_by_quantized_multiplier(std::int32_t{x[c]} - max_in_row, p.input);
      y[c] = lookup_interpolated(p.exp, saturate_cast<std::int16_t>(scaled_diff + 32767));
      sum_of_exps += y[c];
    }
    const int headroom_plus_one = std::countl_zero(static_cast<std::uint32_t>(sum_of_exps));
    const auto shifted_sum = static_cast<std::int32_t>(
        ((static_cast<std::int64_t>(sum_of_exps) << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    // The table takes 1 / (1 + x) on a symmetric input: x = sum - 1, recentred.
    const std::int16_t reciprocal =
        lookup_interpolated(p.one_over_one_plus_x, saturate_cast<std::int16_t>(shifted_sum - ((1 << 15) + (1 << 16))));
    const int right_shift = 31 - headroom_plus_one;
    const std::int64_t round = std::int64_t{1} << (right_shift - 1);
    for (int c = 0; c < depth; ++c) {
      const auto result = static_cast<std::int32_t>((std::int64_t{y[c]} * reciprocal + round) >> right_shift);
      y[c] = static_cast<std::int16_t>(std::min(std::max(result, 0), 32767));
    }
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
