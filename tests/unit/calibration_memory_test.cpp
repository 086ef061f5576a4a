// Calibration memory does not grow with the dataset (issue #10): measured
// with a counting allocator that replaces every operator new of this
// program (counting_allocator.hpp), which is why this test is a program of
// its own: in the runtime areas' program (runtime_unit_tests.cpp) it would
// replace the allocator of every area. Not built under the sanitizers
// (tests/meson.build): calibrate's memory safety is the calibration area's.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "qfence/quant/calibration.hpp"
#include "calibration_samples.hpp"
#include "counting_allocator.hpp"

namespace quant = qfence::quant;
using qtest::add_model;
using qtest::generated_samples;
using qtest::heap::live_bytes;
using qtest::heap::peak_bytes;

TEST_CASE("calibrate: memory does not grow with the dataset (10x the samples, same peak)") {
  const auto model = add_model();
  for (const auto method : {quant::calibrator::minmax, quant::calibrator::mse, quant::calibrator::entropy}) {
    quant::calibration_options options;
    options.observer.method = method;
    auto peak_of = [&](std::size_t samples) {
      const std::size_t before = live_bytes.load();
      peak_bytes = before;
      const auto report = quant::calibrate(model, generated_samples{samples, 1.0f}, options);
      CHECK(report.samples == samples);
      return peak_bytes.load() - before;
    };
    const std::size_t small = peak_of(200), large = peak_of(2000);
    MESSAGE(std::string(quant::calibrator_name(method)) << ": peak heap " << small << " bytes over 200 samples, "
                                                       << large << " over 2000");
    CHECK(small > 2 * 2048 * sizeof(std::uint64_t));  // two histograms of 2048 bins: it did measure something
    CHECK(large == small);
  }
}
