// FULLY_CONNECTED, ADD, MUL, AVERAGE_POOL_2D and MAX_POOL_2D: hand-computed
// cases and comparisons with the float model.
#include "test_support.hpp"

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace dense_test {

namespace qf = qfence;

namespace {

// ---- fully_connected ------------------------------------------------------

inline constexpr std::array<float, 6> fc_w{1, 2, 3, -1, 0, 1};  // [2 units, 3 depth]
inline constexpr std::array<float, 2> fc_b{0.5f, -1};

TEST_CASE("fully_connected f32, batch 2, hand-computed") {
  using In = qf::tensor<qf::f32, qf::shape<2, 3>>;
  auto net = qf::graph(qf::input<In>(),
                       qf::fully_connected(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<2, 3>>>(fc_w),
                                           qf::make_constant<qf::tensor<qf::f32, qf::shape<2>>>(fc_b)));
  const auto out = qtest::run(net, std::vector<float>{1, 1, 1, 0, 1, 2});
  // b0: 1+2+3+.5 = 6.5, -1+0+1-1 = -1;  b1: 0+2+6+.5 = 8.5, 0+0+2-1 = 1
  CHECK(out == std::vector<float>{6.5f, -1, 8.5f, 1});
}

inline constexpr std::array<std::int8_t, 6> fc_wq{2, 4, 6, -2, 0, 2};  // fc_w / 0.5
inline constexpr std::array<std::int32_t, 2> fc_bq{2, -4};            // fc_b / (0.5 * 0.5)

TEST_CASE("fully_connected i8, hand-computed with zero points") {
  using In = qf::tensor<qf::i8, qf::shape<1, 3>, qf::per_tensor<0.5f, 4>>;
  using W = qf::tensor<qf::i8, qf::shape<2, 3>, qf::per_tensor<0.5f, 0>>;
  auto net = qf::graph(qf::input<In>(),
                       qf::fully_connected(qf::ref<0>, qf::make_constant<W>(fc_wq),
                                           qf::make_constant<qf::tensor<qf::i32, qf::shape<2>>>(fc_bq),
                                           qf::out<qf::per_tensor<0.25f, -10>>));
  // real input {1, 1, 1} -> q = {6, 6, 6}
  const auto out = qtest::run(net, std::vector<std::int8_t>{6, 6, 6});
  // real: 6.5 and -1 -> q = 26 - 10 = 16 and -4 - 10 = -14
  CHECK(out == std::vector<std::int8_t>{16, -14});
}

template <int Batch, int Depth, int Units, qf::qscale InS, int InZp, qf::qscale WS, qf::qscale OutS, int OutZp,
          qf::activation Act>
void check_fc_against_float(std::uint32_t seed) {
  INFO("case seed " << seed);
  using In = qf::tensor<qf::i8, qf::shape<Batch, Depth>, qf::per_tensor<InS, InZp>>;
  using W = qf::tensor<qf::i8, qf::shape<Units, Depth>, qf::per_tensor<WS, 0>>;
  const auto input = qtest::random_ints<std::int8_t>(In::elements, seed, -128, 127);
  const auto weights = qtest::random_ints<std::int8_t>(W::elements, seed + 1, -127, 127);
  const auto bias = qtest::random_ints<std::int32_t>(Units, seed + 2, -5000, 5000);
  auto net = qf::graph(qf::input<In>(),
                       qf::fully_connected(qf::ref<0>, qf::make_constant<W>(weights.data()),
                                           qf::make_constant<qf::tensor<qf::i32, qf::shape<Units>>>(bias.data()),
                                           qf::fused_t<Act>{}, qf::out<qf::per_tensor<OutS, OutZp>>));
  const auto out = qtest::run(net, input);
  const auto x = qtest::dequantize(input, InS.value(), InZp);
  std::vector<float> expected_f(static_cast<std::size_t>(Batch * Units));
  for (int b = 0; b < Batch; ++b)
    for (int u = 0; u < Units; ++u) {
      double acc = static_cast<double>(InS.value()) * WS.value() * bias[static_cast<std::size_t>(u)];
      for (int d = 0; d < Depth; ++d)
        acc += static_cast<double>(x[static_cast<std::size_t>(b * Depth + d)]) * WS.value() *
               weights[static_cast<std::size_t>(u * Depth + d)];
      expected_f[static_cast<std::size_t>(b * Units + u)] = qtest::clamp_activation(static_cast<float>(acc), Act);
    }
  const auto expected = qtest::quantize_all(expected_f, OutS.value(), OutZp);
  CHECK(qtest::max_abs_diff(out, expected) <= 1);
  CHECK(std::set<int>(expected.begin(), expected.end()).size() > 4);
}

TEST_CASE("fully_connected i8 vs float model") {
  check_fc_against_float<3, 37, 11, 0.05f, -3, 0.01f, 0.3f, 5, qf::activation::none>(51);
  check_fc_against_float<4, 64, 10, 0.02f, -128, 0.005f, 0.2f, -128, qf::activation::relu>(52);
  check_fc_against_float<2, 9, 33, 1e-6f, 127, 0.02f, 3e-6f, 0, qf::activation::relu6>(53);
  check_fc_against_float<1, 16, 7, 1e3f, 0, 1e-8f, 0.01f, 0, qf::activation::relu_n1_to_1>(54);
}

inline constexpr std::array<float, 12> fc_unit_scales{0.001f, 0.002f, 0.004f, 0.008f, 0.016f, 0.03f,
                                                      0.003f, 0.005f, 0.007f, 0.009f, 0.011f, 0.013f};
inline constexpr std::array<int, 12> fc_unit_zeros{};

TEST_CASE("fully_connected i8 with per-channel weights vs float model") {
  constexpr int batch = 3, depth = 21, units = 12;
  using In = qf::tensor<qf::i8, qf::shape<batch, depth>, qf::per_tensor<0.04f, 7>>;
  using W = qf::tensor<qf::i8, qf::shape<units, depth>, qf::per_channel<fc_unit_scales, fc_unit_zeros, 0>>;
  const auto input = qtest::random_ints<std::int8_t>(In::elements, 55, -128, 127);
  const auto weights = qtest::random_ints<std::int8_t>(W::elements, 56, -127, 127);
  const auto bias = qtest::random_ints<std::int32_t>(units, 57, -3000, 3000);
  auto net = qf::graph(qf::input<In>(),
                       qf::fully_connected(qf::ref<0>, qf::make_constant<W>(weights.data()),
                                           qf::make_constant<qf::tensor<qf::i32, qf::shape<units>>>(bias.data()),
                                           qf::out<qf::per_tensor<0.1f, -5>>));
  const auto out = qtest::run(net, input);
  const auto x = qtest::dequantize(input, 0.04f, 7);
  std::vector<float> want(batch * units);
  for (int b = 0; b < batch; ++b)
    for (int u = 0; u < units; ++u) {
      const double ws = fc_unit_scales[static_cast<std::size_t>(u)];
      double acc = 0.04 * ws * bias[static_cast<std::size_t>(u)];
      for (int d = 0; d < depth; ++d)
        acc += static_cast<double>(x[static_cast<std::size_t>(b * depth + d)]) * ws *
               weights[static_cast<std::size_t>(u * depth + d)];
      want[static_cast<std::size_t>(b * units + u)] = static_cast<float>(acc);
    }
  const auto expected = qtest::quantize_all(want, 0.1, -5);
  CHECK(qtest::max_abs_diff(out, expected) <= 1);
  CHECK(std::set<int>(expected.begin(), expected.end()).size() > 4);
}

TEST_CASE("fully_connected f32 flattens a 4-D input into batches") {
  using In = qf::tensor<qf::f32, qf::shape<2, 1, 2, 3>>;  // -> [4, 3]
  auto net = qf::graph(qf::input<In>(),
                       qf::fully_connected(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<2, 3>>>(fc_w),
                                           qf::no_bias, qf::fused_relu));
  using M = decltype(net);
  static_assert(std::is_same_v<M::output_type<0>::shape_type, qf::shape<4, 2>>);
  const auto out = qtest::run(net, std::vector<float>{1, 1, 1, 0, 1, 2, 1, 0, 0, 0, 0, 1});
  CHECK(out == std::vector<float>{6, 0, 8, 2, 1, 0, 3, 1});
}

// ---- add / mul ------------------------------------------------------------

template <class Op, qf::qscale AS, int AZ, qf::qscale BS, int BZ, qf::qscale OS, int OZ, qf::activation Act, class AShape,
          class BShape>
void check_binary_against_float(std::uint32_t seed) {
  INFO("case seed " << seed);
  using A = qf::tensor<qf::i8, AShape, qf::per_tensor<AS, AZ>>;
  using B = qf::tensor<qf::i8, BShape, qf::per_tensor<BS, BZ>>;
  const auto a = qtest::random_ints<std::int8_t>(A::elements, seed, -128, 127);
  const auto b = qtest::random_ints<std::int8_t>(B::elements, seed + 1, -128, 127);
  constexpr bool is_add = std::is_same_v<Op, qf::op::add>;
  auto make = [](auto x, auto y) {
    if constexpr (is_add) return qf::add(x, y, qf::fused_t<Act>{}, qf::out<qf::per_tensor<OS, OZ>>);
    else return qf::mul(x, y, qf::fused_t<Act>{}, qf::out<qf::per_tensor<OS, OZ>>);
  };
  auto net = qf::graph(qf::input<A>(), qf::input<B>(), make(qf::ref<0>, qf::ref<1>));
  using M = decltype(net);
  using Out = typename M::template output_type<0>;
  const auto out = qtest::run(net, a, b);
  // Broadcast by hand: both shapes are right-aligned rank-4 here.
  const auto& ad = AShape::dims;
  const auto& bd = BShape::dims;
  const auto& od = Out::shape_type::dims;
  const auto fa = qtest::dequantize(a, AS.value(), AZ);
  const auto fb = qtest::dequantize(b, BS.value(), BZ);
  std::vector<float> f(static_cast<std::size_t>(Out::elements));
  std::size_t o = 0;
  for (int i0 = 0; i0 < od[0]; ++i0)
    for (int i1 = 0; i1 < od[1]; ++i1)
      for (int i2 = 0; i2 < od[2]; ++i2)
        for (int i3 = 0; i3 < od[3]; ++i3, ++o) {
          auto idx = [&](const auto& d) {
            return (((i0 % d[0]) * d[1] + (i1 % d[1])) * d[2] + (i2 % d[2])) * d[3] + (i3 % d[3]);
          };
          const float x = fa[static_cast<std::size_t>(idx(ad))], y = fb[static_cast<std::size_t>(idx(bd))];
          f[o] = qtest::clamp_activation(is_add ? x + y : x * y, Act);
        }
  const auto expected = qtest::quantize_all(f, OS.value(), OZ);
  CHECK(qtest::max_abs_diff(out, expected) <= 1);
  CHECK(std::set<int>(expected.begin(), expected.end()).size() > 4);
}

TEST_CASE("add i8 vs float model: broadcasting, extreme zero points, scales 1e-6..1e3") {
  using qf::shape;
  check_binary_against_float<qf::op::add, 0.05f, -128, 0.02f, 127, 0.06f, 0, qf::activation::none, shape<2, 3, 5, 7>,
                             shape<1, 3, 1, 7>>(61);
  check_binary_against_float<qf::op::add, 1e-6f, 3, 2e-6f, -3, 2e-6f, -128, qf::activation::relu, shape<1, 4, 4, 3>,
                             shape<1, 4, 4, 3>>(62);
  check_binary_against_float<qf::op::add, 1e3f, 0, 500.0f, 10, 2e3f, 0, qf::activation::relu, shape<1, 1, 9, 17>,
                             shape<1, 1, 1, 17>>(63);
  check_binary_against_float<qf::op::add, 1e3f, 0, 400.0f, 10, 2e3f, 0, qf::activation::none, shape<1, 1, 9, 17>,
                             shape<1, 1, 1, 17>>(64);
  check_binary_against_float<qf::op::add, 0.01f, 0, 0.01f, 0, 0.01f, 0, qf::activation::relu_n1_to_1,
                             shape<1, 2, 1, 5>, shape<1, 1, 3, 5>>(65);
}

TEST_CASE("mul i8 vs float model") {
  using qf::shape;
  check_binary_against_float<qf::op::mul, 0.05f, -128, 0.02f, 127, 0.1f, 0, qf::activation::none, shape<2, 3, 5, 7>,
                             shape<1, 3, 1, 7>>(71);
  check_binary_against_float<qf::op::mul, 1e-3f, 3, 1e-3f, -3, 1e-4f, -128, qf::activation::relu, shape<1, 4, 4, 3>,
                             shape<1, 4, 4, 3>>(72);
  check_binary_against_float<qf::op::mul, 1e3f, 0, 1e-6f, 10, 2e-1f, 0, qf::activation::none, shape<1, 1, 9, 17>,
                             shape<1, 1, 1, 1>>(73);
}

TEST_CASE("add i8, hand-computed") {
  using A = qf::tensor<qf::i8, qf::shape<4>, qf::per_tensor<0.5f, 0>>;
  using B = qf::tensor<qf::i8, qf::shape<4>, qf::per_tensor<0.25f, -128>>;
  auto net = qf::graph(qf::input<A>(), qf::input<B>(), qf::add(qf::ref<0>, qf::ref<1>, qf::out<qf::per_tensor<1.0f, 1>>));
  // a = {1.5, -2, 63.5, 0}, b = {0.5, 2.5, 63.75, 0}
  const auto out = qtest::run(net, std::vector<std::int8_t>{3, -4, 127, 0}, std::vector<std::int8_t>{-126, -118, 127, -128});
  // sums {2, 0.5, 127.25, 0} -> round {2, 1 (half away from zero), 127, 0} + 1, saturated
  CHECK(out == std::vector<std::int8_t>{3, 2, 127, 1});
}

TEST_CASE("add and mul f32 with broadcasting and fused activation") {
  using A = qf::tensor<qf::f32, qf::shape<2, 3>>;
  using B = qf::tensor<qf::f32, qf::shape<3>>;
  auto sum = qf::graph(qf::input<A>(), qf::input<B>(), qf::add(qf::ref<0>, qf::ref<1>, qf::fused_relu));
  auto product = qf::graph(qf::input<A>(), qf::input<B>(), qf::mul(qf::ref<0>, qf::ref<1>));
  const std::vector<float> a{1, -2, 3, 4, 5, -6}, b{10, 1, -1};
  CHECK(qtest::run(sum, a, b) == std::vector<float>{11, 0, 2, 14, 6, 0});
  CHECK(qtest::run(product, a, b) == std::vector<float>{10, -2, -3, 40, 5, 6});
}

// ---- pooling --------------------------------------------------------------

TEST_CASE("average_pool2d and max_pool2d, hand-computed, SAME clips the window") {
  using In = qf::tensor<qf::i8, qf::shape<1, 3, 3, 1>, qf::per_tensor<0.1f, 0>>;
  const std::vector<std::int8_t> x{1, 2, 3, 4, 5, 6, 7, 8, -9};
  auto avg = qf::graph(qf::input<In>(), qf::average_pool2d(qf::ref<0>, qf::filter<2>, qf::stride<2>, qf::same));
  auto mx = qf::graph(qf::input<In>(), qf::max_pool2d(qf::ref<0>, qf::filter<2>, qf::stride<2>, qf::same));
  // windows: {1,2,4,5} avg 3; {3,6} 4.5 -> 5 (half away from zero); {7,8} 7.5 -> 8; {-9} -9
  CHECK(qtest::run(avg, x) == std::vector<std::int8_t>{3, 5, 8, -9});
  CHECK(qtest::run(mx, x) == std::vector<std::int8_t>{5, 6, 8, -9});
  const std::vector<std::int8_t> neg{-1, -2, 0, 0, 0, 0, 0, 0, 0};
  // {-1,-2,0,0} = -3/4 = -0.75 -> -1
  CHECK(qtest::run(avg, neg)[0] == -1);
}

TEST_CASE("pools vs float model: non-square windows, stride 2, odd channels, batch 2, fused relu6") {
  using In = qf::tensor<qf::i8, qf::shape<2, 7, 6, 5>, qf::per_tensor<0.05f, -20>>;
  const auto x = qtest::random_ints<std::int8_t>(In::elements, 81, -128, 127);
  auto avg = qf::graph(qf::input<In>(), qf::average_pool2d(qf::ref<0>, qf::filter<3, 2>, qf::stride<2>, qf::same,
                                                           qf::fused_relu6));
  auto mx = qf::graph(qf::input<In>(), qf::max_pool2d(qf::ref<0>, qf::filter<2, 3>, qf::stride<2, 1>));
  const auto got_avg = qtest::run(avg, x);
  const auto got_max = qtest::run(mx, x);
  const auto fx = qtest::dequantize(x, 0.05f, -20);
  auto pool = [&](int kh, int kw, int sh, int sw, bool same, bool is_max) {
    const qtest::window g{2, 7, 6, 5, kh, kw, sh, sw, 1, 1, same};
    std::vector<float> out;
    for (int b = 0; b < 2; ++b)
      for (int oy = 0; oy < g.out_h(); ++oy)
        for (int ox = 0; ox < g.out_w(); ++ox)
          for (int c = 0; c < 5; ++c) {
            float best = -1e30f, sum = 0;
            int n = 0;
            g.for_each_tap(b, oy, ox, [&](int, int, int iy, int ix) {
              const float v = fx[static_cast<std::size_t>(((b * 7 + iy) * 6 + ix) * 5 + c)];
              best = std::max(best, v);
              sum += v;
              ++n;
            });
            out.push_back(is_max ? best : qtest::clamp_activation(sum / static_cast<float>(n), qf::activation::relu6));
          }
    return qtest::quantize_all(out, 0.05, -20);
  };
  CHECK(qtest::max_abs_diff(got_avg, pool(3, 2, 2, 2, true, false)) <= 1);
  CHECK(qtest::max_abs_diff(got_max, pool(2, 3, 2, 1, false, true)) == 0);
}

TEST_CASE("pools f32") {
  using In = qf::tensor<qf::f32, qf::shape<1, 2, 3, 1>>;
  auto avg = qf::graph(qf::input<In>(), qf::average_pool2d(qf::ref<0>, qf::filter<2>, qf::valid));
  auto mx = qf::graph(qf::input<In>(), qf::max_pool2d(qf::ref<0>, qf::filter<1, 3>, qf::stride<1, 3>));
  const std::vector<float> x{1, 2, 3, 4, 5, 7};
  CHECK(qtest::run(avg, x) == std::vector<float>{3, 4.25f});
  CHECK(qtest::run(mx, x) == std::vector<float>{3, 7});
}

}  // namespace

TEST_CASE("fully_connected with TFLite's double rescaling (tflite numerics), hand-computed") {
  // acc = (1+1)*(3+2) + (2+1)*(-1+2) + bias 4 = 10 + 3 + 4 = 17 for unit 0;
  // round(17 * 0.3) = round(5.1) = 5, + zero point -3 = 2.
  // Unit 1: acc = 0*5 + 1*1 + 4 = 5 (weights 0-1 and 1-1 offset by +1: -1+1=0, 0+1=1); round(5 * 0.5) = 3 (half
  // away from zero), + -3 = 0.
  const std::int8_t input[2] = {3, -1};
  const std::int8_t weights[4] = {1, 2, -1, 0};
  const std::int32_t bias[2] = {4, 4};
  const double scales[2] = {0.3, 0.5};
  std::int8_t out[2] = {};
  qfence::reference::fully_connected_double_rescale(qfence::reference::fc_geometry{1, 2, 2}, input, 2, weights, 1, bias, scales, 1, -3,
                                                    qfence::int_range{-128, 127}, out);
  CHECK(out[0] == 2);
  CHECK(out[1] == 0);
}

}  // namespace dense_test
