// qfence/kernels/svdf-inl.hpp: int8 SVDF (int16 or int8 state) with
// Highway, per target (re-included through kernels/dispatch.hpp).
//
// The reference's steps (kernels/reference/svdf.hpp), each on vectors:
//   1. the state moves one step to the left (a memmove);
//   2. each filter's dot product of its feature weights with the input minus
//      its zero point: the input widened to int16 once per chunk, every
//      filter's row widened as it is read, pairs of products summed into
//      int32 lanes (DotPairs: vpdpwssd on AVX3_DL, vpmaddwd elsewhere on x86)
//      and the lanes summed; then a vector of
//      filters at a time requantized, clamped to the state's type and written
//      to each filter's newest step;
//   3. each filter's time weights against its state minus the state's zero
//      point, as sum(t * s) - sum(t * zero point) (both exact in int32: the
//      difference does not fit int16);
//   4. rank filters summed per unit with the bias (scalar: a few adds per
//      unit), then requantized to int8 a vector of units at a time.
// Integer sums in any order give the reference's int32 values (wrapping
// alike), and the requantization is the reference's
// MultiplyByQuantizedMultiplier (requantize-inl.hpp), so every target gives
// the reference's bytes. The SCALAR target runs the reference itself.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/dot_product-inl.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/svdf.hpp"
#include "qfence/kernels/requantize-inl.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_SVDF_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_SVDF_INL_HPP_
#undef QFENCE_KERNELS_SVDF_INL_HPP_
#else
#define QFENCE_KERNELS_SVDF_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace svdf_detail {

/// Inputs widened per pass over the filters (a stack buffer of int16).
inline constexpr int kInputChunk = 1024;

#if HWY_TARGET != HWY_SCALAR
/// The sum of the lanes of an int32 accumulator.
template <class D32>
HWY_INLINE std::int32_t LaneSum(D32 d32, hn::Vec<D32> a) {
  return hn::GetLane(hn::SumOfLanes(d32, a));
}
#endif

}  // namespace svdf_detail

/// int8 SVDF with an int16 or int8 state (see the file comment).
template <class State>
HWY_NOINLINE void SvdfQuantized(const svdf_geometry& g, const svdf_params& p, const svdf_args<State>& a) {
#if HWY_TARGET == HWY_SCALAR
  reference::svdf(g, p, a.input, a.weights_feature, a.weights_time, a.bias, a.state, a.scratch, a.output);
#else
  using namespace svdf_detail;
  const int units = g.units();
  const std::size_t filters = static_cast<std::size_t>(g.filters), memory = static_cast<std::size_t>(g.memory),
                    input_size = static_cast<std::size_t>(g.input_size);
  const std::size_t state_size = static_cast<std::size_t>(g.batches) * filters * memory;
  if (state_size > 1) std::copy(a.state + 1, a.state + state_size, a.state);

  const hn::ScalableTag<std::int16_t> d16;
  const hn::Repartition<std::int32_t, decltype(d16)> d32;
  const int n16 = static_cast<int>(hn::Lanes(d16)), n32 = static_cast<int>(hn::Lanes(d32));
  std::int32_t* per_filter = a.scratch;                                                // [batches, filters]
  std::int32_t* per_unit = a.scratch + static_cast<std::size_t>(g.batches) * filters;  // [batches, units]

  // 2. Feature projection into each filter's newest state step.
  constexpr std::int32_t state_min = std::numeric_limits<State>::min(), state_max = std::numeric_limits<State>::max();
  alignas(HWY_MAX_BYTES) std::int16_t x16[kInputChunk];
  const auto input_zero_point = hn::Set(d16, static_cast<std::int16_t>(p.input_zero_point));
  const auto to_state = RequantizeLanesOf(d32, p.feature_to_state);
  const auto state_zero_point = hn::Set(d32, p.state_zero_point);
  for (int b = 0; b < g.batches; ++b) {
    const std::int8_t* x = a.input + static_cast<std::size_t>(b) * input_size;
    std::int32_t* dots = per_filter + static_cast<std::size_t>(b) * filters;
    for (std::size_t c0 = 0; c0 < input_size; c0 += kInputChunk) {
      const int length = static_cast<int>(std::min<std::size_t>(kInputChunk, input_size - c0));
      // x - zero point fits int16; lanes past the input meet weights of 0.
      for (int c = 0; c < length; c += n16)
        hn::Store(hn::Sub(LoadFirstLanesWidened(d16, x + c0 + static_cast<std::size_t>(c), length - c), input_zero_point), d16,
                  x16 + c);
      for (std::size_t f = 0; f < filters; ++f) {
        const std::int8_t* w = a.weights_feature + f * input_size + c0;
        auto acc = hn::Zero(d32);
        for (int c = 0; c < length; c += n16)
          acc = DotPairs(d32, acc, LoadFirstLanesWidened(d16, w + c, length - c), hn::Load(d16, x16 + c));
        const std::int32_t dot = LaneSum(d32, acc);
        dots[f] = c0 == 0 ? dot : static_cast<std::int32_t>(static_cast<std::uint32_t>(dots[f]) +
                                                           static_cast<std::uint32_t>(dot));
      }
    }
    State* newest = a.state + static_cast<std::size_t>(b) * filters * memory + (memory - 1);
    for (std::size_t f = 0; f < filters; f += static_cast<std::size_t>(n32)) {
      const int valid = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n32), filters - f));
      const auto v = hn::Add(MultiplyByQuantizedMultiplier(d32, LoadFirstLanes(d32, dots + f, valid), to_state),
                             state_zero_point);
      alignas(HWY_MAX_BYTES) std::int32_t lanes[HWY_MAX_BYTES / 4];
      hn::Store(hn::Min(hn::Max(v, hn::Set(d32, state_min)), hn::Set(d32, state_max)), d32, lanes);
      for (int j = 0; j < valid; ++j) newest[(f + static_cast<std::size_t>(j)) * memory] = static_cast<State>(lanes[j]);
    }
  }

  // 3. Time weights against the state, per filter: 128-bit vectors, as the
  // state of a filter is short (8 steps in keyword spotters).
  const hn::CappedTag<std::int16_t, 8> t16;
  const hn::Repartition<std::int32_t, decltype(t16)> t32;
  const int nt = static_cast<int>(hn::Lanes(t16));
  const auto time_zero_point = hn::Set(t16, static_cast<std::int16_t>(p.state_zero_point));
  for (int b = 0; b < g.batches; ++b)
    for (std::size_t f = 0; f < filters; ++f) {
      const State* t = a.weights_time + f * memory;
      const State* s = a.state + (static_cast<std::size_t>(b) * filters + f) * memory;
      auto ts = hn::Zero(t32), tz = hn::Zero(t32);
      for (int m = 0; m < g.memory; m += nt) {
        const auto tv = LoadFirstLanesWidened(t16, t + m, g.memory - m);
        ts = DotPairs(t32, ts, tv, LoadFirstLanesWidened(t16, s + m, g.memory - m));
        tz = DotPairs(t32, tz, tv, time_zero_point);
      }
      per_filter[static_cast<std::size_t>(b) * filters + f] = static_cast<std::int32_t>(
          static_cast<std::uint32_t>(LaneSum(t32, ts)) - static_cast<std::uint32_t>(LaneSum(t32, tz)));
    }

  // 4. Units: rank filters each, the bias, the output.
  for (int b = 0; b < g.batches; ++b)
    for (int u = 0; u < units; ++u) {
      std::uint32_t acc = a.bias != nullptr ? static_cast<std::uint32_t>(a.bias[u]) : 0u;
      const std::int32_t* sums = per_filter + static_cast<std::size_t>(b) * filters + static_cast<std::size_t>(u * g.rank);
      for (int r = 0; r < g.rank; ++r) acc += static_cast<std::uint32_t>(sums[r]);
      per_unit[b * units + u] = static_cast<std::int32_t>(acc);
    }
  const auto to_output = RequantizeLanesOf(d32, p.state_to_output);
  const auto output_zero_point = hn::Set(d32, p.output_zero_point);
  const int outputs = g.batches * units;
  for (int i = 0; i < outputs; i += n32)
    StoreRequantized(d32, LoadFirstLanes(d32, per_unit + i, outputs - i), to_output, output_zero_point,
                     int_range{-128, 127}, outputs - i, a.output + i);
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
