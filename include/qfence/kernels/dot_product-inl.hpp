// qfence/kernels/dot_product-inl.hpp: the dot products of the convolution
// kernels, per target (re-included through foreach_target.h by
// kernels/dispatch.hpp): DotBytes (4 bytes per lane) and DotPairs (2 int16
// per lane).
//
// DotBytes(d, acc, u, s): every 32-bit lane j of acc gains
//   sum over k < 4 of u.u8[4j + k] * s.i8[4j + k]
// exactly (no saturation), which is AVX-512 VNNI's vpdpbusd. Highway 1.0.3
// has no op for it:
//   - AVX3_DL: vpdpbusd itself, as inline assembly (1.0.3's AVX3_DL target
//     string names avxvnni but not avx512vnni, so the intrinsic would not
//     compile inside HWY_NAMESPACE; the CPU check of AVX3_DL includes VNNI);
//   - SSE4, AVX2, AVX3: even and odd bytes widened to int16 in place (no lane
//     crosses), each pair multiplied and summed into int32 by madd
//     (ReorderWidenMulAccumulate, whose x86 SIMD form keeps lane order; its
//     EMU128 form does not); |u * s| <= 255 * 128, so two products never
//     overflow int32;
//   - other targets (EMU128, NEON, ...): the same bytes, multiplied in int16
//     (a product fits) and widened with shifts.
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_DOT_PRODUCT_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_DOT_PRODUCT_INL_HPP_
#undef QFENCE_KERNELS_DOT_PRODUCT_INL_HPP_
#else
#define QFENCE_KERNELS_DOT_PRODUCT_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// acc + the 4-byte dot products of unsigned `u` and signed `s` per lane
/// (the bytes, carried as int32 vectors).
template <class D>
HWY_INLINE hn::Vec<D> DotBytes(D d, hn::Vec<D> acc, hn::Vec<D> u, hn::Vec<D> s) {
#if HWY_TARGET == HWY_AVX3_DL
  (void)d;
  // An output tied to the accumulator ("0"), not "+v": GCC keeps the
  // accumulators in place instead of copying each one around the asm.
  // {evex}: Highway 1.0.3's AVX3_DL target string enables avxvnni, so on
  // xmm/ymm registers Clang's assembler would pick AVX-VNNI's VEX encoding,
  // which AVX-512 VNNI CPUs without AVX-VNNI (AMD Zen 4) fault on.
  decltype(acc.raw) sum;
  asm("%{evex%} vpdpbusd %[s], %[u], %[sum]" : [sum] "=v"(sum) : [u] "v"(u.raw), [s] "v"(s.raw), "0"(acc.raw));
  return hn::Vec<D>{sum};
#else
  const hn::Vec<D> x = u, w = s;
  const hn::Repartition<std::int16_t, D> d16;
  const hn::Repartition<std::uint16_t, D> du16;
  // Bytes 0 and 2 of each lane (low bytes of its int16 halves), and 1 and 3.
  const auto x_even = hn::BitCast(d16, hn::And(hn::BitCast(du16, x), hn::Set(du16, 0x00FF)));
  const auto x_odd = hn::BitCast(d16, hn::ShiftRight<8>(hn::BitCast(du16, x)));
  const auto w_even = hn::ShiftRight<8>(hn::ShiftLeft<8>(hn::BitCast(d16, w)));
  const auto w_odd = hn::ShiftRight<8>(hn::BitCast(d16, w));
#if HWY_ARCH_X86 && HWY_TARGET != HWY_EMU128 && HWY_TARGET != HWY_SCALAR
  auto unused = hn::Zero(d);
  acc = hn::ReorderWidenMulAccumulate(d, x_even, w_even, acc, unused);
  return hn::ReorderWidenMulAccumulate(d, x_odd, w_odd, acc, unused);
#else
  const auto widen_sum = [&](hn::Vec<D> v) {  // both int16 halves of each lane, sign-extended, summed
    return hn::Add(hn::ShiftRight<16>(hn::ShiftLeft<16>(v)), hn::ShiftRight<16>(v));
  };
  acc = hn::Add(acc, widen_sum(hn::BitCast(d, hn::Mul(x_even, w_even))));
  return hn::Add(acc, widen_sum(hn::BitCast(d, hn::Mul(x_odd, w_odd))));
#endif
#endif
}

/// DotPairs(d, acc, a, b): every 32-bit lane j of acc gains
///   a[2j] * b[2j] + a[2j + 1] * b[2j + 1]
/// for int16 vectors a and b, whose pair sums the caller keeps within int32
/// (int8 weights against 8- or 16-bit data: at most 2 * 2^22):
///   - AVX3_DL: vpdpwssd (inline assembly, as DotBytes);
///   - SSE4, AVX2, AVX3: vpmaddwd (ReorderWidenMulAccumulate, whose x86 form
///     keeps lane order) and an add;
///   - other targets: the 32-bit products from their low and high halves.
template <class D, class V16>
HWY_INLINE hn::Vec<D> DotPairs(D d, hn::Vec<D> acc, V16 a, V16 b) {
#if HWY_TARGET == HWY_AVX3_DL
  (void)d;
  decltype(acc.raw) sum;  // {evex}: see DotBytes
  asm("%{evex%} vpdpwssd %[b], %[a], %[sum]" : [sum] "=v"(sum) : [a] "v"(a.raw), [b] "v"(b.raw), "0"(acc.raw));
  return hn::Vec<D>{sum};
#elif HWY_ARCH_X86 && HWY_TARGET != HWY_EMU128 && HWY_TARGET != HWY_SCALAR
  auto unused = hn::Zero(d);
  return hn::ReorderWidenMulAccumulate(d, a, b, acc, unused);
#else
  // The even lane's product in the low halves of each 32-bit lane, the odd
  // lane's in the high halves (a product of two int16 exceeds int16).
  const auto low = hn::BitCast(d, hn::Mul(a, b)), high = hn::BitCast(d, hn::MulHigh(a, b));
  const auto even = hn::Add(hn::ShiftLeft<16>(high), hn::And(low, hn::Set(d, 0xFFFF)));
  const auto odd = hn::Add(hn::And(high, hn::Set(d, static_cast<std::int32_t>(0xFFFF0000u))),
                           hn::BitCast(d, hn::ShiftRight<16>(hn::BitCast(hn::RebindToUnsigned<D>(), low))));
  return hn::Add(acc, hn::Add(even, odd));
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
