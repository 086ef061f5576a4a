// qfence/ops/control_flow.hpp: IF and WHILE as typed nodes that run other
// typed models (TFLM's if.cc and while.cc; rules/control_flow.hpp).
//
//   constexpr auto then_branch = qf::graph(qf::input<X>(), qf::add(qf::ref<0>, qf::ref<0>));
//   constexpr auto else_branch = qf::graph(qf::input<X>(), ...);
//   ... qf::if_(qf::ref<cond>, then_branch, else_branch, qf::ref<x>),          // node n
//       qf::control_flow_output<decltype(then_branch), 0>(qf::ref<n>) ...
//
//   constexpr auto cond = qf::graph(qf::input<I>(), qf::input<X>(), ... -> bool);
//   constexpr auto body = qf::graph(qf::input<I>(), qf::input<X>(), ...).outputs(...);
//   ... qf::while_(cond, body, qf::ref<i>, qf::ref<x>),                         // node n
//       qf::control_flow_output<decltype(body), 1>(qf::ref<n>) ...
//
// The node holds the models it calls (their weights are pointers, as in any
// node), so its type depends on theirs, not on where they live: `qfence
// embed` builds them inline. A called model runs in the node's scratch
// memory, on the caller's SIMD target: its arena is part of the caller's
// (arena_bytes stays a constant, nothing is allocated). Values pass byte for
// byte, as TFLM copies them, between tensors of one dtype, size and
// quantization (rules/control_flow.hpp: passes_as). The
// node's output packs the values it produces back to back (any dtypes); one
// control_flow_output node per value takes it out with the type the branch
// (or body) gives it. A called model keeps no state: its arena is scratch,
// rewritten by every call.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/invoke_status.hpp"
#include "qfence/core/tensor_desc.hpp"
#include "qfence/graph/arena.hpp"
#include "qfence/graph/model.hpp"
#include "qfence/kernels/target.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/control_flow.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct if_ {
  static constexpr const char* name = "if";
  static constexpr runtime::op_code code = runtime::op_code::if_;
};
struct while_ {
  static constexpr const char* name = "while";
  static constexpr runtime::op_code code = runtime::op_code::while_;
};
struct control_flow_output {
  static constexpr const char* name = "control_flow_output";
};
}  // namespace op

namespace detail::control_flow {

/// The byte layout of model Sub's outputs packed back to back.
template <class Sub>
struct packed_outputs_of {
  static constexpr int count = Sub::output_count;
  template <int K> using type = typename Sub::template output_type<K>;
  static constexpr std::array<std::size_t, static_cast<std::size_t>(count) + 1> offsets = [] {
    std::array<std::size_t, static_cast<std::size_t>(count) + 1> o{};
    [&]<int... K>(std::integer_sequence<int, K...>) {
      ((o[static_cast<std::size_t>(K) + 1] = o[static_cast<std::size_t>(K)] + type<K>::bytes), ...);
    }(std::make_integer_sequence<int, count>{});
    return o;
  }();
  static constexpr std::size_t bytes = offsets[static_cast<std::size_t>(count)];
  /// The packed values as a tensor (one byte for none: a node has an output).
  using tensor_type = tensor<dtype::u8, shape<static_cast<int>(bytes > 0 ? bytes : 1)>>;
};

/// Whether model Sub keeps nothing across invokes (it runs in scratch).
template <class Sub>
constexpr bool keeps_no_state() {
  return []<int... I>(std::integer_sequence<int, I...>) {
    return (!keeps_output<typename Sub::template node_t<I>>::value && ...);
  }(std::make_integer_sequence<int, Sub::node_count>{});
}

/// Model Sub's input and output tensor types, each list as a std::tuple.
template <class Sub, class = std::make_integer_sequence<int, Sub::input_count>>
struct input_types;
template <class Sub, int... K>
struct input_types<Sub, std::integer_sequence<int, K...>> {
  using type = std::tuple<typename Sub::template input_type<K>...>;
};
template <class Sub, class = std::make_integer_sequence<int, Sub::output_count>>
struct output_types;
template <class Sub, int... K>
struct output_types<Sub, std::integer_sequence<int, K...>> {
  using type = std::tuple<typename Sub::template output_type<K>...>;
};
template <class Sub> using inputs_t = typename input_types<Sub>::type;
template <class Sub> using outputs_t = typename output_types<Sub>::type;

/// Whether values of the tensor types in tuple From pass, in order, to
/// those in tuple To: as many, each by passes_as. What IF, WHILE and
/// CALL_ONCE (ops/resource_variable.hpp) require of the values they copy.
template <class From, class To>
constexpr bool pass_in_order() {
  constexpr std::size_t n = std::tuple_size_v<From>;
  if constexpr (n != std::tuple_size_v<To>) {
    return false;
  } else {
    return []<std::size_t... K>(std::index_sequence<K...>) {
      return (passes_as(describe<std::tuple_element_t<K, From>>(), describe<std::tuple_element_t<K, To>>()) && ...);
    }(std::make_index_sequence<n>{});
  }
}

/// Whether model Sub's output 0 is a bool (WHILE's cond).
template <class Sub>
constexpr bool gives_condition() {
  if constexpr (Sub::output_count < 1) return false;
  else return is_condition(describe<typename Sub::template output_type<0>>(), false);
}

/// Model Sub's arena over `scratch` (aligned and sized by the caller's plan).
template <class Sub>
arena_view<Sub> view_of(void* scratch) {
  return arena_view<Sub>(std::span<std::byte>(static_cast<std::byte*>(scratch), Sub::arena_bytes));
}

/// Copies the packed values at `from` into Sub's inputs (byte for byte);
/// `a`: an arena or arena_view of Sub.
template <class Sub, class Packing, class A>
void write_inputs(A& a, const std::byte* from) {
  [&]<int... K>(std::integer_sequence<int, K...>) {
    ((std::memcpy(a.template input<K>().data(), from + Packing::offsets[static_cast<std::size_t>(K)],
                  Sub::template input_type<K>::bytes)),
     ...);
  }(std::make_integer_sequence<int, Sub::input_count>{});
}

/// Copies Sub's outputs into packed values at `to`; `a`: an arena or
/// arena_view of Sub.
template <class Sub, class A>
void read_outputs(const A& a, std::byte* to) {
  using P = packed_outputs_of<Sub>;
  [&]<int... K>(std::integer_sequence<int, K...>) {
    ((std::memcpy(to + P::offsets[static_cast<std::size_t>(K)], a.template output<K>().data(),
                  P::template type<K>::bytes)),
     ...);
  }(std::make_integer_sequence<int, Sub::output_count>{});
}

/// Packs the node's operands `args` as model Sub's outputs are packed.
template <class Sub, class... E>
void pack(std::byte* to, const E*... args) {
  using P = packed_outputs_of<Sub>;
  [&]<int... K>(std::integer_sequence<int, K...>) {
    ((std::memcpy(to + P::offsets[static_cast<std::size_t>(K)], args, P::template type<K>::bytes)), ...);
  }(std::make_integer_sequence<int, static_cast<int>(sizeof...(E))>{});
}

}  // namespace detail::control_flow

/// IF: input 0 a single bool; the other inputs go to `Then` (true) or
/// `Else`, whose outputs the node packs.
template <class Then, class Else, int Cond, int... In>
struct if_node {
  using op = op::if_;
  using inputs = refs<Cond, In...>;
  using then_model = Then;
  using else_model = Else;
  using packing = detail::control_flow::packed_outputs_of<then_model>;
  Then then_branch;
  Else else_branch;

  template <int Index, class C, class... Args>
  static constexpr bool validate() {
    using namespace detail::control_flow;
    QFENCE_REQUIRE(is_condition(describe<C>(), true), (at_node<Index, op>, operand<0>, producer<C>),
                   "qfence: if_'s condition (input 0) must be a single bool. fix: compare to get a bool [1]")
    QFENCE_REQUIRE((pass_in_order<std::tuple<Args...>, inputs_t<then_model>>()), (at_node<Index, op>, then_model),
                   "qfence: if_'s inputs after the condition must match the then-branch model's inputs, in number "
                   "and each in dtype, size and quantization (the bytes are copied, not requantized). fix: give the "
                   "branch one input per value, of the value's type")
    QFENCE_REQUIRE((pass_in_order<std::tuple<Args...>, inputs_t<else_model>>()), (at_node<Index, op>, else_model),
                   "qfence: if_'s inputs after the condition must match the else-branch model's inputs, in number "
                   "and each in dtype, size and quantization (the bytes are copied, not requantized). fix: give the "
                   "branch one input per value, of the value's type")
    QFENCE_REQUIRE((pass_in_order<outputs_t<then_model>, outputs_t<else_model>>()), (at_node<Index, op>, then_model, else_model),
                   "qfence: if_'s two branches must give the same outputs, in number and each in dtype, size and "
                   "quantization. "
                   "fix: make the else-branch model's outputs those of the then-branch")
    QFENCE_REQUIRE((keeps_no_state<then_model>() && keeps_no_state<else_model>()), (at_node<Index, op>),
                   "qfence: an if_ branch runs in its caller's scratch memory and cannot keep state (a state node, "
                   "CIRCULAR_BUFFER). fix: keep the state in the calling model")
    return true;
  }

  template <int Index, class C, class... Args>
  struct typed {
    using output = typename packing::tensor_type;
    static constexpr std::size_t scratch_bytes = std::max(then_model::arena_bytes, else_model::arena_bytes);
    /// The branches run on the caller's SIMD target.
    struct prepared {
      if_node node;
      constexpr explicit prepared(const if_node& n) : node(n) {}
    };
    /// false: the branch ended the invoke.
    static bool run(const prepared& self, kernels::target t, const bool* cond, const typename Args::element*... args,
                    std::uint8_t* out, void* scratch) {
      return cond[0] ? branch(self.node.then_branch, t, args..., out, scratch)
                     : branch(self.node.else_branch, t, args..., out, scratch);
    }
    template <class B>
    static bool branch(const B& model, kernels::target t, const typename Args::element*... args, std::uint8_t* out,
                       void* scratch) {
      auto a = detail::control_flow::view_of<B>(scratch);
      [&]<int... K>(std::integer_sequence<int, K...>) {
        ((std::memcpy(a.template input<K>().data(), args, B::template input_type<K>::bytes)), ...);
      }(std::make_integer_sequence<int, B::input_count>{});
      if (model.invoke(a, t) != invoke_status::completed) return false;
      detail::control_flow::read_outputs<B>(a, static_cast<std::byte*>(static_cast<void*>(out)));
      return true;
    }
  };
};

/// WHILE: the values start as the inputs; while `Cond`'s output 0 (a bool)
/// is true on them, `Body` maps them to new ones. The node packs the last.
template <class Cond, class Body, int... In>
struct while_node {
  using op = op::while_;
  using inputs = refs<In...>;
  using cond_model = Cond;
  using body_model = Body;
  using packing = detail::control_flow::packed_outputs_of<body_model>;
  Cond cond;
  Body body;

  template <int Index, class... Values>
  static constexpr bool validate() {
    using namespace detail::control_flow;
    QFENCE_REQUIRE((pass_in_order<std::tuple<Values...>, inputs_t<cond_model>>()), (at_node<Index, op>, cond_model),
                   "qfence: while_'s inputs must match the cond model's inputs, in number and each in dtype, size "
                   "and quantization. fix: give the cond model one input per loop value")
    QFENCE_REQUIRE((pass_in_order<std::tuple<Values...>, inputs_t<body_model>>()), (at_node<Index, op>, body_model),
                   "qfence: while_'s inputs must match the body model's inputs, in number and each in dtype, size "
                   "and quantization. fix: give the body model one input per loop value")
    QFENCE_REQUIRE((pass_in_order<outputs_t<body_model>, inputs_t<body_model>>()), (at_node<Index, op>, body_model),
                   "qfence: while_'s body model must give one output per loop value, each of its input's dtype and "
                   "size (and quantization: they are the next step's values). fix: declare the body's outputs in the "
                   "inputs' order")
    QFENCE_REQUIRE((gives_condition<cond_model>()), (at_node<Index, op>, cond_model),
                   "qfence: while_'s cond model's output 0 must be a bool. fix: end the cond model with a "
                   "comparison and declare it as output 0")
    QFENCE_REQUIRE((keeps_no_state<cond_model>() && keeps_no_state<body_model>()), (at_node<Index, op>),
                   "qfence: while_'s cond and body run in their caller's scratch memory and cannot keep state (a "
                   "state node, CIRCULAR_BUFFER). fix: keep the state in the calling model")
    return true;
  }

  template <int Index, class... Values>
  struct typed {
    using output = typename packing::tensor_type;
    static constexpr std::size_t scratch_bytes = std::max(cond_model::arena_bytes, body_model::arena_bytes);
    struct prepared {
      while_node node;
      constexpr explicit prepared(const while_node& n) : node(n) {}
    };
    /// false: the cond or body ended the invoke.
    static bool run(const prepared& self, kernels::target t, const typename Values::element*... values, std::uint8_t* out,
                    void* scratch) {
      using namespace detail::control_flow;
      auto* current = static_cast<std::byte*>(static_cast<void*>(out));
      pack<body_model>(current, values...);
      while (true) {
        {
          auto c = view_of<cond_model>(scratch);
          write_inputs<cond_model, packing>(c, current);
          if (self.node.cond.invoke(c, t) != invoke_status::completed) return false;
          if (!c.template output<0>()[0]) return true;
        }
        auto b = view_of<body_model>(scratch);
        write_inputs<body_model, packing>(b, current);
        if (self.node.body.invoke(b, t) != invoke_status::completed) return false;
        read_outputs<body_model>(b, current);
      }
    }
  };
};

/// Takes value K out of an if_ or while_ node's packed output: output K of
/// model type `Sub` (IF: the then-branch's; WHILE: the body's), with its type.
template <class Sub, int K, int In>
struct control_flow_output_node {
  using op = op::control_flow_output;
  using inputs = refs<In>;
  using sub_model = Sub;
  using packing = detail::control_flow::packed_outputs_of<sub_model>;

  template <int Index, class Packed>
  static constexpr bool validate() {
    QFENCE_REQUIRE((K >= 0 && K < sub_model::output_count), (at_node<Index, op>, sub_model),
                   "qfence: control_flow_output<Sub, K>: Sub has no output K. fix: K counts Sub's outputs from 0")
    QFENCE_REQUIRE((std::is_same_v<Packed, typename packing::tensor_type>), (at_node<Index, op>, producer<Packed>),
                   "qfence: control_flow_output<Sub, K> must read the if_ or while_ node whose values Sub gives "
                   "(IF: its then-branch model; WHILE: its body model). fix: name that model, or the right node")
    return true;
  }
  template <int Index, class Packed>
  struct typed {
    using output = typename packing::template type<K>;
    static void run(const control_flow_output_node&, const std::uint8_t* packed, typename output::element* out) {
      std::memcpy(out, packed + packing::offsets[static_cast<std::size_t>(K)], output::bytes);
    }
  };
};

/// IF of condition node `Cond` on nodes `In...`, running model `then_branch`
/// or `else_branch`; see the top of this header.
template <int Cond, class Then, class Else, int... In>
constexpr auto if_(node_ref<Cond>, const Then& then_branch, const Else& else_branch, node_ref<In>...) {
  return if_node<Then, Else, Cond, In...>{then_branch, else_branch};
}
/// WHILE on nodes `In...`, with models `cond` and `body`; see the top of this header.
template <class Cond, class Body, int... In>
constexpr auto while_(const Cond& cond, const Body& body, node_ref<In>...) {
  return while_node<Cond, Body, In...>{cond, body};
}
/// Value K of the if_ or while_ node `In`, typed as model Sub's output K
/// (Sub: the type of the then-branch, or of the body).
template <class Sub, int K, int In>
constexpr auto control_flow_output(node_ref<In>) {
  return control_flow_output_node<std::remove_cv_t<Sub>, K, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
