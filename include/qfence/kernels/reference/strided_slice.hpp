// qfence/kernels/reference/strided_slice.hpp: reference kernel code of strided_slice
// (moved from ops/strided_slice.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/rules/strided_slice.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

template <std::size_t ElementBytes>
inline void strided_slice(const slice_geometry& g, const void* input, void* output) noexcept {
  const auto* in = static_cast<const unsigned char*>(input);
  auto* out = static_cast<unsigned char*>(output);
  std::array<std::int64_t, max_slice_rank> stride_of{};
  std::int64_t s = 1;
  for (int d = max_slice_rank - 1; d >= 0; --d) {
    stride_of[static_cast<std::size_t>(d)] = s;
    s *= g.in_dims[static_cast<std::size_t>(d)];
  }
  auto at = [&](std::size_t d, int i) {
    return static_cast<std::int64_t>(g.start[d] + i * g.stride[d]) * stride_of[d];
  };
  for (int i0 = 0; i0 < g.count[0]; ++i0)
    for (int i1 = 0; i1 < g.count[1]; ++i1)
      for (int i2 = 0; i2 < g.count[2]; ++i2)
        for (int i3 = 0; i3 < g.count[3]; ++i3) {
          const std::int64_t base = at(0, i0) + at(1, i1) + at(2, i2) + at(3, i3);
          for (int i4 = 0; i4 < g.count[4]; ++i4) {
            std::memcpy(out, in + (base + at(4, i4)) * static_cast<std::int64_t>(ElementBytes), ElementBytes);
            out += ElementBytes;
          }
        }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
