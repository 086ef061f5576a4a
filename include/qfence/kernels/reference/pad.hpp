// qfence/kernels/reference/pad.hpp: reference kernel code of pad
// (moved from ops/pad.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// Pads a tensor of `rank` dims (<= 6) with `value`; `before`/`after` per dim.
template <class T>
inline void pad(int rank, const int* in_dims, const int* before, const int* after, const T* in, T value,
                T* out) noexcept {
  std::array<int, 6> idims{1, 1, 1, 1, 1, 1}, b{}, odims{1, 1, 1, 1, 1, 1};
  for (int d = 0; d < rank; ++d) {
    const auto k = static_cast<std::size_t>(6 - rank + d);
    idims[k] = in_dims[d];
    b[k] = before[d];
    odims[k] = in_dims[d] + before[d] + after[d];
  }
  std::int64_t o = 0;
  for (int i0 = 0; i0 < odims[0]; ++i0)
    for (int i1 = 0; i1 < odims[1]; ++i1)
      for (int i2 = 0; i2 < odims[2]; ++i2)
        for (int i3 = 0; i3 < odims[3]; ++i3)
          for (int i4 = 0; i4 < odims[4]; ++i4)
            for (int i5 = 0; i5 < odims[5]; ++i5, ++o) {
              const int idx[6] = {i0 - b[0], i1 - b[1], i2 - b[2], i3 - b[3], i4 - b[4], i5 - b[5]};
              bool inside = true;
              std::int64_t flat = 0;
              for (std::size_t k = 0; k < 6; ++k) {
                if (idx[k] < 0 || idx[k] >= idims[k]) { inside = false; break; }
                flat = flat * idims[k] + idx[k];
              }
              out[o] = inside ? in[flat] : value;
            }
}

/// MIRROR_PAD of a tensor of `rank` dims (<= 6): output element i along a
/// dimension reads input element mirror(i) (TFLM's GetInputDimension),
/// `offset` 1 for REFLECT, 0 for SYMMETRIC.
template <class T>
inline void mirror_pad(int rank, const int* in_dims, const int* before, const int* after, int offset, const T* in,
                       T* out) noexcept {
  std::array<int, 6> idims{1, 1, 1, 1, 1, 1}, b{}, odims{1, 1, 1, 1, 1, 1};
  std::array<std::int64_t, 6> stride{};
  for (int d = 0; d < rank; ++d) {
    const auto k = static_cast<std::size_t>(6 - rank + d);
    idims[k] = in_dims[d];
    b[k] = before[d];
    odims[k] = in_dims[d] + before[d] + after[d];
  }
  std::int64_t s = 1;
  for (std::size_t k = 6; k-- > 0;) {
    stride[k] = s;
    s *= idims[k];
  }
  const auto source = [&](std::size_t k, int at) {
    if (at < b[k]) return b[k] + offset - 1 - at;           // mirrored at the leading border
    at -= b[k];
    if (at >= idims[k]) return idims[k] - 1 - offset - (at - idims[k]);  // at the trailing one
    return at;
  };
  std::int64_t total = 1;
  for (const int d : odims) total *= d;
  std::array<int, 6> at{};
  for (std::int64_t o = 0; o < total; ++o) {
    std::int64_t from = 0;
    for (std::size_t k = 0; k < 6; ++k) from += static_cast<std::int64_t>(source(k, at[k])) * stride[k];
    out[o] = in[from];
    for (std::size_t k = 6; k-- > 0;) {
      if (++at[k] < odims[k]) break;
      at[k] = 0;
    }
  }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
