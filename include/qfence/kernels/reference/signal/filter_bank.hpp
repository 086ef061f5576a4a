// qfence/kernels/reference/signal/filter_bank.hpp: the filter-bank stage of
// TFLM's signal library (signal/src/filter_bank*.cc): SignalFilterBank
// (triangular mel filters over an energy spectrum), SignalFilterBankSquareRoot,
// SignalFilterBankSpectralSubtraction (a running noise estimate taken off
// each channel) and SignalFilterBankLog.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/bits.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference::signal {

/// The filter bank's tables (SignalFilterBank's inputs 1-5): for each of
/// num_channels + 1 channels, its first frequency bin, its first weight and
/// its width; the weights of each bin for the channel it rises in and
/// (unweights) the one it falls in.
struct filter_bank_tables {
  const std::int16_t* weights;
  const std::int16_t* unweights;
  std::int64_t weight_count;  // elements of weights and of unweights
  const std::int16_t* frequency_starts;
  const std::int16_t* weight_starts;
  const std::int16_t* widths;
  std::int64_t channels;  // num_channels + 1 entries in each of the three
};

/// Whether every index the tables make stays inside the input (`bins`
/// values) and the weights: TFLM does not check; qfence does, on every
/// invoke (the tables are operands, constant in every converted model).
constexpr bool filter_bank_tables_fit(const filter_bank_tables& t, std::int64_t bins) noexcept {
  for (std::int64_t c = 0; c < t.channels; ++c) {
    const std::int64_t f = t.frequency_starts[c], w = t.weight_starts[c], n = t.widths[c];
    if (n <= 0) continue;
    if (f < 0 || w < 0 || f + n > bins || w + n > t.weight_count) return false;
  }
  return true;
}

/// SignalFilterBank: out[c] (c < channels - 1) = the weighted energy of
/// channel c + 1's rising bins plus channel c's falling ones, as TFLM's
/// FilterbankAccumulateChannels (its output element 0 is dropped). The sums
/// are taken modulo 2^64, as TFLM's uint64 products of sign-extended weights.
/// Returns false, writing nothing, when the tables do not fit.
inline bool filter_bank(const std::uint32_t* in, std::int64_t bins, const filter_bank_tables& t,
                        std::uint64_t* out) noexcept {
  if (!filter_bank_tables_fit(t, bins)) return false;
  std::uint64_t weighted = 0, unweighted = 0;
  for (std::int64_t c = 0; c < t.channels; ++c) {
    const std::int64_t f = t.frequency_starts[c], w = t.weight_starts[c];
    for (std::int64_t j = 0; j < t.widths[c]; ++j) {
      const std::uint64_t x = in[f + j];
      weighted += static_cast<std::uint64_t>(static_cast<std::int64_t>(t.weights[w + j])) * x;
      unweighted += static_cast<std::uint64_t>(static_cast<std::int64_t>(t.unweights[w + j])) * x;
    }
    if (c > 0) out[c - 1] = weighted;
    weighted = unweighted;
    unweighted = 0;
  }
  return true;
}

/// SignalFilterBankSquareRoot: out[i] = sqrt64(in[i]) >> shift. TFLM's shift
/// of a uint32 by `shift` is undefined outside [0, 31]: qfence shifts by 0
/// below and gives 0 above (the shift comes from data: FftAutoScale's).
inline void filter_bank_square_root(const std::uint64_t* in, std::int64_t n, std::int32_t shift,
                                    std::uint32_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint32_t root = sqrt64(in[i]);
    out[i] = shift <= 0 ? root : shift >= 32 ? 0u : root >> shift;
  }
}

/// SignalFilterBankLog: out[i] = min(log32(in[i] << correction_bits,
/// output_scale), 32767), 0 where the shifted value is 0 or 1.
inline void filter_bank_log(const std::uint32_t* in, std::int64_t n, std::uint32_t output_scale,
                            std::uint32_t correction_bits, std::int16_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint32_t scaled = in[i] << correction_bits;
    if (scaled <= 1) {
      out[i] = 0;
      continue;
    }
    const std::uint32_t v = log32(scaled, output_scale);
    out[i] = static_cast<std::int16_t>(v < 32767u ? v : 32767u);
  }
}

/// SignalFilterBankSpectralSubtraction's options (TFLM's
/// SpectralSubtractionConfig); the shifts are checked by its rule.
struct spectral_subtraction_config {
  std::uint32_t smoothing = 0, one_minus_smoothing = 0;                       // even channels
  std::uint32_t alternate_smoothing = 0, alternate_one_minus_smoothing = 0;   // odd channels
  std::uint32_t min_signal_remaining = 0;
  std::uint32_t smoothing_bits = 0;             // < 32
  std::uint32_t spectral_subtraction_bits = 0;  // < 64
  bool clamping = false;

  friend constexpr bool operator==(const spectral_subtraction_config&, const spectral_subtraction_config&) = default;
};

/// One frame of SignalFilterBankSpectralSubtraction over n channels: each
/// channel's noise estimate (state kept across invokes, zero after a reset)
/// follows the signal by exponential smoothing and is subtracted from it,
/// leaving at least min_signal_remaining of it (TFLM's
/// FilterbankSpectralSubtraction, in its unsigned arithmetic).
inline void spectral_subtraction(const spectral_subtraction_config& c, const std::uint32_t* in, std::int64_t n,
                                 std::uint32_t* noise_estimate, std::uint32_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const bool even = (i & 1) == 0;
    const std::uint32_t smoothing = even ? c.smoothing : c.alternate_smoothing;
    const std::uint32_t one_minus_smoothing = even ? c.one_minus_smoothing : c.alternate_one_minus_smoothing;
    const std::uint32_t signal_scaled_up = in[i] << c.smoothing_bits;
    noise_estimate[i] = static_cast<std::uint32_t>(
        (std::uint64_t{signal_scaled_up} * smoothing + std::uint64_t{noise_estimate[i]} * one_minus_smoothing) >>
        c.spectral_subtraction_bits);
    std::uint32_t estimate_scaled_up = noise_estimate[i];
    if (estimate_scaled_up > signal_scaled_up) {
      estimate_scaled_up = signal_scaled_up;
      if (c.clamping) noise_estimate[i] = estimate_scaled_up;
    }
    const auto floor = static_cast<std::uint32_t>((std::uint64_t{in[i]} * c.min_signal_remaining) >>
                                                  c.spectral_subtraction_bits);
    const std::uint32_t subtracted = (signal_scaled_up - estimate_scaled_up) >> c.smoothing_bits;
    out[i] = subtracted > floor ? subtracted : floor;
  }
}

}  // namespace qfence::reference::signal

QFENCE_EXACT_FLOAT_END
