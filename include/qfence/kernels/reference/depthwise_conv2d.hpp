// qfence/kernels/reference/depthwise_conv2d.hpp: reference kernel code of depthwise_conv2d
// (moved from ops/depthwise_conv2d.hpp, which keeps the typed node). The arithmetic is
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

template <class Acc, class TIn, class TFilter, class Finish, class Geometry>
inline void depthwise_conv2d_loop(const Geometry& geometry, const TIn* input, const TFilter* filter, Finish&& finish,
                                  Acc input_offset, Acc filter_offset = 0) noexcept {
  const window_geometry& g = kernels::value_of(geometry);
  const int depth_multiplier = g.out_c / g.in_c;
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int ic = 0; ic < g.in_c; ++ic)
          for (int m = 0; m < depth_multiplier; ++m) {
            const int oc = m + ic * depth_multiplier;
            const int in_y0 = oy * g.stride_h - g.pad_h;
            const int in_x0 = ox * g.stride_w - g.pad_w;
            Acc acc = 0;
            for (int fy = 0; fy < g.filter_h; ++fy) {
              const int iy = in_y0 + g.dilation_h * fy;
              for (int fx = 0; fx < g.filter_w; ++fx) {
                const int ix = in_x0 + g.dilation_w * fx;
                if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
                const Acc in_value = static_cast<Acc>(input[((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ic]);
                const Acc f_value = static_cast<Acc>(filter[(fy * g.filter_w + fx) * g.out_c + oc]);
                acc += (f_value + filter_offset) * (in_value + input_offset);
              }
            }
            finish(((b * g.out_h + oy) * g.out_w + ox) * g.out_c + oc, oc, acc);
          }
}

template <class Geometry>
inline void depthwise_conv2d(const Geometry& geometry, const float* input, const float* filter, const float* bias,
                             float_range act, float* output) noexcept {
  depthwise_conv2d_loop<float>(geometry, input, filter, add_bias_and_clamp{bias, act, output}, 0.0f);
}

/// Int8 per-channel and legacy uint8 (weight zero point) depthwise
/// convolution, as conv2d.
template <class T, class TFilter, class Geometry>
  requires(sizeof(T) == 1 && sizeof(TFilter) == 1)
inline void depthwise_conv2d(const Geometry& geometry, const T* input, std::int32_t input_offset,
                             const TFilter* filter, std::int32_t filter_offset, const std::int32_t* bias,
                             const quantized_multiplier* multipliers, std::int32_t output_offset, int_range act,
                             T* output) noexcept {
  depthwise_conv2d_loop<std::int32_t>(geometry, input, filter,
                                      requantize_per_channel<T>{bias, multipliers, output_offset, act, output},
                                      input_offset, filter_offset);
}

/// Int16x8 depthwise convolution (TFLM reference_integer_ops::
/// DepthwiseConvPerChannel for int16 activations): int8 weights, 64-bit
/// accumulation and bias (TFLM takes int64 only; the int32 one the rule
/// also accepts is widened), input and output zero points 0.
template <class Bias, class Geometry>
inline void depthwise_conv2d(const Geometry& geometry, const std::int16_t* input, const std::int8_t* filter,
                             const Bias* bias, const quantized_multiplier* multipliers, std::int32_t output_offset,
                             int_range act, std::int16_t* output) noexcept {
  depthwise_conv2d_loop<std::int64_t>(geometry, input, filter,
                                      requantize_per_channel_wide<Bias>{bias, multipliers, output_offset, act, output},
                                      std::int64_t{0});
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
