// qfence/runtime/ops/control_flow.hpp: the ops that run other subgraphs (IF,
// WHILE, CALL_ONCE) and the resource variables (VAR_HANDLE, READ_VARIABLE,
// ASSIGN_VARIABLE), as TFLM's kernels do (if.cc, while.cc, call_once.cc,
// var_handle.cc, read_variable.cc, assign_variable.cc).
//
// A called subgraph runs on the interpreter's one address table: its inputs
// are copied in from the op's tensors and its outputs copied out, as TFLM's
// CopyOpInputsToSubgraphInputs and CopySubgraphOutputsToOpOutputs do. What
// TFLM checks at invoke (counts, byte sizes) qfence checks when it prepares,
// and it also requires the dtypes to match, so invoke never fails.
//
// Resource handles are resolved when the ops are prepared: READ_VARIABLE and
// ASSIGN_VARIABLE must read a handle that a VAR_HANDLE of their own subgraph
// writes (what converters emit), so that each kernel holds its variable. A
// handle passed in from another subgraph is refused by name.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/control_flow.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

namespace control_flow_detail {

/// One byte copy between two tensors of the same size, by index.
struct tensor_copy {
  int from, to;
  std::size_t bytes;
};

inline void run_copies(const std::vector<tensor_copy>& copies, const tensor_memory& m) {
  for (const tensor_copy& c : copies)
    if (m.address[static_cast<std::size_t>(c.from)] != m.address[static_cast<std::size_t>(c.to)])
      std::memcpy(m.address[static_cast<std::size_t>(c.to)], m.address[static_cast<std::size_t>(c.from)], c.bytes);
}

/// Subgraph `k` as `what` names it ("then_subgraph_index"): it must exist
/// and not be the main graph.
inline void require_subgraph(const op_context& ctx, int k, const char* what) {
  const int count = 1 + static_cast<int>(ctx.graph().subgraphs.size());
  ctx.require(k >= 1 && k < count, std::string(what) + " is " + std::to_string(k) + "; the model's subgraphs are 1.." +
                                       std::to_string(count - 1) + " (0, the main graph, cannot be called)");
}

/// Copies tensors `from` to `to`, pairwise; both lists must have the same
/// length and each pair the same dtype, size and quantization (`what`
/// names them).
inline std::vector<tensor_copy> pair_up(const op_context& ctx, const std::vector<int>& from, const std::vector<int>& to,
                                        const std::string& what) {
  ctx.require(from.size() == to.size(), what + ": " + std::to_string(from.size()) + " tensors for " +
                                            std::to_string(to.size()));
  std::vector<tensor_copy> copies;
  for (std::size_t i = 0; i < from.size(); ++i) {
    ctx.require(from[i] >= 0 && to[i] >= 0, what + ": tensor " + std::to_string(i) + " is missing");
    const tensor& a = ctx.graph().tensors[static_cast<std::size_t>(from[i])];
    const tensor& b = ctx.graph().tensors[static_cast<std::size_t>(to[i])];
    ctx.require(passes_as(describe(a), describe(b)), what + ": tensor " + std::to_string(i) + " is " +
                                                                type_text(a) + ", its counterpart " + type_text(b) +
                                                                " (they must have one dtype, size and quantization: the bytes are copied, not requantized)");
    copies.push_back({from[i], to[i], a.bytes()});
  }
  return copies;
}

/// The op's inputs from `first` on.
inline std::vector<int> inputs_from(const op_context& ctx, int first) {
  return {ctx.op().inputs.begin() + first, ctx.op().inputs.end()};
}

/// Runs subgraph k; false (and the invoke ends) when an op in it ended it.
inline bool call(const std::function<bool(int)>& invoke, int k, const tensor_memory& m) {
  if (invoke(k)) return true;
  m.end_invoke = true;
  return false;
}

/// The variable the handle input `i` names: the handle must be written by
/// a VAR_HANDLE of the op's own subgraph. -1 when ops are only checked.
inline int resolve_handle(const op_context& ctx, int i) {
  const int handle = ctx.input_index(i);
  const tensor& h = ctx.input(i);
  ctx.require((h.resource || h.type == dtype::i32) && h.elements() == 1,
              "input " + std::to_string(i) + " (the resource handle) must be a single RESOURCE or i32 value, got " +
                  type_text(h));
  for (const operation& o : ctx.graph().operations_of(ctx.op().subgraph))
    for (int t : o.outputs)
      if (t == handle) {
        ctx.require(o.code == op_code::var_handle, "input " + std::to_string(i) + " (the resource handle) is written by " +
                                                       operation_label(o) + ", not by a VAR_HANDLE");
        if (ctx.services() == nullptr) return -1;
        return ctx.services()->variables.id_of(o.options.has_container, o.options.container, o.options.shared_name);
      }
  ctx.fail("input " + std::to_string(i) + " (the resource handle) comes from outside this subgraph; qfence resolves "
           "handles when it prepares the ops, so each READ_VARIABLE and ASSIGN_VARIABLE needs a VAR_HANDLE of its own "
           "subgraph (as converters write them)");
}

}  // namespace control_flow_detail

/// IF: input 0 a single bool; the others go to then_subgraph (true) or
/// else_subgraph, whose outputs become the op's.
inline kernel prepare_if(const op_context& ctx) {
  using namespace control_flow_detail;
  ctx.require(ctx.input_count() >= 1, "takes a condition (input 0), the model gives no inputs");
  const tensor& cond = ctx.input(0);
  ctx.require(is_condition(describe(cond), true), "input 0 (the condition) must be a single bool, got " + type_text(cond));
  const int then_k = ctx.options().then_subgraph, else_k = ctx.options().else_subgraph;
  require_subgraph(ctx, then_k, "then_subgraph_index");
  require_subgraph(ctx, else_k, "else_subgraph_index");
  const model& m = ctx.graph();
  const std::vector<int> args = inputs_from(ctx, 1);
  std::vector<tensor_copy> in[2], out[2];
  const int branch[2] = {else_k, then_k};
  for (int b = 0; b < 2; ++b) {
    const std::string name = "subgraph " + std::to_string(branch[b]) + (b ? " (then)" : " (else)");
    in[b] = pair_up(ctx, args, m.inputs_of(branch[b]), "the inputs after the condition and " + name + "'s inputs");
    if (!m.outputs_of(branch[b]).empty())  // TFLM copies nothing back from a branch without outputs
      out[b] = pair_up(ctx, m.outputs_of(branch[b]), ctx.op().outputs, name + "'s outputs and the op's outputs");
  }
  if (ctx.services() == nullptr) return {};
  const int cond_t = ctx.input_index(0);
  const auto invoke = ctx.services()->invoke_subgraph;
  return [=](const tensor_memory& mem) {
    const int b = mem.at<const bool>(cond_t)[0] ? 1 : 0;
    run_copies(in[b], mem);
    if (!call(invoke, branch[b], mem)) return;
    run_copies(out[b], mem);
  };
}

/// WHILE: the op's outputs start as its inputs; while cond_subgraph's
/// output 0 (a bool) is true on them, body_subgraph maps them to new ones.
inline kernel prepare_while(const op_context& ctx) {
  using namespace control_flow_detail;
  const int cond_k = ctx.options().cond_subgraph, body_k = ctx.options().body_subgraph;
  require_subgraph(ctx, cond_k, "cond_subgraph_index");
  require_subgraph(ctx, body_k, "body_subgraph_index");
  const model& m = ctx.graph();
  const std::vector<int>& ins = ctx.op().inputs;
  const std::vector<int>& outs = ctx.op().outputs;
  const std::string cond_name = "subgraph " + std::to_string(cond_k) + " (cond)";
  const std::string body_name = "subgraph " + std::to_string(body_k) + " (body)";
  const auto inputs_to_outputs = pair_up(ctx, ins, outs, "the op's inputs and outputs");
  const auto inputs_to_cond = pair_up(ctx, ins, m.inputs_of(cond_k), "the op's inputs and " + cond_name + "'s inputs");
  const auto outputs_to_cond = pair_up(ctx, outs, m.inputs_of(cond_k), "the op's outputs and " + cond_name + "'s inputs");
  const auto outputs_to_body = pair_up(ctx, outs, m.inputs_of(body_k), "the op's outputs and " + body_name + "'s inputs");
  const auto body_to_outputs = pair_up(ctx, m.outputs_of(body_k), outs, body_name + "'s outputs and the op's outputs");
  ctx.require(!m.outputs_of(cond_k).empty(), cond_name + " has no output (it must give a bool)");
  const int cond_out = m.outputs_of(cond_k)[0];
  const tensor& c = m.tensors[static_cast<std::size_t>(cond_out)];
  ctx.require(is_condition(describe(c), false), cond_name + "'s output 0 must be a bool, got " + type_text(c));
  if (ctx.services() == nullptr) return {};
  const auto invoke = ctx.services()->invoke_subgraph;
  return [=](const tensor_memory& mem) {
    run_copies(inputs_to_cond, mem);
    run_copies(inputs_to_outputs, mem);
    if (!call(invoke, cond_k, mem)) return;
    while (mem.at<const bool>(cond_out)[0]) {
      run_copies(outputs_to_body, mem);
      if (!call(invoke, body_k, mem)) return;
      run_copies(body_to_outputs, mem);
      run_copies(outputs_to_cond, mem);
      if (!call(invoke, cond_k, mem)) return;
    }
  };
}

/// CALL_ONCE: runs init_subgraph on the first invoke (and the first after
/// reset_variables(), which qfence resets with the variables; TFLM's Reset
/// leaves it run).
inline kernel prepare_call_once(const op_context& ctx) {
  using namespace control_flow_detail;
  ctx.require_io(0, 0, 0);
  const int init_k = ctx.options().init_subgraph;
  require_subgraph(ctx, init_k, "init_subgraph_index");
  if (ctx.services() == nullptr) return {};
  auto has_run = std::make_shared<bool>(false);
  ctx.on_reset([has_run] { *has_run = false; });
  const auto invoke = ctx.services()->invoke_subgraph;
  return [=](const tensor_memory& mem) {
    if (*has_run) return;
    if (!call(invoke, init_k, mem)) return;
    *has_run = true;
  };
}

/// VAR_HANDLE: writes the id of the variable its options name.
inline kernel prepare_var_handle(const op_context& ctx) {
  ctx.require_io(0, 0, 1);
  const tensor& out = ctx.output(0);
  ctx.require((out.resource || out.type == dtype::i32) && out.elements() == 1,
              "the output (the resource handle) must be a single RESOURCE or i32 value, got " + type_text(out));
  if (ctx.services() == nullptr) return {};
  const int id = ctx.services()->variables.id_of(ctx.options().has_container, ctx.options().container,
                                                  ctx.options().shared_name);
  const int out_t = ctx.output_index(0);
  return [=](const tensor_memory& mem) { mem.at<std::int32_t>(out_t)[0] = id; };
}

/// ASSIGN_VARIABLE: input 0 the handle, input 1 the value, copied into the
/// variable (the first one prepared gives the variable its size and
/// default value).
inline kernel prepare_assign_variable(const op_context& ctx) {
  using namespace control_flow_detail;
  ctx.require_io(2, 2, 0);
  const int id = resolve_handle(ctx, 0);
  const tensor& value = ctx.input(1);
  if (id < 0) return {};
  resource_variables& vars = ctx.services()->variables;
  // TFLM memsets the int8 cast of the value's zero point into every byte.
  const auto default_byte = static_cast<std::uint8_t>(value.quant.zero_points.empty() ? 0 : value.quant.zero_point());
  vars.allocate(id, value.bytes(), default_byte, ctx.label());
  resource_variable& v = vars.at(id);
  ctx.require(v.value.size() == value.bytes(), "writes " + std::to_string(value.bytes()) + " bytes (" +
                                                   type_text(value) + ") into variable " + v.label() + ", which " +
                                                   v.allocated_by + " made " + std::to_string(v.value.size()) +
                                                   " bytes");
  const int value_t = ctx.input_index(1);
  std::byte* dst = v.value.data();
  const std::size_t bytes = v.value.size();
  return [=](const tensor_memory& mem) {
    if (bytes != 0) std::memcpy(dst, mem.address[static_cast<std::size_t>(value_t)], bytes);
  };
}

/// READ_VARIABLE: input 0 the handle; the output gets the variable's value.
inline kernel prepare_read_variable(const op_context& ctx) {
  using namespace control_flow_detail;
  ctx.require_io(1, 1, 1);
  const int id = resolve_handle(ctx, 0);
  if (id < 0) return {};
  resource_variables& vars = ctx.services()->variables;
  resource_variable* v = &vars.at(id);
  const tensor& out = ctx.output(0);
  const std::string label = ctx.label(), out_text = type_text(out);
  const std::size_t bytes = out.bytes();
  // Whether an ASSIGN_VARIABLE sized it is known once all are prepared.
  ctx.after_all_prepared([=] {
    if (!v->allocated)
      throw model_error(label + ": reads variable " + v->label() + ", which no ASSIGN_VARIABLE of the model writes");
    if (v->value.size() != bytes)
      throw model_error(label + ": its output is " + out_text + " (" + std::to_string(bytes) + " bytes), variable " +
                        v->label() + " holds " + std::to_string(v->value.size()) + " bytes (made by " +
                        v->allocated_by + ")");
  });
  const int out_t = ctx.output_index(0);
  return [=](const tensor_memory& mem) {
    if (bytes != 0) std::memcpy(mem.address[static_cast<std::size_t>(out_t)], v->value.data(), bytes);
  };
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END
