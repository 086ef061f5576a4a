// qfence/ops/prelu.hpp: PRELU as a typed node (rules/prelu.hpp;
// kernels/reference/prelu.hpp).
//
//   qf::prelu(x, alpha)                                         f32
//   qf::prelu(x, alpha, qf::out<qf::per_tensor<0.05f, -10>>)    i8 / u8 / i16 (alpha i8)
//   qf::prelu(x, alpha, qf::out<...>, qf::tflite_numerics)      TFLite's multipliers
#pragma once

#include <cstdint>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/prelu.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/prelu.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct prelu {
  static constexpr const char* name = "prelu";
  static constexpr runtime::op_code code = runtime::op_code::prelu;
};
}  // namespace op

template <int X, int Alpha, class... Opts>
struct prelu_node {
  using op = op::prelu;
  using inputs = refs<X, Alpha>;

  template <class In, class A>
  struct rule {
    static constexpr rule_result value = prelu_rule(describe<In>(), describe<A>(), requested_output<Opts...>());
  };

  template <int Index, class In, class A>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((validate_options<Index, op, kinds<option_kind::output_quantization, option_kind::numerics>,
                                          Opts...>::value))
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In, A>, producer<In>, producer<A>>()))
    return true;
  }

  template <int Index, class In, class A>
  struct typed {
    using output = rule_output_type<rule<In, A>>;
    static constexpr broadcast_geometry geometry = broadcast_geometry_of(describe<In>(), describe<A>());
    static void run(const prelu_node&, const typename In::element* x, const typename A::element* alpha,
                    typename output::element* out) {
      if constexpr (In::type == dtype::f32) {
        reference::prelu(geometry, x, alpha, out);
      } else {
        static constexpr prelu_params p =
            make_prelu_params(In::quant::scale, In::quant::zero_point, A::quant::scale, A::quant::zero_point,
                              output::quant::scale, output::quant::zero_point,
                              prelu_float_multipliers(In::type, has_option<option_kind::numerics, Opts...>));
        reference::prelu(geometry, x, alpha, p, out);
      }
    }
  };
};

/// PRELU: x where x >= 0, else x * alpha (alpha broadcast to x's shape).
template <int X, int Alpha, node_option... Opts>
constexpr auto prelu(node_ref<X>, node_ref<Alpha>, Opts...) {
  return prelu_node<X, Alpha, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
