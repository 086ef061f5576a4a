// qfence/runtime/ops/signal/window.hpp: SignalWindow and SignalFftAutoScale,
// custom ops of TFLM's signal library (the audio front end), which qfence
// ships (an application may still supply its own under the same name).
#pragma once

#include <cstdint>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/window.hpp"
#include "qfence/rules/signal/window.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// The custom codes models give the ops (TFLM's MicroMutableOpResolver).
inline constexpr std::string_view signal_window_code = "SignalWindow";
inline constexpr std::string_view signal_fft_auto_scale_code = "SignalFftAutoScale";

namespace ops {

/// Inputs: the signal, the window; output: the windowed signal.
inline kernel prepare_signal_window(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const signal_window_attrs a = ctx.options().signal_window;
  ctx.enforce(signal_window_rule(a, describe(ctx.input(0)), describe(ctx.input(1)), request_for(ctx.output(0))));
  const std::int64_t n = ctx.input(0).elements(), size = ctx.input(1).elements();
  const int in_t = ctx.input_index(0), window_t = ctx.input_index(1), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    reference::signal::apply_window(m.at<const std::int16_t>(in_t), m.at<const std::int16_t>(window_t), size, n,
                                    a.shift, m.at<std::int16_t>(out_t));
  };
}

/// Input: a frame; outputs: the frame shifted left, the shift.
inline kernel prepare_signal_fft_auto_scale(const op_context& ctx) {
  ctx.require_io(1, 1, 2);
  const tensor_desc in = describe(ctx.input(0));
  ctx.enforce_output(signal_fft_auto_scale_rule(in, request_for(ctx.output(0))), 0);
  ctx.enforce_output(signal_fft_auto_scale_shift_rule(in, request_for(ctx.output(1))), 1);
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0), shift_t = ctx.output_index(1);
  return [=](const tensor_memory& m) {
    *m.at<std::int32_t>(shift_t) =
        reference::signal::fft_auto_scale(m.at<const std::int16_t>(in_t), n, m.at<std::int16_t>(out_t));
  };
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
