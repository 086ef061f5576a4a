// qfence/runtime/ops/elementwise.hpp: ADD, MUL, QUANTIZE, DEQUANTIZE with
// runtime shapes.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/add_n.hpp"
#include "qfence/kernels/reference/arithmetic.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/kernels/reference/elementwise.hpp"
#include "qfence/kernels/reference/leaky_relu.hpp"
#include "qfence/kernels/reference/prelu.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/kernels/reference/squared_difference.hpp"
#include "qfence/rules/activation.hpp"
#include "qfence/rules/add_n.hpp"
#include "qfence/kernels/reference/comparison.hpp"
#include "qfence/rules/comparison.hpp"
#include "qfence/rules/elementwise.hpp"
#include "qfence/rules/prelu.hpp"
#include "qfence/rules/quantize.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/conv.hpp"
#include "qfence/runtime/ops/tabulated.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

namespace detail {

inline binary_attrs binary_attrs_of(const op_options& o) noexcept { return {o.fused, plain_fused_activation(o)}; }

/// The broadcast geometry of operands a rule accepted.
inline broadcast_geometry binary_geometry(const op_context& ctx) {
  return broadcast_geometry_of(describe(ctx.input(0)), describe(ctx.input(1)));
}

/// DIV, FLOOR_DIV, MAXIMUM, MINIMUM and the int32 ADD, SUB, MUL.
inline void enforce_arithmetic(const op_context& ctx, arithmetic_fn f) {
  ctx.require_io(2, 2, 1);
  ctx.enforce(arithmetic_rule(f, binary_attrs_of(ctx.options()), describe(ctx.input(0)), describe(ctx.input(1)),
                              request_for(ctx.output(0))),
              {0, 1});
}

/// ADD, SUB, MUL of quantized or float tensors.
inline void enforce_binary(const op_context& ctx, binary_fn f) {
  ctx.require_io(2, 2, 1);
  ctx.enforce(binary_rule(f, binary_attrs_of(ctx.options()), describe(ctx.input(0)), describe(ctx.input(1)),
                          request_for(ctx.output(0))),
              {0, 1});
}

/// TFLite runs ADD, SUB and MUL of int32 tensors as plain integer
/// arithmetic; qfence's vocabulary calls those int_add, int_sub, int_mul.
inline bool plain_int32(const op_context& ctx) {
  return ctx.input_count() == 2 && ctx.input(0).type == dtype::i32 && !ctx.input(0).quant.quantized();
}

}  // namespace detail

namespace detail {

/// A broadcasting binary op on unquantized values (qfence/ops/arithmetic.hpp;
/// float ADD, SUB, MUL too): out = Op(a, b), then the fused activation's
/// clamp in the element type, on the model's target.
template <class Op, class T>
kernel plain_binary(const op_context& ctx) {
  const broadcast_geometry g = binary_geometry(ctx);
  const int a_t = ctx.input_index(0), b_t = ctx.input_index(1), out_t = ctx.output_index(0);
  const auto bounds = plain_activation_bounds<T>(ctx.options().fused);
  const kernels::target target = ctx.simd_target();
  return [=](const tensor_memory& m) {
    kernels::plain_arithmetic<Op>(target, g, m.at<const T>(a_t), m.at<const T>(b_t), bounds.first, bounds.second,
                                  m.at<T>(out_t));
  };
}

}  // namespace detail

namespace detail {

/// ADD and SUB share their arithmetic; SUB subtracts the second input and,
/// under TFLM numerics, derives its multipliers in float (docs/numerics.md, "Two references").
template <bool Subtract>
kernel prepare_add_or_sub(const op_context& ctx) {
  if (plain_int32(ctx)) {
    enforce_arithmetic(ctx, Subtract ? arithmetic_fn::int_sub : arithmetic_fn::int_add);
    return Subtract ? plain_binary<qfence::op::int_sub, std::int32_t>(ctx)
                    : plain_binary<qfence::op::int_add, std::int32_t>(ctx);
  }
  enforce_binary(ctx, Subtract ? binary_fn::sub : binary_fn::add);
  if (ctx.input(0).type == dtype::f32)
    return Subtract ? plain_binary<qfence::op::int_sub, float>(ctx) : plain_binary<qfence::op::int_add, float>(ctx);
  const broadcast_geometry g = binary_geometry(ctx);
  const tensor &a = ctx.input(0), &b = ctx.input(1), &out = ctx.output(0);
  const int a_t = ctx.input_index(0), b_t = ctx.input_index(1), out_t = ctx.output_index(0);
  auto quantized = [&]<class T>(T*) -> kernel {
    const add_params p = make_add_sub_params(Subtract, ctx.arithmetic() == numerics::tflm, sizeof(T) == 2,
                                             a.quant.scale(), a.quant.zero_point(), b.quant.scale(),
                                             b.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
    const int_range act = activation_range<T>(ctx, out);
    const kernels::target target = ctx.simd_target();
    return [=](const tensor_memory& m) {
      if constexpr (Subtract) {
        kernels::sub_quantized(target, g, m.at<const T>(a_t), m.at<const T>(b_t), p, act, m.at<T>(out_t));
      } else {
        kernels::add_quantized(target, g, m.at<const T>(a_t), m.at<const T>(b_t), p, act, m.at<T>(out_t));
      }
    };
  };
  if (a.type == dtype::i8) return quantized(static_cast<std::int8_t*>(nullptr));
  if (a.type == dtype::u8) return quantized(static_cast<std::uint8_t*>(nullptr));
  return quantized(static_cast<std::int16_t*>(nullptr));
}

}  // namespace detail



namespace detail {
/// DIV, FLOOR_DIV, MAXIMUM, MINIMUM on f32 and i32 (MAXIMUM/MINIMUM on any
/// dtype whose inputs and output share quantization: they compare stored
/// values).
template <class Op>
kernel prepare_arithmetic(const op_context& ctx, arithmetic_fn f) {
  enforce_arithmetic(ctx, f);
  switch (ctx.input(0).type) {
    case dtype::f32: return plain_binary<Op, float>(ctx);
    case dtype::i32: return plain_binary<Op, std::int32_t>(ctx);
    case dtype::i8: return plain_binary<Op, std::int8_t>(ctx);
    case dtype::u8: return plain_binary<Op, std::uint8_t>(ctx);
    case dtype::i16: return plain_binary<Op, std::int16_t>(ctx);
    case dtype::i64: return plain_binary<Op, std::int64_t>(ctx);
    default: ctx.unsupported_types();
  }
}
}  // namespace detail

inline kernel prepare_div(const op_context& ctx) { return detail::prepare_arithmetic<qfence::op::div>(ctx, arithmetic_fn::div); }
inline kernel prepare_floor_div(const op_context& ctx) {
  if (ctx.input_count() == 2 && ctx.input(1).constant && ctx.input(1).type == dtype::i32) {
    const auto divisor = ctx.constant_ints(1, "divisor");
    for (auto d : divisor) ctx.require(d != 0, "the constant divisor contains 0");
  }
  return detail::prepare_arithmetic<qfence::op::floor_div>(ctx, arithmetic_fn::floor_div);
}
inline kernel prepare_floor_mod(const op_context& ctx) {
  if (ctx.input_count() == 2 && ctx.input(1).constant && ctx.input(1).type == dtype::i32) {
    const auto divisor = ctx.constant_ints(1, "divisor");
    for (auto d : divisor) ctx.require(d != 0, "the constant divisor contains 0");
  }
  return detail::prepare_arithmetic<qfence::op::floor_mod>(ctx, arithmetic_fn::floor_mod);
}
/// EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL
/// (kernels/reference/comparison.hpp): values as stored, int8 rescaled.
template <class Op>
kernel prepare_comparison(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &a = ctx.input(0), &b = ctx.input(1);
  ctx.enforce(comparison_rule(is_equality<Op>, describe(a), describe(b), request_for(ctx.output(0))), {0, 1});
  const broadcast_geometry g = detail::binary_geometry(ctx);
  const int a_t = ctx.input_index(0), b_t = ctx.input_index(1), out_t = ctx.output_index(0);
  if (a.type == dtype::i8) {
    const comparison_operand pa = make_comparison_operand(a.quant.scale(), a.quant.zero_point());
    const comparison_operand pb = make_comparison_operand(b.quant.scale(), b.quant.zero_point());
    return [=](const tensor_memory& m) {
      reference::compare<Op>(g, m.at<const std::int8_t>(a_t), pa, m.at<const std::int8_t>(b_t), pb, m.at<bool>(out_t));
    };
  }
  auto plain = [&]<class T>(T*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::compare<Op>(g, m.at<const T>(a_t), m.at<const T>(b_t), m.at<bool>(out_t));
    };
  };
  switch (a.type) {
    case dtype::f32: return plain(static_cast<float*>(nullptr));
    case dtype::i32: return plain(static_cast<std::int32_t*>(nullptr));
    case dtype::i64: return plain(static_cast<std::int64_t*>(nullptr));
    default: return plain(static_cast<bool*>(nullptr));
  }
}

/// LOGICAL_AND and LOGICAL_OR of bool tensors, broadcasting.
template <class Op>
kernel prepare_logical(const op_context& ctx) {
  detail::enforce_arithmetic(ctx, std::is_same_v<Op, qfence::op::logical_and> ? arithmetic_fn::logical_and
                                                                             : arithmetic_fn::logical_or);
  const broadcast_geometry g = detail::binary_geometry(ctx);
  const int a_t = ctx.input_index(0), b_t = ctx.input_index(1), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) {
    reference::arithmetic<Op>(g, m.at<const bool>(a_t), m.at<const bool>(b_t), false, true, m.at<bool>(out_t));
  };
}
inline kernel prepare_logical_and(const op_context& ctx) { return prepare_logical<qfence::op::logical_and>(ctx); }
inline kernel prepare_logical_or(const op_context& ctx) { return prepare_logical<qfence::op::logical_or>(ctx); }

inline kernel prepare_maximum(const op_context& ctx) { return detail::prepare_arithmetic<qfence::op::maximum>(ctx, arithmetic_fn::maximum); }
inline kernel prepare_minimum(const op_context& ctx) { return detail::prepare_arithmetic<qfence::op::minimum>(ctx, arithmetic_fn::minimum); }


/// SQUARED_DIFFERENCE (kernels/reference/squared_difference.hpp): float and
/// int32 on the arithmetic kernels, int8 and int16 rescaled as TFLM does.
inline kernel prepare_squared_difference(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &a = ctx.input(0), &b = ctx.input(1), &out = ctx.output(0);
  ctx.enforce(squared_difference_rule(describe(a), describe(b), request_for(out)), {0, 1});
  if (a.type == dtype::f32) return detail::plain_binary<qfence::op::squared_difference, float>(ctx);
  if (a.type == dtype::i32) return detail::plain_binary<qfence::op::squared_difference, std::int32_t>(ctx);
  const broadcast_geometry g = detail::binary_geometry(ctx);
  const int a_t = ctx.input_index(0), b_t = ctx.input_index(1), out_t = ctx.output_index(0);
  auto quantized = [&]<class T>(T*) -> kernel {
    const add_params p = make_squared_difference_params(a.quant.scale(), a.quant.zero_point(), b.quant.scale(),
                                                        b.quant.zero_point(), out.quant.scale(),
                                                        out.quant.zero_point(), squared_difference_left_shift<T>);
    return [=](const tensor_memory& m) {
      reference::squared_difference(g, m.at<const T>(a_t), m.at<const T>(b_t), p, m.at<T>(out_t));
    };
  };
  if (a.type == dtype::i8) return quantized(static_cast<std::int8_t*>(nullptr));
  return quantized(static_cast<std::int16_t*>(nullptr));
}

/// ADD_N: the sum of two or more inputs of one shape and type.
inline kernel prepare_add_n(const op_context& ctx) {
  ctx.require(ctx.input_count() >= 2 && ctx.output_count() == 1, "takes 2 or more inputs and 1 output");
  std::vector<tensor_desc> operands;
  std::vector<int> ins;
  for (int i = 0; i < ctx.input_count(); ++i) {
    operands.push_back(describe(ctx.input(i)));
    ins.push_back(ctx.input_index(i));
  }
  const tensor& out = ctx.output(0);
  const rule_result r = add_n_rule(operands.data(), static_cast<int>(operands.size()), request_for(out));
  ctx.enforce(r);
  const std::int64_t n = out.elements();
  const int out_t = ctx.output_index(0);
  // The input pointers, gathered at each invoke into a list prepared once
  // (no allocation while the model runs).
  auto sum = [&]<class T>(T*, auto&& compute) -> kernel {
    auto pointers = std::make_shared<std::vector<const T*>>(ins.size());
    return [=](const tensor_memory& m) {
      for (std::size_t k = 0; k < ins.size(); ++k) (*pointers)[k] = m.at<const T>(ins[k]);
      compute(pointers->data(), static_cast<int>(ins.size()), m.at<T>(out_t));
    };
  };
  const tensor& first = ctx.input(0);
  auto plain = [n](const auto* ins_data, int count, auto* y) { reference::add_n(n, count, ins_data, y); };
  if (first.type == dtype::f32) return sum(static_cast<float*>(nullptr), plain);
  if (first.type == dtype::i32) return sum(static_cast<std::int32_t*>(nullptr), plain);
  const add_n_params p =
      make_add_n_params(first.quant.scale(), first.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
  return sum(static_cast<std::int8_t*>(nullptr),
             [=](const std::int8_t* const* ins_data, int count, std::int8_t* y) { reference::add_n(n, count, ins_data, p, y); });
}

inline kernel prepare_add(const op_context& ctx) { return detail::prepare_add_or_sub<false>(ctx); }
inline kernel prepare_sub(const op_context& ctx) { return detail::prepare_add_or_sub<true>(ctx); }

inline kernel prepare_leaky_relu(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(activation_rule(activation_fn::leaky_relu, describe(in), request_for(out)), {0});
  const std::int64_t n = in.elements();
  const float alpha = ctx.options().alpha;
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32)
    return [=](const tensor_memory& m) { reference::leaky_relu(n, m.at<const float>(in_t), alpha, m.at<float>(out_t)); };
  auto quantized = [&]<class T>(T*) -> kernel {
    const leaky_relu_params p = make_leaky_relu_params(in.quant.scale(), in.quant.zero_point(), out.quant.scale(),
                                                       out.quant.zero_point(), alpha);
    const auto reference_kernel = [=](std::int64_t count, const T* x, T* y) { reference::leaky_relu(count, x, p, y); };
    if constexpr (sizeof(T) == 1) return detail::tabulated<T, T>(ctx, reference_kernel);
    return [=](const tensor_memory& m) { reference_kernel(n, m.at<const T>(in_t), m.at<T>(out_t)); };
  };
  if (in.type == dtype::i8) return quantized(static_cast<std::int8_t*>(nullptr));
  if (in.type == dtype::u8) return quantized(static_cast<std::uint8_t*>(nullptr));
  return quantized(static_cast<std::int16_t*>(nullptr));
}

/// PRELU (kernels/reference/prelu.hpp): float; int8, int16 (int8 alpha) with
/// TFLM's multipliers, TFLite's under --numerics tflite; uint8 (TFLite only)
/// with TFLite's.
inline kernel prepare_prelu(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &x = ctx.input(0), &alpha = ctx.input(1), &out = ctx.output(0);
  ctx.enforce(prelu_rule(describe(x), describe(alpha), request_for(out)), {0, 1});
  const broadcast_geometry g = detail::binary_geometry(ctx);
  const int x_t = ctx.input_index(0), a_t = ctx.input_index(1), out_t = ctx.output_index(0);
  if (x.type == dtype::f32)
    return [=](const tensor_memory& m) {
      reference::prelu(g, m.at<const float>(x_t), m.at<const float>(a_t), m.at<float>(out_t));
    };
  const prelu_params p = make_prelu_params(x.quant.scale(), x.quant.zero_point(), alpha.quant.scale(),
                                           alpha.quant.zero_point(), out.quant.scale(), out.quant.zero_point(),
                                           prelu_float_multipliers(x.type, ctx.arithmetic() == numerics::tflite));
  auto quantized = [&]<class T, class A>(T*, A*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::prelu(g, m.at<const T>(x_t), m.at<const A>(a_t), p, m.at<T>(out_t));
    };
  };
  if (x.type == dtype::u8) return quantized(static_cast<std::uint8_t*>(nullptr), static_cast<std::uint8_t*>(nullptr));
  if (x.type == dtype::i16) return quantized(static_cast<std::int16_t*>(nullptr), static_cast<std::int8_t*>(nullptr));
  return quantized(static_cast<std::int8_t*>(nullptr), static_cast<std::int8_t*>(nullptr));
}

inline kernel prepare_mul(const op_context& ctx) {
  if (detail::plain_int32(ctx)) {
    detail::enforce_arithmetic(ctx, arithmetic_fn::int_mul);
    return detail::plain_binary<qfence::op::int_mul, std::int32_t>(ctx);
  }
  detail::enforce_binary(ctx, binary_fn::mul);
  if (ctx.input(0).type == dtype::f32) return detail::plain_binary<qfence::op::int_mul, float>(ctx);
  const broadcast_geometry g = detail::binary_geometry(ctx);
  const tensor &a = ctx.input(0), &b = ctx.input(1), &out = ctx.output(0);
  const int a_t = ctx.input_index(0), b_t = ctx.input_index(1), out_t = ctx.output_index(0);
  auto quantized = [&]<class T>(T*) -> kernel {
    const quantized_multiplier mult = make_mul_multiplier(a.quant.scale(), b.quant.scale(), out.quant.scale(),
                                                          ctx.arithmetic() == numerics::tflm);
    const std::int32_t a_off = -a.quant.zero_point(), b_off = -b.quant.zero_point(), out_off = out.quant.zero_point();
    const int_range act = detail::activation_range<T>(ctx, out);
    const kernels::target target = ctx.simd_target();
    return [=](const tensor_memory& m) {
      kernels::mul_quantized(target, g, m.at<const T>(a_t), a_off, m.at<const T>(b_t), b_off, mult, out_off, act,
                             m.at<T>(out_t));
    };
  };
  if (a.type == dtype::i8) return quantized(static_cast<std::int8_t*>(nullptr));
  if (a.type == dtype::u8) return quantized(static_cast<std::uint8_t*>(nullptr));
  return quantized(static_cast<std::int16_t*>(nullptr));
}

inline kernel prepare_quantize(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(quantize_rule(describe(in), request_for(out)), {0});
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const float out_scale = out.quant.scale();
  const std::int32_t out_zp = out.quant.zero_point();
  const kernels::target target = ctx.simd_target();
  auto from_float = [&]<class Out>(Out*) -> kernel {
    return [=](const tensor_memory& m) {
      kernels::quantize(target, n, m.at<const float>(in_t), out_scale, out_zp, m.at<Out>(out_t));
    };
  };
  auto requantize = [&]<class In, class Out>(In*, Out*) -> kernel {
    const quantized_multiplier mult = scale_ratio_multiplier(in.quant.scale(), out_scale);
    const std::int32_t in_zp = in.quant.zero_point();
    const auto reference_kernel = [=](std::int64_t count, const In* x, Out* y) {
      reference::requantize(count, x, in_zp, mult, out_zp, y);
    };
    if constexpr (sizeof(In) == 1 && sizeof(Out) == 1) return detail::tabulated<In, Out>(ctx, reference_kernel);
    return [=](const tensor_memory& m) { reference_kernel(n, m.at<const In>(in_t), m.at<Out>(out_t)); };
  };
  using i8 = std::int8_t;
  using u8 = std::uint8_t;
  using i16 = std::int16_t;
  const dtype from = in.type, to = out.type;
  if (from == dtype::f32) {
    if (to == dtype::i8) return from_float(static_cast<i8*>(nullptr));
    if (to == dtype::u8) return from_float(static_cast<u8*>(nullptr));
    if (to == dtype::i16) return from_float(static_cast<i16*>(nullptr));
  }
  if (from == dtype::i8 && to == dtype::i8) return requantize(static_cast<i8*>(nullptr), static_cast<i8*>(nullptr));
  if (from == dtype::u8 && to == dtype::i8) return requantize(static_cast<u8*>(nullptr), static_cast<i8*>(nullptr));
  if (from == dtype::i8 && to == dtype::u8) return requantize(static_cast<i8*>(nullptr), static_cast<u8*>(nullptr));
  if (from == dtype::u8 && to == dtype::u8) return requantize(static_cast<u8*>(nullptr), static_cast<u8*>(nullptr));
  if (from == dtype::i16 && to == dtype::i16) return requantize(static_cast<i16*>(nullptr), static_cast<i16*>(nullptr));
  if (from == dtype::i16 && to == dtype::i8) return requantize(static_cast<i16*>(nullptr), static_cast<i8*>(nullptr));
  if (from == dtype::i8 && to == dtype::i16) return requantize(static_cast<i8*>(nullptr), static_cast<i16*>(nullptr));
  if (from == dtype::i16 && to == dtype::i32)
    return requantize(static_cast<i16*>(nullptr), static_cast<std::int32_t*>(nullptr));
  if (from == dtype::i8 && to == dtype::i32)
    return requantize(static_cast<i8*>(nullptr), static_cast<std::int32_t*>(nullptr));
  if (from == dtype::i32 && to == dtype::i16)
    return requantize(static_cast<std::int32_t*>(nullptr), static_cast<i16*>(nullptr));
  if (from == dtype::i32 && to == dtype::i8)
    return requantize(static_cast<std::int32_t*>(nullptr), static_cast<i8*>(nullptr));
  ctx.unsupported_types();
}

inline kernel prepare_dequantize(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(dequantize_rule(describe(in), request_for(out)), {0});
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  auto typed = [&]<class In>(In*) -> kernel {
    const float scale = in.quant.scale();
    const std::int32_t zp = in.quant.zero_point();
    const kernels::target target = ctx.simd_target();
    return [=](const tensor_memory& m) {
      kernels::dequantize(target, n, m.at<const In>(in_t), scale, zp, m.at<float>(out_t));
    };
  };
  if (in.type == dtype::i8) return typed(static_cast<std::int8_t*>(nullptr));
  if (in.type == dtype::u8) return typed(static_cast<std::uint8_t*>(nullptr));
  if (in.type == dtype::i16) return typed(static_cast<std::int16_t*>(nullptr));
  if (in.type == dtype::f16) return typed(static_cast<half*>(nullptr));
  ctx.unsupported_types();
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END
