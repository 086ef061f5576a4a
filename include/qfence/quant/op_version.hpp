// qfence/quant/op_version.hpp: the version TFLite gives an operator for its
// operand types, so that a model qfence writes declares what TFLite's
// converter would (tflite/converter/tools/versioning/op_version.cc,
// GetBuiltinOperatorVersion). TFLite refuses a version its kernel does not
// register; TFLM ignores versions.
//
// Only the ops and dtypes qfence's quantizer and dequantizer write are
// listed; anything else keeps the version it had. One function for float and
// quantized operations: the options that raise a version (no bias,
// keep_num_dims, strided-slice masks, rank, ...) are checked once, before
// the dtypes, in op_version.cc's order.
#pragma once

#include <cstddef>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// The version of `op` in `m`, from its operands' dtypes and its options;
/// `unlisted` for an op this function does not know.
inline int tflite_op_version(const runtime::model& m, const runtime::operation& op, int unlisted) {
  using runtime::op_code;
  auto type_of = [&](std::size_t i, bool output = false) {
    const auto& list = output ? op.outputs : op.inputs;
    return i < list.size() && list[i] >= 0 ? m.tensors[static_cast<std::size_t>(list[i])].type : dtype::f32;
  };
  auto rank_of = [&](std::size_t i) {
    return i < op.inputs.size() && op.inputs[i] >= 0 ? m.tensors[static_cast<std::size_t>(op.inputs[i])].rank() : 0;
  };
  const dtype in = type_of(0), out = type_of(0, true);
  const bool i8 = in == dtype::i8, i16 = in == dtype::i16, f32 = in == dtype::f32;
  // A convolution whose filter has fewer input channels than its input.
  const auto grouped = [&] {
    if (op.inputs.size() < 2 || rank_of(0) != 4 || rank_of(1) != 4) return false;
    return m.tensors[static_cast<std::size_t>(op.inputs[0])].dim(3) !=
           m.tensors[static_cast<std::size_t>(op.inputs[1])].dim(3);
  };
  // Hybrid layers (float input, int8 weights), in op_version.cc's order.
  if (in == dtype::f32 && type_of(1) == dtype::i8 &&
      (op.code == op_code::fully_connected || op.code == op_code::conv_2d ||
       op.code == op_code::depthwise_conv_2d)) {
    const runtime::tensor& w = m.tensors[static_cast<std::size_t>(op.inputs[1])];
    const std::size_t channel_axis = op.code == op_code::depthwise_conv_2d ? 3 : 0;
    const bool per_channel =
        w.shape.size() > channel_axis && w.quant.scales.size() == static_cast<std::size_t>(w.shape[channel_axis]);
    if (op.code == op_code::depthwise_conv_2d) return per_channel ? 6 : 4;
    if (op.code == op_code::conv_2d) return grouped() ? 6 : per_channel ? 5 : 2;
    if (per_channel) return 12;
    if (op.inputs.size() == 2 || (op.inputs.size() == 3 && op.inputs[2] < 0)) return 6;
    if (op.options.keep_num_dims) return 5;
    return op.options.asymmetric_quantize_inputs ? 9 : 3;
  }
  switch (op.code) {
    case op_code::conv_2d:
      if (f32) return grouped() ? 6 : 1;
      return i16 ? 4 : 3;
    case op_code::depthwise_conv_2d:
      if (f32) return op.options.dilation_w != 1 || op.options.dilation_h != 1 ? 2 : 1;
      return i16 ? 5 : 3;
    case op_code::fully_connected:
      // op_version.cc's order: version 7 is int16 weights, which qfence never
      // writes; int16x8 with int8 weights falls through to the generic cases
      // (11 only when quantized_bias_type is set, which qfence does not set).
      if (i16 && type_of(1) == dtype::i16) return 7;
      if (op.inputs.size() == 2 || (op.inputs.size() == 3 && op.inputs[2] < 0)) return 6;
      if (op.options.keep_num_dims) return 5;
      return i8 ? 4 : 1;
    case op_code::transpose_conv:  // input 0 is the output shape: the weights say int8
      if (op.options.raw_activation != 0) return 4;
      if (op.inputs.size() == 4 && op.inputs[3] >= 0) return 3;
      return type_of(1) == dtype::i8 ? 2 : 1;
    case op_code::quantize: return out == dtype::i16 ? 2 : 1;
    case op_code::dequantize: return i16 || in == dtype::f16 ? 3 : 2;
    case op_code::mul: {
      if (i16) return 4;
      if (!i8 && in != dtype::u8) return 1;  // float, int32
      const auto scale = [&](std::size_t i, bool output) {
        const auto& list = output ? op.outputs : op.inputs;
        return static_cast<double>(m.tensors[static_cast<std::size_t>(list[i])].quant.scale());
      };
      return scale(0, false) * scale(1, false) / scale(0, true) >= 1.0 ? 3 : i8 ? 2 : 1;
    }
    case op_code::reshape: return 1;
    case op_code::leaky_relu: return i16 ? 2 : 1;
    case op_code::strided_slice:
      if (op.options.offset) return 8;
      if (op.options.ellipsis_mask != 0 || op.options.new_axis_mask != 0) return 6;
      if (rank_of(0) > 4) return 4;
      return i8 ? 2 : 1;
    case op_code::transpose:
      if (rank_of(0) > 5) return 6;
      if (i16) return 5;
      if (rank_of(0) > 4) return 4;
      return i8 ? 2 : 1;
    case op_code::resize_bilinear:
      if (i16) return 4;
      if (op.options.half_pixel_centers) return 3;
      return i8 ? 2 : 1;
    case op_code::resize_nearest_neighbor:
      if (i16) return 4;
      if (op.options.half_pixel_centers || op.options.align_corners) return 3;
      return i8 ? 2 : 1;
    case op_code::split: return type_of(1) == dtype::i16 ? 4 : type_of(1) == dtype::i8 ? 2 : 1;
    case op_code::add:
      if (i16) return op.options.pot_scale_int16 ? 1 : 3;
      return i8 ? 2 : 1;
    case op_code::average_pool_2d:
    case op_code::max_pool_2d:
    case op_code::logistic:
    case op_code::tanh:
      if (i16 && out == dtype::i16) return 3;
      return i8 ? 2 : 1;
    case op_code::softmax:
    case op_code::sub:
    case op_code::concatenation:
    case op_code::mean:
    case op_code::reduce_max:
    case op_code::reduce_min:
    case op_code::relu:
    case op_code::relu6:
    case op_code::maximum:
    case op_code::minimum:
      if (i16) return 3;
      return i8 ? 2 : 1;
    case op_code::pack:
    case op_code::unpack:
      if (i16) return op.code == op_code::pack ? 3 : 4;
      return i8 ? 2 : 1;
    case op_code::equal:
    case op_code::not_equal:
    case op_code::greater:
    case op_code::greater_equal:
    case op_code::less:
    case op_code::less_equal:
    case op_code::squared_difference:
    case op_code::depth_to_space:
    case op_code::space_to_depth:
    case op_code::log_softmax:
    case op_code::l2_normalization:
    case op_code::sum: return i8 ? 2 : 1;
    case op_code::rsqrt:
      if (i16) return 3;
      return i8 ? 2 : 1;
    case op_code::abs:
      if (i16) return m.tensors[static_cast<std::size_t>(op.inputs[0])].quant.quantized() ? 3 : 4;
      return i8 ? 2 : 1;
    case op_code::arg_max:
    case op_code::arg_min:
      if (in == dtype::boolean) return 3;
      return i8 ? 2 : 1;
    case op_code::slice:
      if (rank_of(0) > 4) return 5;
      if (i16) return 4;
      return i8 ? 2 : 1;
    case op_code::pad:
    case op_code::padv2:
      if (rank_of(0) > 4) return 4;
      if (i16) return 3;
      return i8 ? 2 : 1;
    case op_code::gather:
      if (op.options.batch_dims != 0) return 5;
      if (i16) return 4;
      if (in == dtype::boolean) return 3;
      return i8 ? 2 : 1;
    case op_code::gelu: return i8 || in == dtype::u8 ? 2 : 1;
    case op_code::exp: return i8 || i16 ? 2 : 1;
    case op_code::batch_matmul: return i16 ? 3 : i8 ? 2 : 1;
    case op_code::svdf:
      if (i8) return 3;
      if (f32) return type_of(1) == dtype::i8 ? 2 : 1;  // 2: hybrid (int8 weights, float input)
      return unlisted;
    default: return unlisted;
  }
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
