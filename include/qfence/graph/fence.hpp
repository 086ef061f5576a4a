// qfence/graph/fence.hpp: float islands inside a quantized graph.
//
// `fence(node, out<Q>)` runs `node` in float: where its input comes from a
// quantized node, the graph inserts a DEQUANTIZE with that producer's
// parameters; where its output goes to a quantized consumer, a QUANTIZE with
// the parameters `Q` declared here (from the imported model or calibration).
// Adjacent fences merge: a fenced node feeding a fenced node passes float
// directly, so a whole subgraph becomes one island. A fence's output
// parameters are required wherever its float output meets quantized code.
#pragma once

#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/graph/input.hpp"
#include "qfence/graph/options.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct fence {
  static constexpr const char* name = "fence";
};
}  // namespace op

struct no_fence_output {};

namespace detail {
/// A fenced node's typed form: the inner node's, run on the inner node (or
/// on its prepared form, graph/model.hpp).
template <class Base, class Fence, class = void>
struct fenced_typed : Base {
  using base = Base;
  template <class... Args>
  static void run(const Fence& self, Args... args) {
    Base::run(self.node, args...);
  }
};
template <class Base, class Fence>
struct fenced_typed<Base, Fence, std::void_t<typename Base::prepared>> : Base {
  using base = Base;
  struct prepared : Base::prepared {
    constexpr explicit prepared(const Fence& f) : Base::prepared(f.node) {}
  };
  template <class Target, class... Args>
  static void run(const prepared& p, Target t, Args... args) {
    Base::run(p, t, args...);
  }
};
}  // namespace detail

template <class Inner, class Out>
struct fence_node {
  using op = typename Inner::op;
  using inputs = typename Inner::inputs;
  using inner = Inner;
  using out_spec = Out;  // out_t<...> or no_fence_output
  Inner node;

  template <int Index, class... In>
  static constexpr bool validate() {
    return Inner::template validate<Index, In...>();
  }
  template <int Index, class... In>
  struct typed : detail::fenced_typed<typename Inner::template typed<Index, In...>, fence_node> {};
};

/// Wrap `node` in a fence. Give `out<per_tensor<scale, zp>>` where its float
/// output meets quantized consumers; omit it inside a larger island.
template <class Inner, class... Out>
constexpr auto fence(Inner node, Out...) {
  static_assert(sizeof...(Out) <= 1, "qfence: fence(node, out<...>) takes at most one out<...>");
  if constexpr (sizeof...(Out) == 0) {
    return fence_node<Inner, no_fence_output>{node};
  } else {
    return fence_node<Inner, Out...>{node};
  }
}

namespace detail {
template <class N> struct is_fence : std::false_type {};
template <class I, class O> struct is_fence<fence_node<I, O>> : std::true_type {};

// A fenced input is a float input that the model quantizes for the
// quantized nodes reading it (its fence's border): the application writes
// floats (qfence::quantize's float inputs).
template <class T, bool O, class Out> struct is_input_node<fence_node<input_node<T, O>, Out>> : std::true_type {};
template <class T, class Out> struct is_overwritable_input<fence_node<input_node<T, true>, Out>> : std::true_type {};
}  // namespace detail
template <class N> inline constexpr bool is_fence_v = detail::is_fence<N>::value;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
