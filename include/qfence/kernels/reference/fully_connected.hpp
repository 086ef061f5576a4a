// qfence/kernels/reference/fully_connected.hpp: reference kernel code of fully_connected
// (moved from ops/fully_connected.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/reference/epilogue.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// The shape of a FULLY_CONNECTED layer: `batches` rows of `accum_depth`
/// inputs, `output_depth` outputs each.
struct fc_geometry {
  int batches, accum_depth, output_depth;
};

template <class Geometry>
inline void fully_connected(const Geometry& geometry, const float* input,
                            const float* weights, const float* bias, float_range act, float* output) noexcept {
  const auto& [batches, accum_depth, output_depth] = kernels::value_of(geometry);
  for (int b = 0; b < batches; ++b)
    for (int o = 0; o < output_depth; ++o) {
      float total = 0.0f;
      for (int d = 0; d < accum_depth; ++d) total += input[b * accum_depth + d] * weights[o * accum_depth + d];
      output[b * output_depth + o] = apply(act, total + (bias != nullptr ? bias[o] : 0.0f));
    }
}

/// The accumulation loop shared by both rescalings: hands each output
/// element's accumulator (bias included) to `rescale(unit, acc)`, which
/// returns the value before the output offset and clamp. The output is
/// usually of the input's type; the LSTM's gates write int16 from int8. The accumulator
/// has the bias's type, as in TFLM's kernels: int32 for 8-bit layers, int64
/// or int32 for int16x8 ones (TFLM's requires_int32_accum). An int32 sum of
/// int16 products can leave int32 in a large layer (undefined behaviour in
/// TFLM's reference); here it wraps as two's-complement hardware does.
template <class Acc, class T, class TW, class Rescale, class Geometry, class TOut>
inline void fully_connected_loop(const Geometry& geometry, const T* input,
                                 std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                                 const Acc* bias, Rescale&& rescale, std::int32_t output_offset, int_range act,
                                 TOut* output) noexcept {
  const auto& [batches, accum_depth, output_depth] = kernels::value_of(geometry);
  const auto add = [](Acc a, std::int64_t b) {
    if constexpr (std::is_same_v<Acc, std::int32_t>)
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
    else
      return a + b;
  };
  for (int b = 0; b < batches; ++b)
    for (int o = 0; o < output_depth; ++o) {
      Acc acc = 0;
      for (int d = 0; d < accum_depth; ++d)
        acc = add(acc, (std::int32_t{weights[o * accum_depth + d]} + weights_offset) *
                           (std::int32_t{input[b * accum_depth + d]} + input_offset));
      if (bias != nullptr) acc = add(acc, bias[o]);
      output[b * output_depth + o] = static_cast<TOut>(apply(act, rescale(o, acc) + output_offset));
    }
}

/// Int8 (per-tensor or per-channel weights), legacy uint8 (weight zero
/// point) and int16x8 (int16 activations, int8 weights, int64 or int32
/// bias: TFLM reference_integer_ops::FullyConnected[PerChannel]) fully
/// connected layers. An int64 accumulator is rescaled by TFLite's 64-bit
/// MultiplyByQuantizedMultiplier, an int32 one by the 32-bit one.
template <class T, class TW, class Bias, class Geometry>
  requires(sizeof(TW) == 1 && (sizeof(T) == 1 || std::is_same_v<T, std::int16_t>))
inline void fully_connected(const Geometry& geometry, const T* input,
                            std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                            const Bias* bias, const quantized_multiplier* multipliers, int multiplier_stride,
                            std::int32_t output_offset, int_range act, T* output) noexcept {
  fully_connected_loop(
      geometry, input, input_offset, weights, weights_offset, bias,
      [&](int o, Bias acc) {
        if constexpr (std::is_same_v<Bias, std::int64_t>)
          return multiply_by_quantized_multiplier_wide(acc, multipliers[o * multiplier_stride]);
        else
          return multiply_by_quantized_multiplier(acc, multipliers[o * multiplier_stride]);
      },
      output_offset, act, output);
}

/// TFLite's current reference rescaling (docs/numerics.md, "Two references"; the `tflite` numerics):
/// the accumulator times the real scale in double,
/// round(acc * in_scale * w_scale / out_scale), instead of TFLM's fixed-point
/// multiplier (TFLite's int16x8 FULLY_CONNECTED rescales so too). `scales`
/// holds one effective scale per unit (stride 1) or one for all (stride 0).
template <class T, class TW, class Bias, class Geometry>
  requires(sizeof(TW) == 1 && (sizeof(T) == 1 || std::is_same_v<T, std::int16_t>))
inline void fully_connected_double_rescale(const Geometry& geometry, const T* input,
                                           std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                                           const Bias* bias, const double* scales, int scale_stride,
                                           std::int32_t output_offset, int_range act, T* output) noexcept {
  fully_connected_loop(
      geometry, input, input_offset, weights, weights_offset, bias,
      [&](int o, Bias acc) {
        return static_cast<std::int32_t>(std::round(static_cast<double>(acc) * scales[o * scale_stride]));
      },
      output_offset, act, output);
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
