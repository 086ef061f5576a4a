// qfence/ops/arithmetic.hpp: element-wise ops on unquantized values (f32,
// i32): DIV, FLOOR_DIV, MAXIMUM, MINIMUM, and ADD/SUB/MUL on int32 (index
// arithmetic in models such as movenet); SQUARED_DIFFERENCE (also int8 and
// int16); the unary ops (SQRT, CAST, the float math family).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "qfence/kernels/reference/arithmetic.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/kernels/reference/squared_difference.hpp"
#include "qfence/kernels/reference/unary_math.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/elementwise.hpp"
#include "qfence/rules/unary.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

template <class Op, int A, int B, class... Opts>
struct arithmetic_node {
  using op = Op;
  using inputs = refs<A, B>;

  static constexpr arithmetic_fn fn = std::is_same_v<Op, qfence::op::div>         ? arithmetic_fn::div
                                      : std::is_same_v<Op, qfence::op::floor_div> ? arithmetic_fn::floor_div
                                      : std::is_same_v<Op, qfence::op::floor_mod> ? arithmetic_fn::floor_mod
                                      : std::is_same_v<Op, qfence::op::maximum>   ? arithmetic_fn::maximum
                                      : std::is_same_v<Op, qfence::op::minimum>   ? arithmetic_fn::minimum
                                      : std::is_same_v<Op, qfence::op::int_add>   ? arithmetic_fn::int_add
                                      : std::is_same_v<Op, qfence::op::int_sub>   ? arithmetic_fn::int_sub
                                      : std::is_same_v<Op, qfence::op::logical_and> ? arithmetic_fn::logical_and
                                      : std::is_same_v<Op, qfence::op::logical_or>  ? arithmetic_fn::logical_or
                                                                                  : arithmetic_fn::int_mul;

  /// The op rule (qfence/rules/elementwise.hpp) on this node's operand types.
  template <class X, class Y>
  struct rule {
    static constexpr rule_result value = arithmetic_rule(fn, {detail::fused_activation_of<Opts...>, true},
                                                         describe<X>(), describe<Y>(), requested_output<>());
  };

  template <int Index, class X, class Y>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::fused_activation>, Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<X, Y>, producer<X>, producer<Y>>()))
    return true;
  }

  template <int Index, class X, class Y>
  struct typed {
    using output = rule_output_type<rule<X, Y>>;
    static constexpr broadcast_geometry geometry = broadcast_geometry_of(describe<X>(), describe<Y>());
    using T = typename X::element;
    static constexpr auto bounds = [] {
      if constexpr (std::is_same_v<T, bool>) return std::pair{false, true};  // LOGICAL_AND, LOGICAL_OR
      else return plain_activation_bounds<T>(detail::fused_activation_of<Opts...>);
    }();
    /// float and int32 run the Highway kernels (kernels/arithmetic-inl.hpp),
    /// which need the SIMD target.
    struct prepared {
      constexpr explicit prepared(const arithmetic_node&) {}
    };
    static void run(const prepared&, kernels::target t, const T* a, const T* b, T* out) {
      kernels::plain_arithmetic<Op>(t, geometry, a, b, bounds.first, bounds.second, out);
    }
  };
};

template <int A, int B, node_option... Opts>
constexpr auto div(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::div, A, B, Opts...>{};
}
template <int A, int B, node_option... Opts>
constexpr auto floor_div(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::floor_div, A, B, Opts...>{};
}
/// FLOOR_MOD: the remainder with the divisor's sign (f32, i32).
template <int A, int B>
constexpr auto floor_mod(node_ref<A>, node_ref<B>) {
  return arithmetic_node<op::floor_mod, A, B>{};
}
/// LOGICAL_AND, LOGICAL_OR of bool tensors (broadcasting).
template <int A, int B>
constexpr auto logical_and(node_ref<A>, node_ref<B>) {
  return arithmetic_node<op::logical_and, A, B>{};
}
template <int A, int B>
constexpr auto logical_or(node_ref<A>, node_ref<B>) {
  return arithmetic_node<op::logical_or, A, B>{};
}
template <int A, int B>
constexpr auto maximum(node_ref<A>, node_ref<B>) {
  return arithmetic_node<op::maximum, A, B>{};
}
template <int A, int B>
constexpr auto minimum(node_ref<A>, node_ref<B>) {
  return arithmetic_node<op::minimum, A, B>{};
}
/// ADD, SUB, MUL of int32 tensors (unquantized; they wrap).
template <int A, int B, node_option... Opts>
constexpr auto int_add(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::int_add, A, B, Opts...>{};
}
template <int A, int B, node_option... Opts>
constexpr auto int_sub(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::int_sub, A, B, Opts...>{};
}
template <int A, int B, node_option... Opts>
constexpr auto int_mul(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::int_mul, A, B, Opts...>{};
}

/// SQUARED_DIFFERENCE: (a - b)^2 of two broadcasting tensors of one dtype;
/// quantized operands (i8, i16) each at their own parameters, rescaled to
/// out<...>.
template <int A, int B, class... Opts>
struct squared_difference_node {
  using op = op::squared_difference;
  using inputs = refs<A, B>;

  /// The op rule (qfence/rules/elementwise.hpp) on this node's operand types.
  template <class X, class Y>
  struct rule {
    static constexpr rule_result value = squared_difference_rule(describe<X>(), describe<Y>(), requested_output<Opts...>());
  };

  template <int Index, class X, class Y>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<X, Y>, producer<X>, producer<Y>>()))
    return true;
  }

  template <int Index, class X, class Y>
  struct typed {
    using output = rule_output_type<rule<X, Y>>;
    static constexpr broadcast_geometry geometry = broadcast_geometry_of(describe<X>(), describe<Y>());
    using T = typename X::element;
    /// float and int32 run the Highway kernels (kernels/arithmetic-inl.hpp).
    struct prepared {
      constexpr explicit prepared(const squared_difference_node&) {}
    };
    static void run(const prepared&, [[maybe_unused]] kernels::target t, const T* a, const T* b, T* out) {
      if constexpr (X::type == dtype::i8 || X::type == dtype::i16) {
        static constexpr add_params p = make_squared_difference_params(
            X::quant::scale, X::quant::zero_point, Y::quant::scale, Y::quant::zero_point, output::quant::scale,
            output::quant::zero_point, squared_difference_left_shift<T>);
        reference::squared_difference(geometry, a, b, p, out);
      } else {
        kernels::plain_arithmetic<op>(t, geometry, a, b, std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max(),
                                      out);
      }
    }
  };
};

template <int A, int B, node_option... Opts>
constexpr auto squared_difference(node_ref<A>, node_ref<B>, Opts...) {
  return squared_difference_node<A, B, Opts...>{};
}

template <class Op, dtype To, int In, class... Opts>
struct unary_node {
  using op = Op;
  using inputs = refs<In>;
  static constexpr math_integer_forms forms = [] {
    if constexpr (is_unary_math<Op>) return integer_forms_of(Op::code);
    else return math_integer_forms::none;
  }();
  /// The op rule (qfence/rules/unary.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = [] {
      if constexpr (is_unary_math<Op>)
        return unary_math_rule(describe<Input>(), requested_output<Opts...>(), forms);
      else if constexpr (std::is_same_v<Op, qfence::op::logical_not>) return logical_not_rule(describe<Input>(), {});
      else return cast_rule(describe<Input>(), {true, true, To, {}, false, {}});
    }();
  };

  /// out<...>: the output's parameters of an integer math op (ABS, RSQRT, ...).
  template <int Index>
  static constexpr bool options_ok() {
    if constexpr (forms != math_integer_forms::none)
      return validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value;
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
    /// The math ops and the CASTs of integers to float and float to int32
    /// run the Highway kernels (kernels/unary_math-inl.hpp,
    /// arithmetic-inl.hpp), which need the SIMD target.
    struct prepared {
      constexpr explicit prepared(const unary_node&) {}
    };
    static void run(const prepared&, kernels::target t, const in_element* in, out_element* out) {
      if constexpr (std::is_same_v<Op, qfence::op::logical_not>) {
        reference::logical_not(Input::elements, in, out);
      } else if constexpr (!is_unary_math<Op>) {
        kernels::cast(t, Input::elements, in, out);
      } else if constexpr (Input::type == dtype::f32) {
        kernels::unary_math<Op>(t, Input::elements, in, out);
      } else if constexpr (!Input::quant::quantized) {  // unquantized int16 ABS
        reference::abs(Input::elements, in, out);
      } else if constexpr (forms == math_integer_forms::rsqrt) {
        // int8 RSQRT: a table of TFLM's kernel, built on first use (its
        // multiplier takes a float square root, which is not constexpr).
        static const lookup_table<out_element> table = [] {
          const quantized_rsqrt_params p = make_quantized_rsqrt_params(
              Input::quant::scale, Input::quant::zero_point, output::quant::scale, output::quant::zero_point);
          return tabulate<in_element, out_element>([&](const in_element* x, out_element* y) { reference::rsqrt(256, x, p, y); });
        }();
        kernels::look_up(t, Input::elements, in, table, out);
      } else if constexpr (forms == math_integer_forms::elu) {
        // int8 ELU: TFLM's table (std::exp is not constexpr), built on first use.
        static const lookup_table<out_element> table = [] {
          const quantized_elu_params p = make_quantized_elu_params(Input::quant::scale, Input::quant::zero_point,
                                                                   output::quant::scale, output::quant::zero_point);
          return tabulate<in_element, out_element>([&](const in_element* x, out_element* y) { reference::elu(256, x, p, y); });
        }();
        kernels::look_up(t, Input::elements, in, table, out);
      } else if constexpr (forms == math_integer_forms::exp) {
        // int8/int16 EXP: TFLite's table (std::exp is not constexpr), built on first use.
        static const auto table = exp_table<in_element>(Input::quant::scale, Input::quant::zero_point,
                                                        output::quant::scale, output::quant::zero_point);
        kernels::look_up(t, Input::elements, in, table, out);
      } else if constexpr (forms == math_integer_forms::hard_swish) {
        // int8/uint8 HARD_SWISH: a table of TFLite's fixed-point kernel, built at compile time.
        static constexpr hard_swish_params p = make_hard_swish_params(Input::quant::scale, Input::quant::zero_point,
                                                                      output::quant::scale, output::quant::zero_point);
        static constexpr lookup_table<out_element> table =
            tabulate<in_element, out_element>([](const in_element* x, out_element* y) { reference::hard_swish(256, x, p, y); });
        kernels::look_up(t, Input::elements, in, table, out);
      } else {  // quantized ABS: int8 as a table of TFLM's kernel, built at compile time
        static constexpr quantized_abs_params p = make_quantized_abs_params(
            Input::quant::scale, Input::quant::zero_point, output::quant::scale, output::quant::zero_point);
        if constexpr (sizeof(in_element) == 1) {
          static constexpr lookup_table<out_element> table =
              tabulate<in_element, out_element>([](const in_element* x, out_element* y) { reference::abs(256, x, p, y); });
          kernels::look_up(t, Input::elements, in, table, out);
        } else {
          reference::abs(Input::elements, in, p, out);
        }
      }
    }
  };
};

/// ABS, CEIL, COS, ELU, EXP, FLOOR, HARD_SWISH, LOG, NEG, ROUND, RSQRT, SIN,
/// SQRT, SQUARE of an f32 tensor, with TFLM's functions
/// (kernels/reference/unary_math.hpp): qfence::exp(ref<0>). ABS also of int8
/// and int16, RSQRT and ELU of int8, HARD_SWISH of int8 and uint8, EXP of
/// int8 and int16 (TFLite's tables): out<...> gives the output's parameters (qfence::abs(ref<0>, out<per_tensor<0.1f, -128>>)).
#define QFENCE_UNARY_MATH_FUNCTION(tag, vectorized)         \
  template <int In, node_option... Opts>                    \
  constexpr auto tag(node_ref<In>, Opts...) {               \
    return unary_node<op::tag, dtype::f32, In, Opts...>{};  \
  }
QFENCE_UNARY_MATH_OPS(QFENCE_UNARY_MATH_FUNCTION)
#undef QFENCE_UNARY_MATH_FUNCTION
/// LOGICAL_NOT of a bool tensor.
template <int In>
constexpr auto logical_not(node_ref<In>) {
  return unary_node<op::logical_not, dtype::boolean, In>{};
}
/// CAST to dtype `To` (a C++ static_cast per element; float to integer
/// truncates, and saturates out of range). The result is unquantized.
template <dtype To, int In>
constexpr auto cast(node_ref<In>) {
  return unary_node<op::cast, To, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
