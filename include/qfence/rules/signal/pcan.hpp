// qfence/rules/signal/pcan.hpp: the type and shape rule of SignalPCAN
// (kernels/reference/signal/pcan.hpp).
//
//   signal_pcan  operand 0, the filter-bank energies: u32 [N]; operand 1,
//                their noise estimate: u32 [N]; operand 2, the gain table:
//                i16 [>= 125] -> u32 [N]; snr_shift in [0, 63]. TFLM reads
//                up to entry 124 of the table without checking its length.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/pcan.hpp"
#include "qfence/rules/signal/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct signal_pcan_attrs {
  std::int32_t snr_shift = 0;

  friend constexpr bool operator==(const signal_pcan_attrs&, const signal_pcan_attrs&) = default;
};

constexpr rule_result signal_pcan_rule(const signal_pcan_attrs& a, const tensor_desc& in,
                                       const tensor_desc& noise_estimate, const tensor_desc& gain_lut,
                                       const output_request& req) noexcept {
  if (!rules::is_raw_vector(in, dtype::u32)) return rule_fail(rule_error::signal_pcan_operands, 0);
  if (!rules::is_raw_vector(noise_estimate, dtype::u32) || noise_estimate.dim(0) != in.dim(0))
    return rule_fail(rule_error::signal_pcan_operands, 1);
  if (!rules::is_raw_vector(gain_lut, dtype::i16) || gain_lut.dim(0) < reference::signal::pcan_gain_lut_size)
    return rule_fail(rule_error::signal_pcan_operands, 2);
  if (a.snr_shift < 0 || a.snr_shift > 63) return rule_fail(rule_error::signal_pcan_operands, output_operand);
  return rules::same_quantization_output(in, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
