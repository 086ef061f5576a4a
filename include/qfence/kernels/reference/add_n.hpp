// qfence/kernels/reference/add_n.hpp: ADD_N, the element-wise sum of N
// tensors of one shape (TFLM's add_n.cc, TFLite's reference AddN).
//
// float and int32: x = 0, then x += input j in input order (so a sum of -0s
// is +0, as there; int32 wraps). int8 (TFLM only): every input shifted left
// by 20 and halved (ADD's rescaling, one scale), the sum taken to the output
// by 2 x scale / (2^20 x output scale). TFLM starts that sum from the
// rescaled input offset (-zero point), not from 0 (its comment says
// "x = 0"); qfence adds the same term, so its bytes are TFLM's.
#pragma once

#include <cstdint>
#include <type_traits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// ADD_N's and CUMSUM's int8 parameters: one input scale, shifted left by
/// 20 and halved, the sums taken to the output's scale.
struct add_n_params {
  std::int32_t input_offset = 0, output_offset = 0;
  quantized_multiplier input, output;
};

inline constexpr int add_n_left_shift = 20;

constexpr add_n_params make_add_n_params(float in_scale, int in_zp, float out_scale, int out_zp) noexcept {
  const double twice_input_scale = 2 * static_cast<double>(in_scale);
  return {-in_zp, out_zp, quantize_multiplier(static_cast<double>(in_scale) / twice_input_scale),
          quantize_multiplier(twice_input_scale / ((1 << add_n_left_shift) * static_cast<double>(out_scale)))};
}

namespace reference {

template <class T>
  requires(std::is_same_v<T, float> || std::is_same_v<T, std::int32_t>)
inline void add_n(std::int64_t n, int count, const T* const* in, T* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    T x = 0;
    for (int j = 0; j < count; ++j) {
      if constexpr (std::is_floating_point_v<T>) x += in[j][i];
      else x = static_cast<T>(static_cast<std::uint32_t>(x) + static_cast<std::uint32_t>(in[j][i]));
    }
    out[i] = x;
  }
}

inline void add_n(std::int64_t n, int count, const std::int8_t* const* in, const add_n_params& p,
                  std::int8_t* out) noexcept {
  const auto rescaled = [&](std::int32_t v) {
    return multiply_by_quantized_multiplier(v * (1 << add_n_left_shift), p.input);
  };
  for (std::int64_t i = 0; i < n; ++i) {
    // int32 wraps past 16 or so inputs at the extremes, as TFLM's would.
    auto sum = static_cast<std::uint32_t>(rescaled(p.input_offset));  // TFLM's start (see above)
    for (int j = 0; j < count; ++j) sum += static_cast<std::uint32_t>(rescaled(p.input_offset + in[j][i]));
    out[i] = saturate_cast<std::int8_t>(multiply_by_quantized_multiplier(static_cast<std::int32_t>(sum), p.output) +
                                        p.output_offset);
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
