// qfence/kernels/add-inl.hpp: quantized ADD and SUB (int8, legacy uint8,
// int16) with Highway, per target (re-included through kernels/dispatch.hpp).
//
// TFLite's arithmetic per element (reference::add_one): both inputs get their
// offsets, a left shift (20 for 8-bit, 15 for int16), their own fixed-point
// multiplier; the sum (or difference) gets the output multiplier, the output
// zero point and the clamp. Here the same steps on vectors of int32 lanes,
// over the broadcast as kernels/broadcast_vectors-inl.hpp walks it.
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/broadcast_vectors-inl.hpp"
#include "qfence/kernels/reference/elementwise.hpp"
#include "qfence/kernels/requantize-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_ADD_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_ADD_INL_HPP_
#undef QFENCE_KERNELS_ADD_INL_HPP_
#else
#define QFENCE_KERNELS_ADD_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace add_detail {

/// A fixed-point multiplier as the lanes of MultiplyByQuantizedMultiplier.
template <class D>
struct lane_multiplier {
  RequantizeLanes<hn::Vec<D>> lanes;
  HWY_INLINE lane_multiplier(D d, quantized_multiplier m) : lanes(RequantizeLanesOf(d, m)) {}
  HWY_INLINE hn::Vec<D> operator()(D d, hn::Vec<D> x) const { return MultiplyByQuantizedMultiplier(d, x, lanes); }
};

}  // namespace add_detail

/// Quantized ADD (Subtract = false) or SUB of `a` and `b` into `out`.
template <bool Subtract, class T>
HWY_NOINLINE void AddQuantized(const broadcast_geometry& g, const T* a, const T* b, const add_params& p, int_range act,
                               T* out) {
  const hn::ScalableTag<std::int32_t> d;
  const hn::Rebind<T, decltype(d)> dt;
  const add_detail::lane_multiplier<decltype(d)> m1(d, p.input1), m2(d, p.input2), mo(d, p.output);
  const auto offset1 = hn::Set(d, p.input1_offset), offset2 = hn::Set(d, p.input2_offset);
  const auto out_offset = hn::Set(d, p.output_offset);
  const auto lo = hn::Set(d, act.min), hi = hn::Set(d, act.max);
  const int shift = p.left_shift;
  const auto compute = [&](hn::Vec<decltype(d)> x, hn::Vec<decltype(d)> y) QFENCE_INLINE_LAMBDA {
    const auto s1 = m1(d, hn::ShiftLeftSame(hn::Add(x, offset1), shift));
    const auto s2 = m2(d, hn::ShiftLeftSame(hn::Add(y, offset2), shift));
    const auto raw = Subtract ? hn::Sub(s1, s2) : hn::Add(s1, s2);
    return hn::DemoteTo(dt, hn::Min(hn::Max(hn::Add(mo(d, raw), out_offset), lo), hi));
  };
  EachBroadcastVector(d, g, a, b, out, compute);
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
