// qfence/kernels/float_epilogue-inl.hpp: how TFLite's float conv-like
// kernels end, on a vector of accumulators (re-included per target through
// kernels/dispatch.hpp).
#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
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

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
