// qfence/rules/quantize.hpp: the type rules of QUANTIZE and DEQUANTIZE.
//
// QUANTIZE: operand 0 f32 (quantize) or a per-tensor quantized i8, u8, i16
// or i32 (requantize); the output is the requested dtype and per-tensor
// quantization, for the pairs TFLite runs. DEQUANTIZE: operand 0 a per-tensor
// quantized i8, u8 or i16, or an f16 (TFLite's float16 weights, widened
// exactly); the output f32. Both keep the shape.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Whether QUANTIZE runs from dtype `from` to dtype `to`.
constexpr bool quantize_supported(dtype from, dtype to) noexcept {
  switch (from) {
    case dtype::f32: return to == dtype::i8 || to == dtype::u8 || to == dtype::i16;
    case dtype::i8: return to == dtype::i8 || to == dtype::u8 || to == dtype::i16 || to == dtype::i32;
    case dtype::u8: return to == dtype::i8 || to == dtype::u8;
    case dtype::i16: return to == dtype::i8 || to == dtype::i16 || to == dtype::i32;
    case dtype::i32: return to == dtype::i8 || to == dtype::i16;
    default: return false;
  }
}

constexpr rule_result quantize_rule(const tensor_desc& in, const output_request& req) noexcept {
  const bool input_ok = in.type == dtype::f32 ? !in.quant.quantized() : in.quant.per_tensor();
  if (!input_ok) return rule_fail(rule_error::quantize_types, 0);
  if (!req.given || !req.quant.per_tensor()) return rule_fail(rule_error::output_per_tensor, output_operand);
  const dtype to = req.dtype_given ? req.type : dtype::i8;
  if (!quantize_supported(in.type, to)) return rule_fail(rule_error::quantize_types, output_operand);
  return rules::check_output_shape(in.retyped(to, req.quant), req);
}

constexpr rule_result dequantize_rule(const tensor_desc& in, const output_request& req) noexcept {
  const bool input_ok = in.type == dtype::f16 ? !in.quant.quantized()
                                             : in.quant.per_tensor() && (in.type == dtype::i8 || in.type == dtype::u8 ||
                                                                          in.type == dtype::i16);
  if (!input_ok) return rule_fail(rule_error::dequantize_types, 0);
  const tensor_desc out = in.retyped(dtype::f32);
  if (req.given && (req.type != dtype::f32 || req.quant.quantized()))
    return rule_fail(rule_error::output_dtype, output_operand, out);
  return rules::check_output_shape(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
