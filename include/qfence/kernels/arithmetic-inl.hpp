// qfence/kernels/arithmetic-inl.hpp: element-wise arithmetic on unquantized
// values with Highway, per target (re-included through kernels/dispatch.hpp):
// float ADD, SUB, MUL, DIV, FLOOR_DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE;
// the same on int32 (ADD, SUB, MUL, SQUARED_DIFFERENCE wrapping); CAST of 8-, 16- and 32-bit integers to
// float and of float to int32.
//
// Every lane computes what the reference computes for its element
// (kernels/reference/arithmetic.hpp), in the same precision:
//   - float +, -, * and / are IEEE operations, rounded once, in the
//     vectors as in the scalar code (QFENCE_EXACT_FLOAT keeps the compiler
//     from contracting them).
//   - The clamp and MAXIMUM/MINIMUM are selects on the reference's own
//     comparisons (x < lo ? lo : x), not Min/Max, whose NaN operand order is
//     the instruction's: a NaN passes the clamp as it passes the reference's.
//   - FLOOR_DIV and int32 DIV divide in double as the reference does, in
//     vectors of half as many lanes. For int32 operands the double quotient
//     is never rounded onto or across an integer (|a|, |b| < 2^31: a
//     non-integer quotient lies at least 1/|b| > |q| 2^-31 from any integer,
//     far more than its rounding error, |q| 2^-53), so flooring or
//     truncating it gives the integer quotient. A zero divisor gives 0 as in
//     the reference; INT_MIN / -1 wraps (DIV) or saturates (FLOOR_DIV) as
//     there.
//   - CAST float -> int32 truncates, NaN gives 0, out-of-range values
//     saturate; integer -> float rounds to nearest even (int32; narrower
//     integers are exact), as static_cast does.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/broadcast_vectors-inl.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/arithmetic.hpp"
#include "qfence/kernels/reference/squared_difference.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_ARITHMETIC_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_ARITHMETIC_INL_HPP_
#undef QFENCE_KERNELS_ARITHMETIC_INL_HPP_
#else
#define QFENCE_KERNELS_ARITHMETIC_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace arithmetic_detail {

/// Ops that divide in double (in vectors of half the lanes).
template <class Op, class T>
inline constexpr bool divides_in_double =
    std::is_same_v<Op, qfence::op::floor_div> || (std::is_same_v<Op, qfence::op::div> && std::is_integral_v<T>);

/// a > b ? a : b and a < b ? a : b, as the reference compares.
template <class V>
HWY_INLINE V ReferenceMax(V a, V b) {
  if constexpr (hwy::IsFloat<hn::TFromV<V>>()) return hn::IfThenElse(hn::Gt(a, b), a, b);
  else return hn::Max(a, b);
}
template <class V>
HWY_INLINE V ReferenceMin(V a, V b) {
  if constexpr (hwy::IsFloat<hn::TFromV<V>>()) return hn::IfThenElse(hn::Lt(a, b), a, b);
  else return hn::Min(a, b);
}

/// v < lo ? lo : (v > hi ? hi : v): the reference's clamp (and
/// std::min(std::max(v, lo), hi)'s), which lets a NaN through.
template <class V>
HWY_INLINE V ClampAsReference(V v, V lo, V hi) {
  if constexpr (hwy::IsFloat<hn::TFromV<V>>()) return hn::IfThenElse(hn::Lt(v, lo), lo, hn::IfThenElse(hn::Gt(v, hi), hi, v));
  else return hn::Min(hn::Max(v, lo), hi);
}

#if HWY_HAVE_FLOAT64
/// FLOOR_DIV (float, int32) and int32 DIV of D's lanes, through double.
template <class Op, class D>
HWY_INLINE hn::Vec<D> DivideInDouble(D d, hn::Vec<D> a, hn::Vec<D> b) {
  using T = hn::TFromD<D>;
  const hn::Rebind<double, D> dd;
  if constexpr (std::is_floating_point_v<T>) {  // FLOOR_DIV of floats
    // floor keeps its argument's sign, -0 included; CopySign restores the
    // -0 that HWY_SCALAR's Floor (through an integer) loses.
    const auto quotient = hn::Div(hn::PromoteTo(dd, a), hn::PromoteTo(dd, b));
    return hn::DemoteTo(d, hn::CopySign(hn::Floor(quotient), quotient));
  } else {
    const auto zero = hn::Eq(b, hn::Zero(d));
    const auto divisor = hn::PromoteTo(dd, hn::IfThenElse(zero, hn::Set(d, 1), b));
    const auto quotient = hn::Div(hn::PromoteTo(dd, a), divisor);
    hn::Vec<D> q;
    if constexpr (std::is_same_v<Op, qfence::op::floor_div>) {
      // INT_MIN / -1 = 2^31 saturates to INT_MAX, as the reference's does.
      q = hn::DemoteTo(d, hn::Min(hn::Floor(quotient), hn::Set(dd, 2147483647.0)));
    } else {
      // Truncation; b == -1 is -a, which wraps for INT_MIN as in the reference.
      q = hn::IfThenElse(hn::Eq(b, hn::Set(d, -1)), hn::Neg(a),
                         hn::DemoteTo(d, hn::Min(hn::Trunc(quotient), hn::Set(dd, 2147483647.0))));
    }
    return hn::IfThenZeroElse(zero, q);
  }
}
#endif

/// Op of D's lanes, for the ops that do not divide in double.
template <class Op, class D>
HWY_INLINE hn::Vec<D> Apply(D d, hn::Vec<D> a, hn::Vec<D> b) {
  using T = hn::TFromD<D>;
  if constexpr (std::is_same_v<Op, qfence::op::int_add>) return hn::Add(a, b);
  else if constexpr (std::is_same_v<Op, qfence::op::int_sub>) return hn::Sub(a, b);
  else if constexpr (std::is_same_v<Op, qfence::op::int_mul>) return hn::Mul(a, b);
  else if constexpr (std::is_same_v<Op, qfence::op::maximum>) return ReferenceMax(a, b);
  else if constexpr (std::is_same_v<Op, qfence::op::minimum>) return ReferenceMin(a, b);
  else if constexpr (std::is_same_v<Op, qfence::op::squared_difference>) {
    const auto difference = hn::Sub(a, b);
    return hn::Mul(difference, difference);
  } else {
    static_assert(std::is_same_v<Op, qfence::op::div> && std::is_floating_point_v<T>);
    (void)d;
    return hn::Div(a, b);
  }
}

}  // namespace arithmetic_detail

/// out = clamp(Op(a, b), lo, hi) over the broadcast `g`: float or int32, Op
/// one of qfence::op's arithmetic tags (kernels/reference/arithmetic.hpp).
template <class Op, class T>
HWY_NOINLINE void ArithmeticPlain(const broadcast_geometry& g, const T* a, const T* b, T lo, T hi, T* out) {
  namespace ad = arithmetic_detail;
  const auto run = [&](auto d, auto&& op) {
    const auto low = hn::Set(d, lo), high = hn::Set(d, hi);
    EachBroadcastVector(d, g, a, b, out, [&](hn::Vec<decltype(d)> x, hn::Vec<decltype(d)> y) QFENCE_INLINE_LAMBDA {
      return ad::ClampAsReference(op(d, x, y), low, high);
    });
  };
  if constexpr (ad::divides_in_double<Op, T>) {
#if HWY_HAVE_FLOAT64
    run(hn::Rebind<T, hn::ScalableTag<double>>(), [](auto d, auto x, auto y)
            QFENCE_INLINE_LAMBDA { return ad::DivideInDouble<Op>(d, x, y); });
#else
    reference::arithmetic<Op>(g, a, b, lo, hi, out);  // no double lanes on this target
#endif
  } else {
    run(hn::ScalableTag<T>(), [](auto d, auto x, auto y) QFENCE_INLINE_LAMBDA { return ad::Apply<Op>(d, x, y); });
  }
}

/// CAST of n values: int8, uint8, int16 or int32 -> float, float -> int32.
template <class From, class To>
HWY_NOINLINE void CastNumbers(std::int64_t n, const From* in, To* out) {
  static_assert(std::is_same_v<To, float> ? std::is_integral_v<From> && sizeof(From) <= 4
                                           : std::is_same_v<From, float> && std::is_same_v<To, std::int32_t>);
  const hn::ScalableTag<std::int32_t> d;  // the lanes: From's widened to int32, or floats of To's width
  const hn::Rebind<float, decltype(d)> df;
  const hn::Rebind<To, decltype(d)> dto;
  EachStretch(n, static_cast<std::int64_t>(hn::Lanes(d)), [&](std::int64_t i, int valid) QFENCE_INLINE_LAMBDA {
    if constexpr (std::is_floating_point_v<To>) {
      StoreFirstLanes(dto, hn::ConvertTo(df, LoadFirstLanesWidened(d, in + i, valid)), valid, out + i);
    } else {
      // NaN -> 0, >= 2^31 -> INT_MAX, <= -2^31 -> INT_MIN, else truncated.
      const auto v = LoadFirstLanes(df, in + i, valid);
      const auto big = hn::Ge(v, hn::Set(df, 2147483648.0f));
      const auto in_range = hn::Max(hn::IfThenZeroElse(hn::Or(hn::IsNaN(v), big), v), hn::Set(df, -2147483648.0f));
      StoreFirstLanes(dto,
                      hn::IfThenElse(hn::RebindMask(dto, big), hn::Set(dto, std::numeric_limits<std::int32_t>::max()),
                                     hn::ConvertTo(dto, in_range)),
                      valid, out + i);
    }
  });
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
