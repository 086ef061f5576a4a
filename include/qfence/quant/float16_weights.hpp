// qfence/quant/float16_weights.hpp: TFLite's float16 scheme: every float
// constant an operation reads is stored as float16, and a DEQUANTIZE
// (f16 -> f32) before its first reader widens it back.
//
// It halves the weights' bytes and needs no calibration: activations stay
// float, and a weight changes by at most half a float16 step (2^-11 of its
// magnitude; values beyond float16's largest, 65504, are clamped to it as
// TFLite's converter clamps them). This is what TFLite's converter writes
// for `optimizations = [DEFAULT]` with `supported_types = [tf.float16]`
// (QuantizeWeightsFloat16 in its quantize_weights.cc): the same tensors,
// the same "<name>_dequantize" outputs, DEQUANTIZE version 3. TFLite
// computes those DEQUANTIZEs once, and so does qfence
// (runtime/fold_constants.hpp); TFLM has no float16 DEQUANTIZE.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/half.hpp"
#include "qfence/quant/quantize_model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct float16_model {
  runtime::model model;
  int constants = 0;  ///< float constants stored as float16
  std::size_t float_bytes = 0, half_bytes = 0;  ///< their bytes before and after
};

/// The float16 twin of float model `f`: its float constants stored as f16
/// behind DEQUANTIZEs (the file comment).
inline float16_model quantize_float16(const runtime::model& f) {
  using runtime::op_code;
  float16_model result;
  runtime::model& q = result.model;
  q = detail::owned_copy(f, "quantized by qfence (float16 weights) from: " + f.description);
  // Each subgraph's constants (IF's branches, WHILE's body): a DEQUANTIZE
  // in the subgraph that reads them, its output a tensor of that subgraph.
  std::vector<int> owner = detail::tensor_subgraphs(f);
  std::vector<int> widened(f.tensors.size(), -1);  // the DEQUANTIZE output that replaces t
  for (int g = 0; g < f.subgraph_count; ++g) {
    const std::vector<runtime::operation>& ops = f.operations_of(g);
    std::vector<runtime::operation>& rebuilt = q.operations_of(g);
    rebuilt.clear();  // rebuilt below, with the DEQUANTIZEs before each constant's first reader
    for (runtime::operation op : ops) {
      for (int& t : op.inputs) {
        if (t < 0) continue;
        const auto i = static_cast<std::size_t>(t);
        const runtime::tensor& x = f.tensors[i];
        if (!x.constant || x.variable || x.type != dtype::f32 || x.data.size() != x.bytes()) continue;
        if (widened[i] < 0) {
          runtime::tensor& narrow = q.tensors[i];
          std::vector<half> h(static_cast<std::size_t>(x.elements()));
          const std::vector<float> v = detail::float_values(x);
          for (std::size_t e = 0; e < h.size(); ++e) h[e] = to_half(std::clamp(v[e], -65504.0f, 65504.0f));
          runtime::tensor wide = x;  // the f32 value the readers see, computed by the DEQUANTIZE
          wide.name = x.name + "_dequantize";
          wide.constant = false;
          wide.data = {};
          wide.quant = {};
          result.float_bytes += x.bytes();
          narrow.type = dtype::f16;
          narrow.data = detail::own_values(q, h);
          result.half_bytes += narrow.bytes();
          ++result.constants;
          q.tensors.push_back(std::move(wide));
          owner.push_back(g);
          widened[i] = static_cast<int>(q.tensors.size()) - 1;
          rebuilt.push_back(detail::conversion_op(op_code::dequantize, t, widened[i]));
        }
        t = widened[i];
      }
      rebuilt.push_back(std::move(op));
    }
  }
  detail::drop_unused_tensors(q, owner);
  detail::renumber_operations(q);
  return result;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
