// qfence/kernels/reference/arg_max.hpp: reference kernel code of arg_max
// (moved from ops/arg_max.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

template <class T, class Index>
inline void arg_max(std::int64_t outer, int size, std::int64_t inner, const T* in, Index* out) noexcept {
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      T best = in[o * size * inner + i];
      Index at = 0;
      for (int k = 1; k < size; ++k) {
        const T v = in[(o * size + k) * inner + i];
        if (v > best) {
          best = v;
          at = static_cast<Index>(k);
        }
      }
      out[o * inner + i] = at;
    }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
