// qfence/rules/signal/window.hpp: the type and shape rules of SignalWindow
// and SignalFftAutoScale (kernels/reference/signal/window.hpp).
//
//   signal_window          operand 0, the signal: i16, rank >= 1, a whole
//                          number of frames; operand 1, the window: i16
//                          [frame]; shift in [0, 31] -> i16 of the signal's
//                          shape. TFLM reads past the signal when its length
//                          is not a whole number of frames, and shifts by
//                          an undefined amount outside [0, 31]: qfence
//                          refuses both.
//   signal_fft_auto_scale  operand 0: i16 [N] -> i16 [N] (the frame shifted
//                          left) and, its second output, the shift: an i32
//                          scalar.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/signal/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct signal_window_attrs {
  int shift = 0;

  friend constexpr bool operator==(const signal_window_attrs&, const signal_window_attrs&) = default;
};

constexpr rule_result signal_window_rule(const signal_window_attrs& a, const tensor_desc& in,
                                         const tensor_desc& window, const output_request& req) noexcept {
  if (!rules::is_raw(in, dtype::i16) || in.rank < 1) return rule_fail(rule_error::signal_window_operands, 0);
  if (!rules::is_raw_vector(window, dtype::i16) || window.dim(0) < 1 || in.elements() % window.dim(0) != 0)
    return rule_fail(rule_error::signal_window_operands, 1);
  if (a.shift < 0 || a.shift > 31) return rule_fail(rule_error::signal_window_operands, output_operand);
  return rules::same_quantization_output(in, req);
}

/// Output 0: the shifted frame.
constexpr rule_result signal_fft_auto_scale_rule(const tensor_desc& in, const output_request& req) noexcept {
  if (!rules::is_raw_vector(in, dtype::i16)) return rule_fail(rule_error::signal_fft_auto_scale_operands, 0);
  return rules::same_quantization_output(in, req);
}

/// Output 1: the shift, an i32 scalar.
constexpr rule_result signal_fft_auto_scale_shift_rule(const tensor_desc& in, const output_request& req) noexcept {
  if (!rules::is_raw_vector(in, dtype::i16)) return rule_fail(rule_error::signal_fft_auto_scale_operands, 0);
  tensor_desc shift{};
  shift.type = dtype::i32;
  return rules::same_quantization_output(shift, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
