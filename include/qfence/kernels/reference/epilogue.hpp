// qfence/kernels/reference/epilogue.hpp: reference kernel code of op_support
// (moved from ops/op_support.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/constant.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/tensor_desc.hpp"
#include "qfence/core/tensor_type.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// How a float conv-like kernel (conv2d, depthwise_conv2d) turns an output
/// element's accumulator into the output: bias, then the fused activation.
struct add_bias_and_clamp {
  const float* bias;  // or nullptr
  float_range act;
  float* output;
  void operator()(int at, int channel, float acc) const noexcept {
    output[at] = apply(act, acc + (bias != nullptr ? bias[channel] : 0.0f));
  }
};

/// The 8-bit counterpart (TFLite's per-channel conv epilogue): int32 bias,
/// the channel's fixed-point multiplier, the output zero point, the clamp.
template <class T>
struct requantize_per_channel {
  const std::int32_t* bias;  // or nullptr
  const quantized_multiplier* multipliers;
  std::int32_t output_offset;
  int_range act;
  T* output;
  void operator()(int at, int channel, std::int32_t acc) const noexcept {
    if (bias != nullptr) acc += bias[channel];
    acc = multiply_by_quantized_multiplier(acc, multipliers[channel]) + output_offset;
    output[at] = static_cast<T>(apply(act, acc));
  }
};

/// The int16x8 epilogue (TFLite's int16 ConvPerChannel / TransposeConv):
/// 64-bit accumulator and bias, the 64-bit multiply, int16 output.
template <class Bias>
struct requantize_per_channel_wide {
  const Bias* bias;  // int64 (or int32), or nullptr
  const quantized_multiplier* multipliers;
  std::int32_t output_offset;
  int_range act;
  std::int16_t* output;
  void operator()(int at, int channel, std::int64_t acc) const noexcept {
    if (bias != nullptr) acc += bias[channel];
    const std::int32_t v = multiply_by_quantized_multiplier_wide(acc, multipliers[channel]) + output_offset;
    output[at] = static_cast<std::int16_t>(apply(act, v));
  }
};

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
