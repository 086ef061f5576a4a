// qfence/ops/depthwise_conv2d.hpp: DEPTHWISE_CONV_2D.
//
// Weights [1, KH, KW, IC * depth_multiplier], per-channel along axis 3.
// Numerics: TFLite reference_ops::DepthwiseConv (float) and
// reference_integer_ops::DepthwiseConvPerChannel (int8).
#pragma once

#include <cstdint>

#include "qfence/ops/geometry.hpp"
#include "qfence/ops/op_support.hpp"

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

  template <int Index, class Input>
  static constexpr bool validate() {
    using ctx = at_node<Index, op>;
    constexpr int in_c = Input::shape_type::dim(3);
    constexpr int out_c = W::shape_type::dim(3);
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::stride, option_kind::dilation, option_kind::padding,
                                               option_kind::fused_activation, option_kind::output_quantization>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((detail::require_activation<Index, op, 0, Input, dtype::f32, dtype::i8, dtype::u8>()))
    QFENCE_REQUIRE(Input::rank == 4, (ctx, operand<0>, producer<Input>),
                   "qfence: depthwise_conv2d takes a 4-D NHWC input. fix: reshape it to [N, H, W, C]")
    QFENCE_REQUIRE(W::rank == 4 && W::shape_type::dim(0) == 1 && in_c > 0 && out_c % in_c == 0,
                   (ctx, producer<Input>, weights<W>),
                   "qfence: depthwise_conv2d weights must be [1, filter_h, filter_w, in_channels * depth_multiplier]. "
                   "fix: check the weight tensor's shape")
    QFENCE_REQUIRE((detail::weight_dtype_fits<Input, W>()), (ctx, producer<Input>, weights<W>),
                   "qfence: depthwise_conv2d weight dtype does not match the input: f32 input takes f32 weights, "
                   "i8 input takes quantized i8 weights, u8 input per-tensor u8 weights")
    QFENCE_REQUIRE(!W::quant::is_per_channel || detail::per_channel_axis<typename W::quant>() == 3, (ctx, weights<W>),
                   "qfence: depthwise_conv2d per-channel weight quantization must be along axis 3")
    QFENCE_REQUIRE(W::quant::channels <= 1 || W::quant::channels == static_cast<std::size_t>(out_c),
                   (ctx, weights<W>, channels<out_c>, scales_given<W::quant::channels>),
                   "qfence: per-channel weight quantization has a different number of scales than the layer has "
                   "output channels. fix: give one scale and one zero point per output channel")
    QFENCE_REQUIRE(W::type != dtype::i8 || detail::all_zero_points_zero<typename W::quant>(), (ctx, weights<W>),
                   "qfence: int8 weights must be symmetric (zero point 0), as TFLite requires")
    QFENCE_REQUIRE((detail::bias_fits<B, Input, out_c>()),
                   (ctx, bias<detail::bias_tensor_t<B>>, expected<detail::expected_bias<Input, out_c>>, producer<Input>, channels<out_c>),
                   "qfence: depthwise_conv2d bias has the wrong dtype or shape: f32 layers take an f32 bias, i8/u8 "
                   "layers an i32 bias, of shape [out_channels]")
    QFENCE_REQUIRE_THAT(detail::require_output_quantization<Index, op, Input, Opts...>())
    QFENCE_REQUIRE((typed<Index, Input>::geometry.out_h > 0 && typed<Index, Input>::geometry.out_w > 0),
                   (ctx, producer<Input>, weights<W>),
                   "qfence: depthwise_conv2d output would be empty: the (dilated) filter is larger than the "
                   "VALID-padded input. fix: use qfence::same padding or a smaller filter")
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr int out_c = W::shape_type::dim(3);
    using stride_o = option_or<option_kind::stride, stride_t<1>, Opts...>;
    using dilation_o = option_or<option_kind::dilation, dilation_t<1>, Opts...>;
    static constexpr padding pad = option_or<option_kind::padding, padding_t<padding::same>, Opts...>::value;
    static constexpr window_geometry geometry = make_window_geometry(
        Input::shape_type::dim(0), Input::shape_type::dim(1), Input::shape_type::dim(2), Input::shape_type::dim(3),
        out_c, W::shape_type::dim(1), W::shape_type::dim(2), stride_o::h, stride_o::w, dilation_o::h, dilation_o::w,
        pad);
    using output = detail::requantized_output<
        Input, shape<geometry.batches, (geometry.out_h > 0 ? geometry.out_h : 0), (geometry.out_w > 0 ? geometry.out_w : 0), out_c>,
        Opts...>;
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
