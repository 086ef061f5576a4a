// qfence/core/activation.hpp: fused activations and their clamping ranges.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <type_traits>
#include <limits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// TFLite's fused activation functions.
enum class activation : std::uint8_t { none, relu, relu_n1_to_1, relu6 };

/// Clamping range of an activation on a quantized output, computed as TFLite's
/// `CalculateActivationRangeQuantized` does (round(f / scale) in float).
struct int_range {
  std::int32_t min;
  std::int32_t max;
};

template <class T>
constexpr int_range quantized_activation_range(activation act, float scale, std::int32_t zero_point) noexcept {
  const std::int64_t qmin = std::numeric_limits<T>::min();
  const std::int64_t qmax = std::numeric_limits<T>::max();
  // TFLite rounds f / scale (in float) and converts to int32, which is
  // undefined beyond int32 (RELU6 with an output scale below 6 / 2^31 ~ 3e-9);
  // in int64 the clamp to T's range below gives the bound it means.
  auto quantize = [&](float f) {
    const double q = static_cast<double>(f / scale), bound = 0x1p40;  // far past T, inside round_to_int64's range
    return std::int64_t{zero_point} + detail::round_to_int64(q > bound ? bound : q < -bound ? -bound : q);
  };
  const auto range = [](std::int64_t lo, std::int64_t hi) {
    return int_range{static_cast<std::int32_t>(lo), static_cast<std::int32_t>(hi)};
  };
  switch (act) {
    case activation::relu: return range(std::min(qmax, std::max(qmin, quantize(0.0f))), qmax);
    case activation::relu6:
      return range(std::min(qmax, std::max(qmin, quantize(0.0f))), std::max(qmin, std::min(qmax, quantize(6.0f))));
    case activation::relu_n1_to_1:
      return range(std::min(qmax, std::max(qmin, quantize(-1.0f))), std::max(qmin, std::min(qmax, quantize(1.0f))));
    case activation::none: break;
  }
  return range(qmin, qmax);
}

struct float_range {
  float min;
  float max;
};

constexpr float_range float_activation_range(activation act) noexcept {
  switch (act) {
    case activation::relu: return {0.0f, std::numeric_limits<float>::max()};
    case activation::relu6: return {0.0f, 6.0f};
    case activation::relu_n1_to_1: return {-1.0f, 1.0f};
    case activation::none: break;
  }
  return {std::numeric_limits<float>::lowest(), std::numeric_limits<float>::max()};
}

constexpr float apply(float_range r, float x) noexcept { return std::min(std::max(x, r.min), r.max); }
constexpr std::int32_t apply(int_range r, std::int32_t x) noexcept { return std::min(std::max(x, r.min), r.max); }

/// The clamp bounds of a fused activation on unquantized values of type T.
template <class T>
constexpr std::pair<T, T> plain_activation_bounds(activation act) noexcept {
  T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
  if (act == activation::relu || act == activation::relu6) lo = T{0};
  if (act == activation::relu6) hi = T{6};
  if (act == activation::relu_n1_to_1) {
    if constexpr (std::is_signed_v<T>) lo = static_cast<T>(-1);
    else lo = T{0};
    hi = T{1};
  }
  return {lo, hi};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
