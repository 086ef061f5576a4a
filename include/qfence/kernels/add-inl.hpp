// qfence/kernels/add-inl.hpp: quantized ADD and SUB (int8, legacy uint8,
// int16) with Highway, per target (re-included through kernels/dispatch.hpp).
//
// TFLite's arithmetic per element (reference::add_one): both inputs get their
// offsets, a left shift (20 for 8-bit, 15 for int16), their own fixed-point
// multiplier; the sum (or difference) gets the output multiplier, the output
// zero point and the clamp. Here the same steps on vectors of int32 lanes,
// over the runs of the output's last dimension (core/broadcast.hpp), an input
// broadcast along it read as one value.
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
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
  const std::int64_t n = static_cast<std::int64_t>(hn::Lanes(d));
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
  qfence::for_each_broadcast_run(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib, std::int64_t length,
                                std::int64_t step_a, std::int64_t step_b) HWY_ATTR {  // called by for_each_broadcast_run, which has no target
    const auto one_a = hn::Set(d, static_cast<std::int32_t>(a[ia])), one_b = hn::Set(d, static_cast<std::int32_t>(b[ib]));
    std::int64_t i = 0;
    for (; i + n <= length; i += n) {
      const auto x = step_a != 0 ? hn::PromoteTo(d, hn::LoadU(dt, a + ia + i)) : one_a;
      const auto y = step_b != 0 ? hn::PromoteTo(d, hn::LoadU(dt, b + ib + i)) : one_b;
      hn::StoreU(compute(x, y), dt, out + o + i);
    }
    if (i < length) {
      const int rest = static_cast<int>(length - i);
      const auto x = step_a != 0 ? hn::PromoteTo(d, LoadFirstLanes(dt, a + ia + i, rest)) : one_a;
      const auto y = step_b != 0 ? hn::PromoteTo(d, LoadFirstLanes(dt, b + ib + i, rest)) : one_b;
      StoreFirstLanes(dt, compute(x, y), rest, out + o + i);
    }
  });
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
