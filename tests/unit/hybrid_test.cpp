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
#include "tflite_test_models.hpp"

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
    if (kind == 0) {
      const int batches = r.i32(), depth = r.i32(), units = r.i32(), asymmetric = r.i32(), scale_count = r.i32(),
                act = r.i32(), has_bias = r.i32();
      input = r.array<float>(static_cast<std::size_t>(batches * depth));
      const auto w = r.array<std::int8_t>(static_cast<std::size_t>(units * depth));
      const auto scales = r.array<float>(static_cast<std::size_t>(scale_count));
      const auto bias = has_bias ? r.array<float>(static_cast<std::size_t>(units)) : std::vector<float>{};
      expected = r.array<float>(static_cast<std::size_t>(batches * units));
      spec.tensors.push_back(tfl::activation({batches, depth}, "input"));
      spec.tensors.push_back(int8_weights({units, depth}, w, scales));
      spec.tensors.push_back(tfl::activation({batches, units}, "output"));
      if (has_bias) spec.tensors.push_back(tfl::constant({units}, tfl::bytes_of(bias), "bias"));
      spec.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, scale_count > 1 ? 12 : asymmetric ? 9 : 3, {0, 1, has_bias ? 3 : -1}, {2}));
      spec.ops.back().options = [act, asymmetric](flatbuffers::FlatBufferBuilder& b) {
        return std::pair{fb::BuiltinOptions::FullyConnectedOptions,
                         fb::CreateFullyConnectedOptions(b, static_cast<std::int8_t>(act), 0, false, asymmetric != 0).Union()};
      };
      label = "FULLY_CONNECTED " + std::to_string(batches) + "x" + std::to_string(depth) + "->" + std::to_string(units) +
              (asymmetric ? " asymmetric" : " symmetric") + (scale_count > 1 ? " per-channel" : " per-tensor");
      ++fc_cases;
    } else if (kind == 2) {
      const int n = r.i32(), h = r.i32(), w_ = r.i32(), ch = r.i32(), mult = r.i32(), kh = r.i32(), kw = r.i32(),
                stride = r.i32(), dil = r.i32(), same = r.i32(), act = r.i32(), has_bias = r.i32();
      const int oc = ch * mult;
      input = r.array<float>(static_cast<std::size_t>(n * h * w_ * ch));
      const auto w = r.array<std::int8_t>(static_cast<std::size_t>(kh * kw * oc));
      const auto scales = r.array<float>(static_cast<std::size_t>(oc));
      const auto bias = has_bias ? r.array<float>(static_cast<std::size_t>(oc)) : std::vector<float>{};
      auto out_size = [&](int in, int k) {
        return same ? (in + stride - 1) / stride : (in - ((k - 1) * dil + 1) + stride) / stride;
      };
      const int oh = out_size(h, kh), ow = out_size(w_, kw);
      expected = r.array<float>(static_cast<std::size_t>(n * oh * ow * oc));
      spec.tensors.push_back(tfl::activation({n, h, w_, ch}, "input"));
      tfl::tensor_spec weights = int8_weights({1, kh, kw, oc}, w, scales);
      weights.quantized_dimension = 3;
      spec.tensors.push_back(weights);
      spec.tensors.push_back(tfl::activation({n, oh, ow, oc}, "output"));
      if (has_bias) spec.tensors.push_back(tfl::constant({oc}, tfl::bytes_of(bias), "bias"));
      spec.ops.push_back(tfl::op(4 /*DEPTHWISE_CONV_2D*/, 6, {0, 1, has_bias ? 3 : -1}, {2}));
      spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
        return std::pair{fb::BuiltinOptions::DepthwiseConv2DOptions,
                         fb::CreateDepthwiseConv2DOptions(b, same ? 0 : 1, stride, stride, mult,
                                                          static_cast<std::int8_t>(act), dil, dil).Union()};
      };
      label = "DEPTHWISE_CONV_2D " + std::to_string(kh) + "x" + std::to_string(kw) + " x" + std::to_string(mult) +
              " stride " + std::to_string(stride) + " dilation " + std::to_string(dil);
      ++depthwise_cases;
    } else {
      REQUIRE(kind == 1);
      const int n = r.i32(), h = r.i32(), w_ = r.i32(), ch = r.i32(), oc = r.i32(), kh = r.i32(), kw = r.i32(),
                stride = r.i32(), dil = r.i32(), same = r.i32(), per_channel = r.i32(), act = r.i32(), has_bias = r.i32();
      input = r.array<float>(static_cast<std::size_t>(n * h * w_ * ch));
      const auto w = r.array<std::int8_t>(static_cast<std::size_t>(oc * kh * kw * ch));
      const auto scales = r.array<float>(static_cast<std::size_t>(oc));
      const auto bias = has_bias ? r.array<float>(static_cast<std::size_t>(oc)) : std::vector<float>{};
      auto out_size = [&](int in, int k) {
        return same ? (in + stride - 1) / stride : (in - ((k - 1) * dil + 1) + stride) / stride;
      };
      const int oh = out_size(h, kh), ow = out_size(w_, kw);
      expected = r.array<float>(static_cast<std::size_t>(n * oh * ow * oc));
      spec.tensors.push_back(tfl::activation({n, h, w_, ch}, "input"));
      // Per-tensor cases store the one scale repeated, as a converter
      // writing per-channel scales that happen to be equal would.
      spec.tensors.push_back(int8_weights({oc, kh, kw, ch}, w, per_channel ? scales : std::vector<float>{scales[0]}));
      spec.tensors.push_back(tfl::activation({n, oh, ow, oc}, "output"));
      if (has_bias) spec.tensors.push_back(tfl::constant({oc}, tfl::bytes_of(bias), "bias"));
      spec.ops.push_back(tfl::op(3 /*CONV_2D*/, per_channel ? 5 : 2, {0, 1, has_bias ? 3 : -1}, {2}));
      spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
        return std::pair{fb::BuiltinOptions::Conv2DOptions,
                         fb::CreateConv2DOptions(b, same ? 0 : 1, stride, stride, static_cast<std::int8_t>(act), dil, dil).Union()};
      };
      label = "CONV_2D " + std::to_string(kh) + "x" + std::to_string(kw) + " stride " + std::to_string(stride) +
              " dilation " + std::to_string(dil) + (per_channel ? " per-channel" : " per-tensor");
      ++conv_cases;
    }
    spec.inputs = {0};
    spec.outputs = {2};
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

/// xorshift32: the random layers below, the same on every run.
struct random_bits {
  std::uint32_t state = 2463534242u;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
  int in(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint32_t>(hi - lo + 1)); }
  float real(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(next() >> 8) / 16777216.0f; }
};

/// Random values in [-2, 2]; `special` makes them zeros, or puts a -0, a
/// NaN, an infinity or a huge value in, or half steps (what the
/// quantization must round as TFLite does, and survive, never with UB).
std::vector<float> random_input(random_bits& r, std::size_t n, int special) {
  std::vector<float> x(n);
  for (float& v : x) v = r.real(-2.0f, 2.0f);
  if (special == 1) std::fill(x.begin(), x.end(), 0.0f);  // TFLite's all-zero shortcut
  if (special == 2) x[r.next() % n] = -0.0f;
  if (special == 3) x[r.next() % n] = std::nanf("");
  if (special == 4) x[r.next() % n] = -INFINITY;
  if (special == 5)
    for (float& v : x) v = std::max(v, 0.0f);  // a ReLU's output: the range starts at 0
  if (special == 6) x[r.next() % n] = INFINITY;  // the scale infinite: inf * 0 on the way
  if (special == 7) x[r.next() % n] = -3e37f;   // one value sets the range, the rest round to 0
  if (special == 8)  // values on the grid's half steps: rounding half away from zero decides
    for (float& v : x) v = static_cast<float>(r.in(-254, 254)) / 127.0f * 0.5f;
  return x;
}

}  // namespace

TEST_CASE("hybrid FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D: every target gives the reference kernels' bits on "
          "random layers") {
  random_bits r;
  const std::vector<kernels::target> targets = kernels::usable_targets();
  int layers = 0;
  for (int c = 0; c < 240; ++c) {
    tfl::model_spec spec;
    std::string label;
    std::vector<float> input;
    const int act = std::vector<int>{0, 1, 2, 3}[static_cast<std::size_t>(r.in(0, 3))];  // none, relu, relu_n1_to_1, relu6
    const bool has_bias = r.in(0, 3) != 0;
    const int special = r.in(0, 11);
    if (c % 3 == 2) {
      const int n = r.in(1, 2), h = r.in(1, 9), w_ = r.in(1, 9), ch = r.in(1, 24), mult = r.in(0, 3) == 0 ? r.in(2, 4) : 1;
      const int kh = r.in(0, 2) == 0 ? r.in(1, 5) : 3, kw = r.in(0, 2) == 0 ? r.in(1, 5) : 3;
      const int stride = r.in(1, 2), dil = r.in(0, 3) == 0 ? 2 : 1, same = r.in(0, 1), oc = ch * mult;
      auto out_size = [&](int in, int k) {
        return same ? (in + stride - 1) / stride : (in - ((k - 1) * dil + 1) + stride) / stride;
      };
      const int oh = out_size(h, kh), ow = out_size(w_, kw);
      if (oh <= 0 || ow <= 0) continue;
      std::vector<std::int8_t> w(static_cast<std::size_t>(kh * kw * oc));
      for (auto& v : w) v = static_cast<std::int8_t>(r.in(-127, 127));
      std::vector<float> scales(r.in(0, 3) == 0 ? 1 : static_cast<std::size_t>(oc));
      for (float& s : scales) s = r.real(0.001f, 0.05f);
      std::vector<float> bias(static_cast<std::size_t>(oc));
      for (float& b : bias) b = r.next() % 7 == 0 ? -0.0f : r.real(-1.0f, 1.0f);
      input = random_input(r, static_cast<std::size_t>(n * h * w_ * ch), special);
      spec.tensors.push_back(tfl::activation({n, h, w_, ch}, "input"));
      tfl::tensor_spec weights = int8_weights({1, kh, kw, oc}, w, scales);
      weights.quantized_dimension = 3;
      spec.tensors.push_back(weights);
      spec.tensors.push_back(tfl::activation({n, oh, ow, oc}, "output"));
      if (has_bias) spec.tensors.push_back(tfl::constant({oc}, tfl::bytes_of(bias), "bias"));
      spec.ops.push_back(tfl::op(4 /*DEPTHWISE_CONV_2D*/, 6, {0, 1, has_bias ? 3 : -1}, {2}));
      spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
        return std::pair{fb::BuiltinOptions::DepthwiseConv2DOptions,
                         fb::CreateDepthwiseConv2DOptions(b, same ? 0 : 1, stride, stride, mult,
                                                          static_cast<std::int8_t>(act), dil, dil).Union()};
      };
      label = "DEPTHWISE_CONV_2D " + std::to_string(n) + "x" + std::to_string(h) + "x" + std::to_string(w_) + "x" +
              std::to_string(ch) + " x" + std::to_string(mult) + ", " + std::to_string(kh) + "x" + std::to_string(kw) +
              " stride " + std::to_string(stride) + " dilation " + std::to_string(dil) + (same ? " SAME" : " VALID");
    } else if (c % 3 == 0) {
      const int batches = r.in(1, 4), depth = r.in(1, 70), units = r.in(1, 40), asymmetric = r.in(0, 1);
      const bool per_channel = r.in(0, 1) == 1;
      std::vector<std::int8_t> w(static_cast<std::size_t>(units * depth));
      for (auto& v : w) v = static_cast<std::int8_t>(r.in(-127, 127));
      std::vector<float> scales(per_channel ? static_cast<std::size_t>(units) : 1);
      for (float& s : scales) s = r.real(0.001f, 0.05f);
      std::vector<float> bias(static_cast<std::size_t>(units));
      for (float& b : bias) b = r.next() % 7 == 0 ? -0.0f : r.real(-1.0f, 1.0f);
      input = random_input(r, static_cast<std::size_t>(batches * depth), special);
      spec.tensors.push_back(tfl::activation({batches, depth}, "input"));
      spec.tensors.push_back(int8_weights({units, depth}, w, scales));
      spec.tensors.push_back(tfl::activation({batches, units}, "output"));
      if (has_bias) spec.tensors.push_back(tfl::constant({units}, tfl::bytes_of(bias), "bias"));
      spec.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, per_channel ? 12 : asymmetric ? 9 : 3, {0, 1, has_bias ? 3 : -1}, {2}));
      spec.ops.back().options = [act, asymmetric](flatbuffers::FlatBufferBuilder& b) {
        return std::pair{fb::BuiltinOptions::FullyConnectedOptions,
                         fb::CreateFullyConnectedOptions(b, static_cast<std::int8_t>(act), 0, false, asymmetric != 0).Union()};
      };
      label = "FULLY_CONNECTED " + std::to_string(batches) + "x" + std::to_string(depth) + "->" + std::to_string(units);
    } else {
      const int n = r.in(1, 2), h = r.in(1, 9), w_ = r.in(1, 9), ch = r.in(1, 20), oc = r.in(1, 40);
      const int kh = r.in(1, 3) + (r.in(0, 7) == 0 ? 2 : 0), kw = r.in(1, 3), stride = r.in(1, 2), dil = r.in(1, 2);
      const int same = r.in(0, 1);
      const bool per_channel = r.in(0, 1) == 1;
      auto out_size = [&](int in, int k) {
        return same ? (in + stride - 1) / stride : (in - ((k - 1) * dil + 1) + stride) / stride;
      };
      const int oh = out_size(h, kh), ow = out_size(w_, kw);
      if (oh <= 0 || ow <= 0) continue;
      std::vector<std::int8_t> w(static_cast<std::size_t>(oc * kh * kw * ch));
      for (auto& v : w) v = static_cast<std::int8_t>(r.in(-127, 127));
      std::vector<float> scales(per_channel ? static_cast<std::size_t>(oc) : 1);
      for (float& s : scales) s = r.real(0.001f, 0.05f);
      std::vector<float> bias(static_cast<std::size_t>(oc));
      for (float& b : bias) b = r.next() % 7 == 0 ? -0.0f : r.real(-1.0f, 1.0f);
      input = random_input(r, static_cast<std::size_t>(n * h * w_ * ch), special);
      spec.tensors.push_back(tfl::activation({n, h, w_, ch}, "input"));
      spec.tensors.push_back(int8_weights({oc, kh, kw, ch}, w, scales));
      spec.tensors.push_back(tfl::activation({n, oh, ow, oc}, "output"));
      if (has_bias) spec.tensors.push_back(tfl::constant({oc}, tfl::bytes_of(bias), "bias"));
      spec.ops.push_back(tfl::op(3 /*CONV_2D*/, per_channel ? 5 : 2, {0, 1, has_bias ? 3 : -1}, {2}));
      spec.ops.back().options = [=](flatbuffers::FlatBufferBuilder& b) {
        return std::pair{fb::BuiltinOptions::Conv2DOptions,
                         fb::CreateConv2DOptions(b, same ? 0 : 1, stride, stride, static_cast<std::int8_t>(act), dil, dil).Union()};
      };
      label = "CONV_2D " + std::to_string(n) + "x" + std::to_string(h) + "x" + std::to_string(w_) + "x" +
              std::to_string(ch) + " -> " + std::to_string(oc) + ", " + std::to_string(kh) + "x" + std::to_string(kw) +
              " stride " + std::to_string(stride) + " dilation " + std::to_string(dil) + (same ? " SAME" : " VALID");
    }
    spec.inputs = {0};
    spec.outputs = {2};
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
