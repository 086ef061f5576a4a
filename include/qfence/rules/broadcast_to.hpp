// qfence/rules/broadcast_to.hpp: the type and shape rules of BROADCAST_TO
// and BROADCAST_ARGS.
//
// BROADCAST_ARGS: operands 0 and 1 are shapes, 1-D i32 or i64 of one
// dtype; the output is their broadcast shape, of that dtype and the longer
// length.
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

constexpr rule_result broadcast_args_rule(const tensor_desc& a, const tensor_desc& b, const output_request& req) noexcept {
  const auto shape_vector = [](const tensor_desc& t) {
    return (t.type == dtype::i32 || t.type == dtype::i64) && !t.quant.quantized() && t.rank == 1;
  };
  if (!shape_vector(a)) return rule_fail(rule_error::input_dtype, 0);
  if (!shape_vector(b) || b.type != a.type) return rule_fail(rule_error::operand_types_differ, 1, b.retyped(a.type, {}));
  tensor_desc out = a;
  out.dims[0] = a.dims[0] > b.dims[0] ? a.dims[0] : b.dims[0];
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
