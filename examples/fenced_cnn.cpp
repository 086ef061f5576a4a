// fenced_cnn: a float CNN written in qfence's C++ description, with a
// float-only custom op (erf GELU), quantized to int8 at compile time.
//
// The model is fenced_cnn_model.hpp. The build runs fenced_cnn_calibrate,
// which calibrates it on sample images and writes fenced_cnn_ranges.hpp;
// here qfence::quantize turns the float model and those ranges into int8
// models, whose every scale and zero point is computed by the compiler:
//   int8_model   GELU fenced: it computes in float, dequantize/quantize at
//                its borders;
//   table_model  GELU as a 256-entry int8 table of its function: no float
//                island, the same bytes.
// It prints both models' agreement with the float model on images it was
// not calibrated on, the layers where the int8 model loses accuracy
// (quant::debug_graph), the planned arena sizes, and latencies.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "fenced_cnn_model.hpp"
#include "fenced_cnn_ranges.hpp"  // generated at build time by fenced_cnn_calibrate

namespace qf = qfence;

namespace {

using fenced_cnn::float_model;
using fenced_cnn::gelu;

// Each layer's bias absorbs the mean shift its rounded weights add, from
// the channel means calibration measured (as `qfence quantize` does).
constexpr auto int8_model =
    qf::quantize<float_model, fenced_cnn_ranges::ranges>(qf::correct_biases<fenced_cnn_ranges::channel_means>);
constexpr auto table_model = qf::quantize<float_model, fenced_cnn_ranges::ranges>(
    qf::use_table<gelu>, qf::correct_biases<fenced_cnn_ranges::channel_means>);

using F = std::remove_cvref_t<decltype(float_model)>;
using M = std::remove_cvref_t<decltype(int8_model)>;
using T = std::remove_cvref_t<decltype(table_model)>;

// Static arenas: inference touches no heap.
qf::arena<F> float_arena;
qf::arena<M> int8_arena;
qf::arena<T> table_arena;

constexpr int first_test_image = 1000, test_images = 64;

template <class Model, class Arena>
double min_latency_us(const Model& model, Arena& arena) {
  double best = 1e30;
  for (int r = 0; r < 2000; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    model.invoke(arena);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  return best;
}

/// Agreement of an int8 model's probabilities with the float model's.
struct agreement {
  int top1 = 0, ties = 0;
  int close_misses = 0;  // misses where the float model's top two are under one int8 step apart
  double signal = 0, noise = 0, worst = 0;
  void add(std::span<const std::int8_t, 10> q, std::span<const float, 10> f) {
    using out_q = M::output_type<0>::quant;
    // The float model's top class agrees when int8 gives it the highest
    // probability; a tie with another class (probabilities 1/256 apart
    // round to one int8 step) is counted, and reported, as a tie.
    const auto best_f = static_cast<std::size_t>(std::ranges::max_element(f) - f.begin());
    const std::int8_t top_q = *std::ranges::max_element(q);
    if (q[best_f] == top_q) {
      ++top1;
      ties += std::ranges::count(q, top_q) > 1 ? 1 : 0;
    } else {
      // A miss the output's resolution cannot avoid: another class within
      // one int8 step of the float model's best.
      float second = 0;
      for (std::size_t c = 0; c < 10; ++c)
        if (c != best_f) second = std::max(second, f[c]);
      close_misses += f[best_f] - second < out_q::scale ? 1 : 0;
    }
    for (std::size_t c = 0; c < 10; ++c) {
      const double p = out_q::scale * static_cast<double>(q[c] - out_q::zero_point), d = p - f[c];
      signal += static_cast<double>(f[c]) * f[c];
      noise += d * d;
      worst = std::max(worst, std::fabs(d));
    }
  }
  double sqnr_db() const { return 10.0 * std::log10(signal / noise); }
};

}  // namespace

int main() {
  static_assert(M::plan_sound && T::plan_sound, "the memory plan overlaps live tensors");
  std::printf("qfence fenced_cnn: a float CNN with a float-only custom op (GELU), quantized to int8 at compile time\n");
  std::printf("arena_bytes: float %zu, int8 with GELU fenced %zu, int8 with GELU as a table %zu\n", F::arena_bytes,
              M::arena_bytes, T::arena_bytes);
  std::printf("int8 parameters from the calibrated ranges: input scale %.6f zero point %d, GELU output scale %.6f "
              "zero point %d\n",
              static_cast<double>(M::input_type<0>::quant::scale), M::input_type<0>::quant::zero_point,
              static_cast<double>(T::node_output_type<4>::quant::scale),
              T::node_output_type<4>::quant::zero_point);
  // What qfence::quantize kept in float, one line each as `qfence quantize`
  // says it for a .tflite.
  for (const auto& f : qf::quantize_fences<float_model>()) std::printf("%s\n", f.text().c_str());
  std::printf("with qfence::use_table<gelu>: %zu fences\n", qf::quantize_fences<float_model>(qf::use_table<gelu>).size());

  agreement fenced, table;
  int identical = 0;
  for (int k = first_test_image; k < first_test_image + test_images; ++k) {
    const auto img = fenced_cnn::sample_image(k);
    std::ranges::copy(img, float_arena.input<0>().begin());
    // The int8 models take the image quantized with their input parameters.
    qf::quantize_into<M::input_type<0>>(img, int8_arena.input<0>());
    qf::quantize_into<T::input_type<0>>(img, table_arena.input<0>());
    float_model.invoke(float_arena);
    int8_model.invoke(int8_arena);
    table_model.invoke(table_arena);
    fenced.add(int8_arena.output<0>(), float_arena.output<0>());
    table.add(table_arena.output<0>(), float_arena.output<0>());
    identical += std::ranges::equal(int8_arena.output<0>(), table_arena.output<0>()) ? 1 : 0;
  }
  std::printf("\nagreement with the float model on %d images it was not calibrated on:\n", test_images);
  const auto print = [](const char* name, const agreement& a) {
    std::printf("  %-22s top-1 %2d/%d (%d of them tied in int8", name, a.top1, test_images, a.ties);
    if (a.close_misses > 0) std::printf("; %d missed: float's top two < 1 step apart", a.close_misses);
    std::printf(")   output SQNR %5.1f dB   worst |p - p_float| %.4f\n", a.sqnr_db(), a.worst);
  };
  print("int8, GELU fenced", fenced);
  print("int8, GELU as a table", table);
  std::printf("  the table's outputs are the fence's, byte for byte, on %d of %d images\n", identical, test_images);

  // Where the int8 model loses accuracy: every layer against the float model.
  auto layers = qf::quant::debug_graph(float_model, int8_model, test_images, [](std::size_t s, auto& arena) {
    std::ranges::copy(fenced_cnn::sample_image(first_test_image + static_cast<int>(s)), arena.template input<0>().begin());
    return std::optional<std::string>{};
  });
  std::ranges::stable_sort(layers, {}, &qf::quant::layer_error::sqnr_db);
  std::printf("\nlayers of the int8 model, worst first (quant::debug_graph):\n");
  std::printf("  %-4s %-18s %9s %11s %10s %9s %10s\n", "node", "op", "SQNR dB", "max |err|", "mean err", "clipped",
              "scale");
  for (const auto& l : layers)
    std::printf("  %-4d %-18s %9.1f %11.4f %10.4f %8.2f%% %10s\n", l.op_index, (l.op + (l.fenced ? " (fenced)" : "")).c_str(),
                l.sqnr_db, l.max_abs_error, l.mean_error, 100.0 * l.clipped,
                l.fenced ? "float" : std::to_string(l.scale).substr(0, 8).c_str());

  std::printf("\nlatency, minimum of 2000 invokes (SIMD target %s): float %.1f us, int8 fenced %.1f us, int8 table %.1f us\n",
              qf::kernels::default_target().name(), min_latency_us(float_model, float_arena),
              min_latency_us(int8_model, int8_arena), min_latency_us(table_model, table_arena));
  // As a test, the example fails when int8 drifts from its float twin (a
  // top-1 miss the output's resolution allows excepted) or the table stops
  // giving the fence's bytes.
  const bool ok = fenced.top1 + fenced.close_misses == test_images && table.top1 + table.close_misses == test_images &&
                  fenced.worst < 0.05 && identical == test_images;
  std::printf("%s\n", ok ? "summary: ok" : "summary: FAILED (see above)");
  return ok ? 0 : 1;
}
