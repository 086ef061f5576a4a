// qfence/kernels/reference/signal/pcan.hpp: SignalPCAN of TFLM's signal
// library (signal/src/pcan_argc_fixed.cc): per-channel automatic gain
// control, the filter-bank energy divided by a power of its noise estimate
// (a gain read from a piecewise-quadratic table), then compressed.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/bits.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference::signal {

/// The gain table's length: entries 0-2 for x <= 2, then 4 per octave up to
/// bit 32 (TFLM reads up to entry 124 and does not check the length).
inline constexpr std::int64_t pcan_gain_lut_size = 125;

/// The gain for noise estimate x (TFLM's WideDynamicFunction): a quadratic
/// through the table's three coefficients of x's octave, in its int32
/// arithmetic (wrapping where it overflows) and returned as int16.
constexpr std::int16_t pcan_gain(std::uint32_t x, const std::int16_t* lut) noexcept {
  if (x <= 2) return lut[x];
  const auto interval = static_cast<std::int32_t>(most_significant_bit(x));
  lut += 4 * interval - 6;
  const auto frac = static_cast<std::int16_t>(
      ((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FFu);
  std::int32_t result = (static_cast<std::int32_t>(lut[2]) * frac) >> 5;
  result = static_cast<std::int32_t>(static_cast<std::uint32_t>(result) +
                                     (static_cast<std::uint32_t>(static_cast<std::int32_t>(lut[1])) << 5));
  result = static_cast<std::int32_t>(static_cast<std::uint32_t>(result) * static_cast<std::uint32_t>(frac));
  result = static_cast<std::int32_t>(static_cast<std::uint32_t>(result) + (1u << 14)) >> 15;
  result = static_cast<std::int32_t>(static_cast<std::uint32_t>(result) +
                                     static_cast<std::uint32_t>(static_cast<std::int32_t>(lut[0])));
  return static_cast<std::int16_t>(result);
}

/// TFLM's PcanShrink: a soft knee from the SNR (12 fraction bits) to the
/// output (6 fraction bits).
constexpr std::uint32_t pcan_shrink(std::uint32_t x) noexcept {
  constexpr int snr_bits = 12, output_bits = 6;
  if (x < (2u << snr_bits)) return (x * x) >> (2 + 2 * snr_bits - output_bits);
  return (x >> (snr_bits - output_bits)) - (1u << output_bits);
}

/// out[i] = pcan_shrink((in[i] * gain(noise_estimate[i])) >> snr_shift) over
/// n channels; snr_shift in [0, 63]. The gain is TFLM's int16 taken as
/// uint32 (a negative table value sign-extends).
inline void pcan(const std::uint32_t* in, const std::uint32_t* noise_estimate, const std::int16_t* gain_lut,
                 std::int64_t n, int snr_shift, std::uint32_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const auto gain = static_cast<std::uint32_t>(static_cast<std::int32_t>(pcan_gain(noise_estimate[i], gain_lut)));
    const auto snr = static_cast<std::uint32_t>((std::uint64_t{in[i]} * gain) >> snr_shift);
    out[i] = pcan_shrink(snr);
  }
}

}  // namespace qfence::reference::signal

QFENCE_EXACT_FLOAT_END
