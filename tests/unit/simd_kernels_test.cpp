// The Highway convolution kernels (CONV_2D in int8, uint8, float and
// int16x8, FULLY_CONNECTED, int16x8 TRANSPOSE_CONV and DEPTHWISE_CONV_2D, the
// epilogue forms; the rest in simd_other_kernels_test) give the reference kernels' bits on every
// target that is compiled in and that this CPU runs (as Highway's own tests
// sweep targets), over random layers: shapes, strides, paddings, dilations, zero
// points at both extremes, scales across 1e-6..1e3, channel counts that are
// not multiples of the vector width, batch > 1. A failing case prints its
// seed; QFENCE_TEST_SEED=<seed> replays it first.
#include "qfence/kernels/packed_buffers.hpp"
#include "simd_kernels_common.hpp"

using namespace qfence_simd_test;

TEST_CASE("int8 conv2d: every target gives the reference's bits") {
  const auto targets = kn::usable_targets();
  REQUIRE(!targets.empty());
  for (const kn::target t : targets) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed);
      const layer l = random_layer(r, false);
      const auto [want, got] = conv_outputs(l, t);
      CAPTURE(describe(l, seed, t.name()));
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random int8 conv2d layers bit-exact");
  }
}

TEST_CASE("uint8 conv2d: every target gives the reference's bits") {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x08u);
      const layer_u8 l = as_uint8(random_layer(r, false), r);
      const auto [want, got] = conv_outputs(l, t);
      CAPTURE(t.name());
      CAPTURE(seed);
      CAPTURE(l.w_zp);
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random uint8 conv2d layers bit-exact");
  }
}

TEST_CASE("float conv2d and fully connected: every target gives the reference's bits") {
  const auto targets = kn::usable_targets();
  REQUIRE(!targets.empty());
  const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6,
                                 qf::activation::relu_n1_to_1};
  for (const kn::target t : targets) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed);
      const layer shape = random_layer(r, false);
      // Every fourth case a fully connected layer: rows of `depth` inputs.
      const bool fc = r() % 4 == 0;
      const qf::window_geometry g = fc ? qf::window_geometry{1, 1, shape.g.out_h * shape.g.out_w, shape.g.in_c * 3, 1,
                                                             shape.g.out_h * shape.g.out_w, shape.g.out_c, 1, 1, 1, 1, 1, 1, 0, 0}
                                       : shape.g;
      const bool specials = r() % 3 == 0;
      const auto input = random_floats(r, static_cast<std::size_t>(g.batches * g.in_h * g.in_w * g.in_c), specials);
      const kn::conv_float_packing p{g.out_c, g.filter_h * g.filter_w * g.in_c};
      const auto weights = random_floats(r, static_cast<std::size_t>(g.out_c * p.depth), specials);
      const auto bias = random_floats(r, static_cast<std::size_t>(g.out_c), false);
      const bool has_bias = r() % 5 != 0;
      const qf::float_range act = qf::float_activation_range(acts[r() % 4]);
      const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
      std::vector<float> want(out_n), got(out_n, 1234.5f);
      if (fc)
        qf::reference::fully_connected(qf::reference::fc_geometry{g.in_w, g.in_c, g.out_c}, input.data(), weights.data(),
                                       has_bias ? bias.data() : nullptr, act, want.data());
      else
        qf::reference::conv2d(g, g.in_c, input.data(), weights.data(), has_bias ? bias.data() : nullptr, act, want.data());
      std::vector<float> packed(p.count());
      kn::pack_conv_float(p, weights.data(), has_bias ? bias.data() : nullptr, packed.data());
      kn::conv2d_float(t, g, {input.data(), packed.data(), kn::packed_conv_float_bias(p, packed.data()), act, got.data()});
      CAPTURE(std::string(fc ? "fully connected " : "conv ") + describe(shape, seed, t.name()));
      REQUIRE(first_difference(got, want) == "");
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random float conv2d / fully connected layers bit-exact");
  }
}

namespace {

/// Epilogue forms (kernels/requantize_form.hpp) that drop steps: the left
/// shift alone; both clamps (with the zero point in the rounding); the
/// runtime path's two (the zero point in the rounding; that, no left shift
/// and the float screen); and the float screen with the zero point added or
/// without clamps.
constexpr kn::requantize_form no_left_shift{false, false, true, true}, fewest_steps{false, true, false, false},
    zero_point_in_round = kn::runtime_forms[1], runtime_screened = kn::runtime_forms[2],
    screened_zero_point_added{false, false, true, true, true}, screened_fewest_steps{false, true, false, false, true};
static_assert(zero_point_in_round == kn::requantize_form{true, true, true, true, false});
static_assert(runtime_screened == kn::requantize_form{false, true, true, true, true});
// The runtime path's pick: the last of its forms that the layer permits.
static_assert(kn::runtime_form_index(kn::requantize_form{false, true, false, false, true}) == 2);
static_assert(kn::runtime_form_index(kn::requantize_form{false, true, true, true, true}) == 2);
static_assert(kn::runtime_form_index(kn::requantize_form{false, true, true, true, false}) == 1);
static_assert(kn::runtime_form_index(kn::requantize_form{true, true, false, true, false}) == 1);
static_assert(kn::runtime_form_index(kn::requantize_form{false, false, false, false, true}) == 0);

std::string form_name(const kn::requantize_form& f) {
  return std::string(f.left_shift ? "" : "no left shift, ") + (f.zero_point_in_round ? "zero point in round, " : "") +
         (f.clamp_low ? "" : "no low clamp, ") + (f.clamp_high ? "" : "no high clamp, ") +
         (f.float_screen ? "float screen" : "");
}

/// A random layer whose multipliers are now and then all below 1 with small
/// shifts and whose activation is now and then the type's whole range, so
/// that each form's steps are dropped often.
layer random_form_layer(std::mt19937& r, bool depthwise) {
  layer l = random_layer(r, depthwise);
  if (r() % 2 == 0)
    for (auto& m : l.multipliers) m = qf::quantize_multiplier(std::ldexp(0.5 + (r() % 1000) / 2000.0, -static_cast<int>(r() % 23)));
  if (r() % 3 == 0) l.act_kind = qf::activation::none, l.act = qf::quantized_activation_range<std::int8_t>(l.act_kind, l.out_scale, l.out_zp);
  return l;
}

}  // namespace

TEST_CASE("epilogue forms: a layer's kernel without the steps it does not need gives the reference's bits") {
  // The compile-time path passes each layer's form; here each form with
  // runtime geometry, over random layers that permit it.
  int runs[6] = {};
  const auto each_form = [&](const kn::requantize_form& own, auto&& run) {
    if (kn::permits(own, no_left_shift)) run(kn::fixed<no_left_shift>{}), ++runs[0];
    if (kn::permits(own, zero_point_in_round)) run(kn::fixed<zero_point_in_round>{}), ++runs[1];
    if (kn::permits(own, runtime_screened)) run(kn::fixed<runtime_screened>{}), ++runs[2];
    if (kn::permits(own, fewest_steps)) run(kn::fixed<fewest_steps>{}), ++runs[3];
    if (kn::permits(own, screened_zero_point_added)) run(kn::fixed<screened_zero_point_added>{}), ++runs[4];
    if (kn::permits(own, screened_fewest_steps)) run(kn::fixed<screened_fewest_steps>{}), ++runs[5];
  };
  for (const kn::target t : kn::usable_targets()) {
    for (const std::uint32_t seed : seeds()) {
      CAPTURE(std::string(t.name()));
      CAPTURE(seed);
      {  // int8 and uint8 conv2d
        std::mt19937 r(seed ^ 0xf0f0u);
        const layer l = random_form_layer(r, false);
        each_form(kn::requantize_form_of<std::int8_t>(l.multipliers.data(), l.multipliers.size(), l.act),
                  [&](auto form) {
                    const auto [want, got] = conv_outputs(l, t, form);
                    CAPTURE(describe(l, seed, t.name()));
                    CAPTURE(form_name(decltype(form)::value));
                    REQUIRE(got == want);
                  });
        const layer_u8 u = as_uint8(l, r);
        each_form(kn::requantize_form_of<std::uint8_t>(u.multipliers.data(), u.multipliers.size(), u.act),
                  [&](auto form) {
                    const auto [want, got] = conv_outputs(u, t, form);
                    CAPTURE(u.w_zp);
                    CAPTURE(form_name(decltype(form)::value));
                    REQUIRE(got == want);
                  });
      }
      {  // int8 depthwise
        std::mt19937 r(seed ^ 0xf1f1u);
        const layer l = random_form_layer(r, true);
        const auto own = kn::requantize_form_of<std::int8_t>(l.multipliers.data(), l.multipliers.size(), l.act);
        each_form(own, [&](auto form) {
          const auto [want, got] = depthwise_outputs(l, t, l.g, form);
          CAPTURE(describe(l, seed, t.name()));
          CAPTURE(form_name(decltype(form)::value));
          REQUIRE(got == want);
        });
      }
    }
  }
  // Each form ran (the draws above make every one of them likely).
  for (const int n : runs) CHECK(n > 0);
  MESSAGE("epilogue forms run: no left shift " << runs[0] << ", zero point in the rounding " << runs[1]
                                               << ", the runtime's screened form " << runs[2] << ", fewest steps "
                                               << runs[3] << ", screened with the zero point added " << runs[4]
                                               << ", screened with fewest steps " << runs[5]);
}

TEST_CASE("float screen: accumulators next to every rounding boundary give the reference's bits") {
  // A 1x1 layer over one input channel with weights of 1: the accumulator of
  // pixel p and channel c is bias[c] + x[p] - in_zp, so each channel's bias
  // puts its 256 accumulators around a chosen point. Each channel's point is
  // where its exact result steps from k - 1 to k (core/fixed_point.hpp,
  // float_screen), for k near 0, near the clamps, or near the ends of int8
  // where the screen's float leaves [256, 512); its multiplier's right
  // shift is anything from 1 to 31. The screen's refusals (integer steps) and its
  // acceptances both land next to those steps.
  int layers = 0;
  for (const kn::target t : kn::usable_targets()) {
    for (const std::uint32_t seed : seeds()) {
      CAPTURE(std::string(t.name()));
      CAPTURE(seed);
      std::mt19937 r(seed ^ 0x5c5cu);
      const auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      layer l;
      const int out_c = 16 + below(40);
      l.g = qf::make_window_geometry(1, 16, 16, 1, out_c, 1, 1, 1, 1, 1, 1, qf::padding::valid, {});
      l.in_zp = 0;
      l.out_zp = below(256) - 128;
      l.input.resize(256);
      for (int p = 0; p < 256; ++p) l.input[static_cast<std::size_t>(p)] = static_cast<std::int8_t>(p - 128);
      l.weights.assign(static_cast<std::size_t>(out_c), 1);
      l.act_kind = qf::activation::none;
      l.act = {-128, 127};
      if (below(3) == 0) l.act = {below(100) - 128, 127 - below(100)};
      for (int c = 0; c < out_c; ++c) {
        const int right = 1 + below(31);
        const qf::quantized_multiplier m{(1 << 30) + below(1 << 30), -right};
        l.multipliers.push_back(m);
        // v(a) = a m / 2^(31+right) + zp + 1/2 + 2^-(right+1) (a >= 0); the
        // accumulator where v = k, for a k of each kind.
        const int kinds[] = {below(9) - 4, l.act.min + below(3) - 1, l.act.max + below(3) - 1,
                             127 + below(5) - 2, -128 + below(5) - 2};
        const double k = kinds[below(5)];
        const double scale = std::ldexp(static_cast<double>(m.multiplier), -(31 + right));
        const double at = (k - l.out_zp - 0.5 - std::ldexp(1.0, -(right + 1))) / scale;
        const double clamped = std::clamp(at, -2147483000.0, 2147483000.0);
        l.bias.push_back(static_cast<std::int32_t>(std::llround(clamped)));
      }
      const auto own = kn::requantize_form_of<std::int8_t>(l.multipliers.data(), l.multipliers.size(), l.act);
      REQUIRE(own.float_screen);
      const auto check = [&](auto form) {
        const auto [want, got] = conv_outputs(l, t, form);
        CAPTURE(describe(l, seed, t.name()));
        CAPTURE(form_name(decltype(form)::value));
        REQUIRE(got == want);
      };
      check(kn::fixed<kn::requantize_form{false, false, true, true, true}>{});
      if (own.zero_point_in_round) check(kn::fixed<runtime_screened>{});
      ++layers;
    }
  }
  CHECK(layers > 0);
}

/// int16x8 CONV_2D and DEPTHWISE_CONV_2D over random layers (random_layer's
/// geometry, int16 inputs at the extremes now and then, an int64 or int32
/// bias) and, one case in eight, long windows: CONV_2D's of 9000 products
/// (3x3 taps of 1000 channels, read tap by tap) or 3136 (7x7 over 64
/// channels, read as filter rows), long enough that the kernel's int32
/// lanes must be widened mid-window (every 255 pairs); DEPTHWISE_CONV_2D's of 22x22 taps (484: the
/// longest its int32 lanes take) or 23x23 (529: the reference's). Half of
/// those have every input and weight at the extreme (-32768 * -128), where
/// a lane that was not widened in time, or a window that the depthwise
/// kernel should not have taken, would overflow.
template <class Bias>
void check_int16x8_windows_on_every_target(bool depthwise) {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0, long_windows = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x1608u ^ static_cast<std::uint32_t>(sizeof(Bias) << 12) ^ (depthwise ? 0xd00u : 0u));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const bool long_window = below(8) == 0;
      const int side = 22 + below(2);
      const fixed_sizes sizes = !long_window ? fixed_sizes{}
                                : depthwise  ? fixed_sizes{side, side, 0, side, side, 1, 1}
                                 : below(2) == 0 ? fixed_sizes{3, 3, 1000, 3, 3, 1, 1}
                                                 : fixed_sizes{9, 9, 64, 7, 7, 1, 1};
      const layer l = random_layer(r, depthwise, sizes);
      const qf::window_geometry& g = l.g;
      const bool extreme = long_window && below(2) == 0;
      std::vector<std::int16_t> input(l.input.size());
      for (auto& x : input) {
        const int pick = below(8);
        x = extreme || pick == 0 ? std::int16_t{-32768}
            : pick == 1          ? std::int16_t{32767}
                                 : static_cast<std::int16_t>(below(65536) - 32768);
      }
      std::vector<std::int8_t> weights = l.weights;
      if (extreme) std::fill(weights.begin(), weights.end(), std::int8_t{-128});
      std::vector<Bias> bias;
      if (!l.bias.empty()) {
        bias.resize(static_cast<std::size_t>(g.out_c));
        for (auto& b : bias)
          b = sizeof(Bias) == 8 ? static_cast<Bias>(static_cast<std::int64_t>(r() % (1u << 30)) * 1024 - (std::int64_t{1} << 39))
                                : static_cast<Bias>(static_cast<std::int32_t>(r()));
      }
      // TFLite's 64-bit MultiplyByQuantizedMultiplier takes shifts of at
      // most 7, and rounds multipliers to 15 bits but those from 0x7fff0000
      // up, which it takes as 0x7fff: one channel in four has one of those.
      std::vector<qf::quantized_multiplier> multipliers = l.multipliers;
      for (auto& m : multipliers) {
        m.shift = std::min(m.shift, 7);
        if (below(4) == 0) m.multiplier = 0x7fff0000 + below(0x10000);
      }
      const qf::int_range act = qf::quantized_activation_range<std::int16_t>(l.act_kind, l.out_scale, 0);
      const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
      std::vector<std::int16_t> want(out_n), got(out_n, 0x5555);
      const Bias* bias_data = bias.empty() ? nullptr : bias.data();
      const kn::conv2d_int16x8_args<Bias> args{input.data(), weights.data(), bias_data, multipliers.data(), 0,
                                               act, got.data()};
      if (depthwise) {
        qf::reference::depthwise_conv2d(g, input.data(), weights.data(), bias_data, multipliers.data(), 0, act,
                                        want.data());
        kn::depthwise_conv2d_int16x8(t, g, args);
      } else {
        qf::reference::conv2d(g, g.in_c, input.data(), weights.data(), bias_data, multipliers.data(), 0, act,
                              want.data());
        // The runtime path's packing (its prepare), weights in pairs.
        const kn::packed_conv2d_int16x8 packed(
            kn::conv_packing::for_filter(g.out_c, g.filter_h, g.filter_w, g.in_c, g.dilation_w, 2), weights.data(),
            bias_data);
        kn::conv2d_int16x8(t, g, packed.args(args));
      }
      CAPTURE(describe(l, seed, t.name()));
      REQUIRE(got == want);
      ++checked;
      long_windows += long_window ? 1 : 0;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random int16x8 " << std::string(depthwise ? "depthwise " : "")
                                  << "convolutions with " << sizeof(Bias) * 8 << "-bit bias bit-exact ("
                                  << long_windows << " long windows)");
  }
}

TEST_CASE("int16x8 conv2d: every target gives the reference's bits") {
  check_int16x8_windows_on_every_target<std::int64_t>(false);
  check_int16x8_windows_on_every_target<std::int32_t>(false);
}

TEST_CASE("int16x8 depthwise_conv2d: every target gives the reference's bits") {
  check_int16x8_windows_on_every_target<std::int64_t>(true);
  check_int16x8_windows_on_every_target<std::int32_t>(true);
}

/// int16x8 TRANSPOSE_CONV over random layers: strides 1..3, filters 1..5,
/// any padding and output size the taps reach, sometimes no bias; one case
/// in six has 1000 input channels with every value at the extreme, where an
/// int32 lane not widened in time would overflow.
template <class Bias>
void check_transpose_conv_int16x8_on_every_target() {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x7c16u ^ static_cast<std::uint32_t>(sizeof(Bias) << 12));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const bool extreme = below(6) == 0;
      qf::window_geometry g{};
      g.batches = 1 + below(2);
      g.in_h = 1 + below(5);
      g.in_w = 1 + below(6);
      g.in_c = extreme ? 1000 : 1 + below(70);
      g.filter_h = 1 + below(5);
      g.filter_w = 1 + below(5);
      g.stride_h = 1 + below(3);
      g.stride_w = 1 + below(3);
      g.dilation_h = g.dilation_w = 1;
      g.pad_h = below(g.filter_h);
      g.pad_w = below(g.filter_w);
      g.out_h = 1 + below((g.in_h - 1) * g.stride_h + g.filter_h);
      g.out_w = 1 + below((g.in_w - 1) * g.stride_w + g.filter_w);
      g.out_c = 1 + below(21);
      const auto count = [](std::initializer_list<int> dims) {
        std::size_t n = 1;
        for (const int d : dims) n *= static_cast<std::size_t>(d);
        return n;
      };
      std::vector<std::int16_t> input(count({g.batches, g.in_h, g.in_w, g.in_c}));
      for (auto& x : input)
        x = extreme || below(8) == 0 ? std::int16_t{-32768} : static_cast<std::int16_t>(below(65536) - 32768);
      std::vector<std::int8_t> weights(count({g.out_c, g.filter_h, g.filter_w, g.in_c}));
      for (auto& w : weights) w = extreme ? std::int8_t{-128} : static_cast<std::int8_t>(below(256) - 128);
      std::vector<Bias> bias(below(4) == 0 ? 0 : static_cast<std::size_t>(g.out_c));
      for (auto& b : bias) b = static_cast<Bias>(below(1 << 24) - (1 << 23));
      std::vector<qf::quantized_multiplier> multipliers(static_cast<std::size_t>(g.out_c));
      for (auto& m : multipliers) m = qf::quantize_multiplier(std::pow(10.0, -7.0 + 5.0 * below(1000) / 1000.0));
      const qf::int_range act{below(2) ? -32768 : -1000, 32767};
      const std::size_t out_n = count({g.batches, g.out_h, g.out_w, g.out_c});
      std::vector<std::int16_t> want(out_n), got(out_n, 0x5555);
      std::vector<std::int64_t> scratch(out_n);
      const Bias* bias_data = bias.empty() ? nullptr : bias.data();
      qf::reference::transpose_conv(g, input.data(), weights.data(), bias_data, multipliers.data(), 0, act,
                                    scratch.data(), want.data());
      kn::transpose_conv_int16x8(t, g,
                                 kn::conv2d_int16x8_args<Bias>{input.data(), weights.data(), bias_data,
                                                               multipliers.data(), 0, act, got.data()},
                                 scratch.data());
      CAPTURE(t.name());
      CAPTURE(seed);
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random int16x8 transpose convolutions with "
                                  << sizeof(Bias) * 8 << "-bit bias bit-exact");
  }
}

TEST_CASE("int16x8 transpose_conv: every target gives the reference's bits") {
  check_transpose_conv_int16x8_on_every_target<std::int64_t>();
  check_transpose_conv_int16x8_on_every_target<std::int32_t>();
}
