// qfence/quant/dequantize_model.hpp: the float twin of a quantized model
// (`qfence dequantize`): the model that computes in real numbers what the
// quantized one computes in integers.
//
//   - quantized constants become float32: real = scale[c] * (q - zero_point[c])
//     (weights per channel, biases at their input x weight scale);
//   - quantized activations become float32; each keeps the real range its
//     int8 (or uint8, int16) type could hold as min/max statistics, so that
//     `qfence quantize --calib-from-model` can quantize the twin back with
//     the original's parameters;
//   - QUANTIZE and DEQUANTIZE disappear (in float they are identities): their
//     consumers read what they read, and a model input or output they
//     touched keeps its name;
//   - op versions become the float ones.
// Integer tensors that are not quantized (shapes, indices, ARG_MAX's
// output) stay as they are.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/op_version.hpp"
#include "qfence/quant/quantize_model.hpp"
#include "qfence/runtime/model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct dequantized_model {
  runtime::model model;
  int constants = 0;      // quantized constants made float
  int activations = 0;    // quantized activations made float
  int removed_ops = 0;    // QUANTIZE and DEQUANTIZE
};

namespace detail {

/// The integer values of a quantized constant, widened to int64.
inline std::vector<std::int64_t> integer_values(const runtime::tensor& t) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(t.elements()));
  const std::byte* p = t.data.data();
  for (std::size_t i = 0; i < v.size(); ++i) {
    switch (t.type) {
      case dtype::i8: v[i] = static_cast<std::int8_t>(p[i]); break;
      case dtype::u8: v[i] = static_cast<std::uint8_t>(p[i]); break;
      case dtype::i16: { std::int16_t x; std::memcpy(&x, p + 2 * i, 2); v[i] = x; break; }
      case dtype::i32: { std::int32_t x; std::memcpy(&x, p + 4 * i, 4); v[i] = x; break; }
      case dtype::i64: std::memcpy(&v[i], p + 8 * i, 8); break;
      default: throw runtime::model_error("cannot dequantize a constant of dtype " + std::string(name(t.type)));
    }
  }
  return v;
}

inline std::pair<std::int64_t, std::int64_t> integer_limits(dtype d) {
  switch (d) {
    case dtype::i8: return {-128, 127};
    case dtype::u8: return {0, 255};
    case dtype::i16: return {-32768, 32767};
    default: return {-2147483648LL, 2147483647LL};
  }
}

}  // namespace detail

inline dequantized_model dequantize_model(const runtime::model& q) {
  using runtime::op_code;
  dequantized_model result;
  runtime::model& f = result.model;
  f.description = "float twin made by qfence dequantize from: " + q.description;
  f.support_metadata = q.support_metadata;
  f.associated_files = q.associated_files;
  f.tensors = q.tensors;
  f.subgraphs = q.subgraphs;
  f.subgraph_count = q.subgraph_count;
  for (auto& t : f.tensors)
    if (!t.data.empty()) t.data = detail::own_bytes(f, t.data.data(), t.data.size());
  for (runtime::tensor& t : f.tensors) {
    if (!t.quant.quantized() || t.type == dtype::f32) continue;
    if (t.constant) {
      const std::vector<std::int64_t> q_values = detail::integer_values(t);
      std::vector<float> real(q_values.size());
      const channel_of_element channel_of(t.shape, t.quant.axis, static_cast<std::int64_t>(t.quant.scales.size()));
      for (std::size_t i = 0; i < real.size(); ++i) {
        const std::size_t c = channel_of(i);
        real[i] = static_cast<float>(q_values[i] - t.quant.zero_points[c]) * t.quant.scales[c];
      }
      t.type = dtype::f32;
      t.data = detail::own_values(f, real);
      t.quant = {};
      ++result.constants;
    } else {
      const auto [lo, hi] = detail::integer_limits(t.type);
      const float scale = t.quant.scale();
      const auto zero = static_cast<std::int64_t>(t.quant.zero_point());
      t.type = dtype::f32;
      t.quant = {};
      t.quant.min = {scale * static_cast<float>(lo - zero)};
      t.quant.max = {scale * static_cast<float>(hi - zero)};
      ++result.activations;
    }
  }
  // QUANTIZE and DEQUANTIZE are identities in float: their output is their
  // input. (Every subgraph's: IF's branches and WHILE's body become float
  // with the operands their callers now pass.)
  const std::vector<int> owner = detail::tensor_subgraphs(q);
  std::vector<int> same_as(f.tensors.size());
  for (std::size_t t = 0; t < same_as.size(); ++t) same_as[t] = static_cast<int>(t);
  auto resolve = [&](int t) {
    while (t >= 0 && same_as[static_cast<std::size_t>(t)] != t) t = same_as[static_cast<std::size_t>(t)];
    return t;
  };
  for (int g = 0; g < f.subgraph_count; ++g) {
    std::vector<runtime::operation> kept;
    for (const runtime::operation& op : q.operations_of(g)) {
      if ((op.code == op_code::quantize || op.code == op_code::dequantize) && op.inputs.size() == 1 &&
          op.outputs.size() == 1) {
        const int in = resolve(op.inputs[0]), out = op.outputs[0];
        same_as[static_cast<std::size_t>(out)] = in;
        // The merged tensor keeps the int8 side's range (a float input
        // behind a QUANTIZE has none of its own).
        runtime::quantization& kept_stats = f.tensors[static_cast<std::size_t>(in)].quant;
        const runtime::quantization& removed = f.tensors[static_cast<std::size_t>(out)].quant;
        if (kept_stats.min.empty() && !removed.min.empty()) {
          kept_stats.min = removed.min;
          kept_stats.max = removed.max;
        }
        ++result.removed_ops;
        continue;
      }
      kept.push_back(op);
    }
    for (runtime::operation& op : kept) {
      for (int& t : op.inputs) t = resolve(t);
      for (int& t : op.outputs) t = resolve(t);
      op.intermediates.clear();  // an integer LSTM's scales, which a float kernel does not read
    }
    f.operations_of(g) = std::move(kept);
    // A graph's input or output that a removed op touched keeps its name.
    for (std::vector<int>* io : {&f.inputs_of(g), &f.outputs_of(g)}) {
      *io = io == &f.inputs_of(g) ? q.inputs_of(g) : q.outputs_of(g);
      for (int& t : *io) {
        const int r = resolve(t);
        if (r != t) f.tensors[static_cast<std::size_t>(r)].name = q.tensors[static_cast<std::size_t>(t)].name;
        t = r;
      }
    }
  }
  detail::drop_unused_tensors(f, owner);
  detail::renumber_operations(f);
  return result;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
