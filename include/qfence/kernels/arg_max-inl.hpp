// qfence/kernels/arg_max-inl.hpp: ARG_MAX and ARG_MIN along the last axis of
// integer tensors with Highway, per target (re-included through
// kernels/dispatch.hpp).
//
// A segmentation head ends this way (deeplabv3: 513 x 513 pixels of 21
// class scores), where the reference's compare-and-branch per value took
// 2-3 ms. Here each row of `size` values is read as vectors of lanes at
// least 16 bits wide (8-bit values widened, so Highway's MaxOfLanes exists
// for them on every target), lanes past the row set to the type's minimum;
// the row's maximum is MaxOfLanes, and its index the first lane equal to
// it (FindFirstTrue). Rows longer than a vector go chunk by chunk, a later
// chunk winning only with a strictly larger maximum. The reference keeps the
// first index of the largest value (`v > best`), and so does this: the
// same indices on every target. ARG_MIN is the mirror image: MinOfLanes,
// lanes past the row at the type's maximum, a later chunk winning with a
// strictly smaller minimum. Floats (NaN order) and other axes stay on
// the reference (kernels/dispatch.hpp decides).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/extreme.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_ARG_MAX_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_ARG_MAX_INL_HPP_
#undef QFENCE_KERNELS_ARG_MAX_INL_HPP_
#else
#define QFENCE_KERNELS_ARG_MAX_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// out[o] = the first k of the largest (Max) or smallest in[o * size + k],
/// for o < rows.
template <bool Max, class T, class Index>
HWY_NOINLINE void ArgExtremeLastAxis(std::int64_t rows, int size, const T* in, Index* out) {
  // The lane type: T itself from 16 bits, else T widened with its sign.
  using Lane = std::conditional_t<(sizeof(T) >= 2), T, std::conditional_t<std::is_signed_v<T>, std::int16_t, std::uint16_t>>;
  const hn::ScalableTag<Lane> d;
  const hn::Rebind<T, decltype(d)> dt;
  const int n = static_cast<int>(hn::Lanes(d));
  // Past the row: a value that never wins.
  const auto loser = hn::Set(d, static_cast<Lane>(Max ? std::numeric_limits<T>::min() : std::numeric_limits<T>::max()));
  const auto chunk = [&](const T* from, int valid) QFENCE_INLINE_LAMBDA {
    hn::Vec<decltype(d)> v;
    if constexpr (sizeof(T) >= 2) v = LoadFirstLanes(d, from, valid);
    else v = hn::PromoteTo(d, LoadFirstLanes(dt, from, valid));
    return valid >= n ? v : hn::IfThenElse(hn::FirstN(d, static_cast<std::size_t>(valid)), v, loser);
  };
  for (std::int64_t o = 0; o < rows; ++o) {
    const T* row = in + o * size;
    Lane best = 0;
    int at = 0;
    for (int k = 0; k < size; k += n) {
      const auto v = chunk(row + k, size - k);
      const auto top = Max ? hn::MaxOfLanes(d, v) : hn::MinOfLanes(d, v);
      const Lane value = hn::GetLane(top);
      if (k == 0 || extreme<Max>::replaces(value, best)) {
        best = value;
        at = k + static_cast<int>(hn::FindFirstTrue(d, hn::Eq(v, top)));
      }
    }
    out[o] = static_cast<Index>(at);
  }
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
