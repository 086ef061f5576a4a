// qfence/rules/signal/framing.hpp: the type and shape rules of the streaming
// ops of TFLM's signal library (kernels/reference/signal/framing.hpp).
//
//   signal_delay        operand 0: i16 [..., F] -> i16 [..., F];
//                       delay_length >= 0
//   signal_framer       operand 0: i16 [..., n * frame_step] -> i16 [..., n,
//                       frame_size], and its second output, whether every
//                       frame was complete: a bool scalar; frame_size >= 1,
//                       frame_step >= 1, prefill only with frame_size >=
//                       frame_step
//   signal_stacker      operand 0: i16 [num_channels] -> i16 [num_channels *
//                       (left + right + 1)], and a bool scalar: whether this
//                       invoke output; left, right >= 0, 1 <= step <= left +
//                       right + 1
//   signal_overlap_add  operand 0: T [..., n, frame_size] (i16 or f32) -> T
//                       [..., n * frame_step]; 1 <= frame_step <= frame_size
//
// TFLM checks less: a step of 0 divides by zero or never drains its ring, a
// prefill of a negative count or a stacker step past its frames overruns the
// ring, and output shapes are not checked. qfence refuses those.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/framing.hpp"
#include "qfence/rules/signal/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct signal_delay_attrs {
  std::int32_t delay_length = 0;

  friend constexpr bool operator==(const signal_delay_attrs&, const signal_delay_attrs&) = default;
};

constexpr rule_result signal_delay_rule(const signal_delay_attrs& a, const tensor_desc& in,
                                        const output_request& req) noexcept {
  if (!rules::is_raw(in, dtype::i16) || in.rank < 1 || in.dim(-1) < 1)
    return rule_fail(rule_error::signal_delay_operands, 0);
  if (a.delay_length < 0) return rule_fail(rule_error::signal_delay_operands, output_operand);
  return rules::same_quantization_output(in, req);
}

struct signal_framer_attrs {
  std::int32_t frame_size = 0, frame_step = 0;
  bool prefill = false;

  constexpr reference::signal::framer_geometry geometry() const noexcept { return {frame_size, frame_step, prefill}; }
  friend constexpr bool operator==(const signal_framer_attrs&, const signal_framer_attrs&) = default;
};

constexpr rule_result signal_framer_rule(const signal_framer_attrs& a, const tensor_desc& in,
                                         const output_request& req) noexcept {
  if (a.frame_size < 1 || a.frame_step < 1 || (a.prefill && a.frame_size < a.frame_step))
    return rule_fail(rule_error::signal_framer_operands, output_operand);
  if (!rules::is_raw(in, dtype::i16) || in.rank < 1 || in.rank >= max_rank || in.dim(-1) < a.frame_step ||
      in.dim(-1) % a.frame_step != 0)
    return rule_fail(rule_error::signal_framer_operands, 0);
  tensor_desc out = in;
  out.rank = in.rank + 1;
  out.dims[static_cast<std::size_t>(in.rank - 1)] = in.dim(-1) / a.frame_step;
  out.dims[static_cast<std::size_t>(in.rank)] = a.frame_size;
  return rules::same_quantization_output(out, req);
}

struct signal_stacker_attrs {
  std::int32_t num_channels = 0, left_context = 0, right_context = 0, step = 0;

  constexpr reference::signal::stacker_geometry geometry() const noexcept {
    return {num_channels, left_context, right_context, step};
  }
  friend constexpr bool operator==(const signal_stacker_attrs&, const signal_stacker_attrs&) = default;
};

constexpr rule_result signal_stacker_rule(const signal_stacker_attrs& a, const tensor_desc& in,
                                          const output_request& req) noexcept {
  if (a.num_channels < 1 || a.left_context < 0 || a.right_context < 0 || a.step < 1 ||
      a.step > std::int64_t{a.left_context} + a.right_context + 1)
    return rule_fail(rule_error::signal_stacker_operands, output_operand);
  if (!rules::is_raw_vector(in, dtype::i16) || in.dim(0) != a.num_channels)
    return rule_fail(rule_error::signal_stacker_operands, 0);
  return rules::same_quantization_output(rules::raw_vector(dtype::i16, a.num_channels * a.geometry().frames()), req);
}

/// Framer's and Stacker's second output: whether the invoke's frames are
/// all there, a bool scalar.
constexpr rule_result signal_valid_flag_rule(const output_request& req) noexcept {
  tensor_desc flag{};
  flag.type = dtype::boolean;
  return rules::same_quantization_output(flag, req);
}

struct signal_overlap_add_attrs {
  dtype type = dtype::i16;  // the op's "T"
  std::int32_t frame_step = 0;

  friend constexpr bool operator==(const signal_overlap_add_attrs&, const signal_overlap_add_attrs&) = default;
};

constexpr rule_result signal_overlap_add_rule(const signal_overlap_add_attrs& a, const tensor_desc& in,
                                              const output_request& req) noexcept {
  if (!(a.type == dtype::i16 || a.type == dtype::f32) || !rules::is_raw(in, a.type) || in.rank < 2)
    return rule_fail(rule_error::signal_overlap_add_operands, 0);
  if (a.frame_step < 1 || a.frame_step > in.dim(-1))
    return rule_fail(rule_error::signal_overlap_add_operands, output_operand);
  tensor_desc out = in;
  out.rank = in.rank - 1;
  out.dims[static_cast<std::size_t>(in.rank - 1)] = 0;
  out.dims[static_cast<std::size_t>(in.rank - 2)] = in.dim(-2) * a.frame_step;
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
