// qfence/core/invoke_status.hpp: how an invoke ended, on both paths.
//
// A streaming model can end an invoke before its last operation: TFLM's
// CIRCULAR_BUFFER runs its consumers only every `period`-th invoke and
// returns kTfLiteAbort in between, which TFLM's interpreter passes on from
// Invoke(). qfence's invoke returns the same news as a value: the outputs
// are new only after an invoke that `completed`.
#pragma once

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

enum class invoke_status {
  completed,    ///< every operation ran: the outputs are this invoke's
  ended_early,  ///< an operation ended the invoke (e.g. CIRCULAR_BUFFER between its periods): later ones did not run
};

constexpr const char* name(invoke_status s) noexcept {
  return s == invoke_status::completed ? "completed" : "ended_early";
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
