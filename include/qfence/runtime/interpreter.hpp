// qfence/runtime/interpreter.hpp: runs a runtime model.
//
// Construction does all the work that does not depend on input data: it
// checks that every operation is supported (and lists all that are not in one
// error), prepares each op's kernel (geometry, multipliers), and plans one
// arena with the same greedy planner as the compile-time path. invoke() then
// only runs kernels: no allocation, no checks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/invoke_status.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/graph/memory_plan.hpp"
#include "qfence/runtime/fold_constants.hpp"
#include "qfence/runtime/fold_pad.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/op_registry.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// A custom op implementation for the runtime path: prepare it like a builtin.
using custom_op_prepare = kernel (*)(const op_context&);

struct interpreter_options {
  numerics arithmetic = numerics::tflm;
  /// The SIMD target of every kernel, chosen once for the model; the default
  /// is kernels::default_target() (QFENCE_TARGET, else the best this CPU runs).
  /// kernels::target::reference() runs every layer on the reference kernels
  /// (the specification; slow), for comparisons and benchmarks.
  kernels::target target{};
  /// Custom op implementations by custom code. One named like a custom op
  /// qfence ships (CIRCULAR_BUFFER) replaces qfence's.
  std::map<std::string, custom_op_prepare> custom_ops;
  /// Fold each PAD that only feeds a VALID integer convolution into it
  /// (runtime/fold_pad.hpp: same outputs, bit for bit, without the padded
  /// copy). `qfence embed` folds the same ones.
  bool fold_pads = true;
};

/// One operation qfence cannot run, as `inspect` lists it.
struct unsupported_op {
  int index;
  int subgraph;  // 0: the main graph
  std::string name;
  std::int32_t source_code;  // the file's operator code
  int version;
  std::string reason;
};

/// Every operation of `m` that has no kernel here (builtin code, version, or
/// custom op without an implementation).
inline std::vector<unsupported_op> find_unsupported(const model& m, const interpreter_options& options = {}) {
  std::vector<unsupported_op> found;
  // The first tensor of `op` whose dtype qfence has no kernels for, if any.
  const auto foreign = [&](const operation& op) -> const tensor* {
    for (const auto* list : {&op.inputs, &op.outputs})
      for (int t : *list)
        if (t >= 0 && !m.tensors[static_cast<std::size_t>(t)].foreign_type.empty())
          return &m.tensors[static_cast<std::size_t>(t)];
    return nullptr;
  };
  for (int k = 0; k <= static_cast<int>(m.subgraphs.size()); ++k)
    for (const operation& op : m.operations_of(k)) {
      if (const tensor* t = foreign(op); t != nullptr && (!op.is_custom() || !options.custom_ops.contains(op.custom_code))) {
        found.push_back({op.index, k, op_name(op), op.source_code, op.version,
                         "reads or writes " + t->foreign_type + " tensor '" + printable(t->name) +
                             "', a dtype qfence does not run"});
        continue;
      }
      if (op.is_custom()) {
        if (!options.custom_ops.contains(op.custom_code) && find_shipped_custom_op(op) == nullptr)
          found.push_back(
              {op.index, k, op.custom_code, op.source_code, op.version, "custom op without an implementation"});
        continue;
      }
      const op_registration* r = find_registration(op.code);
      if (r == nullptr) {
        found.push_back({op.index, k, op_name(op), op.source_code, op.version, "op not supported"});
      } else if (op.version < 1 || op.version > r->max_version) {
        found.push_back({op.index, k, op_name(op), op.source_code, op.version,
                         "version not supported (1.." + std::to_string(r->max_version) + ")"});
      }
    }
  return found;
}

/// The one-line error for a list of unsupported operations: grouped by op,
/// with builtin code, version and node indices.
inline std::string describe_unsupported(const std::vector<unsupported_op>& ops) {
  // Group by (name, code, version, reason), keep first-seen order.
  struct group {
    const unsupported_op* first;
    std::vector<std::string> nodes;  // "3", or "3 of subgraph 1"
  };
  std::vector<group> groups;
  for (const auto& op : ops) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const group& g) {
      return g.first->name == op.name && g.first->source_code == op.source_code && g.first->version == op.version;
    });
    std::string node = std::to_string(op.index);
    if (op.subgraph > 0) node += " of subgraph " + std::to_string(op.subgraph);
    if (it == groups.end()) {
      groups.push_back({&op, {node}});
    } else {
      it->nodes.push_back(node);
    }
  }
  std::string s = std::to_string(ops.size()) + " unsupported operator" + (ops.size() == 1 ? "" : "s") + ": ";
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    s += (i ? "; " : "") + g.first->name + " (builtin " + std::to_string(g.first->source_code) + ", v" +
         std::to_string(g.first->version) + ", " + g.first->reason + ") at node" + (g.nodes.size() > 1 ? "s " : " ");
    for (std::size_t k = 0; k < g.nodes.size(); ++k) s += (k ? "," : "") + g.nodes[k];
  }
  return s;
}

/// Whether `op` runs on an application's implementation: a custom op that
/// interpreter_options::custom_ops names, or one qfence does not ship.
inline bool application_op(const operation& op, const interpreter_options& options) {
  return op.is_custom() && (options.custom_ops.contains(op.custom_code) || find_shipped_custom_op(op) == nullptr);
}

/// Calls between subgraphs (IF, WHILE, CALL_ONCE) must not loop back:
/// TFLM would recurse until its stack ran out.
inline void check_subgraph_calls(const model& m) {
  const int n = 1 + static_cast<int>(m.subgraphs.size());
  std::vector<int> state(static_cast<std::size_t>(n), 0);  // 0 new, 1 on the path, 2 done
  std::vector<std::string> path;
  auto visit = [&](auto&& self, int k) -> void {
    state[static_cast<std::size_t>(k)] = 1;
    for (const operation& op : m.operations_of(k))
      for (int c : called_subgraphs(op)) {
        if (c < 1 || c >= n) continue;  // the op's prepare names a missing subgraph
        path.push_back(operation_label(op) + " calls subgraph " + std::to_string(c));
        if (state[static_cast<std::size_t>(c)] == 1) {
          std::string chain;
          for (const auto& step : path) chain += (chain.empty() ? "" : "; ") + step;
          throw model_error("subgraphs call each other in a loop (" + chain +
                            "): a subgraph that runs itself would never end");
        }
        if (state[static_cast<std::size_t>(c)] == 0) self(self, c);
        path.pop_back();
      }
    state[static_cast<std::size_t>(k)] = 2;
  };
  for (int k = 0; k < n; ++k)
    if (state[static_cast<std::size_t>(k)] == 0) visit(visit, k);
}

/// Prepares every operation of every subgraph as TFLM does, in order, the
/// main graph first (the first ASSIGN_VARIABLE prepared sizes a variable),
/// handing each kernel to take(subgraph, kernel); then runs the checks that
/// need them all prepared. The application's custom ops are prepared only
/// when `application_ops` (`qfence embed` leaves them to the application).
template <class Take>
void prepare_operations(const model& m, const std::vector<std::vector<operation>>& graphs,
                        const interpreter_options& options, kernels::target target, interpreter_services& services,
                        bool application_ops, Take&& take) {
  check_subgraph_calls(m);
  for (std::size_t k = 0; k < graphs.size(); ++k)
    for (const operation& op : graphs[k]) {
      const op_context ctx(m, op, options.arithmetic, target, &services);
      if (!application_op(op, options)) {
        take(k, find_own_prepare(op)(ctx));  // find_unsupported left only ops qfence implements
      } else if (application_ops) {
        take(k, options.custom_ops.at(op.custom_code)(ctx));
      }
    }
  for (const auto& check : services.final_checks) check();
}

/// Runs the checks of every operation qfence implements (what the
/// interpreter's constructor does before planning memory), leaving the
/// application's custom ops aside: `qfence embed` refuses what the runtime
/// path would refuse, while those custom ops become requirements of the
/// generated graph.
inline void check_builtin_ops(const model& m, const interpreter_options& options = {}) {
  std::vector<unsupported_op> unsupported;
  for (const auto& u : find_unsupported(m, options))
    if (!m.operations_of(u.subgraph)[static_cast<std::size_t>(u.index)].is_custom()) unsupported.push_back(u);
  if (!unsupported.empty()) throw model_error(describe_unsupported(unsupported));
  const std::optional<model> folded = with_constants_folded(m);
  const model& run = folded ? *folded : m;
  interpreter_services services;  // its resource variables and checks, without running anything
  prepare_operations(run, graph_operations(run, options.fold_pads), options, options.target, services, false,
                     [](std::size_t, kernel&&) {});
}

/// Runs one model. It shares ownership of the model (whose file bytes hold
/// the weights the kernels read), so it never outlives it:
///   runtime::interpreter run(read_model_file(path));           // takes the model
///   runtime::interpreter a(shared), b(shared);                 // shares one
class interpreter {
 public:
  explicit interpreter(std::shared_ptr<const model> shared, interpreter_options options = {})
      : owner_(with_constants_folded(std::move(shared))),
        model_(checked(owner_)),
        target_(options.target.valid() ? options.target : kernels::default_target()),
        services_(std::make_unique<interpreter_services>()) {
    const model& m = model_;
    const auto unsupported = find_unsupported(m, options);
    if (!unsupported.empty()) throw model_error(describe_unsupported(unsupported));
    services_->invoke_subgraph = [this](int k) { return run_graph(static_cast<std::size_t>(k)); };
    const auto graphs = graph_operations(m, options.fold_pads);
    graphs_.resize(graphs.size());
    for (std::size_t k = 0; k < graphs.size(); ++k) graphs_[k].operations = graphs[k];
    prepare_operations(m, graphs, options, target_, *services_, true,
                       [&](std::size_t k, kernel&& kr) { graphs_[k].kernels.push_back(std::move(kr)); });
    plan();
  }

  explicit interpreter(model&& m, interpreter_options options = {})
      : interpreter(std::make_shared<const model>(std::move(m)), std::move(options)) {}

  interpreter(const interpreter&) = delete;
  interpreter& operator=(const interpreter&) = delete;

  const model& source() const noexcept { return model_; }
  /// The operations invoke runs, in order (the model's, less the PADs folded
  /// into the layer they fed): kernel k is operations()[k].
  const std::vector<operation>& operations() const noexcept { return graphs_[0].operations; }
  /// The target every kernel of this interpreter runs on (maybe
  /// kernels::target::reference()).
  kernels::target target() const noexcept { return target_; }

  int input_count() const noexcept { return static_cast<int>(model_.inputs.size()); }
  int output_count() const noexcept { return static_cast<int>(model_.outputs.size()); }
  const tensor& input_tensor(int i) const {
    return model_.tensors[static_cast<std::size_t>(model_.inputs.at(checked_index(i, input_count(), "input")))];
  }
  const tensor& output_tensor(int i) const {
    return model_.tensors[static_cast<std::size_t>(model_.outputs.at(checked_index(i, output_count(), "output")))];
  }

  /// Input i's bytes, to be written before invoke (they survive it).
  std::span<std::byte> input_bytes(int i) {
    const int t = model_.inputs.at(checked_index(i, input_count(), "input"));
    return {memory_.address[static_cast<std::size_t>(t)], model_.tensors[static_cast<std::size_t>(t)].bytes()};
  }
  /// Output i's bytes, valid after invoke.
  std::span<const std::byte> output_bytes(int i) const {
    const int t = model_.outputs.at(checked_index(i, output_count(), "output"));
    return {memory_.address[static_cast<std::size_t>(t)], model_.tensors[static_cast<std::size_t>(t)].bytes()};
  }

  /// Input i as elements of T, which must be its dtype's element type
  /// (std::int8_t for int8, float for float32, ...); a model_error says so
  /// otherwise.
  template <class T>
  std::span<T> input(int i) {
    expect_element<T>(input_tensor(i), "input", i);
    const auto b = input_bytes(i);
    return {detail::object_at<T>(b.data()), b.size() / sizeof(T)};
  }
  /// Output i as elements of T (checked as for input<T>).
  template <class T>
  std::span<const T> output(int i) const {
    expect_element<T>(output_tensor(i), "output", i);
    const auto b = output_bytes(i);
    return {detail::object_at<T>(b.data()), b.size() / sizeof(T)};
  }

  /// Runs the operations in order; ended_early when one ended the invoke
  /// (CIRCULAR_BUFFER between its periods): the outputs are then not this
  /// invoke's (core/invoke_status.hpp).
  invoke_status invoke() { return run_graph(0) ? invoke_status::completed : invoke_status::ended_early; }

  /// invoke(), with operations()[k]'s wall time in microseconds written to
  /// elapsed_us[k] (resized to the number of operations; 0 for those an early
  /// end skipped): per-layer figures for benchmarks. A subgraph an operation
  /// runs counts in that operation's time.
  invoke_status invoke_timed(std::vector<double>& elapsed_us) {
    const graph_program& g = graphs_[0];
    elapsed_us.assign(g.kernels.size(), 0.0);
    for (std::size_t k = 0; k < g.kernels.size(); ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      const bool go_on = run_kernel(g, k);
      elapsed_us[k] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      if (!go_on) return invoke_status::ended_early;
    }
    return invoke_status::completed;
  }

  /// invoke(), calling after_op(k) once operations()[k] has run: its
  /// outputs are then readable with tensor_bytes() (later operations may
  /// reuse their memory). Calibration and the debugger observe every
  /// tensor this way without keeping them all.
  template <class AfterOp>
  invoke_status invoke_observed(AfterOp&& after_op) {
    return invoke_observed([](std::size_t) {}, after_op);
  }

  /// invoke_observed, also calling before_op(k) just before operations()[k]
  /// runs, when its inputs (and the state it updates) are readable.
  template <class BeforeOp, class AfterOp>
  invoke_status invoke_observed(BeforeOp&& before_op, AfterOp&& after_op) {
    return invoke_observed_graphs(
        [&](std::size_t graph, std::size_t k) {
          if (graph == 0) before_op(k);
        },
        [&](std::size_t graph, std::size_t k) {
          if (graph == 0) after_op(k);
        });
  }

  /// invoke_observed over every subgraph: before_op(graph, k) and
  /// after_op(graph, k) around operation k of operations_of_graph(graph)
  /// (graph 0: the main graph) each time it runs: a WHILE body's operations
  /// once per iteration, an IF branch's when it is taken. Inside a
  /// subgraph, before_op(graph, 0) is when its inputs hold what the caller
  /// passed.
  template <class BeforeOp, class AfterOp>
  invoke_status invoke_observed_graphs(BeforeOp&& before_op, AfterOp&& after_op) {
    struct callbacks {
      BeforeOp& before;
      AfterOp& after;
    } c{before_op, after_op};
    observer_ = {&c, [](void* p, std::size_t g, std::size_t k) { static_cast<callbacks*>(p)->before(g, k); },
                 [](void* p, std::size_t g, std::size_t k) { static_cast<callbacks*>(p)->after(g, k); }};
    struct stop_observing {
      op_observer& o;
      ~stop_observing() { o = {}; }
    } stop{observer_};
    return run_graph(0) ? invoke_status::completed : invoke_status::ended_early;
  }

  /// The operations subgraph `graph` runs (0: operations()).
  const std::vector<operation>& operations_of_graph(std::size_t graph) const { return graphs_.at(graph).operations; }
  /// How many graphs the model has: the main one and its subgraphs.
  std::size_t graph_count() const noexcept { return graphs_.size(); }

  /// The bytes of tensor t where it lives: a constant's data, or its place
  /// in the arena, which holds its value from the operation that writes it
  /// until the last that reads it (the inputs' and outputs' for the whole
  /// invoke). Empty for a tensor no operation uses.
  std::span<const std::byte> tensor_bytes(int t) const {
    const std::size_t i = checked_index(t, static_cast<int>(model_.tensors.size()), "tensor");
    if (memory_.address[i] == nullptr) return {};
    return {memory_.address[i], model_.tensors[i].bytes()};
  }

  /// Puts every variable (e.g. SVDF state) back to its initial value: the
  /// model's data if it has some, else real zero (the zero point), as TFLM's
  /// ResetVariableTensors does; every resource variable to its default
  /// value (ResetAll); and the kernels' own state (CIRCULAR_BUFFER's count of
  /// invokes, as TFLM's Reset does; CALL_ONCE's "has run", which TFLM's
  /// Reset leaves set: qfence runs the init subgraph again, so that a reset
  /// model starts as a new one).
  void reset_variables() {
    for (const auto& reset : services_->resets) reset();
    services_->variables.reset_all();
    for (std::size_t t = 0; t < model_.tensors.size(); ++t) {
      const tensor& x = model_.tensors[t];
      if (!x.variable || memory_.address[t] == nullptr) continue;
      if (!x.data.empty()) {
        std::memcpy(memory_.address[t], x.data.data(), x.bytes());
      } else if (x.type == dtype::i8 || x.type == dtype::u8) {
        std::memset(memory_.address[t], x.quant.zero_point() & 0xFF, x.bytes());
      } else {
        std::memset(memory_.address[t], 0, x.bytes());  // int16 state has zero point 0; float 0 is all zero bits
      }
    }
  }

  /// Bytes of the activation arena (variables and inputs/outputs included).
  std::size_t arena_bytes() const noexcept { return arena_bytes_; }

 private:
  /// One subgraph as the interpreter runs it.
  struct typed_buffer {
    dtype type;
    std::byte* address;
    std::size_t elements;
  };
  struct graph_program {
    std::vector<operation> operations;
    std::vector<kernel> kernels;
    std::vector<std::vector<typed_buffer>> outputs_of;  // what each kernel begins before it runs
  };

  /// Plans one arena: each subgraph's tensors in a region of their own
  /// (a subgraph may run while its caller's tensors are live), each region
  /// planned like the main graph. Steps: 0 = inputs written, k + 1 =
  /// operation k, n + 1 = outputs read.
  void plan() {
    const std::size_t count = model_.tensors.size();
    std::vector<buffer_request> requests(count);
    std::vector<std::size_t> offsets(count, 0);
    std::vector<bool> used(count, false);
    arena_bytes_ = 0;
    for (std::size_t k = 0; k < graphs_.size(); ++k) {
      const graph_program& g = graphs_[k];
      const auto [lo, hi] = model_.tensor_range_of(static_cast<int>(k));
      const int end = static_cast<int>(g.operations.size()) + 1;
      auto touch = [&](int t, int step) {
        auto& r = requests[static_cast<std::size_t>(t)];
        if (!used[static_cast<std::size_t>(t)]) {
          r.first = r.last = step;
          used[static_cast<std::size_t>(t)] = true;
        }
        r.first = std::min(r.first, step);
        r.last = std::max(r.last, step);
      };
      // Inputs stay valid for the whole invoke, so that an application may
      // write them once and invoke repeatedly (as with TFLite's input
      // tensors); a subgraph's inputs are written by its caller before it runs.
      for (int t : model_.inputs_of(static_cast<int>(k))) {
        touch(t, 0);
        touch(t, end);
      }
      for (std::size_t i = 0; i < g.operations.size(); ++i) {
        const int step = static_cast<int>(i) + 1;
        for (int t : g.operations[i].inputs)
          if (t >= 0) touch(t, step);
        for (int t : g.operations[i].outputs) touch(t, step);
      }
      for (int t : model_.outputs_of(static_cast<int>(k))) touch(t, end);
      for (std::size_t t = lo; t < hi; ++t) {
        const tensor& x = model_.tensors[t];
        if (x.variable || x.unwritten) {  // state, or a scratch tensor no operation writes (zeroed once)
          touch(static_cast<int>(t), 0);
          touch(static_cast<int>(t), end);
        }
        requests[t].bytes = (used[t] && !x.constant) ? x.bytes() : 0;
      }
      // Plan [lo, hi) alone, then place the region after the earlier ones.
      const std::size_t n = hi - lo;
      std::vector<buffer_request> region(requests.begin() + static_cast<std::ptrdiff_t>(lo),
                                         requests.begin() + static_cast<std::ptrdiff_t>(hi));
      std::vector<std::size_t> region_offsets(n), order(n), by_offset(n);
      const std::size_t bytes = plan_memory_into(n, region, region_offsets, order, by_offset).arena_bytes;
      for (std::size_t i = 0; i < n; ++i) offsets[lo + i] = arena_bytes_ + region_offsets[i];
      arena_bytes_ += bytes;
      if (k + 1 < graphs_.size()) arena_bytes_ = align_up(arena_bytes_);  // the next region starts aligned
    }

    storage_.assign(arena_bytes_ + arena_alignment, std::byte{0});
    auto base = reinterpret_cast<std::uintptr_t>(storage_.data());
    auto* arena = storage_.data() + (align_up(base) - base);
    memory_.address.assign(count, nullptr);
    for (std::size_t t = 0; t < count; ++t) {
      const tensor& x = model_.tensors[t];
      if (x.constant) {
        memory_.address[t] = const_cast<std::byte*>(x.data.data());  // kernels only read constants
      } else if (requests[t].bytes > 0) {
        memory_.address[t] = arena + offsets[t];
      }
    }
    // What invoke begins before each kernel: its arena outputs (a variable
    // keeps its value across invokes, so its array lives on).
    for (graph_program& g : graphs_) {
      g.outputs_of.assign(g.operations.size(), {});
      for (std::size_t i = 0; i < g.operations.size(); ++i)
        for (int t : g.operations[i].outputs) {
          const tensor& x = model_.tensors[static_cast<std::size_t>(t)];
          std::byte* at = memory_.address[static_cast<std::size_t>(t)];
          if (at != nullptr && !x.variable)
            g.outputs_of[i].push_back({x.type, at, static_cast<std::size_t>(x.elements())});
        }
    }
    reset_variables();
  }

  /// Runs subgraph k's kernels in order; false when one ended the invoke.
  bool run_graph(std::size_t k) {
    const graph_program& g = graphs_[k];
    if (observer_.self != nullptr) {  // invoke_observed_graphs
      for (std::size_t i = 0; i < g.kernels.size(); ++i) {
        observer_.before(observer_.self, k, i);
        const bool go_on = run_kernel(g, i);
        observer_.after(observer_.self, k, i);
        if (!go_on) return false;
      }
      return true;
    }
    for (std::size_t i = 0; i < g.kernels.size(); ++i)
      if (!run_kernel(g, i)) return false;
    return true;
  }

  /// Runs kernel i of `g`; false when it ended the invoke.
  bool run_kernel(const graph_program& g, std::size_t i) {
    // Each output begins as an array of its element type before the kernel
    // writes it, so bytes another dtype used earlier carry no object
    // (core/typed_storage.hpp; no code is emitted for this).
    for (const typed_buffer& b : g.outputs_of[i]) detail::begin_lifetime_as(b.type, b.address, b.elements);
    g.kernels[i](memory_);
    if (!memory_.end_invoke) return true;
    memory_.end_invoke = false;
    return false;
  }

  static const model& checked(const std::shared_ptr<const model>& m) {
    if (m == nullptr) throw model_error("runtime::interpreter: no model (null pointer)");
    return *m;
  }
  static std::size_t checked_index(int i, int count, const char* what) {
    if (i < 0 || i >= count)
      throw model_error(std::string("runtime::interpreter: ") + what + " " + std::to_string(i) +
                        " does not exist; the model has " + std::to_string(count) + " " + what + "s");
    return static_cast<std::size_t>(i);
  }
  template <class T>
  static void expect_element(const tensor& x, const char* what, int i) {
    if (!holds_element<T>(x.type))
      throw model_error(std::string("runtime::interpreter: ") + what + " " + std::to_string(i) + " ('" +
                        printable(x.name) + "') is " + std::string(name(x.type)) + " " + shape_text(x.shape) +
                        "; " + what + "<T>(" + std::to_string(i) + ") needs T = " + std::string(element_name(x.type)));
  }

  std::shared_ptr<const model> owner_;
  const model& model_;
  kernels::target target_;
  // Kernels keep pointers into the services (resource variables) and call
  // run_graph through them: the interpreter neither copies nor moves.
  std::unique_ptr<interpreter_services> services_;
  std::vector<graph_program> graphs_;  // [0]: the main graph; [k]: model::subgraphs[k - 1]
  // invoke_observed_graphs' callbacks while it runs (subgraphs run through
  // run_graph from their callers' kernels, so the observer lives here).
  struct op_observer {
    void* self = nullptr;
    void (*before)(void*, std::size_t, std::size_t) = nullptr;
    void (*after)(void*, std::size_t, std::size_t) = nullptr;
  } observer_;
  tensor_memory memory_;
  std::vector<std::byte> storage_;
  std::size_t arena_bytes_ = 0;
};

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
