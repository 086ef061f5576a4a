// qfence/quant/lstm_cell_steps.hpp: the cell state of a float
// UNIDIRECTIONAL_SEQUENCE_LSTM at every time step, for calibration.
//
// The cell state is a variable the op updates once per time step; after an
// invoke it holds the last step's values only, and a range taken from those
// misses the others (the cell grows along a sequence). Calibration copies
// the op's input and states before it runs and replays it with the same
// reference kernel, seeing the cell after each step. The replay ends where
// the op did, bit for bit, which is checked: a mismatch is a bug, not data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/lstm.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/runtime/ops/lstm.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

class lstm_cell_steps {
 public:
  /// Whether `op` is a float LSTM whose cell state calibration replays.
  static bool applies(const runtime::model& m, const runtime::operation& op) {
    if (op.code != runtime::op_code::unidirectional_sequence_lstm || op.inputs.size() <= lstm_cell_operand) return false;
    for (const int t : {op.inputs[0], op.inputs[lstm_hidden_operand], op.inputs[lstm_cell_operand]})
      if (t < 0 || m.tensors[static_cast<std::size_t>(t)].type != dtype::f32) return false;
    return true;
  }

  lstm_cell_steps(const runtime::model& m, const runtime::operation& op)
      : op_(op),
        geometry_(runtime::ops::lstm_geometry_of(m.tensors[static_cast<std::size_t>(op.inputs[0])],
                                                 m.tensors[static_cast<std::size_t>(op.inputs[lstm_hidden_operand])],
                                                 op.options.time_major)) {}

  int cell_tensor() const noexcept { return op_.inputs[lstm_cell_operand]; }

  /// Before the op runs: its input and states as it will read them.
  void before(const runtime::interpreter& interp) {
    copy(interp, op_.inputs[0], input_);
    copy(interp, op_.inputs[lstm_hidden_operand], hidden_);
    copy(interp, cell_tensor(), cell_);
  }

  /// After the op ran: observe(values) for the cell after each step.
  template <class Observe>
  void after(const runtime::interpreter& interp, Observe&& observe) {
    lstm_operands<float, float, float> x{};
    x.input = input_.data();
    for (int k = 0; k < 4; ++k) {
      x.input_weights[k] = floats(interp, op_.inputs[static_cast<std::size_t>(1 + k)]);
      x.recurrent_weights[k] = floats(interp, op_.inputs[static_cast<std::size_t>(5 + k)]);
      x.bias[k] = floats(interp, op_.inputs[static_cast<std::size_t>(12 + k)]);
    }
    const std::size_t rows = static_cast<std::size_t>(geometry_.batches) * static_cast<std::size_t>(geometry_.units);
    scratch_.resize(4 * rows);
    output_.resize(static_cast<std::size_t>(geometry_.time_steps) * rows);
    reference::lstm_float(geometry_, op_.options.cell_clip, x, hidden_.data(), cell_.data(), scratch_.data(),
                          output_.data(),
                          [&](const float* c, std::int64_t n) { observe(std::span<const float>(c, static_cast<std::size_t>(n))); });
    const auto ran = interp.tensor_bytes(cell_tensor());
    if (ran.size() != cell_.size() * sizeof(float) || std::memcmp(ran.data(), cell_.data(), ran.size()) != 0)
      throw std::logic_error("calibrate: replaying operator " + std::to_string(op_.index) +
                             " (UNIDIRECTIONAL_SEQUENCE_LSTM) step by step did not end in the cell state the op left "
                             "(a bug in qfence; please report it)");
  }

 private:
  static void copy(const runtime::interpreter& interp, int t, std::vector<float>& into) {
    const auto bytes = interp.tensor_bytes(t);
    into.resize(bytes.size() / sizeof(float));
    if (!bytes.empty()) std::memcpy(into.data(), bytes.data(), bytes.size());
  }
  static const float* floats(const runtime::interpreter& interp, int t) {
    return t < 0 ? nullptr : qfence::detail::object_at<const float>(interp.tensor_bytes(t).data());
  }

  runtime::operation op_;
  lstm_geometry geometry_;
  std::vector<float> input_, hidden_, cell_, scratch_, output_;
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
