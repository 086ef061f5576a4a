// qfence/runtime/ops/circular_buffer.hpp: CIRCULAR_BUFFER, TFLM's custom op
// for strided streaming models, which qfence ships (a model names it by its
// custom code; an application may still supply its own implementation).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/circular_buffer.hpp"
#include "qfence/rules/circular_buffer.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// The custom code models give CIRCULAR_BUFFER.
inline constexpr std::string_view circular_buffer_code = "CIRCULAR_BUFFER";

inline bool is_circular_buffer(const operation& op) noexcept {
  return op.is_custom(circular_buffer_code);
}

/// How many invokes CIRCULAR_BUFFER operation `op` of `m` takes per run of
/// the ops after it: its `cycles_max` option when positive. Without one,
/// TFLM decides from the register's shape for "the only two streaming models
/// supported on TFLM" (circular_buffer_common.cc): 1 for 5, 13 or 25 slots,
/// or for the fifth such op since the last period-1 one when it holds
/// samples [2, 96]; 2 otherwise. TFLM counts those ops in a static variable
/// shared by every interpreter of the process; qfence counts them per model,
/// which is TFLM's answer for the first model a process prepares.
inline int circular_buffer_period(const model& m, const operation& op) {
  if (op.options.cycles_max > 0) return op.options.cycles_max;
  int count = 0;
  for (const operation& o : m.operations) {
    if (!is_circular_buffer(o) || o.options.cycles_max > 0) continue;
    ++count;
    bool one = false;
    if (!o.outputs.empty() && o.outputs[0] >= 0 && static_cast<std::size_t>(o.outputs[0]) < m.tensors.size()) {
      const tensor& out = m.tensors[static_cast<std::size_t>(o.outputs[0])];
      if (out.rank() == 4) {
        const int slots = out.dim(1);
        one = slots == 5 || slots == 13 || slots == 25 || (count == 5 && out.dim(2) == 2 && out.dim(3) == 96);
      }
    }
    if (one) count = 0;
    if (o.index == op.index) return one ? 1 : 2;
  }
  return 2;  // not reached for an operation of `m`
}

namespace ops {

/// Input 0: the sample, i8 [1, 1, W, D]; output 0: the register [1, slots,
/// W, D], a variable tensor (its value lives across invokes).
inline kernel prepare_circular_buffer(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.require(out.variable,
              "the output (the register of past samples) must be a variable tensor, whose value lives across "
              "invokes; this model's is not (the converter marks it is_variable)");
  const circular_buffer_attrs a{out.rank() >= 2 ? out.dim(1) : 0, circular_buffer_period(ctx.graph(), ctx.op())};
  ctx.enforce(circular_buffer_rule(a, describe(in), request_for(out)));
  const std::int64_t slots = a.slots, depth = static_cast<std::int64_t>(in.dim(2)) * in.dim(3);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::int32_t period = a.period;
  auto since_run = std::make_shared<std::int32_t>(0);
  ctx.on_reset([since_run] { *since_run = 0; });
  return [=](const tensor_memory& m) {
    if (!reference::circular_buffer_step(m.at<const std::int8_t>(in_t), m.at<std::int8_t>(out_t), slots, depth,
                                         *since_run, period))
      m.end_invoke = true;
  };
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
