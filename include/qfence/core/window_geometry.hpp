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

/// Padding given as amounts rather than by a mode: the window runs VALID over
/// the input with these rows above and below and columns left and right,
/// whose taps read the input's zero point (real 0). That is what a PAD in
/// front of a VALID convolution computes, and what the convolution computes
/// alone when the PAD is folded into it (runtime/fold_pad.hpp).
struct window_pads {
  int top = 0, bottom = 0, left = 0, right = 0;

  constexpr bool any() const noexcept { return top != 0 || bottom != 0 || left != 0 || right != 0; }
  constexpr bool non_negative() const noexcept { return top >= 0 && bottom >= 0 && left >= 0 && right >= 0; }
  friend constexpr bool operator==(const window_pads&, const window_pads&) = default;
};

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

/// The geometry of a window of mode `p` over the input, grown first by
/// `pads` (which only a VALID window takes: rules/conv2d.hpp checks it). The
/// kernels see the input as it is: the pads are rows and columns outside it,
/// like the ones SAME adds.
constexpr window_geometry make_window_geometry(int batches, int in_h, int in_w, int in_c, int out_c, int filter_h,
                                               int filter_w, int stride_h, int stride_w, int dilation_h,
                                               int dilation_w, padding p, window_pads pads = {}) noexcept {
  const int padded_h = in_h + pads.top + pads.bottom, padded_w = in_w + pads.left + pads.right;
  const int out_h = output_size(p, padded_h, filter_h, stride_h, dilation_h);
  const int out_w = output_size(p, padded_w, filter_w, stride_w, dilation_w);
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
          compute_padding(stride_h, dilation_h, padded_h, filter_h, out_h).before + pads.top,
          compute_padding(stride_w, dilation_w, padded_w, filter_w, out_w).before + pads.left};
}

/// A pooling window clipped to the input: TFLite's pools visit only the taps
/// inside it (padding taps are skipped, not read as zeros).
struct clipped_window {
  std::size_t first;  // the input element of the first tap inside, channel 0
  int rows, cols;     // taps inside the input, each way
  std::size_t out;    // the output element of the window, channel 0
};

/// Every output pixel of a pool (dilation 1), in output order, each with its
/// window clipped to the input: the one traversal of the reference pools and
/// the Highway ones (kernels/pool-inl.hpp), as a range so that a kernel's
/// loop body stays in the kernel (compiled for its SIMD target):
///   for (const clipped_window& w : clipped_windows(g)) ...
/// The taps of `w` are the pixels first + (fy * in_w + fx) * in_c, for
/// fy < rows, fx < cols.
class clipped_windows {
 public:
  struct sentinel {};
  class iterator {
   public:
    constexpr clipped_window operator*() const noexcept {
      const auto size = [](int v) { return static_cast<std::size_t>(v); };
      const window_geometry& g = *g_;
      const int x0 = ox_ * g.stride_w - g.pad_w, y0 = oy_ * g.stride_h - g.pad_h;
      const int fx0 = x0 < 0 ? -x0 : 0, fx1 = g.filter_w < g.in_w - x0 ? g.filter_w : g.in_w - x0;
      const int fy0 = y0 < 0 ? -y0 : 0, fy1 = g.filter_h < g.in_h - y0 ? g.filter_h : g.in_h - y0;
      return {(size(b_ * g.in_h + y0 + fy0) * size(g.in_w) + size(x0 + fx0)) * size(g.in_c), fy1 - fy0, fx1 - fx0,
              (size(b_ * g.out_h + oy_) * size(g.out_w) + size(ox_)) * size(g.in_c)};
    }
    constexpr iterator& operator++() noexcept {
      if (++ox_ < g_->out_w) return *this;
      ox_ = 0;
      if (++oy_ < g_->out_h) return *this;
      oy_ = 0;
      ++b_;
      return *this;
    }
    constexpr bool operator==(sentinel) const noexcept { return b_ >= g_->batches; }

   private:
    friend class clipped_windows;
    constexpr iterator(const window_geometry& g, int b) noexcept : g_(&g), b_(b) {}
    const window_geometry* g_;
    int b_, oy_ = 0, ox_ = 0;
  };

  constexpr explicit clipped_windows(const window_geometry& g) noexcept : g_(g) {}
  constexpr iterator begin() const noexcept { return {g_, g_.out_h > 0 && g_.out_w > 0 ? 0 : g_.batches}; }
  constexpr sentinel end() const noexcept { return {}; }

 private:
  const window_geometry& g_;
};

/// A FULLY_CONNECTED layer as the convolution kernels run it: a 1x1
/// convolution over `rows` pixels of `depth` channels, `units` out.
constexpr window_geometry fully_connected_geometry(int rows, int depth, int units) noexcept {
  return {1, 1, rows, depth, 1, rows, units, 1, 1, 1, 1, 1, 1, 0, 0};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
