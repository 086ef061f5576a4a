// qfence/quant/dynamic_range.hpp: TFLite's dynamic-range scheme: the
// weights of FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D layers stored as
// int8 (symmetric, per output channel), activations left float. The layers then run TFLite's
// hybrid kernels (kernels/reference/hybrid.hpp), which quantize their float
// input per batch at every invoke and scale the integer sums back.
//
// It needs no calibration: the only ranges are the weights', known from the
// file, and the inputs', measured at run time. It is what TFLite's converter
// writes for `optimizations = [DEFAULT]` without a representative dataset:
// weights with fewer than `min_elements` values (1024, TFLite's
// weights_min_num_elements) stay float, FULLY_CONNECTED quantizes its
// inputs asymmetrically (asymmetric_quantize_inputs, the converter's
// default), op versions as op_version.cc gives them. Other layers keep
// float weights (TFLite has hybrid kernels for a few more, the LSTMs and
// SVDF; qfence does not yet).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/affine_params.hpp"
#include "qfence/quant/quantize_model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct dynamic_range_options {
  /// Weights with fewer values stay float (TFLite: weights_min_num_elements).
  std::int64_t min_elements = 1024;
  /// FULLY_CONNECTED quantizes each input row with its own zero point
  /// (TFLite's asymmetric_quantize_inputs); false: symmetric, zero point 0.
  bool asymmetric_inputs = true;
};

struct dynamic_range_model {
  runtime::model model;
  int hybrid_layers = 0;                      ///< layers whose weights are int8 now
  std::size_t float_bytes = 0, int8_bytes = 0;  ///< those weights' bytes before and after
  std::vector<std::string> kept_float;        ///< one line per layer left float, and why
};

/// The dynamic-range model of float model `f` (the file comment).
inline dynamic_range_model quantize_dynamic_range(const runtime::model& f, const dynamic_range_options& options = {}) {
  using runtime::op_code;
  dynamic_range_model result;
  runtime::model& q = result.model;
  q = detail::owned_copy(f, "quantized by qfence (dynamic range) from: " + f.description);
  // Each weight tensor is quantized once, for the first layer that reads it
  // (a shared weight tensor stays shared), unless another op reads it as
  // something else: then it stays float.
  auto hybrid_candidate = [&](const runtime::operation& op) {
    return (op.code == op_code::fully_connected || op.code == op_code::conv_2d ||
            op.code == op_code::depthwise_conv_2d) &&
           op.inputs.size() >= 2 && op.inputs[0] >= 0 && op.inputs[1] >= 0 &&
           f.tensors[static_cast<std::size_t>(op.inputs[0])].type == dtype::f32;
  };
  // (In every subgraph: a layer in IF's branch or WHILE's body is a layer
  // too; a tensor belongs to one subgraph, so the counts need no more.)
  std::vector<int> other_readers(f.tensors.size(), 0);
  for (int g = 0; g < f.subgraph_count; ++g)
    for (const runtime::operation& op : f.operations_of(g))
      for (std::size_t i = 0; i < op.inputs.size(); ++i)
        if (op.inputs[i] >= 0 && !(i == 1 && hybrid_candidate(op)))
          ++other_readers[static_cast<std::size_t>(op.inputs[i])];
  std::vector<bool> done(f.tensors.size(), false);
  for (int g = 0; g < q.subgraph_count; ++g) {
    for (runtime::operation& op : q.operations_of(g)) {
      if (!hybrid_candidate(op)) continue;
      const auto wi = static_cast<std::size_t>(op.inputs[1]);
      const runtime::tensor& w = f.tensors[wi];
      if (w.type != dtype::f32 || !w.constant || w.data.size() != w.bytes()) continue;
      if (other_readers[wi] > 0) {
        result.kept_float.push_back(detail::op_label(op) + " keeps float weights: another operator reads them as well");
        continue;
      }
      if (w.elements() < options.min_elements) {
        result.kept_float.push_back(detail::op_label(op) + " keeps float weights: " + std::to_string(w.elements()) +
                                    " values, fewer than " + std::to_string(options.min_elements));
        continue;
      }
      if (!done[wi]) {
        const std::vector<float> values = detail::finite_values(f, static_cast<int>(wi), detail::op_label(op));
        const int axis = op.code == op_code::depthwise_conv_2d ? 3 : 0;  // the output channels
        const quantized_weights qw = quantize_weights_symmetric(values, w.shape, axis, true);
        runtime::tensor& x = q.tensors[wi];
        x.type = dtype::i8;
        x.data = detail::own_values(q, qw.values);
        x.quant = {};
        x.quant.scales = qw.scales;
        x.quant.zero_points.assign(qw.scales.size(), 0);
        x.quant.axis = axis;
        result.float_bytes += w.bytes();
        result.int8_bytes += x.bytes();
        done[wi] = true;
      }
      if (op.code == op_code::fully_connected) op.options.asymmetric_quantize_inputs = options.asymmetric_inputs;
      ++result.hybrid_layers;
    }
  }
  detail::renumber_operations(q);
  return result;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
