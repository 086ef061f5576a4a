// qfence/ops/strided_slice.hpp: STRIDED_SLICE geometry (TFLite's
// strided_slice_logic: masks, negative indices, clamping) and kernel.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace qfence {

inline constexpr int max_slice_rank = 5;

/// Per dimension (padded to max_slice_rank with leading 1s): first index,
/// step and count of the elements taken.
struct slice_geometry {
  std::array<int, max_slice_rank> in_dims{1, 1, 1, 1, 1};
  std::array<int, max_slice_rank> start{};
  std::array<int, max_slice_rank> stride{1, 1, 1, 1, 1};
  std::array<int, max_slice_rank> count{1, 1, 1, 1, 1};
};

struct slice_masks {
  int begin = 0, end = 0, shrink_axis = 0;
  bool offset = false;  // end is relative to begin
};

/// TFLite StartForAxis / StopForAxis for one dimension: `begin`, `end`,
/// `stride` as given (stride != 0), with the masks' bits for this axis.
/// Returns {start, count}.
constexpr std::array<int, 2> slice_axis(int dim, int begin, int end, int stride, bool begin_masked, bool end_masked,
                                        bool shrink, bool offset) noexcept {
  auto clamp = [](int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); };
  int start = begin;
  if (begin_masked && !shrink) {
    start = stride > 0 ? 0 : dim - 1;
  } else {
    if (start < 0) start += dim;
    start = stride > 0 ? clamp(start, 0, dim) : clamp(start, -1, dim - 1);
  }
  int stop = 0;
  if (shrink) {
    stop = start + 1;
  } else if (end_masked) {
    stop = stride > 0 ? dim : -1;
  } else {
    stop = offset ? begin + end : end;
    if (stop < 0) stop += dim;
    stop = stride > 0 ? clamp(stop, 0, dim) : clamp(stop, -1, dim - 1);
  }
  int count = 0;
  if (stride > 0 && stop > start) count = (stop - start + stride - 1) / stride;
  if (stride < 0 && stop < start) count = (start - stop + (-stride) - 1) / (-stride);
  return {start, count};
}

namespace reference {

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

}  // namespace reference
}  // namespace qfence
