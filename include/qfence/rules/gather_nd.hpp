// qfence/rules/gather_nd.hpp: the type and shape rule of GATHER_ND.
//
// Operand 0 params (any tensor), operand 1 indices i32 or i64 [..., k] with
// 1 <= k <= params' rank. The output [indices' leading dims...,
// params' dims from k...] keeps the params' dtype and quantization.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

constexpr rule_result gather_nd_rule(const tensor_desc& params, const tensor_desc& indices,
                                     const output_request& req) noexcept {
  const std::int64_t k = indices.dim(-1);
  if (!(indices.type == dtype::i32 || indices.type == dtype::i64) || indices.quant.quantized() || indices.rank < 1 ||
      k < 1 || k > params.rank)
    return rule_fail(rule_error::gather_indices, 1);
  tensor_desc out = params;
  out.rank = 0;
  out.dims = {};
  for (int d = 0; d + 1 < indices.rank; ++d) out.dims[static_cast<std::size_t>(out.rank++)] = indices.dims[static_cast<std::size_t>(d)];
  for (int d = static_cast<int>(k); d < params.rank; ++d) {
    if (out.rank >= max_rank) return rule_fail(rule_error::gather_indices, 1);
    out.dims[static_cast<std::size_t>(out.rank++)] = params.dims[static_cast<std::size_t>(d)];
  }
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
