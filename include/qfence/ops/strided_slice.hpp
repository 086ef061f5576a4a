// qfence/ops/strided_slice.hpp: STRIDED_SLICE geometry (TFLite's
// strided_slice_logic: masks, negative indices, clamping) and kernel.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/kernels/reference/strided_slice.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/strided_slice.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct strided_slice {
  static constexpr const char* name = "strided_slice";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::strided_slice;
};
}  // namespace op


/// A STRIDED_SLICE as TFLite states it: begin, end, strides per dimension
/// and the masks. Declare one `inline constexpr slice_spec<R>` per node and
/// pass it by reference: strided_slice<spec>(x).
template <std::size_t R>
struct slice_spec {
  std::array<int, R> begin{}, end{}, strides{};
  int begin_mask = 0, end_mask = 0, shrink_axis_mask = 0;
  bool offset = false;
};

template <int In, const auto& Spec>
struct strided_slice_node {
  using op = op::strided_slice;
  using inputs = refs<In>;
  static constexpr std::size_t rank = Spec.begin.size();

  static constexpr strided_slice_attrs attrs = [] {
    strided_slice_attrs a;
    a.rank = static_cast<int>(rank);
    for (std::size_t d = 0; d < rank && d < a.begin.size(); ++d) {
      a.begin[d] = Spec.begin[d];
      a.end[d] = Spec.end[d];
      a.strides[d] = Spec.strides[d];
    }
    a.begin_mask = Spec.begin_mask;
    a.end_mask = Spec.end_mask;
    a.shrink_axis_mask = Spec.shrink_axis_mask;
    a.offset = Spec.offset;
    return a;
  }();

  /// The op rule (qfence/rules/strided_slice.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = strided_slice_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr slice_geometry g = make_slice_geometry(attrs, describe<Input>());
    using output = rule_output_keeping<rule<Input>, Input>;
    static void run(const strided_slice_node&, const typename Input::element* in, typename output::element* out) {
      reference::strided_slice<sizeof(typename Input::element)>(g, in, out);
    }
  };
};

template <const auto& Spec, int In>
constexpr auto strided_slice(node_ref<In>) {
  return strided_slice_node<In, Spec>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
