// qfence/kernels/reference/lookup_table.hpp: 8-bit ops as a 256-entry table,
// and TFLite's interpolated int16 tables.
//
// Three uses:
//   - TFLite's reference kernels for uint8/int8 LOGISTIC and TANH (and
//     TFLite's other LUT ops) evaluate the float function once per possible
//     input value: dequantize, apply, requantize with round-half-away-from-
//     zero, clamp (LUTPopulate: make_lookup_table). TFLM computes int8
//     LOGISTIC/TANH in fixed point instead, which is why those ops follow
//     the numerics choice;
//   - any 8-bit elementwise op (TFLM's fixed-point LOGISTIC and TANH, an
//     8-bit QUANTIZE, quantized RELU) is a function of its input byte
//     alone, so its reference kernel run once on all 256 values (tabulate)
//     is a table that gives that kernel's bytes by construction: the SIMD
//     path looks them up (kernels/lookup_bytes-inl.hpp) instead of
//     computing each element;
//   - int16 functions (TFLite's LUTPopulate<int16_t> and LUTLookup, which
//     TFLM shares): 513 samples of a float function over the input's range,
//     interpolated with 7 fraction bits (lookup_table_int16). The int16
//     SOFTMAX takes its exponential and reciprocal from two of them.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/reference/quantize.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Table indexed by the input's bit pattern as uint8 (int8 -1 is entry 255).
template <class T>
using lookup_table = std::array<T, 256>;

/// The table of an 8-bit elementwise op from In to Out (1-byte types):
/// `reference_kernel(in, out)` (the op's reference kernel on 256 elements)
/// run once on every value of In, in bit-pattern order.
template <class In, class Out, class Kernel>
  requires(sizeof(In) == 1 && sizeof(Out) == 1)
constexpr lookup_table<Out> tabulate(Kernel&& reference_kernel) {
  std::array<In, 256> every_value{};
  for (int i = 0; i < 256; ++i) every_value[static_cast<std::size_t>(i)] = static_cast<In>(static_cast<std::uint8_t>(i));
  lookup_table<Out> table{};
  reference_kernel(every_value.data(), table.data());
  return table;
}

template <class T, class F>
  requires(sizeof(T) == 1)
lookup_table<T> make_lookup_table(float input_scale, std::int32_t input_zero_point, float output_scale,
                                  std::int32_t output_zero_point, F&& transform) {
  lookup_table<T> table{};
  const float inverse_scale = 1.0f / output_scale;
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (std::int32_t v = lo; v <= hi; ++v) {
    const float dequantized = input_scale * static_cast<float>(v - input_zero_point);
    const float transformed = transform(dequantized);
    std::int32_t quantized = lo;
    if (std::isfinite(transformed)) {
      const float rescaled = std::round(transformed * inverse_scale);  // half away from zero
      quantized = static_cast<std::int32_t>(rescaled + static_cast<float>(output_zero_point));
    }
    table[static_cast<std::uint8_t>(v)] = static_cast<T>(quantized < lo ? lo : (quantized > hi ? hi : quantized));
  }
  return table;
}

/// The table of elementwise function `f` from In-quantized bytes to
/// Out-quantized bytes: for each input value, what a fence computes,
/// DEQUANTIZE (the input's parameters), `f`, QUANTIZE (the output's), so
/// its bytes are the fenced op's (ops/tabulated.hpp). constexpr when `f`
/// is.
template <class In, class Out, class F>
  requires(sizeof(In) == 1 && sizeof(Out) == 1)
constexpr lookup_table<Out> fenced_table(float in_scale, std::int32_t in_zero_point, float out_scale,
                                         std::int32_t out_zero_point, F&& f) {
  constexpr std::int64_t lo = std::numeric_limits<Out>::min(), hi = std::numeric_limits<Out>::max();
  lookup_table<Out> table{};
  for (int b = 0; b < 256; ++b) {
    const In v = static_cast<In>(static_cast<std::uint8_t>(b));
    const float x = static_cast<float>(static_cast<double>(in_scale) * (static_cast<std::int32_t>(v) - in_zero_point));
    const std::int64_t q = reference::quantize_value(static_cast<float>(f(x)), out_scale, out_zero_point);
    table[static_cast<std::size_t>(b)] = static_cast<Out>(q < lo ? lo : q > hi ? hi : q);
  }
  return table;
}

namespace reference {

template <class In, class Out>
  requires(sizeof(In) == 1)
inline void lookup(std::int64_t n, const In* in, const Out* table, Out* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = table[static_cast<std::uint8_t>(in[i])];
}
template <class In, class Out>
inline void lookup(std::int64_t n, const In* in, const lookup_table<Out>& table, Out* out) noexcept {
  lookup(n, in, table.data(), out);
}

}  // namespace reference

/// TFLite's int16 table: 512 segments over the input's whole int16 range,
/// 513 samples (the last one only gives the last segment's slope).
using lookup_table_int16 = std::array<std::int16_t, 513>;

/// LUTPopulate<int16_t> (LUTPopulateInt16<float>), its float operations in
/// its order: each sample is the function's value, rounded, nudged by half
/// the error linear interpolation makes at the segment's midpoint.
/// constexpr when `transform` is, so that a typed node's table is built at
/// compile time (ops/tabulated.hpp); the rounding is std::round's, and a
/// NaN sample (undefined in TFLite) becomes the lowest value, as the 8-bit
/// tables make a non-finite one.
template <class F>
constexpr lookup_table_int16 make_lookup_table_int16(float input_scale, std::int32_t input_zero_point,
                                                     float output_scale, std::int32_t output_zero_point,
                                                     F&& transform) {
  constexpr std::int32_t lo = std::numeric_limits<std::int16_t>::min(), hi = std::numeric_limits<std::int16_t>::max();
  const float input_min = input_scale * static_cast<float>(lo - input_zero_point);
  const float input_max = input_scale * static_cast<float>(hi - input_zero_point);
  const float output_min = output_scale * static_cast<float>(lo - output_zero_point);
  const float output_max = output_scale * static_cast<float>(hi - output_zero_point);
  constexpr int steps = 512;
  const float step = (input_max - input_min) / static_cast<float>(steps);
  const float half_step = step / 2;
  const float output_scaling_inv = static_cast<float>(hi - lo + 1) / (output_max - output_min);
  const auto round = [](float v) { return detail::round_float(v); };
  const auto clamp = [](float v) {
    if (v != v) return static_cast<std::int16_t>(lo);
    return static_cast<std::int16_t>(std::min(std::max(v, static_cast<float>(lo)), static_cast<float>(hi)));
  };
  lookup_table_int16 lut{};
  for (int i = 0; i < steps; ++i) {
    const float val = transform(input_min + static_cast<float>(i) * step);
    const float val_midpoint = transform(input_min + static_cast<float>(i) * step + half_step);
    const float val_next = transform(input_min + static_cast<float>(i + 1) * step);
    const float sample_val = round(val * output_scaling_inv);
    const float midpoint_interp_val = round((val_next * output_scaling_inv + round(val * output_scaling_inv)) / 2);
    const float midpoint_val = round(val_midpoint * output_scaling_inv);
    const float midpoint_err = midpoint_interp_val - midpoint_val;
    const float bias = round(midpoint_err / 2);
    lut[static_cast<std::size_t>(i)] = clamp(sample_val - bias);
  }
  lut[steps] = clamp(round(transform(input_max) * output_scaling_inv));
  return lut;
}

/// The table a custom elementwise op with float function `f` runs as
/// between two tensors of type T (ops/tabulated.hpp and
/// runtime/elementwise_custom_op.hpp ask this one function): 8-bit, the
/// fence's bytes (fenced_table); int16, TFLite's interpolated table.
/// constexpr when `f` is.
template <class T, class F>
constexpr auto function_table(float in_scale, std::int32_t in_zero_point, float out_scale,
                              std::int32_t out_zero_point, F&& f) {
  if constexpr (sizeof(T) == 1)
    return fenced_table<T, T>(in_scale, in_zero_point, out_scale, out_zero_point, f);
  else
    return make_lookup_table_int16(in_scale, in_zero_point, out_scale, out_zero_point, f);
}

/// LUTLookup for int16: the segment's base plus its slope times the 7-bit
/// offset, rounded (the slope wraps to int16 as TFLite's does).
constexpr std::int16_t lookup_interpolated(const lookup_table_int16& lut, std::int16_t value) noexcept {
  const auto index = static_cast<std::size_t>(256 + (value >> 7));
  const int offset = value & 0x7f;
  const std::int16_t base = lut[index];
  const auto slope = static_cast<std::int16_t>(lut[index + 1] - lut[index]);
  const int delta = (slope * offset + 64) >> 7;
  return static_cast<std::int16_t>(base + delta);
}

namespace reference {

/// n int16 values through an interpolated table.
inline void lookup(std::int64_t n, const std::int16_t* in, const lookup_table_int16& table, std::int16_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = lookup_interpolated(table, in[i]);
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
