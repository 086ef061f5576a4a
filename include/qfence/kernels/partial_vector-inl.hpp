// qfence/kernels/partial_vector-inl.hpp: loading and storing the first
// `valid` lanes of a vector, for the last, partial vector of a row of
// channels (re-included per target through kernels/dispatch.hpp).
//
// Every kernel ends a row whose length is not a multiple of the vector width
// the same way, so the rule lives here once. Neither function touches memory
// past `valid` lanes: the row may end at the end of a buffer.
//   - AVX-512 targets (AVX3, AVX3_DL) have true masked loads and stores
//     (vmovdqu8/32 with a mask suppresses faults and writes nothing in the
//     masked-off lanes), at every vector width: MaskedLoad / BlendedStore
//     with FirstN.
//   - Elsewhere (SSE4, AVX2, NEON, EMU128, SCALAR) Highway 1.0.3's
//     MaskedLoad may read and BlendedStore may rewrite the whole vector
//     (HWY_MEM_OPS_MIGHT_FAULT, or a load-blend-store): a copy through a
//     vector-sized stack buffer instead.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_PARTIAL_VECTOR_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_PARTIAL_VECTOR_INL_HPP_
#undef QFENCE_KERNELS_PARTIAL_VECTOR_INL_HPP_
#else
#define QFENCE_KERNELS_PARTIAL_VECTOR_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// from[0 .. valid) in the first lanes, zeros after them; reads nothing past
/// from[valid - 1]. 0 <= valid; a full vector when valid >= Lanes(d).
template <class D>
HWY_INLINE hn::Vec<D> LoadFirstLanes(D d, const hn::TFromD<D>* from, int valid) {
  if (valid >= static_cast<int>(hn::Lanes(d))) return hn::LoadU(d, from);
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  return hn::MaskedLoad(hn::FirstN(d, static_cast<std::size_t>(valid)), d, from);
#else
  using T = hn::TFromD<D>;
  alignas(64) T lanes[HWY_MAX_BYTES / sizeof(T)] = {};
  // A loop over every lane, not to `valid` and not memcpy: GCC cannot see
  // that 0 <= valid < Lanes and warns under the sanitizers, and it turns a
  // copy of a size it does not know into a call to memcpy (CopyLanes says
  // why a call costs more than these few instructions).
  for (int j = 0; j < static_cast<int>(hn::Lanes(d)); ++j)
    if (j < valid) lanes[j] = from[j];
  return hn::Load(d, lanes);
#endif
}

/// The first `valid` lanes of `v` stored to out[0 .. valid); writes nothing
/// past out[valid - 1]. 0 <= valid; a full store when valid >= Lanes(d).
template <class D>
HWY_INLINE void StoreFirstLanes(D d, hn::Vec<D> v, int valid, hn::TFromD<D>* out) {
  if (valid >= static_cast<int>(hn::Lanes(d))) {
    hn::StoreU(v, d, out);
    return;
  }
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  hn::BlendedStore(v, hn::FirstN(d, static_cast<std::size_t>(valid)), d, out);
#else
  using T = hn::TFromD<D>;
  alignas(64) T lanes[HWY_MAX_BYTES / sizeof(T)];
  hn::Store(v, d, lanes);
  for (int j = 0; j < static_cast<int>(hn::Lanes(d)); ++j)  // as above
    if (j < valid) out[j] = lanes[j];
#endif
}

/// from[0 .. count) copied to to[0 .. count) a vector at a time, reading and
/// writing nothing past them. A copy with no call in it: std::memcpy of a
/// size the compiler does not know is a call, and a call clobbers every
/// vector register (kernels/conv2d-inl.hpp, segment_at, says what that cost).
/// (Its own int loop, not EachStretch's: through EachStretch the runtime
/// conv kernel ran 112x112 16->96 in 256-262 us against 225-227, and the
/// scalar target's copy became a memcpy call again.)
template <class D>
HWY_INLINE void CopyLanes(D d, const hn::TFromD<D>* from, int count, hn::TFromD<D>* to) {
  const int n = static_cast<int>(hn::Lanes(d));
  for (int i = 0; i < count; i += n) StoreFirstLanes(d, LoadFirstLanes(d, from + i, count - i), count - i, to + i);
}

/// Calls f(i, valid) for each stretch of n elements that one vector of
/// `lanes` covers: i = 0, lanes, 2 lanes, ..., valid = lanes but for the
/// last stretch (n - i). The loop of every one-input elementwise kernel.
template <class F>
HWY_INLINE void EachStretch(std::int64_t n, std::int64_t lanes, F&& f) {
  for (std::int64_t i = 0; i < n; i += lanes) f(i, n - i < lanes ? static_cast<int>(n - i) : static_cast<int>(lanes));
}

/// from[0 .. valid) (of a type no wider than D's lanes) widened into the
/// first lanes of D, zeros after them; reads nothing past from[valid - 1].
template <class D, class T>
HWY_INLINE hn::Vec<D> LoadFirstLanesWidened(D d, const T* from, int valid) {
  if constexpr (std::is_same_v<T, hn::TFromD<D>>) {
    return LoadFirstLanes(d, from, valid);
  } else {
    const hn::Rebind<T, D> narrow;
    return hn::PromoteTo(d, LoadFirstLanes(narrow, from, valid));
  }
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
