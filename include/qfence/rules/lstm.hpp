// qfence/rules/lstm.hpp: the type and shape rule of
// UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM runs it (kernels/reference/lstm.hpp).
//
// Operands by the model's input index: 0 the input [B, T, I] ([T, B, I]
// time major); 1-4 the input weights of the input, forget, cell and output
// gates [S, I]; 5-8 their recurrent weights [S, S]; 12-15 their biases [S];
// 18 the hidden state [B, S] and 19 the cell state [B, S] (variables). The
// variants TFLM runs: f32 throughout; i8 input, hidden state and weights,
// i32 biases, i16 cell state; i16 input and hidden state, i8 weights, i64
// biases, i16 cell state. Quantized weights have one scale (TFLM's LSTM
// reads no per-channel multipliers). The output [.., .., S] is the hidden
// state after each step: its dtype and quantization.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct lstm_attrs {
  bool time_major = false;
};

/// The operands the rule reads, by the model's input index.
struct lstm_descs {
  tensor_desc input;
  tensor_desc weights[8];  // inputs 1..8
  tensor_desc bias[4];     // inputs 12..15
  tensor_desc hidden, cell;
};

inline constexpr int lstm_hidden_operand = 18, lstm_cell_operand = 19;

constexpr rule_result lstm_rule(const lstm_attrs& a, const lstm_descs& d, const output_request& req) noexcept {
  const auto fail = [](int operand) { return rule_fail(rule_error::lstm_operands, operand); };
  const tensor_desc& in = d.input;
  if (in.rank != 3 || !(in.type == dtype::f32 || in.type == dtype::i8 || in.type == dtype::i16)) return fail(0);
  const bool is_float = in.type == dtype::f32;
  if (!is_float && !in.quant.per_tensor()) return fail(0);
  const tensor_desc& h = d.hidden;
  if (h.rank != 2 || h.type != in.type || (!is_float && !h.quant.per_tensor())) return fail(lstm_hidden_operand);
  const std::int64_t batches = a.time_major ? in.dim(1) : in.dim(0), units = h.dim(1);
  if (h.elements() != batches * units) return fail(lstm_hidden_operand);
  const tensor_desc& c = d.cell;
  if (c.elements() != batches * units || c.type != (is_float ? dtype::f32 : dtype::i16) ||
      (!is_float && !c.quant.per_tensor()))
    return fail(lstm_cell_operand);
  const dtype weight_type = is_float ? dtype::f32 : dtype::i8;
  for (int k = 0; k < 8; ++k) {
    const tensor_desc& w = d.weights[k];
    const std::int64_t columns = k < 4 ? in.dim(2) : units;
    if (w.type != weight_type || w.rank != 2 || w.dim(0) != units || w.dim(1) != columns ||
        (!is_float && !w.quant.per_tensor()))
      return fail(1 + k);
  }
  const dtype bias_type = is_float ? dtype::f32 : in.type == dtype::i8 ? dtype::i32 : dtype::i64;
  for (int k = 0; k < 4; ++k)
    if (d.bias[k].type != bias_type || d.bias[k].rank != 1 || d.bias[k].dim(0) != units) return fail(12 + k);
  const std::int64_t dims[3] = {in.dim(0), in.dim(1), units};
  const tensor_desc out = h.reshaped(3, dims);
  if (req.given && (req.type != out.type || !(req.quant == out.quant)))
    return rule_fail(rule_error::lstm_operands, output_operand, out);
  return rules::check_output_shape(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
