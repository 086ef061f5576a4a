// qfence/ops/tabulated.hpp: a custom elementwise op between quantized
// tensors as a table: no float island.
//
// A custom op that declares its float function,
//
//     struct gelu {
//       QFENCE_CUSTOM_OP(gelu)
//       static constexpr qfence::dtype accepts = qfence::f32;
//       template <class In> using output = qfence::tensor<qfence::f32, typename In::shape_type>;
//       template <class In, class Out> static void run(const float* in, float* out);  // for float graphs
//       static constexpr float apply(float x) { ... }                               // the function
//     };
//
// is placed between int8 (or uint8, or int16) tensors with
// `qfence::tabulated<gelu>(ref<3>, qfence::out<qfence::per_tensor<S, Z>>)`.
// An 8-bit input has at most 256 values, so its output is a table of them. Each
// entry is what the fence would compute for that value: DEQUANTIZE (the
// input's parameters), `apply`, QUANTIZE (the output's): the table's bytes
// are the fenced op's bytes, without the float buffers or the per-element
// float work.
//
// Between int16 tensors (zero points 0) it is TFLite's int16 table, as the
// runtime path makes it for the same op (runtime/elementwise_custom_op.hpp):
// 513 samples of `apply` over the input's range, interpolated with 7
// fraction bits. That approximates the fence instead of equalling it: by
// linear interpolation's error, h^2 max|f''| / 8 over segments of h = the
// input range / 512, plus a step (both_paths_test.cpp measures it).
//
// When `apply` is constexpr, the table is built at compile time; otherwise
// once, on first use (static storage, no heap).
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/graph/custom_op.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/unary.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace detail {
/// Whether Op::apply can run in a constant expression.
template <class Op>
concept constexpr_apply = requires { typename std::integral_constant<int, (static_cast<void>(Op::apply(0.5f)), 0)>; };
}  // namespace detail

namespace op {
struct tabulated {
  static constexpr const char* name = "tabulated";
};
}  // namespace op

template <class Op, class Out, int In>
struct tabulated_node {
  static_assert(elementwise_function<Op>,
                "qfence: tabulated<Op>: Op must be a custom op (QFENCE_CUSTOM_OP, accepts) with its elementwise "
                "function `static constexpr float apply(float)`");
  using op = Op;
  using inputs = refs<In>;

  /// The rule the runtime path's prepare_elementwise asks too.
  template <class Input>
  struct rule {
    static constexpr rule_result value = float_function_rule(describe<Input>(), requested_output<Out>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE(Input::type != dtype::f32, (at_node<Index, Op>, producer<Input>),
                   "qfence: tabulated<Op> takes a quantized input (a table has one entry per int8 or uint8 value, "
                   "or TFLite's 513 int16 samples); this one is float. fix: for float inputs use custom<Op>")
    QFENCE_REQUIRE_THAT((check_rule<Index, Op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using in_element = typename Input::element;
    using output = rule_output_type<rule<Input>>;
    using out_element = typename output::element;
    static constexpr std::int64_t n = Input::elements;
    struct prepared {
      constexpr explicit prepared(const tabulated_node&) {}
    };
    /// constexpr when Op::apply is (a templated function may call a
    /// non-constexpr one; then it is evaluated at run time).
    static constexpr auto make_table() {
      return function_table<in_element>(Input::quant::scale, Input::quant::zero_point, output::quant::scale,
                                        output::quant::zero_point, [](float x) { return static_cast<float>(Op::apply(x)); });
    }
    using table_type = decltype(make_table());
    static void run(const prepared&, kernels::target t, const in_element* in, out_element* out) {
      if constexpr (detail::constexpr_apply<Op>) {
        static constexpr table_type table = make_table();
        kernels::look_up(t, n, in, table, out);
      } else {
        static const table_type table = make_table();  // apply is not constexpr: built on first use
        kernels::look_up(t, n, in, table, out);
      }
    }
  };
};

/// Custom elementwise op `Op` on int8, uint8 or int16 node `In` as a
/// table, with output parameters `out<Q>` (the file comment).
template <class Op, int In, class Q, dtype... D>
constexpr auto tabulated(node_ref<In>, out_t<Q, D...>) {
  return tabulated_node<Op, out_t<Q, D...>, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
