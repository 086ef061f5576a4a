// qfence/ops/op_support.hpp: checks and helpers shared by the op headers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/constant.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/tensor_type.hpp"
#include "qfence/graph/node_ref.hpp"
#include "qfence/ops/options.hpp"

namespace qfence {

/// No bias for a conv / fully connected layer.
struct no_bias_t {};
inline constexpr no_bias_t no_bias{};

namespace reference {

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

}  // namespace reference

namespace detail {

template <class T> inline constexpr bool is_f32 = T::type == dtype::f32;
template <class T> inline constexpr bool is_i8_per_tensor =
    T::type == dtype::i8 && T::quant::quantized && !T::quant::is_per_channel;

/// The activation tensor of a quantized/float op must be f32 or per-tensor
/// quantized int8 (more dtypes arrive with the TFLite importer).
template <int Index, class Op, int Input, class In>
constexpr bool require_f32_or_i8() {
  QFENCE_REQUIRE(is_f32<In> || is_i8_per_tensor<In>, (at_node<Index, Op>, operand<Input>, producer<In>),
                 "qfence: this op takes an f32 tensor or an i8 tensor with per-tensor quantization. "
                 "fix: insert qfence::quantize<...> or qfence::dequantize before it, or fence it")
  return true;
}

/// The output quantization a quantized op was given with out<...>; a float op
/// must not be given one.
template <int Index, class Op, class In, class... Opts>
constexpr bool require_output_quantization() {
  constexpr bool given = has_option<option_kind::output_quantization, Opts...>;
  QFENCE_REQUIRE(!In::quant::quantized || given, (at_node<Index, Op>, producer<In>),
                 "qfence: this node has a quantized input but no output quantization. "
                 "fix: add qfence::out<qfence::per_tensor<scale, zero_point>> (from calibration or the model)")
  QFENCE_REQUIRE(In::quant::quantized || !given, (at_node<Index, Op>, producer<In>),
                 "qfence: out<...> was given to a node whose input is float; float ops produce float. "
                 "fix: remove out<...>, or quantize the input first")
  return true;
}

/// Output type of a quantized-or-float op whose output quantization is chosen
/// by out<...>.
template <class In, class Shape, class... Opts>
using requantized_output =
    std::conditional_t<In::quant::quantized,
                       tensor<option_or<option_kind::output_quantization, out_t<per_tensor<1.0f, 0>>, Opts...>::type,
                              Shape,
                              typename option_or<option_kind::output_quantization, out_t<per_tensor<1.0f, 0>>,
                                                 Opts...>::quant>,
                       tensor<dtype::f32, Shape>>;

template <class... Opts>
inline constexpr activation fused_activation_of = option_or<option_kind::fused_activation, fused_t<activation::none>, Opts...>::value;

/// Clamp range of a fused activation for output type Out.
template <class Out, class... Opts>
constexpr auto activation_range_for() {
  if constexpr (Out::quant::quantized) {
    return quantized_activation_range<typename Out::element>(fused_activation_of<Opts...>, Out::quant::scale,
                                                             Out::quant::zero_point);
  } else {
    return float_activation_range(fused_activation_of<Opts...>);
  }
}

/// Per-output-channel requantization multipliers of a conv-like layer, as
/// TFLite's PopulateConvolutionQuantizationParams computes them (in double:
/// input_scale * filter_scale / output_scale).
template <class In, class W, class Out, std::size_t Channels>
constexpr std::array<quantized_multiplier, Channels> per_channel_multipliers() {
  std::array<quantized_multiplier, Channels> m{};
  for (std::size_t c = 0; c < Channels; ++c) {
    const float filter_scale = W::quant::is_per_channel ? W::quant::scale_at(c) : W::quant::scale_at(0);
    const double effective = static_cast<double>(In::quant::scale) * static_cast<double>(filter_scale) /
                             static_cast<double>(Out::quant::scale);
    m[c] = quantize_multiplier(effective);
  }
  return m;
}

template <class Q>
constexpr bool all_zero_points_zero() {
  if constexpr (Q::quantized) {
    for (std::size_t c = 0; c < Q::channels; ++c)
      if (Q::zero_point_at(c) != 0) return false;
  }
  return true;
}

template <class Q>
constexpr int per_channel_axis() {
  if constexpr (Q::is_per_channel) {
    return Q::axis;
  } else {
    return -1;
  }
}

template <class B> struct bias_tensor { using type = void; };
template <class T> struct bias_tensor<constant<T>> { using type = T; };
template <class B> using bias_tensor_t = typename bias_tensor<B>::type;

/// The bias type a layer with input In and C output channels takes.
template <class In, int C>
using expected_bias = tensor<In::type == dtype::f32 ? dtype::f32 : dtype::i32, shape<C>>;

/// A bias fits a layer with input In and C output channels when it is f32 for
/// a float layer or i32 for an int8 layer, of shape [C]; no_bias always fits.
template <class B, class In, int C>
constexpr bool bias_fits() {
  if constexpr (std::is_same_v<B, no_bias_t>) {
    return true;
  } else {
    using T = bias_tensor_t<B>;
    return T::type == expected_bias<In, C>::type && std::is_same_v<typename T::shape_type, shape<C>>;
  }
}

/// The bias data, or a null pointer of the accumulator type for no_bias.
template <class In, class B>
constexpr auto bias_pointer(const B& b) {
  if constexpr (std::is_same_v<B, no_bias_t>) {
    return static_cast<const std::conditional_t<In::type == dtype::f32, float, std::int32_t>*>(nullptr);
  } else {
    return b.data;
  }
}

}  // namespace detail
}  // namespace qfence
