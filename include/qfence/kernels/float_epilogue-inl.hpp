// qfence/kernels/float_epilogue-inl.hpp: how TFLite's float conv-like
// kernels and its hybrid kernels end, on a vector of accumulators (re-included per target through
// kernels/dispatch.hpp).
#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_FLOAT_EPILOGUE_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_FLOAT_EPILOGUE_INL_HPP_
#undef QFENCE_KERNELS_FLOAT_EPILOGUE_INL_HPP_
#else
#define QFENCE_KERNELS_FLOAT_EPILOGUE_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// acc + bias, clamped as the reference writes it, std::min(std::max(x, lo),
/// hi): y = x < lo ? lo : x, then hi < y ? hi : y (a NaN stays a NaN, where
/// Highway's Min/Max would pick a bound), stored to `out`: the first `valid`
/// lanes only when fewer than a vector.
template <class D>
HWY_INLINE void StoreBiasedClamped(D d, hn::Vec<D> acc, hn::Vec<D> bias, hn::Vec<D> lo, hn::Vec<D> hi, int valid,
                                   float* out) {
  const auto sum = hn::Add(acc, bias);
  const auto at_least = hn::IfThenElse(hn::Lt(sum, lo), lo, sum);
  const auto clamped = hn::IfThenElse(hn::Lt(hi, at_least), hi, at_least);
  StoreFirstLanes(d, clamped, valid, out);
}

/// A hybrid layer's ending (kernels/arguments.hpp, hybrid_ending) on a
/// vector of int32 sums for channels c.., lane by lane in the scalar
/// order, stored to `out`: the first `valid` lanes only when fewer than a
/// vector.
template <class D32>
HWY_INLINE void StoreHybrid(D32, hn::Vec<D32> acc, const hybrid_ending& e, int c, int valid, float* out) {
  const hn::Rebind<float, D32> df;
  auto x = hn::Mul(hn::ConvertTo(df, acc), hn::LoadU(df, e.scale + c));
  if (e.then_input_scale) x = hn::Mul(x, hn::Set(df, e.input_scale));
  if (e.bias != nullptr) x = hn::Add(x, hn::LoadU(df, e.bias + c));
  const auto lo = hn::Set(df, e.act.min), hi = hn::Set(df, e.act.max);
  if (e.clamp_fully_connected) {
    const auto y = hn::IfThenElse(hn::Lt(hi, x), hi, x);
    x = hn::IfThenElse(hn::Lt(lo, y), y, lo);
  } else {
    const auto y = hn::IfThenElse(hn::Lt(x, lo), lo, x);
    x = hn::IfThenElse(hn::Lt(hi, y), hi, y);
  }
  StoreFirstLanes(df, x, valid, out);
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
