// qfence/quant/real_range.hpp: a range of real values, what calibration
// finds for a tensor and quantization turns into a scale and a zero point.
#pragma once

#include <algorithm>
#include <cmath>
#include <string_view>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// The real values a tensor is to represent, [min, max]. A quantized range
/// always holds 0 (so that zero padding and ReLU are exact): see
/// with_zero().
struct real_range {
  float min = 0.0f;
  float max = 0.0f;

  constexpr float width() const noexcept { return max - min; }
  constexpr bool operator==(const real_range&) const = default;
  /// The same range stretched to hold 0, as TFLite's quantizer does before
  /// it derives a scale.
  constexpr real_range with_zero() const noexcept { return {std::min(min, 0.0f), std::max(max, 0.0f)}; }
  /// max(|min|, |max|): the half-width of the symmetric range holding this one.
  float magnitude() const noexcept { return std::max(std::fabs(min), std::fabs(max)); }
};

/// The row of a calibration table for a tensor calibration never saw a
/// finite value of (a branch no sample took): min above max, no range.
inline constexpr real_range not_observed{1.0f, -1.0f};
/// Whether calibration saw the tensor of range `r` (not not_observed).
constexpr bool observed(const real_range& r) noexcept { return r.min <= r.max; }

/// A tensor's range by name: what `qfence calibrate --emit-cpp` writes, for
/// the compile-time quantization of a model described in C++. A tensor of
/// a subgraph that IF or WHILE runs names its subgraph (0: the main
/// graph): its row is one of the models the typed if_ or while_ runs
/// (quant/node_tree.hpp).
struct named_range {
  std::string_view name;
  real_range range;
  int subgraph = 0;
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
