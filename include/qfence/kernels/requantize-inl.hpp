// qfence/kernels/requantize-inl.hpp: TFLite's MultiplyByQuantizedMultiplier
// on vectors of int32 accumulators, per channel, bit for bit (re-included per
// target through kernels/dispatch.hpp).
//
// The reference (core/fixed_point.hpp) computes, per lane,
//   RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << left, m), right)
// Here:
//   - x << left as a per-lane shift: the same wrap as TFLite's
//     x * (1 << left);
//   - SaturatingRoundingDoublingHighMul(a, m) = (a * m + 2^30) >> 31 with a
//     floor shift: gemmlowp's nudge (2^30 for a positive product, 1 - 2^30 for
//     a negative one) followed by a division truncating toward zero gives the
//     same value for every product (for a negative product p, trunc((p + 1 -
//     2^30) / 2^31) = floor((p + 2^30) / 2^31)). The saturating case
//     a = m = INT32_MIN cannot occur: multipliers are non-negative. The 64-bit
//     products come from MulEven on the even lanes and on the odd lanes
//     swapped down (their multipliers stored swapped already); only bits
//     31..62 are kept: a shift right by 31 leaves them in the even lanes' low
//     halves, a doubling puts them in the odd lanes' high halves;
//   - RoundingDivideByPOT with per-lane exponent, mask and half mask, as the
//     reference.
// On AVX-512 (AVX3, AVX3_DL) both roundings are one: the 64-bit product plus
// a per-channel constant (and -2^31 where it is negative) shifted right
// arithmetically (core/fixed_point.hpp, single_rounding, says why that is
// the same number), the even and odd lanes' results interleaved by one
// masked shuffle: 13 instructions a vector instead of 16. The requantization
// was 30% of MobileNetV2's time.
// The constants come from kernels/packed_conv.hpp's rows (per channel) or
// from one quantized_multiplier (every lane alike).
#include <cstdint>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/requantize_form.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_REQUANTIZE_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_REQUANTIZE_INL_HPP_
#undef QFENCE_KERNELS_REQUANTIZE_INL_HPP_
#else
#define QFENCE_KERNELS_REQUANTIZE_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#undef QFENCE_SINGLE_ROUNDING
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define QFENCE_SINGLE_ROUNDING 1
#else
#define QFENCE_SINGLE_ROUNDING 0
#endif

/// The constants of MultiplyByQuantizedMultiplier for a vector of lanes.
/// AVX-512 rounds once, in 64-bit lanes (core/fixed_point.hpp,
/// single_rounding): the even and odd channels' constants, as int64 lanes
/// in V's bits; elsewhere the reference's two roundings.
template <class V>
struct RequantizeLanes {
  V left, multiplier, multiplier_odd;
#if QFENCE_SINGLE_ROUNDING
  V round_even, round_odd, shift_even, shift_odd, negative_even, negative_odd;
#else
  V right, mask, half_mask;
#endif
};

#if QFENCE_SINGLE_ROUNDING
/// single_rounding's `negative` for lanes whose shift is known: -2^31 where
/// the shift passes 31 (a rounding right shift of at least 1). The packed
/// rows hold only the shift; this derivation must stay single_rounding_of's
/// rule, which the asserts tie it to.
static_assert(single_rounding_of(0).shift == 31 && single_rounding_of(0).negative == 0);
static_assert(single_rounding_of(1).shift > 31 && single_rounding_of(1).negative == -(std::int64_t{1} << 31));
static_assert(single_rounding_of(31).shift > 31 && single_rounding_of(31).negative == -(std::int64_t{1} << 31));
template <class D>
HWY_INLINE hn::Vec<D> NegativeOfShift(D d, hn::Vec<D> shift) {
  const hn::Repartition<std::int64_t, D> d64;
  const auto s = hn::BitCast(d64, shift);
  return hn::BitCast(d, hn::IfThenElseZero(hn::Gt(s, hn::Set(d64, 31)), hn::Set(d64, -(std::int64_t{1} << 31))));
}
#endif

/// The form whose code this target runs for a layer of form F: the steps
/// only AVX-512 has (the zero point in the rounding, the float screen)
/// dropped elsewhere, and on the one-lane target, whose loop is the
/// reference's, the general form. Forms with one target form are the same
/// code, so the kernels instantiate their bodies for the target form only
/// (conv2d-inl.hpp, depthwise_conv2d-inl.hpp): on AVX2, SSE4 and the
/// one-lane target, two or three of the runtime path's forms were identical
/// copies of each kernel (0.44 of the CLI's 5.58 MB of machine code).
template <requantize_form F>
inline constexpr requantize_form kTargetForm =
#if HWY_TARGET == HWY_SCALAR
    general_requantize_form;
#else
    requantize_form{F.left_shift, F.zero_point_in_round && QFENCE_SINGLE_ROUNDING, F.clamp_low, F.clamp_high,
                    F.float_screen && QFENCE_SINGLE_ROUNDING};
#endif

/// Whether StoreRequantized<F> finds the output zero point in the rounding
/// constants (RequantizeLanesAt<F> put it there) rather than adding it.
template <requantize_form F>
inline constexpr bool kZeroPointInRound = F.zero_point_in_round && QFENCE_SINGLE_ROUNDING;

/// Row r of the packed per-channel constants (rows of `stride` words),
/// channels from `c`.
template <class D>
HWY_INLINE hn::Vec<D> EpilogueRowAt(D d, const std::int32_t* epilogue, std::size_t stride, int c, conv_epilogue_row r) {
  return hn::LoadU(d, epilogue + static_cast<std::size_t>(static_cast<int>(r)) * stride + static_cast<std::size_t>(c));
}

/// Channels from `c` of packed per-channel constants (rows of `stride`
/// words, kernels/packed_conv.hpp); c is a multiple of the lane count. With
/// F.zero_point_in_round, AVX-512's rounding constants gain the output
/// `zero_point` (core/fixed_point.hpp, round_with_zero_point: round + zp *
/// 2^shift); every caller passes it, so that no form can miss it.
template <requantize_form F = general_requantize_form, class D>
HWY_INLINE RequantizeLanes<hn::Vec<D>> RequantizeLanesAt(D d, const std::int32_t* epilogue, std::size_t stride, int c,
                                                        [[maybe_unused]] std::int32_t zero_point) {
  const auto row = [&](conv_epilogue_row r) QFENCE_INLINE_LAMBDA { return EpilogueRowAt(d, epilogue, stride, c, r); };
#if QFENCE_SINGLE_ROUNDING
  const auto shift_even = row(conv_epilogue_row::shift_even), shift_odd = row(conv_epilogue_row::shift_odd);
  auto round_even = row(conv_epilogue_row::round_even), round_odd = row(conv_epilogue_row::round_odd);
  if constexpr (kZeroPointInRound<F>) {
    const hn::Repartition<std::int64_t, D> d64;
    const auto zp = hn::Set(d64, zero_point);
    round_even = hn::BitCast(d, hn::Add(hn::BitCast(d64, round_even), zp << hn::BitCast(d64, shift_even)));
    round_odd = hn::BitCast(d, hn::Add(hn::BitCast(d64, round_odd), zp << hn::BitCast(d64, shift_odd)));
  }
  return {row(conv_epilogue_row::left), row(conv_epilogue_row::multiplier), row(conv_epilogue_row::multiplier_odd),
          round_even,                   round_odd,                          shift_even,
          shift_odd,                    NegativeOfShift(d, shift_even),     NegativeOfShift(d, shift_odd)};
#else
  return {row(conv_epilogue_row::left),  row(conv_epilogue_row::multiplier), row(conv_epilogue_row::multiplier_odd),
          row(conv_epilogue_row::right), row(conv_epilogue_row::mask),       row(conv_epilogue_row::half_mask)};
#endif
}

/// Whether StoreRequantized<F> rounds through the float screen
/// (core/fixed_point.hpp, float_screen): AVX-512 only, where a float
/// multiply-add and a conversion rounding down replace the 64-bit steps.
template <requantize_form F>
inline constexpr bool kFloatScreen = F.float_screen && QFENCE_SINGLE_ROUNDING;

#if QFENCE_SINGLE_ROUNDING
/// The float screen's constants for a vector of channels (core/
/// fixed_point.hpp, float_screen): M, C' for either sign of the
/// accumulator, what the result takes off the bits; and where the exact
/// constants are for the vectors the screen refuses.
template <class D>
struct ScreenLanes {
  using VF = hn::Vec<hn::Rebind<float, D>>;
  VF multiplier, positive, negative;
  hn::Vec<D> base;
  const std::int32_t* epilogue;
  std::size_t stride;
  int c;
  std::int32_t zero_point;
};
#endif

/// The constants StoreRequantized<F> reads for channels from `c` of a layer
/// whose outputs are T (int8 or uint8): the screen's where F has one, else
/// RequantizeLanesAt<F>'s.
template <requantize_form F, class T, class D>
HWY_INLINE auto EpilogueLanesAt(D d, const std::int32_t* epilogue, std::size_t stride, int c,
                                std::int32_t zero_point) {
#if QFENCE_SINGLE_ROUNDING
  if constexpr (kFloatScreen<F>) {
    const hn::Rebind<float, D> df;
    const auto row = [&](conv_epilogue_row r) QFENCE_INLINE_LAMBDA {
      return hn::BitCast(df, EpilogueRowAt(d, epilogue, stride, c, r));
    };
    const auto shift = hn::Set(df, static_cast<float>(zero_point + screen_offset<T>));
    return ScreenLanes<D>{row(conv_epilogue_row::screen_multiplier),
                          hn::Add(row(conv_epilogue_row::screen_positive), shift),
                          hn::Add(row(conv_epilogue_row::screen_negative), shift),
                          hn::Set(d, screen_result_base<T>),
                          epilogue,
                          stride,
                          c,
                          zero_point};
  } else
#endif
  {
    return RequantizeLanesAt<F>(d, epilogue, stride, c, zero_point);
  }
}

/// One multiplier in every lane.
template <class D>
HWY_INLINE RequantizeLanes<hn::Vec<D>> RequantizeLanesOf(D d, quantized_multiplier m) {
  const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
#if QFENCE_SINGLE_ROUNDING
  const hn::Repartition<std::int64_t, D> d64;
  const single_rounding one = single_rounding_of(right);
  const auto round = hn::BitCast(d, hn::Set(d64, one.round)), shift = hn::BitCast(d, hn::Set(d64, one.shift));
  const auto negative = hn::BitCast(d, hn::Set(d64, one.negative));
  return {hn::Set(d, left), hn::Set(d, m.multiplier), hn::Set(d, m.multiplier), round, round, shift, shift,
          negative,         negative};
#else
  const auto mask = static_cast<std::int32_t>((std::int64_t{1} << right) - 1);
  return {hn::Set(d, left),  hn::Set(d, m.multiplier), hn::Set(d, m.multiplier),
          hn::Set(d, right), hn::Set(d, mask),         hn::Set(d, mask >> 1)};
#endif
}

#if QFENCE_SINGLE_ROUNDING
/// t + negative in the lanes where p < 0 (one masked add).
template <class V64>
HWY_INLINE V64 AddWhereNegative(V64 p, V64 t, V64 negative) {
  if constexpr (sizeof(p.raw) == 64) return V64{_mm512_mask_add_epi64(t.raw, _mm512_movepi64_mask(p.raw), t.raw, negative.raw)};
  else if constexpr (sizeof(p.raw) == 32) return V64{_mm256_mask_add_epi64(t.raw, _mm256_movepi64_mask(p.raw), t.raw, negative.raw)};
  else return V64{_mm_mask_add_epi64(t.raw, _mm_movepi64_mask(p.raw), t.raw, negative.raw)};
}

/// The low 32 bits of each 64-bit lane of `even` in the even 32-bit lanes,
/// of `odd` in the odd ones (one masked shuffle).
template <class D, class V64>
HWY_INLINE hn::Vec<D> InterleaveLow32(D, V64 even, V64 odd) {
  if constexpr (sizeof(even.raw) == 64)
    return hn::Vec<D>{_mm512_mask_shuffle_epi32(even.raw, 0xAAAA, odd.raw, _MM_PERM_CDAB)};
  else if constexpr (sizeof(even.raw) == 32)
    return hn::Vec<D>{_mm256_mask_shuffle_epi32(even.raw, 0xAA, odd.raw, _MM_PERM_CDAB)};
  else
    return hn::Vec<D>{_mm_mask_shuffle_epi32(even.raw, 0xA, odd.raw, _MM_PERM_CDAB)};
}
#endif

/// TFLite MultiplyByQuantizedMultiplier per lane (without LeftShift: for
/// lanes whose `left` are all 0).
template <bool LeftShift = true, class D>
HWY_INLINE hn::Vec<D> MultiplyByQuantizedMultiplier(D d, hn::Vec<D> x, const RequantizeLanes<hn::Vec<D>>& q) {
#if HWY_TARGET == HWY_SCALAR
  // One lane and no MulEven: the reference's arithmetic itself.
  const auto shifted =
      static_cast<std::int32_t>(static_cast<std::uint32_t>(hn::GetLane(x)) << hn::GetLane(q.left));
  return hn::Set(d, rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, hn::GetLane(q.multiplier)),
                                           hn::GetLane(q.right)));
#elif QFENCE_SINGLE_ROUNDING
  // Both roundings as one arithmetic shift of the 64-bit product
  // (core/fixed_point.hpp, single_rounding), even and odd lanes apart.
  const hn::Repartition<std::int64_t, D> d64;
  const hn::Repartition<std::uint64_t, D> du64;
  const auto a = LeftShift ? x << q.left : x;
  const auto even = hn::MulEven(a, q.multiplier);
  const auto odd = hn::MulEven(hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(du64, a))), q.multiplier_odd);
  const auto round = [&](decltype(even) p, hn::Vec<D> add, hn::Vec<D> negative, hn::Vec<D> shift) QFENCE_INLINE_LAMBDA {
    return AddWhereNegative(p, hn::Add(p, hn::BitCast(d64, add)), hn::BitCast(d64, negative)) >> hn::BitCast(d64, shift);
  };
  return InterleaveLow32(d, round(even, q.round_even, q.negative_even, q.shift_even),
                         round(odd, q.round_odd, q.negative_odd, q.shift_odd));
#else
  const hn::Repartition<std::int64_t, D> d64;
  const hn::Repartition<std::uint64_t, D> du64;
  const auto a = LeftShift ? x << q.left : x;
  // SaturatingRoundingDoublingHighMul.
  const auto nudge = hn::Set(d64, std::int64_t{1} << 30);
  const auto even = hn::Add(hn::MulEven(a, q.multiplier), nudge);
  const auto odd = hn::Add(hn::MulEven(hn::Shuffle2301(a), q.multiplier_odd), nudge);
  const auto high = hn::OddEven(hn::BitCast(d, hn::Add(odd, odd)), hn::BitCast(d, hn::ShiftRight<31>(hn::BitCast(du64, even))));
  // RoundingDivideByPOT: + 1 where the remainder passes half (more than
  // half for negative values). x >> 31 is -1 for negative x.
  const auto remainder = hn::And(high, q.mask);
  const auto threshold = hn::Sub(q.half_mask, hn::ShiftRight<31>(high));
  return hn::Sub(high >> q.right, hn::VecFromMask(d, hn::Gt(remainder, threshold)));
#endif
}

/// int32 lanes to T (int8 or uint8), clamped to [lo, hi] (within T). On
/// AVX-512 (512- and 256-bit vectors) one saturating narrow (vpmovsdb /
/// vpmovusdb after the clamp) and, for int8, the clamp on the narrow bytes;
/// elsewhere Highway's DemoteTo after an int32 clamp. The same bytes either
/// way. Without ClampLow (ClampHigh), lo (hi) is T's minimum (maximum) and
/// AVX-512's saturating narrow is the clamp.
template <class T, bool ClampLow = true, bool ClampHigh = true, class D>
HWY_INLINE hn::Vec<hn::Rebind<T, D>> NarrowClamped(D d, hn::Vec<D> v, std::int32_t lo, std::int32_t hi) {
  const hn::Rebind<T, D> d8;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  if constexpr (hn::MaxLanes(D()) == 16 || hn::MaxLanes(D()) == 8) {
    hn::Vec<decltype(d8)> narrow;
    if constexpr (std::is_same_v<T, std::int8_t>) {
      if constexpr (hn::MaxLanes(D()) == 16) narrow = hn::Vec<decltype(d8)>{_mm512_cvtsepi32_epi8(v.raw)};
      else narrow = hn::Vec<decltype(d8)>{_mm256_cvtsepi32_epi8(v.raw)};
      if constexpr (ClampLow) narrow = hn::Max(narrow, hn::Set(d8, static_cast<T>(lo)));
      if constexpr (ClampHigh) narrow = hn::Min(narrow, hn::Set(d8, static_cast<T>(hi)));
      return narrow;
    } else {
      // Clamped into [0, 255] first, whatever ClampLow says: the unsigned
      // narrow reads a negative lane as a large one.
      auto clamped = hn::Max(v, hn::Set(d, lo));
      if constexpr (ClampHigh) clamped = hn::Min(clamped, hn::Set(d, hi));
      if constexpr (hn::MaxLanes(D()) == 16) narrow = hn::Vec<decltype(d8)>{_mm512_cvtusepi32_epi8(clamped.raw)};
      else narrow = hn::Vec<decltype(d8)>{_mm256_cvtusepi32_epi8(clamped.raw)};
      return narrow;
    }
  }
#endif
  // Both clamps whatever the flags say: Highway 1.0.3's DemoteTo does not
  // saturate every int32 (on AVX2, int32 to uint8 maps 32768 to 0).
  return hn::DemoteTo(d8, hn::Min(hn::Max(v, hn::Set(d, lo)), hn::Set(d, hi)));
}

/// The 8-bit outputs of a vector of accumulators, as every quantized kernel
/// ends: requantized, plus the output zero point, clamped to `act`, narrowed
/// to T (int8 or uint8) and stored to `out`, the first `valid` lanes only
/// when fewer than a vector. F (kernels/requantize_form.hpp) drops the steps
/// the layer does not need; `q` comes from RequantizeLanesAt<F>.
template <requantize_form F = general_requantize_form, class D, class T>
HWY_INLINE void StoreRequantized(D d, hn::Vec<D> acc, const RequantizeLanes<hn::Vec<D>>& q,
                                 [[maybe_unused]] hn::Vec<D> zero_point, int_range act, int valid, T* out) {
  const hn::Rebind<T, D> d8;
  auto v = MultiplyByQuantizedMultiplier<F.left_shift>(d, acc, q);
  if constexpr (!kZeroPointInRound<F>) v = hn::Add(v, zero_point);
  StoreFirstLanes(d8, NarrowClamped<T, F.clamp_low, F.clamp_high>(d, v, act.min, act.max), valid, out);
}

#if QFENCE_SINGLE_ROUNDING
/// int32 lanes of float `v` rounded down (one conversion on 512-bit vectors,
/// whose instructions carry a rounding mode).
template <class D>
HWY_INLINE hn::Vec<D> FloorToInt(D d, hn::Vec<hn::Rebind<float, D>> v) {
  if constexpr (sizeof(v.raw) == 64)
    return hn::Vec<D>{_mm512_cvt_roundps_epi32(v.raw, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)};
  else
    return hn::ConvertTo(d, hn::Floor(v));
}

/// The vectors the float screen refuses: the exact integer steps (about one
/// vector in 256). Inline on the unlikely branch: a call would clobber
/// every vector register and cost the kernel's loops their accumulators.
template <requantize_form F, class D, class T>
HWY_INLINE void StoreRequantizedUnscreened(D d, hn::Vec<D> acc, const ScreenLanes<D>& s, int_range act, int valid,
                                             T* out) {
  constexpr requantize_form exact{F.left_shift, F.zero_point_in_round, F.clamp_low, F.clamp_high, false};
  StoreRequantized<exact>(d, acc, RequantizeLanesAt<exact>(d, s.epilogue, s.stride, s.c, s.zero_point),
                          hn::Set(d, s.zero_point), act, valid, out);
}

/// Whether every lane of float bits `t` has a fraction the screen trusts
/// (one vptestmd on 512-bit vectors).
template <class D>
HWY_INLINE bool AllFractionsTrusted(D d, hn::Vec<D> t) {
  const auto mask = hn::Set(d, screen_refused_mask);
  if constexpr (sizeof(t.raw) == 64) return _mm512_test_epi32_mask(t.raw, mask.raw) == 0xFFFF;
  else return hn::AllFalse(d, hn::Eq(hn::And(t, mask), hn::Zero(d)));
}

/// StoreRequantized through the float screen (core/fixed_point.hpp): the
/// result from the bits of t = fma(a, M, C') where every lane's fraction
/// is trusted; else the integer steps. Against two fmas, two conversions
/// and a compare (the screen before this one), MobileNetV2's 112x112
/// 16 -> 96 layer ran 263 -> 237 us.
template <requantize_form F, class D, class T>
HWY_INLINE void StoreRequantized(D d, hn::Vec<D> acc, const ScreenLanes<D>& s, hn::Vec<D>, int_range act, int valid,
                                 T* out) {
  const hn::Rebind<float, D> df;
  const auto negative = hn::RebindMask(df, hn::Lt(acc, hn::Zero(d)));
  const auto t = hn::BitCast(
      d, hn::MulAdd(hn::ConvertTo(df, acc), s.multiplier, hn::IfThenElse(negative, s.negative, s.positive)));
  if (HWY_UNLIKELY(!AllFractionsTrusted(d, t))) {
    StoreRequantizedUnscreened<F>(d, acc, s, act, valid, out);
    return;
  }
  const hn::Rebind<T, D> d8;
  const auto value = hn::Sub(hn::ShiftRight<screen_fraction_bits>(t), s.base);
  StoreFirstLanes(d8, NarrowClamped<T, F.clamp_low, F.clamp_high>(d, value, act.min, act.max), valid, out);
}
#endif

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
