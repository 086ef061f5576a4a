// qfence/kernels/reference/signal/energy.hpp: SignalEnergy of TFLM's signal
// library (signal/src/energy.cc): the squared magnitude of each bin of an
// int16 complex spectrum.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference::signal {

/// out[i] = re^2 + im^2 of bin i of `spectrum` (re, im interleaved) for i in
/// [start, end); 0 elsewhere in out[0, bins). TFLM leaves the other bins
/// unwritten (whatever its arena held: zero in a fresh one). The sum is
/// formed in 32-bit unsigned arithmetic, where TFLM's int32 sum of two
/// (-32768)^2 overflows to the same bits.
inline void energy(const std::int16_t* spectrum, std::int64_t start, std::int64_t end, std::int64_t bins,
                   std::uint32_t* out) noexcept {
  for (std::int64_t i = 0; i < bins; ++i) {
    if (i < start || i >= end) {
      out[i] = 0;
      continue;
    }
    const auto re = static_cast<std::int32_t>(spectrum[2 * i]), im = static_cast<std::int32_t>(spectrum[2 * i + 1]);
    out[i] = static_cast<std::uint32_t>(re * re) + static_cast<std::uint32_t>(im * im);
  }
}

}  // namespace qfence::reference::signal

QFENCE_EXACT_FLOAT_END
