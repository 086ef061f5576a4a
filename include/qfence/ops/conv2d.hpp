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

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/conv2d.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct conv2d {
  static constexpr const char* name = "conv2d";
};
}  // namespace op

namespace reference {

/// The convolution loop shared by the float and int8 kernels: accumulates
/// filter * (input + input_offset) over the in-bounds taps (padding taps are
/// skipped, as TFLite does, which is zero padding in the real domain) and hands
/// each output element's accumulator to `finish(index, channel, acc)`.
/// `filter_in_c` < in_c means grouped convolution. `filter_offset` is the
/// negated weight zero point of legacy uint8 models (0 otherwise).
template <class Acc, class TIn, class TFilter, class Finish>
inline void conv2d_loop(const window_geometry& g, int filter_in_c, const TIn* input, const TFilter* filter,
                        Finish&& finish, Acc input_offset, Acc filter_offset = 0) noexcept {
  const int filters_per_group = g.out_c / (g.in_c / filter_in_c);
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int group = oc / filters_per_group;
          const int in_y0 = oy * g.stride_h - g.pad_h;
          const int in_x0 = ox * g.stride_w - g.pad_w;
          Acc acc = 0;
          for (int fy = 0; fy < g.filter_h; ++fy) {
            const int iy = in_y0 + g.dilation_h * fy;
            for (int fx = 0; fx < g.filter_w; ++fx) {
              const int ix = in_x0 + g.dilation_w * fx;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              const TIn* in = input + ((b * g.in_h + iy) * g.in_w + ix) * g.in_c + group * filter_in_c;
              const TFilter* f = filter + ((oc * g.filter_h + fy) * g.filter_w + fx) * filter_in_c;
              for (int ic = 0; ic < filter_in_c; ++ic)
                acc += (static_cast<Acc>(f[ic]) + filter_offset) * (static_cast<Acc>(in[ic]) + input_offset);
            }
          }
          finish(((b * g.out_h + oy) * g.out_w + ox) * g.out_c + oc, oc, acc);
        }
}

/// Float convolution (TFLite reference_ops::Conv).
inline void conv2d(const window_geometry& g, int filter_in_c, const float* input, const float* filter,
                   const float* bias, float_range act, float* output) noexcept {
  conv2d_loop<float>(g, filter_in_c, input, filter, add_bias_and_clamp{bias, act, output}, 0.0f);
}

/// Int8 convolution with per-channel requantization
/// (TFLite reference_integer_ops::ConvPerChannel), and legacy uint8 with a
/// weight zero point (reference_ops::Conv; its one multiplier repeated per
/// channel).
template <class T, class TFilter>
  requires(sizeof(T) == 1 && sizeof(TFilter) == 1)
inline void conv2d(const window_geometry& g, int filter_in_c, const T* input, std::int32_t input_offset,
                   const TFilter* filter, std::int32_t filter_offset, const std::int32_t* bias,
                   const quantized_multiplier* multipliers, std::int32_t output_offset, int_range act,
                   T* output) noexcept {
  conv2d_loop<std::int32_t>(g, filter_in_c, input, filter,
                            requantize_per_channel<T>{bias, multipliers, output_offset, act, output}, input_offset,
                            filter_offset);
}

/// Int16x8 convolution (TFLite reference_integer_ops::ConvPerChannel for
/// int16 activations): int8 weights, 64-bit accumulation and bias, input
/// and output zero points 0.
template <class Bias>
inline void conv2d(const window_geometry& g, int filter_in_c, const std::int16_t* input, const std::int8_t* filter,
                   const Bias* bias, const quantized_multiplier* multipliers, std::int32_t output_offset,
                   int_range act, std::int16_t* output) noexcept {
  conv2d_loop<std::int64_t>(g, filter_in_c, input, filter,
                            requantize_per_channel_wide<Bias>{bias, multipliers, output_offset, act, output},
                            std::int64_t{0});
}

}  // namespace reference

/// A CONV_2D node. Build it with `qfence::conv2d(...)`.
template <int In, class W, class B, class... Opts>
struct conv2d_node {
  using op = op::conv2d;
  using inputs = refs<In>;
  constant<W> weights_data;
  B bias_data;  // constant<...> or no_bias_t

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
                                               option_kind::fused_activation, option_kind::output_quantization>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>, weights<W>, bias<detail::bias_tensor_t<B>>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr int in_c = Input::shape_type::dim(3);
    static constexpr int out_c = W::shape_type::dim(0);
    static constexpr int filter_in_c = W::shape_type::dim(3);
    static constexpr window_geometry geometry =
        conv_geometry(detail::conv_attrs_of<Opts...>(), describe<Input>(), describe<W>(), false);
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    static void run(const conv2d_node& self, const typename Input::element* in, typename output::element* out) {
      const auto* bias_ptr = detail::bias_pointer<Input>(self.bias_data);
      if constexpr (Input::type == dtype::f32) {
        reference::conv2d(geometry, filter_in_c, in, self.weights_data.data, bias_ptr, act, out);
      } else if constexpr (Input::type == dtype::i16) {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        reference::conv2d(geometry, filter_in_c, in, self.weights_data.data, bias_ptr, multipliers.data(),
                          output::quant::zero_point, act, out);
      } else {
        static constexpr auto multipliers =
            detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(out_c)>();
        reference::conv2d(geometry, filter_in_c, in, -Input::quant::zero_point, self.weights_data.data,
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
constexpr auto conv2d(node_ref<In>, constant<W> weights, B bias, Opts...) {
  static_assert(std::is_same_v<B, no_bias_t> || is_constant_v<B>,
                "qfence: conv2d(input, weights, bias, ...): bias must be a qfence::constant<...> or qfence::no_bias");
  return conv2d_node<In, W, B, Opts...>{weights, bias};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
