// qfence/ops/gather.hpp: GATHER as a typed node (rules/gather.hpp;
// kernels/reference/gather.hpp).
//
//   qf::gather<Axis, BatchDims = 0>(params, indices)
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/gather.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/gather.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct gather {
  static constexpr const char* name = "gather";
  static constexpr runtime::op_code code = runtime::op_code::gather;
};
}  // namespace op

template <int Axis, int BatchDims, int Params, int Indices>
struct gather_node {
  using op = op::gather;
  using inputs = refs<Params, Indices>;
  template <class P, class I>
  struct rule {
    static constexpr rule_result value = gather_rule({Axis, BatchDims}, describe<P>(), describe<I>(), requested_output<>());
  };
  template <int Index, class P, class I>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<P, I>, producer<P>, producer<I>>()))
    return true;
  }
  template <int Index, class P, class I>
  struct typed {
    using output = rule_output_keeping<rule<P, I>, P>;
    static constexpr gather_attrs resolved = resolved_gather({Axis, BatchDims}, describe<P>(), describe<I>());
    static constexpr gather_geometry geometry = make_gather_geometry(
        P::shape_type::dims.data(), static_cast<int>(P::rank), resolved.axis, resolved.batch_dims, I::elements);
    static void run(const gather_node&, const typename P::element* params, const typename I::element* indices,
                    typename output::element* out) {
      reference::gather(geometry, sizeof(typename P::element), params, indices, out);
    }
  };
};

/// GATHER of `params` along `Axis` at `indices` (i32 or i64), the first
/// `BatchDims` dimensions of both taken as batches.
template <int Axis, int BatchDims = 0, int P, int I>
constexpr auto gather(node_ref<P>, node_ref<I>) {
  return gather_node<Axis, BatchDims, P, I>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
