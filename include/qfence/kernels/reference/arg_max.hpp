// qfence/kernels/reference/arg_max.hpp: ARG_MAX and ARG_MIN, the index of
// the first largest (smallest) value along an axis: TFLite's ArgMinMax with
// std::greater (std::less), the comparison of kernels/reference/extreme.hpp.
// Both paths run it.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/reference/extreme.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

template <bool Max, class T, class Index>
inline void arg_extreme(std::int64_t outer, int size, std::int64_t inner, const T* in, Index* out) noexcept {
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      T best = in[o * size * inner + i];
      Index at = 0;
      for (int k = 1; k < size; ++k) {
        const T v = in[(o * size + k) * inner + i];
        if (extreme<Max>::replaces(v, best)) {
          best = v;
          at = static_cast<Index>(k);
        }
      }
      out[o * inner + i] = at;
    }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
