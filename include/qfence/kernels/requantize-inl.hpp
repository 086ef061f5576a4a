// qfence/kernels/requantize-inl.hpp: TFLite's MultiplyByQuantizedMultiplier
// on vectors of int32 accumulators, per channel, bit for bit (re-included per
// target through kernels/dispatch.hpp).
//
// The reference (core/fixed_point.hpp) computes, per lane,
//   RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << left, m), right)
// Here:
//   - x << left as x * (1 << left): the same wrap (kernels/packed_conv.hpp
//     stores 1 << left);
//   - SaturatingRoundingDoublingHighMul(a, m) = (a * m + 2^30) >> 31 with a
//     floor shift: gemmlowp's nudge (2^30 for a positive product, 1 - 2^30 for
//     a negative one) followed by a division truncating toward zero gives the
//     same value for every product (for a negative product p, trunc((p + 1 -
//     2^30) / 2^31) = floor((p + 2^30) / 2^31)). The saturating case
//     a = m = INT32_MIN cannot occur: multipliers are non-negative. The 64-bit
//     products come from MulEven on the even lanes and on the odd lanes
//     swapped down; only bits 31..62 are kept, so a logical shift serves;
//   - RoundingDivideByPOT with per-lane exponent and mask, as the reference.
#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_REQUANTIZE_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_REQUANTIZE_INL_HPP_
#undef QFENCE_KERNELS_REQUANTIZE_INL_HPP_
#else
#define QFENCE_KERNELS_REQUANTIZE_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET != HWY_SCALAR
/// gemmlowp SaturatingRoundingDoublingHighMul for non-negative multipliers.
template <class D>
HWY_INLINE hn::Vec<D> DoublingHighMul(D d, hn::Vec<D> a, hn::Vec<D> m) {
  const hn::Repartition<std::int64_t, D> d64;
  const hn::Repartition<std::uint64_t, D> du64;
  const auto nudge = hn::Set(d64, std::int64_t{1} << 30);
  const auto even = hn::Add(hn::MulEven(a, m), nudge);
  const auto odd = hn::Add(hn::MulEven(hn::Shuffle2301(a), hn::Shuffle2301(m)), nudge);
  const auto even_high = hn::ShiftRight<31>(hn::BitCast(du64, even));
  const auto odd_high = hn::ShiftLeft<32>(hn::ShiftRight<31>(hn::BitCast(du64, odd)));
  return hn::OddEven(hn::BitCast(d, odd_high), hn::BitCast(d, even_high));
}

/// gemmlowp RoundingDivideByPOT with a per-lane exponent and its mask.
template <class D>
HWY_INLINE hn::Vec<D> RoundingShiftRight(D d, hn::Vec<D> x, hn::Vec<D> exponent, hn::Vec<D> mask) {
  const auto remainder = hn::And(x, mask);
  // (mask >> 1) + (x < 0 ? 1 : 0); x >> 31 is -1 for negative x.
  const auto threshold = hn::Sub(hn::ShiftRight<1>(mask), hn::ShiftRight<31>(x));
  return hn::Sub(x >> exponent, hn::VecFromMask(d, hn::Gt(remainder, threshold)));
}
#endif

/// TFLite MultiplyByQuantizedMultiplier per lane, with the constants as
/// kernels/packed_conv.hpp stores them.
template <class D>
HWY_INLINE hn::Vec<D> MultiplyByQuantizedMultiplier(D d, hn::Vec<D> x, hn::Vec<D> multiplier, hn::Vec<D> left,
                                                    hn::Vec<D> right, hn::Vec<D> mask) {
#if HWY_TARGET == HWY_SCALAR
  // One lane and no MulEven: the reference's arithmetic itself.
  (void)mask;
  const auto shifted = static_cast<std::int32_t>(static_cast<std::uint32_t>(hn::GetLane(x)) *
                                                 static_cast<std::uint32_t>(hn::GetLane(left)));
  return hn::Set(d, rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, hn::GetLane(multiplier)),
                                           hn::GetLane(right)));
#else
  return RoundingShiftRight(d, DoublingHighMul(d, hn::Mul(x, left), multiplier), right, mask);
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
