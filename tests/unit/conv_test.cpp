// CONV_2D and DEPTHWISE_CONV_2D: hand-computed cases (bit-exact) and sweeps
// against the float model (dequantize -> float conv -> quantize, within 1 LSB).
#include "test_support.hpp"

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace conv_test {

namespace qf = qfence;
using qtest::window;

namespace {

// ---- hand-computed cases --------------------------------------------------

inline constexpr std::array<float, 4> hand_input{1, 2, 3, 4};       // 1x2x2x1
inline constexpr std::array<float, 8> hand_filter{1, 0, 0, 1,       // oc 0: identity-ish diagonal
                                                  1, 1, 1, 1};      // oc 1: sum
inline constexpr std::array<float, 2> hand_bias{0.5f, -10.0f};

TEST_CASE("conv2d f32: 2x2 filter, VALID, hand-computed") {
  using In = qf::tensor<qf::f32, qf::shape<1, 2, 2, 1>>;
  auto net = qf::graph(qf::input<In>(),
                       qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<2, 2, 2, 1>>>(hand_filter),
                                  qf::make_constant<qf::tensor<qf::f32, qf::shape<2>>>(hand_bias), qf::valid));
  const auto out = qtest::run(net, std::vector<float>(hand_input.begin(), hand_input.end()));
  // oc0 = 1*1 + 4*1 + 0.5 = 5.5; oc1 = 1+2+3+4 - 10 = 0.
  CHECK(out == std::vector<float>{5.5f, 0.0f});
}

TEST_CASE("conv2d f32: SAME padding and fused relu6, hand-computed") {
  using In = qf::tensor<qf::f32, qf::shape<1, 2, 2, 1>>;
  auto net = qf::graph(qf::input<In>(),
                       qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<2, 2, 2, 1>>>(hand_filter),
                                  qf::make_constant<qf::tensor<qf::f32, qf::shape<2>>>(hand_bias), qf::same,
                                  qf::fused_relu6));
  const auto out = qtest::run(net, std::vector<float>(hand_input.begin(), hand_input.end()));
  // SAME with a 2x2 filter on 2x2 pads one row/column after (TFLite puts the odd pad at the end).
  // (0,0): oc0 = 1+4+.5 = 5.5, oc1 = 10-10 = 0; (0,1): oc0 = 2+0+.5, oc1 = 2+4-10 -> 0
  // (1,0): oc0 = 3+.5, oc1 = 3+4-10 -> 0;         (1,1): oc0 = 4+.5, oc1 = 4-10 -> 0
  CHECK(out == std::vector<float>{5.5f, 0, 2.5f, 0, 3.5f, 0, 4.5f, 0});
}

// int8 by hand: input scale 0.5 zp -1, weights scale 0.25 (per-channel, both
// channels), output scale 1.0 zp 5.
inline constexpr std::array<std::int8_t, 8> hand_filter_q{4, 0, 0, 4, 4, 4, 4, 4};  // = filter / 0.25
inline constexpr std::array<std::int32_t, 2> hand_bias_q{4, -80};                // = bias / (0.5 * 0.25)
inline constexpr std::array<float, 2> hand_w_scales{0.25f, 0.25f};
inline constexpr std::array<int, 2> zeros2{};

TEST_CASE("conv2d i8: per-channel requantization, hand-computed") {
  using In = qf::tensor<qf::i8, qf::shape<1, 2, 2, 1>, qf::per_tensor<0.5f, -1>>;
  using W = qf::tensor<qf::i8, qf::shape<2, 2, 2, 1>, qf::per_channel<hand_w_scales, zeros2, 0>>;
  using B = qf::tensor<qf::i32, qf::shape<2>>;
  auto net = qf::graph(qf::input<In>(),
                       qf::conv2d(qf::ref<0>, qf::make_constant<W>(hand_filter_q), qf::make_constant<B>(hand_bias_q),
                                  qf::valid, qf::out<qf::per_tensor<1.0f, 5>>));
  // real input {1,2,3,4} -> q = x / 0.5 - 1 = {1, 3, 5, 7}
  const auto out = qtest::run(net, std::vector<std::int8_t>{1, 3, 5, 7});
  // acc0 = 4*(2) + 4*(8) + 4 = 44 -> 44 * 0.125 = 5.5 -> rounds (away from zero) to 6, + 5 = 11
  // acc1 = 4*(2+4+6+8) - 80 = 0 -> 0 + 5 = 5
  CHECK(out == std::vector<std::int8_t>{11, 5});
}

// ---- float-model sweeps ---------------------------------------------------

template <std::size_t N>
constexpr std::array<float, N> spread_scales(float base) {
  std::array<float, N> s{};
  for (std::size_t i = 0; i < N; ++i) s[i] = base * (0.5f + 0.125f * static_cast<float>(i % 7));
  return s;
}
template <std::size_t N> inline constexpr std::array<int, N> zeros{};

/// One int8 conv configuration; InS/OutS/base weight scale are chosen so that
/// the output uses a good part of the int8 range without saturating.
template <int N, int H, int W, int C, int OC, int KH, int KW, int S, int D, bool Same, qf::activation Act,
          qf::qscale InS, int InZp, qf::qscale WBase, qf::qscale OutS, int OutZp>
struct conv_case {
  static constexpr auto w_scales = spread_scales<OC>(WBase);
  using In = qf::tensor<qf::i8, qf::shape<N, H, W, C>, qf::per_tensor<InS, InZp>>;
  using Wt = qf::tensor<qf::i8, qf::shape<OC, KH, KW, C>, qf::per_channel<w_scales, zeros<OC>, 0>>;
  using B = qf::tensor<qf::i32, qf::shape<OC>>;

  static void check(std::uint32_t seed) {
    INFO("case seed " << seed);
    const auto input = qtest::random_ints<std::int8_t>(In::elements, seed, -128, 127);
    const auto weights = qtest::random_ints<std::int8_t>(Wt::elements, seed + 1, -127, 127);
    const auto bias = qtest::random_ints<std::int32_t>(OC, seed + 2, -3000, 3000);
    auto net = qf::graph(qf::input<In>(),
                         qf::conv2d(qf::ref<0>, qf::make_constant<Wt>(weights.data()), qf::make_constant<B>(bias.data()),
                                    qf::stride<S>, qf::dilation<D>, qf::padding_t<Same ? qf::padding::same : qf::padding::valid>{},
                                    qf::fused_t<Act>{}, qf::out<qf::per_tensor<OutS, OutZp>>));
    const auto out = qtest::run(net, input);

    const window g{N, H, W, C, KH, KW, S, S, D, D, Same};
    std::vector<float> wf(weights.size()), bf(bias.size());
    const std::size_t per_oc = weights.size() / OC;
    for (std::size_t i = 0; i < weights.size(); ++i) wf[i] = w_scales[i / per_oc] * weights[i];
    for (std::size_t o = 0; o < bias.size(); ++o)
      bf[o] = static_cast<float>(static_cast<double>(InS.value()) * w_scales[o] * bias[o]);
    const auto expected = qtest::quantize_all(
        qtest::float_conv(g, OC, qtest::dequantize(input, InS.value(), InZp), wf, bf, Act), OutS.value(), OutZp);
    REQUIRE(out.size() == expected.size());
    CHECK(qtest::max_abs_diff(out, expected) <= 1);
    // The case must exercise the range, not clamp everything to one value.
    CHECK(std::set<int>(expected.begin(), expected.end()).size() > 4);
  }
};

TEST_CASE("conv2d i8 vs float model: odd channels, non-square kernel, stride 2, dilation 2, batch 2") {
  // 3x1 kernel, 7 -> 5 channels, stride 2, SAME, batch 2.
  conv_case<2, 9, 7, 7, 5, 3, 1, 2, 1, true, qf::activation::none, 0.05f, 3, 0.01f, 0.2f, -10>::check(11);
  // 2x3 kernel, dilation 2, VALID, relu.
  conv_case<1, 10, 11, 3, 6, 2, 3, 1, 2, false, qf::activation::relu, 0.02f, -128, 0.02f, 0.05f, -128>::check(12);
  // Extreme zero points: input zp 127, output zp -128; 17 channels (not a multiple of 4/8/16).
  conv_case<1, 6, 6, 17, 19, 3, 3, 1, 1, true, qf::activation::relu6, 0.1f, 127, 0.004f, 0.03f, -128>::check(13);
  // Tiny scales (1e-6) and large ones (1e3).
  conv_case<1, 5, 5, 4, 3, 3, 3, 2, 1, true, qf::activation::none, 1e-6f, 0, 0.02f, 2e-6f, 0>::check(14);
  conv_case<1, 5, 5, 4, 3, 3, 3, 1, 1, false, qf::activation::relu_n1_to_1, 1e3f, -5, 1e-8f, 0.01f, 1>::check(15);
  conv_case<1, 4, 4, 2, 9, 1, 1, 1, 1, true, qf::activation::none, 0.5f, 10, 1e-3f * 4, 1e3f * 1e-3f * 0.3f, -3>::check(16);
}

template <int N, int H, int W, int C, int M, int KH, int KW, int S, int D, bool Same, qf::activation Act,
          qf::qscale InS, int InZp, qf::qscale WBase, qf::qscale OutS, int OutZp>
struct depthwise_case {
  static constexpr int OC = C * M;
  static constexpr auto w_scales = spread_scales<OC>(WBase);
  using In = qf::tensor<qf::i8, qf::shape<N, H, W, C>, qf::per_tensor<InS, InZp>>;
  using Wt = qf::tensor<qf::i8, qf::shape<1, KH, KW, OC>, qf::per_channel<w_scales, zeros<OC>, 3>>;
  using B = qf::tensor<qf::i32, qf::shape<OC>>;

  static void check(std::uint32_t seed) {
    INFO("case seed " << seed);
    const auto input = qtest::random_ints<std::int8_t>(In::elements, seed, -128, 127);
    const auto weights = qtest::random_ints<std::int8_t>(Wt::elements, seed + 1, -127, 127);
    const auto bias = qtest::random_ints<std::int32_t>(OC, seed + 2, -2000, 2000);
    auto net = qf::graph(qf::input<In>(),
                         qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<Wt>(weights.data()),
                                              qf::make_constant<B>(bias.data()), qf::stride<S>, qf::dilation<D>,
                                              qf::padding_t<Same ? qf::padding::same : qf::padding::valid>{},
                                              qf::fused_t<Act>{}, qf::out<qf::per_tensor<OutS, OutZp>>));
    const auto out = qtest::run(net, input);

    const window g{N, H, W, C, KH, KW, S, S, D, D, Same};
    std::vector<float> wf(weights.size()), bf(bias.size());
    for (std::size_t i = 0; i < weights.size(); ++i) wf[i] = w_scales[i % OC] * weights[i];
    for (std::size_t o = 0; o < bias.size(); ++o)
      bf[o] = static_cast<float>(static_cast<double>(InS.value()) * w_scales[o] * bias[o]);
    const auto expected = qtest::quantize_all(
        qtest::float_depthwise(g, M, qtest::dequantize(input, InS.value(), InZp), wf, bf, Act), OutS.value(), OutZp);
    CHECK(qtest::max_abs_diff(out, expected) <= 1);
    CHECK(std::set<int>(expected.begin(), expected.end()).size() > 4);
  }
};

TEST_CASE("depthwise_conv2d i8 vs float model") {
  depthwise_case<1, 9, 9, 5, 1, 3, 3, 2, 1, true, qf::activation::none, 0.05f, -128, 0.01f, 0.04f, 0>::check(21);
  depthwise_case<2, 8, 7, 3, 2, 3, 2, 1, 2, false, qf::activation::relu, 0.02f, 127, 0.02f, 0.02f, -128>::check(22);
  depthwise_case<1, 6, 6, 13, 1, 5, 1, 1, 1, true, qf::activation::relu6, 0.03f, 0, 0.01f, 0.025f, -128>::check(23);
  depthwise_case<1, 5, 5, 4, 3, 3, 3, 1, 1, true, qf::activation::none, 1e-6f, 4, 0.01f, 1e-6f, -2>::check(24);
  depthwise_case<1, 5, 5, 4, 1, 3, 3, 1, 1, true, qf::activation::relu_n1_to_1, 1e3f, 2, 1e-8f, 0.01f, 0>::check(25);
}

TEST_CASE("conv2d f32 vs the float model: stride 2, dilation 2, non-square, grouped channels odd") {
  using In = qf::tensor<qf::f32, qf::shape<2, 7, 8, 5>>;
  using W = qf::tensor<qf::f32, qf::shape<3, 3, 2, 5>>;
  const auto input = qtest::random_floats(In::elements, 31, -2, 2);
  const auto weights = qtest::random_floats(W::elements, 32, -1, 1);
  const auto bias = qtest::random_floats(3, 33, -1, 1);
  auto net = qf::graph(qf::input<In>(), qf::conv2d(qf::ref<0>, qf::make_constant<W>(weights.data()),
                                                   qf::make_constant<qf::tensor<qf::f32, qf::shape<3>>>(bias.data()),
                                                   qf::stride<2, 1>, qf::dilation<1, 2>, qf::fused_relu));
  const auto out = qtest::run(net, input);
  window g{2, 7, 8, 5, 3, 2, 2, 1, 1, 2, true};
  qtest::check_close(out, qtest::float_conv(g, 3, input, weights, bias, qf::activation::relu));
}

TEST_CASE("depthwise_conv2d f32 vs the float model, depth multiplier 2") {
  using In = qf::tensor<qf::f32, qf::shape<1, 6, 5, 3>>;
  using W = qf::tensor<qf::f32, qf::shape<1, 3, 3, 6>>;
  const auto input = qtest::random_floats(In::elements, 41, -2, 2);
  const auto weights = qtest::random_floats(W::elements, 42, -1, 1);
  auto net = qf::graph(qf::input<In>(), qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<W>(weights.data()),
                                                             qf::no_bias, qf::stride<2>, qf::valid));
  const auto out = qtest::run(net, input);
  window g{1, 6, 5, 3, 3, 3, 2, 2, 1, 1, false};
  qtest::check_close(out, qtest::float_depthwise(g, 2, input, weights, {}, qf::activation::none));
}

// ---- explicit padding: a PAD folded into the layer -------------------------

// PAD (which fills with the zero point) then a VALID layer, against the layer
// alone with the same amounts as explicit_padding: the same bytes. Amounts
// bigger than the filter leave whole windows in the padding.
template <class Pad, class Explicit>
void check_explicit_padding(std::uint32_t seed) {
  INFO("seed " << seed);
  using In = qf::tensor<qf::i8, qf::shape<1, 7, 6, 5>, qf::per_tensor<0.05f, -37>>;
  using Wc = qf::tensor<qf::i8, qf::shape<4, 3, 3, 5>, qf::per_tensor<0.01f, 0>>;
  using Wd = qf::tensor<qf::i8, qf::shape<1, 3, 3, 5>, qf::per_tensor<0.02f, 0>>;
  using B4 = qf::tensor<qf::i32, qf::shape<4>>;
  using B5 = qf::tensor<qf::i32, qf::shape<5>>;
  const auto input = qtest::random_ints<std::int8_t>(In::elements, seed, -128, 127);
  const auto wc = qtest::random_ints<std::int8_t>(Wc::elements, seed + 1, -127, 127);
  const auto wd = qtest::random_ints<std::int8_t>(Wd::elements, seed + 2, -127, 127);
  const auto b4 = qtest::random_ints<std::int32_t>(4, seed + 3, -3000, 3000);
  const auto b5 = qtest::random_ints<std::int32_t>(5, seed + 4, -3000, 3000);
  constexpr auto out = qf::out<qf::per_tensor<0.3f, 11>>;
  const auto conv = [&](auto in, auto padding) {
    return qf::conv2d(in, qf::make_constant<Wc>(wc.data()), qf::make_constant<B4>(b4.data()), qf::stride<2, 1>,
                      padding, out);
  };
  const auto depthwise = [&](auto in, auto padding) {
    return qf::depthwise_conv2d(in, qf::make_constant<Wd>(wd.data()), qf::make_constant<B5>(b5.data()),
                                qf::dilation<2>, padding, out);
  };
  const auto conv_padded = qtest::run(qf::graph(qf::input<In>(), Pad{}(qf::ref<0>), conv(qf::ref<1>, qf::valid)), input);
  const auto conv_folded = qtest::run(qf::graph(qf::input<In>(), conv(qf::ref<0>, Explicit{})), input);
  CHECK(conv_padded == conv_folded);
  const auto dw_padded =
      qtest::run(qf::graph(qf::input<In>(), Pad{}(qf::ref<0>), depthwise(qf::ref<1>, qf::valid)), input);
  const auto dw_folded = qtest::run(qf::graph(qf::input<In>(), depthwise(qf::ref<0>, Explicit{})), input);
  CHECK(dw_padded == dw_folded);
}

template <int T, int B, int L, int R>
struct pad_then {
  auto operator()(auto in) const { return qf::pad<0, 0, T, B, L, R, 0, 0>(in); }
};

TEST_CASE("conv2d and depthwise i8: explicit_padding gives what PAD then VALID gives") {
  check_explicit_padding<pad_then<0, 1, 0, 1>, qf::explicit_padding_t<0, 1, 0, 1>>(51);
  check_explicit_padding<pad_then<1, 1, 1, 1>, qf::explicit_padding_t<1, 1, 1, 1>>(52);
  check_explicit_padding<pad_then<2, 0, 5, 3>, qf::explicit_padding_t<2, 0, 5, 3>>(53);
}

}  // namespace

}  // namespace conv_test
