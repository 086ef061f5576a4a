// qfence/rules/signal/filter_bank.hpp: the type and shape rules of the
// filter-bank stage (kernels/reference/signal/filter_bank.hpp).
//
//   signal_filter_bank       operand 0: u32 [bins]; operands 1 and 2, the
//                            weights and unweights: i16 [W] each; operands
//                            3-5, each channel's first bin, first weight
//                            and width: i16 [>= num_channels + 1] each ->
//                            u64 [num_channels], num_channels >= 1. The
//                            tables' values must stay inside the input and
//                            the weights (checked when prepared when they
//                            are constant, and on every invoke).
//   signal_filter_bank_square_root
//                            operand 0: u64 [N]; operand 1, the shift: an
//                            i32 scalar -> u32 [N]
//   signal_filter_bank_log   operand 0: u32 [N] -> i16 [N];
//                            input_correction_bits in [0, 31]
//   signal_filter_bank_spectral_subtraction
//                            operand 0: u32 [num_channels] -> u32
//                            [num_channels], and its second output, the
//                            noise estimate, the same; smoothing_bits in
//                            [0, 31], spectral_subtraction_bits in [0, 63].
//
// Where TFLM would shift by an undefined amount (a shift option out of
// range) or read or write outside a tensor (tables shorter than its
// channel count, outputs longer than what it writes), qfence refuses.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/filter_bank.hpp"
#include "qfence/rules/signal/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct signal_filter_bank_attrs {
  std::int32_t num_channels = 0;

  friend constexpr bool operator==(const signal_filter_bank_attrs&, const signal_filter_bank_attrs&) = default;
};

/// Operands: the energies, weights, unweights, frequency starts, weight
/// starts and widths.
constexpr rule_result signal_filter_bank_rule(const signal_filter_bank_attrs& a, const tensor_desc (&in)[6],
                                              const output_request& req) noexcept {
  if (!rules::is_raw_vector(in[0], dtype::u32)) return rule_fail(rule_error::signal_filter_bank_operands, 0);
  for (int k = 1; k < 6; ++k)
    if (!rules::is_raw_vector(in[k], dtype::i16)) return rule_fail(rule_error::signal_filter_bank_operands, k);
  if (in[2].dim(0) != in[1].dim(0)) return rule_fail(rule_error::signal_filter_bank_operands, 2);
  if (a.num_channels < 1) return rule_fail(rule_error::signal_filter_bank_operands, output_operand);
  for (int k = 3; k < 6; ++k)
    if (in[k].dim(0) < std::int64_t{a.num_channels} + 1) return rule_fail(rule_error::signal_filter_bank_operands, k);
  return rules::same_quantization_output(rules::raw_vector(dtype::u64, a.num_channels), req);
}

constexpr rule_result signal_filter_bank_square_root_rule(const tensor_desc& in, const tensor_desc& shift,
                                                          const output_request& req) noexcept {
  if (!rules::is_raw_vector(in, dtype::u64)) return rule_fail(rule_error::signal_filter_bank_square_root_operands, 0);
  if (!rules::is_raw(shift, dtype::i32) || shift.rank != 0)
    return rule_fail(rule_error::signal_filter_bank_square_root_operands, 1);
  return rules::same_quantization_output(rules::raw_vector(dtype::u32, in.dim(0)), req);
}

struct signal_filter_bank_log_attrs {
  std::int32_t input_correction_bits = 0;
  std::int32_t output_scale = 0;

  friend constexpr bool operator==(const signal_filter_bank_log_attrs&, const signal_filter_bank_log_attrs&) = default;
};

constexpr rule_result signal_filter_bank_log_rule(const signal_filter_bank_log_attrs& a, const tensor_desc& in,
                                                  const output_request& req) noexcept {
  if (!rules::is_raw_vector(in, dtype::u32)) return rule_fail(rule_error::signal_filter_bank_log_operands, 0);
  if (a.input_correction_bits < 0 || a.input_correction_bits > 31)
    return rule_fail(rule_error::signal_filter_bank_log_operands, output_operand);
  return rules::same_quantization_output(rules::raw_vector(dtype::i16, in.dim(0)), req);
}

struct signal_spectral_subtraction_attrs {
  std::int32_t num_channels = 0;
  reference::signal::spectral_subtraction_config config{};

  friend constexpr bool operator==(const signal_spectral_subtraction_attrs&,
                                   const signal_spectral_subtraction_attrs&) = default;
};

/// Both outputs: the signal, then the noise estimate.
constexpr rule_result signal_spectral_subtraction_rule(const signal_spectral_subtraction_attrs& a,
                                                       const tensor_desc& in, const output_request& req) noexcept {
  if (!rules::is_raw_vector(in, dtype::u32) || in.dim(0) != a.num_channels)
    return rule_fail(rule_error::signal_spectral_subtraction_operands, 0);
  if (a.num_channels < 1 || a.config.smoothing_bits > 31 || a.config.spectral_subtraction_bits > 63)
    return rule_fail(rule_error::signal_spectral_subtraction_operands, output_operand);
  return rules::same_quantization_output(in, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
