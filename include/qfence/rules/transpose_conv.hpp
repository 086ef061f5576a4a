// qfence/rules/transpose_conv.hpp: the type and shape rule of
// TRANSPOSE_CONV.
//
// Operands: 0 input [N, H, W, C] (f32, i8, or i16 of the int16x8 scheme),
// 1 weights [OC, KH, KW, C], 2 bias [OC] (optional). The output shape
// [N, OH, OW, OC] is an attribute (TFLite gives it as an input, which may
// be computed; the output tensor's shape is what counts there).
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/conv2d.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct transpose_conv_attrs {
  conv_attrs conv{};
  std::array<std::int64_t, 4> output_shape{};
};

/// The scatter kernel's geometry; call only for operands the rule accepted.
/// TFLite pads TRANSPOSE_CONV as a convolution from the (large) output back
/// to the (small) input.
constexpr window_geometry transpose_conv_geometry(const transpose_conv_attrs& a, const tensor_desc& in,
                                                  const tensor_desc& w) noexcept {
  const auto i = [](std::int64_t v) { return static_cast<int>(v); };
  const int out_h = i(a.output_shape[1]), out_w = i(a.output_shape[2]);
  const int filter_h = i(w.dim(1)), filter_w = i(w.dim(2));
  const int fwd_h = output_size(a.conv.pad, out_h, filter_h, a.conv.stride_h, 1);
  const int fwd_w = output_size(a.conv.pad, out_w, filter_w, a.conv.stride_w, 1);
  return {i(in.dim(0)), i(in.dim(1)), i(in.dim(2)), i(in.dim(3)), out_h, out_w, i(a.output_shape[3]),
          filter_h, filter_w, a.conv.stride_h, a.conv.stride_w, 1, 1,
          compute_padding(a.conv.stride_h, 1, out_h, filter_h, fwd_h).before,
          compute_padding(a.conv.stride_w, 1, out_w, filter_w, fwd_w).before};
}

constexpr rule_result transpose_conv_rule(const transpose_conv_attrs& a, const tensor_desc& in, const tensor_desc& w,
                                          const optional_desc& bias, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::i16}));
  QFENCE_RULE_TRY(rules::check_rank(in, 0, 4));
  QFENCE_RULE_TRY(rules::check_conv_options(a.conv));
  if (a.conv.dilation_h != 1 || a.conv.dilation_w != 1) return rule_fail(rule_error::bad_option, output_operand);
  const std::int64_t out_c = a.output_shape[3];
  const std::int64_t want[4] = {out_c, w.dim(1), w.dim(2), in.dim(3)};
  if (w.rank != 4) return rule_fail(rule_error::weights_rank, 1, w.reshaped(4, want));
  if (w.dim(3) != in.dim(3) || w.dim(0) != out_c || a.output_shape[0] != in.dim(0) || a.output_shape[1] <= 0 ||
      a.output_shape[2] <= 0 || w.dim(1) <= 0 || w.dim(2) <= 0)
    return rule_fail(rule_error::weights_shape, 1, w.reshaped(4, want));
  QFENCE_RULE_TRY(rules::check_weights(in, w, 1, out_c, 0));
  QFENCE_RULE_TRY(rules::check_bias(in, bias, 2, out_c));
  return rules::requantized_output(in, in.reshaped(4, a.output_shape), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
