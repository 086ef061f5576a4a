// qfence/quant/node_tree.hpp: the nodes of a model described in C++ and of
// the models its if_ and while_ nodes run, numbered as one table: what
// calibrate_graph observes and qfence::quantize reads ranges from.
//
//   constexpr auto m = qf::graph(qf::input<C>(), qf::input<X>(),                  // tree nodes 0, 1
//                                qf::if_(qf::ref<0>, then_branch, else_branch, qf::ref<1>),  // 2
//                                qf::control_flow_output<decltype(then_branch), 0>(qf::ref<2>));  // 3
//   // then_branch's nodes: 4, 5, ...; else_branch's after them.
//
// A model's own nodes come first, by node index; then, node by node, the
// models each one runs (if_: then, else; while_: cond, body), each with
// its own nodes first and the models they run after them, and so on. A
// model that runs nothing numbers its nodes as it always has, so a ranges
// table written before control flow was calibrated still fits it.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/ops/control_flow.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// The models node N runs (if_: then and else; while_: cond and body):
/// `count` of them, model K's type `type<K>`, its object in a node
/// `get<K>(node)` and its role `role(K)`. None for another node (CALL_ONCE
/// runs its model once, outside calibration: resource variables are not
/// quantized).
template <class N>
struct called_models {
  static constexpr int count = 0;
  template <int K> using type = void;  // none (named by code that loops over no K)
};
template <class Then, class Else, int Cond, int... In>
struct called_models<if_node<Then, Else, Cond, In...>> {
  static constexpr int count = 2;
  template <int K> using type = std::conditional_t<K == 0, Then, Else>;
  template <int K>
  static constexpr const type<K>& get(const if_node<Then, Else, Cond, In...>& n) {
    if constexpr (K == 0) return n.then_branch;
    else return n.else_branch;
  }
  static constexpr const char* role(int k) { return k == 0 ? "then-branch" : "else-branch"; }
};
template <class Cond, class Body, int... In>
struct called_models<while_node<Cond, Body, In...>> {
  static constexpr int count = 2;
  template <int K> using type = std::conditional_t<K == 0, Cond, Body>;
  template <int K>
  static constexpr const type<K>& get(const while_node<Cond, Body, In...>& n) {
    if constexpr (K == 0) return n.cond;
    else return n.body;
  }
  static constexpr const char* role(int k) { return k == 0 ? "cond" : "body"; }
};

template <class M> constexpr std::size_t tree_size();

// (Recursion by function templates, not generic lambdas over packs: Clang
// 14 instantiates such a lambda's pattern for an empty pack too.)
namespace detail::node_tree {

template <class M, int I>
using called_of = called_models<typename M::template node_t<I>>;

/// The rows of the models node I of M runs, those before model K.
template <class M, int I, int K = called_of<M, I>::count>
constexpr std::size_t called_size() {
  if constexpr (K == 0) return 0;
  else return called_size<M, I, K - 1>() + tree_size<typename called_of<M, I>::template type<K - 1>>();
}

/// M's own rows and those of the models its nodes J... run.
template <class M, int... J>
constexpr std::size_t rows_through(std::integer_sequence<int, J...>) {
  return (static_cast<std::size_t>(M::node_count) + ... + called_size<M, J>());
}

template <class M, class Visit>
constexpr void visit_tree(std::size_t first, Visit& visit);

template <class M, int I, int K, class Visit>
constexpr void visit_called(std::size_t first, Visit& visit);

template <class M, class Visit, int... I>
constexpr void visit_nodes(std::size_t first, Visit& visit, std::integer_sequence<int, I...>) {
  (visit.template operator()<M, I>(first + static_cast<std::size_t>(I)), ...);
  (visit_called<M, I, 0>(first, visit), ...);
}

template <class M, class Visit>
constexpr void visit_tree(std::size_t first, Visit& visit) {
  visit_nodes<M>(first, visit, std::make_integer_sequence<int, M::node_count>{});
}

}  // namespace detail::node_tree

/// How many rows model M's table has: its nodes, and those of every model
/// its nodes run, recursively.
template <class M>
constexpr std::size_t tree_size() {
  return detail::node_tree::rows_through<M>(std::make_integer_sequence<int, M::node_count>{});
}

/// Where the rows of model K of node I of M start, from M's first row.
template <class M, int I, int K>
constexpr std::size_t called_model_row() {
  return detail::node_tree::rows_through<M>(std::make_integer_sequence<int, I>{}) +
         detail::node_tree::called_size<M, I, K>();
}

namespace detail::node_tree {
/// Models K, K + 1, ... of node I of M (rows from `first`, M's first row).
template <class M, int I, int K, class Visit>
constexpr void visit_called(std::size_t first, Visit& visit) {
  if constexpr (K < called_of<M, I>::count) {
    visit_tree<typename called_of<M, I>::template type<K>>(first + called_model_row<M, I, K>(), visit);
    visit_called<M, I, K + 1>(first, visit);
  }
}
}  // namespace detail::node_tree

/// Calls `visit.template operator()<Model, I>(row)` for every node I of
/// model M (first row `first`) and of every model they run: M's own
/// nodes first, then each called model's, as the table orders its rows.
template <class M, class Visit>
constexpr void for_each_tree_node(std::size_t first, Visit&& visit) {
  detail::node_tree::visit_tree<M>(first, visit);
}

/// Row `row` of model M's table in words: "node 3", or "node 1 of node
/// 3's then-branch" (nested: "node 0 of node 2's body of node 3's
/// then-branch").
template <class M>
std::string tree_node_label(std::size_t row) {
  std::string label = "row " + std::to_string(row) + " (past the table)";
  if (row < static_cast<std::size_t>(M::node_count)) return "node " + std::to_string(row);
  // The rows of node I's models, model by model: the one holding `row`.
  for_each_tree_node<M>(0, [&]<class Model, int I>(std::size_t) {
    if constexpr (std::is_same_v<Model, M>) {
      using C = called_models<typename M::template node_t<I>>;
      if constexpr (C::count > 0) {
        const auto in = [&]<int K>() {
          using Sub = typename C::template type<K>;
          const std::size_t first = called_model_row<M, I, K>();
          if (row >= first && row < first + tree_size<Sub>())
            label = tree_node_label<Sub>(row - first) + " of node " + std::to_string(I) + "'s " + C::role(K);
        };
        in.template operator()<0>();
        in.template operator()<1>();
      }
    }
  });
  return label;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
