// qfence/ops/activations.hpp: RELU, RELU6, LOGISTIC, TANH as standalone ops.
//
// Numerics (TFLM activations.cc, logistic.cc, tanh.cc):
// - RELU int8 rescales input -> output with one multiplier (output may be
//   quantized differently, given by out<...>), then clamps at the output's zero.
// - RELU6 int8 clamps in the input's quantized domain; output = input's type.
// - LOGISTIC int8: gemmlowp fixed-point logistic on Q4.27 input, output
//   scale 1/256, zero point -128. TANH int8: gemmlowp tanh, output 1/128, 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point_functions.hpp"
#include "qfence/ops/lookup_table.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/activation.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct relu {
  static constexpr const char* name = "relu";
};
struct relu6 {
  static constexpr const char* name = "relu6";
};
struct logistic {
  static constexpr const char* name = "logistic";
};
struct tanh {
  static constexpr const char* name = "tanh";
};
}  // namespace op

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

namespace reference {

inline void relu(std::int64_t n, const float* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::max(0.0f, in[i]);
}
/// Quantized RELU / RELU6 / RELU_N1_TO_1 (TFLite's ReluX; int8, uint8,
/// int16): requantize from the input's to the output's parameters, then clamp
/// to `range` (the activation's bounds in the output's quantization).
template <class T>
  requires(sizeof(T) <= 2)
inline void relu(std::int64_t n, const T* in, std::int32_t input_zero_point, quantized_multiplier m,
                 std::int32_t output_zero_point, int_range range, T* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t v =
        output_zero_point + multiply_by_quantized_multiplier(std::int32_t{in[i]} - input_zero_point, m);
    out[i] = static_cast<T>(apply(range, v));
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
inline void sigmoid_family(std::int64_t n, const std::int8_t* in, std::int32_t input_zero_point,
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
inline void logistic(std::int64_t n, const std::int8_t* in, std::int32_t input_zero_point,
                     sigmoid_input_params p, std::int8_t* out) noexcept {
  sigmoid_family(
      n, in, input_zero_point, p,
      [](std::int32_t x_q4) { return rounding_divide_by_pot(fixed::logistic<4>(x_q4), 31 - 8) - 128; }, out);
}

inline void tanh(std::int64_t n, const float* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
}
/// Output scale 1/128, zero point 0.
inline void tanh(std::int64_t n, const std::int8_t* in, std::int32_t input_zero_point, sigmoid_input_params p,
                 std::int8_t* out) noexcept {
  sigmoid_family(
      n, in, input_zero_point, p, [](std::int32_t x_q4) { return rounding_divide_by_pot(fixed::tanh<4>(x_q4), 31 - 7); },
      out);
}

}  // namespace reference

template <class Op, int In, class... Opts>
struct activation_node {
  using op = Op;
  using inputs = refs<In>;

  static constexpr activation_fn fn = std::is_same_v<Op, qfence::op::relu>       ? activation_fn::relu
                                      : std::is_same_v<Op, qfence::op::relu6>    ? activation_fn::relu6
                                      : std::is_same_v<Op, qfence::op::logistic> ? activation_fn::logistic
                                                                                 : activation_fn::tanh;

  /// The op rule (qfence/rules/activation.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = activation_rule(fn, describe<Input>(), requested_output<Opts...>());
  };

  /// The options each activation takes: out<...> for the relus (they may
  /// requantize), tflite_numerics for logistic.
  template <int Index>
  static constexpr bool options_ok() {
    if constexpr (fn == activation_fn::relu || fn == activation_fn::relu6)
      return validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value;
    else if constexpr (fn == activation_fn::logistic)
      return validate_options<Index, op, kinds<option_kind::numerics>, Opts...>::value;
    else
      return validate_options<Index, op, kinds<>, Opts...>::value;
  }

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(options_ok<Index>())
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr std::int64_t n = Input::elements;

    static void run(const activation_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (Input::type == dtype::f32) {
        if constexpr (std::is_same_v<Op, qfence::op::relu>) reference::relu(n, in, out);
        else if constexpr (std::is_same_v<Op, qfence::op::relu6>) reference::relu6(n, in, out);
        else if constexpr (std::is_same_v<Op, qfence::op::logistic>) reference::logistic(n, in, out);
        else reference::tanh(n, in, out);
      } else if constexpr (std::is_same_v<Op, qfence::op::relu> || std::is_same_v<Op, qfence::op::relu6>) {
        static constexpr quantized_multiplier m = quantize_multiplier(
            static_cast<double>(Input::quant::scale) / static_cast<double>(output::quant::scale));
        static constexpr int_range range = quantized_activation_range<typename Input::element>(
            std::is_same_v<Op, qfence::op::relu> ? activation::relu : activation::relu6, output::quant::scale,
            output::quant::zero_point);
        reference::relu(n, in, Input::quant::zero_point, m, output::quant::zero_point, range, out);
      } else if constexpr (std::is_same_v<Op, qfence::op::logistic> &&
                           (Input::type == dtype::u8 || has_option<option_kind::numerics, Opts...>)) {
        // TFLite: a table of the float function (TFLM has no uint8 LOGISTIC).
        static const lookup_table<typename Input::element> table = make_lookup_table<typename Input::element>(
            Input::quant::scale, Input::quant::zero_point, output::quant::scale, output::quant::zero_point,
            [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
        reference::lookup(n, in, table, out);
      } else {
        static constexpr sigmoid_input_params p = make_sigmoid_input_params(Input::quant::scale);
        if constexpr (std::is_same_v<Op, qfence::op::logistic>) reference::logistic(n, in, Input::quant::zero_point, p, out);
        else reference::tanh(n, in, Input::quant::zero_point, p, out);
      }
    }
  };
};

/// RELU. For an int8 input, out<...> may requantize (default: input's quantization).
template <int In, node_option... Opts>
constexpr auto relu(node_ref<In>, Opts...) {
  return activation_node<op::relu, In, Opts...>{};
}
/// RELU6; out<...> may requantize (default: input's quantization).
template <int In, node_option... Opts>
constexpr auto relu6(node_ref<In>, Opts...) {
  return activation_node<op::relu6, In, Opts...>{};
}
/// LOGISTIC (sigmoid). int8 output is per_tensor<1/256, -128>, uint8
/// per_tensor<1/256, 0>. Option: tflite_numerics (TFLite's table instead of
/// TFLM's fixed point, for int8; uint8 always uses the table).
template <int In, node_option... Opts>
constexpr auto logistic(node_ref<In>, Opts...) {
  return activation_node<op::logistic, In, Opts...>{};
}
/// TANH. int8 output is per_tensor<1/128, 0>.
template <int In>
constexpr auto tanh(node_ref<In>) {
  return activation_node<op::tanh, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
