// tools/qfence/ops.hpp: `qfence ops`, the op table (runtime/op_table.hpp)
// with each op's accepted versions (runtime/op_registry.hpp): as text,
// --json (one line) or --markdown (the README's table, scripts/op-table).
#pragma once

#include <cstddef>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/runtime/op_registry.hpp"
#include "qfence/runtime/op_table.hpp"

namespace qfence::cli {

inline constexpr dtype all_dtypes[] = {dtype::f32, dtype::i8,  dtype::u8,  dtype::i16, dtype::u16,
                                      dtype::i32, dtype::u32, dtype::i64, dtype::u64, dtype::boolean};

inline std::vector<std::string_view> dtype_names(const runtime::dtype_list& l) {
  std::vector<std::string_view> v;
  for (dtype d : all_dtypes)
    if (l.has(d)) v.push_back(name(d));
  return v;
}

inline std::string joined(const std::vector<std::string_view>& v, std::string_view sep = ", ") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? std::string(sep) : std::string()) + std::string(v[i]);
  return s;
}

/// The highest version the runtime accepts for a builtin of that name; 0 for
/// a custom op or one qfence does not run.
inline int max_version_of(std::string_view op_name) {
  for (const auto& r : runtime::op_registrations)
    if (runtime::op_code_name(r.op) == op_name) return r.max_version;
  return 0;
}

/// "1-5"; "custom" for a custom op qfence ships (custom ops have no
/// version TFLite checks); "" for an op qfence does not run.
inline std::string versions_text(std::string_view op_name) {
  for (const auto& c : runtime::shipped_custom_ops)
    if (c.custom_code == op_name) return "custom";
  const int max_version = max_version_of(op_name);
  if (max_version == 0) return "";
  return max_version == 1 ? "1" : "1-" + std::to_string(max_version);
}

/// qfence's column: the dtypes it runs (and where, when not on both
/// paths), or "not yet".
inline std::string qfence_text(const runtime::op_row& r) {
  if (r.qfence.empty()) return "not yet";
  return joined(dtype_names(r.qfence)) + (r.paths == runtime::op_paths::runtime_only ? " (runtime path)" : "");
}

/// TFLM's column: the dtypes both run, or, for an op qfence lacks, what TFLM runs.
inline std::string tflm_text(const runtime::op_row& r) {
  if (!r.in_tflm) return "no";
  if (r.qfence.empty()) return std::string(r.tflm_note);
  return joined(dtype_names(r.tflm));
}

inline int print_ops(std::string_view format) {
  std::size_t runs = 0, runtime_only = 0, tflm_total = 0, tflm_missing = 0;
  for (const auto& r : runtime::op_table) {
    const bool both = r.paths == runtime::op_paths::both;
    runs += !r.qfence.empty() && both ? 1 : 0;
    runtime_only += !r.qfence.empty() && !both ? 1 : 0;
    tflm_total += r.in_tflm ? 1 : 0;
    tflm_missing += r.in_tflm && r.qfence.empty() ? 1 : 0;
  }
  const std::string summary = std::to_string(runs) + " ops run on both paths, " + std::to_string(runtime_only) +
                              " on the runtime path only; TFLM registers " + std::to_string(tflm_total) +
                              ", of which qfence runs " + std::to_string(tflm_total - tflm_missing) + " (" +
                              std::to_string(tflm_missing) + " not yet)";
  if (format == "json") {
    json j;
    j.begin_object().key("ops").begin_array();
    for (const auto& r : runtime::op_table) {
      j.begin_object().field("op", r.name).key("qfence").begin_array();
      for (auto d : dtype_names(r.qfence)) j.value(d);
      j.end_array().field("paths", r.paths == runtime::op_paths::both ? "both" : "runtime");
      j.field("max_version", max_version_of(r.name)).field("in_tflm", r.in_tflm).key("tflm").begin_array();
      for (auto d : dtype_names(r.tflm)) j.value(d);
      j.end_array().field("tflm_note", r.tflm_note).end_object();
    }
    j.end_array().field("qfence_runs", runs + runtime_only).field("runtime_only", runtime_only);
    j.field("tflm_ops", tflm_total).field("tflm_ops_missing", tflm_missing);
    j.end_object();
    std::cout << j.str() << "\n";
    return 0;
  }
  if (format == "markdown") {
    std::cout << "| op | qfence | versions | TFLM |\n| --- | --- | --- | --- |\n";
    for (const auto& r : runtime::op_table)
      std::cout << "| " << r.name << " | " << qfence_text(r) << " | "
                << versions_text(r.name) << " | " << tflm_text(r) << " |\n";
    std::cout << "\n" << summary << ".\n";
    return 0;
  }
  std::size_t width = 2;
  for (const auto& r : runtime::op_table) width = std::max(width, r.name.size());
  std::cout << std::string("op") + std::string(width - 2, ' ') << "  qfence                          versions  TFLM\n";
  for (const auto& r : runtime::op_table) {
    std::string q = qfence_text(r);
    q.resize(std::max<std::size_t>(q.size(), 30), ' ');  // "f32, i8 (runtime path)" fits
    std::string v = versions_text(r.name);
    v.resize(std::max<std::size_t>(v.size(), 8), ' ');
    std::cout << r.name << std::string(width - r.name.size(), ' ') << "  " << q << "  " << v << "  " << tflm_text(r)
              << "\n";
  }
  std::cout << summary << "\n";
  return 0;
}

}  // namespace qfence::cli
