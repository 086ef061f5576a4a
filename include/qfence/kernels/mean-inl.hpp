// qfence/kernels/mean-inl.hpp: quantized MEAN (int8, uint8) with Highway,
// per target (re-included through kernels/dispatch.hpp).
//
// The reference's two steps on vectors: int32 sums of the input in the
// reference's traversal (reduce_rows, core/reduce_geometry.hpp: the
// innermost dimension, kept or reduced, is the vector loop), then per output
// MultiplyByQuantizedMultiplier with 1/n folded in (mean_multiplier), the
// zero point and the saturation to T. Integer sums in any order are the
// reference's (int32, wrapping alike), so every target gives its bytes.
// MobileNetV2's global average (7 x 7 x 1280) was 23 us on the reference.
#include <cstddef>
#include <cstdint>
#include <limits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/reduce_geometry.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/mean.hpp"
#include "qfence/kernels/requantize-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_MEAN_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_MEAN_INL_HPP_
#undef QFENCE_KERNELS_MEAN_INL_HPP_
#else
#define QFENCE_KERNELS_MEAN_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// MEAN of 1-byte T over g's reduced dimensions; `scratch` holds
/// g.out_elements int32 sums.
template <class T>
HWY_NOINLINE void MeanQuantized(const reduce_geometry& g, const T* in, std::int32_t input_zero_point,
                                quantized_multiplier m, std::int32_t output_zero_point, std::int32_t* scratch,
                                T* out) {
#if HWY_TARGET == HWY_SCALAR
  reference::mean(g, in, input_zero_point, m, output_zero_point, scratch, out);
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
  // The requantization, as reference::mean.
  const std::int64_t count = g.reduced_elements;
  const auto q = RequantizeLanesOf(d, mean_multiplier(m, count));
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

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
