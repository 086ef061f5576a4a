// qfence/runtime/ops/conv.hpp: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED
// with runtime shapes, on the reference kernels of qfence/ops/.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/packed_buffers.hpp"
#include "qfence/kernels/reference/conv2d.hpp"
#include "qfence/kernels/reference/depthwise_conv2d.hpp"
#include "qfence/kernels/reference/fully_connected.hpp"
#include "qfence/kernels/reference/hybrid.hpp"
#include "qfence/kernels/reference/transpose_conv.hpp"
#include "qfence/rules/conv2d.hpp"
#include "qfence/rules/depthwise_conv2d.hpp"
#include "qfence/rules/fully_connected.hpp"
#include "qfence/rules/transpose_conv.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

namespace detail {

inline conv_attrs conv_attrs_of(const op_options& o) noexcept {
  return {o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, o.pad, o.fused, plain_fused_activation(o), o.pads};
}

template <class T>
int_range activation_range(const op_context& ctx, const tensor& out) {
  return quantized_activation_range<T>(ctx.options().fused, out.quant.scale(), out.quant.zero_point());
}

/// One requantization multiplier per output channel (core/fixed_point.hpp,
/// rescale_multiplier, says which scale product each layer forms).
inline std::vector<quantized_multiplier> conv_multipliers(const tensor& in, const tensor& filter, const tensor& out,
                                                          int channels, bool float_product) {
  std::vector<quantized_multiplier> m(static_cast<std::size_t>(channels));
  for (int c = 0; c < channels; ++c)
    m[static_cast<std::size_t>(c)] = rescale_multiplier(
        in.quant.scale(), filter.quant.per_channel() ? filter.quant.scales[static_cast<std::size_t>(c)] : filter.quant.scale(),
        out.quant.scale(), float_product);
  return m;
}
inline std::vector<quantized_multiplier> conv_multipliers(const tensor& in, const tensor& filter, const tensor& out,
                                                          int channels) {
  return conv_multipliers(in, filter, out, channels, filter.type == dtype::u8);
}

/// TFLM's FULLY_CONNECTED multipliers, one per unit for the convolution
/// kernels: per channel from the double product, or the per-tensor one from
/// the float product, repeated.
inline std::vector<quantized_multiplier> fully_connected_unit_multipliers(const tensor& in, const tensor& weights,
                                                                          const tensor& out, int units) {
  const bool per_channel = weights.quant.per_channel();
  auto m = conv_multipliers(in, weights, out, per_channel ? units : 1, !per_channel);
  m.resize(static_cast<std::size_t>(units), m.front());
  return m;
}

/// The checks of a layer's rule that are not about types: weights and bias
/// are constants in the model.
inline void require_constant_weights_and_bias(const op_context& ctx, int bias_input) {
  (void)ctx.constant_input(1, "weights");
  if (ctx.has_input(bias_input)) (void)ctx.constant_input(bias_input, "bias");
}

/// Hands an int16x8 layer's bias to `make`: absent (a null int64 pointer),
/// int64, or the int32 the rule also accepts.
template <class Make>
kernel with_wide_bias(const op_context& ctx, int bias_input, Make&& make) {
  if (!ctx.has_input(bias_input)) return make(static_cast<const std::int64_t*>(nullptr));
  const tensor& bias = ctx.input(bias_input);
  if (bias.type == dtype::i64) return make(bias.constant_data<std::int64_t>());
  return make(bias.constant_data<std::int32_t>());
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
/// DEPTHWISE_CONV_2D, for operands the rule accepted: computes the epilogue
/// and hands it to make_float(epilogue) or make_8bit((T*)0, (TW*)0,
/// epilogue). Returns an empty kernel for other dtypes.
template <class MakeFloat, class Make8>
kernel conv_like(const op_context& ctx, int out_c, MakeFloat&& make_float, Make8&& make_8bit) {
  const tensor &in = ctx.input(0), &filter = ctx.input(1), &out = ctx.output(0);
  const bool has_bias = ctx.has_input(2);
  if (in.type == dtype::f32)
    return make_float(float_epilogue{has_bias ? ctx.input(2).constant_data<float>() : nullptr,
                                     float_activation_range(ctx.options().fused)});
  auto eight_bit = [&]<class T, class TW>(T*, TW*) -> kernel {
    quantized_epilogue e;
    e.filter_offset = filter.type == dtype::u8 ? -filter.quant.zero_point() : 0;
    e.bias = has_bias ? ctx.input(2).constant_data<std::int32_t>() : nullptr;
    e.multipliers = conv_multipliers(in, filter, out, out_c);
    e.act = activation_range<T>(ctx, out);
    e.in_offset = -in.quant.zero_point();
    e.out_offset = out.quant.zero_point();
    return make_8bit(static_cast<T*>(nullptr), static_cast<TW*>(nullptr), std::move(e));
  };
  if (in.type == dtype::i8) return eight_bit(static_cast<std::int8_t*>(nullptr), static_cast<std::int8_t*>(nullptr));
  if (in.type == dtype::u8) return eight_bit(static_cast<std::uint8_t*>(nullptr), static_cast<std::uint8_t*>(nullptr));
  return {};
}

}  // namespace detail

/// The packed form of an int8 or legacy uint8 CONV_2D (groups of 1), or an
/// int8 FULLY_CONNECTED (TFLM numerics; a 1x1 convolution over its rows),
/// which the Highway kernel runs, or null when the layer runs the reference
/// kernel. T is the activations' type. The runtime path packs here at
/// prepare; `qfence embed` writes the same bytes into the header. Call for
/// operands the op's rule accepted.
template <class T>
std::shared_ptr<const kernels::packed_conv2d_quantized<T>> packed_conv_layer(const op_context& ctx) {
  const tensor &in = ctx.input(0), &filter = ctx.input(1), &out = ctx.output(0);
  if (ctx.simd_target().is_reference() || !holds_element<T>(in.type) || !holds_element<T>(filter.type)) return nullptr;
  kernels::conv_packing p;
  std::vector<quantized_multiplier> multipliers;
  if (ctx.op().code == op_code::conv_2d) {
    if (filter.dim(3) != in.dim(3)) return nullptr;  // grouped
    p = kernels::conv_packing::for_filter(filter.dim(0), filter.dim(1), filter.dim(2), filter.dim(3),
                                         ctx.options().dilation_w);
    multipliers = detail::conv_multipliers(in, filter, out, p.out_c);
  } else if (ctx.op().code == op_code::fully_connected) {
    if (ctx.arithmetic() == numerics::tflite) return nullptr;  // rescales in double
    if (!std::is_same_v<T, std::int8_t>) return nullptr;      // TFLM has no uint8 FULLY_CONNECTED
    p = {filter.dim(0), 1, filter.dim(1)};
    multipliers = detail::fully_connected_unit_multipliers(in, filter, out, p.out_c);
  } else {
    return nullptr;
  }
  const std::int32_t* bias = ctx.has_input(2) ? ctx.input(2).constant_data<std::int32_t>() : nullptr;
  return std::make_shared<const kernels::packed_conv2d_quantized<T>>(
      p, filter.constant_data<T>(), bias, in.quant.zero_point(), filter.quant.zero_point(), multipliers,
      out.quant.zero_point(), detail::activation_range<T>(ctx, out));
}

/// The packed form of an int16x8 CONV_2D (groups of 1) or FULLY_CONNECTED
/// (a 1x1 convolution over its rows; TFLM numerics, with an int64 bias or
/// none: an int32 bias makes TFLM accumulate in int32, which wraps), weights
/// in pairs (kernels/conv2d_int16x8-inl.hpp); or null when the layer runs
/// the reference kernel (as packed_conv_layer).
inline std::shared_ptr<const kernels::packed_conv2d_int16x8> packed_conv_int16x8_layer(const op_context& ctx) {
  const tensor &in = ctx.input(0), &filter = ctx.input(1);
  if (ctx.simd_target().is_reference() || in.type != dtype::i16 || filter.type != dtype::i8) return nullptr;
  kernels::conv_packing p;
  if (ctx.op().code == op_code::conv_2d) {
    if (filter.dim(3) != in.dim(3)) return nullptr;  // grouped
    p = kernels::conv_packing::for_filter(filter.dim(0), filter.dim(1), filter.dim(2), filter.dim(3),
                                         ctx.options().dilation_w, 2);
  } else if (ctx.op().code == op_code::fully_connected) {
    if (ctx.arithmetic() == numerics::tflite) return nullptr;  // rescales in double
    if (ctx.has_input(2) && ctx.input(2).type != dtype::i64) return nullptr;
    p = {filter.dim(0), 1, filter.dim(1), 2};
  } else {
    return nullptr;
  }
  const std::int8_t* w = filter.constant_data<std::int8_t>();
  if (ctx.has_input(2) && ctx.input(2).type == dtype::i32)
    return std::make_shared<const kernels::packed_conv2d_int16x8>(p, w, ctx.input(2).constant_data<std::int32_t>());
  return std::make_shared<const kernels::packed_conv2d_int16x8>(
      p, w, ctx.has_input(2) ? ctx.input(2).constant_data<std::int64_t>() : nullptr);
}

/// The packed form of a float CONV_2D (groups of 1) or FULLY_CONNECTED,
/// which the Highway kernel runs, or null when the layer runs the reference
/// kernel (as packed_conv_layer).
inline std::shared_ptr<const kernels::packed_conv2d_float> packed_conv_float_layer(const op_context& ctx) {
  const tensor &in = ctx.input(0), &filter = ctx.input(1);
  if (ctx.simd_target().is_reference() || in.type != dtype::f32 || filter.type != dtype::f32) return nullptr;
  kernels::conv_float_packing p;
  if (ctx.op().code == op_code::conv_2d) {
    if (filter.dim(3) != in.dim(3)) return nullptr;  // grouped
    p = {filter.dim(0), filter.dim(1) * filter.dim(2) * filter.dim(3)};
  } else if (ctx.op().code == op_code::fully_connected) {
    p = {filter.dim(0), filter.dim(1)};
  } else {
    return nullptr;
  }
  const float* bias = ctx.has_input(2) ? ctx.input(2).constant_data<float>() : nullptr;
  return std::make_shared<const kernels::packed_conv2d_float>(p, filter.constant_data<float>(), bias,
                                                              float_activation_range(ctx.options().fused));
}

/// The packed form of an int8 or legacy uint8 DEPTHWISE_CONV_2D (any depth
/// multiplier), or null (as packed_conv_layer).
template <class T>
std::shared_ptr<const kernels::packed_depthwise_quantized<T>> packed_depthwise_layer(const op_context& ctx) {
  const tensor &in = ctx.input(0), &filter = ctx.input(1), &out = ctx.output(0);
  if (ctx.simd_target().is_reference() || !holds_element<T>(in.type) || !holds_element<T>(filter.type)) return nullptr;
  const kernels::depthwise_packing p{filter.dim(3), filter.dim(1), filter.dim(2)};
  const std::int32_t* bias = ctx.has_input(2) ? ctx.input(2).constant_data<std::int32_t>() : nullptr;
  return std::make_shared<const kernels::packed_depthwise_quantized<T>>(
      p, filter.constant_data<T>(), bias, in.quant.zero_point(), filter.quant.zero_point(),
      detail::conv_multipliers(in, filter, out, p.channels), out.quant.zero_point(), detail::activation_range<T>(ctx, out));
}

namespace detail {
/// A packed quantized layer (CONV_2D, FULLY_CONNECTED as one, or
/// DEPTHWISE_CONV_2D) on the context's SIMD target, in its requantize form:
/// run(target, g, args, form) is the layer's kernels:: dispatch function.
template <class T, template <class> class Packed, class Run>
kernel simd_packed_quantized(const op_context& ctx, const window_geometry& g, std::shared_ptr<const Packed<T>> packed,
                             Run run) {
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  return kernels::with_runtime_form(packed->form_index, [&](auto form) -> kernel {
    return [=](const tensor_memory& m) { run(target, g, packed->args(m.at<const T>(in_t), m.at<T>(out_t)), form); };
  });
}
template <class T>
kernel simd_conv2d_quantized(const op_context& ctx, const window_geometry& g,
                             std::shared_ptr<const kernels::packed_conv2d_quantized<T>> packed) {
  return simd_packed_quantized(ctx, g, std::move(packed),
                               [](auto... a) { kernels::conv2d_quantized(a...); });
}
template <class T>
kernel simd_depthwise_quantized(const op_context& ctx, const window_geometry& g,
                                std::shared_ptr<const kernels::packed_depthwise_quantized<T>> packed) {
  return simd_packed_quantized(ctx, g, std::move(packed),
                               [](auto... a) { kernels::depthwise_conv2d_quantized(a...); });
}
inline kernel simd_conv2d_float(const op_context& ctx, const window_geometry& g,
                                std::shared_ptr<const kernels::packed_conv2d_float> packed) {
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  return [=](const tensor_memory& m) {
    kernels::conv2d_float(target, g, packed->args(m.at<const float>(in_t), m.at<float>(out_t)));
  };
}
/// A packed int16x8 layer (packed_conv_int16x8_layer, which holds its
/// bias) on the context's SIMD target: geometry `g` (FULLY_CONNECTED: its
/// rows), one multiplier per output channel.
inline kernel simd_int16x8_layer(const op_context& ctx, const window_geometry& g,
                                 std::shared_ptr<const kernels::packed_conv2d_int16x8> packed,
                                 std::vector<quantized_multiplier> multipliers) {
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::int8_t* filter = ctx.input(1).constant_data<std::int8_t>();
  const int_range act = activation_range<std::int16_t>(ctx, ctx.output(0));
  const kernels::target target = ctx.simd_target();
  return [=, multipliers = std::move(multipliers)](const tensor_memory& m) {
    kernels::conv2d_int16x8(target, g,
                            packed->args(kernels::conv2d_int16x8_args<std::int64_t>{
                                m.at<const std::int16_t>(in_t), filter, nullptr, multipliers.data(), 0, act,
                                m.at<std::int16_t>(out_t)}));
  };
}
}  // namespace detail

namespace detail {

/// The kernel of a hybrid layer (float input, int8 weights: TFLite's
/// dynamic-range scheme, kernels/reference/hybrid.hpp). Its scratch (the
/// quantized input and per-batch parameters) is made here, at prepare, so
/// invoke allocates nothing. `run(input, weights, bias, scratch, output)`.
template <class Run>
kernel hybrid_layer(const op_context& ctx, int batches, Run run) {
  const tensor &in = ctx.input(0), &w = ctx.input(1);
  const std::int64_t elements = in.elements();
  auto scratch = std::make_shared<std::vector<std::byte>>(reference::hybrid_scratch_bytes(elements, batches));
  auto scales = std::make_shared<const std::vector<float>>(w.quant.scales);
  const reference::hybrid_weights weights{w.constant_data<std::int8_t>(), scales->data(), w.quant.per_channel()};
  const float* bias = ctx.has_input(2) ? ctx.input(2).constant_data<float>() : nullptr;
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    (void)scales;  // owned by the kernel: `weights` points into it
    run(m.at<const float>(in_t), weights, bias, reference::hybrid_scratch_at(scratch->data(), elements, batches),
        m.at<float>(out_t));
  };
}

/// A hybrid layer packed for the int8 kernels (kernels/hybrid_conv.hpp)
/// on the context's SIMD target: `on(packed)` with a
/// kernels::packed_hybrid_layer of the layer's packing (a depthwise_packing
/// for DEPTHWISE_CONV_2D, else a conv_packing, FULLY_CONNECTED as a 1x1
/// convolution); `otherwise()` on the reference target and for a grouped
/// CONV_2D, which run the reference kernel. The runtime path runs the
/// layer with it; `qfence embed` writes its arrays.
template <class On, class Otherwise>
auto with_packed_hybrid_layer(const op_context& ctx, On&& on, Otherwise&& otherwise) {
  const tensor &in = ctx.input(0), &w = ctx.input(1);
  if (ctx.simd_target().is_reference()) return otherwise();
  const std::vector<float>& scales = w.quant.scales;
  const float* bias = ctx.has_input(2) ? ctx.input(2).constant_data<float>() : nullptr;
  const auto make = [&](const auto& packing, bool fc) {
    return on(std::make_shared<const kernels::packed_hybrid_layer<std::remove_cvref_t<decltype(packing)>>>(
        packing, fc, w.constant_data<std::int8_t>(), scales.data(), static_cast<int>(scales.size()), bias,
        ctx.options().fused, ctx.options().asymmetric_quantize_inputs, in.elements()));
  };
  switch (ctx.op().code) {
    case op_code::depthwise_conv_2d: return make(kernels::depthwise_packing{w.dim(3), w.dim(1), w.dim(2)}, false);
    case op_code::fully_connected: return make(kernels::conv_packing{w.dim(0), 1, w.dim(1)}, true);
    default:
      if (w.dim(3) != in.dim(3)) return otherwise();  // grouped
      return make(kernels::conv_packing::for_filter(w.dim(0), w.dim(1), w.dim(2), w.dim(3), ctx.options().dilation_w),
                  false);
  }
}

/// A hybrid CONV_2D (groups of 1), FULLY_CONNECTED or DEPTHWISE_CONV_2D on
/// the context's SIMD target (with_packed_hybrid_layer); null otherwise. `g`
/// is the layer's geometry (fully_connected_geometry's for FULLY_CONNECTED).
inline kernel simd_hybrid_layer(const op_context& ctx, const window_geometry& g) {
  const kernels::target target = ctx.simd_target();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return with_packed_hybrid_layer(
      ctx,
      [&](auto packed) -> kernel {
        return [=](const tensor_memory& m) {
          kernels::hybrid_layer(target, g, packed->constants, packed->weights.get(), m.at<const float>(in_t),
                                packed->scratch, m.at<float>(out_t));
        };
      },
      []() -> kernel { return {}; });
}

}  // namespace detail

inline kernel prepare_conv2d(const op_context& ctx) {
  ctx.require_io(2, 3, 1);
  detail::require_constant_weights_and_bias(ctx, 2);
  const tensor &in = ctx.input(0), &filter = ctx.input(1), &out = ctx.output(0);
  const conv_attrs a = detail::conv_attrs_of(ctx.options());
  const tensor_desc in_d = describe(in), w_d = describe(filter);
  ctx.enforce(conv2d_rule(a, in_d, w_d, ctx.optional_input(2), request_for(out)), {0, 1, 2});
  const window_geometry g = conv_geometry(a, in_d, w_d, false);
  if (in.type == dtype::f32 && filter.type == dtype::i8) {
    const float_range act = float_activation_range(ctx.options().fused);
    const int filter_in_c = filter.dim(3);
    if (kernel k = detail::simd_hybrid_layer(ctx, g)) return k;
    return detail::hybrid_layer(ctx, g.batches, [=](const float* x, reference::hybrid_weights w, const float* b,
                                                    reference::hybrid_scratch s, float* y) {
      reference::conv2d_hybrid(g, filter_in_c, x, w, b, act, s, y);
    });
  }
  if (auto packed = packed_conv_layer<std::int8_t>(ctx)) return detail::simd_conv2d_quantized(ctx, g, std::move(packed));
  if (auto packed = packed_conv_layer<std::uint8_t>(ctx)) return detail::simd_conv2d_quantized(ctx, g, std::move(packed));
  if (auto packed = packed_conv_float_layer(ctx)) return detail::simd_conv2d_float(ctx, g, std::move(packed));
  const int out_c = filter.dim(0), filter_in_c = filter.dim(3);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::byte* filter_data = filter.data.data();
  kernel k = detail::conv_like(
      ctx, out_c,
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
  // int16x8: the rule accepted i16 activations with zero point 0, symmetric
  // i8 weights and an i64 or i32 bias.
  const auto mult = detail::conv_multipliers(in, filter, out, out_c);
  if (auto packed = packed_conv_int16x8_layer(ctx)) return detail::simd_int16x8_layer(ctx, g, std::move(packed), mult);
  const int_range act = detail::activation_range<std::int16_t>(ctx, out);
  return detail::with_wide_bias(ctx, 2, [&]<class Bias>(const Bias* bias) -> kernel {
    return [=](const tensor_memory& m) {
      reference::conv2d(g, filter_in_c, m.at<const std::int16_t>(in_t), reinterpret_cast<const std::int8_t*>(filter_data),
                        bias, mult.data(), 0, act, m.at<std::int16_t>(out_t));
    };
  });
}

inline kernel prepare_depthwise_conv2d(const op_context& ctx) {
  ctx.require_io(2, 3, 1);
  detail::require_constant_weights_and_bias(ctx, 2);
  const tensor &in = ctx.input(0), &filter = ctx.input(1);
  const conv_attrs a = detail::conv_attrs_of(ctx.options());
  const tensor_desc in_d = describe(in), w_d = describe(filter);
  ctx.enforce(depthwise_conv2d_rule(a, in_d, w_d, ctx.optional_input(2), request_for(ctx.output(0))),
              {0, 1, 2});
  const window_geometry g = conv_geometry(a, in_d, w_d, true);
  if (in.type == dtype::f32 && filter.type == dtype::i8) {
    const float_range act = float_activation_range(ctx.options().fused);
    if (kernel k = detail::simd_hybrid_layer(ctx, g)) return k;
    return detail::hybrid_layer(ctx, g.batches, [=](const float* x, reference::hybrid_weights w, const float* b,
                                                    reference::hybrid_scratch s, float* y) {
      reference::depthwise_conv2d_hybrid(g, x, w, b, act, s, y);
    });
  }
  if (auto packed = packed_depthwise_layer<std::int8_t>(ctx))
    return detail::simd_depthwise_quantized(ctx, g, std::move(packed));
  if (auto packed = packed_depthwise_layer<std::uint8_t>(ctx))
    return detail::simd_depthwise_quantized(ctx, g, std::move(packed));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::byte* filter_data = filter.data.data();
  const kernels::target target = ctx.simd_target();
  const bool simd_float = !target.is_reference() && in.type == dtype::f32 && filter.type == dtype::f32;
  kernel k = detail::conv_like(
      ctx, g.out_c,
      [&](detail::float_epilogue e) -> kernel {
        if (simd_float)  // the Highway kernel, on the filter as the model stores it
          return [=](const tensor_memory& m) {
            kernels::depthwise_conv2d_float(target, g, {m.at<const float>(in_t), reinterpret_cast<const float*>(filter_data),
                                                        e.bias, e.act, m.at<float>(out_t)});
          };
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
  // int16x8 (TFLM DepthwiseConvPerChannel for int16): the rule accepted i16
  // activations with zero point 0, symmetric i8 weights and an i64 bias.
  const auto mult = detail::conv_multipliers(in, filter, ctx.output(0), g.out_c);
  const int_range act = detail::activation_range<std::int16_t>(ctx, ctx.output(0));
  return detail::with_wide_bias(ctx, 2, [&]<class Bias>(const Bias* bias) -> kernel {
    return [=](const tensor_memory& m) {
      kernels::depthwise_conv2d_int16x8(
          target, g,
          kernels::conv2d_int16x8_args<Bias>{m.at<const std::int16_t>(in_t),
                                             reinterpret_cast<const std::int8_t*>(filter_data), bias, mult.data(), 0,
                                             act, m.at<std::int16_t>(out_t)});
    };
  });
}

/// TRANSPOSE_CONV: inputs (output_shape, weights [OC, KH, KW, IC], input,
/// optional bias).
inline kernel prepare_transpose_conv(const op_context& ctx) {
  ctx.require_io(3, 4, 1);
  (void)ctx.constant_input(1, "weights");
  if (ctx.has_input(3)) (void)ctx.constant_input(3, "bias");
  const tensor &filter = ctx.input(1), &in = ctx.input(2), &out = ctx.output(0);
  // output_shape may be computed (in the seanet models it is a graph input);
  // like TFLM, the output tensor's static shape is what counts. A constant
  // output_shape must agree with it.
  ctx.require(out.rank() == 4, "the output must be 4-D [N, H, W, OC], got " + type_text(out));
  if (ctx.input(0).constant) {
    const auto shape = ctx.constant_ints(0, "output_shape");
    ctx.require(std::vector<int>(shape.begin(), shape.end()) == out.shape,
                "output_shape " + shape_text(std::vector<int>(shape.begin(), shape.end())) +
                    " differs from the output tensor's shape " + shape_text(out.shape));
  }
  const transpose_conv_attrs a{detail::conv_attrs_of(ctx.options()), {out.dim(0), out.dim(1), out.dim(2), out.dim(3)}};
  const tensor_desc in_d = describe(in), w_d = describe(filter);
  ctx.enforce(transpose_conv_rule(a, in_d, w_d, ctx.optional_input(3), request_for(out)), {2, 1, 3});
  const window_geometry g = transpose_conv_geometry(a, in_d, w_d);
  const int out_c = out.dim(3);
  const int in_t = ctx.input_index(2), out_t = ctx.output_index(0);
  const std::byte* filter_data = filter.data.data();
  const auto out_elements = static_cast<std::size_t>(out.elements());
  if (in.type == dtype::f32) {
    const float* bias = ctx.has_input(3) ? ctx.input(3).constant_data<float>() : nullptr;
    const float_range act = float_activation_range(ctx.options().fused);
    auto scratch = std::make_shared<std::vector<float>>(out_elements);
    return [=](const tensor_memory& m) {
      reference::transpose_conv(g, m.at<const float>(in_t), reinterpret_cast<const float*>(filter_data), bias, act,
                                scratch->data(), m.at<float>(out_t));
    };
  }
  const auto multipliers = detail::conv_multipliers(in, filter, out, out_c);
  if (in.type == dtype::i8) {
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
  // int16x8: i64 (or i32) bias. The scratch serves the reference kernel
  // (the reference target, and Highway's SCALAR target, which runs it).
  const int_range act = detail::activation_range<std::int16_t>(ctx, out);
  const kernels::target target = ctx.simd_target();
  auto scratch = std::make_shared<std::vector<std::int64_t>>(out_elements);
  return detail::with_wide_bias(ctx, 3, [&]<class Bias>(const Bias* bias) -> kernel {
    return [=](const tensor_memory& m) {
      kernels::transpose_conv_int16x8(target, g,
                                      kernels::conv2d_int16x8_args<Bias>{m.at<const std::int16_t>(in_t),
                                                                         reinterpret_cast<const std::int8_t*>(filter_data),
                                                                         bias, multipliers.data(), 0, act,
                                                                         m.at<std::int16_t>(out_t)},
                                      scratch->data());
    };
  });
}

inline kernel prepare_fully_connected(const op_context& ctx) {
  ctx.require_io(2, 3, 1);
  detail::require_constant_weights_and_bias(ctx, 2);
  const op_options& o = ctx.options();
  const tensor &in = ctx.input(0), &weights = ctx.input(1), &out = ctx.output(0);
  ctx.enforce(fully_connected_rule({o.fused, plain_fused_activation(o), o.keep_num_dims, o.weights_format == 0},
                                   describe(in), describe(weights), ctx.optional_input(2), request_for(out)),
              {0, 1, 2});
  const int units = weights.dim(0), depth = weights.dim(1);
  const int batches = static_cast<int>(in.elements() / depth);
  const window_geometry rows = fully_connected_geometry(batches, depth, units);
  if (in.type == dtype::f32 && weights.type == dtype::i8) {
    const reference::fc_geometry fg{batches, depth, units};
    const activation act = o.fused;
    const bool asymmetric = o.asymmetric_quantize_inputs;
    if (kernel k = detail::simd_hybrid_layer(ctx, rows)) return k;
    return detail::hybrid_layer(ctx, batches, [=](const float* x, reference::hybrid_weights w, const float* b,
                                                  reference::hybrid_scratch s, float* y) {
      reference::fully_connected_hybrid(fg, x, w, b, act, asymmetric, s, y);
    });
  }
  if (auto packed = packed_conv_layer<std::int8_t>(ctx)) return detail::simd_conv2d_quantized(ctx, rows, std::move(packed));
  if (auto packed = packed_conv_float_layer(ctx)) return detail::simd_conv2d_float(ctx, rows, std::move(packed));
  if (auto packed = packed_conv_int16x8_layer(ctx))
    return detail::simd_int16x8_layer(ctx, rows, std::move(packed),
                                      detail::fully_connected_unit_multipliers(in, weights, out, units));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::byte* w_data = weights.data.data();
  if (in.type == dtype::f32) {
    const float_range act = float_activation_range(o.fused);
    const float* bias = ctx.has_input(2) ? ctx.input(2).constant_data<float>() : nullptr;
    return [=](const tensor_memory& m) {
      reference::fully_connected(reference::fc_geometry{batches, depth, units}, m.at<const float>(in_t), reinterpret_cast<const float*>(w_data),
                                 bias, act, m.at<float>(out_t));
    };
  }
  // 8-bit layers (Bias int32), and int16x8 ones, whose accumulator has the
  // bias's type: int64, or int32 with an int32 bias (TFLM); int64 without one.
  auto quantized = [&]<class T, class TW, class Bias>(T*, TW*, const Bias* bias) -> kernel {
    const std::int32_t w_offset = weights.type == dtype::u8 ? -weights.quant.zero_point() : 0;
    const int_range act = detail::activation_range<T>(ctx, out);
    const std::int32_t in_offset = -in.quant.zero_point(), out_offset = out.quant.zero_point();
    const int scale_stride = weights.quant.per_channel() ? 1 : 0;
    if (ctx.arithmetic() == numerics::tflite) {
      // TFLite rescales in double (docs/numerics.md, "Two references").
      std::vector<double> scales;
      for (std::size_t c = 0; c < weights.quant.scales.size(); ++c)
        scales.push_back(static_cast<double>(in.quant.scale()) * static_cast<double>(weights.quant.scales[c]) /
                         static_cast<double>(out.quant.scale()));
      return [=](const tensor_memory& m) {
        reference::fully_connected_double_rescale(reference::fc_geometry{batches, depth, units}, m.at<const T>(in_t), in_offset,
                                                  reinterpret_cast<const TW*>(w_data), w_offset, bias, scales.data(),
                                                  scale_stride, out_offset, act, m.at<T>(out_t));
      };
    }
    // TFLM: per-channel multipliers as for conv (double product); one
    // per-tensor multiplier from the float product.
    const auto multipliers =
        detail::conv_multipliers(in, weights, out, weights.quant.per_channel() ? units : 1, !weights.quant.per_channel());
    return [=](const tensor_memory& m) {
      reference::fully_connected(reference::fc_geometry{batches, depth, units}, m.at<const T>(in_t), in_offset,
                                 reinterpret_cast<const TW*>(w_data), w_offset, bias, multipliers.data(), scale_stride,
                                 out_offset, act, m.at<T>(out_t));
    };
  };
  if (in.type == dtype::i16)
    return detail::with_wide_bias(ctx, 2, [&]<class Bias>(const Bias* bias) {
      return quantized(static_cast<std::int16_t*>(nullptr), static_cast<std::int8_t*>(nullptr), bias);
    });
  const std::int32_t* bias = ctx.has_input(2) ? ctx.input(2).constant_data<std::int32_t>() : nullptr;
  if (in.type == dtype::i8)
    return quantized(static_cast<std::int8_t*>(nullptr), static_cast<std::int8_t*>(nullptr), bias);
  return quantized(static_cast<std::uint8_t*>(nullptr), static_cast<std::uint8_t*>(nullptr), bias);
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END
