// qfence/quant/observer.hpp: what calibration keeps of one tensor while the
// representative dataset streams through the float model.
//
// An observer's memory is fixed when it is made (a histogram of `bins`
// counts, a sum per channel and a few scalars), whatever the number of
// samples: calibration
// over a million samples needs what it needs over ten. It sees each value
// once, in order, and can give its range at any point (calibration takes
// a snapshot half way and before a held-back slice, to tell whether the
// data was enough: quant/calibration.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/histogram.hpp"
#include "qfence/quant/range_search.hpp"
#include "qfence/quant/real_range.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// How a tensor's range is chosen from what its observer saw.
enum class calibrator {
  minmax,          ///< every value seen: TFLite's converter does this
  moving_average,  ///< per-sample min and max, averaged (outlier samples count less)
  percentile,      ///< from the (100 - p)-th to the p-th percentile
  mse,             ///< the range of least expected squared quantization error
  entropy,         ///< the range of least KL divergence after quantization
};

inline constexpr std::string_view calibrator_name(calibrator c) noexcept {
  switch (c) {
    case calibrator::minmax: return "minmax";
    case calibrator::moving_average: return "moving_average";
    case calibrator::percentile: return "percentile";
    case calibrator::mse: return "mse";
    case calibrator::entropy: return "entropy";
  }
  return "?";
}

inline constexpr calibrator all_calibrators[] = {calibrator::minmax, calibrator::moving_average, calibrator::percentile,
                                                 calibrator::mse, calibrator::entropy};

inline std::optional<calibrator> calibrator_named(std::string_view name) noexcept {
  for (const calibrator c : all_calibrators)
    if (calibrator_name(c) == name) return c;
  return std::nullopt;
}

struct observer_options {
  calibrator method = calibrator::minmax;
  int bins = 2048;             ///< histogram bins (even)
  double percentile = 99.99;   ///< calibrator::percentile
  double momentum = 0.01;      ///< calibrator::moving_average: weight of each new sample
  int levels = 256;            ///< quantization steps the range is chosen for (256: int8)
};

/// Where a non-finite value was first seen: the observe() call (the sample,
/// for calibration) and the element index in it.
struct non_finite_value {
  std::uint64_t call = 0;
  std::uint64_t index = 0;
  float value = 0;
};

class tensor_observer {
 public:
  /// `channels`: the length of the tensor's last axis, whose means bias
  /// correction needs (channel_means).
  explicit tensor_observer(observer_options options = {}, std::size_t channels = 1)
      : options_(options), histogram_(options.bins), channel_sums_(std::max<std::size_t>(channels, 1), 0.0) {}

  /// One sample's values. NaN and infinities are never used: they are
  /// counted and the first is kept, for the caller to report.
  void observe(std::span<const float> values) {
    const std::uint64_t call = calls_++;
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]) && non_finite_count_ + bad++ == 0) first_non_finite_ = {call, i, values[i]};
    // Each channel's sum, over the finite values (rows count whole).
    for (std::size_t e = 0; e < values.size(); ++e)
      if (std::isfinite(values[e])) channel_sums_[e % channel_sums_.size()] += values[e];
    channel_rows_ += values.size() / channel_sums_.size();
    if (bad == 0) {
      add_finite(values);
    } else {  // rare: only the finite values, one at a time
      non_finite_count_ += bad;
      for (const float& v : values)
        if (std::isfinite(v)) add_finite(std::span<const float>(&v, 1));
    }
    end_sample();
  }

  /// The range the calibrator chooses from everything observed so far.
  real_range range() const { return range(options_.method); }

  /// The range another calibrator would choose from the same observations
  /// (every observer keeps what all of them need): `qfence quantize
  /// --calibrator auto` compares them without running the data again.
  real_range range(calibrator method) const {
    if (histogram_.total() == 0) return {};
    switch (method) {
      case calibrator::minmax: return histogram_.seen().with_zero();
      case calibrator::moving_average: return average_.with_zero();
      case calibrator::percentile: return percentile_range(histogram_, options_.percentile);
      case calibrator::mse: return mse_range(histogram_, options_.levels);
      case calibrator::entropy: return entropy_range(histogram_, options_.levels);
    }
    return {};
  }

  /// The mean of each channel (the last axis) over every sample: what a
  /// layer reading this tensor needs to cancel the shift its rounded
  /// weights add (quant/bias_correction.hpp).
  std::vector<double> channel_means() const {
    std::vector<double> means;
    for (const double sum : channel_sums_)
      means.push_back(channel_rows_ > 0 ? sum / static_cast<double>(channel_rows_) : 0.0);
    return means;
  }

  /// Every finite value seen, exactly.
  real_range seen() const noexcept { return histogram_.seen(); }
  /// The fraction of the observed values that `r` clips.
  double fraction_outside(real_range r) const noexcept { return histogram_.fraction_outside(r); }
  std::uint64_t values() const noexcept { return histogram_.total(); }
  std::uint64_t calls() const noexcept { return calls_; }
  std::uint64_t non_finite_count() const noexcept { return non_finite_count_; }
  std::optional<non_finite_value> first_non_finite() const {
    if (non_finite_count_ == 0) return std::nullopt;
    return first_non_finite_;
  }
  const observer_options& options() const noexcept { return options_; }
  const histogram& counts() const noexcept { return histogram_; }

 private:
  void add_finite(std::span<const float> values) {
    if (values.empty()) return;
    histogram_.add(values);
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    sample_.min = sample_started_ ? std::min(sample_.min, *lo) : *lo;
    sample_.max = sample_started_ ? std::max(sample_.max, *hi) : *hi;
    sample_started_ = true;
  }
  // The moving average takes each sample's extremes (TFLite's and PyTorch's
  // MovingAverageMinMax): the first sets them, later ones move them by
  // `momentum`.
  void end_sample() {
    if (!sample_started_) return;
    if (averaged_samples_++ == 0) {
      average_ = sample_;
    } else {
      const auto m = static_cast<float>(options_.momentum);
      average_.min += m * (sample_.min - average_.min);
      average_.max += m * (sample_.max - average_.max);
    }
    sample_started_ = false;
  }

  observer_options options_;
  histogram histogram_;
  real_range average_{}, sample_{};
  std::vector<double> channel_sums_;
  std::uint64_t channel_rows_ = 0;
  bool sample_started_ = false;
  std::uint64_t averaged_samples_ = 0;
  std::uint64_t calls_ = 0;
  std::uint64_t non_finite_count_ = 0;
  non_finite_value first_non_finite_{};
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
