// qfence/kernels/reference/elementwise.hpp: reference kernel code of elementwise
// (moved from ops/elementwise.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Requantization parameters of an int8 ADD (TFLite's ArithmeticParams).
struct add_params {
  std::int32_t input1_offset, input2_offset, output_offset;
  int left_shift;
  quantized_multiplier input1, input2, output;
};

constexpr add_params make_add_params(float in1_scale, int in1_zp, float in2_scale, int in2_zp, float out_scale,
                                     int out_zp, int left_shift) noexcept {
  const double twice_max_input_scale = 2.0 * static_cast<double>(std::max(in1_scale, in2_scale));
  const double real_input1 = static_cast<double>(in1_scale) / twice_max_input_scale;
  const double real_input2 = static_cast<double>(in2_scale) / twice_max_input_scale;
  const double real_output =
      twice_max_input_scale / (static_cast<double>(std::int64_t{1} << left_shift) * static_cast<double>(out_scale));
  return {-in1_zp,
          -in2_zp,
          out_zp,
          left_shift,
          quantize_multiplier(real_input1),
          quantize_multiplier(real_input2),
          quantize_multiplier(real_output)};
}

/// Whether the SIMD ADD and SUB run these parameters in their 32-bit form
/// (kernels/add-inl.hpp): 8-bit inputs (left shift 20) whose multipliers
/// have an input_scale_20 (core/fixed_point.hpp), and an output multiplier
/// below one. Anything else takes TFLite's steps one by one.
constexpr bool add_scales_in_32_bits(const add_params& p) noexcept {
  return p.left_shift == 20 && has_input_scale_20(p.input1) && has_input_scale_20(p.input2) && p.output.shift <= 0;
}

/// TFLM's SUB parameters (CalculateOpDataSub): the same as ADD's, but every
/// ratio is formed in float before it widens to double. For int16 this is
/// one of the two places where TFLM and TFLite differ (docs/numerics.md, "Two references"); TFLite
/// (and TFLM's ADD) use make_add_params.
constexpr add_params make_sub_params_float(float in1_scale, int in1_zp, float in2_scale, int in2_zp, float out_scale,
                                           int out_zp, int left_shift) noexcept {
  const float twice_max_input_scale = 2 * std::max(in1_scale, in2_scale);
  const auto real_input1 = static_cast<double>(in1_scale / twice_max_input_scale);
  const auto real_input2 = static_cast<double>(in2_scale / twice_max_input_scale);
  const auto real_output =
      static_cast<double>(twice_max_input_scale / (static_cast<float>(1 << left_shift) * out_scale));
  return {-in1_zp,
          -in2_zp,
          out_zp,
          left_shift,
          quantize_multiplier(real_input1),
          quantize_multiplier(real_input2),
          quantize_multiplier(real_output)};
}

/// ADD's or SUB's parameters as the reference followed forms them, the one
/// rule both paths use: TFLM's SUB forms its ratios in float
/// (make_sub_params_float), TFLite's SUB and every ADD in double; the inputs
/// are shifted left by 15 (int16) or 20 (8-bit) before they are rescaled.
constexpr add_params make_add_sub_params(bool subtract, bool tflm_numerics, bool int16, float in1_scale, int in1_zp,
                                         float in2_scale, int in2_zp, float out_scale, int out_zp) noexcept {
  const int left_shift = int16 ? 15 : 20;
  return (subtract && tflm_numerics ? make_sub_params_float : make_add_params)(in1_scale, in1_zp, in2_scale, in2_zp,
                                                                               out_scale, out_zp, left_shift);
}

/// MUL's multiplier: the product of the input scales over the output's.
/// TFLM forms it in double; TFLite's mul.cc multiplies the float scales in
/// float and widens the result (docs/numerics.md, "Two references"), which
/// changes the multiplier's low bits for most scales.
constexpr quantized_multiplier make_mul_multiplier(float in1_scale, float in2_scale, float out_scale,
                                                   bool tflm_numerics = true) noexcept {
  if (!tflm_numerics) return quantize_multiplier(static_cast<double>(in1_scale * in2_scale / out_scale));
  return quantize_multiplier(static_cast<double>(in1_scale) * static_cast<double>(in2_scale) /
                             static_cast<double>(out_scale));
}

namespace reference {

template <bool Subtract = false, class T>
constexpr T add_one(const add_params& p, int_range act, T x, T y) noexcept {
  const std::int32_t input1 = p.input1_offset + x;
  const std::int32_t input2 = p.input2_offset + y;
  const std::int32_t shifted1 = input1 * (1 << p.left_shift);
  const std::int32_t shifted2 = input2 * (1 << p.left_shift);
  const std::int32_t scaled1 = multiply_by_quantized_multiplier(shifted1, p.input1);
  const std::int32_t scaled2 = multiply_by_quantized_multiplier(shifted2, p.input2);
  const std::int32_t raw_sum = Subtract ? scaled1 - scaled2 : scaled1 + scaled2;
  const std::int32_t raw_output = multiply_by_quantized_multiplier(raw_sum, p.output) + p.output_offset;
  return static_cast<T>(apply(act, raw_output));
}

/// Quantized ADD (int8 and legacy uint8 with left_shift 20, int16 with 15):
/// TFLite's reference AddElementwise / BroadcastAdd.
template <class T>
  requires(sizeof(T) <= 2)
inline void add(const broadcast_geometry& g, const T* a, const T* b, const add_params& p, int_range act,
                T* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) { out[o] = add_one(p, act, a[ia], b[ib]); });
}

/// Quantized SUB: ADD's arithmetic with the second input subtracted.
template <class T>
  requires(sizeof(T) <= 2)
inline void sub(const broadcast_geometry& g, const T* a, const T* b, const add_params& p, int_range act,
                T* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) {
    out[o] = add_one<true>(p, act, a[ia], b[ib]);
  });
}

/// Quantized MUL (int8, uint8; int16 with zero points 0, where the product
/// of two int16 values still fits int32): TFLM's MulElementwise.
template <class T>
  requires(sizeof(T) <= 2)
inline void mul(const broadcast_geometry& g, const T* a, std::int32_t a_offset, const T* b, std::int32_t b_offset,
                quantized_multiplier m, std::int32_t out_offset, int_range act, T* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) {
    const std::int32_t product = (a_offset + a[ia]) * (b_offset + b[ib]);
    out[o] = static_cast<T>(apply(act, out_offset + multiply_by_quantized_multiplier(product, m)));
  });
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
