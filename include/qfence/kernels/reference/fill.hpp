// qfence/kernels/reference/fill.hpp: SHAPE, FILL and ZEROS_LIKE, whose
// outputs do not depend on their input's values (TFLM's shape.cc, fill.cc,
// zeros_like.cc).
#pragma once

#include <cstdint>
#include <cstring>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// SHAPE: the `rank` dimensions, as Index.
template <class Index>
inline void shape_of(const int* dims, int rank, Index* out) noexcept {
  for (int d = 0; d < rank; ++d) out[d] = static_cast<Index>(dims[d]);
}

/// FILL: `n` copies of *value.
template <class T>
inline void fill(std::int64_t n, const T* value, T* out) noexcept {
  const T v = *value;
  for (std::int64_t i = 0; i < n; ++i) out[i] = v;
}

/// ZEROS_LIKE: `bytes` zero bytes.
inline void zeros(std::size_t bytes, void* out) noexcept {
  if (bytes != 0) std::memset(out, 0, bytes);
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
