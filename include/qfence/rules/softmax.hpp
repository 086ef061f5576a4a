// qfence/rules/softmax.hpp: the type and shape rules of SOFTMAX and
// LOG_SOFTMAX (log_softmax_rule, below).
//
// Operand 0: f32, i8, u8 or i16, at least 1-D, softmax over the last
// dimension. Output: the input's shape; f32 for f32; for quantized inputs
// the fixed quantization of TFLite's kernel: for 8-bit inputs the input's
// dtype with scale 1/256 and zero point at the dtype's lowest value, or, for
// int8 inputs asked for an i16 output, scale 1/65536 and zero point -32768;
// for i16 inputs i16 with scale 1/32768 and zero point 0. TFLite accepts an
// output scale within 0.1% of these (TF_LITE_ENSURE_NEAR); the kernel
// computes for the exact power of two either way.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/activation.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct softmax_attrs {
  float beta = 1.0f;
};

/// The output quantization SOFTMAX writes for an input and an output dtype.
constexpr quant_desc softmax_output_quant(dtype in, dtype out) noexcept {
  if (in == dtype::i16) return quant_desc::tensor(1.0f / 32768.0f, 0);
  if (out == dtype::i16) return quant_desc::tensor(1.0f / 65536.0f, -32768);
  return quant_desc::tensor(1.0f / 256.0f, out == dtype::u8 ? 0 : -128);
}

constexpr rule_result softmax_rule(const softmax_attrs&, const tensor_desc& in, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  if (in.rank < 1 || in.dim(-1) <= 0) return rule_fail(rule_error::input_rank, 0);
  if (in.type == dtype::f32) return rules::requantized_output(in, in, req);
  const dtype out_type = req.given && req.dtype_given ? req.type : in.type;
  const tensor_desc fixed = in.retyped(out_type, softmax_output_quant(in.type, out_type));
  if (!(out_type == in.type || (in.type == dtype::i8 && out_type == dtype::i16)))
    return rule_fail(rule_error::output_dtype, output_operand,
                     in.retyped(in.type, softmax_output_quant(in.type, in.type)));
  if (req.given) {
    const float want = fixed.quant.scale, got = req.quant.scale;
    const float diff = got > want ? got - want : want - got;
    if (!req.quant.per_tensor() || diff > 0.001f * want || req.quant.zero_point != fixed.quant.zero_point)
      return rule_fail(rule_error::output_fixed_quantization, output_operand, fixed);
    // The output type is what was asked (within TFLite's tolerance).
    return rules::check_output_shape(in.retyped(out_type, req.quant), req);
  }
  return rules::check_output_shape(fixed, req);
}

/// LOG_SOFTMAX's fixed output parameters: [-255/16, 0] on the 8-bit range,
/// scale 16/256 and the zero point at the dtype's top (TFLite and TFLM
/// check both exactly).
constexpr quant_desc log_softmax_output_quant(dtype in) noexcept {
  return quant_desc::tensor(16.0f / 256.0f, in == dtype::u8 ? 255 : 127);
}

/// LOG_SOFTMAX over the last dimension: f32 (TFLM, TFLite), i8 (TFLM,
/// TFLite), u8 (TFLite).
constexpr rule_result log_softmax_rule(const tensor_desc& in, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8}));
  if (in.rank < 1 || in.dim(-1) <= 0) return rule_fail(rule_error::input_rank, 0);
  if (in.type == dtype::f32) return rules::requantized_output(in, in, req);
  return rules::fixed_quantization_output(in.retyped(in.type, log_softmax_output_quant(in.type)), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
