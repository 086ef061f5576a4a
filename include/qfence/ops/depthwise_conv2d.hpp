// qfence/ops/depthwise_conv2d.hpp: DEPTHWISE_CONV_2D.
//
// Weights [1, KH, KW, IC * depth_multiplier], per-channel along axis 3.
// Numerics: TFLite reference_ops::DepthwiseConv (float) and
// reference_integer_ops::DepthwiseConvPerChannel (int8).
#pragma once

#include <cstdint>
#include <type_traits>

#include "qfence/kernels/reference/depthwise_conv2d.hpp"
#include "qfence/kernels/reference/hybrid.hpp"
#include "qfence/ops/hybrid_support.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/packed_arrays.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/depthwise_conv2d.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct depthwise_conv2d {
  static constexpr const char* name = "depthwise_conv2d";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::depthwise_conv_2d;
};
}  // namespace op


template <int In, class W, class B, class... Opts>
struct depthwise_conv2d_node {
  using op = op::depthwise_conv2d;
  using inputs = refs<In>;
  constant<W> weights_data;
  B bias_data;
  prepacked_t<std::int16_t> packed{};  // from qfence embed, or nothing

  /// The op rule (qfence/rules/depthwise_conv2d.hpp) on this node's operand types.
  template <class Input>
  struct rule {
    static constexpr rule_result value =
        depthwise_conv2d_rule(detail::conv_attrs_of<Opts...>(), describe<Input>(), describe<W>(),
                              detail::bias_desc<B>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::stride, option_kind::dilation, option_kind::padding,
                                               option_kind::explicit_padding, option_kind::fused_activation,
                                               option_kind::output_quantization, option_kind::prepacked>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>, weights<W>, bias<detail::bias_tensor_t<B>>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed : detail::scratch_need<(Input::type == dtype::f32 && W::type == dtype::i8)
                                          ? detail::hybrid_scratch_need<Input, W>(W::shape_type::dim(3),
                                                                                  Input::shape_type::dim(0))
                                          : 0> {
    static constexpr int out_c = W::shape_type::dim(3);
    static constexpr window_geometry geometry =
        conv_geometry(detail::conv_attrs_of<Opts...>(), describe<Input>(), describe<W>(), true);
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    /// int8 and legacy uint8 (any depth multiplier) run the Highway kernel
    /// (kernels/depthwise_conv2d-inl.hpp) on weights packed when the model is
    /// built, float its own (depthwise_conv2d_float-inl.hpp) on the weights
    /// as they are; the rest the reference.
    static constexpr bool simd = (Input::type == dtype::i8 && W::type == dtype::i8) ||
                                 (Input::type == dtype::u8 && W::type == dtype::u8);
    static constexpr bool simd_float = Input::type == dtype::f32 && W::type == dtype::f32;
    /// Float input, int8 weights (a dynamic-range model): TFLite's hybrid
    /// kernel, which quantizes the input in this node's scratch at every
    /// invoke, on the int8 kernel (kernels/hybrid_conv.hpp).
    static constexpr bool hybrid = Input::type == dtype::f32 && W::type == dtype::i8;
    static constexpr kernels::depthwise_packing packing{out_c, geometry.filter_h, geometry.filter_w};
    static constexpr auto simd_multipliers = [] {
      if constexpr (simd) return detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
      else return 0;
    }();
    static constexpr bool prepacked = has_option<option_kind::prepacked, Opts...>;
    using arrays = std::conditional_t<
        hybrid,
        kernels::hybrid_arrays<detail::hybrid_spec<packing, W, static_cast<std::size_t>(out_c),
                                                   detail::fused_activation_of<Opts...>, false, false>,
                               prepacked>,
        kernels::depthwise_quantized_arrays<typename Input::element, packing, prepacked>>;

    using prepared =
        detail::prepared_layer<depthwise_conv2d_node, Input, simd || hybrid, arrays, prepacked, simd_multipliers>;

    static void run(const prepared& p, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch = nullptr) {
      if constexpr (simd) {
        kernels::depthwise_conv2d_quantized<typename Input::element>(t, kernels::fixed<geometry>{},
                                       {in, p.packed.weight_data(), p.packed.epilogue_data(), p.packed.pad_row.data(),
                                        output::quant::zero_point, act, out},
                             detail::requantize_form_for<output, simd_multipliers, act>{});
      } else if constexpr (hybrid) {
        detail::run_hybrid(t, geometry, p.packed, in, Input::elements, scratch, out, [&] { run(p.node, in, out, scratch); });
      } else if constexpr (simd_float) {
        kernels::depthwise_conv2d_float(t, kernels::fixed<geometry>{},
                                        {in, p.node.weights_data.data, detail::bias_pointer<Input>(p.node.bias_data),
                                         act, out});
      } else if constexpr (Input::type == dtype::i16) {  // int16x8: the weights as stored
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        const auto* bias = detail::bias_pointer<Input>(p.node.bias_data);
        using bias_element = std::remove_cv_t<std::remove_pointer_t<decltype(bias)>>;
        kernels::depthwise_conv2d_int16x8(t, kernels::fixed<geometry>{},
                                          kernels::conv2d_int16x8_args<bias_element>{
                                              in, p.node.weights_data.data, bias, multipliers.data(),
                                              output::quant::zero_point, act, out});
      } else {
        run(p.node, in, out, scratch);
      }
    }

    static void run(const depthwise_conv2d_node& self, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch = nullptr) {
      const auto* bias_ptr = detail::bias_pointer<Input>(self.bias_data);
      if constexpr (hybrid) {
        static constexpr auto scales = detail::weight_scales<W, static_cast<std::size_t>(out_c)>();
        reference::depthwise_conv2d_hybrid(kernels::fixed<geometry>{}, in,
                                           {self.weights_data.data, scales.data(), W::quant::is_per_channel}, bias_ptr,
                                           act, reference::hybrid_scratch_at(scratch, Input::elements, geometry.batches),
                                           out);
      } else if constexpr (Input::type == dtype::f32) {
        reference::depthwise_conv2d(kernels::fixed<geometry>{}, in, self.weights_data.data, bias_ptr, act, out);
      } else if constexpr (Input::type == dtype::i16) {  // int16x8: TFLM's DepthwiseConvPerChannel for int16
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        reference::depthwise_conv2d(kernels::fixed<geometry>{}, in, self.weights_data.data, bias_ptr,
                                    multipliers.data(), output::quant::zero_point, act, out);
      } else {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        reference::depthwise_conv2d(kernels::fixed<geometry>{}, in, -Input::quant::zero_point, self.weights_data.data,
                                    -W::quant::zero_point_at(0), bias_ptr,
                                    multipliers.data(), output::quant::zero_point, act, out);
      }
    }
  };
};

/// DEPTHWISE_CONV_2D; options as for conv2d. The depth multiplier follows from
/// the weights' last dimension.
template <int In, class W, class B, node_option... Opts>
constexpr auto depthwise_conv2d(node_ref<In>, constant<W> weights, B bias, Opts... opts) {
  static_assert(std::is_same_v<B, no_bias_t> || is_constant_v<B>,
                "qfence: depthwise_conv2d(input, weights, bias, ...): bias must be a qfence::constant<...> or "
                "qfence::no_bias");
  return depthwise_conv2d_node<In, W, B, Opts...>{weights, bias, detail::prepacked_value<std::int16_t>(opts...)};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
