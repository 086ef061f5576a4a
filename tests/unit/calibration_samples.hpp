// Calibration test inputs shared by calibration_test.cpp and
// calibration_memory_test.cpp: a three-element float ADD model and samples
// made on the fly (any count, with late growth or a NaN on request).
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
#include "tflite_test_models.hpp"

namespace qtest {

/// output = input + [10, 20, 30]. Tensors: 0 input, 1 constant, 2 output.
inline std::shared_ptr<const qfence::runtime::model> add_model() {
  return std::make_shared<const qfence::runtime::model>(qfence::tflite::read_model(tfl::build(tfl::float_add_model())));
}

/// Samples made on the fly: input i = (a sin(i), a cos(i), -a), and values
/// `late` times larger from sample `late_from` on.
struct generated_samples {
  std::size_t count;
  float a = 1.0f;
  std::size_t late_from = ~std::size_t{0};
  float late = 1.0f;
  std::size_t nan_at = ~std::size_t{0};
  std::size_t size() const { return count; }
  std::optional<std::string> fill(std::size_t i, qfence::runtime::interpreter& interp) const {
    const float k = i >= late_from ? a * late : a;
    auto in = interp.input<float>(0);
    in[0] = k * std::sin(static_cast<float>(i));
    in[1] = k * std::cos(static_cast<float>(i));
    in[2] = -k;
    if (i == nan_at) return "sample " + std::to_string(i) + " holds a NaN";
    return std::nullopt;
  }
};

}  // namespace qtest
