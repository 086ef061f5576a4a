// qfence/quant/layer_error.hpp: how far one layer of a quantized model is
// from the float model's, summed over samples: what `qfence debug` reports
// for a .tflite pair (quant/layer_debugger.hpp) and quant::debug_graph for
// a model described in C++ (quant/debug_graph.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>

#include "qfence/core/dtype.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct layer_error {
  int op_index = 0;       // the operation of the quantized model that writes the tensor (the node, in C++)
  int subgraph = 0;       // its graph (0: the main graph; IF's branches, WHILE's body, ...; debug_graph: 1, 2, ... in row order)
  std::string op;         // its name ("CONV_2D")
  int quant_tensor = 0, float_tensor = 0;
  std::string name;
  dtype type = dtype::i8;  // in the quantized model
  bool fenced = false;     // computed in float inside the quantized model
  float scale = 0;         // 0: not quantized
  std::int32_t zero_point = 0;
  double sqnr_db = std::numeric_limits<double>::infinity();
  double max_abs_error = 0;
  double mean_error = 0;
  double clipped = 0;      // share of the float values outside the int8 range
  std::uint64_t values = 0;
};

/// The real values a quantized tensor can hold: scale x ([qmin, qmax] -
/// zero point). Only int8 and int16 activations are reported as clipping;
/// nullopt for the other types.
struct value_bounds {
  double min = 0, max = 0;  // exact: a float scale times an integer
};
inline std::optional<value_bounds> representable_range(dtype type, float scale, std::int32_t zero_point) {
  if (type != dtype::i8 && type != dtype::i16) return std::nullopt;
  const double qmin = type == dtype::i16 ? -32768 : -128, qmax = type == dtype::i16 ? 32767 : 127;
  return value_bounds{scale * (qmin - zero_point), scale * (qmax - zero_point)};
}

/// One layer's error, accumulated one sample at a time.
class layer_error_sums {
 public:
  /// One sample: `want` the float model's values, `got` the quantized
  /// model's (dequantized); `representable` what the quantized tensor can
  /// hold, for the clipping share (none: not counted).
  void add(std::span<const float> want, std::span<const float> got, std::optional<value_bounds> representable) {
    for (std::size_t e = 0; e < want.size(); ++e) {
      const double w = want[e], d = static_cast<double>(got[e]) - w;
      signal_ += w * w;
      noise_ += d * d;
      error_ += d;
      max_abs_ = std::max(max_abs_, std::fabs(d));
      outside_ += representable && (w < representable->min || w > representable->max) ? 1 : 0;
    }
    values_ += want.size();
  }

  /// The statistics of layer_error, into `l`.
  void finish(layer_error& l) const {
    l.values = values_;
    if (noise_ > 0) l.sqnr_db = 10.0 * std::log10(signal_ / noise_);
    l.max_abs_error = max_abs_;
    l.mean_error = values_ ? error_ / static_cast<double>(values_) : 0.0;
    l.clipped = values_ ? static_cast<double>(outside_) / static_cast<double>(values_) : 0.0;
  }

 private:
  double signal_ = 0, noise_ = 0, error_ = 0, max_abs_ = 0;
  std::uint64_t values_ = 0, outside_ = 0;
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
