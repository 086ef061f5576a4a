// qfence/kernels/reference/activations.hpp: reference kernel code of activations
// (moved from ops/activations.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
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

/// The table TFLite's int16 LOGISTIC and TANH interpolate: 65536 *
/// sigmoid(i / 24) for i in [0, 256), each entry lowered by half the error
/// linear interpolation makes at its segment's midpoint (so the error is
/// split between the ends and the middle), rounded; the last entry is the
/// uint16 maximum. Derived here, and compared entry by entry through TFLM's
/// outputs (op matrix: logistic_i16, tanh_i16 and their wide variants).
inline const std::array<std::uint16_t, 256>& sigmoid_table_q16() {
  static const std::array<std::uint16_t, 256> table = [] {
    std::array<std::uint16_t, 256> t{};
    const auto sigmoid = [](double x) { return 65536.0 / (1.0 + std::exp(-x)); };
    for (int i = 0; i < 255; ++i) {
      const double at = sigmoid(i / 24.0), next = sigmoid((i + 1) / 24.0), mid = sigmoid((i + 0.5) / 24.0);
      const double interpolation_error = (at + next) / 2 - mid;
      t[static_cast<std::size_t>(i)] = static_cast<std::uint16_t>(std::floor(at - interpolation_error / 2 + 0.5));
    }
    t[255] = 65535;
    return t;
  }();
  return table;
}

/// The input scaling of TFLite's int16 LOGISTIC / TANH: to 1/(3 * 4096) per
/// step (so that +-2^17 is +-10.7), by `multiplier` and a rounding right
/// shift; multiplier 0 marks an input scale that is already the power of two
/// the table wants (2^-12; TANH also 2^-11), scaled by 3 << shift instead.
struct sigmoid_int16_params {
  std::int32_t multiplier;
  int right_shift;
};

/// TFLM's CalculateArithmeticOpDataLogistic / TanhPrepare for int16.
/// CheckedLog2 (|log2(scale) - k| < 1e-3) is asked only about k = -12 and,
/// for TANH, -11, which a ratio to 2^k answers without a logarithm.
constexpr sigmoid_int16_params make_sigmoid_int16_params(float input_scale, bool tanh) noexcept {
  const auto near_power_of_two = [&](int k) {
    const double ratio = static_cast<double>(input_scale) * static_cast<double>(std::int64_t{1} << -k);
    return ratio > 0.99930709299 && ratio < 1.00069338746;  // 2^-0.001, 2^0.001
  };
  if (near_power_of_two(-12)) return {0, 0};
  if (tanh && near_power_of_two(-11)) return {0, 1};
  double multiplier = static_cast<double>(input_scale) * 4096.0 * 3.0;
  int shift = 0;
  while (multiplier <= 32767.0 / 2.0 && shift <= 30) {
    ++shift;
    multiplier *= 2.0;
  }
  return {static_cast<std::int32_t>(multiplier), shift};
}

/// The scaling itself: x * multiplier with a rounding right shift (3 << shift
/// and no shift for the power-of-two scales).
class sigmoid_int16_scaling {
 public:
  explicit constexpr sigmoid_int16_scaling(sigmoid_int16_params p) noexcept
      : multiplier_(p.multiplier == 0 ? 3 << p.right_shift : p.multiplier),
        shift_(p.multiplier == 0 ? 0 : p.right_shift),
        round_(shift_ > 0 ? 1 << (shift_ - 1) : 0) {}
  constexpr std::int32_t operator()(std::int16_t x) const noexcept {
    return (std::int32_t{x} * multiplier_ + round_) >> shift_;
  }

 private:
  std::int32_t multiplier_;
  int shift_;
  std::int32_t round_;
};

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

/// TFLite's int16 LOGISTIC (reference_integer_ops::Logistic; TFLM's too):
/// the scaled input's magnitude indexes the sigmoid table with 9 fraction
/// bits; negative inputs mirror it; the output is Q0.15.
inline void logistic(std::int64_t n, const std::int16_t* in, sigmoid_int16_params p, std::int16_t* out) noexcept {
  const std::array<std::uint16_t, 256>& table = sigmoid_table_q16();
  const sigmoid_int16_scaling scale(p);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t x = scale(in[i]);
    const auto magnitude = static_cast<std::uint32_t>(x < 0 ? -x : x);
    const std::uint32_t segment = magnitude >> 9;
    std::uint32_t result = 0x7FFFu << 10;  // saturated
    if (segment < 255) {
      const std::uint32_t a = table[segment], b = table[segment + 1];
      result = (a << 9) + (magnitude & 0x1ffu) * (b - a);
    }
    result = x >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1;
    out[i] = static_cast<std::int16_t>(result >> 10);
  }
}

/// TFLite's int16 TANH: tanh(x) = 2 sigmoid(2x) - 1 on the same table, with
/// 8 fraction bits; the output is Q0.15.
inline void tanh(std::int64_t n, const std::int16_t* in, sigmoid_int16_params p, std::int16_t* out) noexcept {
  const std::array<std::uint16_t, 256>& table = sigmoid_table_q16();
  const sigmoid_int16_scaling scale(p);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t x = scale(in[i]);
    const auto magnitude = static_cast<std::uint32_t>(x < 0 ? -x : x);
    const std::uint32_t segment = magnitude >> 8;
    std::int32_t result = 0xFFFF << 8;  // saturated
    if (segment < 255) {
      const std::uint32_t a = table[segment], b = table[segment + 1];
      result = static_cast<std::int32_t>((a << 8) + (magnitude & 0xffu) * (b - a));
    }
    result = x >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
    out[i] = static_cast<std::int16_t>(result >> 8);
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
