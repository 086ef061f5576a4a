// qfence/runtime/ops/signal/pcan.hpp: SignalPCAN, a custom op of TFLM's
// signal library, which qfence ships.
#pragma once

#include <cstdint>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/pcan.hpp"
#include "qfence/rules/signal/pcan.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

inline constexpr std::string_view signal_pcan_code = "SignalPCAN";

namespace ops {

/// Inputs: the energies, their noise estimate, the gain table; output: the
/// gain-controlled energies.
inline kernel prepare_signal_pcan(const op_context& ctx) {
  ctx.require_io(3, 3, 1);
  const signal_pcan_attrs a = ctx.options().signal_pcan;
  ctx.enforce(signal_pcan_rule(a, describe(ctx.input(0)), describe(ctx.input(1)), describe(ctx.input(2)),
                               request_for(ctx.output(0))));
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), noise_t = ctx.input_index(1), lut_t = ctx.input_index(2),
            out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    reference::signal::pcan(m.at<const std::uint32_t>(in_t), m.at<const std::uint32_t>(noise_t),
                            m.at<const std::int16_t>(lut_t), n, a.snr_shift, m.at<std::uint32_t>(out_t));
  };
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
