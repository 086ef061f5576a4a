// qfence/ops/broadcast_to.hpp: BROADCAST_TO and BROADCAST_ARGS as typed
// nodes (rules/broadcast_to.hpp; kernels/reference/broadcast_to.hpp).
//
//   qf::broadcast_to<4, 2, 3>(x)   x ([2, 1] or [3] or ...) copied into [4, 2, 3]
//   qf::broadcast_args(s, t)       the broadcast of shapes s and t (i32 or i64 vectors)
#pragma once

#include <array>
#include <utility>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/broadcast_to.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/broadcast_to.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct broadcast_to {
  static constexpr const char* name = "broadcast_to";
  static constexpr runtime::op_code code = runtime::op_code::broadcast_to;
};
struct broadcast_args {
  static constexpr const char* name = "broadcast_args";
  static constexpr runtime::op_code code = runtime::op_code::broadcast_args;
};
}  // namespace op

template <class Dims, int In> struct broadcast_to_node;
template <int... Dims, int In>
struct broadcast_to_node<std::integer_sequence<int, Dims...>, In> {
  using op = op::broadcast_to;
  using inputs = refs<In>;
  static constexpr broadcast_to_attrs attrs{static_cast<int>(sizeof...(Dims)), {Dims...}};
  template <class Input>
  struct rule {
    static constexpr rule_result value = broadcast_to_rule(attrs, describe<Input>(), requested_output<>());
  };
  template <int Index, class Input>
  static constexpr bool validate() {
    static_assert(sizeof...(Dims) <= max_rank, "qfence: broadcast_to<dims...>: at most 8 dimensions");
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = rule_output_keeping<rule<Input>, Input>;
    static constexpr std::array<int, sizeof...(Dims)> target{Dims...};
    static constexpr broadcast_geometry geometry = make_broadcast_geometry(
        Input::shape_type::dims.data(), static_cast<int>(Input::shape_type::rank), target.data(),
        static_cast<int>(sizeof...(Dims)));
    static void run(const broadcast_to_node&, const typename Input::element* in, typename output::element* out) {
      reference::broadcast_to(geometry, in, out);
    }
  };
};

template <int A, int B>
struct broadcast_args_node {
  using op = op::broadcast_args;
  using inputs = refs<A, B>;
  template <class X, class Y>
  struct rule {
    static constexpr rule_result value = broadcast_args_rule(describe<X>(), describe<Y>(), requested_output<>());
  };
  template <int Index, class X, class Y>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<X, Y>, producer<X>, producer<Y>>()))
    return true;
  }
  template <int Index, class X, class Y>
  struct typed {
    using output = rule_output_type<rule<X, Y>>;
    static void run(const broadcast_args_node&, const typename X::element* a, const typename Y::element* b,
                    typename output::element* out) {
      reference::broadcast_args(a, X::elements, b, Y::elements, out, output::elements);
    }
  };
};

/// BROADCAST_ARGS: the broadcast of two shapes given as i32 or i64 vectors.
template <int A, int B>
constexpr auto broadcast_args(node_ref<A>, node_ref<B>) {
  return broadcast_args_node<A, B>{};
}

/// BROADCAST_TO: x copied into shape [Dims...].
template <int... Dims, int In>
constexpr auto broadcast_to(node_ref<In>) {
  return broadcast_to_node<std::integer_sequence<int, Dims...>, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
