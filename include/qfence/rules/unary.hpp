// qfence/rules/unary.hpp: the type rules of the float math ops (ABS, CEIL,
// COS, ELU, EXP, FLOOR, HARD_SWISH, LOG, NEG, ROUND, RSQRT, SIN, SQRT,
// SQUARE) and CAST.
//
// Math: operand 0 f32 (unquantized); the output f32 of the same shape. ABS
// also takes int8 and int16 quantized per tensor (int16 with zero point 0),
// the output requantized to the requested parameters, and unquantized int16
// (the output likewise); RSQRT and ELU int8; HARD_SWISH int8 and uint8 (an
// output scale above the input's / 128); EXP int8 and int16 (TFLite's
// tables; TFLM's EXP is float only).
// CAST: operand 0 of f32, i8, u8, i16, i32, i64 or bool (its quantization,
// if any, is ignored, as in TFLite); the output the requested dtype,
// unquantized, of the same shape.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/rules/support.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The integer forms of a math op, as TFLM has them (ABS on int8, int16
/// and plain int16; RSQRT and ELU on int8; HARD_SWISH on int8 and uint8),
/// and EXP on int8 and int16, which only TFLite has.
enum class math_integer_forms : std::uint8_t { none, abs, rsqrt, elu, hard_swish, exp };

constexpr math_integer_forms integer_forms_of(runtime::op_code code) noexcept {
  return code == runtime::op_code::abs     ? math_integer_forms::abs
         : code == runtime::op_code::rsqrt ? math_integer_forms::rsqrt
         : code == runtime::op_code::elu   ? math_integer_forms::elu
         : code == runtime::op_code::hard_swish ? math_integer_forms::hard_swish
         : code == runtime::op_code::exp        ? math_integer_forms::exp
                                                : math_integer_forms::none;
}

/// HARD_SWISH (TFLite's HardSwishPrepare) works on a "high-resolution"
/// input scale 2^7 finer than the input's ...
constexpr float hard_swish_hires_scale(float in_scale) noexcept { return (1.0f / 128.0f) * in_scale; }

/// ... from which its output multiplier goes to the output scale; it must be
/// below one (exponent <= 0), as TFLite ensures.
constexpr quantized_multiplier hard_swish_output_multiplier(float in_scale, float out_scale) noexcept {
  return quantize_multiplier(static_cast<double>(hard_swish_hires_scale(in_scale) / out_scale));
}

constexpr rule_result unary_math_rule(const tensor_desc& in, const output_request& req,
                                      math_integer_forms forms = math_integer_forms::none) noexcept {
  using forms_t = math_integer_forms;
  // TFLM's unquantized int16 ABS: the output unquantized as well.
  if (forms == forms_t::abs && in.type == dtype::i16 && !in.quant.quantized())
    return rules::same_quantization_output(in, req);
  const rules::dtype_set types = forms == forms_t::abs     ? rules::dtype_set{dtype::f32, dtype::i8, dtype::i16}
                                 : forms == forms_t::rsqrt || forms == forms_t::elu ? rules::dtype_set{dtype::f32, dtype::i8}
                                 : forms == forms_t::hard_swish ? rules::dtype_set{dtype::f32, dtype::i8, dtype::u8}
                                 : forms == forms_t::exp ? rules::dtype_set{dtype::f32, dtype::i8, dtype::i16}
                                                           : rules::dtype_set{dtype::f32};
  QFENCE_RULE_TRY(rules::check_activation(in, 0, types));
  const rule_result out = rules::requantized_output(in, in, req);
  if (forms == forms_t::hard_swish && out.ok() && in.quant.quantized() &&
      hard_swish_output_multiplier(in.quant.scale, out.output.quant.scale).shift > 0)
    return rule_fail(rule_error::output_scale_ratio, output_operand);
  return out;
}

/// An elementwise float function run on any activation: f32 as it is;
/// i8, u8 or i16 as a table of the function between the two tensors'
/// parameters (kernels/reference/lookup_table.hpp), so any parameters
/// work; the output requantized to the requested ones. GELU, and a custom
/// op that declares its function (ops/tabulated.hpp, on the runtime path
/// runtime/elementwise_custom_op.hpp).
constexpr rule_result float_function_rule(const tensor_desc& in, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  return rules::requantized_output(in, in, req);
}

/// GELU (TFLite's; TFLM has none): a float function (above).
constexpr rule_result gelu_rule(const tensor_desc& in, const output_request& req) noexcept {
  return float_function_rule(in, req);
}

/// LOGICAL_NOT: operand 0 bool; the output bool of the same shape.
constexpr rule_result logical_not_rule(const tensor_desc& in, const output_request& req) noexcept {
  if (in.type != dtype::boolean) return rule_fail(rule_error::input_dtype, 0);
  return rules::same_quantization_output(in, req);
}

constexpr bool castable(dtype d) noexcept { return d != dtype::f16; }

constexpr rule_result cast_rule(const tensor_desc& in, const output_request& req) noexcept {
  if (!castable(in.type)) return rule_fail(rule_error::cast_types, 0);
  if (!req.dtype_given || !castable(req.type) || req.quant.quantized())
    return rule_fail(rule_error::cast_types, output_operand);
  return rules::check_output_shape(in.retyped(req.type), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
