// The traversals that a reference kernel and its Highway kernel share
// (core/window_geometry.hpp's clipped_windows, core/reduce_geometry.hpp's
// reduce_rows, core/broadcast.hpp's runs). The kernel tests compare the two kernels with each other, so
// they cannot see a fault in what both walk; here each traversal is checked
// against the definition, written out index by index.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/reduce_geometry.hpp"
#include "qfence/core/window_geometry.hpp"
#include <doctest/doctest.h>

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace geometry_test {

namespace qf = qfence;

TEST_CASE("reduce_rows: every input element folds into the output its kept indices name, once") {
  std::mt19937 r(20261202);
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  for (int trial = 0; trial < 500; ++trial) {
    const int rank = 1 + below(6);
    std::vector<int> dims, axes;
    for (int d = 0; d < rank; ++d) dims.push_back(1 + below(4));
    for (int d = 0; d < rank; ++d)
      if (below(2) == 0) axes.push_back(d);
    if (axes.empty()) axes.push_back(below(rank));
    const qf::reduce_geometry g = qf::make_reduce_geometry(dims.data(), rank, axes.data(), static_cast<int>(axes.size()));
    std::size_t count = 1;
    for (const int d : dims) count *= static_cast<std::size_t>(d);
    CAPTURE(trial);

    // The definition: input element i (row-major over dims) folds into the
    // output whose row-major index runs over the kept dimensions only.
    std::vector<int> want(count);
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t rest = i, out = 0, out_stride = 1;
      for (int d = rank; d-- > 0;) {
        const std::size_t at = rest % static_cast<std::size_t>(dims[static_cast<std::size_t>(d)]);
        rest /= static_cast<std::size_t>(dims[static_cast<std::size_t>(d)]);
        bool reduced = false;
        for (const int a : axes) reduced = reduced || a == d;
        if (!reduced) {
          out += at * out_stride;
          out_stride *= static_cast<std::size_t>(dims[static_cast<std::size_t>(d)]);
        }
      }
      want[i] = static_cast<int>(out);
    }

    // The traversal, told to record where each element went.
    std::vector<int> index(count);
    for (std::size_t i = 0; i < count; ++i) index[i] = static_cast<int>(i);
    std::vector<int> outputs(static_cast<std::size_t>(g.out_elements));
    std::vector<int> got(count, -1);
    const qf::reduce_rows rows(g, index.data(), outputs.data());
    std::size_t visited = 0;
    for (const auto [src, dst] : rows) {
      for (int k = 0; k < rows.inner(); ++k) {
        const int* folds_into = rows.inner_kept() ? dst + k : dst;
        REQUIRE(got[static_cast<std::size_t>(src[k])] == -1);
        got[static_cast<std::size_t>(src[k])] = static_cast<int>(folds_into - outputs.data());
        ++visited;
      }
    }
    CHECK(visited == count);
    REQUIRE(got == want);
  }
}

TEST_CASE("clipped_windows: each output pixel gets exactly the taps of its window inside the input") {
  std::mt19937 r(1202);
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  for (int trial = 0; trial < 500; ++trial) {
    const int in_h = 1 + below(9), in_w = 1 + below(9), channels = 1 + below(3);
    const qf::window_geometry g =
        qf::make_window_geometry(1 + below(2), in_h, in_w, channels, channels, 1 + below(5), 1 + below(5),
                                 1 + below(3), 1 + below(3), 1, 1, below(2) == 0 ? qf::padding::same : qf::padding::valid);
    if (g.out_h <= 0 || g.out_w <= 0) continue;
    CAPTURE(trial);
    std::size_t pixel = 0;
    for (const qf::clipped_window& w : qf::clipped_windows(g)) {
      // The definition: output pixel (b, oy, ox) in row-major order reads
      // input (b, oy * stride - pad + fy, ox * stride - pad + fx) where that
      // lies inside the input.
      const int b = static_cast<int>(pixel / static_cast<std::size_t>(g.out_h * g.out_w));
      const int oy = static_cast<int>(pixel / static_cast<std::size_t>(g.out_w)) % g.out_h;
      const int ox = static_cast<int>(pixel % static_cast<std::size_t>(g.out_w));
      REQUIRE(w.out == pixel * static_cast<std::size_t>(channels));
      std::vector<std::size_t> want, got;
      for (int fy = 0; fy < g.filter_h; ++fy)
        for (int fx = 0; fx < g.filter_w; ++fx) {
          const int y = oy * g.stride_h - g.pad_h + fy, x = ox * g.stride_w - g.pad_w + fx;
          if (y >= 0 && y < in_h && x >= 0 && x < in_w)
            want.push_back(((static_cast<std::size_t>(b) * static_cast<std::size_t>(in_h) + static_cast<std::size_t>(y)) *
                                static_cast<std::size_t>(in_w) +
                            static_cast<std::size_t>(x)) *
                           static_cast<std::size_t>(channels));
        }
      for (int fy = 0; fy < w.rows; ++fy)
        for (int fx = 0; fx < w.cols; ++fx)
          got.push_back(w.first + (static_cast<std::size_t>(fy) * static_cast<std::size_t>(in_w) +
                                   static_cast<std::size_t>(fx)) *
                                      static_cast<std::size_t>(channels));
      REQUIRE(got == want);
      ++pixel;
    }
    CHECK(pixel == static_cast<std::size_t>(g.batches * g.out_h * g.out_w));
  }
}

TEST_CASE("broadcast runs: every output element once, in order, with the input elements NumPy pairs it with") {
  std::mt19937 r(6);
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  for (int trial = 0; trial < 2000; ++trial) {
    const int rank = 1 + below(qf::max_broadcast_rank);
    std::vector<int> out(static_cast<std::size_t>(rank)), a, b;
    for (auto& d : out) d = below(8) == 0 ? 1 : 1 + below(5);
    // Each input: a suffix of the output's dimensions, some of them 1.
    const auto operand = [&] {
      std::vector<int> dims(out.end() - (1 + below(rank)), out.end());
      for (auto& d : dims)
        if (below(3) == 0) d = 1;
      return dims;
    };
    a = operand();
    b = operand();
    // The output of a and b is their broadcast shape.
    std::vector<int> shape(static_cast<std::size_t>(rank), 1);
    for (int i = 0; i < rank; ++i) {
      const int from_back = rank - 1 - i;
      const int da = from_back < static_cast<int>(a.size()) ? a[a.size() - 1 - static_cast<std::size_t>(from_back)] : 1;
      const int db = from_back < static_cast<int>(b.size()) ? b[b.size() - 1 - static_cast<std::size_t>(from_back)] : 1;
      shape[static_cast<std::size_t>(i)] = da == 1 ? db : da;
    }
    const qf::broadcast_geometry g =
        qf::make_broadcast_geometry(a.data(), static_cast<int>(a.size()), b.data(), static_cast<int>(b.size()));
    std::size_t count = 1;
    for (const int d : shape) count *= static_cast<std::size_t>(d);
    REQUIRE(g.elements == static_cast<std::int64_t>(count));
    // The definition: output index -> its coordinates -> each input's
    // row-major index with the coordinate 0 along its size-1 dimensions.
    const auto index_in = [&](const std::vector<int>& dims, std::size_t o) {
      std::int64_t index = 0, stride = 1;
      for (int i = rank - 1, j = static_cast<int>(dims.size()) - 1; i >= 0; --i, --j) {
        const int coordinate = static_cast<int>(o % static_cast<std::size_t>(shape[static_cast<std::size_t>(i)]));
        o /= static_cast<std::size_t>(shape[static_cast<std::size_t>(i)]);
        if (j < 0) continue;
        const int d = dims[static_cast<std::size_t>(j)];
        index += (d == 1 ? 0 : coordinate) * stride;
        stride *= d;
      }
      return index;
    };
    CAPTURE(trial);
    std::int64_t next = 0;
    qf::for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) {
      REQUIRE(o == next);
      REQUIRE(ia == index_in(a, static_cast<std::size_t>(o)));
      REQUIRE(ib == index_in(b, static_cast<std::size_t>(o)));
      ++next;
    });
    CHECK(next == g.elements);
  }
}

}  // namespace geometry_test
