// qfence/core/window_geometry.hpp: padding modes, output sizes and padding
// of windowed ops, as TFLite computes them (its kernels/padding.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// TFLite's padding modes.
enum class padding : std::uint8_t { same, valid };

struct padding_amount {
  int before;  // TFLite's `height`/`width` padding
  int offset;  // the extra pixel that goes after when the total is odd
};

constexpr int effective_filter_size(int filter, int dilation) noexcept { return (filter - 1) * dilation + 1; }

constexpr int output_size(padding p, int in, int filter, int stride, int dilation) noexcept {
  const int eff = effective_filter_size(filter, dilation);
  return p == padding::same ? (in + stride - 1) / stride : (in + stride - eff) / stride;
}

constexpr padding_amount compute_padding(int stride, int dilation, int in, int filter, int out) noexcept {
  const int eff = effective_filter_size(filter, dilation);
  int total = (out - 1) * stride + eff - in;
  total = total > 0 ? total : 0;
  return {total / 2, total % 2};
}

/// Everything a 2-D windowed kernel needs to know about its shapes, in NHWC.
/// The compile-time path fills it from constexpr shapes (and the compiler folds
/// it away); the runtime interpreter fills it from the model.
struct window_geometry {
  int batches, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int filter_h, filter_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int pad_h, pad_w;
};

/// Row `y` of one batch's input (NHWC: in_w * in_c elements a row), or null
/// where `y` lies above or below the input: a window reads padding there.
template <class T>
constexpr T* input_row_or_null(const window_geometry& g, T* batch_input, int y) noexcept {
  if (y < 0 || y >= g.in_h) return nullptr;
  return batch_input + static_cast<std::size_t>(y) * static_cast<std::size_t>(g.in_w) * static_cast<std::size_t>(g.in_c);
}

/// The input row that filter row `fy` reads for output row `oy`, or null
/// where it lies above or below the input (the window reads padding there).
template <class T>
constexpr T* window_input_row(const window_geometry& g, T* batch_input, int oy, int fy) noexcept {
  return input_row_or_null(g, batch_input, oy * g.stride_h - g.pad_h + fy * g.dilation_h);
}

constexpr window_geometry make_window_geometry(int batches, int in_h, int in_w, int in_c, int out_c, int filter_h,
                                               int filter_w, int stride_h, int stride_w, int dilation_h,
                                               int dilation_w, padding p) noexcept {
  const int out_h = output_size(p, in_h, filter_h, stride_h, dilation_h);
  const int out_w = output_size(p, in_w, filter_w, stride_w, dilation_w);
  return {batches,
          in_h,
          in_w,
          in_c,
          out_h,
          out_w,
          out_c,
          filter_h,
          filter_w,
          stride_h,
          stride_w,
          dilation_h,
          dilation_w,
          compute_padding(stride_h, dilation_h, in_h, filter_h, out_h).before,
          compute_padding(stride_w, dilation_w, in_w, filter_w, out_w).before};
}

/// A FULLY_CONNECTED layer as the convolution kernels run it: a 1x1
/// convolution over `rows` pixels of `depth` channels, `units` out.
constexpr window_geometry fully_connected_geometry(int rows, int depth, int units) noexcept {
  return {1, 1, rows, depth, 1, rows, units, 1, 1, 1, 1, 1, 1, 0, 0};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
