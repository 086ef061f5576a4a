// qfence/ops/op_support.hpp: checks and helpers shared by the op headers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qfence/kernels/reference/epilogue.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/activation.hpp"
#include "qfence/core/constant.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/tensor_type.hpp"
#include "qfence/core/tensor_desc.hpp"
#include "qfence/graph/node_ref.hpp"
#include "qfence/graph/rule_check.hpp"
#include "qfence/rules/conv2d.hpp"
#include "qfence/graph/options.hpp"
#include "qfence/kernels/requantize_form.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// No bias for a conv / fully connected layer.
struct no_bias_t {};
inline constexpr no_bias_t no_bias{};


namespace detail {

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

/// Gives a typed node `scratch_bytes` (arena bytes its kernel needs while it
/// runs) only when it needs some: the graph passes a scratch pointer to
/// nodes that declare it (graph/model.hpp), and the others keep their
/// signatures.
template <std::size_t Bytes>
struct scratch_need {
  static constexpr std::size_t scratch_bytes = Bytes;
};
template <>
struct scratch_need<0> {};

/// The scales of weights W, one per output channel (Channels of them) or
/// one for all, as an array the kernels read.
template <class W, std::size_t Channels>
constexpr auto weight_scales() {
  std::array<float, W::quant::is_per_channel ? Channels : 1> s{};
  for (std::size_t c = 0; c < s.size(); ++c) s[c] = W::quant::scale_at(c);
  return s;
}

/// Per-output-channel requantization multipliers of a conv-like layer
/// (rescale_multiplier says which scale product each layer forms).
template <class In, class W, class Out, std::size_t Channels>
constexpr std::array<quantized_multiplier, Channels> per_channel_multipliers() {
  std::array<quantized_multiplier, Channels> m{};
  for (std::size_t c = 0; c < Channels; ++c)
    m[c] = rescale_multiplier(In::quant::scale, W::quant::is_per_channel ? W::quant::scale_at(c) : W::quant::scale_at(0),
                              Out::quant::scale, W::type == dtype::u8);
  return m;
}

/// The epilogue steps (kernels/requantize_form.hpp) of a quantized layer
/// with output type Out, its multipliers and its activation range, as the
/// kernel parameter the compile-time path passes: the layer's constants
/// decide, once, which steps its kernel keeps.
template <class Out, const auto& Multipliers, int_range Act>
using requantize_form_for =
    kernels::fixed<kernels::requantize_form_of<typename Out::element>(Multipliers.data(), Multipliers.size(), Act)>;

template <class B> struct bias_tensor { using type = void; };
template <class T> struct bias_tensor<constant<T>> { using type = T; };
template <class B> using bias_tensor_t = typename bias_tensor<B>::type;

/// The description of a bias constant (absent for no_bias).
template <class B>
constexpr optional_desc bias_desc() noexcept {
  if constexpr (std::is_same_v<B, no_bias_t>) return {};
  else return {true, describe<bias_tensor_t<B>>()};
}

/// The conv-like options among `Opts` as the rules take them.
template <class... Opts>
constexpr conv_attrs conv_attrs_of() noexcept {
  using s = option_or<option_kind::stride, stride_t<1>, Opts...>;
  using d = option_or<option_kind::dilation, dilation_t<1>, Opts...>;
  // explicit_padding implies valid: the rule refuses it beside `same`.
  constexpr bool explicit_pads = has_option<option_kind::explicit_padding, Opts...>;
  using p = option_or<option_kind::padding, padding_t<explicit_pads ? padding::valid : padding::same>, Opts...>;
  return {s::h, s::w, d::h, d::w, p::value, fused_activation_of<Opts...>, true,
          option_or<option_kind::explicit_padding, explicit_padding_t<0, 0, 0, 0>, Opts...>::value};
}

/// The bias data, or a null pointer of the accumulator type for no_bias.
template <class In, class B>
constexpr auto bias_pointer(const B& b) {
  if constexpr (std::is_same_v<B, no_bias_t>) {
    return static_cast<const std::conditional_t<In::type == dtype::f32, float,
                                                std::conditional_t<In::type == dtype::i16, std::int64_t, std::int32_t>>*>(
        nullptr);
  } else {
    return b.data;
  }
}

/// The element type of a conv-like layer's packed weights (float layers:
/// kernels/packed_conv_float.hpp; int8: kernels/packed_conv.hpp).
template <class W>
using packed_weight_t = std::conditional_t<W::type == dtype::f32, float, std::int8_t>;

/// The zero point of quantized weights (per tensor: legacy uint8; int8
/// weights are symmetric, 0).
template <class W>
constexpr std::int32_t weight_zero_point(const constant<W>&) noexcept {
  return W::quant::zero_point_at(0);
}

/// The prepared form (graph/model.hpp) of a layer with weights, bias and an
/// optional prepacked_t: the node, and when the Highway kernel runs it
/// (Simd) its packed data (kernels/packed_arrays.hpp), packed here from the
/// node's weights and bias, or the arrays `qfence embed` wrote (Prepacked).
/// Multipliers: the layer's per-channel multipliers, a constant of its own
/// (not evaluated inside the graph's constant expression).
template <class Node, class Input, bool Simd, class Arrays, bool Prepacked, const auto& Multipliers>
struct prepared_layer {
  Node node;
  std::conditional_t<Simd, Arrays, std::nullptr_t> packed;
  constexpr explicit prepared_layer(const Node& n) : node(n), packed(pack(n)) {}
  static constexpr auto pack(const Node& n) {
    if constexpr (!Simd) return nullptr;
    else if constexpr (Input::type == dtype::f32) return Arrays(n.weights_data.data, bias_pointer<Input>(n.bias_data), n.packed);
    else if constexpr (Prepacked)  // the bias for int16x8 layers, which keep it widened (the others ignore it)
      return Arrays(nullptr, bias_pointer<Input>(n.bias_data), Input::quant::zero_point,
                    weight_zero_point(n.weights_data), nullptr, n.packed);
    else
      return Arrays(n.weights_data.data, bias_pointer<Input>(n.bias_data), Input::quant::zero_point,
                    weight_zero_point(n.weights_data), Multipliers.data(), n.packed);
  }
};

}  // namespace detail
}  // namespace qfence

QFENCE_EXACT_FLOAT_END
