// qfence/kernels/reference/fully_connected.hpp: reference kernel code of fully_connected
// (moved from ops/fully_connected.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <cmath>
#include <cstdint>

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

/// The 8-bit accumulation loop shared by both rescalings: hands each output
/// element's int32 accumulator (bias included) to `rescale(unit, acc)`, which
/// returns the value before the output offset and clamp.
template <class T, class TW, class Rescale, class Geometry>
inline void fully_connected_loop(const Geometry& geometry, const T* input,
                                 std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                                 const std::int32_t* bias, Rescale&& rescale, std::int32_t output_offset, int_range act,
                                 T* output) noexcept {
  const auto& [batches, accum_depth, output_depth] = kernels::value_of(geometry);
  for (int b = 0; b < batches; ++b)
    for (int o = 0; o < output_depth; ++o) {
      std::int32_t acc = 0;
      for (int d = 0; d < accum_depth; ++d)
        acc += (std::int32_t{weights[o * accum_depth + d]} + weights_offset) *
               (std::int32_t{input[b * accum_depth + d]} + input_offset);
      if (bias != nullptr) acc += bias[o];
      output[b * output_depth + o] = static_cast<T>(apply(act, rescale(o, acc) + output_offset));
    }
}

/// Int8 (per-tensor or per-channel weights) and legacy uint8 (weight zero
/// point) fully connected layers.
template <class T, class TW, class Geometry>
  requires(sizeof(T) == 1 && sizeof(TW) == 1)
inline void fully_connected(const Geometry& geometry, const T* input,
                            std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                            const std::int32_t* bias, const quantized_multiplier* multipliers, int multiplier_stride,
                            std::int32_t output_offset, int_range act, T* output) noexcept {
  fully_connected_loop(
      geometry, input, input_offset, weights, weights_offset, bias,
      [&](int o, std::int32_t acc) { return multiply_by_quantized_multiplier(acc, multipliers[o * multiplier_stride]); },
      output_offset, act, output);
}

/// TFLite's current reference rescaling (docs/numerics.md, "Two references"; the `tflite` numerics):
/// the int32 accumulator times the real scale in double,
/// round(acc * in_scale * w_scale / out_scale), instead of TFLM's fixed-point
/// multiplier. `scales` holds one effective scale per unit (stride 1) or one
/// for all (stride 0).
template <class T, class TW, class Geometry>
  requires(sizeof(T) == 1 && sizeof(TW) == 1)
inline void fully_connected_double_rescale(const Geometry& geometry, const T* input,
                                           std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                                           const std::int32_t* bias, const double* scales, int scale_stride,
                                           std::int32_t output_offset, int_range act, T* output) noexcept {
  fully_connected_loop(
      geometry, input, input_offset, weights, weights_offset, bias,
      [&](int o, std::int32_t acc) {
        return static_cast<std::int32_t>(std::round(static_cast<double>(acc) * scales[o * scale_stride]));
      },
      output_offset, act, output);
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
