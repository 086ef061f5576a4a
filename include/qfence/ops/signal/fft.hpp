// qfence/ops/signal/fft.hpp: SignalRfft and SignalIrfft (TFLM's signal
// library) as typed nodes (rules/signal/fft.hpp;
// kernels/reference/signal/fft.hpp).
//
//   qf::signal_rfft<FftLength>(qf::ref<frames>)     i16 / i32 / f32 [..., L] -> [..., 2 * (FftLength / 2 + 1)]
//   qf::signal_irfft<FftLength>(qf::ref<spectra>)   [..., 2 * (FftLength / 2 + 1)] -> [..., FftLength]
//
// The op's T is its operand's dtype. The plan (twiddles from cos and sin,
// as KISS FFT computes them) is made on the node's first invoke, once per
// program, in static storage; the butterflies work in the node's scratch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/kernels/reference/signal/fft.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/signal/fft.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct signal_rfft {
  static constexpr const char* name = "signal_rfft";  // TFLM custom ops: no builtin code
};
struct signal_irfft {
  static constexpr const char* name = "signal_irfft";
};
}  // namespace op

namespace detail {
/// The plan of a real FFT of FftLength over scalar T, made once.
template <class T, int FftLength, bool Inverse>
const reference::signal::real_fft_plan<T>& static_real_fft_plan() {
  static std::array<reference::signal::fft_complex<T>, reference::signal::real_fft_plan_values(FftLength)> tables{};
  static const reference::signal::real_fft_plan<T> plan =
      reference::signal::make_real_fft_plan<T>(FftLength, Inverse, tables);
  return plan;
}
}  // namespace detail

template <bool Inverse, int FftLength, int X>
struct signal_real_fft_node {
  using op = std::conditional_t<Inverse, op::signal_irfft, op::signal_rfft>;
  using inputs = refs<X>;

  template <class In>
  struct rule {
    static constexpr signal_fft_attrs attrs{In::type, FftLength};
    static constexpr rule_result value = Inverse ? signal_irfft_rule(attrs, describe<In>(), requested_output<>())
                                                 : signal_rfft_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    return true;
  }

  template <int Index, class In>
  struct typed {
    using output = rule_output_type<rule<In>>;
    using T = typename In::element;
    static constexpr std::size_t scratch_values = reference::signal::real_fft_scratch_values(FftLength);
    static constexpr std::size_t scratch_bytes = scratch_values * sizeof(reference::signal::fft_complex<T>);

    static void run(const signal_real_fft_node&, const T* in, T* out, void* scratch) {
      const auto& plan = detail::static_real_fft_plan<T, FftLength, Inverse>();
      auto* work = detail::begin_lifetime<reference::signal::fft_complex<T>>(static_cast<std::byte*>(scratch),
                                                                              scratch_values);
      constexpr std::int64_t length = In::shape_type::dim(static_cast<int>(In::rank) - 1), frames = In::elements / length;
      if constexpr (Inverse) reference::signal::irfft(plan, in, frames, out, work);
      else reference::signal::rfft(plan, in, frames, length, out, work);
    }
  };
};

/// Each frame's spectrum (complex values interleaved), frames zero-padded to FftLength.
template <int FftLength, int X>
constexpr auto signal_rfft(node_ref<X>) {
  return signal_real_fft_node<false, FftLength, X>{};
}
/// Each spectrum's frame of FftLength values.
template <int FftLength, int X>
constexpr auto signal_irfft(node_ref<X>) {
  return signal_real_fft_node<true, FftLength, X>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
