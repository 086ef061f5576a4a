// qfence/rules/activation.hpp: the type rules of the element-wise
// activations RELU, RELU6, LOGISTIC, TANH and LEAKY_RELU.
//
// Operand 0, any shape; the output has the input's shape.
// - RELU, RELU6, LEAKY_RELU: f32, i8, u8, i16. Quantized outputs may be
//   requantized to the requested parameters (TFLite's ReluX rescales);
//   RELU and RELU6 without out<...> keep the input's quantization.
// - LOGISTIC: f32, i8, u8; quantized outputs are scale 1/256 with zero point
//   -128 (i8) or 0 (u8). TANH: f32, i8; i8 outputs are scale 1/128, zero
//   point 0.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

enum class activation_fn : std::uint8_t { relu, relu6, logistic, tanh, leaky_relu };

/// The fixed output quantization of LOGISTIC and TANH for a quantized input.
constexpr quant_desc fixed_activation_quant(activation_fn f, dtype in) noexcept {
  if (in == dtype::i16) return quant_desc::tensor(1.0f / 32768.0f, 0);  // Q0.15, both
  if (f == activation_fn::tanh) return quant_desc::tensor(1.0f / 128.0f, 0);
  return quant_desc::tensor(1.0f / 256.0f, in == dtype::u8 ? 0 : -128);
}

namespace rules {

/// An output whose quantization the op decides: `fixed` unless the request
/// says otherwise, which it may not.
constexpr rule_result fixed_quantization_output(const tensor_desc& fixed, const output_request& req) noexcept {
  if (req.given && (req.type != fixed.type || !(req.quant == fixed.quant)))
    return rule_fail(rule_error::output_fixed_quantization, output_operand, fixed);
  return check_output_shape(fixed, req);
}

}  // namespace rules

constexpr rule_result activation_rule(activation_fn f, const tensor_desc& in, const output_request& req) noexcept {
  switch (f) {
    case activation_fn::relu:
    case activation_fn::relu6:
    case activation_fn::leaky_relu:
      QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
      if (f != activation_fn::leaky_relu && in.quant.quantized() && !req.given) return rules::check_output_shape(in, req);
      return rules::requantized_output(in, in, req);
    case activation_fn::logistic:
    case activation_fn::tanh:
      if (f == activation_fn::logistic)
        QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
      else QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::i16}));
      if (in.type == dtype::f32) return rules::requantized_output(in, in, req);
      return rules::fixed_quantization_output(in.retyped(in.type, fixed_activation_quant(f, in.type)), req);
  }
  return rule_fail(rule_error::input_dtype, 0);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
