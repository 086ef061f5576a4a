// qfence/runtime/ops/reduce.hpp: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SOFTMAX
// with runtime shapes.
#pragma once

#include <cstdint>
#include <vector>

#include "qfence/ops/arg_max.hpp"
#include "qfence/ops/mean.hpp"
#include "qfence/ops/pooling.hpp"
#include "qfence/ops/softmax.hpp"
#include "qfence/rules/softmax.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/conv.hpp"

namespace qfence::runtime::ops {

namespace detail {

inline window_geometry pool_geometry(const op_context& ctx) {
  const tensor& in = ctx.input(0);
  const op_options& o = ctx.options();
  ctx.require(in.rank() == 4, "the input must be 4-D NHWC, got " + type_text(in));
  ctx.require(o.filter_h > 0 && o.filter_w > 0 && o.stride_h > 0 && o.stride_w > 0,
              "filter sizes and strides must be positive");
  const window_geometry g = make_window_geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), in.dim(3), o.filter_h,
                                                 o.filter_w, o.stride_h, o.stride_w, 1, 1, o.pad);
  const std::vector<int> expected{g.batches, g.out_h, g.out_w, g.out_c};
  ctx.require(ctx.output(0).shape == expected,
              "the output shape " + shape_text(ctx.output(0).shape) + " should be " + shape_text(expected));
  ctx.require(g.out_h > 0 && g.out_w > 0, "the window is larger than the VALID-padded input");
  return g;
}

/// Pooling, like TFLite, never rescales: input and output share quantization.
inline void require_same_quantization(const op_context& ctx, const tensor& in, const tensor& out) {
  ctx.require(in.type == out.type, "input and output dtypes differ: " + type_text(in) + " vs " + type_text(out));
  if (in.quant.quantized())
    ctx.require(in.quant.scales == out.quant.scales && in.quant.zero_points == out.quant.zero_points,
                "input and output quantization must be equal: " + type_text(in) + " vs " + type_text(out));
}

}  // namespace detail

namespace detail {
/// AVERAGE_POOL_2D and MAX_POOL_2D: same geometry and checks; max pooling
/// also takes int16 (it compares stored values).
template <bool Max>
kernel prepare_pool2d(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  require_plain_activation(ctx);
  const window_geometry g = pool_geometry(ctx);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  require_same_quantization(ctx, in, out);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  auto pool = [=](const auto* x, auto range, auto* y) {
    if constexpr (Max) reference::max_pool2d(g, x, range, y);
    else reference::average_pool2d(g, x, range, y);
  };
  if (in.type == dtype::f32) {
    const float_range act = float_activation_range(ctx.options().fused);
    return [=](const tensor_memory& m) { pool(m.at<const float>(in_t), act, m.at<float>(out_t)); };
  }
  auto quantized = [&]<class T>(T*) -> kernel {
    const int_range act = activation_range<T>(ctx, out);
    return [=](const tensor_memory& m) { pool(m.at<const T>(in_t), act, m.at<T>(out_t)); };
  };
  if (in.type == dtype::i8) return quantized(static_cast<std::int8_t*>(nullptr));
  if (in.type == dtype::u8) return quantized(static_cast<std::uint8_t*>(nullptr));
  if constexpr (Max) {
    if (in.type == dtype::i16) return quantized(static_cast<std::int16_t*>(nullptr));
  }
  ctx.unsupported_types();
}
}  // namespace detail

inline kernel prepare_average_pool2d(const op_context& ctx) { return detail::prepare_pool2d<false>(ctx); }
inline kernel prepare_max_pool2d(const op_context& ctx) { return detail::prepare_pool2d<true>(ctx); }

inline kernel prepare_mean(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const std::vector<std::int64_t> axes = ctx.constant_ints(1, "axes");
  ctx.require(in.rank() <= 6, "inputs of rank > 6 are not supported");
  std::vector<bool> reduced(static_cast<std::size_t>(in.rank()), false);
  for (auto a : axes) {
    ctx.require(a >= -in.rank() && a < in.rank(), "axis " + std::to_string(a) + " is out of range for " + type_text(in));
    reduced[static_cast<std::size_t>(a < 0 ? a + in.rank() : a)] = true;
  }
  std::vector<int> expected;
  for (int d = 0; d < in.rank(); ++d) {
    if (!reduced[static_cast<std::size_t>(d)]) expected.push_back(in.dim(d));
    else if (ctx.options().keep_dims) expected.push_back(1);
  }
  ctx.require(out.shape == expected, "the output shape " + shape_text(out.shape) + " should be " + shape_text(expected));
  ctx.require(in.type == out.type, "input and output dtypes differ: " + type_text(in) + " vs " + type_text(out));
  const reduce_geometry g = make_reduce_geometry(in.shape.data(), in.rank(), axes.data(), static_cast<int>(axes.size()));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) { reference::mean(g, m.at<const float>(in_t), m.at<float>(out_t)); };
  auto eight_bit = [&]<class T>(T*) -> kernel {
    ctx.require_per_tensor(in, "the input");
    ctx.require_per_tensor(out, "the output");
    const quantized_multiplier mult =
        quantize_multiplier(static_cast<double>(in.quant.scale()) / static_cast<double>(out.quant.scale()));
    const std::int32_t in_zp = in.quant.zero_point(), out_zp = out.quant.zero_point();
    // The int32 sums live with the kernel: prepared once, reused every invoke.
    auto sums = std::make_shared<std::vector<std::int32_t>>(static_cast<std::size_t>(g.out_elements));
    return [=](const tensor_memory& m) {
      reference::mean(g, m.at<const T>(in_t), in_zp, mult, out_zp, sums->data(), m.at<T>(out_t));
    };
  };
  if (in.type == dtype::i8) return eight_bit(static_cast<std::int8_t*>(nullptr));
  if (in.type == dtype::u8) return eight_bit(static_cast<std::uint8_t*>(nullptr));
  ctx.unsupported_types();
}

inline kernel prepare_softmax(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const float beta = ctx.options().beta;
  ctx.enforce(softmax_rule({beta}, describe(in), request_for(out)), {0});
  const int depth = in.shape.back();
  const int outer = static_cast<int>(in.elements() / depth);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) {
      reference::softmax(outer, depth, beta, m.at<const float>(in_t), m.at<float>(out_t));
    };
  auto eight_bit = [&]<class T, class Out>(T*, Out*) -> kernel {
    const softmax_params p = make_softmax_params(beta, in.quant.scale());
    return [=](const tensor_memory& m) { reference::softmax(outer, depth, p, m.at<const T>(in_t), m.at<Out>(out_t)); };
  };
  using i8 = std::int8_t;
  using u8 = std::uint8_t;
  if (in.type == dtype::u8) return eight_bit(static_cast<u8*>(nullptr), static_cast<u8*>(nullptr));
  if (out.type == dtype::i16) return eight_bit(static_cast<i8*>(nullptr), static_cast<std::int16_t*>(nullptr));
  return eight_bit(static_cast<i8*>(nullptr), static_cast<i8*>(nullptr));
}

/// ARG_MAX: index of the first largest value along a constant axis
/// (TFLite's ArgMinMax with std::greater), as int32 or int64.
inline kernel prepare_arg_max(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const auto axis_v = ctx.constant_ints(1, "axis");
  ctx.require(axis_v.size() == 1, "axis must hold one value");
  ctx.require(axis_v[0] >= -in.rank() && axis_v[0] < in.rank(), "axis " + std::to_string(axis_v[0]) +
                                                                    " is out of range for " + type_text(in));
  const int axis = static_cast<int>(axis_v[0] < 0 ? axis_v[0] + in.rank() : axis_v[0]);
  std::vector<int> expected = in.shape;
  expected.erase(expected.begin() + axis);
  ctx.require(out.shape == expected, "the output shape " + shape_text(out.shape) + " should be " + shape_text(expected));
  ctx.require(out.type == dtype::i32 || out.type == dtype::i64, "the output must be i32 or i64, got " + type_text(out));
  ctx.require(in.dim(axis) > 0, "the reduced dimension is empty");
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= in.dim(d);
  for (int d = axis + 1; d < in.rank(); ++d) inner *= in.dim(d);
  const int size = in.dim(axis);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  auto typed = [&]<class T, class Index>(T*, Index*) -> kernel {
    return [=](const tensor_memory& m) { reference::arg_max(outer, size, inner, m.at<const T>(in_t), m.at<Index>(out_t)); };
  };
  auto with_index = [&]<class T>(T*) -> kernel {
    if (out.type == dtype::i32) return typed(static_cast<T*>(nullptr), static_cast<std::int32_t*>(nullptr));
    return typed(static_cast<T*>(nullptr), static_cast<std::int64_t*>(nullptr));
  };
  switch (in.type) {
    case dtype::f32: return with_index(static_cast<float*>(nullptr));
    case dtype::i8: return with_index(static_cast<std::int8_t*>(nullptr));
    case dtype::u8: return with_index(static_cast<std::uint8_t*>(nullptr));
    case dtype::i16: return with_index(static_cast<std::int16_t*>(nullptr));
    case dtype::i32: return with_index(static_cast<std::int32_t*>(nullptr));
    default: ctx.unsupported_types();
  }
}

}  // namespace qfence::runtime::ops
