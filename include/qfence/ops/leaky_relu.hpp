// qfence/ops/leaky_relu.hpp: LEAKY_RELU reference kernels.
//
// Quantized: two fixed-point multipliers, one for x >= 0 (input/output scale
// ratio) and one for x < 0 (alpha times that ratio), as TFLite's
// QuantizeLeakyRelu.
#pragma once

#include <bit>
#include <cstdint>

#include "qfence/kernels/reference/leaky_relu.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/core/activation.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/activation.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct leaky_relu {
  static constexpr const char* name = "leaky_relu";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::leaky_relu;
};
}  // namespace op


template <int In, std::uint32_t AlphaBits, class... Opts>
struct leaky_relu_node {
  using op = op::leaky_relu;
  using inputs = refs<In>;
  static constexpr float alpha = std::bit_cast<float>(AlphaBits);

  /// The op rule (qfence/rules/activation.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value =
        activation_rule(activation_fn::leaky_relu, describe<Input>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static void run(const leaky_relu_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (Input::type == dtype::f32) {
        reference::leaky_relu(Input::elements, in, alpha, out);
      } else {
        static constexpr leaky_relu_params p = make_leaky_relu_params(
            Input::quant::scale, Input::quant::zero_point, output::quant::scale, output::quant::zero_point, alpha);
        reference::leaky_relu(Input::elements, in, p, out);
      }
    }
  };
};

/// LEAKY_RELU with slope `alpha` (its float bits, e.g. from
/// std::bit_cast<std::uint32_t>(0.2f)); quantized inputs take out<...>.
template <std::uint32_t AlphaBits, int In, node_option... Opts>
constexpr auto leaky_relu(node_ref<In>, Opts...) {
  return leaky_relu_node<In, AlphaBits, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
