// qfence/quant/called_model_replay.hpp: the models an if_ or while_ node
// runs, run again on the values the node read, with every node's output
// shown to a visitor as it is computed: how calibrate_graph observes them
// and debug_graph compares them (the runtime path's
// interpreter::invoke_observed_graphs, for a model described in C++).
//
//   quant::replay_called<M, M, I>(net.template node<I>(), arena, 0, visit);
//   // visit.template operator()<Model, J>(row, arena_of_model): node J of a
//   // model the node runs (the branch taken; cond and body at every
//   // iteration) has just run; `row` is its row (quant/node_tree.hpp).
//
// A model an if_ or while_ runs keeps no state (ops/control_flow.hpp), so
// running it again on the same values gives the same outputs; it runs in
// an arena of its own, on the heap: this is calibration and debugging, not
// inference. The node's operands are read from the caller's arena, whose
// bytes are theirs until a later node runs.
//
// Rows: the models run are numbered as model `Rows` numbers them, a model
// of the same tree shape as `M` or with fewer control flow nodes (the
// float model whose int8 model, with some if_ fenced, is replayed: a
// fenced if_ is a fence node, which runs nothing here).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/invoke_status.hpp"
#include "qfence/graph/arena.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/ops/control_flow.hpp"
#include "qfence/quant/node_tree.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

namespace detail::replay {

template <class M, class Rows, class Visit>
bool run_called(const M& net, qfence::arena<M>& a, std::size_t first, Visit& visit);

/// After node I of M ran in `a`: shown to `visit`, and the models it runs
/// (an if_ or while_) replayed.
template <class M, class Rows, int I, class Visit>
void after_node(const M& net, const qfence::arena<M>& a, std::size_t first, Visit& visit);

/// Model K of node I of M, as Rows numbers its rows.
template <class Rows, int I, int K>
using rows_of_called = typename called_models<typename Rows::template node_t<I>>::template type<K>;

}  // namespace detail::replay

/// Runs the branch if_ node n (node I of M, run in `a`) took again on the
/// values it read; its nodes shown to `visit` (rows from `first`, M's).
template <class M, class Rows, int I, class Then, class Else, int Cond, int... In, class Visit>
void replay_called(const if_node<Then, Else, Cond, In...>& n, const qfence::arena<M>& a, std::size_t first,
                   Visit& visit) {
  const auto run = [&]<int K, class B>(const B& branch) {
    auto b = std::make_unique<qfence::arena<B>>();
    [&]<int... k>(std::integer_sequence<int, k...>) {
      ((std::memcpy(b->template input<k>().data(), a.template node_output<In>().data(), B::template input_type<k>::bytes)),
       ...);
    }(std::make_integer_sequence<int, static_cast<int>(sizeof...(In))>{});
    detail::replay::run_called<B, detail::replay::rows_of_called<Rows, I, K>>(
        branch, *b, first + called_model_row<Rows, I, K>(), visit);
  };
  if (a.template node_output<Cond>()[0]) run.template operator()<0>(n.then_branch);
  else run.template operator()<1>(n.else_branch);
}

/// Runs while_ node n's loop (node I of M, run in `a`) again from the
/// values it read; its cond and body shown to `visit` at every iteration.
template <class M, class Rows, int I, class Cond, class Body, int... In, class Visit>
void replay_called(const while_node<Cond, Body, In...>& n, const qfence::arena<M>& a, std::size_t first,
                   Visit& visit) {
  // The loop values packed as the node packs them (ops/control_flow.hpp).
  namespace cf = qfence::detail::control_flow;
  using P = cf::packed_outputs_of<Body>;
  std::vector<std::byte> values(P::bytes);
  cf::pack<Body>(values.data(), a.template node_output<In>().data()...);
  auto c = std::make_unique<qfence::arena<Cond>>();
  auto b = std::make_unique<qfence::arena<Body>>();
  while (true) {
    cf::write_inputs<Cond, P>(*c, values.data());
    if (!detail::replay::run_called<Cond, detail::replay::rows_of_called<Rows, I, 0>>(
            n.cond, *c, first + called_model_row<Rows, I, 0>(), visit) ||
        !c->template output<0>()[0])
      return;
    cf::write_inputs<Body, P>(*b, values.data());
    if (!detail::replay::run_called<Body, detail::replay::rows_of_called<Rows, I, 1>>(
            n.body, *b, first + called_model_row<Rows, I, 1>(), visit))
      return;
    cf::read_outputs<Body>(*b, values.data());
  }
}

namespace detail::replay {

template <class M, class Rows, int I, class Visit>
void after_node(const M& net, const qfence::arena<M>& a, std::size_t first, Visit& visit) {
  visit.template operator()<M, I>(first + static_cast<std::size_t>(I), a);
  if constexpr (called_models<typename M::template node_t<I>>::count > 0)
    replay_called<M, Rows, I>(net.template node<I>(), a, first, visit);
}

/// Runs model `net` (one an if_ or while_ runs) in `a`, its inputs written:
/// inputs shown as written, every other node as soon as it has run. false
/// when the invoke ended early.
template <class M, class Rows, class Visit>
bool run_called(const M& net, qfence::arena<M>& a, std::size_t first, Visit& visit) {
  [&]<int... K>(std::integer_sequence<int, K...>) {
    (visit.template operator()<M, M::template input_node_index<K>>(first + M::template input_node_index<K>, a), ...);
  }(std::make_integer_sequence<int, M::input_count>{});
  const invoke_status s = net.invoke_observed(a, kernels::default_target(), [&](int node, const char*) {
    [&]<int... I>(std::integer_sequence<int, I...>) {
      ((node == I ? after_node<M, Rows, I>(net, a, first, visit) : void()), ...);
    }(std::make_integer_sequence<int, M::node_count>{});
  });
  return s == invoke_status::completed;
}

}  // namespace detail::replay

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
