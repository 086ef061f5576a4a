// qfence/kernels/reference/transpose_conv.hpp: reference kernel code of transpose_conv
// (moved from ops/transpose_conv.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/reference/epilogue.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// Scatter loop: acc[out] += filter[oc, fy, fx, ic] * (input + input_offset);
/// `acc` (out_h * out_w * out_c * batches elements) is zeroed here.
template <class Acc, class TIn, class TFilter, class Geometry>
inline void transpose_conv_accumulate(const Geometry& geometry, const TIn* input, Acc input_offset,
                                      const TFilter* filter, Acc* acc) noexcept {
  const window_geometry& g = kernels::value_of(geometry);
  const std::int64_t out_elements = static_cast<std::int64_t>(g.batches) * g.out_h * g.out_w * g.out_c;
  for (std::int64_t i = 0; i < out_elements; ++i) acc[i] = 0;
  for (int b = 0; b < g.batches; ++b)
    for (int iy = 0; iy < g.in_h; ++iy)
      for (int ix = 0; ix < g.in_w; ++ix)
        for (int ic = 0; ic < g.in_c; ++ic) {
          const Acc v = static_cast<Acc>(input[((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ic]) + input_offset;
          const int oy0 = iy * g.stride_h - g.pad_h, ox0 = ix * g.stride_w - g.pad_w;
          for (int fy = 0; fy < g.filter_h; ++fy) {
            const int oy = oy0 + fy;
            if (oy < 0 || oy >= g.out_h) continue;
            for (int fx = 0; fx < g.filter_w; ++fx) {
              const int ox = ox0 + fx;
              if (ox < 0 || ox >= g.out_w) continue;
              Acc* o = acc + ((b * g.out_h + oy) * g.out_w + ox) * g.out_c;
              for (int oc = 0; oc < g.out_c; ++oc)
                o[oc] += v * static_cast<Acc>(filter[((oc * g.filter_h + fy) * g.filter_w + fx) * g.in_c + ic]);
            }
          }
        }
}

/// Hands each accumulated output element to `finish(index, channel, acc)`.
template <class Acc, class Finish, class Geometry>
inline void transpose_conv_finish(const Geometry& geometry, const Acc* acc, Finish&& finish) noexcept {
  const window_geometry& g = kernels::value_of(geometry);
  const std::int64_t out_elements = static_cast<std::int64_t>(g.batches) * g.out_h * g.out_w * g.out_c;
  for (std::int64_t i = 0; i < out_elements; ++i) finish(static_cast<int>(i), static_cast<int>(i % g.out_c), acc[i]);
}

template <class Geometry>
inline void transpose_conv(const Geometry& geometry, const float* input, const float* filter, const float* bias,
                           float_range act, float* scratch, float* output) noexcept {
  transpose_conv_accumulate(geometry, input, 0.0f, filter, scratch);
  transpose_conv_finish(geometry, scratch, add_bias_and_clamp{bias, act, output});
}

template <class Geometry>
inline void transpose_conv(const Geometry& geometry, const std::int8_t* input, std::int32_t input_offset,
                           const std::int8_t* filter, const std::int32_t* bias, const quantized_multiplier* multipliers,
                           std::int32_t output_offset, int_range act, std::int32_t* scratch,
                           std::int8_t* output) noexcept {
  transpose_conv_accumulate(geometry, input, input_offset, filter, scratch);
  transpose_conv_finish(geometry, scratch, requantize_per_channel<std::int8_t>{bias, multipliers, output_offset, act, output});
}

template <class Bias, class Geometry>
inline void transpose_conv(const Geometry& geometry, const std::int16_t* input, const std::int8_t* filter,
                           const Bias* bias, const quantized_multiplier* multipliers, std::int32_t output_offset,
                           int_range act, std::int64_t* scratch, std::int16_t* output) noexcept {
  transpose_conv_accumulate(geometry, input, std::int64_t{0}, filter, scratch);
  transpose_conv_finish(geometry, scratch, requantize_per_channel_wide<Bias>{bias, multipliers, output_offset, act, output});
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
