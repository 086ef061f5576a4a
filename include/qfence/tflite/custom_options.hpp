// qfence/tflite/custom_options.hpp: the options of the custom ops qfence
// ships, read from their flexbuffer (an operator's custom_options) into the
// flat runtime::op_options. Custom ops an application supplies keep their
// raw bytes (operation::custom_options) for the application to read.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/runtime/ops/circular_buffer.hpp"
#include "qfence/tflite/flexbuffer_reader.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite::detail {

/// Fills the options of `op` (read so far: code, custom code, custom
/// options) when it is a custom op qfence ships; `what` names it in errors.
inline void read_custom_options(runtime::operation& op, const std::string& what) {
  if (runtime::is_circular_buffer(op)) {
    // TFLM reads element 0 of the root (a map's values are in key order:
    // "cycles_max" is its only documented key); no options: 0, and TFLM's
    // shape rule picks the period (runtime::circular_buffer_period).
    if (op.custom_options.empty()) return;
    const flexbuffer_reader options(op.custom_options, what);
    // TFLM's ElementAsInt32: the int64 value cast to int32.
    op.options.cycles_max = static_cast<std::int32_t>(options.integer(0, "cycles_max"));
  }
}

}  // namespace qfence::tflite::detail

QFENCE_EXACT_FLOAT_END
