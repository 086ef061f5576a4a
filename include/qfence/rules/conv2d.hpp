// qfence/rules/conv2d.hpp: the type and shape rule of CONV_2D.
//
// Operands: 0 input [N, H, W, C] (f32, i8, u8, or i16 of the int16x8
// scheme), 1 weights [OC, KH, KW, C / groups], 2 bias [OC] (optional).
// Output [N, OH, OW, OC]: f32, or requantized to the requested parameters.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// CONV_2D and DEPTHWISE_CONV_2D options.
struct conv_attrs {
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  padding pad = padding::same;
  activation fused = activation::none;
  bool fused_supported = true;  // false: the model fuses TANH or SIGN_BIT, which no conv kernel applies
  window_pads pads{};           // explicit padding of a VALID layer (a folded PAD); CONV_2D and DEPTHWISE only
};

/// The kernel geometry of a conv-like layer (conv2d: weights [OC, KH, KW, _];
/// depthwise: [1, KH, KW, OC]); call only for operands the rule accepted.
constexpr window_geometry conv_geometry(const conv_attrs& a, const tensor_desc& in, const tensor_desc& w,
                                       bool depthwise) noexcept {
  const auto i = [](std::int64_t v) { return static_cast<int>(v); };
  return make_window_geometry(i(in.dim(0)), i(in.dim(1)), i(in.dim(2)), i(in.dim(3)), i(depthwise ? w.dim(3) : w.dim(0)),
                              i(w.dim(1)), i(w.dim(2)), a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, a.pad,
                              a.pads);
}

namespace rules {

constexpr rule_result check_conv_options(const conv_attrs& a) noexcept {
  if (a.stride_h <= 0 || a.stride_w <= 0 || a.dilation_h <= 0 || a.dilation_w <= 0 || !a.fused_supported ||
      !plain_activation(a.fused) || !a.pads.non_negative() || (a.pads.any() && a.pad != padding::valid))
    return rule_fail(rule_error::bad_option, output_operand);
  return pass;
}

/// The output of a conv-like layer: [N, OH, OW, out_c] with TFLite's sizes.
constexpr rule_result conv_like_output(const conv_attrs& a, const tensor_desc& in, std::int64_t out_c,
                                       std::int64_t filter_h, std::int64_t filter_w,
                                       const output_request& req) noexcept {
  // The sizes the kernels get (make_window_geometry: SAME or VALID, and
  // explicit pads), so that rule and kernel cannot disagree.
  const auto i = [](std::int64_t v) { return static_cast<int>(v); };
  const window_geometry g = make_window_geometry(1, i(in.dim(1)), i(in.dim(2)), 1, 1, i(filter_h), i(filter_w),
                                                 a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, a.pad, a.pads);
  if (g.out_h <= 0 || g.out_w <= 0) return rule_fail(rule_error::empty_output, output_operand);
  const std::int64_t dims[4] = {in.dim(0), g.out_h, g.out_w, out_c};
  return requantized_output(in, in.reshaped(4, dims), req);
}

}  // namespace rules

constexpr rule_result conv2d_rule(const conv_attrs& a, const tensor_desc& in, const tensor_desc& w,
                                  const optional_desc& bias, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  QFENCE_RULE_TRY(rules::check_rank(in, 0, 4));
  QFENCE_RULE_TRY(rules::check_conv_options(a));
  const std::int64_t in_c = in.dim(3), out_c = w.dim(0), filter_in_c = w.dim(3);
  const std::int64_t want[4] = {out_c, w.dim(1), w.dim(2), in_c};
  if (w.rank != 4) return rule_fail(rule_error::weights_rank, 1, w.reshaped(4, want));
  if (filter_in_c <= 0 || in_c % filter_in_c != 0 || out_c % (in_c / filter_in_c) != 0 || w.dim(1) <= 0 ||
      w.dim(2) <= 0)
    return rule_fail(rule_error::weights_shape, 1, w.reshaped(4, want));
  QFENCE_RULE_TRY(rules::check_weights(in, w, 1, out_c, 0, /*hybrid=*/true));
  QFENCE_RULE_TRY(rules::check_bias(in, bias, 2, out_c));
  return rules::conv_like_output(a, in, out_c, w.dim(1), w.dim(2), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
