// qfence/runtime/ops/signal/fft.hpp: SignalRfft and SignalIrfft, custom ops
// of TFLM's signal library, which qfence ships.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/fft.hpp"
#include "qfence/rules/signal/fft.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

inline constexpr std::string_view signal_rfft_code = "SignalRfft";
inline constexpr std::string_view signal_irfft_code = "SignalIrfft";

namespace ops {

/// A prepared real FFT: its plan, the plan's tables and the kernel's
/// scratch, in one place that lives as long as the kernel.
template <class T>
struct prepared_real_fft {
  std::vector<reference::signal::fft_complex<T>> tables, scratch;
  reference::signal::real_fft_plan<T> plan;

  prepared_real_fft(std::int32_t fft_length, bool inverse)
      : tables(reference::signal::real_fft_plan_values(fft_length)),
        scratch(reference::signal::real_fft_scratch_values(fft_length)),
        plan(reference::signal::make_real_fft_plan<T>(fft_length, inverse, tables)) {}
};

/// The kernel of SignalRfft (`inverse` false) or SignalIrfft on `ctx`, whose
/// rule passed.
template <class T>
kernel real_fft_kernel(const op_context& ctx, const signal_fft_attrs& a, bool inverse) {
  auto fft = std::make_shared<prepared_real_fft<T>>(a.fft_length, inverse);
  const tensor& in = ctx.input(0);
  const std::int64_t length = in.dim(in.rank() - 1), frames = in.elements() / length;
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    if (inverse)
      reference::signal::irfft(fft->plan, m.at<const T>(in_t), frames, m.at<T>(out_t), fft->scratch.data());
    else
      reference::signal::rfft(fft->plan, m.at<const T>(in_t), frames, length, m.at<T>(out_t), fft->scratch.data());
  };
}

inline kernel prepare_real_fft(const op_context& ctx, bool inverse) {
  ctx.require_io(1, 1, 1);
  const signal_fft_attrs a = ctx.options().signal_fft;
  const tensor_desc in = describe(ctx.input(0));
  ctx.enforce(inverse ? signal_irfft_rule(a, in, request_for(ctx.output(0)))
                      : signal_rfft_rule(a, in, request_for(ctx.output(0))));
  switch (a.type) {
    case dtype::i16: return real_fft_kernel<std::int16_t>(ctx, a, inverse);
    case dtype::i32: return real_fft_kernel<std::int32_t>(ctx, a, inverse);
    default: return real_fft_kernel<float>(ctx, a, inverse);  // the rule allows f32 only besides
  }
}

/// Input: frames; output: their spectra (complex values interleaved).
inline kernel prepare_signal_rfft(const op_context& ctx) { return prepare_real_fft(ctx, false); }

/// Input: spectra; output: their frames.
inline kernel prepare_signal_irfft(const op_context& ctx) { return prepare_real_fft(ctx, true); }

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
