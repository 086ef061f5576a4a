// qfence/kernels/reference/concatenation.hpp: reference kernel code of concatenation
// (moved from ops/concatenation.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// Copies `count` inputs, each [outer, dims_i[axis] * inner] bytes-wise, into
/// the output along the axis.
inline void concatenation(int count, const void* const* inputs, const std::int64_t* copy_bytes, std::int64_t outer,
                          void* output) noexcept {
  auto* out = static_cast<unsigned char*>(output);
  for (std::int64_t o = 0; o < outer; ++o)
    for (int i = 0; i < count; ++i) {
      const auto* in = static_cast<const unsigned char*>(inputs[i]) + o * copy_bytes[i];
      std::memcpy(out, in, static_cast<std::size_t>(copy_bytes[i]));
      out += copy_bytes[i];
    }
}

/// TFLite's ConcatenationWithScaling (uint8 only): each input whose
/// quantization differs from the output's is requantized in float,
/// round(q * scale + bias) + output zero point; the others are copied.
/// `elements[i]` is input i's element count per outer step.
inline void concatenation_with_scaling(int count, const std::uint8_t* const* inputs, const std::int64_t* elements,
                                       std::int64_t outer, const float* input_scales,
                                       const std::int32_t* input_zero_points, float output_scale,
                                       std::int32_t output_zero_point, std::uint8_t* output) noexcept {
  const float inverse_output_scale = 1.0f / output_scale;
  for (std::int64_t o = 0; o < outer; ++o)
    for (int i = 0; i < count; ++i) {
      const std::uint8_t* in = inputs[i] + o * elements[i];
      if (input_zero_points[i] == output_zero_point && input_scales[i] == output_scale) {
        std::memcpy(output, in, static_cast<std::size_t>(elements[i]));
      } else {
        const float scale = input_scales[i] * inverse_output_scale;
        const float bias = -static_cast<float>(input_zero_points[i]) * scale;
        for (std::int64_t j = 0; j < elements[i]; ++j)
          output[j] = saturate_cast<std::uint8_t>(
              static_cast<std::int32_t>(std::round(static_cast<float>(in[j]) * scale + bias)) + output_zero_point);
      }
      output += elements[i];
    }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
