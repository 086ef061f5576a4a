// fenced_cnn_calibrate: the build step of the fenced_cnn example. It runs
// the float model (fenced_cnn_model.hpp) on calibration images, observes
// every node's output, and writes the ranges header that fenced_cnn.cpp
// quantizes the model with, at compile time.
//
//   fenced_cnn_calibrate OUT.hpp [minmax|moving_average|percentile|mse|entropy]
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "fenced_cnn_model.hpp"

int main(int argc, char** argv) {
  namespace quant = qfence::quant;
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: fenced_cnn_calibrate OUT.hpp [calibrator]\n");
    return 2;
  }
  const auto method = quant::calibrator_named(argc == 3 ? argv[2] : "minmax");
  if (!method) {
    std::fprintf(stderr, "fenced_cnn_calibrate: unknown calibrator '%s' (minmax, moving_average, percentile, mse, entropy)\n",
                 argv[2]);
    return 2;
  }
  constexpr std::size_t samples = 200;
  quant::observer_options options;
  options.method = *method;
  const auto calibration = quant::calibrate_graph(
      fenced_cnn::float_model, samples,
      [](std::size_t k, auto& arena) -> std::optional<std::string> {
        const auto img = fenced_cnn::sample_image(static_cast<int>(k));
        std::ranges::copy(img, arena.template input<0>().begin());
        return std::nullopt;
      },
      options);
  for (const std::string& line : calibration.non_finite()) std::fprintf(stderr, "warning: %s\n", line.c_str());
  std::ofstream out(argv[1]);
  out << quant::calibration_header(calibration, "fenced_cnn_ranges",
                                   "fenced_cnn_calibrate (" + std::string(quant::calibrator_name(*method)) + ", " +
                                       std::to_string(calibration.samples) + " images)");
  if (!out) {
    std::fprintf(stderr, "fenced_cnn_calibrate: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
