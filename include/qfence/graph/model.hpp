// qfence/graph/model.hpp: the compile-time typed graph.
//
// `qfence::graph(node0, node1, ...)` returns a model; `.outputs(ref<i>...)`
// declares which nodes are its outputs, in order. At compile time the model
//   1. resolves every node's input types from its producers and checks them
//      with the node's type rule (the first failing check is the one error the
//      user sees; nodes downstream of an error are not checked again),
//   2. lowers fences: inserts DEQUANTIZE where a fenced node reads a quantized
//      producer and QUANTIZE where a fenced node's float output meets
//      quantized consumers,
//   3. plans the arena (`arena_bytes` is a constant): inputs and outputs keep
//      their own bytes for the whole invoke, other tensors share,
// and `invoke(arena)` runs the nodes in order without allocating, on a
// `qfence::arena<M>` or `qfence::arena_view<M>` of this very model type.
//
// Nodes with SIMD kernels have a prepared form (their typed<>::prepared):
// what the kernel reads, packed once when the model is constructed (at
// compile time for a constexpr model; `qfence embed` writes it packed), and
// their run takes it and the SIMD target. invoke(arena) runs on
// kernels::default_target(), invoke(arena, target) on a chosen one
// (kernels/target.hpp); either way the target is fixed for the whole invoke.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/hana/at.hpp>
#include <boost/hana/tuple.hpp>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/invoke_status.hpp"
#include "qfence/core/tensor_type.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/graph/arena.hpp"
#include "qfence/graph/custom_op.hpp"
#include "qfence/graph/fence.hpp"
#include "qfence/graph/input.hpp"
#include "qfence/graph/memory_plan.hpp"
#include "qfence/graph/state.hpp"
#include "qfence/kernels/target.hpp"
#include "qfence/kernels/dispatch.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Stands for the output of a node that failed its checks, so that its
/// consumers are not checked against a type that does not exist.
struct invalid_tensor {
  static constexpr dtype type = dtype::f32;
  using shape_type = shape<0>;
  using quant = no_quant;
  using element = float;
  static constexpr std::size_t rank = 0;
  static constexpr std::int64_t elements = 0;
  static constexpr std::size_t bytes = 0;
};

/// The outputs of a model, as `.outputs(ref<i>...)` declared them.
template <int... Nodes> struct declared_outputs {};
/// No declaration: the one node nobody reads is the output.
struct inferred_outputs {};

/// Context of the error for a model whose outputs must be declared: the
/// nodes that nobody reads.
template <int... Nodes> struct nodes_read_by_no_one {};

/// Outputs declared before the nodes: qfence::graph(declare_outputs<R...>,
/// nodes...) is graph(nodes...).outputs(ref<R>...) without the model of
/// inferred outputs in between, which is a second type of every node's
/// member functions. For generated graphs of hundreds of nodes (qfence
/// embed) that doubled the compiler's work; by hand, .outputs reads better.
///   constexpr auto g = qfence::graph(qfence::declare_outputs<1>, qfence::input<In>(), qfence::relu(qfence::ref<0>));
template <int... Nodes> inline constexpr declared_outputs<Nodes...> declare_outputs{};

namespace detail {

/// The checks of a declaration of outputs R... on a graph of NodeCount nodes.
template <int NodeCount, int... R>
constexpr bool check_declared_outputs() {
  static_assert(sizeof...(R) > 0, "qfence: declared outputs (.outputs(ref<i>...) or declare_outputs<i...>) need at least one node");
  static_assert((check<(R < NodeCount), operand<R>> && ...),
                "qfence: declared outputs (.outputs(ref<i>...) or declare_outputs<i...>) name a node the graph does not "
                "have (see operand<index> above)");
  return true;
}

template <class N> struct fence_out { using type = no_fence_output; };
template <class I, class O> struct fence_out<fence_node<I, O>> { using type = O; };

/// The tensor a fence's QUANTIZE border writes: the island's float output
/// shape, with the dtype and quantization the fence declared.
template <class Main, class Out> struct quantized_border { using type = Main; };
template <class Main, class Q, dtype... D> struct quantized_border<Main, out_t<Q, D...>> {
  using type = tensor<out_t<Q, D...>::type, typename Main::shape_type, Q>;
};

/// Whether a node's output lives across invokes: a state node's (reset_state
/// calls its reset), and the register of an op that keeps one as its output
/// (CIRCULAR_BUFFER: reset_state sets it to real zero).
template <class N, class = void> struct keeps_output : is_state_node<N> {};
template <class N>
struct keeps_output<N, std::enable_if_t<N::keeps_output>> : std::true_type {};

template <class Typed, class = void> struct scratch_of : std::integral_constant<std::size_t, 0> {};
template <class Typed>
struct scratch_of<Typed, std::void_t<decltype(Typed::scratch_bytes)>>
    : std::integral_constant<std::size_t, Typed::scratch_bytes> {};

/// What the model stores for a node: its typed<>::prepared (built from the
/// node when the model is) if it has one and type-checked, else the node.
template <class Typed, class Node, bool Valid, class = void>
struct prepared_form {
  using type = Node;
};
template <class Typed, class Node>
struct prepared_form<Typed, Node, true, std::void_t<typename Typed::prepared>> {
  using type = typename Typed::prepared;
};
}  // namespace detail

/// Which buffer of a node: its own output, the quantized copy a fence writes
/// at its border, the dequantized copy a quantized node gives a fence, or the
/// node's scratch space.
enum class buffer_kind : int { main = 0, quantized = 1, dequantized = 2, scratch = 3 };

template <class Outputs, class... Nodes>
class model {
 public:
  static constexpr int node_count = static_cast<int>(sizeof...(Nodes));
  template <int I> using node_t = std::tuple_element_t<static_cast<std::size_t>(I), std::tuple<Nodes...>>;

  constexpr explicit model(Nodes... nodes)
      : model(std::make_integer_sequence<int, static_cast<int>(sizeof...(Nodes))>{}, nodes...) {}

  /// The same graph with outputs declared: output K of the model is node
  /// R_K's output. Nodes that are neither outputs nor read by another node
  /// still run, but adding or removing one never renumbers the outputs.
  template <int... R>
  constexpr auto outputs(node_ref<R>...) const {
    static_assert(std::is_same_v<Outputs, inferred_outputs>, "qfence: .outputs(...) is declared once per graph");
    static_assert(detail::check_declared_outputs<node_count, R...>());
    return boost::hana::unpack(nodes_, [](auto... n) { return model<declared_outputs<R...>, Nodes...>(n...); });
  }

 private:
  static constexpr int N = node_count;
  static constexpr std::array<bool, N> fenced{is_fence_v<Nodes>...};
  static constexpr std::array<bool, N> has_fence_out{
      !std::is_same_v<typename detail::fence_out<Nodes>::type, no_fence_output>...};
  static constexpr std::array<bool, N> is_input{detail::is_input_node<Nodes>::value...};
  static constexpr std::array<bool, N> is_state{detail::is_state_node<Nodes>::value...};
  static constexpr std::array<bool, N> persists{detail::keeps_output<Nodes>::value...};

  // Who reads node p: readers[p] holds, for fenced (1) and unfenced (0)
  // readers, whether any exists and the last one. Built from the edges in
  // one pass, so that it stays cheap for graphs of hundreds of nodes (the
  // constexpr evaluators count every step).
  struct reader_info {
    bool any[2] = {false, false};
    int last[2] = {-1, -1};
  };
  static constexpr auto readers = [] {
    std::array<reader_info, N> r{};
    int c = 0;
    auto mark = [&](const auto& indices) {
      for (int p : indices)
        if (p >= 0 && p < c) {
          const int f = fenced[static_cast<std::size_t>(c)] ? 1 : 0;
          r[static_cast<std::size_t>(p)].any[f] = true;
          r[static_cast<std::size_t>(p)].last[f] = c;  // nodes are visited in order
        }
      ++c;
    };
    (mark(Nodes::inputs::indices), ...);
    return r;
  }();
  static constexpr bool consumed_by(int p, bool by_fenced) {
    return readers[static_cast<std::size_t>(p)].any[by_fenced ? 1 : 0];
  }
  static constexpr bool is_sink(int p) { return !consumed_by(p, true) && !consumed_by(p, false); }

  // ---- outputs ------------------------------------------------------------
  // Declared: the list given to .outputs(). Inferred: the nodes nobody reads
  // (other than inputs and state); using them needs there to be exactly one.
  static constexpr bool outputs_declared = !std::is_same_v<Outputs, inferred_outputs>;
  template <class O> struct output_list {
    static constexpr std::array<int, 0> nodes{};
  };
  template <int... R> struct output_list<declared_outputs<R...>> {
    static constexpr std::array<int, sizeof...(R)> nodes{R...};
  };
  /// The indices of the nodes for which `pred(i)` holds, in order, and their count.
  template <class Pred>
  static constexpr std::pair<std::array<int, N>, int> nodes_where(Pred pred) {
    std::array<int, N> a{};
    int k = 0;
    for (int i = 0; i < N; ++i)
      if (pred(i)) a[static_cast<std::size_t>(k++)] = i;
    return {a, k};
  }
  static constexpr auto unread_nodes = nodes_where([](int i) {
    return is_sink(i) && !is_input[static_cast<std::size_t>(i)] && !is_state[static_cast<std::size_t>(i)];
  });
  static constexpr auto output_nodes = [] {
    if constexpr (outputs_declared) {
      std::array<int, N> a{};
      int k = 0;
      for (int r : output_list<Outputs>::nodes) a[static_cast<std::size_t>(k++)] = r;
      return std::pair{a, k};
    } else {
      return unread_nodes;
    }
  }();
  static constexpr bool is_output(int p) {
    for (int k = 0; k < output_nodes.second; ++k)
      if (output_nodes.first[static_cast<std::size_t>(k)] == p) return true;
    return false;
  }

  template <int I> struct resolved;

  /// What node R's output looks like to a consumer inside (or outside) a fence.
  template <int R, bool ConsumerFenced>
  static constexpr auto view_of() {
    using P = resolved<R>;
    if constexpr (ConsumerFenced) {
      if constexpr (!fenced[R] && P::main::quant::quantized) return std::type_identity<typename P::dequantized>{};
      else return std::type_identity<typename P::main>{};
    } else {
      if constexpr (fenced[R] && has_fence_out[R]) return std::type_identity<typename P::quantized>{};
      else return std::type_identity<typename P::main>{};
    }
  }
  template <int R, bool ConsumerFenced>
  using view = typename decltype(view_of<R, ConsumerFenced>())::type;

  template <int I, class Refs> struct resolve_impl;
  template <int I, int... R>
  struct resolve_impl<I, refs<R...>> {
    using node = node_t<I>;
    static constexpr bool is_fenced = fenced[I];
    static constexpr bool refs_ok = [] {
      static_assert((check<(R < I), at_node<I, typename node::op>, operand<R>> && ...),
                    "qfence: this node consumes a node that is not written before it (see operand<index> above: "
                    "the producer's index). Nodes may only consume earlier nodes, so graphs are acyclic. fix: "
                    "reorder the nodes or correct the ref<...>");
      return ((R < I) && ...);
    }();
    /// A reference usable for type computations even when it is wrong (the
    /// error above is the one the user sees; nothing else may fail after it).
    template <int Ref> static constexpr int safe = (Ref >= 0 && Ref < I) ? Ref : 0;

    static constexpr auto compute() {
      if constexpr (!refs_ok) {
        return std::type_identity<invalid_tensor>{};
      } else if constexpr (!(resolved<safe<R>>::valid && ...)) {
        return std::type_identity<invalid_tensor>{};
      } else if constexpr (!node::template validate<I, view<safe<R>, is_fenced>...>()) {
        return std::type_identity<invalid_tensor>{};
      } else {
        return std::type_identity<typename node::template typed<I, view<safe<R>, is_fenced>...>::output>{};
      }
    }
    using main = typename decltype(compute())::type;
    static constexpr bool valid = !std::is_same_v<main, invalid_tensor>;
    using typed = typename node::template typed<I, view<safe<R>, is_fenced>...>;  // use only when valid

    /// Whether this island was entered from quantized code, i.e. its float
    /// output is a stand-in for a quantized tensor.
    static constexpr bool island_in_quantized_graph =
        is_fenced && (((!fenced[safe<R>] && resolved<safe<R>>::main::quant::quantized) ||
                       (fenced[safe<R>] && resolved<safe<R>>::island_in_quantized_graph)) ||
                      ...);
  };

  template <int I>
  struct resolved : resolve_impl<I, typename node_t<I>::inputs> {
    using base = resolve_impl<I, typename node_t<I>::inputs>;
    using main = typename base::main;
    using dequantized = retyped<main, dtype::f32>;
    using out_spec = typename detail::fence_out<node_t<I>>::type;
    using quantized = typename detail::quantized_border<main, out_spec>::type;
    static constexpr bool fence_out_ok = [] {
      if constexpr (base::valid && fenced[I] && !has_fence_out[I]) {
        constexpr bool ok = !(base::island_in_quantized_graph && consumed_by(I, false));
        static_assert(check<ok, at_node<I, typename node_t<I>::op>, producer<main>>,
                      "qfence: fence without output parameters: this fenced node's float output feeds a quantized "
                      "node outside the fence, so the fence must say how to quantize it. fix: "
                      "qfence::fence(node, qfence::out<qfence::per_tensor<scale, zero_point>>)");
        return ok;
      } else {
        return true;
      }
    }();
    static constexpr bool valid = base::valid && fence_out_ok;
  };

  // ---- buffers and the memory plan --------------------------------------
  static constexpr int slots = 4 * N;
  static constexpr int slot(int node, buffer_kind k) { return 4 * node + static_cast<int>(k); }

  // Which border copies a node has; public because the public type aliases
  // below name them (access is checked where an alias is used).
 public:
  /// Node I is fenced and its float output is quantized for code outside the fence.
  template <int I>
  static constexpr bool needs_quantized() {
    return fenced[I] && has_fence_out[I] && (consumed_by(I, false) || is_output(I));
  }
  /// Node I is quantized and a fenced node reads a float copy of it.
  template <int I>
  static constexpr bool needs_dequantized() {
    return !fenced[I] && consumed_by(I, true) && resolved<I>::main::quant::quantized;
  }

 private:
  template <int I>
  static constexpr std::size_t scratch_bytes_of() {
    if constexpr (resolved<I>::valid && !is_input[I]) return detail::scratch_of<typename resolved<I>::typed>::value;
    else return 0;
  }

  static constexpr int last_reader(int p, bool fenced_readers) {
    const int last = readers[static_cast<std::size_t>(p)].last[fenced_readers ? 1 : 0];
    return last > p ? last : p;
  }

  template <int I>
  static constexpr void request(std::array<buffer_request, slots>& r) {
    const int end = N;  // graph outputs stay alive to the end
    // Inputs are written before invoke; state lives across invokes; inputs
    // keep their bytes to the end unless the application let them go.
    const int first = (is_input[I] || persists[I]) ? 0 : I;
    const bool kept_input = is_input[I] && !detail::is_overwritable_input<node_t<I>>::value;
    const bool sink = is_output(I) || persists[I];
    // main: read by the consumers that see it directly, and by this node's border copies.
    int main_last = I;
    if (fenced[I]) main_last = std::max(main_last, last_reader(I, true));
    else if (!needs_dequantized<I>()) main_last = std::max(main_last, last_reader(I, true));
    if (!fenced[I] || !has_fence_out[I]) main_last = std::max(main_last, last_reader(I, false));
    // A kept input's bytes are the application's (a fenced input's too:
    // the quantized copy is the model's).
    if ((sink && !needs_quantized<I>()) || kept_input) main_last = end;
    r[slot(I, buffer_kind::main)] = {resolved<I>::main::bytes, first, main_last};
    if constexpr (needs_quantized<I>())
      r[slot(I, buffer_kind::quantized)] = {resolved<I>::quantized::bytes, I, sink ? end : last_reader(I, false)};
    if constexpr (needs_dequantized<I>())
      r[slot(I, buffer_kind::dequantized)] = {resolved<I>::dequantized::bytes, I, last_reader(I, true)};
    r[slot(I, buffer_kind::scratch)] = {scratch_bytes_of<I>(), I, I};
  }

  static constexpr auto requests = [] {
    std::array<buffer_request, slots> r{};
    [&]<int... I>(std::integer_sequence<int, I...>) { (request<I>(r), ...); }(std::make_integer_sequence<int, N>{});
    return r;
  }();
  static constexpr auto plan = plan_memory(requests);

  // ---- inputs and outputs -------------------------------------------------
  static constexpr auto input_nodes = nodes_where([](int i) { return is_input[static_cast<std::size_t>(i)]; });

 public:
  /// True when every node passed its type rule (otherwise the compiler has
  /// reported the first error).
  static constexpr bool valid = [] {
    return [&]<int... I>(std::integer_sequence<int, I...>) {
      return (resolved<I>::valid && ...);
    }(std::make_integer_sequence<int, N>{});
  }();

  /// Bytes of working memory inference needs; a compile-time constant.
  static constexpr std::size_t arena_bytes = plan.arena_bytes;
  /// What the arena would take if no two buffers shared memory.
  static constexpr std::size_t naive_arena_bytes = plan.naive_bytes;
  static constexpr bool plan_sound = plan_is_sound(requests, plan);

  /// Where buffer `k` of node `node` lives in the arena, and its lifetime.
  static constexpr std::size_t offset_of(int node, buffer_kind k) noexcept {
    return plan.offset[static_cast<std::size_t>(slot(node, k))];
  }
  static constexpr buffer_request buffer(int node, buffer_kind k) noexcept {
    return requests[static_cast<std::size_t>(slot(node, k))];
  }

  static constexpr int input_count = input_nodes.second;
  static constexpr int output_count = output_nodes.second;
  template <int K> static constexpr int input_node_index = input_nodes.first[static_cast<std::size_t>(K)];
  template <int K> static constexpr int output_node_index = output_nodes.first[static_cast<std::size_t>(K)];

  /// Output K's node, once the outputs are known: declared, or the single
  /// node nobody reads.
  template <int K>
  static constexpr int checked_output_node() {
    static_assert(K >= 0 && K < output_count, "qfence: output<K>: K is not an output index of this model");
    if constexpr (!outputs_declared) {
      constexpr bool one = unread_nodes.second == 1;
      static_assert(
          check<one, decltype([]<std::size_t... k>(std::index_sequence<k...>) {
                  return nodes_read_by_no_one<unread_nodes.first[k]...>{};
                }(std::make_index_sequence<static_cast<std::size_t>(unread_nodes.second)>{}))>,
          "qfence: this graph's outputs are not declared and several nodes are read by no other node (listed in "
          "nodes_read_by_no_one<...> above), so which is output K is ambiguous. fix: declare them, in order: "
          "qfence::graph(...).outputs(qfence::ref<i>, qfence::ref<j>)");
    }
    return output_node_index<K>;
  }

  /// The type of node I's output as stored (float inside a fence), and where
  /// it lives in the arena (`arena.node_output<I>()`).
  template <int I> using node_output_type = typename resolved<I>::main;
  template <int I> static constexpr std::size_t node_output_offset = offset_of(I, buffer_kind::main);
  template <int K> using input_type = typename resolved<input_node_index<K>>::main;
  template <int K>
  using output_type = std::conditional_t<needs_quantized<checked_output_node<K>()>(),
                                         typename resolved<output_node_index<K>>::quantized,
                                         typename resolved<output_node_index<K>>::main>;

  /// Where input K and output K live in the arena (what `arena.input<K>()`
  /// and `arena.output<K>()` use).
  template <int K> static constexpr std::size_t input_offset = offset_of(input_node_index<K>, buffer_kind::main);
  template <int K>
  static constexpr bool input_overwritable = detail::is_overwritable_input<node_t<input_node_index<K>>>::value;
  template <int K>
  static constexpr std::size_t output_offset =
      offset_of(checked_output_node<K>(),
                needs_quantized<output_node_index<K>>() ? buffer_kind::quantized : buffer_kind::main);

  /// Sets every state tensor (e.g. SVDF's memory, CIRCULAR_BUFFER's
  /// register and count) to its initial value. Call it before the first
  /// invoke and to start a new sequence; invoke() itself carries state from
  /// one call to the next.
  template <class Arena>
  void reset_state(Arena&& arena) const noexcept {
    std::byte* memory = memory_of(arena);
    [&]<int... I>(std::integer_sequence<int, I...>) {
      auto one = [&]<int J>() {
        if constexpr (persists[J]) {
          using T = typename resolved<J>::main;
          auto* buffer = begin<typename T::element>(memory, J, buffer_kind::main, T::elements);
          if constexpr (is_state[J]) boost::hana::at_c<J>(nodes_).reset(buffer);
          else detail::fill_real_zero<T>(buffer);  // an op's register (CIRCULAR_BUFFER), as TFLM resets variables
        }
      };
      (one.template operator()<I>(), ...);
    }(std::make_integer_sequence<int, N>{});
  }

  /// Runs the graph on `arena`, a `qfence::arena<M>` or `qfence::arena_view<M>`
  /// of this model type M, whose inputs have been written. ended_early when
  /// a node ended the invoke (CIRCULAR_BUFFER between its periods): the
  /// outputs are then not this invoke's (core/invoke_status.hpp).
  template <class Arena>
  invoke_status invoke(Arena&& arena) const {
    return run_all<false>(memory_of(arena), kernels::default_target(), {});
  }

  /// invoke on SIMD target `t` (kernels::target_named, usable_targets).
  template <class Arena>
  invoke_status invoke(Arena&& arena, kernels::target t) const noexcept {
    return run_all<false>(memory_of(arena), t, {});
  }

  /// invoke on target `t`, calling `after_node(i, op_name)` as soon as node
  /// i has run (input nodes run nothing and are not reported): to time the
  /// nodes one by one (`scripts/embed-run --layers`), or to look at a
  /// tensor while its bytes are still its own.
  template <class Arena, class Observer>
  invoke_status invoke_observed(Arena&& arena, kernels::target t, Observer&& after_node) const {
    using O = std::remove_reference_t<Observer>;
    return run_all<false>(memory_of(arena), t,
                   node_observer{const_cast<void*>(static_cast<const void*>(std::addressof(after_node))),
                                 [](void* o, int node, const char* op) { (*static_cast<O*>(o))(node, op); }});
  }

  /// Node I as it was written: its constants and options (what
  /// qfence::quantize reads from a float model).
  template <int I>
  constexpr const node_t<I>& node() const noexcept {
    return boost::hana::at_c<I>(nodes_);
  }
  /// What the model keeps for node I: its prepared form (a layer's packed
  /// SIMD data beside it), or the node itself.
  template <int I>
  using prepared_t = typename detail::prepared_form<typename resolved<I>::typed, node_t<I>, resolved<I>::valid>::type;

  /// Like `invoke`, but fills every buffer with a poison pattern as soon as its
  /// last reader has run: a plan that let a live tensor share bytes with
  /// another, or a kernel that read a dead buffer, changes the outputs.
  template <class Arena>
  invoke_status invoke_poisoning_dead_buffers(Arena&& arena,
                                              kernels::target t = kernels::default_target()) const noexcept {
    return run_all<true>(memory_of(arena), t, {});
  }

 private:
  template <int... I>
  constexpr model(std::integer_sequence<int, I...>, Nodes... nodes)
      : nodes_(nodes...), prepared_(prepared_t<I>(nodes)...) {}

  template <class Seq> struct stored_tuple;
  template <int... I> struct stored_tuple<std::integer_sequence<int, I...>> {
    using type = boost::hana::tuple<prepared_t<I>...>;
  };

  boost::hana::tuple<Nodes...> nodes_;
  typename stored_tuple<std::make_integer_sequence<int, N>>::type prepared_;

  /// The arena's bytes, once the arena is known to be this model's.
  template <class Arena>
  static std::byte* memory_of(Arena& arena) noexcept {
    using A = std::remove_cvref_t<Arena>;
    if constexpr (std::is_same_v<arena_model_t<A>, void>) {
      static_assert(check<false, A>,
                    "qfence: invoke/reset_state take the model's arena: qfence::arena<M> or qfence::arena_view<M> "
                    "with M = decltype(net) (a raw pointer carries no size, so it is not accepted)");
      return nullptr;
    } else {
      static_assert(check<std::is_same_v<arena_model_t<A>, model>, A>,
                    "qfence: this arena was made for another model: its size and layout are that model's. fix: "
                    "qfence::arena<decltype(net)> (or arena_view<decltype(net)>) for the net you invoke");
      static_assert(!std::is_const_v<std::remove_reference_t<Arena>>, "qfence: invoke needs a non-const arena");
      return arena.data();
    }
  }

  /// Node `node`'s buffer `k`, as the T array its writer began there.
  template <class T>
  static T* at(std::byte* arena, int node, buffer_kind k) noexcept {
    return detail::object_at<T>(arena + offset_of(node, k));
  }
  /// Begins node `node`'s buffer `k` as an array of `count` T, for its writer.
  template <class T>
  static T* begin(std::byte* arena, int node, buffer_kind k, std::int64_t count) noexcept {
    return detail::begin_lifetime<T>(arena + offset_of(node, k), static_cast<std::size_t>(count));
  }

  template <int R, bool ConsumerFenced>
  static auto input_pointer(std::byte* arena) noexcept {
    using T = view<R, ConsumerFenced>;
    buffer_kind k = buffer_kind::main;
    if constexpr (ConsumerFenced && !fenced[R] && resolved<R>::main::quant::quantized) k = buffer_kind::dequantized;
    if constexpr (!ConsumerFenced && fenced[R] && has_fence_out[R]) k = buffer_kind::quantized;
    return static_cast<const typename T::element*>(at<typename T::element>(arena, R, k));
  }

  /// Runs node I; false when it ended the invoke (a node whose run returns
  /// bool: CIRCULAR_BUFFER).
  template <int I, int... R>
  bool run_node(std::byte* arena, kernels::target t, refs<R...>) const noexcept {
    using typed = typename resolved<I>::typed;
    using out_t = typename resolved<I>::main;
    // A persistent output keeps its array (begun by reset_state) and values.
    auto* out = persists[I] ? at<typename out_t::element>(arena, I, buffer_kind::main)
                            : begin<typename out_t::element>(arena, I, buffer_kind::main, out_t::elements);
    // A node with a prepared form runs on it and the SIMD target.
    const auto call = [&](auto... scratch) {
      if constexpr (requires { typename typed::prepared; }) {
        return typed::run(boost::hana::at_c<I>(prepared_), t, input_pointer<R, fenced[I]>(arena)..., out,
                          scratch...);
      } else {
        return typed::run(boost::hana::at_c<I>(nodes_), input_pointer<R, fenced[I]>(arena)..., out, scratch...);
      }
    };
    const auto go_on = [](auto&& run) {
      if constexpr (std::is_same_v<decltype(run()), bool>) {
        return run();
      } else {
        run();
        return true;
      }
    };
    if constexpr (requires { typed::scratch_bytes; }) {  // the kernel takes a scratch pointer (maybe unused)
      return go_on([&] {
        return call(static_cast<void*>(
            begin<std::byte>(arena, I, buffer_kind::scratch, static_cast<std::int64_t>(scratch_bytes_of<I>()))));
      });
    } else {
      return go_on([&] { return call(); });
    }
  }

  /// Runs node I and its border copies; false when it ended the invoke.
  template <int I>
  bool step(std::byte* arena, kernels::target t) const noexcept {
    if constexpr (resolved<I>::valid && !is_input[I]) {
      if (!run_node<I>(arena, t, typename node_t<I>::inputs{})) return false;
    }
    if constexpr (needs_quantized<I>()) {
      using Q = typename resolved<I>::quantized;
      kernels::quantize(t, Q::elements, at<float>(arena, I, buffer_kind::main), Q::quant::scale, Q::quant::zero_point,
                        begin<typename Q::element>(arena, I, buffer_kind::quantized, Q::elements));
    }
    if constexpr (needs_dequantized<I>()) {
      using M = typename resolved<I>::main;
      kernels::dequantize(t, M::elements, at<typename M::element>(arena, I, buffer_kind::main), M::quant::scale,
                          M::quant::zero_point, begin<float>(arena, I, buffer_kind::dequantized, M::elements));
    }
    return true;
  }

  static void poison_dead(std::byte* arena, int step_index) noexcept {
    for (int s = 0; s < slots; ++s) {
      const buffer_request& r = requests[static_cast<std::size_t>(s)];
      if (r.bytes != 0 && r.last == step_index && r.last < N)
        std::memset(arena + plan.offset[static_cast<std::size_t>(s)], 0xA5, r.bytes);
    }
  }

  /// invoke_observed's callable behind one function pointer (none for
  /// invoke), so that every invoke shares one instantiation of the node
  /// sequence: a second one, per observer type, inlined every kernel again
  /// (Clang took 4 s longer over MobileNetV2).
  struct node_observer {
    void* observer = nullptr;
    void (*call)(void*, int, const char*) = nullptr;
  };

  /// Tells the observer, if any, that node I has run (not for input nodes).
  template <int I>
  static void report(const node_observer& after_node) {
    if constexpr (!is_input[I])
      if (after_node.call != nullptr)
        after_node.call(after_node.observer, I, static_cast<const char*>(node_t<I>::op::name));
  }

  /// Runs node I, tells the observer, poisons what died; false when node I
  /// ended the invoke.
  template <bool Poison, int I>
  bool run_step(std::byte* arena, kernels::target t, const node_observer& after_node) const {
    const bool go_on = step<I>(arena, t);
    report<I>(after_node);
    if constexpr (Poison) poison_dead(arena, I);
    return go_on;
  }

  template <bool Poison>
  invoke_status run_all(std::byte* arena, kernels::target t, const node_observer& after_node) const {
    // && stops at the first node that ends the invoke; for a graph with no
    // such node every step returns a constant true and nothing is tested.
    const bool completed = [&]<int... I>(std::integer_sequence<int, I...>) {
      return (run_step<Poison, I>(arena, t, after_node) && ...);
    }(std::make_integer_sequence<int, N>{});
    return completed ? invoke_status::completed : invoke_status::ended_early;
  }
};

namespace detail {
/// The model M of `nodes`, its every node's checks forced now, where the
/// user wrote the graph (not where it is first invoked).
template <class M, class... Nodes>
constexpr M checked_model(Nodes... nodes) {
  [[maybe_unused]] constexpr bool valid = M::valid;
  return M(nodes...);
}
}  // namespace detail

/// Build a model from nodes; node i may consume nodes 0..i-1 via ref<j>.
/// Declare its outputs with `.outputs(ref<i>...)` (optional when exactly
/// one node is read by no other).
template <class... Nodes>
constexpr auto graph(Nodes... nodes) {
  return detail::checked_model<model<inferred_outputs, Nodes...>>(nodes...);
}

/// The same, with the outputs declared first (see declare_outputs).
template <int... R, class... Nodes>
constexpr auto graph(declared_outputs<R...>, Nodes... nodes) {
  static_assert(detail::check_declared_outputs<static_cast<int>(sizeof...(Nodes)), R...>());
  return detail::checked_model<model<declared_outputs<R...>, Nodes...>>(nodes...);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
