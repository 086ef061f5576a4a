// qfence/quant/lstm_replay.hpp: a float LSTM replayed step by step, so that
// calibration sees its cell state at every time step.
//
// The cell state is a variable the LSTM updates once per step; after an
// invoke it holds the last step's values only, and a range taken from those
// misses the others (a pulse mid-sequence is gone by the end). Both paths'
// calibration (quant/lstm_cell_steps.hpp for a .tflite,
// quant/calibrate_graph.hpp for a model described in C++) copy the op's
// input and states before it runs and replay it here with the kernel the
// op ran; the replay must end on the op's own cell state, bit for bit.
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

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// What the op read: its input and both states, copied before it ran.
struct lstm_replay_inputs {
  std::vector<float> input, hidden, cell;
};

/// Runs the float LSTM `x` (its input pointer ignored) on copies of what it
/// read, calling observe(std::span<const float>) with the cell after each
/// step, then checks that the last cell equals `ran_cell`, the cell state
/// the op left; `what` names the op in the error a mismatch (a bug) raises.
template <class Observe>
void replay_lstm_cells(const lstm_geometry& g, float cell_clip, lstm_operands<float, float, float> x,
                       lstm_replay_inputs copies, std::span<const std::byte> ran_cell, const std::string& what,
                       Observe&& observe) {
  const std::size_t rows = static_cast<std::size_t>(g.batches) * static_cast<std::size_t>(g.units);
  std::vector<float> scratch(4 * rows), output(static_cast<std::size_t>(g.time_steps) * rows);
  x.input = copies.input.data();
  reference::lstm_float(g, cell_clip, x, copies.hidden.data(), copies.cell.data(), scratch.data(), output.data(),
                        [&](const float* c, std::int64_t n) {
                          observe(std::span<const float>(c, static_cast<std::size_t>(n)));
                        });
  if (ran_cell.size() != copies.cell.size() * sizeof(float) ||
      std::memcmp(ran_cell.data(), copies.cell.data(), ran_cell.size()) != 0)
    throw std::logic_error("calibrate: replaying " + what +
                           " (UNIDIRECTIONAL_SEQUENCE_LSTM) step by step did not end in the cell state the op left "
                           "(a bug in qfence; please report it)");
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
