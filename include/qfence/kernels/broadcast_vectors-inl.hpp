// qfence/kernels/broadcast_vectors-inl.hpp: the traversal of every
// elementwise binary kernel (quantized ADD, SUB, MUL on 8- and 16-bit data;
// the float and int32 arithmetic of kernels/arithmetic-inl.hpp) over a
// broadcast, a vector at a time, per target (re-included through
// kernels/dispatch.hpp).
//
// The output's runs (core/broadcast.hpp, dimensions merged) are vectors of
// both inputs, an input broadcast along the run read as one value. One form
// gets its own path: per-channel constants ([C] against [N, H, W, C],
// repeating_operand_of), whose runs are rows of C elements, a partial vector
// each when C is small (movenet normalises its input with C = 3). There the
// repeating C elements are tiled over C vectors once (tile[i] = pattern[i %
// C]), and vector k of the contiguous input meets tile vector k % C: its
// lanes are elements kV .. kV + V - 1, whose pattern positions start at
// (k % C) * V mod C.
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_BROADCAST_VECTORS_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_BROADCAST_VECTORS_INL_HPP_
#undef QFENCE_KERNELS_BROADCAST_VECTORS_INL_HPP_
#else
#define QFENCE_KERNELS_BROADCAST_VECTORS_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// For every output element of the broadcast `g` of a and b (T elements):
/// out = compute(x, y), x and y the elements promoted to D's lanes (int32
/// for 8- and 16-bit T, T itself otherwise), compute returning the T vector
/// to store.
template <class D, class T, class Compute>
HWY_INLINE void EachBroadcastVector(D d, const broadcast_geometry& g, const T* a, const T* b, T* out,
                                    Compute&& compute) {
  const hn::Rebind<T, D> dt;
  const std::int64_t n = static_cast<std::int64_t>(hn::Lanes(d));
  using Lane = hn::TFromD<D>;
  const auto load = [&](const T* from, int valid) QFENCE_INLINE_LAMBDA { return LoadFirstLanesWidened(d, from, valid); };

#if HWY_TARGET != HWY_SCALAR  // one lane: every run is whole vectors already
  const repeating_operand rep = repeating_operand_of(g);
  constexpr std::int64_t kMaxLanes = HWY_MAX_BYTES / sizeof(Lane);
  if (rep.period != 0 && rep.period < n && n <= kMaxLanes) {
    const T* pattern = rep.b_repeats ? b : a;
    const T* whole = rep.b_repeats ? a : b;
    alignas(HWY_MAX_BYTES) T tile[kMaxLanes * kMaxLanes];
    const std::int64_t tile_size = rep.period * n;
    for (std::int64_t i = 0; i < tile_size; ++i) tile[i] = pattern[i % rep.period];
    std::int64_t at = 0;  // the tile vector of the current output vector
    for (std::int64_t i = 0; i < g.elements; i += n) {
      const int valid = g.elements - i < n ? static_cast<int>(g.elements - i) : static_cast<int>(n);
      const auto x = load(whole + i, valid), y = load(tile + at, valid);
      StoreFirstLanes(dt, rep.b_repeats ? compute(x, y) : compute(y, x), valid, out + i);
      at = at + n == tile_size ? 0 : at + n;
    }
    return;
  }
#endif

  qfence::for_each_broadcast_run(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib, std::int64_t length,
                                        std::int64_t step_a, std::int64_t step_b)
                                        HWY_ATTR {  // called by for_each_broadcast_run, which has no target
    const auto one_a = hn::Set(d, static_cast<Lane>(a[ia])), one_b = hn::Set(d, static_cast<Lane>(b[ib]));
    for (std::int64_t i = 0; i < length; i += n) {
      const int valid = length - i < n ? static_cast<int>(length - i) : static_cast<int>(n);
      const auto x = step_a != 0 ? load(a + ia + i, valid) : one_a;
      const auto y = step_b != 0 ? load(b + ib + i, valid) : one_b;
      StoreFirstLanes(dt, compute(x, y), valid, out + o + i);
    }
  });
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
