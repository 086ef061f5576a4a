// qfence/rules/comparison.hpp: the type and shape rule of EQUAL, NOT_EQUAL,
// GREATER, GREATER_EQUAL, LESS and LESS_EQUAL (TFLM's comparisons).
//
// Operands 0 and 1 broadcast NumPy-style (rank <= 6) and have one dtype:
// f32, i32, i64 (unquantized), bool (EQUAL and NOT_EQUAL only), or i8
// quantized per tensor, each operand with its own parameters (scales below
// 1: they are rescaled to compare). The output is bool, unquantized, of the
// broadcast shape.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/elementwise.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

constexpr rule_result comparison_rule(bool equality, const tensor_desc& a, const tensor_desc& b,
                                      const output_request& req) noexcept {
  const auto takes = [&](const tensor_desc& t) {
    switch (t.type) {
      case dtype::f32:
      case dtype::i32:
      case dtype::i64: return !t.quant.quantized();
      case dtype::boolean: return equality;
      case dtype::i8: return t.quant.per_tensor();
      default: return false;
    }
  };
  if (!takes(a)) return rule_fail(rule_error::input_dtype, 0);
  if (b.type != a.type || !takes(b)) return rule_fail(rule_error::operand_types_differ, 1, b.retyped(a.type, b.quant));
  if (a.type == dtype::i8) {
    if (!(a.quant.scale < 1.0f)) return rule_fail(rule_error::comparison_scale, 0);
    if (!(b.quant.scale < 1.0f)) return rule_fail(rule_error::comparison_scale, 1);
  }
  const rule_result shape = rules::broadcast(a, b);
  if (!shape.ok()) return shape;
  return rules::same_quantization_output(shape.output.retyped(dtype::boolean, {}), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
