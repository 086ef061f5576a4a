// qfence/ops/conv2d.hpp: CONV_2D.
//
// Type rule: input f32 or i8 (per-tensor); weights [OC, KH, KW, IC/groups] of
// the matching kind (f32, or i8 symmetric per-tensor / per-channel along axis
// 0); bias [OC] f32 / i32, or no_bias. Output: f32, or i8 quantized as out<...>
// says. Numerics: TFLite reference_ops::Conv (float) and
// reference_integer_ops::ConvPerChannel (int8).
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "qfence/kernels/reference/conv2d.hpp"
#include "qfence/kernels/reference/hybrid.hpp"
#include "qfence/ops/hybrid_support.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/packed_arrays.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/conv2d.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct conv2d {
  static constexpr const char* name = "conv2d";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::conv_2d;
};
}  // namespace op


/// A CONV_2D node. Build it with `qfence::conv2d(...)`.
template <int In, class W, class B, class... Opts>
struct conv2d_node {
  using op = op::conv2d;
  using inputs = refs<In>;
  constant<W> weights_data;
  B bias_data;  // constant<...> or no_bias_t
  prepacked_t<detail::packed_weight_t<W>> packed{};  // from qfence embed, or nothing

  /// The op rule (qfence/rules/conv2d.hpp) on this node's operand types.
  template <class Input>
  struct rule {
    static constexpr rule_result value =
        conv2d_rule(detail::conv_attrs_of<Opts...>(), describe<Input>(), describe<W>(),
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
                                          ? detail::hybrid_scratch_need<Input, W>(W::shape_type::dim(0),
                                                                                  Input::shape_type::dim(0))
                                          : 0> {
    static constexpr int in_c = Input::shape_type::dim(3);
    static constexpr int out_c = W::shape_type::dim(0);
    static constexpr int filter_in_c = W::shape_type::dim(3);
    static constexpr window_geometry geometry =
        conv_geometry(detail::conv_attrs_of<Opts...>(), describe<Input>(), describe<W>(), false);
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    /// int8, legacy uint8, int16x8 and float with groups of 1 run the
    /// Highway kernels (kernels/conv2d-inl.hpp, conv2d_int16x8-inl.hpp,
    /// conv2d_float-inl.hpp) on weights packed when the model is built; the
    /// rest the reference.
    static constexpr bool simd = ((Input::type == dtype::i8 && W::type == dtype::i8) ||
                                  (Input::type == dtype::u8 && W::type == dtype::u8)) &&
                                 filter_in_c == in_c;
    static constexpr bool simd_float = Input::type == dtype::f32 && W::type == dtype::f32 && filter_in_c == in_c;
    static constexpr bool simd_int16x8 = Input::type == dtype::i16 && filter_in_c == in_c;
    /// Float input, int8 weights (a dynamic-range model): TFLite's hybrid
    /// kernel, which quantizes the input in this node's scratch at every
    /// invoke; groups of 1 on the int8 kernel's tiles (kernels/hybrid_conv.hpp).
    static constexpr bool hybrid = Input::type == dtype::f32 && W::type == dtype::i8;
    static constexpr bool simd_hybrid = hybrid && filter_in_c == in_c;
    static constexpr auto packing =
        kernels::conv_packing::for_filter(out_c, geometry.filter_h, geometry.filter_w, in_c, geometry.dilation_w);
    static constexpr auto int16x8_packing =
        kernels::conv_packing::for_filter(out_c, geometry.filter_h, geometry.filter_w, in_c, geometry.dilation_w, 2);
    static constexpr kernels::conv_float_packing float_packing{out_c, geometry.filter_h * geometry.filter_w * in_c};
    /// The layer's multipliers, a constant of its own (not evaluated inside
    /// the graph's constant expression: compilers bound each one's steps).
    static constexpr auto simd_multipliers = [] {
      if constexpr (simd || simd_int16x8) return detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
      else return 0;
    }();
    static constexpr bool prepacked = has_option<option_kind::prepacked, Opts...>;
    using hybrid_arrays =
        kernels::hybrid_arrays<detail::hybrid_spec<packing, W, static_cast<std::size_t>(out_c),
                                                   detail::fused_activation_of<Opts...>, false, false>,
                               prepacked>;
    using arrays = std::conditional_t<
        simd_hybrid, hybrid_arrays,
        std::conditional_t<
            simd_float, kernels::conv2d_float_arrays<float_packing, prepacked>,
            std::conditional_t<simd_int16x8, kernels::conv2d_int16x8_arrays<int16x8_packing, prepacked>,
                               kernels::conv2d_quantized_arrays<typename Input::element, packing, prepacked>>>>;

    using prepared = detail::prepared_layer<conv2d_node, Input, simd || simd_float || simd_hybrid || simd_int16x8,
                                            arrays, prepacked, simd_multipliers>;

    static void run(const prepared& p, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch = nullptr) {
      if constexpr (simd) {
        kernels::conv2d_quantized<typename Input::element>(t, kernels::fixed<geometry>{},
                             {in, p.packed.weight_data(), p.packed.epilogue_data(), p.packed.pad_row.data(),
                              output::quant::zero_point, act, out, p.packed.input_sum_factor},
                             detail::requantize_form_for<output, simd_multipliers, act>{});
      } else if constexpr (simd_float) {
        kernels::conv2d_float(t, kernels::fixed<geometry>{}, {in, p.packed.weight_data(), p.packed.bias_data(), act, out});
      } else if constexpr (simd_hybrid) {
        detail::run_hybrid(t, geometry, p.packed, in, Input::elements, scratch, out, [&] { run(p.node, in, out, scratch); });
      } else if constexpr (simd_int16x8) {  // the bias widened in p.packed
        kernels::conv2d_int16x8(t, kernels::fixed<geometry>{},
                                {{in, p.node.weights_data.data, p.packed.bias_data(), simd_multipliers.data(),
                                  output::quant::zero_point, act, out},
                                 p.packed.weight_data(),
                                 p.packed.pad_row.data()});
      } else {
        run(p.node, in, out, scratch);
      }
    }

    static void run(const conv2d_node& self, const typename Input::element* in, typename output::element* out,
                    [[maybe_unused]] void* scratch = nullptr) {
      const auto* bias_ptr = detail::bias_pointer<Input>(self.bias_data);
      if constexpr (hybrid) {
        static constexpr auto scales = detail::weight_scales<W, static_cast<std::size_t>(out_c)>();
        reference::conv2d_hybrid(kernels::fixed<geometry>{}, filter_in_c, in,
                                 {self.weights_data.data, scales.data(), W::quant::is_per_channel}, bias_ptr, act,
                                 reference::hybrid_scratch_at(scratch, Input::elements, geometry.batches), out);
      } else if constexpr (Input::type == dtype::f32) {
        reference::conv2d(kernels::fixed<geometry>{}, filter_in_c, in, self.weights_data.data, bias_ptr, act, out);
      } else if constexpr (Input::type == dtype::i16) {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        reference::conv2d(kernels::fixed<geometry>{}, filter_in_c, in, self.weights_data.data, bias_ptr, multipliers.data(),
                          output::quant::zero_point, act, out);
      } else {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        reference::conv2d(kernels::fixed<geometry>{}, filter_in_c, in, -Input::quant::zero_point, self.weights_data.data,
                          -W::quant::zero_point_at(0), bias_ptr,
                          multipliers.data(), output::quant::zero_point, act, out);
      }
    }
  };
};

/// CONV_2D of node `In`'s output with `weights` and `bias` (or `no_bias`).
/// Options: stride<..>, dilation<..>, same/valid (default same), fused_relu...,
/// out<...> (required for quantized inputs).
template <int In, class W, class B, node_option... Opts>
constexpr auto conv2d(node_ref<In>, constant<W> weights, B bias, Opts... opts) {
  static_assert(std::is_same_v<B, no_bias_t> || is_constant_v<B>,
                "qfence: conv2d(input, weights, bias, ...): bias must be a qfence::constant<...> or qfence::no_bias");
  return conv2d_node<In, W, B, Opts...>{weights, bias, detail::prepacked_value<detail::packed_weight_t<W>>(opts...)};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
