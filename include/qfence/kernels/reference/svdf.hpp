// qfence/kernels/reference/svdf.hpp: reference kernel code of svdf
// (moved from ops/svdf.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct svdf_geometry {
  int batches, input_size, filters, rank, memory;
  int units() const noexcept { return filters / rank; }
};

struct svdf_params {
  std::int32_t input_zero_point, state_zero_point, output_zero_point;
  quantized_multiplier feature_to_state, state_to_output;
};

/// SVDF's parameters as TFLM forms them (both paths use this): each ratio of
/// scales in float, then widened to double.
constexpr svdf_params make_svdf_params(float input_scale, std::int32_t input_zero_point, float feature_scale,
                                       float state_scale, std::int32_t state_zero_point, float time_scale,
                                       float output_scale, std::int32_t output_zero_point) noexcept {
  return {input_zero_point, state_zero_point, output_zero_point,
          quantize_multiplier(static_cast<double>(input_scale * feature_scale / state_scale)),
          quantize_multiplier(static_cast<double>(state_scale * time_scale / output_scale))};
}

namespace reference {

/// `state` [batches, filters * memory] (int16 or int8, updated in place);
/// `scratch` holds batches * filters + batches * units int32 values.
template <class State>
inline void svdf(const svdf_geometry& g, const svdf_params& p, const std::int8_t* input,
                 const std::int8_t* weights_feature, const State* weights_time, const std::int32_t* bias, State* state,
                 std::int32_t* scratch, std::int8_t* output) noexcept {
  const int units = g.units();
  const std::int64_t state_size = static_cast<std::int64_t>(g.batches) * g.filters * g.memory;
  std::copy(state + 1, state + state_size, state);  // shift every filter's history left by one step

  constexpr std::int32_t state_min = std::numeric_limits<State>::min(), state_max = std::numeric_limits<State>::max();
  for (int b = 0; b < g.batches; ++b) {
    const std::int8_t* w = weights_feature;
    State* newest = state + static_cast<std::int64_t>(b) * g.filters * g.memory + (g.memory - 1);
    for (int f = 0; f < g.filters; ++f, newest += g.memory) {
      std::int32_t dot = 0;
      const std::int8_t* x = input + b * g.input_size;
      for (int c = 0; c < g.input_size; ++c) dot += std::int32_t{*w++} * (std::int32_t{x[c]} - p.input_zero_point);
      dot = multiply_by_quantized_multiplier(dot, p.feature_to_state) + p.state_zero_point;
      *newest = static_cast<State>(std::clamp(dot, state_min, state_max));
    }
  }

  std::int32_t* per_filter = scratch;                                   // [batches, filters]
  std::int32_t* per_unit = scratch + static_cast<std::int64_t>(g.batches) * g.filters;  // [batches, units]
  for (int b = 0; b < g.batches; ++b) {
    const State* t = weights_time;
    const State* s = state + static_cast<std::int64_t>(b) * g.memory * g.filters;
    for (int f = 0; f < g.filters; ++f) {
      std::int32_t acc = 0;
      for (int m = 0; m < g.memory; ++m) acc += std::int32_t{*t++} * (std::int32_t{*s++} - p.state_zero_point);
      per_filter[b * g.filters + f] = acc;
    }
  }
  for (int b = 0; b < g.batches; ++b)
    for (int u = 0; u < units; ++u) {
      std::int32_t acc = bias != nullptr ? bias[u] : 0;
      for (int r = 0; r < g.rank; ++r) acc += per_filter[b * g.filters + u * g.rank + r];
      per_unit[b * units + u] = acc;
    }
  for (int i = 0; i < g.batches * units; ++i) {
    const std::int32_t v = multiply_by_quantized_multiplier(per_unit[i], p.state_to_output) + p.output_zero_point;
    output[i] = static_cast<std::int8_t>(std::clamp<std::int32_t>(v, -128, 127));
  }
}

/// TFLM's float SVDF (EvalFloatSvdfReference), its float operations in its
/// order: `state` [batches, filters * memory] updated in place, `scratch`
/// batches * filters floats, `bias` [units] or nullptr; `act` is the fused
/// activation, applied last.
inline void svdf_float(const svdf_geometry& g, float_range act, const float* input, const float* weights_feature,
                       const float* weights_time, const float* bias, float* state, float* scratch,
                       float* output) noexcept {
  const int units = g.units();
  const std::int64_t state_size = static_cast<std::int64_t>(g.batches) * g.filters * g.memory;
  std::copy(state + 1, state + state_size, state);  // shift every filter's history left by one step

  for (int b = 0; b < g.batches; ++b) {
    const float* w = weights_feature;
    float* newest = state + static_cast<std::int64_t>(b) * g.filters * g.memory + (g.memory - 1);
    for (int f = 0; f < g.filters; ++f, newest += g.memory) {
      float dot = 0.0f;
      const float* x = input + static_cast<std::int64_t>(b) * g.input_size;
      for (int c = 0; c < g.input_size; ++c) dot += *w++ * x[c];
      *newest = dot;
    }
  }
  for (int b = 0; b < g.batches; ++b) {
    const float* t = weights_time;
    const float* s = state + static_cast<std::int64_t>(b) * g.memory * g.filters;
    for (int f = 0; f < g.filters; ++f) {
      float acc = 0.0f;
      for (int m = 0; m < g.memory; ++m) acc += *t++ * *s++;
      scratch[b * g.filters + f] = acc;
    }
  }
  for (int b = 0; b < g.batches; ++b)
    for (int u = 0; u < units; ++u) {
      float acc = bias != nullptr ? bias[u] : 0.0f;
      for (int r = 0; r < g.rank; ++r) acc += scratch[b * g.filters + u * g.rank + r];
      output[b * units + u] = apply(act, acc);
    }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
