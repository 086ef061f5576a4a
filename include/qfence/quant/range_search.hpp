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
#include <utility>
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

namespace detail {

/// Kullback-Leibler divergence KL(P || Q) of the candidate ranges of one
/// histogram (entropy_range): for the bins [a, b), P is their counts with
/// the values outside folded into the end bins, and Q the same bins merged
/// into `levels` steps, each step's mass spread evenly over the bins of it
/// that hold values (without the outliers, which quantization clips); a bin
/// that P has and Q lacks (an end bin holding only outliers) gets a small
/// floor, as TensorRT's smoothing does, so that clipping is costly but
/// finite.
///
/// Written per bin, KL costs one logarithm per occupied bin of every
/// candidate: ~2,000 candidates of up to 2,048 bins per tensor, 85 % of
/// `qfence calibrate`'s time on a 200-tensor model. Per step it costs one:
/// an interior bin's Q is its step's mean, so
///   sum_i p_i log(p_i / q_i) = sum_i p_i log p_i - sum_s m_s log(m_s / u_s)
/// (m_s the step's mass, u_s its occupied bins), and prefix sums give
/// sum p log p, m_s and u_s of any run of bins at once. Only the two end
/// bins, which carry the outliers, are summed as themselves.
class kl_candidates {
 public:
  kl_candidates(const histogram& h, int levels) : levels_(levels) {
    const int n = h.bins();
    counts_.reserve(static_cast<std::size_t>(n));
    mass_.assign(static_cast<std::size_t>(n) + 1, 0.0);
    used_.assign(mass_.size(), 0);
    plogp_.assign(mass_.size(), 0.0);
    for (int i = 0; i < n; ++i) {
      const auto c = static_cast<double>(h.count(i));
      const auto k = static_cast<std::size_t>(i);
      counts_.push_back(c);
      mass_[k + 1] = mass_[k] + c;
      used_[k + 1] = used_[k] + (c > 0 ? 1 : 0);
      plogp_[k + 1] = plogp_[k] + (c > 0 ? c * std::log(c) : 0.0);
    }
  }

  /// KL(P || Q) of the bins [a, b) (b - a >= levels >= 2); +inf when they
  /// hold no values (Q is empty).
  double divergence(int a, int b) const {
    const auto ua = static_cast<std::size_t>(a), ub = static_cast<std::size_t>(b);
    const double total = mass_.back();               // P's mass: every count
    const double inside = mass_[ub] - mass_[ua];     // Q's mass: the bins' own
    if (inside <= 0) return std::numeric_limits<double>::infinity();
    const int width = b - a;
    const double first = counts_[ua], last = counts_[ub - 1];
    // Interior bins (a, b - 1): sum p log p - sum over steps of m' log q,
    // m' being the step's interior mass (its whole mass but for the end bins).
    double sum = plogp_[ub - 1] - plogp_[ua + 1];
    for (int s = 0; s < levels_; ++s) {
      const auto [from, to] = step(a, width, s);
      const double m = mass_[to] - mass_[from];
      if (m <= 0) continue;
      double interior = m;
      if (from == ua) interior -= first;
      if (to == ub) interior -= last;
      if (interior > 0) sum -= interior * std::log(m / static_cast<double>(used_[to] - used_[from]));
    }
    // Normalised: p_i / P against q_i / Q for the interior mass.
    double divergence = (sum + (inside - first - last) * std::log(inside / total)) / total;
    // The end bins, with the outliers P folds into them.
    divergence += end_bin(a, width, 0, mass_[ua], total, inside);
    divergence += end_bin(a, width, levels_ - 1, total - mass_[ub], total, inside);
    return divergence;
  }

 private:
  // The bins [from, to) of step s of the candidate [a, a + width).
  std::pair<std::size_t, std::size_t> step(int a, int width, int s) const {
    const auto ua = static_cast<std::size_t>(a);
    return {ua + static_cast<std::size_t>(static_cast<std::int64_t>(s) * width / levels_),
            ua + static_cast<std::size_t>(static_cast<std::int64_t>(s + 1) * width / levels_)};
  }

  // The term of the end bin of step s (0: the candidate's first bin;
  // levels - 1: its last), whose P is its own count plus the `outside`
  // values folded into it, and whose Q is its step's mean if it holds
  // values, else the floor.
  double end_bin(int a, int width, int s, double outside, double total, double inside) const {
    const auto [from, to] = step(a, width, s);
    const double own = counts_[s == 0 ? from : to - 1], p = own + outside;
    if (p <= 0) return 0.0;
    constexpr double floor = 1e-4;
    const double pi = p / total;
    const double qi = own > 0 ? (mass_[to] - mass_[from]) / static_cast<double>(used_[to] - used_[from]) / inside
                              : floor / total;
    return pi * std::log(pi / std::max(qi, floor / total));
  }

  int levels_;
  std::vector<double> counts_, mass_, plogp_;
  std::vector<std::int64_t> used_;
};

}  // namespace detail

/// The range whose `levels`-step quantization keeps the distribution of the
/// values closest in Kullback-Leibler divergence to the original (the
/// entropy calibration of TensorRT, made two-sided for asymmetric ranges:
/// both ends shrink by the same factor towards 0, so the range keeps the
/// data's proportions). Candidates run from the whole histogram down to
/// `levels` bins; values outside a candidate fold into its end bins
/// (detail::kl_candidates).
inline real_range entropy_range(const histogram& h, int levels = 256) {
  if (h.total() == 0) return {};
  const int n = h.bins();
  if (n <= levels) return h.seen().with_zero();
  const double zero_at = std::clamp(-h.edge(0) / h.bin_width(), 0.0, static_cast<double>(n));
  const detail::kl_candidates kl(h, levels);
  double best = std::numeric_limits<double>::infinity();
  int best_a = 0, best_b = n;
  for (int width = n; width >= levels; --width) {
    const double shrink = static_cast<double>(width) / n;
    const int a = std::clamp(static_cast<int>(std::lround(zero_at * (1.0 - shrink))), 0, n - width);
    const double divergence = kl.divergence(a, a + width);
    if (divergence < best) {
      best = divergence;
      best_a = a;
      best_b = a + width;
    }
  }
  return detail::clamp_to_seen(h, h.edge(best_a), h.edge(best_b));
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
