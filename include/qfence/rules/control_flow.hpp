// qfence/rules/control_flow.hpp: what IF and WHILE require of the values
// they pass between a graph and the subgraphs they run, on both paths
// (runtime/ops/control_flow.hpp, ops/control_flow.hpp).
//
// The values are copied byte for byte (TFLM's CopyOpInputsToSubgraphInputs
// checks byte sizes only); qfence also requires one dtype and one set of
// quantization parameters, so that no copy reinterprets a value: int8
// bytes at one scale read at another are another number, silently.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/core/tensor_desc.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// IF's condition, and WHILE's cond subgraph's output 0: one bool (TFLM
/// reads element 0 of WHILE's; qfence requires one element of IF's, as
/// TFLM's if.cc does).
constexpr bool is_condition(const tensor_desc& t, bool single) noexcept {
  return t.type == dtype::boolean && (single ? t.elements() == 1 : t.elements() >= 1);
}

/// Whether a value of `from` can be passed to `to` as its bytes: one dtype,
/// one size, one quantization (scale and zero point).
constexpr bool passes_as(const tensor_desc& from, const tensor_desc& to) noexcept {
  return from.same_kind(to) && from.elements() == to.elements();
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
