// qfence/rules/depthwise_conv2d.hpp: the type and shape rule of
// DEPTHWISE_CONV_2D.
//
// Operands: 0 input [N, H, W, C] (f32, i8, u8, or i16 of the int16x8
// scheme with int8 weights and an int64 (or int32) bias), 1 weights [1, KH, KW, OC]
// with OC a multiple of C, 2 bias [OC] (optional). Output [N, OH, OW, OC].
// A f32 input takes f32 weights, or symmetric i8 ones with a f32 bias and
// output: TFLite's hybrid kernel (dynamic-range models).
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/conv2d.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

constexpr rule_result depthwise_conv2d_rule(const conv_attrs& a, const tensor_desc& in, const tensor_desc& w,
                                            const optional_desc& bias, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  QFENCE_RULE_TRY(rules::check_rank(in, 0, 4));
  QFENCE_RULE_TRY(rules::check_conv_options(a));
  const std::int64_t in_c = in.dim(3), out_c = w.dim(3);
  const std::int64_t want[4] = {1, w.dim(1), w.dim(2), out_c > 0 ? out_c : in_c};
  if (w.rank != 4) return rule_fail(rule_error::weights_rank, 1, w.reshaped(4, want));
  if (w.dim(0) != 1 || in_c <= 0 || out_c <= 0 || out_c % in_c != 0 || w.dim(1) <= 0 || w.dim(2) <= 0)
    return rule_fail(rule_error::weights_shape, 1, w.reshaped(4, want));
  QFENCE_RULE_TRY(rules::check_weights(in, w, 1, out_c, 3, /*hybrid=*/true));
  QFENCE_RULE_TRY(rules::check_bias(in, bias, 2, out_c));
  return rules::conv_like_output(a, in, out_c, w.dim(1), w.dim(2), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
