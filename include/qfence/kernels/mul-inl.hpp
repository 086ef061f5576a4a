// qfence/kernels/mul-inl.hpp: quantized MUL (int8, legacy uint8) with
// Highway, per target (re-included through kernels/dispatch.hpp).
//
// TFLite's arithmetic per element (reference::mul): (a + a_offset) * (b +
// b_offset) in int32 (at most 255^2 each way), MultiplyByQuantizedMultiplier
// with the ratio of scales, the output zero point and the clamp. Here the
// same on vectors of int32 lanes (requantize-inl.hpp), over the broadcast as
// kernels/broadcast_vectors-inl.hpp walks it.
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/broadcast_vectors-inl.hpp"
#include "qfence/kernels/requantize-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_MUL_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_MUL_INL_HPP_
#undef QFENCE_KERNELS_MUL_INL_HPP_
#else
#define QFENCE_KERNELS_MUL_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// Quantized MUL of `a` and `b` into `out`, as reference::mul.
template <class T>
HWY_NOINLINE void MulQuantized(const broadcast_geometry& g, const T* a, std::int32_t a_offset, const T* b,
                               std::int32_t b_offset, quantized_multiplier m, std::int32_t out_offset, int_range act,
                               T* out) {
  const hn::ScalableTag<std::int32_t> d;
  const hn::Rebind<T, decltype(d)> dt;
  const auto lanes = RequantizeLanesOf(d, m);
  const auto offset_a = hn::Set(d, a_offset), offset_b = hn::Set(d, b_offset), offset_out = hn::Set(d, out_offset);
  const auto lo = hn::Set(d, act.min), hi = hn::Set(d, act.max);
  const auto compute = [&](hn::Vec<decltype(d)> x, hn::Vec<decltype(d)> y) QFENCE_INLINE_LAMBDA {
    const auto product = hn::Mul(hn::Add(x, offset_a), hn::Add(y, offset_b));
    const auto v = hn::Add(MultiplyByQuantizedMultiplier(d, product, lanes), offset_out);
    return hn::DemoteTo(dt, hn::Min(hn::Max(v, lo), hi));
  };
  EachBroadcastVector(d, g, a, b, out, compute);
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
