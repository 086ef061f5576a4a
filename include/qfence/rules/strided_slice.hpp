// qfence/rules/strided_slice.hpp: the type and shape rules of STRIDED_SLICE
// and SLICE, and the slice geometry both paths hand their kernel.
//
// SLICE (begin, size; size -1: to the end) is the strided slice with
// stride 1 and end = begin + size, once its bounds are checked as TFLite
// checks them: no negative begin, no size past the dimension. REVERSE_V2 is
// the strided slice with stride -1 along its axes (any set of axes; TFLM
// takes contiguous ones only).
//
// Operand 0: any tensor of rank <= 5. The spec (begin, end, strides, masks)
// is an attribute: constant on both paths. TFLite's strided_slice_logic
// decides each axis: masks, negative indices, clamping; a shrunk axis
// takes one index, which must lie inside the dimension. Output: the counts
// of the axes that are not shrunk, the input's dtype and quantization.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

inline constexpr int max_slice_rank = 5;

struct strided_slice_attrs {
  int rank = 0;  // entries in begin, end, strides
  std::array<std::int64_t, max_rank> begin{}, end{}, strides{};
  int begin_mask = 0, end_mask = 0, shrink_axis_mask = 0;
  int ellipsis_mask = 0, new_axis_mask = 0;  // not supported
  bool offset = false;                       // end is relative to begin
};

/// Per dimension (padded to max_slice_rank with leading 1s): first index,
/// step and count of the elements taken.
struct slice_geometry {
  std::array<int, max_slice_rank> in_dims{1, 1, 1, 1, 1};
  std::array<int, max_slice_rank> start{};
  std::array<int, max_slice_rank> stride{1, 1, 1, 1, 1};
  std::array<int, max_slice_rank> count{1, 1, 1, 1, 1};
};

/// TFLite StartForAxis / StopForAxis for one dimension: `begin`, `end`,
/// `stride` as given (stride != 0), with the masks' bits for this axis.
/// Returns {start, count}.
constexpr std::array<std::int64_t, 2> slice_axis(std::int64_t dim, std::int64_t begin, std::int64_t end,
                                                 std::int64_t stride, bool begin_masked, bool end_masked, bool shrink,
                                                 bool offset) noexcept {
  auto clamp = [](std::int64_t v, std::int64_t lo, std::int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); };
  std::int64_t start = begin;
  if (begin_masked && !shrink) {
    start = stride > 0 ? 0 : dim - 1;
  } else {
    if (start < 0) start += dim;
    start = stride > 0 ? clamp(start, 0, dim) : clamp(start, -1, dim - 1);
  }
  std::int64_t stop = 0;
  if (shrink) {
    stop = start + 1;
  } else if (end_masked) {
    stop = stride > 0 ? dim : -1;
  } else {
    stop = offset ? begin + end : end;
    if (stop < 0) stop += dim;
    stop = stride > 0 ? clamp(stop, 0, dim) : clamp(stop, -1, dim - 1);
  }
  std::int64_t count = 0;
  if (stride > 0 && stop > start) count = (stop - start + stride - 1) / stride;
  if (stride < 0 && stop < start) count = (start - stop + (-stride) - 1) / (-stride);
  return {start, count};
}

/// The kernel's geometry; call only for operands the rule accepted.
constexpr slice_geometry make_slice_geometry(const strided_slice_attrs& a, const tensor_desc& in) noexcept {
  slice_geometry g;
  const int lead = max_slice_rank - in.rank;
  for (int d = 0; d < in.rank; ++d) {
    const auto k = static_cast<std::size_t>(lead + d);
    const auto i = static_cast<std::size_t>(d);
    const auto [start, count] = slice_axis(in.dims[i], a.begin[i], a.end[i], a.strides[i], (a.begin_mask >> d) & 1,
                                           (a.end_mask >> d) & 1, (a.shrink_axis_mask >> d) & 1, a.offset);
    g.in_dims[k] = static_cast<int>(in.dims[i]);
    g.start[k] = static_cast<int>(start);
    g.stride[k] = static_cast<int>(a.strides[i]);
    g.count[k] = static_cast<int>(count);
  }
  return g;
}

constexpr rule_result strided_slice_rule(const strided_slice_attrs& a, const tensor_desc& in,
                                         const output_request& req) noexcept {
  if (a.rank != in.rank || in.rank > max_slice_rank || a.ellipsis_mask != 0 || a.new_axis_mask != 0)
    return rule_fail(rule_error::slice_spec, output_operand);
  for (int d = 0; d < a.rank; ++d)
    if (a.strides[static_cast<std::size_t>(d)] == 0) return rule_fail(rule_error::slice_spec, output_operand);
  tensor_desc out = in;
  out.rank = 0;
  out.dims = {};
  for (int d = 0; d < in.rank; ++d) {
    const auto i = static_cast<std::size_t>(d);
    const bool shrink = (a.shrink_axis_mask >> d) & 1;
    const auto [start, count] = slice_axis(in.dims[i], a.begin[i], a.end[i], a.strides[i], (a.begin_mask >> d) & 1,
                                           (a.end_mask >> d) & 1, shrink, a.offset);
    if (shrink && (start < 0 || start >= in.dims[i])) return rule_fail(rule_error::slice_shrink_index, 0);
    if (!shrink) out.dims[static_cast<std::size_t>(out.rank++)] = count;
  }
  return rules::same_quantization_output(out, req);
}

/// SLICE's spec: one begin and one size per input dimension.
struct slice_attrs {
  int rank = 0;
  std::array<std::int64_t, max_rank> begin{}, size{};
};

/// The strided slice that SLICE is.
constexpr strided_slice_attrs as_strided_slice(const slice_attrs& s) noexcept {
  strided_slice_attrs a;
  a.rank = s.rank;
  a.begin = s.begin;
  a.end = s.size;
  a.offset = true;  // end = begin + size
  for (int d = 0; d < s.rank && d < max_rank; ++d) {
    a.strides[static_cast<std::size_t>(d)] = 1;
    if (s.size[static_cast<std::size_t>(d)] == -1) a.end_mask |= 1 << d;
  }
  return a;
}

constexpr rule_result slice_rule(const slice_attrs& s, const tensor_desc& in, const output_request& req) noexcept {
  if (s.rank != in.rank || in.rank > max_slice_rank) return rule_fail(rule_error::slice_bounds, output_operand);
  for (int d = 0; d < s.rank; ++d) {
    const auto i = static_cast<std::size_t>(d);
    const std::int64_t b = s.begin[i], n = s.size[i], dim = in.dims[i];
    if (b < 0 || b > dim || (n != -1 && (n < 0 || b + n > dim))) return rule_fail(rule_error::slice_bounds, output_operand);
  }
  return strided_slice_rule(as_strided_slice(s), in, req);
}

/// REVERSE_V2's axes.
struct reverse_attrs {
  int count = 0;
  std::array<std::int64_t, max_rank> axes{};
};

/// The strided slice that REVERSE_V2 over a rank-`rank` input is: every
/// dimension whole (both masks), stride -1 along the axes.
constexpr strided_slice_attrs as_strided_slice(const reverse_attrs& r, int rank) noexcept {
  strided_slice_attrs a;
  a.rank = rank;
  a.begin_mask = a.end_mask = (1 << rank) - 1;
  for (int d = 0; d < rank && d < max_rank; ++d) a.strides[static_cast<std::size_t>(d)] = 1;
  for (int i = 0; i < r.count; ++i) {
    const std::int64_t axis = r.axes[static_cast<std::size_t>(i)] < 0 ? r.axes[static_cast<std::size_t>(i)] + rank
                                                                       : r.axes[static_cast<std::size_t>(i)];
    if (axis >= 0 && axis < max_rank) a.strides[static_cast<std::size_t>(axis)] = -1;
  }
  return a;
}

constexpr rule_result reverse_rule(const reverse_attrs& r, const tensor_desc& in, const output_request& req) noexcept {
  if (r.count < 0 || r.count > in.rank) return rule_fail(rule_error::axis_range, output_operand);
  for (int i = 0; i < r.count; ++i) {
    const std::int64_t axis = r.axes[static_cast<std::size_t>(i)];
    if (axis < -in.rank || axis >= in.rank) return rule_fail(rule_error::axis_range, output_operand);
  }
  return strided_slice_rule(as_strided_slice(r, in.rank), in, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
