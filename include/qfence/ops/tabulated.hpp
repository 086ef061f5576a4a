// qfence/ops/tabulated.hpp: a custom elementwise op between 8-bit tensors as
// a 256-entry table: no float island.
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
// is placed between int8 (or uint8) tensors with
// `qfence::tabulated<gelu>(ref<3>, qfence::out<qfence::per_tensor<S, Z>>)`.
// Its input has at most 256 values, so its output is a table of them. Each
// entry is what the fence would compute for that value: DEQUANTIZE (the
// input's parameters), `apply`, QUANTIZE (the output's): the table's bytes
// are the fenced op's bytes, without the float buffers or the per-element
// float work. When `apply` is constexpr, the table is built at compile
// time; otherwise once, on first use (static storage, no heap).
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/graph/custom_op.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/ops/op_support.hpp"

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

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE((Input::type == dtype::i8 || Input::type == dtype::u8) && Input::quant::quantized &&
                       !Input::quant::is_per_channel,
                   (at_node<Index, Op>, producer<Input>),
                   "qfence: tabulated<Op> takes an int8 or uint8 input quantized per tensor (its table has one entry "
                   "per byte). fix: for float inputs use custom<Op>; for int16, fence(custom<Op>(...), out<...>)")
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using in_element = typename Input::element;
    using output = tensor<Input::type, typename Input::shape_type, typename Out::quant>;
    using out_element = typename output::element;
    static constexpr std::int64_t n = Input::elements;
    struct prepared {
      constexpr explicit prepared(const tabulated_node&) {}
    };
    /// constexpr when Op::apply is (a templated function may call a
    /// non-constexpr one; then it is evaluated at run time).
    static constexpr lookup_table<out_element> make_table() {
      return fenced_table<in_element, out_element>(Input::quant::scale, Input::quant::zero_point, output::quant::scale,
                                                   output::quant::zero_point, [](float x) { return Op::apply(x); });
    }
    static void run(const prepared&, kernels::target t, const in_element* in, out_element* out) {
      if constexpr (detail::constexpr_apply<Op>) {
        static constexpr lookup_table<out_element> table = make_table();
        kernels::lookup_bytes(t, n, in, table, out);
      } else {
        static const lookup_table<out_element> table = make_table();  // apply is not constexpr: built on first use
        kernels::lookup_bytes(t, n, in, table, out);
      }
    }
  };
};

/// Custom elementwise op `Op` on int8 (or uint8) node `In` as a table, with
/// output parameters `out<Q>` (the file comment).
template <class Op, int In, class Q, dtype... D>
constexpr auto tabulated(node_ref<In>, out_t<Q, D...>) {
  return tabulated_node<Op, out_t<Q, D...>, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
