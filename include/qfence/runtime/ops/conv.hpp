// qfence/runtime/ops/conv.hpp: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED
// with runtime shapes, on the reference kernels of qfence/ops/.
#pragma once

#include <cstdint>
#include <vector>

#include "qfence/ops/conv2d.hpp"
#include "qfence/ops/depthwise_conv2d.hpp"
#include "qfence/ops/fully_connected.hpp"
#include "qfence/ops/transpose_conv.hpp"
#include "qfence/runtime/op_context.hpp"

namespace qfence::runtime::ops {

namespace detail {

/// TANH and SIGN_BIT exist as fused activations in the format but no conv
/// kernel of TFLite applies them.
inline void require_plain_activation(const op_context& ctx) {
  ctx.require(ctx.options().raw_activation >= 0 && ctx.options().raw_activation <= 3,
              "fused activation code " + std::to_string(ctx.options().raw_activation) +
                  " is not one of NONE, RELU, RELU_N1_TO_1, RELU6");
}

template <class T>
int_range activation_range(const op_context& ctx, const tensor& out) {
  return quantized_activation_range<T>(ctx.options().fused, out.quant.scale(), out.quant.zero_point());
}

/// TFLite's PopulateConvolutionQuantizationParams: one multiplier per output
/// channel, input_scale * filter_scale / output_scale in double. Legacy
/// uint8 layers (per-tensor weights) use GetQuantizedConvolutionMultipler
/// instead, whose scale product is formed in float: the two differ in the
/// low bits of the multiplier for most layers, and the uint8 goldens
/// (traffic_backbone, deeplabv3) match only the float product.
inline std::vector<quantized_multiplier> conv_multipliers(const tensor& in, const tensor& filter, const tensor& out,
                                                          int channels) {
  std::vector<quantized_multiplier> m(static_cast<std::size_t>(channels));
  for (int c = 0; c < channels; ++c) {
    const float filter_scale = filter.quant.per_channel() ? filter.quant.scales[static_cast<std::size_t>(c)]
                                                          : filter.quant.scale();
    const double product = filter.type == dtype::u8
                               ? static_cast<double>(in.quant.scale() * filter_scale)
                               : static_cast<double>(in.quant.scale()) * static_cast<double>(filter_scale);
    m[static_cast<std::size_t>(c)] = quantize_multiplier(product / static_cast<double>(out.quant.scale()));
  }
  return m;
}

/// Checks the quantization of an 8-bit conv-like layer and returns the weight
/// offset (the negated weight zero point: legacy uint8 only).
inline std::int32_t check_8bit_weights(const op_context& ctx, const tensor& in, const tensor& filter,
                                       const tensor& out, int channels, int channel_axis) {
  ctx.require_per_tensor(in, "the input");
  ctx.require_per_tensor(out, "the output");
  ctx.require(filter.quant.quantized(), "the weights must be quantized, got " + type_text(filter));
  if (filter.quant.per_channel()) {
    ctx.require(filter.type == dtype::i8, "per-channel weights must be i8, got " + type_text(filter));
    ctx.require(filter.quant.axis == channel_axis && static_cast<int>(filter.quant.scales.size()) == channels,
                "per-channel weights must have one scale per output channel along axis " +
                    std::to_string(channel_axis) + ", got " + type_text(filter));
  }
  if (filter.type == dtype::i8)
    for (auto zp : filter.quant.zero_points)
      ctx.require(zp == 0, "int8 weights must be symmetric (zero point 0), got " + type_text(filter));
  return filter.type == dtype::u8 ? -filter.quant.zero_point() : 0;
}

inline void check_bias(const op_context& ctx, int index, int channels, dtype expected) {
  if (!ctx.has_input(index)) return;
  const tensor& bias = ctx.constant_input(index, "bias");
  ctx.require(bias.type == expected && bias.elements() == channels,
              "bias must be " + std::string(name(expected)) + "[" + std::to_string(channels) + "], got " +
                  type_text(bias));
}

/// Checks an int16x8 layer (int16 activations with zero point 0, int8
/// symmetric weights, int64 or int32 bias) and hands its bias, multipliers
/// and clamp range to `make`.
template <class Make>
kernel int16x8_kernel(const op_context& ctx, int bias_input, int channels, Make&& make) {
  const tensor &in = ctx.input(0), &filter = ctx.input(1), &out = ctx.output(0);
  check_8bit_weights(ctx, in, filter, out, channels, 0);
  ctx.require(in.quant.zero_point() == 0 && out.quant.zero_point() == 0,
              "int16 activations must have zero point 0, got " + type_text(in) + " -> " + type_text(out));
  const auto multipliers = conv_multipliers(in, filter, out, channels);
  const int_range act = activation_range<std::int16_t>(ctx, out);
  if (!ctx.has_input(bias_input)) return make(static_cast<const std::int64_t*>(nullptr), multipliers, act);
  const tensor& bias = ctx.constant_input(bias_input, "bias");
  ctx.require((bias.type == dtype::i64 || bias.type == dtype::i32) && bias.elements() == channels,
              "bias must be i64[" + std::to_string(channels) + "] (or i32), got " + type_text(bias));
  if (bias.type == dtype::i64) return make(bias.constant_data<std::int64_t>(), multipliers, act);
  return make(bias.constant_data<std::int32_t>(), multipliers, act);
}

inline window_geometry conv_geometry(const op_context& ctx, const tensor& in, int out_c, int filter_h,
                                     int filter_w) {
  const op_options& o = ctx.options();
  ctx.require(in.rank() == 4, "the input must be 4-D NHWC, got " + type_text(in));
  ctx.require(o.stride_h > 0 && o.stride_w > 0 && o.dilation_h > 0 && o.dilation_w > 0,
              "strides and dilations must be positive");
  const window_geometry g = make_window_geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), out_c, filter_h,
                                                 filter_w, o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, o.pad);
  const tensor& out = ctx.output(0);
  const std::vector<int> expected{g.batches, g.out_h, g.out_w, g.out_c};
  ctx.require(out.shape == expected, "the output shape " + shape_text(out.shape) + " should be " +
                                         shape_text(expected) + " for input " + shape_text(in.shape));
  return g;
}

/// What a float conv-like kernel needs besides geometry and weights.
struct float_epilogue {
  const float* bias;
  float_range act;
};

/// What an 8-bit conv-like kernel needs: offsets, bias, per-channel
/// multipliers, clamp.
struct quantized_epilogue {
  std::int32_t in_offset, filter_offset, out_offset;
  const std::int32_t* bias;
  std::vector<quantized_multiplier> multipliers;
  int_range act;
};

/// The float and 8-bit (int8, legacy uint8) cases shared by CONV_2D and
/// DEPTHWISE_CONV_2D: checks the bias and weights, computes the epilogue
/// and hands it to make_float(epilogue) or make_8bit((T*)0, (TW*)0,
/// epilogue). Returns an empty kernel for other dtypes.
template <class MakeFloat, class Make8>
kernel conv_like(const op_context& ctx, int out_c, int channel_axis, MakeFloat&& make_float, Make8&& make_8bit) {
  const tensor &in = ctx.input(0), &filter = ctx.input(1), &out = ctx.output(0);
  const bool has_bias = ctx.has_input(2);
  if (in.type == dtype::f32 && filter.type == dtype::f32 && out.type == dtype::f32) {
    check_bias(ctx, 2, out_c, dtype::f32);
    return make_float(float_epilogue{has_bias ? ctx.input(2).constant_data<float>() : nullptr,
                                     float_activation_range(ctx.options().fused)});
  }
  auto eight_bit = [&]<class T, class TW>(T*, TW*) -> kernel {
    quantized_epilogue e;
    e.filter_offset = check_8bit_weights(ctx, in, filter, out, out_c, channel_axis);
    check_bias(ctx, 2, out_c, dtype::i32);
    e.bias = has_bias ? ctx.input(2).constant_data<std::int32_t>() : nullptr;
    e.multipliers = conv_multipliers(in, filter, out, out_c);
    e.act = activation_range<T>(ctx, out);
    e.in_offset = -in.quant.zero_point();
    e.out_offset = out.quant.zero_point();
    return make_8bit(static_cast<T*>(nullptr), static_cast<TW*>(nullptr), std::move(e));
  };
  if (in.type == dtype::i8 && filter.type == dtype::i8 && out.type == dtype::i8)
    return eight_bit(static_cast<std::int8_t*>(nullptr), static_cast<std::int8_t*>(nullptr));
  if (in.type == dtype::u8 && filter.type == dtype::u8 && out.type == dtype::u8)
    return eight_bit(static_cast<std::uint8_t*>(nullptr), static_cast<std::uint8_t*>(nullptr));
  return {};
}

}  // namespace detail

inline kernel prepare_conv2d(const op_context& ctx) {
  ctx.require_io(2, 3, 1);
  detail::require_plain_activation(ctx);
  const tensor& in = ctx.input(0);
  const tensor& filter = ctx.constant_input(1, "weights");
  const tensor& out = ctx.output(0);
  ctx.require(filter.rank() == 4, "weights must be 4-D [OC, KH, KW, IC], got " + type_text(filter));
  const int out_c = filter.dim(0), filter_in_c = filter.dim(3);
  const window_geometry g = detail::conv_geometry(ctx, in, out_c, filter.dim(1), filter.dim(2));
  ctx.require(filter_in_c > 0 && g.in_c % filter_in_c == 0 && out_c % (g.in_c / filter_in_c) == 0,
              "weights " + shape_text(filter.shape) + " do not fit input channels " + std::to_string(g.in_c));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::byte* filter_data = filter.data.data();
  kernel k = detail::conv_like(
      ctx, out_c, 0,
      [&](detail::float_epilogue e) -> kernel {
        return [=](const tensor_memory& m) {
          reference::conv2d(g, filter_in_c, m.at<const float>(in_t), reinterpret_cast<const float*>(filter_data),
                            e.bias, e.act, m.at<float>(out_t));
        };
      },
      [&]<class T, class TW>(T*, TW*, detail::quantized_epilogue e) -> kernel {
        return [=](const tensor_memory& m) {
          reference::conv2d(g, filter_in_c, m.at<const T>(in_t), e.in_offset, reinterpret_cast<const TW*>(filter_data),
                            e.filter_offset, e.bias, e.multipliers.data(), e.out_offset, e.act, m.at<T>(out_t));
        };
      });
  if (k) return k;
  if (in.type == dtype::i16 && filter.type == dtype::i8 && out.type == dtype::i16)
    return detail::int16x8_kernel(ctx, 2, out_c, [&]<class Bias>(const Bias* bias, std::vector<quantized_multiplier> mult,
                                                                 int_range act) -> kernel {
      return [=](const tensor_memory& m) {
        reference::conv2d(g, filter_in_c, m.at<const std::int16_t>(in_t),
                          reinterpret_cast<const std::int8_t*>(filter_data), bias, mult.data(), 0, act,
                          m.at<std::int16_t>(out_t));
      };
    });
  ctx.unsupported_types();
}

inline kernel prepare_depthwise_conv2d(const op_context& ctx) {
  ctx.require_io(2, 3, 1);
  detail::require_plain_activation(ctx);
  const tensor& in = ctx.input(0);
  const tensor& filter = ctx.constant_input(1, "weights");
  ctx.require(filter.rank() == 4 && filter.dim(0) == 1,
              "weights must be 4-D [1, KH, KW, OC], got " + type_text(filter));
  const int out_c = filter.dim(3);
  const window_geometry g = detail::conv_geometry(ctx, in, out_c, filter.dim(1), filter.dim(2));
  ctx.require(g.in_c > 0 && out_c % g.in_c == 0,
              "output channels " + std::to_string(out_c) + " are not a multiple of input channels " +
                  std::to_string(g.in_c));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::byte* filter_data = filter.data.data();
  kernel k = detail::conv_like(
      ctx, out_c, 3,
      [&](detail::float_epilogue e) -> kernel {
        return [=](const tensor_memory& m) {
          reference::depthwise_conv2d(g, m.at<const float>(in_t), reinterpret_cast<const float*>(filter_data), e.bias,
                                      e.act, m.at<float>(out_t));
        };
      },
      [&]<class T, class TW>(T*, TW*, detail::quantized_epilogue e) -> kernel {
        return [=](const tensor_memory& m) {
          reference::depthwise_conv2d(g, m.at<const T>(in_t), e.in_offset, reinterpret_cast<const TW*>(filter_data),
                                      e.filter_offset, e.bias, e.multipliers.data(), e.out_offset, e.act,
                                      m.at<T>(out_t));
        };
      });
  if (k) return k;
  ctx.unsupported_types();
}

/// TRANSPOSE_CONV: inputs (output_shape, weights [OC, KH, KW, IC], input,
/// optional bias).
inline kernel prepare_transpose_conv(const op_context& ctx) {
  ctx.require_io(3, 4, 1);
  detail::require_plain_activation(ctx);
  const tensor& filter = ctx.constant_input(1, "weights");
  const tensor &in = ctx.input(2), &out = ctx.output(0);
  const op_options& o = ctx.options();
  ctx.require(in.rank() == 4 && filter.rank() == 4, "input and weights must be 4-D");
  ctx.require(filter.dim(3) == in.dim(3), "weights " + shape_text(filter.shape) + " do not fit input " +
                                              shape_text(in.shape));
  ctx.require(o.stride_h > 0 && o.stride_w > 0, "strides must be positive");
  // output_shape may be computed (in the seanet models it is a graph input);
  // like TFLM, the output tensor's static shape is what counts. A constant
  // output_shape must agree with it.
  if (ctx.input(0).constant) {
    const auto shape = ctx.constant_ints(0, "output_shape");
    ctx.require(std::vector<int>(shape.begin(), shape.end()) == out.shape,
                "output_shape " + shape_text(std::vector<int>(shape.begin(), shape.end())) +
                    " differs from the output tensor's shape " + shape_text(out.shape));
  }
  ctx.require(out.rank() == 4 && out.dim(0) == in.dim(0) && out.dim(3) == filter.dim(0),
              "the output shape " + shape_text(out.shape) + " does not fit input " + shape_text(in.shape) +
                  " and weights " + shape_text(filter.shape));
  const window_geometry g =
      make_transpose_conv_geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), out.dim(1), out.dim(2), out.dim(3),
                                   filter.dim(1), filter.dim(2), o.stride_h, o.stride_w, o.pad);
  const int out_c = out.dim(3);
  const int in_t = ctx.input_index(2), out_t = ctx.output_index(0);
  const std::byte* filter_data = filter.data.data();
  const auto out_elements = static_cast<std::size_t>(out.elements());
  if (in.type == dtype::f32 && filter.type == dtype::f32 && out.type == dtype::f32) {
    detail::check_bias(ctx, 3, out_c, dtype::f32);
    const float* bias = ctx.has_input(3) ? ctx.input(3).constant_data<float>() : nullptr;
    const float_range act = float_activation_range(o.fused);
    auto scratch = std::make_shared<std::vector<float>>(out_elements);
    return [=](const tensor_memory& m) {
      reference::transpose_conv(g, m.at<const float>(in_t), reinterpret_cast<const float*>(filter_data), bias, act,
                                scratch->data(), m.at<float>(out_t));
    };
  }
  if (filter.type != dtype::i8 || in.type != out.type) ctx.unsupported_types();
  detail::check_8bit_weights(ctx, in, filter, out, out_c, 0);
  const auto multipliers = detail::conv_multipliers(in, filter, out, out_c);
  if (in.type == dtype::i8) {
    detail::check_bias(ctx, 3, out_c, dtype::i32);
    const std::int32_t* bias = ctx.has_input(3) ? ctx.input(3).constant_data<std::int32_t>() : nullptr;
    const int_range act = detail::activation_range<std::int8_t>(ctx, out);
    const std::int32_t in_offset = -in.quant.zero_point(), out_offset = out.quant.zero_point();
    auto scratch = std::make_shared<std::vector<std::int32_t>>(out_elements);
    return [=](const tensor_memory& m) {
      reference::transpose_conv(g, m.at<const std::int8_t>(in_t), in_offset,
                                reinterpret_cast<const std::int8_t*>(filter_data), bias, multipliers.data(), out_offset,
                                act, scratch->data(), m.at<std::int8_t>(out_t));
    };
  }
  if (in.type == dtype::i16) {
    ctx.require(in.quant.zero_point() == 0 && out.quant.zero_point() == 0, "int16 activations must have zero point 0");
    const int_range act = detail::activation_range<std::int16_t>(ctx, out);
    auto scratch = std::make_shared<std::vector<std::int64_t>>(out_elements);
    auto with_bias = [&]<class Bias>(const Bias* bias) -> kernel {
      return [=](const tensor_memory& m) {
        reference::transpose_conv(g, m.at<const std::int16_t>(in_t), reinterpret_cast<const std::int8_t*>(filter_data),
                                  bias, multipliers.data(), 0, act, scratch->data(), m.at<std::int16_t>(out_t));
      };
    };
    if (!ctx.has_input(3)) return with_bias(static_cast<const std::int64_t*>(nullptr));
    const tensor& bias = ctx.constant_input(3, "bias");
    ctx.require((bias.type == dtype::i64 || bias.type == dtype::i32) && bias.elements() == out_c,
                "bias must be i64[" + std::to_string(out_c) + "] (or i32), got " + type_text(bias));
    if (bias.type == dtype::i64) return with_bias(bias.constant_data<std::int64_t>());
    return with_bias(bias.constant_data<std::int32_t>());
  }
  ctx.unsupported_types();
}

inline kernel prepare_fully_connected(const op_context& ctx) {
  ctx.require_io(2, 3, 1);
  detail::require_plain_activation(ctx);
  ctx.require(ctx.options().weights_format == 0, "shuffled weight formats are not supported");
  const tensor& in = ctx.input(0);
  const tensor& weights = ctx.constant_input(1, "weights");
  const tensor& out = ctx.output(0);
  ctx.require(weights.rank() == 2, "weights must be 2-D [units, depth], got " + type_text(weights));
  const int units = weights.dim(0), depth = weights.dim(1);
  ctx.require(depth > 0 && in.elements() % depth == 0,
              "input " + type_text(in) + " does not flatten to rows of depth " + std::to_string(depth));
  const int batches = static_cast<int>(in.elements() / depth);
  ctx.require(out.elements() == static_cast<std::int64_t>(batches) * units && out.rank() >= 1 &&
                  out.shape.back() == units,
              "the output shape " + shape_text(out.shape) + " should hold " + std::to_string(batches) + " rows of " +
                  std::to_string(units));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const int bias_t = ctx.has_input(2) ? ctx.input_index(2) : -1;
  const std::byte* w_data = weights.data.data();

  if (in.type == dtype::f32 && weights.type == dtype::f32 && out.type == dtype::f32) {
    detail::check_bias(ctx, 2, units, dtype::f32);
    const float_range act = float_activation_range(ctx.options().fused);
    const float* bias = bias_t >= 0 ? ctx.input(2).constant_data<float>() : nullptr;
    return [=](const tensor_memory& m) {
      reference::fully_connected(batches, depth, units, m.at<const float>(in_t), reinterpret_cast<const float*>(w_data),
                                 bias, act, m.at<float>(out_t));
    };
  }
  auto eight_bit = [&]<class T, class TW>(T*, TW*) -> kernel {
    const std::int32_t w_offset = detail::check_8bit_weights(ctx, in, weights, out, units, 0);
    detail::check_bias(ctx, 2, units, dtype::i32);
    const std::int32_t* bias = bias_t >= 0 ? ctx.input(2).constant_data<std::int32_t>() : nullptr;
    const int_range act_range = detail::activation_range<T>(ctx, out);
    const std::int32_t in_off = -in.quant.zero_point(), out_off = out.quant.zero_point();
    if (ctx.arithmetic() == numerics::tflite) {
      // TFLite rescales in double (DESIGN §5).
      std::vector<double> scales;
      for (std::size_t c = 0; c < weights.quant.scales.size(); ++c)
        scales.push_back(static_cast<double>(in.quant.scale()) * static_cast<double>(weights.quant.scales[c]) /
                         static_cast<double>(out.quant.scale()));
      const int scale_stride = weights.quant.per_channel() ? 1 : 0;
      return [=](const tensor_memory& m) {
        reference::fully_connected_double_rescale(batches, depth, units, m.at<const T>(in_t), in_off,
                                                  reinterpret_cast<const TW*>(w_data), w_offset, bias, scales.data(),
                                                  scale_stride, out_off, act_range, m.at<T>(out_t));
      };
    }
    std::vector<quantized_multiplier> multipliers;
    if (weights.quant.per_channel()) {
      multipliers = detail::conv_multipliers(in, weights, out, units);
    } else {
      // TFLM (and TFLite's GetQuantizedConvolutionMultipler before it moved to
      // double): the scale product is formed in float.
      multipliers.push_back(quantize_multiplier(static_cast<double>(in.quant.scale() * weights.quant.scale()) /
                                                static_cast<double>(out.quant.scale())));
    }
    const int stride = weights.quant.per_channel() ? 1 : 0;
    const int_range act = detail::activation_range<T>(ctx, out);
    const std::int32_t in_offset = -in.quant.zero_point(), out_offset = out.quant.zero_point();
    return [=](const tensor_memory& m) {
      reference::fully_connected(batches, depth, units, m.at<const T>(in_t), in_offset,
                                 reinterpret_cast<const TW*>(w_data), w_offset, bias, multipliers.data(), stride,
                                 out_offset, act, m.at<T>(out_t));
    };
  };
  if (in.type == dtype::i8 && weights.type == dtype::i8 && out.type == dtype::i8)
    return eight_bit(static_cast<std::int8_t*>(nullptr), static_cast<std::int8_t*>(nullptr));
  if (in.type == dtype::u8 && weights.type == dtype::u8 && out.type == dtype::u8)
    return eight_bit(static_cast<std::uint8_t*>(nullptr), static_cast<std::uint8_t*>(nullptr));
  ctx.unsupported_types();
}

}  // namespace qfence::runtime::ops
