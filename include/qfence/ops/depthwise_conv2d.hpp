// qfence/ops/depthwise_conv2d.hpp: DEPTHWISE_CONV_2D.
//
// Weights [1, KH, KW, IC * depth_multiplier], per-channel along axis 3.
// Numerics: TFLite reference_ops::DepthwiseConv (float) and
// reference_integer_ops::DepthwiseConvPerChannel (int8).
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/depthwise_conv2d.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct depthwise_conv2d {
  static constexpr const char* name = "depthwise_conv2d";
};
}  // namespace op

namespace reference {

template <class Acc, class TIn, class TFilter, class Finish>
inline void depthwise_conv2d_loop(const window_geometry& g, const TIn* input, const TFilter* filter, Finish&& finish,
                                  Acc input_offset, Acc filter_offset = 0) noexcept {
  const int depth_multiplier = g.out_c / g.in_c;
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int ic = 0; ic < g.in_c; ++ic)
          for (int m = 0; m < depth_multiplier; ++m) {
            const int oc = m + ic * depth_multiplier;
            const int in_y0 = oy * g.stride_h - g.pad_h;
            const int in_x0 = ox * g.stride_w - g.pad_w;
            Acc acc = 0;
            for (int fy = 0; fy < g.filter_h; ++fy) {
              const int iy = in_y0 + g.dilation_h * fy;
              for (int fx = 0; fx < g.filter_w; ++fx) {
                const int ix = in_x0 + g.dilation_w * fx;
                if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
                const Acc in_value = static_cast<Acc>(input[((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ic]);
                const Acc f_value = static_cast<Acc>(filter[(fy * g.filter_w + fx) * g.out_c + oc]);
                acc += (f_value + filter_offset) * (in_value + input_offset);
              }
            }
            finish(((b * g.out_h + oy) * g.out_w + ox) * g.out_c + oc, oc, acc);
          }
}

inline void depthwise_conv2d(const window_geometry& g, const float* input, const float* filter, const float* bias,
                             float_range act, float* output) noexcept {
  depthwise_conv2d_loop<float>(g, input, filter, add_bias_and_clamp{bias, act, output}, 0.0f);
}

/// Int8 per-channel and legacy uint8 (weight zero point) depthwise
/// convolution, as conv2d.
template <class T, class TFilter>
  requires(sizeof(T) == 1 && sizeof(TFilter) == 1)
inline void depthwise_conv2d(const window_geometry& g, const T* input, std::int32_t input_offset,
                             const TFilter* filter, std::int32_t filter_offset, const std::int32_t* bias,
                             const quantized_multiplier* multipliers, std::int32_t output_offset, int_range act,
                             T* output) noexcept {
  depthwise_conv2d_loop<std::int32_t>(g, input, filter,
                                      requantize_per_channel<T>{bias, multipliers, output_offset, act, output},
                                      input_offset, filter_offset);
}

}  // namespace reference

template <int In, class W, class B, class... Opts>
struct depthwise_conv2d_node {
  using op = op::depthwise_conv2d;
  using inputs = refs<In>;
  constant<W> weights_data;
  B bias_data;

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
                                               option_kind::fused_activation, option_kind::output_quantization>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>, weights<W>, bias<detail::bias_tensor_t<B>>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr int out_c = W::shape_type::dim(3);
    static constexpr window_geometry geometry =
        conv_geometry(detail::conv_attrs_of<Opts...>(), describe<Input>(), describe<W>(), true);
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    static void run(const depthwise_conv2d_node& self, const typename Input::element* in,
                    typename output::element* out) {
      const auto* bias_ptr = detail::bias_pointer<Input>(self.bias_data);
      if constexpr (Input::type == dtype::f32) {
        reference::depthwise_conv2d(geometry, in, self.weights_data.data, bias_ptr, act, out);
      } else {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        reference::depthwise_conv2d(geometry, in, -Input::quant::zero_point, self.weights_data.data,
                                    -W::quant::zero_point_at(0), bias_ptr,
                                    multipliers.data(), output::quant::zero_point, act, out);
      }
    }
  };
};

/// DEPTHWISE_CONV_2D; options as for conv2d. The depth multiplier follows from
/// the weights' last dimension.
template <int In, class W, class B, node_option... Opts>
constexpr auto depthwise_conv2d(node_ref<In>, constant<W> weights, B bias, Opts...) {
  static_assert(std::is_same_v<B, no_bias_t> || is_constant_v<B>,
                "qfence: depthwise_conv2d(input, weights, bias, ...): bias must be a qfence::constant<...> or "
                "qfence::no_bias");
  return depthwise_conv2d_node<In, W, B, Opts...>{weights, bias};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
