// qfence/ops/space_batch.hpp: SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND as
// typed nodes (rules/space_batch.hpp; kernels/reference/space_batch.hpp).
//
//   qf::space_to_batch_nd<qf::ints<2, 2>, qf::ints<1, 1, 0, 0>>(x)   block, paddings
//   qf::batch_to_space_nd<qf::ints<2, 2>, qf::ints<1, 1, 0, 0>>(x)   block, crops
#pragma once

#include <array>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/space_batch.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/space_batch.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// A list of ints as a type (block shapes, paddings, crops).
template <int... V>
using ints = std::integer_sequence<int, V...>;

namespace op {
struct space_to_batch_nd {
  static constexpr const char* name = "space_to_batch_nd";
  static constexpr runtime::op_code code = runtime::op_code::space_to_batch_nd;
  static constexpr bool to_batch = true;
};
struct batch_to_space_nd {
  static constexpr const char* name = "batch_to_space_nd";
  static constexpr runtime::op_code code = runtime::op_code::batch_to_space_nd;
  static constexpr bool to_batch = false;
};
}  // namespace op

template <class Op, class Block, class Edges, int In> struct space_batch_node;
template <class Op, int... B, int... E, int In>
struct space_batch_node<Op, std::integer_sequence<int, B...>, std::integer_sequence<int, E...>, In> {
  using op = Op;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(B)> block{B...};
  static constexpr std::array<int, sizeof...(E)> edges{E...};
  static constexpr space_batch_attrs attrs = [] {
    space_batch_attrs a;
    a.to_batch = Op::to_batch;
    a.spatial = sizeof...(B) <= 2 ? static_cast<int>(sizeof...(B)) : -1;
    for (std::size_t k = 0; k < block.size() && k < 2; ++k) a.block[k] = block[k];
    a.pairs = sizeof...(E) <= 4 ? static_cast<int>(sizeof...(E)) : -1;
    for (std::size_t k = 0; k < edges.size() && k < 4; ++k) a.edges[k] = edges[k];
    return a;
  }();
  template <class Input>
  struct rule {
    static constexpr rule_result value = space_batch_rule(attrs, describe<Input>(), requested_output<>());
  };
  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = rule_output_keeping<rule<Input>, Input>;
    static constexpr space_batch_geometry geometry = make_space_batch_geometry(
        Input::shape_type::dims.data(), output::shape_type::dims.data(), static_cast<int>(Input::rank), block.data(),
        edges.data());
    static void run(const space_batch_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (Op::to_batch) {
        typename Input::element pad{};
        if constexpr (Input::quant::quantized) pad = static_cast<typename Input::element>(Input::quant::zero_point);
        reference::space_to_batch(geometry, in, pad, out);
      } else {
        reference::batch_to_space(geometry, in, out);
      }
    }
  };
};

/// SPACE_TO_BATCH_ND with block shape Block and (before, after) paddings
/// Pads per spatial dimension.
template <class Block, class Pads, int In>
constexpr auto space_to_batch_nd(node_ref<In>) {
  return space_batch_node<op::space_to_batch_nd, Block, Pads, In>{};
}
/// BATCH_TO_SPACE_ND with block shape Block and (before, after) crops.
template <class Block, class Crops, int In>
constexpr auto batch_to_space_nd(node_ref<In>) {
  return space_batch_node<op::batch_to_space_nd, Block, Crops, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
