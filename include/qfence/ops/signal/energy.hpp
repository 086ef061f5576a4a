// qfence/ops/signal/energy.hpp: SignalEnergy (TFLM's signal library) as a
// typed node (rules/signal/energy.hpp; kernels/reference/signal/energy.hpp).
//
//   qf::signal_energy<StartIndex, EndIndex>(qf::ref<spectrum>)   i16 [2 * bins] -> u32 [bins]
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/energy.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/signal/energy.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct signal_energy {
  static constexpr const char* name = "signal_energy";  // a TFLM custom op: no builtin code
};
}  // namespace op

template <int StartIndex, int EndIndex, int X>
struct signal_energy_node {
  using op = op::signal_energy;
  using inputs = refs<X>;
  static constexpr signal_energy_attrs attrs{StartIndex, EndIndex};

  template <class In>
  struct rule {
    static constexpr rule_result value = signal_energy_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    return true;
  }

  template <int Index, class In>
  struct typed {
    using output = rule_output_type<rule<In>>;
    static void run(const signal_energy_node&, const std::int16_t* spectrum, std::uint32_t* out) {
      reference::signal::energy(spectrum, StartIndex, EndIndex, output::elements, out);
    }
  };
};

/// re^2 + im^2 of the bins [StartIndex, EndIndex); 0 in the others.
template <int StartIndex, int EndIndex, int X>
constexpr auto signal_energy(node_ref<X>) {
  return signal_energy_node<StartIndex, EndIndex, X>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
