// qfence/ops/fully_connected.hpp: FULLY_CONNECTED.
//
// Input [..., K] (flattened to [elements / K, K]); weights [N, K]; bias [N].
// Output [batches, N]. Numerics: TFLite reference_ops::FullyConnected (float)
// and reference_integer_ops::FullyConnected (int8; per-tensor weights, or
// per-channel along the units axis as TFLM's FullyConnectedPerChannel). The
// int8 multiplier is TFLM's: (float)(in_scale * w_scale) / out_scale, then
// QuantizeMultiplier (docs/numerics.md, "Two references": current TFLite rescales in double instead;
// that variant arrives with the numerics option of the TFLite importer).
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "qfence/kernels/reference/fully_connected.hpp"
#include "qfence/kernels/reference/hybrid.hpp"
#include "qfence/ops/hybrid_support.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/packed_arrays.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/fully_connected.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct fully_connected {
  static constexpr const char* name = "fully_connected";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::fully_connected;
};
}  // namespace op


template <int In, class W, class B, class... Opts>
struct fully_connected_node {
  using op = op::fully_connected;
  using inputs = refs<In>;
  constant<W> weights_data;
  B bias_data;
  prepacked_t<detail::packed_weight_t<W>> packed{};  // from qfence embed, or nothing

  /// The op rule (qfence/rules/fully_connected.hpp) on this node's operand types.
  template <class Input>
  struct rule {
    static constexpr rule_result value = fully_connected_rule(
        {detail::fused_activation_of<Opts...>, true, false, true}, describe<Input>(), describe<W>(),
        detail::bias_desc<B>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::fused_activation, option_kind::output_quantization,
                                               option_kind::numerics, option_kind::prepacked,
                                               option_kind::asymmetric_inputs>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>, weights<W>, bias<detail::bias_tensor_t<B>>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed : detail::scratch_need<(Input::type == dtype::f32 && W::type == dtype::i8)
                                          ? detail::hybrid_scratch_need<Input, W>(
                                                W::shape_type::dim(0),
                                                static_cast<int>(Input::elements / W::shape_type::dim(1)))
                                          : 0> {
    static constexpr int depth = W::shape_type::dim(1);
    static constexpr int units = W::shape_type::dim(0);
    static constexpr int batches = static_cast<int>(Input::elements / depth);
    /// The layer's shape as a compile-time kernel parameter.
    using kernel_shape = kernels::fixed<reference::fc_geometry{batches, depth, units}>;
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    /// int8 with TFLM's rescaling runs the Highway convolution
    /// (kernels/conv2d-inl.hpp) as a 1x1 convolution over the rows, on weights
    /// packed when the model is built; the rest the reference.
    static constexpr bool simd =
        Input::type == dtype::i8 && W::type == dtype::i8 && !has_option<option_kind::numerics, Opts...>;
    /// int16x8 with TFLM's rescaling and an int64 bias (or none) runs the
    /// int16x8 convolution (kernels/conv2d_int16x8-inl.hpp) alike; with an
    /// int32 bias TFLM accumulates in int32, on the reference.
    static constexpr bool simd_int16x8 =
        Input::type == dtype::i16 && W::type == dtype::i8 && !has_option<option_kind::numerics, Opts...> &&
        std::is_same_v<std::remove_cvref_t<decltype(*detail::bias_pointer<Input>(std::declval<const B&>()))>,
                       std::int64_t>;
    /// Float runs the float convolution kernel (kernels/conv2d_float-inl.hpp) alike.
    static constexpr bool simd_float = Input::type == dtype::f32 && W::type == dtype::f32;
    /// Float input, int8 weights (a dynamic-range model): TFLite's hybrid
    /// kernel, which quantizes the input in this node's scratch at every
    /// invoke, on the int8 kernel's tiles (kernels/hybrid_conv.hpp).
    static constexpr bool hybrid = Input::type == dtype::f32 && W::type == dtype::i8;
    static constexpr window_geometry geometry = fully_connected_geometry(batches, depth, units);
    static constexpr kernels::conv_packing packing{units, 1, depth};
    static constexpr kernels::conv_packing int16x8_packing{units, 1, depth, 2};
    static constexpr bool prepacked = has_option<option_kind::prepacked, Opts...>;
    using hybrid_arrays =
        kernels::hybrid_arrays<detail::hybrid_spec<packing, W, static_cast<std::size_t>(units),
                                                   detail::fused_activation_of<Opts...>, true,
                                                   has_option<option_kind::asymmetric_inputs, Opts...>>,
                               prepacked>;
    using arrays = std::conditional_t<
        hybrid, hybrid_arrays,
        std::conditional_t<
            simd_float, kernels::conv2d_float_arrays<kernels::conv_float_packing{units, depth}, prepacked>,
            std::conditional_t<simd_int16x8, kernels::conv2d_int16x8_arrays<int16x8_packing, prepacked>,
                               kernels::conv2d_quantized_arrays<std::int8_t, packing, prepacked>>>>;
    /// One multiplier per unit (TFLM: per channel from the double product,
    /// or the per-tensor one from the float product, repeated), a constant of
    /// its own.
    static constexpr auto simd_multipliers = [] {
      if constexpr (!simd && !simd_int16x8) {
        return 0;
      } else if constexpr (W::quant::is_per_channel) {
        return detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(units)>();
      } else {
        std::array<quantized_multiplier, static_cast<std::size_t>(units)> m{};
        for (auto& x : m) x = rescale_multiplier(Input::quant::scale, W::quant::scale, output::quant::scale, true);
        return m;
      }
    }();

    using prepared = detail::prepared_layer<fully_connected_node, Input, simd || simd_float || hybrid || simd_int16x8,
                                            arrays, prepacked, simd_multipliers>;

    static void run(const prepared& p, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch = nullptr) {
      if constexpr (simd) {
        kernels::conv2d_quantized<typename Input::element>(t, kernels::fixed<geometry>{},
                             {in, p.packed.weight_data(), p.packed.epilogue_data(), p.packed.pad_row.data(),
                              output::quant::zero_point, act, out},
                             detail::requantize_form_for<output, simd_multipliers, act>{});
      } else if constexpr (simd_float) {
        kernels::conv2d_float(t, kernels::fixed<geometry>{}, {in, p.packed.weight_data(), p.packed.bias_data(), act, out});
      } else if constexpr (simd_int16x8) {
        kernels::conv2d_int16x8(t, kernels::fixed<geometry>{},
                                {{in, p.node.weights_data.data, p.packed.bias_data(), simd_multipliers.data(),
                                  output::quant::zero_point, act, out},
                                 p.packed.weight_data(),
                                 p.packed.pad_row.data()});
      } else if constexpr (hybrid) {
        detail::run_hybrid(t, geometry, p.packed, in, Input::elements, scratch, out, [&] { run(p.node, in, out, scratch); });
      } else {
        run(p.node, in, out, scratch);
      }
    }

    static void run(const fully_connected_node& self, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch = nullptr) {
      const auto* bias_ptr = detail::bias_pointer<Input>(self.bias_data);
      if constexpr (hybrid) {
        static constexpr auto scales = detail::weight_scales<W, static_cast<std::size_t>(units)>();
        reference::fully_connected_hybrid(kernel_shape{}, in, {self.weights_data.data, scales.data(), W::quant::is_per_channel},
                                          bias_ptr, detail::fused_activation_of<Opts...>,
                                          has_option<option_kind::asymmetric_inputs, Opts...>,
                                          reference::hybrid_scratch_at(scratch, Input::elements, batches), out);
      } else if constexpr (Input::type == dtype::f32) {
        reference::fully_connected(kernel_shape{}, in, self.weights_data.data, bias_ptr, act, out);
      } else if constexpr (has_option<option_kind::numerics, Opts...>) {
        static constexpr auto scales = [] {
          std::array<double, W::quant::is_per_channel ? static_cast<std::size_t>(units) : 1> s{};
          for (std::size_t c = 0; c < s.size(); ++c)
            s[c] = static_cast<double>(Input::quant::scale) * static_cast<double>(W::quant::scale_at(c)) /
                   static_cast<double>(output::quant::scale);
          return s;
        }();
        reference::fully_connected_double_rescale(kernel_shape{}, in, -Input::quant::zero_point,
                                                  self.weights_data.data, -W::quant::zero_point_at(0), bias_ptr,
                                                  scales.data(), W::quant::is_per_channel ? 1 : 0,
                                                  output::quant::zero_point, act, out);
      } else {
        if constexpr (W::quant::is_per_channel) {
          // TFLM FullyConnectedPerChannel: multipliers as for conv (double).
          static constexpr auto multipliers =
              detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(units)>();
          reference::fully_connected(kernel_shape{}, in, -Input::quant::zero_point, self.weights_data.data, 0,
                                     bias_ptr, multipliers.data(), 1, output::quant::zero_point, act, out);
        } else {
          // TFLite GetQuantizedConvolutionMultipler: the scale product is formed in float.
          static constexpr quantized_multiplier multiplier =
              rescale_multiplier(Input::quant::scale, W::quant::scale, output::quant::scale, true);
          reference::fully_connected(kernel_shape{}, in, -Input::quant::zero_point, self.weights_data.data,
                                     -W::quant::zero_point, bias_ptr, &multiplier, 0, output::quant::zero_point, act,
                                     out);
        }
      }
    }
  };
};

/// FULLY_CONNECTED; options: fused_relu..., out<...>.
template <int In, class W, class B, node_option... Opts>
constexpr auto fully_connected(node_ref<In>, constant<W> weights, B bias, Opts... opts) {
  static_assert(std::is_same_v<B, no_bias_t> || is_constant_v<B>,
                "qfence: fully_connected(input, weights, bias, ...): bias must be a qfence::constant<...> or "
                "qfence::no_bias");
  return fully_connected_node<In, W, B, Opts...>{weights, bias, detail::prepacked_value<detail::packed_weight_t<W>>(opts...)};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
