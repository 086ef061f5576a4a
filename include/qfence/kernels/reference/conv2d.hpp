// qfence/kernels/reference/conv2d.hpp: reference kernel code of conv2d
// (moved from ops/conv2d.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/reference/epilogue.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// The convolution loop shared by the float and int8 kernels: accumulates
/// filter * (input + input_offset) over the in-bounds taps (padding taps are
/// skipped, as TFLite does, which is zero padding in the real domain) and hands
/// each output element's accumulator to `finish(index, channel, acc)`.
/// `filter_in_c` < in_c means grouped convolution. `filter_offset` is the
/// negated weight zero point of legacy uint8 models (0 otherwise).
template <class Acc, class TIn, class TFilter, class Finish, class Geometry>
inline void conv2d_loop(const Geometry& geometry, int filter_in_c, const TIn* input, const TFilter* filter,
                        Finish&& finish, Acc input_offset, Acc filter_offset = 0) noexcept {
  const window_geometry& g = kernels::value_of(geometry);
  const int filters_per_group = g.out_c / (g.in_c / filter_in_c);
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int group = oc / filters_per_group;
          const int in_y0 = oy * g.stride_h - g.pad_h;
          const int in_x0 = ox * g.stride_w - g.pad_w;
          Acc acc = 0;
          for (int fy = 0; fy < g.filter_h; ++fy) {
            const int iy = in_y0 + g.dilation_h * fy;
            for (int fx = 0; fx < g.filter_w; ++fx) {
              const int ix = in_x0 + g.dilation_w * fx;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              const TIn* in = input + ((b * g.in_h + iy) * g.in_w + ix) * g.in_c + group * filter_in_c;
              const TFilter* f = filter + ((oc * g.filter_h + fy) * g.filter_w + fx) * filter_in_c;
              for (int ic = 0; ic < filter_in_c; ++ic)
                acc += (static_cast<Acc>(f[ic]) + filter_offset) * (static_cast<Acc>(in[ic]) + input_offset);
            }
          }
          finish(((b * g.out_h + oy) * g.out_w + ox) * g.out_c + oc, oc, acc);
        }
}

/// Float convolution (TFLite reference_ops::Conv).
template <class Geometry>
inline void conv2d(const Geometry& geometry, int filter_in_c, const float* input, const float* filter,
                   const float* bias, float_range act, float* output) noexcept {
  conv2d_loop<float>(geometry, filter_in_c, input, filter, add_bias_and_clamp{bias, act, output}, 0.0f);
}

/// Int8 convolution with per-channel requantization
/// (TFLite reference_integer_ops::ConvPerChannel), and legacy uint8 with a
/// weight zero point (reference_ops::Conv; its one multiplier repeated per
/// channel).
template <class T, class TFilter, class Geometry>
  requires(sizeof(T) == 1 && sizeof(TFilter) == 1)
inline void conv2d(const Geometry& geometry, int filter_in_c, const T* input, std::int32_t input_offset,
                   const TFilter* filter, std::int32_t filter_offset, const std::int32_t* bias,
                   const quantized_multiplier* multipliers, std::int32_t output_offset, int_range act,
                   T* output) noexcept {
  conv2d_loop<std::int32_t>(geometry, filter_in_c, input, filter,
                            requantize_per_channel<T>{bias, multipliers, output_offset, act, output}, input_offset,
                            filter_offset);
}

/// Int16x8 convolution (TFLite reference_integer_ops::ConvPerChannel for
/// int16 activations): int8 weights, 64-bit accumulation and bias, input
/// and output zero points 0.
template <class Bias, class Geometry>
inline void conv2d(const Geometry& geometry, int filter_in_c, const std::int16_t* input, const std::int8_t* filter,
                   const Bias* bias, const quantized_multiplier* multipliers, std::int32_t output_offset,
                   int_range act, std::int16_t* output) noexcept {
  conv2d_loop<std::int64_t>(geometry, filter_in_c, input, filter,
                            requantize_per_channel_wide<Bias>{bias, multipliers, output_offset, act, output},
                            std::int64_t{0});
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
