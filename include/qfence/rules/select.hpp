// qfence/rules/select.hpp: the type and shape rule of SELECT_V2.
//
// Operand 0, the condition, is bool; operands 1 and 2 (x, y) have one dtype
// and one quantization: f32, i8, i16 (TFLM's types), u8, i32, i64 or bool
// (TFLite's). The three shapes broadcast NumPy-style (rank <= 6); the output
// is x's dtype and quantization, of the broadcast shape: SELECT_V2 copies
// values, so x and y must share their parameters (TFLite's converter gives
// them one scale), or the output would mix two scales.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/elementwise.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

constexpr rule_result select_rule(const tensor_desc& condition, const tensor_desc& x, const tensor_desc& y,
                                  const output_request& req) noexcept {
  if (condition.type != dtype::boolean || condition.quant.quantized()) return rule_fail(rule_error::input_dtype, 0);
  if (!rules::is_movable(x)) return rule_fail(rule_error::input_dtype, 1);
  if (y.type != x.type || !(y.quant == x.quant)) return rule_fail(rule_error::operand_types_differ, 2, y.retyped(x.type, x.quant));
  const rule_result xy = rules::broadcast(x, y);
  if (!xy.ok()) return rule_fail(rule_error::broadcast_shapes, 2);
  const rule_result all = rules::broadcast(xy.output, condition);
  if (!all.ok()) return rule_fail(rule_error::broadcast_shapes, 0);
  return rules::same_quantization_output(all.output, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
