// The Highway kernels give the reference kernels' bits on every target that
// is compiled in and that this CPU runs (as Highway's own tests sweep
// targets), over random layers: shapes, strides, paddings, dilations, zero
// points at both extremes, scales across 1e-6..1e3, channel counts that are
// not multiples of the vector width, batch > 1. A failing case prints its
// seed; QFENCE_TEST_SEED=<seed> replays it first.
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

TEST_CASE("uint8 depthwise_conv2d: every target gives the reference's bits") {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0xd8u);
      const layer_u8 l = as_uint8(random_layer(r, true), r);
      const auto& g = l.g;
      const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
      std::vector<std::uint8_t> want(out_n), got(out_n, 0x55);
      qf::reference::depthwise_conv2d(g, l.input.data(), -l.in_zp, l.weights.data(), -l.w_zp,
                                      l.bias.empty() ? nullptr : l.bias.data(), l.multipliers.data(), l.out_zp, l.act,
                                      want.data());
      const kn::depthwise_packing p{g.out_c, g.filter_h, g.filter_w};
      std::vector<std::int16_t> packed(p.weight_count());
      std::vector<std::int32_t> epilogue(p.epilogue_words());
      std::vector<std::uint8_t> pad_row(static_cast<std::size_t>(p.padded_channels()), static_cast<std::uint8_t>(l.in_zp));
      kn::pack_depthwise_weights(p, l.weights.data(), packed.data(), l.w_zp);
      kn::pack_depthwise_epilogue(p, l.weights.data(), l.bias.empty() ? nullptr : l.bias.data(), l.in_zp,
                                  l.multipliers.data(), epilogue.data(), l.w_zp);
      kn::depthwise_conv2d_quantized(t, g, kn::depthwise_uint8_args{l.input.data(), packed.data(), epilogue.data(),
                                                                    pad_row.data(), l.out_zp, l.act, got.data()});
      CAPTURE(t.name());
      CAPTURE(seed);
      CAPTURE(l.w_zp);
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random uint8 depthwise layers bit-exact");
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

TEST_CASE("float depthwise_conv2d: every target gives the reference's bits") {
  const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6,
                                 qf::activation::relu_n1_to_1};
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0xf1u);
      const layer shape = random_layer(r, true);  // any depth multiplier
      const qf::window_geometry& g = shape.g;
      const bool specials = r() % 3 == 0;
      const auto input = random_floats(r, static_cast<std::size_t>(g.batches * g.in_h * g.in_w * g.in_c), specials);
      const auto weights = random_floats(r, static_cast<std::size_t>(g.filter_h * g.filter_w * g.out_c), specials);
      const auto bias = random_floats(r, static_cast<std::size_t>(g.out_c), false);
      const float* b = r() % 5 != 0 ? bias.data() : nullptr;
      const qf::float_range act = qf::float_activation_range(acts[r() % 4]);
      const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
      std::vector<float> want(out_n), got(out_n, 1234.5f);
      qf::reference::depthwise_conv2d(g, input.data(), weights.data(), b, act, want.data());
      kn::depthwise_conv2d_float(t, g, {input.data(), weights.data(), b, act, got.data()});
      CAPTURE(describe(shape, seed, t.name()));
      REQUIRE(first_difference(got, want) == "");
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random float depthwise layers bit-exact");
  }
}

/// Runs `l` through the depthwise kernel on `t`; the reference's bytes and
/// the kernel's.
template <class Geometry = qf::window_geometry, class Form = kn::general_form>
std::pair<std::vector<std::int8_t>, std::vector<std::int8_t>> depthwise_outputs(const layer& l, kn::target t,
                                                                                const Geometry& geometry = {},
                                                                                Form form = {}) {
  const auto& g = l.g;
  const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
  std::vector<std::int8_t> want(out_n), got(out_n, 0x55);
  qf::reference::depthwise_conv2d(g, l.input.data(), -l.in_zp, l.weights.data(), 0,
                                  l.bias.empty() ? nullptr : l.bias.data(), l.multipliers.data(), l.out_zp, l.act,
                                  want.data());
  const kn::depthwise_packing p{g.out_c, g.filter_h, g.filter_w};
  std::vector<std::int16_t> packed(p.weight_count());
  std::vector<std::int32_t> epilogue(p.epilogue_words());
  std::vector<std::int8_t> pad_row(static_cast<std::size_t>(p.padded_channels()), static_cast<std::int8_t>(l.in_zp));
  kn::pack_depthwise_weights(p, l.weights.data(), packed.data());
  kn::pack_depthwise_epilogue(p, l.weights.data(), l.bias.empty() ? nullptr : l.bias.data(), l.in_zp,
                              l.multipliers.data(), epilogue.data());
  const kn::depthwise_int8_args args{l.input.data(), packed.data(), epilogue.data(), pad_row.data(), l.out_zp, l.act,
                                     got.data()};
  if constexpr (kn::is_fixed_v<Geometry>) kn::depthwise_conv2d_quantized(t, geometry, args, form);
  else kn::depthwise_conv2d_quantized(t, g, args, form);
  return {std::move(want), std::move(got)};
}

namespace {

/// Epilogue forms (kernels/requantize_form.hpp) that drop steps: the left
/// shift alone; both clamps (with the zero point in the rounding); and the
/// runtime path's two (the zero point in the rounding, with and without the
/// left shift).
constexpr kn::requantize_form no_left_shift{false, false, true, true}, fewest_steps{false, true, false, false},
    zero_point_in_round = kn::runtime_forms[1], no_left_shift_in_round = kn::runtime_forms[2];
static_assert(zero_point_in_round == kn::requantize_form{true, true, true, true});
static_assert(no_left_shift_in_round == kn::requantize_form{false, true, true, true});
// The runtime path's pick: the last of its forms that the layer permits.
static_assert(kn::runtime_form_index(kn::requantize_form{false, true, false, false}) == 2);
static_assert(kn::runtime_form_index(kn::requantize_form{false, true, true, true}) == 2);
static_assert(kn::runtime_form_index(kn::requantize_form{true, true, false, true}) == 1);
static_assert(kn::runtime_form_index(kn::requantize_form{false, false, false, false}) == 0);

std::string form_name(const kn::requantize_form& f) {
  return std::string(f.left_shift ? "" : "no left shift, ") + (f.zero_point_in_round ? "zero point in round, " : "") +
         (f.clamp_low ? "" : "no low clamp, ") + (f.clamp_high ? "" : "no high clamp");
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
  int runs[4] = {};
  const auto each_form = [&](const kn::requantize_form& own, auto&& run) {
    if (kn::permits(own, no_left_shift)) run(kn::fixed<no_left_shift>{}), ++runs[0];
    if (kn::permits(own, zero_point_in_round)) run(kn::fixed<zero_point_in_round>{}), ++runs[1];
    if (kn::permits(own, no_left_shift_in_round)) run(kn::fixed<no_left_shift_in_round>{}), ++runs[2];
    if (kn::permits(own, fewest_steps)) run(kn::fixed<fewest_steps>{}), ++runs[3];
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
                                               << ", both " << runs[2] << ", fewest steps " << runs[3]);
}

TEST_CASE("int8 depthwise_conv2d: every target gives the reference's bits") {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0xd1u);
      const layer l = random_layer(r, true);
      const auto [want, got] = depthwise_outputs(l, t);
      CAPTURE(describe(l, seed, t.name()));
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random int8 depthwise layers bit-exact");
  }
}

TEST_CASE("int8 depthwise_conv2d: filters too wide for the column buffer, too tall for the kept rows") {
  // 9 taps 30 columns apart span 241 columns, more than the kernel buffers
  // (each output then builds its own); 19 filter rows pass the 16 whose
  // input rows the kernel finds once per output row.
  const fixed_sizes shapes[] = {{3, 250, 20, 1, 9, 1, 30}, {21, 6, 37, 19, 2, 1, 1}};
  for (const kn::target t : kn::usable_targets())
    for (const fixed_sizes& shape : shapes)
      for (int i = 0; i < 4; ++i) {
        const std::uint32_t seed = base_seed() + static_cast<std::uint32_t>(i);
        std::mt19937 r(seed);
        const layer l = random_layer(r, true, shape);
        const auto [want, got] = depthwise_outputs(l, t);
        CAPTURE(describe(l, seed, t.name()));
        REQUIRE(got == want);
      }
}

/// A random layer of geometry `g` (its values, zero points and scales drawn
/// as random_layer draws them).
layer random_layer_of(std::mt19937& r, const qf::window_geometry& g) {
  layer l = random_layer(r, true, {g.in_h, g.in_w, g.in_c, g.filter_h, g.filter_w, g.dilation_h, g.dilation_w});
  l.g = g;
  l.input.resize(static_cast<std::size_t>(g.batches * g.in_h * g.in_w * g.in_c));
  for (auto& x : l.input) x = static_cast<std::int8_t>(r() % 256u);
  l.weights.resize(static_cast<std::size_t>(g.filter_h * g.filter_w * g.out_c));
  for (auto& w : l.weights) w = static_cast<std::int8_t>(static_cast<int>(r() % 255u) - 127);
  if (!l.bias.empty()) l.bias.resize(static_cast<std::size_t>(g.out_c), -77777);
  l.multipliers.resize(static_cast<std::size_t>(g.out_c), l.multipliers.back());
  return l;
}

/// Depthwise layers with the geometry as a constant, as the compile-time
/// path instantiates them: the filter sizes whose taps AVX3_DL packs into
/// byte quads (one to four rows), with strides, dilations, SAME padding,
/// a depth multiplier, half vectors (8 channels) and partial vectors.
template <qf::window_geometry G>
void check_fixed_depthwise(kn::target t) {
  for (int i = 0; i < 20; ++i) {
    const std::uint32_t seed = base_seed() + static_cast<std::uint32_t>(i) * 31u;
    std::mt19937 r(seed ^ 0xf1du);
    const layer l = random_layer_of(r, G);
    const auto [want, got] = depthwise_outputs(l, t, kn::fixed<G>{});
    CAPTURE(describe(l, seed, t.name()));
    REQUIRE(got == want);
  }
}

TEST_CASE("int8 depthwise_conv2d, constant geometry: every target gives the reference's bits") {
  using qf::make_window_geometry;
  using qf::padding;
  for (const kn::target t : kn::usable_targets()) {
    check_fixed_depthwise<make_window_geometry(1, 9, 11, 40, 40, 3, 3, 1, 1, 1, 1, padding::same)>(t);
    check_fixed_depthwise<make_window_geometry(2, 10, 9, 16, 16, 3, 3, 2, 2, 1, 1, padding::same)>(t);
    check_fixed_depthwise<make_window_geometry(1, 7, 8, 8, 8, 3, 3, 1, 1, 2, 2, padding::valid)>(t);
    check_fixed_depthwise<make_window_geometry(1, 6, 13, 3, 21, 1, 5, 1, 2, 1, 1, padding::same)>(t);
    check_fixed_depthwise<make_window_geometry(1, 8, 6, 33, 33, 2, 3, 1, 1, 1, 1, padding::same)>(t);
    check_fixed_depthwise<make_window_geometry(1, 9, 9, 19, 19, 4, 2, 2, 1, 1, 1, padding::valid)>(t);
    check_fixed_depthwise<make_window_geometry(1, 12, 5, 17, 17, 5, 3, 1, 1, 1, 1, padding::same)>(t);
  }
}

TEST_CASE("int8 depthwise_conv2d, MobileNets' 3x3 layers: every target gives the reference's bits") {
  // Full vectors of channels (16, 32, 48, 64 on AVX-512; half vectors at 24),
  // strides 1 and 2, SAME and VALID, widths odd and even, as runtime
  // geometry: the walk that keeps its columns in registers, at every border.
  using qf::make_window_geometry;
  using qf::padding;
  const int channels[] = {16, 24, 32, 48, 64};
  for (const kn::target t : kn::usable_targets())
    for (const int c : channels)
      for (const int stride : {1, 2})
        for (const padding pad : {padding::same, padding::valid})
          for (const int width : {1, 2, 7, 12}) {
            const std::uint32_t seed = base_seed() + static_cast<std::uint32_t>(c * 131 + stride * 17 + width);
            std::mt19937 r(seed ^ 0x3d3du);
            const qf::window_geometry g = make_window_geometry(1, 5 + width % 3, width, c, c, 3, 3, stride, stride, 1, 1, pad);
            if (g.out_h <= 0 || g.out_w <= 0) continue;
            const layer l = random_layer_of(r, g);
            const auto [want, got] = depthwise_outputs(l, t);
            CAPTURE(describe(l, seed, t.name()));
            REQUIRE(got == want);
          }
}

/// A random int8 SVDF (int16 or int8 state), run `steps` times on `t` and
/// by the reference, from the same random state: every output and the
/// final states must match.
template <class State>
void check_svdf_on_every_target() {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x5fdu ^ sizeof(State));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const int rank = 1 + below(3), units = 1 + below(40);
      // Input sizes past the kernel's 1024-element chunk now and then.
      const int input_size = below(10) == 0 ? 1000 + below(1100) : 1 + below(130);
      const qf::svdf_geometry g{1 + below(3), input_size, units * rank, rank, 1 + below(40)};
      const auto extreme = [&](int lo, int hi) {
        const int pick = below(4);
        return pick == 0 ? lo : pick == 1 ? hi : lo + below(hi - lo + 1);
      };
      constexpr int state_lo = std::numeric_limits<State>::min(), state_hi = std::numeric_limits<State>::max();
      const auto multiplier = [&] {
        return qf::quantize_multiplier(std::exp(std::log(1e-7) + (std::log(4.0) - std::log(1e-7)) * (r() / 4294967296.0)));
      };
      const qf::svdf_params p{extreme(-128, 127), extreme(state_lo, state_hi), extreme(-128, 127), multiplier(),
                              multiplier()};
      const auto random_of = [&](auto& v, std::size_t n, int lo, int hi) {
        v.resize(n);
        for (auto& x : v) x = static_cast<std::remove_reference_t<decltype(x)>>(lo + below(hi - lo + 1));
      };
      std::vector<std::int8_t> input, feature;
      std::vector<State> time, state;
      std::vector<std::int32_t> bias;
      const std::size_t filters = static_cast<std::size_t>(g.filters);
      random_of(feature, filters * static_cast<std::size_t>(input_size), -127, 127);
      // int16 time weights within +-200: the reference's int32 sums (up to
      // 40 steps of 200 * 65535, three filters a unit) then cannot overflow,
      // which would be undefined behaviour there.
      const int time_bound = sizeof(State) == 2 ? 200 : 127;
      random_of(time, filters * static_cast<std::size_t>(g.memory), -time_bound, time_bound);
      random_of(state, static_cast<std::size_t>(g.batches) * filters * static_cast<std::size_t>(g.memory), state_lo,
                state_hi);
      if (below(4) != 0) random_of(bias, static_cast<std::size_t>(units), -1000000, 1000000);
      std::vector<State> want_state = state;
      std::vector<std::int32_t> scratch(static_cast<std::size_t>(g.batches) * (filters + static_cast<std::size_t>(units)));
      const std::size_t out_n = static_cast<std::size_t>(g.batches * units);
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      for (int step = 0; step < 3; ++step) {
        random_of(input, static_cast<std::size_t>(g.batches * input_size), -128, 127);
        std::vector<std::int8_t> want(out_n), got(out_n, 0x55);
        qf::reference::svdf(g, p, input.data(), feature.data(), time.data(), bias.empty() ? nullptr : bias.data(),
                            want_state.data(), scratch.data(), want.data());
        kn::svdf_quantized<State>(t, g, p,
                                  {input.data(), feature.data(), time.data(), bias.empty() ? nullptr : bias.data(),
                                   state.data(), scratch.data(), got.data()});
        REQUIRE(got == want);
        REQUIRE(state == want_state);
      }
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random SVDFs with "
                                  << std::string(sizeof(State) == 2 ? "int16" : "int8") << " state bit-exact over 3 steps");
  }
}

TEST_CASE("svdf: every target gives the reference's bits") {
  check_svdf_on_every_target<std::int16_t>();
  check_svdf_on_every_target<std::int8_t>();
}

/// int16x8 CONV_2D over random layers (random_layer's geometry, int16 inputs
/// at the extremes now and then, an int64 or int32 bias) and, one case in
/// eight, windows of 9000 products (3x3 over 1000 channels), long enough
/// that the kernel's int32 lanes must be widened mid-window; half of those
/// have every input and weight at the extreme (-32768 * -128), where a lane
/// that was not widened in time would overflow.
template <class Bias>
void check_conv2d_int16x8_on_every_target() {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0, long_windows = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x1608u ^ static_cast<std::uint32_t>(sizeof(Bias) << 12));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const bool long_window = below(8) == 0;
      const layer l = random_layer(r, false, long_window ? fixed_sizes{3, 3, 1000, 3, 3, 1, 1} : fixed_sizes{});
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
      // most 7.
      std::vector<qf::quantized_multiplier> multipliers = l.multipliers;
      for (auto& m : multipliers) m.shift = std::min(m.shift, 7);
      const qf::int_range act = qf::quantized_activation_range<std::int16_t>(l.act_kind, l.out_scale, 0);
      const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.out_c);
      std::vector<std::int16_t> want(out_n), got(out_n, 0x5555);
      const Bias* bias_data = bias.empty() ? nullptr : bias.data();
      qf::reference::conv2d(g, g.in_c, input.data(), weights.data(), bias_data, multipliers.data(), 0, act, want.data());
      kn::conv2d_int16x8(t, g, g.in_c,
                         kn::conv2d_int16x8_args<Bias>{input.data(), weights.data(), bias_data, multipliers.data(), 0,
                                                       act, got.data()});
      CAPTURE(describe(l, seed, t.name()));
      REQUIRE(got == want);
      ++checked;
      long_windows += long_window ? 1 : 0;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random int16x8 convolutions with " << sizeof(Bias) * 8
                                  << "-bit bias bit-exact (" << long_windows << " of 9000-product windows)");
  }
}

TEST_CASE("int16x8 conv2d: every target gives the reference's bits") {
  check_conv2d_int16x8_on_every_target<std::int64_t>();
  check_conv2d_int16x8_on_every_target<std::int32_t>();
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
