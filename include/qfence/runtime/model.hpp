// qfence/runtime/model.hpp: the runtime IR, what the TFLite reader produces.
//
// A model is a list of tensors (dtype, runtime shape, quantization, constant
// data), a list of operations in execution order, and the graph's inputs and
// outputs. Everything has been validated by the reader: indices are in range,
// constant data has the size its shape says, every operation reads only
// tensors that exist before it runs. The interpreter and the code generator
// take it from there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/activation.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/rules/detection_postprocess.hpp"
#include "qfence/rules/signal/energy.hpp"
#include "qfence/rules/signal/fft.hpp"
#include "qfence/rules/signal/filter_bank.hpp"
#include "qfence/rules/signal/framing.hpp"
#include "qfence/rules/signal/pcan.hpp"
#include "qfence/rules/signal/window.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// Every problem with a model (corrupt file, unsupported op, wrong shape) is
/// reported as a model_error whose what() is one line that names the problem.
class model_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Text from the file, made safe for a one-line message: printable ASCII
/// is kept, every other byte becomes \xHH, long names are cut.
inline std::string printable(std::string_view text, std::size_t max_length = 200) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (const char c : text.substr(0, max_length)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 32 && u < 127) {
      s += c;
    } else {
      s += "\\x";
      s += hex[u >> 4];
      s += hex[u & 15];
    }
  }
  if (text.size() > max_length) s += "...";
  return s;
}

/// "tensor 12 'conv/weights'" (or just "tensor 12" when the model has no
/// names): how every message names a tensor.
inline std::string tensor_label(int index, std::string_view name) {
  std::string s = "tensor " + std::to_string(index);
  if (!name.empty()) s += " '" + printable(name) + "'";
  return s;
}

/// Affine quantization of a tensor: real = scale * (q - zero_point), per
/// tensor (one scale) or per channel along `axis`.
struct quantization {
  std::vector<float> scales;
  std::vector<std::int64_t> zero_points;
  int axis = 0;
  /// The real range the parameters were made for, when the file records it
  /// (TFLite's quantizer does; a float model may carry min/max statistics
  /// without scales, which `qfence quantize --calib-from-model` uses).
  std::vector<float> min, max;

  friend bool operator==(const quantization&, const quantization&) = default;

  bool quantized() const noexcept { return !scales.empty(); }
  bool per_channel() const noexcept { return scales.size() > 1; }
  float scale() const noexcept { return scales.empty() ? 0.0f : scales[0]; }
  std::int32_t zero_point() const noexcept {
    return zero_points.empty() ? 0 : static_cast<std::int32_t>(zero_points[0]);
  }
};

struct tensor {
  std::string name;  // may be empty: some models carry no names
  dtype type = dtype::f32;
  std::vector<int> shape;
  quantization quant;
  std::span<const std::byte> data;  // constant data, or a variable's initial value
  bool constant = false;
  bool variable = false;  // state kept across invocations (e.g. SVDF); lives in the arena
  bool resource = false;  // a RESOURCE handle (VAR_HANDLE's output): an i32 id in the arena
  /// The file's dtype when qfence has none for it ("UINT32", "STRING"): the
  /// tensor is described (inspect) but no operation touching it runs;
  /// `type` is then a stand-in of the same element size where there is one.
  std::string foreign_type;
  /// Read by an operation, written by none (the scratch tensors of models
  /// compiled by Vela for Ethos-U): allocated for the whole invoke and
  /// zeroed, as TFLM allocates them.
  bool unwritten = false;

  std::int64_t elements() const noexcept {
    std::int64_t n = 1;
    for (int d : shape) n *= d;
    return n;
  }
  std::size_t bytes() const noexcept { return static_cast<std::size_t>(elements()) * size_of(type); }
  int rank() const noexcept { return static_cast<int>(shape.size()); }
  int dim(int i) const noexcept { return shape[static_cast<std::size_t>(i)]; }
  template <class T>
  const T* constant_data() const noexcept {
    return reinterpret_cast<const T*>(data.data());
  }
  /// The values of a constant int32 or int64 tensor with all its data (axes,
  /// shapes, paddings), as int64; nothing for any other tensor. Read byte
  /// by byte: a flatbuffer keeps no alignment promise for small buffers.
  std::optional<std::vector<std::int64_t>> constant_integers() const {
    if (!constant || (type != dtype::i32 && type != dtype::i64) || data.size() != bytes()) return std::nullopt;
    std::vector<std::int64_t> v(static_cast<std::size_t>(elements()));
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (type == dtype::i32) {
        std::int32_t x;
        std::memcpy(&x, data.data() + 4 * k, 4);
        v[k] = x;
      } else {
        std::memcpy(&v[k], data.data() + 8 * k, 8);
      }
    }
    return v;
  }
};

/// The builtin options of an operation, flattened: each op reads the fields
/// that its TFLite options table has, the rest keep TFLite's defaults.
struct op_options {
  padding pad = padding::same;
  window_pads pads{};  // CONV_2D, DEPTHWISE_CONV_2D: a PAD folded in (runtime/fold_pad.hpp); not in the file
  int stride_w = 1, stride_h = 1;
  int dilation_w = 1, dilation_h = 1;
  int filter_w = 1, filter_h = 1;
  int depth_multiplier = 1;
  activation fused = activation::none;
  std::int8_t raw_activation = 0;  // TFLite's code, to reject TANH / SIGN_BIT fusions by name
  float beta = 1.0f;               // SOFTMAX
  float alpha = 0.0f;              // LEAKY_RELU
  int axis = 0;                    // CONCATENATION, PACK, UNPACK, GATHER
  int batch_dims = 0;              // GATHER
  int block_size = 0;              // DEPTH_TO_SPACE, SPACE_TO_DEPTH
  int mirror_mode = 0;             // MIRROR_PAD: 0 REFLECT, 1 SYMMETRIC
  bool exclusive = false, reverse = false;  // CUMSUM
  bool adj_x = false, adj_y = false;  // BATCH_MATMUL
  bool approximate = false;           // GELU
  bool keep_dims = false;          // MEAN
  bool align_corners = false, half_pixel_centers = false;
  std::vector<int> new_shape;  // RESHAPE (when given)
  std::vector<int> squeeze_dims;  // SQUEEZE (empty: every dimension of size 1)
  bool has_new_shape = false;
  int begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
  bool offset = false;  // STRIDED_SLICE
  int num_splits = 0;   // SPLIT
  int count = 0;        // PACK values_count, UNPACK num
  bool pot_scale_int16 = true;   // ADD, SUB
  bool keep_num_dims = false;    // FULLY_CONNECTED
  int weights_format = 0;        // FULLY_CONNECTED
  bool asymmetric_quantize_inputs = false;
  int rank = 0;  // SVDF
  int cycles_max = 0;  // CIRCULAR_BUFFER (custom options; 0: not given)
  detection_postprocess_options detection;  // TFLite_Detection_PostProcess (custom options)
  // TFLM's signal library (custom options)
  signal_window_attrs signal_window;                              // SignalWindow
  signal_energy_attrs signal_energy;                              // SignalEnergy
  signal_filter_bank_attrs signal_filter_bank;                    // SignalFilterBank
  signal_filter_bank_log_attrs signal_filter_bank_log;            // SignalFilterBankLog
  signal_spectral_subtraction_attrs signal_spectral_subtraction;  // SignalFilterBankSpectralSubtraction
  signal_pcan_attrs signal_pcan;                                  // SignalPCAN
  signal_fft_attrs signal_fft;                                    // SignalRfft, SignalIrfft
  signal_delay_attrs signal_delay;                                // SignalDelay
  signal_framer_attrs signal_framer;                              // SignalFramer
  signal_stacker_attrs signal_stacker;                            // SignalStacker
  signal_overlap_add_attrs signal_overlap_add;                    // SignalOverlapAdd
  float cell_clip = 0.0f;   // UNIDIRECTIONAL_SEQUENCE_LSTM (0: no clipping)
  bool time_major = false;  // UNIDIRECTIONAL_SEQUENCE_LSTM
  int then_subgraph = 0, else_subgraph = 0;  // IF
  int cond_subgraph = 0, body_subgraph = 0;  // WHILE
  int init_subgraph = 0;                     // CALL_ONCE
  std::string container, shared_name;       // VAR_HANDLE
  bool has_container = false;                // VAR_HANDLE: a container was given

  friend bool operator==(const op_options&, const op_options&) = default;
};

struct operation {
  int index = 0;                   // position in its subgraph
  int subgraph = 0;                // 0: the main graph; k: model::subgraphs[k - 1]
  op_code code = op_code::unknown;  // what it does, in qfence's vocabulary
  std::string custom_code;          // for op_code::custom: the op's name
  std::int32_t source_code = 0;     // the file's operator code (TFLite BuiltinOperator), for messages
  std::string source_name;          // the file's name for the operator ("SIN"), for messages
  int version = 1;
  std::vector<int> inputs;  // -1: optional input not given
  std::vector<int> outputs;
  /// TFLite's intermediate tensors of the op (an integer LSTM's: the scales
  /// of its gates and hidden state, which TFLite's kernel reads and TFLM's
  /// does not). No kernel of qfence reads them; they are kept so that a
  /// written model carries them.
  std::vector<int> intermediates;
  op_options options;
  std::span<const std::byte> custom_options;

  bool is_custom() const noexcept { return code == op_code::custom; }
  /// Whether this is the custom op named `name` (its custom code).
  bool is_custom(std::string_view name) const noexcept { return is_custom() && custom_code == name; }
};

/// The subgraphs `op` runs: IF's branches, WHILE's cond and body,
/// CALL_ONCE's init subgraph (none for any other op).
inline std::vector<int> called_subgraphs(const operation& op) {
  if (op.code == op_code::if_) return {op.options.then_subgraph, op.options.else_subgraph};
  if (op.code == op_code::while_) return {op.options.cond_subgraph, op.options.body_subgraph};
  if (op.code == op_code::call_once) return {op.options.init_subgraph};
  return {};
}

/// The human name of an operation: "CONV_2D", the custom op's name, or the
/// file's name of an operator qfence does not know.
inline std::string op_name(const operation& op) {
  if (op.is_custom()) return printable(op.custom_code);
  if (op.code == op_code::unknown) return printable(op.source_name);
  return std::string(op_code_name(op.code));
}

/// "operator 12 (CONV_2D v3)"; "subgraph 2, operator 0 (ADD v1)" outside the main graph.
inline std::string operation_label(const operation& op) {
  return (op.subgraph > 0 ? "subgraph " + std::to_string(op.subgraph) + ", " : std::string()) + "operator " +
         std::to_string(op.index) + " (" + op_name(op) + " v" + std::to_string(op.version) + ")";
}

/// A subgraph other than the main one: what IF, WHILE and CALL_ONCE run.
/// Its tensors follow the main graph's (and the earlier subgraphs') in
/// model::tensors, and every index here is into model::tensors, so that one
/// address table serves all subgraphs.
struct subgraph {
  std::string name;
  int first_tensor = 0, tensor_count = 0;  // its tensors in model::tensors
  std::vector<operation> operations;
  std::vector<int> inputs, outputs;
};

/// A loaded model. It owns the file's bytes (constant tensors point into
/// them), so it moves but does not copy. `operations`, `inputs` and
/// `outputs` are the main graph's (the file's subgraph 0); its tensors are
/// the first main_tensor_count() of `tensors`.
struct model {
  std::vector<tensor> tensors;
  std::vector<operation> operations;
  std::vector<int> inputs, outputs;
  std::vector<subgraph> subgraphs;  // the file's subgraphs 1, 2, ...
  std::string description;
  /// The file's "TFLITE_METADATA" buffer (TFLite Support's ModelMetadata,
  /// tflite/support_metadata.hpp), if it has one: how inputs are
  /// normalised, what the outputs mean. tflite::write_model writes it back.
  std::vector<std::uint8_t> support_metadata;
  /// The zip archive of associated files (labels, vocabularies) that
  /// follows the file's flatbuffer, with offsets counted from its own start
  /// (tflite/associated_files.hpp), if it has one; written back too.
  std::vector<std::uint8_t> associated_files;
  int subgraph_count = 1;
  std::vector<std::string> notes;  // what the reader normalised, for `inspect`

  /// Subgraph k's operations, inputs and outputs (k = 0: the main graph;
  /// k must be below subgraph_count).
  const std::vector<operation>& operations_of(int k) const {
    return k == 0 ? operations : subgraphs.at(static_cast<std::size_t>(k - 1)).operations;
  }
  const std::vector<int>& inputs_of(int k) const {
    return k == 0 ? inputs : subgraphs.at(static_cast<std::size_t>(k - 1)).inputs;
  }
  const std::vector<int>& outputs_of(int k) const {
    return k == 0 ? outputs : subgraphs.at(static_cast<std::size_t>(k - 1)).outputs;
  }
  std::vector<operation>& operations_of(int k) {
    return k == 0 ? operations : subgraphs.at(static_cast<std::size_t>(k - 1)).operations;
  }
  std::vector<int>& inputs_of(int k) { return k == 0 ? inputs : subgraphs.at(static_cast<std::size_t>(k - 1)).inputs; }
  std::vector<int>& outputs_of(int k) {
    return k == 0 ? outputs : subgraphs.at(static_cast<std::size_t>(k - 1)).outputs;
  }

  /// How many of `tensors` are the main graph's (all, without subgraphs).
  std::size_t main_tensor_count() const noexcept {
    return subgraphs.empty() ? tensors.size() : static_cast<std::size_t>(subgraphs.front().first_tensor);
  }

  /// Subgraph k's tensors in `tensors`: [first, end) (k = 0: the main graph's).
  std::pair<std::size_t, std::size_t> tensor_range_of(int k) const {
    if (k == 0) return {0, main_tensor_count()};
    const subgraph& g = subgraphs.at(static_cast<std::size_t>(k - 1));
    return {static_cast<std::size_t>(g.first_tensor), static_cast<std::size_t>(g.first_tensor + g.tensor_count)};
  }

  /// The subgraph tensor t belongs to (0: the main graph; a tensor after
  /// the last subgraph's range counts as the main graph's, as a pass that
  /// appends tensors to the main graph leaves them).
  int subgraph_of_tensor(std::size_t t) const {
    for (int k = 1; k < subgraph_count; ++k) {
      const auto [first, end] = tensor_range_of(k);
      if (t >= first && t < end) return k;
    }
    return 0;
  }

  model() = default;
  model(model&&) = default;
  model& operator=(model&&) = default;
  model(const model&) = delete;
  model& operator=(const model&) = delete;

  /// A copy whose constants still point into this model's storage (the
  /// copy owns none): for a short-lived interpreter of a model being
  /// changed (bias correction). It must not outlive this model, nor see a
  /// constant this model has since replaced.
  model borrowed_copy() const {
    model m;
    m.tensors = tensors;
    m.operations = operations;
    m.inputs = inputs;
    m.outputs = outputs;
    m.subgraphs = subgraphs;
    m.description = description;
    m.subgraph_count = subgraph_count;
    m.notes = notes;
    return m;
  }

  // Storage behind the spans above: the file, and realigned copies of
  // constant buffers that the file stores at unaligned offsets.
  std::vector<std::byte> file;
  std::vector<std::unique_ptr<std::byte[]>> realigned;
};

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
