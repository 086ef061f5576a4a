// qfence/rules/fill.hpp: the type and shape rules of the ops whose output
// values do not depend on their input's values: SHAPE (the input's
// dimensions), FILL (one value in a given shape), ZEROS_LIKE (zero bytes in
// the input's shape).
//
//   SHAPE       any operand -> i32 (TFLM) or i64 (TFLite), [rank]
//   FILL        operand 0, the value: a scalar (rank 0) f32, i8, u8, i16,
//               i32, i64 or bool, the 8/16-bit ones quantized per tensor; the dims are
//               an attribute (constant, each >= 0) -> the value's dtype and
//               quantization in shape dims
//   ZEROS_LIKE  f32, i8, u8, i16, i32, i64 or bool -> the same; its bytes are
//               zero, as TFLM writes them (a quantized output holds raw 0,
//               not its zero point)
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

constexpr rule_result shape_rule(const tensor_desc& in, const output_request& req) noexcept {
  if (!req.dtype_given || !(req.type == dtype::i32 || req.type == dtype::i64) || req.quant.quantized())
    return rule_fail(rule_error::shape_types, output_operand);
  tensor_desc out{};
  out.type = req.type;
  out.rank = 1;
  out.dims[0] = in.rank;
  return rules::check_output_shape(out, req);
}

/// FILL's output shape.
struct fill_attrs {
  int rank = 0;
  std::array<std::int64_t, max_rank> dims{};
};

constexpr rule_result fill_rule(const fill_attrs& a, const tensor_desc& value, const output_request& req) noexcept {
  if (!rules::is_movable(value)) return rule_fail(rule_error::input_dtype, 0);
  if (value.rank != 0) return rule_fail(rule_error::fill_spec, 0);
  if (a.rank < 0 || a.rank > max_rank) return rule_fail(rule_error::fill_spec, output_operand);
  tensor_desc out = value;
  out.rank = a.rank;
  for (int d = 0; d < a.rank; ++d) {
    const std::int64_t n = a.dims[static_cast<std::size_t>(d)];
    if (n < 0) return rule_fail(rule_error::fill_spec, output_operand);
    out.dims[static_cast<std::size_t>(d)] = n;
  }
  return rules::same_quantization_output(out, req);
}

constexpr rule_result zeros_like_rule(const tensor_desc& in, const output_request& req) noexcept {
  if (!rules::is_movable(in)) return rule_fail(rule_error::input_dtype, 0);
  return rules::same_quantization_output(in, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
