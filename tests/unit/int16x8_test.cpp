// int16x8 (int16 activations, int8 weights): the scheme
// (quantize_full_integer with int16 activations), and kernels bit for bit against
// outputs of TFLM's own reference code (tests/data/fc_int16_goldens.bin and
// depthwise_int16_goldens.bin: generated inputs, weights, biases, scales and
// geometry, and the outputs TFLM's reference_integer_ops::FullyConnected
// [PerChannel] and DepthwiseConvPerChannel computed for them with the
// multipliers its QuantizeMultiplier derives, run outside this
// repository), through the runtime path; the compile-time path against the
// runtime path.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "golden_file.hpp"
#include "qfence.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/quant/compare_outputs.hpp"
#include "qfence/quant/quantize_model.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace int16x8_test {

using namespace qfence;
namespace tfl = qtest::tfl;
namespace fb = qfence::tflite::fb;

namespace {

/// An int16 activation of the int16x8 scheme: per tensor, zero point 0.
tfl::tensor_spec int16_activation(std::vector<int> shape, std::string name, float scale) {
  tfl::tensor_spec t = tfl::activation(std::move(shape), std::move(name), 7 /*INT16*/);
  t.scales = {scale};
  t.zero_points = {0};
  return t;
}

/// Symmetric int8 weights, one scale per channel along `axis` (or one).
tfl::tensor_spec int8_weights(std::vector<int> shape, const std::vector<std::int8_t>& values, std::vector<float> scales,
                              int axis) {
  tfl::tensor_spec t = tfl::constant(std::move(shape), tfl::bytes_of(values), "weights", 9 /*INT8*/);
  t.zero_points.assign(scales.size(), 0);
  t.scales = std::move(scales);
  t.quantized_dimension = axis;
  return t;
}

/// Runs the typed model `net` and the one-op .tflite `spec` on the same ten
/// int16 inputs: the two paths must give the same bytes.
template <class Net>
void check_paths_agree(const Net& net, const tfl::model_spec& spec) {
  using M = std::remove_cvref_t<Net>;
  runtime::interpreter run(std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec))));
  auto arena = std::make_unique<qfence::arena<M>>();
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    CAPTURE(seed);
    std::vector<std::int16_t> x(arena->template input<0>().size());
    std::uint32_t state = seed * 2654435761u;
    for (auto& v : x) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<std::int16_t>(state >> 16);
    }
    std::ranges::copy(x, arena->template input<0>().begin());
    std::ranges::copy(x, run.input<std::int16_t>(0).begin());
    net.invoke(*arena);
    run.invoke();
    const auto typed = arena->template output<0>();
    const auto runtime = run.output<std::int16_t>(0);
    CHECK(std::vector<std::int16_t>(typed.begin(), typed.end()) == std::vector<std::int16_t>(runtime.begin(), runtime.end()));
  }
}

}  // namespace

TEST_CASE("int16x8 FULLY_CONNECTED gives TFLM's outputs bit for bit (int64 and int32 bias, per tensor and per channel)") {
  auto r = qtest::golden_file::open(QFENCE_TEST_DATA "/fc_int16_goldens.bin", "QFFC16");
  r.at = 6;
  const int cases = r.i32();
  CHECK(cases == 24);
  for (int c = 0; c < cases; ++c) {
    const int batches = r.i32(), depth = r.i32(), units = r.i32(), per_channel = r.i32(), bias_bits = r.i32(),
              act = r.i32();
    const float in_scale = r.f32(), out_scale = r.f32();
    const auto w_scales = r.array<float>(per_channel ? static_cast<std::size_t>(units) : 1);
    const auto input = r.array<std::int16_t>(static_cast<std::size_t>(batches * depth));
    const auto weights = r.array<std::int8_t>(static_cast<std::size_t>(units * depth));
    std::vector<std::uint8_t> bias_bytes;
    if (bias_bits == 64) bias_bytes = tfl::bytes_of(r.array<std::int64_t>(static_cast<std::size_t>(units)));
    if (bias_bits == 32) bias_bytes = tfl::bytes_of(r.array<std::int32_t>(static_cast<std::size_t>(units)));
    const auto expected = r.array<std::int16_t>(static_cast<std::size_t>(batches * units));
    CAPTURE(c);
    CAPTURE(batches);
    CAPTURE(depth);
    CAPTURE(units);
    CAPTURE(per_channel);
    CAPTURE(bias_bits);
    CAPTURE(act);

    tfl::model_spec spec;
    spec.tensors = {int16_activation({batches, depth}, "input", in_scale),
                    int8_weights({units, depth}, weights, w_scales, 0),
                    int16_activation({batches, units}, "output", out_scale)};
    if (bias_bits != 0) {
      auto b = tfl::constant({units}, bias_bytes, "bias", bias_bits == 64 ? 4 /*INT64*/ : 2 /*INT32*/);
      for (const float s : w_scales) b.scales.push_back(in_scale * s);
      b.zero_points.assign(w_scales.size(), 0);
      spec.tensors.push_back(b);
    }
    spec.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, 7, {0, 1, bias_bits != 0 ? 3 : -1}, {2}));
    spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
      return std::pair{fb::BuiltinOptions::FullyConnectedOptions,
                       fb::CreateFullyConnectedOptions(b, static_cast<std::int8_t>(act)).Union()};
    };
    spec.inputs = {0};
    spec.outputs = {2};
    runtime::interpreter run(std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec))));
    std::ranges::copy(input, run.input<std::int16_t>(0).begin());
    run.invoke();
    const auto got = run.output<std::int16_t>(0);
    CHECK(std::vector<std::int16_t>(got.begin(), got.end()) == expected);
  }
  CHECK(r.at == r.bytes.size());
}

TEST_CASE("int16x8 DEPTHWISE_CONV_2D gives TFLM's outputs bit for bit (padding, strides, dilation, multipliers)") {
  auto r = qtest::golden_file::open(QFENCE_TEST_DATA "/depthwise_int16_goldens.bin", "QFDW16");
  r.at = 6;
  const int cases = r.i32();
  CHECK(cases == 20);
  for (int c = 0; c < cases; ++c) {
    const int n = r.i32(), h = r.i32(), w = r.i32(), ic = r.i32(), mult = r.i32(), kh = r.i32(), kw = r.i32(),
              stride = r.i32(), dil = r.i32(), same = r.i32(), has_bias = r.i32(), act = r.i32();
    const int oc = ic * mult;
    const float in_scale = r.f32(), out_scale = r.f32();
    const auto w_scales = r.array<float>(static_cast<std::size_t>(oc));
    const auto input = r.array<std::int16_t>(static_cast<std::size_t>(n * h * w * ic));
    const auto weights = r.array<std::int8_t>(static_cast<std::size_t>(kh * kw * oc));
    const auto bias = has_bias ? r.array<std::int64_t>(static_cast<std::size_t>(oc)) : std::vector<std::int64_t>{};
    const int oh = r.i32(), ow = r.i32();
    const auto expected = r.array<std::int16_t>(static_cast<std::size_t>(n * oh * ow * oc));
    CAPTURE(c);
    CAPTURE(mult);
    CAPTURE(stride);
    CAPTURE(dil);
    CAPTURE(same);
    CAPTURE(act);
    tfl::model_spec spec;
    spec.tensors = {int16_activation({n, h, w, ic}, "input", in_scale), int8_weights({1, kh, kw, oc}, weights, w_scales, 3),
                    int16_activation({n, oh, ow, oc}, "output", out_scale)};
    if (has_bias) spec.tensors.push_back(tfl::constant({oc}, tfl::bytes_of(bias), "bias", 4 /*INT64*/));
    spec.ops.push_back(tfl::op(4 /*DEPTHWISE_CONV_2D*/, 5, {0, 1, has_bias ? 3 : -1}, {2}));
    spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
      return std::pair{fb::BuiltinOptions::DepthwiseConv2DOptions,
                       fb::CreateDepthwiseConv2DOptions(b, same ? 0 : 1, stride, stride, mult, static_cast<std::int8_t>(act),
                                                        dil, dil)
                           .Union()};
    };
    spec.inputs = {0};
    spec.outputs = {2};
    runtime::interpreter run(std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec))));
    std::ranges::copy(input, run.input<std::int16_t>(0).begin());
    run.invoke();
    const auto got = run.output<std::int16_t>(0);
    CHECK(std::vector<std::int16_t>(got.begin(), got.end()) == expected);
  }
  CHECK(r.at == r.bytes.size());
}

namespace {
namespace qf = qfence;
inline constexpr std::array<std::int8_t, 5 * 20> fc_weights = [] {
  std::array<std::int8_t, 5 * 20> w{};
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<std::int8_t>(static_cast<int>((i * 53) % 255) - 127);
  return w;
}();
inline constexpr std::array<float, 5> fc_scales{0.011f, 0.004f, 0.02f, 0.0073f, 0.015f};
inline constexpr std::array<int, 5> fc_zeros{};
inline constexpr std::array<std::int64_t, 5> fc_bias{-40000000, 123456, 0, 987654321, -5};
using in16 = qf::tensor<qf::i16, qf::shape<2, 20>, qf::per_tensor<0.0007f, 0>>;
constexpr auto fc16 = qf::graph(
    qf::input<in16>(),
    qf::fully_connected(qf::ref<0>,
                        qf::make_constant<qf::tensor<qf::i8, qf::shape<5, 20>, qf::per_channel<fc_scales, fc_zeros, 0>>>(fc_weights),
                        qf::make_constant<qf::tensor<qf::i64, qf::shape<5>>>(fc_bias), qf::fused_relu,
                        qf::out<qf::per_tensor<0.0021f, 0>>));
inline constexpr std::array<std::int8_t, 3 * 3 * 6> dw_weights = [] {
  std::array<std::int8_t, 3 * 3 * 6> w{};
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<std::int8_t>(static_cast<int>((i * 71) % 255) - 127);
  return w;
}();
inline constexpr std::array<float, 6> dw_scales{0.011f, 0.004f, 0.02f, 0.0073f, 0.015f, 0.009f};
inline constexpr std::array<int, 6> dw_zeros{};
inline constexpr std::array<std::int64_t, 6> dw_bias{-4000000, 123456, 0, 98765432, -5, 77};
using in16_image = qf::tensor<qf::i16, qf::shape<1, 5, 5, 3>, qf::per_tensor<0.0007f, 0>>;
constexpr auto dw16 = qf::graph(
    qf::input<in16_image>(),
    qf::depthwise_conv2d(qf::ref<0>,
                         qf::make_constant<qf::tensor<qf::i8, qf::shape<1, 3, 3, 6>, qf::per_channel<dw_scales, dw_zeros, 3>>>(dw_weights),
                         qf::make_constant<qf::tensor<qf::i64, qf::shape<6>>>(dw_bias), qf::stride<2>, qf::fused_relu6,
                         qf::out<qf::per_tensor<0.0021f, 0>>));
// CONV_2D 3x3 SAME over 3 channels: filter rows of 9 values (an odd last
// value per row), rows assembled at the borders, 20 output channels (a
// partial vector on every target).
inline constexpr std::array<std::int8_t, 20 * 3 * 3 * 3> conv_weights = [] {
  std::array<std::int8_t, 20 * 3 * 3 * 3> w{};
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<std::int8_t>(static_cast<int>((i * 37) % 255) - 127);
  return w;
}();
inline constexpr std::array<float, 20> conv_scales = [] {
  std::array<float, 20> s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = 0.002f + 0.0011f * static_cast<float>(i);
  return s;
}();
inline constexpr std::array<int, 20> conv_zeros{};
inline constexpr std::array<std::int64_t, 20> conv_bias = [] {
  std::array<std::int64_t, 20> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = (static_cast<std::int64_t>(i) - 9) * 1234567;
  return b;
}();
constexpr auto conv16 = qf::graph(
    qf::input<in16_image>(),
    qf::conv2d(qf::ref<0>,
               qf::make_constant<qf::tensor<qf::i8, qf::shape<20, 3, 3, 3>, qf::per_channel<conv_scales, conv_zeros, 0>>>(
                   conv_weights),
               qf::make_constant<qf::tensor<qf::i64, qf::shape<20>>>(conv_bias), qf::fused_relu,
               qf::out<qf::per_tensor<0.0021f, 0>>));
}  // namespace

TEST_CASE("int16x8 CONV_2D: the compile-time path (weights packed at compile time) computes what the runtime path does") {
  tfl::model_spec spec;
  spec.tensors = {int16_activation({1, 5, 5, 3}, "input", 0.0007f),
                  int8_weights({20, 3, 3, 3}, {conv_weights.begin(), conv_weights.end()},
                               {conv_scales.begin(), conv_scales.end()}, 0),
                  int16_activation({1, 5, 5, 20}, "output", 0.0021f),
                  tfl::constant({20}, tfl::bytes_of(std::vector<std::int64_t>(conv_bias.begin(), conv_bias.end())), "b",
                                4 /*INT64*/)};
  spec.ops.push_back(tfl::op(3 /*CONV_2D*/, 4, {0, 1, 3}, {2}));
  spec.ops.back().options = [](flatbuffers::FlatBufferBuilder& fbb) {
    return std::pair{fb::BuiltinOptions::Conv2DOptions, fb::CreateConv2DOptions(fbb, 0 /*SAME*/, 1, 1, 1 /*RELU*/).Union()};
  };
  spec.inputs = {0};
  spec.outputs = {2};
  check_paths_agree(conv16, spec);
}

TEST_CASE("int16x8 DEPTHWISE_CONV_2D: the compile-time path computes what the runtime path does") {
  tfl::model_spec spec;
  spec.tensors = {int16_activation({1, 5, 5, 3}, "input", 0.0007f),
                  int8_weights({1, 3, 3, 6}, {dw_weights.begin(), dw_weights.end()}, {dw_scales.begin(), dw_scales.end()}, 3),
                  int16_activation({1, 3, 3, 6}, "output", 0.0021f),
                  tfl::constant({6}, tfl::bytes_of(std::vector<std::int64_t>(dw_bias.begin(), dw_bias.end())), "b", 4 /*INT64*/)};
  spec.ops.push_back(tfl::op(4 /*DEPTHWISE_CONV_2D*/, 5, {0, 1, 3}, {2}));
  spec.ops.back().options = [](flatbuffers::FlatBufferBuilder& fbb) {
    return std::pair{fb::BuiltinOptions::DepthwiseConv2DOptions,
                     fb::CreateDepthwiseConv2DOptions(fbb, 0 /*SAME*/, 2, 2, 2, 3 /*RELU6*/).Union()};
  };
  spec.inputs = {0};
  spec.outputs = {2};
  check_paths_agree(dw16, spec);
}

TEST_CASE("int16x8 FULLY_CONNECTED: the compile-time path computes what the runtime path does") {
  static_assert(decltype(fc16)::output_type<0>::type == qf::dtype::i16);
  tfl::model_spec spec;
  spec.tensors = {int16_activation({2, 20}, "input", 0.0007f),
                  int8_weights({5, 20}, {fc_weights.begin(), fc_weights.end()}, {fc_scales.begin(), fc_scales.end()}, 0),
                  int16_activation({2, 5}, "output", 0.0021f),
                  tfl::constant({5}, tfl::bytes_of(std::vector<std::int64_t>(fc_bias.begin(), fc_bias.end())), "b", 4 /*INT64*/)};
  spec.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, 1, {0, 1, 3}, {2}));
  spec.ops.back().options = [](flatbuffers::FlatBufferBuilder& fbb) {
    return std::pair{fb::BuiltinOptions::FullyConnectedOptions, fb::CreateFullyConnectedOptions(fbb, 1 /*RELU*/).Union()};
  };
  spec.inputs = {0};
  spec.outputs = {2};
  check_paths_agree(fc16, spec);
}

namespace {
/// input [1,16] -> FULLY_CONNECTED 16->12 + RELU -> FULLY_CONNECTED 12->6 -> SOFTMAX.
std::shared_ptr<const runtime::model> float_mlp() {
  // Weights on the int8 grid of their own largest magnitude (the first
  // value is `gain`), so that quantizing them loses nothing and the
  // activations' precision is what the scheme decides.
  auto floats = [](std::size_t n, std::uint32_t seed, float gain) {
    std::vector<float> v(n);
    for (auto& x : v) {
      seed = seed * 1664525u + 1013904223u;
      x = gain * std::round(127.0f * (static_cast<float>(seed >> 8) / 8388608.0f - 1.0f)) / 127.0f;
    }
    v[0] = gain;
    return v;
  };
  tfl::model_spec m;
  m.tensors = {tfl::activation({1, 16}, "input"),
               tfl::constant({12, 16}, tfl::bytes_of(floats(12 * 16, 1, 0.5f)), "w1"),
               tfl::constant({12}, tfl::bytes_of(floats(12, 2, 0.2f)), "b1"),
               tfl::activation({1, 12}, "hidden"),
               tfl::constant({6, 12}, tfl::bytes_of(floats(6 * 12, 3, 0.6f)), "w2"),
               tfl::constant({6}, tfl::bytes_of(floats(6, 4, 0.2f)), "b2"),
               tfl::activation({1, 6}, "logits"),
               tfl::activation({1, 6}, "probabilities")};
  m.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, 1, {0, 1, 2}, {3}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::FullyConnectedOptions, fb::CreateFullyConnectedOptions(b, 1 /*RELU*/).Union()};
  };
  m.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, 1, {3, 4, 5}, {6}));
  m.ops.push_back(tfl::op(25 /*SOFTMAX*/, 1, {6}, {7}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::SoftmaxOptions, fb::CreateSoftmaxOptions(b, 1.0f).Union()};
  };
  m.inputs = {0};
  m.outputs = {7};
  return std::make_shared<const runtime::model>(tflite::read_model(tfl::build(m)));
}

struct mlp_samples {
  std::size_t count;
  std::uint32_t seed;
  std::size_t size() const { return count; }
  std::optional<std::string> fill(std::size_t k, runtime::interpreter& interp) const {
    auto in = interp.input<float>(0);
    for (std::size_t i = 0; i < in.size(); ++i)
      in[i] = std::sin(0.7f * static_cast<float>(i + 1) * static_cast<float>(k + seed)) * 1.5f;
    return std::nullopt;
  }
};
}  // namespace

TEST_CASE("quantize --scheme int16x8: int16 activations with zero point 0, int64 biases, fences where qfence has no int16 kernel") {
  const auto model = float_mlp();
  const quant::calibration_report report = quant::calibrate(model, mlp_samples{64, 0});
  quant::quantize_options options;
  options.activations = dtype::i16;
  const quant::quantized_model q = quant::quantize_full_integer(*model, report, options);
  CHECK_NOTHROW(quant::check_runs(q.model));
  CHECK(q.fences.empty());
  const runtime::model& m = q.model;
  // SOFTMAX in int16: TFLM's fixed output parameters for an int16 input.
  const auto softmax = std::ranges::find(m.operations, runtime::op_code::softmax, &runtime::operation::code);
  REQUIRE(softmax != m.operations.end());
  const runtime::tensor& probabilities = m.tensors[static_cast<std::size_t>(softmax->outputs[0])];
  CHECK(probabilities.type == dtype::i16);
  CHECK(probabilities.quant.scale() == 1.0f / 32768);
  CHECK(probabilities.quant.zero_point() == 0);
  CHECK(softmax->version == 3);
  int layers = 0;
  for (const runtime::operation& op : m.operations) {
    if (op.code != runtime::op_code::fully_connected) continue;
    ++layers;
    const runtime::tensor &in = m.tensors[static_cast<std::size_t>(op.inputs[0])],
                          &bias = m.tensors[static_cast<std::size_t>(op.inputs[2])],
                          &out = m.tensors[static_cast<std::size_t>(op.outputs[0])];
    CHECK(in.type == dtype::i16);
    CHECK(in.quant.zero_point() == 0);
    CHECK(out.type == dtype::i16);
    CHECK(out.quant.zero_point() == 0);
    CHECK(bias.type == dtype::i64);
    CHECK(op.version == 1);  // int16x8 with int8 weights and a bias: op_version.cc's generic case
    // Symmetric: the scale covers the larger magnitude of the calibrated range.
    const auto c = std::ranges::find(report.tensors, out.name, &quant::tensor_calibration::name);
    REQUIRE(c != report.tensors.end());
    CHECK(out.quant.scale() == quant::symmetric_params(c->range, 32767).scale);
  }
  CHECK(layers == 2);
  // int16 activations: far closer to the float model than int8 (on the
  // calibration samples, so that no range clips).
  runtime::interpreter reference(model);
  runtime::interpreter int16(std::make_shared<const runtime::model>(quant::quantize_full_integer(*model, report, options).model));
  runtime::interpreter int8(std::make_shared<const runtime::model>(quant::quantize_int8(*model, report).model));
  const quant::output_agreement a16 = quant::compare_outputs(reference, int16, mlp_samples{64, 0});
  const quant::output_agreement a8 = quant::compare_outputs(reference, int8, mlp_samples{64, 0});
  CHECK(a16.sqnr_db > 80);  // measured: 90.1 dB with a float SOFTMAX, int8 42.1 dB
  CHECK(a16.sqnr_db > a8.sqnr_db + 25);

  // An op without an int16x8 kernel in qfence (SQRT) is fenced, and said so.
  tfl::model_spec spec;
  spec.tensors = {tfl::activation({1, 8}, "input"), tfl::activation({1, 8}, "root")};
  spec.ops.push_back(tfl::op(75 /*SQRT*/, 1, {0}, {1}));
  spec.inputs = {0};
  spec.outputs = {1};
  const auto sqrt_model = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec)));
  struct positive_samples {
    std::size_t size() const { return 16; }
    std::optional<std::string> fill(std::size_t k, runtime::interpreter& interp) const {
      auto in = interp.input<float>(0);
      for (std::size_t i = 0; i < in.size(); ++i) in[i] = 1.0f + std::sin(static_cast<float>(i + 3 * k));
      return std::nullopt;
    }
  };
  const quant::quantized_model qs =
      quant::quantize_full_integer(*sqrt_model, quant::calibrate(sqrt_model, positive_samples{}), options);
  REQUIRE(qs.fences.size() == 1);
  CHECK(qs.fences[0].text().find("SQRT") != std::string::npos);
  CHECK(qs.fences[0].text().find("no int16x8 kernel") != std::string::npos);
}

}  // namespace int16x8_test
