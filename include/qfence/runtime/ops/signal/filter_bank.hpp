// qfence/runtime/ops/signal/filter_bank.hpp: SignalFilterBank,
// SignalFilterBankSquareRoot, SignalFilterBankLog and
// SignalFilterBankSpectralSubtraction, custom ops of TFLM's signal library,
// which qfence ships.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/signal/filter_bank.hpp"
#include "qfence/rules/signal/filter_bank.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

inline constexpr std::string_view signal_filter_bank_code = "SignalFilterBank";
inline constexpr std::string_view signal_filter_bank_square_root_code = "SignalFilterBankSquareRoot";
inline constexpr std::string_view signal_filter_bank_log_code = "SignalFilterBankLog";
inline constexpr std::string_view signal_filter_bank_spectral_subtraction_code = "SignalFilterBankSpectralSubtraction";

namespace ops {

/// Inputs: the energies, weights, unweights, first bins, first weights,
/// widths; output: each channel's weighted sum. Constant tables (every
/// converted model's) are checked here; others on every invoke, which ends
/// early when they point outside the input or the weights.
inline kernel prepare_signal_filter_bank(const op_context& ctx) {
  ctx.require_io(6, 6, 1);
  const signal_filter_bank_attrs a = ctx.options().signal_filter_bank;
  const tensor_desc in[6] = {describe(ctx.input(0)), describe(ctx.input(1)), describe(ctx.input(2)),
                             describe(ctx.input(3)), describe(ctx.input(4)), describe(ctx.input(5))};
  ctx.enforce(signal_filter_bank_rule(a, in, request_for(ctx.output(0))));
  const std::int64_t bins = in[0].dims[0], weights = in[1].dims[0], channels = std::int64_t{a.num_channels} + 1;
  if (ctx.input(3).constant && ctx.input(4).constant && ctx.input(5).constant) {
    // Copied out: a flatbuffer's small buffers keep no alignment promise.
    std::vector<std::int16_t> tables[3];
    for (int k = 0; k < 3; ++k) {
      const tensor& c = ctx.input(3 + k);
      tables[k].resize(static_cast<std::size_t>(c.elements()));
      std::memcpy(tables[k].data(), c.data.data(), std::min(c.data.size(), tables[k].size() * sizeof(std::int16_t)));
    }
    const reference::signal::filter_bank_tables t{nullptr, nullptr, weights, tables[0].data(), tables[1].data(),
                                                  tables[2].data(), channels};
    ctx.require(reference::signal::filter_bank_tables_fit(t, bins),
                "the channel tables (inputs 3-5) point outside the " + std::to_string(bins) + " energies or the " +
                    std::to_string(weights) + " weights (TFLM would read outside them)");
  }
  const int t_in[6] = {ctx.input_index(0), ctx.input_index(1), ctx.input_index(2),
                       ctx.input_index(3), ctx.input_index(4), ctx.input_index(5)};
  const int out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    const reference::signal::filter_bank_tables t{
        m.at<const std::int16_t>(t_in[1]), m.at<const std::int16_t>(t_in[2]), weights,
        m.at<const std::int16_t>(t_in[3]), m.at<const std::int16_t>(t_in[4]), m.at<const std::int16_t>(t_in[5]),
        channels};
    if (!reference::signal::filter_bank(m.at<const std::uint32_t>(t_in[0]), bins, t, m.at<std::uint64_t>(out_t)))
      m.end_invoke = true;
  };
}

/// Inputs: the sums, the shift (an i32 scalar); output: their square roots.
inline kernel prepare_signal_filter_bank_square_root(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  ctx.enforce(signal_filter_bank_square_root_rule(describe(ctx.input(0)), describe(ctx.input(1)),
                                                  request_for(ctx.output(0))));
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), shift_t = ctx.input_index(1), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    reference::signal::filter_bank_square_root(m.at<const std::uint64_t>(in_t), n, *m.at<const std::int32_t>(shift_t),
                                               m.at<std::uint32_t>(out_t));
  };
}

inline kernel prepare_signal_filter_bank_log(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const signal_filter_bank_log_attrs a = ctx.options().signal_filter_bank_log;
  ctx.enforce(signal_filter_bank_log_rule(a, describe(ctx.input(0)), request_for(ctx.output(0))));
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    reference::signal::filter_bank_log(m.at<const std::uint32_t>(in_t), n,
                                       static_cast<std::uint32_t>(a.output_scale),
                                       static_cast<std::uint32_t>(a.input_correction_bits),
                                       m.at<std::int16_t>(out_t));
  };
}

/// Input: the channels; outputs: the channels less their noise, the noise
/// estimate. The estimate lives across invokes (zero after a reset, as
/// TFLM's persistent buffer); output 1 is a copy of it.
inline kernel prepare_signal_filter_bank_spectral_subtraction(const op_context& ctx) {
  ctx.require_io(1, 1, 2);
  const signal_spectral_subtraction_attrs a = ctx.options().signal_spectral_subtraction;
  const tensor_desc in = describe(ctx.input(0));
  ctx.enforce_output(signal_spectral_subtraction_rule(a, in, request_for(ctx.output(0))), 0);
  ctx.enforce_output(signal_spectral_subtraction_rule(a, in, request_for(ctx.output(1))), 1);
  const auto n = static_cast<std::size_t>(a.num_channels);
  auto noise = ctx.kept_state<std::uint32_t>(n);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0), noise_t = ctx.output_index(1);
  return [=](const tensor_memory& m) {
    reference::signal::spectral_subtraction(a.config, m.at<const std::uint32_t>(in_t), static_cast<std::int64_t>(n),
                                            noise->data(), m.at<std::uint32_t>(out_t));
    std::memcpy(m.at<std::uint32_t>(noise_t), noise->data(), n * sizeof(std::uint32_t));
  };
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
