// RESHAPE, CONCATENATION, PAD, the reductions, QUANTIZE and DEQUANTIZE.
#include "test_support.hpp"

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace layout_test {

namespace qf = qfence;

namespace {

using Q = qf::per_tensor<0.5f, -3>;

TEST_CASE("reshape infers -1 and keeps dtype and quantization") {
  using In = qf::tensor<qf::i8, qf::shape<2, 3, 4>, Q>;
  auto net = qf::graph(qf::input<In>(), qf::reshape<4, -1>(qf::ref<0>));
  using Out = decltype(net)::output_type<0>;
  static_assert(std::is_same_v<Out, qf::tensor<qf::i8, qf::shape<4, 6>, Q>>);
  const auto x = qtest::random_ints<std::int8_t>(24, 1, -128, 127);
  CHECK(qtest::run(net, x) == x);
}

TEST_CASE("concatenation along inner and outer axes") {
  using A = qf::tensor<qf::i8, qf::shape<2, 2, 1>, Q>;
  using B = qf::tensor<qf::i8, qf::shape<2, 2, 3>, Q>;
  auto inner = qf::graph(qf::input<A>(), qf::input<B>(), qf::concatenation<-1>(qf::ref<0>, qf::ref<1>));
  static_assert(std::is_same_v<decltype(inner)::output_type<0>, qf::tensor<qf::i8, qf::shape<2, 2, 4>, Q>>);
  const std::vector<std::int8_t> a{1, 2, 3, 4};
  const std::vector<std::int8_t> b{10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42};
  CHECK(qtest::run(inner, a, b) ==
        std::vector<std::int8_t>{1, 10, 11, 12, 2, 20, 21, 22, 3, 30, 31, 32, 4, 40, 41, 42});

  using C = qf::tensor<qf::f32, qf::shape<1, 3>>;
  using D = qf::tensor<qf::f32, qf::shape<2, 3>>;
  auto outer = qf::graph(qf::input<C>(), qf::input<D>(), qf::input<C>(),
                         qf::concatenation<0>(qf::ref<2>, qf::ref<1>, qf::ref<0>));
  CHECK(qtest::run(outer, std::vector<float>{1, 2, 3}, std::vector<float>{4, 5, 6, 7, 8, 9},
                   std::vector<float>{-1, -2, -3}) == std::vector<float>{-1, -2, -3, 4, 5, 6, 7, 8, 9, 1, 2, 3});
}

TEST_CASE("pad fills with the zero point (real 0), in every dimension") {
  using In = qf::tensor<qf::i8, qf::shape<1, 2, 2, 1>, Q>;
  auto net = qf::graph(qf::input<In>(), qf::pad<0, 0, 1, 0, 0, 2, 0, 1>(qf::ref<0>));
  static_assert(std::is_same_v<decltype(net)::output_type<0>::shape_type, qf::shape<1, 3, 4, 2>>);
  const auto out = qtest::run(net, std::vector<std::int8_t>{1, 2, 3, 4});
  CHECK(out == std::vector<std::int8_t>{-3, -3, -3, -3, -3, -3, -3, -3,  //
                                        1, -3, 2, -3, -3, -3, -3, -3,    //
                                        3, -3, 4, -3, -3, -3, -3, -3});

  using F = qf::tensor<qf::f32, qf::shape<2>>;
  auto f = qf::graph(qf::input<F>(), qf::pad<2, 1>(qf::ref<0>));
  CHECK(qtest::run(f, std::vector<float>{5, 6}) == std::vector<float>{0, 0, 5, 6, 0});
}

template <qf::qscale InS, int InZp, qf::qscale OutS, int OutZp>
void check_mean_against_float(std::uint32_t seed) {
  INFO("case seed " << seed);
  using In = qf::tensor<qf::i8, qf::shape<2, 5, 7, 19>, qf::per_tensor<InS, InZp>>;
  const auto x = qtest::random_ints<std::int8_t>(In::elements, seed, -128, 127);
  auto net = qf::graph(qf::input<In>(), qf::mean<1, 2>(qf::ref<0>, qf::keep_dims, qf::out<qf::per_tensor<OutS, OutZp>>));
  static_assert(std::is_same_v<typename decltype(net)::template output_type<0>::shape_type, qf::shape<2, 1, 1, 19>>);
  const auto got = qtest::run(net, x);
  const auto fx = qtest::dequantize(x, InS.value(), InZp);
  std::vector<float> want(2 * 19);
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 19; ++c) {
      double sum = 0;
      for (int i = 0; i < 35; ++i) sum += fx[static_cast<std::size_t>((b * 35 + i) * 19 + c)];
      want[static_cast<std::size_t>(b * 19 + c)] = static_cast<float>(sum / 35);
    }
  CHECK(qtest::max_abs_diff(got, qtest::quantize_all(want, OutS.value(), OutZp)) <= 1);
}

TEST_CASE("mean i8 over H and W vs float model") {
  check_mean_against_float<0.1f, 0, 0.01f, 0>(101);
  check_mean_against_float<0.05f, -128, 0.005f, 127>(102);
  check_mean_against_float<1e-6f, 127, 1e-7f, -128>(103);
  check_mean_against_float<1e3f, 3, 100.0f, -5>(104);
}

TEST_CASE("mean without keep_dims, f32, hand-computed") {
  using In = qf::tensor<qf::f32, qf::shape<2, 3>>;
  auto rows = qf::graph(qf::input<In>(), qf::mean<1>(qf::ref<0>));
  auto cols = qf::graph(qf::input<In>(), qf::mean<0>(qf::ref<0>));
  static_assert(std::is_same_v<decltype(rows)::output_type<0>::shape_type, qf::shape<2>>);
  CHECK(qtest::run(rows, std::vector<float>{1, 2, 3, 4, 5, 9}) == std::vector<float>{2, 6});
  CHECK(qtest::run(cols, std::vector<float>{1, 2, 3, 4, 5, 9}) == std::vector<float>{2.5f, 3.5f, 6});
}

TEST_CASE("sum, reduce_max, reduce_min: hand-computed, and the quantized forms' parameters") {
  using In = qf::tensor<qf::f32, qf::shape<2, 3>>;
  const std::vector<float> x{1, -2, 3, 4, 5, -9};
  CHECK(qtest::run(qf::graph(qf::input<In>(), qf::sum<1>(qf::ref<0>)), x) == std::vector<float>{2, 0});
  CHECK(qtest::run(qf::graph(qf::input<In>(), qf::sum<0, -1>(qf::ref<0>, qf::keep_dims)), x) == std::vector<float>{2});
  CHECK(qtest::run(qf::graph(qf::input<In>(), qf::reduce_max<0>(qf::ref<0>)), x) == std::vector<float>{4, 5, 3});
  CHECK(qtest::run(qf::graph(qf::input<In>(), qf::reduce_min<1>(qf::ref<0>)), x) == std::vector<float>{-2, -9});

  // int8 SUM: (sum - zp * n) * in_scale / out_scale + out_zp, saturated.
  using I = qf::tensor<qf::i8, qf::shape<2, 3>, qf::per_tensor<0.5f, -3>>;
  auto sum = qf::graph(qf::input<I>(), qf::sum<1>(qf::ref<0>, qf::out<qf::per_tensor<1.0f, 10>>));
  // Row 0: raw 1, 3, 5 are reals 2, 3, 4: 9 -> 19. Row 1: 120 x 3 are 184.5 -> 127.
  CHECK(qtest::run(sum, std::vector<std::int8_t>{1, 3, 5, 120, 120, 120}) == std::vector<std::int8_t>{19, 127});
  // MAX keeps the input's parameters: the raw values select.
  auto max = qf::graph(qf::input<I>(), qf::reduce_max<1>(qf::ref<0>));
  static_assert(std::is_same_v<decltype(max)::output_type<0>, qf::tensor<qf::i8, qf::shape<2>, qf::per_tensor<0.5f, -3>>>);
  CHECK(qtest::run(max, std::vector<std::int8_t>{1, 3, 5, -128, -100, -128}) == std::vector<std::int8_t>{5, -100});
}

TEST_CASE("quantize / dequantize round trip and TFLite rounding") {
  using F = qf::tensor<qf::f32, qf::shape<7>>;
  auto q = qf::graph(qf::input<F>(), qf::quantize<qf::per_tensor<0.5f, 10>>(qf::ref<0>));
  // x / 0.5 rounds half away from zero, then + 10, saturating.
  CHECK(qtest::run(q, std::vector<float>{0, 0.25f, -0.25f, 0.75f, 1000, -1000, -5.1f}) ==
        std::vector<std::int8_t>{10, 11, 9, 12, 127, -128, 0});

  using I = qf::tensor<qf::i8, qf::shape<3>, qf::per_tensor<0.5f, 10>>;
  auto d = qf::graph(qf::input<I>(), qf::dequantize(qf::ref<0>));
  CHECK(qtest::run(d, std::vector<std::int8_t>{10, -128, 127}) == std::vector<float>{0, -69, 58.5f});

  // float16 widens exactly (TFLite's float16 weights; core/half.hpp).
  using H = qf::tensor<qf::f16, qf::shape<4>>;
  auto wide = qf::graph(qf::input<H>(), qf::dequantize(qf::ref<0>));
  CHECK(qtest::run(wide, std::vector<qf::half>{{0x3C00}, {0xC000}, {0x7BFF}, {0x0001}}) ==
        std::vector<float>{1.0f, -2.0f, 65504.0f, 5.9604645e-8f});

  // Requantize i8 -> i8 with new parameters, against the float model, on all values.
  auto rq = qf::graph(qf::input<qf::tensor<qf::i8, qf::shape<256>, qf::per_tensor<0.03f, -7>>>(),
                      qf::quantize<qf::per_tensor<0.07f, 20>>(qf::ref<0>));
  std::vector<std::int8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i - 128);
  CHECK(qtest::max_abs_diff(qtest::run(rq, all), qtest::quantize_all(qtest::dequantize(all, 0.03f, -7), 0.07, 20)) <= 1);

  // Every int8 value survives dequantize -> quantize with the same parameters.
  auto trip = qf::graph(qf::input<qf::tensor<qf::i8, qf::shape<256>, qf::per_tensor<1e-6f, -128>>>(),
                        qf::dequantize(qf::ref<0>), qf::quantize<qf::per_tensor<1e-6f, -128>>(qf::ref<1>));
  CHECK(qtest::run(trip, all) == all);
}

}  // namespace

TEST_CASE("quantize: NaN is the zero point, infinities and huge values saturate (defined, unlike TFLite)") {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x{std::numeric_limits<float>::quiet_NaN(), inf, -inf, 1e30f, -1e30f, 0.25f, -0.25f, 3e9f};
  auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<8>>>(), qf::quantize<qf::per_tensor<0.01f, 3>, qf::i8>(qf::ref<0>));
  CHECK(qtest::run(net, x) == std::vector<std::int8_t>{3, 127, -128, 127, -128, 28, -22, 127});
  // The same at a fence border: a fenced op returning NaN and infinities.
  std::int16_t out[3];
  const float y[3] = {std::numeric_limits<float>::quiet_NaN(), inf, -inf};
  qf::reference::quantize(3, y, 0.5f, -7, out);
  CHECK(out[0] == -7);
  CHECK(out[1] == 32767);
  CHECK(out[2] == -32768);
}

}  // namespace layout_test
