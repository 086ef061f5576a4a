// qfence/kernels/reference/circular_buffer.hpp: CIRCULAR_BUFFER, TFLM's
// custom op for strided streaming convolutions (kernels/circular_buffer.cc).
//
// The output is a shift register of `slots` samples of `depth` bytes that
// lives across invokes: each invoke drops the oldest sample, appends the
// input, and counts the invoke; only every `period`-th invoke goes on to the
// ops after it (TFLM returns kTfLiteAbort on the others).
#pragma once

#include <cstdint>
#include <cstring>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// One invoke of CIRCULAR_BUFFER on its register `buffer` ([slots, depth])
/// and its count of invokes since the last one that went on (`since_run`,
/// 0 after a reset). Returns whether this invoke goes on. TFLM counts down
/// from the period instead; the two agree invoke by invoke.
inline bool circular_buffer_step(const std::int8_t* in, std::int8_t* buffer, std::int64_t slots, std::int64_t depth,
                                 std::int32_t& since_run, std::int32_t period) noexcept {
  const auto d = static_cast<std::size_t>(depth);
  if (slots > 1) std::memmove(buffer, buffer + d, static_cast<std::size_t>(slots - 1) * d);
  std::memcpy(buffer + static_cast<std::size_t>(slots - 1) * d, in, d);
  if (++since_run != period) return false;
  since_run = 0;
  return true;
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
