// qfence/runtime/ops/signal/energy.hpp: SignalEnergy, a custom op of TFLM's
// signal library, which qfence ships.
#pragma once

#include <cstdint>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/energy.hpp"
#include "qfence/rules/signal/energy.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

inline constexpr std::string_view signal_energy_code = "SignalEnergy";

namespace ops {

/// Input: an int16 complex spectrum; output: the energy of each bin.
inline kernel prepare_signal_energy(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const signal_energy_attrs a = ctx.options().signal_energy;
  ctx.enforce(signal_energy_rule(a, describe(ctx.input(0)), request_for(ctx.output(0))));
  const std::int64_t bins = ctx.output(0).elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    reference::signal::energy(m.at<const std::int16_t>(in_t), a.start_index, a.end_index, bins,
                              m.at<std::uint32_t>(out_t));
  };
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
