// qfence/ops/arg_max.hpp: ARG_MAX and ARG_MIN, the index of the first
// largest (smallest) value along an axis (TFLite's ArgMinMax with
// std::greater, std::less).
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/arg_max.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct arg_max {
  static constexpr const char* name = "arg_max";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::arg_max;
  static constexpr bool max = true;
};
struct arg_min {
  static constexpr const char* name = "arg_min";
  static constexpr runtime::op_code code = runtime::op_code::arg_min;
  static constexpr bool max = false;
};
}  // namespace op


template <class Op, int Axis, dtype IndexType, int In>
struct arg_extreme_node {
  using op = Op;
  using inputs = refs<In>;

  /// The op rule (qfence/rules/arg_max.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value =
        arg_max_rule({Axis}, describe<Input>(), {true, true, IndexType, {}, false, {}});
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr int axis = Axis < 0 ? Axis + static_cast<int>(Input::rank) : Axis;
    using output = rule_output_type<rule<Input>>;
    static constexpr std::int64_t outer = [] {
      std::int64_t n = 1;
      for (int i = 0; i < axis; ++i) n *= Input::shape_type::dims[static_cast<std::size_t>(i)];
      return n;
    }();
    static constexpr std::int64_t inner = Input::elements / (outer * Input::shape_type::dims[axis]);
    /// Integer rows run the Highway kernel (kernels/arg_max-inl.hpp), which
    /// needs the SIMD target.
    struct prepared {
      constexpr explicit prepared(const arg_extreme_node&) {}
    };
    static void run(const prepared&, kernels::target t, const typename Input::element* in,
                    typename output::element* out) {
      kernels::arg_extreme<Op::max>(t, outer, Input::shape_type::dims[axis], inner, in, out);
    }
  };
};

template <int Axis, dtype IndexType, int In>
using arg_max_node = arg_extreme_node<op::arg_max, Axis, IndexType, In>;

/// ARG_MAX along `Axis`, giving indices of dtype `IndexType` (i32 or i64).
template <int Axis, dtype IndexType = dtype::i32, int In>
constexpr auto arg_max(node_ref<In>) {
  return arg_extreme_node<op::arg_max, Axis, IndexType, In>{};
}
/// ARG_MIN along `Axis`, giving indices of dtype `IndexType` (i32 or i64).
template <int Axis, dtype IndexType = dtype::i32, int In>
constexpr auto arg_min(node_ref<In>) {
  return arg_extreme_node<op::arg_min, Axis, IndexType, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
