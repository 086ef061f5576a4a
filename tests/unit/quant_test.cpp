// Observers, histogram range searches and TFLite's quantization parameter
// rules (include/qfence/quant/): what calibration is built on.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "qfence/quant/affine_params.hpp"
#include "qfence/quant/histogram.hpp"
#include "qfence/quant/observer.hpp"
#include "qfence/quant/range_search.hpp"

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace quant_test {

using namespace qfence::quant;


TEST_CASE("histogram: memory is fixed, counts survive every doubling, and the split into calls does not matter") {
  histogram whole(64), split(64);
  std::vector<float> values;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-5.0f, 31.0f);
  for (int i = 0; i < 1000; ++i) values.push_back(uniform(rng));
  values.push_back(900.0f);   // forces several doublings upwards
  values.push_back(-450.0f);  // and downwards
  whole.add(values);
  // Same order of range growth: first the small values, then the outliers.
  split.add(std::span<const float>(values).first(1000));
  split.add(std::span<const float>(values).subspan(1000, 1));
  split.add(std::span<const float>(values).subspan(1001, 1));
  CHECK(whole.bins() == 64);
  CHECK(whole.total() == values.size());
  std::uint64_t sum = 0;
  for (int i = 0; i < split.bins(); ++i) sum += split.count(i);
  CHECK(sum == values.size());
  CHECK(split.edge(0) <= -450.0);
  CHECK(split.edge(split.bins()) >= 900.0);
  CHECK(split.seen() == real_range{-450.0f, 900.0f});
  // Every value sits in the bin its value says.
  for (int i = 0; i < split.bins(); ++i) {
    std::uint64_t expected = 0;
    for (float v : values) expected += (v >= split.edge(i) && v < split.edge(i + 1)) ? 1 : 0;
    INFO("bin " << i);
    CHECK(split.count(i) == expected);
  }
  CHECK_THROWS_AS(histogram(7), std::invalid_argument);
}

TEST_CASE("histogram: the fraction outside a range counts what it clips") {
  histogram h(100);
  std::vector<float> v;
  for (int i = 0; i <= 99; ++i) v.push_back(static_cast<float>(i));  // 0 .. 99: the extremes sit mid-bin, bins of width 1
  h.add(v);
  CHECK(h.bin_width() == 1.0);
  CHECK(h.edge(0) == -0.5);
  CHECK(h.fraction_outside({0.0f, 99.0f}) == 0.0);
  CHECK(h.fraction_outside({0.0f, 89.5f}) == doctest::Approx(10.0 / 100));
  // The value 0 is an exact zero, which no quantized range clips (they all
  // hold 0): 1 .. 9 are below 9.5.
  CHECK(h.zeros() == 1);
  CHECK(h.fraction_outside({9.5f, 89.5f}) == doctest::Approx(19.0 / 100));
  CHECK(h.fraction_outside({10.0f, 89.5f}) == doctest::Approx(19.5 / 100));  // half of the bin of 10 (interpolated)
  CHECK(h.fraction_outside({-1.0f, 98.75f}) == doctest::Approx(0.5 / 100));  // the last bin holds values up to 99 only
}

TEST_CASE("min-max and moving average observers") {
  observer_options o;
  o.method = calibrator::minmax;
  tensor_observer minmax(o);
  o.method = calibrator::moving_average;
  o.momentum = 0.5;
  tensor_observer average(o);
  for (const auto& sample : {std::vector<float>{1, 2, 3}, std::vector<float>{-4, 0, 8}, std::vector<float>{2, 2, 2}}) {
    minmax.observe(sample);
    average.observe(sample);
  }
  CHECK(minmax.range() == real_range{-4.0f, 8.0f});
  // min: 1 -> 1 + 0.5 (-4 - 1) = -1.5 -> -1.5 + 0.5 (2 + 1.5) = 0.25; max: 3 -> 5.5 -> 3.75.
  CHECK(average.range().max == doctest::Approx(3.75f));
  CHECK(average.range().min == 0.0f);  // 0.25, stretched to hold 0
  CHECK(minmax.values() == 9);
  CHECK(minmax.calls() == 3);
}

TEST_CASE("observers never use NaN or infinity, and say where the first was") {
  tensor_observer o;
  o.observe(std::vector<float>{1, 2});
  o.observe(std::vector<float>{3, NAN, 5, INFINITY});
  CHECK(o.non_finite_count() == 2);
  REQUIRE(o.first_non_finite());
  CHECK(o.first_non_finite()->call == 1);
  CHECK(o.first_non_finite()->index == 1);
  CHECK(o.range() == real_range{0.0f, 5.0f});
  CHECK(o.values() == 4);
}

TEST_CASE("percentile: clips the stated share on each side") {
  histogram h(2048);
  std::vector<float> v;
  for (int i = 0; i < 100000; ++i) v.push_back(static_cast<float>(i) / 1000.0f);  // uniform on [0, 100)
  h.add(v);
  const real_range r = percentile_range(h, 99.0);
  CHECK(r.min == 0.0f);  // 1.0, stretched to hold 0
  CHECK(r.max == doctest::Approx(99.0).epsilon(0.002));
  CHECK(percentile_range(h, 100.0) == h.seen().with_zero());
}

TEST_CASE("MSE and entropy ranges clip a long tail where that costs less than the resolution it buys") {
  // Laplace(0, 1) (two-sided exponential): 200,000 values reach about +-12,
  // but few lie beyond +-6, and a step of 24 / 255 costs every value.
  std::mt19937 rng(7);
  std::exponential_distribution<float> e(1.0f);
  std::vector<float> v(200000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = (i % 2 ? 1.0f : -1.0f) * e(rng);
  histogram h(2048);
  h.add(v);
  const real_range seen = h.seen(), mse = mse_range(h), entropy = entropy_range(h);
  MESSAGE("seen [" << seen.min << ", " << seen.max << "], mse [" << mse.min << ", " << mse.max << "], entropy ["
                   << entropy.min << ", " << entropy.max << "]");
  CHECK(mse.max < 0.9f * seen.max);
  CHECK(mse.min > 0.9f * seen.min);
  CHECK(entropy.max < 0.9f * seen.max);
  // MSE's choice has less squared error than min-max on the data itself
  // (quantize, dequantize, compare): it is what it minimises.
  auto error_of = [&](real_range r) {
    const affine_params p = asymmetric_params(r, -128, 127);
    double sum = 0;
    for (float x : v) {
      const float q = std::clamp(std::round(x / p.scale) + static_cast<float>(p.zero_point), -128.0f, 127.0f);
      const double d = static_cast<double>(p.scale) * (q - static_cast<float>(p.zero_point)) - x;
      sum += d * d;
    }
    return sum;
  };
  const double e_seen = error_of(seen), e_mse = error_of(mse), e_entropy = error_of(entropy);
  MESSAGE("squared error: min-max " << e_seen << ", mse " << e_mse << ", entropy " << e_entropy);
  CHECK(e_mse < 0.8 * e_seen);
  CHECK(e_mse <= e_entropy * 1.05);
  // One far outlier among many: clipping it costs (400 - B)^2, more than
  // the coarser step costs the rest, so MSE keeps most of it; min-max
  // keeps it whole. Uniform data has nothing to clip.
  histogram u(2048);
  std::vector<float> w;
  for (int i = 0; i <= 10000; ++i) w.push_back(static_cast<float>(i) / 10000.0f * 6.0f);
  u.add(w);
  CHECK(mse_range(u).max > 5.9f);
}

// KL(P || Q) of the bins [a, b) written per bin, as its definition reads
// (detail::kl_candidates): what the per-step form must equal.
double kl_by_bins(const histogram& h, int a, int b, int levels) {
  const int n = h.bins(), width = b - a;
  std::vector<double> p(static_cast<std::size_t>(width)), q(p.size());
  double outside_low = 0, outside_high = 0;
  for (int i = 0; i < a; ++i) outside_low += static_cast<double>(h.count(i));
  for (int i = b; i < n; ++i) outside_high += static_cast<double>(h.count(i));
  for (int i = 0; i < width; ++i) p[static_cast<std::size_t>(i)] = static_cast<double>(h.count(a + i));
  for (int s = 0; s < levels; ++s) {
    const int from = s * width / levels, to = (s + 1) * width / levels;
    double mass = 0;
    int used = 0;
    for (int i = from; i < to; ++i) {
      mass += p[static_cast<std::size_t>(i)];
      used += p[static_cast<std::size_t>(i)] > 0;
    }
    for (int i = from; i < to; ++i) q[static_cast<std::size_t>(i)] = p[static_cast<std::size_t>(i)] > 0 ? mass / used : 0;
  }
  p.front() += outside_low;
  p.back() += outside_high;
  double p_total = 0, q_total = 0;
  for (int i = 0; i < width; ++i) {
    p_total += p[static_cast<std::size_t>(i)];
    q_total += q[static_cast<std::size_t>(i)];
  }
  if (q_total <= 0) return std::numeric_limits<double>::infinity();
  double divergence = 0;
  for (int i = 0; i < width; ++i) {
    const double pi = p[static_cast<std::size_t>(i)] / p_total;
    if (pi <= 0) continue;
    divergence += pi * std::log(pi / std::max(q[static_cast<std::size_t>(i)] / q_total, 1e-4 / p_total));
  }
  return divergence;
}

TEST_CASE("entropy: the per-step KL equals KL summed bin by bin, for every candidate, and its minimum is chosen") {
  std::mt19937 rng(11);
  std::exponential_distribution<float> tail(1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  struct data_case {
    const char* name;
    std::function<float()> draw;
    int count;
  };
  const std::vector<data_case> cases = {
      {"Laplace", [&] { return (rng() % 2 ? 1.0f : -1.0f) * tail(rng); }, 20000},
      {"shifted positive, far outliers", [&] { return rng() % 500 == 0 ? 40.0f * tail(rng) : 3.0f + normal(rng); }, 20000},
      {"all negative", [&] { return -1.0f - std::abs(normal(rng)); }, 5000},
      {"few distinct values", [&] { return static_cast<float>(static_cast<int>(rng() % 7) - 2) * 0.5f; }, 3000},
      {"sparse: 40 values", [&] { return 5.0f * normal(rng); }, 40},
      {"zeros and a tail", [&] { return rng() % 3 == 0 ? 0.0f : tail(rng); }, 10000},
  };
  for (const auto& c : cases) {
    for (const auto& size : {std::pair{512, 64}, std::pair{2048, 256}}) {
      const int bins = size.first, levels = size.second;
      const std::string name = c.name;
      CAPTURE(name);
      CAPTURE(bins);
      histogram h(bins);
      std::vector<float> v(static_cast<std::size_t>(c.count));
      for (auto& x : v) x = c.draw();
      h.add(v);
      const detail::kl_candidates kl(h, levels);
      // The candidates entropy_range visits (every 7th of 2048 bins: the
      // sum by bins is slow at -O0).
      const int stride = bins == 2048 ? 7 : 1;
      const real_range chosen = entropy_range(h, levels);
      double best = std::numeric_limits<double>::infinity(), best_giving_chosen = best;
      int checked = 0;
      const double zero_at = std::clamp(-h.edge(0) / h.bin_width(), 0.0, static_cast<double>(bins));
      for (int width = bins; width >= levels; width -= stride) {
        const int a = std::clamp(static_cast<int>(std::lround(zero_at * (1.0 - static_cast<double>(width) / bins))), 0,
                                 bins - width);
        const double by_bins = kl_by_bins(h, a, a + width, levels), by_steps = kl.divergence(a, a + width);
        if (std::isinf(by_bins)) {
          CHECK(std::isinf(by_steps));
          continue;
        }
        CHECK(by_steps == doctest::Approx(by_bins).epsilon(1e-9).scale(1e-3));
        ++checked;
        best = std::min(best, by_bins);
        const real_range r = detail::clamp_to_seen(h, h.edge(a), h.edge(a + width));
        if (r.min == chosen.min && r.max == chosen.max) best_giving_chosen = std::min(best_giving_chosen, by_bins);
      }
      CHECK(checked > 0);
      // Every candidate visited: the chosen range is a minimum (candidates
      // whose divergences are equal but for rounding may give either).
      CAPTURE(chosen.min);
      CAPTURE(chosen.max);
      if (stride == 1) CHECK(best_giving_chosen <= best * (1 + 1e-9) + 1e-12);
    }
  }
}

TEST_CASE("percentile: exact zeros are a point mass at 0") {
  // 900 zeros (ReLU) and 100 values in (0, 10]: the 95th percentile lies
  // in the positive values (position 950 of 1000), the 50th at 0.
  histogram h(256);
  std::vector<float> v(900, 0.0f);
  for (int i = 1; i <= 100; ++i) v.push_back(static_cast<float>(i) / 10.0f);
  h.add(v);
  CHECK(h.zeros() == 900);
  CHECK(detail::quantile(h, 0.5) == 0.0);
  CHECK(detail::quantile(h, 0.95) == doctest::Approx(5.0).epsilon(0.03));
  CHECK(percentile_range(h, 95.0).max == doctest::Approx(5.0f).epsilon(0.03));
}

TEST_CASE("MSE range of values that are all negative ends at 0") {
  histogram h(256);
  std::vector<float> v;
  for (int i = 1; i <= 1000; ++i) v.push_back(-static_cast<float>(i) / 100.0f);
  h.add(v);
  const real_range r = mse_range(h);
  CHECK(r.max == 0.0f);
  CHECK(r.min < -9.0f);
}

TEST_CASE("asymmetric parameters follow TFLite's GetAsymmetricQuantizationParams") {
  // [-1, 1]: scale 2/255, zero point round(-128 + 127.5) = round(-0.5) = -1 (half away from zero).
  const affine_params p = asymmetric_params({-1.0f, 1.0f}, -128, 127);
  CHECK(p.scale == 2.0f / 255.0f);
  CHECK(p.zero_point == -1);
  // Ranges are stretched to hold 0: [2, 6] is [0, 6].
  CHECK(asymmetric_params({2.0f, 6.0f}, -128, 127) == affine_params{6.0f / 255.0f, -128});
  CHECK(asymmetric_params({-6.0f, -2.0f}, -128, 127) == affine_params{6.0f / 255.0f, 127});
  // Always zero: a usable scale, not 0.
  CHECK(asymmetric_params({0.0f, 0.0f}, -128, 127).scale > 0.0f);
  static_assert(asymmetric_params({0.0f, 6.0f}, -128, 127).zero_point == -128);
  CHECK(symmetric_params({-3.0f, 1.0f}, 32767) == affine_params{3.0f / 32767.0f, 0});
}

TEST_CASE("symmetric per-channel weights and their biases follow TFLite's rules") {
  // Two output channels (axis 0) of three weights each.
  const std::vector<float> w = {0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f};
  const std::vector<int> shape = {2, 1, 1, 3};
  const quantized_weights q = quantize_weights_symmetric(w, shape, 0, true);
  REQUIRE(q.scales.size() == 2);
  CHECK(q.scales[0] == 1.0f / 127.0f);
  CHECK(q.scales[1] == 1.0f / 127.0f);  // a channel of zeros gets [-1, 1], not TFLite's 0
  CHECK(q.values == std::vector<std::int8_t>{64, -127, 32, 0, 0, 0});  // 63.5 rounds away from zero
  const quantized_weights t = quantize_weights_symmetric(w, shape, 0, false);
  CHECK(t.scales.size() == 1);
  // Bias: scale input * weight, int32, saturated to +-(2^31 - 1).
  const std::vector<float> b = {1.0f, 1e9f};
  const auto qb = quantize_bias<std::int32_t>(b, 0.5f, q.scales);
  CHECK(qb[0] == 254);
  CHECK(qb[1] == 2147483647);
  CHECK(quantize_bias_value<std::int32_t>(-1e12f, 1.0f) == -2147483647);
  static_assert(quantize_weight(0.5f, 127.0f) == 64);
}

TEST_CASE("weights already on one grid for the whole tensor keep it; others get their channel's") {
  // A float twin of a model whose weights were int8 per tensor at scale s:
  // channel 1's largest weight is 5 s, so its own grid (5 s / 127) would
  // round 3 s and -2 s again; the tensor's grid holds them exactly.
  const float s = 0.0108947f;
  const std::vector<int> shape = {3, 4};  // three output channels of four
  const std::vector<float> twin = {127 * s, -64 * s, 3 * s,   0 * s,  //
                                   5 * s,   3 * s,   -2 * s,  1 * s,  //
                                   -90 * s, 17 * s,  45 * s,  -7 * s};
  const quantized_weights q = quantize_weights_symmetric(twin, shape, 0, true);
  REQUIRE(q.scales.size() == 3);
  for (std::size_t i = 0; i < twin.size(); ++i) {
    CAPTURE(i);
    CHECK(static_cast<float>(q.values[i]) * q.scales[i / 4] == doctest::Approx(twin[i]).epsilon(1e-6));
  }
  CHECK(q.values == std::vector<std::int8_t>{127, -64, 3, 0, 5, 3, -2, 1, -90, 17, 45, -7});
  // Weights on no common grid: each channel its own largest magnitude at
  // 127, TFLite's rule (the tensor's grid would round them more coarsely).
  const std::vector<float> free = {1.0f, -0.31f, 0.2f, 0.07f, 0.1f, 0.037f, -0.052f, 0.011f, -0.5f, 0.123f, 0.4f, 0.02f};
  const quantized_weights f = quantize_weights_symmetric(free, shape, 0, true);
  CHECK(f.scales == std::vector<float>{weight_scale(1.0f), weight_scale(0.1f), weight_scale(0.5f)});
  // The compile-time rule is the same one.
  static_assert([] {
    constexpr float step = 0.5f / 127.0f;
    std::array<float, 4> w = {0.5f, 0.25f, 5 * step, 2 * step};  // channel 1: on channel 0's grid
    std::array<float, 2> half{};
    std::array<int, 2> dims = {2, 2};
    const channel_of_element of(dims, 0, 2);
    channel_magnitudes(w, of, half);
    std::array<double, 4> scratch{};
    prefer_tensor_grid(w, of, half, scratch);
    return half[0] == 0.5f && half[1] == 0.5f;
  }());
}

}  // namespace quant_test
