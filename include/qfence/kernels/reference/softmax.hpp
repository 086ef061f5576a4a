// qfence/kernels/reference/softmax.hpp: reference kernel code of softmax
// (moved from ops/softmax.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
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

namespace reference {

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
