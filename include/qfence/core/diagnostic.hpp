// qfence/core/diagnostic.hpp: the vocabulary of qfence's compile errors.
//
// A static_assert message must be a string literal, so it cannot print a
// type. Both GCC and Clang do print the *condition* of a failed static_assert
// with its template arguments spelt out. qfence therefore writes every check
// as
//
//     static_assert(check<ok, at_node<3, op::conv2d>, operand<0>,
//                         producer<tensor<...>>, expected<tensor<...>>>,
//                   "qfence: ... fix: ...");
//
// and the compiler shows, in one diagnostic, the node index and op, the
// producer's type, the expected type and (in the message) the fix.
#pragma once

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// `check<Ok, Context...>` is `Ok`; the context types exist only to be shown
/// in the diagnostic when `Ok` is false.
template <bool Ok, class... Context>
inline constexpr bool check = Ok;

/// The node a diagnostic is about: its index in the graph and its op.
template <int Index, class Op> struct at_node {};
/// Which input of that node (0-based, in the order the node was written).
template <int Index> struct operand {};
/// The type the producing node actually delivers.
template <class Tensor> struct producer {};
/// The type the consuming node requires.
template <class Tensor> struct expected {};
/// A constant (weights, bias) and its declared type.
template <class Tensor> struct weights {};
template <class Tensor> struct bias {};
/// Free-form numbers shown in a diagnostic.
template <long long Value> struct channels {};
template <long long Value> struct scales_given {};

}  // namespace qfence

/// Staged compile-time checks. Inside a `static constexpr bool validate()` of a
/// template, write
///
///     QFENCE_REQUIRE(cond1, (at_node<I, op>, producer<In>), "qfence: ... fix: ...")
///     QFENCE_REQUIRE(cond2, (...), "...")
///     return true;
///
/// Only the first failing condition is asserted: later checks (which may rely on
/// earlier ones, e.g. a rank before a dimension) are discarded, so the user sees
/// one error, not a cascade.
#define QFENCE_DETAIL_UNPAREN(...) __VA_ARGS__
#define QFENCE_REQUIRE(cond, context, message)                                             \
  if constexpr (!(cond)) {                                                                 \
    static_assert(::qfence::check<(cond), QFENCE_DETAIL_UNPAREN context>, message);       \
    return false;                                                                          \
  } else

/// Run a staged sub-check (a constexpr function that asserts its own message)
/// and stop at its first failure.
#define QFENCE_REQUIRE_THAT(...)  \
  if constexpr (!(__VA_ARGS__)) { \
    return false;                 \
  } else

QFENCE_EXACT_FLOAT_END
