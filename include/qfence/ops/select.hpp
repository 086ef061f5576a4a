// qfence/ops/select.hpp: SELECT_V2 as a typed node: condition ? x : y over
// three broadcasting operands (rules/select.hpp;
// kernels/reference/select.hpp).
//
//   qf::select_v2(qf::ref<0> /* bool */, qf::ref<1>, qf::ref<2>)
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/select.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/select.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct select_v2 {
  static constexpr const char* name = "select_v2";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::select_v2;
};
}  // namespace op

template <int C, int X, int Y>
struct select_v2_node {
  using op = op::select_v2;
  using inputs = refs<C, X, Y>;
  /// The op rule (qfence/rules/select.hpp) on this node's operand types.
  template <class Cond, class A, class B>
  struct rule {
    static constexpr rule_result value = select_rule(describe<Cond>(), describe<A>(), describe<B>(), requested_output<>());
  };

  template <int Index, class Cond, class A, class B>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Cond, A, B>, producer<Cond>, producer<A>, producer<B>>()))
    return true;
  }

  template <int Index, class Cond, class A, class B>
  struct typed {
    using output = rule_output_type<rule<Cond, A, B>>;
    static constexpr select_geometry geometry = make_select_geometry(
        {Cond::shape_type::dims.data(), A::shape_type::dims.data(), B::shape_type::dims.data()},
        {static_cast<int>(Cond::shape_type::rank), static_cast<int>(A::shape_type::rank),
         static_cast<int>(B::shape_type::rank)});
    using T = typename A::element;
    static void run(const select_v2_node&, const bool* condition, const T* x, const T* y, T* out) {
      reference::select(geometry, condition, x, y, out);
    }
  };
};

/// SELECT_V2: condition ? x : y, broadcasting all three; x and y share one
/// dtype and quantization.
template <int C, int X, int Y>
constexpr auto select_v2(node_ref<C>, node_ref<X>, node_ref<Y>) {
  return select_v2_node<C, X, Y>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
