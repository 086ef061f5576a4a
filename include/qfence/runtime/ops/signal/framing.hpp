// qfence/runtime/ops/signal/framing.hpp: SignalDelay, SignalFramer,
// SignalStacker and SignalOverlapAdd, the streaming custom ops of TFLM's
// signal library, which qfence ships. Their samples live across invokes in
// the kernel (zero after reset_variables(), as TFLM's Reset leaves them).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/framing.hpp"
#include "qfence/rules/signal/framing.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

inline constexpr std::string_view signal_delay_code = "SignalDelay";
inline constexpr std::string_view signal_framer_code = "SignalFramer";
inline constexpr std::string_view signal_stacker_code = "SignalStacker";
inline constexpr std::string_view signal_overlap_add_code = "SignalOverlapAdd";

namespace ops {

/// Input: frames of F samples; output: the same, `delay_length` samples later.
inline kernel prepare_signal_delay(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const signal_delay_attrs a = ctx.options().signal_delay;
  ctx.enforce(signal_delay_rule(a, describe(ctx.input(0)), request_for(ctx.output(0))));
  const tensor& in = ctx.input(0);
  const std::int64_t frame = in.dim(in.rank() - 1), rows = in.elements() / frame, d = a.delay_length;
  auto state = ctx.kept_state<std::int16_t>(static_cast<std::size_t>(rows * d));
  auto combined = std::make_shared<std::vector<std::int16_t>>(static_cast<std::size_t>(frame + d));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    reference::signal::delay(m.at<const std::int16_t>(in_t), rows, frame, d, state->data(), combined->data(),
                             m.at<std::int16_t>(out_t));
  };
}

/// Input: samples; outputs: the frames they complete, whether all did. A
/// frame that is not complete keeps the bytes it last had (TFLM leaves the
/// output tensor as it was): kept here, not in the arena.
inline kernel prepare_signal_framer(const op_context& ctx) {
  ctx.require_io(1, 1, 2);
  const signal_framer_attrs a = ctx.options().signal_framer;
  ctx.enforce_output(signal_framer_rule(a, describe(ctx.input(0)), request_for(ctx.output(0))), 0);
  ctx.enforce_output(signal_valid_flag_rule(request_for(ctx.output(1))), 1);
  const tensor& in = ctx.input(0);
  const std::int64_t length = in.dim(in.rank() - 1), rows = in.elements() / length, steps = length / a.frame_step;
  const auto n_out = static_cast<std::size_t>(ctx.output(0).elements());
  auto queue = ctx.kept_state<std::int16_t>(static_cast<std::size_t>(rows * a.geometry().capacity()));
  auto queued = ctx.kept_state<std::int32_t>(static_cast<std::size_t>(rows));
  auto frames = ctx.kept_state<std::int16_t>(n_out);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0), valid_t = ctx.output_index(1);
  return [=](const tensor_memory& m) {
    *m.at<bool>(valid_t) = reference::signal::framer(a.geometry(), m.at<const std::int16_t>(in_t), rows, steps,
                                                     queue->data(), queued->data(), frames->data());
    std::copy_n(frames->data(), n_out, m.at<std::int16_t>(out_t));
  };
}

/// Input: a frame of channels; outputs: the stacked frames, whether this
/// invoke output them (the output keeps its last bytes otherwise).
inline kernel prepare_signal_stacker(const op_context& ctx) {
  ctx.require_io(1, 1, 2);
  const signal_stacker_attrs a = ctx.options().signal_stacker;
  ctx.enforce_output(signal_stacker_rule(a, describe(ctx.input(0)), request_for(ctx.output(0))), 0);
  ctx.enforce_output(signal_valid_flag_rule(request_for(ctx.output(1))), 1);
  const auto n_out = static_cast<std::size_t>(ctx.output(0).elements());
  auto queue = ctx.kept_state<std::int16_t>(n_out);
  auto counts = ctx.kept_state<std::int32_t>(2);  // frames held, first frame seen
  auto stacked = ctx.kept_state<std::int16_t>(n_out);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0), valid_t = ctx.output_index(1);
  return [=](const tensor_memory& m) {
    *m.at<bool>(valid_t) = reference::signal::stacker(a.geometry(), m.at<const std::int16_t>(in_t), queue->data(),
                                                      (*counts)[0], (*counts)[1], stacked->data());
    std::copy_n(stacked->data(), n_out, m.at<std::int16_t>(out_t));
  };
}

template <class T>
kernel overlap_add_kernel(const op_context& ctx, const signal_overlap_add_attrs& a) {
  const tensor& in = ctx.input(0);
  const std::int64_t size = in.dim(in.rank() - 1), frames = in.dim(in.rank() - 2), rows = in.elements() / (size * frames);
  auto state = ctx.kept_state<T>(static_cast<std::size_t>(rows * size));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::int64_t step = a.frame_step;
  return [=](const tensor_memory& m) {
    reference::signal::overlap_add(m.at<const T>(in_t), rows, frames, size, step, state->data(), m.at<T>(out_t));
  };
}

/// Input: frames [..., n, frame_size]; output: their overlapped sum,
/// frame_step samples per frame.
inline kernel prepare_signal_overlap_add(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const signal_overlap_add_attrs a = ctx.options().signal_overlap_add;
  ctx.enforce(signal_overlap_add_rule(a, describe(ctx.input(0)), request_for(ctx.output(0))));
  return a.type == dtype::i16 ? overlap_add_kernel<std::int16_t>(ctx, a) : overlap_add_kernel<float>(ctx, a);
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
