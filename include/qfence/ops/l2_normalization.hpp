// qfence/ops/l2_normalization.hpp: L2_NORMALIZATION as a typed node
// (rules/l2_normalization.hpp; kernels/reference/l2_normalization.hpp).
//
//   qf::l2_normalization(x)    f32; i8/u8 with the output at scale 1/128
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/l2_normalization.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/l2_normalization.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct l2_normalization {
  static constexpr const char* name = "l2_normalization";
  static constexpr runtime::op_code code = runtime::op_code::l2_normalization;
};
}  // namespace op

template <int In>
struct l2_normalization_node {
  using op = op::l2_normalization;
  using inputs = refs<In>;

  template <class Input>
  struct rule {
    static constexpr rule_result value = l2_normalization_rule({}, describe<Input>(), {});
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr last_axis_rows rows = rows_along_last_axis(describe<Input>());
    static constexpr int outer = rows.outer, depth = rows.depth;
    static void run(const l2_normalization_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (Input::type == dtype::f32) reference::l2_normalization(outer, depth, in, out);
      else reference::l2_normalization(outer, depth, Input::quant::zero_point, in, out);
    }
  };
};

/// L2_NORMALIZATION over the last dimension (rank 1 to 4).
template <int In>
constexpr auto l2_normalization(node_ref<In>) {
  return l2_normalization_node<In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
