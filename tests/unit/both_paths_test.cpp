// The same op through both paths: a one-op .tflite model run by the runtime
// interpreter, and the typed node the code generator would write for it,
// give the same bytes. For ops that no shared model exercises.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <doctest/doctest.h>

#include "qfence.hpp"
#include "qfence/runtime/elementwise_custom_op.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
#include "soft_sign_op.hpp"
#include "test_support.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace both_paths_test {

namespace qf = qfence;
namespace rt = qfence::runtime;
namespace tfl = qtest::tfl;

namespace {

/// Runs a one-input, one-output model on the runtime path.
template <class In, class Out>
std::vector<Out> run_runtime(const tfl::model_spec& spec, const std::vector<In>& input,
                             rt::interpreter_options options = {}) {
  rt::interpreter interp(qf::tflite::read_model(tfl::build(spec)), std::move(options));
  REQUIRE(interp.input<In>(0).size() == input.size());
  std::ranges::copy(input, interp.input<In>(0).begin());
  interp.invoke();
  const auto out = interp.output<Out>(0);
  return {out.begin(), out.end()};
}

tfl::model_spec one_op(std::int32_t code, tfl::tensor_spec in, tfl::tensor_spec out) {
  tfl::model_spec m;
  m.tensors = {std::move(in), std::move(out)};
  m.ops.push_back(tfl::op(code, 1, {0}, {1}));
  m.inputs = {0};
  m.outputs = {1};
  return m;
}

}  // namespace

TEST_CASE("TANH int8: every input value, runtime path = typed node (TFLM fixed point)") {
  for (const auto& params : {std::pair{0.05f, 3}, std::pair{0.0078125f, -128}, std::pair{0.2f, 0}}) {
    const float scale = params.first;
    const int zp = params.second;
    auto in = tfl::activation({1, 256}, "x", 9 /*INT8*/);
    in.scales = {scale};
    in.zero_points = {zp};
    auto out = tfl::activation({1, 256}, "y", 9);
    out.scales = {1.0f / 128.0f};
    out.zero_points = {0};
    std::vector<std::int8_t> x(256);
    for (int i = 0; i < 256; ++i) x[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i - 128);
    const auto runtime = run_runtime<std::int8_t, std::int8_t>(one_op(28 /*TANH*/, in, out), x);
    std::vector<std::int8_t> typed;
    auto check = [&]<class T>() {
      auto net = qf::graph(qf::input<T>(), qf::tanh(qf::ref<0>));
      typed = qtest::run(net, x);
    };
    if (zp == 3) check.template operator()<qf::tensor<qf::i8, qf::shape<1, 256>, qf::per_tensor<0.05f, 3>>>();
    if (zp == -128) check.template operator()<qf::tensor<qf::i8, qf::shape<1, 256>, qf::per_tensor<0.0078125f, -128>>>();
    if (zp == 0) check.template operator()<qf::tensor<qf::i8, qf::shape<1, 256>, qf::per_tensor<0.2f, 0>>>();
    CAPTURE(scale);
    CHECK(runtime == typed);
    // And the values are tanh's, to the output's resolution.
    for (int i = 0; i < 256; ++i) {
      const double real = std::tanh(scale * (i - 128 - zp));
      CHECK(std::abs(runtime[static_cast<std::size_t>(i)] / 128.0 - real) <= 1.5 / 128.0);
    }
  }
}

TEST_CASE("TANH float and the rule's errors on the runtime path") {
  std::vector<float> x{-3.0f, -0.5f, 0.0f, 0.25f, 4.0f, 1e-3f};
  const auto runtime =
      run_runtime<float, float>(one_op(28, tfl::activation({2, 3}, "x"), tfl::activation({2, 3}, "y")), x);
  auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<2, 3>>>(), qf::tanh(qf::ref<0>));
  CHECK(runtime == qtest::run(net, x));

  // An int8 TANH whose output is not scale 1/128, zero point 0: the rule's
  // text, the same the compile-time path prints.
  auto in = tfl::activation({1, 4}, "x", 9);
  in.scales = {0.1f};
  in.zero_points = {0};
  auto out = tfl::activation({1, 4}, "y", 9);
  out.scales = {1.0f / 256.0f};
  out.zero_points = {-128};
  try {
    rt::interpreter interp(qf::tflite::read_model(tfl::build(one_op(28, in, out))));
    FAIL("the interpreter accepted a TANH output with the wrong parameters");
  } catch (const rt::model_error& e) {
    const std::string what = e.what();
    CHECK(what.find("operator 0 (TANH v1): ") == 0);
    CHECK(what.find(std::string(qf::rule_error_text(qf::rule_error::output_fixed_quantization))) != std::string::npos);
    CHECK(what.find("expected i8[1,4] (scale 0.007812, zero point 0)") != std::string::npos);
  }
}

TEST_CASE("MUL's multiplier under each numerics: TFLM's double product, TFLite's float product, on both paths") {
  // x * x for every int16 x: the two multipliers differ in their low bits
  // (2105863557 vs 2105863680, shift -15), which moves 36 of the 65536
  // outputs by one step.
  constexpr float in_scale = 0.0235294122f, out_scale = 18.5f;
  const qf::quantized_multiplier tflm = qf::make_mul_multiplier(in_scale, in_scale, out_scale, true);
  const qf::quantized_multiplier tflite = qf::make_mul_multiplier(in_scale, in_scale, out_scale, false);
  CHECK(tflm.multiplier == 2105863557);
  CHECK(tflite.multiplier == 2105863680);
  CHECK(tflm.shift == tflite.shift);

  tfl::model_spec spec;
  auto x = tfl::activation({1, 65536}, "x", 7 /*INT16*/);
  x.scales = {in_scale};
  x.zero_points = {0};
  auto y = tfl::activation({1, 65536}, "y", 7);
  y.scales = {out_scale};
  y.zero_points = {0};
  spec.tensors = {x, y};
  spec.ops.push_back(tfl::op(18 /*MUL*/, 4, {0, 0}, {1}));
  spec.inputs = {0};
  spec.outputs = {1};
  std::vector<std::int16_t> every(65536);
  for (int i = 0; i < 65536; ++i) every[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(i - 32768);
  auto runtime = [&](rt::numerics n) {
    rt::interpreter_options o;
    o.arithmetic = n;
    rt::interpreter interp(qf::tflite::read_model(tfl::build(spec)), o);
    std::ranges::copy(every, interp.input<std::int16_t>(0).begin());
    interp.invoke();
    const auto out = interp.output<std::int16_t>(0);
    return std::vector<std::int16_t>(out.begin(), out.end());
  };
  const auto runtime_tflm = runtime(rt::numerics::tflm), runtime_tflite = runtime(rt::numerics::tflite);
  using X = qf::tensor<qf::i16, qf::shape<1, 65536>, qf::per_tensor<in_scale, 0>>;
  constexpr auto y_quant = qf::out<qf::per_tensor<out_scale, 0>, qf::i16>;
  const auto typed_tflm = qtest::run(qf::graph(qf::input<X>(), qf::mul(qf::ref<0>, qf::ref<0>, y_quant)), every);
  const auto typed_tflite =
      qtest::run(qf::graph(qf::input<X>(), qf::mul(qf::ref<0>, qf::ref<0>, y_quant, qf::tflite_numerics)), every);
  CHECK(runtime_tflm == typed_tflm);
  CHECK(runtime_tflite == typed_tflite);
  int differ = 0;
  for (std::size_t i = 0; i < every.size(); ++i) differ += runtime_tflm[i] != runtime_tflite[i];
  CHECK(differ == 36);
}

namespace {
using qtest::soft_sign;

tfl::model_spec one_custom_op(const char* name, tfl::tensor_spec in, tfl::tensor_spec out) {
  tfl::model_spec m = one_op(32 /*CUSTOM*/, std::move(in), std::move(out));
  m.ops.back().custom_code = name;
  return m;
}

tfl::tensor_spec int16_activation(const char* name, float scale, std::int64_t zero_point) {
  auto t = tfl::activation({1, 65536}, name, 7 /*INT16*/);
  t.scales = {scale};
  t.zero_points = {zero_point};
  return t;
}
}  // namespace

TEST_CASE("A custom op's int16 table: built at compile time, the runtime path's bytes, a step from the fence") {
  constexpr float in_scale = 8.0f / 32768, out_scale = 1.0f / 32768;  // x in [-8, 8), soft_sign in (-0.9, 0.9)
  using In = qf::tensor<qf::i16, qf::shape<1, 65536>, qf::per_tensor<in_scale, 0>>;
  using Q = qf::per_tensor<out_scale, 0>;
  // The typed node's table is a constant: evaluated by the compiler.
  using node = decltype(qf::graph(qf::input<In>(), qf::tabulated<soft_sign>(qf::ref<0>, qf::out<Q>)))::node_t<1>;
  static constexpr qf::lookup_table_int16 compiled = node::typed<1, In>::make_table();
  volatile float runtime_in_scale = in_scale;  // the same table, computed at run time
  CHECK(compiled == qf::make_lookup_table_int16(runtime_in_scale, 0, out_scale, 0, soft_sign::apply));

  std::vector<std::int16_t> x(65536);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int16_t>(static_cast<int>(i) - 32768);
  rt::interpreter_options with_op;
  with_op.custom_ops["soft_sign"] = rt::prepare_elementwise<soft_sign>;
  const auto runtime = run_runtime<std::int16_t, std::int16_t>(
      one_custom_op("soft_sign", int16_activation("x", in_scale, 0), int16_activation("y", out_scale, 0)), x, with_op);
  auto table = qf::graph(qf::input<In>(), qf::tabulated<soft_sign>(qf::ref<0>, qf::out<Q>));
  auto fenced = qf::graph(qf::input<In>(), qf::fence(qf::custom<soft_sign>(qf::ref<0>), qf::out<Q, qf::i16>));
  static_assert(decltype(table)::arena_bytes < decltype(fenced)::arena_bytes);  // no float buffers
  const auto by_table = qtest::run(table, x), by_fence = qtest::run(fenced, x);
  CHECK(by_table == runtime);

  // Interpolation approximates the fence: measured on every int16 value,
  // against linear interpolation's bound h^2 max|f''| / 8 over segments of
  // h = the input range / 512 (soft_sign's |f''| is at most 2, at 0), plus
  // a step for the rounded samples.
  int most_steps_apart = 0;
  double table_error = 0, fence_error = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    most_steps_apart = std::max(most_steps_apart, std::abs(by_table[i] - by_fence[i]));
    const double want = soft_sign::apply(in_scale * x[i]);
    table_error = std::max(table_error, std::abs(out_scale * by_table[i] - want));
    fence_error = std::max(fence_error, std::abs(out_scale * by_fence[i] - want));
  }
  const double h = 65536.0 * in_scale / 512, interpolation_bound = h * h * 2 / 8;
  MESSAGE("int16 soft_sign: the table ", table_error / out_scale, " steps from the function (bound ",
          interpolation_bound / out_scale + 1, "), the fence ", fence_error / out_scale, "; at most ", most_steps_apart,
          " steps apart");
  CHECK(fence_error <= 0.5 * out_scale + 1e-9);
  CHECK(table_error <= interpolation_bound + out_scale);
  CHECK(most_steps_apart >= 1);  // an approximation, not the fence

  // One rule on both paths: an int16 zero point other than 0 is refused
  // with its text (the typed path's: tests/compile_fail/tabulated_int16_zero_point.cpp).
  const auto zero_point_5 =
      one_custom_op("soft_sign", int16_activation("x", in_scale, 0), int16_activation("y", out_scale, 5));
  CHECK_THROWS_WITH_AS(rt::interpreter(qf::tflite::read_model(tfl::build(zero_point_5)), with_op),
                       doctest::Contains("int16 outputs with zero point 0"), rt::model_error);
}

}  // namespace both_paths_test
