// qfence/kernels/reference/unary_math.hpp: the float functions of one
// operand: ABS, CEIL, COS, ELU, EXP, FLOOR, HARD_SWISH, LOG, NEG, ROUND,
// RSQRT, SIN, SQRT, SQUARE. Each op tag carries its runtime code and the function, written as
// TFLM's kernels write it (elementwise.cc, exp.cc, neg.cc, ceil.cc,
// floor.cc, round.cc), so that both paths give TFLM's bytes:
//   - the float overloads of <cmath> (std::sin(float) is sinf): the same
//     library functions TFLM calls, so COS, EXP, LOG and SIN are bit-exact
//     where TFLM runs on the same C library;
//   - RSQRT is 1 / sqrt(x), two IEEE operations, not a reciprocal estimate;
//   - ROUND is TFLite's RoundToNearest: half to even, but a negative value
//     that rounds to zero gives +0 (floor(x) + 1), not nearbyint's -0.
//
// ABS also has TFLM's int8 and int16 forms, RSQRT, ELU and HARD_SWISH their
// int8 forms (reference::abs, rsqrt, elu, hard_swish below), EXP TFLite's
// int8 and int16 tables (exp_table; TFLM has none).
//
// `vector` says whether the SIMD kernel (kernels/unary_math-inl.hpp) computes
// the same bits with vector instructions; the transcendental functions stay
// the library's scalar calls on every target.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/fixed_point_functions.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/rules/unary.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// X(tag, vector): the float unary math ops; tag names the op tag, the
/// runtime op_code and the typed graph's function (qfence::exp(ref<0>)).
#define QFENCE_UNARY_MATH_OPS(X) \
  X(abs, true)                   \
  X(ceil, true)                  \
  X(cos, false)                  \
  X(elu, false)                  \
  X(exp, false)                  \
  X(floor, true)                 \
  X(hard_swish, true)            \
  X(log, false)                  \
  X(neg, true)                   \
  X(round, true)                 \
  X(rsqrt, true)                 \
  X(sin, false)                  \
  X(sqrt, true)                  \
  X(square, true)

namespace op {

#define QFENCE_UNARY_MATH_TAG(tag, vectorized)                                 \
  struct tag {                                                                 \
    static constexpr const char* name = #tag;                                  \
    static constexpr runtime::op_code code = runtime::op_code::tag;            \
    static constexpr bool vector = vectorized;                                 \
    static float apply(float x) noexcept;                                      \
  };
QFENCE_UNARY_MATH_OPS(QFENCE_UNARY_MATH_TAG)
#undef QFENCE_UNARY_MATH_TAG

inline float abs::apply(float x) noexcept { return std::abs(x); }
inline float ceil::apply(float x) noexcept { return std::ceil(x); }
inline float cos::apply(float x) noexcept { return std::cos(x); }
/// TFLite's Elu: expm1 below 0 (the int8 table uses exp - 1: elu_table).
inline float elu::apply(float x) noexcept { return x < 0.0f ? std::expm1(x) : x; }
inline float exp::apply(float x) noexcept { return std::exp(x); }
inline float floor::apply(float x) noexcept { return std::floor(x); }
/// TFLite's HardSwish: x * min(6, max(0, x + 3)) / 6, in that order, with
/// std::min/std::max's comparisons (a NaN input stays NaN).
inline float hard_swish::apply(float x) noexcept { return x * std::min(6.0f, std::max(0.0f, x + 3.0f)) / 6.0f; }
inline float log::apply(float x) noexcept { return std::log(x); }
inline float neg::apply(float x) noexcept { return -x; }
inline float round::apply(float x) noexcept {
  const float below = std::floor(x);
  const float diff = x - below;
  // static_cast<int> as TFLite writes it; `diff` is 0.5 only below 2^23,
  // where the conversion is exact.
  if (diff < 0.5f || (diff == 0.5f && static_cast<int>(below) % 2 == 0)) return below;
  return below + 1.0f;
}
inline float rsqrt::apply(float x) noexcept { return 1.0f / std::sqrt(x); }
inline float sin::apply(float x) noexcept { return std::sin(x); }
inline float sqrt::apply(float x) noexcept { return std::sqrt(x); }
inline float square::apply(float x) noexcept { return x * x; }

}  // namespace op

template <class Op>
inline constexpr bool is_unary_math = false;
#define QFENCE_UNARY_MATH_IS(tag, vectorized) \
  template <>                                 \
  inline constexpr bool is_unary_math<op::tag> = true;
QFENCE_UNARY_MATH_OPS(QFENCE_UNARY_MATH_IS)
#undef QFENCE_UNARY_MATH_IS

/// TFLite's int8 and int16 EXP (exp.cc; TFLM's EXP is float only): a table
/// of the float EXP between the two tensors' parameters, as LUTPopulate
/// makes it (256 entries; int16: 513 interpolated samples, zero points 0).
/// std::exp is not constexpr: built when a layer is prepared (the typed
/// path: on first use).
template <class T>
auto exp_table(float in_scale, std::int32_t in_zp, float out_scale, std::int32_t out_zp) {
  static_assert(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::int16_t>, "TFLite's EXP: int8 or int16");
  if constexpr (sizeof(T) == 1)
    return make_lookup_table<T>(in_scale, in_zp, out_scale, out_zp, op::exp::apply);
  else
    return make_lookup_table_int16(in_scale, in_zp, out_scale, out_zp, op::exp::apply);
}

/// TFLM's quantized ABS (elementwise.cc, PrepareAbsRsqrt): rescaled only
/// when the two scales differ, by their float quotient.
struct quantized_abs_params {
  std::int32_t in_zp = 0, out_zp = 0;
  bool rescale = false;
  quantized_multiplier m{};
};

constexpr quantized_abs_params make_quantized_abs_params(float in_scale, std::int32_t in_zp, float out_scale,
                                                         std::int32_t out_zp) noexcept {
  quantized_abs_params p;
  p.in_zp = in_zp;
  p.out_zp = out_zp;
  p.rescale = in_scale != out_scale;
  if (p.rescale) p.m = quantize_multiplier(static_cast<double>(in_scale / out_scale));
  return p;
}

/// TFLM's int8 ELU (elu.cc, PopulateLookupTable): per value, dequantize
/// (input scale x (q - zero point), in float), exp(x) - 1 below 0, then
/// round(y x (1 / output scale)) with the inverse taken in float, plus the
/// output zero point, saturated. A multiply by the inverse, not QUANTIZE's
/// division: the two round apart for some values.
struct quantized_elu_params {
  float in_scale = 1.0f, inverse_out_scale = 1.0f;
  std::int32_t in_zp = 0, out_zp = 0;
};

inline quantized_elu_params make_quantized_elu_params(float in_scale, std::int32_t in_zp, float out_scale,
                                                      std::int32_t out_zp) noexcept {
  return {in_scale, 1 / out_scale, in_zp, out_zp};
}

/// The quantized HARD_SWISH's parameters (TFLM's HardSwishPrepare, TFLite's
/// the same): the input is taken on a "high-resolution" scale 2^7 finer,
/// from which one 16-bit multiplier goes to the output scale and another to
/// the scale on which 3.0 is 32768. The output multiplier must be below one
/// (its exponent <= 0): unary_math_rule refuses scales where it is not.
struct hard_swish_params {
  std::int16_t in_zp = 0, out_zp = 0;
  std::int16_t reluish_multiplier = 0, output_multiplier = 0;
  int reluish_exponent = 0, output_exponent = 0;
};

constexpr hard_swish_params make_hard_swish_params(float in_scale, std::int32_t in_zp, float out_scale,
                                                   std::int32_t out_zp) noexcept {
  const quantized_multiplier output = hard_swish_output_multiplier(in_scale, out_scale);
  const quantized_multiplier reluish =
      quantize_multiplier(static_cast<double>(hard_swish_hires_scale(in_scale) / (3.0f / 32768.0f)));
  hard_swish_params p;
  p.in_zp = static_cast<std::int16_t>(in_zp);
  p.out_zp = static_cast<std::int16_t>(out_zp);
  p.reluish_multiplier = down_scale_multiplier_to_16(reluish.multiplier);
  p.reluish_exponent = reluish.shift;
  p.output_multiplier = down_scale_multiplier_to_16(output.multiplier);
  p.output_exponent = output.shift;
  return p;
}

/// TFLM's quantized RSQRT (elementwise.cc, SetRsqrtOutputMultiplier): the
/// output multiplier 1 / (sqrt(input scale) * output scale), the square root
/// in float as TFLM takes it (so this is not constexpr).
struct quantized_rsqrt_params {
  std::int32_t in_zp = 0, out_zp = 0;
  quantized_multiplier m{};
};

inline quantized_rsqrt_params make_quantized_rsqrt_params(float in_scale, std::int32_t in_zp, float out_scale,
                                                          std::int32_t out_zp) noexcept {
  quantized_rsqrt_params p;
  p.in_zp = in_zp;
  p.out_zp = out_zp;
  p.m = quantize_multiplier(1.0 / static_cast<double>(std::sqrt(in_scale) * out_scale));
  return p;
}

namespace reference {

/// int8 ELU per element, as TFLM fills its table.
inline void elu(std::int64_t n, const std::int8_t* in, const quantized_elu_params& p, std::int8_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const float x = p.in_scale * static_cast<float>(in[i] - p.in_zp);
    const float y = x < 0.0f ? std::exp(x) - 1.0f : x;
    const float rescaled = std::round(y * p.inverse_out_scale);
    const auto q = static_cast<std::int32_t>(rescaled + static_cast<float>(p.out_zp));
    out[i] = static_cast<std::int8_t>(q < -128 ? -128 : q > 127 ? 127 : q);
  }
}

/// Quantized HARD_SWISH, TFLite's reference (TFLM runs the same): x on the
/// high-resolution scale; a "relu-ish" factor in [0, 1] (x rescaled so that
/// [-3, 3] maps onto the int16 range, saturating, then shifted into [0, 1]);
/// their product truncated (SaturatingDoublingHighMul), shifted to the output
/// scale, plus the output zero point (in int16, wrapping as TFLite's int16
/// sum does), saturated to T.
template <class T>
constexpr void hard_swish(std::int64_t n, const T* in, const hard_swish_params& p, T* out) noexcept {
  const auto saturating_left_shift = [](std::int16_t v, int amount) {
    const std::int64_t r = std::int64_t{v} * (std::int64_t{1} << amount);
    return static_cast<std::int16_t>(r < -32768 ? -32768 : r > 32767 ? 32767 : r);
  };
  for (std::int64_t i = 0; i < n; ++i) {
    const auto centred = static_cast<std::int16_t>(std::int32_t{in[i]} - p.in_zp);
    const auto hires = static_cast<std::int16_t>(centred * (1 << 7));
    const std::int16_t preshift_output = saturating_rounding_doubling_high_mul_16(hires, p.output_multiplier);
    std::int16_t reluish = hires;
    if (p.reluish_exponent > 0) reluish = saturating_left_shift(reluish, p.reluish_exponent - 1);
    reluish = saturating_rounding_doubling_high_mul_16(reluish, p.reluish_multiplier);
    if (p.reluish_exponent > 0) reluish = saturating_left_shift(reluish, 1);
    if (p.reluish_exponent < 0) reluish = rounding_divide_by_pot_16(reluish, -p.reluish_exponent);
    reluish = static_cast<std::int16_t>((reluish + (1 << 15)) >> 1);
    const std::int16_t product = saturating_doubling_high_mul_16(reluish, preshift_output);
    const auto shifted = rounding_divide_by_pot_16(product, -p.output_exponent);
    const auto v = static_cast<std::int16_t>(shifted + p.out_zp);
    constexpr std::int16_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    out[i] = static_cast<T>(v < lo ? lo : v > hi ? hi : v);
  }
}

/// Quantized RSQRT, TFLM's RsqrtEvalQuantized: 1/sqrt(x - input zero
/// point) in fixed point (inv_sqrt_quantized_multiplier_exp, 20 bits kept),
/// rescaled, plus the output zero point, saturated. A value at the zero
/// point gives the largest output, as in TFLM; one below it, where TFLM
/// stops the invoke with "Rsqrt is only defined for positive values", gives
/// the largest output too.
template <class T>
constexpr void rsqrt(std::int64_t n, const T* in, const quantized_rsqrt_params& p, T* out) noexcept {
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  constexpr int keep_bits = 20;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t value = static_cast<std::int32_t>(in[i]) - p.in_zp;
    if (value <= 0) {
      out[i] = static_cast<T>(hi);
      continue;
    }
    const quantized_multiplier inv = fixed::inv_sqrt_quantized_multiplier_exp(value, -1);
    const std::int32_t data = multiply_by_quantized_multiplier(1, inv.multiplier, inv.shift + keep_bits);
    const std::int32_t v = multiply_by_quantized_multiplier(data, p.m.multiplier, p.m.shift - keep_bits) + p.out_zp;
    out[i] = static_cast<T>(v < lo ? lo : v > hi ? hi : v);
  }
}

/// out[i] = Op::apply(in[i]) for n floats.
template <class Op>
inline void unary_math(std::int64_t n, const float* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = Op::apply(in[i]);
}

/// Quantized ABS, TFLM's AbsEvalQuantized: |x - input zero point|,
/// rescaled if the scales differ, plus the output zero point, saturated.
template <class T>
constexpr void abs(std::int64_t n, const T* in, const quantized_abs_params& p, T* out) noexcept {
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t centred = static_cast<std::int32_t>(in[i]) - p.in_zp;
    const std::int32_t magnitude = centred < 0 ? -centred : centred;
    const std::int32_t v = (p.rescale ? multiply_by_quantized_multiplier(magnitude, p.m) : magnitude) + p.out_zp;
    out[i] = static_cast<T>(v < lo ? lo : v > hi ? hi : v);
  }
}

/// Unquantized int16 ABS, TFLM's AbsHelper: std::abs in int, converted
/// back, so -32768 stays -32768.
constexpr void abs(std::int64_t n, const std::int16_t* in, std::int16_t* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const int x = in[i];
    out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(x < 0 ? -x : x));
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
