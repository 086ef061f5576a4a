// qfence/rules/signal/energy.hpp: the type and shape rule of SignalEnergy
// (kernels/reference/signal/energy.hpp).
//
//   signal_energy  operand 0, an int16 complex spectrum: i16 [2 * bins]
//                  (real, imaginary interleaved) -> u32 [bins];
//                  0 <= start_index and end_index <= bins (TFLM does not
//                  check them and reads and writes outside the tensors).
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/signal/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The bins [start_index, end_index) whose energy is computed.
struct signal_energy_attrs {
  std::int32_t start_index = 0, end_index = 0;

  friend constexpr bool operator==(const signal_energy_attrs&, const signal_energy_attrs&) = default;
};

constexpr rule_result signal_energy_rule(const signal_energy_attrs& a, const tensor_desc& spectrum,
                                         const output_request& req) noexcept {
  if (!rules::is_raw_vector(spectrum, dtype::i16) || spectrum.dim(0) % 2 != 0)
    return rule_fail(rule_error::signal_energy_operands, 0);
  const std::int64_t bins = spectrum.dim(0) / 2;
  if (a.start_index < 0 || a.end_index > bins) return rule_fail(rule_error::signal_energy_operands, output_operand);
  return rules::same_quantization_output(rules::raw_vector(dtype::u32, bins), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
