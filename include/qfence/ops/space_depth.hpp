// qfence/ops/space_depth.hpp: DEPTH_TO_SPACE and SPACE_TO_DEPTH as typed
// nodes: each one 6-D transpose (rules/space_depth.hpp), on the transpose
// kernels.
//
//   qf::depth_to_space<2>(x)   [1, 4, 4, 8] -> [1, 8, 8, 2]
//   qf::space_to_depth<2>(x)   [1, 8, 8, 2] -> [1, 4, 4, 8]
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/transpose.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/space_depth.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct depth_to_space {
  static constexpr const char* name = "depth_to_space";
  static constexpr runtime::op_code code = runtime::op_code::depth_to_space;
  static constexpr bool to_space = true;
};
struct space_to_depth {
  static constexpr const char* name = "space_to_depth";
  static constexpr runtime::op_code code = runtime::op_code::space_to_depth;
  static constexpr bool to_space = false;
};
}  // namespace op

template <class Op, int Block, int In>
struct space_depth_node {
  using op = Op;
  using inputs = refs<In>;
  static constexpr space_depth_attrs attrs{Op::to_space, Block};
  template <class Input>
  struct rule {
    static constexpr rule_result value = space_depth_rule(attrs, describe<Input>(), requested_output<>());
  };
  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = rule_output_keeping<rule<Input>, Input>;
    static constexpr space_depth_view view = space_depth_transpose(attrs, Input::shape_type::dims.data());
    static constexpr transpose_geometry geometry = make_transpose_geometry(view.dims.data(), 6, view.perm.data());
    static constexpr kernels::interleave_form form = kernels::interleave_form_of(geometry);
    struct prepared {
      constexpr explicit prepared(const space_depth_node&) {}
    };
    static void run(const prepared&, kernels::target t, const typename Input::element* in,
                    typename output::element* out) {
      kernels::transpose<sizeof(typename Input::element)>(t, geometry, form, in, out);
    }
  };
};

/// DEPTH_TO_SPACE with blocks of Block x Block.
template <int Block, int In>
constexpr auto depth_to_space(node_ref<In>) {
  return space_depth_node<op::depth_to_space, Block, In>{};
}
/// SPACE_TO_DEPTH with blocks of Block x Block.
template <int Block, int In>
constexpr auto space_to_depth(node_ref<In>) {
  return space_depth_node<op::space_to_depth, Block, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
