// qfence/kernels/pool-inl.hpp: AVERAGE_POOL_2D and MAX_POOL_2D of int8,
// uint8 and float with Highway, per target (re-included through
// kernels/dispatch.hpp).
//
// Channels run along the lanes, as in the reference's innermost loop; each
// output pixel visits the taps of its window that lie inside the input
// (padding taps are skipped, as the reference skips them), in the
// reference's order.
//   - Max: the values themselves (64 bytes or 16 floats on AVX-512), the
//     maximum from the type's lowest value, then the activation's clamp;
//     for floats both as the reference compares (a NaN tap is skipped).
//   - Float average: the taps summed in the reference's order, divided by
//     their count, clamped: the reference's float operations per lane.
//   - Average: int32 sums (16 channels), then TFLite's rounding division
//     (acc +- count / 2) / count, truncated toward zero. Vectors have no
//     integer division; the float quotient of two integers below 2^24,
//     truncated, is the integer quotient whenever the divisor is below 2^16
//     (the float's rounding error, at most q * 2^-24 <= 2^-16 for the
//     quotients an 8-bit average can have (|q| <= 256), is smaller than the
//     distance 1 / count from any non-integer quotient to an integer), so
//     that is the division here; kernels::average_pool2d sends windows of
//     2^16 taps or more (and every other type) to the reference.
#include <cstddef>
#include <cstdint>
#include <limits>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arithmetic-inl.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_POOL_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_POOL_INL_HPP_
#undef QFENCE_KERNELS_POOL_INL_HPP_
#else
#define QFENCE_KERNELS_POOL_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// MAX_POOL_2D of int8, uint8 (Range: int_range) or float (float_range).
template <class T, class Range>
HWY_NOINLINE void MaxPool(const window_geometry& g, const T* in, Range act, T* out) {
  namespace ad = arithmetic_detail;
  const hn::ScalableTag<T> d;
  const int n = static_cast<int>(hn::Lanes(d)), channels = g.in_c;
  const std::size_t row = static_cast<std::size_t>(g.in_w) * static_cast<std::size_t>(channels);
  const auto lowest = hn::Set(d, std::numeric_limits<T>::lowest());
  const auto lo = hn::Set(d, static_cast<T>(act.min)), hi = hn::Set(d, static_cast<T>(act.max));
  for (const clipped_window& w : clipped_windows(g)) {
    for (int c = 0; c < channels; c += n) {
      const int valid = channels - c;
      auto best = lowest;
      for (int fy = 0; fy < w.rows; ++fy)
        for (int fx = 0; fx < w.cols; ++fx)  // std::max(best, tap): the tap when it is greater
          best = ad::ReferenceMax(LoadFirstLanes(d, in + w.first + static_cast<std::size_t>(fy) * row +
                                                        static_cast<std::size_t>(fx * channels + c), valid),
                                  best);
      StoreFirstLanes(d, ad::ClampAsReference(best, lo, hi), valid, out + w.out + static_cast<std::size_t>(c));
    }
  }
}

/// AVERAGE_POOL_2D of float.
HWY_NOINLINE inline void AveragePoolFloat(const window_geometry& g, const float* in, float_range act, float* out) {
  const hn::ScalableTag<float> d;
  const int n = static_cast<int>(hn::Lanes(d)), channels = g.in_c;
  const std::size_t row = static_cast<std::size_t>(g.in_w) * static_cast<std::size_t>(channels);
  const auto lo = hn::Set(d, act.min), hi = hn::Set(d, act.max);
  for (const clipped_window& w : clipped_windows(g)) {
    const auto count = hn::Set(d, static_cast<float>(w.rows * w.cols));
    for (int c = 0; c < channels; c += n) {
      const int valid = channels - c;
      auto total = hn::Zero(d);
      for (int fy = 0; fy < w.rows; ++fy)
        for (int fx = 0; fx < w.cols; ++fx)
          total = hn::Add(total, LoadFirstLanes(d, in + w.first + static_cast<std::size_t>(fy) * row +
                                                       static_cast<std::size_t>(fx * channels + c), valid));
      StoreFirstLanes(d, arithmetic_detail::ClampAsReference(hn::Div(total, count), lo, hi), valid,
                      out + w.out + static_cast<std::size_t>(c));
    }
  }
}

/// AVERAGE_POOL_2D of int8 or uint8 (windows below 2^16 taps: see the file
/// comment).
template <class T>
HWY_NOINLINE void AveragePoolQuantized(const window_geometry& g, const T* in, int_range act, T* out) {
  const hn::ScalableTag<std::int32_t> d;
  const hn::Rebind<T, decltype(d)> dt;
  const hn::Rebind<float, decltype(d)> df;
  const int n = static_cast<int>(hn::Lanes(d)), channels = g.in_c;
  const std::size_t row = static_cast<std::size_t>(g.in_w) * static_cast<std::size_t>(channels);
  const auto lo = hn::Set(d, act.min), hi = hn::Set(d, act.max);
  for (const clipped_window& w : clipped_windows(g)) {
    const int count = w.rows * w.cols;
    const auto half = hn::Set(d, count / 2);
    const auto divisor = hn::Set(df, static_cast<float>(count));
    for (int c = 0; c < channels; c += n) {
      const int valid = channels - c;
      auto acc = hn::Zero(d);
      for (int fy = 0; fy < w.rows; ++fy)
        for (int fx = 0; fx < w.cols; ++fx)
          acc = hn::Add(acc, hn::PromoteTo(d, LoadFirstLanes(dt, in + w.first + static_cast<std::size_t>(fy) * row +
                                                                      static_cast<std::size_t>(fx * channels + c),
                                                             valid)));
      // acc > 0 ? acc + count / 2 : acc - count / 2, then / count toward 0.
      const auto rounded = hn::IfThenElse(hn::Gt(acc, hn::Zero(d)), hn::Add(acc, half), hn::Sub(acc, half));
      const auto quotient = hn::ConvertTo(d, hn::Div(hn::ConvertTo(df, rounded), divisor));
      const auto v = hn::Min(hn::Max(quotient, lo), hi);
      StoreFirstLanes(dt, hn::DemoteTo(dt, v), valid, out + w.out + static_cast<std::size_t>(c));
    }
  }
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
