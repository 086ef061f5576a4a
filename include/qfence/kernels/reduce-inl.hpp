// qfence/kernels/reduce-inl.hpp: quantized SUM and MEAN (int8, uint8),
// REDUCE_MAX and REDUCE_MIN (f32, int8, int16) with Highway, per target
// (re-included through kernels/dispatch.hpp).
//
// Both walk the reference's traversal (reduce_rows, core/reduce_geometry.hpp):
// the innermost dimension, kept or reduced, is the vector loop.
// - SUM: int32 sums of the input, then per output MultiplyByQuantizedMultiplier,
//   the zero point and the saturation to T (MEAN folds 1/n into the
//   multiplier first: mean_multiplier). Integer sums in any order are the
//   reference's (int32, wrapping alike), so every target gives its bytes.
//   MobileNetV2's global average (7 x 7 x 1280) was 23 us on the reference.
// - MAX/MIN: lane by lane the reference's own select (`in > current`), so a
//   kept innermost dimension is exact as it stands. A reduced one folds
//   lanes out of order, which only the sign of a float zero can tell (equal
//   values, first one kept): a float row whose extreme is zero is folded
//   again in order.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/reduce_geometry.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/reduce.hpp"
#include "qfence/kernels/requantize-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_REDUCE_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_REDUCE_INL_HPP_
#undef QFENCE_KERNELS_REDUCE_INL_HPP_
#else
#define QFENCE_KERNELS_REDUCE_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// SUM of 1-byte T over g's reduced dimensions, each output (sum - zp * n)
/// times `m`; `scratch` holds g.out_elements int32 sums.
template <class T>
HWY_NOINLINE void SumQuantized(const reduce_geometry& g, const T* in, std::int32_t input_zero_point,
                               quantized_multiplier m, std::int32_t output_zero_point, std::int32_t* scratch,
                               T* out) {
#if HWY_TARGET == HWY_SCALAR
  reference::sum(g, in, input_zero_point, m, output_zero_point, scratch, out);
#else
  const hn::ScalableTag<std::int32_t> d;
  const hn::Rebind<T, decltype(d)> dt;
  const int n = static_cast<int>(hn::Lanes(d));
  const auto widened = [&](const T* from, int valid) QFENCE_INLINE_LAMBDA {
    return hn::PromoteTo(d, LoadFirstLanes(dt, from, valid));
  };
  for (std::int64_t o = 0; o < g.out_elements; ++o) scratch[o] = 0;
  // reference::reduce_sum's traversal, its innermost loop on vectors.
  const reduce_rows rows(g, in, scratch);
  const int inner = rows.inner();
  for (const auto [src, dst] : rows) {
    if (rows.inner_kept()) {  // a row of sums
      for (int i = 0; i < inner; i += n)
        StoreFirstLanes(d, hn::Add(LoadFirstLanes(d, dst + i, inner - i), widened(src + i, inner - i)), inner - i,
                        dst + i);
    } else {  // one sum
      auto acc = hn::Zero(d);
      for (int i = 0; i < inner; i += n) acc = hn::Add(acc, widened(src + i, inner - i));
      *dst = static_cast<std::int32_t>(static_cast<std::uint32_t>(*dst) +
                                       static_cast<std::uint32_t>(hn::GetLane(hn::SumOfLanes(d, acc))));
    }
  }
  // The requantization, as reference::sum.
  const std::int64_t count = g.reduced_elements;
  const auto q = RequantizeLanesOf(d, m);
  const auto offset = hn::Set(d, static_cast<std::int32_t>(static_cast<std::uint32_t>(input_zero_point) *
                                                           static_cast<std::uint32_t>(count)));
  const auto zero_point = hn::Set(d, output_zero_point);
  constexpr std::int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (std::int64_t o = 0; o < g.out_elements; o += n) {
    const int valid = g.out_elements - o < n ? static_cast<int>(g.out_elements - o) : n;
    const auto sums = hn::Sub(LoadFirstLanes(d, scratch + o, valid), offset);
    const auto v = hn::Add(MultiplyByQuantizedMultiplier(d, sums, q), zero_point);
    StoreFirstLanes(dt, NarrowClamped<T>(d, v, lo, hi), valid, out + o);
  }
#endif
}

/// REDUCE_MAX (Max) or REDUCE_MIN of T over g's reduced dimensions.
template <bool Max, class T>
HWY_NOINLINE void ReduceExtreme(const reduce_geometry& g, const T* in, T* out) {
#if HWY_TARGET == HWY_SCALAR
  reference::reduce_extreme<Max>(g, in, out);
#else
  using pick = extreme<Max>;
  const hn::ScalableTag<T> d;
  const int n = static_cast<int>(hn::Lanes(d));
  const T start = pick::template start<T>();
  const auto start_v = hn::Set(d, start);
  // The reference's select on every lane: `in` where it replaces `current`.
  const auto fold = [](auto current, auto v) QFENCE_INLINE_LAMBDA {
    if constexpr (Max) return hn::IfThenElse(hn::Gt(v, current), v, current);
    else return hn::IfThenElse(hn::Lt(v, current), v, current);
  };
  // Lanes past `valid` hold the start value, which never replaces anything.
  const auto load = [&](const T* from, int valid) QFENCE_INLINE_LAMBDA {
    return hn::IfThenElse(hn::FirstN(d, static_cast<std::size_t>(valid)), LoadFirstLanes(d, from, valid), start_v);
  };
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = start;
  HWY_ALIGN T lanes[hn::MaxLanes(d)];
  const reduce_rows rows(g, in, out);
  const int inner = rows.inner();
  for (const auto [src, dst] : rows) {
    if (rows.inner_kept()) {  // a row of outputs, each folded as the reference folds it
      for (int i = 0; i < inner; i += n)
        StoreFirstLanes(d, fold(LoadFirstLanes(d, dst + i, inner - i), load(src + i, inner - i)), inner - i, dst + i);
    } else {  // one output: lanes fold apart, then in lane order
      auto acc = start_v;
      for (int i = 0; i < inner; i += n) acc = fold(acc, load(src + i, inner - i));
      hn::Store(acc, d, lanes);
      T row = start;
      for (int k = 0; k < n; ++k)
        if (pick::replaces(lanes[k], row)) row = lanes[k];
      if constexpr (std::is_floating_point_v<T>) {
        if (row == T(0)) {  // which zero came first: the reference's order
          row = start;
          for (int i = 0; i < inner; ++i)
            if (pick::replaces(src[i], row)) row = src[i];
        }
      }
      if (pick::replaces(row, *dst)) *dst = row;
    }
  }
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
