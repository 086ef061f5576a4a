// qfence/graph/options.hpp: the option tags a node accepts (stride, padding,
// fused activation, output quantization, ...), and how nodes look them up.
#pragma once

#include <cstdint>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/activation.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/core/quantization.hpp"
#include "qfence/core/window_geometry.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace option_kind {
struct stride {};
struct dilation {};
struct padding {};
struct explicit_padding {};
struct fused_activation {};
struct output_quantization {};
struct filter {};
struct keep_dims {};
struct beta {};
struct numerics {};
struct prepacked {};
struct asymmetric_inputs {};
}  // namespace option_kind

template <int H, int W = H>
struct stride_t {
  using option_kind = option_kind::stride;
  static_assert(H > 0 && W > 0, "qfence: stride must be positive");
  static constexpr int h = H, w = W;
};
/// `stride<2>` or `stride<2, 1>` (height, width).
template <int H, int W = H> inline constexpr stride_t<H, W> stride{};

template <int H, int W = H>
struct dilation_t {
  using option_kind = option_kind::dilation;
  static_assert(H > 0 && W > 0, "qfence: dilation must be positive");
  static constexpr int h = H, w = W;
};
/// `dilation<2>` or `dilation<2, 1>` (height, width).
template <int H, int W = H> inline constexpr dilation_t<H, W> dilation{};

/// Pooling window, `filter<3>` or `filter<3, 2>` (height, width).
template <int H, int W = H>
struct filter_t {
  using option_kind = option_kind::filter;
  static_assert(H > 0 && W > 0, "qfence: filter size must be positive");
  static constexpr int h = H, w = W;
};
template <int H, int W = H> inline constexpr filter_t<H, W> filter{};

template <padding P>
struct padding_t {
  using option_kind = option_kind::padding;
  static constexpr padding value = P;
};
inline constexpr padding_t<padding::same> same{};
inline constexpr padding_t<padding::valid> valid{};

template <int Top, int Bottom, int Left, int Right>
struct explicit_padding_t {
  using option_kind = option_kind::explicit_padding;
  static_assert(Top >= 0 && Bottom >= 0 && Left >= 0 && Right >= 0, "qfence: padding amounts must be non-negative");
  static constexpr window_pads value{Top, Bottom, Left, Right};
};
/// CONV_2D and DEPTHWISE_CONV_2D: the window runs VALID over the input padded
/// with these rows (top, bottom) and columns (left, right) of the input's
/// zero point: what a PAD in front of the layer computes, without the padded
/// copy. `qfence embed` writes it where it folded a model's PAD into the
/// layer (runtime/fold_pad.hpp). Implies `valid`; with `same` it is refused.
template <int Top, int Bottom, int Left, int Right>
inline constexpr explicit_padding_t<Top, Bottom, Left, Right> explicit_padding{};

template <activation A>
struct fused_t {
  using option_kind = option_kind::fused_activation;
  static constexpr activation value = A;
};
inline constexpr fused_t<activation::none> fused_none{};
inline constexpr fused_t<activation::relu> fused_relu{};
inline constexpr fused_t<activation::relu6> fused_relu6{};
inline constexpr fused_t<activation::relu_n1_to_1> fused_relu_n1_to_1{};

/// Quantization of a node's output, as calibration (or the imported model)
/// decided: `out<per_tensor<0.05f, -128>>`. The dtype is the node's quantized
/// input's unless named (`out<Q, i16>`, where the op allows another); a
/// fence's output without a named dtype is i8.
template <class Quant, dtype... D>
struct out_t {
  using option_kind = option_kind::output_quantization;
  static_assert(Quant::quantized, "qfence: out<Q>: Q must be per_tensor<...> (or per_channel<...>)");
  static_assert(sizeof...(D) <= 1, "qfence: out<Q, dtype>: name at most one dtype");
  using quant = Quant;
  static constexpr bool dtype_given = sizeof...(D) == 1;
  static constexpr dtype type = [] {
    dtype t = dtype::i8;
    ((t = D), ...);
    return t;
  }();
};
template <class Quant, dtype... D> inline constexpr out_t<Quant, D...> out{};

struct keep_dims_t {
  using option_kind = option_kind::keep_dims;
};
/// MEAN keeps reduced dimensions with size 1.
inline constexpr keep_dims_t keep_dims{};

/// Where TFLM and TFLite compute an op differently (the table in
/// docs/numerics.md, "Two references": FULLY_CONNECTED, SUB, MUL, LOGISTIC,
/// RELU6), nodes follow TFLM unless given qfence::tflite_numerics.
struct tflite_numerics_t {
  using option_kind = option_kind::numerics;
};
inline constexpr tflite_numerics_t tflite_numerics{};

/// A hybrid FULLY_CONNECTED (float input, int8 weights) quantizes each input
/// row with its own zero point rather than symmetrically: TFLite's
/// asymmetric_quantize_inputs, which its converter sets for dynamic-range
/// models.
struct asymmetric_inputs_t {
  using option_kind = option_kind::asymmetric_inputs;
};
inline constexpr asymmetric_inputs_t asymmetric_inputs{};

/// Weights and per-channel constants already in the layout of the SIMD
/// kernels (kernels/packed_conv.hpp), as `qfence embed` writes them, so that
/// the model packs nothing when it is built. Without it, a model packs its
/// layers when it is constructed (at compile time for a constexpr model).
template <class T>
struct prepacked_t {
  using option_kind = option_kind::prepacked;
  const T* weights = nullptr;
  const std::int32_t* epilogue = nullptr;
};
template <class T>
constexpr prepacked_t<T> prepacked(const T* weights, const std::int32_t* epilogue) noexcept {
  return {weights, epilogue};
}

namespace detail {
/// The prepacked_t<T> among a node's options, or none.
template <class T, class... Opts>
constexpr prepacked_t<T> prepacked_value(const Opts&... opts) noexcept {
  prepacked_t<T> found{};
  (
      [&] {
        if constexpr (std::is_same_v<Opts, prepacked_t<T>>) found = opts;
      }(),
      ...);
  return found;
}
}  // namespace detail

template <qscale Beta>
struct beta_t {
  using option_kind = option_kind::beta;
  static constexpr float value = Beta.value();
};
/// SOFTMAX's inverse temperature; 1 when not given.
template <qscale Beta> inline constexpr beta_t<Beta> beta{};

namespace detail {
template <class Kind, class Default, class... Opts> struct find_option { using type = Default; };
template <class Kind, class Default, class First, class... Rest>
struct find_option<Kind, Default, First, Rest...>
    : std::conditional_t<std::is_same_v<typename First::option_kind, Kind>, std::type_identity<First>,
                         find_option<Kind, Default, Rest...>> {};

template <class Kind, class... Opts>
inline constexpr int count_option = (0 + ... + (std::is_same_v<typename Opts::option_kind, Kind> ? 1 : 0));

struct no_option {};
}  // namespace detail

/// The option of kind `Kind` among `Opts`, or `Default`.
template <class Kind, class Default, class... Opts>
using option_or = typename detail::find_option<Kind, Default, Opts...>::type;

template <class Kind, class... Opts>
inline constexpr bool has_option = detail::count_option<Kind, Opts...> > 0;

template <class T>
concept node_option = requires { typename T::option_kind; };

/// Every option passed to a node must be one it understands, and given once.
/// `Allowed...` are the option kinds the op accepts.
template <int Index, class Op, class Allowed, class... Opts>
struct validate_options;
template <class... Kinds> struct kinds {};
template <int Index, class Op, class... Allowed, class... Opts>
struct validate_options<Index, Op, kinds<Allowed...>, Opts...> {
  template <class O>
  static constexpr bool allowed = (std::is_same_v<typename O::option_kind, Allowed> || ...);
  static_assert((check<allowed<Opts>, at_node<Index, Op>, Opts> && ...),
                "qfence: this node was given an option its op does not take (see the option type in the "
                "check<> above). fix: remove it; e.g. pools take filter/stride/padding, only quantized "
                "ops that rescale take out<...>");
  static_assert((check<(detail::count_option<typename Opts::option_kind, Opts...> == 1), at_node<Index, Op>, Opts> &&
                 ...),
                "qfence: the same option was given twice to this node. fix: keep one");
  static constexpr bool value = true;
};

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
