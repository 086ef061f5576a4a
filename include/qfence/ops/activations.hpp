// qfence/ops/activations.hpp: RELU, RELU6, LOGISTIC, TANH as standalone ops.
//
// Numerics (TFLM activations.cc, logistic.cc, tanh.cc):
// - RELU int8 rescales input -> output with one multiplier (output may be
//   quantized differently, given by out<...>), then clamps at the output's zero.
// - RELU6 int8/int16 clamps in the input's quantized domain and ignores the
//   output's parameters (TFLM); with tflite_numerics it requantizes as RELU
//   does (make_relu_params). Without out<...> the output is the input's type.
// - LOGISTIC int8: gemmlowp fixed-point logistic on Q4.27 input, output
//   scale 1/256, zero point -128. TANH int8: gemmlowp tanh, output 1/128, 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "qfence/kernels/reference/activations.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/core/fixed_point_functions.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/activation.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct relu {
  static constexpr const char* name = "relu";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::relu;
};
struct relu6 {
  static constexpr const char* name = "relu6";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::relu6;
};
struct logistic {
  static constexpr const char* name = "logistic";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::logistic;
};
struct tanh {
  static constexpr const char* name = "tanh";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::tanh;
};
}  // namespace op


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
  /// requantize), tflite_numerics for RELU6 and LOGISTIC (where TFLM and
  /// TFLite differ).
  template <int Index>
  static constexpr bool options_ok() {
    if constexpr (fn == activation_fn::relu)
      return validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value;
    else if constexpr (fn == activation_fn::relu6)
      return validate_options<Index, op, kinds<option_kind::output_quantization, option_kind::numerics>,
                              Opts...>::value;
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
    using in_element = typename Input::element;
    using out_element = typename output::element;
    static constexpr std::int64_t n = Input::elements;
    static constexpr bool relu_family = std::is_same_v<Op, qfence::op::relu> || std::is_same_v<Op, qfence::op::relu6>;
    /// TFLite's LOGISTIC: a table of the float function by definition
    /// (uint8 always; int8 with tflite_numerics).
    static constexpr bool float_table = std::is_same_v<Op, qfence::op::logistic> && Input::type != dtype::f32 &&
                                        (Input::type == dtype::u8 || has_option<option_kind::numerics, Opts...>);
    /// The other 8-bit activations (the relus, TFLM's fixed-point LOGISTIC
    /// and TANH) run as a table of their own reference kernel, built at
    /// compile time (tabulate, kernels/reference/lookup_table.hpp).
    static constexpr bool tabulated = sizeof(in_element) == 1 && Input::type != dtype::f32 && !float_table;

    /// The reference kernel on `count` quantized elements.
    static constexpr void quantized_reference(std::int64_t count, const in_element* in, out_element* out) {
      if constexpr (relu_family) {
        constexpr relu_params p = make_relu_params<in_element>(
            std::is_same_v<Op, qfence::op::relu> ? activation::relu : activation::relu6,
            !has_option<option_kind::numerics, Opts...>, Input::quant::scale, Input::quant::zero_point,
            output::quant::scale, output::quant::zero_point);
        reference::relu(count, in, p, out);
      } else if constexpr (Input::type == dtype::i16) {  // TFLite's sigmoid table (built on first use)
        constexpr sigmoid_int16_params p =
            make_sigmoid_int16_params(Input::quant::scale, std::is_same_v<Op, qfence::op::tanh>);
        if constexpr (std::is_same_v<Op, qfence::op::logistic>) reference::logistic(count, in, p, out);
        else reference::tanh(count, in, p, out);
      } else {
        constexpr sigmoid_input_params p = make_sigmoid_input_params(Input::quant::scale);
        if constexpr (std::is_same_v<Op, qfence::op::logistic>) reference::logistic(count, in, Input::quant::zero_point, p, out);
        else reference::tanh(count, in, Input::quant::zero_point, p, out);
      }
    }

    /// 8-bit tables are looked up on the model's SIMD target.
    struct prepared {
      constexpr explicit prepared(const activation_node&) {}
    };

    static void run(const prepared&, [[maybe_unused]] kernels::target t, const in_element* in, out_element* out) {
      if constexpr (Input::type == dtype::f32) {
        if constexpr (std::is_same_v<Op, qfence::op::relu>) reference::relu(n, in, out);
        else if constexpr (std::is_same_v<Op, qfence::op::relu6>) reference::relu6(n, in, out);
        else if constexpr (std::is_same_v<Op, qfence::op::logistic>) reference::logistic(n, in, out);
        else reference::tanh(n, in, out);
      } else if constexpr (float_table) {
        // std::exp is not constexpr: built once, on first use.
        static const lookup_table<in_element> table = make_lookup_table<in_element>(
            Input::quant::scale, Input::quant::zero_point, output::quant::scale, output::quant::zero_point,
            [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
        kernels::look_up(t, n, in, table, out);
      } else if constexpr (tabulated) {
        static constexpr lookup_table<out_element> table = tabulate<in_element, out_element>(
            [](const in_element* x, out_element* y) { quantized_reference(256, x, y); });
        kernels::look_up(t, n, in, table, out);
      } else {
        quantized_reference(n, in, out);
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
