// qfence/rules/pooling.hpp: the type and shape rule of AVERAGE_POOL_2D,
// MAX_POOL_2D and L2_POOL_2D.
//
// Operand 0: [N, H, W, C] f32, i8, u8 or i16 (TFLM's int16 AVERAGE_POOL_2D
// is the int8 loop with an int16 input); L2_POOL_2D takes f32 only (TFLite
// and TFLM have no quantized one). Output [N, OH, OW, C] with the input's
// dtype and quantization: pooling never rescales, in TFLite either.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct pool_attrs {
  bool max = false;
  int filter_h = 0, filter_w = 0;  // 0: not given
  int stride_h = 1, stride_w = 1;
  padding pad = padding::valid;
  activation fused = activation::none;
  bool fused_supported = true;
  bool l2 = false;  // L2_POOL_2D (max is false)
};

/// The kernel geometry; call only for operands the rule accepted.
constexpr window_geometry pool_geometry(const pool_attrs& a, const tensor_desc& in) noexcept {
  const auto i = [](std::int64_t v) { return static_cast<int>(v); };
  return make_window_geometry(i(in.dim(0)), i(in.dim(1)), i(in.dim(2)), i(in.dim(3)), i(in.dim(3)), a.filter_h,
                              a.filter_w, a.stride_h, a.stride_w, 1, 1, a.pad);
}

constexpr rule_result pool2d_rule(const pool_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  if (a.l2) QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32}));
  else QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  QFENCE_RULE_TRY(rules::check_rank(in, 0, 4));
  if (a.filter_h <= 0 || a.filter_w <= 0 || a.stride_h <= 0 || a.stride_w <= 0 || !a.fused_supported ||
      !rules::plain_activation(a.fused))
    return rule_fail(rule_error::bad_option, output_operand);
  const window_geometry g = pool_geometry(a, in);
  if (g.out_h <= 0 || g.out_w <= 0) return rule_fail(rule_error::empty_output, output_operand);
  const std::int64_t dims[4] = {in.dim(0), g.out_h, g.out_w, in.dim(3)};
  return rules::same_quantization_output(in.reshaped(4, dims), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
