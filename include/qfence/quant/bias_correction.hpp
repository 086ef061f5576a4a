// qfence/quant/bias_correction.hpp: the mean shift that rounding a layer's
// weights adds to each output channel, which quantization folds into the
// bias. One computation for `qfence quantize` (quant/quantize_model.hpp) and
// qfence::quantize at compile time (quant/quantize_graph.hpp), so both give
// the same biases for the same calibration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// The mean shift that rounding the weights adds to each output channel of
/// a convolution, depthwise convolution or fully connected layer:
/// shift[o] = sum over its weights of (dequantized - float weight) x the
/// mean of the input channel it multiplies (bias correction, Nagel et al.
/// 2019, section 4.2, with the input means measured in calibration rather
/// than taken from batch normalisation). Inputs are not centred (after a
/// ReLU never), so the rounding errors do not average out; subtracting the
/// shift from the bias cancels it in expectation.
///
/// How many output channels (biases) a layer of `code` with weights of
/// `shape` has: the first axis, the last for DEPTHWISE_CONV_2D; 0 for an op
/// weight_rounding_shift does not know.
constexpr std::size_t weight_rounding_channels(runtime::op_code code, std::span<const int> shape) noexcept {
  using runtime::op_code;
  if (code == op_code::conv_2d && shape.size() == 4) return static_cast<std::size_t>(shape[0]);
  if (code == op_code::depthwise_conv_2d && shape.size() == 4) return static_cast<std::size_t>(shape[3]);
  if (code == op_code::fully_connected && shape.size() == 2) return static_cast<std::size_t>(shape[0]);
  return 0;
}

/// `weights` (float, of `shape` in TFLite's layout), `quantized` (int8) with
/// `scales` (one, or one per output channel); `shift` gets one value per
/// output channel (weight_rounding_channels of them). Returns false,
/// leaving `shift` alone, when the op is none of the three or `input_means`
/// (one per input channel) or `shift` do not fit the weights.
constexpr bool weight_rounding_shift(runtime::op_code code, std::span<const int> shape,
                                     std::span<const float> weights, std::span<const std::int8_t> quantized,
                                     std::span<const float> scales, std::span<const double> input_means,
                                     std::span<double> shift) {
  using runtime::op_code;
  const std::size_t outputs = weight_rounding_channels(code, shape);
  if (outputs == 0 || input_means.empty() || quantized.size() != weights.size() || shift.size() != outputs ||
      (scales.size() != 1 && scales.size() != outputs))
    return false;
  const std::size_t in_c = input_means.size();
  const auto dims = [&](std::size_t d) { return static_cast<std::size_t>(shape[d]); };
  const auto error = [&](std::size_t e, std::size_t o) {
    return static_cast<double>(quantized[e]) * scales[scales.size() == 1 ? 0 : o] - static_cast<double>(weights[e]);
  };
  // The input channels each weight multiplies must be the means' channels.
  const bool fits = code == op_code::depthwise_conv_2d ? outputs % in_c == 0 : dims(shape.size() - 1) == in_c;
  if (!fits) return false;
  for (double& s : shift) s = 0.0;
  if (code == op_code::conv_2d) {
    const std::size_t per_output = dims(1) * dims(2) * dims(3);
    for (std::size_t e = 0; e < weights.size(); ++e)
      shift[e / per_output] += error(e, e / per_output) * input_means[e % in_c];
  } else if (code == op_code::depthwise_conv_2d) {
    const std::size_t multiplier = outputs / in_c;
    for (std::size_t e = 0; e < weights.size(); ++e)
      shift[e % outputs] += error(e, e % outputs) * input_means[(e % outputs) / multiplier];
  } else {  // fully_connected
    for (std::size_t e = 0; e < weights.size(); ++e) shift[e / in_c] += error(e, e / in_c) * input_means[e % in_c];
  }
  return true;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
