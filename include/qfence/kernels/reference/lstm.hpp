// qfence/kernels/reference/lstm.hpp: UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM
// computes it (kernels/lstm_eval.h, lstm_eval.cc, lstm_eval_common.cc).
//
// Per time step, for each gate (forget, input, cell, output): a fully
// connected layer of the input step plus one of the hidden state, added
// with saturation, then a sigmoid (a tanh for the cell gate); the cell
// state becomes forget * cell + input * cell_gate (clipped), the hidden
// state output * tanh(cell), and the hidden state is the step's output.
// Three variants: float; int8 activations with int8 weights, int32 biases
// and an int16 cell; int16 activations with int8 weights, int64 biases and
// an int16 cell. Gate pre-activations are int16 at scale 2^-12 (Q3.12),
// gate outputs int16 at 2^-15 (Q0.15), as TFLM fixes them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/reference/activations.hpp"
#include "qfence/kernels/reference/fully_connected.hpp"
#include "qfence/rules/lstm.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The sizes of an LSTM: B batches of T steps of I inputs, S units; input
/// [T, B, I] when time major, else [B, T, I].
struct lstm_geometry {
  int batches, time_steps, input_size, units;
  bool time_major;
};

/// The sizes of an LSTM whose input and hidden state are `in` and `hidden`
/// (both paths: runtime::describe, or describe<T>() of a typed node's).
constexpr lstm_geometry lstm_geometry_of(const tensor_desc& in, const tensor_desc& hidden, bool time_major) noexcept {
  return {static_cast<int>(time_major ? in.dim(1) : in.dim(0)), static_cast<int>(time_major ? in.dim(0) : in.dim(1)),
          static_cast<int>(in.dim(2)), static_cast<int>(hidden.dim(1)), time_major};
}

/// The gates in TFLM's order of operands: input, forget, cell, output.
enum lstm_gate : int { lstm_input_gate = 0, lstm_forget_gate = 1, lstm_cell_gate = 2, lstm_output_gate = 3 };

/// One elementwise product's rescale (TFLM's CreateInterGateMulParams).
struct lstm_mul_params {
  quantized_multiplier multiplier;
  std::int32_t output_offset;
  int_range clamp;
};

/// An integer LSTM's fixed-point parameters (TFLM's OpDataLSTM).
struct lstm_params {
  quantized_multiplier input_fc[4], recurrent_fc[4];  // by lstm_gate: to the gate's Q3.12
  std::int32_t input_offset = 0, hidden_offset = 0;   // negated zero points
  std::int32_t input_weights_offset[4] = {}, recurrent_weights_offset[4] = {};
  lstm_mul_params forget_times_cell, input_times_cell_gate, output_times_tanh_cell;
  int cell_scale_power = 0;        // the cell scale is 2^cell_scale_power
  std::int16_t quantized_cell_clip = 0;
  float cell_clip = 0.0f;          // > 0: clip the cell state to +-cell_clip
};

/// The scales an integer LSTM's parameters come from.
struct lstm_scales {
  float input, hidden, cell;
  std::int32_t input_zero_point, hidden_zero_point;
  float input_weights[4], recurrent_weights[4];
  std::int32_t input_weights_zero_point[4], recurrent_weights_zero_point[4];
  bool hidden_is_int16;
  float cell_clip;
};

namespace detail {
/// TFLM's CheckedLog2: log2 in float, rounded (the fraction is not checked
/// where the LSTM uses it).
inline int checked_log2(float x) noexcept {
  const float x_log2 = std::log(x) * (1.0f / std::log(2.0f));
  return static_cast<int>(std::round(x_log2));
}

constexpr lstm_mul_params lstm_mul(float scale1, float scale2, float output_scale, bool int16_output,
                                   std::int32_t output_zero_point) noexcept {
  const double product = static_cast<double>(scale1) * static_cast<double>(scale2);
  return {quantize_multiplier(product / static_cast<double>(output_scale)), output_zero_point,
          int16_output ? int_range{-32768, 32767} : int_range{-128, 127}};
}
}  // namespace detail

/// The scales of an integer LSTM's operands as the rule saw them (both
/// paths describe the operands for lstm_rule first).
constexpr lstm_scales lstm_scales_of(const lstm_descs& d, float cell_clip) noexcept {
  lstm_scales s{};
  s.input = d.input.quant.scale;
  s.input_zero_point = d.input.quant.zero_point;
  s.hidden = d.hidden.quant.scale;
  s.hidden_zero_point = d.hidden.quant.zero_point;
  s.cell = d.cell.quant.scale;
  s.hidden_is_int16 = d.hidden.type == dtype::i16;
  s.cell_clip = cell_clip;
  for (int k = 0; k < 4; ++k) {
    s.input_weights[k] = d.weights[k].quant.scale;
    s.input_weights_zero_point[k] = d.weights[k].quant.zero_point;
    s.recurrent_weights[k] = d.weights[4 + k].quant.scale;
    s.recurrent_weights_zero_point[k] = d.weights[4 + k].quant.zero_point;
  }
  return s;
}

/// TFLM's PrepareGateParametersInteger and CreateLstmCellStateInfo.
inline lstm_params make_lstm_params(const lstm_scales& s) noexcept {
  constexpr float gate_input_scale = 0.000244140625f;    // 2^-12: Q3.12
  constexpr float gate_output_scale = 0.000030517578125f;  // 2^-15: Q0.15
  lstm_params p;
  for (int g = 0; g < 4; ++g) {
    // GetQuantizedConvolutionMultipler: the scale product in float.
    p.input_fc[g] = rescale_multiplier(s.input, s.input_weights[g], gate_input_scale, true);
    p.recurrent_fc[g] = rescale_multiplier(s.hidden, s.recurrent_weights[g], gate_input_scale, true);
    p.input_weights_offset[g] = -s.input_weights_zero_point[g];
    p.recurrent_weights_offset[g] = -s.recurrent_weights_zero_point[g];
  }
  p.input_offset = -s.input_zero_point;
  p.hidden_offset = -s.hidden_zero_point;
  p.forget_times_cell = detail::lstm_mul(gate_output_scale, s.cell, s.cell, true, 0);
  p.input_times_cell_gate = detail::lstm_mul(gate_output_scale, gate_output_scale, s.cell, true, 0);
  p.output_times_tanh_cell =
      detail::lstm_mul(gate_output_scale, gate_output_scale, s.hidden, s.hidden_is_int16, s.hidden_zero_point);
  p.cell_scale_power = detail::checked_log2(s.cell);
  p.cell_clip = s.cell_clip;
  p.quantized_cell_clip = static_cast<std::int16_t>(
      std::min(std::max(static_cast<double>(s.cell_clip) / static_cast<double>(s.cell), -32768.0), 32767.0));
  return p;
}

/// What an LSTM reads: the input, the weights and biases by lstm_gate.
template <class Act, class Weight, class Bias>
struct lstm_operands {
  const Act* input;
  const Weight* input_weights[4];      // [units, input_size]
  const Weight* recurrent_weights[4];  // [units, units]
  const Bias* bias[4];                 // [units]
};

namespace reference {

namespace lstm_detail {

/// Which rows one step works on, and where they are.
struct lstm_step {
  int rows;                 // batches in this step (all when time major, else 1)
  std::int64_t input_at, output_at, state_at;
};

/// Runs `step` for every (batch, time) step in TFLM's order.
template <class Step>
void for_each_step(const lstm_geometry& g, Step&& step) {
  const std::int64_t I = g.input_size, S = g.units;
  if (g.time_major) {
    for (int t = 0; t < g.time_steps; ++t)
      step(lstm_step{g.batches, t * g.batches * I, t * g.batches * S, 0});
  } else {
    for (int b = 0; b < g.batches; ++b)
      for (int t = 0; t < g.time_steps; ++t) {
        const std::int64_t k = static_cast<std::int64_t>(b) * g.time_steps + t;
        step(lstm_step{1, k * I, k * S, b * S});
      }
  }
}

inline void saturating_add(std::int64_t n, const std::int16_t* a, const std::int16_t* b, std::int16_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int16_t>(std::clamp(std::int32_t{a[i]} + std::int32_t{b[i]}, -32768, 32767));
}

/// TFLM's reference_integer_ops::MulElementwise of two int16 operands
/// (offsets 0: both symmetric).
template <class Out>
void multiply(std::int64_t n, const std::int16_t* a, const std::int16_t* b, const lstm_mul_params& p,
              Out* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t v = p.output_offset + multiply_by_quantized_multiplier(std::int32_t{a[i]} * b[i], p.multiplier);
    out[i] = static_cast<Out>(std::clamp(v, p.clamp.min, p.clamp.max));
  }
}

}  // namespace lstm_detail

/// An integer LSTM (int8 or int16 activations) on its hidden and cell
/// states, updated in place; `scratch` holds 4 * batches * units int16.
template <class Act, class Bias>
void lstm_integer(const lstm_geometry& g, const lstm_params& p, const lstm_operands<Act, std::int8_t, Bias>& x,
                  Act* hidden, std::int16_t* cell, std::int16_t* scratch, Act* output) noexcept {
  using namespace lstm_detail;
  const int S = g.units;
  std::int16_t* buffer[4];
  for (int k = 0; k < 4; ++k) buffer[k] = scratch + static_cast<std::int64_t>(k) * g.batches * S;
  constexpr int_range q312{-32768, 32767};
  for_each_step(g, [&](const lstm_step& st) {
    const std::int64_t n = static_cast<std::int64_t>(st.rows) * S;
    // A gate: FC(input) + FC(hidden), saturated, then the nonlinearity.
    auto gate = [&](int k, std::int16_t* out, bool tanh_gate) {
      const fc_geometry in_fc{st.rows, g.input_size, S}, rec_fc{st.rows, S, S};
      const auto rescale_by = [](quantized_multiplier m) {
        return [m](int, Bias acc) {
          if constexpr (std::is_same_v<Bias, std::int64_t>) return multiply_by_quantized_multiplier_wide(acc, m);
          else return multiply_by_quantized_multiplier(acc, m);
        };
      };
      fully_connected_loop<Bias>(in_fc, x.input + st.input_at, p.input_offset, x.input_weights[k],
                                 p.input_weights_offset[k], x.bias[k], rescale_by(p.input_fc[k]), 0, q312, out);
      fully_connected_loop<Bias>(rec_fc, hidden + st.state_at, p.hidden_offset, x.recurrent_weights[k],
                                 p.recurrent_weights_offset[k], static_cast<const Bias*>(nullptr),
                                 rescale_by(p.recurrent_fc[k]), 0, q312, buffer[3]);
      saturating_add(n, out, buffer[3], out);
      if (tanh_gate) tanh(n, out, {0, 0}, out);  // Q3.12 in: cell_state_scale_power -12
      else logistic(n, out, {0, 0}, out);
    };
    std::int16_t* forget = buffer[0];
    std::int16_t* input_gate = buffer[1];
    std::int16_t* cell_gate = buffer[2];
    gate(lstm_forget_gate, forget, false);
    gate(lstm_input_gate, input_gate, false);
    gate(lstm_cell_gate, cell_gate, true);
    // The cell state: forget * cell + input * cell_gate, clipped.
    std::int16_t* c = cell + st.state_at;
    multiply(n, forget, c, p.forget_times_cell, c);
    multiply(n, input_gate, cell_gate, p.input_times_cell_gate, buffer[1]);
    saturating_add(n, c, buffer[1], c);
    if (p.cell_clip > 0.0f)
      for (std::int64_t i = 0; i < n; ++i)
        c[i] = std::max(std::min(p.quantized_cell_clip, c[i]), static_cast<std::int16_t>(-p.quantized_cell_clip));
    // The hidden state: output gate * tanh(cell), the step's output.
    std::int16_t* output_gate = buffer[1];
    gate(lstm_output_gate, output_gate, false);
    // TFLM's Tanh(cell_state_scale_power): 3 << shift (or 3 and the shift's
    // magnitude, for a negative shift) scales the cell to the table's input.
    int shift = 15 + p.cell_scale_power - 3;
    std::int32_t multiplier = 0;
    if (shift < 0) {
      shift = -shift;
      multiplier = 3;
    }
    tanh(n, c, {multiplier, shift}, buffer[0]);
    multiply(n, buffer[0], output_gate, p.output_times_tanh_cell, hidden + st.state_at);
    std::memcpy(output + st.output_at, hidden + st.state_at, static_cast<std::size_t>(n) * sizeof(Act));
  });
}

namespace lstm_detail {
struct ignore_step {
  void operator()(const float*, std::int64_t) const noexcept {}
};
}  // namespace lstm_detail

/// The float LSTM; `scratch` holds 4 * batches * units floats.
/// after_step(cell, n) sees the n cell values each step leaves (calibration
/// observes the cell at every step, where the state after the invoke holds
/// the last one only).
template <class AfterStep = lstm_detail::ignore_step>
void lstm_float(const lstm_geometry& g, float cell_clip, const lstm_operands<float, float, float>& x, float* hidden,
                float* cell, float* scratch, float* output, const AfterStep& after_step = {}) {
  using namespace lstm_detail;
  const int S = g.units;
  float* buffer[4];
  for (int k = 0; k < 4; ++k) buffer[k] = scratch + static_cast<std::int64_t>(k) * g.batches * S;
  const float_range none{std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max()};
  for_each_step(g, [&](const lstm_step& st) {
    const std::int64_t n = static_cast<std::int64_t>(st.rows) * S;
    auto gate = [&](int k, float* out, bool tanh_gate) {
      fully_connected(fc_geometry{st.rows, g.input_size, S}, x.input + st.input_at, x.input_weights[k], x.bias[k],
                      none, out);
      fully_connected(fc_geometry{st.rows, S, S}, hidden + st.state_at, x.recurrent_weights[k], nullptr, none,
                      buffer[3]);
      for (std::int64_t i = 0; i < n; ++i) out[i] = out[i] + buffer[3][i];
      if (tanh_gate) tanh(n, out, out);
      else logistic(n, out, out);
    };
    float* forget = buffer[0];
    float* input_gate = buffer[1];
    float* cell_gate = buffer[2];
    gate(lstm_forget_gate, forget, false);
    gate(lstm_input_gate, input_gate, false);
    gate(lstm_cell_gate, cell_gate, true);
    float* c = cell + st.state_at;
    for (std::int64_t i = 0; i < n; ++i) c[i] = forget[i] * c[i];
    for (std::int64_t i = 0; i < n; ++i) buffer[1][i] = input_gate[i] * cell_gate[i];
    for (std::int64_t i = 0; i < n; ++i) c[i] = c[i] + buffer[1][i];
    if (cell_clip > 0.0f)
      for (std::int64_t i = 0; i < n; ++i) c[i] = std::max(std::min(cell_clip, c[i]), -cell_clip);
    after_step(static_cast<const float*>(c), n);
    float* output_gate = buffer[1];
    gate(lstm_output_gate, output_gate, false);
    tanh(n, c, buffer[0]);
    float* h = hidden + st.state_at;
    for (std::int64_t i = 0; i < n; ++i) h[i] = buffer[0][i] * output_gate[i];
    std::memcpy(output + st.output_at, h, static_cast<std::size_t>(n) * sizeof(float));
  });
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
