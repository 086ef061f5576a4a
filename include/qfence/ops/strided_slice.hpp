// qfence/ops/strided_slice.hpp: STRIDED_SLICE geometry (TFLite's
// strided_slice_logic: masks, negative indices, clamping) and kernel.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/ops/op_support.hpp"

namespace qfence {

namespace op {
struct strided_slice {
  static constexpr const char* name = "strided_slice";
};
}  // namespace op

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

/// A STRIDED_SLICE as TFLite states it: begin, end, strides per dimension
/// and the masks. Declare one `inline constexpr slice_spec<R>` per node and
/// pass it by reference: strided_slice<spec>(x).
template <std::size_t R>
struct slice_spec {
  std::array<int, R> begin{}, end{}, strides{};
  int begin_mask = 0, end_mask = 0, shrink_axis_mask = 0;
  bool offset = false;
};

template <int In, const auto& Spec>
struct strided_slice_node {
  using op = op::strided_slice;
  using inputs = refs<In>;
  static constexpr std::size_t rank = Spec.begin.size();

  template <class Input>
  static constexpr slice_geometry geometry() {
    slice_geometry g;
    const int lead = max_slice_rank - static_cast<int>(rank);
    for (std::size_t d = 0; d < rank; ++d) {
      const auto k = static_cast<std::size_t>(lead) + d;
      const auto [start, count] =
          slice_axis(Input::shape_type::dims[d], Spec.begin[d], Spec.end[d], Spec.strides[d],
                     (Spec.begin_mask >> d) & 1, (Spec.end_mask >> d) & 1, (Spec.shrink_axis_mask >> d) & 1,
                     Spec.offset);
      g.in_dims[k] = Input::shape_type::dims[d];
      g.start[k] = start;
      g.stride[k] = Spec.strides[d];
      g.count[k] = count;
    }
    return g;
  }

  template <int Index, class Input>
  static constexpr bool validate() {
    constexpr bool strides_ok = [] {
      for (int s : Spec.strides)
        if (s == 0) return false;
      return true;
    }();
    QFENCE_REQUIRE(Input::rank == rank && rank <= max_slice_rank && strides_ok, (at_node<Index, op>, producer<Input>),
                   "qfence: strided_slice spec must have one begin/end/stride per input dimension (rank <= 5), "
                   "strides non-zero")
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr slice_geometry g = geometry<Input>();
    static constexpr std::size_t out_rank = [] {
      std::size_t n = 0;
      for (std::size_t d = 0; d < rank; ++d) n += ((Spec.shrink_axis_mask >> d) & 1) ? 0 : 1;
      return n;
    }();
    static constexpr auto dims = [] {
      std::array<int, out_rank> o{};
      std::size_t k = 0;
      for (std::size_t d = 0; d < rank; ++d)
        if (!((Spec.shrink_axis_mask >> d) & 1)) o[k++] = g.count[max_slice_rank - rank + d];
      return o;
    }();
    using output = tensor<Input::type, shape_from_array<dims>, typename Input::quant>;
    static void run(const strided_slice_node&, const typename Input::element* in, typename output::element* out) {
      reference::strided_slice<sizeof(typename Input::element)>(g, in, out);
    }
  };
};

template <const auto& Spec, int In>
constexpr auto strided_slice(node_ref<In>) {
  return strided_slice_node<In, Spec>{};
}

}  // namespace qfence
