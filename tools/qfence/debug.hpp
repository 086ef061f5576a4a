// tools/qfence/debug.hpp: `qfence debug`, the per-layer comparison of a
// float model and its quantized form, as a table, JSON, and an SVG picture
// of SQNR per layer (the one a user opens when accuracy dropped).
//
//   qfence debug FLOAT.tflite QUANT.tflite [--in FILE]... [--calib DIR] [--json] [--svg FILE] [--top N]
#pragma once

#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "invoke_sequence.hpp"
#include "json.hpp"
#include "qfence/quant/fence_suggestion.hpp"
#include "qfence/quant/layer_debugger.hpp"
#include "qfence/tflite/reader.hpp"

namespace qfence::cli {

/// One sample given as files on the command line (one per input).
struct file_sample {
  std::vector<std::string> files;
  std::size_t size() const { return 1; }
  std::optional<std::string> fill(std::size_t, runtime::interpreter& interp) const {
    check_input_files(interp.input_count(), files);
    for (int k = 0; k < interp.input_count(); ++k) {
      const auto bytes = tflite::read_file_bytes(files[static_cast<std::size_t>(k)]);
      auto dst = interp.input_bytes(k);
      if (bytes.size() != dst.size())
        throw runtime::model_error("input " + std::to_string(k) + " ('" + files[static_cast<std::size_t>(k)] + "') has " +
                                   std::to_string(bytes.size()) + " bytes, the float model's " +
                                   runtime::type_text(interp.input_tensor(k)) + " needs " + std::to_string(dst.size()));
      std::memcpy(dst.data(), bytes.data(), bytes.size());
    }
    return std::nullopt;
  }
};

inline std::string db_text(double db) {
  if (std::isinf(db)) return "exact";
  if (std::isnan(db)) return "n/a";  // nothing to measure (quant::output_agreement::measured)
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", db);
  return s;
}

/// A layer's operator as the tables show it: its index, after its subgraph
/// ("2:0", operator 0 of subgraph 2) outside the main graph.
inline std::string layer_op_label(const quant::layer_error& l) {
  return (l.subgraph > 0 ? std::to_string(l.subgraph) + ":" : std::string()) + std::to_string(l.op_index);
}

inline std::string debug_text(const quant::debug_report& r, std::size_t top) {
  char line[600];
  std::string s;
  std::snprintf(line, sizeof line,
                "%zu sample%s, tensors matched by %s (%zu without a float counterpart); output SQNR %s dB\n"
                "worst layers first:\n",
                r.samples, r.samples == 1 ? "" : "s", r.matched_by.c_str(), r.unmatched, db_text(r.output.sqnr_db).c_str());
  s += line;
  std::snprintf(line, sizeof line, "%4s  %-18s %-44s %9s %11s %11s %10s %5s %8s\n", "op", "type", "tensor", "SQNR dB",
                "max |err|", "mean err", "scale", "zp", "clipped");
  s += line;
  const auto worst = r.worst_first();
  for (std::size_t i = 0; i < worst.size() && i < top; ++i) {
    const auto& l = worst[i];
    const std::string name = runtime::printable(l.name, 44);
    const std::string op = l.op + (l.fenced ? " (fence)" : "");
    std::snprintf(line, sizeof line, "%4s  %-18s %-44s %9s %11.4g %11.3g %10.4g %5d %7.3f%%\n", layer_op_label(l).c_str(), op.c_str(),
                  name.c_str(), db_text(l.sqnr_db).c_str(), l.max_abs_error, l.mean_error, static_cast<double>(l.scale),
                  l.zero_point, 100.0 * l.clipped);
    s += line;
  }
  if (worst.size() > top) s += "(" + std::to_string(worst.size() - top) + " more; --top N shows more, --json all)\n";
  return s;
}

inline void write_debug_json(json& j, const quant::debug_report& r) {
  j.field("samples", r.samples);
  j.field("matched_by", r.matched_by);
  j.field("unmatched", r.unmatched);
  j.field("output_measured", r.output.measured());  // false: no output holds real values
  if (std::isfinite(r.output.sqnr_db)) j.field("output_sqnr_db", r.output.sqnr_db);  // absent: exact, or not measured
  j.key("layers").begin_array();
  for (const auto& l : r.worst_first()) {
    j.begin_object();
    j.field("op_index", l.op_index);
    j.field("subgraph", l.subgraph);
    j.field("op", l.op);
    j.field("tensor", l.quant_tensor);
    j.field("float_tensor", l.float_tensor);
    j.field("name", runtime::printable(l.name, 4096));
    j.field("dtype", name(l.type));
    j.field("fenced", l.fenced);
    if (!std::isinf(l.sqnr_db)) j.field("sqnr_db", l.sqnr_db);  // absent: exact
    j.field("max_abs_error", l.max_abs_error);
    j.field("mean_error", l.mean_error);
    j.field("scale", l.scale);
    j.field("zero_point", l.zero_point);
    j.field("clipped", l.clipped);
    j.end_object();
  }
  j.end_array();
}

inline std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

/// SQNR per layer in execution order: a bar per layer (fenced layers in
/// orange, marked "fence"), the output's SQNR as a dashed line, each bar
/// titled with the layer's figures (shown on hover).
inline std::string debug_svg(const quant::debug_report& r, const std::string& title) {
  const std::size_t n = r.layers.size();
  const double bar = 14, gap = 4, left = 60, top = 50, height = 260, label = 170;
  const double width = left + static_cast<double>(n) * (bar + gap) + 40;
  double ceiling = 10;
  for (const auto& l : r.layers)
    if (!std::isinf(l.sqnr_db)) ceiling = std::max(ceiling, l.sqnr_db);
  ceiling = std::ceil(ceiling / 10) * 10;
  auto y_of = [&](double db) { return top + height - height * std::clamp(db, 0.0, ceiling) / ceiling; };
  char buf[800];
  std::string s;
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
                "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                "<text x=\"%.0f\" y=\"22\" font-size=\"15\">%s</text>\n"
                "<text x=\"%.0f\" y=\"38\" fill=\"#555\">SQNR per layer against the float model (dB, higher is better; "
                "%zu sample%s); orange: fenced (float) layers</text>\n",
                std::max(width, 640.0), top + height + label, left, xml_escape(title).c_str(), left, r.samples,
                r.samples == 1 ? "" : "s");
  s += buf;
  for (double db = 0; db <= ceiling + 1e-9; db += 10) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.0f\" y=\"%.1f\" "
                  "text-anchor=\"end\">%.0f</text>\n",
                  left, width - 20, y_of(db), y_of(db), left - 6, y_of(db) + 4, db);
    s += buf;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = r.layers[i];
    const double x = left + static_cast<double>(i) * (bar + gap) + gap;
    const double db = std::isinf(l.sqnr_db) ? ceiling : l.sqnr_db;
    const char* colour = l.fenced ? "#e8890c" : "#3f6fb5";
    const std::string tip = "op " + layer_op_label(l) + " " + l.op + (l.fenced ? " (fence)" : "") + ": " +
                            runtime::printable(l.name, 120) + "; SQNR " + db_text(l.sqnr_db) + " dB, clipped " +
                            std::to_string(100.0 * l.clipped).substr(0, 5) + "%";
    std::snprintf(buf, sizeof buf,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>\n", x,
                  y_of(db), bar, top + height - y_of(db), colour, xml_escape(tip).c_str());
    s += buf;
    std::snprintf(buf, sizeof buf,
                  "<text transform=\"translate(%.1f,%.1f) rotate(60)\" fill=\"%s\">%s %s</text>\n", x + bar / 2,
                  top + height + 8, l.fenced ? "#b35f00" : "#333", layer_op_label(l).c_str(),
                  xml_escape(l.op + (l.fenced ? " fence" : "")).c_str());
    s += buf;
  }
  if (std::isfinite(r.output.sqnr_db)) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>"
                  "<text x=\"%.0f\" y=\"%.1f\" fill=\"#c00\" text-anchor=\"end\">output %.1f dB</text>\n",
                  left, width - 20, y_of(r.output.sqnr_db), y_of(r.output.sqnr_db), width - 20, y_of(r.output.sqnr_db) - 4,
                  r.output.sqnr_db);
    s += buf;
  }
  return s + "</svg>\n";
}

/// `debug --suggest`, as lines: the start, each fence with the output SQNR
/// it was measured at, and the command that makes the model.
inline std::string suggestion_text(const quant::fence_suggestion& s, const std::string& float_model,
                                   const std::string& calib_dir) {
  char line[400];
  std::string t;
  std::snprintf(line, sizeof line, "\nsuggest: target %.2f dB; `quantize` with calibrator %s gives %s dB\n", s.target_db,
                s.calibrator.c_str(), db_text(s.start_db).c_str());
  t += line;
  for (const auto& step : s.steps) {
    // The float model's operator, by the tensor it writes too: the table
    // above counts the quantized model's operators.
    const std::string where =
        (step.subgraph > 0 ? "subgraph " + std::to_string(step.subgraph) + ", " : std::string()) + "float operator " +
        std::to_string(step.op_index);
    std::snprintf(line, sizeof line, "  %s %s (%s writing '%s', its SQNR drop %.2f dB)%s: output %s dB (measured)\n",
                  step.int16 ? "keep" : "fence", where.c_str(), step.op.c_str(), runtime::printable(step.tensor, 44).c_str(),
                  step.drop_db, step.int16 ? " in int16" : "", db_text(step.output_sqnr_db).c_str());
    t += line;
  }
  if (s.target_met) {
    if (s.steps.empty()) return t + "  the target is met as it is\n";
    t += "  the target is met: qfence quantize " + float_model + " --calib " + calib_dir + " --calibrator " + s.calibrator;
    for (const auto& [flag, op] : s.quantize_args()) t += " " + flag + " '" + op + "'";  // quoted: '#' starts a shell comment
    return t + " -o OUT.tflite\n";
  }
  return t + "  the target is not met: no layer kept in int16 or fenced gains further\n";
}

inline void write_suggestion_json(json& j, const quant::fence_suggestion& s) {
  j.key("suggestion").begin_object();
  j.field("calibrator", s.calibrator);
  j.field("target_db", s.target_db);
  j.field("start_db", s.start_db);
  j.field("target_met", s.target_met);
  j.key("steps").begin_array();
  for (const auto& step : s.steps) {
    j.begin_object();
    j.field("op_index", step.op_index);
    j.field("subgraph", step.subgraph);
    j.field("selector", step.selector);
    j.field("op", step.op);
    j.field("tensor", runtime::printable(step.tensor, 4096));
    j.field("action", step.int16 ? "int16" : "fence");
    j.field("drop_db", step.drop_db);
    j.field("output_sqnr_db", step.output_sqnr_db);
    j.end_object();
  }
  j.end_array();
  // What to pass to `qfence quantize` for the last step, in order.
  j.key("quantize_args").begin_array();
  for (const auto& [flag, op] : s.quantize_args()) {
    j.value(flag);
    j.value(op);
  }
  j.end_array();
  j.end_object();
}

}  // namespace qfence::cli
