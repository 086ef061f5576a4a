// qfence/quant/calibrate_graph.hpp: calibration of a float model described
// in C++, and the header that carries its ranges to the compile-time
// quantizer (quant/quantize_graph.hpp).
//
//   auto c = qfence::quant::calibrate_graph(float_model, samples, fill);
//   std::ofstream("model_ranges.hpp") << qfence::quant::calibration_header(c, "model_ranges");
//
// then, in the program that ships:
//
//   #include "model_ranges.hpp"
//   constexpr auto int8_model = qfence::quantize<float_model, model_ranges::ranges>(
//       qfence::correct_biases<model_ranges::channel_means>);
//
// (ranges_header(c.ranges(), ...) writes the ranges alone.)
// The ranges are a compile-time input of the int8 model, so calibration is a
// separate program (a build step), as code generation is.
//
// The table has a row per node of the model and of the models its if_ and
// while_ nodes run (quant/node_tree.hpp): a called model's nodes are
// observed every time it runs (a while_'s body at every iteration), and a
// row no sample reached (a branch never taken) holds quant::not_observed.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "qfence/graph/arena.hpp"
#include "qfence/graph/state.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/ops/lstm.hpp"
#include "qfence/quant/called_model_replay.hpp"
#include "qfence/quant/lstm_replay.hpp"
#include "qfence/quant/node_tree.hpp"
#include "qfence/quant/observer.hpp"
#include "qfence/quant/real_range.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// What calibration saw at every node of model M and of the models its
/// nodes run (a row each, quant/node_tree.hpp): one streaming observer per
/// float node, so memory does not grow with the dataset.
template <class M>
class graph_calibration {
 public:
  static constexpr int nodes = static_cast<int>(tree_size<M>());

  explicit graph_calibration(observer_options options) {
    for (std::size_t i = 0; i < observers_.size(); ++i)
      observers_[i] = std::make_unique<tensor_observer>(options, channels[i]);
  }

  /// Row i's observer (null for a node whose output is not float).
  const tensor_observer* observer(int node) const {
    return float_node[static_cast<std::size_t>(node)] ? observers_[static_cast<std::size_t>(node)].get() : nullptr;
  }
  tensor_observer* observer(int node) {
    return float_node[static_cast<std::size_t>(node)] ? observers_[static_cast<std::size_t>(node)].get() : nullptr;
  }

  /// Every row's range as `method` chooses it ({0, 0} for a node that is
  /// not float; not_observed for one that never gave a finite value): the
  /// table qfence::quantize takes.
  std::array<real_range, nodes> ranges(calibrator method) const {
    std::array<real_range, nodes> r{};
    for (int i = 0; i < nodes; ++i)
      if (const tensor_observer* o = observer(i)) r[static_cast<std::size_t>(i)] = o->values() > 0 ? o->range(method) : not_observed;
    return r;
  }
  std::array<real_range, nodes> ranges() const { return ranges(options().method); }
  /// Every node's channel means (the last axis; none for a node that is not
  /// float): what qfence::correct_biases takes.
  std::array<std::vector<double>, nodes> channel_means() const {
    std::array<std::vector<double>, nodes> m{};
    for (int i = 0; i < nodes; ++i)
      if (const tensor_observer* o = observer(i)) m[static_cast<std::size_t>(i)] = o->channel_means();
    return m;
  }
  const observer_options& options() const { return observers_[0]->options(); }

  std::size_t samples = 0;              ///< samples observed
  std::vector<std::string> skipped;     ///< samples not used, each with why
  /// Nodes that produced NaN or an infinity (never used), one line each.
  std::vector<std::string> non_finite() const {
    std::vector<std::string> lines;
    for (int i = 0; i < nodes; ++i)
      if (const tensor_observer* o = observer(i); o != nullptr && o->non_finite_count() > 0) {
        const non_finite_value v = *o->first_non_finite();
        lines.push_back(tree_node_label<M>(static_cast<std::size_t>(i)) + " produced " + std::to_string(o->non_finite_count()) +
                        " NaN/Inf values (first in sample " + std::to_string(v.call) + " at index " +
                        std::to_string(v.index) + "); they were not used for its range");
      }
    return lines;
  }

  /// The length of each row's last axis (1 for a scalar).
  static constexpr std::array<std::size_t, nodes> channels = [] {
    std::array<std::size_t, nodes> c{};
    for_each_tree_node<M>(0, [&]<class Model, int I>(std::size_t row) {
      using T = typename Model::template node_output_type<I>;
      if constexpr (T::rank == 0) c[row] = 1;
      else c[row] = static_cast<std::size_t>(T::shape_type::dim(static_cast<int>(T::rank) - 1));
    });
    return c;
  }();

  static constexpr std::array<bool, nodes> float_node = [] {
    std::array<bool, nodes> f{};
    for_each_tree_node<M>(0, [&]<class Model, int I>(std::size_t row) {
      f[row] = Model::template node_output_type<I>::type == dtype::f32;
    });
    return f;
  }();

 private:
  std::array<std::unique_ptr<tensor_observer>, nodes> observers_;
};

/// Runs float model `net` on `count` samples and observes every node's
/// output. `fill(k, arena)` writes sample k's inputs into the
/// `qfence::arena<M>` it is given (arena.input<K>()) and returns why the
/// sample cannot be used, if it cannot (a NaN: say where), or std::nullopt.
///
/// State nodes (SVDF's memory, an LSTM's states) start every sample from
/// their initial values, unless `stream`: then the samples are consecutive
/// steps of one stream and the states carry over from one to the next, as
/// they do when the model runs on it (`qfence calibrate --stream`). A state
/// is observed as the invoke leaves it, after the op that updates it; an
/// LSTM's cell state at every time step (quant/lstm_replay.hpp). The
/// models if_ and while_ nodes run are observed each time they run (the
/// branch taken; cond and body at every iteration: called_model_replay.hpp),
/// in their rows after the model's own (quant/node_tree.hpp).
template <class M, class Fill>
graph_calibration<M> calibrate_graph(const M& net, std::size_t count, Fill&& fill, observer_options options = {},
                                     bool stream = false) {
  graph_calibration<M> c(options);
  auto arena = std::make_unique<qfence::arena<M>>();
  constexpr auto N = static_cast<std::size_t>(M::node_count);
  const auto observe_values = [&](std::size_t row, std::span<const float> values) {
    c.observer(static_cast<int>(row))->observe(values);
  };
  // A node of a model an if_ or while_ runs (called_model_replay.hpp).
  const auto observe_called = [&]<class Model, int I>(std::size_t row, const qfence::arena<Model>& a) {
    if constexpr (Model::template node_output_type<I>::type == dtype::f32) {
      const auto v = a.template node_output<I>();
      observe_values(row, std::span<const float>(v.data(), v.size()));
    }
  };
  const auto copy_of = [&]<int I>() {
    const auto v = arena->template node_output<I>();
    return std::vector<float>(v.begin(), v.end());
  };
  // What each float LSTM read, copied as the nodes it reads report.
  std::array<lstm_replay_inputs, N> replay;
  const auto after_node = [&]<int I>() {
    using Node = typename M::template node_t<I>;
    using P = qfence::detail::lstm_node_parts<Node>;
    if constexpr (M::template node_output_type<I>::type == dtype::f32) {
      if constexpr (qfence::detail::is_state_node<Node>::value) {
        // Before its op runs: what the op will read. Observed once the invoke is over.
        if constexpr (constexpr int l = qfence::detail::state_updater<M, qfence::detail::lstm_hidden_state>[I]; l >= 0)
          replay[static_cast<std::size_t>(l)].hidden = copy_of.template operator()<I>();
        if constexpr (constexpr int l = qfence::detail::state_updater<M, qfence::detail::lstm_cell_state>[I]; l >= 0)
          replay[static_cast<std::size_t>(l)].cell = copy_of.template operator()<I>();
      } else {
        const auto values = arena->template node_output<I>();
        observe_values(I, std::span<const float>(values.data(), values.size()));
      }
    }
    // An if_ or while_: the models it ran, again on what it read.
    if constexpr (called_models<Node>::count > 0) replay_called<M, M, I>(net.template node<I>(), *arena, 0, observe_called);
    if constexpr (P::is_lstm) {
      if constexpr (M::template node_output_type<P::input>::type == dtype::f32) {
        // The input's bytes are the input's until a later node runs.
        lstm_replay_inputs& copies = replay[static_cast<std::size_t>(I)];
        copies.input = copy_of.template operator()<P::input>();
        const Node& n = net.template node<I>();
        constexpr lstm_geometry g = lstm_geometry_of(describe<typename M::template node_output_type<P::input>>(),
                                                     describe<typename M::template node_output_type<P::hidden>>(),
                                                     P::time_major);
        const auto cell = arena->template node_output<P::cell>();
        replay_lstm_cells(g, n.cell_clip, n.template operands_with<float, float, float>(nullptr), std::move(copies), std::as_bytes(std::span<const float>(cell.data(), cell.size())),
                          "node " + std::to_string(I),
                          [&](std::span<const float> values) { observe_values(P::cell, values); });
      }
    }
  };
  const auto after = [&](int node) {
    [&]<int... I>(std::integer_sequence<int, I...>) {
      ((node == I ? after_node.template operator()<I>() : void()), ...);
    }(std::make_integer_sequence<int, M::node_count>{});
  };
  // States (an LSTM's cell aside, seen at every step) as the invoke left them.
  const auto observe_states = [&]<int... I>(std::integer_sequence<int, I...>) {
    (
        [&] {
          if constexpr (qfence::detail::is_state_node<typename M::template node_t<I>>::value &&
                        M::template node_output_type<I>::type == dtype::f32 &&
                        qfence::detail::state_updater<M, qfence::detail::lstm_cell_state>[I] < 0) {
            const auto values = arena->template node_output<I>();
            observe_values(I, std::span<const float>(values.data(), values.size()));
          }
        }(),
        ...);
  };
  for (std::size_t k = 0; k < count; ++k) {
    if (std::optional<std::string> why = fill(k, *arena)) {
      c.skipped.push_back("sample " + std::to_string(k) + ": " + *why);
      continue;
    }
    if (!stream || c.samples == 0) net.reset_state(*arena);
    // Inputs are observed as written; every other node as soon as it has
    // run, while its bytes are still its own.
    [&]<int... K>(std::integer_sequence<int, K...>) {
      (after(M::template input_node_index<K>), ...);
    }(std::make_integer_sequence<int, M::input_count>{});
    net.invoke_observed(*arena, kernels::default_target(), [&](int node, const char*) { after(node); });
    observe_states(std::make_integer_sequence<int, M::node_count>{});
    ++c.samples;
  }
  return c;
}

namespace detail {

/// A double as a C++ literal that reads back as exactly the same double.
inline std::string exact_double_literal(double v);

/// Range `r` as a generated header's initializer: nine significant digits,
/// which read back as exactly the same floats, or quant::not_observed.
inline std::string range_initializer(const real_range& r) {
  if (!observed(r)) return "qfence::quant::not_observed";
  char line[64];
  std::snprintf(line, sizeof line, "{%.9ef, %.9ef}", static_cast<double>(r.min), static_cast<double>(r.max));
  return line;
}

/// A generated header's `channel_means` table, a row per entry of `means`
/// (empty: a row without means), each row's values an array of exact
/// literals before it; label(i), if not empty, comments an empty row.
template <class Label>
std::string channel_means_table(std::span<const std::vector<double>> means, Label&& label) {
  std::string arrays, table;
  for (std::size_t i = 0; i < means.size(); ++i) {
    if (means[i].empty()) {
      const std::string l = label(i);
      table += "    {}," + (l.empty() ? std::string() : "  // " + l) + "\n";
      continue;
    }
    const std::string array = "channel_means_" + std::to_string(i);
    arrays += "inline constexpr std::array<double, " + std::to_string(means[i].size()) + "> " + array + "{";
    for (std::size_t k = 0; k < means[i].size(); ++k) arrays += (k ? ", " : "") + exact_double_literal(means[i][k]);
    arrays += "};\n";
    table += "    " + array + ",\n";
  }
  return arrays + "inline constexpr std::array<std::span<const double>, " + std::to_string(means.size()) +
         "> channel_means{{\n" + table + "}};\n";
}

/// A generated header's top and its `ranges` table, in namespace `name`;
/// label(i) names row i in its comment.
template <std::size_t N, class Label>
std::string ranges_header_top(const std::array<real_range, N>& ranges, const std::string& name,
                              const std::string& made_by, const std::string& what, Label&& label) {
  std::string s = "// Generated by " + made_by + ": " + what + " of each of the " + std::to_string(N) +
                  " nodes of a float model (and of the models its if_ and while_ nodes run, after its own), by node "
                  "index. Do not edit; calibrate again.\n#pragma once\n\n"
                  // qfence.hpp, not quant/real_range.hpp: the one name that
                  // both include/ and single_include/ provide.
                  "#include <array>\n#include <span>\n\n#include \"qfence.hpp\"\n\nnamespace " +
                  name + " {\n\ninline constexpr std::array<qfence::quant::real_range, " + std::to_string(N) +
                  "> ranges{{\n";
  for (std::size_t i = 0; i < N; ++i) s += "    " + range_initializer(ranges[i]) + ",  // " + label(i) + "\n";
  return s + "}};\n";
}

/// A double as a C++ literal that reads back as exactly the same double.
inline std::string exact_double_literal(double v) {
  if (!std::isfinite(v)) return "0.0 /* the sum overflowed: no correction */";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

}  // namespace detail

/// A header holding `ranges` as the constexpr table qfence::quantize takes,
/// in namespace `name` (a C++ identifier). Each float is written with nine
/// significant digits, which read back as exactly the same float. Rows are
/// labelled by index ("node 5"); the overload below, given the
/// calibration, names the rows of the models if_ and while_ nodes run.
template <std::size_t N>
std::string ranges_header(const std::array<real_range, N>& ranges, const std::string& name,
                          const std::string& made_by = "quant::ranges_header") {
  return detail::ranges_header_top(ranges, name, made_by, "the calibrated range",
                                   [](std::size_t i) { return "node " + std::to_string(i); }) +
         "\n}  // namespace " + name + "\n";
}
/// The ranges of calibration `c`, as its calibrator chose them, each row
/// named ("node 1 of node 3's then-branch").
template <class M>
std::string ranges_header(const graph_calibration<M>& c, const std::string& name,
                          const std::string& made_by = "quant::ranges_header") {
  return detail::ranges_header_top(c.ranges(), name, made_by, "the calibrated range",
                                   [](std::size_t i) { return tree_node_label<M>(i); }) +
         "\n}  // namespace " + name + "\n";
}

/// A header holding what qfence::quantize takes from calibration `c`, in
/// namespace `name`: `ranges` (the calibrator's choice) and
/// `channel_means` (each node's channel means, exact, for
/// qfence::correct_biases; an empty span for a node that is not float).
template <class M>
std::string calibration_header(const graph_calibration<M>& c, const std::string& name,
                               const std::string& made_by = "quant::calibration_header") {
  constexpr auto N = tree_size<M>();
  std::string s = detail::ranges_header_top(c.ranges(), name, made_by, "the calibrated range and channel means",
                                           [](std::size_t i) { return tree_node_label<M>(i); });
  const std::array<std::vector<double>, N> means = c.channel_means();
  s += "\n// The mean of each channel (the last axis) of each node's output over the " + std::to_string(c.samples) +
       " samples.\n";
  s += detail::channel_means_table(means, [](std::size_t i) { return tree_node_label<M>(i); });
  return s + "\n}  // namespace " + name + "\n";
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
