// qfence/kernels/transpose_planes.hpp: whether a TRANSPOSE only interleaves
// or deinterleaves two to four planes (kernels/transpose-inl.hpp runs that
// form; every other transpose runs the reference).
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/transpose.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// out[b][s][r] = in[b][r][s] (interleave) or out[b][r][s] = in[b][s][r],
/// r < planes, s < plane_size; batch b of the input at b * batch_in_stride,
/// the output contiguous.
struct interleave_form {
  bool valid = false, interleave = false;
  int planes = 0;
  std::int64_t plane_size = 0, batches = 1, batch_in_stride = 0;
};

/// The interleave form of `g`, if it has one: its output dimensions, without
/// those of size 1 and with neighbours merged where the input is contiguous
/// across them, must be [batch][S][R] read with strides [any][1][S]
/// (interleave), or [batch][R][S] read with strides [any][1][R]
/// (deinterleave), for R = 2, 3 or 4.
constexpr interleave_form interleave_form_of(const transpose_geometry& g) noexcept {
  std::int64_t size[max_transpose_rank]{}, stride[max_transpose_rank]{};
  int n = 0;
  for (int k = 0; k < max_transpose_rank; ++k) {
    const auto d = static_cast<std::size_t>(k);
    if (g.out_dims[d] == 1) continue;
    if (n > 0 && stride[n - 1] == g.in_stride[d] * g.out_dims[d]) {  // contiguous with the previous one: merge
      size[n - 1] *= g.out_dims[d];
      stride[n - 1] = g.in_stride[d];
      continue;
    }
    size[n] = g.out_dims[d];
    stride[n] = g.in_stride[d];
    ++n;
  }
  interleave_form f;
  if (n < 2 || n > 3) return f;
  const std::int64_t outer = size[n - 2], inner = size[n - 1];
  const bool interleave = stride[n - 2] == 1 && stride[n - 1] == outer && inner >= 2 && inner <= 4;
  const bool deinterleave = stride[n - 2] == 1 && stride[n - 1] == outer && outer >= 2 && outer <= 4 && !interleave;
  if (!interleave && !deinterleave) return f;
  f.valid = true;
  f.interleave = interleave;
  f.planes = static_cast<int>(interleave ? inner : outer);
  f.plane_size = interleave ? outer : inner;
  f.batches = n == 3 ? size[0] : 1;
  f.batch_in_stride = n == 3 ? stride[0] : 0;
  return f;
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
