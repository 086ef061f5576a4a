// qfence/kernels/arguments.hpp: what each Highway kernel takes besides its
// geometry (which comes as a kernel parameter, kernels/parameter.hpp).
// Pointers to packed data point at the layouts of kernels/packed_conv.hpp.
#pragma once

#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// A quantized CONV_2D (groups of 1) or FULLY_CONNECTED (a 1x1 convolution
/// of one pixel per row) with per-channel requantization: T = std::int8_t
/// (int8 weights, per channel) or std::uint8_t (legacy uint8 weights with a
/// zero point, per tensor).
template <class T>
struct conv2d_quantized_args {
  const T* input;                // NHWC
  const std::int8_t* weights;    // pack_conv_weights
  const std::int32_t* epilogue;  // pack_conv_epilogue
  const T* pad_row;              // padded_segment() bytes of the input zero point
  std::int32_t output_zero_point;
  int_range act;
  T* output;  // NHWC
  /// uint8 only: 128 - the weight zero point; each output pixel's
  /// accumulator gains it times the sum of the input bytes its window reads
  /// (kernels/packed_conv.hpp).
  std::int32_t input_sum_factor = 0;
};
using conv2d_int8_args = conv2d_quantized_args<std::int8_t>;
using conv2d_uint8_args = conv2d_quantized_args<std::uint8_t>;

/// How a hybrid layer (TFLite's dynamic-range scheme: the float input
/// quantized to int8 at every invoke, int8 weights, float output;
/// kernels/reference/hybrid.hpp) turns channel c's int32 sum into its
/// output: x = float(acc) * scale[c], then * input_scale when
/// `then_input_scale`, then + bias[c] when bias is not null, then clamped to
/// `act` as std::min(std::max(x, lo), hi) (the convolutions'
/// ActivationFunctionWithMinMax), or as std::max(lo, std::min(x, hi)) when
/// `clamp_fully_connected` (ApplyActivationToVector): each TFLite kernel's
/// order of operations, which the SIMD lanes keep (float_epilogue-inl.hpp,
/// StoreHybrid). `scale` and `bias` hold a vector's worth past the last
/// channel.
struct hybrid_ending {
  const float* scale;
  float input_scale;
  bool then_input_scale;
  const float* bias;
  float_range act;
  bool clamp_fully_connected;

  constexpr float operator()(int c, std::int32_t acc) const noexcept {
    float x = static_cast<float>(acc) * scale[c];
    if (then_input_scale) x *= input_scale;
    if (bias != nullptr) x += bias[c];
    if (clamp_fully_connected) {
      const float y = act.max < x ? act.max : x;  // std::min(x, hi)
      return act.min < y ? y : act.min;          // std::max(lo, y)
    }
    const float y = x < act.min ? act.min : x;  // std::max(x, lo)
    return act.max < y ? act.max : y;           // std::min(y, hi)
  }
};

/// One batch of a hybrid CONV_2D (groups of 1) or FULLY_CONNECTED on the
/// int8 convolution kernel's tiles (conv2d-inl.hpp, Conv2DHybrid).
struct conv2d_hybrid_args {
  const std::int8_t* input;      // the quantized input, NHWC
  const std::int8_t* weights;    // pack_conv_weights
  const std::int32_t* epilogue;  // padded_out_c: where the sums start, -(zero point + 128) * sum(w)
  const std::int8_t* pad_row;    // padded_segment() bytes of the input's zero point
  hybrid_ending ending;
  float* output;                      // NHWC
  std::int32_t input_sum_factor = 0;  // the uint8 kernel's term: none here
};

/// One batch of a hybrid DEPTHWISE_CONV_2D on the int8 depthwise kernel
/// (depthwise_conv2d-inl.hpp, DepthwiseConv2DHybrid).
struct depthwise_hybrid_args {
  const std::int8_t* input;      // the quantized input, NHWC
  const std::int16_t* weights;   // pack_depthwise_weights
  const std::int32_t* epilogue;  // padded channels: where the sums start, -zero point * sum(w)
  const std::int8_t* pad_row;    // padded channels of the input's zero point
  hybrid_ending ending;
  float* output;  // NHWC
};

/// The element types a kernel's arguments read and write
/// (conv2d_quantized_args<T>: T and T; the hybrid ones: int8 and float).
template <class Args>
using input_element = std::remove_const_t<std::remove_pointer_t<decltype(Args::input)>>;
template <class Args>
using output_element = std::remove_pointer_t<decltype(Args::output)>;

/// An int16x8 CONV_2D (groups of 1): int16 activations with zero point 0,
/// int8 weights as the model stores them, a 64-bit (or 32-bit) bias, as
/// reference::conv2d takes it.
template <class Bias>
struct conv2d_int16x8_args {
  const std::int16_t* input;                // NHWC
  const std::int8_t* filter;                // OHWI
  const Bias* bias;                         // [out_c], or nullptr
  const quantized_multiplier* multipliers;  // [out_c]
  std::int32_t output_offset;
  int_range act;
  std::int16_t* output;  // NHWC
};

/// An int16x8 CONV_2D (groups of 1) for the Highway kernel: the layer, its
/// bias widened to int64 (an int32 bias is added to the same int64 sum:
/// one kernel serves both), and its weights packed in pairs
/// (pack_conv_weights with conv_packing::for_filter(..., 2)) with a row of
/// zero inputs, what padding taps read (the activations' zero point is 0).
struct conv2d_int16x8_packed_args {
  conv2d_int16x8_args<std::int64_t> layer;  // `filter` as stored: the one-lane target runs the reference on it
  const std::int8_t* weights;               // packed
  const std::int16_t* pad_row;              // padded_segment() zeros
};

/// A quantized DEPTHWISE_CONV_2D (any depth multiplier) with per-channel
/// requantization, T = std::int8_t or std::uint8_t (as conv2d_quantized_args).
template <class T>
struct depthwise_quantized_args {
  const T* input;                 // NHWC
  const std::int16_t* weights;    // pack_depthwise_weights: [tap][padded channels], widened
  const std::int32_t* epilogue;   // pack_depthwise_epilogue
  const T* pad_row;               // padded channels of the input zero point
  std::int32_t output_zero_point;
  int_range act;
  T* output;  // NHWC
};
using depthwise_int8_args = depthwise_quantized_args<std::int8_t>;
using depthwise_uint8_args = depthwise_quantized_args<std::uint8_t>;

/// An int8 SVDF with an int16 or int8 state (State), as
/// reference::svdf takes it.
template <class State>
struct svdf_args {
  const std::int8_t* input;            // [batches, input_size]
  const std::int8_t* weights_feature;  // [filters, input_size]
  const State* weights_time;           // [filters, memory]
  const std::int32_t* bias;            // [units], or nullptr
  State* state;                        // [batches, filters * memory], updated in place
  std::int32_t* scratch;               // batches * (filters + units)
  std::int8_t* output;                 // [batches, units]
};

/// A float CONV_2D (groups of 1) or FULLY_CONNECTED (a 1x1 convolution of
/// one pixel per row).
struct conv2d_float_args {
  const float* input;    // NHWC
  const float* weights;  // pack_conv_float: [tap][in_c][padded out_c]
  const float* bias;     // padded out_c (0 where the layer has none)
  float_range act;
  float* output;  // NHWC
};

/// A float DEPTHWISE_CONV_2D (any depth multiplier), on the model's own
/// filter: nothing packed.
struct depthwise_float_args {
  const float* input;    // NHWC
  const float* weights;  // [filter_h][filter_w][out_c], as TFLite stores it
  const float* bias;     // out_c, or null
  float_range act;
  float* output;  // NHWC
};

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
