// qfence/rules/arg_max.hpp: the type and shape rule of ARG_MAX and ARG_MIN.
//
// Operand 0: f32, i8, u8, i16 or i32 (compared as stored); the axis and the
// index dtype (i32 or i64) are attributes. The output drops the axis and is
// unquantized.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct arg_max_attrs {
  std::int64_t axis = 0;
};

constexpr rule_result arg_max_rule(const arg_max_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  const bool type_ok = in.type == dtype::f32 || in.type == dtype::i8 || in.type == dtype::u8 || in.type == dtype::i16 ||
                       in.type == dtype::i32;
  if (!type_ok || in.quant.per_channel()) return rule_fail(rule_error::arg_max_types, 0);
  if (a.axis < -in.rank || a.axis >= in.rank) return rule_fail(rule_error::axis_range, output_operand);
  const int axis = static_cast<int>(a.axis < 0 ? a.axis + in.rank : a.axis);
  if (in.dims[static_cast<std::size_t>(axis)] <= 0) return rule_fail(rule_error::arg_max_types, 0);
  if (!req.dtype_given || !(req.type == dtype::i32 || req.type == dtype::i64) || req.quant.quantized())
    return rule_fail(rule_error::arg_max_types, output_operand);
  tensor_desc out = in.retyped(req.type);
  out.rank = 0;
  out.dims = {};
  for (int d = 0; d < in.rank; ++d)
    if (d != axis) out.dims[static_cast<std::size_t>(out.rank++)] = in.dims[static_cast<std::size_t>(d)];
  return rules::check_output_shape(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
