// qfence/kernels/add-inl.hpp: quantized ADD and SUB (int8, legacy uint8,
// int16) with Highway, per target (re-included through kernels/dispatch.hpp).
//
// TFLite's arithmetic per element (reference::add_one): both inputs get their
// offsets, a left shift (20 for 8-bit, 15 for int16), their own fixed-point
// multiplier; the sum (or difference) gets the output multiplier, the output
// zero point and the clamp. Here the same steps on vectors of int32 lanes,
// over the broadcast as kernels/broadcast_vectors-inl.hpp walks it; an 8-bit
// input's shift and multiplier as one exact 32-bit step (input_scale_20).
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/add_screen.hpp"
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

/// A fixed-point multiplier as the lanes of MultiplyByQuantizedMultiplier
/// (without LeftShift: for a multiplier whose shift is not positive).
template <class D, bool LeftShift = true>
struct lane_multiplier {
  RequantizeLanes<hn::Vec<D>> lanes;
  HWY_INLINE lane_multiplier(D d, quantized_multiplier m) : lanes(RequantizeLanesOf(d, m)) {}
  HWY_INLINE hn::Vec<D> operator()(D d, hn::Vec<D> x) const {
    return MultiplyByQuantizedMultiplier<LeftShift>(d, x, lanes);
  }
};

/// An input's scaling as TFLite writes it: the offset input shifted left,
/// then its multiplier.
template <class D>
struct lane_input_scale {
  lane_multiplier<D> multiplier;
  int left_shift;
  HWY_INLINE lane_input_scale(D d, quantized_multiplier m, int shift) : multiplier(d, m), left_shift(shift) {}
  HWY_INLINE hn::Vec<D> operator()(D d, hn::Vec<D> v) const { return multiplier(d, hn::ShiftLeftSame(v, left_shift)); }
};

/// An 8-bit input's scaling, MultiplyByQuantizedMultiplier(v << 20, m), in
/// 32-bit lanes (core/fixed_point.hpp, input_scale_20, says why it is the
/// same number): 10 instructions where the general form takes 14 on AVX-512.
template <class D>
struct lane_input_scale_20 {
  hn::Vec<D> high, low, sign, half;
  int right;
  HWY_INLINE lane_input_scale_20(D d, quantized_multiplier m) {
    const input_scale_20 s = make_input_scale_20(m);
    high = hn::Set(d, s.high);
    low = hn::Set(d, s.low);
    sign = hn::Set(d, s.sign);
    half = hn::Set(d, s.half);
    right = s.right;
  }
  HWY_INLINE hn::Vec<D> operator()(D d, hn::Vec<D> v) const {
    // 2^10 - sign [v < 0] (sign: 2^11, or 0 for a right shift of 0).
    const auto round = hn::Sub(hn::Set(d, 1 << 10), hn::And(hn::BroadcastSignBit(v), sign));
    const auto below = hn::ShiftRight<11>(hn::Add(hn::Mul(v, low), round));
    return hn::ShiftRightSame(hn::Add(hn::Add(hn::Mul(v, high), below), half), right);
  }
};

}  // namespace add_detail

/// Quantized ADD (Subtract = false) or SUB of `a` and `b` into `out`.
template <bool Subtract, class T>
HWY_NOINLINE void AddQuantized(const broadcast_geometry& g, const T* a, const T* b, const add_params& p, int_range act,
                               T* out) {
  const hn::ScalableTag<std::int32_t> d;
  const hn::Rebind<T, decltype(d)> dt;
  const auto offset1 = hn::Set(d, p.input1_offset), offset2 = hn::Set(d, p.input2_offset);
  const auto out_offset = hn::Set(d, p.output_offset);
  const auto lo = hn::Set(d, act.min), hi = hn::Set(d, act.max);
  // TFLite's steps: the offset inputs scaled by s1 and s2 (lane_input_scale,
  // or lane_input_scale_20), their sum or difference by mo.
  const auto exact = [&](const auto& s1, const auto& s2, const auto& mo, hn::Vec<decltype(d)> x,
                         hn::Vec<decltype(d)> y) QFENCE_INLINE_LAMBDA {
    const auto x1 = s1(d, hn::Add(x, offset1)), y1 = s2(d, hn::Add(y, offset2));
    const auto raw = Subtract ? hn::Sub(x1, y1) : hn::Add(x1, y1);
    return hn::DemoteTo(dt, hn::Min(hn::Max(hn::Add(mo(d, raw), out_offset), lo), hi));
  };
  const auto run = [&](const auto& s1, const auto& s2, const auto& mo) {
    EachBroadcastVector(d, g, a, b, out, [&](hn::Vec<decltype(d)> x, hn::Vec<decltype(d)> y) QFENCE_INLINE_LAMBDA {
      return exact(s1, s2, mo, x, y);
    });
  };
  if constexpr (sizeof(T) == 1) {
    // The common 8-bit case: exact 32-bit input scalings, and an output
    // multiplier below one (no left shift).
    if (add_scales_in_32_bits(p)) {
      const add_detail::lane_input_scale_20<decltype(d)> s1(d, p.input1), s2(d, p.input2);
      const add_detail::lane_multiplier<decltype(d), false> mo(d, p.output);
#if QFENCE_SINGLE_ROUNDING
      // AVX-512: the float screen (kernels/add_screen.hpp), TFLite's steps
      // for the vectors it refuses.
      const add_screen screen = add_screen_of(p, Subtract);
      if (screen.usable) {
        const hn::Rebind<float, decltype(d)> df;
        const auto a1 = hn::Set(df, screen.input1), a2 = hn::Set(df, screen.input2);
        const auto negative_below = hn::Set(df, screen.negative_below);
        const auto low_positive = hn::Set(df, screen.low_positive), high_positive = hn::Set(df, screen.high_positive);
        const auto low_negative = hn::Set(df, screen.low_negative), high_negative = hn::Set(df, screen.high_negative);
        EachBroadcastVector(d, g, a, b, out, [&](hn::Vec<decltype(d)> x, hn::Vec<decltype(d)> y) QFENCE_INLINE_LAMBDA {
          const auto sum = hn::MulAdd(hn::ConvertTo(df, x), a1, hn::Mul(hn::ConvertTo(df, y), a2));
          const auto negative = hn::Lt(sum, negative_below);
          const auto low = FloorToInt(d, hn::Add(sum, hn::IfThenElse(negative, low_negative, low_positive)));
          const auto high = FloorToInt(d, hn::Add(sum, hn::IfThenElse(negative, high_negative, high_positive)));
          if (HWY_UNLIKELY(!hn::AllTrue(d, hn::Eq(low, high)))) return exact(s1, s2, mo, x, y);
          return hn::DemoteTo(dt, hn::Min(hn::Max(low, lo), hi));
        });
        return;
      }
#endif
      run(s1, s2, mo);
      return;
    }
  }
  run(add_detail::lane_input_scale<decltype(d)>(d, p.input1, p.left_shift),
      add_detail::lane_input_scale<decltype(d)>(d, p.input2, p.left_shift),
      add_detail::lane_multiplier<decltype(d)>(d, p.output));
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
