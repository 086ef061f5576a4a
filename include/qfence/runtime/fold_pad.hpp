// qfence/runtime/fold_pad.hpp: the operations a model runs, with each PAD
// that only feeds a VALID convolution folded into it.
//
// Converters write a stride-2 layer of Keras' MobileNets as PAD (zero
// point) then CONV_2D or DEPTHWISE_CONV_2D with VALID padding. The PAD copies
// the whole activation (MobileNetV2: 1.9 MB a frame, 4% of its time) so that
// the convolution can read padding from memory. The convolution computes the
// same numbers alone with that padding as window_pads (core/window_geometry.hpp):
// in the quantized references a tap outside the input adds nothing, and a pad
// byte equal to the zero point adds (zp + input_offset) * w = 0. Integer
// arithmetic makes that exact; float layers keep their PAD (0 * inf is NaN,
// a skipped tap is not, and signed zeros may differ).
//
// Both paths run this one rule: the interpreter on its operations, and
// `qfence embed`, which writes the folded layer with qfence::explicit_padding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

namespace fold_detail {

/// The H and W amounts of a PAD whose batch and channel amounts are 0, as
/// window_pads; false when the paddings tensor is not that.
inline bool spatial_pads_of(const tensor& paddings, window_pads& pads) {
  const auto v = paddings.constant_integers();
  if (!v || v->size() != 8) return false;
  for (const std::int64_t x : *v)
    if (x < 0 || x > (1 << 20)) return false;
  const auto at = [&](std::size_t k) { return (*v)[k]; };
  if (at(0) != 0 || at(1) != 0 || at(6) != 0 || at(7) != 0) return false;
  pads = {static_cast<int>(at(2)), static_cast<int>(at(3)), static_cast<int>(at(4)), static_cast<int>(at(5))};
  return true;
}

inline bool same_quantization(const quantization& a, const quantization& b) noexcept {
  return a.scales == b.scales && a.zero_points == b.zero_points && a.axis == b.axis;
}

/// Whether PAD `pad` (one output) may fold into `consumer`, its output's
/// one reader.
inline bool pad_folds_into(const model& m, const operation& pad, const operation& consumer, window_pads& pads) {
  const bool two_inputs = pad.inputs.size() == 2 || (pad.inputs.size() == 3 && pad.inputs[2] < 0);
  if (!two_inputs || pad.inputs[0] < 0 || pad.inputs[1] < 0) return false;
  if (consumer.code != op_code::conv_2d && consumer.code != op_code::depthwise_conv_2d) return false;
  if (consumer.inputs.empty() || consumer.inputs[0] != pad.outputs[0] || consumer.options.pad != padding::valid ||
      consumer.options.pads.any())
    return false;
  const tensor &in = m.tensors[static_cast<std::size_t>(pad.inputs[0])],
               &out = m.tensors[static_cast<std::size_t>(pad.outputs[0])];
  const bool integer = in.type == dtype::i8 || in.type == dtype::u8 || in.type == dtype::i16;
  if (!integer || in.constant || out.variable || out.type != in.type || in.rank() != 4 || out.rank() != 4 ||
      !in.quant.quantized() || in.quant.per_channel() || !same_quantization(in.quant, out.quant))
    return false;
  if (!spatial_pads_of(m.tensors[static_cast<std::size_t>(pad.inputs[1])], pads)) return false;
  return out.dim(0) == in.dim(0) && out.dim(1) == in.dim(1) + pads.top + pads.bottom &&
         out.dim(2) == in.dim(2) + pads.left + pads.right && out.dim(3) == in.dim(3);
}

}  // namespace fold_detail

/// The operations of `m` to run, in order, with every PAD that can be
/// folded (the file comment) removed and its amounts moved to the layer it
/// fed. Each keeps its `index` in the file, which messages name. A PAD that
/// does not qualify stays as it is (and is checked as any op is).
inline std::vector<operation> runnable_operations(const model& m, bool fold_pads = true) {
  std::vector<operation> ops = m.operations;
  if (!fold_pads) return ops;
  // Readers of each tensor, and whether it is a model output.
  std::vector<int> readers(m.tensors.size(), 0), reader(m.tensors.size(), -1);
  std::vector<bool> is_output(m.tensors.size(), false);
  for (const int t : m.outputs) is_output[static_cast<std::size_t>(t)] = true;
  for (std::size_t k = 0; k < ops.size(); ++k)
    for (const int t : ops[k].inputs)
      if (t >= 0) {
        ++readers[static_cast<std::size_t>(t)];
        reader[static_cast<std::size_t>(t)] = static_cast<int>(k);
      }
  std::vector<bool> removed(ops.size(), false);
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const operation& pad = ops[k];
    if (pad.code != op_code::pad || pad.outputs.size() != 1) continue;
    const auto t = static_cast<std::size_t>(pad.outputs[0]);
    if (readers[t] != 1 || is_output[t] || reader[t] <= static_cast<int>(k)) continue;
    operation& consumer = ops[static_cast<std::size_t>(reader[t])];
    window_pads pads;
    if (!fold_detail::pad_folds_into(m, pad, consumer, pads)) continue;
    consumer.inputs[0] = pad.inputs[0];
    consumer.options.pads = pads;
    removed[k] = true;
  }
  std::vector<operation> kept;
  for (std::size_t k = 0; k < ops.size(); ++k)
    if (!removed[k]) kept.push_back(std::move(ops[k]));
  return kept;
}

/// The operations each subgraph runs: the main graph's with PADs folded
/// into their layers, the others' as written (the interpreter and `qfence
/// embed` run the same ones).
inline std::vector<std::vector<operation>> graph_operations(const model& m, bool fold_pads) {
  std::vector<std::vector<operation>> graphs{runnable_operations(m, fold_pads)};
  for (const subgraph& g : m.subgraphs) graphs.push_back(g.operations);
  return graphs;
}

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
