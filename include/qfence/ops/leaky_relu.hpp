// qfence/ops/leaky_relu.hpp: LEAKY_RELU reference kernels.
//
// Quantized: two fixed-point multipliers, one for x >= 0 (input/output scale
// ratio) and one for x < 0 (alpha times that ratio), as TFLite's
// QuantizeLeakyRelu.
#pragma once

#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/fixed_point.hpp"

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
