// tools/qfence/inspect.hpp: what `qfence inspect` reports about a model, as
// text, JSON or a Graphviz graph.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "json.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/tflite/associated_files.hpp"
#include "qfence/tflite/support_metadata.hpp"

namespace qfence::cli {

struct inspection {
  std::vector<runtime::unsupported_op> unsupported;
  std::vector<std::string> custom_ops;       // names the model needs an implementation of, once each
  std::vector<std::string> shipped_custom_ops;  // custom ops qfence ships (CIRCULAR_BUFFER), once each
  std::optional<std::size_t> arena_bytes;    // when the runtime path can run it
  std::string not_runnable;                  // why not, otherwise
  std::map<std::string, int> op_counts;      // "CONV_2D/v3" -> count (as meta.json lists them)
  std::vector<int> folded_pads;              // PADs both paths fold into the layer they feed (runtime/fold_pad.hpp)
  std::vector<int> computed_at_load;         // DEQUANTIZEs of constants (runtime/fold_constants.hpp)
  std::vector<std::string> associated_files;  // the files of TFLite Support's zip after the model (labels, ...)
  /// Each input's normalisation as TFLite Support's metadata gives it
  /// (what image calibration follows), or why the metadata cannot be read.
  std::vector<std::pair<std::size_t, tflite::metadata_normalization>> normalizations;
  std::string metadata_problem;
};

inline inspection inspect(const std::shared_ptr<const runtime::model>& shared) {
  const runtime::model& m = *shared;
  inspection r;
  r.unsupported = runtime::find_unsupported(m);
  for (const auto& name : tflite::associated_file_names(m.associated_files)) r.associated_files.push_back(runtime::printable(name));
  try {
    for (std::size_t i = 0; i < m.inputs.size(); ++i)
      if (auto n = tflite::input_normalization(m, i)) r.normalizations.emplace_back(i, std::move(*n));
  } catch (const runtime::model_error& e) {
    r.metadata_problem = e.what();
  }
  std::set<std::string> seen;
  for (int k = 0; k <= static_cast<int>(m.subgraphs.size()); ++k)
    for (const auto& op : m.operations_of(k)) {
      ++r.op_counts[runtime::op_name(op) + "/v" + std::to_string(op.version)];
      if (op.is_custom() && seen.insert(op.custom_code).second)
        (runtime::find_shipped_custom_op(op) != nullptr ? r.shipped_custom_ops : r.custom_ops)
            .push_back(op.custom_code);
    }
  if (r.unsupported.empty()) {
    try {
      const runtime::interpreter run(shared);
      r.arena_bytes = run.arena_bytes();
      std::set<int> kept;
      for (const auto& op : run.operations()) kept.insert(op.index);
      for (const auto& op : m.operations)
        if (!kept.contains(op.index)) (runtime::folds_at_load(m, op) ? r.computed_at_load : r.folded_pads).push_back(op.index);
    } catch (const runtime::model_error& e) {
      r.not_runnable = e.what();
    }
  } else {
    r.not_runnable = runtime::describe_unsupported(r.unsupported);
  }
  return r;
}

inline std::string quant_text(const runtime::quantization& q) {
  if (!q.quantized()) return "";
  std::ostringstream s;
  if (q.per_channel()) {
    s << "per-channel axis " << q.axis << " x" << q.scales.size();
  } else {
    s << "scale " << q.scale() << " zp " << q.zero_point();
  }
  return s.str();
}

inline void write_tensor_json(json& j, const runtime::tensor& t) {
  j.begin_object();
  j.field("name", runtime::printable(t.name, 4096));
  j.field("dtype", t.foreign_type.empty() ? std::string(name(t.type)) : t.foreign_type);
  j.array_field("shape", t.shape);
  if (t.quant.quantized()) {
    j.key("quantization").begin_object();
    j.array_field("scale", t.quant.scales);
    j.array_field("zero_point", t.quant.zero_points);
    if (t.quant.per_channel()) j.field("axis", t.quant.axis);
    j.end_object();
  }
  j.end_object();
}

/// "127.5" for one value, "[123.675, 116.28, 103.53]" for several.
inline std::string list_text(const std::vector<float>& v) {
  std::ostringstream s;
  if (v.size() != 1) s << "[";
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  if (v.size() != 1) s << "]";
  return s.str();
}

inline std::string tensor_ref(const runtime::model& m, int t) {
  if (t < 0) return "-";
  const auto& x = m.tensors[static_cast<std::size_t>(t)];
  return "t" + std::to_string(t) + ":" + runtime::type_text(x);
}

inline std::string to_text(const runtime::model& m, const inspection& r) {
  std::ostringstream s;
  s << "tensors: " << m.tensors.size() << ", operators: " << m.operations.size() << ", subgraphs: " << m.subgraph_count
    << "\n";
  auto io = [&](const char* what, const std::vector<int>& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& t = m.tensors[static_cast<std::size_t>(list[i])];
      s << what << " " << i << ": t" << list[i] << " '" << runtime::printable(t.name) << "' " << runtime::type_text(t)
        << "\n";
    }
  };
  io("input", m.inputs);
  io("output", m.outputs);
  s << "ops:";
  for (const auto& [op, n] : r.op_counts) s << " " << op << " x" << n;
  s << "\n";
  s << "custom ops needed:" << (r.custom_ops.empty() ? " none" : "");
  for (const auto& c : r.custom_ops) s << " " << c;
  s << "\n";
  if (!r.shipped_custom_ops.empty()) {
    s << "custom ops qfence ships:";
    for (const auto& c : r.shipped_custom_ops) s << " " << c;
    s << "\n";
  }
  if (r.unsupported.empty()) {
    s << "unsupported ops: none\n";
  } else {
    s << "unsupported ops: " << r.unsupported.size() << "\n";
    for (const auto& u : r.unsupported)
      s << "  node " << u.index << (u.subgraph > 0 ? " of subgraph " + std::to_string(u.subgraph) : std::string())
        << ": " << u.name << " (builtin " << u.source_code << ", v" << u.version << "): " << u.reason << "\n";
  }
  if (r.arena_bytes) s << "arena bytes (runtime path): " << *r.arena_bytes << "\n";
  else s << "runtime path: cannot run: " << r.not_runnable << "\n";
  if (!r.folded_pads.empty()) {
    s << "PADs folded into the convolution they feed (both paths): " << r.folded_pads.size() << ", node"
      << (r.folded_pads.size() > 1 ? "s" : "");
    for (std::size_t i = 0; i < r.folded_pads.size(); ++i) s << (i ? "," : " ") << r.folded_pads[i];
    s << "\n";
  }
  if (!r.computed_at_load.empty()) {
    s << "DEQUANTIZEs of constants computed once at load (both paths): " << r.computed_at_load.size() << ", node"
      << (r.computed_at_load.size() > 1 ? "s" : "");
    for (std::size_t i = 0; i < r.computed_at_load.size(); ++i) s << (i ? "," : " ") << r.computed_at_load[i];
    s << "\n";
  }
  if (!m.support_metadata.empty()) {
    s << "TFLite Support metadata: " << m.support_metadata.size() << " bytes";
    if (!r.metadata_problem.empty()) s << ", unreadable: " << r.metadata_problem;
    for (const auto& [input, n] : r.normalizations)
      s << "; input " << input << " normalised (x - " << list_text(n.mean) << ") / " << list_text(n.std);
    s << "; associated files:" << (r.associated_files.empty() ? " none" : "");
    for (const auto& f : r.associated_files) s << " " << f;
    s << "\n";
  } else if (!r.associated_files.empty()) {
    s << "associated files (without TFLite Support metadata):";
    for (const auto& f : r.associated_files) s << " " << f;
    s << "\n";
  }
  for (const auto& n : m.notes) s << "note: " << n << "\n";
  auto nodes = [&](const std::vector<runtime::operation>& ops) {
    for (const auto& op : ops) {
      s << "  " << op.index << " " << runtime::op_name(op) << " v" << op.version << " (";
      for (std::size_t i = 0; i < op.inputs.size(); ++i) s << (i ? ", " : "") << tensor_ref(m, op.inputs[i]);
      s << ") -> (";
      for (std::size_t i = 0; i < op.outputs.size(); ++i) s << (i ? ", " : "") << tensor_ref(m, op.outputs[i]);
      s << ")\n";
    }
  };
  s << "\nnodes:\n";
  nodes(m.operations);
  for (std::size_t k = 0; k < m.subgraphs.size(); ++k) {
    const runtime::subgraph& g = m.subgraphs[k];
    auto list = [](const std::vector<int>& ts) {
      std::string l;
      for (int t : ts) l += (l.empty() ? "t" : ", t") + std::to_string(t);
      return l.empty() ? std::string("none") : l;
    };
    s << "\nsubgraph " << k + 1 << (g.name.empty() ? "" : " '" + runtime::printable(g.name) + "'") << " (inputs "
      << list(g.inputs) << "; outputs " << list(g.outputs) << "):\n";
    nodes(g.operations);
  }
  s << "\ntensors:\n";
  for (std::size_t t = 0; t < m.tensors.size(); ++t) {
    const auto& x = m.tensors[t];
    s << "  t" << t << " " << (x.resource ? "resource handle" : runtime::type_text(x)) << (x.constant ? " const" : "")
      << (x.variable ? " variable" : "") << (x.unwritten ? " unwritten (scratch)" : "")
      << (x.foreign_type.empty() ? "" : " (a dtype qfence does not run)") << " '" << runtime::printable(x.name)
      << "'\n";
  }
  return s.str();
}

inline std::string to_json(const runtime::model& m, const inspection& r) {
  json j;
  j.begin_object();
  j.key("inputs").begin_array();
  for (int t : m.inputs) write_tensor_json(j, m.tensors[static_cast<std::size_t>(t)]);
  j.end_array();
  j.key("outputs").begin_array();
  for (int t : m.outputs) write_tensor_json(j, m.tensors[static_cast<std::size_t>(t)]);
  j.end_array();
  j.key("ops").begin_object();
  for (const auto& [op, n] : r.op_counts) j.field(op, n);
  j.end_object();
  j.array_field("custom_ops", r.custom_ops);
  j.array_field("shipped_custom_ops", r.shipped_custom_ops);
  j.key("unsupported_ops").begin_array();
  for (const auto& u : r.unsupported) {
    j.begin_object();
    j.field("node", u.index);
    j.field("subgraph", u.subgraph);
    j.field("op", u.name);
    j.field("builtin_code", u.source_code);
    j.field("version", u.version);
    j.field("reason", u.reason);
    j.end_object();
  }
  j.end_array();
  if (r.arena_bytes) j.field("arena_bytes", *r.arena_bytes);
  else j.field("not_runnable", r.not_runnable);
  j.array_field("folded_pads", r.folded_pads);
  j.array_field("computed_at_load", r.computed_at_load);
  j.field("support_metadata_bytes", m.support_metadata.size());
  if (!r.metadata_problem.empty()) j.field("support_metadata_problem", r.metadata_problem);
  j.key("input_normalization").begin_array();
  for (const auto& [input, n] : r.normalizations) {
    j.begin_object();
    j.field("input", input);
    j.array_field("mean", n.mean);
    j.array_field("std", n.std);
    j.end_object();
  }
  j.end_array();
  j.array_field("associated_files", r.associated_files);
  j.array_field("notes", m.notes);
  const auto indices = [&](const std::vector<int>& list) {
    j.begin_array();
    for (int t : list) j.value(t);
    j.end_array();
  };
  const auto nodes = [&](const std::vector<runtime::operation>& ops) {
    j.key("nodes").begin_array();
    for (const auto& op : ops) {
      j.begin_object();
      j.field("index", op.index);
      j.field("op", runtime::op_name(op));
      j.field("version", op.version);
      j.key("inputs");
      indices(op.inputs);
      j.key("outputs");
      indices(op.outputs);
      j.end_object();
    }
    j.end_array();
  };
  nodes(m.operations);
  // Subgraphs 1, 2, ...: their inputs and outputs as indices into "tensors".
  j.key("subgraphs").begin_array();
  for (std::size_t k = 0; k < m.subgraphs.size(); ++k) {
    const runtime::subgraph& g = m.subgraphs[k];
    j.begin_object();
    j.field("index", static_cast<int>(k + 1));
    j.field("name", runtime::printable(g.name, 4096));
    j.key("inputs");
    indices(g.inputs);
    j.key("outputs");
    indices(g.outputs);
    nodes(g.operations);
    j.end_object();
  }
  j.end_array();
  j.key("tensors").begin_array();
  for (const auto& t : m.tensors) write_tensor_json(j, t);
  j.end_array();
  j.end_object();
  return j.str();
}

/// Graphviz: one box per operator, edges labelled with tensor types;
/// quantized edges blue, float edges orange; in a model with quantized
/// tensors, operators that compute in float (its float islands, which the
/// generated graph wraps in fences) are filled orange; unsupported ops red.
inline std::string to_dot(const runtime::model& m) {
  const auto unsupported = runtime::find_unsupported(m);
  std::set<int> bad;
  for (const auto& u : unsupported) bad.insert(u.index);
  std::ostringstream s;
  s << "digraph model {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n";
  std::vector<int> producer(m.tensors.size(), -1);
  for (const auto& op : m.operations)
    for (int t : op.outputs) producer[static_cast<std::size_t>(t)] = op.index;
  for (std::size_t i = 0; i < m.inputs.size(); ++i)
    s << "  in" << m.inputs[i] << " [label=\"input " << i << "\", shape=ellipse];\n";
  bool quantized_model = false;
  for (const auto& t : m.tensors) quantized_model = quantized_model || (t.quant.quantized() && !t.constant);
  auto float_island = [&](const runtime::operation& op) {
    if (!quantized_model || op.outputs.empty()) return false;
    const auto& out = m.tensors[static_cast<std::size_t>(op.outputs[0])];
    const std::string name = runtime::op_name(op);
    return (out.type == dtype::f32 && name != "DEQUANTIZE" && name != "CAST") || op.is_custom();
  };
  for (const auto& op : m.operations)
    s << "  op" << op.index << " [label=\"" << op.index << ": " << runtime::printable(runtime::op_name(op)) << "\""
      << (bad.contains(op.index) ? ", color=red, fontcolor=red" : "")
      << (float_island(op) ? ", style=filled, fillcolor=orange" : "") << "];\n";
  auto edge_color = [&](const runtime::tensor& t) {
    if (t.quant.quantized()) return "blue";
    return t.type == dtype::f32 ? "orange" : "black";
  };
  auto edge = [&](const std::string& from, const std::string& to, int t) {
    const auto& x = m.tensors[static_cast<std::size_t>(t)];
    s << "  " << from << " -> " << to << " [label=\"" << name(x.type) << runtime::shape_text(x.shape)
      << "\", color=" << edge_color(x) << "];\n";
  };
  for (const auto& op : m.operations)
    for (int t : op.inputs) {
      if (t < 0 || m.tensors[static_cast<std::size_t>(t)].constant) continue;
      const int p = producer[static_cast<std::size_t>(t)];
      edge(p >= 0 ? "op" + std::to_string(p) : "in" + std::to_string(t), "op" + std::to_string(op.index), t);
    }
  for (std::size_t i = 0; i < m.outputs.size(); ++i) {
    const int t = m.outputs[i];
    s << "  out" << t << " [label=\"output " << i << "\", shape=ellipse];\n";
    const int p = producer[static_cast<std::size_t>(t)];
    edge(p >= 0 ? "op" + std::to_string(p) : "in" + std::to_string(t), "out" + std::to_string(t), t);
  }
  s << "}\n";
  return s.str();
}

}  // namespace qfence::cli
