// qfence/quant/lstm_cell_steps.hpp: the cell state of a float
// UNIDIRECTIONAL_SEQUENCE_LSTM of a .tflite at every time step, for
// calibration (why: quant/lstm_replay.hpp). Before the op runs, its input
// and states are copied from the interpreter; after, the op is replayed on
// them.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/quant/lstm_replay.hpp"
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
        geometry_(lstm_geometry_of(runtime::describe(m.tensors[static_cast<std::size_t>(op.inputs[0])]),
                                   runtime::describe(m.tensors[static_cast<std::size_t>(op.inputs[lstm_hidden_operand])]),
                                   op.options.time_major)) {}

  int cell_tensor() const noexcept { return op_.inputs[lstm_cell_operand]; }

  /// Before the op runs: its input and states as it will read them.
  void before(const runtime::interpreter& interp) {
    copy(interp, op_.inputs[0], copies_.input);
    copy(interp, op_.inputs[lstm_hidden_operand], copies_.hidden);
    copy(interp, cell_tensor(), copies_.cell);
  }

  /// After the op ran: observe(values) for the cell after each step.
  template <class Observe>
  void after(const runtime::interpreter& interp, Observe&& observe) const {
    lstm_operands<float, float, float> x{};
    for (int k = 0; k < 4; ++k) {
      x.input_weights[k] = floats(interp, op_.inputs[static_cast<std::size_t>(1 + k)]);
      x.recurrent_weights[k] = floats(interp, op_.inputs[static_cast<std::size_t>(5 + k)]);
      x.bias[k] = floats(interp, op_.inputs[static_cast<std::size_t>(12 + k)]);
    }
    replay_lstm_cells(geometry_, op_.options.cell_clip, x, copies_, interp.tensor_bytes(cell_tensor()),
                      "operator " + std::to_string(op_.index), observe);
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
  lstm_replay_inputs copies_;
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
