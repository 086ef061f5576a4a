// qfence/tflite/writer.hpp: runtime IR -> .tflite file.
//
// The inverse of reader.hpp for every model qfence can run: what the reader
// keeps of a file (tensors with their quantization and data, operators with
// their options, inputs, outputs, every subgraph) is written back in the TFLite schema, so
// that read_model(write_model(m)) gives m again (tests/unit/
// tflite_writer_test.cpp checks it field by field) and TFLite and TFLM load
// the file. Conventions of TFLite's own converter that its loaders rely on:
//   - buffer 0 is empty, and every tensor without data refers to it;
//   - each constant has a buffer of its own, 16-byte aligned;
//   - operator codes carry the builtin code in both fields (the byte field
//     holds 127, PLACEHOLDER_FOR_GREATER_OP_CODES, for codes above it);
//   - options tables without fields (PadOptions, ...) are left out, which
//     both loaders accept.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/tflite/associated_files.hpp"
#include "qfence/tflite/op_map.hpp"
#include "qfence/tflite/schema_generated.hpp"
#include "qfence/tflite/tensor_type.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite {

namespace detail {

inline std::int8_t padding_code(padding p) { return p == padding::valid ? 1 : 0; }

/// The options table of one operation, from the flat op_options the reader
/// filled (reader.hpp, read_options): the same fields, the other way.
inline std::pair<fb::BuiltinOptions, flatbuffers::Offset<void>> write_options(flatbuffers::FlatBufferBuilder& b,
                                                                               const runtime::model& m,
                                                                               const runtime::operation& op) {
  using runtime::op_code;
  using fb::BuiltinOptions;
  const runtime::op_options& o = op.options;
  const std::int8_t act = o.raw_activation;
  switch (op.code) {
    case op_code::conv_2d:
      return {BuiltinOptions::Conv2DOptions,
              fb::CreateConv2DOptions(b, padding_code(o.pad), o.stride_w, o.stride_h, act, o.dilation_w, o.dilation_h)
                  .Union()};
    case op_code::depthwise_conv_2d:
      return {BuiltinOptions::DepthwiseConv2DOptions,
              fb::CreateDepthwiseConv2DOptions(b, padding_code(o.pad), o.stride_w, o.stride_h, o.depth_multiplier, act,
                                               o.dilation_w, o.dilation_h)
                  .Union()};
    case op_code::average_pool_2d:
    case op_code::max_pool_2d:
    case op_code::l2_pool_2d:
      return {BuiltinOptions::Pool2DOptions,
              fb::CreatePool2DOptions(b, padding_code(o.pad), o.stride_w, o.stride_h, o.filter_w, o.filter_h, act).Union()};
    case op_code::svdf:
      return {BuiltinOptions::SVDFOptions, fb::CreateSVDFOptions(b, o.rank, act, o.asymmetric_quantize_inputs).Union()};
    case op_code::fully_connected:
      return {BuiltinOptions::FullyConnectedOptions,
              fb::CreateFullyConnectedOptions(b, act, static_cast<std::int8_t>(o.weights_format), o.keep_num_dims,
                                              o.asymmetric_quantize_inputs)
                  .Union()};
    case op_code::softmax: return {BuiltinOptions::SoftmaxOptions, fb::CreateSoftmaxOptions(b, o.beta).Union()};
    case op_code::concatenation:
      return {BuiltinOptions::ConcatenationOptions, fb::CreateConcatenationOptions(b, o.axis, act).Union()};
    case op_code::add: return {BuiltinOptions::AddOptions, fb::CreateAddOptions(b, act, o.pot_scale_int16).Union()};
    case op_code::sub: return {BuiltinOptions::SubOptions, fb::CreateSubOptions(b, act, o.pot_scale_int16).Union()};
    case op_code::mul: return {BuiltinOptions::MulOptions, fb::CreateMulOptions(b, act).Union()};
    case op_code::div: return {BuiltinOptions::DivOptions, fb::CreateDivOptions(b, act).Union()};
    case op_code::resize_bilinear:
      return {BuiltinOptions::ResizeBilinearOptions,
              fb::CreateResizeBilinearOptions(b, 0, 0, o.align_corners, o.half_pixel_centers).Union()};
    case op_code::resize_nearest_neighbor:
      return {BuiltinOptions::ResizeNearestNeighborOptions,
              fb::CreateResizeNearestNeighborOptions(b, o.align_corners, o.half_pixel_centers).Union()};
    case op_code::reshape:
      if (!o.has_new_shape) return {BuiltinOptions::NONE, 0};
      return {BuiltinOptions::ReshapeOptions, fb::CreateReshapeOptions(b, b.CreateVector(o.new_shape)).Union()};
    case op_code::mean:
    case op_code::sum:
    case op_code::reduce_max:
    case op_code::reduce_min:
    case op_code::reduce_all: return {BuiltinOptions::ReducerOptions, fb::CreateReducerOptions(b, o.keep_dims).Union()};
    case op_code::squeeze:
      return {BuiltinOptions::SqueezeOptions, fb::CreateSqueezeOptions(b, b.CreateVector(o.squeeze_dims)).Union()};
    case op_code::strided_slice:
      return {BuiltinOptions::StridedSliceOptions,
              fb::CreateStridedSliceOptions(b, o.begin_mask, o.end_mask, o.ellipsis_mask, o.new_axis_mask,
                                            o.shrink_axis_mask, o.offset)
                  .Union()};
    case op_code::split: return {BuiltinOptions::SplitOptions, fb::CreateSplitOptions(b, o.num_splits).Union()};
    case op_code::split_v: return {BuiltinOptions::SplitVOptions, fb::CreateSplitVOptions(b, o.num_splits).Union()};
    case op_code::cast: {
      const auto& in = m.tensors[static_cast<std::size_t>(op.inputs.at(0))];
      const auto& out = m.tensors[static_cast<std::size_t>(op.outputs.at(0))];
      return {BuiltinOptions::CastOptions,
              fb::CreateCastOptions(b, to_tensor_type(in.type), to_tensor_type(out.type)).Union()};
    }
    case op_code::arg_max: {
      const auto& out = m.tensors[static_cast<std::size_t>(op.outputs.at(0))];
      return {BuiltinOptions::ArgMaxOptions, fb::CreateArgMaxOptions(b, to_tensor_type(out.type)).Union()};
    }
    case op_code::depth_to_space:
      return {BuiltinOptions::DepthToSpaceOptions, fb::CreateDepthToSpaceOptions(b, o.block_size).Union()};
    case op_code::space_to_depth:
      return {BuiltinOptions::SpaceToDepthOptions, fb::CreateSpaceToDepthOptions(b, o.block_size).Union()};
    case op_code::mirror_pad:
      return {BuiltinOptions::MirrorPadOptions, fb::CreateMirrorPadOptions(b, static_cast<std::int8_t>(o.mirror_mode)).Union()};
    case op_code::cumsum:
      return {BuiltinOptions::CumsumOptions, fb::CreateCumsumOptions(b, o.exclusive, o.reverse).Union()};
    case op_code::gather:
      return {BuiltinOptions::GatherOptions, fb::CreateGatherOptions(b, o.axis, o.batch_dims).Union()};
    case op_code::shape: {
      const auto& out = m.tensors[static_cast<std::size_t>(op.outputs.at(0))];
      return {BuiltinOptions::ShapeOptions, fb::CreateShapeOptions(b, to_tensor_type(out.type)).Union()};
    }
    case op_code::arg_min: {
      const auto& out = m.tensors[static_cast<std::size_t>(op.outputs.at(0))];
      return {BuiltinOptions::ArgMinOptions, fb::CreateArgMinOptions(b, to_tensor_type(out.type)).Union()};
    }
    case op_code::transpose_conv:
      return {BuiltinOptions::TransposeConvOptions,
              fb::CreateTransposeConvOptions(b, padding_code(o.pad), o.stride_w, o.stride_h, act).Union()};
    case op_code::pack: return {BuiltinOptions::PackOptions, fb::CreatePackOptions(b, o.count, o.axis).Union()};
    case op_code::unpack: return {BuiltinOptions::UnpackOptions, fb::CreateUnpackOptions(b, o.count, o.axis).Union()};
    case op_code::leaky_relu: return {BuiltinOptions::LeakyReluOptions, fb::CreateLeakyReluOptions(b, o.alpha).Union()};
    case op_code::batch_matmul:
      return {BuiltinOptions::BatchMatMulOptions,
              fb::CreateBatchMatMulOptions(b, o.adj_x, o.adj_y, o.asymmetric_quantize_inputs).Union()};
    case op_code::l2_normalization:
      return {BuiltinOptions::L2NormOptions, fb::CreateL2NormOptions(b, act).Union()};
    case op_code::var_handle:
      return {BuiltinOptions::VarHandleOptions,
              fb::CreateVarHandleOptions(b, o.has_container ? b.CreateString(o.container) : 0,
                                         o.shared_name.empty() ? 0 : b.CreateString(o.shared_name))
                  .Union()};
    case op_code::if_:
      return {BuiltinOptions::IfOptions, fb::CreateIfOptions(b, o.then_subgraph, o.else_subgraph).Union()};
    case op_code::while_:
      return {BuiltinOptions::WhileOptions, fb::CreateWhileOptions(b, o.cond_subgraph, o.body_subgraph).Union()};
    case op_code::call_once:
      return {BuiltinOptions::CallOnceOptions, fb::CreateCallOnceOptions(b, o.init_subgraph).Union()};
    case op_code::gelu: return {BuiltinOptions::GeluOptions, fb::CreateGeluOptions(b, o.approximate).Union()};
    case op_code::unidirectional_sequence_lstm:
      return {BuiltinOptions::UnidirectionalSequenceLSTMOptions,
              fb::CreateUnidirectionalSequenceLSTMOptions(b, act, o.cell_clip, 0.0f, o.time_major,
                                                          o.asymmetric_quantize_inputs)
                  .Union()};
    default: return {BuiltinOptions::NONE, 0};  // no options, or a table without fields
  }
}

}  // namespace detail

/// The bytes of a .tflite file holding `m`, every subgraph (the main graph
/// and what IF, WHILE and CALL_ONCE run), its TFLite Support metadata and,
/// after the flatbuffer, its zip of associated files. Throws
/// runtime::model_error for an operation the writer cannot express (an op
/// the reader did not know, whose options it did not keep).
inline std::vector<std::byte> write_model(const runtime::model& m, const std::string& description = "qfence") {
  flatbuffers::FlatBufferBuilder b(1 << 16);
  // Buffers: 0 is the empty one; then one per tensor with data.
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers{fb::CreateBuffer(b)};
  std::vector<std::uint32_t> buffer_of(m.tensors.size(), 0);
  for (std::size_t t = 0; t < m.tensors.size(); ++t) {
    const runtime::tensor& x = m.tensors[t];
    if (x.data.empty()) continue;
    b.ForceVectorAlignment(x.data.size(), 1, 16);
    const auto data = b.CreateVector(reinterpret_cast<const std::uint8_t*>(x.data.data()), x.data.size());
    buffer_of[t] = static_cast<std::uint32_t>(buffers.size());
    buffers.push_back(fb::CreateBuffer(b, data));
  }
  // Operator codes: one per (builtin code, custom name, version), over
  // every subgraph.
  std::vector<std::tuple<std::int32_t, std::string, int>> codes;
  std::vector<flatbuffers::Offset<fb::SubGraph>> graphs;
  for (int k = 0; k < m.subgraph_count; ++k) {
    // The model keeps every subgraph's tensors in one list, the main
    // graph's first (indices global); a file's subgraph numbers its own.
    const auto [first_tensor, end_tensor] = m.tensor_range_of(k);
    const int first = static_cast<int>(first_tensor);
    auto local = [&](const std::vector<int>& indices) {
      std::vector<int> out;
      out.reserve(indices.size());
      for (const int t : indices) out.push_back(t < 0 ? t : t - first);  // -1: an omitted optional operand
      return b.CreateVector(out);
    };
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    for (std::size_t t = first_tensor; t < end_tensor; ++t) {
      const runtime::tensor& x = m.tensors[t];
      flatbuffers::Offset<fb::QuantizationParameters> quant = 0;
      if (x.quant.quantized() || !x.quant.min.empty()) {
        const auto min = x.quant.min.empty() ? 0 : b.CreateVector(x.quant.min);
        const auto max = x.quant.max.empty() ? 0 : b.CreateVector(x.quant.max);
        const auto scale = x.quant.quantized() ? b.CreateVector(x.quant.scales) : 0;
        const auto zero = x.quant.quantized() ? b.CreateVector(x.quant.zero_points) : 0;
        quant =
            fb::CreateQuantizationParameters(b, min, max, scale, zero, fb::QuantizationDetails::NONE, 0, x.quant.axis);
      }
      const auto shape = b.CreateVector(x.shape);
      const auto name = x.name.empty() ? 0 : b.CreateString(x.name);
      tensors.push_back(
          fb::CreateTensor(b, shape, to_tensor_type(x.type), buffer_of[t], name, quant, x.variable));
    }
    std::vector<flatbuffers::Offset<fb::Operator>> operators;
    for (const runtime::operation& op : m.operations_of(k)) {
      std::int32_t builtin = op.code == runtime::op_code::unknown ? -1 : to_builtin_code(op.code);
      if (builtin < 0)
        throw runtime::model_error("cannot write " + runtime::operation_label(op) + ": qfence does not know its options");
      const auto key = std::make_tuple(builtin, op.custom_code, op.version);
      auto it = std::find(codes.begin(), codes.end(), key);
      const auto code_index = static_cast<std::uint32_t>(it - codes.begin());
      if (it == codes.end()) codes.push_back(key);
      const auto [options_type, options] = detail::write_options(b, m, op);
      const auto inputs = local(op.inputs);
      const auto outputs = local(op.outputs);
      const auto custom = op.custom_options.empty()
                              ? 0
                              : b.CreateVector(reinterpret_cast<const std::uint8_t*>(op.custom_options.data()),
                                               op.custom_options.size());
      const auto intermediates = op.intermediates.empty() ? 0 : local(op.intermediates);
      operators.push_back(fb::CreateOperator(b, code_index, inputs, outputs, options_type, options, custom,
                                             0, 0, intermediates));
    }
    const std::string name = k == 0 ? "main" : m.subgraphs.at(static_cast<std::size_t>(k - 1)).name;
    graphs.push_back(fb::CreateSubGraph(b, b.CreateVector(tensors), local(m.inputs_of(k)), local(m.outputs_of(k)),
                                        b.CreateVector(operators), name.empty() ? 0 : b.CreateString(name)));
  }
  std::vector<flatbuffers::Offset<fb::OperatorCode>> code_tables;
  for (const auto& [builtin, custom, version] : codes) {
    const auto name = custom.empty() ? 0 : b.CreateString(custom);
    code_tables.push_back(fb::CreateOperatorCode(b, static_cast<std::int8_t>(std::min(builtin, 127)), name, version, builtin));
  }
  // TFLite Support's metadata, in a buffer of its own named by a Metadata
  // entry, as its populator writes it.
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Metadata>>> metadata = 0;
  if (!m.support_metadata.empty()) {
    const auto index = static_cast<std::uint32_t>(buffers.size());
    buffers.push_back(fb::CreateBuffer(b, b.CreateVector(m.support_metadata)));
    metadata = b.CreateVector(std::vector{fb::CreateMetadata(b, b.CreateString("TFLITE_METADATA"), index)});
  }
  const auto root = fb::CreateModel(b, 3, b.CreateVector(code_tables), b.CreateVector(graphs),
                                    b.CreateString(description), b.CreateVector(buffers), 0, metadata);
  fb::FinishModelBuffer(b, root);
  std::vector<std::byte> out(b.GetSize());
  std::memcpy(out.data(), b.GetBufferPointer(), out.size());
  append_associated_files(out, m.associated_files);
  return out;
}

}  // namespace qfence::tflite

QFENCE_EXACT_FLOAT_END
