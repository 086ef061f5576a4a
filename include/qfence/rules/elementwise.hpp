// qfence/rules/elementwise.hpp: the type and shape rules of the broadcasting
// binary ops.
//
// Operands 0 and 1 broadcast NumPy-style (rank <= 6); the output has the
// broadcast shape.
// - ADD, SUB and MUL (f32, i8, u8, i16): both inputs of one dtype, each
//   quantized per tensor with its own parameters; the output is requantized
//   to the requested parameters.
// - DIV, FLOOR_DIV (f32, i32), MAXIMUM, MINIMUM (f32, i32, i64, and i8, u8,
//   i16 with one quantization: they compare stored values), the int32
//   ADD, SUB, MUL (which wrap) and LOGICAL_AND, LOGICAL_OR (bool): both
//   inputs and the output of one type.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

enum class binary_fn : std::uint8_t { add, sub, mul };
enum class arithmetic_fn : std::uint8_t {
  div,
  floor_div,
  floor_mod,
  maximum,
  minimum,
  int_add,
  int_sub,
  int_mul,
  logical_and,
  logical_or,
  squared_difference,  // its f32 and i32 forms; squared_difference_rule takes the quantized ones
};

struct binary_attrs {
  activation fused = activation::none;
  bool fused_supported = true;
};

namespace rules {

/// The broadcast shape of `a` and `b` (with a's dtype and quantization).
constexpr rule_result broadcast(const tensor_desc& a, const tensor_desc& b) noexcept {
  if (a.rank > max_broadcast_rank || b.rank > max_broadcast_rank) return rule_fail(rule_error::broadcast_shapes, 1);
  tensor_desc out = a;
  out.rank = a.rank > b.rank ? a.rank : b.rank;
  out.dims = {};
  for (int i = 0; i < out.rank; ++i) {
    const std::int64_t da = i < a.rank ? a.dims[static_cast<std::size_t>(a.rank - 1 - i)] : 1;
    const std::int64_t db = i < b.rank ? b.dims[static_cast<std::size_t>(b.rank - 1 - i)] : 1;
    if (da != db && da != 1 && db != 1) return rule_fail(rule_error::broadcast_shapes, 1);
    out.dims[static_cast<std::size_t>(out.rank - 1 - i)] = da == 1 ? db : da;
  }
  return rule_ok(out);
}

constexpr rule_result check_binary_options(const binary_attrs& a) noexcept {
  if (!a.fused_supported || !plain_activation(a.fused)) return rule_fail(rule_error::bad_option, output_operand);
  return pass;
}

}  // namespace rules

/// The kernels' broadcast geometry; call only for operands a rule accepted.
constexpr broadcast_geometry broadcast_geometry_of(const tensor_desc& a, const tensor_desc& b) noexcept {
  std::array<int, max_broadcast_rank> da{}, db{};
  for (int i = 0; i < a.rank && i < max_broadcast_rank; ++i) da[static_cast<std::size_t>(i)] = static_cast<int>(a.dims[static_cast<std::size_t>(i)]);
  for (int i = 0; i < b.rank && i < max_broadcast_rank; ++i) db[static_cast<std::size_t>(i)] = static_cast<int>(b.dims[static_cast<std::size_t>(i)]);
  return make_broadcast_geometry(da.data(), a.rank, db.data(), b.rank);
}

constexpr rule_result binary_rule(binary_fn f, const binary_attrs& attrs, const tensor_desc& a, const tensor_desc& b,
                                  const output_request& req) noexcept {
  (void)f;  // every binary op takes the same dtypes
  constexpr rules::dtype_set takes{dtype::f32, dtype::i8, dtype::u8, dtype::i16};
  QFENCE_RULE_TRY(rules::check_activation(a, 0, takes));
  QFENCE_RULE_TRY(rules::check_activation(b, 1, takes));
  if (a.type != b.type) return rule_fail(rule_error::operand_types_differ, 1, b.retyped(a.type, a.quant));
  QFENCE_RULE_TRY(rules::check_binary_options(attrs));
  const rule_result shape = rules::broadcast(a, b);
  if (!shape.ok()) return shape;
  return rules::requantized_output(a, shape.output, req);
}

constexpr rule_result arithmetic_rule(arithmetic_fn f, const binary_attrs& attrs, const tensor_desc& a,
                                      const tensor_desc& b, const output_request& req) noexcept {
  const bool compares = f == arithmetic_fn::maximum || f == arithmetic_fn::minimum;
  const bool plain_int = f == arithmetic_fn::int_add || f == arithmetic_fn::int_sub || f == arithmetic_fn::int_mul;
  const bool logical = f == arithmetic_fn::logical_and || f == arithmetic_fn::logical_or;
  bool type_ok = false;
  if (logical) type_ok = a.type == dtype::boolean;
  else if (plain_int) type_ok = a.type == dtype::i32 && !a.quant.quantized();
  else if (!compares) type_ok = (a.type == dtype::f32 || a.type == dtype::i32) && !a.quant.quantized();
  else type_ok = a.type == dtype::f32 || a.type == dtype::i32 || a.type == dtype::i64
                     ? !a.quant.quantized()
                     : (a.type == dtype::i8 || a.type == dtype::u8 || a.type == dtype::i16) && !a.quant.per_channel();
  if (!type_ok) return rule_fail(rule_error::input_dtype, 0);
  if (!a.same_kind(b)) return rule_fail(rule_error::operand_types_differ, 1, b.retyped(a.type, a.quant));
  QFENCE_RULE_TRY(rules::check_binary_options(attrs));
  const rule_result shape = rules::broadcast(a, b);
  if (!shape.ok()) return shape;
  return rules::same_quantization_output(shape.output, req);
}

/// SQUARED_DIFFERENCE: f32 and i32 as the arithmetic ops (unquantized, the
/// output of their dtype); i8 and i16 with each operand at its own
/// parameters and the output rescaled to the requested ones (TFLM's
/// squared_difference.cc; int16 with zero points 0).
constexpr rule_result squared_difference_rule(const tensor_desc& a, const tensor_desc& b,
                                              const output_request& req) noexcept {
  if (a.type != dtype::i8 && a.type != dtype::i16) return arithmetic_rule(arithmetic_fn::squared_difference, {}, a, b, req);
  QFENCE_RULE_TRY(rules::check_activation(a, 0, {dtype::i8, dtype::i16}));
  if (b.type != a.type || !rules::is_activation(b)) return rule_fail(rule_error::operand_types_differ, 1, b.retyped(a.type, b.quant));
  const rule_result shape = rules::broadcast(a, b);
  if (!shape.ok()) return shape;
  return rules::requantized_output(a, shape.output, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
