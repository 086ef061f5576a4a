// qfence/tflite/reader.hpp: .tflite file -> runtime IR, verified.
//
// Nothing in a file is trusted. The flatbuffers Verifier checks every offset
// before a field is read; then each tensor, buffer, quantization and operator
// is checked against the rest of the model, so that the interpreter and the
// code generator can index without checks. Every failure is a model_error
// whose message is one line naming the tensor or operator at fault.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/tensor_desc.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/tflite/associated_files.hpp"
#include "qfence/tflite/builtin_op.hpp"
#include "qfence/tflite/custom_options.hpp"
#include "qfence/tflite/op_map.hpp"
#include "qfence/tflite/schema_generated.hpp"
#include "qfence/tflite/tensor_type.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite {

namespace detail {

inline constexpr int max_rank = qfence::max_rank;
inline constexpr std::int64_t max_tensor_bytes = std::int64_t{1} << 32;  // 4 GiB

using runtime::tensor_label;

inline std::string shape_string(const std::vector<int>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

template <class T>
std::vector<T> to_vector(const flatbuffers::Vector<T>* v) {
  return v != nullptr ? std::vector<T>(v->begin(), v->end()) : std::vector<T>{};
}

inline activation to_activation(std::int8_t code) {
  switch (code) {
    case 1: return activation::relu;
    case 2: return activation::relu_n1_to_1;
    case 3: return activation::relu6;
    default: return activation::none;  // 0; TANH / SIGN_BIT rejected by the op via raw_activation
  }
}

inline padding to_padding(std::int8_t code) { return code == 1 ? padding::valid : padding::same; }

/// Reads the options table an op carries into the flat op_options.
inline runtime::op_options read_options(const fb::Operator& op) {
  runtime::op_options o;
  auto activation_from = [&](std::int8_t code) {
    o.raw_activation = code;
    o.fused = to_activation(code);
  };
  using fb::BuiltinOptions;
  switch (op.builtin_options_type()) {
    case BuiltinOptions::Conv2DOptions: {
      const auto* t = op.builtin_options_as_Conv2DOptions();
      o.pad = to_padding(t->padding());
      o.stride_w = t->stride_w();
      o.stride_h = t->stride_h();
      o.dilation_w = t->dilation_w_factor();
      o.dilation_h = t->dilation_h_factor();
      activation_from(t->fused_activation_function());
      break;
    }
    case BuiltinOptions::DepthwiseConv2DOptions: {
      const auto* t = op.builtin_options_as_DepthwiseConv2DOptions();
      o.pad = to_padding(t->padding());
      o.stride_w = t->stride_w();
      o.stride_h = t->stride_h();
      o.depth_multiplier = t->depth_multiplier();
      o.dilation_w = t->dilation_w_factor();
      o.dilation_h = t->dilation_h_factor();
      activation_from(t->fused_activation_function());
      break;
    }
    case BuiltinOptions::Pool2DOptions: {
      const auto* t = op.builtin_options_as_Pool2DOptions();
      o.pad = to_padding(t->padding());
      o.stride_w = t->stride_w();
      o.stride_h = t->stride_h();
      o.filter_w = t->filter_width();
      o.filter_h = t->filter_height();
      activation_from(t->fused_activation_function());
      break;
    }
    case BuiltinOptions::SVDFOptions: {
      const auto* t = op.builtin_options_as_SVDFOptions();
      o.rank = t->rank();
      activation_from(t->fused_activation_function());
      o.asymmetric_quantize_inputs = t->asymmetric_quantize_inputs();
      break;
    }
    case BuiltinOptions::FullyConnectedOptions: {
      const auto* t = op.builtin_options_as_FullyConnectedOptions();
      activation_from(t->fused_activation_function());
      o.weights_format = t->weights_format();
      o.keep_num_dims = t->keep_num_dims();
      o.asymmetric_quantize_inputs = t->asymmetric_quantize_inputs();
      break;
    }
    case BuiltinOptions::SoftmaxOptions: o.beta = op.builtin_options_as_SoftmaxOptions()->beta(); break;
    case BuiltinOptions::ConcatenationOptions: {
      const auto* t = op.builtin_options_as_ConcatenationOptions();
      o.axis = t->axis();
      activation_from(t->fused_activation_function());
      break;
    }
    case BuiltinOptions::AddOptions: {
      const auto* t = op.builtin_options_as_AddOptions();
      activation_from(t->fused_activation_function());
      o.pot_scale_int16 = t->pot_scale_int16();
      break;
    }
    case BuiltinOptions::SubOptions: {
      const auto* t = op.builtin_options_as_SubOptions();
      activation_from(t->fused_activation_function());
      o.pot_scale_int16 = t->pot_scale_int16();
      break;
    }
    case BuiltinOptions::MulOptions: activation_from(op.builtin_options_as_MulOptions()->fused_activation_function()); break;
    case BuiltinOptions::DivOptions: activation_from(op.builtin_options_as_DivOptions()->fused_activation_function()); break;
    case BuiltinOptions::ResizeBilinearOptions: {
      const auto* t = op.builtin_options_as_ResizeBilinearOptions();
      o.align_corners = t->align_corners();
      o.half_pixel_centers = t->half_pixel_centers();
      break;
    }
    case BuiltinOptions::ResizeNearestNeighborOptions: {
      const auto* t = op.builtin_options_as_ResizeNearestNeighborOptions();
      o.align_corners = t->align_corners();
      o.half_pixel_centers = t->half_pixel_centers();
      break;
    }
    case BuiltinOptions::ReshapeOptions: {
      const auto* t = op.builtin_options_as_ReshapeOptions();
      if (t->new_shape() != nullptr) {
        o.new_shape = to_vector(t->new_shape());
        o.has_new_shape = true;
      }
      break;
    }
    case BuiltinOptions::DepthToSpaceOptions: o.block_size = op.builtin_options_as_DepthToSpaceOptions()->block_size(); break;
    case BuiltinOptions::SpaceToDepthOptions: o.block_size = op.builtin_options_as_SpaceToDepthOptions()->block_size(); break;
    case BuiltinOptions::SplitVOptions: o.num_splits = op.builtin_options_as_SplitVOptions()->num_splits(); break;
    case BuiltinOptions::MirrorPadOptions: o.mirror_mode = op.builtin_options_as_MirrorPadOptions()->mode(); break;
    case BuiltinOptions::L2NormOptions:
      activation_from(op.builtin_options_as_L2NormOptions()->fused_activation_function());
      break;
    case BuiltinOptions::BatchMatMulOptions: {
      const auto* t = op.builtin_options_as_BatchMatMulOptions();
      o.adj_x = t->adj_x();
      o.adj_y = t->adj_y();
      o.asymmetric_quantize_inputs = t->asymmetric_quantize_inputs();
      break;
    }
    case BuiltinOptions::GeluOptions: o.approximate = op.builtin_options_as_GeluOptions()->approximate(); break;
    case BuiltinOptions::UnidirectionalSequenceLSTMOptions: {
      const auto* t = op.builtin_options_as_UnidirectionalSequenceLSTMOptions();
      activation_from(t->fused_activation_function());
      o.cell_clip = t->cell_clip();
      o.time_major = t->time_major();
      o.asymmetric_quantize_inputs = t->asymmetric_quantize_inputs();
      break;
    }
    case BuiltinOptions::IfOptions:
      o.then_subgraph = op.builtin_options_as_IfOptions()->then_subgraph_index();
      o.else_subgraph = op.builtin_options_as_IfOptions()->else_subgraph_index();
      break;
    case BuiltinOptions::WhileOptions:
      o.cond_subgraph = op.builtin_options_as_WhileOptions()->cond_subgraph_index();
      o.body_subgraph = op.builtin_options_as_WhileOptions()->body_subgraph_index();
      break;
    case BuiltinOptions::CallOnceOptions:
      o.init_subgraph = op.builtin_options_as_CallOnceOptions()->init_subgraph_index();
      break;
    case BuiltinOptions::VarHandleOptions: {
      const auto* t = op.builtin_options_as_VarHandleOptions();
      o.has_container = t->container() != nullptr;
      if (t->container() != nullptr) o.container = t->container()->str();
      if (t->shared_name() != nullptr) o.shared_name = t->shared_name()->str();
      break;
    }
    case BuiltinOptions::CumsumOptions:
      o.exclusive = op.builtin_options_as_CumsumOptions()->exclusive();
      o.reverse = op.builtin_options_as_CumsumOptions()->reverse();
      break;
    case BuiltinOptions::GatherOptions:
      o.axis = op.builtin_options_as_GatherOptions()->axis();
      o.batch_dims = op.builtin_options_as_GatherOptions()->batch_dims();
      break;
    case BuiltinOptions::ReducerOptions: o.keep_dims = op.builtin_options_as_ReducerOptions()->keep_dims(); break;
    case BuiltinOptions::SqueezeOptions: {
      const auto* t = op.builtin_options_as_SqueezeOptions();
      if (t->squeeze_dims() != nullptr) o.squeeze_dims = to_vector(t->squeeze_dims());
      break;
    }
    case BuiltinOptions::StridedSliceOptions: {
      const auto* t = op.builtin_options_as_StridedSliceOptions();
      o.begin_mask = t->begin_mask();
      o.end_mask = t->end_mask();
      o.ellipsis_mask = t->ellipsis_mask();
      o.new_axis_mask = t->new_axis_mask();
      o.shrink_axis_mask = t->shrink_axis_mask();
      o.offset = t->offset();
      break;
    }
    case BuiltinOptions::SplitOptions: o.num_splits = op.builtin_options_as_SplitOptions()->num_splits(); break;
    case BuiltinOptions::TransposeConvOptions: {
      const auto* t = op.builtin_options_as_TransposeConvOptions();
      o.pad = to_padding(t->padding());
      o.stride_w = t->stride_w();
      o.stride_h = t->stride_h();
      activation_from(t->fused_activation_function());
      break;
    }
    case BuiltinOptions::PackOptions: {
      const auto* t = op.builtin_options_as_PackOptions();
      o.count = t->values_count();
      o.axis = t->axis();
      break;
    }
    case BuiltinOptions::UnpackOptions: {
      const auto* t = op.builtin_options_as_UnpackOptions();
      o.count = t->num();
      o.axis = t->axis();
      break;
    }
    case BuiltinOptions::LeakyReluOptions: o.alpha = op.builtin_options_as_LeakyReluOptions()->alpha(); break;
    default: break;  // NONE, or an options table without fields
  }
  return o;
}

class model_reader {
 public:
  explicit model_reader(std::vector<std::byte> file) { m_.file = std::move(file); }

  runtime::model read() && {
    const fb::Model& root = verify();
    read_buffers(root);
    const auto* subgraphs = root.subgraphs();
    if (subgraphs == nullptr || subgraphs->size() == 0) fail("the model has no subgraphs");
    m_.subgraph_count = static_cast<int>(subgraphs->size());
    if (root.description() != nullptr) m_.description = root.description()->str();
    read_support_metadata(root);
    std::string zip_problem;
    m_.associated_files = associated_files_of(m_.file, zip_problem);
    if (!zip_problem.empty()) m_.notes.push_back(zip_problem + "; not kept");
    // Every subgraph's tensors go into one list (indices made global), the
    // main graph's first; IF, WHILE and CALL_ONCE name the others.
    for (int k = 0; k < m_.subgraph_count; ++k) {
      const fb::SubGraph& graph = *subgraphs->Get(static_cast<flatbuffers::uoffset_t>(k));
      subgraph_ = k;
      first_tensor_ = static_cast<int>(m_.tensors.size());
      read_tensors(graph);
      const int count = static_cast<int>(m_.tensors.size()) - first_tensor_;
      std::vector<int> inputs = tensor_indices(graph.inputs(), where() + "input list", false);
      std::vector<int> outputs = tensor_indices(graph.outputs(), where() + "output list", false);
      if (k == 0 && outputs.empty()) fail("the model declares no outputs");
      std::vector<runtime::operation> operations = read_operations(root, graph);
      check_data_flow(operations, inputs, outputs);
      if (k == 0) {
        m_.inputs = std::move(inputs);
        m_.outputs = std::move(outputs);
        m_.operations = std::move(operations);
      } else {
        runtime::subgraph g;
        if (graph.name() != nullptr) g.name = graph.name()->str();
        g.first_tensor = first_tensor_;
        g.tensor_count = count;
        g.inputs = std::move(inputs);
        g.outputs = std::move(outputs);
        g.operations = std::move(operations);
        m_.subgraphs.push_back(std::move(g));
      }
    }
    return std::move(m_);
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { throw runtime::model_error(what); }

  /// "subgraph 2 " while reading another subgraph than the main one, for
  /// messages ("the model's " for the main one's inputs and outputs).
  std::string where() const { return subgraph_ == 0 ? "the model's " : "subgraph " + std::to_string(subgraph_) + " "; }
  std::string subgraph_prefix() const { return subgraph_ == 0 ? "" : "subgraph " + std::to_string(subgraph_) + ", "; }

  const fb::Model& verify() {
    const auto* data = reinterpret_cast<const std::uint8_t*>(m_.file.data());
    const std::size_t size = m_.file.size();
    if (size < 8) fail("not a TFLite model: the file is " + std::to_string(size) + " bytes, too short for a header");
    if (!fb::ModelBufferHasIdentifier(data)) {
      fail("not a TFLite model: file identifier is '" +
           runtime::printable(std::string_view(reinterpret_cast<const char*>(data) + 4, 4)) + "', expected 'TFL3'");
    }
    if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) fail("models of 2 GiB or more are not supported");
    flatbuffers::Verifier verifier(data, size);
    if (!fb::VerifyModelBuffer(verifier))
      fail("corrupt TFLite model: the flatbuffer does not verify (truncated file or an offset out of range)");
    return *fb::GetModel(data);
  }

  // Buffers: either inline data, or (offset, size) past the flatbuffer.
  void read_buffers(const fb::Model& root) {
    const auto* buffers = root.buffers();
    if (buffers == nullptr) return;
    for (flatbuffers::uoffset_t i = 0; i < buffers->size(); ++i) {
      const fb::Buffer& b = *buffers->Get(i);
      std::span<const std::byte> bytes;
      if (b.data() != nullptr && b.data()->size() > 0) {
        bytes = {reinterpret_cast<const std::byte*>(b.data()->data()), b.data()->size()};
      } else if (b.offset() > 1) {
        if (b.offset() > m_.file.size() || b.size() > m_.file.size() - b.offset())
          fail("buffer " + std::to_string(i) + " lies outside the file (offset " + std::to_string(b.offset()) +
               ", size " + std::to_string(b.size()) + ", file " + std::to_string(m_.file.size()) + " bytes)");
        bytes = {m_.file.data() + b.offset(), static_cast<std::size_t>(b.size())};
      }
      buffers_.push_back(bytes);
    }
  }

  // TFLite Support's metadata, kept as bytes (tflite/support_metadata.hpp
  // reads them). Interpreters ignore metadata, so an entry naming no
  // buffer is noted, not refused.
  void read_support_metadata(const fb::Model& root) {
    const auto* entries = root.metadata();
    if (entries == nullptr) return;
    for (flatbuffers::uoffset_t i = 0; i < entries->size(); ++i) {
      const fb::Metadata& e = *entries->Get(i);
      if (e.name() == nullptr || e.name()->string_view() != "TFLITE_METADATA") continue;
      if (e.buffer() >= buffers_.size()) {
        m_.notes.push_back("metadata 'TFLITE_METADATA' names buffer " + std::to_string(e.buffer()) + " of " +
                           std::to_string(buffers_.size()) + "; ignored");
        continue;
      }
      const std::span<const std::byte> bytes = buffers_[e.buffer()];
      m_.support_metadata.resize(bytes.size());
      if (!bytes.empty()) std::memcpy(m_.support_metadata.data(), bytes.data(), bytes.size());
    }
  }

  void read_tensors(const fb::SubGraph& graph) {
    const auto* tensors = graph.tensors();
    if (tensors == nullptr) return;
    for (flatbuffers::uoffset_t i = 0; i < tensors->size(); ++i) {
      const fb::Tensor& t = *tensors->Get(i);
      runtime::tensor r;
      const int index = static_cast<int>(i);
      if (t.name() != nullptr) r.name = t.name()->str();
      const std::string label = subgraph_prefix() + tensor_label(index, r.name);
      const auto type = to_dtype(t.type());
      if (static_cast<tensor_type>(t.type()) == tensor_type::resource) {
        // A resource handle (VAR_HANDLE's output) holds the variable's id.
        r.type = dtype::i32;
        r.resource = true;
      } else if (!type) {
        // Described, not run: the operations that touch it are reported as
        // unsupported (runtime::find_unsupported), as TFLM's would refuse them.
        r.foreign_type = tensor_type_name(t.type());
        r.type = same_size_stand_in(t.type()).value_or(dtype::u8);
      } else {
        r.type = *type;
      }
      const bool sized = r.foreign_type.empty() || same_size_stand_in(t.type()).has_value();
      r.shape = to_vector(t.shape());
      if (r.shape.size() > max_rank)
        fail(label + " has rank " + std::to_string(r.shape.size()) + "; qfence supports up to " +
             std::to_string(max_rank));
      std::int64_t elements = 1;
      for (int d : r.shape) {
        if (d < 0)
          fail(label + " has a negative dimension in shape " + shape_string(r.shape) +
               " (dynamic shapes are not supported)");
        elements *= d;
        if (elements * static_cast<std::int64_t>(size_of(r.type)) > max_tensor_bytes)
          fail(label + " shape " + shape_string(r.shape) + " is larger than 4 GiB");
        if (elements > max_tensor_elements)
          fail(label + " shape " + shape_string(r.shape) + " has more than 2^31-1 elements; qfence's kernels index "
               "elements with 32-bit integers");
      }
      if (t.sparsity() != nullptr) fail(label + " is a sparse tensor; qfence does not support sparse tensors");
      r.variable = t.is_variable();
      read_quantization(t, r, label);
      if (t.buffer() >= buffers_.size() && !(t.buffer() == 0 && buffers_.empty()))
        fail(label + " refers to buffer " + std::to_string(t.buffer()) + ", but the model has " +
             std::to_string(buffers_.size()) + " buffers");
      if (!buffers_.empty() && !buffers_[t.buffer()].empty() && !sized) {
        r.constant = !r.variable;  // a string or 4-bit constant: its bytes are not ours to size
      } else if (!buffers_.empty() && !buffers_[t.buffer()].empty()) {
        const auto bytes = buffers_[t.buffer()];
        if (bytes.size() != r.bytes())
          fail(label + " buffer " + std::to_string(t.buffer()) + " holds " + std::to_string(bytes.size()) +
               " bytes, but shape " + shape_string(r.shape) + " of " + std::string(name(r.type)) + " needs " +
               std::to_string(r.bytes()));
        r.data = aligned(bytes, size_of(r.type));
        r.constant = !r.variable;  // a variable's data is its initial value
      }
      m_.tensors.push_back(std::move(r));
    }
  }

  void read_quantization(const fb::Tensor& t, runtime::tensor& r, const std::string& label) {
    const auto* q = t.quantization();
    if (q == nullptr) return;
    if (q->min() != nullptr && q->max() != nullptr && q->min()->size() == q->max()->size()) {
      r.quant.min = to_vector(q->min());
      r.quant.max = to_vector(q->max());
    }
    if (q->scale() == nullptr || q->scale()->size() == 0) return;
    if (q->details_type() != fb::QuantizationDetails::NONE)
      fail(label + " uses custom quantization, which qfence does not support");
    r.quant.scales = to_vector(q->scale());
    r.quant.zero_points = to_vector(q->zero_point());
    const std::size_t n = r.quant.scales.size();
    if (r.quant.zero_points.size() != n)
      fail(label + " has " + std::to_string(n) + " quantization scales but " +
           std::to_string(r.quant.zero_points.size()) + " zero points; they must pair up");
    for (float s : r.quant.scales)
      if (!(s > 0.0f) || s > std::numeric_limits<float>::max())
        fail(label + " has a quantization scale of " + std::to_string(s) + "; scales must be positive and finite");
    r.quant.axis = q->quantized_dimension();
    if (n == 1) {
      r.quant.axis = 0;  // meaningless for one scale
      return;
    }
    const int rank = r.rank();
    if (r.quant.axis < 0 || r.quant.axis >= rank) {
      // TFLM accepts per-channel 1-D tensors (biases) whose quantized_dimension
      // names the weights' axis (person_detect has 3); TFLite rejects them.
      // The only reading that makes sense is "along the one dimension".
      if (rank == 1 && r.shape[0] == static_cast<int>(n)) {
        m_.notes.push_back(label + ": quantized_dimension " + std::to_string(r.quant.axis) +
                           " is out of range for a 1-D tensor; read as 0 (as TFLM does)");
        r.quant.axis = 0;
        return;
      }
      fail(label + " has quantized_dimension " + std::to_string(r.quant.axis) + ", out of range for shape " +
           shape_string(r.shape));
    }
    if (r.shape[static_cast<std::size_t>(r.quant.axis)] != static_cast<int>(n))
      fail(label + " has " + std::to_string(n) + " per-channel scales, but dimension " +
           std::to_string(r.quant.axis) + " of shape " + shape_string(r.shape) + " is " +
           std::to_string(r.shape[static_cast<std::size_t>(r.quant.axis)]));
  }

  /// Buffers stored past the flatbuffer may sit at any offset; kernels read
  /// them as int32/float, so those get an aligned copy.
  std::span<const std::byte> aligned(std::span<const std::byte> bytes, std::size_t alignment) {
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignment == 0) return bytes;
    auto copy = std::make_unique<std::byte[]>(bytes.size());  // new[] aligns for any scalar
    std::memcpy(copy.get(), bytes.data(), bytes.size());
    std::span<const std::byte> result{copy.get(), bytes.size()};
    m_.realigned.push_back(std::move(copy));
    return result;
  }

  std::vector<int> tensor_indices(const flatbuffers::Vector<std::int32_t>* v, const std::string& what,
                                  bool allow_optional) {
    std::vector<int> out = to_vector(v);
    const int count = static_cast<int>(m_.tensors.size()) - first_tensor_;
    for (int& t : out) {
      if (allow_optional && t == -1) continue;
      if (t < 0 || t >= count)
        fail(what + " refers to tensor " + std::to_string(t) + ", but the subgraph has " + std::to_string(count) +
             " tensors");
      t += first_tensor_;  // global: into model::tensors
    }
    return out;
  }

  std::vector<runtime::operation> read_operations(const fb::Model& root, const fb::SubGraph& graph) {
    std::vector<runtime::operation> result;
    const auto* codes = root.operator_codes();
    const auto* ops = graph.operators();
    if (ops == nullptr) return result;
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) {
      const fb::Operator& op = *ops->Get(i);
      runtime::operation r;
      r.index = static_cast<int>(i);
      r.subgraph = subgraph_;
      const std::string label = subgraph_prefix() + "operator " + std::to_string(i);
      if (codes == nullptr || op.opcode_index() >= codes->size())
        fail(label + " uses operator code " + std::to_string(op.opcode_index()) + ", but the model has " +
             std::to_string(codes == nullptr ? 0 : codes->size()));
      const fb::OperatorCode& code = *codes->Get(op.opcode_index());
      // The format moved builtin codes from a byte to an int32 field; files
      // carry either, and the larger one is the real code (as TFLite reads it).
      r.source_code = std::max<std::int32_t>(code.deprecated_builtin_code(), code.builtin_code());
      r.source_name = builtin_op_name(r.source_code);
      r.code = to_op_code(r.source_code);
      r.version = code.version();
      if (code.custom_code() != nullptr) r.custom_code = code.custom_code()->str();
      const std::string named = label + " (" + runtime::op_name(r) + ")";
      r.inputs = tensor_indices(op.inputs(), named + " input list", true);
      r.outputs = tensor_indices(op.outputs(), named + " output list", false);
      r.intermediates = tensor_indices(op.intermediates(), named + " intermediate list", false);
      r.options = read_options(op);
      if (op.custom_options() != nullptr) {
        r.custom_options = {reinterpret_cast<const std::byte*>(op.custom_options()->data()),
                            op.custom_options()->size()};
      } else if (op.large_custom_options_offset() > 1) {
        const auto off = op.large_custom_options_offset(), size = op.large_custom_options_size();
        if (off > m_.file.size() || size > m_.file.size() - off)
          fail(named + " custom options lie outside the file");
        r.custom_options = {m_.file.data() + off, static_cast<std::size_t>(size)};
      }
      detail::read_custom_options(r, named);
      result.push_back(std::move(r));
    }
    return result;
  }

  /// Operators run in file order, so each must read only tensors that exist
  /// by then: constants, the graph's inputs, variables, or outputs of
  /// earlier operators. A cycle shows up as a read before the write.
  void check_data_flow(const std::vector<runtime::operation>& operations, const std::vector<int>& inputs,
                       const std::vector<int>& outputs) {
    auto at = [&](int t) -> const runtime::tensor& { return m_.tensors[static_cast<std::size_t>(t)]; };
    auto label = [&](int t) { return tensor_label(t - first_tensor_, at(t).name); };
    std::vector<int> writer(m_.tensors.size(), -2);  // -2: nobody, -1: graph input
    for (int t : inputs) {
      if (at(t).constant) fail(where() + "input " + label(t) + " is a constant");
      writer[static_cast<std::size_t>(t)] = -1;
    }
    std::vector<bool> written(m_.tensors.size(), false);
    for (const auto& op : operations)
      for (int t : op.outputs) written[static_cast<std::size_t>(t)] = true;
    for (const auto& op : operations) {
      const std::string named = subgraph_prefix() + "operator " + std::to_string(op.index) + " (" +
                                runtime::op_name(op) + ")";
      for (int t : op.inputs) {
        if (t < 0 || at(t).constant || at(t).variable || writer[static_cast<std::size_t>(t)] != -2) continue;
        if (written[static_cast<std::size_t>(t)])
          fail(named + " reads " + label(t) + " before the operator that writes it (a cycle)");
        // Written by no operator: a scratch tensor (Vela's, for Ethos-U), as TFLM allocates it.
        if (!at(t).unwritten)
          m_.notes.push_back(subgraph_prefix() + label(t) + " is read by " + named +
                             " but written by no operator: allocated and zeroed (a scratch tensor, e.g. Vela's)");
        m_.tensors[static_cast<std::size_t>(t)].unwritten = true;
      }
      for (int t : op.outputs) {
        if (at(t).constant) fail(named + " writes constant " + label(t));
        if (writer[static_cast<std::size_t>(t)] == -1) fail(named + " writes " + where() + "input " + label(t));
        if (writer[static_cast<std::size_t>(t)] >= 0)
          fail(named + " writes " + label(t) + ", which operator " +
               std::to_string(writer[static_cast<std::size_t>(t)]) + " already wrote");
        writer[static_cast<std::size_t>(t)] = op.index;
      }
    }
    for (int t : outputs)
      if (!at(t).constant && writer[static_cast<std::size_t>(t)] == -2)
        fail(where() + "output " + label(t) + " is never written");
  }

  runtime::model m_;
  std::vector<std::span<const std::byte>> buffers_;
  int subgraph_ = 0;      // the subgraph being read
  int first_tensor_ = 0;  // its first tensor in m_.tensors
};

}  // namespace detail

/// Reads and verifies a model from the bytes of a .tflite file.
inline runtime::model read_model(std::vector<std::byte> file) {
  return detail::model_reader(std::move(file)).read();
}

/// The bytes of a file; a model_error naming the path when it cannot be read.
inline std::vector<std::byte> read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    // An ifstream opens a directory on Linux and tellg() then says -1, which
    // would become a vector of 2^64 bytes.
    const std::filesystem::path inside = std::filesystem::path(path) / "model.tflite";
    throw runtime::model_error("'" + path + "' is a directory, not a file" +
                               (std::filesystem::exists(inside, ec) ? "; did you mean '" + inside.string() + "'?" : ""));
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw runtime::model_error("cannot open '" + path + "'");
  const std::streamoff size = in.tellg();
  if (size < 0) throw runtime::model_error("cannot find the size of '" + path + "' (not a regular file?)");
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) throw runtime::model_error("cannot read '" + path + "'");
  return bytes;
}

/// Reads and verifies a .tflite file.
inline runtime::model read_model_file(const std::string& path) { return read_model(read_file_bytes(path)); }

}  // namespace qfence::tflite

QFENCE_EXACT_FLOAT_END
