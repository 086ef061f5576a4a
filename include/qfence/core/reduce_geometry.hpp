// qfence/core/reduce_geometry.hpp: which input elements of a reduction
// (MEAN, SUM, ...) fold into which output element, and the one traversal
// that every reduction kernel (reference and Highway) walks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Generic reduction layout: for each output element, which input elements
/// fold into it. Computed from up-to-6-D shapes.
struct reduce_geometry {
  std::array<int, 6> in_dims{1, 1, 1, 1, 1, 1};
  std::array<bool, 6> reduced{};
  std::int64_t out_elements = 1;
  std::int64_t reduced_elements = 1;
};

/// Geometry of a reduction of a rank-`rank` (<= 6) shape over `axes`
/// (negative axes count from the back; repeated axes count once).
template <class Axis>
constexpr reduce_geometry make_reduce_geometry(const int* dims, int rank, const Axis* axes, int axis_count) {
  reduce_geometry g;
  for (int d = 0; d < rank; ++d) g.in_dims[static_cast<std::size_t>(6 - rank + d)] = dims[d];
  for (int i = 0; i < axis_count; ++i) {
    const int k = static_cast<int>(axes[i] < 0 ? axes[i] + rank : axes[i]);
    g.reduced[static_cast<std::size_t>(6 - rank + k)] = true;
  }
  for (std::size_t k = 0; k < 6; ++k) (g.reduced[k] ? g.reduced_elements : g.out_elements) *= g.in_dims[k];
  return g;
}

template <std::size_t R, std::size_t N>
constexpr reduce_geometry make_reduce_geometry(const std::array<int, R>& dims, const std::array<int, N>& axes) {
  return make_reduce_geometry(dims.data(), static_cast<int>(R), axes.data(), static_cast<int>(N));
}

/// Every innermost row of the input (in_dims[5] elements), in input order,
/// with the output element(s) it folds into: the one traversal of every
/// reduction kernel, reference and Highway (float sums depend on the order),
/// as a range so that a kernel's loop body stays in the kernel:
///   const reduce_rows rows(g, in, acc);
///   for (const auto [src, dst] : rows) ...
/// When rows.inner_kept(), src[i] folds into dst[i]; otherwise every src[i]
/// folds into *dst. The output offset steps along with the input: reduced
/// dimensions do not move it.
template <class T, class Acc>
class reduce_rows {
 public:
  struct row {
    const T* src;
    Acc* dst;
  };
  struct sentinel {};
  class iterator {
   public:
    constexpr row operator*() const noexcept { return {src_, dst_}; }
    constexpr iterator& operator++() noexcept {
      const reduce_geometry& g = rows_->g_;
      src_ += g.in_dims[5];
      for (std::size_t k = 5; k-- > 0;) {
        dst_ += rows_->step_[k];
        if (++at_[k] < g.in_dims[k]) return *this;
        dst_ -= rows_->step_[k] * g.in_dims[k];
        at_[k] = 0;
      }
      done_ = true;
      return *this;
    }
    constexpr bool operator==(sentinel) const noexcept { return done_; }

   private:
    friend class reduce_rows;
    constexpr iterator(const reduce_rows& rows, bool done) noexcept
        : rows_(&rows), src_(rows.in_), dst_(rows.acc_), done_(done) {}
    const reduce_rows* rows_;
    const T* src_;
    Acc* dst_;
    std::array<int, 5> at_{};
    bool done_;
  };

  constexpr reduce_rows(const reduce_geometry& g, const T* in, Acc* acc) noexcept : g_(g), in_(in), acc_(acc) {
    std::int64_t s = 1;
    for (std::size_t k = 6; k-- > 0;) {
      if (k < 5) step_[k] = g.reduced[k] ? 0 : s;
      if (!g.reduced[k]) s *= g.in_dims[k];
    }
  }
  /// Whether the innermost dimension is kept (a row of outputs) or reduced
  /// (one output).
  constexpr bool inner_kept() const noexcept { return !g_.reduced[5]; }
  /// Elements in a row.
  constexpr int inner() const noexcept { return g_.in_dims[5]; }
  constexpr iterator begin() const noexcept {
    bool empty = false;
    for (std::size_t k = 0; k < 5; ++k) empty = empty || g_.in_dims[k] <= 0;
    return {*this, empty};
  }
  constexpr sentinel end() const noexcept { return {}; }

 private:
  const reduce_geometry& g_;
  const T* in_;
  Acc* acc_;
  std::array<std::int64_t, 5> step_{};
};

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
