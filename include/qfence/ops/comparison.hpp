// qfence/ops/comparison.hpp: EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL,
// LESS, LESS_EQUAL as typed nodes: two broadcasting operands, a bool output
// (rules/comparison.hpp; kernels/reference/comparison.hpp).
#pragma once

#include <cstdint>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/comparison.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/comparison.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

template <class Op, int A, int B>
struct comparison_node {
  using op = Op;
  using inputs = refs<A, B>;
  /// The op rule (qfence/rules/comparison.hpp) on this node's operand types.
  template <class X, class Y>
  struct rule {
    static constexpr rule_result value = comparison_rule(is_equality<Op>, describe<X>(), describe<Y>(), requested_output<>());
  };

  template <int Index, class X, class Y>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<X, Y>, producer<X>, producer<Y>>()))
    return true;
  }

  template <int Index, class X, class Y>
  struct typed {
    using output = rule_output_type<rule<X, Y>>;
    static constexpr broadcast_geometry geometry = broadcast_geometry_of(describe<X>(), describe<Y>());
    using T = typename X::element;
    static void run(const comparison_node&, const T* a, const T* b, bool* out) {
      if constexpr (X::type == dtype::i8) {
        static constexpr comparison_operand pa = make_comparison_operand(X::quant::scale, X::quant::zero_point);
        static constexpr comparison_operand pb = make_comparison_operand(Y::quant::scale, Y::quant::zero_point);
        reference::compare<Op>(geometry, a, pa, b, pb, out);
      } else {
        reference::compare<Op>(geometry, a, b, out);
      }
    }
  };
};

/// EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL of two
/// broadcasting tensors of one dtype (int8 operands may differ in
/// parameters): qfence::less(ref<0>, ref<1>).
#define QFENCE_COMPARISON_FUNCTION(tag, op_symbol)  \
  template <int A, int B>                           \
  constexpr auto tag(node_ref<A>, node_ref<B>) {    \
    return comparison_node<op::tag, A, B>{};        \
  }
QFENCE_COMPARISON_OPS(QFENCE_COMPARISON_FUNCTION)
#undef QFENCE_COMPARISON_FUNCTION

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
