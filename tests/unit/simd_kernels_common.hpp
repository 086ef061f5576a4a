// Helpers shared by the SIMD kernel tests (simd_kernels_test: convolutions,
// fully connected, transpose convolutions; simd_other_kernels_test:
// depthwise convolutions and the rest): random layers, seeds, the float
// comparison, the depthwise runner. Two programs so that the two halves
// compile in parallel (one TU took 6-7 minutes per compiler).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/arg_max.hpp"
#include "qfence/kernels/reference/conv2d.hpp"
#include "qfence/kernels/reference/depthwise_conv2d.hpp"
#include "qfence/kernels/reference/elementwise.hpp"
#include "qfence/kernels/reference/activations.hpp"
#include "qfence/kernels/reference/fully_connected.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/kernels/reference/reduce.hpp"
#include "qfence/kernels/reference/pad.hpp"
#include "qfence/kernels/reference/pooling.hpp"
#include "qfence/kernels/reference/resize.hpp"
#include "qfence/kernels/reference/squared_difference.hpp"
#include "qfence/kernels/reference/svdf.hpp"
#include "qfence/kernels/reference/transpose.hpp"
#include "qfence/kernels/pad.hpp"

namespace qfence_simd_test {

namespace qf = qfence;
namespace kn = qfence::kernels;


inline constexpr int cases_per_target = 300;

inline std::uint32_t base_seed() {
  const char* s = std::getenv("QFENCE_TEST_SEED");
  return s != nullptr ? static_cast<std::uint32_t>(std::strtoul(s, nullptr, 0)) : 0x5eed0000u;
}

struct layer {
  qf::window_geometry g{};
  std::int32_t in_zp = 0, out_zp = 0;
  qf::int_range act{};
  std::vector<std::int8_t> input, weights;
  std::vector<std::int32_t> bias;
  std::vector<qf::quantized_multiplier> multipliers;
  qf::activation act_kind = qf::activation::none;
  float out_scale = 1;
};

/// Sizes a test fixes instead of drawing them (0: drawn).
struct fixed_sizes {
  int in_h = 0, in_w = 0, in_c = 0, fh = 0, fw = 0, dh = 0, dw = 0;
};

/// A random layer; `depthwise` makes weights [1][kh][kw][channels].
inline layer random_layer(std::mt19937& r, bool depthwise, const fixed_sizes& fixed = {}) {
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  auto log_uniform = [&](double lo, double hi) {
    return static_cast<float>(std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * (r() / 4294967296.0)));
  };
  auto zero_point = [&] {
    const int pick = below(4);
    return pick == 0 ? -128 : pick == 1 ? 127 : below(256) - 128;
  };
  layer l;
  const int batches = 1 + below(2) * (below(3) == 0 ? 1 : 0);
  const auto or_drawn = [](int fixed_value, int drawn) { return fixed_value != 0 ? fixed_value : drawn; };
  const int in_h = or_drawn(fixed.in_h, 1 + below(12)), in_w = or_drawn(fixed.in_w, 1 + below(12));
  // Now and then filter rows too long to assemble (5 x 103+ bytes), which
  // the convolution reads tap by tap.
  const int in_c = or_drawn(fixed.in_c, depthwise ? 1 + below(70) : below(10) == 0 ? 103 + below(40) : 1 + below(48));
  // Depthwise: a depth multiplier of 1 mostly, else 2..8 (person_detect's
  // first layer has 8 on one input channel).
  const int out_c = depthwise ? in_c * (below(4) == 0 ? 2 + below(7) : 1) : 1 + below(70);
  const int fh = or_drawn(fixed.fh, below(6) == 0 ? 5 : 1 + below(3)), fw = or_drawn(fixed.fw, below(6) == 0 ? 5 : 1 + below(3));
  const int sh = 1 + below(2), sw = 1 + below(2);
  const int dh = or_drawn(fixed.dh, below(5) == 0 ? 2 : 1), dw = or_drawn(fixed.dw, below(5) == 0 ? 2 : 1);
  // SAME, VALID, or VALID with explicit amounts (a folded PAD), up to 3 a
  // side: with a 1-wide filter, windows entirely in the padding.
  const int padding_pick = below(3);
  const qf::padding pad = padding_pick == 0 ? qf::padding::same : qf::padding::valid;
  const qf::window_pads pads = padding_pick == 2 ? qf::window_pads{below(4), below(4), below(4), below(4)}
                                                 : qf::window_pads{};
  l.g = qf::make_window_geometry(batches, in_h, in_w, in_c, out_c, fh, fw, sh, sw, dh, dw, pad, pads);
  if (l.g.out_h <= 0 || l.g.out_w <= 0) return random_layer(r, depthwise, fixed);
  l.in_zp = zero_point();
  l.out_zp = zero_point();
  l.input.resize(static_cast<std::size_t>(batches * in_h * in_w * in_c));
  for (auto& x : l.input) x = static_cast<std::int8_t>(below(256) - 128);
  l.weights.resize(static_cast<std::size_t>(depthwise ? fh * fw * out_c : out_c * fh * fw * in_c));
  for (auto& w : l.weights) w = static_cast<std::int8_t>(below(255) - 127);
  if (below(5) != 0) {
    l.bias.resize(static_cast<std::size_t>(out_c));
    for (auto& b : l.bias) b = static_cast<std::int32_t>(r() % 2000001u) - 1000000;
  }
  const float in_scale = log_uniform(1e-6, 1e3), out_scale = log_uniform(1e-6, 1e3);
  const bool per_channel = below(4) != 0;
  const float shared = log_uniform(1e-6, 1e3);
  for (int c = 0; c < out_c; ++c) {
    const float w_scale = per_channel ? log_uniform(1e-6, 1e3) : shared;
    qf::quantized_multiplier m = qf::rescale_multiplier(in_scale, w_scale, out_scale, false);
    // TFLite's multipliers stay within these shifts; outside them a layer
    // does not convert, so keep the ratio in range.
    if (m.shift > 30 || m.shift < -31) m = qf::quantize_multiplier(std::ldexp(0.75, -(below(40))));
    l.multipliers.push_back(m);
  }
  const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6,
                                 qf::activation::relu_n1_to_1};
  l.act_kind = acts[below(4)];
  l.out_scale = out_scale;
  l.act = qf::quantized_activation_range<std::int8_t>(l.act_kind, out_scale, l.out_zp);
  return l;
}

/// A legacy uint8 layer: uint8 activations and weights, the weights with a
/// zero point (per tensor) that is often at an extreme.
struct layer_u8 {
  qf::window_geometry g{};
  std::int32_t in_zp = 0, w_zp = 0, out_zp = 0;
  qf::int_range act{};
  std::vector<std::uint8_t> input, weights;
  std::vector<std::int32_t> bias;
  std::vector<qf::quantized_multiplier> multipliers;
};

/// `l` moved to uint8 (every value + 128), with a random weight zero point.
inline layer_u8 as_uint8(const layer& l, std::mt19937& r) {
  const auto shifted = [](const std::vector<std::int8_t>& v) {
    std::vector<std::uint8_t> u(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) u[i] = static_cast<std::uint8_t>(v[i] + 128);
    return u;
  };
  layer_u8 u;
  u.g = l.g;
  u.in_zp = l.in_zp + 128;
  u.out_zp = l.out_zp + 128;
  const std::uint32_t pick = r() % 4;
  u.w_zp = pick == 0 ? 0 : pick == 1 ? 255 : static_cast<std::int32_t>(r() % 256);
  u.input = shifted(l.input);
  u.weights = shifted(l.weights);
  u.bias = l.bias;
  u.multipliers = l.multipliers;
  u.act = qf::quantized_activation_range<std::uint8_t>(l.act_kind, l.out_scale, u.out_zp);
  return u;
}

inline std::string describe(const layer& l, std::uint32_t seed, const char* target) {
  const auto& g = l.g;
  return std::string(target) + " seed=" + std::to_string(seed) + " n" + std::to_string(g.batches) + " in " +
         std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" + std::to_string(g.in_c) + " out " +
         std::to_string(g.out_h) + "x" + std::to_string(g.out_w) + "x" + std::to_string(g.out_c) + " k" +
         std::to_string(g.filter_h) + "x" + std::to_string(g.filter_w) + " s" + std::to_string(g.stride_h) +
         std::to_string(g.stride_w) + " d" + std::to_string(g.dilation_h) + std::to_string(g.dilation_w) + " zp " +
         std::to_string(l.in_zp) + "/" + std::to_string(l.out_zp);
}

inline std::vector<std::uint32_t> seeds() {
  std::vector<std::uint32_t> s;
  if (const char* replay = std::getenv("QFENCE_TEST_SEED")) s.push_back(static_cast<std::uint32_t>(std::strtoul(replay, nullptr, 0)));
  for (int i = 0; i < cases_per_target; ++i) s.push_back(base_seed() + static_cast<std::uint32_t>(i) * 7919u);
  return s;
}

/// The weights' zero point: 0 for int8, a legacy uint8 layer's own.
inline std::int32_t weight_zero_point(const layer&) { return 0; }
inline std::int32_t weight_zero_point(const layer_u8& l) { return l.w_zp; }

/// Runs `l` (int8 or legacy uint8) through the convolution kernel on `t`
/// with epilogue form `form`; the reference's bytes and the kernel's.
template <class Layer, class Form = kn::general_form>
inline auto conv_outputs(const Layer& l, kn::target t, Form form = {}) {
  using T = typename decltype(l.input)::value_type;
  const auto& g = l.g;
  const std::int32_t w_zp = weight_zero_point(l);
  const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
  std::vector<T> want(out_n), got(out_n, 0x55);
  const std::int32_t* bias = l.bias.empty() ? nullptr : l.bias.data();
  qf::reference::conv2d(g, g.in_c, l.input.data(), -l.in_zp, l.weights.data(), -w_zp, bias, l.multipliers.data(),
                        l.out_zp, l.act, want.data());
  const auto p = kn::conv_packing::for_filter(g.out_c, g.filter_h, g.filter_w, g.in_c, g.dilation_w);
  std::vector<std::int8_t> packed(p.weight_bytes());
  std::vector<std::int32_t> epilogue(p.epilogue_words());
  std::vector<T> pad_row(static_cast<std::size_t>(p.padded_segment()), static_cast<T>(l.in_zp));
  kn::pack_conv_weights(p, l.weights.data(), packed.data());
  kn::pack_conv_epilogue(p, l.weights.data(), bias, l.in_zp, l.multipliers.data(), epilogue.data(), w_zp);
  kn::conv2d_quantized(t, g,
                       kn::conv2d_quantized_args<T>{l.input.data(), packed.data(), epilogue.data(), pad_row.data(),
                                                    l.out_zp, l.act, got.data(), kn::conv_input_sum_factor<T>(w_zp)},
                       form);
  return std::pair{std::move(want), std::move(got)};
}


/// Random floats for a float layer: mostly ordinary values of a spread of
/// magnitudes, now and then -0, a subnormal, an infinity or a NaN (the
/// reference's order of operations decides where they end up).
inline std::vector<float> random_floats(std::mt19937& r, std::size_t n, bool specials) {
  std::vector<float> v(n);
  for (auto& x : v) {
    const std::uint32_t pick = r() % 1000;
    if (specials && pick == 0) x = -0.0f;
    else if (specials && pick == 1) x = std::numeric_limits<float>::denorm_min() * static_cast<float>(r() % 100);
    else if (specials && pick == 2) x = (r() & 1) ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
    else if (specials && pick == 3) x = std::numeric_limits<float>::quiet_NaN();
    else x = std::ldexp(static_cast<float>(static_cast<int>(r() % 2000001u) - 1000000) / 1e6f, static_cast<int>(r() % 17) - 8);
  }
  return v;
}

/// "" when `got` has the bits of `want`, else where and how they first
/// differ. A NaN matches any NaN: which operand's payload (and sign) an add
/// of two NaNs keeps depends on the operand order the compiler picks for a
/// commutative add, in the reference as much as in a kernel.
inline std::string first_difference(const std::vector<float>& got, const std::vector<float>& want) {
  for (std::size_t i = 0; i < want.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && !(std::isnan(got[i]) && std::isnan(want[i])))
      return "element " + std::to_string(i) + ": got " + std::to_string(got[i]) + ", want " + std::to_string(want[i]);
  return "";
}

/// Runs `l` (int8 or legacy uint8) through the depthwise kernel on `t`; the
/// reference's bytes and the kernel's.
template <class Layer, class Geometry = qf::window_geometry, class Form = kn::general_form>
auto depthwise_outputs(const Layer& l, kn::target t, const Geometry& geometry = {}, Form form = {}) {
  using T = typename decltype(l.input)::value_type;
  const auto& g = l.g;
  const std::int32_t w_zp = weight_zero_point(l);
  const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
  std::vector<T> want(out_n), got(out_n, 0x55);
  qf::reference::depthwise_conv2d(g, l.input.data(), -l.in_zp, l.weights.data(), -w_zp,
                                  l.bias.empty() ? nullptr : l.bias.data(), l.multipliers.data(), l.out_zp, l.act,
                                  want.data());
  const kn::depthwise_packing p{g.out_c, g.filter_h, g.filter_w};
  std::vector<std::int16_t> packed(p.weight_count());
  std::vector<std::int32_t> epilogue(p.epilogue_words());
  std::vector<T> pad_row(static_cast<std::size_t>(p.padded_channels()), static_cast<T>(l.in_zp));
  kn::pack_depthwise_weights(p, l.weights.data(), packed.data(), w_zp);
  kn::pack_depthwise_epilogue(p, l.weights.data(), l.bias.empty() ? nullptr : l.bias.data(), l.in_zp,
                              l.multipliers.data(), epilogue.data(), w_zp);
  const kn::depthwise_quantized_args<T> args{l.input.data(), packed.data(), epilogue.data(), pad_row.data(),
                                             l.out_zp, l.act, got.data()};
  if constexpr (kn::is_fixed_v<Geometry>) kn::depthwise_conv2d_quantized(t, geometry, args, form);
  else kn::depthwise_conv2d_quantized(t, g, args, form);
  return std::pair{std::move(want), std::move(got)};
}

}  // namespace qfence_simd_test
