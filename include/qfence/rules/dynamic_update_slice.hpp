// qfence/rules/dynamic_update_slice.hpp: the type and shape rule of
// DYNAMIC_UPDATE_SLICE.
//
// Operand 0 (a tensor an op may move, rank <= 6) is copied to the output and
// operand 1, of the same rank, dtype and quantization and no larger in any
// dimension, is written into it at the start indices of operand 2 (i32 or
// i64, one per dimension, read at run time and clamped into range as TFLM
// clamps them). The output is operand 0's type.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

inline constexpr int max_update_slice_rank = 6;

constexpr rule_result dynamic_update_slice_rule(const tensor_desc& operand, const tensor_desc& update,
                                                const tensor_desc& indices, const output_request& req) noexcept {
  if (!rules::is_movable(operand) || operand.rank > max_update_slice_rank) return rule_fail(rule_error::input_dtype, 0);
  if (update.type != operand.type || !(update.quant == operand.quant) || update.rank != operand.rank)
    return rule_fail(rule_error::update_slice_shapes, 1, operand);
  for (int d = 0; d < operand.rank; ++d)
    if (update.dims[static_cast<std::size_t>(d)] > operand.dims[static_cast<std::size_t>(d)])
      return rule_fail(rule_error::update_slice_shapes, 1);
  if (!(indices.type == dtype::i32 || indices.type == dtype::i64) || indices.quant.quantized() || indices.rank != 1 ||
      indices.dims[0] != operand.rank)
    return rule_fail(rule_error::update_slice_shapes, 2);
  return rules::same_quantization_output(operand, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
