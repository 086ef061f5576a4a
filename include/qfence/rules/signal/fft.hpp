// qfence/rules/signal/fft.hpp: the type and shape rules of SignalRfft and
// SignalIrfft (kernels/reference/signal/fft.hpp).
//
//   signal_rfft   operand 0: frames [..., L] of dtype T (i16, i32 or f32,
//                 unquantized), L <= fft_length -> T [..., 2 * (fft_length /
//                 2 + 1)], each frame's spectrum (real and imaginary parts
//                 interleaved; a frame shorter than fft_length is
//                 zero-padded)
//   signal_irfft  operand 0: spectra T [..., 2 * (fft_length / 2 + 1)] ->
//                 T [..., fft_length]
//
// fft_length is even, at least 4, and half of it a product of 2s, 3s and
// 5s: the lengths KISS FFT computes as TFLM builds it (other lengths write
// through a null pointer there).
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/fft.hpp"
#include "qfence/rules/signal/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct signal_fft_attrs {
  dtype type = dtype::i16;  // the op's "T"
  std::int32_t fft_length = 0;

  friend constexpr bool operator==(const signal_fft_attrs&, const signal_fft_attrs&) = default;
};

namespace rules {
constexpr bool fft_operand(const signal_fft_attrs& a, const tensor_desc& t) noexcept {
  return (a.type == dtype::i16 || a.type == dtype::i32 || a.type == dtype::f32) && is_raw(t, a.type) && t.rank >= 1;
}
/// The operand with its last dimension replaced.
constexpr tensor_desc with_last_dim(tensor_desc t, std::int64_t n) noexcept {
  t.dims[static_cast<std::size_t>(t.rank - 1)] = n;
  return t;
}
}  // namespace rules

/// Values per spectrum: ncfft + 1 complex values.
constexpr std::int64_t signal_spectrum_values(std::int32_t fft_length) noexcept {
  return 2 * (std::int64_t{fft_length} / 2 + 1);
}

constexpr rule_result signal_rfft_rule(const signal_fft_attrs& a, const tensor_desc& in,
                                       const output_request& req) noexcept {
  if (!rules::fft_operand(a, in) || in.dim(-1) < 1) return rule_fail(rule_error::signal_fft_operands, 0);
  if (!reference::signal::real_fft_length_supported(a.fft_length) || in.dim(-1) > a.fft_length)
    return rule_fail(rule_error::signal_fft_operands, output_operand);
  return rules::same_quantization_output(rules::with_last_dim(in, signal_spectrum_values(a.fft_length)), req);
}

constexpr rule_result signal_irfft_rule(const signal_fft_attrs& a, const tensor_desc& in,
                                        const output_request& req) noexcept {
  if (!rules::fft_operand(a, in)) return rule_fail(rule_error::signal_fft_operands, 0);
  if (!reference::signal::real_fft_length_supported(a.fft_length) ||
      in.dim(-1) != signal_spectrum_values(a.fft_length))
    return rule_fail(rule_error::signal_fft_operands, output_operand);
  return rules::same_quantization_output(rules::with_last_dim(in, a.fft_length), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
