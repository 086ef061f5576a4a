// qfence/rules/gather.hpp: the type and shape rules of GATHER and
// EMBEDDING_LOOKUP (embedding_lookup_rule, below).
//
// Operand 0 params (f32, i8, u8, i16, i32, i64 or bool; TFLM takes f32 and
// i8), operand 1 indices i32 (TFLM) or i64; axis and batch_dims are
// attributes (negative values count from the back of params' and indices'
// ranks). The first batch_dims dimensions of params and indices agree and
// batch_dims <= axis. The output is params' dims before the axis, indices'
// dims after the batch, params' dims after the axis; params' dtype and
// quantization.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct gather_attrs {
  int axis = 0;
  int batch_dims = 0;
};

/// GATHER's axis and batch_dims made non-negative; call for operands the
/// rule accepted.
constexpr gather_attrs resolved_gather(const gather_attrs& a, const tensor_desc& params,
                                       const tensor_desc& indices) noexcept {
  return {a.axis < 0 ? a.axis + params.rank : a.axis, a.batch_dims < 0 ? a.batch_dims + indices.rank : a.batch_dims};
}

constexpr rule_result gather_rule(const gather_attrs& given, const tensor_desc& params, const tensor_desc& indices,
                                  const output_request& req) noexcept {
  if (!rules::is_movable(params)) return rule_fail(rule_error::input_dtype, 0);
  if (!(indices.type == dtype::i32 || indices.type == dtype::i64) || indices.quant.quantized())
    return rule_fail(rule_error::gather_indices, 1);
  const gather_attrs a = resolved_gather(given, params, indices);
  if (a.axis < 0 || a.axis >= params.rank || a.batch_dims < 0 || a.batch_dims > a.axis ||
      a.batch_dims >= params.rank || a.batch_dims > indices.rank)
    return rule_fail(rule_error::gather_indices, 1);
  for (int d = 0; d < a.batch_dims; ++d)
    if (params.dims[static_cast<std::size_t>(d)] != indices.dims[static_cast<std::size_t>(d)])
      return rule_fail(rule_error::gather_indices, 1);
  tensor_desc out = params;
  out.rank = params.rank + indices.rank - 1 - a.batch_dims;
  if (out.rank > max_rank) return rule_fail(rule_error::gather_indices, 1);
  out.dims = {};
  int k = 0;
  for (int d = 0; d < a.axis; ++d) out.dims[static_cast<std::size_t>(k++)] = params.dims[static_cast<std::size_t>(d)];
  for (int d = a.batch_dims; d < indices.rank; ++d) out.dims[static_cast<std::size_t>(k++)] = indices.dims[static_cast<std::size_t>(d)];
  for (int d = a.axis + 1; d < params.rank; ++d) out.dims[static_cast<std::size_t>(k++)] = params.dims[static_cast<std::size_t>(d)];
  return rules::same_quantization_output(out, req);
}

/// Whether an EMBEDDING_LOOKUP of a `table` dtype into an `out` dtype is
/// TFLM's hybrid form (an int8 table read into f32).
constexpr bool embedding_lookup_dequantizes(dtype table, dtype out) noexcept {
  return table == dtype::i8 && out == dtype::f32;
}

/// EMBEDDING_LOOKUP(ids, table): GATHER of the table's rows (axis 0) at i32
/// ids of rank 1, the output in the table's dtype and parameters; or, with
/// `dequantize` (an f32 output of an i8 table with zero point 0, TFLM's
/// hybrid form), the rows dequantized by the table's scale.
constexpr rule_result embedding_lookup_rule(const tensor_desc& ids, const tensor_desc& table, bool dequantize,
                                            const output_request& req) noexcept {
  if (ids.type != dtype::i32 || ids.quant.quantized() || ids.rank != 1)
    return rule_fail(rule_error::embedding_lookup_operands, 0);
  const bool table_ok = table.rank >= 2 && rules::is_activation(table) &&
                        (table.type == dtype::f32 || table.type == dtype::i8 || table.type == dtype::u8);
  if (!table_ok || (dequantize && (table.type != dtype::i8 || table.quant.zero_point != 0)))
    return rule_fail(rule_error::embedding_lookup_operands, 1);
  if (!dequantize) return gather_rule({0, 0}, table, ids, req);
  const rule_result rows = gather_rule({0, 0}, table, ids, {});
  if (!rows.ok()) return rows;
  const tensor_desc out = rows.output.retyped(dtype::f32);
  if (req.given && (req.type != dtype::f32 || req.quant.quantized()))
    return rule_fail(rule_error::embedding_lookup_operands, output_operand, out);
  return rules::check_output_shape(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
