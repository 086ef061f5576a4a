// qfence/rules/concatenation.hpp: the type and shape rule of
// CONCATENATION.
//
// Operands 0..n-1: one rank, one dtype, equal dimensions except along the
// axis. The output adds them up along the axis. It copies: every input has
// the output's quantization, except for uint8, where TFLite's reference
// (ConcatenationWithScaling) requantizes inputs with other parameters.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct concatenation_attrs {
  int axis = 0;
  activation fused = activation::none;
  bool fused_supported = true;
};

/// The axis counted from the front; call only for operands the rule accepted.
constexpr int concatenation_axis(const concatenation_attrs& a, int rank) noexcept {
  return a.axis < 0 ? a.axis + rank : a.axis;
}

constexpr rule_result concatenation_rule(const concatenation_attrs& a, const tensor_desc* inputs, int count,
                                         const output_request& req) noexcept {
  if (count < 1) return rule_fail(rule_error::concatenation_inputs, output_operand);
  if (a.fused != activation::none || !a.fused_supported) return rule_fail(rule_error::bad_option, output_operand);
  const tensor_desc& first = inputs[0];
  const int axis = concatenation_axis(a, first.rank);
  if (axis < 0 || axis >= first.rank) return rule_fail(rule_error::axis_range, 0);
  tensor_desc out = first;
  out.dims[static_cast<std::size_t>(axis)] = 0;
  for (int i = 0; i < count; ++i) {
    const tensor_desc& t = inputs[i];
    bool fits = t.rank == first.rank && t.type == first.type;
    for (int d = 0; fits && d < t.rank; ++d)
      fits = d == axis || t.dims[static_cast<std::size_t>(d)] == first.dims[static_cast<std::size_t>(d)];
    if (!fits) return rule_fail(rule_error::concatenation_inputs, i, t.reshaped(first.rank, first.dims).retyped(first.type, t.quant));
    out.dims[static_cast<std::size_t>(axis)] += t.dims[static_cast<std::size_t>(axis)];
  }
  // The output's quantization: the request's, or the first input's.
  if (req.given) {
    if (req.type != first.type) return rule_fail(rule_error::output_dtype, output_operand, out);
    out.quant = req.quant;
  }
  for (int i = 0; i < count; ++i) {
    if (inputs[i].quant == out.quant) continue;
    if (first.type != dtype::u8 || !inputs[i].quant.per_tensor() || !out.quant.per_tensor())
      return rule_fail(rule_error::concatenation_quantization, i, inputs[i].retyped(first.type, out.quant));
  }
  return rules::check_output_shape(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
