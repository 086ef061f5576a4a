// qfence/kernels/reference/activations.hpp: reference kernel code of activations
// (moved from ops/activations.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/fixed_point_functions.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Input scaling of TFLM's int8 LOGISTIC/TANH: the input in Q4.27 via a
/// multiplier and left shift computed with frexp (not QuantizeMultiplier).
struct sigmoid_input_params {
  std::int32_t multiplier;
  int left_shift;
  int range_radius;
};

constexpr sigmoid_input_params make_sigmoid_input_params(float input_scale) noexcept {
  constexpr int input_integer_bits = 4;
  const double real = static_cast<double>(input_scale) * static_cast<double>(1 << (31 - input_integer_bits));
  int shift = 0;
  const double q = detail::frexp(real, &shift);
  const auto multiplier = static_cast<std::int32_t>(
      static_cast<std::uint32_t>(detail::round_to_int64(q * static_cast<double>(std::int64_t{1} << 31))));
  return {multiplier, shift, calculate_input_radius(input_integer_bits, shift, 31)};
}

/// What a quantized RELU / RELU6 / RELU_N1_TO_1 computes with: a
/// requantization from the input's to the output's parameters, then a clamp
/// to `range` (the activation's bounds in the output's quantization).
struct relu_params {
  quantized_multiplier multiplier;
  int_range range;
  std::int32_t input_zero_point, output_zero_point;
};

/// TFLite's ReluX requantizes (input and output scales may differ). TFLM's
/// RELU6 on int8 and int16 does not: it clamps to [zero point, q(6)] in the
/// *input's* quantization and never reads the output's parameters, as if the
/// output had the input's (docs/numerics.md, "Two references"). The two agree
/// when input and output share parameters, which is how `qfence quantize`
/// writes RELU6. TFLM has no uint8 RELU6: uint8 follows TFLite.
template <class T>
constexpr relu_params make_relu_params(activation bounds, bool tflm_numerics, float input_scale,
                                       std::int32_t input_zero_point, float output_scale,
                                       std::int32_t output_zero_point) noexcept {
  if (bounds == activation::relu6 && tflm_numerics && !std::is_same_v<T, std::uint8_t>) {
    output_scale = input_scale;  // an exact identity multiplier below
    output_zero_point = input_zero_point;
  }
  return {scale_ratio_multiplier(input_scale, output_scale),
          quantized_activation_range<T>(bounds, output_scale, output_zero_point), input_zero_point,
          output_zero_point};
}

namespace reference {

inline void relu(std::int64_t n, const float* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::max(0.0f, in[i]);
}
/// Quantized RELU / RELU6 / RELU_N1_TO_1 (int8, uint8, int16).
template <class T>
  requires(sizeof(T) <= 2)
constexpr void relu(std::int64_t n, const T* in, const relu_params& p, T* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t v =
        p.output_zero_point + multiply_by_quantized_multiplier(std::int32_t{in[i]} - p.input_zero_point, p.multiplier);
    out[i] = static_cast<T>(apply(p.range, v));
  }
}
inline void relu6(std::int64_t n, const float* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::min(std::max(0.0f, in[i]), 6.0f);
}

inline void logistic(std::int64_t n, const float* in, float* out) noexcept {
  // TFLite reference: saturate where 1/(1+exp(-x)) is 1 in float, and use exp(x)
  // for very negative x, where 1/(1+exp(-x)) would lose it.
  constexpr float cutoff_upper = 16.619047164916992188f;
  constexpr float cutoff_lower = -9.0f;
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = in[i];
    out[i] = v > cutoff_upper ? 1.0f : v < cutoff_lower ? std::exp(v) : 1.0f / (1.0f + std::exp(-v));
  }
}

/// TFLM's int8 LOGISTIC/TANH loop: inputs at or beyond the input radius
/// saturate; the others are rescaled to Q4.27 and mapped by `to_output`
/// (the gemmlowp function and the final rounding shift).
template <class ToOutput>
constexpr void sigmoid_family(std::int64_t n, const std::int8_t* in, std::int32_t input_zero_point,
                           sigmoid_input_params p, ToOutput to_output, std::int8_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t x = std::int32_t{in[i]} - input_zero_point;
    if (x <= -p.range_radius) {
      out[i] = -128;
    } else if (x >= p.range_radius) {
      out[i] = 127;
    } else {
      out[i] = saturate_cast<std::int8_t>(to_output(multiply_by_quantized_multiplier(x, p.multiplier, p.left_shift)));
    }
  }
}

/// Output scale 1/256, zero point -128.
constexpr void logistic(std::int64_t n, const std::int8_t* in, std::int32_t input_zero_point,
                     sigmoid_input_params p, std::int8_t* out) noexcept {
  sigmoid_family(
      n, in, input_zero_point, p,
      [](std::int32_t x_q4) { return rounding_divide_by_pot(fixed::logistic<4>(x_q4), 31 - 8) - 128; }, out);
}

inline void tanh(std::int64_t n, const float* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
}
/// Output scale 1/128, zero point 0.
constexpr void tanh(std::int64_t n, const std::int8_t* in, std::int32_t input_zero_point, sigmoid_input_params p,
                 std::int8_t* out) noexcept {
  sigmoid_family(
      n, in, input_zero_point, p, [](std::int32_t x_q4) { return rounding_divide_by_pot(fixed::tanh<4>(x_q4), 31 - 7); },
      out);
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
