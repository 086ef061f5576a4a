// qfence/ops/dynamic_update_slice.hpp: DYNAMIC_UPDATE_SLICE as a typed node
// (rules/dynamic_update_slice.hpp; kernels/reference/dynamic_update_slice.hpp).
//
//   qf::dynamic_update_slice(operand, update, start_indices)
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/dynamic_update_slice.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/dynamic_update_slice.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct dynamic_update_slice {
  static constexpr const char* name = "dynamic_update_slice";
  static constexpr runtime::op_code code = runtime::op_code::dynamic_update_slice;
};
}  // namespace op

template <int Operand, int Update, int Start>
struct dynamic_update_slice_node {
  using op = op::dynamic_update_slice;
  using inputs = refs<Operand, Update, Start>;
  template <class O, class U, class S>
  struct rule {
    static constexpr rule_result value =
        dynamic_update_slice_rule(describe<O>(), describe<U>(), describe<S>(), requested_output<>());
  };
  template <int Index, class O, class U, class S>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<O, U, S>, producer<O>, producer<U>, producer<S>>()))
    return true;
  }
  template <int Index, class O, class U, class S>
  struct typed {
    using output = rule_output_keeping<rule<O, U, S>, O>;
    static void run(const dynamic_update_slice_node&, const typename O::element* operand,
                    const typename U::element* update, const typename S::element* start,
                    typename output::element* out) {
      reference::dynamic_update_slice(static_cast<int>(O::rank), O::shape_type::dims.data(), U::shape_type::dims.data(),
                                      sizeof(typename O::element), operand, update, start, out);
    }
  };
};

/// DYNAMIC_UPDATE_SLICE: `operand` with `update` written at `start` (clamped).
template <int O, int U, int S>
constexpr auto dynamic_update_slice(node_ref<O>, node_ref<U>, node_ref<S>) {
  return dynamic_update_slice_node<O, U, S>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
