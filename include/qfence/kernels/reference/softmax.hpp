// qfence/kernels/reference/softmax.hpp: reference kernel code of softmax
// (moved from ops/softmax.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
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

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
