// qfence/runtime/ops/unary.hpp: element-wise ops of one input: LOGISTIC,
// TANH, RELU, RELU6, the float math ops (ABS, EXP, SQRT, ...), CAST.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/activations.hpp"
#include "qfence/kernels/reference/arithmetic.hpp"
#include "qfence/kernels/reference/gelu.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/kernels/reference/unary_math.hpp"
#include "qfence/rules/activation.hpp"
#include "qfence/rules/unary.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/tabulated.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

inline kernel prepare_logistic(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(activation_rule(activation_fn::logistic, describe(in), request_for(out)), {0});
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) { reference::logistic(n, m.at<const float>(in_t), m.at<float>(out_t)); };
  if (in.type == dtype::i16) {
    const sigmoid_int16_params p = make_sigmoid_int16_params(in.quant.scale(), false);
    return [=](const tensor_memory& m) {
      reference::logistic(n, m.at<const std::int16_t>(in_t), p, m.at<std::int16_t>(out_t));
    };
  }
  const std::int32_t zero = out.quant.zero_point();
  auto sigmoid = [](float x) { return 1.0f / (1.0f + std::exp(-x)); };
  if (in.type == dtype::u8)  // TFLM has no uint8 LOGISTIC; TFLite uses its table
    return detail::lookup_kernel(ctx, make_lookup_table<std::uint8_t>(in.quant.scale(), in.quant.zero_point(),
                                                                     out.quant.scale(), zero, sigmoid));
  if (ctx.arithmetic() == numerics::tflite)  // TFLite's reference: a table of the float function
    return detail::lookup_kernel(ctx, make_lookup_table<std::int8_t>(in.quant.scale(), in.quant.zero_point(),
                                                                    out.quant.scale(), zero, sigmoid));
  // TFLM: fixed point (gemmlowp logistic on Q4.27), as a table of itself.
  const sigmoid_input_params p = make_sigmoid_input_params(in.quant.scale());
  const std::int32_t in_zp = in.quant.zero_point();
  return detail::tabulated<std::int8_t, std::int8_t>(
      ctx, [=](std::int64_t count, const std::int8_t* x, std::int8_t* y) { reference::logistic(count, x, in_zp, p, y); });
}

/// TANH: float; int8 with TFLM's fixed point (gemmlowp tanh on Q4.27),
/// output scale 1/128 and zero point 0; int16 on TFLite's sigmoid table.
inline kernel prepare_tanh(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(activation_rule(activation_fn::tanh, describe(in), request_for(out)), {0});
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) { reference::tanh(n, m.at<const float>(in_t), m.at<float>(out_t)); };
  if (in.type == dtype::i16) {
    const sigmoid_int16_params p = make_sigmoid_int16_params(in.quant.scale(), true);
    return [=](const tensor_memory& m) {
      reference::tanh(n, m.at<const std::int16_t>(in_t), p, m.at<std::int16_t>(out_t));
    };
  }
  // TFLM: fixed point (gemmlowp tanh on Q4.27), as a table of itself.
  const sigmoid_input_params p = make_sigmoid_input_params(in.quant.scale());
  const std::int32_t in_zp = in.quant.zero_point();
  return detail::tabulated<std::int8_t, std::int8_t>(
      ctx, [=](std::int64_t count, const std::int8_t* x, std::int8_t* y) { reference::tanh(count, x, in_zp, p, y); });
}

namespace detail {

/// RELU / RELU6 on quantized tensors (make_relu_params: TFLite's ReluX, or
/// TFLM's RELU6 under TFLM numerics).
template <class T>
kernel quantized_relu(const op_context& ctx, activation bounds) {
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const relu_params p = make_relu_params<T>(bounds, ctx.arithmetic() == numerics::tflm, in.quant.scale(),
                                            in.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
  const auto relu = [=](std::int64_t count, const T* x, T* y) { reference::relu(count, x, p, y); };
  if constexpr (sizeof(T) == 1) return tabulated<T, T>(ctx, relu);
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) { relu(n, m.at<const T>(in_t), m.at<T>(out_t)); };
}

inline kernel prepare_relu_family(const op_context& ctx, activation bounds) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(activation_rule(bounds == activation::relu6 ? activation_fn::relu6 : activation_fn::relu, describe(in),
                              request_for(out)),
              {0});
  if (in.type == dtype::f32) {
    const std::int64_t n = in.elements();
    const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
    const bool six = bounds == activation::relu6;
    return [=](const tensor_memory& m) {
      if (six) reference::relu6(n, m.at<const float>(in_t), m.at<float>(out_t));
      else reference::relu(n, m.at<const float>(in_t), m.at<float>(out_t));
    };
  }
  if (in.type == dtype::i8) return quantized_relu<std::int8_t>(ctx, bounds);
  if (in.type == dtype::u8) return quantized_relu<std::uint8_t>(ctx, bounds);
  return quantized_relu<std::int16_t>(ctx, bounds);
}

}  // namespace detail

inline kernel prepare_relu(const op_context& ctx) { return detail::prepare_relu_family(ctx, activation::relu); }
inline kernel prepare_relu6(const op_context& ctx) { return detail::prepare_relu_family(ctx, activation::relu6); }

/// ABS, CEIL, COS, ELU, EXP, FLOOR, HARD_SWISH, LOG, NEG, ROUND, RSQRT, SIN,
/// SQRT, SQUARE on float tensors; ABS on int8 (a table of TFLM's kernel) and
/// int16; RSQRT and ELU on int8, HARD_SWISH on int8 and uint8 (tables); EXP
/// on int8 and int16 (TFLite's tables) (kernels/reference/unary_math.hpp).
template <class Op>
kernel prepare_unary_math(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  constexpr math_integer_forms forms = integer_forms_of(Op::code);
  ctx.enforce(unary_math_rule(describe(in), request_for(out), forms), {0});
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if constexpr (forms == math_integer_forms::rsqrt) {
    if (in.type == dtype::i8) {
      const quantized_rsqrt_params p =
          make_quantized_rsqrt_params(in.quant.scale(), in.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
      return detail::tabulated<std::int8_t, std::int8_t>(
          ctx, [=](std::int64_t count, const std::int8_t* x, std::int8_t* y) { reference::rsqrt(count, x, p, y); });
    }
  }
  if constexpr (forms == math_integer_forms::elu) {
    if (in.type == dtype::i8) {
      const quantized_elu_params p =
          make_quantized_elu_params(in.quant.scale(), in.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
      return detail::tabulated<std::int8_t, std::int8_t>(
          ctx, [=](std::int64_t count, const std::int8_t* x, std::int8_t* y) { reference::elu(count, x, p, y); });
    }
  }
  if constexpr (forms == math_integer_forms::hard_swish) {
    if (in.type != dtype::f32) {
      const hard_swish_params p =
          make_hard_swish_params(in.quant.scale(), in.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
      auto table = [&]<class T>(T*) {
        return detail::tabulated<T, T>(
            ctx, [=](std::int64_t count, const T* x, T* y) { reference::hard_swish(count, x, p, y); });
      };
      return in.type == dtype::i8 ? table(static_cast<std::int8_t*>(nullptr)) : table(static_cast<std::uint8_t*>(nullptr));
    }
  }
  if constexpr (forms == math_integer_forms::exp) {
    const float in_scale = in.quant.scale(), out_scale = out.quant.scale();
    const std::int32_t in_zp = in.quant.zero_point(), out_zp = out.quant.zero_point();
    if (in.type == dtype::i8) return detail::lookup_kernel(ctx, exp_table<std::int8_t>(in_scale, in_zp, out_scale, out_zp));
    if (in.type == dtype::i16) return detail::lookup_kernel(ctx, exp_table<std::int16_t>(in_scale, in_zp, out_scale, out_zp));
  }
  if constexpr (forms == math_integer_forms::abs) {
    if (in.type == dtype::i16 && !in.quant.quantized())
      return [=](const tensor_memory& m) { reference::abs(n, m.at<const std::int16_t>(in_t), m.at<std::int16_t>(out_t)); };
    if (in.type != dtype::f32) {
      const quantized_abs_params p =
          make_quantized_abs_params(in.quant.scale(), in.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
      if (in.type == dtype::i8)
        return detail::tabulated<std::int8_t, std::int8_t>(
            ctx, [=](std::int64_t count, const std::int8_t* x, std::int8_t* y) { reference::abs(count, x, p, y); });
      return [=](const tensor_memory& m) {
        reference::abs(n, m.at<const std::int16_t>(in_t), p, m.at<std::int16_t>(out_t));
      };
    }
  }
  const kernels::target target = ctx.simd_target();
  return [=](const tensor_memory& m) {
    kernels::unary_math<Op>(target, n, m.at<const float>(in_t), m.at<float>(out_t));
  };
}

/// GELU (kernels/reference/gelu.hpp): float; 8-bit and int16 as TFLite's
/// tables of the float function.
inline kernel prepare_gelu(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(gelu_rule(describe(in), request_for(out)), {0});
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const bool approximate = ctx.options().approximate;
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) { reference::gelu(n, m.at<const float>(in_t), approximate, m.at<float>(out_t)); };
  const gelu_function f = gelu_function_of(approximate);
  const float in_scale = in.quant.scale(), out_scale = out.quant.scale();
  const std::int32_t in_zp = in.quant.zero_point(), out_zp = out.quant.zero_point();
  if (in.type == dtype::i16) return detail::lookup_kernel(ctx, make_lookup_table_int16(in_scale, in_zp, out_scale, out_zp, f));
  if (in.type == dtype::u8) return detail::lookup_kernel(ctx, make_lookup_table<std::uint8_t>(in_scale, in_zp, out_scale, out_zp, f));
  return detail::lookup_kernel(ctx, make_lookup_table<std::int8_t>(in_scale, in_zp, out_scale, out_zp, f));
}

/// LOGICAL_NOT of a bool tensor.
inline kernel prepare_logical_not(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  ctx.enforce(logical_not_rule(describe(ctx.input(0)), request_for(ctx.output(0))), {0});
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) { reference::logical_not(n, m.at<const bool>(in_t), m.at<bool>(out_t)); };
}

/// CAST between numeric dtypes (reference::cast: TFLite's copyCast; integers
/// to float and float to int32 on the model's target).
inline kernel prepare_cast(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  ctx.enforce(cast_rule(describe(ctx.input(0)), request_for(ctx.output(0))), {0});
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  auto with_input = [&]<class From>(From*) -> kernel {
    auto to = [&]<class To>(To*) -> kernel {
      return [=](const tensor_memory& m) { kernels::cast(target, n, m.at<const From>(in_t), m.at<To>(out_t)); };
    };
    switch (out.type) {
      case dtype::f32: return to(static_cast<float*>(nullptr));
      case dtype::i8: return to(static_cast<std::int8_t*>(nullptr));
      case dtype::u8: return to(static_cast<std::uint8_t*>(nullptr));
      case dtype::i16: return to(static_cast<std::int16_t*>(nullptr));
      case dtype::u16: return to(static_cast<std::uint16_t*>(nullptr));
      case dtype::i32: return to(static_cast<std::int32_t*>(nullptr));
      case dtype::u32: return to(static_cast<std::uint32_t*>(nullptr));
      case dtype::i64: return to(static_cast<std::int64_t*>(nullptr));
      case dtype::u64: return to(static_cast<std::uint64_t*>(nullptr));
      case dtype::boolean: return to(static_cast<bool*>(nullptr));
      default: ctx.unsupported_types();
    }
  };
  switch (in.type) {
    case dtype::f32: return with_input(static_cast<float*>(nullptr));
    case dtype::i8: return with_input(static_cast<std::int8_t*>(nullptr));
    case dtype::u8: return with_input(static_cast<std::uint8_t*>(nullptr));
    case dtype::i16: return with_input(static_cast<std::int16_t*>(nullptr));
    case dtype::u16: return with_input(static_cast<std::uint16_t*>(nullptr));
    case dtype::i32: return with_input(static_cast<std::int32_t*>(nullptr));
    case dtype::u32: return with_input(static_cast<std::uint32_t*>(nullptr));
    case dtype::i64: return with_input(static_cast<std::int64_t*>(nullptr));
    case dtype::u64: return with_input(static_cast<std::uint64_t*>(nullptr));
    case dtype::boolean: return with_input(static_cast<bool*>(nullptr));
    default: ctx.unsupported_types();
  }
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END
