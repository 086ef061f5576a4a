// tests/unit/tflite_test_models.hpp: builds small .tflite files in memory, so
// that reader and interpreter tests (valid, corrupt and unsupported models)
// need no files from ../shared.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "qfence/tflite/schema_generated.hpp"
#include "qfence/tflite/support_metadata_generated.hpp"

namespace qtest::tfl {

namespace fb = qfence::tflite::fb;

struct tensor_spec {
  std::vector<int> shape;
  std::int8_t type = 0;  // TFLite TensorType (0 FLOAT32, 9 INT8, ...)
  std::vector<std::uint8_t> data;  // constant bytes (empty: activation)
  std::string name;                // empty: no name stored
  std::vector<float> scales;
  std::vector<std::int64_t> zero_points;
  int quantized_dimension = 0;
  bool variable = false;
  std::optional<std::uint32_t> buffer_override;  // refer to another buffer index
};

struct op_spec {
  std::int32_t builtin_code = 0;
  int version = 1;
  std::vector<int> inputs, outputs;
  std::string custom_code;
  std::vector<std::uint8_t> custom_options;  // a custom op's (a flexbuffer)
  /// Adds the options table; returns its union type and offset.
  std::function<std::pair<fb::BuiltinOptions, flatbuffers::Offset<void>>(flatbuffers::FlatBufferBuilder&)> options;
};

struct model_spec {
  std::vector<tensor_spec> tensors;
  std::vector<op_spec> ops;
  std::vector<int> inputs, outputs;
  bool offset_buffers = false;  // store constant data after the flatbuffer (main graph only)
  /// The bytes of a "TFLITE_METADATA" entry (TFLite Support's metadata), if any.
  std::vector<std::uint8_t> support_metadata;
  /// The file's subgraphs 1, 2, ... (each with its own tensors; their
  /// offset_buffers and subgraphs are ignored).
  std::vector<model_spec> subgraphs;
};

inline tensor_spec activation(std::vector<int> shape, std::string name, std::int8_t type = 0) {
  tensor_spec t;
  t.shape = std::move(shape);
  t.name = std::move(name);
  t.type = type;
  return t;
}

inline tensor_spec constant(std::vector<int> shape, std::vector<std::uint8_t> data, std::string name,
                            std::int8_t type = 0) {
  tensor_spec t = activation(std::move(shape), std::move(name), type);
  t.data = std::move(data);
  return t;
}

inline op_spec op(std::int32_t code, int version, std::vector<int> inputs, std::vector<int> outputs,
                  std::string custom_code = {}) {
  op_spec o;
  o.builtin_code = code;
  o.version = version;
  o.inputs = std::move(inputs);
  o.outputs = std::move(outputs);
  o.custom_code = std::move(custom_code);
  return o;
}

template <class T>
std::vector<std::uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<std::uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

namespace detail {
inline std::vector<std::uint8_t> build_once(const model_spec& spec, std::uint64_t data_start) {
  flatbuffers::FlatBufferBuilder fbb;
  // Buffer 0 is the empty sentinel; each tensor with data gets its own buffer.
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers{fb::CreateBuffer(fbb)};
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes;
  std::uint64_t offset = data_start;
  auto graph_of = [&](const model_spec& g, bool offset_buffers) {
    std::vector<std::uint32_t> buffer_of(g.tensors.size(), 0);
    for (std::size_t i = 0; i < g.tensors.size(); ++i) {
      const auto& t = g.tensors[i];
      if (t.data.empty()) continue;
      buffer_of[i] = static_cast<std::uint32_t>(buffers.size());
      if (offset_buffers) {
        buffers.push_back(fb::CreateBuffer(fbb, 0, offset, t.data.size()));
        offset += (t.data.size() + 15) / 16 * 16;
      } else {
        fbb.ForceVectorAlignment(t.data.size(), sizeof(std::uint8_t), 16);
        buffers.push_back(fb::CreateBuffer(fbb, fbb.CreateVector(t.data)));
      }
    }
    std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
    for (std::size_t i = 0; i < g.tensors.size(); ++i) {
      const auto& t = g.tensors[i];
      flatbuffers::Offset<fb::QuantizationParameters> q = 0;
      if (!t.scales.empty())
        q = fb::CreateQuantizationParametersDirect(fbb, nullptr, nullptr, &t.scales, &t.zero_points,
                                                   fb::QuantizationDetails::NONE, 0, t.quantized_dimension);
      tensors.push_back(fb::CreateTensorDirect(fbb, &t.shape, t.type, t.buffer_override.value_or(buffer_of[i]),
                                               t.name.empty() ? nullptr : t.name.c_str(), q, t.variable));
    }
    std::vector<flatbuffers::Offset<fb::Operator>> ops;
    for (const auto& op : g.ops) {
      const auto small = static_cast<std::int8_t>(op.builtin_code < 127 ? op.builtin_code : 127);
      codes.push_back(fb::CreateOperatorCode(fbb, small, op.custom_code.empty() ? 0 : fbb.CreateString(op.custom_code),
                                             op.version, op.builtin_code));
      auto [type, options] =
          op.options ? op.options(fbb) : std::pair{fb::BuiltinOptions::NONE, flatbuffers::Offset<void>()};
      ops.push_back(fb::CreateOperatorDirect(fbb, static_cast<std::uint32_t>(codes.size() - 1), &op.inputs,
                                             &op.outputs, type, options,
                                             op.custom_options.empty() ? nullptr : &op.custom_options));
    }
    return fb::CreateSubGraphDirect(fbb, &tensors, &g.inputs, &g.outputs, &ops);
  };
  std::vector<flatbuffers::Offset<fb::SubGraph>> graphs{graph_of(spec, spec.offset_buffers)};
  for (const auto& g : spec.subgraphs) graphs.push_back(graph_of(g, false));
  std::vector<flatbuffers::Offset<fb::Metadata>> metadata;
  if (!spec.support_metadata.empty()) {  // TFLite Support's metadata, in a buffer of its own
    buffers.push_back(fb::CreateBuffer(fbb, fbb.CreateVector(spec.support_metadata)));
    metadata.push_back(fb::CreateMetadataDirect(fbb, "TFLITE_METADATA", static_cast<std::uint32_t>(buffers.size() - 1)));
  }
  auto model = fb::CreateModelDirect(fbb, 3, &codes, &graphs, "qfence test model", &buffers, nullptr,
                                     metadata.empty() ? nullptr : &metadata);
  fb::FinishModelBuffer(fbb, model);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}
}  // namespace detail

/// The bytes of a .tflite file for `spec`.
inline std::vector<std::byte> build(const model_spec& spec) {
  std::vector<std::uint8_t> file = detail::build_once(spec, 1 << 20);
  if (spec.offset_buffers) {
    // Second pass with the real offsets: the flatbuffer's size does not
    // depend on their values (64-bit fields, never the default 0).
    const std::uint64_t start = (file.size() + 15) / 16 * 16;
    file = detail::build_once(spec, start);
    file.resize(start, 0);
    for (const auto& t : spec.tensors) {
      if (t.data.empty()) continue;
      file.insert(file.end(), t.data.begin(), t.data.end());
      file.resize((file.size() + 15) / 16 * 16, 0);
    }
  }
  std::vector<std::byte> out(file.size());
  std::memcpy(out.data(), file.data(), file.size());
  return out;
}

/// A float model: output = input + [10, 20, 30] (ADD of a [1, 3] input and
/// a constant). Tensors: 0 input, 1 constant, 2 output.
inline model_spec float_add_model() {
  model_spec m;
  m.tensors.push_back(activation({1, 3}, "input"));
  m.tensors.push_back(constant({1, 3}, bytes_of(std::vector<float>{10, 20, 30}), "bias"));
  m.tensors.push_back(activation({1, 3}, "output"));
  m.ops.push_back(op(0 /*ADD*/, 1, {0, 1}, {2}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::AddOptions, fb::CreateAddOptions(b).Union()};
  };
  m.inputs = {0};
  m.outputs = {2};
  return m;
}

/// ADD (no activation) of tensors a and b into out.
inline op_spec add_of(int a, int b, int out) {
  op_spec o = op(0 /*ADD*/, 1, {a, b}, {out});
  o.options = [](flatbuffers::FlatBufferBuilder& fbb) {
    return std::pair{fb::BuiltinOptions::AddOptions, fb::CreateAddOptions(fbb, 0, false).Union()};
  };
  return o;
}

/// WHILE: (i, x) from (0, input) while i < 3: (i + 1, x + x); subgraph 1
/// is the cond, 2 the body. x_tensor(name) makes each [1, 4] tensor x
/// passes through (float, or int8 at one scale).
inline model_spec doubling_loop_model(const std::function<tensor_spec(std::string)>& x_tensor) {
  const auto i32 = [](std::int32_t v) { return bytes_of(std::vector<std::int32_t>{v}); };
  model_spec m;
  m.tensors = {constant({1}, i32(0), "i0", 2 /*INT32*/), x_tensor("x"), activation({1}, "i", 2), x_tensor("y")};
  m.ops = {op(119 /*WHILE*/, 1, {0, 1}, {2, 3})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::WhileOptions, fb::CreateWhileOptions(b, 1, 2).Union()};
  };
  m.inputs = {1};
  m.outputs = {3};
  model_spec cond;
  cond.tensors = {activation({1}, "i", 2), x_tensor("x"), constant({1}, i32(3), "limit", 2),
                  activation({1}, "go_on", 6 /*BOOL*/)};
  cond.ops = {op(58 /*LESS*/, 1, {0, 2}, {3})};
  cond.inputs = {0, 1};
  cond.outputs = {3};
  model_spec body;
  body.tensors = {activation({1}, "i", 2), x_tensor("x"), constant({1}, i32(1), "one", 2),
                  activation({1}, "i_next", 2), x_tensor("x_next")};
  body.ops = {add_of(0, 2, 3), add_of(1, 1, 4)};
  body.inputs = {0, 1};
  body.outputs = {3, 4};
  m.subgraphs = {cond, body};
  return m;
}

/// A float UNIDIRECTIONAL_SEQUENCE_LSTM, batch 1 (batch major), `steps` steps
/// of `inputs` values, `units` units, TANH, no clipping: tensors 0 input,
/// 1-8 the gates' input then recurrent weights, 9-12 their biases, 13 the
/// hidden and 14 the cell state (variables), 15 the output.
inline model_spec float_lstm_model(int steps, int inputs, int units, const std::vector<std::vector<float>>& weights,
                                   const std::vector<std::vector<float>>& biases) {
  model_spec m;
  m.tensors.push_back(activation({1, steps, inputs}, "input"));
  for (int k = 0; k < 8; ++k)
    m.tensors.push_back(constant({units, k < 4 ? inputs : units}, bytes_of(weights.at(static_cast<std::size_t>(k))),
                                 "weights" + std::to_string(k + 1)));
  for (int k = 0; k < 4; ++k)
    m.tensors.push_back(constant({units}, bytes_of(biases.at(static_cast<std::size_t>(k))), "bias" + std::to_string(k + 1)));
  m.tensors.push_back(activation({1, units}, "hidden"));
  m.tensors.back().variable = true;
  m.tensors.push_back(activation({1, units}, "cell"));
  m.tensors.back().variable = true;
  m.tensors.push_back(activation({1, steps, units}, "output"));
  std::vector<int> operands(24, -1);
  for (int k = 0; k <= 8; ++k) operands[static_cast<std::size_t>(k)] = k;
  for (int k = 0; k < 4; ++k) operands[static_cast<std::size_t>(12 + k)] = 9 + k;
  operands[18] = 13;
  operands[19] = 14;
  m.ops.push_back(op(44 /*UNIDIRECTIONAL_SEQUENCE_LSTM*/, 1, operands, {15}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::UnidirectionalSequenceLSTMOptions,
                     fb::CreateUnidirectionalSequenceLSTMOptions(b, 4 /*TANH*/, 0.0f, 0.0f, false).Union()};
  };
  m.inputs = {0};
  m.outputs = {15};
  return m;
}

/// TFLite Support metadata (a "TFLITE_METADATA" buffer) whose input 0
/// is normalised (x - mean) / std, as Model Maker writes it.
inline std::vector<std::uint8_t> normalization_metadata(const std::vector<float>& mean, const std::vector<float>& std) {
  namespace md = qfence::tflite::support;
  flatbuffers::FlatBufferBuilder b;
  const auto normalization = md::CreateNormalizationOptionsDirect(b, &mean, &std);
  const std::vector<flatbuffers::Offset<md::ProcessUnit>> units{
      md::CreateProcessUnit(b, md::ProcessUnitOptions::NormalizationOptions, normalization.Union())};
  const std::vector<flatbuffers::Offset<md::TensorMetadata>> inputs{
      md::CreateTensorMetadataDirect(b, "image", nullptr, nullptr, 0, &units)};
  const std::vector<flatbuffers::Offset<md::SubGraphMetadata>> graphs{
      md::CreateSubGraphMetadataDirect(b, nullptr, nullptr, &inputs)};
  md::FinishModelMetadataBuffer(b, md::CreateModelMetadataDirect(b, "test", nullptr, nullptr, &graphs));
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

/// A zip archive of `files` (name, contents), stored uncompressed, as
/// TFLite Support's populator appends associated files after a model:
/// its offsets count from `base` bytes before the archive (the length of
/// the model before it, as Python's zipfile writes them; 0: the archive's
/// own start).
inline std::vector<std::uint8_t> stored_zip(const std::vector<std::pair<std::string, std::string>>& files,
                                            std::uint32_t base) {
  std::vector<std::uint8_t> z, directory;
  const auto put = [](std::vector<std::uint8_t>& to, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) to.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  const auto crc32 = [](const std::string& data) {
    std::uint32_t c = 0xffffffffu;
    for (const char ch : data) {
      c ^= static_cast<std::uint8_t>(ch);
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
  };
  for (const auto& [name, data] : files) {
    const auto at = static_cast<std::uint32_t>(z.size()) + base;
    const std::uint32_t crc = crc32(data), size = static_cast<std::uint32_t>(data.size()),
                        name_size = static_cast<std::uint32_t>(name.size());
    // Local file header: version 2.0, no flags, stored, a fixed date.
    put(z, 0x04034b50, 4); put(z, 20, 2); put(z, 0, 2); put(z, 0, 2); put(z, 0, 2); put(z, 0x5821, 2);
    put(z, crc, 4); put(z, size, 4); put(z, size, 4); put(z, name_size, 2); put(z, 0, 2);
    z.insert(z.end(), name.begin(), name.end());
    z.insert(z.end(), data.begin(), data.end());
    put(directory, 0x02014b50, 4); put(directory, 20, 2); put(directory, 20, 2); put(directory, 0, 2);
    put(directory, 0, 2); put(directory, 0, 2); put(directory, 0x5821, 2); put(directory, crc, 4);
    put(directory, size, 4); put(directory, size, 4); put(directory, name_size, 2); put(directory, 0, 2);
    put(directory, 0, 2); put(directory, 0, 2); put(directory, 0, 2); put(directory, 0, 4); put(directory, at, 4);
    directory.insert(directory.end(), name.begin(), name.end());
  }
  const auto directory_at = static_cast<std::uint32_t>(z.size()) + base;
  z.insert(z.end(), directory.begin(), directory.end());
  const auto count = static_cast<std::uint32_t>(files.size());
  put(z, 0x06054b50, 4); put(z, 0, 2); put(z, 0, 2); put(z, count, 2); put(z, count, 2);
  put(z, static_cast<std::uint32_t>(directory.size()), 4); put(z, directory_at, 4); put(z, 0, 2);
  return z;
}

}  // namespace qtest::tfl
