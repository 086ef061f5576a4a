// qfence/rules/batch_matmul.hpp: the type and shape rule of BATCH_MATMUL.
//
// lhs [..., M, K] (with adj_x: [..., K, M]) times rhs [..., K, N] (with
// adj_y: [..., N, K]); ranks 2 to 5 (TFLM's limits); the leading (batch)
// dimensions broadcast. Both operands f32, or both i8 or both i16 quantized
// per tensor (i16 with zero point 0, as TFLM checks; any zero points for
// i8). The output is [batch..., M, N] of rank max(lhs rank, rhs rank): f32
// for f32, else the operands' dtype at the requested parameters.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct batch_matmul_attrs {
  bool adj_x = false, adj_y = false;
};

constexpr rule_result batch_matmul_rule(const batch_matmul_attrs& a, const tensor_desc& lhs, const tensor_desc& rhs,
                                        const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(lhs, 0, {dtype::f32, dtype::i8, dtype::i16}));
  if (rhs.type != lhs.type || !rules::is_activation(rhs))
    return rule_fail(rule_error::batch_matmul_shapes, 1, rhs.retyped(lhs.type, rhs.quant));
  if (lhs.rank < 2 || lhs.rank > 5) return rule_fail(rule_error::batch_matmul_shapes, 0);
  if (rhs.rank < 2 || rhs.rank > 5) return rule_fail(rule_error::batch_matmul_shapes, 1);
  const std::int64_t m = a.adj_x ? lhs.dim(-1) : lhs.dim(-2), k_lhs = a.adj_x ? lhs.dim(-2) : lhs.dim(-1);
  const std::int64_t k_rhs = a.adj_y ? rhs.dim(-1) : rhs.dim(-2), n = a.adj_y ? rhs.dim(-2) : rhs.dim(-1);
  if (k_lhs != k_rhs) return rule_fail(rule_error::batch_matmul_shapes, 1);
  tensor_desc out = lhs;
  out.rank = lhs.rank > rhs.rank ? lhs.rank : rhs.rank;
  out.dims = {};
  for (int i = 2; i < out.rank; ++i) {  // batch dimensions, from the back
    const std::int64_t dl = i < lhs.rank ? lhs.dim(-1 - i) : 1, dr = i < rhs.rank ? rhs.dim(-1 - i) : 1;
    if (dl != dr && dl != 1 && dr != 1) return rule_fail(rule_error::batch_matmul_shapes, 1);
    out.dims[static_cast<std::size_t>(out.rank - 1 - i)] = dl == 1 ? dr : dl;
  }
  out.dims[static_cast<std::size_t>(out.rank - 2)] = m;
  out.dims[static_cast<std::size_t>(out.rank - 1)] = n;
  return rules::requantized_output(lhs, out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
