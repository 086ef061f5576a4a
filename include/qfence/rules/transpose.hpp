// qfence/rules/transpose.hpp: the type and shape rule of TRANSPOSE.
//
// Operand 0, any tensor of rank <= 6; the permutation is an attribute.
// Output dimension i is input dimension perm[i]; dtype and quantization are
// the input's.
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

inline constexpr int max_transpose_rank = 6;

struct transpose_attrs {
  int rank = 0;
  std::array<std::int64_t, max_rank> perm{};
};

constexpr rule_result transpose_rule(const transpose_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  if (a.rank != in.rank || in.rank > max_transpose_rank) return rule_fail(rule_error::transpose_permutation, output_operand);
  std::array<bool, max_rank> seen{};
  tensor_desc out = in;
  for (int d = 0; d < a.rank; ++d) {
    const std::int64_t p = a.perm[static_cast<std::size_t>(d)];
    if (p < 0 || p >= in.rank || seen[static_cast<std::size_t>(p)])
      return rule_fail(rule_error::transpose_permutation, output_operand);
    seen[static_cast<std::size_t>(p)] = true;
    out.dims[static_cast<std::size_t>(d)] = in.dims[static_cast<std::size_t>(p)];
  }
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
