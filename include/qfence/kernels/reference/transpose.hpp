// qfence/kernels/reference/transpose.hpp: reference kernel code of transpose
// (moved from ops/transpose.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/rules/transpose.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Input dims and permutation padded to max_transpose_rank (leading 1s), with
/// the input stride of each output dimension.
struct transpose_geometry {
  std::array<int, max_transpose_rank> out_dims{1, 1, 1, 1, 1, 1};
  std::array<std::int64_t, max_transpose_rank> in_stride{};
};

/// out.dim(i) = in.dim(perm[i]).
constexpr transpose_geometry make_transpose_geometry(const int* in_dims, int rank, const int* perm) noexcept {
  transpose_geometry g;
  std::array<std::int64_t, max_transpose_rank> stride{};
  std::int64_t s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    stride[static_cast<std::size_t>(d)] = s;
    s *= in_dims[d];
  }
  const int lead = max_transpose_rank - rank;
  for (int i = 0; i < rank; ++i) {
    g.out_dims[static_cast<std::size_t>(lead + i)] = in_dims[perm[i]];
    g.in_stride[static_cast<std::size_t>(lead + i)] = stride[static_cast<std::size_t>(perm[i])];
  }
  return g;
}

namespace reference {

/// Copies every element to its place. The loops run in output order except
/// that the output dimension whose input is contiguous (stride 1), when there
/// is one, runs innermost: NCHW to NHWC then reads each channel plane in
/// order and writes with a stride of C, instead of gathering C bytes from C
/// planes for every pixel.
template <std::size_t ElementBytes>
inline void transpose(const transpose_geometry& g, const void* input, void* output) noexcept {
  const auto* in = static_cast<const unsigned char*>(input);
  auto* out = static_cast<unsigned char*>(output);
  constexpr std::size_t rank = max_transpose_rank;
  std::array<std::int64_t, rank> out_stride{};
  std::int64_t s = 1;
  for (std::size_t k = rank; k-- > 0;) {
    out_stride[k] = s;
    s *= g.out_dims[k];
  }
  std::array<std::size_t, rank> order{0, 1, 2, 3, 4, 5};
  for (std::size_t k = 0; k + 1 < rank; ++k)
    if (g.in_stride[k] == 1 && g.out_dims[k] > 1) {
      for (std::size_t j = k; j + 1 < rank; ++j) order[j] = order[j + 1];
      order[rank - 1] = k;
      break;
    }
  std::array<int, rank> d{};
  std::array<std::int64_t, rank> is{}, os{};
  for (std::size_t j = 0; j < rank; ++j) {
    d[j] = g.out_dims[order[j]];
    is[j] = g.in_stride[order[j]] * static_cast<std::int64_t>(ElementBytes);
    os[j] = out_stride[order[j]] * static_cast<std::int64_t>(ElementBytes);
  }
  for (int i0 = 0; i0 < d[0]; ++i0)
    for (int i1 = 0; i1 < d[1]; ++i1)
      for (int i2 = 0; i2 < d[2]; ++i2)
        for (int i3 = 0; i3 < d[3]; ++i3)
          for (int i4 = 0; i4 < d[4]; ++i4) {
            const unsigned char* src = in + i0 * is[0] + i1 * is[1] + i2 * is[2] + i3 * is[3] + i4 * is[4];
            unsigned char* dst = out + i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3] + i4 * os[4];
            for (int i5 = 0; i5 < d[5]; ++i5) std::memcpy(dst + i5 * os[5], src + i5 * is[5], ElementBytes);
          }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
