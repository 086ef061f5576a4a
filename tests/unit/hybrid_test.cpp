// The dynamic-range scheme (quant/dynamic_range.hpp) and TFLite's hybrid
// kernels (kernels/reference/hybrid.hpp): outputs bit for bit against
// outputs of TFLite's own reference code (tests/data/hybrid_goldens.bin:
// generated inputs, weights and the outputs TFLite's portable tensor utils,
// EvalHybridDense, HybridConvPerChannel / HybridConv and
// DepthwiseConvHybridPerChannel computed for them,
// run outside this repository), through the runtime path.
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

/// Runs a one-op model on `input` and returns its output.
std::vector<float> run_one(const tfl::model_spec& spec, const std::vector<float>& input) {
  auto m = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec)));
  runtime::interpreter run(m);
  auto in = run.input<float>(0);
  REQUIRE(in.size() == input.size());
  std::copy(input.begin(), input.end(), in.begin());
  run.invoke();
  const auto out = run.output<float>(0);
  return {out.begin(), out.end()};
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
    CHECK(bit_differences(run_one(spec, input), expected) == 0);
  }
  CHECK(r.at == r.bytes.size());
  CHECK(fc_cases == 10);
  CHECK(conv_cases == 9);
  CHECK(depthwise_cases == 5);
}
