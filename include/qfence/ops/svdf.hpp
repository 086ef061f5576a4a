// qfence/ops/svdf.hpp: SVDF (TFLM's integer and float SVDF).
//
// A rank-factored 1-D convolution over time with a state: each invoke shifts
// the state left by one step, writes the feature projection of the new input
// into the last step, then filters the state with the time weights and sums
// `rank` filters per unit.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/svdf.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/svdf.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct svdf {
  static constexpr const char* name = "svdf";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::svdf;
};
}  // namespace op


/// An SVDF node: reads node `In` ([batches, input_size] i8 or f32) and
/// updates, in place, the state node `State` ([batches, filters * memory],
/// i16 or i8; f32 for a float input). Options: out<...>; a fused activation
/// (qfence::fused_relu, ...), which the float SVDF applies (TFLM's integer
/// SVDF has none).
template <int In, int State, int Rank, class WF, class WT, class B, class... Opts>
struct svdf_node {
  using op = op::svdf;
  using inputs = refs<In, State>;
  constant<WF> feature_weights;
  constant<WT> time_weights;
  B bias_data;

  static constexpr int filters = WF::shape_type::dim(0);
  static constexpr int memory = WT::shape_type::dim(1);

  /// The op rule (qfence/rules/svdf.hpp) on this node's operand types.
  template <class Input, class S>
  struct rule {
    static constexpr rule_result value =
        svdf_rule({Rank}, describe<Input>(), describe<WF>(), describe<WT>(),
                  detail::bias_desc<B>(), describe<S>(), requested_output<Opts...>());
  };

  /// out<...>; the float SVDF also takes a fused activation.
  template <int Index, class Input>
  static constexpr bool options_ok() {
    if constexpr (Input::type == dtype::f32)
      return validate_options<Index, op, kinds<option_kind::output_quantization, option_kind::fused_activation>,
                              Opts...>::value;
    else
      return validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value;
  }

  template <int Index, class Input, class S>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(options_ok<Index, Input>())
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input, S>, producer<Input>, weights<WF>, weights<WT>,
                                    bias<detail::bias_tensor_t<B>>, producer<S>>()))
    return true;
  }

  template <int Index, class Input, class S>
  struct typed {
    static constexpr svdf_geometry geometry{Input::shape_type::dim(0), Input::shape_type::dim(1), filters, Rank,
                                            memory};
    using output = rule_output_type<rule<Input, S>>;
    static constexpr bool is_float = Input::type == dtype::f32;
    /// The per-filter and per-unit int32 sums; float: the per-filter sums.
    static constexpr std::size_t scratch_bytes =
        is_float ? static_cast<std::size_t>(geometry.batches * filters) * sizeof(float)
                 : static_cast<std::size_t>(geometry.batches * (filters + filters / Rank)) * sizeof(std::int32_t);
    /// The Highway kernel (kernels/svdf-inl.hpp) needs the SIMD target.
    struct prepared {
      svdf_node node;
      constexpr explicit prepared(const svdf_node& n) : node(n) {}
    };
    static void run(const prepared& self, kernels::target t, const typename Input::element* in,
                    const typename S::element* state, typename output::element* out, void* scratch) {
      if constexpr (is_float) {
        const float* bias = nullptr;
        if constexpr (!std::is_same_v<B, no_bias_t>) bias = self.node.bias_data.data;
        // The state belongs to its state node; SVDF is the op that updates it.
        reference::svdf_float(geometry, float_activation_range(detail::fused_activation_of<Opts...>), in,
                              self.node.feature_weights.data, self.node.time_weights.data, bias,
                              const_cast<float*>(state), static_cast<float*>(scratch), out);
        (void)t;
      } else {
      static constexpr svdf_params p =
          make_svdf_params(Input::quant::scale, Input::quant::zero_point, WF::quant::scale_at(0), S::quant::scale,
                           S::quant::zero_point, WT::quant::scale_at(0), output::quant::scale, output::quant::zero_point);
      const std::int32_t* bias = nullptr;
      if constexpr (!std::is_same_v<B, no_bias_t>) bias = self.node.bias_data.data;
      // The state belongs to its state node; SVDF is the op that updates it.
      kernels::svdf_quantized<typename S::element>(
          t, geometry, p,
          {in, self.node.feature_weights.data, self.node.time_weights.data, bias,
           const_cast<typename S::element*>(state), static_cast<std::int32_t*>(scratch), out});
      }
    }
  };
};

namespace detail {
/// What an SVDF node reads, for those who rebuild it (the compile-time
/// quantizer).
template <class N> struct svdf_node_parts {
  static constexpr bool is_svdf = false;
  static constexpr int state = -1;
};
template <int In, int State, int Rank, class WF, class WT, class B, class... Opts>
struct svdf_node_parts<svdf_node<In, State, Rank, WF, WT, B, Opts...>> {
  static constexpr bool is_svdf = true;
  static constexpr int input = In, state = State;
  using feature_weights = WF;
  using time_weights = WT;
  using bias = B;
  /// The same SVDF with other operands and Out as its only option.
  template <class Out, class WFq, class WTq, class Bq>
  static constexpr auto make(constant<WFq> f, constant<WTq> t, Bq b) {
    return svdf_node<In, State, Rank, WFq, WTq, Bq, Out>{f, t, b};
  }
};

/// The state node an SVDF node N updates (-1: N is no SVDF; a fenced SVDF
/// is not an SVDF node here), for state_updater (graph/state.hpp).
template <class N> struct svdf_state : std::integral_constant<int, svdf_node_parts<N>::state> {};
}  // namespace detail

/// SVDF of node `In` with state node `State` (see qfence/graph/state.hpp).
template <int Rank, int In, int State, class WF, class WT, class B, node_option... Opts>
constexpr auto svdf(node_ref<In>, node_ref<State>, constant<WF> feature_weights, constant<WT> time_weights, B bias,
                    Opts...) {
  return svdf_node<In, State, Rank, WF, WT, B, Opts...>{feature_weights, time_weights, bias};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
