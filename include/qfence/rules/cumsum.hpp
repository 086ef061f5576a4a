// qfence/rules/cumsum.hpp: the type and shape rule of CUMSUM.
//
// Operand 0: f32, i32 or i64 (unquantized; the output is theirs), or i8
// quantized per tensor (TFLM), the output rescaled to the requested
// parameters. The axis (constant, in [-rank, rank)), exclusive and reverse
// are attributes; the output has the input's shape.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct cumsum_attrs {
  int axis = 0;
  bool exclusive = false, reverse = false;
};

constexpr rule_result cumsum_rule(const cumsum_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  const bool plain = (in.type == dtype::f32 || in.type == dtype::i32 || in.type == dtype::i64) && !in.quant.quantized();
  const bool int8 = in.type == dtype::i8 && rules::is_activation(in);
  if (!plain && !int8) return rule_fail(rule_error::input_dtype, 0);
  if (in.rank < 1 || a.axis < -in.rank || a.axis >= in.rank) return rule_fail(rule_error::axis_range, output_operand);
  if (plain) return rules::same_quantization_output(in, req);
  return rules::requantized_output(in, in, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
