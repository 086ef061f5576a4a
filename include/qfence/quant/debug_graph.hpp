// qfence/quant/debug_graph.hpp: where a model described in C++ loses
// accuracy once quantized, layer by layer: `qfence debug` for the
// compile-time path.
//
// qfence::quantize keeps node indices, so node i of the float model and
// node i of its int8 model are the same layer: no matching is needed. Both
// run on the same samples; each node's output in the int8 model
// (dequantized) is compared with the float model's as it is computed, with
// the statistics `qfence debug` reports (quant/layer_error.hpp). A node the
// int8 model computes in float (in a fence) is marked fenced: its error is
// what reached it from upstream.
//
// The models an if_ or while_ runs are compared too, node by node, each
// time they run (called_model_replay.hpp): the k-th output of a node there
// in the int8 model with its k-th in the float model, as `qfence debug`
// pairs the writes of a subgraph's tensor (a while_ body at every
// iteration; a branch where both models took it). A row of the float
// model's table (quant/node_tree.hpp) each, after the model's own nodes;
// an if_ or while_ the int8 model keeps float (a fence) runs nothing
// compared.
//
// Memory: one sample's outputs of the int8 model's nodes, held while the
// float model runs on the same sample (those of a loop's body, once per
// iteration); nothing grows with the samples.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "qfence/graph/arena.hpp"
#include "qfence/graph/input.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/ops/quantize.hpp"
#include "qfence/quant/called_model_replay.hpp"
#include "qfence/quant/layer_error.hpp"
#include "qfence/quant/node_tree.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// Runs `float_model` and `quantized` (qfence::quantize of it) on `count`
/// samples; `fill(k, arena)` writes sample k's inputs into the float
/// model's arena and returns why the sample cannot be used, if it cannot.
/// The int8 model gets the same inputs, quantized with its parameters.
/// Returns one layer_error per node with a real-valued output (inputs
/// excepted), in node order: `op_index` is the node, `op` its op's name;
/// then one per such node of the models if_ and while_ nodes run that the
/// two models both ran, in row order (`name`: "node 1 of node 3's
/// then-branch"; `subgraph`: the called model's number, 1, 2, ... in row
/// order; `op_index`: the node in it).
namespace detail::debug_graph {
/// The values of a node's output of type T in real numbers, into `into`:
/// dequantized if T is quantized per tensor, else as they are.
template <class T, class Values>
void real_values(const Values& values, std::vector<float>& into) {
  into.resize(values.size());
  for (std::size_t e = 0; e < values.size(); ++e) {
    if constexpr (T::quant::quantized && !T::quant::is_per_channel)
      into[e] = T::quant::scale * static_cast<float>(static_cast<int>(values[e]) - T::quant::zero_point);
    else
      into[e] = static_cast<float>(values[e]);
  }
}
}  // namespace detail::debug_graph

template <class F, class Q, class Fill>
std::vector<layer_error> debug_graph(const F& float_model, const Q& quantized, std::size_t count, Fill&& fill) {
  // qfence::float_io appends output nodes after the float model's.
  static_assert(F::node_count <= Q::node_count,
                "quant::debug_graph(float_model, quantized, ...): quantized must be qfence::quantize of float_model "
                "(it has fewer nodes)");
  constexpr int N = F::node_count;
  auto reference = std::make_unique<qfence::arena<F>>();
  auto candidate = std::make_unique<qfence::arena<Q>>();
  std::array<layer_error_sums, N> sums{};
  std::array<std::vector<float>, N> held;  // one sample's dequantized outputs of `quantized`
  std::array<const char*, N> op_names{};
  bool quantized_graph = false;  // a float node is a fence only in a graph with quantized ones

  // Node I's output in real values, as the kernels left it.
  const auto real_output = [&]<int I>(std::vector<float>& into) {
    detail::debug_graph::real_values<typename Q::template node_output_type<I>>(candidate->template node_output<I>(), into);
  };
  const auto real_valued = []<int I>() {
    using T = typename F::template node_output_type<I>;
    return T::type == dtype::f32 && !qfence::detail::is_input_node<typename F::template node_t<I>>::value;
  };
  const auto for_node = [&](int node, auto&& body) {
    [&]<int... I>(std::integer_sequence<int, I...>) {
      ((node == I ? body.template operator()<I>() : void()), ...);
    }(std::make_integer_sequence<int, N>{});
  };
  [&]<int... I>(std::integer_sequence<int, I...>) {
    ((quantized_graph |= Q::template node_output_type<I>::quant::quantized), ...);
  }(std::make_integer_sequence<int, N>{});

  // The nodes of the models if_ and while_ nodes run: by row, what each
  // writes and how the int8 model holds it (its first run tells), and its
  // outputs in the int8 model this sample, run after run.
  constexpr std::size_t rows = tree_size<F>();
  struct called_node {
    std::string op;
    int node = 0;
    dtype type = dtype::f32;
    float scale = 0;
    std::int32_t zero_point = 0;
    std::optional<value_bounds> bounds;
    bool seen = false;
    layer_error_sums sums;
    std::vector<std::vector<float>> runs;  // this sample's, in the int8 model
    std::size_t compared = 0;              // this sample's runs compared so far
  };
  std::vector<called_node> called(rows);
  const auto quantized_called_node = [&]<class Model, int J>(std::size_t row, const qfence::arena<Model>& a) {
    using T = typename Model::template node_output_type<J>;
    constexpr bool real = (T::type == dtype::f32 || (T::quant::quantized && !T::quant::is_per_channel &&
                                                     (T::type == dtype::i8 || T::type == dtype::i16)));
    if constexpr (real && !qfence::detail::is_input_node<typename Model::template node_t<J>>::value) {
      called_node& c = called[row];
      if (!c.seen) {
        c.seen = true;
        c.op = Model::template node_t<J>::op::name;
        c.node = J;
        c.type = T::type;
        if constexpr (T::quant::quantized) {
          c.scale = T::quant::scale;
          c.zero_point = T::quant::zero_point;
          c.bounds = representable_range(T::type, T::quant::scale, T::quant::zero_point);
        }
      }
      detail::debug_graph::real_values<T>(a.template node_output<J>(), c.runs.emplace_back());
    }
  };
  const auto float_called_node = [&]<class Model, int J>(std::size_t row, const qfence::arena<Model>& a) {
    using T = typename Model::template node_output_type<J>;
    if constexpr (T::type == dtype::f32 && !qfence::detail::is_input_node<typename Model::template node_t<J>>::value) {
      called_node& c = called[row];
      if (c.compared >= c.runs.size()) return;  // the int8 model did not run it as often (another branch)
      const auto want = a.template node_output<J>();
      c.sums.add(std::span<const float>(want.data(), want.size()), c.runs[c.compared++], c.bounds);
    }
  };

  for (std::size_t k = 0; k < count; ++k) {
    if (fill(k, *reference)) continue;
    for (called_node& c : called) {
      c.runs.clear();
      c.compared = 0;
    }
    [&]<int... K>(std::integer_sequence<int, K...>) {
      const auto one = [&]<int J>() {
        using T = typename Q::template input_type<J>;
        const auto in = reference->template node_output<F::template input_node_index<J>>();
        if constexpr (T::quant::quantized) {
          qfence::quantize_into<T>(std::span<const float>(in.data(), in.size()), candidate->template input<J>());
        } else {
          std::copy(in.begin(), in.end(), candidate->template input<J>().begin());
        }
      };
      (one.template operator()<K>(), ...);
    }(std::make_integer_sequence<int, F::input_count>{});
    quantized.invoke_observed(*candidate, kernels::default_target(), [&](int node, const char* op) {
      for_node(node, [&]<int I>() {
        if constexpr (real_valued.template operator()<I>()) {
          real_output.template operator()<I>(held[static_cast<std::size_t>(I)]);
          op_names[static_cast<std::size_t>(I)] = op;
        }
        if constexpr (called_models<typename Q::template node_t<I>>::count > 0)
          replay_called<Q, F, I>(quantized.template node<I>(), *candidate, 0, quantized_called_node);
      });
    });
    float_model.invoke_observed(*reference, kernels::default_target(), [&](int node, const char*) {
      for_node(node, [&]<int I>() {
        if constexpr (real_valued.template operator()<I>()) {
          using T = typename Q::template node_output_type<I>;
          const auto want = reference->template node_output<I>();
          std::optional<value_bounds> bounds;
          if constexpr (T::quant::quantized && !T::quant::is_per_channel)
            bounds = representable_range(T::type, T::quant::scale, T::quant::zero_point);
          sums[static_cast<std::size_t>(I)].add(std::span<const float>(want.data(), want.size()),
                                                held[static_cast<std::size_t>(I)], bounds);
        }
        if constexpr (called_models<typename F::template node_t<I>>::count > 0)
          replay_called<F, F, I>(float_model.template node<I>(), *reference, 0, float_called_node);
      });
    });
  }

  std::vector<layer_error> layers;
  [&]<int... I>(std::integer_sequence<int, I...>) {
    const auto one = [&]<int J>() {
      if constexpr (real_valued.template operator()<J>()) {
        using T = typename Q::template node_output_type<J>;
        layer_error l;
        l.op_index = J;
        l.op = op_names[static_cast<std::size_t>(J)] != nullptr ? op_names[static_cast<std::size_t>(J)] : "";
        l.name = "node " + std::to_string(J);
        l.type = T::type;
        l.fenced = quantized_graph && T::type == dtype::f32;
        if constexpr (T::quant::quantized && !T::quant::is_per_channel) {
          l.scale = T::quant::scale;
          l.zero_point = T::quant::zero_point;
        }
        sums[static_cast<std::size_t>(J)].finish(l);
        layers.push_back(std::move(l));
      }
    };
    (one.template operator()<I>(), ...);
  }(std::make_integer_sequence<int, N>{});
  // The called models' nodes, numbered by model in row order.
  std::vector<int> model_of_row(rows, 0);
  int models = 0;
  for_each_tree_node<F>(0, [&]<class Model, int J>(std::size_t row) {
    if (row >= static_cast<std::size_t>(N) && J == 0) ++models;
    if (row >= static_cast<std::size_t>(N)) model_of_row[row] = models;
  });
  for (std::size_t row = static_cast<std::size_t>(N); row < rows; ++row) {
    called_node& c = called[row];
    if (!c.seen) continue;
    layer_error l;
    l.op_index = c.node;
    l.subgraph = model_of_row[row];
    l.op = c.op;
    l.name = tree_node_label<F>(row);
    l.type = c.type;
    l.fenced = c.type == dtype::f32;
    l.scale = c.scale;
    l.zero_point = c.zero_point;
    c.sums.finish(l);
    if (l.values > 0) layers.push_back(std::move(l));  // else the float model never ran it where the int8 did
  }
  return layers;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
