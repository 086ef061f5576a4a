// qfence/kernels/reference/gather_nd.hpp: reference kernel code of gather_nd
// (moved from ops/gather_nd.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// `rows` index rows of `depth` indices each select a slice of
/// `slice_bytes`; `dims`/`strides` are the first `depth` dimensions of params
/// and their byte strides. Out-of-range indices (a run-time data error in
/// TFLite) produce zeros, never a read outside params.
template <class Index>
inline void gather_nd(const void* params, const Index* indices, std::int64_t rows, int depth, const int* dims,
                      const std::int64_t* strides, std::int64_t slice_bytes, void* output) noexcept {
  const auto* src = static_cast<const unsigned char*>(params);
  auto* dst = static_cast<unsigned char*>(output);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t offset = 0;
    bool inside = true;
    for (int d = 0; d < depth; ++d) {
      const auto idx = static_cast<std::int64_t>(indices[r * depth + d]);
      if (idx < 0 || idx >= dims[d]) inside = false;
      offset += idx * strides[d];
    }
    if (inside) std::memcpy(dst, src + offset, static_cast<std::size_t>(slice_bytes));
    else std::memset(dst, 0, static_cast<std::size_t>(slice_bytes));
    dst += slice_bytes;
  }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
