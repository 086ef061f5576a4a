// qfence/rules/gather.hpp: the type and shape rule of GATHER.
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

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
