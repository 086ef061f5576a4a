// qfence/ops/add_n.hpp: ADD_N as a typed node (rules/add_n.hpp;
// kernels/reference/add_n.hpp).
//
//   qf::add_n(a, b, c)                                  f32 or i32
//   qf::add_n<qf::per_tensor<0.1f, -3>>(a, b, c)        i8 (one scale in), rescaled out
#pragma once

#include <array>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/add_n.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/add_n.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct add_n {
  static constexpr const char* name = "add_n";
  static constexpr runtime::op_code code = runtime::op_code::add_n;
};
}  // namespace op

/// OutQ: the int8 output's parameters, void for f32 and i32.
template <class OutQ, int... In>
struct add_n_node {
  using op = op::add_n;
  using inputs = refs<In...>;
  template <class First, class... Rest>
  struct rule {
    static constexpr std::array<tensor_desc, 1 + sizeof...(Rest)> operands{describe<First>(), describe<Rest>()...};
    static constexpr output_request request = [] {
      if constexpr (std::is_void_v<OutQ>) return output_request{};
      else return output_request{true, true, First::type, describe_quant<OutQ>(), false, {}};
    }();
    static constexpr rule_result value = add_n_rule(operands.data(), static_cast<int>(operands.size()), request);
  };
  template <int Index, class First, class... Rest>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<First, Rest...>, producer<First>, producer<Rest>...>()))
    return true;
  }
  template <int Index, class First, class... Rest>
  struct typed {
    using output = rule_output_type<rule<First, Rest...>>;
    static void run(const add_n_node&, const typename First::element* first, const typename Rest::element*... rest,
                    typename output::element* out) {
      const typename First::element* ins[] = {first, rest...};
      constexpr int count = static_cast<int>(1 + sizeof...(Rest));
      if constexpr (First::type == dtype::i8) {
        static constexpr add_n_params p = make_add_n_params(First::quant::scale, First::quant::zero_point,
                                                            output::quant::scale, output::quant::zero_point);
        reference::add_n(output::elements, count, ins, p, out);
      } else {
        reference::add_n(output::elements, count, ins, out);
      }
    }
  };
};

/// ADD_N of f32 or i32 tensors of one shape.
template <int... In>
constexpr auto add_n(node_ref<In>...) {
  return add_n_node<void, In...>{};
}
/// ADD_N of int8 tensors with one quantization, into parameters OutQ.
template <class OutQ, int... In>
constexpr auto add_n(node_ref<In>...) {
  return add_n_node<OutQ, In...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
