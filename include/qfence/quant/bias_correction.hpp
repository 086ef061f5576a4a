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
  // The input channels each weight multiplies must be the means' channels.
  const bool fits = code == op_code::depthwise_conv_2d ? outputs % in_c == 0 : dims(shape.size() - 1) == in_c;
  if (!fits) return false;
  // Raw pointers and no call per weight: qfence::quantize runs this in a
  // constant expression, where the compiler counts every step (a layer of
  // 16,384 weights took Clang 14 past its default limit through span
  // indexing and a lambda a weight). Each channel's sum adds the same
  // terms in the same order as one pass over the weights would.
  const float* w = weights.data();
  const std::int8_t* q = quantized.data();
  const double* means = input_means.data();
  const auto scale = [&](std::size_t o) { return static_cast<double>(scales[scales.size() == 1 ? 0 : o]); };
  if (code == op_code::depthwise_conv_2d) {
    // [1][h][w][outputs]: output o reads input channel o / multiplier.
    const std::size_t multiplier = outputs / in_c;
    for (std::size_t o = 0; o < outputs; ++o) shift[o] = 0.0;
    for (std::size_t at = 0; at < weights.size(); at += outputs)
      for (std::size_t o = 0; o < outputs; ++o)
        shift[o] += (static_cast<double>(q[at + o]) * scale(o) - static_cast<double>(w[at + o])) * means[o / multiplier];
  } else {
    // conv_2d [outputs][h][w][in_c], fully_connected [outputs][in_c]: each
    // output's weights in a row, input channels innermost.
    const std::size_t per_output = weights.size() / outputs;
    for (std::size_t o = 0; o < outputs; ++o) {
      const double s = scale(o);
      double sum = 0.0;
      for (std::size_t at = o * per_output, end = at + per_output; at < end; at += in_c)
        for (std::size_t c = 0; c < in_c; ++c)
          sum += (static_cast<double>(q[at + c]) * s - static_cast<double>(w[at + c])) * means[c];
      shift[o] = sum;
    }
  }
  return true;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
