// qfence/runtime/ops/lstm.hpp: UNIDIRECTIONAL_SEQUENCE_LSTM (float, int8 and
// int16 activations), as TFLM computes it (kernels/reference/lstm.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/lstm.hpp"
#include "qfence/rules/lstm.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

/// The 24 inputs of TFLite's LSTM (kernels/lstm_shared.h); TFLM's kernel
/// takes the standard LSTM: no peephole (9-11), projection (16-17) or layer
/// normalization (20-23) operands, a TANH cell gate.
inline kernel prepare_unidirectional_sequence_lstm(const op_context& ctx) {
  ctx.require_io(24, 24, 1);
  const auto absent = [&](std::initializer_list<int> inputs, const char* what) {
    for (int k : inputs)
      ctx.require(!ctx.has_input(k), "input " + std::to_string(k) + " is given, but TFLM's LSTM has no " + what +
                                         " (inputs 9-11 peephole, 16-17 projection, 20-23 layer norm must be absent)");
  };
  absent({9, 10, 11}, "peephole connections");
  absent({16, 17}, "projection");
  absent({20, 21, 22, 23}, "layer normalization");
  ctx.require(ctx.options().raw_activation == 4,
              "TFLM's LSTM applies TANH to the cell gate (fused_activation_function TANH); this model asks for "
              "activation code " + std::to_string(ctx.options().raw_activation) + ", on which TFLM stops");
  lstm_descs d;
  d.input = describe(ctx.input(0));
  for (int k = 0; k < 8; ++k) d.weights[k] = describe(ctx.constant_input(1 + k, "LSTM weights"));
  for (int k = 0; k < 4; ++k) d.bias[k] = describe(ctx.constant_input(12 + k, "LSTM biases"));
  const tensor &in = ctx.input(0), &hidden = ctx.input(lstm_hidden_operand), &cell = ctx.input(lstm_cell_operand);
  ctx.require(hidden.variable, "input 18 (the hidden state) must be a variable tensor");
  ctx.require(cell.variable, "input 19 (the cell state) must be a variable tensor");
  d.hidden = describe(hidden);
  d.cell = describe(cell);
  const bool time_major = ctx.options().time_major;
  ctx.enforce(lstm_rule({time_major}, d, request_for(ctx.output(0))));

  const lstm_geometry g = lstm_geometry_of(d.input, d.hidden, time_major);
  const std::size_t scratch_size = 4 * static_cast<std::size_t>(g.batches) * static_cast<std::size_t>(g.units);
  const int in_t = ctx.input_index(0), hidden_t = ctx.input_index(lstm_hidden_operand),
            cell_t = ctx.input_index(lstm_cell_operand), out_t = ctx.output_index(0);
  auto operands = [&]<class Act, class Weight, class Bias>(Act*, Weight*, Bias*) {
    lstm_operands<Act, Weight, Bias> x{};
    for (int k = 0; k < 4; ++k) {
      x.input_weights[k] = ctx.input(1 + k).template constant_data<Weight>();
      x.recurrent_weights[k] = ctx.input(5 + k).template constant_data<Weight>();
      x.bias[k] = ctx.input(12 + k).template constant_data<Bias>();
    }
    return x;
  };
  if (in.type == dtype::f32) {
    const auto x = operands(static_cast<float*>(nullptr), static_cast<float*>(nullptr), static_cast<float*>(nullptr));
    auto scratch = std::make_shared<std::vector<float>>(scratch_size);
    const float clip = ctx.options().cell_clip;
    return [=](const tensor_memory& m) {
      auto step = x;
      step.input = m.at<const float>(in_t);
      reference::lstm_float(g, clip, step, m.at<float>(hidden_t), m.at<float>(cell_t), scratch->data(),
                            m.at<float>(out_t));
    };
  }
  const lstm_params p = make_lstm_params(lstm_scales_of(d, ctx.options().cell_clip));
  auto scratch = std::make_shared<std::vector<std::int16_t>>(scratch_size);
  auto integer = [&]<class Act, class Bias>(Act*, Bias*) -> kernel {
    const auto x = operands(static_cast<Act*>(nullptr), static_cast<std::int8_t*>(nullptr), static_cast<Bias*>(nullptr));
    return [=](const tensor_memory& m) {
      auto step = x;
      step.input = m.at<const Act>(in_t);
      reference::lstm_integer<Act, Bias>(g, p, step, m.at<Act>(hidden_t), m.at<std::int16_t>(cell_t), scratch->data(),
                                         m.at<Act>(out_t));
    };
  };
  if (in.type == dtype::i8) return integer(static_cast<std::int8_t*>(nullptr), static_cast<std::int32_t*>(nullptr));
  return integer(static_cast<std::int16_t*>(nullptr), static_cast<std::int64_t*>(nullptr));
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END
