// qfence/rules/l2_normalization.hpp: the type and shape rule of
// L2_NORMALIZATION, x / ||x|| over the last dimension.
//
// Operand 0: f32, i8 or u8, rank 1 to 4 (TFLM and TFLite check the rank);
// no fused activation (both references refuse one). Output: the input's
// shape; f32 for f32; for 8-bit inputs the fixed quantization TFLite's
// Prepare demands, scale 1/128 with zero point 0 (i8) or 128 (u8): [-1, 1)
// on the 8-bit range. (TFLM does not check the output's parameters; its
// kernel writes values of scale 1/128 either way.)
#pragma once

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/rules/activation.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct l2_normalization_attrs {
  activation fused = activation::none;
};

constexpr quant_desc l2_normalization_output_quant(dtype in) noexcept {
  return quant_desc::tensor(1.0f / 128.0f, in == dtype::u8 ? 128 : 0);
}

constexpr rule_result l2_normalization_rule(const l2_normalization_attrs& a, const tensor_desc& in,
                                            const output_request& req) noexcept {
  if (a.fused != activation::none) return rule_fail(rule_error::bad_option, output_operand);
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8}));
  if (in.rank < 1 || in.rank > 4 || in.dim(-1) <= 0) return rule_fail(rule_error::input_rank, 0);
  if (in.type == dtype::f32) return rules::requantized_output(in, in, req);
  return rules::fixed_quantization_output(in.retyped(in.type, l2_normalization_output_quant(in.type)), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
