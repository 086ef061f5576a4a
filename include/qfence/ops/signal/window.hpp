// qfence/ops/signal/window.hpp: SignalWindow and SignalFftAutoScale (TFLM's
// signal library) as typed nodes (rules/signal/window.hpp;
// kernels/reference/signal/window.hpp).
//
//   qf::signal_window<Shift>(qf::ref<x>, qf::ref<window>)   i16 x, i16 window [frame]
//   qf::signal_fft_auto_scale(qf::ref<x>)                   i16 [N]: x shifted left
//   qf::signal_fft_auto_scale_shift(qf::ref<x>)             i32 scalar: the shift
//
// The op's two outputs are two nodes of the same input; each finds the
// frame's largest magnitude (a pass over N values) for itself.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/window.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/signal/window.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct signal_window {
  static constexpr const char* name = "signal_window";  // a TFLM custom op: no builtin code
};
struct signal_fft_auto_scale {
  static constexpr const char* name = "signal_fft_auto_scale";
};
}  // namespace op

template <int Shift, int X, int Window>
struct signal_window_node {
  using op = op::signal_window;
  using inputs = refs<X, Window>;
  static constexpr signal_window_attrs attrs{Shift};

  template <class In, class W>
  struct rule {
    static constexpr rule_result value = signal_window_rule(attrs, describe<In>(), describe<W>(), requested_output<>());
  };

  template <int Index, class In, class W>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In, W>, producer<In>, producer<W>>()))
    return true;
  }

  template <int Index, class In, class W>
  struct typed {
    using output = rule_output_type<rule<In, W>>;
    static void run(const signal_window_node&, const std::int16_t* x, const std::int16_t* window, std::int16_t* out) {
      reference::signal::apply_window(x, window, W::elements, In::elements, Shift, out);
    }
  };
};

/// x[i] * window[i % frame] >> Shift, saturated to i16.
template <int Shift, int X, int Window>
constexpr auto signal_window(node_ref<X>, node_ref<Window>) {
  return signal_window_node<Shift, X, Window>{};
}

/// Output 0 (`Shift` false: the shifted frame) or 1 (the shift).
template <bool Shift, int X>
struct signal_fft_auto_scale_node {
  using op = op::signal_fft_auto_scale;
  using inputs = refs<X>;

  template <class In>
  struct rule {
    static constexpr rule_result value = Shift
                                             ? signal_fft_auto_scale_shift_rule(describe<In>(), requested_output<>())
                                             : signal_fft_auto_scale_rule(describe<In>(), requested_output<>());
  };

  template <int Index, class In>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    return true;
  }

  template <int Index, class In>
  struct typed {
    using output = rule_output_type<rule<In>>;
    static void run(const signal_fft_auto_scale_node&, const std::int16_t* x, typename output::element* out) {
      if constexpr (Shift) *out = reference::signal::fft_auto_scale_bits(x, In::elements);
      else (void)reference::signal::fft_auto_scale(x, In::elements, out);
    }
  };
};

/// The frame shifted left as far as its largest magnitude allows.
template <int X>
constexpr auto signal_fft_auto_scale(node_ref<X>) {
  return signal_fft_auto_scale_node<false, X>{};
}
/// That shift, an i32 scalar.
template <int X>
constexpr auto signal_fft_auto_scale_shift(node_ref<X>) {
  return signal_fft_auto_scale_node<true, X>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
