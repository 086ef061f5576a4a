// qfence/quant/range_search.hpp: the range a histogram calibrator chooses.
//
// Min-max keeps every value and pays with a coarse step when a few values
// lie far out; these searches clip such outliers where that costs less than
// the resolution it buys. All three work on a histogram (quant/histogram.hpp),
// so their cost depends on its bins, not on the dataset, and all return a
// range holding 0 (every quantized range does).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/histogram.hpp"
#include "qfence/quant/real_range.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

namespace detail {

/// The value below which `fraction` of the histogram's values lie,
/// interpolated linearly inside its bin; the exact zeros are a point mass
/// at 0.
inline double quantile(const histogram& h, double fraction) {
  const double target = fraction * static_cast<double>(h.total());
  double below = 0;
  bool zeros_counted = false;
  for (int i = 0; i < h.bins(); ++i) {
    const auto n = static_cast<double>(h.count(i));
    const double a = h.edge(i), w = h.bin_width();
    // The bin's share below 0 (by interpolation), then the zeros, then the rest.
    const double share_below_zero = zeros_counted ? 0.0 : std::clamp((0.0 - a) / w, 0.0, 1.0);
    if (!zeros_counted && h.edge(i + 1) > 0.0) {
      if (n > 0 && below + n * share_below_zero >= target) return a + w * std::clamp((target - below) / n, 0.0, 1.0);
      below += n * share_below_zero;
      below += static_cast<double>(h.zeros());
      zeros_counted = true;
      if (below >= target) return 0.0;
      const double rest = n * (1.0 - share_below_zero);
      if (rest > 0 && below + rest >= target)
        return std::max(0.0, a) + (h.edge(i + 1) - std::max(0.0, a)) * std::clamp((target - below) / rest, 0.0, 1.0);
      below += rest;
      continue;
    }
    if (n > 0 && below + n >= target) return a + w * std::clamp((target - below) / n, 0.0, 1.0);
    below += n;
  }
  return h.edge(h.bins());
}

/// The bin ends' range clamped to what was seen: a search never widens
/// the range beyond the data.
inline real_range clamp_to_seen(const histogram& h, double lo, double hi) {
  const real_range seen = h.seen();
  return real_range{static_cast<float>(std::max<double>(lo, seen.min)), static_cast<float>(std::min<double>(hi, seen.max))}
      .with_zero();
}

}  // namespace detail

/// The range from the (100 - p)-th to the p-th percentile of the values
/// (p = 99.99 clips one value in 10,000 on each side); p = 100 is min-max.
inline real_range percentile_range(const histogram& h, double percentile) {
  if (h.total() == 0) return {};
  const double tail = std::clamp(1.0 - percentile / 100.0, 0.0, 0.5);
  if (tail == 0.0) return h.seen().with_zero();
  return detail::clamp_to_seen(h, detail::quantile(h, tail), detail::quantile(h, 1.0 - tail));
}

/// The range [A, B] that minimises the expected squared error of
/// quantizing the values to `levels` evenly spaced steps: the clipping
/// error of the values outside (each bin's values at its centre) plus the
/// rounding error of those inside, step^2 / 12 each (exact zeros have
/// neither: 0 is always a step). A is a bin edge at or
/// below 0 and B one at or above it; every pair is tried (prefix sums make
/// each O(1), so 2048 bins cost at most a million evaluations).
inline real_range mse_range(const histogram& h, int levels = 256) {
  if (h.total() == 0) return {};
  const int n = h.bins();
  // Prefix sums over bins [0, i): count, count * centre, count * centre^2.
  std::vector<double> s0(static_cast<std::size_t>(n) + 1), s1(s0.size()), s2(s0.size());
  for (int i = 0; i < n; ++i) {
    const auto c = static_cast<double>(h.count(i));
    const double x = h.center(i);
    const auto k = static_cast<std::size_t>(i);
    s0[k + 1] = s0[k] + c;
    s1[k + 1] = s1[k] + c * x;
    s2[k + 1] = s2[k] + c * x * x;
  }
  auto sum_sq = [&](int from, int to, double around) {  // sum over [from, to) of count * (centre - around)^2
    const auto f = static_cast<std::size_t>(from), t = static_cast<std::size_t>(to);
    return (s2[t] - s2[f]) - 2 * around * (s1[t] - s1[f]) + around * around * (s0[t] - s0[f]);
  };
  const double steps = levels - 1;
  double best = std::numeric_limits<double>::infinity();
  int best_a = 0, best_b = n;
  // Edges are compared with 0 by index: lo + width * n may round to just
  // below 0 when every value is negative.
  const double zero_at = -h.edge(0) / h.bin_width();
  for (int a = 0; a <= n && a <= zero_at + 1e-6; ++a) {
    const double lo = std::min(h.edge(a), 0.0);
    const double below = sum_sq(0, a, lo);
    for (int b = n; b > a && b >= zero_at - 1e-6; --b) {
      const double hi = std::max(h.edge(b), 0.0);
      const double step = (hi - lo) / steps;
      const double inside = s0[static_cast<std::size_t>(b)] - s0[static_cast<std::size_t>(a)];
      const double error = below + sum_sq(b, n, hi) + inside * step * step / 12.0;
      if (error < best) {
        best = error;
        best_a = a;
        best_b = b;
      }
    }
  }
  return detail::clamp_to_seen(h, h.edge(best_a), h.edge(best_b));
}

/// The range whose `levels`-step quantization keeps the distribution of the
/// values closest in Kullback-Leibler divergence to the original (the
/// entropy calibration of TensorRT, made two-sided for asymmetric ranges:
/// both ends shrink by the same factor towards 0, so the range keeps the
/// data's proportions). Candidates run from the whole histogram down to
/// `levels` bins; values outside a candidate fold into its end bins.
inline real_range entropy_range(const histogram& h, int levels = 256) {
  if (h.total() == 0) return {};
  const int n = h.bins();
  if (n <= levels) return h.seen().with_zero();
  const double zero_at = std::clamp(-h.edge(0) / h.bin_width(), 0.0, static_cast<double>(n));
  std::vector<double> p(static_cast<std::size_t>(n)), q(p.size());
  double best = std::numeric_limits<double>::infinity();
  int best_a = 0, best_b = n;
  for (int width = n; width >= levels; --width) {
    const double shrink = static_cast<double>(width) / n;
    const int a = std::clamp(static_cast<int>(std::lround(zero_at * (1.0 - shrink))), 0, n - width);
    const int b = a + width;
    // P: the candidate's bins, outliers folded into the ends.
    double outside_low = 0, outside_high = 0;
    for (int i = 0; i < a; ++i) outside_low += static_cast<double>(h.count(i));
    for (int i = b; i < n; ++i) outside_high += static_cast<double>(h.count(i));
    for (int i = 0; i < width; ++i) p[static_cast<std::size_t>(i)] = static_cast<double>(h.count(a + i));
    // Q: the same bins merged into `levels` steps, each step's mass spread
    // evenly over the bins of it that hold values (without the outliers,
    // which quantization clips).
    for (int s = 0; s < levels; ++s) {
      const int from = static_cast<int>(static_cast<std::int64_t>(s) * width / levels);
      const int to = static_cast<int>(static_cast<std::int64_t>(s + 1) * width / levels);
      double mass = 0;
      int used = 0;
      for (int i = from; i < to; ++i) {
        mass += p[static_cast<std::size_t>(i)];
        used += p[static_cast<std::size_t>(i)] > 0;
      }
      for (int i = from; i < to; ++i)
        q[static_cast<std::size_t>(i)] = p[static_cast<std::size_t>(i)] > 0 ? mass / used : 0.0;
    }
    p[0] += outside_low;
    p[static_cast<std::size_t>(width) - 1] += outside_high;
    // KL(P || Q) over normalised distributions; a bin that P has and Q
    // lacks (an end bin holding only outliers) gets a small floor, as
    // TensorRT's smoothing does, so that clipping is costly but finite.
    double p_total = 0, q_total = 0;
    for (int i = 0; i < width; ++i) {
      p_total += p[static_cast<std::size_t>(i)];
      q_total += q[static_cast<std::size_t>(i)];
    }
    if (q_total <= 0) continue;
    constexpr double floor = 1e-4;
    double divergence = 0;
    for (int i = 0; i < width; ++i) {
      const double pi = p[static_cast<std::size_t>(i)] / p_total;
      if (pi <= 0) continue;
      const double qi = std::max(q[static_cast<std::size_t>(i)] / q_total, floor / p_total);
      divergence += pi * std::log(pi / qi);
    }
    if (divergence < best) {
      best = divergence;
      best_a = a;
      best_b = b;
    }
  }
  return detail::clamp_to_seen(h, h.edge(best_a), h.edge(best_b));
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
