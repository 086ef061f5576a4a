// qfence/quant/fence_suggestion.hpp: which layers to keep in float so that
// the int8 model reaches a target output SQNR (`qfence debug --suggest`),
// every suggestion verified by quantizing again.
//
// Greedy, on measurements only. Start from the model quantize_full_integer makes
// with the given ranges. At each step:
//   1. the debugger measures every layer on the samples; a layer's own
//      loss is its SQNR drop, the SQNR of its input minus that of its
//      output (a late layer inherits the error of every earlier one, so
//      its SQNR alone would point at the end of the network);
//   2. each of the `candidates` layers with the largest drops is fenced in
//      turn, the model quantized again and its output SQNR measured;
//   3. the fence that gains most is kept.
// It stops when the target is met, when no candidate gains, or after
// `max_fences` fences. Each step's figure is the output SQNR of a model
// `qfence quantize --fence #i ...` writes from the same ranges.
//
// Keeping a layer in int16 instead (the int16x8 scheme) is not suggested
// yet: qfence lacks int16 kernels for most layers (issue #10's note).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/compare_outputs.hpp"
#include "qfence/quant/layer_debugger.hpp"
#include "qfence/quant/quantize_model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct suggestion_step {
  int op_index = 0;     ///< the float model's operator, as --fence #op_index names it
  std::string op;       ///< its name
  double drop_db = 0;   ///< its measured SQNR drop before it was fenced
  double output_sqnr_db = 0;  ///< the requantized model's output SQNR with this and the earlier fences
};

struct fence_suggestion {
  std::string calibrator;  ///< the ranges' calibrator (set by the caller, for the command it prints)
  double target_db = 0;
  double start_db = 0;  ///< the int8 model's output SQNR without added fences
  std::vector<suggestion_step> steps;
  bool target_met = false;
  /// The --fence arguments that reproduce the last step.
  std::vector<std::string> fence_args() const {
    std::vector<std::string> a;
    for (const auto& s : steps) a.push_back("#" + std::to_string(s.op_index));
    return a;
  }
};

namespace detail {

/// The float model's operator that writes tensor `t`, or null.
inline const runtime::operation* writer_of(const runtime::model& f, int t) {
  for (const auto& op : f.operations)
    if (std::find(op.outputs.begin(), op.outputs.end(), t) != op.outputs.end()) return &op;
  return nullptr;
}

/// Each unfenced layer's SQNR drop in `r` (by the float operator that
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

/// The fences that bring the int8 model of `f` (quantized with `ranges` and
/// `base`) to `target_db` output SQNR on `samples` (the file comment).
template <sample_source Source>
fence_suggestion suggest_fences(const std::shared_ptr<const runtime::model>& f, const calibration_report& ranges,
                                const Source& samples, double target_db, quantize_options base = {},
                                int max_fences = 8, int candidates = 6) {
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
  double now = s.start_db;
  while (now < target_db && static_cast<int>(s.steps.size()) < max_fences) {
    const debug_report r = debug_layers(f, current, samples);
    const auto drops = detail::layer_drops(*f, r);
    suggestion_step best;
    double best_db = now;
    std::shared_ptr<const runtime::model> best_model;
    for (std::size_t c = 0; c < drops.size() && static_cast<int>(c) < candidates; ++c) {
      quantize_options o = base;
      o.fence.push_back("#" + std::to_string(drops[c].second->index));
      const auto q = quantized_with(o);
      const double db = output_sqnr(q);
      if (db > best_db) {
        best_db = db;
        best = {drops[c].second->index, runtime::op_name(*drops[c].second), drops[c].first, db};
        best_model = q;
      }
    }
    if (!best_model) break;  // no candidate gains: more fences would not help
    base.fence.push_back("#" + std::to_string(best.op_index));
    s.steps.push_back(best);
    current = best_model;
    now = best_db;
  }
  s.target_met = now >= target_db;
  return s;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
