// qfence/kernels/pad.hpp: PAD as block copies and fills.
//
// The reference kernel (kernels/reference/pad.hpp) visits every output
// element with an index test; here the dimensions after the last padded one
// form one contiguous block, copied with memcpy (libc's SIMD copy) and
// framed by fills of the pad value. The same bytes as the reference, which
// the tests check.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

namespace detail {
template <class T>
void pad_dimension(int d, int last, const int* in_dims, const int* before, const int* after, std::size_t block,
                   const std::size_t* in_stride, const std::size_t* out_stride, const T* in, T value, T* out) noexcept {
  const auto count = [](int v) { return static_cast<std::size_t>(v); };
  if (d == last) {
    std::fill_n(out, count(before[d]) * block, value);
    out += count(before[d]) * block;
    std::memcpy(out, in, count(in_dims[d]) * block * sizeof(T));
    std::fill_n(out + count(in_dims[d]) * block, count(after[d]) * block, value);
    return;
  }
  const std::size_t os = out_stride[d], is = in_stride[d];
  std::fill_n(out, count(before[d]) * os, value);
  out += count(before[d]) * os;
  for (int i = 0; i < in_dims[d]; ++i)
    pad_dimension(d + 1, last, in_dims, before, after, block, in_stride, out_stride, in + count(i) * is, value,
                  out + count(i) * os);
  std::fill_n(out + count(in_dims[d]) * os, count(after[d]) * os, value);
}
}  // namespace detail

/// Pads a tensor of `rank` (<= 6) dimensions with `value` (TFLite's PAD and
/// PADV2 semantics, as reference::pad).
template <class T>
inline void pad(int rank, const int* in_dims, const int* before, const int* after, const T* in, T value,
                T* out) noexcept {
  int last = -1;  // the last padded dimension
  for (int d = 0; d < rank; ++d)
    if (before[d] != 0 || after[d] != 0) last = d;
  std::size_t block = 1;  // elements of the dimensions after `last`
  for (int d = last + 1; d < rank; ++d) block *= static_cast<std::size_t>(in_dims[d]);
  if (last < 0) {
    std::memcpy(out, in, block * sizeof(T));
    return;
  }
  std::size_t in_stride[6], out_stride[6];
  std::size_t is = block, os = block;
  for (int d = last; d >= 0; --d) {
    in_stride[d] = is;
    out_stride[d] = os;
    is *= static_cast<std::size_t>(in_dims[d]);
    os *= static_cast<std::size_t>(in_dims[d] + before[d] + after[d]);
  }
  detail::pad_dimension(0, last, in_dims, before, after, block, in_stride, out_stride, in, value, out);
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
