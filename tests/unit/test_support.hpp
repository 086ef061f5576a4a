// Helpers shared by the unit tests: deterministic data, running a one-output
// model on vectors, and the straightforward float model that int8 kernels are
// compared with (dequantize -> float op -> quantize).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <set>
#include <tuple>
#include <utility>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "qfence.hpp"

namespace qtest {

/// xorshift32, the generator ../shared/models/README.md also uses for inputs.
struct xorshift32 {
  std::uint32_t state;
  explicit xorshift32(std::uint32_t seed) : state(seed != 0 ? seed : 0x9E3779B9u) {}
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
  /// Uniform in [lo, hi].
  int uniform_int(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint32_t>(hi - lo + 1)); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(next() >> 8) / 16777216.0f; }
};

template <class T>
std::vector<T> random_ints(std::size_t n, std::uint32_t seed, int lo, int hi) {
  xorshift32 rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform_int(lo, hi));
  return v;
}

inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo, float hi) {
  xorshift32 rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(lo, hi);
  return v;
}

/// An arena for model M on the heap (arenas of test models may be larger
/// than a stack should hold).
template <class M>
std::unique_ptr<qfence::arena<M>> heap_arena() {
  return std::make_unique<qfence::arena<M>>();
}

/// Runs a model with inputs 0..k-1 and returns output 0, checking on the way
/// that a run which poisons every dead buffer gives the same result (so the
/// memory plan never lets a live tensor be overwritten).
template <class M, class... In>
auto run(const M& net, const std::vector<In>&... inputs) {
  using out_t = typename M::template output_type<0>;
  auto once = [&](bool poison) {
    auto arena = heap_arena<M>();
    std::fill_n(arena->data(), M::arena_bytes, std::byte{0x5A});
    [&]<int... K>(std::integer_sequence<int, K...>) {
      (([&] {
         using input_t = typename M::template input_type<K>;
         const auto& v = std::get<K>(std::forward_as_tuple(inputs...));
         REQUIRE(v.size() == static_cast<std::size_t>(input_t::elements));
         std::ranges::copy(v, arena->template input<K>().begin());
       }()),
       ...);
    }(std::make_integer_sequence<int, sizeof...(In)>{});
    if (poison) net.invoke_poisoning_dead_buffers(*arena);
    else net.invoke(*arena);
    const auto o = arena->template output<0>();
    return std::vector<typename out_t::element>(o.begin(), o.end());
  };
  auto plain = once(false);
  auto poisoned = once(true);
  CHECK(plain == poisoned);
  return plain;
}

// ---- the float model ------------------------------------------------------

template <class T>
std::vector<float> dequantize(const std::vector<T>& q, float scale, int zero_point) {
  std::vector<float> f(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) f[i] = scale * static_cast<float>(static_cast<int>(q[i]) - zero_point);
  return f;
}

inline int quantize_value(double x, double scale, int zero_point, int lo = -128, int hi = 127) {
  const double q = std::nearbyint(x / scale) + zero_point;
  return static_cast<int>(std::clamp(q, static_cast<double>(lo), static_cast<double>(hi)));
}

/// Largest |a[i] - b[i]| between two integer vectors.
template <class A, class B>
int max_abs_diff(const std::vector<A>& a, const std::vector<B>& b) {
  REQUIRE(a.size() == b.size());
  int worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<int>(a[i]) - static_cast<int>(b[i])));
  return worst;
}

/// |a - b| <= tol * max(1, |b|) for every element (the float contract, docs/numerics.md).
inline void check_close(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(std::fabs(got[i] - want[i]) <= tol * std::max(1.0f, std::fabs(want[i])));
  }
}

/// NHWC geometry of a windowed op, with TFLite's SAME/VALID rule written out
/// independently of qfence's window_geometry.
struct window {
  int n, h, w, c;         // input
  int kh, kw;             // filter
  int sh, sw, dh, dw;     // stride, dilation
  bool same;
  int out_h() const {
    const int ekh = (kh - 1) * dh + 1;
    return same ? (h + sh - 1) / sh : (h - ekh + sh) / sh;
  }
  int out_w() const {
    const int ekw = (kw - 1) * dw + 1;
    return same ? (w + sw - 1) / sw : (w - ekw + sw) / sw;
  }
  int pad_top() const {
    const int ekh = (kh - 1) * dh + 1;
    return same ? std::max(0, ((out_h() - 1) * sh + ekh - h) / 2) : 0;
  }
  int pad_left() const {
    const int ekw = (kw - 1) * dw + 1;
    return same ? std::max(0, ((out_w() - 1) * sw + ekw - w) / 2) : 0;
  }
  /// Calls f(b, oy, ox, fy, fx, iy, ix) for each in-bounds tap.
  template <class F>
  void for_each_tap(int b, int oy, int ox, F&& f) const {
    for (int fy = 0; fy < kh; ++fy)
      for (int fx = 0; fx < kw; ++fx) {
        const int iy = oy * sh - pad_top() + fy * dh;
        const int ix = ox * sw - pad_left() + fx * dw;
        if (iy >= 0 && iy < h && ix >= 0 && ix < w) f(fy, fx, iy, ix);
      }
    (void)b;
  }
};

inline float clamp_activation(float x, qfence::activation a) {
  switch (a) {
    case qfence::activation::relu: return std::max(0.0f, x);
    case qfence::activation::relu6: return std::clamp(x, 0.0f, 6.0f);
    case qfence::activation::relu_n1_to_1: return std::clamp(x, -1.0f, 1.0f);
    case qfence::activation::none: break;
  }
  return x;
}

/// Float conv: input NHWC, filter [OC, KH, KW, IC], bias [OC] or empty.
inline std::vector<float> float_conv(const window& g, int oc, const std::vector<float>& in,
                                     const std::vector<float>& filt, const std::vector<float>& bias,
                                     qfence::activation act) {
  std::vector<float> out(static_cast<std::size_t>(g.n * g.out_h() * g.out_w() * oc));
  for (int b = 0; b < g.n; ++b)
    for (int oy = 0; oy < g.out_h(); ++oy)
      for (int ox = 0; ox < g.out_w(); ++ox)
        for (int o = 0; o < oc; ++o) {
          double acc = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(o)];
          g.for_each_tap(b, oy, ox, [&](int fy, int fx, int iy, int ix) {
            for (int i = 0; i < g.c; ++i)
              acc += static_cast<double>(in[static_cast<std::size_t>(((b * g.h + iy) * g.w + ix) * g.c + i)]) *
                     filt[static_cast<std::size_t>(((o * g.kh + fy) * g.kw + fx) * g.c + i)];
          });
          out[static_cast<std::size_t>(((b * g.out_h() + oy) * g.out_w() + ox) * oc + o)] =
              clamp_activation(static_cast<float>(acc), act);
        }
  return out;
}

/// Float depthwise conv: filter [1, KH, KW, C*M].
inline std::vector<float> float_depthwise(const window& g, int multiplier, const std::vector<float>& in,
                                          const std::vector<float>& filt, const std::vector<float>& bias,
                                          qfence::activation act) {
  const int oc = g.c * multiplier;
  std::vector<float> out(static_cast<std::size_t>(g.n * g.out_h() * g.out_w() * oc));
  for (int b = 0; b < g.n; ++b)
    for (int oy = 0; oy < g.out_h(); ++oy)
      for (int ox = 0; ox < g.out_w(); ++ox)
        for (int o = 0; o < oc; ++o) {
          const int ic = o / multiplier;
          double acc = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(o)];
          g.for_each_tap(b, oy, ox, [&](int fy, int fx, int iy, int ix) {
            acc += static_cast<double>(in[static_cast<std::size_t>(((b * g.h + iy) * g.w + ix) * g.c + ic)]) *
                   filt[static_cast<std::size_t>((fy * g.kw + fx) * oc + o)];
          });
          out[static_cast<std::size_t>(((b * g.out_h() + oy) * g.out_w() + ox) * oc + o)] =
              clamp_activation(static_cast<float>(acc), act);
        }
  return out;
}

/// Quantizes a float vector with (scale, zero point) and an activation clamp.
inline std::vector<int> quantize_all(const std::vector<float>& f, double scale, int zero_point) {
  std::vector<int> q(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) q[i] = quantize_value(f[i], scale, zero_point);
  return q;
}

}  // namespace qtest
