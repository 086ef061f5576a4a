// qfence/kernels/unary_math-inl.hpp: the float math ops of one operand whose
// functions are exact in vectors (kernels/reference/unary_math.hpp: ABS,
// CEIL, FLOOR, HARD_SWISH, NEG, ROUND, RSQRT, SQRT, SQUARE), with Highway, per target
// (re-included through kernels/dispatch.hpp).
//
// Every lane computes the reference's bits:
//   - sqrt, division and multiplication are IEEE operations, rounded once;
//   - FLOOR and CEIL take x's sign back (CopySign): the results always have
//     it, and Highway's emulated targets give +0 for floor(-0) and -0 for
//     ceil(+0);
//   - ROUND is TFLite's RoundToNearest step by step (floor, the difference,
//     half to even, else floor + 1), so -0.3 gives +0 as the reference does.
// COS, EXP, LOG and SIN are the C library's scalar calls on every target
// (kernels/dispatch.hpp never asks for their vector form).
#include <cstdint>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/reference/unary_math.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_UNARY_MATH_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_UNARY_MATH_INL_HPP_
#undef QFENCE_KERNELS_UNARY_MATH_INL_HPP_
#else
#define QFENCE_KERNELS_UNARY_MATH_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace unary_math_detail {

template <class D, class V>
HWY_INLINE V FloorAsReference(D, V v) {
  return hn::CopySign(hn::Floor(v), v);
}

/// Op's function on one vector (Op::vector ops only).
template <class Op, class D, class V>
HWY_INLINE V Apply(D d, V v) {
  if constexpr (std::is_same_v<Op, qfence::op::abs>) {
    return hn::Abs(v);
  } else if constexpr (std::is_same_v<Op, qfence::op::ceil>) {
    return hn::CopySign(hn::Ceil(v), v);
  } else if constexpr (std::is_same_v<Op, qfence::op::floor>) {
    return FloorAsReference(d, v);
  } else if constexpr (std::is_same_v<Op, qfence::op::hard_swish>) {
    // x * min(6, max(0, x + 3)) / 6 with std::max/std::min's comparisons:
    // max(0, s) is s where 0 < s, else 0 (so NaN gives 0, and the product
    // NaN); min(6, r) is r where r < 6, else 6.
    const V zero = hn::Zero(d), six = hn::Set(d, 6.0f);
    const V shifted = hn::Add(v, hn::Set(d, 3.0f));
    const V relu = hn::IfThenElse(hn::Lt(zero, shifted), shifted, zero);
    const V capped = hn::IfThenElse(hn::Lt(relu, six), relu, six);
    return hn::Div(hn::Mul(v, capped), six);
  } else if constexpr (std::is_same_v<Op, qfence::op::neg>) {
    return hn::Neg(v);
  } else if constexpr (std::is_same_v<Op, qfence::op::round>) {
    const V below = FloorAsReference(d, v);
    const V diff = hn::Sub(v, below);
    const V half = hn::Set(d, 0.5f);
    // below is even where below / 2 is an integer (exact: diff is 0.5 only
    // below 2^23).
    const V halved = hn::Mul(below, half);
    const auto even = hn::Eq(FloorAsReference(d, halved), halved);
    const auto keep = hn::Or(hn::Lt(diff, half), hn::And(hn::Eq(diff, half), even));
    return hn::IfThenElse(keep, below, hn::Add(below, hn::Set(d, 1.0f)));
  } else if constexpr (std::is_same_v<Op, qfence::op::rsqrt>) {
    return hn::Div(hn::Set(d, 1.0f), hn::Sqrt(v));
  } else if constexpr (std::is_same_v<Op, qfence::op::sqrt>) {
    return hn::Sqrt(v);
  } else {
    static_assert(std::is_same_v<Op, qfence::op::square>, "UnaryMathFloat: not an op with a vector form");
    return hn::Mul(v, v);
  }
}

}  // namespace unary_math_detail

/// out[i] = Op::apply(in[i]) for n floats.
template <class Op>
HWY_NOINLINE void UnaryMathFloat(std::int64_t n, const float* in, float* out) {
  const hn::ScalableTag<float> d;
  EachStretch(n, static_cast<std::int64_t>(hn::Lanes(d)), [&](std::int64_t i, int valid) QFENCE_INLINE_LAMBDA {
    StoreFirstLanes(d, unary_math_detail::Apply<Op>(d, LoadFirstLanes(d, in + i, valid)), valid, out + i);
  });
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
