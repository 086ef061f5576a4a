// qfence/quant/quantize_graph.hpp: full-int8 (or int16x8) post-training
// quantization of a model described in C++, at compile time.
//
//   constexpr auto float_model = qfence::graph(...);        // float32
//   #include "model_ranges.hpp"  // quant::ranges_header(calibrate_graph(...))
//   constexpr auto int8_model = qfence::quantize<float_model, model_ranges::ranges>();
//   constexpr auto int16_model = qfence::quantize<float_model, model_ranges::ranges>(qfence::int16x8);
//
// qfence::int16x8 asks for TFLite's 16x8 scheme, as `qfence quantize
// --scheme int16x8`: activations int16, symmetric with zero point 0,
// biases int64, the rest as below; ops with no int16x8 kernel (LSTM,
// SVDF, ...: quant::int16x8_property) are fenced, their borders int16.
//
// The result is a new graph type whose every tensor carries its parameters:
// weights symmetric int8 (per channel for CONV_2D, DEPTHWISE_CONV_2D and
// TRANSPOSE_CONV, per tensor for FULLY_CONNECTED), biases int32 at input
// scale x weight scale,
// activations asymmetric int8 from their calibrated ranges, fixed outputs
// for SOFTMAX/LOGISTIC/TANH, and the input's parameters where an op only
// moves values (pooling, reshape, ...). These are the facts and the per-value
// rules `qfence quantize` applies to a .tflite (quant/op_property.hpp,
// quant/affine_params.hpp), so both give the same parameters and bytes for
// the same ranges. qfence::correct_biases<channel_means> (what
// quant::calibration_header writes beside the ranges) applies qfence
// quantize's bias correction (quant/bias_correction.hpp), from the same means.
//
// An int8 CONCATENATION copies bytes, so the producers of its inputs take
// its parameters where they can (TFLite's converter propagates them the
// same way); an input that cannot (it keeps its input's or fixed
// parameters, or another node reads it too) is requantized inside the node
// (concatenation_requantized), with the bytes of the QUANTIZE `qfence
// quantize` inserts there. `qfence quantize` requantizes every input whose
// own range differs, so where an input could take the parameters the two
// paths' bytes differ. The other ops whose operands carry the output's
// parameters (quant::op_property::inputs_share_output_params) work the same
// way: SELECT_V2's x and y, DYNAMIC_UPDATE_SLICE's operand and update,
// ADD_N's inputs (one scale in; the output rescales) take the op's
// parameters, PADV2's pad value its input's. Their kernels have no
// requantizing form, so where an operand's producer cannot take them the
// op is fenced (`qfence quantize` inserts a QUANTIZE instead).
//
// An LSTM becomes TFLite's int8 LSTM, as `qfence quantize` makes it: its
// weights per tensor, its hidden state node at the output's parameters, its
// cell state node int16 at a power-of-two scale (calibrate_graph observes
// the cell at every step). An SVDF, likewise: int16 time weights and state.
//
// An if_ or while_ is quantized with the models it runs (their rows of the
// ranges table: quant/node_tree.hpp), as `qfence quantize` quantizes IF and
// WHILE with their subgraphs: a value it passes (an operand, a branch's or
// the body's output, the value control_flow_output takes out) has one set
// of parameters in every node it passes through, from the union of their
// ranges (passed_value_ranges), since the bytes are copied, not
// requantized. Where a value's producer keeps other parameters (a fixed
// output, an input's), `qfence quantize` inserts a requantizing QUANTIZE;
// here the if_ or while_ stays float with its models (a fence, and a line
// of quantize_fences saying why), as it does when a model it runs has
// nodes no calibration sample reached (`qfence quantize` fences those
// nodes alone). Integer values (a loop counter) are left as they are.
//
// Resource variables stay float, as `qfence quantize` keeps them: a
// variable node and CALL_ONCE (its init model float) as they are,
// read_variable and assign_variable fenced between them and the int8 nodes.
//
// An op without an int8 kernel (a custom op, SQRT, ...) is fenced: kept in
// float, its output quantized from its calibrated range. A fence the float
// graph already has stays a fence. `qfence::use_table<Op>` turns a custom
// elementwise op into an int8 lookup table instead (ops/tabulated.hpp).
//
// The model's inputs become int8 (write them with qfence::quantize_into) and
// its outputs are int8, unless qfence::float_io asks for float ones, as
// `qfence quantize --io float` makes them: each float input is then a fenced
// input, whose border quantizes it for the nodes reading it, and each output
// gets a node appended after the others (a DEQUANTIZE; a float copy of a
// fenced node's float output), which the model declares as its outputs.
// Node i is still the float model's node i.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "qfence/core/constant.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/quantization.hpp"
#include "qfence/core/tensor_type.hpp"
#include "qfence/graph/custom_op.hpp"
#include "qfence/graph/fence.hpp"
#include "qfence/graph/input.hpp"
#include "qfence/graph/model.hpp"
#include "qfence/graph/options.hpp"
#include "qfence/ops/activations.hpp"
#include "qfence/ops/arithmetic.hpp"
#include "qfence/ops/concatenation.hpp"
#include "qfence/ops/control_flow.hpp"
#include "qfence/ops/conv2d.hpp"
#include "qfence/ops/add_n.hpp"
#include "qfence/ops/cumsum.hpp"
#include "qfence/ops/depthwise_conv2d.hpp"
#include "qfence/ops/dynamic_update_slice.hpp"
#include "qfence/ops/elementwise.hpp"
#include "qfence/ops/fully_connected.hpp"
#include "qfence/ops/leaky_relu.hpp"
#include "qfence/ops/literal.hpp"
#include "qfence/ops/lstm.hpp"
#include "qfence/ops/pad.hpp"
#include "qfence/ops/quantize.hpp"
#include "qfence/ops/resource_variable.hpp"
#include "qfence/ops/reduce.hpp"
#include "qfence/ops/reshape.hpp"
#include "qfence/ops/select.hpp"
#include "qfence/ops/svdf.hpp"
#include "qfence/ops/tabulated.hpp"
#include "qfence/ops/transpose_conv.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/quant/affine_params.hpp"
#include "qfence/quant/bias_correction.hpp"
#include "qfence/quant/fence_line.hpp"
#include "qfence/quant/node_tree.hpp"
#include "qfence/quant/op_property.hpp"
#include "qfence/quant/real_range.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// qfence::quantize option: the custom elementwise op `Op` (one with
/// `static [constexpr] float apply(float)`) runs on int8 as a 256-entry table
/// of its function, with the fence's bytes and no float island.
template <class Op>
struct use_table_t {
  static_assert(elementwise_function<Op>,
                "qfence::use_table<Op>: Op must be a custom op with `static [constexpr] float apply(float)`");
};
template <class Op> inline constexpr use_table_t<Op> use_table{};

/// qfence::quantize option: fold into each layer's bias the mean shift its
/// rounded weights add (quant/bias_correction.hpp), as `qfence quantize`
/// does by default. `Means`: each node's channel means, by node index (the
/// `channel_means` table quant::calibration_header writes).
template <const auto& Means>
struct correct_biases_t {};
template <const auto& Means> inline constexpr correct_biases_t<Means> correct_biases{};

/// qfence::quantize option: TFLite's int16x8 scheme instead of full int8,
/// as `qfence quantize --scheme int16x8` makes it: activations int16,
/// symmetric (zero point 0, scale = the range's larger magnitude / 32767),
/// weights int8 as for int8, biases int64 at input scale x weight scale;
/// the ops without an int16x8 kernel (quant::int16x8_property: LSTM, SVDF,
/// ...) are fenced, and a fence's border quantizes to int16.
struct int16x8_t {};
inline constexpr int16x8_t int16x8{};

/// qfence::quantize option: the int8 model reads and writes float32, as
/// the float model does (it quantizes its inputs and dequantizes its
/// outputs itself), as `qfence quantize --io float` does.
struct float_io_t {};
inline constexpr float_io_t float_io{};

namespace detail::quantize_graph {

using quant::affine_params;
using quant::channel_of_element;
using quant::op_property;
using quant::output_params;
using qfence::detail::lstm_cell_state;
using qfence::detail::lstm_hidden_state;
using qfence::detail::lstm_node_parts;
using qfence::detail::state_updater;
using qfence::detail::svdf_node_parts;
using qfence::detail::svdf_state;

/// The op in the runtime IR's vocabulary; custom for user ops and for typed
/// ops the quantizer has no facts for (they are fenced).
template <class Op>
constexpr runtime::op_code op_code_of() {
  if constexpr (requires { Op::code; }) return Op::code;
  else return runtime::op_code::custom;
}

template <class M> struct outputs_of;
template <class O, class... N> struct outputs_of<model<O, N...>> { using type = O; };

template <class Refs> struct first_ref;
template <int R0, int... R> struct first_ref<refs<R0, R...>> : std::integral_constant<int, R0> {};

template <class N> inline constexpr bool is_input = false;
template <class T, bool O> inline constexpr bool is_input<input_node<T, O>> = true;
template <class N> inline constexpr bool is_fence = false;
template <class I, class O> inline constexpr bool is_fence<fence_node<I, O>> = true;
template <class N> inline constexpr bool is_custom = false;
template <class Op, int In> inline constexpr bool is_custom<custom_node<Op, In>> = true;

template <class Op, class... Options>
inline constexpr bool tabulated_by = (std::is_same_v<Options, use_table_t<Op>> || ...);

/// The channel means of a qfence::correct_biases among Options, if any.
template <class... Options> struct bias_correction_means {
  static constexpr bool given = false;
};
template <class O, class... Rest> struct bias_correction_means<O, Rest...> : bias_correction_means<Rest...> {};
template <const auto& Means, class... Rest> struct bias_correction_means<correct_biases_t<Means>, Rest...> {
  static constexpr bool given = true;
  static constexpr const auto& means = Means;
};

template <class... Options>
inline constexpr bool float_io_asked = (std::is_same_v<Options, float_io_t> || ...);

template <class... Options>
inline constexpr bool int16x8_asked = (std::is_same_v<Options, int16x8_t> || ...);

/// The activations' type of the scheme Options ask for: int8, or int16
/// (qfence::int16x8).
template <class... Options>
inline constexpr dtype activation_type = int16x8_asked<Options...> ? dtype::i16 : dtype::i8;

/// How the scheme treats op `code` (quant/op_property.hpp): int8's facts,
/// or int16x8's, which fence the ops with no int16 kernel.
template <class... Options>
constexpr op_property scheme_property(runtime::op_code code) {
  return int16x8_asked<Options...> ? quant::int16x8_property(code) : quant::int8_property(code);
}

/// How the quantizer treats a node.
enum class treatment {
  input,              ///< a float input becomes int8 with its calibrated parameters
  island,             ///< kept in float inside a fence, output quantized from its range
  table,              ///< a custom elementwise op as an int8 table (qfence::use_table)
  layer,              ///< weights, bias and output quantized (CONV_2D, ..., TRANSPOSE_CONV: layer_parts)
  calibrated_output,  ///< the same op with its output's calibrated parameters (ADD, MEAN, RELU, ...)
  as_is,              ///< the op's rule derives the output (pooling, reshape, SOFTMAX, ...)
  shared_output,      ///< CONCATENATION, ADD_N, SELECT_V2, DYNAMIC_UPDATE_SLICE: its operands' producers take its parameters
  stateful,           ///< LSTM, SVDF: weights, biases and the state nodes they update (quantized_lstm, quantized_svdf)
  control_flow,       ///< if_, while_: the models they run quantized, the values they pass at one set of parameters
  unpacked,           ///< control_flow_output: a value of its if_ or while_, at the parameters it is passed at
};

template <class N, class... Options>
constexpr treatment treatment_of() {
  if constexpr (is_input<N>) {
    return treatment::input;
  } else if constexpr (is_fence<N>) {
    return treatment::island;
  } else if constexpr (is_custom<N>) {
    return tabulated_by<typename N::op, Options...> ? treatment::table : treatment::island;
  } else if constexpr (std::is_same_v<typename N::op, qfence::op::control_flow_output>) {
    return treatment::unpacked;
  } else {
    constexpr op_property p = scheme_property<Options...>(op_code_of<typename N::op>());
    // if_ and while_ may still stay float (control_flow_obstacle).
    if (p.quantizable && p.passes_to_subgraphs && quant::called_models<N>::count > 0) return treatment::control_flow;
    if (!p.quantizable || p.passes_to_subgraphs) return treatment::island;
    if (lstm_node_parts<N>::is_lstm || svdf_node_parts<N>::is_svdf) return treatment::stateful;
    if (p.has_state()) return treatment::island;  // a state op the compile-time quantizer does not know
    if (p.weights_input >= 0) return treatment::layer;
    // PADV2 keeps its input's parameters (as_is); its pad value takes them
    // (sharing_operands).
    if (p.inputs_share_output_params && p.output == output_params::calibrated) return treatment::shared_output;
    if (p.output == output_params::calibrated) return treatment::calibrated_output;
    return treatment::as_is;
  }
}

template <const auto& F>
using model_of = std::remove_cvref_t<decltype(F)>;
template <const auto& F, int I>
using node_of = typename model_of<F>::template node_t<I>;

/// Whether node i of model M is float.
template <class M>
inline constexpr auto float_rows = []<int... J>(std::integer_sequence<int, J...>) {
  return std::array<bool, sizeof...(J)>{(M::template node_output_type<J>::type == dtype::f32)...};
}(std::make_integer_sequence<int, M::node_count>{});

/// A row of the ranges qfence::quantize works from (passed_value_ranges):
/// the range, a passed value's union over the rows it passes through, and
/// whether calibration computed the row itself. A node of a branch no
/// sample took computed nothing: it stays float, as `qfence quantize`
/// fences the ops of a subgraph no sample ran.
struct row_range : quant::real_range {
  bool computed = true;
};

/// Whether row i of table R was computed by calibration: R's own flag
/// (passed_value_ranges), or for a plain table of ranges, whether it holds one.
template <const auto& R>
constexpr bool computed_row(std::size_t i) {
  if constexpr (requires { R[0].computed; }) return R[i].computed;
  else return quant::observed(R[i]);
}

/// Whether node I of F computes a float value that no calibration sample
/// computed (a node of a branch no sample took): it stays float inside a
/// fence, whose border quantizes at the parameters of the value it gives
/// where that value is passed on (a branch's output); between such nodes,
/// float. Inputs take the parameters they are passed at; literals are
/// quantized where they are read; an if_ or while_ says for itself
/// (control_flow_obstacle).
template <const auto& F, const auto& R, int I, class... Options>
constexpr bool uncomputed() {
  using N = node_of<F, I>;
  constexpr treatment t = treatment_of<N, Options...>();
  if constexpr (t == treatment::input || t == treatment::unpacked || t == treatment::control_flow ||
                std::is_same_v<typename N::op, qfence::op::state> || std::is_same_v<typename N::op, qfence::op::literal>)
    return false;
  else return float_rows<model_of<F>>[static_cast<std::size_t>(I)] && !computed_row<R>(static_cast<std::size_t>(I));
}

template <class Refs, int I> inline constexpr bool refers_to = false;
template <int I, int... R> inline constexpr bool refers_to<refs<R...>, I> = ((R == I) || ...);

/// The operands of node N that carry N's parameters (the values it copies
/// into its output, ADD_N's one input scale): the typed form of
/// op_property::inputs_share_output_params, by operand.
template <class N> struct sharing_operands { using type = refs<>; };
template <int Axis, class Q, int... In> struct sharing_operands<concatenation_node<Axis, Q, In...>> { using type = refs<In...>; };
template <class Q, int... In> struct sharing_operands<add_n_node<Q, In...>> { using type = refs<In...>; };
template <int C, int X, int Y> struct sharing_operands<select_v2_node<C, X, Y>> { using type = refs<X, Y>; };
template <int O, int U, int S> struct sharing_operands<dynamic_update_slice_node<O, U, S>> { using type = refs<O, U>; };
template <int In, int V, int... BeforeAfter> struct sharing_operands<padv2_node<In, V, BeforeAfter...>> { using type = refs<V>; };

/// The node that alone reads node I's output if it reads it as an operand
/// that carries its own parameters (sharing_operands) and is quantized
/// (not an island), else -1.
template <const auto& F, int I, class... Options>
constexpr int sole_sharing_reader() {
  int reader = -1, readers = 0;
  [&]<int... J>(std::integer_sequence<int, J...>) {
    (
        [&] {
          using N = node_of<F, J>;
          if constexpr (refers_to<typename N::inputs, I>) {
            ++readers;
            if (refers_to<typename sharing_operands<N>::type, I> && treatment_of<N, Options...>() != treatment::island)
              reader = J;
          }
        }(),
        ...);
  }(std::make_integer_sequence<int, model_of<F>::node_count>{});
  return readers == 1 ? reader : -1;
}

/// Whether node I's output parameters are its own to choose (calibrated),
/// so that it can take those of the CONCATENATION (SELECT_V2, ...) reading
/// it. An op that keeps its input's parameters or has fixed ones (pooling,
/// SOFTMAX) cannot.
template <class N, class... Options>
constexpr bool output_params_free() {
  // A value of an if_ or while_ has the parameters it is passed at.
  constexpr treatment t = treatment_of<N, Options...>();
  return t != treatment::as_is && t != treatment::unpacked && t != treatment::control_flow;
}

/// The parameters of node I's output in the quantized model: asymmetric
/// int8, or symmetric int16 with zero point 0 (qfence::int16x8). A node
/// read only by a CONCATENATION (SELECT_V2, ...: sole_sharing_reader)
/// takes the reader's, as TFLite's converter propagates them, so the
/// reader copies bytes (`qfence quantize` requantizes such inputs instead).
template <const auto& F, const auto& R, int I, class... Options>
constexpr affine_params activation_params_of() {
  using N = node_of<F, I>;
  constexpr int reader = sole_sharing_reader<F, I, Options...>();
  if constexpr (uncomputed<F, R, I, Options...>()) {
    // Its fence's border: the range of the value where it is passed on.
    return quant::activation_params(R[static_cast<std::size_t>(I)], activation_type<Options...>);
  } else if constexpr (reader >= 0 && output_params_free<N, Options...>()) {
    return activation_params_of<F, R, reader, Options...>();
  } else if constexpr (treatment_of<N, Options...>() == treatment::as_is) {
    constexpr runtime::op_code code = op_code_of<typename N::op>();
    constexpr op_property p = scheme_property<Options...>(code);
    if constexpr (p.output == output_params::same_as_input) {
      return activation_params_of<F, R, first_ref<typename N::inputs>::value, Options...>();
    } else if constexpr (p.output == output_params::fixed) {
      constexpr quant_desc q = *quant::fixed_output_params(code, activation_type<Options...>);
      return {q.scale, q.zero_point};
    } else {
      return {};  // an integer output (ARG_MAX): no parameters
    }
  } else {
    return quant::activation_params(R[static_cast<std::size_t>(I)], activation_type<Options...>);
  }
}

/// Node I's output option: its parameters (the dtype follows the op's
/// input, as the op's rule derives it).
template <const auto& F, const auto& R, int I, class... Options>
using activation_output = out_t<per_tensor<activation_params_of<F, R, I, Options...>().scale,
                                           activation_params_of<F, R, I, Options...>().zero_point>>;

/// A fence's output option: its parameters and the scheme's type (a
/// fence's border would otherwise quantize to int8).
template <const auto& F, const auto& R, int I, class... Options>
using fence_output = out_t<per_tensor<activation_params_of<F, R, I, Options...>().scale,
                                      activation_params_of<F, R, I, Options...>().zero_point>,
                           activation_type<Options...>>;

/// A float layer's options that its quantized form keeps: all but
/// prepacked, the float weights in the SIMD kernels' layout (`qfence embed`
/// writes them); the quantized layer is given its own int8 weights packed
/// (packed_node). apply(make) calls make(options...).
template <class... Kept>
struct kept_options {
  template <class Make>
  static constexpr auto apply(Make make) {
    return make(Kept{}...);
  }
};
template <class O> inline constexpr bool is_prepacked = false;
template <class T> inline constexpr bool is_prepacked<prepacked_t<T>> = true;
template <class Kept, class... Opts> struct without_prepacked { using type = Kept; };
template <class... Kept, class O, class... Rest>
struct without_prepacked<kept_options<Kept...>, O, Rest...>
    : without_prepacked<std::conditional_t<is_prepacked<O>, kept_options<Kept...>, kept_options<Kept..., O>>, Rest...> {};

/// The parts of a layer node, and the same node rebuilt: with quantized
/// weights, bias and output (make), or with other weights and bias and
/// more options (rebuilt: packed_node adds its prepacked data). Its own
/// options are kept, all but prepacked (kept_options).
template <class N> struct layer_parts { static constexpr bool known = false; };
#define QFENCE_LAYER_PARTS(node_template, factory)                                                          \
  template <int In, class W, class B, class... Opts>                                                        \
  struct layer_parts<node_template<In, W, B, Opts...>> {                                                    \
    static constexpr bool known = true;                                                                     \
    static constexpr int input = In;                                                                        \
    using weights = W;                                                                                      \
    using bias = B;                                                                                         \
    template <class Wq, class Bq, class... More>                                                            \
    static constexpr auto rebuilt(constant<Wq> w, Bq b, More... more) {                                     \
      return without_prepacked<kept_options<>, Opts...>::type::apply(                                       \
          [&](auto... options) { return factory(node_ref<In>{}, w, b, options..., more...); });             \
    }                                                                                                       \
    template <class Out, class Wq, class Bq>                                                                \
    static constexpr auto make(constant<Wq> w, Bq b) {                                                      \
      return rebuilt(w, b, Out{});                                                                          \
    }                                                                                                       \
  };
QFENCE_LAYER_PARTS(conv2d_node, qfence::conv2d)
QFENCE_LAYER_PARTS(depthwise_conv2d_node, qfence::depthwise_conv2d)
QFENCE_LAYER_PARTS(fully_connected_node, qfence::fully_connected)
#undef QFENCE_LAYER_PARTS
template <class OutShape, int In, class W, class B, class... Opts>
struct layer_parts<transpose_conv_node<OutShape, In, W, B, Opts...>> {
  static constexpr bool known = true;
  static constexpr int input = In;
  using weights = W;
  using bias = B;
  template <class Wq, class Bq, class... More>
  static constexpr auto rebuilt(constant<Wq> w, Bq b, More... more) {
    return without_prepacked<kept_options<>, Opts...>::type::apply(
        [&](auto... options) { return qfence::transpose_conv<OutShape>(node_ref<In>{}, w, b, options..., more...); });
  }
  template <class Out, class Wq, class Bq>
  static constexpr auto make(constant<Wq> w, Bq b) {
    return rebuilt(w, b, Out{});
  }
};

/// A bias shaped like T, in static storage: channel c's float value
/// Source::value(c) at scale Source::scale(c), by TFLite's rule
/// (quant::quantize_bias_value), as every layer of both paths quantizes it;
/// int32 (int8 layers), or int64 (Type i64: int16x8 layers, TFLite's default).
template <class T, class Source, dtype Type = dtype::i32>
struct quantized_bias {
  using value_type = std::conditional_t<Type == dtype::i64, std::int64_t, std::int32_t>;
  static constexpr auto count = static_cast<std::size_t>(T::elements);
  static constexpr std::array<value_type, count> values = [] {
    std::array<value_type, count> b{};
    for (std::size_t c = 0; c < count; ++c) b[c] = quant::quantize_bias_value<value_type>(Source::value(c), Source::scale(c));
    return b;
  }();
  static constexpr auto make() { return make_constant<tensor<Type, typename T::shape_type>>(values); }
};

/// Weights shaped like T, symmetric int8 with one scale (the largest
/// magnitude of Source::values() at 127), in static storage: what
/// quant::quantize_weights_symmetric gives for one channel.
template <class T, class Source>
struct int8_per_tensor_weights {
  static constexpr auto count = static_cast<std::size_t>(T::elements);
  static constexpr float half = quant::magnitude_of(Source::values());
  static constexpr float scale = quant::weight_scale(half);
  static constexpr std::array<std::int8_t, count> values = [] {
    std::array<std::int8_t, count> q{};
    for (std::size_t i = 0; i < count; ++i) q[i] = quant::quantize_weight(Source::values()[i], quant::weight_inverse(half));
    return q;
  }();
  static constexpr auto make() { return make_constant<tensor<dtype::i8, typename T::shape_type, per_tensor<scale, 0>>>(values); }
};

/// A layer's quantized constants, in static storage: the int8 model's
/// constants and per-channel scales refer to them.
template <const auto& F, const auto& R, int I, class... Options>
struct quantized_layer {
  using N = node_of<F, I>;
  using parts = layer_parts<N>;
  using W = typename parts::weights;
  static constexpr op_property property = scheme_property<Options...>(op_code_of<typename N::op>());
  static constexpr int axis = property.weights_axis;  // -1: one scale for the tensor
  static constexpr std::size_t channels = axis >= 0 ? static_cast<std::size_t>(W::shape_type::dim(axis)) : 1;
  static constexpr auto elements = static_cast<std::size_t>(W::elements);

  static constexpr std::span<const float> float_weights() { return {F.template node<I>().weights_data.data, elements}; }
  static constexpr channel_of_element channel_of() {
    return {std::span<const int>(W::shape_type::dims), axis >= 0 ? axis : 0, static_cast<std::int64_t>(channels)};
  }
  static constexpr std::array<float, channels> half = [] {
    std::array<float, channels> h{};
    quant::channel_magnitudes(float_weights(), channel_of(), h);
    std::array<double, 2 * channels> scratch{};
    quant::prefer_tensor_grid(float_weights(), channel_of(), h, scratch);
    return h;
  }();
  static constexpr std::array<float, channels> scales = [] {
    std::array<float, channels> s{};
    for (std::size_t c = 0; c < channels; ++c) s[c] = quant::weight_scale(half[c]);
    return s;
  }();
  static constexpr std::array<int, channels> zero_points{};
  static constexpr std::array<std::int8_t, elements> weights = [] {
    std::array<std::int8_t, elements> q{};
    // Raw pointers: no call per weight but the rule's (compile-time steps).
    const float* w = float_weights().data();
    std::int8_t* out = q.data();
    channel_of().for_each_run(elements, [&](std::size_t c, std::size_t first, std::size_t end) {
      const float inverse = quant::weight_inverse(half[c]);
      for (std::size_t i = first; i < end; ++i) out[i] = quant::quantize_weight(w[i], inverse);
    });
    return q;
  }();
  using weight_quant = std::conditional_t<(axis >= 0), per_channel<scales, zero_points, axis>, per_tensor<scales[0], 0>>;
  using weight_tensor = tensor<dtype::i8, typename W::shape_type, weight_quant>;

  static constexpr float input_scale = activation_params_of<F, R, parts::input, Options...>().scale;
  template <class B> struct bias_of;  // no bias stays none (node() passes no_bias)
  template <class T> struct bias_of<constant<T>> {
    static constexpr auto count = static_cast<std::size_t>(T::elements);
    // With qfence::correct_biases: the shift rounding adds, where the
    // input's means fit the weights (else none, as qfence quantize).
    static constexpr std::array<double, count> shift = [] {
      std::array<double, count> s{};
      if constexpr (bias_correction_means<Options...>::given) {
        constexpr const auto& means = bias_correction_means<Options...>::means;
        static_assert(std::size(means) == quant::tree_size<model_of<F>>(),
                      "qfence::correct_biases<means>: means must hold one span per node of the float model (by node "
                      "index), then one per node of each model its if_ and while_ nodes run (what "
                      "quant::calibration_header writes for this model); calibrate this model again");
        if (!quant::weight_rounding_shift(op_code_of<typename N::op>(), std::span<const int>(W::shape_type::dims),
                                          float_weights(), weights, scales,
                                          means[static_cast<std::size_t>(parts::input)], s))
          s = {};
      }
      return s;
    }();
    struct source {
      static constexpr float value(std::size_t c) {
        return static_cast<float>(F.template node<I>().bias_data.data[c] - shift[c]);
      }
      static constexpr float scale(std::size_t c) { return input_scale * scales[channels == 1 ? 0 : c]; }
    };
    static constexpr auto make() {
      return quantized_bias<T, source, int16x8_asked<Options...> ? dtype::i64 : dtype::i32>::make();
    }
  };

  static constexpr auto node() {
    using B = typename parts::bias;
    if constexpr (std::is_same_v<B, no_bias_t>) {
      return parts::template make<activation_output<F, R, I, Options...>>(make_constant<weight_tensor>(weights), no_bias);
    } else {
      return parts::template make<activation_output<F, R, I, Options...>>(make_constant<weight_tensor>(weights),
                                                                      bias_of<B>::make());
    }
  }
};

/// An LSTM node's int8 form, as `qfence quantize` makes it
/// (quant/op_property.hpp): each weight matrix int8 per tensor, each gate's
/// bias int32 at input scale x that gate's input weights' scale; the output
/// is the hidden state, whose state node lstm_state_node retypes.
template <const auto& F, const auto& R, int I, class... Options>
struct quantized_lstm {
  using N = node_of<F, I>;
  using P = lstm_node_parts<N>;
  static constexpr float input_scale = activation_params_of<F, R, P::input, Options...>().scale;

  /// Weight matrix K (0-3 the gates' input weights, 4-7 their recurrent ones).
  template <int K>
  struct weights_source {
    static constexpr std::span<const float> values() {
      return {std::get<K>(F.template node<I>().operands).data,
              static_cast<std::size_t>(P::template operand_t<K>::elements)};
    }
  };
  template <int K>
  using weights_of = int8_per_tensor_weights<typename P::template operand_t<K>, weights_source<K>>;

  /// Gate K's bias (operand 8 + K).
  template <int K>
  struct bias_of {
    struct source {
      static constexpr float value(std::size_t c) { return std::get<8 + K>(F.template node<I>().operands).data[c]; }
      static constexpr float scale(std::size_t) { return input_scale * weights_of<K>::scale; }
    };
    static constexpr auto make() { return quantized_bias<typename P::template operand_t<8 + K>, source>::make(); }
  };

  static constexpr auto node() {
    return [&]<int... W, int... B>(std::integer_sequence<int, W...>, std::integer_sequence<int, B...>) {
      return P::make(F.template node<I>().cell_clip, weights_of<W>::make()..., bias_of<B>::make()...);
    }(std::make_integer_sequence<int, 8>{}, std::make_integer_sequence<int, 4>{});
  }
};

/// An SVDF node's int8 form, as `qfence quantize` makes it
/// (quant/op_property.hpp): feature weights int8 per tensor (the kernel has
/// one feature scale), time weights int16 in ten bits, the bias int32 at
/// time scale x state scale, the output at its calibrated parameters. The
/// integer kernel applies no fused activation: a RELU's zero is the output's
/// lowest value, as its calibrated range makes it.
template <const auto& F, const auto& R, int I, class... Options>
struct quantized_svdf {
  using N = node_of<F, I>;
  using P = svdf_node_parts<N>;
  using WF = typename P::feature_weights;
  using WT = typename P::time_weights;
  static constexpr auto taps = static_cast<std::size_t>(WT::elements);
  struct feature_source {
    static constexpr std::span<const float> values() {
      return {F.template node<I>().feature_weights.data, static_cast<std::size_t>(WF::elements)};
    }
  };
  using feature_weights = int8_per_tensor_weights<WF, feature_source>;
  static constexpr std::span<const float> time_values() { return {F.template node<I>().time_weights.data, taps}; }
  static constexpr float time_scale = quant::time_weight_scale(quant::magnitude_of(time_values()));
  static constexpr std::array<std::int16_t, taps> time_weights = [] {
    std::array<std::int16_t, taps> q{};
    for (std::size_t i = 0; i < taps; ++i)
      q[i] = quant::quantize_time_weight(time_values()[i], quant::time_weight_inverse(time_scale));
    return q;
  }();
  static constexpr float state_scale = quant::symmetric_params(R[static_cast<std::size_t>(P::state)], 32767).scale;

  struct bias_source {
    static constexpr float value(std::size_t c) { return F.template node<I>().bias_data.data[c]; }
    static constexpr float scale(std::size_t) { return time_scale * state_scale; }
  };

  static constexpr auto node() {
    const auto f = feature_weights::make();
    const auto t = make_constant<tensor<dtype::i16, typename WT::shape_type, per_tensor<time_scale, 0>>>(time_weights);
    using Out = activation_output<F, R, I, Options...>;
    if constexpr (std::is_same_v<typename P::bias, no_bias_t>) return P::template make<Out>(f, t, no_bias);
    else return P::template make<Out>(f, t, quantized_bias<typename P::bias::type, bias_source>::make());
  }
};

/// State node I of the int8 model as type Tq (a state an int8 LSTM or SVDF
/// updates); an initial value is quantized with Tq's parameters.
template <const auto& F, int I, class Tq>
struct quantized_state {
  using E = typename Tq::element;
  static constexpr auto count = static_cast<std::size_t>(Tq::elements);
  static constexpr bool has_initial = F.template node<I>().initial != nullptr;
  static constexpr std::array<E, count> initial = [] {
    std::array<E, count> q{};
    if constexpr (has_initial)
      for (std::size_t i = 0; i < count; ++i) {
        const std::int64_t v = reference::quantize_value(F.template node<I>().initial[i], Tq::quant::scale,
                                                         Tq::quant::zero_point);
        q[i] = static_cast<E>(std::clamp<std::int64_t>(v, std::numeric_limits<E>::min(), std::numeric_limits<E>::max()));
      }
    return q;
  }();
  static constexpr auto node() {
    if constexpr (has_initial) return qfence::state(make_constant<Tq>(initial));
    else return qfence::state<Tq>();
  }
};

/// The int8 model's type of state node I, updated by an int8 LSTM or SVDF:
/// an LSTM's hidden state at the LSTM's output parameters (it is the
/// output), its cell int16 at the power-of-two scale covering the cell's
/// range; SVDF's memory int16, symmetric, from its range. void for another
/// node, and in the int16x8 scheme, which fences LSTM and SVDF (their
/// states stay float with them).
template <const auto& F, const auto& R, int I, class... Options>
constexpr auto state_type() {
  using M = model_of<F>;
  using S = typename M::template node_output_type<I>::shape_type;
  constexpr auto at = static_cast<std::size_t>(I);
  if constexpr (int16x8_asked<Options...>) {
    return std::type_identity<void>{};
  } else if constexpr (constexpr int lstm = state_updater<M, lstm_hidden_state>[at]; lstm >= 0) {
    constexpr affine_params p = activation_params_of<F, R, lstm, Options...>();
    return std::type_identity<tensor<dtype::i8, S, per_tensor<p.scale, p.zero_point>>>{};
  } else if constexpr (state_updater<M, lstm_cell_state>[at] >= 0) {
    constexpr affine_params p = quant::power_of_two_int16_params(R[at]);
    return std::type_identity<tensor<dtype::i16, S, per_tensor<p.scale, 0>>>{};
  } else if constexpr (state_updater<M, svdf_state>[at] >= 0) {
    constexpr affine_params p = quant::symmetric_params(R[at], 32767);
    return std::type_identity<tensor<dtype::i16, S, per_tensor<p.scale, 0>>>{};
  } else {
    return std::type_identity<void>{};
  }
}

/// The same node type with `Out` appended to its options (ops whose output
/// takes its calibrated parameters).
template <class N, class Out> struct with_output { using type = void; };
template <class Op, int A, int B, class... Opts, class Out>
struct with_output<binary_node<Op, A, B, Opts...>, Out> { using type = binary_node<Op, A, B, Opts..., Out>; };
template <class Op, int In, class... Opts, class Out>
struct with_output<activation_node<Op, In, Opts...>, Out> { using type = activation_node<Op, In, Opts..., Out>; };
template <int In, std::uint32_t Alpha, class... Opts, class Out>
struct with_output<leaky_relu_node<In, Alpha, Opts...>, Out> { using type = leaky_relu_node<In, Alpha, Opts..., Out>; };
template <class Op, class Axes, int In, class... Opts, class Out>
struct with_output<reduce_node<Op, Axes, In, Opts...>, Out> { using type = reduce_node<Op, Axes, In, Opts..., Out>; };
template <class Op, dtype To, int In, class... Opts, class Out>
struct with_output<unary_node<Op, To, In, Opts...>, Out> { using type = unary_node<Op, To, In, Opts..., Out>; };
template <int Axis, bool Exclusive, bool Reverse, int In, class... Opts, class Out>
struct with_output<cumsum_node<Axis, Exclusive, Reverse, In, Opts...>, Out> {
  using type = cumsum_node<Axis, Exclusive, Reverse, In, Opts..., Out>;
};

template <class T>
inline constexpr bool float_tensor = T::type == dtype::f32 && !T::quant::quantized;

/// The requantizing form of a CONCATENATION node, output parameters Q;
/// void for the other shared_output ops, whose kernels have none.
template <class N, class Q> struct requantizing { using type = void; };
template <int Axis, int... In, class Q>
struct requantizing<concatenation_node<Axis, same_quantization, In...>, Q> {
  using type = concatenation_node<Axis, requantized_to<Q>, In...>;
};

/// A shared_output node whose operands took its parameters Q: the same
/// node, but ADD_N, which names the parameters it rescales to.
template <class N, class Q> struct sharing_form { using type = N; };
template <int... In, class Q> struct sharing_form<add_n_node<void, In...>, Q> { using type = add_n_node<Q, In...>; };

/// Whether node N has a requantizing form (CONCATENATION), so that an
/// operand at other parameters does not fence it.
template <class N> inline constexpr bool has_requantizing_form = !std::is_void_v<typename requantizing<N, void>::type>;

/// Whether every operand of node I that carries its parameters
/// (`sharing_operands`, here `refs<In...>`) was produced with them.
template <const auto& F, int I, class... Options, int... In>
constexpr bool all_inputs_take_params(refs<In...>) {
  return ((sole_sharing_reader<F, In, Options...>() == I && output_params_free<node_of<F, In>, Options...>()) && ...);
}
template <const auto& F, int I, class... Options>
constexpr bool operands_share_params() {
  return all_inputs_take_params<F, I, Options...>(typename sharing_operands<node_of<F, I>>::type{});
}

/// Whether node I (as_is or shared_output) is fenced because an operand
/// it copies could not take its parameters and it cannot requantize it.
template <const auto& F, int I, class... Options>
constexpr bool fenced_for_sharing() {
  using N = node_of<F, I>;
  constexpr treatment t = treatment_of<N, Options...>();
  if constexpr (t == treatment::as_is) return !operands_share_params<F, I, Options...>();
  else if constexpr (t == treatment::shared_output)
    return float_tensor<typename model_of<F>::template node_output_type<I>> &&
           !operands_share_params<F, I, Options...>() && !has_requantizing_form<N>;
  else return false;
}

/// Whether op tag Op reads or writes resource variables (ops/resource_variable.hpp).
template <class Op>
inline constexpr bool uses_variables = std::is_same_v<Op, qfence::op::read_variable> ||
                                       std::is_same_v<Op, qfence::op::assign_variable> ||
                                       std::is_same_v<Op, qfence::op::call_once>;
/// Whether node I of F is a resource variable (a state node that a
/// variable op reads or writes) or CALL_ONCE: either stays as it is, float,
/// as `qfence quantize` keeps the variables and CALL_ONCE (its init model
/// float); READ_VARIABLE and ASSIGN_VARIABLE are fenced around them (they
/// have no quantized form: fence_reason says so, in qfence quantize's words).
template <const auto& F, int I>
constexpr bool stays_as_variable() {
  using N = node_of<F, I>;
  if constexpr (std::is_same_v<typename N::op, qfence::op::call_once>) {
    return true;
  } else if constexpr (!qfence::detail::is_state_node<N>::value) {
    return false;
  } else {
    return []<int... J>(std::integer_sequence<int, J...>) {
      return ((uses_variables<typename node_of<F, J>::op> && refers_to<typename node_of<F, J>::inputs, I>) || ...);
    }(std::make_integer_sequence<int, model_of<F>::node_count>{});
  }
}

/// Rows [First, First + N) of table T (a calibration table's rows of one
/// model that an if_ or while_ runs), in static storage: a template
/// argument for that model's quantization.
template <const auto& T, std::size_t First, std::size_t N>
struct table_slice {
  using row = std::remove_cvref_t<decltype(T[0])>;
  static constexpr std::array<row, N> value = [] {
    std::array<row, N> s{};
    for (std::size_t i = 0; i < N; ++i) s[i] = T[First + i];
    return s;
  }();
};

/// Model K that node I of F runs, copied into static storage (so that it
/// can be a template argument: a subobject of F cannot, in Clang 14), with
/// its rows of F's table.
template <const auto& F, int I, int K>
struct called_model {
  static constexpr auto model = quant::called_models<node_of<F, I>>::template get<K>(F.template node<I>());
  using type = std::remove_cvref_t<decltype(model)>;
  static constexpr std::size_t first = quant::called_model_row<model_of<F>, I, K>();
  static constexpr std::size_t rows = quant::tree_size<type>();
};

/// An option as it applies to a model that an if_ or while_ runs (rows
/// [First, First + Rows) of the caller's tables): its values are passed,
/// never read or written as float (float_io), and its channel means are its
/// rows of the caller's.
struct called_model_t {};
template <std::size_t First, std::size_t Rows, class O> struct option_in_called { using type = O; };
template <std::size_t First, std::size_t Rows>
struct option_in_called<First, Rows, float_io_t> { using type = called_model_t; };
template <std::size_t First, std::size_t Rows, const auto& Means>
struct option_in_called<First, Rows, correct_biases_t<Means>> {
  using type = correct_biases_t<table_slice<Means, First, Rows>::value>;
};

template <const auto& Float, const auto& Ranges, class... Options, int... I>
constexpr auto quantized_model(std::integer_sequence<int, I...>);

/// Model K of node I of F, quantized with its rows of R.
template <const auto& F, const auto& R, int I, int K, class... Options>
struct quantized_called {
  using S = called_model<F, I, K>;
  using ranges = table_slice<R, S::first, S::rows>;
  static constexpr auto value =
      quantized_model<S::model, ranges::value, typename option_in_called<S::first, S::rows, Options>::type...>(
          std::make_integer_sequence<int, S::type::node_count>{});
  using type = std::remove_cvref_t<decltype(value)>;
};

/// Model M's rows as arrays: input K's and output K's node (float_rows:
/// whether node i is float, above).
template <class M>
inline constexpr auto input_rows = []<int... K>(std::integer_sequence<int, K...>) {
  return std::array<int, sizeof...(K)>{M::template input_node_index<K>...};
}(std::make_integer_sequence<int, M::input_count>{});
template <class M>
inline constexpr auto output_rows = []<int... K>(std::integer_sequence<int, K...>) {
  return std::array<int, sizeof...(K)>{M::template output_node_index<K>...};
}(std::make_integer_sequence<int, M::output_count>{});

/// K for a control_flow_output node that takes value K of node CF, else -1.
template <class N, int CF> inline constexpr int unpacked_value = -1;
template <class Sub, int K, int CF> inline constexpr int unpacked_value<control_flow_output_node<Sub, K, CF>, CF> = K;
/// Node i of M's K if it takes value K of node CF, else -1.
template <class M, int CF>
inline constexpr auto unpackers = []<int... J>(std::integer_sequence<int, J...>) {
  return std::array<int, sizeof...(J)>{unpacked_value<typename M::template node_t<J>, CF>...};
}(std::make_integer_sequence<int, M::node_count>{});

/// How an if_ or while_ passes values: passes<Model, I>(first, join)
/// calls join(a, b) for each pair of float rows (`first`: Model's first
/// row) whose bytes it copies one into the other, as for_each_passed_pair
/// (quant/quantize_model.hpp) does for a .tflite's IF and WHILE; rebuilt
/// makes the node with other models.
template <class N> struct passing;
template <class Then, class Else, int Cond, int... In>
struct passing<if_node<Then, Else, Cond, In...>> {
  static constexpr int model_of_values = 0;  // control_flow_output names the then-branch
  template <class Model, int I, class Join>
  static constexpr void passes(std::size_t first, Join& join) {
    const std::size_t t = first + quant::called_model_row<Model, I, 0>(), e = first + quant::called_model_row<Model, I, 1>();
    constexpr std::array<int, sizeof...(In)> operands{In...};
    for (std::size_t k = 0; k < operands.size(); ++k)
      if (float_rows<Model>[static_cast<std::size_t>(operands[k])]) {
        join(first + static_cast<std::size_t>(operands[k]), t + static_cast<std::size_t>(input_rows<Then>[k]));
        join(first + static_cast<std::size_t>(operands[k]), e + static_cast<std::size_t>(input_rows<Else>[k]));
      }
    for (std::size_t k = 0; k < output_rows<Then>.size(); ++k) {
      const auto o = static_cast<std::size_t>(output_rows<Then>[k]);
      if (!float_rows<Then>[o]) continue;
      join(t + o, e + static_cast<std::size_t>(output_rows<Else>[k]));
      for (std::size_t j = 0; j < unpackers<Model, I>.size(); ++j)
        if (unpackers<Model, I>[j] == static_cast<int>(k)) join(first + j, t + o);
    }
  }
  template <class QThen, class QElse>
  static constexpr auto rebuilt(const QThen& then_branch, const QElse& else_branch) {
    return if_node<QThen, QElse, Cond, In...>{then_branch, else_branch};
  }
};
template <class Cond, class Body, int... In>
struct passing<while_node<Cond, Body, In...>> {
  static constexpr int model_of_values = 1;  // control_flow_output names the body
  template <class Model, int I, class Join>
  static constexpr void passes(std::size_t first, Join& join) {
    const std::size_t c = first + quant::called_model_row<Model, I, 0>(), b = first + quant::called_model_row<Model, I, 1>();
    constexpr std::array<int, sizeof...(In)> operands{In...};
    for (std::size_t k = 0; k < operands.size(); ++k) {
      const std::size_t x = first + static_cast<std::size_t>(operands[k]);
      if (!float_rows<Model>[static_cast<std::size_t>(operands[k])]) continue;
      join(x, c + static_cast<std::size_t>(input_rows<Cond>[k]));
      join(x, b + static_cast<std::size_t>(input_rows<Body>[k]));
      join(x, b + static_cast<std::size_t>(output_rows<Body>[k]));
      for (std::size_t j = 0; j < unpackers<Model, I>.size(); ++j)
        if (unpackers<Model, I>[j] == static_cast<int>(k)) join(x, first + j);
    }
  }
  template <class QCond, class QBody>
  static constexpr auto rebuilt(const QCond& cond, const QBody& body) {
    return while_node<QCond, QBody, In...>{cond, body};
  }
};

/// The ranges qfence::quantize works from: R's, except that a value an
/// if_ or while_ passes has one range in every row it passes through (the
/// union of what calibration saw in each), so the bytes are read at the
/// parameters they were written at. The groups are transitive (a value
/// passed on to a nested if_ is one group): the runtime path's
/// passed_value_groups, row by row. Each row also says whether R holds a
/// range for it (row_range::computed).
template <class M, const auto& R>
struct passed_value_ranges {
  static constexpr std::size_t rows = quant::tree_size<M>();
  static constexpr std::array<row_range, rows> value = [] {
    std::array<std::size_t, rows> parent{};
    std::array<bool, rows> passed{};
    for (std::size_t i = 0; i < rows; ++i) parent[i] = i;
    const auto root = [&](std::size_t r) {
      while (parent[r] != r) r = parent[r];
      return r;
    };
    auto join = [&](std::size_t a, std::size_t b) {
      passed[a] = passed[b] = true;
      parent[root(a)] = root(b);
    };
    quant::for_each_tree_node<M>(0, [&]<class Model, int I>(std::size_t row) {
      if constexpr (quant::called_models<typename Model::template node_t<I>>::count > 0)
        passing<typename Model::template node_t<I>>::template passes<Model, I>(row - static_cast<std::size_t>(I), join);
    });
    std::array<quant::real_range, rows> u{};
    std::array<bool, rows> seen{};
    for (std::size_t i = 0; i < rows; ++i)
      if (passed[i] && quant::observed(R[i])) {
        const std::size_t g = root(i);
        u[g] = seen[g] ? quant::real_range{std::min(u[g].min, R[i].min), std::max(u[g].max, R[i].max)} : R[i];
        seen[g] = true;
      }
    std::array<row_range, rows> out{};
    for (std::size_t i = 0; i < rows; ++i)
      out[i] = {passed[i] && seen[root(i)] ? u[root(i)] : R[i], quant::observed(R[i])};
    return out;
  }();
};

/// Why an if_ or while_ stays float, if it does.
enum class control_flow_obstacle {
  none,
  not_calibrated,    ///< a value it passes has no range: no calibration sample reached it
  other_parameters,  ///< a value it passes is produced at other parameters than the value's (fixed, an input's)
};

/// Whether node J of F (if float) has the parameters of its range in R,
/// those at which an if_ or while_ passes it.
template <const auto& F, const auto& R, int J, class... Options>
constexpr bool at_passed_params() {
  if constexpr (!float_rows<model_of<F>>[static_cast<std::size_t>(J)]) return true;
  else return activation_params_of<F, R, J, Options...>() ==
              quant::activation_params(R[static_cast<std::size_t>(J)], activation_type<Options...>);
}

template <class N> struct operands_after_condition { using type = typename N::inputs; };
template <class Then, class Else, int Cond, int... In>
struct operands_after_condition<if_node<Then, Else, Cond, In...>> { using type = refs<In...>; };

template <const auto& F, const auto& R, class... Options, int... J>
constexpr bool all_at_passed_params(refs<J...>) {
  return (at_passed_params<F, R, J, Options...>() && ...);
}

/// What keeps model K of node I of F from being quantized for it, if
/// anything: its own nodes' ranges, its outputs' parameters.
template <const auto& F, const auto& R, int I, int K, class... Options>
constexpr control_flow_obstacle called_obstacle() {
  using S = called_model<F, I, K>;
  using Q = quantized_called<F, R, I, K, Options...>;
  // Its other nodes may lack ranges (a branch no sample took): they stay
  // float (uncomputed), between the parameters of the values it passes.
  for (const auto rows : {std::span<const int>(input_rows<typename S::type>), std::span<const int>(output_rows<typename S::type>)})
    for (const int j : rows)
      if (float_rows<typename S::type>[static_cast<std::size_t>(j)] &&
          !quant::observed(Q::ranges::value[static_cast<std::size_t>(j)]))
        return control_flow_obstacle::not_calibrated;
  constexpr bool outputs_at_params = []<int... k>(std::integer_sequence<int, k...>) {
    return (at_passed_params<S::model, Q::ranges::value, S::type::template output_node_index<k>,
                             typename option_in_called<S::first, S::rows, Options>::type...>() && ...);
  }(std::make_integer_sequence<int, S::type::output_count>{});
  return outputs_at_params ? control_flow_obstacle::none : control_flow_obstacle::other_parameters;
}

/// What keeps if_ or while_ node I of F from being quantized, if anything
/// (control_flow_obstacle); none: its models run in the scheme's integers
/// and every value it passes has one set of parameters throughout.
template <const auto& F, const auto& R, int I, class... Options>
constexpr control_flow_obstacle control_flow_obstacle_of() {
  constexpr control_flow_obstacle first = called_obstacle<F, R, I, 0, Options...>();
  if constexpr (first != control_flow_obstacle::none) {
    return first;
  } else if constexpr (constexpr control_flow_obstacle second = called_obstacle<F, R, I, 1, Options...>();
                       second != control_flow_obstacle::none) {
    return second;
  } else {
    return all_at_passed_params<F, R, Options...>(typename operands_after_condition<node_of<F, I>>::type{})
               ? control_flow_obstacle::none
               : control_flow_obstacle::other_parameters;
  }
}

template <const auto& F, int... R>
constexpr bool reads_float(refs<R...>) {
  return (float_rows<model_of<F>>[static_cast<std::size_t>(R)] || ...);
}
/// Whether node I of F computes on integers only (an integer literal, a
/// loop counter's ADD, a comparison of indices): it stays as it is.
template <const auto& F, int I, class... Options>
constexpr bool integer_only() {
  using N = node_of<F, I>;
  constexpr treatment t = treatment_of<N, Options...>();
  if constexpr (t == treatment::input || t == treatment::control_flow || t == treatment::unpacked ||
                std::is_same_v<typename N::op, qfence::op::state>)
    return false;
  else return !float_rows<model_of<F>>[static_cast<std::size_t>(I)] && !reads_float<F>(typename N::inputs{});
}

/// Whether node I of F is an if_ or while_ that stays float, or a
/// control_flow_output of one (a fence each, as before quantization).
template <const auto& F, const auto& R, int I, class... Options>
constexpr bool stays_float_with_control_flow() {
  using N = node_of<F, I>;
  constexpr treatment t = treatment_of<N, Options...>();
  if constexpr (t == treatment::control_flow)
    return control_flow_obstacle_of<F, R, I, Options...>() != control_flow_obstacle::none;
  else if constexpr (t == treatment::unpacked) {
    constexpr int cf = first_ref<typename N::inputs>::value;
    if constexpr (treatment_of<node_of<F, cf>, Options...>() != treatment::control_flow) return true;  // a fence, say
    else return stays_float_with_control_flow<F, R, cf, Options...>();
  } else {
    return false;
  }
}

/// Node I of F kept float in a fence. Its border quantizes at the
/// parameters of its range; a node with none (no calibration sample
/// computed it) has no border: its readers are float too, and a quantized
/// reader of it fails to compile, naming the node.
template <const auto& F, const auto& R, int I, class... Options>
constexpr auto island_node() {
  using N = node_of<F, I>;
  using FenceOut = decltype([] {
    if constexpr (quant::observed(R[static_cast<std::size_t>(I)])) return fence_output<F, R, I, Options...>{};
    else return no_fence_output{};
  }());
  if constexpr (is_fence<N>) return fence_node<typename N::inner, FenceOut>{F.template node<I>().node};
  else return fence_node<N, FenceOut>{F.template node<I>()};
}

/// Node I of the int8 model.
template <const auto& F, const auto& R, int I, class... Options>
constexpr auto quantized_node() {
  using N = node_of<F, I>;
  using op = typename N::op;
  constexpr treatment t = treatment_of<N, Options...>();
  using Out = activation_output<F, R, I, Options...>;
  using State = typename decltype(state_type<F, R, I, Options...>())::type;
  if constexpr (!std::is_void_v<State>) {
    return quantized_state<F, I, State>::node();
  } else if constexpr (integer_only<F, I, Options...>() || stays_as_variable<F, I>()) {
    return F.template node<I>();
  } else if constexpr (uncomputed<F, R, I, Options...>()) {
    return island_node<F, R, I, Options...>();
  } else if constexpr (t == treatment::stateful) {
    if constexpr (lstm_node_parts<N>::is_lstm) return quantized_lstm<F, R, I, Options...>::node();
    else return quantized_svdf<F, R, I, Options...>::node();
  } else if constexpr (t == treatment::input) {
    using T = typename model_of<F>::template node_output_type<I>;
    if constexpr (float_tensor<T> && float_io_asked<Options...>) {
      return fence_node<N, fence_output<F, R, I, Options...>>{};  // float in; its border quantizes it
    } else if constexpr (float_tensor<T>) {
      return input_node<retyped<T, activation_type<Options...>, typename Out::quant>, N::overwritable>{};
    } else {
      return N{};  // an integer input (indices, lengths) is left alone
    }
  } else if constexpr (t == treatment::island || stays_float_with_control_flow<F, R, I, Options...>()) {
    return island_node<F, R, I, Options...>();
  } else if constexpr (t == treatment::control_flow) {
    return passing<N>::rebuilt(quantized_called<F, R, I, 0, Options...>::value,
                               quantized_called<F, R, I, 1, Options...>::value);
  } else if constexpr (t == treatment::unpacked) {
    constexpr int cf = first_ref<typename N::inputs>::value;
    using Values = typename quantized_called<F, R, cf, passing<node_of<F, cf>>::model_of_values, Options...>::type;
    return control_flow_output_node<Values, unpacked_value<N, cf>, cf>{};
  } else if constexpr (t == treatment::table) {
    return tabulated_node<op, Out, first_ref<typename N::inputs>::value>{};
  } else if constexpr (t == treatment::layer) {
    static_assert(check<layer_parts<N>::known, at_node<I, op>>,
                  "qfence::quantize: this layer has weights that the compile-time quantizer does not quantize yet "
                  "(it does CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV). fix: fence it in the "
                  "float graph, "
                  "qfence::fence(node), or quantize the .tflite with `qfence quantize`");
    if constexpr (layer_parts<N>::known) return quantized_layer<F, R, I, Options...>::node();
  } else if constexpr (t == treatment::calibrated_output) {
    using Q = typename with_output<N, Out>::type;
    static_assert(check<!std::is_void_v<Q> && std::is_empty_v<N>, at_node<I, op>>,
                  "qfence::quantize: the compile-time quantizer cannot give this op its output parameters yet. fix: "
                  "fence it in the float graph, qfence::fence(node), or quantize the .tflite with `qfence quantize`");
    if constexpr (!std::is_void_v<Q>) return Q{};
  } else if constexpr (fenced_for_sharing<F, I, Options...>()) {
    return fence_node<N, fence_output<F, R, I, Options...>>{F.template node<I>()};
  } else if constexpr (t == treatment::as_is) {
    return F.template node<I>();
  } else {  // shared_output: operands' producers took this node's parameters where they could
    using Sharing = typename sharing_form<N, typename Out::quant>::type;
    if constexpr (!float_tensor<typename model_of<F>::template node_output_type<I>>) return F.template node<I>();  // integers
    else if constexpr (operands_share_params<F, I, Options...>() && std::is_same_v<Sharing, N>) return F.template node<I>();
    else if constexpr (operands_share_params<F, I, Options...>()) return Sharing{};
    else return typename requantizing<N, typename Out::quant>::type{};
  }
}

/// The node appended for output node R of the int8 model Q with float
/// outputs: a DEQUANTIZE of a quantized output, a float copy of a fenced
/// node's float output (its fence's border is not the output's), a copy of
/// an integer one.
template <class Q, int R>
constexpr auto float_output_node() {
  using T = typename Q::template node_output_type<R>;
  const auto copy = []<int... D>(std::integer_sequence<int, D...>) {
    return reshape_node<R, T::shape_type::dim(D)...>{};
  }(std::make_integer_sequence<int, static_cast<int>(T::rank)>{});
  if constexpr (is_fence<typename Q::template node_t<R>>) return fence_node<decltype(copy), no_fence_output>{};
  else if constexpr (T::quant::quantized) return dequantize_node<R>{};
  else return copy;
}

/// The int8 model Q's nodes with one float output node per output of Q
/// appended, declared as the outputs.
template <class Q, class Nodes, class Outputs> struct with_float_outputs;
template <class Q, class... Nodes, int... K>
struct with_float_outputs<Q, std::tuple<Nodes...>, std::integer_sequence<int, K...>> {
  static constexpr int n = static_cast<int>(sizeof...(Nodes));
  template <int k> using output_node = decltype(float_output_node<Q, Q::template checked_output_node<k>()>());
  using type = model<declared_outputs<(n + K)...>, Nodes..., output_node<K>...>;
  static constexpr type make(Nodes... nodes) { return type(nodes..., output_node<K>{}...); }
};

/// Every node of a float model must be float (or an integer input).
template <const auto& F, int I>
constexpr bool float_node() {
  using T = typename model_of<F>::template node_output_type<I>;
  return !T::quant::quantized;
}

/// Node I of the int8 model as the model keeps it. A layer whose SIMD
/// kernel runs on packed weights (its prepared form in Unpacked, the model
/// of the nodes as quantized_node makes them) gets them packed here, in a
/// constant of its own, and takes them as `qfence embed`'s layers do
/// (qfence::prepacked): packed in the model's constructor, every layer's
/// packing was one constant expression, the model's, and GCC's limit on
/// the operations of one (-fconstexpr-ops-limit) is per expression, so a
/// model of person_detect's size stopped there; per layer it fits.
template <class Unpacked, const auto& F, const auto& R, int I, class... Options>
struct packed_node {
  static constexpr auto unpacked = quantized_node<F, R, I, Options...>();
  using N = std::remove_cvref_t<decltype(unpacked)>;
  using prepared = typename Unpacked::template prepared_t<I>;
  static constexpr auto packing() {
    if constexpr (layer_parts<N>::known && requires { prepared::pack(unpacked); }) return prepared::pack(unpacked);
    else return nullptr;
  }
  static constexpr auto arrays = packing();
  static constexpr auto node() {
    if constexpr (std::is_null_pointer_v<std::remove_cvref_t<decltype(arrays)>>) {
      return unpacked;
    } else {
      const std::int32_t* epilogue = nullptr;
      if constexpr (requires { arrays.epilogue_data(); }) epilogue = arrays.epilogue_data();
      return layer_parts<N>::rebuilt(unpacked.weights_data, unpacked.bias_data,
                                     qfence::prepacked(arrays.weight_data(), epilogue));
    }
  }
};

/// The int8 model of quantize(): node I of the float model becomes quantized_node<I>.
template <const auto& Float, const auto& Ranges, class... Options, int... I>
constexpr auto quantized_model(std::integer_sequence<int, I...>) {
  using M = model_of<Float>;
  using Unpacked = model<typename outputs_of<M>::type, decltype(quantized_node<Float, Ranges, I, Options...>())...>;
  [[maybe_unused]] constexpr bool valid = Unpacked::valid;  // each node's rule, checked here
  using Q = model<typename outputs_of<M>::type, decltype(packed_node<Unpacked, Float, Ranges, I, Options...>::node())...>;
  if constexpr (float_io_asked<Options...>) {
    using W = with_float_outputs<Q, std::tuple<decltype(packed_node<Unpacked, Float, Ranges, I, Options...>::node())...>,
                                 std::make_integer_sequence<int, Q::output_count>>;
    [[maybe_unused]] constexpr bool float_valid = W::type::valid;
    return W::make(packed_node<Unpacked, Float, Ranges, I, Options...>::node()...);
  } else {
    return Q(packed_node<Unpacked, Float, Ranges, I, Options...>::node()...);
  }
}
/// Why node I of the float model stays float in qfence::quantize's model,
/// in `qfence quantize`'s words where the rule is the same; empty where it
/// does not (inputs; state nodes, tensors that the op updating them
/// quantizes or keeps float with it, as `qfence quantize` reports the op,
/// not its variable; float literals, whose fence is how a constant is
/// quantized: it quantizes at its border; control_flow_output, which
/// unpacks the values of its if_ or while_, whose line says it).
template <const auto& F, const auto& R, int I, class... Options>
std::string fence_reason() {
  using N = node_of<F, I>;
  using op = typename N::op;
  constexpr treatment t = treatment_of<N, Options...>();
  constexpr bool int16 = int16x8_asked<Options...>;
  if constexpr (t == treatment::input || t == treatment::unpacked || std::is_same_v<op, qfence::op::state> ||
                std::is_same_v<op, qfence::op::literal> || integer_only<F, I, Options...>() ||
                stays_as_variable<F, I>()) {
    return {};
  } else if constexpr (t == treatment::control_flow) {
    constexpr control_flow_obstacle why = control_flow_obstacle_of<F, R, I, Options...>();
    if constexpr (why == control_flow_obstacle::not_calibrated)
      return "control flow: a value it passes was never computed on the calibration data (no sample reached it), so "
             "it has no range; the models it runs stay float";
    else if constexpr (why == control_flow_obstacle::other_parameters)
      return "control flow: a value it passes is produced at other parameters than those it is passed at (a fixed "
             "output, an input's); qfence quantize requantizes it there, qfence::quantize keeps the models it runs "
             "float";
    else return {};
  } else if constexpr (uncomputed<F, R, I, Options...>()) {
    return "its output was never computed on the calibration data (a branch no sample takes?), so it has no range";
  } else if constexpr (t == treatment::island) {
    constexpr runtime::op_code code = op_code_of<op>();
    constexpr op_property p = scheme_property<Options...>(code);
    if constexpr (is_fence<N>) return "fenced in the float graph (qfence::fence)";
    else if constexpr (is_custom<N>)
      return "custom op with no quantized kernel (qfence::use_table<op> gives an elementwise one a table)";
    else if constexpr (code == runtime::op_code::custom)  // a typed node with no TFLite op (state, ...)
      return "qfence::quantize has no " + std::string(int16 ? "int16x8" : "int8") + " form for it";
    else if constexpr (!p.quantizable) return quant::detail::no_quantized_form(code, int16);
    else return "a state the compile-time quantizer does not quantize";
  } else if constexpr (fenced_for_sharing<F, I, Options...>()) {
    return "it copies an operand's values into its output, so the operand must have its parameters, and the "
           "operand's producer keeps its own (another node reads it, or it has its input's or fixed ones); this op "
           "cannot requantize (qfence quantize inserts a QUANTIZE there)";
  } else {
    return {};
  }
}

template <const auto& F, const auto& R, int I, int K, class... Options>
void append_called_fence_lines(std::vector<quant::fence_line>& lines, const std::string& within);

/// Appends the fence lines of model F (ranges R) to `lines`, those of the
/// models its quantized if_ and while_ nodes run after each (`within`:
/// where F runs, "" for the model quantized).
template <const auto& F, const auto& R, class... Options>
void append_fence_lines(std::vector<quant::fence_line>& lines, const std::string& within) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (
        [&] {
          using N = node_of<F, I>;
          using T = typename model_of<F>::template node_output_type<I>;
          constexpr runtime::op_code code = op_code_of<typename N::op>();
          if (std::string why = fence_reason<F, R, I, Options...>(); !why.empty()) {
            // Builtins by TFLite's name, as `qfence quantize` names them.
            const std::string op = code == runtime::op_code::custom ? std::string(N::op::name)
                                                                    : std::string(runtime::op_code_name(code));
            // IF and WHILE pack the values they pass (a byte tensor); those are float.
            const bool float_output = T::type == dtype::f32 || quant::int8_property(code).passes_to_subgraphs;
            lines.push_back({I, op, std::move(why), 0, float_output, true, within});
          }
          if constexpr (treatment_of<N, Options...>() == treatment::control_flow) {
            if constexpr (control_flow_obstacle_of<F, R, I, Options...>() == control_flow_obstacle::none) {
              append_called_fence_lines<F, R, I, 0, Options...>(lines, within);
              append_called_fence_lines<F, R, I, 1, Options...>(lines, within);
            }
          }
        }(),
        ...);
  }(std::make_integer_sequence<int, model_of<F>::node_count>{});
}

/// Appends the fence lines of model K of if_ or while_ node I of F (a
/// function, not a lambda in append_fence_lines: GCC 12 cannot expand
/// Options there).
template <const auto& F, const auto& R, int I, int K, class... Options>
void append_called_fence_lines(std::vector<quant::fence_line>& lines, const std::string& within) {
  using Q = quantized_called<F, R, I, K, Options...>;
  append_fence_lines<Q::S::model, Q::ranges::value, typename option_in_called<Q::S::first, Q::S::rows, Options>::type...>(
      lines, " of node " + std::to_string(I) + "'s " + quant::called_models<node_of<F, I>>::role(K) + within);
}

}  // namespace detail::quantize_graph

/// The nodes qfence::quantize<Float, Ranges>(Options...) keeps in float,
/// and why: one fence line each, as `qfence quantize` prints them for a
/// .tflite; nodes of the models a quantized if_ or while_ runs after it,
/// named as such ("node 1 (SQRT) of node 3's else-branch"). Inside an
/// if_ or while_ the ranges decide fences too (the nodes of a branch no
/// sample took stay float; an if_ stays float where a value it passes has
/// no range or other parameters); elsewhere they change parameters only.
///
///   for (const auto& f : qfence::quantize_fences<float_model, ranges>(qfence::use_table<gelu>)) std::puts(f.text().c_str());
///   // fence: node 3 (SQRT) stays float: qfence has no int8 kernel for it; DEQUANTIZE before it, QUANTIZE after
template <const auto& Float, const auto& Ranges, class... Options>
std::vector<quant::fence_line> quantize_fences(Options...) {
  using M = detail::quantize_graph::model_of<Float>;
  static_assert(std::size(Ranges) == quant::tree_size<M>(),
                "qfence::quantize_fences<model, ranges>: ranges must hold one real_range per node of the float "
                "model (by node index), then one per node of each model its if_ and while_ nodes run "
                "(quant/node_tree.hpp; what quant::ranges_header writes for this model); calibrate this model again");
  std::vector<quant::fence_line> lines;
  detail::quantize_graph::append_fence_lines<Float, detail::quantize_graph::passed_value_ranges<M, Ranges>::value,
                                             Options...>(lines, "");
  return lines;
}

namespace detail::quantize_graph {
template <class M>
inline constexpr std::array<quant::real_range, quant::tree_size<M>()> no_ranges{};
template <class M>
constexpr bool has_control_flow() {
  bool any = false;
  quant::for_each_tree_node<M>(0, [&]<class Model, int I>(std::size_t) {
    any = any || quant::called_models<typename Model::template node_t<I>>::count > 0;
  });
  return any;
}
}  // namespace detail::quantize_graph

/// The same for a model without if_ or while_, whose fences do not depend
/// on the ranges.
template <const auto& Float, class... Options>
std::vector<quant::fence_line> quantize_fences(Options... options) {
  using M = detail::quantize_graph::model_of<Float>;
  static_assert(!detail::quantize_graph::has_control_flow<M>(),
                "qfence::quantize_fences<model>: whether an if_ or while_ is quantized depends on the ranges (the "
                "nodes of a branch no sample took stay float). fix: qfence::quantize_fences<model, ranges>(options...)");
  return quantize_fences<Float, detail::quantize_graph::no_ranges<M>>(options...);
}

/// The int8 model of float model `Float` (a `constexpr` graph at namespace
/// scope) with the ranges `Ranges` (one quant::real_range per node, by node
/// index, then per node of the models its if_ and while_ nodes run:
/// quant/node_tree.hpp; what quant::ranges_header writes). Options: qfence::use_table<Op>,
/// qfence::correct_biases<channel_means>, qfence::float_io, qfence::int16x8
/// (the int16x8 model instead).
template <const auto& Float, const auto& Ranges, class... Options>
constexpr auto quantize(Options...) {
  using M = detail::quantize_graph::model_of<Float>;
  static_assert(std::size(Ranges) == quant::tree_size<M>(),
                "qfence::quantize<model, ranges>: ranges must hold one real_range per node of the float model (by "
                "node index), then one per node of each model its if_ and while_ nodes run (quant/node_tree.hpp; "
                "what quant::ranges_header writes for this model); calibrate this model again");
  return [&]<int... I>(std::integer_sequence<int, I...> nodes) {
    static_assert((detail::quantize_graph::float_node<Float, I>() && ...),
                  "qfence::quantize<model, ranges>: the model must be a float32 graph (it has quantized tensors)");
    return detail::quantize_graph::quantized_model<Float, detail::quantize_graph::passed_value_ranges<M, Ranges>::value,
                                                   Options...>(nodes);
  }(std::make_integer_sequence<int, M::node_count>{});
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
