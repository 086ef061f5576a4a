// qfence/ops/transpose_conv.hpp: TRANSPOSE_CONV reference kernels.
//
// Every input pixel scatters filter * value into the output window it maps
// to (TFLite reference TransposeConv); the accumulators (int32 for int8,
// int64 for int16x8, float for float) live in a scratch buffer of the output's
// size, then get the bias, the requantization and the clamp.
#pragma once

#include <cstdint>
#include <type_traits>

#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/transpose_conv.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/transpose_conv.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct transpose_conv {
  static constexpr const char* name = "transpose_conv";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::transpose_conv;
};
}  // namespace op


/// A TRANSPOSE_CONV node producing shape `OutShape` (TFLite takes the output
/// size as an input; here it is part of the type).
template <class OutShape, int In, class W, class B, class... Opts>
struct transpose_conv_node {
  using op = op::transpose_conv;
  using inputs = refs<In>;
  constant<W> weights_data;
  B bias_data;

  static constexpr transpose_conv_attrs attrs{detail::conv_attrs_of<Opts...>(),
                                              {OutShape::dim(0), OutShape::dim(1), OutShape::dim(2), OutShape::dim(3)}};

  /// The op rule (qfence/rules/transpose_conv.hpp) on this node's operand types.
  template <class Input>
  struct rule {
    static constexpr rule_result value =
        transpose_conv_rule(attrs, describe<Input>(), describe<W>(),
                            detail::bias_desc<B>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::stride, option_kind::padding, option_kind::fused_activation,
                                               option_kind::output_quantization>,
                                         Opts...>::value)
    static_assert(OutShape::rank == 4, "qfence: transpose_conv<OutShape>: the output shape is [N, H, W, OC]");
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>, weights<W>, bias<detail::bias_tensor_t<B>>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr window_geometry geometry = transpose_conv_geometry(attrs, describe<Input>(), describe<W>());
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();
    using accumulator = std::conditional_t<Input::type == dtype::f32, float,
                                           std::conditional_t<Input::type == dtype::i16, std::int64_t, std::int32_t>>;
    /// The accumulators live in the arena while the node runs.
    static constexpr std::size_t scratch_bytes = static_cast<std::size_t>(OutShape::elements) * sizeof(accumulator);

    /// int16x8 runs the Highway kernel (kernels/conv2d_int16x8-inl.hpp,
    /// TransposeConvInt16x8); the scratch then serves the reference target.
    static constexpr bool simd = Input::type == dtype::i16;
    /// Stored as the node itself: the graph then hands run() its target.
    using prepared = transpose_conv_node;

    static void run(const prepared& self, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out, void* scratch) {
      if constexpr (simd) {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(OutShape::dim(3))>();
        const auto* bias = detail::bias_pointer<Input>(self.bias_data);
        const kernels::conv2d_int16x8_args<std::remove_cvref_t<decltype(*bias)>> a{
            in, self.weights_data.data, bias, multipliers.data(), output::quant::zero_point, act, out};
        kernels::transpose_conv_int16x8(t, kernels::fixed<geometry>{}, a, static_cast<std::int64_t*>(scratch));
      } else {
        run(self, in, out, scratch);
      }
    }

    static void run(const transpose_conv_node& self, const typename Input::element* in, typename output::element* out,
                    void* scratch) {
      auto* acc = static_cast<accumulator*>(scratch);
      const auto* bias_ptr = detail::bias_pointer<Input>(self.bias_data);
      if constexpr (Input::type == dtype::f32) {
        reference::transpose_conv(kernels::fixed<geometry>{}, in, self.weights_data.data, bias_ptr, act, acc, out);
      } else {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(OutShape::dim(3))>();
        if constexpr (Input::type == dtype::i16) {
          reference::transpose_conv(kernels::fixed<geometry>{}, in, self.weights_data.data, bias_ptr, multipliers.data(),
                                    output::quant::zero_point, act, acc, out);
        } else {
          reference::transpose_conv(kernels::fixed<geometry>{}, in, -Input::quant::zero_point, self.weights_data.data, bias_ptr,
                                    multipliers.data(), output::quant::zero_point, act, acc, out);
        }
      }
    }
  };
};

/// TRANSPOSE_CONV of node `In` into shape `OutShape`. Options: stride<..>,
/// same/valid, fused_relu..., out<...> (quantized inputs).
template <class OutShape, int In, class W, class B, node_option... Opts>
constexpr auto transpose_conv(node_ref<In>, constant<W> weights, B bias, Opts...) {
  return transpose_conv_node<OutShape, In, W, B, Opts...>{weights, bias};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
