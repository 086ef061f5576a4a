// qfence/quant/fence_suggestion.hpp: which layers to keep in int16 or in
// float so that the int8 model reaches a target output SQNR (`qfence debug
// --suggest`), every suggestion verified by quantizing again.
//
// Greedy, on measurements only. Start from the model quantize_full_integer makes
// with the given ranges. At each step:
//   1. the debugger measures every layer on the samples; a layer's own
//      loss is its SQNR drop, the SQNR of its input minus that of its
//      output (a late layer inherits the error of every earlier one, so
//      its SQNR alone would point at the end of the network);
//   2. each of the `candidates` layers with the largest drops is tried
//      kept in int16 (int16 activations, int8 weights, where the op has an
//      int16x8 kernel) and fenced, the model quantized again each time and
//      its output SQNR measured;
//   3. the try that gains most is kept, int16 preferred unless a fence
//      gains `int16_preference_db` more: int16 keeps the model integer-only
//      (TFLM, accelerators) and costs less than a float island.
// It stops when the target is met, when no candidate gains, or after
// `max_steps` steps. Each step's figure is the output SQNR of a model
// `qfence quantize --int16 #i --fence #j ...` writes from the same ranges.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/compare_outputs.hpp"
#include "qfence/quant/layer_debugger.hpp"
#include "qfence/quant/quantize_model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct suggestion_step {
  int op_index = 0;     ///< the float model's operator (in its subgraph)
  std::string op;       ///< its name
  /// The float tensor it writes (its first output): the name the debugger's
  /// table shows, whose `op` column counts the quantized model's operators
  /// (a QUANTIZE at each float input shifts them).
  std::string tensor;
  int subgraph = 0;     ///< its graph (0: the main graph)
  /// How --fence and --int16 name it: "#op_index" in the main graph, the
  /// name of the tensor it writes inside a subgraph (IF's branch, WHILE's
  /// body), where indices do not reach.
  std::string selector;
  bool int16 = false;   ///< kept in int16 (--int16), else fenced (--fence)
  double drop_db = 0;   ///< its measured SQNR drop before this step
  double output_sqnr_db = 0;  ///< the requantized model's output SQNR with this and the earlier steps
};

struct fence_suggestion {
  std::string calibrator;  ///< the ranges' calibrator (set by the caller, for the command it prints)
  double target_db = 0;
  double start_db = 0;  ///< the int8 model's output SQNR without added fences
  std::vector<suggestion_step> steps;
  bool target_met = false;
  /// The `qfence quantize` options that reproduce the last step, as
  /// (flag, operator) pairs: ("--int16", "#2"), ("--fence", "#4").
  std::vector<std::pair<std::string, std::string>> quantize_args() const {
    std::vector<std::pair<std::string, std::string>> a;
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const auto fenced_later = [&] {
        for (std::size_t j = k + 1; j < steps.size(); ++j)
          if (steps[j].selector == steps[k].selector && !steps[j].int16) return true;
        return false;
      };
      if (steps[k].int16 && fenced_later()) continue;  // a later step took it to float
      a.emplace_back(steps[k].int16 ? "--int16" : "--fence", steps[k].selector);
    }
    return a;
  }
};

namespace detail {

/// The float model's operator that writes tensor `t` (in any graph), or null.
inline const runtime::operation* writer_of(const runtime::model& f, int t) {
  for (int g = 0; g < f.subgraph_count; ++g)
    for (const auto& op : f.operations_of(g))
      if (std::find(op.outputs.begin(), op.outputs.end(), t) != op.outputs.end()) return &op;
  return nullptr;
}

/// How quantize_options names `op` of `f`: "#index" in the main graph; in a
/// subgraph, the name of a tensor it writes if that name selects it alone
/// (detail::operators_selected); "" when nothing names it alone (it is not a candidate).
inline std::string selector_of(const runtime::model& f, const runtime::operation& op) {
  if (op.subgraph == 0) return "#" + std::to_string(op.index);
  for (const int t : op.outputs) {
    const std::string& name = f.tensors[static_cast<std::size_t>(t)].name;
    if (!name.empty() && operators_selected(name, f) == 1) return name;
  }
  return {};
}

/// Each integer layer's SQNR drop in `r` (by the float operator that
/// writes its tensor), largest first. A layer reading only unmeasured
/// tensors (the model's inputs) is measured against the best layer's SQNR.
inline std::vector<std::pair<double, const runtime::operation*>> layer_drops(const runtime::model& f,
                                                                            const debug_report& r) {
  std::vector<double> sqnr(f.tensors.size(), std::numeric_limits<double>::infinity());
  double best = 0;
  for (const auto& l : r.layers) {
    sqnr[static_cast<std::size_t>(l.float_tensor)] = l.sqnr_db;
    if (!std::isinf(l.sqnr_db)) best = std::max(best, l.sqnr_db);
  }
  std::vector<std::pair<double, const runtime::operation*>> drops;
  for (const auto& l : r.layers) {
    if (l.fenced || l.type == dtype::f32) continue;
    const runtime::operation* op = writer_of(f, l.float_tensor);
    if (op == nullptr) continue;
    double in = std::numeric_limits<double>::infinity();
    for (const int t : op->inputs)
      if (t >= 0) in = std::min(in, sqnr[static_cast<std::size_t>(t)]);
    if (std::isinf(l.sqnr_db)) continue;  // exact: nothing to gain
    const double drop = (std::isinf(in) ? best : in) - l.sqnr_db;
    drops.push_back({drop, op});
  }
  std::stable_sort(drops.begin(), drops.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return drops;
}

}  // namespace detail

/// The int16 layers and fences that bring the int8 model of `f` (quantized
/// with `ranges` and `base`) to `target_db` output SQNR on `samples` (the
/// file comment).
template <sample_source Source>
fence_suggestion suggest_fences(const std::shared_ptr<const runtime::model>& f, const calibration_report& ranges,
                                const Source& samples, double target_db, quantize_options base = {},
                                int max_steps = 8, int candidates = 6, double int16_preference_db = 0.5) {
  runtime::interpreter reference(f);
  auto quantized_with = [&](const quantize_options& o) {
    return std::make_shared<const runtime::model>(quantize_full_integer(*f, ranges, o).model);
  };
  auto output_sqnr = [&](const std::shared_ptr<const runtime::model>& q) {
    runtime::interpreter run(q);
    return compare_outputs(reference, run, samples).sqnr_db;
  };
  fence_suggestion s;
  s.target_db = target_db;
  auto current = quantized_with(base);
  s.start_db = output_sqnr(current);
  if (std::isnan(s.start_db))
    throw data_error("--suggest: the model's outputs hold no real values to measure an SQNR on (integer outputs "
                     "that no ARG_MAX or ARG_MIN makes). fix: compare with `qfence debug` without --suggest, whose "
                     "per-layer figures still hold");
  double now = s.start_db;
  while (now < target_db && static_cast<int>(s.steps.size()) < max_steps) {
    const debug_report r = debug_layers(f, current, samples);
    const auto drops = detail::layer_drops(*f, r);
    suggestion_step best;
    double best_score = now;  // the measured SQNR, int16 tries credited with the preference
    std::shared_ptr<const runtime::model> best_model;
    for (std::size_t c = 0; c < drops.size() && static_cast<int>(c) < candidates; ++c) {
      const runtime::operation& op = *drops[c].second;
      const std::string selector = detail::selector_of(*f, op);
      if (selector.empty()) continue;
      const bool already_int16 =
          std::find(base.int16.begin(), base.int16.end(), selector) != base.int16.end();
      for (const bool int16 : {true, false}) {
        // IF and WHILE pass values as they are: their subgraphs' ops are the candidates for int16.
        const op_property p16 = int16x8_property(op.code);
        if (int16 && (already_int16 || !p16.quantizable || p16.passes_to_subgraphs)) continue;
        quantize_options o = base;
        if (int16) o.int16.push_back(selector);
        else {
          std::erase(o.int16, selector);  // a layer in int16 that still loses: float
          o.fence.push_back(selector);
        }
        const auto q = quantized_with(o);
        const double db = output_sqnr(q);
        const double score = db + (int16 ? int16_preference_db : 0.0);
        if (db > now && score > best_score) {
          best_score = score;
          best = {op.index, runtime::op_name(op), f->tensors[static_cast<std::size_t>(op.outputs.at(0))].name,
                  op.subgraph, selector, int16, drops[c].first, db};
          best_model = q;
        }
      }
    }
    if (!best_model) break;  // no candidate gains: more steps would not help
    const std::string& selector = best.selector;
    if (best.int16) {
      base.int16.push_back(selector);
    } else {
      std::erase(base.int16, selector);
      base.fence.push_back(selector);
    }
    s.steps.push_back(best);
    current = best_model;
    now = best.output_sqnr_db;
  }
  s.target_met = now >= target_db;
  return s;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
