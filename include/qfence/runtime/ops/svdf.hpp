// qfence/runtime/ops/svdf.hpp: SVDF (int8 input with int16 or int8 state,
// or float), as TFLM computes it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/rules/svdf.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

/// Inputs: input [batches, input_size], weights_feature [filters, input_size],
/// weights_time [filters, memory], bias [units] (optional), state (a
/// variable [batches, filters * memory]).
inline kernel prepare_svdf(const op_context& ctx) {
  ctx.require_io(5, 5, 1);
  const tensor &in = ctx.input(0), &feature = ctx.constant_input(1, "weights_feature"),
               &time = ctx.constant_input(2, "weights_time"), &state = ctx.input(4), &out = ctx.output(0);
  ctx.require(state.variable, "input 4 (the state) must be a variable tensor");
  if (ctx.has_input(3)) (void)ctx.constant_input(3, "bias");
  ctx.enforce(svdf_rule({ctx.options().rank}, describe(in), describe(feature), describe(time),
                        ctx.optional_input(3), describe(state), request_for(out)),
              {0, 1, 2, 3, 4});
  const svdf_geometry g{in.dim(0), in.dim(1), feature.dim(0), ctx.options().rank, time.dim(1)};
  const int in_t = ctx.input_index(0), state_t = ctx.input_index(4), out_t = ctx.output_index(0);
  if (in.type == dtype::f32) {
    ctx.require(plain_fused_activation(ctx.options()),
                "a float svdf applies its fused activation: NONE, RELU, RELU_N1_TO_1 or RELU6 (qfence has no fused "
                "TANH or SIGN_BIT)");
    const float_range act = float_activation_range(ctx.options().fused);
    const float* bias = ctx.has_input(3) ? ctx.input(3).constant_data<float>() : nullptr;
    const float* feature_data = feature.constant_data<float>();
    const float* time_data = time.constant_data<float>();
    auto scratch = std::make_shared<std::vector<float>>(static_cast<std::size_t>(g.batches) *
                                                        static_cast<std::size_t>(g.filters));
    return [=](const tensor_memory& m) {
      reference::svdf_float(g, act, m.at<const float>(in_t), feature_data, time_data, bias, m.at<float>(state_t),
                            scratch->data(), m.at<float>(out_t));
    };
  }
  const std::int32_t* bias = ctx.has_input(3) ? ctx.input(3).constant_data<std::int32_t>() : nullptr;
  const svdf_params p = make_svdf_params(in.quant.scale(), in.quant.zero_point(), feature.quant.scale(),
                                         state.quant.scale(), state.quant.zero_point(), time.quant.scale(),
                                         out.quant.scale(), out.quant.zero_point());
  auto scratch = std::make_shared<std::vector<std::int32_t>>(
      static_cast<std::size_t>(g.batches) * static_cast<std::size_t>(g.filters + g.units()));
  const std::byte* feature_data = feature.data.data();
  const std::byte* time_data = time.data.data();
  const kernels::target target = ctx.simd_target();
  auto typed = [&]<class State>(State*) -> kernel {
    return [=](const tensor_memory& m) {
      kernels::svdf_quantized<State>(target, g, p,
                                     {m.at<const std::int8_t>(in_t), reinterpret_cast<const std::int8_t*>(feature_data),
                                      reinterpret_cast<const State*>(time_data), bias, m.at<State>(state_t),
                                      scratch->data(), m.at<std::int8_t>(out_t)});
    };
  };
  if (time.type == dtype::i16) return typed(static_cast<std::int16_t*>(nullptr));
  return typed(static_cast<std::int8_t*>(nullptr));
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END
