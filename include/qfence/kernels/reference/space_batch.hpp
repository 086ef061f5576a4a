// qfence/kernels/reference/space_batch.hpp: SPACE_TO_BATCH_ND and
// BATCH_TO_SPACE_ND on [N, H, W, C] (a 3-D input is [N, H, 1, C] with a
// block width of 1), TFLite's reference loops: whole rows of C elements are
// copied, padding positions filled with the pad value.
#pragma once

#include <cstdint>
#include <cstring>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct space_batch_geometry {
  int in_n = 1, in_h = 1, in_w = 1, depth = 1;
  int out_n = 1, out_h = 1, out_w = 1;
  int block_h = 1, block_w = 1;
  int top = 0, left = 0;  // padding (SPACE_TO_BATCH_ND) or crop (BATCH_TO_SPACE_ND)
};

/// The geometry of shapes a rule accepted: `in`/`out` of rank 3 or 4.
constexpr space_batch_geometry make_space_batch_geometry(const int* in, const int* out, int rank, const int* block,
                                                         const int* edges) noexcept {
  space_batch_geometry g;
  const bool four = rank == 4;
  g.in_n = in[0], g.in_h = in[1], g.in_w = four ? in[2] : 1, g.depth = in[rank - 1];
  g.out_n = out[0], g.out_h = out[1], g.out_w = four ? out[2] : 1;
  g.block_h = block[0], g.block_w = four ? block[1] : 1;
  g.top = edges[0], g.left = four ? edges[2] : 0;
  return g;
}

namespace reference {

template <class T>
inline void space_to_batch(const space_batch_geometry& g, const T* in, T pad, T* out) noexcept {
  const auto row = static_cast<std::size_t>(g.depth);
  for (int ob = 0; ob < g.out_n; ++ob) {
    const int b = ob % g.in_n, shift_w = (ob / g.in_n) % g.block_w, shift_h = (ob / g.in_n) / g.block_w;
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow) {
        T* to = out + ((static_cast<std::size_t>(ob) * g.out_h + oh) * g.out_w + ow) * row;
        const int h = oh * g.block_h + shift_h - g.top, w = ow * g.block_w + shift_w - g.left;
        if (h < 0 || h >= g.in_h || w < 0 || w >= g.in_w) {
          for (std::size_t c = 0; c < row; ++c) to[c] = pad;
        } else {
          std::memcpy(to, in + ((static_cast<std::size_t>(b) * g.in_h + h) * g.in_w + w) * row, row * sizeof(T));
        }
      }
  }
}

template <class T>
inline void batch_to_space(const space_batch_geometry& g, const T* in, T* out) noexcept {
  const auto row = static_cast<std::size_t>(g.depth);
  for (int ib = 0; ib < g.in_n; ++ib) {
    const int ob = ib % g.out_n, offset = ib / g.out_n;
    for (int ih = 0; ih < g.in_h; ++ih) {
      const int oh = ih * g.block_h + offset / g.block_w - g.top;
      if (oh < 0 || oh >= g.out_h) continue;
      for (int iw = 0; iw < g.in_w; ++iw) {
        const int ow = iw * g.block_w + offset % g.block_w - g.left;
        if (ow < 0 || ow >= g.out_w) continue;
        std::memcpy(out + ((static_cast<std::size_t>(ob) * g.out_h + oh) * g.out_w + ow) * row,
                    in + ((static_cast<std::size_t>(ib) * g.in_h + ih) * g.in_w + iw) * row, row * sizeof(T));
      }
    }
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
