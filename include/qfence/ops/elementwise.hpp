// qfence/ops/elementwise.hpp: ADD and MUL, with broadcasting.
//
// Numerics: TFLite reference_integer_ops::Add (int8: both inputs rescaled to a
// common scale with left_shift 20, summed, rescaled to the output) and
// reference_integer_ops::Mul (int8: product of offset inputs, one
// multiplier); float: a + b, a * b, then the fused activation.
#pragma once

#include <algorithm>
#include <cstdint>

#include "qfence/kernels/reference/arithmetic.hpp"
#include "qfence/kernels/reference/elementwise.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/elementwise.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct add {
  static constexpr const char* name = "add";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::add;
};
struct mul {
  static constexpr const char* name = "mul";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::mul;
};
struct sub {
  static constexpr const char* name = "sub";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::sub;
};
}  // namespace op


template <class Op, int A, int B, class... Opts>
struct binary_node {
  using op = Op;
  using inputs = refs<A, B>;

  static constexpr binary_fn fn = std::is_same_v<Op, qfence::op::add>   ? binary_fn::add
                                  : std::is_same_v<Op, qfence::op::sub> ? binary_fn::sub
                                                                        : binary_fn::mul;

  /// The op rule (qfence/rules/elementwise.hpp) on this node's operand types.
  template <class X, class Y>
  struct rule {
    static constexpr rule_result value = binary_rule(fn, {detail::fused_activation_of<Opts...>, true}, describe<X>(),
                                                     describe<Y>(), requested_output<Opts...>());
  };

  template <int Index, class X, class Y>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::fused_activation, option_kind::output_quantization,
                                               option_kind::numerics>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<X, Y>, producer<X>, producer<Y>>()))
    return true;
  }

  template <int Index, class X, class Y>
  struct typed {
    using output = rule_output_type<rule<X, Y>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();
    static constexpr broadcast_geometry geometry = broadcast_geometry_of(describe<X>(), describe<Y>());

    static constexpr bool is_add = std::is_same_v<Op, qfence::op::add>;
    static constexpr bool is_sub = std::is_same_v<Op, qfence::op::sub>;

    /// ADD and SUB's fixed-point parameters and MUL's multiplier: the rules
    /// of kernels/reference/elementwise.hpp, which the runtime path uses too
    /// (the tflite_numerics option picks TFLite's SUB and MUL).
    static constexpr add_params add_sub_params() {
      return make_add_sub_params(is_sub, !has_option<option_kind::numerics, Opts...>, X::type == dtype::i16,
                                 X::quant::scale, X::quant::zero_point, Y::quant::scale, Y::quant::zero_point,
                                 output::quant::scale, output::quant::zero_point);
    }
    static constexpr quantized_multiplier mul_multiplier() {
      return make_mul_multiplier(X::quant::scale, Y::quant::scale, output::quant::scale,
                                 !has_option<option_kind::numerics, Opts...>);
    }

    /// ADD, SUB and MUL run the Highway kernels on the model's target:
    /// quantized in kernels/add-inl.hpp and mul-inl.hpp, float in
    /// kernels/arithmetic-inl.hpp.
    struct prepared {
      constexpr explicit prepared(const binary_node&) {}
    };
    static void run(const prepared&, kernels::target t, const typename X::element* a, const typename Y::element* b,
                    typename output::element* out) {
      if constexpr (X::type == dtype::f32) {
        using plain = std::conditional_t<is_add, qfence::op::int_add,
                                         std::conditional_t<is_sub, qfence::op::int_sub, qfence::op::int_mul>>;
        kernels::plain_arithmetic<plain>(t, geometry, a, b, act.min, act.max, out);
      } else if constexpr (is_add || is_sub) {
        static constexpr add_params params = add_sub_params();
        if constexpr (is_sub) kernels::sub_quantized(t, geometry, a, b, params, act, out);
        else kernels::add_quantized(t, geometry, a, b, params, act, out);
      } else {
        static constexpr quantized_multiplier m = mul_multiplier();
        kernels::mul_quantized(t, geometry, a, -X::quant::zero_point, b, -Y::quant::zero_point, m,
                               output::quant::zero_point, act, out);
      }
    }
  };
};

/// ADD of two nodes' outputs (broadcasting). Options: fused_relu..., out<...>.
template <int A, int B, node_option... Opts>
constexpr auto add(node_ref<A>, node_ref<B>, Opts...) {
  return binary_node<op::add, A, B, Opts...>{};
}

/// MUL of two nodes' outputs (broadcasting). Options: fused_relu..., out<...>.
template <int A, int B, node_option... Opts>
constexpr auto mul(node_ref<A>, node_ref<B>, Opts...) {
  return binary_node<op::mul, A, B, Opts...>{};
}

/// SUB, a - b; options as for add. Integer SUB follows TFLM's arithmetic.
template <int A, int B, node_option... Opts>
constexpr auto sub(node_ref<A>, node_ref<B>, Opts...) {
  return binary_node<op::sub, A, B, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
