// qfence/kernels/parameter.hpp: kernel parameters that are either compile-time
// constants or run-time values, for one kernel body on both paths.
//
// A kernel takes its geometry (and, as kernels grow, its other per-layer
// facts) as a template parameter type P and reads it through value_of(p):
//   - the compile-time path passes kernels::fixed<geometry>{}, an empty type
//     whose value is a constant of the layer: the kernel is instantiated per
//     layer and every shape, stride and padding in its loops is a constant
//     (loop bounds, tails and border branches fold, whatever inlining does);
//   - the runtime path passes the value itself (e.g. a window_geometry): one
//     instantiation per dtype variant serves every layer.
// The body is the same text; the reference kernels are the first users, the
// Highway kernels (docs/architecture.md, "Kernel parameters") the reason.
#pragma once

#include <type_traits>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// A kernel parameter known at compile time.
template <auto Value>
struct fixed {
  using value_type = decltype(Value);
  static constexpr value_type value = Value;
};

template <class P> inline constexpr bool is_fixed_v = false;
template <auto V> inline constexpr bool is_fixed_v<fixed<V>> = true;

/// The value of a kernel parameter: the constant of a fixed<...>, the object
/// itself otherwise.
template <class P>
constexpr const auto& value_of(const P& p) noexcept {
  if constexpr (is_fixed_v<P>) return P::value;
  else return p;
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
