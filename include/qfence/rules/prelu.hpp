// qfence/rules/prelu.hpp: the type and shape rule of PRELU, x >= 0 ? x :
// x * alpha with a learned, broadcast alpha.
//
// Operand 0 (x): an f32, i8, u8 or i16 activation. Operand 1 (alpha): f32
// for f32; for quantized x, quantized per tensor (any zero point) as i8 for
// i8 and i16 x, u8 for u8 x (TFLM and TFLite: the int16 kernel takes int8
// alpha). Alpha broadcasts to x's shape and no further (TFLite checks that
// the broadcast shape is x's). The output has x's shape, requantized to the
// requested parameters.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/elementwise.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The dtype PRELU's alpha has for an input of dtype `x`.
constexpr dtype prelu_alpha_type(dtype x) noexcept { return x == dtype::i16 ? dtype::i8 : x; }

constexpr rule_result prelu_rule(const tensor_desc& x, const tensor_desc& alpha, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(x, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  const dtype want = prelu_alpha_type(x.type);
  const bool alpha_ok = alpha.type == want && (want == dtype::f32 ? !alpha.quant.quantized() : alpha.quant.per_tensor());
  if (!alpha_ok)
    return rule_fail(rule_error::prelu_alpha, 1,
                     alpha.retyped(want, want == dtype::f32 ? quant_desc{} : quant_desc::tensor(x.quant.scale, 0)));
  const rule_result shape = rules::broadcast(x, alpha);
  if (!shape.ok() || !shape.output.same_shape(x)) return rule_fail(rule_error::prelu_alpha, 1);
  return rules::requantized_output(x, x, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
