// qfence/rules/reshape.hpp: the type and shape rules of the ops that only
// rename dimensions: RESHAPE, SQUEEZE, EXPAND_DIMS.
//
// Operand 0, any tensor; the output has its dtype, quantization and bytes.
// - RESHAPE: the new shape (rank <= 8, at most one -1, which takes the
//   remaining elements) is an attribute.
// - SQUEEZE: the listed axes (negative from the back), each of size 1, are
//   dropped; none listed: every axis of size 1.
// - EXPAND_DIMS: a size-1 axis is inserted at `axis` (in [-rank-1, rank]).
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

struct squeeze_attrs {
  int count = 0;  // 0: every axis of size 1
  std::array<int, max_rank> axes{};
};

constexpr rule_result squeeze_rule(const squeeze_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  std::array<bool, max_rank> drop{};
  if (a.count == 0) {
    for (int d = 0; d < in.rank; ++d) drop[static_cast<std::size_t>(d)] = in.dim(d) == 1;
  }
  for (int k = 0; k < a.count; ++k) {
    const int axis = a.axes[static_cast<std::size_t>(k)] < 0 ? a.axes[static_cast<std::size_t>(k)] + in.rank
                                                               : a.axes[static_cast<std::size_t>(k)];
    if (axis < 0 || axis >= in.rank || in.dim(axis) != 1) return rule_fail(rule_error::bad_option, output_operand);
    drop[static_cast<std::size_t>(axis)] = true;
  }
  std::array<std::int64_t, max_rank> dims{};
  int rank = 0;
  for (int d = 0; d < in.rank; ++d)
    if (!drop[static_cast<std::size_t>(d)]) dims[static_cast<std::size_t>(rank++)] = in.dim(d);
  return rules::same_quantization_output(in.reshaped(rank, dims), req);
}

constexpr rule_result expand_dims_rule(int axis, const tensor_desc& in, const output_request& req) noexcept {
  if (axis < 0) axis += in.rank + 1;
  if (axis < 0 || axis > in.rank || in.rank + 1 > max_rank) return rule_fail(rule_error::bad_option, output_operand);
  std::array<std::int64_t, max_rank> dims{};
  for (int d = 0, o = 0; o <= in.rank; ++o) dims[static_cast<std::size_t>(o)] = o == axis ? 1 : in.dim(d++);
  return rules::same_quantization_output(in.reshaped(in.rank + 1, dims), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
