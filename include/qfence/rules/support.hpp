// qfence/rules/support.hpp: checks that several op rules share.
//
// Each returns a rule_result: ok (with an empty output) when the check
// passes, the error otherwise. Rules chain them with QFENCE_RULE_TRY.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/activation.hpp"
#include "qfence/rules/rule.hpp"

QFENCE_EXACT_FLOAT_BEGIN

/// Return the check's error, if it has one.
#define QFENCE_RULE_TRY(...)                                          \
  do {                                                                \
    if (const ::qfence::rule_result qfence_r_ = (__VA_ARGS__); !qfence_r_.ok()) return qfence_r_; \
  } while (false)

namespace qfence::rules {

inline constexpr rule_result pass{};

/// A set of dtypes, for "this op takes ...".
struct dtype_set {
  unsigned bits = 0;
  constexpr dtype_set(std::initializer_list<dtype> ds) noexcept {
    for (dtype d : ds) bits |= 1u << static_cast<unsigned>(d);
  }
  constexpr bool has(dtype d) const noexcept { return (bits >> static_cast<unsigned>(d)) & 1u; }
};

/// An activation of one of `allowed`: f32 unquantized, i8/u8 quantized per
/// tensor, or i16 per tensor with zero point 0 (the int16x8 scheme).
constexpr bool is_activation(const tensor_desc& t) noexcept {
  switch (t.type) {
    case dtype::f32: return !t.quant.quantized();
    case dtype::i8:
    case dtype::u8: return t.quant.per_tensor();
    case dtype::i16: return t.quant.per_tensor() && t.quant.zero_point == 0;
    default: return false;
  }
}

/// A tensor whose values an op moves or selects without computing on them:
/// f32, i32, i64 or bool unquantized, or an i8/u8/i16 activation.
constexpr bool is_movable(const tensor_desc& t) noexcept {
  switch (t.type) {
    case dtype::f32:
    case dtype::i32:
    case dtype::i64:
    case dtype::boolean: return !t.quant.quantized();
    case dtype::i8:
    case dtype::u8:
    case dtype::i16: return is_activation(t);
    default: return false;
  }
}

constexpr rule_result check_activation(const tensor_desc& t, int operand, dtype_set allowed) noexcept {
  if (!is_activation(t) || !allowed.has(t.type)) return rule_fail(rule_error::input_dtype, operand);
  return pass;
}

constexpr rule_result check_rank(const tensor_desc& t, int operand, int rank) noexcept {
  if (t.rank != rank) return rule_fail(rule_error::input_rank, operand);
  return pass;
}

/// A fused activation code must be one the kernels apply (TFLite's format
/// also has TANH and SIGN_BIT, which no conv kernel applies).
constexpr bool plain_activation(activation a) noexcept {
  return a == activation::none || a == activation::relu || a == activation::relu6 ||
         a == activation::relu_n1_to_1;
}

/// The runtime path's output tensor must have the inferred shape.
constexpr rule_result check_output_shape(const tensor_desc& inferred, const output_request& req) noexcept {
  if (req.shape_given && !req.tensor.same_shape(inferred)) return rule_fail(rule_error::output_shape, output_operand, inferred);
  return rule_ok(inferred);
}

/// The output of an op that rescales: float for a float input; for a
/// quantized input the requested quantization, per tensor, of the input's
/// dtype unless `out_type` says otherwise (int16 outputs with zero point 0).
constexpr rule_result requantized_output(const tensor_desc& in, tensor_desc shaped, const output_request& req) noexcept {
  if (in.type == dtype::f32) {
    if (req.given && (req.type != dtype::f32 || req.quant.quantized()))
      return rule_fail(rule_error::output_quantization_on_float, output_operand, shaped.retyped(dtype::f32));
    return check_output_shape(shaped.retyped(dtype::f32), req);
  }
  if (!req.given) return rule_fail(rule_error::missing_output_quantization, output_operand);
  const dtype out_type = req.dtype_given ? req.type : in.type;
  const tensor_desc out = shaped.retyped(out_type, req.quant);
  if (out_type != in.type) return rule_fail(rule_error::output_dtype, output_operand, shaped.retyped(in.type, req.quant));
  if (!req.quant.per_tensor() || (out_type == dtype::i16 && req.quant.zero_point != 0))
    return rule_fail(rule_error::output_per_tensor, output_operand);
  return check_output_shape(out, req);
}

/// The output of an op that does not rescale: the input's dtype and
/// quantization with the computed shape.
constexpr rule_result same_quantization_output(const tensor_desc& shaped, const output_request& req) noexcept {
  if (req.given && (req.type != shaped.type || !(req.quant == shaped.quant)))
    return rule_fail(rule_error::output_same_quantization, output_operand, shaped);
  return check_output_shape(shaped, req);
}

/// Weights of a conv-like layer with `out_c` output channels along `axis`.
/// The weight dtype follows the input: f32 -> f32, or quantized i8 where
/// the op has a hybrid kernel (`hybrid`: TFLite's dynamic-range scheme);
/// i8 and i16 -> quantized i8 (per tensor or per channel, symmetric);
/// u8 -> u8 per tensor.
constexpr rule_result check_weights(const tensor_desc& in, const tensor_desc& w, int operand, std::int64_t out_c,
                                    int axis, bool hybrid = false) noexcept {
  const bool int8_weights = w.type == dtype::i8 && w.quant.quantized();
  const bool dtype_fits = in.type == dtype::f32  ? (w.type == dtype::f32 && !w.quant.quantized()) || (hybrid && int8_weights)
                          : in.type == dtype::u8 ? w.type == dtype::u8 && w.quant.per_tensor()
                                                 : int8_weights;
  if (!dtype_fits) return rule_fail(rule_error::weights_dtype, operand);
  if (w.quant.per_channel() && (w.quant.axis != axis || w.quant.channels != out_c)) {
    tensor_desc e = w;
    e.quant.axis = axis;
    e.quant.channels = out_c;
    return rule_fail(rule_error::weights_per_channel, operand, e);
  }
  if (w.type == dtype::i8 && !w.quant.symmetric) return rule_fail(rule_error::weights_symmetric, operand);
  return pass;
}

/// The bias of a layer with input `in` and `channels` outputs: f32 for
/// float, i32 for 8-bit, i64 (or i32) for int16x8; absent is fine.
constexpr rule_result check_bias(const tensor_desc& in, const optional_desc& bias, int operand,
                                 std::int64_t channels) noexcept {
  if (!bias.present) return pass;
  const dtype want = in.type == dtype::f32 ? dtype::f32 : in.type == dtype::i16 ? dtype::i64 : dtype::i32;
  const bool type_ok = bias.desc.type == want || (in.type == dtype::i16 && bias.desc.type == dtype::i32);
  if (!type_ok || bias.desc.rank != 1 || bias.desc.dims[0] != channels) {
    tensor_desc e;
    e.type = want;
    e.rank = 1;
    e.dims[0] = channels;
    return rule_fail(rule_error::bias_type, operand, e);
  }
  return pass;
}

}  // namespace qfence::rules

QFENCE_EXACT_FLOAT_END
