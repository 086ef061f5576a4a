// qfence/quant/calibration.hpp: runs a float model over a representative
// dataset on the runtime path and observes every float activation, then
// says what range each should have and whether the data was enough to
// trust it.
//
// Memory: one observer per observed tensor (quant/observer.hpp: a fixed
// histogram and a few scalars) and the interpreter's arena. Samples stream
// through one at a time, so a dataset ten times larger needs the same
// memory (tests/unit/calibration_test.cpp measures it).
//
// Diagnostics are measured on the data, not guessed:
//   - stability: each range at half the data against the final one; a range
//     that still moves by more than `moving_warning` of its width when the
//     second half is added says the dataset is too small to trust;
//   - held-back clipping: the ranges from all samples but a final slice
//     (`held_back`, 10 %), applied to that slice, which they have not seen:
//     the fraction of its values they would clip is what new data will see;
//   - clipping on the calibration data itself (what percentile, MSE and
//     entropy clip on purpose); above `calibration_clipping_warning` the
//     range is not the tensor's (moving_average on few or unlike samples);
//   - NaN and infinity: an input holding one is reported with its file and
//     index and skipped; an activation that becomes one is counted and
//     reported with its sample. Neither is ever used in a range.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/quant/lstm_cell_steps.hpp"
#include "qfence/quant/observer.hpp"
#include "qfence/quant/real_range.hpp"
#include "qfence/quant/sample_directory.hpp"
#include "qfence/runtime/interpreter.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

namespace detail {

inline double range_distance(real_range a, real_range b) {
  const double width = std::max<double>(b.width(), 1e-30);
  return std::max(std::fabs(static_cast<double>(a.min) - b.min), std::fabs(static_cast<double>(a.max) - b.max)) / width;
}

inline std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g %%", 100.0 * share);
  return text;
}

}  // namespace detail

/// When calibration warns (calibration_options::warn_above; each report
/// keeps the thresholds it was measured against, so that
/// calibration_report::with_calibrator words the same warnings for another
/// calibrator's ranges).
struct calibration_thresholds {
  /// A range moving by more than this share of its width in the second
  /// half of the data; held-back clipping above this fraction.
  double moving = 0.05;
  double clipping = 0.001;
  /// Clipping of the calibration data itself above this fraction: a
  /// calibrator clips a few outliers on purpose, never this many values.
  double calibration_clipping = 0.05;
};

struct calibration_options {
  observer_options observer{};
  /// The final share of the samples whose clipping the ranges of the
  /// others are tested on (none with fewer than 10 samples).
  double held_back = 0.1;
  calibration_thresholds warn_above{};
  /// Called after each sample with (samples done, samples in all).
  std::function<void(std::size_t, std::size_t)> progress;
  runtime::interpreter_options interpreter{};
};

/// What calibration found for one float activation tensor.
struct tensor_calibration {
  int tensor = 0;           // index in the model
  int subgraph = 0;         // the graph it belongs to (0: the main graph; k: IF's, WHILE's, CALL_ONCE's)
  std::string name;
  real_range range;         // the calibrator's choice, from every sample
  real_range seen;          // every finite value seen
  real_range half_range;    // the calibrator's choice from the first half of the samples
  double moved = 0;         // how far half_range is from range, as a share of range's width
  double clipped = 0;       // the share of all values that `range` clips
  std::optional<double> held_back_clipped;  // the share of the held-back slice's values that the others' range clips
  /// range, half_range, clipped and held_back_clipped as every calibrator
  /// makes them (indexed as all_calibrators), measured in the same pass:
  /// calibration_report::with_calibrator picks one calibrator's.
  real_range range_by[std::size(all_calibrators)]{};
  real_range half_range_by[std::size(all_calibrators)]{};
  double clipped_by[std::size(all_calibrators)]{};
  std::optional<double> held_back_clipped_by[std::size(all_calibrators)]{};
  std::uint64_t values = 0;
  /// The mean of each channel (the last axis) over every sample: what a
  /// layer reading this tensor needs to cancel the shift its rounded
  /// weights add (quantize_model.hpp, bias correction).
  std::vector<double> channel_means;
  std::uint64_t non_finite = 0;
  std::optional<std::size_t> first_non_finite_sample;
};

struct calibration_report;
namespace detail {
inline std::vector<std::string> calibration_warnings(const calibration_report& report);
}  // namespace detail

struct calibration_report {
  std::string calibrator;
  std::size_t samples = 0;   // used
  std::size_t held_back = 0; // of which tested on the others' ranges
  std::vector<std::string> skipped;  // one line per sample not used, saying why
  std::vector<tensor_calibration> tensors;
  std::vector<std::string> warnings;  // one line each, for the person who runs it
  calibration_thresholds thresholds;                   // what the warnings were measured against
  double momentum = observer_options{}.momentum;       // moving_average's, which a warning about it explains

  /// The same report with every range chosen by `method` instead, and the
  /// diagnostics (stability, clipping, the warnings) of those ranges: what
  /// `--calibrator auto` reports is what it chose.
  calibration_report with_calibrator(qfence::quant::calibrator method) const {
    calibration_report r = *this;
    r.calibrator = std::string(calibrator_name(method));
    const auto c = static_cast<std::size_t>(std::find(std::begin(all_calibrators), std::end(all_calibrators), method) -
                                            std::begin(all_calibrators));
    for (auto& t : r.tensors) {
      t.range = t.range_by[c];
      t.half_range = t.half_range_by[c];
      t.moved = detail::range_distance(t.half_range, t.range);
      t.clipped = t.clipped_by[c];
      t.held_back_clipped = t.held_back_clipped_by[c];
    }
    // A report from a model's statistics (ranges_from_model) has no data
    // behind it to measure: its warnings stand.
    if (samples > 0) r.warnings = detail::calibration_warnings(r);
    return r;
  }

  const tensor_calibration* find(int tensor) const {
    for (const auto& t : tensors)
      if (t.tensor == tensor) return &t;
    return nullptr;
  }
  /// The entry of `tensor` if it has a range: one that samples computed (a
  /// branch no sample takes computes nothing), or one given without
  /// samples (ranges_from_model, a report made by hand).
  const tensor_calibration* ranged(int tensor) const {
    const tensor_calibration* c = find(tensor);
    return c != nullptr && (samples == 0 || c->values > 0) ? c : nullptr;
  }
};

namespace detail {

/// "tensor 9 'x' (subgraph 2)": a name may be in several graphs.
inline std::string tensor_label(const tensor_calibration& t) {
  std::string label = runtime::tensor_label(t.tensor, t.name);
  if (t.subgraph > 0) label += " (subgraph " + std::to_string(t.subgraph) + ")";
  return label;
}

/// The warnings of a report, one line each, worst first within each kind,
/// for its calibrator's ranges.
inline std::vector<std::string> calibration_warnings(const calibration_report& report) {
  std::vector<std::string> warnings;
  const std::string& method = report.calibrator;
  const calibration_thresholds& limits = report.thresholds;
  for (const auto& t : report.tensors)
    if (t.non_finite > 0)
      warnings.push_back(tensor_label(t) + ": " + std::to_string(t.non_finite) +
                         " NaN or infinite values, the first in sample " + std::to_string(*t.first_non_finite_sample) +
                         " (not used in its range)");
  for (const auto& t : report.tensors)
    if (t.values == 0 && t.non_finite == 0)
      warnings.push_back(tensor_label(t) +
                         ": never computed on this data (an IF branch no sample takes?); it has no range");
  for (const auto& t : report.tensors)
    if (t.values > 0 && t.seen.min == 0.0f && t.seen.max == 0.0f)
      warnings.push_back(tensor_label(t) + ": always 0 on this data; its quantization is a guess (scale of [0, 1])");
  if (report.held_back == 0)
    warnings.push_back("only " + std::to_string(report.samples) +
                       " samples: too few to hold back a slice and test the ranges on it (use 10 or more; hundreds "
                       "for a real model)");
  // Ranges still moving; ranges clipping the held-back slice (new data);
  // ranges clipping the very data they were calibrated on.
  std::vector<const tensor_calibration*> moving, clipping_new_data, clipping_own_data;
  for (const auto& t : report.tensors) {
    if (report.samples >= 2 && t.moved > limits.moving) moving.push_back(&t);
    if (t.held_back_clipped && *t.held_back_clipped > std::max(limits.clipping, 2 * t.clipped))
      clipping_new_data.push_back(&t);
    if (t.clipped > limits.calibration_clipping) clipping_own_data.push_back(&t);
  }
  std::sort(moving.begin(), moving.end(), [](auto* a, auto* b) { return a->moved > b->moved; });
  std::sort(clipping_new_data.begin(), clipping_new_data.end(),
            [](auto* a, auto* b) { return *a->held_back_clipped > *b->held_back_clipped; });
  std::sort(clipping_own_data.begin(), clipping_own_data.end(), [](auto* a, auto* b) { return a->clipped > b->clipped; });
  // A few tensors: one line each. Many (a small dataset moves most of a
  // real model's ranges): one line with the count and the worst, since
  // forty lines of the same warning bury the others; every tensor's figure
  // is in the report (calibrate's table and --json).
  const std::size_t one_line_each = 3;
  // one_line(t): a tensor's warning after its label; summary(tensors,
  // most): the one line for many, given "N of the M tensors" and the worst
  // three with figure(t) each.
  const auto warn = [&](const std::vector<const tensor_calibration*>& list, auto one_line, auto figure, auto summary) {
    if (list.size() > one_line_each) {
      std::string most;
      for (std::size_t k = 0; k < one_line_each; ++k)
        most += (k > 0 ? ", " : "") + tensor_label(*list[k]) + " " + figure(*list[k]);
      warnings.push_back(
          summary(std::to_string(list.size()) + " of the " + std::to_string(report.tensors.size()) + " tensors", most));
    } else {
      for (const auto* t : list) warnings.push_back(tensor_label(*t) + ": " + one_line(*t));
    }
  };
  const std::string sample_count = std::to_string(report.samples) + " samples";
  const std::string first = std::to_string(report.samples - report.held_back);
  const std::string last = std::to_string(report.held_back);
  warn(moving,
       [&](const tensor_calibration& t) {
         return "its " + method + " range moved by " + percent(t.moved) +
                " of its width when the second half of the data was added (" + sample_count +
                "): the dataset is too small to trust it";
       },
       [](const tensor_calibration& t) { return percent(t.moved); },
       [&](const std::string& tensors, const std::string& most) {
         return "the dataset is too small to trust: the " + method + " ranges of " + tensors + " moved by more than " +
                percent(limits.moving) + " of their width when the second half of the data was added (" +
                sample_count + "); the most: " + most +
                " (each tensor's is in the calibration report: `moved`). fix: calibrate on more samples (hundreds "
                "for a real model)";
       });
  warn(clipping_new_data,
       [&](const tensor_calibration& t) {
         return "the " + method + " ranges of the first " + first + " samples clip " +
                percent(*t.held_back_clipped) + " of the values of the last " + last +
                " (on the data they saw: " + percent(t.clipped) +
                "): new data will clip more than calibration did";
       },
       [](const tensor_calibration& t) { return percent(*t.held_back_clipped); },
       [&](const std::string& tensors, const std::string& most) {
         return "new data will clip more than calibration did: the " + method + " ranges of the first " + first +
                " samples clip more than " + percent(limits.clipping) + " of the values of the last " +
                last + " in " + tensors + "; the most: " + most +
                " (each tensor's is in the calibration report: `held-back`). fix: calibrate on more samples, like "
                "the data the model will see";
       });
  // Why a range clips most of what it was calibrated on, and what to use.
  // moving_average's range is not the tensor's on such data; the others
  // clip on purpose, and this much only on data too small to tell them
  // the tails from the body.
  const bool averaged = method == calibrator_name(calibrator::moving_average);
  const std::string why =
      averaged ? " (moving_average follows each sample's own min and max from the first sample on, moving by " +
                     percent(report.momentum) +
                     " a sample: with few samples, or samples unlike each other, that is not the tensor's range)"
               : "";
  const std::string fix = averaged ? " fix: calibrate with minmax, percentile or mse (or auto, which measures each)"
                                   : " fix: calibrate on more samples, or with minmax, which clips none of them";
  warn(clipping_own_data,
       [&](const tensor_calibration& t) {
         return "its " + method + " range clips " + percent(t.clipped) + " of the values it was calibrated on" +
                why + "." + fix;
       },
       [](const tensor_calibration& t) { return percent(t.clipped); },
       [&](const std::string& tensors, const std::string& most) {
         return "the " + method + " ranges clip more than " + percent(limits.calibration_clipping) +
                " of the values they were calibrated on in " + tensors + "; the most: " + most + why +
                " (each tensor's is in the calibration report: `clipped`)." + fix;
       });
  return warnings;
}

}  // namespace detail

/// A source of samples: sample_directory, or anything with
///   std::size_t size() const;
///   std::optional<std::string> fill(std::size_t sample, runtime::interpreter&)
/// which writes every input of the sample and returns why it cannot be
/// used (a NaN, with file and index), if it cannot.
template <class Source>
concept sample_source = requires(const Source& s, std::size_t i, runtime::interpreter& interp) {
  { s.size() } -> std::convertible_to<std::size_t>;
  { s.fill(i, interp) } -> std::same_as<std::optional<std::string>>;
};

/// Whether the samples of `source` are consecutive steps of one stream (a
/// keyword spotter's frames, in order): a source says so with
/// `bool stream() const`. Then variables (SVDF's memory) carry over from
/// each sample to the next, as they do when the model runs on the stream,
/// and the ranges calibration finds are the ones the model meets there.
/// Otherwise every sample starts from the variables' initial values, so a
/// sample's result does not depend on the ones before it.
template <class Source>
constexpr bool samples_form_stream(const Source& samples) {
  if constexpr (requires {
                  { samples.stream() } -> std::convertible_to<bool>;
                })
    return samples.stream();
  else
    return false;
}

/// Before a sample of `samples` runs on `interps`: their variables back to
/// their initial values, unless the samples form a stream and one has run
/// already (`first`: none has; a skipped sample does not count).
template <class Source, class... Interpreter>
void start_sample(const Source& samples, bool first, Interpreter&... interps) {
  if (first || !samples_form_stream(samples)) (interps.reset_variables(), ...);
}

/// sample_directory as a sample_source of a model's inputs; every file's
/// size is checked against its input when it is made.
class directory_samples {
 public:
  directory_samples(std::filesystem::path dir, const runtime::model& m)
      : dir_(std::move(dir), static_cast<int>(m.inputs.size())) {
    std::vector<std::size_t> bytes;
    for (int t : m.inputs) bytes.push_back(m.tensors[static_cast<std::size_t>(t)].bytes());
    dir_.check_sizes(bytes);
  }
  std::size_t size() const noexcept { return dir_.size(); }
  const sample_directory& directory() const noexcept { return dir_; }
  std::optional<std::string> fill(std::size_t sample, runtime::interpreter& interp) const {
    for (int k = 0; k < interp.input_count(); ++k) {
      dir_.read(sample, k, interp.input_bytes(k));
      if (interp.input_tensor(k).type != dtype::f32) continue;
      if (const auto bad = dir_.first_bad_value(sample, k, interp.input<float>(k)))
        return bad->file.string() + ": element " + std::to_string(bad->index) + " is " + number_text(bad->value) +
               "; sample skipped";
    }
    return std::nullopt;
  }

 private:
  static std::string number_text(float v) { return std::isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf"; }
  sample_directory dir_;
};

/// The tensors an operation leaves new values in: its outputs, and the
/// variables it reads (SVDF updates its state in place).
inline std::vector<int> written_tensors(const runtime::model& m, const runtime::operation& op) {
  std::vector<int> written = op.outputs;
  for (const int t : op.inputs)
    if (t >= 0 && m.tensors[static_cast<std::size_t>(t)].variable) written.push_back(t);
  return written;
}

/// The float activations calibration observes: every non-constant float32
/// tensor that a graph's inputs (the model's, and each subgraph's, which its
/// caller writes) or an operation of `ops` write (a variable too: the
/// quantized model stores it), in the order they appear.
/// `graphs` holds each graph's operations as they run (the interpreter's:
/// PADs folded into their layers write nothing).
inline std::vector<int> observed_tensors(const runtime::model& m,
                                         const std::vector<const std::vector<runtime::operation>*>& graphs) {
  std::vector<int> seen;
  auto add = [&](int t) {
    if (t < 0) return;
    const auto& x = m.tensors[static_cast<std::size_t>(t)];
    if (x.type == dtype::f32 && !x.constant && std::find(seen.begin(), seen.end(), t) == seen.end()) seen.push_back(t);
  };
  for (int g = 0; g < m.subgraph_count; ++g)
    for (int t : m.inputs_of(g)) add(t);
  for (const auto* ops : graphs)
    for (const auto& op : *ops)
      for (int t : written_tensors(m, op)) add(t);
  return seen;
}

/// Calibration runs a float model: quantized inputs mean a quantized model,
/// refused with what to do (before its samples are read, whose sizes would
/// otherwise be the first complaint). Integer inputs that are not quantized
/// (shapes, indices, raw pixels a CAST turns into floats) are data like any
/// other.
inline void require_float_model(const runtime::model& m, const std::string& command = "calibrate") {
  for (std::size_t k = 0; k < m.inputs.size(); ++k) {
    const runtime::tensor& t = m.tensors[static_cast<std::size_t>(m.inputs[k])];
    if (t.quant.quantized())
      throw runtime::model_error(command + ": input " + std::to_string(k) + " ('" + runtime::printable(t.name) + "') is " +
                                 runtime::type_text(t) +
                                 "; calibration runs a float model. To calibrate a quantized model, make its float "
                                 "twin first: qfence dequantize");
  }
}

/// Calibrates `model` (float) on `samples`.
template <sample_source Source>
calibration_report calibrate(std::shared_ptr<const runtime::model> model, const Source& samples,
                             const calibration_options& options = {}) {
  require_float_model(*model);
  runtime::interpreter interp(model, options.interpreter);
  const runtime::model& m = *model;
  // Every graph's tensors: IF's branches and WHILE's body (each time it
  // runs) as well as the main graph.
  std::vector<const std::vector<runtime::operation>*> graphs;
  for (std::size_t g = 0; g < interp.graph_count(); ++g) graphs.push_back(&interp.operations_of_graph(g));
  const std::vector<int> observed = observed_tensors(m, graphs);
  auto observers_of = [&](int t, std::vector<std::size_t>& into) {
    for (std::size_t i = 0; i < observed.size(); ++i)
      if (observed[i] == t) into.push_back(i);
  };
  // Per graph and operation: which observers its writes feed, by position
  // in `observed`; a float LSTM's cell state is observed at every step it
  // takes (lstm_cell_steps), not only as the invoke leaves it.
  struct observed_op {
    std::vector<std::size_t> after;
    std::optional<lstm_cell_steps> cell_steps;
    std::size_t cell_observer = 0;
  };
  std::vector<std::vector<observed_op>> by_op(interp.graph_count());
  for (std::size_t g = 0; g < interp.graph_count(); ++g) {
    const std::vector<runtime::operation>& ops = interp.operations_of_graph(g);
    by_op[g].resize(ops.size());
    for (std::size_t k = 0; k < ops.size(); ++k) {
      observed_op& o = by_op[g][k];
      for (int t : written_tensors(m, ops[k])) observers_of(t, o.after);
      if (!lstm_cell_steps::applies(m, ops[k])) continue;
      lstm_cell_steps steps(m, ops[k]);
      for (auto it = o.after.begin(); it != o.after.end(); ++it)
        if (observed[*it] == steps.cell_tensor()) {
          o.cell_observer = *it;
          o.after.erase(it);
          o.cell_steps.emplace(std::move(steps));
          break;
        }
    }
  }
  // The values a graph's inputs hold: the model's as a sample fills them, a
  // subgraph's as its caller passes them (observed before its first op).
  std::vector<std::vector<std::size_t>> of_inputs(interp.graph_count());
  for (std::size_t g = 0; g < interp.graph_count(); ++g)
    for (int t : m.inputs_of(static_cast<int>(g))) observers_of(t, of_inputs[g]);

  // Each observer keeps a sum per channel (the last axis): O(channels),
  // whatever the data.
  std::vector<tensor_observer> observers;
  for (const int t : observed) {
    const auto& shape = m.tensors[static_cast<std::size_t>(t)].shape;
    observers.emplace_back(options.observer, shape.empty() ? 1 : static_cast<std::size_t>(std::max(shape.back(), 1)));
  }
  const std::size_t total = samples.size();
  const std::size_t held = total >= 10 ? std::max<std::size_t>(1, static_cast<std::size_t>(options.held_back * total)) : 0;
  const std::size_t half_at = total / 2, held_at = total - held;
  // Every calibrator's ranges at half the data and before the held-back
  // slice, and how many of that slice's values each would clip.
  constexpr std::size_t methods = std::size(all_calibrators);
  using by_calibrator = std::array<real_range, methods>;
  std::vector<by_calibrator> half(observed.size()), before_held(observed.size());
  std::vector<std::uint64_t> held_values(observed.size(), 0);
  std::vector<std::array<std::uint64_t, methods>> held_outside(observed.size());
  std::vector<std::optional<std::size_t>> first_bad_sample(observed.size());

  calibration_report report;
  report.thresholds = options.warn_above;
  report.momentum = options.observer.momentum;
  bool testing_held = false;
  auto observe_values = [&](std::size_t i, std::size_t sample, std::span<const float> values) {
    const auto bad_before = observers[i].non_finite_count();
    observers[i].observe(values);
    if (observers[i].non_finite_count() > bad_before && !first_bad_sample[i]) first_bad_sample[i] = sample;
    if (testing_held) {
      held_values[i] += values.size();
      for (std::size_t c = 0; c < methods; ++c) {
        const real_range r = before_held[i][c];
        for (const float v : values) held_outside[i][c] += (v < r.min || v > r.max) ? 1 : 0;
      }
    }
  };
  auto observe = [&](std::size_t i, std::size_t sample) {
    const auto bytes = interp.tensor_bytes(observed[i]);
    observe_values(i, sample,
                   std::span<const float>(qfence::detail::object_at<const float>(bytes.data()), bytes.size() / sizeof(float)));
  };
  auto snapshot = [&](std::vector<by_calibrator>& into) {
    for (std::size_t i = 0; i < observed.size(); ++i)
      for (std::size_t c = 0; c < methods; ++c) into[i][c] = observers[i].range(all_calibrators[c]);
  };
  for (std::size_t s = 0; s < total; ++s) {
    if (s == half_at) snapshot(half);
    if (held > 0 && s == held_at) {
      snapshot(before_held);
      testing_held = true;
    }
    if (auto why = samples.fill(s, interp)) {
      report.skipped.push_back(std::move(*why));
    } else {
      start_sample(samples, report.samples == 0, interp);
      for (std::size_t i : of_inputs[0]) observe(i, s);
      interp.invoke_observed_graphs(
          [&](std::size_t g, std::size_t k) {
            if (g > 0 && k == 0)
              for (std::size_t i : of_inputs[g]) observe(i, s);
            if (by_op[g][k].cell_steps) by_op[g][k].cell_steps->before(interp);
          },
          [&](std::size_t g, std::size_t k) {
            observed_op& o = by_op[g][k];
            for (std::size_t i : o.after) observe(i, s);
            if (o.cell_steps)
              o.cell_steps->after(interp, [&](std::span<const float> cell) { observe_values(o.cell_observer, s, cell); });
          });
      ++report.samples;
      if (testing_held) ++report.held_back;
    }
    if (options.progress) options.progress(s + 1, total);
  }
  if (report.samples == 0)
    throw data_error("calibrate: no usable sample (" + std::to_string(report.skipped.size()) + " skipped" +
                     (report.skipped.empty() ? std::string(")") : ", the first: " + report.skipped.front() + ")"));

  for (std::size_t i = 0; i < observed.size(); ++i) {
    const tensor_observer& o = observers[i];
    tensor_calibration t;
    t.tensor = observed[i];
    t.subgraph = m.subgraph_of_tensor(static_cast<std::size_t>(observed[i]));
    t.name = m.tensors[static_cast<std::size_t>(observed[i])].name;
    for (std::size_t c = 0; c < methods; ++c) {
      t.range_by[c] = o.range(all_calibrators[c]);
      t.half_range_by[c] = total >= 2 ? half[i][c] : t.range_by[c];
      t.clipped_by[c] = o.fraction_outside(t.range_by[c]);
      if (held > 0 && held_values[i] > 0)
        t.held_back_clipped_by[c] = static_cast<double>(held_outside[i][c]) / static_cast<double>(held_values[i]);
    }
    t.seen = o.seen();
    t.values = o.values();
    t.channel_means = o.channel_means();
    t.non_finite = o.non_finite_count();
    t.first_non_finite_sample = first_bad_sample[i];
    report.tensors.push_back(std::move(t));
  }

  return report.with_calibrator(options.observer.method);
}

/// The ranges a float model carries in its tensors' min/max statistics
/// (converters that record them, quantization-aware training, or `qfence
/// dequantize`, which keeps each int8 tensor's range), as a report that
/// quantize_int8 takes instead of calibration. Activations without
/// statistics get no range, so the ops that touch them stay float: a twin
/// of a mixed-precision model keeps the original's float parts. A model
/// with no statistics at all is an error.
inline calibration_report ranges_from_model(const runtime::model& m) {
  calibration_report report;
  report.calibrator = "from-model";
  std::size_t without = 0;
  std::vector<const std::vector<runtime::operation>*> graphs;
  for (int g = 0; g < m.subgraph_count; ++g) graphs.push_back(&m.operations_of(g));
  for (const int t : observed_tensors(m, graphs)) {
    const runtime::tensor& x = m.tensors[static_cast<std::size_t>(t)];
    if (x.quant.min.size() != 1 || x.quant.max.size() != 1) {
      ++without;
      continue;
    }
    tensor_calibration c;
    c.tensor = t;
    c.name = x.name;
    c.range = c.seen = c.half_range = real_range{x.quant.min[0], x.quant.max[0]}.with_zero();
    for (auto& r : c.range_by) r = c.range;
    for (auto& r : c.half_range_by) r = c.range;
    report.tensors.push_back(std::move(c));
  }
  if (report.tensors.empty())
    throw runtime::model_error("the model's " + std::to_string(without) +
                               " float activations carry no min/max statistics; --calib-from-model needs them. fix: "
                               "calibrate on data (--calib DIR)");
  if (without > 0)
    report.warnings.push_back(std::to_string(without) + " float activations carry no min/max statistics: the ops that "
                              "read or write them stay float");
  return report;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
