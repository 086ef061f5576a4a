// qfence/kernels/lookup_bytes-inl.hpp: an 8-bit elementwise op as a lookup
// in its 256-entry table (kernels/reference/lookup_table.hpp: tabulate), per
// target (re-included through kernels/dispatch.hpp).
//
//   - AVX3_DL (its target includes AVX512-VBMI): the table is four 64-byte
//     vectors; vpermi2b looks 64 indices up in two of them at once (index
//     bits 0..6), once in the lower half of the table and once in the upper,
//     and the index's top bit picks between the two: 3 instructions per 64
//     bytes;
//   - every other target: the scalar lookup, one load per byte. Without a
//     byte permute over more than 16 entries a vector lookup takes 16
//     pshufb-and-select steps per vector, about what the scalar loop costs.
// Either way the table's bytes, which are the reference kernel's.
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_LOOKUP_BYTES_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_LOOKUP_BYTES_INL_HPP_
#undef QFENCE_KERNELS_LOOKUP_BYTES_INL_HPP_
#else
#define QFENCE_KERNELS_LOOKUP_BYTES_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// out[i] = table[bit pattern of in[i]] for i < n; In and Out are 1-byte
/// types.
template <class In, class Out>
HWY_NOINLINE void LookupBytes(std::int64_t n, const In* in, const Out* table, Out* out) {
#if HWY_TARGET == HWY_AVX3_DL
  const hn::Full512<In> di;
  const hn::Full512<Out> d;
  constexpr int kLanes = 64;
  const __m512i t0 = hn::LoadU(d, table).raw, t1 = hn::LoadU(d, table + 64).raw;
  const __m512i t2 = hn::LoadU(d, table + 128).raw, t3 = hn::LoadU(d, table + 192).raw;
  for (std::int64_t i = 0; i < n; i += kLanes) {
    const int valid = n - i < kLanes ? static_cast<int>(n - i) : kLanes;
    const __m512i index = LoadFirstLanes(di, in + i, valid).raw;
    const __m512i lower = _mm512_permutex2var_epi8(t0, index, t1);  // entries 0..127
    const __m512i upper = _mm512_permutex2var_epi8(t2, index, t3);  // entries 128..255
    const __m512i looked_up = _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), lower, upper);
    StoreFirstLanes(d, hn::Vec512<Out>{looked_up}, valid, out + i);
  }
#else
  reference::lookup(n, in, table, out);
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
