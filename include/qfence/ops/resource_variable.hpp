// qfence/ops/resource_variable.hpp: resource variables and CALL_ONCE as
// typed nodes (TFLM's var_handle.cc, read_variable.cc, assign_variable.cc,
// call_once.cc; the runtime path: runtime/ops/control_flow.hpp).
//
//   qf::variable<T>(),                          // node v: a variable of type T
//   qf::call_once(init, qf::ref<v>),            // node c: on the first invoke, v = init's output 0
//   qf::read_variable(qf::ref<v>),              // node r: v's value now (type T)
//   ... qf::add(qf::ref<r>, qf::ref<x>) ...     // node s
//   qf::assign_variable(qf::ref<v>, qf::ref<s>) // v = s, for later nodes and the next invoke
//
// A variable is a state node: its memory lives as long as the arena, and
// model::reset_state sets every byte to the low byte of T's zero point, as
// TFLM's MicroResourceVariables resets it (0 for float; the zero point for
// 8-bit types). A file's VAR_HANDLE names a variable; in the typed graph
// the variable node is the handle, so nothing runs for it. Reads and
// assigns happen in node order, as TFLM runs the ops: a read after an
// assign in the same invoke sees the new value.
//
// CALL_ONCE runs a typed model without inputs (TFLM: the init subgraph, no
// inputs, no outputs, only ASSIGN_VARIABLEs) on the first invoke after
// reset_state, in the node's scratch memory, and copies its outputs into
// the variables it names, in order. Its own output is the "has run" flag,
// which reset_state clears (so the init runs again, as the runtime path's
// reset_variables does). Values pass byte for byte between tensors of one
// dtype, size and quantization (rules/control_flow.hpp: passes_as), as for
// IF and WHILE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/invoke_status.hpp"
#include "qfence/core/tensor_desc.hpp"
#include "qfence/graph/state.hpp"
#include "qfence/ops/control_flow.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/control_flow.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct read_variable {
  static constexpr const char* name = "read_variable";
  static constexpr runtime::op_code code = runtime::op_code::read_variable;
};
struct assign_variable {
  static constexpr const char* name = "assign_variable";
  static constexpr runtime::op_code code = runtime::op_code::assign_variable;
};
struct call_once {
  static constexpr const char* name = "call_once";
  static constexpr runtime::op_code code = runtime::op_code::call_once;
};
}  // namespace op

namespace detail {
/// What a node with no value of its own writes (an ASSIGN_VARIABLE): one byte.
using no_value = tensor<dtype::u8, shape<1>>;

/// TFLM resets a variable by writing the int8 cast of its zero point into
/// every byte; for the types where that is real zero (one-byte types, or a
/// zero point of 0), a state node's reset does the same.
template <class T>
constexpr bool tflm_reset_is_real_zero() {
  if constexpr (!T::quant::quantized) return true;
  else return sizeof(typename T::element) == 1 || T::quant::zero_point_at(0) == 0;
}
}  // namespace detail

/// A resource variable of type T (a state node; see the top of this header).
template <class T>
constexpr auto variable() {
  static_assert(detail::tflm_reset_is_real_zero<T>(),
                "qfence: variable<T>: TFLM resets a variable to its zero point's low byte in every byte, which is not "
                "real zero for a multi-byte type with a nonzero zero point. fix: give the variable zero point 0");
  return state_node<T>{};
}

/// READ_VARIABLE: a copy of variable node V's value.
template <int V>
struct read_variable_node {
  using op = op::read_variable;
  using inputs = refs<V>;
  template <int Index, class T>
  static constexpr bool validate() {
    return true;
  }
  template <int Index, class T>
  struct typed {
    using output = T;
    static void run(const read_variable_node&, const typename T::element* variable, typename T::element* out) {
      std::memcpy(out, variable, T::bytes);
    }
  };
};

/// ASSIGN_VARIABLE: variable node V takes value X's bytes.
template <int V, int X>
struct assign_variable_node {
  using op = op::assign_variable;
  using inputs = refs<V, X>;
  template <int Index, class T, class Value>
  static constexpr bool validate() {
    QFENCE_REQUIRE(passes_as(describe<Value>(), describe<T>()), (at_node<Index, op>, operand<1>, producer<Value>, expected<T>),
                   "qfence: assign_variable writes a value of the variable's dtype and size (and quantization: its "
                   "bytes are copied). "
                   "fix: cast, requantize or reshape the value to the variable's type")
    return true;
  }
  template <int Index, class T, class Value>
  struct typed {
    using output = detail::no_value;
    static void run(const assign_variable_node&, const typename T::element* variable, const typename Value::element* value,
                    std::uint8_t* out) {
      // The variable belongs to its state node; ASSIGN_VARIABLE is an op that updates it.
      std::memcpy(const_cast<typename T::element*>(variable), value, T::bytes);
      out[0] = 0;
    }
  };
};

/// CALL_ONCE: on the first invoke after reset_state, model Init's outputs
/// go into variable nodes V... (see the top of this header).
template <class Init, int... V>
struct call_once_node {
  using op = op::call_once;
  using inputs = refs<V...>;
  using init_model = Init;
  /// Its output, the "has run" flag, lives across invokes; reset_state clears it.
  static constexpr bool keeps_output = true;
  Init init;

  template <int Index, class... Vars>
  static constexpr bool validate() {
    using namespace detail::control_flow;
    QFENCE_REQUIRE(init_model::input_count == 0, (at_node<Index, op>, init_model),
                   "qfence: call_once's init model takes no inputs (TFLM's init subgraph has none). fix: make its "
                   "values constants of the init model")
    QFENCE_REQUIRE((pass_in_order<outputs_t<init_model>, std::tuple<Vars...>>()),
                   (at_node<Index, op>, init_model),
                   "qfence: call_once's init model must give one output per variable it names, in order, each of the "
                   "variable's dtype and size (and quantization). fix: declare the init model's outputs in the variables' "
                   "order")
    QFENCE_REQUIRE(keeps_no_state<init_model>(), (at_node<Index, op>),
                   "qfence: call_once's init model runs in its caller's scratch memory and cannot keep state. fix: "
                   "keep the state in the calling model")
    return true;
  }

  template <int Index, class... Vars>
  struct typed {
    using output = tensor<dtype::boolean, shape<1>>;
    static constexpr std::size_t scratch_bytes = init_model::arena_bytes;
    struct prepared {
      call_once_node node;
      constexpr explicit prepared(const call_once_node& n) : node(n) {}
    };
    /// false: the init model ended the invoke (it runs again next time).
    static bool run(const prepared& self, kernels::target t, const typename Vars::element*... variables, bool* has_run,
                    void* scratch) {
      if (has_run[0]) return true;
      auto a = detail::control_flow::view_of<init_model>(scratch);
      if (self.node.init.invoke(a, t) != invoke_status::completed) return false;
      [&]<int... K>(std::integer_sequence<int, K...>) {
        // The variables belong to their state nodes; CALL_ONCE's init assigns them.
        ((std::memcpy(const_cast<typename Vars::element*>(variables), a.template output<K>().data(), Vars::bytes)), ...);
      }(std::make_integer_sequence<int, static_cast<int>(sizeof...(Vars))>{});
      has_run[0] = true;
      return true;
    }
  };
};

/// The value of variable node `V`.
template <int V>
constexpr auto read_variable(node_ref<V>) {
  return read_variable_node<V>{};
}
/// Variable node `V` takes node `X`'s value.
template <int V, int X>
constexpr auto assign_variable(node_ref<V>, node_ref<X>) {
  return assign_variable_node<V, X>{};
}
/// Runs model `init` once (until reset_state) and stores its outputs in
/// variable nodes `V...`, in order.
template <class Init, int... V>
constexpr auto call_once(const Init& init, node_ref<V>...) {
  return call_once_node<Init, V...>{init};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
