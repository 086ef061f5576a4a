// qfence/kernels/reference/squared_difference.hpp: SQUARED_DIFFERENCE,
// (a - b)^2 over a broadcast, as TFLM's squared_difference.cc computes it.
//
// float: two IEEE operations (a - b, then its square). int32: the same,
// wrapping as two's-complement hardware does (TFLM's int32 arithmetic
// overflows there). int8 and int16: ADD's rescaling of both operands to a
// common scale (each operand's offset removed, shifted left by 7 for int8 and
// 0 for int16, times scale / (2 x the larger scale)), then the int32
// difference squared and one multiplier (2 x the larger scale)^2 /
// (2^(2 x shift) x output scale) to the output, saturated.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/reference/elementwise.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
/// SQUARED_DIFFERENCE's tag: (a - b)^2 of unquantized values (float,
/// int32 wrapping); quantized operands take squared_difference_params.
struct squared_difference {
  static constexpr const char* name = "squared_difference";
  static constexpr runtime::op_code code = runtime::op_code::squared_difference;
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
      const T d = a - b;
      return d * d;
    } else {
      const auto d = static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b);
      return static_cast<T>(d * d);
    }
  }
};
}  // namespace op

/// The left shift of a quantized SQUARED_DIFFERENCE's inputs: 7 for 8-bit
/// values (255^2 x 2^14 still fits int32), 0 for int16.
template <class T>
inline constexpr int squared_difference_left_shift = sizeof(T) == 1 ? 7 : 0;

/// TFLM's parameters (PrepareQuantized): ADD's input multipliers, and the
/// output multiplier of the squared common-scale difference.
constexpr add_params make_squared_difference_params(float in1_scale, int in1_zp, float in2_scale, int in2_zp,
                                                    float out_scale, int out_zp, int left_shift) noexcept {
  add_params p = make_add_params(in1_scale, in1_zp, in2_scale, in2_zp, out_scale, out_zp, left_shift);
  const double twice_max_input_scale = 2.0 * static_cast<double>(in1_scale > in2_scale ? in1_scale : in2_scale);
  // TFLM forms 2^(2 shift) x out_scale in float: exact, a power of two.
  p.output = quantize_multiplier((twice_max_input_scale * twice_max_input_scale) /
                                 static_cast<double>(static_cast<float>(1 << (left_shift * 2)) * out_scale));
  return p;
}

namespace reference {

/// One quantized element.
template <class T>
constexpr T squared_difference_element(T x, T y, const add_params& p) noexcept {
  const auto rescaled = [&](T v, std::int32_t offset, quantized_multiplier m) {
    const std::int32_t shifted = (offset + v) * (1 << p.left_shift);
    return multiply_by_quantized_multiplier(shifted, m);
  };
  const std::int32_t diff = rescaled(x, p.input1_offset, p.input1) - rescaled(y, p.input2_offset, p.input2);
  const auto squared = static_cast<std::int32_t>(static_cast<std::uint32_t>(diff) * static_cast<std::uint32_t>(diff));
  return saturate_cast<T>(multiply_by_quantized_multiplier(squared, p.output) + p.output_offset);
}

/// Quantized SQUARED_DIFFERENCE (int8, int16) over a broadcast.
template <class T>
  requires(std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::int16_t>)
inline void squared_difference(const broadcast_geometry& g, const T* a, const T* b, const add_params& p,
                               T* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) {
    out[o] = squared_difference_element(a[ia], b[ib], p);
  });
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
