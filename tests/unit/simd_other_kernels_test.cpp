// The Highway kernels other than simd_kernels_test's give the reference
// kernels' bits on every target that is compiled in and that this CPU runs:
// depthwise convolutions (runtime and constant geometries), SVDF, tables,
// quantize, arg_max, transposes, means, pools, resizes, softmax,
// broadcasting add/sub/mul (quantized), the float and int32 arithmetic,
// sqrt and casts, pad, and the target overrides. A failing case
// prints its seed; QFENCE_TEST_SEED=<seed> replays it first.
#include "simd_kernels_common.hpp"

using namespace qfence_simd_test;

TEST_CASE("uint8 depthwise_conv2d: every target gives the reference's bits") {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0xd8u);
      const layer_u8 l = as_uint8(random_layer(r, true), r);
      const auto [want, got] = depthwise_outputs(l, t);
      CAPTURE(t.name());
      CAPTURE(seed);
      CAPTURE(l.w_zp);
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random uint8 depthwise layers bit-exact");
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

TEST_CASE("int8 depthwise_conv2d, one input channel: every target gives the reference's bits") {
  // AVX3_DL's walk for one input channel (each input column's quad built once
  // per output row, runs of 16 columns at once): depth multipliers from 1 to
  // 40 (partial, half and several vectors), strides, dilations, SAME and
  // VALID, rows narrower and wider than a run; runtime geometry (3x3) and
  // constant geometry (filters of 1 to 4 rows).
  using qf::make_window_geometry;
  using qf::padding;
  for (const kn::target t : kn::usable_targets()) {
    for (const int out_c : {1, 3, 8, 16, 20, 40})
      for (const int stride : {1, 2})
        for (const int dilation : {1, 2})
          for (const padding pad : {padding::same, padding::valid})
            for (const int width : {5, 17, 40, 96}) {
              const std::uint32_t seed = base_seed() + static_cast<std::uint32_t>(out_c * 1009 + stride * 101 + dilation * 13 + width);
              std::mt19937 r(seed ^ 0x1c1cu);
              const qf::window_geometry g =
                  make_window_geometry(1, 4 + width % 5, width, 1, out_c, 3, 3, stride, stride, dilation, dilation, pad);
              if (g.out_h <= 0 || g.out_w <= 0) continue;
              const layer l = random_layer_of(r, g);
              const auto [want, got] = depthwise_outputs(l, t);
              CAPTURE(describe(l, seed, t.name()));
              REQUIRE(got == want);
            }
    check_fixed_depthwise<make_window_geometry(1, 20, 96, 1, 8, 3, 3, 2, 2, 1, 1, padding::same)>(t);
    check_fixed_depthwise<make_window_geometry(1, 7, 37, 1, 12, 2, 3, 1, 1, 1, 2, padding::valid)>(t);
    check_fixed_depthwise<make_window_geometry(1, 9, 20, 1, 1, 4, 1, 1, 2, 1, 1, padding::same)>(t);
    check_fixed_depthwise<make_window_geometry(2, 5, 33, 1, 24, 1, 2, 2, 1, 1, 1, padding::same)>(t);
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

/// 8-bit elementwise ops as tables: tabulate maps every input bit pattern to
/// the reference kernel's output (int8 LOGISTIC in TFLM's fixed point, a
/// uint8 -> int8 QUANTIZE), and look_up gives the table's bytes on every
/// target over random lengths (tails of every size).
TEST_CASE("look_up: tables of reference kernels, looked up on every target") {
  std::mt19937 r(0x7ab1e);
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  for (int trial = 0; trial < 50; ++trial) {
    const float in_scale = std::ldexp(1.0f + static_cast<float>(below(1000)) / 1000.0f, -below(12));
    const std::int32_t zp = below(256) - 128;
    const qf::sigmoid_input_params p = qf::make_sigmoid_input_params(in_scale);
    const auto logistic = [&](std::int64_t n, const std::int8_t* x, std::int8_t* y) { qf::reference::logistic(n, x, zp, p, y); };
    const qf::lookup_table<std::int8_t> table = qf::tabulate<std::int8_t, std::int8_t>(
        [&](const std::int8_t* x, std::int8_t* y) { logistic(256, x, y); });
    const qf::quantized_multiplier m = qf::quantize_multiplier(std::ldexp(0.5 + below(1000) / 2000.0, below(8) - 4));
    const qf::lookup_table<std::int8_t> requantize = qf::tabulate<std::uint8_t, std::int8_t>(
        [&](const std::uint8_t* x, std::int8_t* y) { qf::reference::requantize(256, x, zp + 128, m, zp, y); });
    for (const kn::target t : kn::usable_targets()) {
      const int n = below(4) == 0 ? below(300) : below(5000);
      std::vector<std::int8_t> in(static_cast<std::size_t>(n));
      for (auto& x : in) x = static_cast<std::int8_t>(below(256) - 128);
      std::vector<std::int8_t> want(in.size()), got(in.size(), 0x55);
      logistic(n, in.data(), want.data());
      kn::look_up(t, n, in.data(), table, got.data());
      CAPTURE(std::string(t.name()) + " trial=" + std::to_string(trial) + " n=" + std::to_string(n));
      REQUIRE(got == want);
      std::vector<std::uint8_t> in_u8(in.size());
      for (std::size_t i = 0; i < in.size(); ++i) in_u8[i] = static_cast<std::uint8_t>(in[i] + 128);
      qf::reference::requantize(n, in_u8.data(), zp + 128, m, zp, want.data());
      kn::look_up(t, n, in_u8.data(), requantize, got.data());
      REQUIRE(got == want);
    }
  }
}

/// int16 ops as TFLite's interpolated tables: look_up gives the reference's
/// LUTLookup on every target, for every int16 value (and random lengths,
/// tails of every size), on the table of a float function and on tables of
/// random entries, whose neighbours differ by more than int16 holds (the
/// slope wraps, as TFLite's does).
TEST_CASE("look_up: int16 interpolated tables on every target") {
  std::mt19937 r(0x1e16);
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  std::vector<std::int16_t> every(65536);
  for (std::size_t i = 0; i < every.size(); ++i) every[i] = static_cast<std::int16_t>(static_cast<int>(i) - 32768);
  for (int trial = 0; trial < 6; ++trial) {
    qf::lookup_table_int16 table{};
    if (trial == 0) {
      table = qf::make_lookup_table_int16(1.0f / 4096.0f, 0, 1.0f / 32768.0f, 0, [](float x) { return std::tanh(x); });
    } else {
      for (auto& e : table) e = static_cast<std::int16_t>(below(65536) - 32768);
    }
    std::vector<std::int16_t> want(every.size()), got(every.size());
    qf::reference::lookup(static_cast<std::int64_t>(every.size()), every.data(), table, want.data());
    for (const kn::target t : kn::usable_targets()) {
      std::fill(got.begin(), got.end(), std::int16_t{0x5555});
      kn::look_up(t, static_cast<std::int64_t>(every.size()), every.data(), table, got.data());
      CAPTURE(std::string(t.name()) + " trial=" + std::to_string(trial));
      REQUIRE(got == want);
      const int n = below(3000);
      const int from = below(65536 - n);
      std::fill(got.begin(), got.end(), std::int16_t{0x5555});
      kn::look_up(t, n, every.data() + from, table, got.data());
      REQUIRE(std::equal(got.begin(), got.begin() + n, want.begin() + from));
      REQUIRE(got[static_cast<std::size_t>(n)] == std::int16_t{0x5555});  // nothing written past n
    }
  }
}

/// QUANTIZE from float and DEQUANTIZE to float over random lengths, scales
/// 1e-6..1e3 and zero points at the extremes: inputs at exact halves of the
/// scale (where rounding half away from zero matters), beyond every range,
/// infinities, NaN and subnormals among ordinary values.
template <class T>
void check_quantize_on_every_target() {
  constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x9a47u ^ static_cast<std::uint32_t>(sizeof(T) << 16) ^ (std::is_signed_v<T> ? 0u : 1u));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const int n = below(4) == 0 ? below(40) : below(3000);
      const float scale =
          static_cast<float>(std::exp(std::log(1e-6) + (std::log(1e3) - std::log(1e-6)) * (r() / 4294967296.0)));
      const int pick = below(4);
      const std::int32_t zp = pick == 0 ? lo : pick == 1 ? hi : lo + below(hi - lo + 1);
      std::vector<float> in(static_cast<std::size_t>(n));
      for (auto& x : in) {
        const int kind = below(16);
        const float k = static_cast<float>(below(2 * (hi - lo) + 1) - (hi - lo));
        x = kind == 0   ? (k + (below(2) == 0 ? 0.5f : -0.5f)) * scale  // a half, as exactly as float has it
            : kind == 1 ? std::numeric_limits<float>::infinity() * (below(2) == 0 ? 1.0f : -1.0f)
            : kind == 2 ? std::numeric_limits<float>::quiet_NaN()
            : kind == 3 ? std::numeric_limits<float>::denorm_min() * static_cast<float>(below(1000) - 500)
            : kind == 4 ? static_cast<float>(below(2) == 0 ? 1e30 : -1e30)
                        : k * scale * static_cast<float>(r() / 4294967296.0 + 0.5);
      }
      std::vector<T> want(in.size()), got(in.size(), T{0x55});
      qf::reference::quantize(n, in.data(), scale, zp, want.data());
      kn::quantize(t, n, in.data(), scale, zp, got.data());
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      std::string difference;
      for (std::size_t i = 0; i < in.size() && difference.empty(); ++i)
        if (got[i] != want[i])
          difference = "element " + std::to_string(i) + ": " + std::to_string(in[i]) + " / " + std::to_string(scale) +
                       " + " + std::to_string(zp) + " gave " + std::to_string(got[i]) + ", want " + std::to_string(want[i]);
      REQUIRE(difference == "");
      std::vector<float> back_want(in.size()), back_got(in.size(), -1.0f);
      qf::reference::dequantize(n, want.data(), scale, zp, back_want.data());
      kn::dequantize(t, n, want.data(), scale, zp, back_got.data());
      REQUIRE(first_difference(back_got, back_want) == "");
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << sizeof(T) * 8 << "-bit "
                                  << std::string(std::is_signed_v<T> ? "signed" : "unsigned") << " quantize/dequantize bit-exact");
  }
}

TEST_CASE("quantize, dequantize: every target gives the reference's bits") {
  check_quantize_on_every_target<std::int8_t>();
  check_quantize_on_every_target<std::uint8_t>();
  check_quantize_on_every_target<std::int16_t>();
}

/// ARG_MAX and ARG_MIN over random rows (lengths across the vector widths,
/// values from narrow ranges so that the largest value repeats, or all at
/// the type's extremes), against the reference.
template <class T, class Index>
void check_arg_max_on_every_target() {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0xa7u ^ (sizeof(T) << 8) ^ (std::is_signed_v<T> ? 0x10000u : 0u) ^ (sizeof(Index) << 20));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const int size = below(8) == 0 ? 1 + below(300) : 1 + below(70);
      const std::int64_t outer = 1 + below(40);
      constexpr std::int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
      const int kind = below(4);
      const std::int64_t span = kind == 0 ? 0 : kind == 1 ? 3 : hi - lo;  // all equal, many ties, anything
      const std::int64_t base = kind == 0 ? (below(2) == 0 ? lo : hi) : kind == 1 ? (below(2) == 0 ? hi - 3 : lo) : lo;
      std::vector<T> in(static_cast<std::size_t>(outer * size));
      for (auto& x : in)
        x = static_cast<T>(base + static_cast<std::int64_t>(r() % static_cast<std::uint64_t>(span + 1)));
      std::vector<Index> want(static_cast<std::size_t>(outer)), got(static_cast<std::size_t>(outer), -1);
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed) + " size=" + std::to_string(size));
      qf::reference::arg_extreme<true>(outer, size, 1, in.data(), want.data());
      kn::arg_extreme<true>(t, outer, size, 1, in.data(), got.data());
      REQUIRE(got == want);
      qf::reference::arg_extreme<false>(outer, size, 1, in.data(), want.data());
      kn::arg_extreme<false>(t, outer, size, 1, in.data(), got.data());
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random arg_max and arg_min tensors of " << sizeof(T) * 8
                                  << "-bit values bit-exact");
  }
}

TEST_CASE("arg_max, arg_min, last axis: every target gives the reference's indices") {
  check_arg_max_on_every_target<std::int8_t, std::int32_t>();
  check_arg_max_on_every_target<std::uint8_t, std::int64_t>();
  check_arg_max_on_every_target<std::int16_t, std::int32_t>();
  check_arg_max_on_every_target<std::int32_t, std::int64_t>();
}

/// TRANSPOSE of bytes: NCHW <-> NHWC with 2 to 4 channels (the planes form,
/// which must be recognised) and random permutations (mostly the
/// reference), against the reference.
TEST_CASE("transpose: every target gives the reference's bytes") {
  for (const kn::target t : kn::usable_targets()) {
    int planes_checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x7a5u);
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const int kind = below(3);
      std::vector<int> dims, perm;
      if (kind < 2) {  // [N, C, H, W] -> [N, H, W, C] (kind 0) or back (kind 1)
        const int n = 1 + below(3), c = 2 + below(3), h = 1 + below(40), w = 1 + below(300);
        dims = kind == 0 ? std::vector<int>{n, c, h, w} : std::vector<int>{n, h, w, c};
        perm = kind == 0 ? std::vector<int>{0, 2, 3, 1} : std::vector<int>{0, 3, 1, 2};
      } else {
        const int rank = 1 + below(6);
        for (int d = 0; d < rank; ++d) dims.push_back(1 + below(d + 1 == rank ? 20 : 6)), perm.push_back(d);
        std::shuffle(perm.begin(), perm.end(), r);
      }
      const qf::transpose_geometry g =
          qf::make_transpose_geometry(dims.data(), static_cast<int>(dims.size()), perm.data());
      const kn::interleave_form f = kn::interleave_form_of(g);
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      if (kind < 2) REQUIRE(f.valid);
      std::size_t count = 1;
      for (const int d : dims) count *= static_cast<std::size_t>(d);
      std::vector<unsigned char> in(count), want(count), got(count, 0x55);
      for (auto& x : in) x = static_cast<unsigned char>(r());
      qf::reference::transpose<1>(g, in.data(), want.data());
      kn::transpose<1>(t, g, f, in.data(), got.data());
      REQUIRE(got == want);
      planes_checked += f.valid ? 1 : 0;
    }
    MESSAGE(std::string(t.name()) << ": " << planes_checked << " plane (de)interleaving transposes bit-exact");
  }
}

/// A random reduction: rank 1-4, the innermost dimension up to 90 (kept or
/// reduced), some axes negative; dims and geometry.
struct random_reduction {
  std::vector<int> dims;
  qf::reduce_geometry g;
  std::size_t in_count = 1;
  std::size_t out_count() const { return static_cast<std::size_t>(g.out_elements); }
};
random_reduction make_random_reduction(std::mt19937& r) {
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  random_reduction x;
  const int rank = 1 + below(4);
  std::vector<int> axes;
  for (int d = 0; d < rank; ++d) x.dims.push_back(1 + below(d + 1 == rank ? 90 : 9));
  for (int d = 0; d < rank; ++d)
    if (below(2) == 0) axes.push_back(below(2) == 0 ? d : d - rank);  // negative axes too
  if (axes.empty()) axes.push_back(below(rank));
  x.g = qf::make_reduce_geometry(x.dims.data(), rank, axes.data(), static_cast<int>(axes.size()));
  for (const int d : x.dims) x.in_count *= static_cast<std::size_t>(d);
  return x;
}

/// Quantized MEAN and SUM over random reductions, zero points at the
/// extremes, against the reference.
template <class T>
void check_sums_on_every_target() {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x3eau ^ (std::is_signed_v<T> ? 0u : 0x100u));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const random_reduction x = make_random_reduction(r);
      constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
      const auto extreme = [&] { const int pick = below(4); return pick == 0 ? lo : pick == 1 ? hi : lo + below(256); };
      const std::int32_t in_zp = extreme(), out_zp = extreme();
      const qf::quantized_multiplier m =
          qf::quantize_multiplier(std::exp(std::log(1e-3) + (std::log(1e3) - std::log(1e-3)) * (r() / 4294967296.0)));
      std::vector<T> in(x.in_count);
      for (auto& v : in) v = static_cast<T>(lo + below(256));
      std::vector<T> want(x.out_count()), got(x.out_count(), T{0x55});
      std::vector<std::int32_t> scratch(x.out_count());
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      qf::reference::mean(x.g, in.data(), in_zp, m, out_zp, scratch.data(), want.data());
      kn::mean_quantized(t, x.g, in.data(), in_zp, m, out_zp, scratch.data(), got.data());
      REQUIRE(got == want);
      qf::reference::sum(x.g, in.data(), in_zp, m, out_zp, scratch.data(), want.data());
      kn::sum_quantized(t, x.g, in.data(), in_zp, m, out_zp, scratch.data(), got.data());
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << std::string(std::is_signed_v<T> ? "int8" : "uint8")
                                  << " means and sums bit-exact");
  }
}

TEST_CASE("mean, sum, quantized: every target gives the reference's bits") {
  check_sums_on_every_target<std::int8_t>();
  check_sums_on_every_target<std::uint8_t>();
}

/// REDUCE_MAX and REDUCE_MIN over random reductions. Float inputs mix both
/// zeros, NaN, infinities and the type's extremes among a few repeated
/// values, so equal values, the sign of a zero and skipped NaNs all show;
/// the bytes must be the reference's.
template <class T>
void check_extremes_on_every_target() {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x4ebu ^ static_cast<std::uint32_t>(sizeof(T)));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const random_reduction x = make_random_reduction(r);
      std::vector<T> in(x.in_count);
      for (auto& v : in) {
        if constexpr (std::is_floating_point_v<T>) {
          constexpr T specials[] = {T(0), -T(0), std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                                    -std::numeric_limits<T>::infinity(), std::numeric_limits<T>::lowest(),
                                    std::numeric_limits<T>::max(), T(-1.5), T(2.25)};
          v = below(3) == 0 ? specials[below(9)] : T(below(5) - 4);  // mostly <= 0: zeros often win a max
        } else {
          v = static_cast<T>(std::numeric_limits<T>::min() + below(65536) % (1 << (8 * sizeof(T))));
        }
      }
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      const auto bytes = [](const std::vector<T>& v) {
        return std::vector<unsigned char>(reinterpret_cast<const unsigned char*>(v.data()),
                                          reinterpret_cast<const unsigned char*>(v.data() + v.size()));
      };
      std::vector<T> want(x.out_count()), got(x.out_count(), T{0x55});
      qf::reference::reduce_extreme<true>(x.g, in.data(), want.data());
      kn::reduce_extreme<true>(t, x.g, in.data(), got.data());
      REQUIRE(bytes(got) == bytes(want));
      qf::reference::reduce_extreme<false>(x.g, in.data(), want.data());
      kn::reduce_extreme<false>(t, x.g, in.data(), got.data());
      REQUIRE(bytes(got) == bytes(want));
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random "
                                  << std::string(std::is_floating_point_v<T> ? "float" : sizeof(T) == 1 ? "int8" : "int16")
                                  << " max and min reductions bit-exact");
  }
}

TEST_CASE("reduce_max, reduce_min: every target gives the reference's bits") {
  check_extremes_on_every_target<float>();
  check_extremes_on_every_target<std::int8_t>();
  check_extremes_on_every_target<std::int16_t>();
}

/// The reference itself on TFLM's corner cases: the first of two equal
/// zeros wins, NaN is skipped, and a max of only -inf is -FLT_MAX (TFLM
/// starts from lowest() and compares with >).
TEST_CASE("reduce_max, reduce_min: TFLM's order of equal values and its start values") {
  const int dims[] = {1, 4};
  const int axis[] = {1};
  const qf::reduce_geometry g = qf::make_reduce_geometry(dims, 2, axis, 1);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (const kn::target t : kn::usable_targets()) {
    CAPTURE(t.name());
    float out = 1.0f;
    const float zeros[] = {-0.0f, nan, 0.0f, -1.0f};
    kn::reduce_extreme<true>(t, g, zeros, &out);
    CHECK(std::signbit(out));  // -0 came first
    const float zeros2[] = {0.0f, -0.0f, nan, -3.0f};
    kn::reduce_extreme<true>(t, g, zeros2, &out);
    CHECK((out == 0.0f && !std::signbit(out)));
    const float low[] = {-inf, nan, -inf, nan};
    kn::reduce_extreme<true>(t, g, low, &out);
    CHECK(out == std::numeric_limits<float>::lowest());
    kn::reduce_extreme<false>(t, g, low, &out);
    CHECK(out == -inf);
  }
}

/// 8-bit and float AVERAGE_POOL_2D and MAX_POOL_2D over random windows
/// (clipped at SAME borders, global averages, channels off the vector width)
/// and activation ranges (floats: each fused activation's, and the specials
/// among the inputs), against the reference.
template <class T>
void check_pools_on_every_target() {
  constexpr bool is_float = std::is_same_v<T, float>;
  const std::string type = is_float ? "float" : std::is_signed_v<T> ? "int8" : "uint8";
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x9001u ^ (std::is_signed_v<T> ? 0u : 0x100u));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const int in_h = 1 + below(14), in_w = 1 + below(14), channels = 1 + below(150);
      const bool global = below(5) == 0;
      const int fh = global ? in_h : 1 + below(5), fw = global ? in_w : 1 + below(5);
      const qf::window_geometry g =
          qf::make_window_geometry(1 + below(2), in_h, in_w, channels, channels, fh, fw, 1 + below(3), 1 + below(3),
                                   1, 1, below(2) == 0 ? qf::padding::same : qf::padding::valid);
      if (g.out_h <= 0 || g.out_w <= 0) continue;
      const std::size_t ins = static_cast<std::size_t>(g.batches * in_h * in_w * channels);
      const auto [act, in] = [&] {
        if constexpr (is_float) {
          const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6,
                                         qf::activation::relu_n1_to_1};
          return std::pair(qf::float_activation_range(acts[below(4)]), random_floats(r, ins, true));
        } else {
          constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
          const int a = lo + below(256), b = lo + below(256);
          std::vector<T> v(ins);
          for (auto& x : v) x = static_cast<T>(lo + below(256));
          return std::pair(below(2) == 0 ? qf::int_range{lo, hi} : qf::int_range{std::min(a, b), std::max(a, b)}, v);
        }
      }();
      const std::size_t outs = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * channels);
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      for (const bool max : {false, true}) {
        std::vector<T> want(outs), got(outs, T{0x55});
        if (max) {
          qf::reference::max_pool2d(g, in.data(), act, want.data());
          kn::max_pool2d(t, g, in.data(), act, got.data());
        } else {
          qf::reference::average_pool2d(g, in.data(), act, want.data());
          kn::average_pool2d(t, g, in.data(), act, got.data());
        }
        if constexpr (is_float) REQUIRE(first_difference(got, want) == "");
        else REQUIRE(got == want);
      }
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << type << " average and max pools bit-exact");
  }
}

TEST_CASE("pools, 8-bit and float: every target gives the reference's bits") {
  check_pools_on_every_target<std::int8_t>();
  check_pools_on_every_target<std::uint8_t>();
  check_pools_on_every_target<float>();
}

/// RESIZE_BILINEAR over random sizes (up and down, rows a single input row
/// feeds many of) and every mode, against the reference: the float path
/// (float32, uint8) and the integer path (int8).
template <class T>
void check_resize_bilinear_on_every_target() {
  constexpr qf::dtype type = std::is_same_v<T, float> ? qf::dtype::f32 : std::is_signed_v<T> ? qf::dtype::i8 : qf::dtype::u8;
  const char* what = type == qf::dtype::f32 ? "float" : type == qf::dtype::u8 ? "uint8" : "int8";
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x7e5u ^ sizeof(T) ^ (std::is_signed_v<T> ? 0x100u : 0u));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const int mode = below(3);
      const qf::resize_geometry g{1 + below(2), 1 + below(9), 1 + below(9), 1 + below(40), 1 + below(40), 1 + below(40),
                                  mode == 1, mode == 2};
      std::vector<T> in(static_cast<std::size_t>(g.batches * g.in_h * g.in_w * g.channels));
      if constexpr (std::is_same_v<T, float>) in = random_floats(r, in.size(), true);
      else for (auto& x : in) x = static_cast<T>(below(4) == 0 ? std::numeric_limits<T>::min() + below(2) * 255 : below(256));
      const std::size_t out_n = static_cast<std::size_t>(g.batches * g.out_h * g.out_w * g.channels);
      std::vector<T> want(out_n), got(out_n);
      CAPTURE(t.name());
      CAPTURE(seed);
      if constexpr (type == qf::dtype::i8) {
        std::vector<std::int32_t> scratch(kn::resize_bilinear_scratch_elements(g, type));
        qf::reference::resize_bilinear_integer(g, in.data(), want.data());
        kn::resize_bilinear_integer(t, g, in.data(), got.data(), scratch.data());
      } else {
        std::vector<float> scratch(kn::resize_bilinear_scratch_elements(g, type));
        qf::reference::resize_bilinear(g, in.data(), want.data());
        kn::resize_bilinear_float(t, g, in.data(), got.data(), scratch.data());
      }
      if constexpr (std::is_same_v<T, float>) REQUIRE(first_difference(got, want) == "");
      else REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << std::string(what) << " bilinear resizes bit-exact");
  }
}

TEST_CASE("resize_bilinear: every target gives the reference's bits") {
  check_resize_bilinear_on_every_target<float>();
  check_resize_bilinear_on_every_target<std::uint8_t>();
  check_resize_bilinear_on_every_target<std::int8_t>();
}

/// SOFTMAX from 8-bit input over random rows: short and long (the per-row
/// byte table), narrow and wide spreads (sums past 2^28, where the output
/// shift passes 31), scales 1e-6..1e3, beta 0.5..2.5.
template <class T, class Out>
void check_softmax_on_every_target(const char* what) {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x50f7u ^ (sizeof(Out) << 4) ^ (std::is_signed_v<T> ? 0x100u : 0u));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const int outer = 1 + below(3), depth = 1 + (below(3) == 0 ? below(3000) : below(200));
      const float scale = std::pow(10.0f, -6.0f + 9.0f * static_cast<float>(below(1001)) / 1000.0f);
      const float beta = below(2) ? 1.0f : 0.5f + static_cast<float>(below(100)) / 50.0f;
      const qf::softmax_params p = qf::make_softmax_params(beta, scale);
      const kn::softmax_table table = kn::make_softmax_table(p);
      const int low = below(256), spread = 1 + below(256 - low);
      std::vector<T> in(static_cast<std::size_t>(outer * depth));
      for (auto& x : in) x = static_cast<T>(int{std::numeric_limits<T>::min()} + low + below(spread));
      std::vector<Out> want(in.size()), got(in.size());
      qf::reference::softmax(outer, depth, p, in.data(), want.data());
      kn::softmax_quantized(t, outer, depth, p, table, in.data(), got.data());
      CAPTURE(t.name());
      CAPTURE(seed);
      REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << std::string(what) << " softmax rows bit-exact");
  }
}

TEST_CASE("softmax, 8-bit input: every target gives the reference's bits") {
  check_softmax_on_every_target<std::int8_t, std::int8_t>("int8");
  check_softmax_on_every_target<std::uint8_t, std::uint8_t>("uint8");
  check_softmax_on_every_target<std::int8_t, std::int16_t>("int8 -> int16");
}

/// Random broadcasting shapes (rank 1..4, each dimension of either input 1 or
/// the output's, sometimes the same shapes, sometimes a scalar, sometimes
/// per-channel constants: one input [C] with C short of a vector, either
/// way round).
struct binary_shapes {
  std::vector<int> a, b;
};
binary_shapes random_binary_shapes(std::mt19937& r) {
  auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
  const int rank = 1 + below(4);
  binary_shapes s;
  for (int d = 0; d < rank; ++d) {
    const int size = 1 + below(d + 1 == rank ? 70 : 5);
    s.a.push_back(size);
    s.b.push_back(size);
  }
  const int kind = below(6);
  if (kind == 1) s.b = {1};
  if (kind == 2) for (auto& x : s.a) x = below(2) == 0 ? 1 : x;
  if (kind == 3) for (auto& x : s.b) x = below(2) == 0 ? 1 : x;
  if (kind >= 4) {
    const int channels = 1 + below(20);
    s.a.back() = channels;
    if (s.a.size() > 1) s.a.front() += below(40);  // more rows than one vector's worth of channels
    s.b = s.a;
    (kind == 4 ? s.b : s.a) = {channels};
  }
  return s;
}

template <class T>
void check_add_on_every_target(bool subtract) {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0, in_32_bits = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ (subtract ? 0x5bu : 0xadu) ^ sizeof(T));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const binary_shapes s = random_binary_shapes(r);
      const qf::broadcast_geometry g =
          qf::make_broadcast_geometry(s.a.data(), static_cast<int>(s.a.size()), s.b.data(), static_cast<int>(s.b.size()));
      constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
      auto fill = [&](std::vector<T>& v, const std::vector<int>& shape) {
        std::size_t n = 1;
        for (int x : shape) n *= static_cast<std::size_t>(x);
        v.resize(n);
        for (auto& x : v) x = static_cast<T>(lo + below(hi - lo + 1));
      };
      std::vector<T> a, b;
      fill(a, s.a);
      fill(b, s.b);
      const bool wide = sizeof(T) == 2;
      auto zero_point = [&] { return wide ? 0 : (below(3) == 0 ? lo : below(3) == 0 ? hi : lo + below(hi - lo + 1)); };
      auto scale = [&] { return static_cast<float>(std::exp(std::log(1e-4) + std::log(1e4) * (r() / 4294967296.0))); };
      // One case in eight has an output scale so small that the output
      // multiplier exceeds one (its left shift kept: the general form).
      const float s1 = scale(), s2 = below(3) == 0 ? s1 : scale(), so = scale() * (below(8) == 0 ? 1e-7f : 1.0f);
      const int z1 = zero_point(), z2 = zero_point(), zo = zero_point();
      const qf::add_params p = qf::make_add_params(s1, z1, s2, z2, so, zo, wide ? 15 : 20);
      const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6};
      const qf::int_range act = qf::quantized_activation_range<T>(acts[below(3)], so, zo);
      std::vector<T> want(static_cast<std::size_t>(g.elements)), got(want.size());
      if (subtract) {
        qf::reference::sub(g, a.data(), b.data(), p, act, want.data());
        kn::sub_quantized(t, g, a.data(), b.data(), p, act, got.data());
      } else {
        qf::reference::add(g, a.data(), b.data(), p, act, want.data());
        kn::add_quantized(t, g, a.data(), b.data(), p, act, got.data());
      }
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      REQUIRE(got == want);
      ++checked;
      in_32_bits += qf::add_scales_in_32_bits(p) ? 1 : 0;
    }
    const std::string type = sizeof(T) == 2 ? "int16" : std::is_signed_v<T> ? "int8" : "uint8";
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << type << (subtract ? " SUBs" : " ADDs")
                                  << " bit-exact, " << in_32_bits << " of them in the 32-bit form");
  }
}

/// Quantized MUL over random broadcasts, zero points at the extremes and
/// multipliers of scales across 1e-4..1e4.
template <class T>
void check_mul_on_every_target() {
  for (const kn::target t : kn::usable_targets()) {
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x311u ^ static_cast<std::uint32_t>(std::is_signed_v<T> ? 0 : 0x100));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const binary_shapes s = random_binary_shapes(r);
      const qf::broadcast_geometry g =
          qf::make_broadcast_geometry(s.a.data(), static_cast<int>(s.a.size()), s.b.data(), static_cast<int>(s.b.size()));
      constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
      const auto filled = [&](const std::vector<int>& shape) {
        std::size_t n = 1;
        for (const int x : shape) n *= static_cast<std::size_t>(x);
        std::vector<T> v(n);
        for (auto& x : v) x = static_cast<T>(lo + below(hi - lo + 1));
        return v;
      };
      const std::vector<T> a = filled(s.a), b = filled(s.b);
      const auto zero_point = [&] { return below(3) == 0 ? lo : below(3) == 0 ? hi : lo + below(hi - lo + 1); };
      const auto scale = [&] { return std::exp(std::log(1e-4) + std::log(1e8) * (r() / 4294967296.0)); };
      const qf::quantized_multiplier m = qf::quantize_multiplier(scale() * scale() / scale());
      if (m.shift > 30 || m.shift < -31) continue;  // beyond what a model converts to
      const int za = zero_point(), zb = zero_point(), zo = zero_point();
      const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6};
      const qf::int_range act = qf::quantized_activation_range<T>(acts[below(3)], static_cast<float>(scale()), zo);
      std::vector<T> want(static_cast<std::size_t>(g.elements)), got(want.size(), T{0x55});
      qf::reference::mul(g, a.data(), -za, b.data(), -zb, m, zo, act, want.data());
      kn::mul_quantized(t, g, a.data(), -za, b.data(), -zb, m, zo, act, got.data());
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      REQUIRE(got == want);
    }
  }
}

TEST_CASE("quantized mul: every target gives the reference's bits") {
  check_mul_on_every_target<std::int8_t>();
  check_mul_on_every_target<std::uint8_t>();
}

TEST_CASE("quantized add, sub: every target gives the reference's bits") {
  check_add_on_every_target<std::int8_t>(false);
  check_add_on_every_target<std::int8_t>(true);
  check_add_on_every_target<std::uint8_t>(false);
  check_add_on_every_target<std::int16_t>(false);
  check_add_on_every_target<std::int16_t>(true);
}

// Every pair of 8-bit inputs through the kernel, for layers whose ADD or
// SUB has a float screen (kernels/add_screen.hpp): the vectors the screen
// refuses (a few dozen of these 4096) take the integer steps, and both give
// the reference's bits on every target.
TEST_CASE("quantized add, sub: every pair of 8-bit inputs, screened and not") {
  struct layer {
    float s1, s2, so;
    int z1, z2, zo;
  };
  // MobileNetV2's first ADD, an output scale below the inputs', one far above.
  const layer layers[] = {{0.027038f, 0.028133f, 0.035842f, -3, 5, -7},
                          {0.5f, 0.0625f, 0.2f, 127, -128, 0},
                          {1e-3f, 3e-3f, 0.05f, -128, 127, 100}};
  std::vector<std::int8_t> a(65536), b(65536);
  for (int i = 0; i < 65536; ++i) {
    a[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i / 256 - 128);
    b[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i % 256 - 128);
  }
  const int shape[1] = {65536};
  const qf::broadcast_geometry g = qf::make_broadcast_geometry(shape, 1, shape, 1);
  const qf::int_range act{-128, 127};
  for (const layer& l : layers)
    for (const bool subtract : {false, true}) {
      const qf::add_params p = qf::make_add_params(l.s1, l.z1, l.s2, l.z2, l.so, l.zo, 20);
      REQUIRE(kn::add_screen_of(p, subtract).usable);
      std::vector<std::int8_t> want(a.size()), got(a.size());
      if (subtract) qf::reference::sub(g, a.data(), b.data(), p, act, want.data());
      else qf::reference::add(g, a.data(), b.data(), p, act, want.data());
      for (const kn::target t : kn::usable_targets()) {
        std::fill(got.begin(), got.end(), std::int8_t{0x55});
        if (subtract) kn::sub_quantized(t, g, a.data(), b.data(), p, act, got.data());
        else kn::add_quantized(t, g, a.data(), b.data(), p, act, got.data());
        CAPTURE(std::string(t.name()) + (subtract ? " SUB" : " ADD") + " output scale " + std::to_string(l.so));
        REQUIRE(got == want);
      }
    }
}

/// Values for the unquantized arithmetic: floats with the specials (NaN,
/// infinities, -0, denormals), int32 with its extremes, -1 and 0 (the
/// divisions' edge cases) often.
template <class T>
std::vector<T> random_plain_values(std::mt19937& r, std::size_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return random_floats(r, n, true);
  } else {
    std::vector<T> v(n);
    for (auto& x : v) {
      const std::uint32_t pick = r() % 16;
      x = pick == 0   ? std::numeric_limits<T>::min()
          : pick == 1 ? std::numeric_limits<T>::max()
          : pick == 2 ? T{-1}
          : pick == 3 ? T{0}
          : pick < 8  ? static_cast<T>(static_cast<int>(r() % 201) - 100)
                      : static_cast<T>(r());
    }
    return v;
  }
}

/// An arithmetic op on unquantized float or int32 tensors over random
/// broadcasts, with each fused activation's bounds, against the reference.
template <class Op, class T>
void check_plain_arithmetic_on_every_target(const char* what) {
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0xa41u ^ static_cast<std::uint32_t>(std::is_same_v<T, float> ? 0 : 0x100));
      const binary_shapes s = random_binary_shapes(r);
      const qf::broadcast_geometry g =
          qf::make_broadcast_geometry(s.a.data(), static_cast<int>(s.a.size()), s.b.data(), static_cast<int>(s.b.size()));
      const auto count = [](const std::vector<int>& shape) {
        std::size_t n = 1;
        for (const int x : shape) n *= static_cast<std::size_t>(x);
        return n;
      };
      const std::vector<T> a = random_plain_values<T>(r, count(s.a)), b = random_plain_values<T>(r, count(s.b));
      const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6,
                                     qf::activation::relu_n1_to_1};
      const auto bounds = qf::plain_activation_bounds<T>(acts[r() % 4]);
      std::vector<T> want(static_cast<std::size_t>(g.elements)), got(want.size(), T{55});
      qf::reference::arithmetic<Op>(g, a.data(), b.data(), bounds.first, bounds.second, want.data());
      kn::plain_arithmetic<Op>(t, g, a.data(), b.data(), bounds.first, bounds.second, got.data());
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      if constexpr (std::is_same_v<T, float>) REQUIRE(first_difference(got, want) == "");
      else REQUIRE(got == want);
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << std::string(what) << " bit-exact");
  }
}

TEST_CASE("arithmetic on float and int32: every target gives the reference's bits") {
  check_plain_arithmetic_on_every_target<qf::op::int_add, float>("float ADDs");
  check_plain_arithmetic_on_every_target<qf::op::int_sub, float>("float SUBs");
  check_plain_arithmetic_on_every_target<qf::op::int_mul, float>("float MULs");
  check_plain_arithmetic_on_every_target<qf::op::div, float>("float DIVs");
  check_plain_arithmetic_on_every_target<qf::op::floor_div, float>("float FLOOR_DIVs");
  check_plain_arithmetic_on_every_target<qf::op::maximum, float>("float MAXIMUMs");
  check_plain_arithmetic_on_every_target<qf::op::minimum, float>("float MINIMUMs");
  check_plain_arithmetic_on_every_target<qf::op::squared_difference, float>("float SQUARED_DIFFERENCEs");
  check_plain_arithmetic_on_every_target<qf::op::int_add, std::int32_t>("int32 ADDs");
  check_plain_arithmetic_on_every_target<qf::op::int_sub, std::int32_t>("int32 SUBs");
  check_plain_arithmetic_on_every_target<qf::op::int_mul, std::int32_t>("int32 MULs");
  check_plain_arithmetic_on_every_target<qf::op::div, std::int32_t>("int32 DIVs");
  check_plain_arithmetic_on_every_target<qf::op::floor_div, std::int32_t>("int32 FLOOR_DIVs");
  check_plain_arithmetic_on_every_target<qf::op::maximum, std::int32_t>("int32 MAXIMUMs");
  check_plain_arithmetic_on_every_target<qf::op::minimum, std::int32_t>("int32 MINIMUMs");
  check_plain_arithmetic_on_every_target<qf::op::squared_difference, std::int32_t>("int32 SQUARED_DIFFERENCEs");
}

TEST_CASE("the float math ops (ABS, ROUND, RSQRT, ...): every target gives the reference's bits") {
  for (const kn::target t : kn::usable_targets()) {
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x3a7u);
      const std::size_t n = r() % 300;
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      std::vector<float> floats = random_floats(r, n, true);
      // Halves and small values, ROUND's ties and its +0 for negatives
      // rounding to zero; and values beyond 2^23, already integers.
      for (auto& x : floats) {
        const std::uint32_t pick = r() % 8;
        if (pick == 0) x = static_cast<float>(static_cast<int>(r() % 41) - 20) * 0.5f;
        else if (pick == 1) x = static_cast<float>(static_cast<int>(r() % 2001) - 1000) / 1000.0f;
        else if (pick == 2) x = std::ldexp(static_cast<float>(static_cast<int>(r() % 2001) - 1000), 20 + static_cast<int>(r() % 8));
      }
      const auto check = [&]<class Op>(Op) {
        CAPTURE(Op::name);
        std::vector<float> want(n), got(n, 55.0f);
        qf::reference::unary_math<Op>(static_cast<std::int64_t>(n), floats.data(), want.data());
        kn::unary_math<Op>(t, static_cast<std::int64_t>(n), floats.data(), got.data());
        REQUIRE(first_difference(got, want) == "");
        // Signed zeros are bits too (first_difference lets only NaNs differ).
        for (std::size_t i = 0; i < n; ++i)
          if (want[i] == 0.0f) REQUIRE(std::signbit(got[i]) == std::signbit(want[i]));
      };
#define QFENCE_CHECK_UNARY_MATH(tag, vectorized) check(qf::op::tag{});
      QFENCE_UNARY_MATH_OPS(QFENCE_CHECK_UNARY_MATH)
#undef QFENCE_CHECK_UNARY_MATH
    }
  }
  // TFLite's ROUND, value by value: ties to even, and +0 (not -0) where a
  // negative value rounds to zero.
  CHECK(std::signbit(qf::op::round::apply(-0.3f)) == false);
  CHECK(std::signbit(qf::op::round::apply(-0.5f)) == false);
  CHECK(std::signbit(qf::op::round::apply(-0.0f)) == true);
  CHECK(qf::op::round::apply(2.5f) == 2.0f);
  CHECK(qf::op::round::apply(3.5f) == 4.0f);
  CHECK(qf::op::round::apply(-2.5f) == -2.0f);
}

TEST_CASE("cast (integers -> float, float -> int32): every target gives the reference's bits") {
  for (const kn::target t : kn::usable_targets()) {
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x5c7u);
      const std::size_t n = r() % 300;
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      std::vector<float> floats = random_floats(r, n, true);
      // Floats around and beyond int32's range, to the cast's saturation.
      for (auto& x : floats)
        if (r() % 8 == 0) x = std::ldexp(static_cast<float>(static_cast<int>(r() % 2001) - 1000) / 1000.0f, 28 + static_cast<int>(r() % 6));
      std::vector<float> want(n), got(n, 55.0f);
      std::vector<std::int32_t> ints_want(n), ints_got(n, 55);
      qf::reference::cast(static_cast<std::int64_t>(n), floats.data(), ints_want.data());
      kn::cast(t, static_cast<std::int64_t>(n), floats.data(), ints_got.data());
      REQUIRE(ints_got == ints_want);

      const auto to_float = [&](const auto& ints) {
        std::fill(got.begin(), got.end(), 55.0f);
        qf::reference::cast(static_cast<std::int64_t>(n), ints.data(), want.data());
        kn::cast(t, static_cast<std::int64_t>(n), ints.data(), got.data());
        REQUIRE(first_difference(got, want) == "");
      };
      const std::vector<std::int32_t> ints = random_plain_values<std::int32_t>(r, n);
      to_float(ints);
      const auto narrowed = [&](auto type) {
        std::vector<decltype(type)> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<decltype(type)>(ints[i]);
        return v;
      };
      to_float(narrowed(std::int8_t{}));
      to_float(narrowed(std::uint8_t{}));
      to_float(narrowed(std::int16_t{}));
    }
    MESSAGE(std::string(t.name()) << ": " << seeds().size() << " random SQRTs and CASTs bit-exact");
  }
}

/// An 8-bit ADD, SUB or MUL of a tensor and one value (either side), long
/// enough to run as a table (kernels::detail::single_value_as_table), with
/// every byte in the tensor, against the reference.
template <class T>
void check_single_value_tables_on_every_target() {
  constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (const kn::target t : kn::usable_targets()) {
    int checked = 0;
    for (const std::uint32_t seed : seeds()) {
      std::mt19937 r(seed ^ 0x7ab1eu ^ (std::is_signed_v<T> ? 0u : 0x100u));
      auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
      const std::vector<int> tensor_shape = {1 + below(3), 32 + below(40), 1 + below(40), 1 + below(4)};
      const std::vector<int> single_shape(static_cast<std::size_t>(below(4)), 1);  // [], [1], [1, 1], ...
      const bool single_first = below(2) == 0;
      const std::vector<int>& sa = single_first ? single_shape : tensor_shape;
      const std::vector<int>& sb = single_first ? tensor_shape : single_shape;
      const qf::broadcast_geometry g =
          qf::make_broadcast_geometry(sa.data(), static_cast<int>(sa.size()), sb.data(), static_cast<int>(sb.size()));
      if (g.elements < kn::detail::single_value_table_from) continue;
      REQUIRE(qf::single_value_operand_of(g) == (single_first ? qf::single_value_operand::a : qf::single_value_operand::b));
      std::vector<T> tensor(static_cast<std::size_t>(g.elements));
      for (std::size_t i = 0; i < tensor.size(); ++i) tensor[i] = static_cast<T>(i < 256 ? lo + static_cast<int>(i) : lo + below(256));
      const T single = static_cast<T>(below(4) == 0 ? lo : below(3) == 0 ? hi : lo + below(256));
      const T* a = single_first ? &single : tensor.data();
      const T* b = single_first ? tensor.data() : &single;
      const auto scale = [&] { return static_cast<float>(std::exp(std::log(1e-4) + std::log(1e4) * (r() / 4294967296.0))); };
      const auto zero_point = [&] { return below(3) == 0 ? lo : below(3) == 0 ? hi : lo + below(256); };
      const float s1 = scale(), s2 = scale(), so = scale();
      const int z1 = zero_point(), z2 = zero_point(), zo = zero_point();
      const qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6};
      const qf::int_range act = qf::quantized_activation_range<T>(acts[below(3)], so, zo);
      const qf::add_params p = qf::make_add_params(s1, z1, s2, z2, so, zo, 20);
      const qf::quantized_multiplier m = qf::quantize_multiplier(static_cast<double>(s1) * s2 / so);
      CAPTURE(std::string(t.name()) + " seed=" + std::to_string(seed));
      std::vector<T> want(tensor.size()), got(tensor.size());
      for (const int op : {0, 1, 2}) {
        std::fill(got.begin(), got.end(), T{0x55});
        if (op == 0) {
          qf::reference::add(g, a, b, p, act, want.data());
          kn::add_quantized(t, g, a, b, p, act, got.data());
        } else if (op == 1) {
          qf::reference::sub(g, a, b, p, act, want.data());
          kn::sub_quantized(t, g, a, b, p, act, got.data());
        } else {
          if (m.shift > 30 || m.shift < -31) continue;  // beyond what a model converts to
          qf::reference::mul(g, a, -z1, b, -z2, m, zo, act, want.data());
          kn::mul_quantized(t, g, a, -z1, b, -z2, m, zo, act, got.data());
        }
        CAPTURE(op);
        REQUIRE(got == want);
      }
      ++checked;
    }
    MESSAGE(std::string(t.name()) << ": " << checked << " random " << std::string(std::is_signed_v<T> ? "int8" : "uint8")
                                  << " ADD, SUB, MUL of a tensor and one value, by table, bit-exact");
  }
}

TEST_CASE("quantized add, sub, mul of a tensor and one value: the table gives the reference's bits") {
  check_single_value_tables_on_every_target<std::int8_t>();
  check_single_value_tables_on_every_target<std::uint8_t>();
}

TEST_CASE("pad: block copies give the reference's bytes") {
  for (const std::uint32_t seed : seeds()) {
    std::mt19937 r(seed ^ 0x9adu);
    auto below = [&](int n) { return static_cast<int>(r() % static_cast<std::uint32_t>(n)); };
    const int rank = 1 + below(5);
    std::vector<int> dims, before, after;
    std::size_t in_n = 1, out_n = 1;
    for (int d = 0; d < rank; ++d) {
      dims.push_back(1 + below(5));
      before.push_back(below(3) == 0 ? below(3) : 0);
      after.push_back(below(3) == 0 ? below(3) : 0);
      in_n *= static_cast<std::size_t>(dims.back());
      out_n *= static_cast<std::size_t>(dims.back() + before.back() + after.back());
    }
    std::vector<std::int16_t> in(in_n), want(out_n), got(out_n);
    for (auto& x : in) x = static_cast<std::int16_t>(r());
    qf::reference::pad(rank, dims.data(), before.data(), after.data(), in.data(), std::int16_t{-7}, want.data());
    kn::pad(rank, dims.data(), before.data(), after.data(), in.data(), std::int16_t{-7}, got.data());
    CAPTURE(seed);
    REQUIRE(got == want);
  }
}

TEST_CASE("targets: names, overrides and errors") {
  const auto usable = kn::usable_targets();
  for (const kn::target t : usable) CHECK(kn::target_named(t.name()) == t);
  CHECK_THROWS_WITH_AS(kn::target_named("AVX9"), doctest::Contains("unknown SIMD target 'AVX9'"), kn::target_error);
  const kn::target best = kn::best_target();
  CHECK(best == usable.front());
  MESSAGE("compiled: " << kn::detail::target_list(kn::compiled_targets()) << "; usable: "
                       << kn::detail::target_list(usable));
}
