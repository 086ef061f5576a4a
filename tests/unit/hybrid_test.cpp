// The dynamic-range scheme (quant/dynamic_range.hpp) and TFLite's hybrid
// kernels (kernels/reference/hybrid.hpp): outputs bit for bit against
// outputs of TFLite's own reference code (tests/data/hybrid_goldens.bin:
// generated inputs, weights and the outputs TFLite's portable tensor utils,
// EvalHybridDense, HybridConvPerChannel / HybridConv and
// DepthwiseConvHybridPerChannel computed for them,
// run outside this repository), through the runtime path, on the reference
// kernels and on every SIMD target (kernels/hybrid_conv.hpp); and random
// layers, every target against the reference kernels.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "qfence/quant/dynamic_range.hpp"
#include "qfence/tflite/reader.hpp"
#include "qfence/tflite/writer.hpp"
#include "golden_file.hpp"
#include "test_support.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace hybrid_test {

using namespace qfence;
namespace tfl = qtest::tfl;
namespace fb = qfence::tflite::fb;

namespace {

tfl::tensor_spec int8_weights(std::vector<int> shape, const std::vector<std::int8_t>& w, const std::vector<float>& scales) {
  tfl::tensor_spec t = tfl::constant(std::move(shape), tfl::bytes_of(w), "weights", 9 /*INT8*/);
  t.scales = scales;
  t.zero_points.assign(scales.size(), 0);
  return t;
}

/// Runs a one-op model on `input` on target `t` and returns its output.
std::vector<float> run_one(const tfl::model_spec& spec, const std::vector<float>& input, kernels::target t) {
  auto m = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec)));
  runtime::interpreter_options options;
  options.target = t;
  runtime::interpreter run(m, options);
  auto in = run.input<float>(0);
  REQUIRE(in.size() == input.size());
  std::copy(input.begin(), input.end(), in.begin());
  run.invoke();
  const auto out = run.output<float>(0);
  return {out.begin(), out.end()};
}

/// The reference kernels and every SIMD target this CPU runs.
std::vector<kernels::target> every_target() {
  std::vector<kernels::target> all{kernels::target::reference()};
  for (const kernels::target t : kernels::usable_targets()) all.push_back(t);
  return all;
}

std::size_t bit_differences(const std::vector<float>& a, const std::vector<float>& b) {
  std::size_t d = a.size() == b.size() ? 0 : std::max(a.size(), b.size());
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    d += std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i]);
  return d;
}

/// A windowed layer's input and filter: batches n, an h x w x ch input, a
/// kh x kw filter, stride, dilation, SAME or VALID padding.
struct window {
  int n, h, w, ch, kh, kw, stride, dil;
  bool same;
  int out(int in, int k) const { return same ? (in + stride - 1) / stride : (in - ((k - 1) * dil + 1) + stride) / stride; }
  int out_h() const { return out(h, kh); }
  int out_w() const { return out(w, kw); }
  std::string text() const {
    return std::to_string(n) + "x" + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(ch) + ", " +
           std::to_string(kh) + "x" + std::to_string(kw) + " stride " + std::to_string(stride) + " dilation " +
           std::to_string(dil) + (same ? " SAME" : " VALID");
  }
};

/// The weights, their scales (one per channel, or one) and the bias (empty:
/// none) of a hybrid layer.
struct hybrid_constants {
  std::vector<std::int8_t> weights;
  std::vector<float> scales, bias;
};

/// A one-op model: float input 0, int8 weights 1, float output 2, bias 3.
tfl::model_spec one_op(std::vector<int> in_shape, tfl::tensor_spec weights, std::vector<int> out_shape,
                       const std::vector<float>& bias) {
  tfl::model_spec spec;
  spec.tensors.push_back(tfl::activation(std::move(in_shape), "input"));
  spec.tensors.push_back(std::move(weights));
  spec.tensors.push_back(tfl::activation(std::move(out_shape), "output"));
  if (!bias.empty()) spec.tensors.push_back(tfl::constant({static_cast<int>(bias.size())}, tfl::bytes_of(bias), "bias"));
  spec.inputs = {0};
  spec.outputs = {2};
  return spec;
}

tfl::model_spec fully_connected_model(int batches, int depth, int units, bool asymmetric, int act,
                                      const hybrid_constants& c) {
  tfl::model_spec spec = one_op({batches, depth}, int8_weights({units, depth}, c.weights, c.scales), {batches, units}, c.bias);
  spec.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, c.scales.size() > 1 ? 12 : asymmetric ? 9 : 3,
                             {0, 1, c.bias.empty() ? -1 : 3}, {2}));
  spec.ops.back().options = [act, asymmetric](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::FullyConnectedOptions,
                     fb::CreateFullyConnectedOptions(b, static_cast<std::int8_t>(act), 0, false, asymmetric).Union()};
  };
  return spec;
}

tfl::model_spec conv_model(const window& g, int oc, int act, const hybrid_constants& c) {
  tfl::model_spec spec = one_op({g.n, g.h, g.w, g.ch}, int8_weights({oc, g.kh, g.kw, g.ch}, c.weights, c.scales),
                                {g.n, g.out_h(), g.out_w(), oc}, c.bias);
  spec.ops.push_back(tfl::op(3 /*CONV_2D*/, c.scales.size() > 1 ? 5 : 2, {0, 1, c.bias.empty() ? -1 : 3}, {2}));
  spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::Conv2DOptions,
                     fb::CreateConv2DOptions(b, g.same ? 0 : 1, g.stride, g.stride, static_cast<std::int8_t>(act), g.dil,
                                             g.dil).Union()};
  };
  return spec;
}

tfl::model_spec depthwise_model(const window& g, int multiplier, int act, const hybrid_constants& c) {
  const int oc = g.ch * multiplier;
  tfl::tensor_spec weights = int8_weights({1, g.kh, g.kw, oc}, c.weights, c.scales);
  weights.quantized_dimension = 3;
  tfl::model_spec spec = one_op({g.n, g.h, g.w, g.ch}, std::move(weights), {g.n, g.out_h(), g.out_w(), oc}, c.bias);
  spec.ops.push_back(tfl::op(4 /*DEPTHWISE_CONV_2D*/, 6, {0, 1, c.bias.empty() ? -1 : 3}, {2}));
  spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::DepthwiseConv2DOptions,
                     fb::CreateDepthwiseConv2DOptions(b, g.same ? 0 : 1, g.stride, g.stride, multiplier,
                                                      static_cast<std::int8_t>(act), g.dil, g.dil).Union()};
  };
  return spec;
}

}  // namespace

TEST_CASE("hybrid FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D give TFLite's outputs bit for bit") {
  auto r = qtest::golden_file::open(QFENCE_TEST_DATA "/hybrid_goldens.bin", "QFHYB1");
  r.at = 8;
  const int cases = r.i32();
  CHECK(cases == 24);
  int fc_cases = 0, conv_cases = 0, depthwise_cases = 0;
  for (int c = 0; c < cases; ++c) {
    const int kind = r.i32();
    tfl::model_spec spec;
    std::vector<float> input, expected;
    std::string label;
    hybrid_constants k;
    if (kind == 0) {
      const int batches = r.i32(), depth = r.i32(), units = r.i32(), asymmetric = r.i32(), scale_count = r.i32(),
                act = r.i32(), has_bias = r.i32();
      input = r.array<float>(static_cast<std::size_t>(batches * depth));
      k.weights = r.array<std::int8_t>(static_cast<std::size_t>(units * depth));
      k.scales = r.array<float>(static_cast<std::size_t>(scale_count));
      if (has_bias) k.bias = r.array<float>(static_cast<std::size_t>(units));
      expected = r.array<float>(static_cast<std::size_t>(batches * units));
      spec = fully_connected_model(batches, depth, units, asymmetric != 0, act, k);
      label = "FULLY_CONNECTED " + std::to_string(batches) + "x" + std::to_string(depth) + "->" + std::to_string(units) +
              (asymmetric ? " asymmetric" : " symmetric") + (scale_count > 1 ? " per-channel" : " per-tensor");
      ++fc_cases;
    } else if (kind == 2) {
      window g{};
      int mult = 0, act = 0, has_bias = 0;
      g.n = r.i32(), g.h = r.i32(), g.w = r.i32(), g.ch = r.i32(), mult = r.i32(), g.kh = r.i32(), g.kw = r.i32();
      g.stride = r.i32(), g.dil = r.i32(), g.same = r.i32() != 0, act = r.i32(), has_bias = r.i32();
      const int oc = g.ch * mult;
      input = r.array<float>(static_cast<std::size_t>(g.n * g.h * g.w * g.ch));
      k.weights = r.array<std::int8_t>(static_cast<std::size_t>(g.kh * g.kw * oc));
      k.scales = r.array<float>(static_cast<std::size_t>(oc));
      if (has_bias) k.bias = r.array<float>(static_cast<std::size_t>(oc));
      expected = r.array<float>(static_cast<std::size_t>(g.n * g.out_h() * g.out_w() * oc));
      spec = depthwise_model(g, mult, act, k);
      label = "DEPTHWISE_CONV_2D " + g.text() + " x" + std::to_string(mult);
      ++depthwise_cases;
    } else {
      REQUIRE(kind == 1);
      window g{};
      int oc = 0, per_channel = 0, act = 0, has_bias = 0;
      g.n = r.i32(), g.h = r.i32(), g.w = r.i32(), g.ch = r.i32(), oc = r.i32(), g.kh = r.i32(), g.kw = r.i32();
      g.stride = r.i32(), g.dil = r.i32(), g.same = r.i32() != 0, per_channel = r.i32(), act = r.i32(), has_bias = r.i32();
      input = r.array<float>(static_cast<std::size_t>(g.n * g.h * g.w * g.ch));
      k.weights = r.array<std::int8_t>(static_cast<std::size_t>(oc * g.kh * g.kw * g.ch));
      k.scales = r.array<float>(static_cast<std::size_t>(oc));
      if (has_bias) k.bias = r.array<float>(static_cast<std::size_t>(oc));
      expected = r.array<float>(static_cast<std::size_t>(g.n * g.out_h() * g.out_w() * oc));
      // Per-tensor cases store the one scale repeated, as a converter
      // writing per-channel scales that happen to be equal would.
      if (!per_channel) k.scales = {k.scales[0]};
      spec = conv_model(g, oc, act, k);
      label = "CONV_2D " + g.text() + (per_channel ? " per-channel" : " per-tensor");
      ++conv_cases;
    }
    CAPTURE(c);
    CAPTURE(label);
    for (const kernels::target t : every_target()) {
      CAPTURE(t.name());
      CHECK(bit_differences(run_one(spec, input, t), expected) == 0);
    }
  }
  CHECK(r.at == r.bytes.size());
  CHECK(fc_cases == 10);
  CHECK(conv_cases == 9);
  CHECK(depthwise_cases == 5);
}

namespace {

/// Random values in [-2, 2]; `special` makes them zeros, or puts a -0, a
/// NaN, an infinity or a huge value in, or half steps (what the
/// quantization must round as TFLite does, and survive, never with UB).
std::vector<float> random_input(qtest::xorshift32& r, std::size_t n, int special) {
  std::vector<float> x(n);
  for (float& v : x) v = r.uniform(-2.0f, 2.0f);
  if (special == 1) std::fill(x.begin(), x.end(), 0.0f);  // TFLite's all-zero shortcut
  if (special == 2) x[r.next() % n] = -0.0f;
  if (special == 3) x[r.next() % n] = std::nanf("");
  if (special == 4) x[r.next() % n] = -INFINITY;
  if (special == 5)
    for (float& v : x) v = std::max(v, 0.0f);  // a ReLU's output: the range starts at 0
  if (special == 6) x[r.next() % n] = INFINITY;  // the scale infinite: inf * 0 on the way
  if (special == 7) x[r.next() % n] = -3e37f;   // one value sets the range, the rest round to 0
  if (special == 8)  // values on the grid's half steps: rounding half away from zero decides
    for (float& v : x) v = static_cast<float>(r.uniform_int(-254, 254)) / 127.0f * 0.5f;
  return x;
}

/// `channels` outputs' random constants: weights, `scale_count` scales, a
/// bias (some -0) unless `bias` is false.
hybrid_constants random_constants(qtest::xorshift32& r, std::size_t weights, std::size_t scale_count, int channels,
                                  bool bias) {
  hybrid_constants c;
  c.weights.resize(weights);
  for (auto& v : c.weights) v = static_cast<std::int8_t>(r.uniform_int(-127, 127));
  c.scales.resize(scale_count);
  for (float& s : c.scales) s = r.uniform(0.001f, 0.05f);
  if (bias) {
    c.bias.resize(static_cast<std::size_t>(channels));
    for (float& b : c.bias) b = r.next() % 7 == 0 ? -0.0f : r.uniform(-1.0f, 1.0f);
  }
  return c;
}

}  // namespace

TEST_CASE("hybrid FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D: every target gives the reference kernels' bits on "
          "random layers") {
  qtest::xorshift32 r(2463534242u);
  const std::vector<kernels::target> targets = kernels::usable_targets();
  int layers = 0;
  for (int c = 0; c < 240; ++c) {
    tfl::model_spec spec;
    std::string label;
    std::vector<float> input;
    const int act = r.uniform_int(0, 3);  // none, relu, relu_n1_to_1, relu6
    const bool has_bias = r.uniform_int(0, 3) != 0;
    const int special = r.uniform_int(0, 11);
    if (c % 3 == 0) {
      const int batches = r.uniform_int(1, 4), depth = r.uniform_int(1, 70), units = r.uniform_int(1, 40);
      const bool asymmetric = r.uniform_int(0, 1) == 1, per_channel = r.uniform_int(0, 1) == 1;
      const hybrid_constants k = random_constants(r, static_cast<std::size_t>(units * depth),
                                                  per_channel ? static_cast<std::size_t>(units) : 1, units, has_bias);
      input = random_input(r, static_cast<std::size_t>(batches * depth), special);
      spec = fully_connected_model(batches, depth, units, asymmetric, act, k);
      label = "FULLY_CONNECTED " + std::to_string(batches) + "x" + std::to_string(depth) + "->" + std::to_string(units);
    } else {
      const bool depthwise = c % 3 == 2;
      window g{r.uniform_int(1, 2), r.uniform_int(1, 9), r.uniform_int(1, 9), r.uniform_int(1, depthwise ? 24 : 20),
               0, 0, r.uniform_int(1, 2), 1, r.uniform_int(0, 1) == 1};
      if (depthwise) {
        g.kh = r.uniform_int(0, 2) == 0 ? r.uniform_int(1, 5) : 3;
        g.kw = r.uniform_int(0, 2) == 0 ? r.uniform_int(1, 5) : 3;
        g.dil = r.uniform_int(0, 3) == 0 ? 2 : 1;
      } else {
        g.kh = r.uniform_int(1, 3) + (r.uniform_int(0, 7) == 0 ? 2 : 0);
        g.kw = r.uniform_int(1, 3);
        g.dil = r.uniform_int(1, 2);
      }
      if (g.out_h() <= 0 || g.out_w() <= 0) continue;
      const int mult = depthwise && r.uniform_int(0, 3) == 0 ? r.uniform_int(2, 4) : 1;
      const int oc = depthwise ? g.ch * mult : r.uniform_int(1, 40);
      const bool per_channel = r.uniform_int(0, 3) != 0;
      const hybrid_constants k =
          random_constants(r, static_cast<std::size_t>(oc * g.kh * g.kw * (depthwise ? 1 : g.ch)),
                           per_channel ? static_cast<std::size_t>(oc) : 1, oc, has_bias);
      input = random_input(r, static_cast<std::size_t>(g.n * g.h * g.w * g.ch), special);
      spec = depthwise ? depthwise_model(g, mult, act, k) : conv_model(g, oc, act, k);
      label = std::string(depthwise ? "DEPTHWISE_CONV_2D " : "CONV_2D ") + g.text() + " -> " + std::to_string(oc);
    }
    CAPTURE(c);
    CAPTURE(label);
    CAPTURE(special);
    const std::vector<float> expected = run_one(spec, input, kernels::target::reference());
    for (const kernels::target t : targets) {
      CAPTURE(t.name());
      CHECK(bit_differences(run_one(spec, input, t), expected) == 0);
    }
    ++layers;
  }
  CHECK(layers > 180);
}

}  // namespace hybrid_test
