// qfence/rules/svdf.hpp: the type and shape rule of SVDF (TFLM's integer
// and float SVDF).
//
// Operands: 0 input [batches, n], 1 feature weights [filters, n], 2 time
// weights [filters, memory], 3 bias [units] (optional), 4 state [batches,
// filters * memory]. Output [batches, units = filters / rank].
// - integer: input and feature weights i8, time weights of the state's
//   dtype (i16 or i8), bias i32; every operand quantized per tensor (the
//   kernel has one feature and one time scale); the output requantized.
// - float: every operand f32 (TFLM's float SVDF; it applies the fused
//   activation, the integer one does not).
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct svdf_attrs {
  int rank = 1;
};

constexpr rule_result svdf_rule(const svdf_attrs& a, const tensor_desc& in, const tensor_desc& feature,
                                const tensor_desc& time, const optional_desc& bias, const tensor_desc& state,
                                const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::i8, dtype::f32}));
  const std::int64_t filters = feature.dim(0), memory = time.dim(1);
  if (in.rank != 2) return rule_fail(rule_error::svdf_shapes, 0);
  if (feature.rank != 2 || feature.dim(1) != in.dim(1) || a.rank <= 0 || filters <= 0 || filters % a.rank != 0)
    return rule_fail(rule_error::svdf_shapes, 1);
  if (time.rank != 2 || time.dim(0) != filters || memory <= 0) return rule_fail(rule_error::svdf_shapes, 2);
  if (state.rank != 2 || state.dim(0) != in.dim(0) || state.dim(1) != filters * memory)
    return rule_fail(rule_error::svdf_shapes, 4);
  const std::int64_t units = filters / a.rank;
  const bool is_float = in.type == dtype::f32;
  if (is_float) {
    if (feature.type != dtype::f32) return rule_fail(rule_error::svdf_types, 1);
    if (time.type != dtype::f32) return rule_fail(rule_error::svdf_types, 2);
    if (state.type != dtype::f32 || state.quant.quantized()) return rule_fail(rule_error::svdf_types, 4);
  } else {
    if (feature.type != dtype::i8 || !feature.quant.per_tensor()) return rule_fail(rule_error::svdf_types, 1);
    if (!(state.type == dtype::i16 || state.type == dtype::i8) || !state.quant.per_tensor())
      return rule_fail(rule_error::svdf_types, 4);
    if (time.type != state.type || !time.quant.per_tensor()) return rule_fail(rule_error::svdf_types, 2);
  }
  const dtype bias_type = is_float ? dtype::f32 : dtype::i32;
  if (bias.present && (bias.desc.type != bias_type || bias.desc.rank != 1 || bias.desc.dims[0] != units)) {
    tensor_desc e;
    e.type = bias_type;
    e.rank = 1;
    e.dims[0] = units;
    return rule_fail(rule_error::bias_type, 3, e);
  }
  const std::int64_t dims[2] = {in.dim(0), units};
  return rules::requantized_output(in, in.reshaped(2, dims), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
