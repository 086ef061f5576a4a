// qfence/ops/signal/pcan.hpp: SignalPCAN (TFLM's signal library) as a typed
// node (rules/signal/pcan.hpp; kernels/reference/signal/pcan.hpp).
//
//   qf::signal_pcan<SnrShift>(qf::ref<energies>, qf::ref<noise_estimate>, qf::ref<gain_lut>)
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/pcan.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/signal/pcan.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct signal_pcan {
  static constexpr const char* name = "signal_pcan";  // a TFLM custom op: no builtin code
};
}  // namespace op

template <int SnrShift, int X, int Noise, int Lut>
struct signal_pcan_node {
  using op = op::signal_pcan;
  using inputs = refs<X, Noise, Lut>;
  static constexpr signal_pcan_attrs attrs{SnrShift};

  template <class In, class N, class L>
  struct rule {
    static constexpr rule_result value =
        signal_pcan_rule(attrs, describe<In>(), describe<N>(), describe<L>(), requested_output<>());
  };

  template <int Index, class In, class N, class L>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In, N, L>, producer<In>, producer<N>, producer<L>>()))
    return true;
  }

  template <int Index, class In, class N, class L>
  struct typed {
    using output = rule_output_type<rule<In, N, L>>;
    static void run(const signal_pcan_node&, const std::uint32_t* x, const std::uint32_t* noise,
                    const std::int16_t* lut, std::uint32_t* out) {
      reference::signal::pcan(x, noise, lut, In::elements, SnrShift, out);
    }
  };
};

/// Per-channel gain control of `energies` by their noise estimate.
template <int SnrShift, int X, int Noise, int Lut>
constexpr auto signal_pcan(node_ref<X>, node_ref<Noise>, node_ref<Lut>) {
  return signal_pcan_node<SnrShift, X, Noise, Lut>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
