// qfence/rules/reshape.hpp: the type and shape rule of RESHAPE.
//
// Operand 0, any tensor; the new shape (rank <= 8, at most one -1, which
// takes the remaining elements) is an attribute. The output has the input's
// dtype and quantization.
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct reshape_attrs {
  int rank = 0;
  std::array<std::int64_t, max_rank> dims{};
};

constexpr rule_result reshape_rule(const reshape_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  if (a.rank < 0 || a.rank > max_rank) return rule_fail(rule_error::reshape_elements, output_operand);
  std::int64_t known = 1;
  int wildcard = -1;
  for (int d = 0; d < a.rank; ++d) {
    const std::int64_t v = a.dims[static_cast<std::size_t>(d)];
    if (v == -1 && wildcard < 0) wildcard = d;
    else if (v < 0) return rule_fail(rule_error::reshape_elements, output_operand);
    else known *= v;
  }
  tensor_desc out = in.reshaped(a.rank, a.dims);
  if (wildcard >= 0) {
    if (known == 0 || in.elements() % known != 0) return rule_fail(rule_error::reshape_elements, output_operand);
    out.dims[static_cast<std::size_t>(wildcard)] = in.elements() / known;
  }
  if (out.elements() != in.elements()) return rule_fail(rule_error::reshape_elements, output_operand);
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
