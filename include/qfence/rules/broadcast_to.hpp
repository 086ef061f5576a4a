// qfence/rules/broadcast_to.hpp: the type and shape rule of BROADCAST_TO.
//
// Operand 0: any tensor; the target shape (constant) is an attribute, of
// rank >= the input's and <= 6 (TFLM: 5), each input dimension, aligned from
// the right, equal to the target's or 1. The output keeps the input's dtype
// and quantization: the values are copied.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct broadcast_to_attrs {
  int rank = 0;
  std::array<std::int64_t, max_rank> dims{};
};

constexpr rule_result broadcast_to_rule(const broadcast_to_attrs& a, const tensor_desc& in,
                                        const output_request& req) noexcept {
  if (a.rank < in.rank || a.rank > max_broadcast_rank) return rule_fail(rule_error::broadcast_shapes, 0);
  tensor_desc out = in;
  out.rank = a.rank;
  out.dims = {};
  for (int d = 0; d < a.rank; ++d) {
    const std::int64_t target = a.dims[static_cast<std::size_t>(d)];
    const int from_back = a.rank - 1 - d;
    const std::int64_t have = from_back < in.rank ? in.dims[static_cast<std::size_t>(in.rank - 1 - from_back)] : 1;
    if (target < 0 || (have != target && have != 1)) return rule_fail(rule_error::broadcast_shapes, 0);
    out.dims[static_cast<std::size_t>(d)] = target;
  }
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
