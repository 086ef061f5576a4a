// qfence/quant/quantize_model.hpp: post-training quantization of a float
// model on the runtime path (`qfence quantize`): a calibrated float model in,
// a full-integer model out, written by tflite/writer.hpp.
//
// The schemes are TFLite's full-integer quantization: int8 activations,
// asymmetric, with the calibrated ranges (or, int16x8, int16 activations,
// symmetric with zero point 0, and int64 biases); int8 weights, symmetric, per
// channel for convolutions (per tensor for fully connected, as TFLite's
// converter writes them); int32 biases at input scale x weight scale; the
// parameters of softmax, logistic and tanh fixed; ops that move values
// without rescaling them keep their input's parameters (op_property.hpp).
//
// Fences: an op with no kernel for the scheme, or one the caller names, is fenced:
// it stays float, and its borders get DEQUANTIZE (int8 -> float) before and
// QUANTIZE (float -> int8, with the calibrated parameters) after. Adjacent
// fenced ops share float tensors with no conversion between them. Every
// fence is reported, one line each; forbid_fences turns the first into an
// error that names the op.
//
// The model's inputs and outputs stay float32 unless asked otherwise (then
// the model reads and writes int8 or int16 directly), and keep their names: a
// float input gets a QUANTIZE into an integer copy named "<name>_int8" (or
// "_int16"), a float output a DEQUANTIZE from one.
//
// The result is prepared by the interpreter before it is returned, so every
// op's type rule has checked it: a model this returns runs in qfence.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/quant/affine_params.hpp"
#include "qfence/quant/bias_correction.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/quant/conversion_ops.hpp"
#include "qfence/quant/fence_line.hpp"
#include "qfence/quant/op_property.hpp"
#include "qfence/quant/op_version.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/runtime/op_table.hpp"
#include "qfence/tflite/op_map.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// A quantized model's inputs and outputs: float (with QUANTIZE and
/// DEQUANTIZE inside the model), the scheme's integer type (int8, or int16
/// for int16x8), or uint8 (int8 scheme: TFLite's inference_input_type and
/// inference_output_type uint8, the int8 values plus 128 at the same
/// scale, with a QUANTIZE at the border).
enum class io_type { float32, integer, uint8 };

struct quantize_options {
  /// The activations' type: int8 (full int8), or int16 (int16x8: int16
  /// activations, symmetric with zero point 0, int8 weights, int64 biases).
  dtype activations = dtype::i8;
  io_type inputs = io_type::float32;
  io_type outputs = io_type::float32;
  /// Ops to keep in float besides those without an int8 kernel: an op type
  /// ("SOFTMAX", a custom op's name), a main-graph operator index ("#12"),
  /// or a node's name (a tensor the op writes). Each must name an operator
  /// of the model (detail::require_selected).
  std::vector<std::string> fence;
  /// Refuse to fence anything: an op without an int8 kernel is an error.
  bool forbid_fences = false;
  /// Ops kept integer as a table of their float function instead of
  /// fenced, with a calibrated output: custom elementwise ops (by name),
  /// which the runtime runs as such a table (runtime::prepare_elementwise:
  /// 256 entries for int8, TFLite's interpolated 513 for int16), and the
  /// builtins whose table only TFLite has (tflite_only_table: EXP), named as
  /// for `fence`; a model with those runs in TFLite and qfence, not in TFLM.
  std::vector<std::string> tabulate;
  /// Ops to run in int16x8 inside an int8 model (int16 activations, int8
  /// weights, int64 biases), with int8 <-> int16 QUANTIZE at their borders
  /// (TFLite and TFLM run them), named as for `fence`. An op with no
  /// int16x8 kernel is an error.
  std::vector<std::string> int16;
  /// Fold the mean shift that rounding the weights adds to each output
  /// channel into its bias (see weight_rounding_shift).
  bool bias_correction = true;
};

struct quantized_model {
  runtime::model model;
  std::vector<fence_line> fences;
  int bias_corrected_layers = 0;
  std::vector<int> int16_ops;  // in an int8 model, the operators (by index) that run in int16x8
  std::vector<std::string> notes;  // other things the caller should know, one line each
};

namespace detail {

inline std::span<const std::byte> own_bytes(runtime::model& m, const void* data, std::size_t bytes) {
  auto copy = std::make_unique<std::byte[]>(std::max<std::size_t>(bytes, 1));
  if (bytes > 0) std::memcpy(copy.get(), data, bytes);
  std::span<const std::byte> view{copy.get(), bytes};
  m.realigned.push_back(std::move(copy));
  return view;
}

template <class T>
std::span<const std::byte> own_values(runtime::model& m, const std::vector<T>& v) {
  return own_bytes(m, v.data(), v.size() * sizeof(T));
}

inline std::vector<float> float_values(const runtime::tensor& t) {
  std::vector<float> v(static_cast<std::size_t>(t.elements()));
  std::memcpy(v.data(), t.data.data(), v.size() * sizeof(float));
  return v;
}

/// A float constant's values, to be put on an integer grid: NaN and
/// infinities have no place on one (converting them to an integer is
/// undefined behaviour, and a weight of inf would make its channel's scale
/// inf), so a constant holding one is an error that names it, the operator
/// that reads it and the first such element. A model like that is broken
/// (diverged training, a corrupt file); its float outputs are NaN too.
inline std::vector<float> finite_values(const runtime::model& f, int index, const std::string& reader) {
  const runtime::tensor& t = f.tensors.at(static_cast<std::size_t>(index));
  std::vector<float> v = float_values(t);
  const auto bad = std::find_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); });
  if (bad != v.end())
    throw runtime::model_error(runtime::tensor_label(index, t.name) + ", read by " + reader + ", holds " +
                               (std::isnan(*bad) ? "NaN" : *bad > 0 ? "+inf" : "-inf") + " at element " +
                               std::to_string(bad - v.begin()) +
                               ": a constant cannot be quantized unless every value is finite (fix the float model: "
                               "its training diverged or the file is corrupt)");
  return v;
}

/// The start of a quantized model made from `f`: its tensors, operations,
/// inputs and outputs, with every constant's bytes owned by the copy (the
/// float model's file is not kept), and its TFLite Support metadata and
/// associated files, which say what the inputs and outputs mean whatever
/// their type (the Task Library reads integer inputs without normalising).
inline runtime::model owned_copy(const runtime::model& f, std::string description) {
  runtime::model q;
  q.description = std::move(description);
  q.support_metadata = f.support_metadata;
  q.associated_files = f.associated_files;
  q.tensors = f.tensors;
  for (auto& t : q.tensors)
    if (!t.data.empty()) t.data = own_bytes(q, t.data.data(), t.data.size());
  q.operations = f.operations;
  q.inputs = f.inputs;
  q.outputs = f.outputs;
  q.subgraphs = f.subgraphs;
  q.subgraph_count = f.subgraph_count;
  return q;
}

/// Operation indices in order, and the versions TFLite gives the operand
/// types the quantizer wrote (quant/op_version.hpp).
inline void renumber_operations(runtime::model& q) {
  for (int g = 0; g < q.subgraph_count; ++g) {
    std::vector<runtime::operation>& ops = q.operations_of(g);
    for (std::size_t k = 0; k < ops.size(); ++k) {
      ops[k].index = static_cast<int>(k);
      ops[k].subgraph = g;
      ops[k].version = tflite_op_version(q, ops[k], ops[k].version);
    }
  }
}

/// A QUANTIZE or DEQUANTIZE from tensor `in` to tensor `out` (index and
/// version are set once the model's operations are in order).
inline runtime::operation conversion_op(runtime::op_code code, int in, int out) {
  runtime::operation op;
  op.code = code;
  op.source_code = tflite::to_builtin_code(code);
  op.source_name = std::string(runtime::op_code_name(code));
  op.inputs = {in};
  op.outputs = {out};
  return op;
}

inline std::string op_label(const runtime::operation& op) {
  return operator_label(op.subgraph, op.index, runtime::op_name(op));
}

/// weight_rounding_shift (quant/bias_correction.hpp) for the runtime IR's
/// tensors: empty when the input's channel means do not fit the weights.
inline std::vector<double> weight_rounding_shift(runtime::op_code code, const std::vector<int>& shape,
                                                 const std::vector<float>& w, const quantized_weights& q,
                                                 const std::vector<double>& input_means) {
  std::vector<double> shift(quant::weight_rounding_channels(code, shape));
  if (!quant::weight_rounding_shift(code, shape, w, q.values, q.scales, input_means, shift)) return {};
  return shift;
}

/// The subgraph each tensor of `m` belongs to (0: the main graph), from
/// the subgraphs' tensor ranges. A pass that gives subgraph k a new tensor
/// appends it to m.tensors and k to this list; drop_unused_tensors then
/// moves it into k's range (a subgraph's tensors are contiguous in a
/// .tflite, and model::tensor_range_of reads them so).
inline std::vector<int> tensor_subgraphs(const runtime::model& m) {
  std::vector<int> owner(m.tensors.size());
  for (std::size_t t = 0; t < owner.size(); ++t) owner[t] = m.subgraph_of_tensor(t);
  return owner;
}

/// Drops tensors nothing refers to (float constants replaced by quantized
/// ones, QUANTIZE outputs merged away) and renumbers the rest, laid out
/// subgraph by subgraph as `owner` (tensor_subgraphs) says.
inline void drop_unused_tensors(runtime::model& m, const std::vector<int>& owner) {
  std::vector<bool> used(m.tensors.size(), false);
  auto mark = [&](int t) {
    if (t >= 0) used[static_cast<std::size_t>(t)] = true;
  };
  for (int k = 0; k < m.subgraph_count; ++k) {
    for (int t : m.inputs_of(k)) mark(t);
    for (int t : m.outputs_of(k)) mark(t);
    for (const auto& op : m.operations_of(k)) {
      for (int t : op.inputs) mark(t);
      for (int t : op.outputs) mark(t);
      for (int t : op.intermediates) mark(t);
    }
  }
  std::vector<int> renumber(m.tensors.size(), -1);
  std::vector<runtime::tensor> kept;
  for (int k = 0; k < m.subgraph_count; ++k) {
    const int first = static_cast<int>(kept.size());
    for (std::size_t t = 0; t < m.tensors.size(); ++t)
      if (used[t] && owner[t] == k) {
        renumber[t] = static_cast<int>(kept.size());
        kept.push_back(std::move(m.tensors[t]));
      }
    if (k > 0) {
      runtime::subgraph& g = m.subgraphs[static_cast<std::size_t>(k - 1)];
      g.first_tensor = first;
      g.tensor_count = static_cast<int>(kept.size()) - first;
    }
  }
  m.tensors = std::move(kept);
  auto map = [&](std::vector<int>& list) {
    for (int& t : list)
      if (t >= 0) t = renumber[static_cast<std::size_t>(t)];
  };
  for (int k = 0; k < m.subgraph_count; ++k) {
    map(m.inputs_of(k));
    map(m.outputs_of(k));
    for (auto& op : m.operations_of(k)) {
      map(op.inputs);
      map(op.outputs);
      map(op.intermediates);
    }
  }
}

/// drop_unused_tensors for a model whose passes added no tensor.
inline void drop_unused_tensors(runtime::model& m) { drop_unused_tensors(m, tensor_subgraphs(m)); }

}  // namespace detail

/// Which operations of `f` the scheme fences, and why, and which run in
/// int16 inside an int8 model: decided from the model alone, so that
/// `qfence quantize --no-fences` fails before it spends time calibrating.
///
/// Subgraphs: an IF or WHILE is quantized with the subgraphs it runs, whose
/// operations are planned as the main graph's (fences, int16 ops and all),
/// unless another operator calls one of them too (a subgraph is quantized
/// for one caller); a fenced IF or WHILE keeps its subgraphs float, as
/// CALL_ONCE keeps its own.
struct fence_plan {
  /// By graph (0: the main graph): where its operation 0 is in the
  /// per-operation lists below (at()).
  std::vector<std::size_t> first_op;
  /// By graph: whether its operations are quantized (the main graph, and
  /// the subgraphs of a quantized IF or WHILE); another graph stays float.
  std::vector<bool> quantized_graph;
  std::vector<op_property> property;
  std::vector<bool> fenced, integer_op;  // by operation; integer ops (shapes, indices) stay as they are
  /// By operation: the type its activations have in the quantized model
  /// (f32 when fenced; int16 for the ops quantize_options::int16 names).
  std::vector<dtype> activation_type;
  std::vector<fence_line> lines;
  std::vector<std::string> notes;  // what the caller should know about ops kept integer (quantized_model::notes)

  /// Operation k of graph g, in the per-operation lists.
  std::size_t at(int g, std::size_t k) const { return first_op[static_cast<std::size_t>(g)] + k; }
};

namespace detail {

/// Whether `selector` names operation `op` of model `m`: its op type
/// ("SOFTMAX", a custom op's name), its index in the main graph ("#12"),
/// or its name, which in a .tflite is the name of a tensor it writes (what
/// converters name a node after, and Netron shows).
inline bool selects(const std::string& selector, const runtime::operation& op, const runtime::model& m) {
  if (selector == runtime::op_name(op)) return true;
  if (selector.starts_with("#")) return op.subgraph == 0 && selector == "#" + std::to_string(op.index);
  for (const int t : op.outputs)
    if (t >= 0 && m.tensors[static_cast<std::size_t>(t)].name == selector) return true;
  return false;
}

/// Whether any of `selectors` names `op` (selects).
inline bool selects(const std::vector<std::string>& selectors, const runtime::operation& op, const runtime::model& m) {
  return std::any_of(selectors.begin(), selectors.end(), [&](const std::string& s) { return selects(s, op, m); });
}

/// How many operations of `m`, in every graph, `selector` names.
inline int operators_selected(const std::string& selector, const runtime::model& m) {
  int n = 0;
  for (int g = 0; g < m.subgraph_count; ++g)
    for (const runtime::operation& op : m.operations_of(g)) n += selects(selector, op, m) ? 1 : 0;
  return n;
}

/// Each of `selectors` (what `option` lists) must name an operation of `m`:
/// a selector that names none is a typo, and an error that says so.
inline void require_selected(const std::vector<std::string>& selectors, const runtime::model& m, const char* option) {
  for (const std::string& s : selectors) {
    if (operators_selected(s, m) == 0)
      throw runtime::model_error(std::string(option) + " '" + s + "' names no operator of this model (give an op type " +
                                 "such as SOFTMAX, a main-graph operator index such as #3, or the name of a tensor " +
                                 "the operator writes; `qfence inspect` lists them)");
  }
}

}  // namespace detail

inline fence_plan plan_fences(const runtime::model& f, const quantize_options& options,
                              const calibration_report* ranges = nullptr) {
  if (options.activations != dtype::i8 && options.activations != dtype::i16)
    throw std::invalid_argument("quantize: activations must be int8 or int16");
  if (options.activations == dtype::i16 && !options.int16.empty())
    throw std::invalid_argument("quantize: keeping ops in int16 applies to the int8 scheme; int16x8 runs every op in int16");
  detail::require_selected(options.fence, f, "--fence");
  detail::require_selected(options.int16, f, "--int16");
  detail::require_selected(options.tabulate, f, "--tabulate");
  auto float_operands = [&](const runtime::operation& op) {
    for (int t : op.inputs)
      if (t >= 0 && f.tensors[static_cast<std::size_t>(t)].type == dtype::f32) return true;
    for (int t : op.outputs)
      if (f.tensors[static_cast<std::size_t>(t)].type == dtype::f32) return true;
    return false;
  };
  fence_plan plan;
  const auto graphs = static_cast<std::size_t>(f.subgraph_count);
  std::size_t total = 0;
  for (int g = 0; g < f.subgraph_count; ++g) {
    plan.first_op.push_back(total);
    total += f.operations_of(g).size();
  }
  plan.property.resize(total);
  plan.fenced.assign(total, false);
  plan.integer_op.assign(total, true);  // an operation of a graph that stays float is left as it is
  plan.activation_type.assign(total, options.activations);
  plan.quantized_graph.assign(graphs, false);
  // How many operators call each subgraph: one quantized for its caller must have no other.
  std::vector<int> callers(graphs, 0);
  for (int g = 0; g < f.subgraph_count; ++g)
    for (const auto& op : f.operations_of(g))
      for (const int c : runtime::called_subgraphs(op))
        if (c > 0 && static_cast<std::size_t>(c) < graphs) ++callers[static_cast<std::size_t>(c)];
  // Why IF or WHILE keeps its subgraphs float ("": they are quantized with it).
  auto subgraphs_stay_float = [&](const runtime::operation& op) -> std::string {
    if (detail::selects(options.fence, op, f)) return "fenced on request";
    for (const int c : runtime::called_subgraphs(op))
      if (c <= 0 || static_cast<std::size_t>(c) >= graphs || callers[static_cast<std::size_t>(c)] != 1)
        return "control flow: subgraph " + std::to_string(c) + " is called by " +
               std::to_string(c > 0 && static_cast<std::size_t>(c) < graphs ? callers[static_cast<std::size_t>(c)] : 0) +
               " operators, and qfence quantizes a subgraph for its one caller; the subgraphs it runs stay float";
    return {};
  };
  std::vector<int> work{0};  // the graphs to plan: the main graph, then those its quantized IFs and WHILEs run
  plan.quantized_graph[0] = true;
  auto quantize_called = [&](const runtime::operation& op) {
    for (const int c : runtime::called_subgraphs(op))
      if (!plan.quantized_graph[static_cast<std::size_t>(c)]) {
        plan.quantized_graph[static_cast<std::size_t>(c)] = true;
        work.push_back(c);
      }
  };
  for (std::size_t w = 0; w < work.size(); ++w) {
    const int g = work[w];
    const std::vector<runtime::operation>& ops = f.operations_of(g);
    for (std::size_t k = 0; k < ops.size(); ++k) {
      const auto& op = ops[k];
      const std::size_t s = plan.at(g, k);
      plan.integer_op[s] = false;
      const bool in_int16 = options.activations == dtype::i16 || detail::selects(options.int16, op, f);
      plan.property[s] = in_int16 ? int16x8_property(op.code) : int8_property(op.code);
      const bool passes = plan.property[s].passes_to_subgraphs;
      if (detail::selects(options.tabulate, op, f)) {
        // A table: input and output calibrated, as any activation.
        if (!(op.is_custom() ? op.inputs.size() == 1 && op.outputs.size() == 1 : tflite_only_table(op.code)))
          throw runtime::model_error(detail::op_label(op) + " cannot be tabulated: tables are for custom elementwise ops "
                                     "(one input, one output) and EXP (TFLite's int8 and int16 tables)");
        plan.property[s].quantizable = true;
        if (!op.is_custom())
          plan.notes.push_back(detail::op_label(op) + " is " + (in_int16 ? "int16" : "int8") +
                               " as TFLite's table (--tabulate): TFLite and qfence run the model, TFLM does not");
      }
      if (passes && in_int16 && options.activations == dtype::i8)
        throw runtime::model_error(detail::op_label(op) + " cannot be kept in int16: it passes values to its subgraphs "
                                   "as they are. fix: name the ops inside them instead (by type, --int16 CONV_2D)");
      if (!float_operands(op)) {
        plan.integer_op[s] = true;
        if (passes) {
          if (const std::string why = subgraphs_stay_float(op); why.empty()) quantize_called(op);
          else plan.notes.push_back(detail::op_label(op) + " passes no float values; " + why);
        }
        continue;
      }
      if (in_int16) plan.activation_type[s] = dtype::i16;
      std::string why;
      const std::string name = runtime::op_name(op);
      // An activation with no range cannot be int8: its ops stay float.
      // None in the report: --calib-from-model on a model whose float parts
      // carry no statistics; none seen: a subgraph no sample ran.
      int unranged = -1;
      bool never_computed = false;
      if (ranges != nullptr) {
        for (const auto* list : {&op.inputs, &op.outputs})
          for (const int t : *list)
            if (t >= 0 && f.tensors[static_cast<std::size_t>(t)].type == dtype::f32 &&
                !f.tensors[static_cast<std::size_t>(t)].constant)
              if (ranges->ranged(t) == nullptr) {
                unranged = t;
                never_computed = ranges->find(t) != nullptr;
              }
      }
      // Weights the model computes (a FULLY_CONNECTED of two activations)
      // have no constant values to quantize.
      bool computed_weights = false;
      for (std::size_t i = 0; i < op.inputs.size(); ++i) {
        const operand_role r = plan.property[s].role(i);
        const int t = op.inputs[i];
        if ((r == operand_role::weights || r == operand_role::time_weights || r == operand_role::bias) && t >= 0 &&
            !f.tensors[static_cast<std::size_t>(t)].constant && f.tensors[static_cast<std::size_t>(t)].type == dtype::f32)
          computed_weights = true;
      }
      if (passes)
        why = subgraphs_stay_float(op);
      else if (!runtime::called_subgraphs(op).empty())
        why = "control flow: the subgraph it runs stays float (qfence's quantizer quantizes inside IF and WHILE, not "
              "CALL_ONCE)";
      else if (detail::selects(options.fence, op, f))
        why = "fenced on request";
      else if (computed_weights && plan.property[s].quantizable)
        why = "its weights are computed by the model, not constant (qfence quantizes constant weights)";
      else if (!plan.property[s].quantizable && options.activations == dtype::i8 && in_int16)
        throw runtime::model_error(detail::op_label(op) + " cannot be kept in int16: qfence has no int16x8 kernel for it "
                                   "(or TFLM has none). fix: fence it instead (--fence " +
                                   (op.subgraph == 0 ? "#" + std::to_string(op.index) : name) + ")");
      else if (!plan.property[s].quantizable && makes_float_from_integers(op, f)) {
        // Not a float island: like a float input, where quantized data begins.
        plan.fenced[s] = true;
        plan.activation_type[s] = dtype::f32;
        plan.notes.push_back(detail::op_label(op) + " makes float from integer data (" +
                             std::string(qfence::name(f.tensors[static_cast<std::size_t>(op.inputs[0])].type)) +
                             "), where quantized values begin as at a float input: its readers get a QUANTIZE of "
                             "it, as TFLite's converter writes");
        continue;
      } else if (!plan.property[s].quantizable)
        why = op.is_custom() ? "custom op with no quantized kernel" : detail::no_quantized_form(op.code, in_int16);
      if (why.empty() && unranged >= 0)
        why = runtime::tensor_label(unranged, f.tensors[static_cast<std::size_t>(unranged)].name) +
              (never_computed ? " was never computed on the calibration data (a branch no sample takes?), so it has no range"
                              : " has no range (float in the model it came from)");
      if (why.empty()) {
        if (passes) quantize_called(op);
        continue;
      }
      if (options.forbid_fences)
        throw runtime::model_error(detail::op_label(op) + " would be fenced (kept in float): " + why +
                                   "; and fences are forbidden. fix: allow fences, or give the op a quantized kernel");
      plan.fenced[s] = true;
      plan.activation_type[s] = dtype::f32;
      const bool float_output = std::ranges::any_of(op.outputs, [&](int t) {
        return t >= 0 && f.tensors[static_cast<std::size_t>(t)].type == dtype::f32;
      });
      plan.lines.push_back({op.index, name, why, op.subgraph, float_output, false, {}});
    }
  }
  return plan;
}

namespace detail {

/// Calls visit(a, b) for each pair of tensors whose bytes IF or WHILE `op`
/// of `m` copies one into the other (TFLM's if.cc and while.cc): IF, each
/// operand after the condition with both branches' inputs at its position,
/// each branch's output with the op's; WHILE, operand i with output i, the
/// cond's and the body's input i, and the body's output i with output i.
/// Nothing for another op.
template <class Visit>
void for_each_passed_pair(const runtime::model& m, const runtime::operation& op, Visit&& visit) {
  const auto pairs = [&](const std::vector<int>& a, std::size_t from, const std::vector<int>& b) {
    for (std::size_t i = from; i < a.size() && i - from < b.size(); ++i) visit(a[i], b[i - from]);
  };
  if (op.code == runtime::op_code::if_) {
    for (const int branch : {op.options.then_subgraph, op.options.else_subgraph}) {
      pairs(op.inputs, 1, m.inputs_of(branch));
      pairs(m.outputs_of(branch), 0, op.outputs);
    }
  } else if (op.code == runtime::op_code::while_) {
    pairs(op.inputs, 0, op.outputs);
    pairs(op.inputs, 0, m.inputs_of(op.options.cond_subgraph));
    pairs(op.inputs, 0, m.inputs_of(op.options.body_subgraph));
    pairs(m.outputs_of(op.options.body_subgraph), 0, op.outputs);
  }
}

/// The values the quantized IFs and WHILEs of `plan` pass, as groups of
/// float tensors holding one value's bytes: by tensor, its group's
/// representative (a tensor index), or -1 for a tensor no IF or WHILE
/// passes (for_each_passed_pair says which tensors one value passes
/// through; a WHILE's is a loop-carried value). The groups are transitive:
/// a tensor passed twice joins both groups into one.
inline std::vector<int> passed_value_groups(const runtime::model& f, const fence_plan& plan) {
  std::vector<int> parent(f.tensors.size());
  for (std::size_t t = 0; t < parent.size(); ++t) parent[t] = static_cast<int>(t);
  std::vector<bool> passed(f.tensors.size(), false);
  const auto root = [&](int t) {
    // Path halving: each step links t to its grandparent, so chains stay short.
    while (parent[static_cast<std::size_t>(t)] != t)
      t = parent[static_cast<std::size_t>(t)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(t)])];
    return t;
  };
  const auto join = [&](int a, int b) {
    if (a < 0 || b < 0 || f.tensors[static_cast<std::size_t>(a)].type != dtype::f32 ||
        f.tensors[static_cast<std::size_t>(b)].type != dtype::f32)
      return;
    passed[static_cast<std::size_t>(a)] = passed[static_cast<std::size_t>(b)] = true;
    parent[static_cast<std::size_t>(root(a))] = root(b);
  };
  for (int g = 0; g < f.subgraph_count; ++g) {
    if (!plan.quantized_graph[static_cast<std::size_t>(g)]) continue;
    const std::vector<runtime::operation>& ops = f.operations_of(g);
    for (std::size_t k = 0; k < ops.size(); ++k) {
      const std::size_t s = plan.at(g, k);
      const runtime::operation& op = ops[k];
      if (plan.property[s].passes_to_subgraphs && !plan.fenced[s]) for_each_passed_pair(f, op, join);
    }
  }
  std::vector<int> group(f.tensors.size(), -1);
  for (std::size_t t = 0; t < group.size(); ++t)
    if (passed[t]) group[t] = root(static_cast<int>(t));
  return group;
}

/// Checks that every value an IF or WHILE of `q` passes has one dtype and
/// one set of parameters in each tensor it passes through (the bytes are
/// copied, not requantized). A mismatch is a quantizer bug, and the
/// message says so.
inline void check_passed_parameters(const runtime::model& q) {
  auto same = [&](int a, int b, const runtime::operation& op) {
    if (a < 0 || b < 0) return;
    const runtime::tensor& x = q.tensors[static_cast<std::size_t>(a)];
    const runtime::tensor& y = q.tensors[static_cast<std::size_t>(b)];
    if (x.type == y.type && x.quant.scales == y.quant.scales && x.quant.zero_points == y.quant.zero_points) return;
    throw runtime::model_error("qfence quantize made " + op_label(op) + " pass " + runtime::tensor_label(a, x.name) +
                               " (" + runtime::type_text(x) + ") as " + runtime::tensor_label(b, y.name) + " (" +
                               runtime::type_text(y) + "): one value with two sets of parameters (a bug; please report it)");
  };
  for (int g = 0; g < q.subgraph_count; ++g)
    for (const runtime::operation& op : q.operations_of(g))
      for_each_passed_pair(q, op, [&](int a, int b) { same(a, b, op); });
}

}  // namespace detail

/// Full-integer quantization of float model `f` with the ranges of `ranges`
/// (quant/calibration.hpp): full int8, or int16x8 with
/// options.activations = dtype::i16; in an int8 model, the ops
/// options.int16 names run in int16x8.
inline quantized_model quantize_full_integer(const runtime::model& f, const calibration_report& ranges,
                                             const quantize_options& options = {}) {
  using runtime::op_code;
  const std::size_t tensor_count = f.tensors.size();
  auto is_activation = [&](int t) {
    if (t < 0) return false;
    const auto& x = f.tensors[static_cast<std::size_t>(t)];
    return x.type == dtype::f32 && !x.constant;
  };

  if ((options.inputs == io_type::uint8 || options.outputs == io_type::uint8) && options.activations != dtype::i8)
    throw std::invalid_argument("quantize: uint8 inputs and outputs apply to the int8 scheme (int16x8 reads and writes "
                                "int16 or float)");
  quantized_model result;
  // 1. Which operations are fenced, and why; which run in int16.
  const fence_plan plan = plan_fences(f, options, &ranges);
  const std::vector<op_property>& property = plan.property;
  const std::vector<bool>& fenced = plan.fenced;
  const std::vector<bool>& integer_op = plan.integer_op;
  result.fences = plan.lines;
  result.notes = plan.notes;
  // The operations planned, graph by graph (each in order): k their place
  // in the plan's lists.
  struct planned_op {
    int graph;
    std::size_t k;
    const runtime::operation* op;
  };
  std::vector<planned_op> planned;
  for (int g = 0; g < f.subgraph_count; ++g)
    if (plan.quantized_graph[static_cast<std::size_t>(g)])
      for (std::size_t k = 0; k < f.operations_of(g).size(); ++k) planned.push_back({g, plan.at(g, k), &f.operations_of(g)[k]});
  // The subgraphs after the main graph whose operations are quantized.
  std::vector<int> quantized_subgraphs;
  for (int g = 1; g < f.subgraph_count; ++g)
    if (plan.quantized_graph[static_cast<std::size_t>(g)]) quantized_subgraphs.push_back(g);
  // Values passed to and from subgraphs: one set of parameters per group.
  const std::vector<int> group = detail::passed_value_groups(f, plan);

  // 2. Where each activation is produced and consumed. A domain is the type
  //    its values have there: float, int8 or int16 (a bit each, so that a
  //    tensor can be needed in several).
  constexpr std::uint8_t none = 0, in_float = 1, in_int8 = 2, in_int16 = 4;
  constexpr std::uint8_t domains[] = {in_float, in_int8, in_int16};
  const auto domain_of = [](dtype type) -> std::uint8_t {
    return type == dtype::i8 ? in_int8 : type == dtype::i16 ? in_int16 : in_float;
  };
  const auto type_in = [](std::uint8_t d) { return d == in_int8 ? dtype::i8 : d == in_int16 ? dtype::i16 : dtype::f32; };
  const auto suffix = [](std::uint8_t d) { return d == in_int8 ? "_int8" : d == in_int16 ? "_int16" : "_float"; };
  const std::uint8_t io_in = options.inputs == io_type::float32 ? in_float : domain_of(options.activations);
  const std::uint8_t io_out = options.outputs == io_type::float32 ? in_float : domain_of(options.activations);
  std::vector<std::uint8_t> produced(tensor_count, none), needed(tensor_count, none);
  // Values pass to and from subgraphs in the scheme's domain.
  const std::uint8_t passed = domain_of(options.activations);
  for (int t : f.inputs)
    if (is_activation(t)) produced[static_cast<std::size_t>(t)] = io_in;
  for (const int g : quantized_subgraphs)
    for (int t : f.inputs_of(g))
      if (is_activation(t)) produced[static_cast<std::size_t>(t)] = passed;
  for (const planned_op& x : planned) {
    const std::size_t k = x.k;
    if (integer_op[k]) continue;
    const auto& op = *x.op;
    const std::uint8_t d = domain_of(plan.activation_type[k]);
    for (std::size_t i = 0; i < op.inputs.size(); ++i)
      if (is_activation(op.inputs[i]) && (fenced[k] || property[k].role(i) == operand_role::activation))
        needed[static_cast<std::size_t>(op.inputs[i])] |= d;
    for (int t : op.outputs)
      if (is_activation(t)) produced[static_cast<std::size_t>(t)] = d;
  }
  for (int t : f.outputs)
    if (is_activation(t)) needed[static_cast<std::size_t>(t)] |= io_out;
  for (const int g : quantized_subgraphs)
    for (int t : f.outputs_of(g))
      if (is_activation(t)) needed[static_cast<std::size_t>(t)] |= passed;

  // 3. Each activation's parameters in each integer domain it has, in
  //    execution order: asymmetric int8, or symmetric int16 with zero point
  //    0 (TFLite's int16x8).
  std::vector<std::optional<affine_params>> params8(tensor_count), params16(tensor_count);
  const auto params_in = [&](std::uint8_t d) -> std::vector<std::optional<affine_params>>& {
    return d == in_int16 ? params16 : params8;
  };
  const auto params_for = [&](real_range r, std::uint8_t d) {
    return activation_params(r, type_in(d));
  };
  std::vector<real_range> range_of(tensor_count);
  // A passed value's range: the union of what calibration saw in each
  // tensor it passes through (a constant's values, if one is passed).
  std::vector<std::optional<real_range>> passed_range(tensor_count);
  for (std::size_t t = 0; t < tensor_count; ++t) {
    if (group[t] < 0) continue;
    real_range r;
    if (f.tensors[t].constant) {
      for (const float v : detail::finite_values(f, static_cast<int>(t), "a subgraph")) r = {std::min(r.min, v), std::max(r.max, v)};
    } else if (const tensor_calibration* c = ranges.ranged(static_cast<int>(t))) {
      r = c->range;
    } else {
      continue;  // never computed (a branch no sample takes)
    }
    auto& u = passed_range[static_cast<std::size_t>(group[t])];
    u = u ? real_range{std::min(u->min, r.min), std::max(u->max, r.max)} : r;
  }
  auto calibrated_range = [&](int t, const std::string& user) {
    if (const int g = group[static_cast<std::size_t>(t)]; g >= 0 && passed_range[static_cast<std::size_t>(g)])
      return *passed_range[static_cast<std::size_t>(g)];
    const tensor_calibration* c = ranges.find(t);
    if (c == nullptr)
      throw runtime::model_error(runtime::tensor_label(t, f.tensors[static_cast<std::size_t>(t)].name) + ", " + user +
                                 ", has no calibrated range; calibrate this model (the same file) first");
    return c->range;
  };
  // The parameters of t's copies in the integer domains it is needed in
  // but not produced in: from its own calibrated range.
  auto copies_from_range = [&](int t, const std::string& user) {
    const auto i = static_cast<std::size_t>(t);
    for (const std::uint8_t d : {in_int8, in_int16})
      if ((needed[i] & d) && produced[i] != d) {
        const real_range r = calibrated_range(t, user);
        if (produced[i] == in_float) range_of[i] = r;
        params_in(d)[i] = params_for(r, d);
      }
  };
  auto input_params = [&](int t, const std::string& user) {
    if (!is_activation(t)) return;
    const auto i = static_cast<std::size_t>(t);
    if (produced[i] != in_float) {
      range_of[i] = calibrated_range(t, user);
      params_in(produced[i])[i] = params_for(range_of[i], produced[i]);
    }
    copies_from_range(t, user);
  };
  for (int t : f.inputs) input_params(t, "a model input");
  for (const int g : quantized_subgraphs)
    for (int t : f.inputs_of(g)) input_params(t, "an input of subgraph " + std::to_string(g));
  for (const planned_op& x : planned) {
    const std::size_t k = x.k;
    if (integer_op[k]) continue;
    const auto& op = *x.op;
    const std::uint8_t d = domain_of(plan.activation_type[k]);
    // A state (SVDF's memory, LSTM's cell) is int16 in either scheme,
    // symmetric.
    if (!fenced[k])
      for (std::size_t i = 0; i < op.inputs.size(); ++i) {
        const int t = op.inputs[i];
        const operand_role role = property[k].role(i);
        if (!is_activation(t) || !is_int16_state(role)) continue;
        const real_range r = calibrated_range(t, "the state of " + detail::op_label(op));
        range_of[static_cast<std::size_t>(t)] = r;
        params16[static_cast<std::size_t>(t)] =
            role == operand_role::state ? symmetric_params(r, 32767) : power_of_two_int16_params(r);
      }
    for (int t : op.outputs) {
      if (!is_activation(t)) continue;
      const auto i = static_cast<std::size_t>(t);
      const std::string user = "the output of " + detail::op_label(op);
      if (!fenced[k]) {
        auto& p = params_in(d)[i];
        const int source = op.inputs.at(static_cast<std::size_t>(property[k].activation_input));
        if (property[k].output == output_params::same_as_input && source >= 0 &&
            params_in(d)[static_cast<std::size_t>(source)]) {
          p = params_in(d)[static_cast<std::size_t>(source)];
          range_of[i] = range_of[static_cast<std::size_t>(source)];
        } else if (property[k].output == output_params::fixed) {
          const quant_desc q = *fixed_output_params(op.code, type_in(d));
          const std::int64_t lowest = d == in_int16 ? -32768 : -128, highest = d == in_int16 ? 32767 : 127;
          p = affine_params{q.scale, q.zero_point};
          range_of[i] = {q.scale * static_cast<float>(lowest - q.zero_point),
                         q.scale * static_cast<float>(highest - q.zero_point)};
        } else {
          range_of[i] = calibrated_range(t, user);
          p = params_for(range_of[i], d);
        }
      }
      // A fenced op's float output needs parameters only where an integer
      // consumer reads its QUANTIZE copy.
      copies_from_range(t, user);
    }
    // A variable that holds the previous output takes the output's parameters.
    if (!fenced[k])
      for (std::size_t i = 0; i < op.inputs.size(); ++i)
        if (const int t = op.inputs[i]; property[k].role(i) == operand_role::output_state && is_activation(t)) {
          params_in(d)[static_cast<std::size_t>(t)] = params_in(d)[static_cast<std::size_t>(op.outputs.at(0))];
          range_of[static_cast<std::size_t>(t)] = range_of[static_cast<std::size_t>(op.outputs.at(0))];
        }
  }

  // 4. The new model: tensors first as they were, then conversions and
  //    quantized constants appended.
  runtime::model& q = result.model;
  std::size_t int16_count = 0;
  if (options.activations == dtype::i8)
    for (const planned_op& x : planned)
      if (!integer_op[x.k] && plan.activation_type[x.k] == dtype::i16) {
        ++int16_count;
        if (x.graph == 0) result.int16_ops.push_back(x.op->index);
        else result.notes.push_back(detail::op_label(*x.op) + " runs in int16x8; QUANTIZE between int8 and int16 at its borders");
      }
  const std::string scheme = options.activations == dtype::i16 ? "int16x8"
                             : int16_count == 0                ? "full int8"
                                                : "full int8, " + std::to_string(int16_count) + " ops in int16x8";
  q = detail::owned_copy(f, "quantized by qfence (" + scheme + ") from: " + f.description);
  // The graph being rebuilt, and each tensor's graph (tensors appended for
  // graph g belong to it: drop_unused_tensors lays them out so).
  int graph_now = 0;
  std::vector<int> owner = detail::tensor_subgraphs(f);
  auto make_integer = [&](runtime::tensor& x, int source, std::uint8_t d) {
    const affine_params p = *params_in(d)[static_cast<std::size_t>(source)];
    x.type = type_in(d);
    x.quant.scales = {p.scale};
    x.quant.zero_points = {p.zero_point};
    x.quant.axis = 0;
    const real_range r = range_of[static_cast<std::size_t>(source)];
    x.quant.min = {r.min};
    x.quant.max = {r.max};
  };
  // `values` quantized with `a` into domain d (int8 or int16), owned by q.
  auto quantized_data = [&](const std::vector<float>& values, affine_params a, std::uint8_t d) {
    const auto store = [&]<class T>(T*) {
      std::vector<T> v(values.size());
      reference::quantize(static_cast<std::int64_t>(v.size()), values.data(), a.scale, a.zero_point, v.data());
      return detail::own_values(q, v);
    };
    return d == in_int16 ? store(static_cast<std::int16_t*>(nullptr)) : store(static_cast<std::int8_t*>(nullptr));
  };
  // Constant x holding `values`, quantized with `a` into domain d; `r`:
  // the real range recorded as its statistics.
  auto quantize_constant = [&](runtime::tensor& x, const std::vector<float>& values, affine_params a, std::uint8_t d,
                               real_range r) {
    x.type = type_in(d);
    x.data = quantized_data(values, a, d);
    x.quant = {};
    x.quant.scales = {a.scale};
    x.quant.zero_points = {a.zero_point};
    x.quant.min = {r.min};
    x.quant.max = {r.max};
  };
  // A state in domain d (int16, or an LSTM's hidden state in the op's
  // domain) from its parameters; an initial value, if the float model gives
  // one, quantized with them.
  auto make_state = [&](runtime::tensor& x, int source, std::uint8_t d) {
    if (!x.data.empty())
      x.data = quantized_data(detail::float_values(f.tensors[static_cast<std::size_t>(source)]),
                              *params_in(d)[static_cast<std::size_t>(source)], d);
    make_integer(x, source, d);
  };
  // An activation's copies in the other domains, by domain (float, int8,
  // int16), made after its producer.
  std::array<std::vector<int>, 3> copies;
  for (auto& c : copies) c.assign(tensor_count, -1);
  const auto copy_in = [&](std::uint8_t d) -> std::vector<int>& { return copies[d == in_float ? 0 : d == in_int8 ? 1 : 2]; };
  auto add_tensor = [&](runtime::tensor x) {
    q.tensors.push_back(std::move(x));
    owner.push_back(graph_now);
    return static_cast<int>(q.tensors.size()) - 1;
  };
  auto add_op = [&](op_code code, int in, int out) {
    q.operations_of(graph_now).push_back(detail::conversion_op(code, in, out));
  };
  // After the producer of t: the conversions its consumers in other
  // domains read (QUANTIZE from float or between int8 and int16,
  // DEQUANTIZE to float).
  auto convert_after_producer = [&](int t) {
    const auto i = static_cast<std::size_t>(t);
    if (produced[i] == none) return;
    for (const std::uint8_t d : domains) {
      if (!(needed[i] & d) || produced[i] == d) continue;
      runtime::tensor x = f.tensors[i];
      x.name += suffix(d);
      if (d == in_float) x.quant = {};
      else make_integer(x, t, d);
      copy_in(d)[i] = add_tensor(std::move(x));
      add_op(d == in_float ? op_code::dequantize : op_code::quantize, t, copy_in(d)[i]);
    }
  };
  for (std::size_t i = 0; i < tensor_count; ++i)
    if (produced[i] == in_int8 || produced[i] == in_int16) make_integer(q.tensors[i], static_cast<int>(i), produced[i]);
  // Tensor x as one with parameters `to`: itself if it has them, else a
  // QUANTIZE of it (a requantize) into a new tensor, after its producer.
  auto requantized = [&](int x, affine_params to) {
    const runtime::tensor& have = q.tensors[static_cast<std::size_t>(x)];
    if (have.quant.scale() == to.scale && have.quant.zero_point() == to.zero_point) return x;
    runtime::tensor y = have;
    y.name += "_requantized";
    y.data = {};
    y.constant = false;
    y.quant.scales = {to.scale};
    y.quant.zero_points = {to.zero_point};
    const int r = add_tensor(std::move(y));
    add_op(op_code::quantize, x, r);
    return r;
  };
  // The tensor that holds passed value t where IF or WHILE passes it (an
  // operand, a subgraph's output): in the scheme's domain with its group's
  // parameters. A constant is quantized with them; a value its producer
  // gave other parameters (a fixed output, an input's) is requantized.
  auto passed_tensor = [&](int t) {
    if (t < 0 || group[static_cast<std::size_t>(t)] < 0) return t;
    const real_range r = calibrated_range(t, "a value passed to a subgraph");
    const affine_params want = params_for(r, passed);
    if (f.tensors[static_cast<std::size_t>(t)].constant) {
      runtime::tensor x = f.tensors[static_cast<std::size_t>(t)];
      quantize_constant(x, detail::finite_values(f, t, "a subgraph"), want, passed, r);
      return add_tensor(std::move(x));
    }
    const int x = produced[static_cast<std::size_t>(t)] == passed ? t : copy_in(passed)[static_cast<std::size_t>(t)];
    if (x < 0)
      throw runtime::model_error("qfence quantize found no " + std::string(suffix(passed) + 1) + " form of " +
                                 runtime::tensor_label(t, f.tensors[static_cast<std::size_t>(t)].name) +
                                 " to pass to a subgraph (a bug; please report it)");
    return requantized(x, want);
  };

  for (int g = 0; g < f.subgraph_count; ++g) {
    if (!plan.quantized_graph[static_cast<std::size_t>(g)]) continue;  // a float subgraph, copied as it is
    graph_now = g;
    q.operations_of(g).clear();  // rebuilt below, with the conversions
    for (int t : f.inputs_of(g))
      if (is_activation(t)) convert_after_producer(t);
    const std::vector<runtime::operation>& graph_ops = f.operations_of(g);
    for (std::size_t j = 0; j < graph_ops.size(); ++j) {
      const std::size_t k = plan.at(g, j);
      runtime::operation op = graph_ops[j];
      if (integer_op[k]) {
        q.operations_of(g).push_back(std::move(op));
        continue;
      }
      const op_property& p = property[k];
      const std::uint8_t d = domain_of(plan.activation_type[k]);
      if (fenced[k]) {
        for (int& t : op.inputs)
          if (is_activation(t) && produced[static_cast<std::size_t>(t)] != in_float &&
              produced[static_cast<std::size_t>(t)] != none)
            t = copy_in(in_float)[static_cast<std::size_t>(t)];
      } else if (p.passes_to_subgraphs) {
        for (int& t : op.inputs) t = passed_tensor(t);
      } else {
        const bool int16_op = d == in_int16;
        // int16 ADD and SUB with general scales, as TFLite's quantizer writes
        // them (SetOperatorPropertyADDSUBOperator): TFLite would otherwise
        // take its power-of-two kernel whenever the scales happen to be powers
        // of two.
        if (int16_op && (op.code == op_code::add || op.code == op_code::sub)) op.options.pot_scale_int16 = false;
        const int act = op.inputs.at(static_cast<std::size_t>(p.activation_input));
        // Each operand's scales as it is quantized: the bias's scale is the
        // product of two of them (op_property::bias_scale_of).
        std::vector<std::vector<float>> operand_scales(op.inputs.size());
        for (std::size_t i = 0; i < op.inputs.size(); ++i) {
          const int t = op.inputs[i];
          if (!is_activation(t)) continue;
          const auto& a = is_int16_state(p.role(i)) ? params16 : params_in(d);
          if (a[static_cast<std::size_t>(t)]) operand_scales[i] = {a[static_cast<std::size_t>(t)]->scale};
        }
        std::vector<double> rounding_shift;  // bias correction, per output channel
        for (std::size_t i = 0; i < op.inputs.size(); ++i) {
          int& t = op.inputs[i];
          if (t < 0) continue;
          const runtime::tensor& src = f.tensors[static_cast<std::size_t>(t)];
          const operand_role role = p.role(i);
          if (role == operand_role::integer || src.type != dtype::f32) continue;
          if (is_state(role)) {
            make_state(q.tensors[static_cast<std::size_t>(t)], t, role == operand_role::output_state ? d : in_int16);
            continue;
          }
          if (!src.constant) {
            const std::uint8_t from = produced[static_cast<std::size_t>(t)];
            if (from != d && from != none) t = copy_in(d)[static_cast<std::size_t>(t)];
            continue;
          }
          runtime::tensor x = src;
          const std::vector<float> values = detail::finite_values(f, t, detail::op_label(op));
          if (role == operand_role::weights) {
            const quantized_weights w = quantize_weights_symmetric(values, src.shape, std::max(p.weights_axis, 0),
                                                                   p.weights_axis >= 0);
            x.type = dtype::i8;
            x.data = detail::own_values(q, w.values);
            x.quant = {};
            x.quant.scales = w.scales;
            x.quant.zero_points.assign(w.scales.size(), 0);
            x.quant.axis = w.scales.size() > 1 ? p.weights_axis : 0;
            operand_scales[i] = w.scales;
            if (options.bias_correction && act >= 0)
              if (const tensor_calibration* c = ranges.find(act))
                rounding_shift = detail::weight_rounding_shift(op.code, src.shape, values, w, c->channel_means);
          } else if (role == operand_role::time_weights) {
            const quantized_time_weights w = quantize_time_weights(values);
            x.type = dtype::i16;
            x.data = detail::own_values(q, w.values);
            x.quant = {};
            x.quant.scales = {w.scale};
            x.quant.zero_points = {0};
            operand_scales[i] = {w.scale};
          } else if (role == operand_role::bias) {
            const auto [first, second] = p.bias_scale_of(static_cast<int>(i));
            const float input_scale = operand_scales.at(static_cast<std::size_t>(first)).at(0);
            const std::vector<float>& weight_scales = operand_scales.at(static_cast<std::size_t>(second));
            std::vector<float> corrected = values;
            if (rounding_shift.size() == corrected.size()) {
              for (std::size_t c = 0; c < corrected.size(); ++c)
                corrected[c] = static_cast<float>(corrected[c] - rounding_shift[c]);
              ++result.bias_corrected_layers;
            }
            // int32 biases for int8, int64 for int16x8 (TFLite's default).
            const auto store_bias = [&]<class Bias>(dtype type) {
              const std::vector<Bias> b = quantize_bias<Bias>(corrected, input_scale, weight_scales);
              x.type = type;
              x.data = detail::own_values(q, b);
              constexpr Bias top = std::numeric_limits<Bias>::max();
              for (std::size_t c = 0; c < b.size(); ++c)
                if (b[c] == top || b[c] == -top)
                  result.notes.push_back(detail::op_label(op) + ": bias " + std::to_string(c) + " saturates " +
                                         (int16_op ? "int64" : "int32") + " at scale input x weight; its layer will be inexact");
            };
            if (int16_op) store_bias.template operator()<std::int64_t>(dtype::i64);
            else store_bias.template operator()<std::int32_t>(dtype::i32);
            x.quant = {};
            for (const float w : weight_scales) x.quant.scales.push_back(input_scale * w);
            x.quant.zero_points.assign(x.quant.scales.size(), 0);
            x.quant.axis = 0;
          } else {  // a constant activation operand (ADD of a constant): its own range
            float lo = 0, hi = 0;
            for (const float v : values) {
              lo = std::min(lo, v);
              hi = std::max(hi, v);
            }
            // An operand that must carry the output's parameters (the bytes
            // a CONCATENATION or SELECT_V2 copies) is quantized with them:
            // one rounding, and no QUANTIZE op that requantizes a constant.
            const bool takes_output_params =
                p.inputs_share_output_params && !op.outputs.empty() && is_activation(op.outputs[0]);
            const affine_params a = takes_output_params ? *params_in(d)[static_cast<std::size_t>(op.outputs[0])]
                                                        : params_for({lo, hi}, d);
            quantize_constant(x, values, a, d, {lo, hi});
          }
          t = add_tensor(std::move(x));  // the float constant is dropped at the end if nothing else reads it
        }
        // Inputs that must carry the output's parameters get a requantize.
        if (p.inputs_share_output_params && !op.outputs.empty() && is_activation(op.outputs[0])) {
          const affine_params out = *params_in(d)[static_cast<std::size_t>(op.outputs[0])];
          for (int& t : op.inputs)
            if (q.tensors[static_cast<std::size_t>(t)].type == type_in(d)) t = requantized(t, out);
        }
        // TFLite's integer LSTM kernel wants five intermediate tensors (TFLM
        // reads none): the gates' Q3.12 (0-3, read only with layer norm) and
        // the hidden state's parameters (4), which without projection are
        // the output's. qfence's kernels take both from the operands. Each
        // holds no value: shape [0], as TFLM's allocator demands of them.
        if (op.code == op_code::unidirectional_sequence_lstm && !int16_op) {
          // A copy: add_tensor grows q.tensors.
          const runtime::tensor out = q.tensors[static_cast<std::size_t>(op.outputs.at(0))];
          op.intermediates.clear();
          for (int g = 0; g < 5; ++g) {
            runtime::tensor x;
            x.name = out.name + "_intermediate_" + std::to_string(g);
            x.type = g < 4 ? dtype::i16 : dtype::i8;
            x.shape = {0};
            x.quant.scales = {g < 4 ? 1.0f / 4096.0f : out.quant.scale()};
            x.quant.zero_points = {g < 4 ? 0 : out.quant.zero_point()};
            op.intermediates.push_back(add_tensor(std::move(x)));
          }
        }
      }
      const std::vector<int> outputs = op.outputs;
      q.operations_of(g).push_back(std::move(op));
      for (int t : outputs)
        if (is_activation(t)) convert_after_producer(t);
    }
    if (g > 0)
      for (int& t : q.outputs_of(g)) t = passed_tensor(t);
  }

  // 5. Model inputs and outputs: the domain asked for, with their names.
  q.inputs = f.inputs;
  q.outputs = f.outputs;
  for (int& t : q.outputs) {
    const auto i = static_cast<std::size_t>(t);
    if (!is_activation(t) || produced[i] == io_out || produced[i] == none) continue;
    if (io_out == in_float) {  // the float copy is the output, under the output's name
      q.tensors[static_cast<std::size_t>(copy_in(in_float)[i])].name = f.tensors[i].name;
      q.tensors[i].name = f.tensors[i].name + suffix(produced[i]);
    }
    t = copy_in(io_out)[i];
  }
  // uint8 inputs and outputs: a uint8 tensor under the model's name, the
  // int8 one's scale with its zero point + 128 (the same real values), and
  // a QUANTIZE between them (uint8 -> int8 after the input, int8 -> uint8
  // before the output), as TFLite's converter writes them.
  graph_now = 0;
  auto uint8_twin = [&](int t, const std::string& name) {
    runtime::tensor u = q.tensors[static_cast<std::size_t>(t)];
    u.type = dtype::u8;
    u.name = name;
    u.quant.zero_points = {u.quant.zero_point() + 128};
    u.quant.min.clear();
    u.quant.max.clear();
    if (q.tensors[static_cast<std::size_t>(t)].name == name) q.tensors[static_cast<std::size_t>(t)].name += "_int8";
    return add_tensor(std::move(u));
  };
  if (options.inputs == io_type::uint8) {
    std::vector<runtime::operation> borders;
    for (std::size_t k = 0; k < q.inputs.size(); ++k) {
      int& t = q.inputs[k];
      if (!is_activation(f.inputs[k]) || q.tensors[static_cast<std::size_t>(t)].type != dtype::i8) continue;
      const int u = uint8_twin(t, f.tensors[static_cast<std::size_t>(f.inputs[k])].name);
      borders.push_back(detail::conversion_op(op_code::quantize, u, t));
      t = u;
    }
    q.operations.insert(q.operations.begin(), borders.begin(), borders.end());
  }
  if (options.outputs == io_type::uint8)
    for (std::size_t k = 0; k < q.outputs.size(); ++k) {
      int& t = q.outputs[k];
      if (!is_activation(f.outputs[k]) || q.tensors[static_cast<std::size_t>(t)].type != dtype::i8) continue;
      const int u = uint8_twin(t, f.tensors[static_cast<std::size_t>(f.outputs[k])].name);
      add_op(op_code::quantize, t, u);
      t = u;
    }

  // 6. Unused tensors dropped; indices and versions for the new operand types.
  detail::drop_unused_tensors(q, owner);
  detail::renumber_operations(q);
  detail::check_passed_parameters(q);
  return result;
}

/// Full-int8 quantization (options.activations is ignored).
inline quantized_model quantize_int8(const runtime::model& f, const calibration_report& ranges,
                                     quantize_options options = {}) {
  options.activations = dtype::i8;
  return quantize_full_integer(f, ranges, options);
}

/// Checks a quantized model the way the runtime path will load it: every
/// op prepared (its type rule checked). A failure is a quantizer bug, and
/// the message says so.
inline void check_runs(const runtime::model& m) {
  try {
    runtime::check_builtin_ops(m);
  } catch (const runtime::model_error& e) {
    throw runtime::model_error(std::string("qfence quantize made a model its own runtime rejects (a bug; please report it): ") +
                               e.what());
  }
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
