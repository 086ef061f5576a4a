// qfence/kernels/reference/extreme.hpp: which value a maximum or minimum
// keeps, as TFLM's reductions and ArgMinMax decide it: `in > current` (`<`
// for a minimum) replaces the current value, so the first of equal values
// stays (-0 and +0 keep their order) and a NaN never wins; a reduction
// starts from the type's lowest (highest) value.
#pragma once

#include <limits>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

template <bool Max>
struct extreme {
  template <class T>
  static constexpr T start() noexcept {
    return Max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  template <class T>
  static constexpr bool replaces(T in, T current) noexcept {
    if constexpr (Max) return in > current;
    else return in < current;
  }
};

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
