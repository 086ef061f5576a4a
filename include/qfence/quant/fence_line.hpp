// qfence/quant/fence_line.hpp: how the quantizers report a fence (an op
// kept in float inside a quantized model), one line each, and why a
// builtin op has no quantized form. `qfence quantize` (quantize_model.hpp)
// and qfence::quantize_fences (quantize_graph.hpp, the compile-time path)
// say it in the same words.
#pragma once

#include <string>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/quant/op_property.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/runtime/op_table.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

namespace detail {

/// How the quantizer's messages name an operator: "operator 3 (ADD)",
/// after "subgraph 2, " outside the main graph.
inline std::string operator_label(int subgraph, int index, const std::string& op) {
  return (subgraph > 0 ? "subgraph " + std::to_string(subgraph) + ", " : std::string()) + "operator " +
         std::to_string(index) + " (" + op + ")";
}

/// Why builtin op `code` stays float, from the op table: qfence has no
/// kernel for it in the scheme's dtype, TFLM has none (quantized models
/// must run there), or both have one that the quantizer cannot make yet.
inline std::string no_quantized_form(runtime::op_code code, bool int16) {
  const std::string scheme = int16 ? "int16x8" : "int8";
  const std::string name(runtime::op_code_name(code));
  const dtype d = int16 ? dtype::i16 : dtype::i8;
  const runtime::op_row* row = runtime::find_op_row(name);
  if (row == nullptr || !row->qfence.has(d)) return "qfence has no " + scheme + " kernel for it";
  if (!row->tflm.has(d))
    return "TFLM has no " + scheme + " kernel for it (qfence has; a quantized model must run in TFLM" +
           (tflite_only_table(code) ? "; --tabulate " + name + " keeps it " + (int16 ? "int16" : "int8") +
                                          " as TFLite's table, for TFLite)"
                                    : ")");
  return "qfence runs it in " + std::string(int16 ? "int16" : "int8") + ", but its quantizer cannot make its " + scheme +
         " form yet";
}

}  // namespace detail

/// One fenced operation, as `qfence quantize` prints it; or one fenced
/// node of a typed graph (qfence::quantize_fences: `node`).
struct fence_line {
  int op_index = 0;
  std::string op;
  std::string why;
  int subgraph = 0;  // the graph of the operator (0: the main graph)
  bool float_output = true;  // false: its outputs are integers (ARG_MAX's indices), which need no QUANTIZE
  bool node = false;         // op_index is a node of a typed graph, not an operator of a .tflite
  std::string within;        // a node of a model an if_ or while_ runs: " of node 3's then-branch"
  std::string text() const {
    const std::string label = node ? "node " + std::to_string(op_index) + " (" + op + ")" + within
                                   : detail::operator_label(subgraph, op_index, op);
    return "fence: " + label + " stays float: " + why +
           (float_output ? "; DEQUANTIZE before it, QUANTIZE after" : "; DEQUANTIZE before it (its output is integer)");
  }
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
