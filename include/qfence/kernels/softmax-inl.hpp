// qfence/kernels/softmax-inl.hpp: TFLite's SOFTMAX from 8-bit input (int8 or
// uint8 out, or int16 out) with Highway, per target (re-included through
// kernels/dispatch.hpp).
//
// Per row, as the reference (kernels/reference/softmax.hpp) but with the
// exponentials read from the layer's table (kernels/softmax_table.hpp):
//   1. the row's maximum, a vector at a time;
//   2. the Q12.19 sum of the exponentials: one table read per element (an
//      integer sum, so its order does not matter);
//   3. the reciprocal of the sum (reference::detail::softmax_reciprocal_of);
//   4. the outputs. An 8-bit output depends on the input byte alone once the
//      row's maximum and reciprocal are known, so a row of 64 or more
//      elements first computes the output of each of the 256 bytes
//      (reference::detail::softmax_output) and then looks its elements up
//      with LookupBytes (a vector permute on AVX3_DL); shorter rows and int16
//      outputs compute each element's output from its table entry.
// Every number is the reference's: the same functions compute it.
#include <cstdint>
#include <cstring>
#include <limits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/lookup_bytes-inl.hpp"
#include "qfence/kernels/reference/softmax.hpp"
#include "qfence/kernels/softmax_table.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_SOFTMAX_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_SOFTMAX_INL_HPP_
#undef QFENCE_KERNELS_SOFTMAX_INL_HPP_
#else
#define QFENCE_KERNELS_SOFTMAX_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace softmax_detail {

/// The largest of x[0 .. n), n >= 1 (T: one byte).
template <class T>
HWY_INLINE T RowMax(const T* x, int n) {
  const hn::ScalableTag<T> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  T max = std::numeric_limits<T>::min();
  int c = 0;
  if (n >= lanes) {
    auto m = hn::LoadU(d, x);
    for (c = lanes; c + lanes <= n; c += lanes) m = hn::Max(m, hn::LoadU(d, x + c));
    alignas(64) T lane[HWY_MAX_BYTES];
    hn::Store(m, d, lane);
    for (int j = 0; j < lanes; ++j) max = lane[j] > max ? lane[j] : max;
  }
  for (; c < n; ++c) max = x[c] > max ? x[c] : max;
  return max;
}

/// Rows at least this long look their outputs up in a per-row table of 256.
inline constexpr int kRowForByteTable = 64;

}  // namespace softmax_detail

/// SOFTMAX over `outer` rows of `depth` 8-bit elements into Out (the input's
/// type, or int16), with the layer's table.
template <class T, class Out>
HWY_NOINLINE void SoftmaxQuantized(int outer, int depth, const softmax_table& table, const T* in, Out* out) {
  using namespace softmax_detail;
  constexpr Out lowest = std::numeric_limits<Out>::min();
  for (int i = 0; i < outer; ++i) {
    const T* x = in + static_cast<std::ptrdiff_t>(i) * depth;
    Out* y = out + static_cast<std::ptrdiff_t>(i) * depth;
    const int max = RowMax(x, depth);
    std::int32_t sum_of_exps = 0;
    for (int c = 0; c < depth; ++c)
      sum_of_exps = reference::detail::softmax_add_term(sum_of_exps, table.term[static_cast<std::size_t>(max - x[c])]);
    const reference::detail::softmax_reciprocal r = reference::detail::softmax_reciprocal_of<Out>(sum_of_exps);
    const auto output = [&](int k) {
      return k <= table.last ? reference::detail::softmax_output<Out>(table.exp[static_cast<std::size_t>(k)], r)
                             : lowest;
    };
    if constexpr (sizeof(Out) == 1) {
      if (depth >= kRowForByteTable) {
        // By the input byte's bit pattern; bytes above the maximum do not occur.
        alignas(64) Out by_byte[256];
        for (int b = 0; b < 256; ++b) {
          T value;
          const auto pattern = static_cast<std::uint8_t>(b);
          std::memcpy(&value, &pattern, 1);
          by_byte[b] = value <= max ? output(max - value) : lowest;
        }
        LookupBytes(depth, x, by_byte, y);
        continue;
      }
    }
    for (int c = 0; c < depth; ++c) y[c] = output(max - x[c]);
  }
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
