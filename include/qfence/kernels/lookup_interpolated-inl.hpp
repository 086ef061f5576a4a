// qfence/kernels/lookup_interpolated-inl.hpp: an int16 elementwise op as
// TFLite's interpolated table (LUTLookup: kernels/reference/lookup_table.hpp,
// lookup_interpolated), per target (re-included through
// kernels/dispatch.hpp).
//
// Each element reads two neighbouring entries of the 513-entry table: the
// segment's base and the next one, whose difference (wrapped to int16, as
// TFLite computes it) is the slope. Vectors have no 16-bit gather, so the
// caller packs each segment's base and slope into one 32-bit word (512 of
// them, kernels::look_up) and a lane gathers its word: base = the low half
// sign-extended, slope = the high half. Then, in 32-bit lanes, the
// reference's integers: base + ((slope * offset + 64) >> 7), offset = the 7
// low bits of the input, and the sum wrapped to int16. The same bits.
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_LOOKUP_INTERPOLATED_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_LOOKUP_INTERPOLATED_INL_HPP_
#undef QFENCE_KERNELS_LOOKUP_INTERPOLATED_INL_HPP_
#else
#define QFENCE_KERNELS_LOOKUP_INTERPOLATED_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// out[i] = the interpolated lookup of in[i], i < n; `segments[k]` holds
/// segment k's base in its low 16 bits and its slope in its high 16 bits
/// (k = (value >> 7) + 256, 0..511).
HWY_NOINLINE inline void LookupInterpolated(std::int64_t n, const std::int16_t* in, const std::int32_t* segments,
                                            std::int16_t* out) {
  const hn::ScalableTag<std::int32_t> d32;
  const hn::Rebind<std::int16_t, decltype(d32)> d16;
  const std::int64_t lanes = static_cast<std::int64_t>(hn::Lanes(d32));
  const auto middle = hn::Set(d32, 256), fraction = hn::Set(d32, 0x7f), half = hn::Set(d32, 64);
  EachStretch(n, lanes, [&](std::int64_t i, int valid) QFENCE_INLINE_LAMBDA {
    const auto v = hn::PromoteTo(d32, LoadFirstLanes(d16, in + i, valid));
    const auto segment = hn::GatherIndex(d32, segments, hn::Add(hn::ShiftRight<7>(v), middle));
    const auto base = hn::ShiftRight<16>(hn::ShiftLeft<16>(segment));
    const auto slope = hn::ShiftRight<16>(segment);
    const auto delta = hn::ShiftRight<7>(hn::Add(hn::Mul(slope, hn::And(v, fraction)), half));
    const auto wrapped = hn::ShiftRight<16>(hn::ShiftLeft<16>(hn::Add(base, delta)));
    StoreFirstLanes(d16, hn::DemoteTo(d16, wrapped), valid, out + i);
  });
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
