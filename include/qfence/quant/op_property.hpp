// qfence/quant/op_property.hpp: how post-training quantization treats each
// op (TFLite keeps the same facts in operator_property.cc): which operands
// are activations, weights (and along which axis their scales run), biases
// or integer operands left alone, and where the output's parameters come
// from.
//
// What an int8 op then accepts is not repeated here: the op's type rule
// (rules/) checks the quantized model when the quantizer prepares it, and
// the fixed output parameters (softmax, logistic, tanh) come from the rules
// themselves.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/activation.hpp"
#include "qfence/rules/l2_normalization.hpp"
#include "qfence/rules/softmax.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

enum class operand_role {
  activation,  ///< quantized with its calibrated (or propagated) parameters
  weights,     ///< constant, symmetric int8, per channel along weights_axis (or per tensor)
  bias,        ///< constant, int32 at input scale * weight scale, zero point 0
  integer,     ///< shapes, axes, paddings, indices: left as they are
  /// Constant, symmetric int16 in [-512, 512], per tensor: SVDF's time
  /// weights. Ten bits, so that the sum of `memory` products with the int16
  /// state keeps six bits of headroom in int32 (TFLite's number_of_bits = 10).
  time_weights,
  /// A variable (SVDF's memory of past feature projections): int16,
  /// symmetric, from the range calibration saw it hold.
  state,
  /// A variable holding the op's previous output (LSTM's hidden state): the
  /// output's parameters (TFLite's restrict_scale), since it is the output.
  output_state,
  /// A variable kept as int16 with a power-of-two scale, the smallest of
  /// 2^0 .. 2^10 that covers the range calibration saw (LSTM's cell state:
  /// TFLite's extend_to_power_of_two; the kernels shift by its log2).
  power_of_two_state,
};

/// A variable the op updates (every state role).
constexpr bool is_state(operand_role r) {
  return r == operand_role::state || r == operand_role::output_state || r == operand_role::power_of_two_state;
}
/// A state kept in int16 whatever the scheme (SVDF's memory, LSTM's cell).
constexpr bool is_int16_state(operand_role r) {
  return r == operand_role::state || r == operand_role::power_of_two_state;
}

enum class output_params {
  calibrated,  ///< the output's own calibrated range
  same_as_input,  ///< input 0's parameters: the op moves or selects values, never rescales
  fixed,       ///< the op's fixed parameters (softmax, logistic, tanh)
  not_quantized,  ///< an integer output (ARG_MAX's indices)
};

struct op_property {
  bool quantizable = false;  ///< qfence runs it on int8 with TFLite's arithmetic
  /// By position; positions not set are activations (the enumerator 0).
  /// 20: LSTM's operands up to its cell state.
  std::array<operand_role, 20> inputs{};
  int weights_axis = -1;     ///< the weights' channel axis; -1: per tensor
  int weights_input = -1, bias_input = -1, activation_input = 0;  ///< which inputs they are
  /// The two inputs whose scales multiply into the bias's scale: the
  /// activation and the weights (the k-th bias input with the k-th weights
  /// input: LSTM's four gates), except SVDF's, whose bias is added after the
  /// time weights multiply the state.
  std::array<int, 2> bias_scale_inputs{-1, -1};
  output_params output = output_params::calibrated;
  /// Inputs must carry the output's parameters (int8 CONCATENATION):
  /// the quantizer requantizes those that do not.
  bool inputs_share_output_params = false;
  /// IF and WHILE: the op copies its operands' bytes into the subgraphs it
  /// runs and their results' bytes out, so every tensor one value passes
  /// through (the operand, the subgraphs' input and output, the op's output)
  /// carries one set of parameters, from the union of their calibrated
  /// ranges (quantize_model.hpp, passed_value_groups).
  bool passes_to_subgraphs = false;

  constexpr operand_role role(std::size_t i) const { return i < inputs.size() ? inputs[i] : operand_role::activation; }
  constexpr bool has_state() const {
    for (const operand_role r : inputs)
      if (is_state(r)) return true;
    return false;
  }
  /// The inputs whose scales multiply into the scale of the bias at input
  /// position `bias_position`.
  constexpr std::array<int, 2> bias_scale_of(int bias_position) const {
    return bias_scale_inputs[0] >= 0 ? bias_scale_inputs
                                     : std::array<int, 2>{activation_input, weights_input + (bias_position - bias_input)};
  }
};

/// How the int8 scheme treats an op. An op marked not quantizable is fenced
/// (kept in float, with dequantize/quantize at its borders). constexpr: the
/// compile-time quantization of a C++-described model
/// (quant/quantize_graph.hpp) follows the same facts as `qfence quantize`.
constexpr op_property int8_property(runtime::op_code code) {
  using runtime::op_code;
  using R = operand_role;
  op_property p;
  p.quantizable = true;
  switch (code) {
    case op_code::conv_2d:
      p.inputs = {R::activation, R::weights, R::bias};
      p.weights_axis = 0;
      p.weights_input = 1;
      p.bias_input = 2;
      break;
    case op_code::depthwise_conv_2d:
      p.inputs = {R::activation, R::weights, R::bias};
      p.weights_axis = 3;
      p.weights_input = 1;
      p.bias_input = 2;
      break;
    case op_code::fully_connected:
      // Per tensor, as TFLite's converter writes it by default (TFLM's
      // kernel takes per-channel weights only in recent versions).
      p.inputs = {R::activation, R::weights, R::bias};
      p.weights_input = 1;
      p.bias_input = 2;
      break;
    case op_code::transpose_conv:
      p.inputs = {R::integer, R::weights, R::activation, R::bias};
      p.weights_axis = 0;
      p.weights_input = 1;
      p.bias_input = 3;
      p.activation_input = 2;
      break;
    case op_code::svdf:
      // TFLite's operator_property: feature weights int8 per tensor (the
      // kernel has one feature scale), time weights int16 with 10 bits, the
      // state int16, the bias at time scale x state scale. The integer
      // kernel applies no fused activation: a RELU's zero is the output's
      // lowest value, as its calibrated range makes it.
      p.inputs = {R::activation, R::weights, R::time_weights, R::bias, R::state};
      p.weights_input = 1;
      p.bias_input = 3;
      p.bias_scale_inputs = {2, 4};
      break;
    case op_code::unidirectional_sequence_lstm: {
      // TFLite's operator_property for an LSTM without layer norm, peephole
      // or projection (TFLM's kernel has none of them): the eight weight
      // matrices int8 per tensor (TFLM reads one scale each), each gate's
      // bias at input scale x its input weights' scale, the hidden state
      // at the output's parameters, the cell state int16 with a power-of-two
      // scale. The gates run in Q3.12 whatever the ranges. TFLite's kernel
      // also wants five intermediate tensors (quantize_model.hpp adds them).
      constexpr auto W = R::weights, B = R::bias, A = R::activation;
      p.inputs = {A, W, W, W, W, W, W, W, W, A, A, A, B, B, B, B, A, A, R::output_state, R::power_of_two_state};
      p.weights_input = 1;
      p.bias_input = 12;
      break;
    }
    case op_code::average_pool_2d:
    case op_code::max_pool_2d:
    case op_code::maximum:
    case op_code::minimum:
    // TFLM's RELU6 clamps in its input's quantization whatever the output's
    // parameters say (docs/numerics.md): with the input's parameters TFLM
    // and TFLite compute the same thing.
    case op_code::relu6:
      p.output = output_params::same_as_input;
      break;
    case op_code::reshape:
    case op_code::expand_dims:
    case op_code::pad:
    case op_code::mirror_pad:
    case op_code::transpose:
    case op_code::resize_bilinear:
    case op_code::resize_nearest_neighbor:
      p.inputs = {R::activation, R::integer};
      p.output = output_params::same_as_input;
      break;
    case op_code::strided_slice:
      p.inputs = {R::activation, R::integer, R::integer, R::integer};
      p.output = output_params::same_as_input;
      break;
    case op_code::slice:
      p.inputs = {R::activation, R::integer, R::integer};
      p.output = output_params::same_as_input;
      break;
    case op_code::split:
      p.inputs = {R::integer, R::activation};
      p.activation_input = 1;
      p.output = output_params::same_as_input;
      break;
    case op_code::split_v:
      p.inputs = {R::activation, R::integer, R::integer};
      p.output = output_params::same_as_input;
      break;
    case op_code::unpack:
    case op_code::squeeze:
    case op_code::depth_to_space:
    case op_code::space_to_depth:
    case op_code::space_to_batch_nd:
    case op_code::batch_to_space_nd:
      p.output = output_params::same_as_input;
      break;
    case op_code::concatenation:
    case op_code::pack:  // int8 PACK, like CONCATENATION, copies bytes: every input has the output's parameters
    case op_code::add_n:  // TFLM: every input at one scale and zero point; the output rescales
      p.inputs_share_output_params = true;
      break;
    case op_code::dynamic_update_slice:  // copies the operand, then the update's bytes
      p.inputs = {R::activation, R::activation, R::integer};
      p.inputs_share_output_params = true;
      break;
    case op_code::padv2:  // pads with its constant's bytes: it, like the output, takes the input's parameters
      p.inputs = {R::activation, R::integer, R::activation};
      p.output = output_params::same_as_input;
      p.inputs_share_output_params = true;
      break;
    case op_code::select_v2:  // copies x's or y's bytes (TFLite's SELECT: restrict_same_input_output_scale)
      p.inputs = {R::integer, R::activation, R::activation};
      p.activation_input = 1;
      p.inputs_share_output_params = true;
      break;
    case op_code::softmax:
    case op_code::log_softmax:
    case op_code::l2_normalization:
    case op_code::logistic:
    case op_code::tanh:
      p.output = output_params::fixed;
      break;
    case op_code::mean:
    case op_code::sum:
      p.inputs = {R::activation, R::integer};
      break;
    case op_code::reduce_max:
    case op_code::reduce_min:
      p.inputs = {R::activation, R::integer};
      p.output = output_params::same_as_input;
      break;
    case op_code::shape:  // reads the input's shape only
      p.output = output_params::not_quantized;
      break;
    case op_code::zeros_like:
      p.output = output_params::same_as_input;
      break;
    case op_code::gather:
    case op_code::gather_nd:  // TFLite: restrict_same_input_output_scale
    case op_code::reverse_v2:
    case op_code::broadcast_to:
      p.inputs = {R::activation, R::integer};
      p.output = output_params::same_as_input;
      break;
    case op_code::cumsum:  // TFLM rescales each running sum to the output's parameters, as ADD does
      p.inputs = {R::activation, R::integer};
      break;
    case op_code::fill:
      p.inputs = {R::integer, R::activation};
      p.activation_input = 1;
      p.output = output_params::same_as_input;
      break;
    case op_code::arg_max:
    case op_code::arg_min:
      p.inputs = {R::activation, R::integer};
      p.output = output_params::not_quantized;
      break;
    case op_code::equal:
    case op_code::not_equal:
    case op_code::greater:
    case op_code::greater_equal:
    case op_code::less:
    case op_code::less_equal:  // each operand at its own parameters; a bool out
      p.output = output_params::not_quantized;
      break;
    case op_code::add:
    case op_code::sub:
    case op_code::mul:
    case op_code::relu:
    case op_code::leaky_relu:
    case op_code::abs:
    case op_code::rsqrt:
    case op_code::elu:
    case op_code::hard_swish:
    case op_code::gelu:
    case op_code::batch_matmul:  // a constant operand at its own range (TFLite: quantize_input_as_activations)
    case op_code::prelu:  // alpha a constant operand at its own range, as TFLite quantizes it
    case op_code::squared_difference:
      break;
    case op_code::if_:
    case op_code::while_:
      p.passes_to_subgraphs = true;
      break;
    default:  // no int8 kernel with TFLite's rules (SQRT, DIV, custom ops, ...): fenced
      p.quantizable = false;
      break;
  }
  return p;
}

/// How the int16x8 scheme treats an op: as int8 does, where qfence has the
/// op's int16x8 kernel (its rule accepts int16 activations) and TFLM runs it
/// in int16 too (each one checked against TFLM's interpreter in the op
/// matrix, tests/data/op_matrix_tflm.txt); fenced elsewhere. SUM stays
/// float too: TFLite's quantizer gives an int16 SUM its input's parameters
/// (restrict_same_input_output_scale), where a sum saturates. qfence
/// runs int16 RESIZE_BILINEAR and ARG_MAX as TFLite does, but TFLM refuses
/// them, so a model written with them would not run there.
constexpr op_property int16x8_property(runtime::op_code code) {
  using runtime::op_code;
  op_property p = int8_property(code);
  switch (code) {
    case op_code::conv_2d:
    case op_code::depthwise_conv_2d:
    case op_code::fully_connected:
    case op_code::transpose_conv:
    case op_code::add:
    case op_code::sub:
    case op_code::mul:
    case op_code::relu:
    case op_code::relu6:
    case op_code::leaky_relu:
    case op_code::max_pool_2d:
    case op_code::average_pool_2d:
    case op_code::mean:
    case op_code::maximum:
    case op_code::minimum:
    case op_code::concatenation:
    case op_code::pack:
    case op_code::unpack:
    case op_code::split:
    case op_code::pad:
    case op_code::reshape:
    case op_code::transpose:
    case op_code::strided_slice:
    case op_code::resize_nearest_neighbor:
    case op_code::softmax:
    case op_code::logistic:
    case op_code::tanh:
    case op_code::abs:
    case op_code::gelu:  // TFLite's int16 table; TFLM has no GELU in any dtype
    case op_code::batch_matmul:
    case op_code::if_:  // copies bytes of any dtype (TFLM's if.cc, while.cc too)
    case op_code::while_:
      break;
    default:
      p.quantizable = false;
      break;
  }
  return p;
}

/// Builtins whose integer kernel is a table of their float function that
/// only TFLite has (TFLite's int8 and int16 EXP; TFLM's EXP is float only).
/// The quantizer fences them, so that the model runs in TFLM, unless
/// quantize_options::tabulate names them (`qfence quantize --tabulate EXP`).
constexpr bool tflite_only_table(runtime::op_code code) noexcept { return code == runtime::op_code::exp; }

/// The fixed int8 output parameters of SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION,
/// LOGISTIC and TANH, as their
/// type rules state them.
constexpr std::optional<quant_desc> fixed_output_params(runtime::op_code code, dtype type) {
  using runtime::op_code;
  switch (code) {
    case op_code::softmax: return softmax_output_quant(type, type);
    case op_code::logistic: return fixed_activation_quant(activation_fn::logistic, type);
    case op_code::tanh: return fixed_activation_quant(activation_fn::tanh, type);
    case op_code::log_softmax: return log_softmax_output_quant(type);
    case op_code::l2_normalization: return l2_normalization_output_quant(type);
    default: return std::nullopt;
  }
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
