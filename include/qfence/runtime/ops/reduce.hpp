// qfence/runtime/ops/reduce.hpp: AVERAGE_POOL_2D, MAX_POOL_2D, the reductions
// (MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_ALL), SOFTMAX, ARG_MAX with
// runtime shapes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/arg_max.hpp"
#include "qfence/kernels/reference/cumsum.hpp"
#include "qfence/kernels/reference/pooling.hpp"
#include "qfence/kernels/reference/reduce.hpp"
#include "qfence/kernels/reference/l2_normalization.hpp"
#include "qfence/kernels/reference/softmax.hpp"
#include "qfence/rules/arg_max.hpp"
#include "qfence/rules/cumsum.hpp"
#include "qfence/rules/pooling.hpp"
#include "qfence/rules/reduce.hpp"
#include "qfence/rules/l2_normalization.hpp"
#include "qfence/rules/softmax.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/conv.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

namespace detail {
/// AVERAGE_POOL_2D and MAX_POOL_2D: same geometry, checks and dtypes.
template <bool Max>
kernel prepare_pool2d(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const op_options& o = ctx.options();
  const pool_attrs a{Max, o.filter_h, o.filter_w, o.stride_h, o.stride_w, o.pad, o.fused, plain_fused_activation(o)};
  const tensor_desc in_d = describe(in);
  ctx.enforce(pool2d_rule(a, in_d, request_for(out)), {0});
  const window_geometry g = pool_geometry(a, in_d);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  auto pool = [=](const auto* x, auto range, auto* y) {
    if constexpr (Max) kernels::max_pool2d(target, g, x, range, y);
    else kernels::average_pool2d(target, g, x, range, y);
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
  return quantized(static_cast<std::int16_t*>(nullptr));
}
}  // namespace detail

inline kernel prepare_average_pool2d(const op_context& ctx) { return detail::prepare_pool2d<false>(ctx); }

/// L2_POOL_2D: float only, on the reference kernel.
inline kernel prepare_l2_pool2d(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor& in = ctx.input(0);
  const op_options& o = ctx.options();
  pool_attrs a{false, o.filter_h, o.filter_w, o.stride_h, o.stride_w, o.pad, o.fused, plain_fused_activation(o)};
  a.l2 = true;
  const tensor_desc in_d = describe(in);
  ctx.enforce(pool2d_rule(a, in_d, request_for(ctx.output(0))), {0});
  const window_geometry g = pool_geometry(a, in_d);
  const float_range act = float_activation_range(o.fused);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) { reference::l2_pool2d(g, m.at<const float>(in_t), act, m.at<float>(out_t)); };
}
inline kernel prepare_max_pool2d(const op_context& ctx) { return detail::prepare_pool2d<true>(ctx); }

/// A reduction over constant axes (TFLM's reduce.cc): the int32 sums of a
/// quantized MEAN or SUM live with the kernel, prepared once.
template <reduction R>
kernel prepare_reduce(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  reduce_attrs a;
  a.count = ctx.constant_ints_into(1, "axes", a.axes);
  a.keep_dims = ctx.options().keep_dims;
  ctx.enforce(reduce_rule(R, a, describe(in), request_for(out)), {0});
  const reduce_geometry g = make_reduce_geometry(in.shape.data(), in.rank(), a.axes.data(), a.count);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  if constexpr (R == reduction::all) {
    return [=](const tensor_memory& m) { reference::reduce_all(g, m.at<const bool>(in_t), m.at<bool>(out_t)); };
  } else if constexpr (R == reduction::max || R == reduction::min) {
    auto typed = [&]<class T>(T*) -> kernel {
      return [=](const tensor_memory& m) {
        kernels::reduce_extreme<R == reduction::max>(target, g, m.at<const T>(in_t), m.at<T>(out_t));
      };
    };
    if (in.type == dtype::f32) return typed(static_cast<float*>(nullptr));
    if (in.type == dtype::i8) return typed(static_cast<std::int8_t*>(nullptr));
    return typed(static_cast<std::int16_t*>(nullptr));
  } else {
    if (in.type == dtype::f32)
      return [=](const tensor_memory& m) {
        if constexpr (R == reduction::mean) reference::mean(g, m.at<const float>(in_t), m.at<float>(out_t));
        else reference::sum(g, m.at<const float>(in_t), m.at<float>(out_t));
      };
    auto quantized = [&]<class T>(T*) -> kernel {
      const quantized_multiplier mult = scale_ratio_multiplier(in.quant.scale(), out.quant.scale());
      const std::int32_t in_zp = in.quant.zero_point(), out_zp = out.quant.zero_point();
      auto sums = std::make_shared<std::vector<std::int32_t>>(static_cast<std::size_t>(g.out_elements));
      return [=](const tensor_memory& m) {
        if constexpr (R == reduction::mean)
          kernels::mean_quantized(target, g, m.at<const T>(in_t), in_zp, mult, out_zp, sums->data(), m.at<T>(out_t));
        else
          kernels::sum_quantized(target, g, m.at<const T>(in_t), in_zp, mult, out_zp, sums->data(), m.at<T>(out_t));
      };
    };
    if (in.type == dtype::i8) return quantized(static_cast<std::int8_t*>(nullptr));
    if (in.type == dtype::u8) return quantized(static_cast<std::uint8_t*>(nullptr));
    return quantized(static_cast<std::int16_t*>(nullptr));
  }
}

/// CUMSUM along a constant axis (TFLM: float, int8; TFLite: float, int32,
/// int64).
inline kernel prepare_cumsum(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const auto axis_v = ctx.constant_ints(1, "axis");
  ctx.require(axis_v.size() == 1, "axis must hold one value");
  const cumsum_attrs a{static_cast<int>(axis_v[0]), ctx.options().exclusive, ctx.options().reverse};
  ctx.enforce(cumsum_rule(a, describe(in), request_for(out)), {0});
  const cumsum_geometry g = make_cumsum_geometry(in.shape.data(), in.rank(), a.axis, a.exclusive, a.reverse);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  auto plain = [&]<class T>(T*) -> kernel {
    return [=](const tensor_memory& m) { reference::cumsum(g, m.at<const T>(in_t), m.at<T>(out_t)); };
  };
  switch (in.type) {
    case dtype::f32: return plain(static_cast<float*>(nullptr));
    case dtype::i32: return plain(static_cast<std::int32_t*>(nullptr));
    case dtype::i64: return plain(static_cast<std::int64_t*>(nullptr));
    default: break;
  }
  const add_n_params p =
      make_add_n_params(in.quant.scale(), in.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
  return [=](const tensor_memory& m) {
    reference::cumsum(g, m.at<const std::int8_t>(in_t), p, m.at<std::int8_t>(out_t));
  };
}

inline kernel prepare_softmax(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const float beta = ctx.options().beta;
  ctx.enforce(softmax_rule({beta}, describe(in), request_for(out)), {0});
  const last_axis_rows rows = rows_along_last_axis(describe(in));
  const int outer = rows.outer, depth = rows.depth;
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) {
      reference::softmax(outer, depth, beta, m.at<const float>(in_t), m.at<float>(out_t));
    };
  if (in.type == dtype::i16) {  // TFLM's SoftmaxInt16: two interpolated tables
    auto p = std::make_shared<const softmax_int16_params>(make_softmax_int16_params(beta, in.quant.scale()));
    return [=](const tensor_memory& m) {
      reference::softmax(outer, depth, *p, m.at<const std::int16_t>(in_t), m.at<std::int16_t>(out_t));
    };
  }
  const kernels::target target = ctx.simd_target();
  auto eight_bit = [&]<class T, class Out>(T*, Out*) -> kernel {
    const softmax_params p = make_softmax_params(beta, in.quant.scale());
    auto table = std::make_shared<const kernels::softmax_table>(kernels::make_softmax_table(p));
    return [=](const tensor_memory& m) {
      kernels::softmax_quantized(target, outer, depth, p, *table, m.at<const T>(in_t), m.at<Out>(out_t));
    };
  };
  using i8 = std::int8_t;
  using u8 = std::uint8_t;
  if (in.type == dtype::u8) return eight_bit(static_cast<u8*>(nullptr), static_cast<u8*>(nullptr));
  if (out.type == dtype::i16) return eight_bit(static_cast<i8*>(nullptr), static_cast<std::int16_t*>(nullptr));
  return eight_bit(static_cast<i8*>(nullptr), static_cast<i8*>(nullptr));
}

/// L2_NORMALIZATION over the last dimension
/// (kernels/reference/l2_normalization.hpp).
inline kernel prepare_l2_normalization(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(l2_normalization_rule({ctx.options().fused}, describe(in), request_for(out)), {0});
  const last_axis_rows rows = rows_along_last_axis(describe(in));
  const int outer = rows.outer, depth = rows.depth;
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) {
      reference::l2_normalization(outer, depth, m.at<const float>(in_t), m.at<float>(out_t));
    };
  const std::int32_t zero_point = in.quant.zero_point();
  auto eight_bit = [&]<class T>(T*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::l2_normalization(outer, depth, zero_point, m.at<const T>(in_t), m.at<T>(out_t));
    };
  };
  if (in.type == dtype::u8) return eight_bit(static_cast<std::uint8_t*>(nullptr));
  return eight_bit(static_cast<std::int8_t*>(nullptr));
}

/// LOG_SOFTMAX over the last dimension (kernels/reference/softmax.hpp).
inline kernel prepare_log_softmax(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(log_softmax_rule(describe(in), request_for(out)), {0});
  const last_axis_rows rows = rows_along_last_axis(describe(in));
  const int outer = rows.outer, depth = rows.depth;
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) {
      reference::log_softmax(outer, depth, m.at<const float>(in_t), m.at<float>(out_t));
    };
  const log_softmax_params p = make_log_softmax_params(in.quant.scale());
  auto eight_bit = [&]<class T>(T*) -> kernel {
    return [=](const tensor_memory& m) { reference::log_softmax(outer, depth, p, m.at<const T>(in_t), m.at<T>(out_t)); };
  };
  if (in.type == dtype::u8) return eight_bit(static_cast<std::uint8_t*>(nullptr));
  return eight_bit(static_cast<std::int8_t*>(nullptr));
}

/// ARG_MAX (Max) or ARG_MIN: index of the first largest (smallest) value
/// along a constant axis (TFLite's ArgMinMax), as int32 or int64.
template <bool Max>
kernel prepare_arg_extreme(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const auto axis_v = ctx.constant_ints(1, "axis");
  ctx.require(axis_v.size() == 1, "axis must hold one value");
  ctx.enforce(arg_max_rule({axis_v[0]}, describe(in), request_for(out)), {0});
  const int axis = static_cast<int>(axis_v[0] < 0 ? axis_v[0] + in.rank() : axis_v[0]);
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= in.dim(d);
  for (int d = axis + 1; d < in.rank(); ++d) inner *= in.dim(d);
  const int size = in.dim(axis);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  auto typed = [&]<class T, class Index>(T*, Index*) -> kernel {
    return [=](const tensor_memory& m) {
      kernels::arg_extreme<Max>(target, outer, size, inner, m.at<const T>(in_t), m.at<Index>(out_t));
    };
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

QFENCE_EXACT_FLOAT_END
