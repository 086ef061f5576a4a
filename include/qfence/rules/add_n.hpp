// qfence/rules/add_n.hpp: the type and shape rule of ADD_N.
//
// Two or more operands of one shape and dtype: f32 or i32 (unquantized; the
// output is theirs), or i8 quantized per tensor, all with the same
// parameters (TFLM checks them), the output rescaled to the requested ones.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

constexpr rule_result add_n_rule(const tensor_desc* inputs, int count, const output_request& req) noexcept {
  if (count < 2) return rule_fail(rule_error::add_n_inputs, output_operand);
  const tensor_desc& first = inputs[0];
  const bool plain = (first.type == dtype::f32 || first.type == dtype::i32) && !first.quant.quantized();
  const bool int8 = first.type == dtype::i8 && rules::is_activation(first);
  if (!plain && !int8) return rule_fail(rule_error::input_dtype, 0);
  for (int i = 1; i < count; ++i)
    if (!inputs[i].same_shape(first) || inputs[i].type != first.type || !(inputs[i].quant == first.quant))
      return rule_fail(rule_error::add_n_inputs, i, first);
  if (plain) return rules::same_quantization_output(first, req);
  return rules::requantized_output(first, first, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
