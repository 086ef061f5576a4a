// qfence/quant/layer_debugger.hpp: where a quantized model loses accuracy
// (`qfence debug`): both models run on the same samples and every tensor of
// the quantized model is compared with the float model's, layer by layer.
//
// Tensors are matched by name (qfence quantize and TFLite's converter keep
// the float model's names), else by position: when names do not match, the
// k-th operation of each model (leaving out QUANTIZE and DEQUANTIZE) is
// paired if both lists have the same ops in the same order. Subgraphs (IF's
// branches, WHILE's body) are compared too, by name within the subgraph of
// the same index, each time they run: the k-th write of a tensor in one
// model against its k-th write in the other (a loop body's iterations in
// order; writes one model makes and the other does not, as when a loop
// runs longer, are left out).
//
// Per matched tensor: SQNR (dB) of the dequantized values against the float
// ones, the largest absolute error, the mean error (a bias: rounding is
// unbiased, so a mean that is not ~0 points at clipping or a shifted zero
// point), the tensor's scale and zero point, and the share of the float
// values outside what its int8 range can represent (clipping). A tensor the
// quantized model computes in float (inside a fence) is marked so: its
// error is what reached it from upstream.
//
// Memory: one sample's matched tensors of the quantized model (each write of
// them, for a loop body), held while the float model runs on the same
// sample; nothing grows with the samples.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/quant/compare_outputs.hpp"
#include "qfence/quant/conversion_ops.hpp"
#include "qfence/quant/layer_error.hpp"
#include "qfence/runtime/interpreter.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct debug_report {
  std::vector<layer_error> layers;  // in the quantized model's execution order
  std::size_t samples = 0;
  output_agreement output;          // the models' outputs, as compare_outputs measures them
  std::string matched_by;           // "name" or "position"
  std::size_t unmatched = 0;        // tensors of the quantized model with no float counterpart

  /// The layers worst first (lowest SQNR).
  std::vector<layer_error> worst_first() const {
    std::vector<layer_error> v = layers;
    std::stable_sort(v.begin(), v.end(), [](const layer_error& a, const layer_error& b) { return a.sqnr_db < b.sqnr_db; });
    return v;
  }
};

namespace detail {

struct tensor_pair {
  int quant, reference, op_index;
  int graph = 0;  // the subgraph of both tensors
};

/// The tensors that operations of `q` write, paired with tensors of `f`.
struct tensor_matching {
  std::vector<tensor_pair> pairs;
  std::string how;           // "name" or "position"
  std::size_t written = 0;   // real-valued tensors q's layers write (constants computed at load are not layers)
};

inline tensor_matching match_tensors(const runtime::model& f, const runtime::model& q) {
  // Subgraph g of q is subgraph g of f when both have as many.
  const int graphs = f.subgraph_count == q.subgraph_count ? q.subgraph_count : 1;
  auto float_named = [&](const std::string& name, int graph) {
    if (name.empty()) return -1;
    const auto [first, end] = f.tensor_range_of(graph);
    for (std::size_t t = first; t < end; ++t)
      if (f.tensors[t].name == name && f.tensors[t].type == dtype::f32 && !f.tensors[t].constant) return static_cast<int>(t);
    return -1;
  };
  // A tensor whose name has no match but which a DEQUANTIZE turns into a
  // matched float tensor (a float model output behind its int8 producer)
  // pairs with that tensor.
  auto dequantized_name = [&](int t, int graph) {
    for (const auto& op : q.operations_of(graph))
      if (op.code == runtime::op_code::dequantize && !op.inputs.empty() && op.inputs[0] == t)
        return float_named(q.tensors[static_cast<std::size_t>(op.outputs.at(0))].name, graph);
    return -1;
  };
  std::vector<tensor_pair> by_name;
  std::size_t written = 0;
  for (int g = 0; g < graphs; ++g)
    for (const auto& op : q.operations_of(g)) {
      if (runtime::folds_at_load(q, op)) continue;  // float16 weights widened at load: constants, not layers
      for (int t : op.outputs) {
        const runtime::tensor& x = q.tensors[static_cast<std::size_t>(t)];
        if (x.type != dtype::f32 && !x.quant.quantized()) continue;  // indices, counters, conditions: no real values
        ++written;
        int r = float_named(x.name, g);
        if (r < 0 && !is_conversion(op)) r = dequantized_name(t, g);
        if (r >= 0) by_name.push_back({t, r, op.index, g});
      }
    }
  // Positions, when names pair fewer than half the tensors.
  std::vector<const runtime::operation*> fo, qo;
  for (const auto& op : f.operations)
    if (!is_conversion(op)) fo.push_back(&op);
  for (const auto& op : q.operations)
    if (!is_conversion(op) && !runtime::folds_at_load(q, op)) qo.push_back(&op);
  bool same_ops = fo.size() == qo.size();
  for (std::size_t k = 0; same_ops && k < fo.size(); ++k)
    same_ops = fo[k]->code == qo[k]->code && fo[k]->outputs.size() == qo[k]->outputs.size();
  if (2 * by_name.size() >= written || !same_ops) return {std::move(by_name), "name", written};
  std::vector<tensor_pair> by_position;
  for (std::size_t k = 0; k < fo.size(); ++k)
    for (std::size_t o = 0; o < fo[k]->outputs.size(); ++o) {
      const int r = fo[k]->outputs[o], t = qo[k]->outputs[o];
      if (f.tensors[static_cast<std::size_t>(r)].type == dtype::f32) by_position.push_back({t, r, qo[k]->index});
    }
  return {std::move(by_position), "position", written};
}

}  // namespace detail

/// Runs `float_model` and `quantized` on every sample and compares every
/// matched tensor. `samples` fills the float model's inputs.
template <sample_source Source>
debug_report debug_layers(const std::shared_ptr<const runtime::model>& float_model,
                          const std::shared_ptr<const runtime::model>& quantized, const Source& samples) {
  debug_report report;
  detail::tensor_matching matching = detail::match_tensors(*float_model, *quantized);
  const std::vector<detail::tensor_pair> pairs = std::move(matching.pairs);
  report.matched_by = matching.how;
  report.unmatched = matching.written - pairs.size();
  runtime::interpreter reference(float_model), candidate(quantized);
  const runtime::model& q = *quantized;
  const runtime::model& f = *float_model;
  // A float layer is a fence only in a model that has quantized ones (a
  // float16 model computes every layer in float).
  bool has_quantized_activations = false;
  for (const runtime::tensor& t : q.tensors) has_quantized_activations |= !t.constant && t.quant.quantized();

  std::vector<layer_error_sums> acc(pairs.size());
  // One sample's quantized values, each write of a pair's tensor in order
  // (a loop body writes it once per iteration), and how many of them the
  // float model's run has compared.
  std::vector<std::vector<std::vector<float>>> held(pairs.size());
  std::vector<std::size_t> compared(pairs.size());
  // The pairs each tensor belongs to, on either side (a float tensor can
  // pair with several quantized ones), looked up after every operation.
  std::vector<std::vector<std::size_t>> pairs_of_quant(q.tensors.size()), pairs_of_reference(f.tensors.size());
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    pairs_of_quant[static_cast<std::size_t>(pairs[p].quant)].push_back(p);
    pairs_of_reference[static_cast<std::size_t>(pairs[p].reference)].push_back(p);
  }
  auto pair_written_by = [&](const runtime::interpreter& run, std::size_t graph, std::size_t j, bool quantized_side,
                             auto&& visit) {
    for (int t : run.operations_of_graph(graph)[j].outputs)
      if (t >= 0)
        for (const std::size_t p : (quantized_side ? pairs_of_quant : pairs_of_reference)[static_cast<std::size_t>(t)])
          visit(p);
  };
  output_tally outputs;
  output_values reference_values(reference), candidate_values(candidate);
  for (std::size_t s = 0; s < samples.size(); ++s) {
    if (samples.fill(s, reference)) continue;
    feed_inputs(reference, candidate);
    start_sample(samples, outputs.samples() == 0, reference, candidate);
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      held[p].clear();
      compared[p] = 0;
    }
    invoke_for_comparison(candidate, candidate_values, [&](std::size_t graph, std::size_t j) {
      pair_written_by(candidate, graph, j, true, [&](std::size_t p) {
        held[p].push_back(
            real_values(q.tensors[static_cast<std::size_t>(pairs[p].quant)], candidate.tensor_bytes(pairs[p].quant)));
      });
    });
    invoke_for_comparison(reference, reference_values, [&](std::size_t graph, std::size_t j) {
      pair_written_by(reference, graph, j, false, [&](std::size_t p) {
        const runtime::tensor& qt = q.tensors[static_cast<std::size_t>(pairs[p].quant)];
        if (compared[p] >= held[p].size()) return;  // the quantized model wrote it fewer times
        const std::vector<float>& got = held[p][compared[p]++];
        const auto want = real_values(f.tensors[static_cast<std::size_t>(pairs[p].reference)],
                                      reference.tensor_bytes(pairs[p].reference));
        if (got.size() != want.size()) return;  // shapes differ: nothing to compare
        acc[p].add(want, got, qt.quant.quantized() ? representable_range(qt.type, qt.quant.scale(), qt.quant.zero_point())
                                                   : std::nullopt);
      });
    });
    outputs.add(reference, reference_values, candidate, candidate_values);
    ++report.samples;
  }
  report.output = outputs.result();

  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const runtime::tensor& qt = q.tensors[static_cast<std::size_t>(pairs[p].quant)];
    const runtime::operation& op = q.operations_of(pairs[p].graph)[static_cast<std::size_t>(pairs[p].op_index)];
    layer_error l;
    l.op_index = pairs[p].op_index;
    l.subgraph = pairs[p].graph;
    l.op = runtime::op_name(op);
    l.quant_tensor = pairs[p].quant;
    l.float_tensor = pairs[p].reference;
    l.name = qt.name;
    l.type = qt.type;
    l.fenced = has_quantized_activations && qt.type == dtype::f32 && !is_conversion(op) &&
               !makes_float_from_integers(op, q);
    if (qt.quant.quantized()) {
      l.scale = qt.quant.scale();
      l.zero_point = qt.quant.zero_point();
    }
    acc[p].finish(l);
    report.layers.push_back(std::move(l));
  }
  std::stable_sort(report.layers.begin(), report.layers.end(), [](const layer_error& a, const layer_error& b) {
    return a.subgraph != b.subgraph ? a.subgraph < b.subgraph : a.op_index < b.op_index;
  });
  return report;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
