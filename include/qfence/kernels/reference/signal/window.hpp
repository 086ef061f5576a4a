// qfence/kernels/reference/signal/window.hpp: SignalWindow and
// SignalFftAutoScale of TFLM's signal library (signal/src/window.cc,
// fft_auto_scale.cc), the steps before an integer FFT: a window applied
// frame by frame, then the largest left shift the frame allows.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/bits.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference::signal {

/// out[i] = saturate_i16((in[i] * window[i % size]) >> shift) over `n`
/// values, n a multiple of `size` (one window per frame), shift in [0, 31].
inline void apply_window(const std::int16_t* in, const std::int16_t* window, std::int64_t size, std::int64_t n,
                         int shift, std::int16_t* out) noexcept {
  for (std::int64_t frame = 0; frame < n; frame += size)
    for (std::int64_t i = 0; i < size; ++i) {
      const std::int32_t raw = (static_cast<std::int32_t>(in[frame + i]) * window[i]) >> shift;
      out[frame + i] = static_cast<std::int16_t>(raw < INT16_MIN ? INT16_MIN : raw > INT16_MAX ? INT16_MAX : raw);
    }
}

/// The largest |in[i]| as TFLM's MaxAbs16 computes it, in int16: -(-32768)
/// wraps to -32768, which later values then replace.
constexpr std::int16_t max_abs(const std::int16_t* in, std::int64_t n) noexcept {
  std::int16_t max = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int16_t v = in[i];
    if (v > max) max = v;
    else if (-v > max) max = static_cast<std::int16_t>(-v);
  }
  return max;
}

/// The left shift SignalFftAutoScale applies: 15 - msb(max |in|) when
/// positive, else 0 (so 0 for silence and for a frame holding -32768).
constexpr std::int32_t fft_auto_scale_bits(const std::int16_t* in, std::int64_t n) noexcept {
  const std::int16_t max = max_abs(in, n);
  const int bits = 16 - static_cast<int>(most_significant_bit(static_cast<std::uint32_t>(max))) - 1;
  return bits > 0 ? bits : 0;
}

/// out[i] = in[i] * 2^fft_auto_scale_bits(in) (in int16, as TFLM stores
/// it); returns the shift, as TFLM's FftAutoScale does.
inline std::int32_t fft_auto_scale(const std::int16_t* in, std::int64_t n, std::int16_t* out) noexcept {
  const std::int32_t bits = fft_auto_scale_bits(in, n);
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<std::int16_t>(in[i] * (1 << bits));
  return bits;
}

}  // namespace qfence::reference::signal

QFENCE_EXACT_FLOAT_END
