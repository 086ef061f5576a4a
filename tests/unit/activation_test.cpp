// RELU, RELU6, LOGISTIC, TANH and SOFTMAX. Unary int8 ops are checked on all
// 256 input values against the float model; softmax on random rows.
#include "test_support.hpp"

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace activation_test {

namespace qf = qfence;

namespace {

std::vector<std::int8_t> all_int8() {
  std::vector<std::int8_t> v(256);
  for (int i = 0; i < 256; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i - 128);
  return v;
}

/// Runs `make(ref<0>)` on every int8 value with input (InS, InZp) and returns
/// the output with its type's quantization.
template <qf::qscale InS, int InZp, class Make>
auto run_unary_all(Make make) {
  using In = qf::tensor<qf::i8, qf::shape<1, 256>, qf::per_tensor<InS, InZp>>;
  auto net = qf::graph(qf::input<In>(), make(qf::ref<0>));
  return std::pair{qtest::run(net, all_int8()), typename decltype(net)::template output_type<0>{}};
}

/// The int8 result on all 256 inputs is within `tolerance` of the float model.
/// Returns the outputs for further checks.
template <qf::qscale InS, int InZp, class Make, class F>
std::vector<std::int8_t> check_unary_against_float(Make make, F f, int tolerance = 1, bool skip_zero_point = false) {
  INFO("input scale " << InS.value() << " zero point " << InZp);
  auto [got, out_type] = run_unary_all<InS, InZp>(make);
  using Out = decltype(out_type);
  std::vector<float> real;
  for (float x : qtest::dequantize(all_int8(), InS.value(), InZp)) real.push_back(f(x));
  auto expected = qtest::quantize_all(real, Out::quant::scale, Out::quant::zero_point);
  auto compared = got;
  if (skip_zero_point) compared[InZp + 128] = static_cast<std::int8_t>(expected[InZp + 128]);
  CHECK(qtest::max_abs_diff(compared, expected) <= tolerance);
  return got;
}

// With a huge input scale, TFLite's input radius (CalculateInputRadius) is 0:
// every input at or below the zero point is treated as -infinity, so the
// input equal to the zero point gives the lowest output instead of f(0).
// qfence reproduces this quirk of the reference bit for bit.

TEST_CASE("logistic i8 on every input value is within 1 LSB of the float model") {
  auto op = [](auto r) { return qf::logistic(r); };
  auto sigmoid = [](float x) { return 1.0f / (1.0f + std::exp(-x)); };
  check_unary_against_float<0.1f, 0>(op, sigmoid);
  check_unary_against_float<0.0625f, -128>(op, sigmoid);
  check_unary_against_float<0.02f, 127>(op, sigmoid);
  check_unary_against_float<1e-3f, 5>(op, sigmoid);
  check_unary_against_float<1e-6f, 0>(op, sigmoid);
  CHECK(check_unary_against_float<1e3f, 0>(op, sigmoid, 1, true)[128] == -128);
  check_unary_against_float<0.3f, 20>(op, sigmoid);
}

TEST_CASE("tanh i8 on every input value is within 1 LSB of the float model") {
  auto op = [](auto r) { return qf::tanh(r); };
  auto f = [](float x) { return std::tanh(x); };
  check_unary_against_float<0.1f, 0>(op, f);
  check_unary_against_float<0.03f, -128>(op, f);
  check_unary_against_float<0.02f, 127>(op, f);
  check_unary_against_float<1e-6f, 0>(op, f);
  CHECK(check_unary_against_float<1e3f, -7>(op, f, 1, true)[128 - 7] == -128);
}

TEST_CASE("logistic and tanh i8 output types are TFLite's fixed ones") {
  using In = qf::tensor<qf::i8, qf::shape<3>, qf::per_tensor<0.1f, 0>>;
  using L = decltype(qf::graph(qf::input<In>(), qf::logistic(qf::ref<0>)))::output_type<0>;
  using T = decltype(qf::graph(qf::input<In>(), qf::tanh(qf::ref<0>)))::output_type<0>;
  static_assert(std::is_same_v<L::quant, qf::per_tensor<1.0f / 256.0f, -128>>);
  static_assert(std::is_same_v<T::quant, qf::per_tensor<1.0f / 128.0f, 0>>);
  // Hand values: logistic(0) = 0.5 -> 128 - 128 = 0; tanh(0) = 0; far ends saturate.
  using Wide = qf::tensor<qf::i8, qf::shape<3>, qf::per_tensor<0.5f, 0>>;
  auto l = qf::graph(qf::input<Wide>(), qf::logistic(qf::ref<0>));
  auto t = qf::graph(qf::input<Wide>(), qf::tanh(qf::ref<0>));
  CHECK(qtest::run(l, std::vector<std::int8_t>{0, -128, 127}) == std::vector<std::int8_t>{0, -128, 127});
  CHECK(qtest::run(t, std::vector<std::int8_t>{0, -128, 127}) == std::vector<std::int8_t>{0, -128, 127});
}

TEST_CASE("relu i8 requantizes to its out<...>, on every input value") {
  auto f = [](float x) { return std::max(0.0f, x); };
  check_unary_against_float<0.1f, 3>([](auto r) { return qf::relu(r); }, f, 0);
  check_unary_against_float<0.1f, 3>([](auto r) { return qf::relu(r, qf::out<qf::per_tensor<0.05f, -128>>); }, f);
  check_unary_against_float<1e-6f, -128>([](auto r) { return qf::relu(r, qf::out<qf::per_tensor<1e-6f, -128>>); }, f, 0);
  check_unary_against_float<1e3f, 127>([](auto r) { return qf::relu(r, qf::out<qf::per_tensor<4e3f, -100>>); }, f);
}

TEST_CASE("relu6 i8 clamps in the input's domain, on every input value") {
  auto f = [](float x) { return std::clamp(x, 0.0f, 6.0f); };
  check_unary_against_float<0.05f, -10>([](auto r) { return qf::relu6(r); }, f, 0);
  check_unary_against_float<0.1f, 127>([](auto r) { return qf::relu6(r); }, f, 0);
  check_unary_against_float<1e-3f, -128>([](auto r) { return qf::relu6(r); }, f, 0);
}

TEST_CASE("float activations") {
  using In = qf::tensor<qf::f32, qf::shape<5>>;
  const std::vector<float> x{-3, -0.5f, 0, 2, 7};
  auto run = [&](auto make, auto f) {
    auto net = qf::graph(qf::input<In>(), make(qf::ref<0>));
    std::vector<float> want;
    for (float v : x) want.push_back(f(v));
    qtest::check_close(qtest::run(net, x), want);
  };
  run([](auto r) { return qf::relu(r); }, [](float v) { return std::max(v, 0.0f); });
  run([](auto r) { return qf::relu6(r); }, [](float v) { return std::clamp(v, 0.0f, 6.0f); });
  run([](auto r) { return qf::logistic(r); }, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
  run([](auto r) { return qf::tanh(r); }, [](float v) { return std::tanh(v); });
}

// ---- softmax ----------------------------------------------------------------

template <int Rows, int Depth, qf::qscale InS, int InZp, qf::qscale Beta>
void check_softmax_against_float(std::uint32_t seed) {
  INFO("case seed " << seed);
  using In = qf::tensor<qf::i8, qf::shape<Rows, Depth>, qf::per_tensor<InS, InZp>>;
  const auto x = qtest::random_ints<std::int8_t>(In::elements, seed, -128, 127);
  auto net = qf::graph(qf::input<In>(), qf::softmax(qf::ref<0>, qf::beta<Beta>));
  const auto got = qtest::run(net, x);
  const auto fx = qtest::dequantize(x, InS.value(), InZp);
  std::vector<float> want(fx.size());
  for (int r = 0; r < Rows; ++r) {
    const auto* row = fx.data() + r * Depth;
    const float mx = *std::max_element(row, row + Depth);
    double sum = 0;
    for (int c = 0; c < Depth; ++c) sum += std::exp(static_cast<double>(Beta.value()) * (row[c] - mx));
    for (int c = 0; c < Depth; ++c)
      want[static_cast<std::size_t>(r * Depth + c)] =
          static_cast<float>(std::exp(static_cast<double>(Beta.value()) * (row[c] - mx)) / sum);
  }
  CHECK(qtest::max_abs_diff(got, qtest::quantize_all(want, 1.0 / 256.0, -128)) <= 1);
}

TEST_CASE("softmax i8 vs float model") {
  check_softmax_against_float<3, 10, 0.1f, 0, 1.0f>(91);
  check_softmax_against_float<2, 1001, 0.05f, -128, 1.0f>(92);
  check_softmax_against_float<4, 7, 0.02f, 127, 2.0f>(93);
  check_softmax_against_float<1, 5, 1e-6f, 0, 1.0f>(94);
  check_softmax_against_float<2, 33, 0.25f, 10, 0.5f>(95);
}

TEST_CASE("softmax i8, hand-computed") {
  using In = qf::tensor<qf::i8, qf::shape<1, 4>, qf::per_tensor<1.0f, 0>>;
  auto net = qf::graph(qf::input<In>(), qf::softmax(qf::ref<0>));
  // Equal logits share the mass: 0.25 each -> 64 - 128 = -64. A logit 127
  // above the others takes everything: 1.0 -> 255 - 128 saturates at 127.
  CHECK(qtest::run(net, std::vector<std::int8_t>{5, 5, 5, 5}) == std::vector<std::int8_t>{-64, -64, -64, -64});
  CHECK(qtest::run(net, std::vector<std::int8_t>{127, 0, 0, 0}) == std::vector<std::int8_t>{127, -128, -128, -128});
}

TEST_CASE("softmax i8: a row whose exponentials sum to 512 or more rounds to the nearest output") {
  // n equal logits take 1/n each, 256/n output steps. From n = 512 on, TFLite's
  // reference shifts an int32 by 32 or more (undefined; on x86 every element
  // comes out 127); qfence rounds (docs/numerics.md).
  const auto equal_row = [](auto net, std::size_t n) { return qtest::run(net, std::vector<std::int8_t>(n, 3)); };
  using In300 = qf::tensor<qf::i8, qf::shape<1, 300>, qf::per_tensor<1.0f, 0>>;
  using In600 = qf::tensor<qf::i8, qf::shape<1, 600>, qf::per_tensor<1.0f, 0>>;
  using In1000 = qf::tensor<qf::i8, qf::shape<2, 1000>, qf::per_tensor<1.0f, 0>>;
  CHECK(equal_row(qf::graph(qf::input<In300>(), qf::softmax(qf::ref<0>)), 300) == std::vector<std::int8_t>(300, -127));
  CHECK(equal_row(qf::graph(qf::input<In600>(), qf::softmax(qf::ref<0>)), 600) == std::vector<std::int8_t>(600, -128));
  CHECK(equal_row(qf::graph(qf::input<In1000>(), qf::softmax(qf::ref<0>)), 2000) ==
        std::vector<std::int8_t>(2000, -128));
}

TEST_CASE("softmax f32 with beta") {
  using In = qf::tensor<qf::f32, qf::shape<2, 3>>;
  auto net = qf::graph(qf::input<In>(), qf::softmax(qf::ref<0>, qf::beta<0.5f>));
  const std::vector<float> x{1, 2, 3, 0, 0, 0};
  const auto got = qtest::run(net, x);
  const double e0 = std::exp(-1.0), e1 = std::exp(-0.5), s = e0 + e1 + 1.0;
  qtest::check_close(got, {static_cast<float>(e0 / s), static_cast<float>(e1 / s), static_cast<float>(1 / s), 1.0f / 3,
                           1.0f / 3, 1.0f / 3});
}

}  // namespace

}  // namespace activation_test
