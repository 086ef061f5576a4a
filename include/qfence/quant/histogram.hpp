// qfence/quant/histogram.hpp: a streaming histogram of a tensor's values,
// the memory of the histogram calibrators (percentile, MSE, entropy).
//
// Calibration may see any number of samples, so the histogram has a fixed
// number of bins whatever the data: its memory is O(bins), never O(values).
// The range is not known in advance. It starts at the first values' range
// (stretched to hold 0, as every quantized range does) and doubles, towards
// whichever side a new value falls out of, until the value fits. Doubling
// merges bins in pairs, which is exact: no count moves to a bin it was not
// in, so the result does not depend on how the data was split into calls,
// only on the order in which the range grew.
//
// Exact zeros are counted apart, not binned: any quantized range holds 0
// exactly, so they are never clipped and never rounded, and ReLU outputs,
// half zeros, would otherwise swamp the bin around 0 and the searches that
// weigh rounding error (MSE) or distribution shape (entropy).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/real_range.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

class histogram {
 public:
  /// `bins` must be even (doubling merges bins in pairs) and at least 2.
  explicit histogram(int bins = 2048) : counts_(checked_bins(bins), 0) {}

  /// Adds finite values (the observer screens out NaN and infinities).
  void add(std::span<const float> values) {
    if (values.empty()) return;
    const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
    const double lo = *lo_it, hi = *hi_it;
    if (total_ == 0) start(lo, hi);
    while (hi >= upper()) grow_up();
    while (lo < lo_) grow_down();
    const double inverse = 1.0 / width_;
    const auto last = static_cast<std::int64_t>(counts_.size()) - 1;
    for (const float v : values) {
      if (v == 0.0f) {
        ++zeros_;
        continue;
      }
      const auto k = static_cast<std::int64_t>((static_cast<double>(v) - lo_) * inverse);
      ++counts_[static_cast<std::size_t>(std::clamp<std::int64_t>(k, 0, last))];
    }
    total_ += values.size();
    min_ = total_ == values.size() ? lo : std::min(min_, lo);
    max_ = total_ == values.size() ? hi : std::max(max_, hi);
  }

  int bins() const noexcept { return static_cast<int>(counts_.size()); }
  std::uint64_t count(int bin) const noexcept { return counts_[static_cast<std::size_t>(bin)]; }
  /// Every value added, exact zeros included.
  std::uint64_t total() const noexcept { return total_; }
  /// The exact zeros among them (not in any bin).
  std::uint64_t zeros() const noexcept { return zeros_; }
  /// The lower edge of bin i (i = bins() gives the upper end of the range).
  double edge(int i) const noexcept { return lo_ + width_ * i; }
  double center(int i) const noexcept { return lo_ + width_ * (i + 0.5); }
  double bin_width() const noexcept { return width_; }
  /// The exact extremes of every value added (not rounded to bins).
  real_range seen() const noexcept { return {static_cast<float>(min_), static_cast<float>(max_)}; }

  /// The fraction of the values outside `r`: the bins wholly outside it,
  /// and the straddling bins' share by linear interpolation over the part
  /// of the bin that holds values (the end bins hold them only up to the
  /// exact extremes seen).
  double fraction_outside(real_range r) const noexcept {
    if (total_ == 0 || (r.min <= min_ && r.max >= max_)) return 0.0;
    double outside = 0;
    for (int i = 0; i < bins(); ++i) {
      const auto n = static_cast<double>(counts_[static_cast<std::size_t>(i)]);
      if (n == 0) continue;
      const double a = std::max(edge(i), min_), b = std::min(edge(i + 1), max_);
      if (b <= a) {  // every value of the bin at one point
        outside += (a < r.min || a > r.max) ? n : 0.0;
        continue;
      }
      const double below = std::clamp((r.min - a) / (b - a), 0.0, 1.0);
      const double above = std::clamp((b - r.max) / (b - a), 0.0, 1.0);
      outside += n * std::min(1.0, below + above);
    }
    return outside / static_cast<double>(total_);
  }

 private:
  static std::size_t checked_bins(int bins) {
    if (bins < 2 || bins % 2 != 0)
      throw std::invalid_argument("qfence::quant::histogram: bins must be even and at least 2, got " +
                                  std::to_string(bins));
    return static_cast<std::size_t>(bins);
  }
  double upper() const noexcept { return lo_ + width_ * static_cast<double>(counts_.size()); }

  void start(double lo, double hi) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
    // The first values' extremes sit in the middle of the end bins, not on
    // an edge: an edge of the first grid is an edge of every doubled grid,
    // but recomputed after doubling it may round to the other side of a
    // value lying on it. All zeros so far: a width so small that any
    // float's range is a few hundred doublings away.
    width_ = std::max((hi - lo) / static_cast<double>(counts_.size() - 1), 1e-30);
    lo_ = lo - width_ / 2;
  }
  // The range doubles upwards: new bin k holds old bins 2k and 2k+1.
  void grow_up() {
    const std::size_t n = counts_.size();
    for (std::size_t k = 0; k < n / 2; ++k) counts_[k] = counts_[2 * k] + counts_[2 * k + 1];
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(n / 2), counts_.end(), 0);
    width_ *= 2;
  }
  // The range doubles downwards: the old range becomes the upper half.
  void grow_down() {
    const std::size_t n = counts_.size();
    for (std::size_t k = n / 2; k-- > 0;) counts_[n / 2 + k] = counts_[2 * k] + counts_[2 * k + 1];
    std::fill(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(n / 2), 0);
    lo_ -= width_ * static_cast<double>(n);
    width_ *= 2;
  }

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0, zeros_ = 0;
  double lo_ = 0, width_ = 1;
  double min_ = 0, max_ = 0;
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
