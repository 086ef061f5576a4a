// qfence/kernels/quantize-inl.hpp: QUANTIZE from float and DEQUANTIZE to
// float (int8, uint8, int16) with Highway, per target (re-included through
// kernels/dispatch.hpp).
//
// QUANTIZE, as reference::quantize_value: q = x / scale (the IEEE quotient,
// not a multiplication by 1 / scale), rounded half away from zero, plus the
// zero point, clamped to T; NaN is the zero point. On vectors:
//   - q is first clamped to +-2^24: beyond that every result saturates
//     anyway (|zero point| < 2^16), and the clamp keeps the int32 conversion
//     in range (infinities included);
//   - rounding half away from zero is trunc(q) +- 1 where the fraction q -
//     trunc(q) (exact in float) reaches +-0.5, as the reference's
//     round_to_int64 does in double: the same integer.
// DEQUANTIZE, as reference::dequantize: float(double(scale) * (x - zero
// point)). That double product is exact (24 + 17 bits), so its rounding to
// float is the correctly rounded product, which is also what one float
// multiplication of scale by the (exact) float x - zero point gives.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/hybrid.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_QUANTIZE_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_QUANTIZE_INL_HPP_
#undef QFENCE_KERNELS_QUANTIZE_INL_HPP_
#else
#define QFENCE_KERNELS_QUANTIZE_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// q rounded half away from zero, for |q| <= 2^24 (see the file comment).
template <class DF>
HWY_INLINE hn::Vec<DF> RoundHalfAway(DF df, hn::Vec<DF> q) {
  const auto half = hn::Set(df, 0.5f), one = hn::Set(df, 1.0f);
  const auto whole = hn::Trunc(q);
  const auto fraction = hn::Sub(q, whole);
  return hn::Sub(hn::Add(whole, hn::IfThenElseZero(hn::Ge(fraction, half), one)),
                 hn::IfThenElseZero(hn::Le(fraction, hn::Neg(half)), one));
}

/// QUANTIZE of n floats to T (int8, uint8, int16).
template <class T>
HWY_NOINLINE void QuantizeFloat(std::int64_t n, const float* in, float scale, std::int32_t zero_point, T* out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> d32;
  const hn::Rebind<T, decltype(d32)> dt;
  const std::int64_t lanes = static_cast<std::int64_t>(hn::Lanes(df));
  const auto divisor = hn::Set(df, scale);
  const auto limit = hn::Set(df, 16777216.0f);
  const auto zp = hn::Set(d32, zero_point);
  const auto lo = hn::Set(d32, std::numeric_limits<T>::min()), hi = hn::Set(d32, std::numeric_limits<T>::max());
  EachStretch(n, lanes, [&](std::int64_t i, int valid) QFENCE_INLINE_LAMBDA {
    const auto q = hn::Div(LoadFirstLanes(df, in + i, valid), divisor);
    const auto nan = hn::IsNaN(q);  // not Ne(q, q): AVX-512 compares NaN ordered
    const auto rounded = RoundHalfAway(df, hn::Min(hn::Max(q, hn::Neg(limit)), limit));
    const auto v = hn::IfThenElse(hn::RebindMask(d32, nan), zp, hn::Add(hn::ConvertTo(d32, rounded), zp));
    StoreFirstLanes(dt, hn::DemoteTo(dt, hn::Min(hn::Max(v, lo), hi)), valid, out + i);
  });
}

/// A hybrid layer's batch of n floats quantized to int8 as TFLite's
/// SymmetricQuantizeFloats or AsymmetricQuantizeFloats
/// (reference::quantize_hybrid_input: the range from the least and greatest
/// value, then round(x * inverse) or round(zero point + x * inverse),
/// saturated; NaN from inf * 0 is 0). Returns false, and writes nothing,
/// when a value is NaN: the reference's sequential minimum and maximum give
/// NaN their own meaning, which the caller then takes from it.
HWY_NOINLINE inline bool QuantizeHybridInput(std::int64_t n, const float* in, bool asymmetric, std::int8_t* out,
                                      reference::hybrid_input_params* params) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> d32;
  const hn::Rebind<std::int8_t, decltype(d32)> d8;
  const std::int64_t lanes = static_cast<std::int64_t>(hn::Lanes(df));
  // Lanes past n load as 0, which neither range changes (both hold 0).
  auto least = hn::Set(df, std::numeric_limits<float>::infinity()), greatest = hn::Neg(least);
  auto nan = hn::FirstN(df, 0);  // no lane
  EachStretch(n, lanes, [&](std::int64_t i, int valid) QFENCE_INLINE_LAMBDA {
    const auto x = LoadFirstLanes(df, in + i, valid);
    nan = hn::Or(nan, hn::IsNaN(x));
    least = hn::Min(least, x);
    greatest = hn::Max(greatest, x);
  });
  if (!hn::AllFalse(df, nan)) return false;
  const reference::hybrid_quantization h = reference::hybrid_quantization_of(
      asymmetric, hn::GetLane(hn::MinOfLanes(df, least)), hn::GetLane(hn::MaxOfLanes(df, greatest)));
  *params = h.params;
  if (h.zeros) {
    std::memset(out, 0, static_cast<std::size_t>(n));
    return true;
  }
  const auto inverse = hn::Set(df, h.inverse), zero_point = hn::Set(df, static_cast<float>(h.params.zero_point));
  const auto limit = hn::Set(df, 16777216.0f);
  const auto lo = hn::Set(d32, h.lo), hi = hn::Set(d32, h.hi);
  EachStretch(n, lanes, [&](std::int64_t i, int valid) QFENCE_INLINE_LAMBDA {
    auto v = hn::Mul(LoadFirstLanes(df, in + i, valid), inverse);
    if (asymmetric) v = hn::Add(zero_point, v);
    const auto bad = hn::IsNaN(v);  // an infinite input times an inverse of 0
    const auto rounded = hn::ConvertTo(d32, RoundHalfAway(df, hn::Min(hn::Max(v, hn::Neg(limit)), limit)));
    const auto q = hn::IfThenZeroElse(hn::RebindMask(d32, bad), hn::Min(hn::Max(rounded, lo), hi));
    StoreFirstLanes(d8, hn::DemoteTo(d8, q), valid, out + i);
  });
  return true;
}

/// DEQUANTIZE of n T (int8, uint8, int16) to float.
template <class T>
HWY_NOINLINE void DequantizeToFloat(std::int64_t n, const T* in, float scale, std::int32_t zero_point, float* out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> d32;
  const hn::Rebind<T, decltype(d32)> dt;
  const std::int64_t lanes = static_cast<std::int64_t>(hn::Lanes(df));
  const auto factor = hn::Set(df, scale);
  const auto zp = hn::Set(d32, zero_point);
  EachStretch(n, lanes, [&](std::int64_t i, int valid) QFENCE_INLINE_LAMBDA {
    const auto centred = hn::Sub(hn::PromoteTo(d32, LoadFirstLanes(dt, in + i, valid)), zp);
    StoreFirstLanes(df, hn::Mul(hn::ConvertTo(df, centred), factor), valid, out + i);
  });
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
