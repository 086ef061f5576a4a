// qfence/kernels/reference/leaky_relu.hpp: reference kernel code of leaky_relu
// (moved from ops/leaky_relu.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <bit>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct leaky_relu_params {
  std::int32_t input_offset, output_offset;
  quantized_multiplier identity, alpha;
};

/// TFLite's LeakyRelu Prepare: the ratios are formed in float, then widened.
constexpr leaky_relu_params make_leaky_relu_params(float in_scale, int in_zp, float out_scale, int out_zp,
                                                   float alpha) noexcept {
  return {in_zp, out_zp, quantize_multiplier(static_cast<double>(in_scale / out_scale)),
          quantize_multiplier(static_cast<double>(in_scale * alpha / out_scale))};
}

namespace reference {

inline void leaky_relu(std::int64_t n, const float* in, float alpha, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = in[i] > 0.0f ? in[i] : in[i] * alpha;
}

template <class T>
inline void leaky_relu(std::int64_t n, const T* in, const leaky_relu_params& p, T* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t x = std::int32_t{in[i]} - p.input_offset;
    const std::int32_t y =
        p.output_offset + multiply_by_quantized_multiplier(x, x >= 0 ? p.identity : p.alpha);
    out[i] = saturate_cast<T>(y);
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
