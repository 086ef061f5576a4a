// tools/qfence/calibrate.hpp: `qfence calibrate`, the ranges a float model's
// activations get from a representative dataset, and whether to trust them.
//
//   qfence calibrate FLOAT.tflite --calib DIR [--calibrator NAME] [--json]
//                    [--emit-cpp FILE.hpp --name NAME]
#pragma once

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>

#include "json.hpp"
#include "qfence/codegen/header_writer.hpp"
#include "qfence/quant/calibrate_graph.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/quant/quantize_model.hpp"
#include "qfence/tflite/reader.hpp"

namespace qfence::cli {

/// A progress bar on a terminal (redrawn in place), plain lines every 10 %
/// otherwise (logs, CI), on stderr so that stdout stays the report.
inline std::function<void(std::size_t, std::size_t)> progress_printer(std::string label) {
  const bool terminal = ::isatty(2) != 0;
  return [label = std::move(label), terminal, last = std::size_t{0}](std::size_t done, std::size_t total) mutable {
    if (terminal) {
      constexpr int width = 30;
      const int filled = static_cast<int>(width * done / std::max<std::size_t>(total, 1));
      std::fprintf(stderr, "\r%s [%s%s] %zu/%zu", label.c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total);
      if (done == total) std::fputc('\n', stderr);
    } else if (const std::size_t tenth = 10 * done / std::max<std::size_t>(total, 1); tenth > last || done == total) {
      last = tenth;
      std::fprintf(stderr, "%s: %zu/%zu samples\n", label.c_str(), done, total);
    }
    std::fflush(stderr);
  };
}

inline void write_calibration_json(json& j, const quant::calibration_report& r) {
  j.field("calibrator", r.calibrator);
  j.field("samples", r.samples);
  j.field("held_back", r.held_back);
  j.array_field("skipped", r.skipped);
  j.key("tensors").begin_array();
  for (const auto& t : r.tensors) {
    j.begin_object();
    j.field("tensor", t.tensor);
    if (t.subgraph > 0) j.field("subgraph", t.subgraph);
    j.field("name", runtime::printable(t.name, 4096));
    j.key("range").begin_array().value(t.range.min).value(t.range.max).end_array();
    j.key("seen").begin_array().value(t.seen.min).value(t.seen.max).end_array();
    j.key("half_data_range").begin_array().value(t.half_range.min).value(t.half_range.max).end_array();
    j.field("moved", t.moved);
    j.field("clipped", t.clipped);
    if (t.held_back_clipped) j.field("held_back_clipped", *t.held_back_clipped);
    j.field("non_finite", t.non_finite);
    j.end_object();
  }
  j.end_array();
  j.array_field("warnings", r.warnings);
}

inline std::string calibration_text(const quant::calibration_report& r) {
  std::string s = "calibrator " + r.calibrator + ", " + std::to_string(r.samples) + " samples (" +
                  std::to_string(r.held_back) + " held back to test the others' ranges)\n";
  char line[512];
  std::snprintf(line, sizeof line, "%6s  %-40s %12s %12s %12s %12s %9s %9s %8s\n", "tensor", "name", "min", "max",
                "seen min", "seen max", "clipped", "held-back", "moved");
  s += line;
  for (const auto& t : r.tensors) {
    const std::string in_subgraph = t.subgraph > 0 ? " (subgraph " + std::to_string(t.subgraph) + ")" : "";
    std::string name = runtime::printable(t.name, 40 - in_subgraph.size()) + in_subgraph;
    std::string held = t.held_back_clipped ? quant::detail::percent(*t.held_back_clipped) : "-";
    std::snprintf(line, sizeof line, "%6d  %-40s %12.6g %12.6g %12.6g %12.6g %9s %9s %8s\n", t.tensor, name.c_str(),
                  static_cast<double>(t.range.min), static_cast<double>(t.range.max), static_cast<double>(t.seen.min),
                  static_cast<double>(t.seen.max), quant::detail::percent(t.clipped).c_str(), held.c_str(),
                  quant::detail::percent(t.moved).c_str());
    s += line;
  }
  for (const auto& k : r.skipped) s += "skipped: " + k + "\n";
  for (const auto& w : r.warnings) s += "warning: " + w + "\n";
  return s;
}

/// The rows of the ranges table for `qfence embed`'s typed graph of `m`
/// (quant/node_tree.hpp: a model's nodes, then those of the models its if_
/// and while_ nodes run), each the tensor it computes in subgraph order:
/// {subgraph, tensor (-1: none)}.
inline std::vector<std::pair<int, int>> embedded_rows(const runtime::model& m) {
  const std::vector<std::vector<codegen::embedded_node>> graphs = codegen::embedded_nodes(m);
  std::vector<std::pair<int, int>> rows;
  const auto add = [&](const auto& self, int k) -> void {
    const auto& nodes = graphs.at(static_cast<std::size_t>(k));
    for (const codegen::embedded_node& n : nodes) rows.push_back({k, n.tensor});
    for (const codegen::embedded_node& n : nodes)
      for (const int c : n.calls) self(self, c);
  };
  add(add, 0);
  return rows;
}

/// A header holding the ranges as constexpr tables, for the compile-time
/// quantization of the same model as C++: `ranges` and `channel_means`, a
/// row per node of the typed graph `qfence embed` writes for it (what
/// qfence::quantize and qfence::correct_biases take), and `named_ranges`,
/// each activation's range by tensor name (and subgraph), for a model
/// described by hand. A model embed cannot express gets the named table
/// alone, and the header says why.
inline std::string calibration_cpp(const runtime::model& m, const quant::calibration_report& r, const std::string& name,
                                   const std::string& model_path) {
  const std::string command = "qfence calibrate " + model_path + " --calibrator " + r.calibrator;
  std::string s = "// Generated by `" + command + " --emit-cpp` from " + std::to_string(r.samples) +
                  " samples. Do not edit; calibrate again.\n#pragma once\n\n#include <array>\n#include <span>\n\n"
                  // qfence.hpp: the one name both include/ and single_include/ provide.
                  "#include \"qfence.hpp\"\n\nnamespace " + name + " {\n\n";
  std::vector<std::pair<int, int>> rows;
  std::string why_not;
  try {
    rows = embedded_rows(m);
  } catch (const runtime::model_error& e) {
    why_not = e.what();
  }
  if (why_not.empty()) {
    s += "// A row per node of the typed graph `qfence embed " + model_path +
         " --name M` writes (then per node of the\n// models its if_ and while_ nodes run: qfence/quant/node_tree.hpp):\n"
         "//   constexpr auto int8_model = qfence::quantize<M::graph_v, " + name + "::ranges>(qfence::correct_biases<" +
         name + "::channel_means>);\n// is the model `qfence quantize " + model_path + " --calib DIR --calibrator " +
         r.calibrator + " --io int8` writes from the same\n// samples (add qfence::float_io for --io float).\n"
         "inline constexpr std::array<qfence::quant::real_range, " + std::to_string(rows.size()) +
         "> ranges{{\n";
    std::vector<std::vector<double>> means(rows.size());
    for (std::size_t row = 0; row < rows.size(); ++row) {
      const auto [graph, t] = rows[row];
      const std::string where = (graph > 0 ? "subgraph " + std::to_string(graph) + ", " : std::string()) + "t" +
                                std::to_string(t) + " '" +
                                (t >= 0 ? runtime::printable(m.tensors[static_cast<std::size_t>(t)].name, 200) : "") + "'";
      std::string range = "{0.0f, 0.0f}", label = "row " + std::to_string(row);
      const runtime::tensor* x = t >= 0 ? &m.tensors[static_cast<std::size_t>(t)] : nullptr;
      if (x != nullptr && x->type == dtype::f32 && x->constant) {
        // A constant the graph holds as a node: its own range, as qfence
        // quantize quantizes a constant operand.
        quant::real_range c;
        for (const float v : quant::detail::finite_values(m, t, "a node of the typed graph")) c = {std::min(c.min, v), std::max(c.max, v)};
        range = quant::detail::range_initializer(c);
      } else if (x != nullptr && x->type == dtype::f32) {
        const quant::tensor_calibration* c = r.ranged(t);
        range = quant::detail::range_initializer(c != nullptr ? c->range : quant::not_observed);
        if (c != nullptr) means[row] = c->channel_means;
      }
      s += "    " + range + ",  // " + label + ": " + (t >= 0 ? where : std::string("no tensor of its own")) + "\n";
    }
    s += "}};\n\n// Each row's channel means (the last axis) over the samples: what qfence::correct_biases takes.\n" +
         quant::detail::channel_means_table(means, [](std::size_t) { return std::string(); }) + "\n";
  } else {
    s += "// No row table: qfence embed cannot write this model as a typed graph (" + why_not + ").\n\n";
  }
  s += "// Each activation's range by tensor name (and subgraph, for one IF or WHILE runs), for a model\n"
       "// described by hand.\ninline constexpr qfence::quant::named_range named_ranges[] = {\n";
  for (const auto& t : r.tensors) {
    std::string escaped;
    for (const char c : runtime::printable(t.name, 4096)) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    const std::string subgraph = t.subgraph > 0 ? ", " + std::to_string(t.subgraph) : "";
    const std::string range = quant::detail::range_initializer(r.ranged(t.tensor) == nullptr ? quant::not_observed : t.range);
    s += "    {\"" + escaped + "\", " + range + subgraph + "},\n";
  }
  return s + "};\n\n}  // namespace " + name + "\n";
}

}  // namespace qfence::cli
