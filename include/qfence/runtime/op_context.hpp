// qfence/runtime/op_context.hpp: what an op's prepare step sees, and what its
// kernel gets at invoke time.
//
// Each runtime op is a `prepare` function: it checks the operation's tensors
// (dtypes, shapes, quantization), computes everything that does not depend on
// the data (geometry, fixed-point multipliers), and returns a `kernel` that
// only reads and writes memory. Checks fail with a model_error naming the
// operator, e.g. "operator 12 (CONV_2D v3): ...".
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/target.hpp"
#include "qfence/core/tensor_desc.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/rules/rule.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/runtime/resource_variables.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// Which reference the integer arithmetic follows where TFLM and TFLite
/// differ (the table in docs/numerics.md, "Two references", lists where).
enum class numerics { tflm, tflite };

/// Where every tensor lives during invoke: the arena for activations, the
/// model's bytes for constants; and a kernel's word that this invoke ends
/// after it.
struct tensor_memory {
  std::vector<std::byte*> address;  // by tensor index
  /// Set by a kernel to end the invoke after it (CIRCULAR_BUFFER between its
  /// periods, where TFLM's kernel returns kTfLiteAbort); the interpreter
  /// clears it and returns invoke_status::ended_early.
  mutable bool end_invoke = false;

  template <class T>
  T* at(int tensor) const noexcept {
    return detail::object_at<T>(address[static_cast<std::size_t>(tensor)]);
  }
};

using kernel = std::function<void(const tensor_memory&)>;

inline std::string shape_text(const std::vector<int>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

/// A runtime tensor as the op rules see it (qfence/rules/).
inline tensor_desc describe(const tensor& t) noexcept {
  tensor_desc d;
  d.type = t.type;
  d.rank = t.rank();
  for (int i = 0; i < d.rank && i < max_rank; ++i) d.dims[static_cast<std::size_t>(i)] = t.dim(i);
  if (t.quant.per_channel()) {
    d.quant = {quant_kind::per_channel, t.quant.scales[0], t.quant.zero_point(),
               static_cast<std::int64_t>(t.quant.scales.size()), t.quant.axis, true};
    for (auto zp : t.quant.zero_points) d.quant.symmetric = d.quant.symmetric && zp == 0;
  } else if (t.quant.quantized()) {
    d.quant = quant_desc::tensor(t.quant.scale(), t.quant.zero_point());
  }
  return d;
}

/// What the model asks of an op's output: its output tensor's dtype,
/// quantization and shape.
inline output_request request_for(const tensor& out) noexcept {
  const tensor_desc d = describe(out);
  return {true, true, d.type, d.quant, true, d};
}

/// "i8[1,96,96,1] (scale 0.0078, zero point -1)".
inline std::string type_text(const tensor_desc& t) {
  std::string s = std::string(name(t.type)) + "[";
  for (int i = 0; i < t.rank; ++i) s += (i ? "," : "") + std::to_string(t.dims[static_cast<std::size_t>(i)]);
  s += "]";
  if (t.quant.per_channel()) {
    s += " (per-channel x" + std::to_string(t.quant.channels) + " on axis " + std::to_string(t.quant.axis) + ")";
  } else if (t.quant.quantized()) {
    s += " (scale " + std::to_string(t.quant.scale) + ", zero point " + std::to_string(t.quant.zero_point) + ")";
  }
  return s;
}
inline std::string type_text(const tensor& t) {
  if (!t.foreign_type.empty()) return t.foreign_type + shape_text(t.shape);
  return type_text(describe(t));
}

/// Whether an operation's fused activation is one the kernels apply: the
/// format also has TANH and SIGN_BIT, which no TFLite kernel fuses.
inline bool plain_fused_activation(const op_options& o) noexcept {
  return o.raw_activation >= 0 && o.raw_activation <= 3;
}

/// What the interpreter gives the ops it prepares, beyond the model. Ops
/// are also prepared without it, only to be checked (`qfence embed`).
struct interpreter_services {
  /// Kernel state that lives across invokes outside any tensor
  /// (CIRCULAR_BUFFER's count of invokes, CALL_ONCE's "has run"): how to
  /// put it back to its start; reset_variables() calls these.
  std::vector<std::function<void()>> resets;
  /// Checks that need every op of every subgraph prepared first, run by the
  /// interpreter's constructor (READ_VARIABLE: some ASSIGN_VARIABLE sized
  /// the variable).
  std::vector<std::function<void()>> final_checks;
  /// Runs subgraph k (>= 1) on the interpreter's memory, at invoke time;
  /// false when an op in it ended the invoke.
  std::function<bool(int)> invoke_subgraph;
  resource_variables variables;
};

class op_context {
 public:
  op_context(const model& m, const operation& op, numerics n, kernels::target simd = {},
             interpreter_services* services = nullptr)
      : model_(m), op_(op), numerics_(n), simd_(simd), services_(services) {}

  /// Registers how to put a kernel's own state (kept across invokes, outside
  /// any tensor) back to its start; the interpreter calls it on
  /// reset_variables(), before the first invoke too.
  void on_reset(std::function<void()> reset) const {
    if (services_ != nullptr) services_->resets.push_back(std::move(reset));
  }
  /// State a kernel keeps across invokes outside any tensor: `n` values,
  /// zero at the start and again after each reset_variables().
  template <class T>
  std::shared_ptr<std::vector<T>> kept_state(std::size_t n) const {
    auto v = std::make_shared<std::vector<T>>(n);
    on_reset([v] { std::fill(v->begin(), v->end(), T{}); });
    return v;
  }
  /// Registers a check to run once every operation is prepared.
  void after_all_prepared(std::function<void()> check) const {
    if (services_ != nullptr) services_->final_checks.push_back(std::move(check));
  }
  /// The interpreter's services; nullptr when the op is only checked.
  interpreter_services* services() const noexcept { return services_; }

  const model& graph() const noexcept { return model_; }
  const operation& op() const noexcept { return op_; }
  const op_options& options() const noexcept { return op_.options; }
  numerics arithmetic() const noexcept { return numerics_; }
  /// The target the prepared kernels run on: the interpreter's (which may be
  /// kernels::target::reference()), or kernels::default_target()
  /// (QFENCE_TARGET, else the best this CPU runs).
  kernels::target simd_target() const { return simd_.valid() ? simd_ : kernels::default_target(); }

  int input_count() const noexcept { return static_cast<int>(op_.inputs.size()); }
  int output_count() const noexcept { return static_cast<int>(op_.outputs.size()); }
  bool has_input(int i) const noexcept { return i < input_count() && op_.inputs[static_cast<std::size_t>(i)] >= 0; }
  int input_index(int i) const {
    require(has_input(i), "input " + std::to_string(i) + " is missing");
    return op_.inputs[static_cast<std::size_t>(i)];
  }
  int output_index(int i) const {
    require(i < output_count(), "output " + std::to_string(i) + " is missing");
    return op_.outputs[static_cast<std::size_t>(i)];
  }
  const tensor& input(int i) const { return model_.tensors[static_cast<std::size_t>(input_index(i))]; }
  const tensor& output(int i) const { return model_.tensors[static_cast<std::size_t>(output_index(i))]; }

  /// "operator 12 (CONV_2D v3)"; "subgraph 2, operator 0 (ADD v1)" outside the main graph.
  std::string label() const { return operation_label(op_); }

  [[noreturn]] void fail(const std::string& what) const { throw model_error(label() + ": " + what); }
  void require(bool ok, const std::string& what) const {
    if (!ok) fail(what);
  }

  void require_io(int min_inputs, int max_inputs, int outputs) const {
    require(input_count() >= min_inputs && input_count() <= max_inputs,
            "takes " + (min_inputs == max_inputs ? std::to_string(min_inputs)
                                                  : std::to_string(min_inputs) + " to " + std::to_string(max_inputs)) +
                " inputs, the model gives " + std::to_string(input_count()));
    require(output_count() == outputs, "has " + std::to_string(outputs) + " output(s), the model gives " +
                                           std::to_string(output_count()));
  }

  /// Input `i` must be constant (weights, shapes, axes).
  const tensor& constant_input(int i, const char* what) const {
    const tensor& t = input(i);
    require(t.constant, std::string(what) + " (input " + std::to_string(i) +
                            ") must be a constant tensor; qfence does not support computed " + what);
    return t;
  }

  /// Reads a small constant int32/int64 tensor (axes, shapes, paddings).
  std::vector<std::int64_t> constant_ints(int i, const char* what) const {
    const tensor& t = constant_input(i, what);
    auto v = t.constant_integers();
    require(v.has_value(), std::string(what) + " must be i32 or i64 with all its values, got " + type_text(t) +
                               " with " + std::to_string(t.data.size()) + " bytes of data");
    return std::move(*v);
  }

  /// Fails with the rule's error, in the words the compile-time path uses,
  /// followed by the operand at fault and what it should be.
  /// `operand_inputs[k]` is the model input that is the rule's operand k.
  void enforce(const rule_result& r, std::initializer_list<int> operand_inputs) const {
    if (r.ok()) return;
    const int k = r.operand;
    fail_rule(r, k >= 0 && k < static_cast<int>(operand_inputs.size()) ? operand_inputs.begin()[k] : -1);
  }
  /// The same, for rules whose operand k is the model's input k.
  void enforce(const rule_result& r) const {
    if (!r.ok()) fail_rule(r, r.operand);
  }

  /// The same, for a rule about output `k` of an op with several outputs
  /// (each checked by a rule of its own): names output k at fault.
  void enforce_output(const rule_result& r, int k) const {
    if (r.ok()) return;
    if (r.operand >= 0) fail_rule(r, r.operand);
    fail_rule(r, -1, k);
  }

  /// The description of input `i`, which the model may omit.
  qfence::optional_desc optional_input(int i) const {
    if (!has_input(i)) return {};
    return {true, describe(input(i))};
  }

  /// A small constant int tensor copied into a rule's attribute array;
  /// returns how many values it holds.
  template <std::size_t N>
  int constant_ints_into(int i, const char* what, std::array<std::int64_t, N>& into) const {
    const auto v = constant_ints(i, what);
    require(v.size() <= N, std::string(what) + " holds " + std::to_string(v.size()) + " values; at most " +
                               std::to_string(N) + " are supported");
    for (std::size_t k = 0; k < v.size(); ++k) into[k] = v[k];
    return static_cast<int>(v.size());
  }

  [[noreturn]] void unsupported_types() const {
    std::string s = "no kernel for these types: inputs";
    for (int i = 0; i < input_count(); ++i) s += " " + (has_input(i) ? type_text(input(i)) : std::string("(none)"));
    s += " -> outputs";
    for (int i = 0; i < output_count(); ++i) s += " " + type_text(output(i));
    fail(s);
  }

  void require_same_shape(const tensor& a, const tensor& b, const char* what) const {
    require(a.shape == b.shape, std::string(what) + ": shapes " + shape_text(a.shape) + " and " +
                                    shape_text(b.shape) + " differ");
  }

  void require_per_tensor(const tensor& t, const char* what) const {
    require(t.quant.quantized() && !t.quant.per_channel(),
            std::string(what) + " must be quantized per tensor, got " + type_text(t));
  }

 private:
  [[noreturn]] void fail_rule(const rule_result& r, int input_index, int output_index = 0) const {
    std::string s(rule_error_text(r.error));
    if (input_index >= 0) {
      s += "; input " + std::to_string(input_index) + " is " +
           (has_input(input_index) ? type_text(input(input_index)) : std::string("absent"));
    } else if (output_count() > output_index) {
      s += output_count() == 1 ? "; the output is " : "; output " + std::to_string(output_index) + " is ";
      s += type_text(output(output_index));
    }
    if (r.has_expected) s += ", expected " + type_text(r.expected);
    fail(s);
  }

  const model& model_;
  const operation& op_;
  numerics numerics_;
  kernels::target simd_;
  interpreter_services* services_;
};

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
