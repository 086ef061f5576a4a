// qfence/rules/fully_connected.hpp: the type and shape rule of
// FULLY_CONNECTED.
//
// Operands: 0 input (f32, i8, u8, or i16 of the int16x8 scheme with int8
// weights and an int64 or int32 bias; read as rows of K elements whatever
// its shape), 1 weights [units, K], 2 bias [units] (optional). A f32 input
// takes f32 weights, or symmetric i8 ones (per tensor or per unit) with a
// f32 bias and output: TFLite's hybrid kernel (dynamic-range models). Output
// [rows, units], or the input's shape with the last dimension replaced by
// units when keep_num_dims is set.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct fully_connected_attrs {
  activation fused = activation::none;
  bool fused_supported = true;
  bool keep_num_dims = false;
  bool default_weights_format = true;  // TFLite's shuffled formats are not supported
};

constexpr rule_result fully_connected_rule(const fully_connected_attrs& a, const tensor_desc& in,
                                           const tensor_desc& w, const optional_desc& bias,
                                           const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  if (!a.fused_supported || !rules::plain_activation(a.fused) || !a.default_weights_format)
    return rule_fail(rule_error::bad_option, output_operand);
  const std::int64_t units = w.dim(0), depth = w.dim(1);
  const std::int64_t want[2] = {units, in.dim(-1)};
  if (w.rank != 2) return rule_fail(rule_error::weights_rank, 1, w.reshaped(2, want));
  if (in.rank < 1 || depth <= 0 || units <= 0 || in.elements() % depth != 0 ||
      (a.keep_num_dims && in.dim(-1) != depth))
    return rule_fail(rule_error::weights_shape, 1, w.reshaped(2, want));
  QFENCE_RULE_TRY(rules::check_weights(in, w, 1, units, 0, /*hybrid=*/true));
  QFENCE_RULE_TRY(rules::check_bias(in, bias, 2, units));
  tensor_desc shaped = in;
  if (a.keep_num_dims) {
    shaped.dims[static_cast<std::size_t>(in.rank - 1)] = units;
  } else {
    const std::int64_t dims[2] = {in.elements() / depth, units};
    shaped = in.reshaped(2, dims);
  }
  return rules::requantized_output(in, shaped, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
