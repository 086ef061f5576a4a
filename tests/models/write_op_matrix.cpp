// tests/models/write_op_matrix.cpp: writes one single-op .tflite model per
// (op, dtype variant) that qfence runs, and one per error a runtime prepare
// reports, for tests/models/both_paths.py:
//   DIR/<case>/model.tflite        every case
//   DIR/<case>/expect_error.txt    error cases: a text both `qfence run` and
//                                  `qfence embed` must report
//   DIR/<case>/sequence.txt        streaming cases: how many invokes to run
//                                  in a row (`qfence run --sequence N`)
//   DIR/<case>/runtime_only.txt    cases only the runtime path runs (control
//                                  flow): the text `qfence embed` refuses with
//   DIR/<case>/covers.txt          other ops the case tests, one per line (for
//                                  the op table's check)
// Valid cases run on both paths and must give the same bytes; error cases
// must be refused by both with the same rule text. Together they cover every
// op on both paths with its int8, uint8, int16 and float variants, including
// the ones no shared model exercises.
//
// usage: write_op_matrix DIR
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "flatbuffers/flexbuffers.h"
#include "tflite_test_models.hpp"

namespace {

using namespace qtest::tfl;

constexpr std::int8_t F32 = 0, I32 = 2, U8 = 3, I64 = 4, BOOL = 6, I16 = 7, I8 = 9, U64 = 12, U32 = 15;

struct dtype_case {
  const char* tag;
  std::int8_t type;
  float in_scale;
  std::int64_t in_zp;
  float out_scale;
  std::int64_t out_zp;
};
// Activation parameters per variant: int16 is symmetric (zero point 0).
constexpr dtype_case i8{"i8", I8, 0.05f, -3, 0.08f, 5};
constexpr dtype_case u8{"u8", U8, 0.05f, 120, 0.08f, 130};
constexpr dtype_case i16{"i16", I16, 1.0f / 1024, 0, 1.0f / 512, 0};
constexpr dtype_case f32{"f32", F32, 0, 0, 0, 0};

/// Deterministic constant data.
struct lcg {
  std::uint32_t s = 12345;
  std::uint32_t next() { return s = s * 1664525u + 1013904223u; }
  int in(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint32_t>(hi - lo + 1)); }
};
lcg rng;

std::int64_t elements(const std::vector<int>& shape) {
  std::int64_t n = 1;
  for (int d : shape) n *= d;
  return n;
}

tensor_spec act(std::vector<int> shape, const dtype_case& d, bool output, std::string name) {
  tensor_spec t = activation(std::move(shape), std::move(name), d.type);
  if (d.type != F32) {
    t.scales = {output ? d.out_scale : d.in_scale};
    t.zero_points = {output ? d.out_zp : d.in_zp};
  }
  return t;
}
tensor_spec act_q(std::vector<int> shape, std::int8_t type, float scale, std::int64_t zp, std::string name) {
  tensor_spec t = activation(std::move(shape), std::move(name), type);
  t.scales = {scale};
  t.zero_points = {zp};
  return t;
}

template <class T>
tensor_spec values(std::vector<int> shape, std::int8_t type, const std::vector<T>& v, std::string name) {
  return constant(std::move(shape), bytes_of(v), std::move(name), type);
}
tensor_spec ints(std::vector<int> shape, const std::vector<std::int32_t>& v, std::string name = "params") {
  return values(std::move(shape), I32, v, std::move(name));
}

/// Weights of `shape` for an activation variant: float, uint8 (per-tensor,
/// zero point 128), or int8 symmetric per-channel along `axis`.
tensor_spec weights(std::vector<int> shape, const dtype_case& d, int axis, bool per_channel = true) {
  const std::int64_t n = elements(shape);
  if (d.type == F32) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = static_cast<float>(rng.in(-100, 100)) / 128.0f;
    return values(shape, F32, v, "weights");
  }
  if (d.type == U8) {
    std::vector<std::uint8_t> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = static_cast<std::uint8_t>(rng.in(0, 255));
    tensor_spec t = values(shape, U8, v, "weights");
    t.scales = {0.02f};
    t.zero_points = {128};
    return t;
  }
  std::vector<std::int8_t> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<std::int8_t>(rng.in(-127, 127));
  tensor_spec t = values(shape, I8, v, "weights");
  const int channels = per_channel ? shape[static_cast<std::size_t>(axis)] : 1;
  for (int c = 0; c < channels; ++c) {
    t.scales.push_back(0.01f + 0.005f * static_cast<float>(c));
    t.zero_points.push_back(0);
  }
  t.quantized_dimension = per_channel ? axis : 0;
  return t;
}

/// A bias of `channels` for a layer of variant `d` whose weights are `w`:
/// int32 (int64 for int16 activations) with scale input_scale * weight_scale.
tensor_spec bias(int channels, const dtype_case& d, const tensor_spec& w) {
  if (d.type == F32) {
    std::vector<float> v(static_cast<std::size_t>(channels));
    for (auto& x : v) x = static_cast<float>(rng.in(-50, 50)) / 64.0f;
    return values({channels}, F32, v, "bias");
  }
  tensor_spec t;
  if (d.type == I16) {
    std::vector<std::int64_t> v(static_cast<std::size_t>(channels));
    for (auto& x : v) x = rng.in(-20000, 20000);
    t = values({channels}, I64, v, "bias");
  } else {
    std::vector<std::int32_t> v(static_cast<std::size_t>(channels));
    for (auto& x : v) x = rng.in(-2000, 2000);
    t = values({channels}, I32, v, "bias");
  }
  for (int c = 0; c < channels; ++c) {
    t.scales.push_back(d.in_scale * w.scales[w.scales.size() == 1 ? 0 : static_cast<std::size_t>(c)]);
    t.zero_points.push_back(0);
  }
  return t;
}

using options_fn = decltype(op_spec::options);

struct case_spec {
  std::string name;
  model_spec model;
  std::string expect_error;  // empty: a valid case
  int sequence = 0;          // > 0: run as a stream of this many invokes (state carried)
  std::string runtime_only{};  // a valid case `qfence embed` refuses with this text
  std::vector<std::string> covers{};  // other ops the case tests besides the one it is named for
};
std::vector<case_spec> cases;

/// One op over `tensors`: inputs are the tensors without data (in order),
/// unless `inputs` says otherwise; `outputs` are tensor indices.
void add(std::string name, std::int32_t code, int version, std::vector<tensor_spec> tensors, std::vector<int> op_inputs,
         std::vector<int> outputs, options_fn options = {}, std::string expect_error = {}) {
  model_spec m;
  m.tensors = std::move(tensors);
  m.ops.push_back(op(code, version, op_inputs, outputs));
  m.ops.back().options = std::move(options);
  for (int t : op_inputs)
    if (t >= 0 && m.tensors[static_cast<std::size_t>(t)].data.empty() && !m.tensors[static_cast<std::size_t>(t)].variable)
      m.inputs.push_back(t);
  m.outputs = std::move(outputs);
  cases.push_back({std::move(name), std::move(m), std::move(expect_error)});
}

options_fn conv_options(int padding, int stride, int fused, int dilation = 1) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::Conv2DOptions,
                     fb::CreateConv2DOptions(b, static_cast<std::int8_t>(padding), stride, stride,
                                             static_cast<std::int8_t>(fused), dilation, dilation)
                         .Union()};
  };
}
options_fn depthwise_options(int padding, int stride, int multiplier, int fused) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::DepthwiseConv2DOptions,
                     fb::CreateDepthwiseConv2DOptions(b, static_cast<std::int8_t>(padding), stride, stride, multiplier,
                                                      static_cast<std::int8_t>(fused))
                         .Union()};
  };
}
options_fn pool_options(int filter, int stride, int padding) {
  return [=](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::Pool2DOptions,
                     fb::CreatePool2DOptions(b, static_cast<std::int8_t>(padding), stride, stride, filter, filter).Union()};
  };
}
template <class Make>
options_fn table(fb::BuiltinOptions type, Make make) {
  return [=](flatbuffers::FlatBufferBuilder& b) { return std::pair{type, make(b).Union()}; };
}

constexpr int SAME = 0, VALID = 1, RELU = 1, RELU6 = 3;

/// A convolution's output: sums of tens of products need a wider scale than
/// the element-wise cases' outputs, or most values would saturate and the
/// comparison would say little.
tensor_spec conv_out(std::vector<int> shape, const dtype_case& d) {
  tensor_spec y = act(std::move(shape), d, true, "y");
  if (d.type == I16) y.scales = {1.0f / 16};
  if (d.type == I8 || d.type == U8) y.scales = {1.0f};
  return y;
}

void convolutions() {
  for (const dtype_case& d : {i8, u8, i16, f32}) {
    const std::string t = d.tag;
    {  // CONV_2D 3x3, stride 2, SAME, RELU: [1,5,5,3] -> [1,3,3,4]
      auto w = weights({4, 3, 3, 3}, d, 0);
      auto b = bias(4, d, w);
      add("conv2d_" + t, 3, d.type == I16 ? 4 : 3,
          {act({1, 5, 5, 3}, d, false, "x"), w, b, conv_out({1, 3, 3, 4}, d)}, {0, 1, 2}, {3},
          conv_options(SAME, 2, RELU));
    }
    if (d.type == I8) {  // RELU6 with the [0, 6] output scale real models use, 1x1: [1,4,4,8] -> [1,4,4,5]
      auto w = weights({5, 1, 1, 8}, d, 0);
      for (auto& x : w.scales) x /= 8;  // sums of a few units, so that RELU6 clamps some, not all
      auto b = bias(5, d, w);
      add("conv2d_1x1_relu6_i8", 3, 3,
          {act({1, 4, 4, 8}, d, false, "x"), w, b, act_q({1, 4, 4, 5}, I8, 6.0f / 255, -128, "y")}, {0, 1, 2}, {3},
          conv_options(VALID, 1, RELU6));
    }
    {  // CONV_2D 2x2 dilation 2, VALID, no bias: [1,5,5,2] -> [1,3,3,3]
      auto w = weights({3, 2, 2, 2}, d, 0);
      add("conv2d_dilated_" + t, 3, d.type == I16 ? 4 : 3,
          {act({1, 5, 5, 2}, d, false, "x"), w, conv_out({1, 3, 3, 3}, d)}, {0, 1, -1}, {2},
          conv_options(VALID, 1, 0, 2));
    }
    {  // DEPTHWISE_CONV_2D 3x3, multiplier 2, VALID: [1,4,4,2] -> [1,2,2,4]
      auto w = weights({1, 3, 3, 4}, d, 3);
      auto b = bias(4, d, w);
      add("depthwise_" + t, 4, d.type == I16 ? 5 : 3,
          {act({1, 4, 4, 2}, d, false, "x"), w, b, conv_out({1, 2, 2, 4}, d)}, {0, 1, 2}, {3},
          depthwise_options(VALID, 1, 2, RELU));
    }
    {  // FULLY_CONNECTED [2,6] x [3,6]^T -> [2,3]
      auto w = weights({3, 6}, d, 0, /*per_channel=*/false);
      auto b = bias(3, d, w);
      add("fully_connected_" + t, 9, d.type == I16 ? 7 : 4,
          {act({2, 6}, d, false, "x"), w, b, conv_out({2, 3}, d)}, {0, 1, 2}, {3});
    }
    if (d.type != U8) {  // TRANSPOSE_CONV 3x3 stride 2 SAME: [1,3,3,2] -> [1,6,6,3]
      auto w = weights({3, 3, 3, 2}, d, 0);
      auto b = bias(3, d, w);
      add("transpose_conv_" + t, 67, 3,
          {ints({4}, {1, 6, 6, 3}, "output_shape"), w, act({1, 3, 3, 2}, d, false, "x"), b,
           conv_out({1, 6, 6, 3}, d)},
          {0, 1, 2, 3}, {4},
          table(fb::BuiltinOptions::TransposeConvOptions,
                [](auto& b) { return fb::CreateTransposeConvOptions(b, SAME, 2, 2); }));
    }
  }
}

void elementwise() {
  for (const dtype_case& d : {i8, u8, i16, f32}) {
    const std::string t = d.tag;
    auto b_in = act({1, 1, 3}, d, false, "b");
    if (d.type != F32) b_in.scales = {d.in_scale * 2};
    const std::vector<tensor_spec> two{act({1, 2, 3}, d, false, "a"), b_in, act({1, 2, 3}, d, true, "y")};
    add("add_" + t, 0, d.type == I16 ? 3 : 2, two, {0, 1}, {2},
        table(fb::BuiltinOptions::AddOptions, [](auto& b) { return fb::CreateAddOptions(b, 0, false); }));
    add("sub_" + t, 41, d.type == I16 ? 3 : 2, two, {0, 1}, {2},
        table(fb::BuiltinOptions::SubOptions, [](auto& b) { return fb::CreateSubOptions(b, RELU, false); }));
    add("mul_" + t, 18, d.type == I16 ? 3 : 2, two, {0, 1}, {2});
    if (d.type == I16) {
      // The case above saturates every int16 output (|a b| reaches 2048 at
      // an output scale of 1/512); here the output holds the products.
      add("mul_i16_in_range", 18, 4, {two[0], two[1], act_q({1, 2, 3}, I16, 2048.0f / 32767, 0, "y")}, {0, 1}, {2},
          table(fb::BuiltinOptions::MulOptions, [](auto& b) { return fb::CreateMulOptions(b, RELU); }));
    }
    // MAXIMUM / MINIMUM keep the quantization: every tensor shares it.
    const std::vector<tensor_spec> same{act({1, 2, 3}, d, false, "a"), act({1, 1, 3}, d, false, "b"),
                                        act({1, 2, 3}, d, false, "y")};
    if (d.type != U8) {
      add("maximum_" + t, 55, 2, same, {0, 1}, {2});
      add("minimum_" + t, 57, 2, same, {0, 1}, {2});
    }
  }
  // ADD_N: three inputs; int8 (TFLM only) with zero points at both ends.
  add("add_n_f32", 106, 1,
      {act({2, 3}, f32, false, "a"), act({2, 3}, f32, false, "b"), act({2, 3}, f32, false, "c"), act({2, 3}, f32, true, "y")},
      {0, 1, 2}, {3});
  add("add_n_i32", 106, 1,
      {activation({4}, "a", I32), activation({4}, "b", I32), activation({4}, "y", I32)}, {0, 1}, {2});
  for (const auto& [zp, tag] : {std::pair<std::int64_t, const char*>{-128, "low"}, {0, "zero"}, {127, "high"}}) {
    add(std::string("add_n_i8_zp_") + tag, 106, 1,
        {act_q({2, 5}, I8, 0.05f, zp, "a"), act_q({2, 5}, I8, 0.05f, zp, "b"), act_q({2, 5}, I8, 0.05f, zp, "c"),
         act_q({2, 5}, I8, 0.5f, -3, "y")},
        {0, 1, 2}, {3});
  }
  // CUMSUM: inclusive/exclusive, forward/reversed; int8 (TFLM) rescaled.
  {
    const auto cumsum = [](bool exclusive, bool reverse) {
      return table(fb::BuiltinOptions::CumsumOptions,
                   [=](auto& b) { return fb::CreateCumsumOptions(b, exclusive, reverse); });
    };
    add("cumsum_f32", 128, 1, {act({2, 3, 4}, f32, false, "x"), ints({}, {1}, "axis"), act({2, 3, 4}, f32, false, "y")},
        {0, 1}, {2}, cumsum(false, false));
    add("cumsum_f32_exclusive_reverse", 128, 1,
        {act({2, 5}, f32, false, "x"), ints({}, {-1}, "axis"), act({2, 5}, f32, false, "y")}, {0, 1}, {2}, cumsum(true, true));
    add("cumsum_i32", 128, 1, {activation({3, 2}, "x", I32), ints({}, {0}, "axis"), activation({3, 2}, "y", I32)}, {0, 1},
        {2}, cumsum(false, true));
    add("cumsum_i8", 128, 1,
        {act_q({2, 6}, I8, 0.05f, -128, "x"), ints({}, {1}, "axis"), act_q({2, 6}, I8, 0.2f, -100, "y")}, {0, 1}, {2},
        cumsum(false, false));
    add("cumsum_i8_exclusive", 128, 1,
        {act_q({3, 4}, I8, 0.05f, 10, "x"), ints({}, {0}, "axis"), act_q({3, 4}, I8, 0.1f, 0, "y")}, {0, 1}, {2},
        cumsum(true, false));
  }
  // ELU: float (expm1) and int8 (TFLM's table).
  add("elu_f32", 111, 1, {act({2, 7}, f32, false, "x"), act({2, 7}, f32, true, "y")}, {0}, {1});
  add("elu_i8", 111, 1, {act_q({3, 5}, I8, 0.05f, 10, "x"), act_q({3, 5}, I8, 0.04f, -100, "y")}, {0}, {1});
  // HARD_SWISH: float; int8/uint8 fixed point with the relu-ish multiplier
  // shifted left (coarse input), right (fine input) and neither.
  add("hard_swish_f32", 117, 1, {act({2, 7}, f32, false, "x"), act({2, 7}, f32, true, "y")}, {0}, {1});
  add("hard_swish_f32_edges", 117, 1,
      {values({12}, F32, std::vector<float>{-7.0f, -3.0f, -2.9999998f, -1.5f, -0.0f, 0.0f, 0.7f, 2.9999998f, 3.0f, 3.25f,
                                            100.0f, -1e-30f},
              "x"),
       act({12}, f32, true, "y")},
      {0}, {1});
  add("hard_swish_i8", 117, 1, {act_q({3, 5}, I8, 0.05f, 10, "x"), act_q({3, 5}, I8, 0.04f, -100, "y")}, {0}, {1});
  add("hard_swish_i8_coarse", 117, 1, {act_q({4, 8}, I8, 0.5f, 0, "x"), act_q({4, 8}, I8, 0.3f, -20, "y")}, {0}, {1});
  add("hard_swish_i8_fine", 117, 1, {act_q({4, 8}, I8, 0.001f, 0, "x"), act_q({4, 8}, I8, 0.001f, -10, "y")}, {0},
      {1});
  add("hard_swish_u8", 117, 1, {act_q({3, 5}, U8, 0.05f, 128, "x"), act_q({3, 5}, U8, 0.04f, 10, "y")}, {0}, {1});
  // BATCH_MATMUL: float, int8 (zero points at both extremes), int16; each
  // adj_x/adj_y combination, broadcast batch dimensions, a constant rhs.
  {
    const auto matmul_options = [](bool adj_x, bool adj_y) {
      return table(fb::BuiltinOptions::BatchMatMulOptions,
                   [adj_x, adj_y](auto& b) { return fb::CreateBatchMatMulOptions(b, adj_x, adj_y, false); });
    };
    add("batch_matmul_f32", 126, 1,
        {act({2, 3, 4}, f32, false, "a"), act({2, 4, 5}, f32, false, "b"), act({2, 3, 5}, f32, true, "y")}, {0, 1}, {2},
        matmul_options(false, false));
    add("batch_matmul_f32_adj_x", 126, 1,
        {act({2, 4, 3}, f32, false, "a"), act({2, 4, 5}, f32, false, "b"), act({2, 3, 5}, f32, true, "y")}, {0, 1}, {2},
        matmul_options(true, false));
    add("batch_matmul_f32_adj_y_broadcast", 126, 1,
        {act({3, 1, 2, 6}, f32, false, "a"), act({4, 5, 6}, f32, false, "b"), act({3, 4, 2, 5}, f32, true, "y")},
        {0, 1}, {2}, matmul_options(false, true));
    add("batch_matmul_f32_rank5", 126, 1,
        {act({2, 1, 2, 2, 3}, f32, false, "a"), act({1, 3, 1, 3, 2}, f32, false, "b"), act({2, 3, 2, 2, 2}, f32, true, "y")},
        {0, 1}, {2}, matmul_options(false, false));
    add("batch_matmul_i8", 126, 2,
        {act_q({2, 3, 8}, I8, 0.05f, -3, "a"), act_q({2, 8, 4}, I8, 0.04f, 5, "b"), act_q({2, 3, 4}, I8, 0.2f, 2, "y")},
        {0, 1}, {2}, matmul_options(false, false));
    add("batch_matmul_i8_zero_points", 126, 2,
        {act_q({4, 16}, I8, 0.02f, -128, "a"), act_q({5, 16}, I8, 0.03f, 127, "b"), act_q({4, 5}, I8, 8.0f, 127, "y")},
        {0, 1}, {2}, matmul_options(false, true));
    add("batch_matmul_i8_constant_rhs", 126, 2,
        {act_q({1, 3, 6}, I8, 0.05f, 0, "a"), weights({6, 4}, i8, 0, false), act_q({1, 3, 4}, I8, 0.1f, 0, "y")},
        {0, 1}, {2}, matmul_options(false, false));
    add("batch_matmul_i16", 126, 3,
        {act_q({2, 8, 3}, I16, 1.0f / 1024, 0, "a"), act_q({2, 8, 4}, I16, 1.0f / 2048, 0, "b"),
         act_q({2, 3, 4}, I16, 1.0f / 256, 0, "y")},
        {0, 1}, {2}, matmul_options(true, false));
    add("batch_matmul_depths_differ", 126, 1,
        {act({3, 4}, f32, false, "a"), act({5, 2}, f32, false, "b"), act({3, 2}, f32, true, "y")}, {0, 1}, {2},
        matmul_options(false, false), "batch_matmul multiplies [..., M, K] by [..., K, N]");
  }
  // EMBEDDING_LOOKUP(ids, table): rows of a float, int8 or uint8 table;
  // TFLM's hybrid form reads an int8 table (zero point 0) into floats.
  {
    const auto table_i8 = [](std::vector<int> shape, float scale, std::int64_t zp, bool constant) {
      tensor_spec t;
      if (constant) {
        std::vector<std::int8_t> v(static_cast<std::size_t>(elements(shape)));
        for (auto& x : v) x = static_cast<std::int8_t>(rng.in(-128, 127));
        t = values(std::move(shape), I8, v, "table");
      } else {
        t = activation(std::move(shape), "table", I8);
      }
      t.scales = {scale};
      t.zero_points = {zp};
      return t;
    };
    add("embedding_lookup_f32", 7, 1, {ints({4}, {2, 0, 4, 2}, "ids"), act({5, 3}, f32, false, "table"),
                                       act({4, 3}, f32, true, "y")},
        {0, 1}, {2});
    add("embedding_lookup_f32_rank3", 7, 1, {ints({5}, {0, 3, 3, 1, 2}, "ids"), act({4, 2, 3}, f32, false, "table"),
                                             act({5, 2, 3}, f32, true, "y")},
        {0, 1}, {2});
    add("embedding_lookup_i8", 7, 1, {ints({3}, {5, 0, 2}, "ids"), table_i8({6, 4}, 0.1f, -5, false),
                                      act_q({3, 4}, I8, 0.1f, -5, "y")},
        {0, 1}, {2});
    add("embedding_lookup_i8_hybrid", 7, 1, {ints({3}, {1, 1, 0}, "ids"), table_i8({2, 7}, 0.05f, 0, true),
                                             act({3, 7}, f32, true, "y")},
        {0, 1}, {2});
    add("embedding_lookup_u8", 7, 1, {ints({2}, {1, 0}, "ids"), act_q({3, 4}, U8, 0.1f, 128, "table"),
                                      act_q({2, 4}, U8, 0.1f, 128, "y")},
        {0, 1}, {2});
    add("embedding_lookup_ids_rank", 7, 1, {ints({2, 1}, {1, 0}, "ids"), act({3, 4}, f32, false, "table"),
                                            act({2, 1, 4}, f32, true, "y")},
        {0, 1}, {2}, {}, "embedding_lookup takes i32 ids of rank 1");
    add("embedding_lookup_hybrid_zero_point", 7, 1, {ints({1}, {0}, "ids"), table_i8({2, 3}, 0.05f, 4, true),
                                                     act({1, 3}, f32, true, "y")},
        {0, 1}, {2}, {}, "embedding_lookup takes i32 ids of rank 1");
  }
  // GELU (TFLite only; TFLM refuses every case): float, exact and tanh
  // forms; int8, uint8, int16 as TFLite's tables.
  {
    const auto gelu_options = [](bool approximate) {
      return table(fb::BuiltinOptions::GeluOptions, [approximate](auto& b) { return fb::CreateGeluOptions(b, approximate); });
    };
    add("gelu_f32", 150, 1, {act({3, 7}, f32, false, "x"), act({3, 7}, f32, true, "y")}, {0}, {1}, gelu_options(false));
    add("gelu_f32_approximate", 150, 1, {act({3, 7}, f32, false, "x"), act({3, 7}, f32, true, "y")}, {0}, {1},
        gelu_options(true));
    add("gelu_i8", 150, 2, {act_q({4, 8}, I8, 0.04f, 10, "x"), act_q({4, 8}, I8, 0.03f, -60, "y")}, {0}, {1},
        gelu_options(false));
    add("gelu_i8_approximate", 150, 2, {act_q({4, 8}, I8, 0.04f, 10, "x"), act_q({4, 8}, I8, 0.03f, -60, "y")}, {0},
        {1}, gelu_options(true));
    add("gelu_u8", 150, 2, {act_q({2, 8}, U8, 0.05f, 128, "x"), act_q({2, 8}, U8, 0.03f, 20, "y")}, {0}, {1},
        gelu_options(false));
    add("gelu_i16", 150, 1, {act_q({2, 16}, I16, 1.0f / 4096, 0, "x"), act_q({2, 16}, I16, 1.0f / 4096, 0, "y")}, {0},
        {1}, gelu_options(false));
  }
  // L2_NORMALIZATION: float (a zero row takes the 1e-6 floor); int8 with
  // rows whose square sums are 0 and 1 (the inverse square root's special
  // case); uint8 (TFLite's).
  {
    const auto l2_options = [](int fused) {
      return table(fb::BuiltinOptions::L2NormOptions,
                   [fused](auto& b) { return fb::CreateL2NormOptions(b, static_cast<std::int8_t>(fused)); });
    };
    add("l2_normalization_f32", 11, 1, {act({3, 8}, f32, false, "x"), act({3, 8}, f32, true, "y")}, {0}, {1},
        l2_options(0));
    add("l2_normalization_f32_zero_row", 11, 1,
        {values({2, 4}, F32, std::vector<float>{0.0f, -0.0f, 0.0f, 0.0f, 3.0f, -4.0f, 1e-20f, 0.0f}, "x"),
         act({2, 4}, f32, true, "y")},
        {0}, {1}, l2_options(0));
    add("l2_normalization_i8", 11, 2, {act_q({2, 3, 16}, I8, 0.05f, 5, "x"), act_q({2, 3, 16}, I8, 1.0f / 128, 0, "y")},
        {0}, {1}, l2_options(0));
    add("l2_normalization_i8_small_sums", 11, 2,
        {[] {
           tensor_spec x = values({4, 2}, I8, std::vector<std::int8_t>{-3, -3, -3, -2, -4, -3, 0, -3}, "x");
           x.scales = {0.05f};
           x.zero_points = {-3};
           return x;
         }(),
         act_q({4, 2}, I8, 1.0f / 128, 0, "y")},
        {0}, {1}, l2_options(0));
    add("l2_normalization_u8", 11, 1, {act_q({2, 6}, U8, 0.05f, 128, "x"), act_q({2, 6}, U8, 1.0f / 128, 128, "y")},
        {0}, {1}, l2_options(0));
    add("l2_normalization_fused_relu", 11, 1, {act({2, 4}, f32, false, "x"), act({2, 4}, f32, true, "y")}, {0}, {1},
        l2_options(1), "an option of this node is out of range or not supported");
  }
  // LOG_SOFTMAX: float; int8 (fine and coarse input scales, where rows reach
  // the cut-off below their maximum) and uint8 (TFLite's).
  add("log_softmax_f32", 50, 1, {act({3, 7}, f32, false, "x"), act({3, 7}, f32, true, "y")}, {0}, {1});
  add("log_softmax_i8", 50, 2, {act_q({4, 10}, I8, 0.05f, 3, "x"), act_q({4, 10}, I8, 16.0f / 256, 127, "y")}, {0},
      {1});
  add("log_softmax_i8_coarse", 50, 2, {act_q({2, 3, 16}, I8, 0.25f, -128, "x"), act_q({2, 3, 16}, I8, 16.0f / 256, 127, "y")},
      {0}, {1});
  add("log_softmax_i8_fine", 50, 2, {act_q({2, 300}, I8, 0.004f, 0, "x"), act_q({2, 300}, I8, 16.0f / 256, 127, "y")},
      {0}, {1});
  add("log_softmax_u8", 50, 1, {act_q({2, 9}, U8, 0.1f, 128, "x"), act_q({2, 9}, U8, 16.0f / 256, 255, "y")}, {0}, {1});
  add("log_softmax_i8_output_params", 50, 2,
      {act_q({2, 4}, I8, 0.05f, 0, "x"), act_q({2, 4}, I8, 1.0f / 16, 0, "y")}, {0}, {1}, {},
      "this op's quantized output has fixed parameters");
  // PRELU: alpha broadcast per channel (a constant) or of the input's shape
  // (a second input); int16 takes int8 alpha; uint8 is TFLite's.
  {
    const auto alpha8 = [](std::vector<int> shape, std::int8_t type, float scale, std::int64_t zp,
                           std::vector<std::int8_t> v) {
      tensor_spec t = values(std::move(shape), type, v, "alpha");
      t.scales = {scale};
      t.zero_points = {zp};
      return t;
    };
    add("prelu_f32", 54, 1,
        {act({2, 3, 4}, f32, false, "x"), values({4}, F32, std::vector<float>{0.25f, -0.5f, 0.0f, 1.5f}, "alpha"),
         act({2, 3, 4}, f32, true, "y")},
        {0, 1}, {2});
    add("prelu_f32_same_shape", 54, 1,
        {act({2, 5}, f32, false, "x"), act({2, 5}, f32, false, "alpha"), act({2, 5}, f32, true, "y")}, {0, 1}, {2});
    add("prelu_i8", 54, 1,
        {act_q({2, 3, 4}, I8, 0.05f, 10, "x"), alpha8({1, 1, 4}, I8, 0.01f, -5, {25, -50, 0, 127}),
         act_q({2, 3, 4}, I8, 0.04f, -20, "y")},
        {0, 1}, {2});
    add("prelu_i8_zero_points", 54, 1,
        {act_q({3, 6}, I8, 0.02f, 127, "x"), act_q({3, 6}, I8, 0.03f, 127, "alpha"),
         act_q({3, 6}, I8, 0.2f, -128, "y")},
        {0, 1}, {2});
    add("prelu_i16", 54, 1,
        {act_q({2, 8}, I16, 1.0f / 1024, 0, "x"), alpha8({8}, I8, 0.02f, 3, {-100, -20, 0, 5, 17, 50, 90, 127}),
         act_q({2, 8}, I16, 1.0f / 2048, 0, "y")},
        {0, 1}, {2});
    add("prelu_u8", 54, 1,
        {act_q({2, 4}, U8, 0.05f, 128, "x"), act_q({4}, U8, 0.01f, 100, "alpha"), act_q({2, 4}, U8, 0.04f, 120, "y")},
        {0, 1}, {2});
    add("prelu_alpha_dtype", 54, 1,
        {act_q({2, 4}, I8, 0.05f, 0, "x"), act_q({4}, I16, 0.01f, 0, "alpha"), act_q({2, 4}, I8, 0.04f, 0, "y")},
        {0, 1}, {2}, {}, "prelu's alpha must broadcast to the input's shape");
    add("prelu_alpha_shape", 54, 1,
        {act({4}, f32, false, "x"), act({2, 4}, f32, false, "alpha"), act({4}, f32, true, "y")}, {0, 1}, {2}, {},
        "prelu's alpha must broadcast to the input's shape");
  }
  add("hard_swish_i8_output_scale", 117, 1,
      {act_q({3, 5}, I8, 0.05f, 0, "x"), act_q({3, 5}, I8, 0.0001f, 0, "y")}, {0}, {1}, {},
      "the output scale is too small for this op's fixed-point rescale");
  add("div_f32", 42, 1,
      {act({1, 2, 3}, f32, false, "a"), values({3}, F32, std::vector<float>{0.5f, -2.0f, 3.0f}, "b"),
       act({1, 2, 3}, f32, true, "y")},
      {0, 1}, {2});
  add("floor_div_f32", 90, 2,
      {act({2, 3}, f32, false, "a"), values({3}, F32, std::vector<float>{0.25f, -0.5f, 3.0f}, "b"),
       act({2, 3}, f32, true, "y")},
      {0, 1}, {2});
  // SQUARED_DIFFERENCE: each quantized operand at its own parameters.
  add("squared_difference_f32", 99, 1,
      {act({2, 3}, f32, false, "a"), values({3}, F32, std::vector<float>{0.5f, -2.0f, 3.0f}, "b"), act({2, 3}, f32, true, "y")},
      {0, 1}, {2});
  add("squared_difference_i32", 99, 1,
      {activation({2, 3}, "a", I32), ints({3}, {7, -3, 1000000}, "b"), activation({2, 3}, "y", I32)}, {0, 1}, {2});
  add("squared_difference_i8", 99, 2,
      {act({2, 5}, i8, false, "a"), act_q({2, 5}, I8, 0.08f, 5, "b"), act_q({2, 5}, I8, 0.5f, -128, "y")}, {0, 1}, {2});
  add("squared_difference_i8_broadcast", 99, 2,
      {act_q({2, 1, 3}, I8, 0.1f, 127, "a"), act_q({4, 1}, I8, 0.03f, -128, "b"), act_q({2, 4, 3}, I8, 0.5f, -100, "y")},
      {0, 1}, {2});
  add("squared_difference_i16", 99, 1,
      {act({2, 5}, i16, false, "a"), act_q({2, 5}, I16, 1.0f / 256, 0, "b"), act_q({2, 5}, I16, 0.5f, 0, "y")},
      {0, 1}, {2});
  add("floor_mod_f32", 95, 1,
      {act({2, 3}, f32, false, "a"), values({3}, F32, std::vector<float>{0.25f, -0.5f, 3.0f}, "b"),
       act({2, 3}, f32, true, "y")},
      {0, 1}, {2});
  add("floor_mod_i32", 95, 2,
      {activation({2, 3}, "a", I32), ints({3}, {7, -3, 1000000}, "b"), activation({2, 3}, "y", I32)}, {0, 1}, {2});
  add("floor_div_i32", 90, 2,
      {activation({2, 3}, "a", I32), ints({3}, {7, -3, 1000000}, "b"), activation({2, 3}, "y", I32)}, {0, 1}, {2});
}

void pooling_and_reductions() {
  for (const dtype_case& d : {i8, u8, i16, f32}) {
    const std::string t = d.tag;
    // Pools keep the quantization.
    add("average_pool_" + t, 1, 2, {act({1, 4, 4, 2}, d, false, "x"), act({1, 2, 2, 2}, d, false, "y")}, {0}, {1},
        pool_options(2, 2, VALID));
    add("max_pool_" + t, 17, 2, {act({1, 4, 5, 2}, d, false, "x"), act({1, 2, 3, 2}, d, false, "y")}, {0}, {1},
        pool_options(2, 2, SAME));
    if (d.type == F32)
      add("l2_pool_f32", 12, 1, {act({1, 5, 4, 3}, d, false, "x"), act({1, 3, 2, 3}, d, false, "y")}, {0}, {1},
          pool_options(2, 2, SAME));
    add("mean_" + t, 40, 2, {act({1, 3, 3, 2}, d, false, "x"), ints({2}, {1, 2}, "axis"), act({1, 1, 1, 2}, d, true, "y")},
        {0, 1}, {2}, table(fb::BuiltinOptions::ReducerOptions, [](auto& b) { return fb::CreateReducerOptions(b, true); }));
  }
  const auto keep = table(fb::BuiltinOptions::ReducerOptions, [](auto& b) { return fb::CreateReducerOptions(b, true); });
  const auto drop = table(fb::BuiltinOptions::ReducerOptions, [](auto& b) { return fb::CreateReducerOptions(b, false); });
  // SUM rescales (int8, int16); MAX and MIN keep the input's parameters.
  for (const dtype_case& d : {i8, i16, f32}) {
    const std::string t = d.tag;
    add("sum_" + t, 74, d.type == I8 ? 2 : 1,
        {act({2, 3, 5}, d, false, "x"), ints({1}, {1}, "axis"), act({2, 5}, d, true, "y")}, {0, 1}, {2}, drop);
    // The innermost axis reduced, longer than a vector, with a repeated and
    // a negative axis (counted once).
    add("reduce_max_" + t, 82, d.type == I8 ? 2 : d.type == I16 ? 3 : 1,
        {act({2, 3, 37}, d, false, "x"), ints({3}, {-1, 2, 0}, "axis"), act({1, 3, 1}, d, false, "y")}, {0, 1}, {2},
        keep);
    add("reduce_min_" + t, 89, d.type == I8 ? 2 : d.type == I16 ? 3 : 1,
        {act({4, 3, 5}, d, false, "x"), ints({1}, {1}, "axis"), act({4, 5}, d, false, "y")}, {0, 1}, {2}, drop);
  }
  // A sum of 6 int8 values into a wider scale (zero points at the low end;
  // the larger sums saturate), and one into the input's scale.
  add("sum_i8_wide", 74, 2,
      {act_q({2, 3, 4, 2}, I8, 0.05f, -128, "x"), ints({2}, {1, 2}, "axis"), act_q({2, 1, 1, 2}, I8, 0.5f, -128, "y")},
      {0, 1}, {2}, keep);
  add("sum_i8_saturate", 74, 2,
      {act_q({3, 8}, I8, 0.05f, -3, "x"), ints({1}, {-1}, "axis"), act_q({3}, I8, 0.05f, -3, "y")}, {0, 1}, {2}, drop);
  add("reduce_max_f32_rows", 82, 1,
      {act({5, 19}, f32, false, "x"), ints({1}, {0}, "axis"), act({19}, f32, false, "y")}, {0, 1}, {2}, drop);
  add("reduce_all_bool", 140, 1,
      {activation({2, 3, 2}, "x", BOOL), ints({2}, {0, 2}, "axis"), activation({3}, "y", BOOL)}, {0, 1}, {2}, drop);
  add("reduce_all_bool_inner", 140, 1,
      {activation({8, 2}, "x", BOOL), ints({1}, {1}, "axis"), activation({8, 1}, "y", BOOL)}, {0, 1}, {2}, keep);
}

void activations() {
  // Fixed output parameters of SOFTMAX / LOGISTIC / TANH per dtype, as TFLite requires.
  struct fixed {
    const dtype_case& d;
    float softmax_scale, logistic_scale, tanh_scale;
    std::int64_t softmax_zp, logistic_zp, tanh_zp;
  };
  for (const fixed& f : {fixed{i8, 1.0f / 256, 1.0f / 256, 1.0f / 128, -128, -128, 0},
                         fixed{u8, 1.0f / 256, 1.0f / 256, 1.0f / 128, 0, 0, 128},
                         fixed{i16, 1.0f / 32768, 1.0f / 32768, 1.0f / 32768, 0, 0, 0}}) {
    const std::string t = f.d.tag;
    auto x = act({2, 5}, f.d, false, "x");
    add("softmax_" + t, 25, 2, {x, act_q({2, 5}, f.d.type, f.softmax_scale, f.softmax_zp, "y")}, {0}, {1},
        table(fb::BuiltinOptions::SoftmaxOptions, [](auto& b) { return fb::CreateSoftmaxOptions(b, 1.0f); }));
    add("logistic_" + t, 14, 2, {x, act_q({2, 5}, f.d.type, f.logistic_scale, f.logistic_zp, "y")}, {0}, {1});
    add("tanh_" + t, 28, 2, {x, act_q({2, 5}, f.d.type, f.tanh_scale, f.tanh_zp, "y")}, {0}, {1});
  }
  // int16 input differences spanning the exp table's [-10, 0] and beyond, on
  // rows of 40 (softmax_i16's ±32 leaves most exponentials at the floor).
  add("softmax_i16_wide", 25, 3, {act_q({3, 40}, I16, 12.0f / 32767, 0, "x"), act_q({3, 40}, I16, 1.0f / 32768, 0, "y")},
      {0}, {1}, table(fb::BuiltinOptions::SoftmaxOptions, [](auto& b) { return fb::CreateSoftmaxOptions(b, 0.5f); }));
  // int16 LOGISTIC / TANH: an input scale that is not a power of two (the
  // multiplier path) over the table's whole range and past it, and the
  // power-of-two scales TFLite treats apart (2^-12; TANH also 2^-11).
  for (const auto& [tag, scale] : {std::pair{"wide", 12.0f / 32767}, std::pair{"pot12", 1.0f / 4096},
                                   std::pair{"pot11", 1.0f / 2048}}) {
    const tensor_spec x = act_q({4, 64}, I16, scale, 0, "x");
    if (std::string(tag) != "pot11") add(std::string("logistic_i16_") + tag, 14, 3, {x, act_q({4, 64}, I16, 1.0f / 32768, 0, "y")}, {0}, {1});
    add(std::string("tanh_i16_") + tag, 28, 3, {x, act_q({4, 64}, I16, 1.0f / 32768, 0, "y")}, {0}, {1});
  }
  add("softmax_i8_to_i16", 25, 3, {act({2, 5}, i8, false, "x"), act_q({2, 5}, I16, 1.0f / 65536, -32768, "y")}, {0},
      {1}, table(fb::BuiltinOptions::SoftmaxOptions, [](auto& b) { return fb::CreateSoftmaxOptions(b, 0.5f); }));
  add("softmax_f32", 25, 1, {act({2, 5}, f32, false, "x"), act({2, 5}, f32, true, "y")}, {0}, {1},
      table(fb::BuiltinOptions::SoftmaxOptions, [](auto& b) { return fb::CreateSoftmaxOptions(b, 2.0f); }));
  add("logistic_f32", 14, 1, {act({2, 5}, f32, false, "x"), act({2, 5}, f32, true, "y")}, {0}, {1});
  add("tanh_f32", 28, 1, {act({2, 5}, f32, false, "x"), act({2, 5}, f32, true, "y")}, {0}, {1});
  for (const dtype_case& d : {i8, u8, i16, f32}) {
    const std::string t = d.tag;
    add("relu_" + t, 19, 2, {act({2, 5}, d, false, "x"), act({2, 5}, d, true, "y")}, {0}, {1});
    add("relu6_" + t, 21, 2, {act({2, 5}, d, false, "x"), act({2, 5}, d, true, "y")}, {0}, {1});
    if (d.type != U8)
      add("leaky_relu_" + t, 98, 2, {act({2, 5}, d, false, "x"), act({2, 5}, d, true, "y")}, {0}, {1},
          table(fb::BuiltinOptions::LeakyReluOptions, [](auto& b) { return fb::CreateLeakyReluOptions(b, 0.2f); }));
  }
  // The float math ops (TFLM: float only, but ABS, RSQRT and ELU, whose
  // integer forms have their own cases), on the seeded inputs in [-1, 1):
  // LOG and RSQRT of the negative half give NaNs, whose bits count too.
  const std::pair<const char*, std::int32_t> math[] = {{"abs", 101},  {"ceil", 104}, {"cos", 108},   {"exp", 47},
                                                      {"floor", 8},  {"log", 73},   {"neg", 59},    {"round", 116},
                                                      {"rsqrt", 76}, {"sin", 66},   {"sqrt", 75},   {"square", 92}};
  for (const auto& [name, code] : math)
    add(std::string(name) + "_f32", code, 1, {act({2, 5}, f32, false, "x"), act({2, 5}, f32, true, "y")}, {0}, {1});
  // EXP on integers: TFLite's tables (exp.cc; TFLM refuses them). Inputs
  // around 0; at the lowest zero point, with an output range that clips
  // from exp(3.2) up; int16 over [-8, 8).
  add("exp_i8", 47, 2, {act_q({4, 8}, I8, 0.03f, 10, "x"), act_q({4, 8}, I8, 0.15f, -128, "y")}, {0}, {1});
  add("exp_i8_saturating", 47, 2, {act_q({2, 8}, I8, 0.05f, -128, "x"), act_q({2, 8}, I8, 0.1f, -128, "y")}, {0}, {1});
  add("exp_i16", 47, 2, {act_q({2, 16}, I16, 1.0f / 4096, 0, "x"), act_q({2, 16}, I16, 0.1f, 0, "y")}, {0}, {1});
  // ABS on integers (TFLM's AbsEvalQuantized): rescaled between two
  // scales, at one scale (no multiplier), int16 quantized, int16 plain.
  add("abs_i8", 101, 2, {act({2, 5}, i8, false, "x"), act({2, 5}, i8, true, "y")}, {0}, {1});
  add("abs_i8_same_scale", 101, 2, {act_q({2, 5}, I8, 0.05f, -3, "x"), act_q({2, 5}, I8, 0.05f, -128, "y")}, {0}, {1});
  add("abs_i16", 101, 3, {act({2, 5}, i16, false, "x"), act({2, 5}, i16, true, "y")}, {0}, {1});
  add("abs_i16_unquantized", 101, 4, {activation({2, 5}, "x", I16), activation({2, 5}, "y", I16)}, {0}, {1});
  // SQUEEZE (listed axes, negative counted from the back; or every axis of
  // size 1) and EXPAND_DIMS (int32 and int64 axes, negative too).
  const auto squeeze = [](std::vector<int> dims) {
    return table(fb::BuiltinOptions::SqueezeOptions,
                 [dims](auto& b) { return fb::CreateSqueezeOptions(b, b.CreateVector(dims)); });
  };
  add("squeeze_f32", 43, 1, {act({1, 2, 1, 5}, f32, false, "x"), act({2, 5}, f32, true, "y")}, {0}, {1},
      squeeze({0, -2}));
  add("squeeze_i8_all", 43, 1, {act({1, 5, 1}, i8, false, "x"), act({5}, i8, false, "y")}, {0}, {1}, squeeze({}));
  add("squeeze_i16_one", 43, 1, {act({2, 1, 5}, i16, false, "x"), act({2, 5}, i16, false, "y")}, {0}, {1},
      squeeze({1}));
  add("expand_dims_f32", 70, 1, {act({2, 5}, f32, false, "x"), ints({1}, {1}, "axis"), act({2, 1, 5}, f32, true, "y")},
      {0, 1}, {2});
  add("expand_dims_i8_last", 70, 1, {act({2, 5}, i8, false, "x"), ints({1}, {-1}, "axis"), act({2, 5, 1}, i8, false, "y")},
      {0, 1}, {2});
  // An int64 axis: TFLite takes it, TFLM does not.
  add("expand_dims_i16_int64_axis", 70, 1,
      {act({2, 5}, i16, false, "x"), values({1}, I64, std::vector<std::int64_t>{0}, "axis"), act({1, 2, 5}, i16, false, "y")},
      {0, 1}, {2});
  // The logical ops on bool tensors, LOGICAL_OR broadcasting a row.
  add("logical_and_bool", 86, 1,
      {activation({2, 5}, "a", BOOL), activation({2, 5}, "b", BOOL), activation({2, 5}, "y", BOOL)}, {0, 1}, {2});
  add("logical_or_bool_broadcast", 84, 1,
      {activation({3, 4}, "a", BOOL), activation({1, 4}, "b", BOOL), activation({3, 4}, "y", BOOL)}, {0, 1}, {2});
  add("logical_not_bool", 87, 1, {activation({2, 5}, "x", BOOL), activation({2, 5}, "y", BOOL)}, {0}, {1});
  // The comparisons: float broadcasting a row, int8 with two operands'
  // own parameters (rescaled to compare), bool, int32 and int64.
  const std::pair<const char*, std::int32_t> comparisons[] = {{"equal", 71}, {"not_equal", 72},   {"greater", 61},
                                                             {"greater_equal", 62}, {"less", 58}, {"less_equal", 63}};
  for (const auto& [name, code] : comparisons) {
    const std::string n = name;
    add(n + "_f32", code, 1,
        {act({2, 5}, f32, false, "a"), act({1, 5}, f32, false, "b"), activation({2, 5}, "y", BOOL)}, {0, 1}, {2});
    add(n + "_i8", code, 2,
        {act_q({2, 5}, I8, 0.05f, -3, "a"), act_q({2, 5}, I8, 0.08f, 5, "b"), activation({2, 5}, "y", BOOL)}, {0, 1},
        {2});
  }
  add("equal_bool", 71, 1, {activation({2, 5}, "a", BOOL), activation({2, 5}, "b", BOOL), activation({2, 5}, "y", BOOL)},
      {0, 1}, {2});
  add("not_equal_bool", 72, 1,
      {activation({2, 5}, "a", BOOL), activation({2, 5}, "b", BOOL), activation({2, 5}, "y", BOOL)}, {0, 1}, {2});
  add("less_i32", 58, 1, {activation({3, 4}, "a", I32), activation({4}, "b", I32), activation({3, 4}, "y", BOOL)},
      {0, 1}, {2});
  add("greater_equal_i64", 62, 1,
      {activation({2, 5}, "a", I64), activation({2, 5}, "b", I64), activation({2, 5}, "y", BOOL)}, {0, 1}, {2});
  // The plain integer dtypes of the ops that take them (index arithmetic,
  // shape computations): every comparison on int32 and int64, int32 ADD,
  // SUB, MUL (wrapping), MAXIMUM/MINIMUM, and the data movers.
  for (const auto& [name, code] : comparisons) {
    const std::string n = name;
    for (const auto& [tag, type] : {std::pair{"i32", I32}, std::pair{"i64", I64}}) {
      if ((n == "less" && type == I32) || (n == "greater_equal" && type == I64)) continue;  // above
      add(n + "_" + tag, code, 1,
          {activation({3, 4}, "a", type), activation({4}, "b", type), activation({3, 4}, "y", BOOL)}, {0, 1}, {2});
    }
  }
  {
    const std::vector<tensor_spec> ints32{activation({2, 3}, "a", I32), activation({1, 3}, "b", I32),
                                          activation({2, 3}, "y", I32)};
    add("add_i32", 0, 1, ints32, {0, 1}, {2},
        table(fb::BuiltinOptions::AddOptions, [](auto& b) { return fb::CreateAddOptions(b, 0, false); }));
    add("sub_i32", 41, 1, ints32, {0, 1}, {2},
        table(fb::BuiltinOptions::SubOptions, [](auto& b) { return fb::CreateSubOptions(b, 0, false); }));
    add("mul_i32", 18, 1, ints32, {0, 1}, {2});
    for (const auto& [tag, type] : {std::pair{"i32", I32}, std::pair{"i64", I64}}) {
      const std::vector<tensor_spec> same{activation({2, 3}, "a", type), activation({2, 3}, "b", type),
                                          activation({2, 3}, "y", type)};
      add(std::string("maximum_") + tag, 55, 1, same, {0, 1}, {2});
      add(std::string("minimum_") + tag, 57, 1, same, {0, 1}, {2});
      add(std::string("concatenation_") + tag, 2, 1,
          {activation({2, 2}, "a", type), activation({2, 3}, "b", type), activation({2, 5}, "y", type)}, {0, 1}, {2},
          table(fb::BuiltinOptions::ConcatenationOptions, [](auto& b) { return fb::CreateConcatenationOptions(b, 1); }));
      add(std::string("pack_") + tag, 83, 1,
          {activation({3}, "a", type), activation({3}, "b", type), activation({2, 3}, "y", type)}, {0, 1}, {2},
          table(fb::BuiltinOptions::PackOptions, [](auto& b) { return fb::CreatePackOptions(b, 2, 0); }));
      add(std::string("reshape_") + tag, 22, 1,
          {activation({2, 6}, "x", type), ints({2}, {4, 3}, "shape"), activation({4, 3}, "y", type)}, {0, 1}, {2});
    }
    add("concatenation_bool", 2, 1,
        {activation({2, 2}, "a", BOOL), activation({1, 2}, "b", BOOL), activation({3, 2}, "y", BOOL)}, {0, 1}, {2},
        table(fb::BuiltinOptions::ConcatenationOptions, [](auto& b) { return fb::CreateConcatenationOptions(b, 0); }));
    add("unpack_i32", 88, 1,
        {activation({2, 4}, "x", I32), activation({4}, "y0", I32), activation({4}, "y1", I32)}, {0}, {1, 2},
        table(fb::BuiltinOptions::UnpackOptions, [](auto& b) { return fb::CreateUnpackOptions(b, 2, 0); }));
  }
  // int8 RSQRT (TFLM's fixed-point inverse square root): every input at or
  // above the zero point (TFLM stops on a value below it), the zero point
  // itself giving the largest output.
  add("rsqrt_i8", 76, 2, {act_q({2, 5}, I8, 0.05f, -128, "x"), act_q({2, 5}, I8, 0.02f, -128, "y")}, {0}, {1});
  add("rsqrt_i8_fine", 76, 2, {act_q({4, 64}, I8, 0.002f, -128, "x"), act_q({4, 64}, I8, 0.5f, -100, "y")}, {0}, {1});
  // The rounding ops on their edges, a constant operand: ties (ROUND to
  // even), signed zeros (ROUND gives +0 for -0.3 and -0.5, CEIL -0), values
  // past 2^23 (already integers).
  const std::vector<float> edges{-2.5f, -1.5f, -0.5f, -0.3f, -0.0f, 0.5f, 1.5f, 2.5f, 8388609.0f, -16777216.5f};
  for (const auto& [name, code] : {std::pair{"round", 116}, std::pair{"ceil", 104}, std::pair{"floor", 8}})
    add(std::string(name) + "_f32_edges", code, 1, {values({2, 5}, F32, edges, "x"), act({2, 5}, f32, true, "y")},
        {0}, {1});
}

void conversions() {
  add("quantize_f32_i8", 114, 1, {act({2, 5}, f32, false, "x"), act({2, 5}, i8, true, "y")}, {0}, {1});
  add("quantize_f32_u8", 114, 1, {act({2, 5}, f32, false, "x"), act({2, 5}, u8, true, "y")}, {0}, {1});
  add("quantize_f32_i16", 114, 1, {act({2, 5}, f32, false, "x"), act({2, 5}, i16, true, "y")}, {0}, {1});
  add("requantize_i8", 114, 2, {act({2, 5}, i8, false, "x"), act({2, 5}, i8, true, "y")}, {0}, {1});
  add("requantize_u8_i8", 114, 2, {act({2, 5}, u8, false, "x"), act({2, 5}, i8, true, "y")}, {0}, {1});
  add("requantize_i16", 114, 4, {act({2, 5}, i16, false, "x"), act({2, 5}, i16, true, "y")}, {0}, {1});
  for (const dtype_case& d : {i8, u8, i16})
    add(std::string("dequantize_") + d.tag, 6, 3, {act({2, 5}, d, false, "x"), act({2, 5}, f32, true, "y")}, {0}, {1});
  const auto cast_options = [](std::int8_t from, std::int8_t to) {
    return table(fb::BuiltinOptions::CastOptions, [=](auto& b) { return fb::CreateCastOptions(b, from, to); });
  };
  add("cast_f32_i32", 53, 1, {act({2, 5}, f32, false, "x"), activation({2, 5}, "y", I32)}, {0}, {1},
      cast_options(F32, I32));
  add("cast_i8_f32", 53, 2, {activation({2, 5}, "x", I8), act({2, 5}, f32, true, "y")}, {0}, {1}, cast_options(I8, F32));
  add("cast_u8_i32", 53, 2, {activation({2, 5}, "x", U8), activation({2, 5}, "y", I32)}, {0}, {1},
      cast_options(U8, I32));
}

void layout() {
  for (const dtype_case& d : {i8, u8, i16, f32}) {
    const std::string t = d.tag;
    add("reshape_" + t, 22, 1, {act({1, 2, 6}, d, false, "x"), ints({2}, {3, 4}, "shape"), act({3, 4}, d, false, "y")},
        {0, 1}, {2});
    add("pad_" + t, 34, 2,
        {act({1, 2, 3, 2}, d, false, "x"), ints({4, 2}, {0, 0, 1, 0, 0, 2, 1, 1}, "paddings"),
         act({1, 3, 5, 4}, d, false, "y")},
        {0, 1}, {2});
    add("transpose_" + t, 39, 2, {act({2, 3, 4}, d, false, "x"), ints({3}, {2, 0, 1}, "perm"), act({4, 2, 3}, d, false, "y")},
        {0, 1}, {2});
    add("concatenation_" + t, 2, 2,
        {act({1, 2, 3}, d, false, "a"), act({1, 2, 2}, d, false, "b"), act({1, 2, 5}, d, false, "y")}, {0, 1}, {2},
        table(fb::BuiltinOptions::ConcatenationOptions, [](auto& b) { return fb::CreateConcatenationOptions(b, -1); }));
    add("strided_slice_" + t, 45, 2,
        {act({3, 4, 5}, d, false, "x"), ints({3}, {0, 1, 4}, "begin"), ints({3}, {3, 4, 0}, "end"),
         ints({3}, {2, 1, -2}, "strides"), act({2, 3, 2}, d, false, "y")},
        {0, 1, 2, 3}, {4});
    add("split_" + t, 49, 2,
        {ints({1}, {1}, "axis"), act({2, 4, 3}, d, false, "x"), act({2, 2, 3}, d, false, "y0"),
         act({2, 2, 3}, d, false, "y1")},
        {0, 1}, {2, 3}, table(fb::BuiltinOptions::SplitOptions, [](auto& b) { return fb::CreateSplitOptions(b, 2); }));
    add("unpack_" + t, 88, 2,
        {act({3, 4}, d, false, "x"), act({4}, d, false, "y0"), act({4}, d, false, "y1"), act({4}, d, false, "y2")}, {0},
        {1, 2, 3}, table(fb::BuiltinOptions::UnpackOptions, [](auto& b) { return fb::CreateUnpackOptions(b, 3, 0); }));
    add("pack_" + t, 83, 2, {act({2, 3}, d, false, "a"), act({2, 3}, d, false, "b"), act({2, 2, 3}, d, false, "y")},
        {0, 1}, {2}, table(fb::BuiltinOptions::PackOptions, [](auto& b) { return fb::CreatePackOptions(b, 2, 1); }));
    add("gather_nd_" + t, 107, 2, {act({3, 4}, d, false, "x"), ints({2, 1}, {2, 0}, "indices"), act({2, 4}, d, false, "y")},
        {0, 1}, {2});
    add("arg_max_" + t, 56, 2, {act({2, 5}, d, false, "x"), ints({1}, {1}, "axis"), activation({2}, "y", I32)}, {0, 1},
        {2}, table(fb::BuiltinOptions::ArgMaxOptions, [](auto& b) { return fb::CreateArgMaxOptions(b, I32); }));
    add("arg_min_" + t, 79, 2, {act({3, 2, 4}, d, false, "x"), ints({1}, {-2}, "axis"), activation({3, 4}, "y", I32)},
        {0, 1}, {2}, table(fb::BuiltinOptions::ArgMinOptions, [](auto& b) { return fb::CreateArgMinOptions(b, I32); }));
    add("resize_bilinear_" + t, 23, 3,
        {act({1, 2, 3, 2}, d, false, "x"), ints({2}, {4, 5}, "size"), act({1, 4, 5, 2}, d, false, "y")}, {0, 1}, {2},
        table(fb::BuiltinOptions::ResizeBilinearOptions,
              [](auto& b) { return fb::CreateResizeBilinearOptions(b, 0, 0, false, true); }));
    add("resize_nearest_" + t, 97, 3,
        {act({1, 2, 3, 2}, d, false, "x"), ints({2}, {4, 5}, "size"), act({1, 4, 5, 2}, d, false, "y")}, {0, 1}, {2},
        table(fb::BuiltinOptions::ResizeNearestNeighborOptions,
              [](auto& b) { return fb::CreateResizeNearestNeighborOptions(b, true, false); }));
  }
  // SELECT_V2 copies: x, y and the output share their parameters.
  for (const dtype_case& d : {i8, i16, f32}) {
    const std::string t = d.tag;
    add("select_v2_" + t, 123, 1,
        {activation({2, 3}, "c", BOOL), act({2, 3}, d, false, "x"), act({2, 3}, d, false, "y"), act({2, 3}, d, false, "out")},
        {0, 1, 2}, {3});
  }
  add("select_v2_i8_broadcast", 123, 1,
      {activation({2, 1, 1}, "c", BOOL), act({1, 4}, i8, false, "x"), act({3, 1}, i8, false, "y"),
       act({2, 3, 4}, i8, false, "out")},
      {0, 1, 2}, {3});
  add("select_v2_i32_scalar_condition", 123, 1,
      {activation({}, "c", BOOL), activation({5}, "x", I32), activation({1}, "y", I32), activation({5}, "out", I32)},
      {0, 1, 2}, {3});
  // SHAPE, FILL, ZEROS_LIKE: outputs that do not depend on the input's values.
  add("shape_f32", 77, 1, {act({2, 3, 4}, f32, false, "x"), activation({3}, "y", I32)}, {0}, {1},
      table(fb::BuiltinOptions::ShapeOptions, [](auto& b) { return fb::CreateShapeOptions(b, I32); }));
  add("shape_i8_i64", 77, 1, {act({5, 1}, i8, false, "x"), activation({2}, "y", I64)}, {0}, {1},
      table(fb::BuiltinOptions::ShapeOptions, [](auto& b) { return fb::CreateShapeOptions(b, I64); }));
  for (const dtype_case& d : {i8, f32}) {
    const std::string t = d.tag;
    add("fill_" + t, 94, 1, {ints({2}, {2, 3}, "dims"), act({}, d, false, "value"), act({2, 3}, d, false, "y")}, {0, 1},
        {2});
    add("zeros_like_" + t, 93, 1, {act({2, 3}, d, false, "x"), act({2, 3}, d, false, "y")}, {0}, {1});
  }
  add("fill_i32", 94, 1, {ints({3}, {1, 2, 2}, "dims"), activation({}, "value", I32), activation({1, 2, 2}, "y", I32)},
      {0, 1}, {2});
  add("zeros_like_i32", 93, 1, {activation({4}, "x", I32), activation({4}, "y", I32)}, {0}, {1});
  // PADV2: the value a constant, or a model input.
  add("padv2_f32", 60, 1,
      {act({1, 2, 3}, f32, false, "x"), ints({3, 2}, {0, 0, 1, 2, 0, 1}, "paddings"),
       values({}, F32, std::vector<float>{2.5f}, "value"), act({1, 5, 4}, f32, false, "y")},
      {0, 1, 2}, {3});
  add("padv2_i8", 60, 2,
      {act({2, 3}, i8, false, "x"), ints({2, 2}, {1, 0, 2, 1}, "paddings"), act({}, i8, false, "value"),
       act({3, 6}, i8, false, "y")},
      {0, 1, 2}, {3});
  {
    auto v = values({1}, I16, std::vector<std::int16_t>{-1234}, "value");
    v.scales = {i16.in_scale};
    v.zero_points = {0};
    add("padv2_i16", 60, 3, {act({2, 2}, i16, false, "x"), ints({2, 2}, {0, 1, 1, 1}, "paddings"), v, act({3, 4}, i16, false, "y")},
        {0, 1, 2}, {3});
  }
  // GATHER: an inner axis, batches, i64 indices (TFLite's).
  for (const dtype_case& d : {i8, f32}) {
    const std::string t = d.tag;
    add("gather_" + t, 36, d.type == I8 ? 2 : 1,
        {act({3, 4, 2}, d, false, "x"), ints({2, 2}, {2, 0, 1, 3}, "indices"), act({3, 2, 2, 2}, d, false, "y")}, {0, 1},
        {2}, table(fb::BuiltinOptions::GatherOptions, [](auto& b) { return fb::CreateGatherOptions(b, 1, 0); }));
  }
  add("gather_f32_batch", 36, 5,
      {act({2, 3, 2}, f32, false, "x"), ints({2, 2}, {2, 0, 1, 1}, "indices"), act({2, 2, 2}, f32, false, "y")}, {0, 1},
      {2}, table(fb::BuiltinOptions::GatherOptions, [](auto& b) { return fb::CreateGatherOptions(b, 1, 1); }));
  add("gather_i16_i64_indices", 36, 4,
      {act({5, 2}, i16, false, "x"), values({3}, I64, std::vector<std::int64_t>{4, 0, 4}, "indices"),
       act({3, 2}, i16, false, "y")},
      {0, 1}, {2}, table(fb::BuiltinOptions::GatherOptions, [](auto& b) { return fb::CreateGatherOptions(b, 0, 0); }));
  // DEPTH_TO_SPACE, SPACE_TO_DEPTH: each a transpose.
  for (const dtype_case& d : {i8, f32}) {
    const std::string t = d.tag;
    add("depth_to_space_" + t, 5, d.type == I8 ? 2 : 1, {act({1, 2, 3, 8}, d, false, "x"), act({1, 4, 6, 2}, d, false, "y")},
        {0}, {1}, table(fb::BuiltinOptions::DepthToSpaceOptions, [](auto& b) { return fb::CreateDepthToSpaceOptions(b, 2); }));
    add("space_to_depth_" + t, 26, d.type == I8 ? 2 : 1, {act({2, 6, 3, 2}, d, false, "x"), act({2, 2, 1, 18}, d, false, "y")},
        {0}, {1}, table(fb::BuiltinOptions::SpaceToDepthOptions, [](auto& b) { return fb::CreateSpaceToDepthOptions(b, 3); }));
  }
  // REVERSE_V2: one axis, two neighbouring ones, a negative one.
  add("reverse_v2_f32", 105, 1, {act({2, 3, 4}, f32, false, "x"), ints({1}, {1}, "axis"), act({2, 3, 4}, f32, false, "y")},
      {0, 1}, {2});
  add("reverse_v2_i8", 105, 2, {act({2, 3, 4}, i8, false, "x"), ints({2}, {0, 1}, "axis"), act({2, 3, 4}, i8, false, "y")},
      {0, 1}, {2});
  add("reverse_v2_i16", 105, 3, {act({3, 5}, i16, false, "x"), ints({1}, {-1}, "axis"), act({3, 5}, i16, false, "y")},
      {0, 1}, {2});
  // SPLIT_V: sizes with a -1, a middle axis.
  for (const dtype_case& d : {i8, i16, f32}) {
    const std::string t = d.tag;
    add("split_v_" + t, 102, d.type == I16 ? 3 : d.type == I8 ? 2 : 1,
        {act({2, 6, 2}, d, false, "x"), ints({3}, {1, -1, 2}, "size_splits"), ints({}, {1}, "axis"),
         act({2, 1, 2}, d, false, "a"), act({2, 3, 2}, d, false, "b"), act({2, 2, 2}, d, false, "c")},
        {0, 1, 2}, {3, 4, 5}, table(fb::BuiltinOptions::SplitVOptions, [](auto& b) { return fb::CreateSplitVOptions(b, 3); }));
  }
  // BROADCAST_ARGS: shapes of different lengths (constants: random values
  // would not broadcast).
  add("broadcast_args_i32", 145, 1, {ints({3}, {2, 1, 5}, "s"), ints({2}, {4, 1}, "t"), activation({3}, "y", I32)},
      {0, 1}, {2});
  add("broadcast_args_i64", 145, 1,
      {values({2}, I64, std::vector<std::int64_t>{3, 1}, "s"), values({4}, I64, std::vector<std::int64_t>{2, 1, 1, 4}, "t"),
       activation({4}, "y", I64)},
      {0, 1}, {2});
  // MIRROR_PAD: REFLECT and SYMMETRIC at their widest.
  for (const dtype_case& d : {i8, f32}) {
    const std::string t = d.tag;
    add("mirror_pad_reflect_" + t, 100, d.type == I8 ? 2 : 1,
        {act({2, 3, 4}, d, false, "x"), ints({3, 2}, {1, 0, 2, 1, 3, 3}, "paddings"), act({3, 6, 10}, d, false, "y")},
        {0, 1}, {2}, table(fb::BuiltinOptions::MirrorPadOptions, [](auto& b) { return fb::CreateMirrorPadOptions(b, 0); }));
    add("mirror_pad_symmetric_" + t, 100, d.type == I8 ? 2 : 1,
        {act({2, 3}, d, false, "x"), ints({2, 2}, {2, 1, 3, 0}, "paddings"), act({5, 6}, d, false, "y")}, {0, 1}, {2},
        table(fb::BuiltinOptions::MirrorPadOptions, [](auto& b) { return fb::CreateMirrorPadOptions(b, 1); }));
  }
  // SPACE_TO_BATCH_ND (padding only in float: TFLM pads int8 with an offset
  // its Prepare never sets), BATCH_TO_SPACE_ND with crops; 4-D and 3-D.
  add("space_to_batch_nd_f32", 38, 1,
      {act({1, 3, 4, 2}, f32, false, "x"), ints({2}, {2, 2}, "block"), ints({2, 2}, {1, 0, 0, 2}, "paddings"),
       act({4, 2, 3, 2}, f32, false, "y")},
      {0, 1, 2}, {3});
  add("space_to_batch_nd_i8", 38, 2,
      {act({2, 4, 6, 1}, i8, false, "x"), ints({2}, {2, 3}, "block"), ints({2, 2}, {0, 0, 0, 0}, "paddings"),
       act({12, 2, 2, 1}, i8, false, "y")},
      {0, 1, 2}, {3});
  add("space_to_batch_nd_f32_3d", 38, 1,
      {act({1, 5, 2}, f32, false, "x"), ints({1}, {3}, "block"), ints({1, 2}, {0, 1}, "paddings"),
       act({3, 2, 2}, f32, false, "y")},
      {0, 1, 2}, {3});
  for (const dtype_case& d : {i8, f32}) {
    const std::string t = d.tag;
    add("batch_to_space_nd_" + t, 37, d.type == I8 ? 2 : 1,
        {act({4, 2, 3, 2}, d, false, "x"), ints({2}, {2, 2}, "block"), ints({2, 2}, {1, 0, 0, 2}, "crops"),
         act({1, 3, 4, 2}, d, false, "y")},
        {0, 1, 2}, {3});
  }
  // DYNAMIC_UPDATE_SLICE: indices in range, past the end (clamped), negative.
  for (const dtype_case& d : {i8, i16, f32}) {
    const std::string t = d.tag;
    add("dynamic_update_slice_" + t, 151, 1,
        {act({3, 4, 2}, d, false, "x"), act({2, 2, 2}, d, false, "update"), ints({3}, {1, 5, -1}, "start"),
         act({3, 4, 2}, d, false, "y")},
        {0, 1, 2}, {3});
  }
  add("dynamic_update_slice_i32_i64_start", 151, 1,
      {activation({5}, "x", I32), activation({2}, "update", I32), values({1}, I64, std::vector<std::int64_t>{2}, "start"),
       activation({5}, "y", I32)},
      {0, 1, 2}, {3});
  // BROADCAST_TO: leading and inner dimensions.
  add("broadcast_to_f32", 130, 2,
      {act({2, 1}, f32, false, "x"), ints({3}, {3, 2, 4}, "shape"), act({3, 2, 4}, f32, false, "y")}, {0, 1}, {2});
  add("broadcast_to_i8", 130, 2,
      {act({4}, i8, false, "x"), ints({3}, {2, 3, 4}, "shape"), act({2, 3, 4}, i8, false, "y")}, {0, 1}, {2});
  // SLICE: begin and size (-1: to the end).
  for (const dtype_case& d : {i8, i16, f32}) {
    const std::string t = d.tag;
    add("slice_" + t, 65, d.type == I8 ? 2 : d.type == I16 ? 4 : 1,
        {act({2, 4, 5}, d, false, "x"), ints({3}, {1, 1, 0}, "begin"), ints({3}, {1, -1, 3}, "size"),
         act({1, 3, 3}, d, false, "y")},
        {0, 1, 2}, {3});
  }
  add("slice_bool", 65, 1,
      {activation({3, 4}, "x", BOOL), ints({2}, {0, 2}, "begin"), ints({2}, {2, 2}, "size"), activation({2, 2}, "y", BOOL)},
      {0, 1, 2}, {3});
  // uint8 inputs with other parameters than the output: CONCATENATION rescales.
  auto b = act({1, 2, 2}, u8, false, "b");
  b.scales = {0.1f};
  b.zero_points = {100};
  add("concatenation_u8_rescaled", 2, 2, {act({1, 2, 3}, u8, false, "a"), b, act({1, 2, 5}, u8, true, "y")}, {0, 1}, {2},
      table(fb::BuiltinOptions::ConcatenationOptions, [](auto& b) { return fb::CreateConcatenationOptions(b, -1); }));
}

void svdf() {
  // SVDF int8: 2 units, rank 2 (4 filters), memory of 3 steps; state int16.
  auto feature = weights({4, 6}, i8, 0, false);
  std::vector<std::int16_t> time(12);
  for (auto& x : time) x = static_cast<std::int16_t>(rng.in(-3000, 3000));
  auto time_w = values({4, 3}, I16, time, "weights_time");
  time_w.scales = {0.0005f};
  time_w.zero_points = {0};
  std::vector<std::int32_t> b(2);
  for (auto& x : b) x = rng.in(-500, 500);
  auto state = act_q({1, 12}, I16, 0.01f, 0, "state");
  state.variable = true;
  add("svdf_i8", 27, 4,
      {act({1, 6}, i8, false, "x"), feature, time_w, values({2}, I32, b, "bias"), state, act({1, 2}, i8, true, "y")},
      {0, 1, 2, 3, 4}, {5},
      table(fb::BuiltinOptions::SVDFOptions, [](auto& b) { return fb::CreateSVDFOptions(b, 2, RELU); }));
  auto feature_f = weights({4, 6}, f32, 0);
  auto time_f = weights({4, 3}, f32, 0);
  auto state_f = activation({1, 12}, "state", F32);
  state_f.variable = true;
  add("svdf_f32", 27, 1,
      {act({1, 6}, f32, false, "x"), feature_f, time_f, values({2}, F32, std::vector<float>{0.5f, -0.25f}, "bias"),
       state_f, act({1, 2}, f32, true, "y")},
      {0, 1, 2, 3, 4}, {5},
      table(fb::BuiltinOptions::SVDFOptions, [](auto& b) { return fb::CreateSVDFOptions(b, 2, RELU); }));
}

/// CIRCULAR_BUFFER's options: the flexbuffer map {"cycles_max": n}.
std::vector<std::uint8_t> cycles_max(int n) {
  flexbuffers::Builder b;
  b.Map([&] { b.Int("cycles_max", n); });
  b.Finish();
  return b.GetBuffer();
}

/// CIRCULAR_BUFFER (TFLM's custom op): a register kept across invokes, so
/// each case is a stream of invokes; between periods the invoke ends early.
void circular_buffer() {
  constexpr int custom = 32;
  auto cb = [](std::string name, std::vector<int> sample, int slots, std::vector<std::uint8_t> options, int invokes) {
    auto out = act({1, slots, sample[2], sample[3]}, i8, false, "register");
    out.variable = true;
    add(std::move(name), custom, 1, {act(sample, i8, false, "x"), out}, {0}, {1});
    cases.back().model.ops.back().custom_code = "CIRCULAR_BUFFER";
    cases.back().model.ops.back().custom_options = std::move(options);
    cases.back().sequence = invokes;
  };
  cb("circular_buffer_period2_i8", {1, 1, 1, 4}, 3, cycles_max(2), 5);
  cb("circular_buffer_period3_i8", {1, 1, 2, 3}, 4, cycles_max(3), 7);
  // No options: TFLM's shape rule picks the period (5 slots: 1; else 2).
  cb("circular_buffer_5_slots_i8", {1, 1, 2, 3}, 5, {}, 3);
  cb("circular_buffer_no_options_i8", {1, 1, 1, 8}, 4, {}, 4);
  cb("circular_buffer_one_slot_i8", {1, 1, 1, 6}, 1, cycles_max(1), 3);

  // The op in a model: a MAXIMUM of the register with a constant runs only
  // on the invokes that go on; the others end before it.
  model_spec m;
  auto reg = act({1, 3, 1, 4}, i8, false, "register");
  reg.variable = true;
  std::vector<std::int8_t> floor_values(12);
  for (auto& v : floor_values) v = static_cast<std::int8_t>(rng.in(-60, 20));
  auto floor = values({1, 3, 1, 4}, I8, floor_values, "floor");
  floor.scales = {i8.in_scale};
  floor.zero_points = {i8.in_zp};
  m.tensors = {act({1, 1, 1, 4}, i8, false, "x"), reg, floor, act({1, 3, 1, 4}, i8, false, "y")};
  m.ops.push_back(op(custom, 1, {0}, {1}, "CIRCULAR_BUFFER"));
  m.ops.back().custom_options = cycles_max(2);
  m.ops.push_back(op(55, 1, {1, 2}, {3}));  // MAXIMUM
  m.inputs = {0};
  m.outputs = {3};
  cases.push_back({"circular_buffer_then_maximum_i8", std::move(m), {}, 6});
}

// ---- UNIDIRECTIONAL_SEQUENCE_LSTM -------------------------------------------
// Streams of invokes: the hidden and cell states carry over. B = 2 batches
// of T = 3 steps of I = 4 inputs, S = 5 units.

model_spec lstm_model(const dtype_case& d, bool time_major, float cell_clip) {
  constexpr int B = 2, T = 3, I = 4, S = 5;
  std::vector<tensor_spec> t(25);
  const std::vector<int> in_shape = time_major ? std::vector<int>{T, B, I} : std::vector<int>{B, T, I};
  const std::vector<int> out_shape = time_major ? std::vector<int>{T, B, S} : std::vector<int>{B, T, S};
  // Hidden state and output share parameters; the cell state is int16 at 2^-11.
  const dtype_case hidden_params{d.tag, d.type, d.out_scale, d.out_zp, d.out_scale, d.out_zp};
  t[0] = act(in_shape, d, false, "x");
  for (int k = 0; k < 8; ++k) {
    t[1 + k] = weights({S, k < 4 ? I : S}, d.type == F32 ? f32 : i8, 0, false);
    t[1 + k].name = "weights" + std::to_string(1 + k);
  }
  for (int k = 0; k < 4; ++k) t[12 + k] = bias(S, d, t[1 + k]);
  t[18] = act({B, S}, hidden_params, false, "hidden");
  t[18].variable = true;
  t[19] = d.type == F32 ? activation({B, S}, "cell", F32) : act_q({B, S}, I16, 1.0f / 2048, 0, "cell");
  t[19].variable = true;
  t[20] = act(out_shape, hidden_params, false, "y");
  // Absent operands (peephole 9-11, projection 16-17, layer norm 20-23) are
  // -1; t[20] stands for the output here.
  std::vector<tensor_spec> tensors;
  std::vector<int> index(25, -1);
  for (int k : {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 18, 19, 20}) {
    index[static_cast<std::size_t>(k)] = static_cast<int>(tensors.size());
    tensors.push_back(t[static_cast<std::size_t>(k)]);
  }
  std::vector<int> inputs(24, -1);
  for (int k : {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 18, 19}) inputs[static_cast<std::size_t>(k)] = index[static_cast<std::size_t>(k)];
  model_spec m;
  m.tensors = std::move(tensors);
  m.ops.push_back(op(44, d.type == I16 ? 4 : (d.type == I8 ? 2 : 1), inputs, {index[20]}));
  m.ops.back().options = table(fb::BuiltinOptions::UnidirectionalSequenceLSTMOptions, [=](auto& b) {
    return fb::CreateUnidirectionalSequenceLSTMOptions(b, 4 /*TANH*/, cell_clip, 0.0f, time_major);
  });
  m.inputs = {index[0]};
  m.outputs = {index[20]};
  return m;
}

void lstm() {
  for (const auto& d : {f32, i8, i16}) {
    const std::string tag = d.tag;
    cases.push_back({"unidirectional_sequence_lstm_" + tag, lstm_model(d, false, 0.0f), {}, 3});
    cases.push_back({"unidirectional_sequence_lstm_time_major_" + tag, lstm_model(d, true, 0.0f), {}, 3});
    cases.push_back({"unidirectional_sequence_lstm_cell_clip_" + tag, lstm_model(d, false, 1.5f), {}, 3});
  }
  // What TFLM's LSTM does not take: a peephole, another cell activation,
  // per-channel weights, a float cell state for int8 activations.
  auto m = lstm_model(i8, false, 0.0f);
  m.ops[0].inputs[9] = m.ops[0].inputs[12];
  cases.push_back({"error_unidirectional_sequence_lstm_peephole", m, "TFLM's LSTM has no peephole connections"});
  m = lstm_model(i8, false, 0.0f);
  m.ops[0].options = table(fb::BuiltinOptions::UnidirectionalSequenceLSTMOptions, [](auto& b) {
    return fb::CreateUnidirectionalSequenceLSTMOptions(b, 1 /*RELU*/, 0.0f, 0.0f, false);
  });
  cases.push_back({"error_unidirectional_sequence_lstm_activation", m, "TFLM's LSTM applies TANH to the cell gate"});
  m = lstm_model(i8, false, 0.0f);
  m.tensors[2].scales = {0.01f, 0.01f, 0.02f, 0.02f, 0.03f};
  m.tensors[2].zero_points = {0, 0, 0, 0, 0};
  cases.push_back({"error_unidirectional_sequence_lstm_per_channel", m, "(weights quantized per tensor)"});
  m = lstm_model(i8, false, 0.0f);
  m.tensors[14] = activation({2, 5}, "cell", F32);
  m.tensors[14].variable = true;
  cases.push_back({"error_unidirectional_sequence_lstm_cell_type", m, "unidirectional_sequence_lstm takes an input"});
}

// ---- TFLM's signal library (the audio front end) ----------------------------
// Custom ops with options in a flexbuffer map that TFLM reads by position
// (keys in sorted order). Inputs are seeded noise over every bit pattern;
// chains bring values into the ranges where the ops' branches differ.

/// A flexbuffer map of integer options (written in sorted key order, as
/// flexbuffers stores them anyway).
std::vector<std::uint8_t> int_options(const std::vector<std::pair<const char*, std::int64_t>>& kv) {
  flexbuffers::Builder b;
  b.Map([&] {
    for (const auto& [k, v] : kv) b.Int(k, v);
  });
  b.Finish();
  return b.GetBuffer();
}

tensor_spec raw(std::vector<int> shape, std::int8_t type, std::string name) {
  return activation(std::move(shape), std::move(name), type);
}

template <class T>
std::vector<T> random_values(std::size_t n, int lo, int hi) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.in(lo, hi));
  return v;
}

/// A custom op of the signal library as the model's only op.
void signal_case(std::string name, const char* code, std::vector<tensor_spec> tensors, std::vector<int> ins,
                 std::vector<int> outs, std::vector<std::uint8_t> options, int sequence = 0,
                 std::string expect_error = {}) {
  add(std::move(name), 32, 1, std::move(tensors), std::move(ins), std::move(outs), {}, std::move(expect_error));
  cases.back().model.ops.back().custom_code = code;
  cases.back().model.ops.back().custom_options = std::move(options);
  cases.back().sequence = sequence;
}

/// SignalFilterBank's tables for `bins` energies and `channels` channels
/// (num_channels + 1 entries): consecutive triangles, as the converter lays
/// them out; `wrap` adds negative weights (TFLM's uint64 products wrap).
std::vector<tensor_spec> filter_bank_tables(int bins, int channels, bool wrap) {
  std::vector<std::int16_t> starts, weight_starts, widths, weights, unweights;
  int bin = 1, weight = 0;
  for (int c = 0; c <= channels; ++c) {
    const int width = 1 + c % 3;
    starts.push_back(static_cast<std::int16_t>(bin));
    weight_starts.push_back(static_cast<std::int16_t>(weight));
    widths.push_back(static_cast<std::int16_t>(bin + width <= bins ? width : bins - bin));
    for (int j = 0; j < width; ++j) {
      const auto w = static_cast<std::int16_t>(rng.in(wrap ? -4096 : 0, 4096));
      weights.push_back(w);
      unweights.push_back(static_cast<std::int16_t>(4096 - w));
    }
    bin += width - 1;
    weight += width;
  }
  const int n = static_cast<int>(weights.size()), k = static_cast<int>(starts.size());
  return {values({n}, I16, weights, "weights"), values({n}, I16, unweights, "unweights"),
          values({k}, I16, starts, "channel_frequency_starts"), values({k}, I16, weight_starts, "channel_weight_starts"),
          values({k}, I16, widths, "channel_widths")};
}

std::vector<std::uint8_t> spectral_subtraction_options(bool clamping, int smoothing_bits, int num_channels) {
  flexbuffers::Builder b;
  b.Map([&] {
    b.Int("alternate_one_minus_smoothing", 15401);
    b.Int("alternate_smoothing", 983);
    b.Bool("clamping", clamping);
    b.Int("min_signal_remaining", 819);
    b.Int("num_channels", num_channels);
    b.Int("one_minus_smoothing", 15975);
    b.Int("smoothing", 409);
    b.Int("smoothing_bits", smoothing_bits);
    b.Int("spectral_subtraction_bits", 14);
  });
  b.Finish();
  return b.GetBuffer();
}

void signal_library() {
  // SignalWindow: frames of 8 under one window; shift 0 saturates.
  const auto window = values({8}, I16, random_values<std::int16_t>(8, -32768, 32767), "window");
  signal_case("signal_window_i16", "SignalWindow", {raw({2, 8}, I16, "x"), window, raw({2, 8}, I16, "y")}, {0, 1},
              {2}, int_options({{"shift", 12}}));
  signal_case("signal_window_saturating_i16", "SignalWindow", {raw({1, 8}, I16, "x"), window, raw({1, 8}, I16, "y")},
              {0, 1}, {2}, int_options({{"shift", 0}}));
  // SignalFftAutoScale after a window that leaves small values (shift 14),
  // and after one that leaves silence (TFLM's shift for 0: 0).
  auto auto_scale = [&](std::string name, std::vector<std::int16_t> w) {
    model_spec m;
    m.tensors = {raw({16}, I16, "x"), values({16}, I16, w, "window"), raw({16}, I16, "windowed"),
                 raw({16}, I16, "scaled"), raw({}, I32, "shift")};
    m.ops.push_back(op(32, 1, {0, 1}, {2}, "SignalWindow"));
    m.ops.back().custom_options = int_options({{"shift", 14}});
    m.ops.push_back(op(32, 1, {2}, {3, 4}, "SignalFftAutoScale"));
    m.inputs = {0};
    m.outputs = {3, 4};
    cases.push_back({std::move(name), std::move(m), {}, 0, {}, {"SignalWindow"}});
  };
  auto_scale("signal_fft_auto_scale_i16", random_values<std::int16_t>(16, -2000, 2000));
  auto_scale("signal_fft_auto_scale_silence_i16", std::vector<std::int16_t>(16, 0));
  // SignalEnergy: every bin, and a range (the other bins are 0).
  signal_case("signal_energy_i16", "SignalEnergy", {raw({18}, I16, "spectrum"), raw({9}, U32, "energy")}, {0}, {1},
              int_options({{"end_index", 9}, {"start_index", 0}}));
  signal_case("signal_energy_range_i16", "SignalEnergy", {raw({18}, I16, "spectrum"), raw({9}, U32, "energy")}, {0},
              {1}, int_options({{"end_index", 7}, {"start_index", 2}}));
  // SignalFilterBank over 24 energies, 6 channels; with negative weights.
  for (bool wrap : {false, true}) {
    std::vector<tensor_spec> t = {raw({24}, U32, "energy")};
    for (auto& table : filter_bank_tables(24, 6, wrap)) t.push_back(std::move(table));
    t.push_back(raw({6}, U64, "channels"));
    signal_case(wrap ? "signal_filter_bank_negative_weights_u32" : "signal_filter_bank_u32", "SignalFilterBank",
                std::move(t), {0, 1, 2, 3, 4, 5}, {6}, int_options({{"num_channels", 6}}));
  }
  // SignalFilterBankSquareRoot: values over all 64 bits, shifts 0 and 7.
  for (int shift : {0, 7})
    signal_case("signal_filter_bank_square_root_shift" + std::to_string(shift) + "_u64", "SignalFilterBankSquareRoot",
                {raw({12}, U64, "channels"), values({}, I32, std::vector<std::int32_t>{shift}, "shift"),
                 raw({12}, U32, "roots")},
                {0, 1}, {2}, {});
  // SignalFilterBankLog: TFLM's micro_speech options, and no correction.
  signal_case("signal_filter_bank_log_u32", "SignalFilterBankLog", {raw({16}, U32, "x"), raw({16}, I16, "log")}, {0},
              {1}, int_options({{"input_correction_bits", 3}, {"output_scale", 64}}));
  signal_case("signal_filter_bank_log_unscaled_u32", "SignalFilterBankLog",
              {raw({16}, U32, "x"), raw({16}, I16, "log")}, {0}, {1},
              int_options({{"input_correction_bits", 0}, {"output_scale", 1600}}));
  // SignalFilterBankSpectralSubtraction: a noise estimate kept across
  // invokes, with and without clamping.
  for (bool clamping : {false, true})
    signal_case(clamping ? "signal_spectral_subtraction_clamping_u32" : "signal_spectral_subtraction_u32",
                "SignalFilterBankSpectralSubtraction",
                {raw({10}, U32, "x"), raw({10}, U32, "y"), raw({10}, U32, "noise_estimate")}, {0}, {1, 2},
                spectral_subtraction_options(clamping, 10, 10), 4);
  // SignalPCAN: a gain table of 125 entries.
  signal_case("signal_pcan_u32", "SignalPCAN",
              {raw({12}, U32, "x"), raw({12}, U32, "noise_estimate"),
               values({125}, I16, random_values<std::int16_t>(125, -32768, 32767), "gain_lut"), raw({12}, U32, "y")},
              {0, 1, 2}, {3}, int_options({{"snr_shift", 6}}));

  // SignalRfft / SignalIrfft (KISS FFT): each dtype, radix 2, 3, 4 and 5
  // stages, frames shorter than the FFT (zero-padded), several frames.
  auto fft = [](std::string name, const char* code, std::int8_t type, std::vector<int> in, std::vector<int> out,
                int fft_length) {
    signal_case(std::move(name), code, {raw(std::move(in), type, "x"), raw(std::move(out), type, "y")}, {0}, {1},
                int_options({{"T", type}, {"fft_length", fft_length}}));
  };
  fft("signal_rfft_i16", "SignalRfft", I16, {2, 12}, {2, 18}, 16);
  fft("signal_rfft_512_i16", "SignalRfft", I16, {480}, {514}, 512);
  fft("signal_rfft_i32", "SignalRfft", I32, {1, 20}, {1, 22}, 20);
  fft("signal_rfft_f32", "SignalRfft", F32, {3, 24}, {3, 26}, 24);
  fft("signal_rfft_radix5_f32", "SignalRfft", F32, {30}, {32}, 30);
  fft("signal_irfft_i16", "SignalIrfft", I16, {2, 18}, {2, 16}, 16);
  fft("signal_irfft_i32", "SignalIrfft", I32, {1, 22}, {1, 20}, 20);
  fft("signal_irfft_f32", "SignalIrfft", F32, {2, 26}, {2, 24}, 24);
  fft("signal_irfft_radix5_f32", "SignalIrfft", F32, {42}, {40}, 40);

  // The streaming ops: samples kept across invokes, so each case is a stream.
  signal_case("signal_delay_i16", "SignalDelay", {raw({2, 6}, I16, "x"), raw({2, 6}, I16, "y")}, {0}, {1},
              int_options({{"delay_length", 4}}), 4);
  signal_case("signal_delay_longer_than_frame_i16", "SignalDelay", {raw({3}, I16, "x"), raw({3}, I16, "y")}, {0}, {1},
              int_options({{"delay_length", 5}}), 5);
  auto framer = [](std::string name, std::vector<int> in, std::vector<int> out, int size, int step, bool prefill,
                   int invokes) {
    flexbuffers::Builder b;
    b.Map([&] {
      b.Int("frame_size", size);
      b.Int("frame_step", step);
      b.Bool("prefill", prefill);
    });
    b.Finish();
    signal_case(std::move(name), "SignalFramer",
                {raw(std::move(in), I16, "x"), raw(std::move(out), I16, "frames"), raw({}, BOOL, "valid")}, {0}, {1, 2},
                b.GetBuffer(), invokes);
  };
  framer("signal_framer_i16", {2, 4}, {2, 2, 5}, 5, 2, false, 4);
  framer("signal_framer_prefill_i16", {6}, {2, 4}, 4, 3, true, 3);
  framer("signal_framer_step_past_size_i16", {4}, {1, 3}, 3, 4, false, 2);
  auto stacker = [](std::string name, int channels, int left, int right, int step, int invokes) {
    signal_case(std::move(name), "SignalStacker",
                {raw({channels}, I16, "x"), raw({channels * (left + right + 1)}, I16, "stacked"),
                 raw({}, BOOL, "valid")},
                {0}, {1, 2},
                int_options({{"num_channels", channels},
                             {"stacker_left_context", left},
                             {"stacker_right_context", right},
                             {"stacker_step", step}}),
                invokes);
  };
  stacker("signal_stacker_i16", 3, 1, 2, 1, 6);
  stacker("signal_stacker_step2_i16", 2, 0, 2, 2, 7);
  auto overlap_add = [](std::string name, std::int8_t type, std::vector<int> in, std::vector<int> out, int step,
                        int invokes) {
    signal_case(std::move(name), "SignalOverlapAdd", {raw(std::move(in), type, "frames"), raw(std::move(out), type, "y")},
                {0}, {1}, int_options({{"T", type}, {"frame_step", step}}), invokes);
  };
  overlap_add("signal_overlap_add_i16", I16, {2, 3, 4}, {2, 6}, 2, 3);
  overlap_add("signal_overlap_add_f32", F32, {3, 5}, {6}, 2, 3);

  // The audio front end of TFLM's micro_speech, in its order: window,
  // auto-scale, FFT, energy, filter bank, square root (undoing the scale),
  // noise subtraction, gain control, log; a stream, for the noise state.
  {
    model_spec m;
    std::vector<std::int16_t> hann(32);
    for (int i = 0; i < 32; ++i)
      hann[static_cast<std::size_t>(i)] =
          static_cast<std::int16_t>(4096 * (0.5 - 0.5 * std::cos(2 * 3.14159265358979 * i / 31)));
    m.tensors = {raw({32}, I16, "audio"), values({32}, I16, hann, "window"), raw({32}, I16, "windowed"),
                 raw({32}, I16, "scaled"), raw({}, I32, "shift"), raw({34}, I16, "spectrum"), raw({17}, U32, "energy")};
    for (auto& t : filter_bank_tables(17, 6, false)) m.tensors.push_back(std::move(t));  // 7 - 11
    for (auto& t : std::vector<tensor_spec>{raw({6}, U64, "channels"), raw({6}, U32, "roots"),
                                            raw({6}, U32, "subtracted"), raw({6}, U32, "noise_estimate"),
                                            values({125}, I16, random_values<std::int16_t>(125, 0, 20000), "gain_lut"),
                                            raw({6}, U32, "gained"), raw({6}, I16, "log")})
      m.tensors.push_back(t);  // 12 - 18
    auto custom = [&](std::vector<int> ins, std::vector<int> outs, const char* code, std::vector<std::uint8_t> o) {
      m.ops.push_back(op(32, 1, std::move(ins), std::move(outs), code));
      m.ops.back().custom_options = std::move(o);
    };
    custom({0, 1}, {2}, "SignalWindow", int_options({{"shift", 12}}));
    custom({2}, {3, 4}, "SignalFftAutoScale", {});
    custom({3}, {5}, "SignalRfft", int_options({{"T", I16}, {"fft_length", 32}}));
    custom({5}, {6}, "SignalEnergy", int_options({{"end_index", 15}, {"start_index", 1}}));
    custom({6, 7, 8, 9, 10, 11}, {12}, "SignalFilterBank", int_options({{"num_channels", 6}}));
    custom({12, 4}, {13}, "SignalFilterBankSquareRoot", {});
    custom({13}, {14, 15}, "SignalFilterBankSpectralSubtraction", spectral_subtraction_options(false, 10, 6));
    custom({14, 15, 16}, {17}, "SignalPCAN", int_options({{"snr_shift", 6}}));
    custom({17}, {18}, "SignalFilterBankLog", int_options({{"input_correction_bits", 3}, {"output_scale", 64}}));
    m.inputs = {0};
    m.outputs = {18};
    cases.push_back({"signal_window_audio_front_end_i16", std::move(m), {}, 3});
  }

  // Refused alike on both paths (TFLM reads or writes outside a tensor, or
  // shifts by an undefined amount, where these are refused).
  signal_case("error_signal_delay_negative", "SignalDelay", {raw({3}, I16, "x"), raw({3}, I16, "y")}, {0}, {1},
              int_options({{"delay_length", -1}}), 0, "signal_delay takes i16");
  signal_case("error_signal_framer_step", "SignalFramer",
              {raw({6}, I16, "x"), raw({2, 4}, I16, "frames"), raw({}, BOOL, "valid")}, {0}, {1, 2},
              int_options({{"frame_size", 4}, {"frame_step", 4}, {"prefill", 0}}), 0, "signal_framer takes i16");
  signal_case("error_signal_stacker_step", "SignalStacker",
              {raw({2}, I16, "x"), raw({4}, I16, "stacked"), raw({}, BOOL, "valid")}, {0}, {1, 2},
              int_options({{"num_channels", 2}, {"stacker_left_context", 1}, {"stacker_right_context", 0},
                           {"stacker_step", 3}}),
              0, "signal_stacker takes i16");
  signal_case("error_signal_overlap_add_step", "SignalOverlapAdd", {raw({2, 3}, I16, "frames"), raw({8}, I16, "y")},
              {0}, {1}, int_options({{"T", I16}, {"frame_step", 4}}), 0, "signal_overlap_add takes frames");
  fft("error_signal_rfft_radix7", "SignalRfft", I16, {14}, {16}, 14);
  cases.back().expect_error = "signal_rfft takes frames";
  fft("error_signal_rfft_long_frames", "SignalRfft", I16, {20}, {18}, 16);
  cases.back().expect_error = "signal_rfft takes frames";
  fft("error_signal_rfft_int8", "SignalRfft", I8, {16}, {18}, 16);
  cases.back().expect_error = "custom option T is INT8; TFLM's SignalRfft runs INT16, INT32 and FLOAT32 only";
  signal_case("error_signal_irfft_type", "SignalIrfft", {raw({18}, I32, "x"), raw({16}, I32, "y")}, {0}, {1},
              int_options({{"T", I16}, {"fft_length", 16}}), 0, "signal_rfft takes frames");
  signal_case("error_signal_window_shift", "SignalWindow", {raw({8}, I16, "x"), window, raw({8}, I16, "y")}, {0, 1},
              {2}, int_options({{"shift", 32}}), 0, "signal_window takes an i16 signal");
  signal_case("error_signal_window_frames", "SignalWindow", {raw({12}, I16, "x"), window, raw({12}, I16, "y")},
              {0, 1}, {2}, int_options({{"shift", 3}}), 0, "signal_window takes an i16 signal");
  signal_case("error_signal_energy_end_index", "SignalEnergy", {raw({18}, I16, "spectrum"), raw({9}, U32, "energy")},
              {0}, {1}, int_options({{"end_index", 10}, {"start_index", 0}}), 0, "signal_energy takes an int16");
  signal_case("error_signal_energy_options", "SignalEnergy", {raw({18}, I16, "spectrum"), raw({9}, U32, "energy")},
              {0}, {1}, int_options({{"end_index", 9}}), 0,
              "custom option 'start_index' is missing from the options map; TFLM reads it as value 1");
  {
    std::vector<tensor_spec> t = {raw({24}, U32, "energy")};
    for (auto& table : filter_bank_tables(24, 6, false)) t.push_back(std::move(table));
    t.push_back(raw({8}, U64, "channels"));
    signal_case("error_signal_filter_bank_short_tables", "SignalFilterBank", t, {0, 1, 2, 3, 4, 5}, {6},
                int_options({{"num_channels", 8}}), 0, "signal_filter_bank takes u32 energies");
    t[0] = raw({6}, U32, "energy");
    t[6] = raw({6}, U64, "channels");
    signal_case("error_signal_filter_bank_tables_outside", "SignalFilterBank", t, {0, 1, 2, 3, 4, 5}, {6},
                int_options({{"num_channels", 6}}), 0, "the channel tables (inputs 3-5) point outside the 6 energies");
  }
  signal_case("error_signal_spectral_subtraction_bits", "SignalFilterBankSpectralSubtraction",
              {raw({10}, U32, "x"), raw({10}, U32, "y"), raw({10}, U32, "noise_estimate")}, {0}, {1, 2},
              spectral_subtraction_options(false, 32, 10), 0, "signal_filter_bank_spectral_subtraction takes u32");
  signal_case("error_signal_pcan_short_lut", "SignalPCAN",
              {raw({12}, U32, "x"), raw({12}, U32, "noise_estimate"),
               values({124}, I16, std::vector<std::int16_t>(124, 1), "gain_lut"), raw({12}, U32, "y")},
              {0, 1, 2}, {3}, int_options({{"snr_shift", 6}}), 0, "signal_pcan takes u32 energies");
}

// ---- TFLM_DECODE (TFLM's weight compression) --------------------------------
// Constant weights stored compressed, decoded by the custom op before the
// layer that reads them: LUT (per-channel tables of packed indices), prune
// (a bit mask and the kept values), Huffman (codes through TFLM's tables).
// The decoded values are TFLM's own (the goldens), from random tables.

/// A TFLM_DECODE ancillary tensor: its 16-byte header, then `tables`.
std::vector<std::uint8_t> decode_ancillary(std::uint8_t type, std::uint8_t params, std::uint8_t stride,
                                           const std::vector<std::uint8_t>& tables) {
  std::vector<std::uint8_t> a(16, 0);
  a[0] = type;
  a[1] = 1;  // DCM version
  a[4] = 1;  // decoder version
  a[5] = params;
  a[6] = stride;
  a.insert(a.end(), tables.begin(), tables.end());
  return a;
}

/// `fields` of `width` bits each, most significant bit first, in bytes.
std::vector<std::uint8_t> pack_bits(const std::vector<unsigned>& fields, unsigned width) {
  std::vector<std::uint8_t> out((fields.size() * width + 7) / 8, 0);
  std::size_t bit = 0;
  for (unsigned f : fields)
    for (unsigned b = width; b-- > 0; ++bit)
      if ((f >> b) & 1u) out[bit / 8] = static_cast<std::uint8_t>(out[bit / 8] | (0x80u >> (bit % 8)));
  return out;
}

/// LUT data for `count` elements in `channels` tables of `stride` values of
/// T: random indices below `stride`, random values.
template <class T>
std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> lut_data(std::size_t count, std::size_t channels,
                                                                         unsigned bits, int lo, int hi) {
  const std::size_t stride = std::size_t{1} << bits;
  std::vector<unsigned> indices(count);
  for (auto& i : indices) i = static_cast<unsigned>(rng.in(0, static_cast<int>(stride) - 1));
  std::vector<T> table(channels * stride);
  for (auto& v : table) v = static_cast<T>(rng.in(lo, hi));
  return {pack_bits(indices, bits),
          decode_ancillary(0, static_cast<std::uint8_t>(bits), static_cast<std::uint8_t>(stride), bytes_of(table))};
}

/// Prune data for `count` elements of T: a random mask, random kept values.
template <class T>
std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> prune_data(std::size_t count, int lo, int hi) {
  std::vector<unsigned> mask(count);
  std::vector<T> kept;
  for (auto& m : mask) {
    m = static_cast<unsigned>(rng.in(0, 2) != 0);  // two in three kept
    if (m) kept.push_back(static_cast<T>(rng.in(lo, hi)));
  }
  return {pack_bits(mask, 1), decode_ancillary(2, 0, 0, bytes_of(kept))};
}

/// Huffman data for `count` symbols among five values: codes 0, 10, 110,
/// 1110, 1111 through a first table of 2-bit lookups and one second-level
/// table (entries 16 bits wide, or 32 with `wide`).
std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> huffman_data(std::size_t count, bool wide,
                                                                             const std::vector<int>& symbols) {
  const char* codes[] = {"0", "10", "110", "1110", "1111"};
  std::vector<unsigned> bits;
  for (std::size_t k = 0; k < count; ++k)
    for (const char* c = codes[rng.in(0, 4)]; *c; ++c) bits.push_back(*c == '1' ? 1u : 0u);
  while (bits.size() % 32 != 0) bits.push_back(0);
  const std::uint32_t found = wide ? 0x80000000u : 0x8000u, shift = wide ? 27u : 11u;
  const std::uint32_t value_mask = wide ? 0xFFFFu : 0xFFu;
  auto symbol = [&](int s, unsigned residual) {
    return found | (residual << shift) | (static_cast<std::uint32_t>(symbols[static_cast<std::size_t>(s)]) & value_mask);
  };
  // First table (2 bits): 00, 01 -> symbol 0 (1 bit too many), 10 -> symbol
  // 1, 11 -> the table 1 entry on, of 2-bit lookups (count field 2 - 1).
  // Second table: 00, 01 -> symbol 2 (1 too many), 10 -> 3, 11 -> 4.
  const std::uint32_t entries[] = {symbol(0, 1), symbol(0, 1), symbol(1, 0), (1u << shift) | 1u,
                                   symbol(2, 1), symbol(2, 1), symbol(3, 0), symbol(4, 0)};
  std::vector<std::uint8_t> tables;
  for (std::uint32_t e : entries)
    for (unsigned b = 0; b < (wide ? 4u : 2u); ++b) tables.push_back(static_cast<std::uint8_t>(e >> (8 * b)));
  return {pack_bits(bits, 1), decode_ancillary(1, static_cast<std::uint8_t>((1u << 4) | (wide ? 1u : 0u)), 0, tables)};
}

/// A model whose layer reads weights decoded by TFLM_DECODE: tensors 0 x,
/// 1 compressed data, 2 ancillary, 3 the decoded weights, then `rest`
/// (constants, then the output); op `layer` reads x (or, with `weights_first`,
/// the weights) and the others. A compiler may evaluate the arguments in any
/// order: a caller whose other arguments draw from `rng` too (a bias) draws
/// `data` in a statement before, or GCC and Clang write different models.
void decode_case(std::string name, std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>> data,
                 tensor_spec x, tensor_spec weights, std::vector<tensor_spec> rest, op_spec layer,
                 std::string expect_error = {}) {
  model_spec m;
  m.tensors = {std::move(x), constant({static_cast<int>(data.first.size())}, data.first, "compressed", U8),
               constant({static_cast<int>(data.second.size())}, data.second, "ancillary", U8), std::move(weights)};
  for (auto& t : rest) m.tensors.push_back(std::move(t));
  m.ops.push_back(op(32, 1, {1, 2}, {3}, "TFLM_DECODE"));
  m.ops.push_back(std::move(layer));
  m.inputs = {0};
  m.outputs = {static_cast<int>(m.tensors.size()) - 1};
  cases.push_back({std::move(name), std::move(m), std::move(expect_error)});
}

void tflm_decode() {
  // LUT: conv weights per channel along the first axis (3-bit indices),
  // depthwise weights per channel along the last (4 bits), float and int16
  // and int32 and bool operands of elementwise ops (2, 5, 7, 1 bits).
  {
    auto w = weights({3, 2, 2, 2}, i8, 0);
    w.data.clear();
    auto data = lut_data<std::int8_t>(24, 3, 3, -127, 127);
    decode_case("tflm_decode_lut_conv2d_i8", std::move(data), act({1, 3, 3, 2}, i8, false, "x"), w,
                {bias(3, i8, w), conv_out({1, 2, 2, 3}, i8)}, op(3, 3, {0, 3, 4}, {5}));
    cases.back().model.ops.back().options = conv_options(VALID, 1, 0);
  }
  {
    auto w = weights({1, 2, 2, 4}, i8, 3);
    w.data.clear();
    auto data = lut_data<std::int8_t>(16, 4, 4, -127, 127);
    decode_case("tflm_decode_lut_depthwise_i8", std::move(data), act({1, 3, 3, 2}, i8, false, "x"), w,
                {bias(4, i8, w), conv_out({1, 2, 2, 4}, i8)}, op(4, 3, {0, 3, 4}, {5}));
    cases.back().model.ops.back().options = depthwise_options(VALID, 1, 2, 0);
  }
  decode_case("tflm_decode_lut_f32", lut_data<float>(6, 1, 2, -100, 100), act({2, 3}, f32, false, "x"),
              activation({2, 3}, "weights", F32), {act({2, 3}, f32, true, "y")}, op(0, 1, {0, 3}, {4}));
  decode_case("tflm_decode_lut_i16", lut_data<std::int16_t>(8, 1, 5, -32768, 32767), act({8}, i16, false, "x"),
              act({8}, i16, false, "weights"), {act({8}, i16, true, "y")}, op(0, 3, {0, 3}, {4}));
  decode_case("tflm_decode_lut_i32", lut_data<std::int32_t>(10, 1, 7, -100000, 100000), activation({10}, "x", I32),
              activation({10}, "weights", I32), {activation({10}, "y", I32)}, op(0, 4, {0, 3}, {4}));
  decode_case("tflm_decode_lut_bool", lut_data<std::uint8_t>(12, 1, 1, 0, 1), activation({12}, "x", BOOL),
              activation({12}, "weights", BOOL), {activation({12}, "y", BOOL)}, op(86, 1, {0, 3}, {4}));
  // Prune: int8 with its zero point, per channel with zero points of 0,
  // float (kept values as bits).
  decode_case("tflm_decode_prune_i8", prune_data<std::int8_t>(8, -128, 127), act({8}, i8, false, "x"),
              act({8}, i8, false, "weights"), {act({8}, i8, true, "y")}, op(0, 2, {0, 3}, {4}));
  {
    auto w = weights({3, 2, 2, 2}, i8, 0);
    w.data.clear();
    auto data = prune_data<std::int8_t>(24, -127, 127);
    decode_case("tflm_decode_prune_conv2d_i8", std::move(data), act({1, 3, 3, 2}, i8, false, "x"), w,
                {bias(3, i8, w), conv_out({1, 2, 2, 3}, i8)}, op(3, 3, {0, 3, 4}, {5}));
    cases.back().model.ops.back().options = conv_options(VALID, 1, 0);
  }
  decode_case("tflm_decode_prune_f32", prune_data<float>(7, -50, 50), act({7}, f32, false, "x"),
              activation({7}, "weights", F32), {act({7}, f32, true, "y")}, op(0, 1, {0, 3}, {4}));
  // Huffman: int8 symbols through 16-bit and 32-bit tables, int16 through
  // 32-bit ones; 40 symbols span words.
  decode_case("tflm_decode_huffman_i8", huffman_data(40, false, {-3, 7, 100, -128, 127}), act({40}, i8, false, "x"),
              act({40}, i8, false, "weights"), {act({40}, i8, true, "y")}, op(0, 2, {0, 3}, {4}));
  decode_case("tflm_decode_huffman_wide_tables_i8", huffman_data(33, true, {1, 2, 3, 4, -5}),
              act({33}, i8, false, "x"), act({33}, i8, false, "weights"), {act({33}, i8, true, "y")},
              op(0, 2, {0, 3}, {4}));
  decode_case("tflm_decode_huffman_i16", huffman_data(25, true, {-32768, 32767, 0, 1000, -7}),
              act({25}, i16, false, "x"), act({25}, i16, false, "weights"), {act({25}, i16, true, "y")},
              op(0, 3, {0, 3}, {4}));

  // Refused alike on both paths.
  decode_case("error_tflm_decode_type", {{1, 2}, decode_ancillary(3, 0, 0, {})}, act({8}, i8, false, "x"),
              act({8}, i8, false, "weights"), {act({8}, i8, true, "y")}, op(0, 2, {0, 3}, {4}),
              "decode type 3; TFLM decodes LUT (0), Huffman (1) and prune (2) data");
  decode_case("error_tflm_decode_short_indices", {{0xFF}, decode_ancillary(0, 3, 8, std::vector<std::uint8_t>(8, 1))},
              act({8}, i8, false, "x"), act({8}, i8, false, "weights"), {act({8}, i8, true, "y")},
              op(0, 2, {0, 3}, {4}), "the compressed data or its tables end before the 8 values");
  {
    model_spec m;  // compressed data that the model computes (an input here)
    m.tensors = {activation({2}, "compressed", U8),
                 constant({16}, decode_ancillary(0, 1, 2, {}), "ancillary", U8), activation({8}, "weights", BOOL)};
    m.tensors[1].data.insert(m.tensors[1].data.end(), {0, 1, 1, 0});
    m.tensors[1].shape = {20};
    m.ops.push_back(op(32, 1, {0, 1}, {2}, "TFLM_DECODE"));
    m.inputs = {0};
    m.outputs = {2};
    cases.push_back({"error_tflm_decode_computed_input", std::move(m),
                     "TFLM decodes constant tensors (compressed weights); this model computes one of them"});
  }
  decode_case("error_tflm_decode_huffman_i16_narrow_tables", huffman_data(4, false, {1, 2, 3, 4, 5}),
              act({4}, i16, false, "x"), act({4}, i16, false, "weights"), {act({4}, i16, true, "y")},
              op(0, 3, {0, 3}, {4}), "TFLM's Huffman decoder writes i8 (16- or 32-bit tables) or i16");
}

// ---- TFLite_Detection_PostProcess -------------------------------------------

std::vector<std::uint8_t> detection_options(bool regular, int classes) {
  flexbuffers::Builder b;
  b.Map([&] {
    b.Int("max_detections", 3);
    b.Int("max_classes_per_detection", 1);
    b.Int("detections_per_class", 2);
    b.Bool("use_regular_nms", regular);
    b.Float("nms_score_threshold", -0.5f);
    b.Float("nms_iou_threshold", 0.4f);
    b.Int("num_classes", classes);
    b.Float("y_scale", 10.0f);
    b.Float("x_scale", 10.0f);
    b.Float("h_scale", 5.0f);
    b.Float("w_scale", 5.0f);
  });
  b.Finish();
  return b.GetBuffer();
}

void detection_case(std::string name, bool regular, bool background) {
  constexpr int N = 8, C = 3;
  std::vector<float> anchors;
  for (int i = 0; i < N; ++i)
    for (float v : {0.2f + 0.08f * static_cast<float>(i % 4), 0.3f + 0.1f * static_cast<float>(i / 4), 0.3f, 0.25f})
      anchors.push_back(v);
  model_spec m;
  m.tensors = {activation({1, N, 4}, "box_encodings", F32), activation({1, N, C + (background ? 1 : 0)}, "scores", F32),
               values({N, 4}, F32, anchors, "anchors"), activation({1, 3, 4}, "boxes", F32),
               activation({1, 3}, "classes", F32), activation({1, 3}, "scores_out", F32),
               activation({1}, "count", F32)};
  m.ops.push_back(op(32, 1, {0, 1, 2}, {3, 4, 5, 6}, "TFLite_Detection_PostProcess"));
  m.ops.back().custom_options = detection_options(regular, C);
  m.inputs = {0, 1};
  m.outputs = {3, 4, 5, 6};
  cases.push_back({std::move(name), std::move(m), {}, 3});
}

void detection_postprocess() {
  detection_case("tflite_detection_postprocess_fast_f32", false, true);
  detection_case("tflite_detection_postprocess_regular_f32", true, true);
  detection_case("tflite_detection_postprocess_no_background_f32", false, false);
  // Refused alike on both paths: anchors of another count, int8 scores.
  detection_case("error_detection_postprocess_anchors", false, true);
  cases.back().model.tensors[2] = values({4, 4}, F32, std::vector<float>(16, 0.5f), "anchors");
  cases.back().expect_error = "input 2 (anchors) must be f32 [N, 4] (N boxes, D = 3 detections), got f32[4,4]";
  detection_case("error_detection_postprocess_int8_scores", false, true);
  cases.back().model.tensors[1] = act_q({1, 8, 4}, I8, 0.01f, 0, "scores");
  cases.back().expect_error = "input 1 (class scores) must be f32";
}

// ---- control flow and resource variables (both paths) ----------------------
// Each case is a stream: TFLM's bytes invoke after invoke. The compile-time
// path runs IF, WHILE and CALL_ONCE's init (subgraphs as typed models) and
// holds resource variables as state nodes.

constexpr std::int8_t RESOURCE = 13;

/// ADD (no activation) of tensors a and b into out, in subgraph g.
void add_op(model_spec& g, int a, int b, int out) {
  g.ops.push_back(op(0, 1, {a, b}, {out}));
  g.ops.back().options =
      table(fb::BuiltinOptions::AddOptions, [](auto& fbb) { return fb::CreateAddOptions(fbb, 0, false); });
}

/// IF: a bool input picks then (x + x) or else (x + c) for x.
void if_case(const dtype_case& d) {
  model_spec m;
  m.tensors = {activation({1}, "cond", BOOL), act({1, 4}, d, false, "x"), act({1, 4}, d, false, "y")};
  m.ops.push_back(op(118, 1, {0, 1}, {2}));
  m.ops.back().options =
      table(fb::BuiltinOptions::IfOptions, [](auto& b) { return fb::CreateIfOptions(b, 1, 2); });
  m.inputs = {0, 1};
  m.outputs = {2};
  model_spec then_g;
  then_g.tensors = {act({1, 4}, d, false, "x"), act({1, 4}, d, false, "y")};
  add_op(then_g, 0, 0, 1);
  then_g.inputs = {0};
  then_g.outputs = {1};
  model_spec else_g;
  auto c = weights({1, 4}, d, 0, false);
  if (d.type != F32) {
    c.scales = {d.in_scale};
    c.zero_points = {d.in_zp};
  }
  else_g.tensors = {act({1, 4}, d, false, "x"), c, act({1, 4}, d, false, "y")};
  add_op(else_g, 0, 1, 2);
  else_g.inputs = {0};
  else_g.outputs = {2};
  m.subgraphs = {then_g, else_g};
  cases.push_back({std::string("if_") + d.tag, std::move(m), {}, 6});
}

/// WHILE: (i, x) from (0, input) while i < 3: (i + 1, x + x).
void while_case(const dtype_case& d) {
  model_spec m;
  m.tensors = {values({1}, I32, std::vector<std::int32_t>{0}, "i0"), act({1, 4}, d, false, "x"),
               activation({1}, "i", I32), act({1, 4}, d, false, "y")};
  m.ops.push_back(op(119, 1, {0, 1}, {2, 3}));
  m.ops.back().options =
      table(fb::BuiltinOptions::WhileOptions, [](auto& b) { return fb::CreateWhileOptions(b, 1, 2); });
  m.inputs = {1};
  m.outputs = {3};
  model_spec cond;
  cond.tensors = {activation({1}, "i", I32), act({1, 4}, d, false, "x"),
                  values({1}, I32, std::vector<std::int32_t>{3}, "limit"), activation({1}, "go_on", BOOL)};
  cond.ops.push_back(op(58, 1, {0, 2}, {3}));  // LESS
  cond.inputs = {0, 1};
  cond.outputs = {3};
  model_spec body;
  body.tensors = {activation({1}, "i", I32), act({1, 4}, d, false, "x"),
                  values({1}, I32, std::vector<std::int32_t>{1}, "one"), activation({1}, "i_next", I32),
                  act({1, 4}, d, false, "x_next")};
  add_op(body, 0, 2, 3);
  add_op(body, 1, 1, 4);
  body.inputs = {0, 1};
  body.outputs = {3, 4};
  m.subgraphs = {cond, body};
  cases.push_back({std::string("while_") + d.tag, std::move(m), {}, 2});
}

/// A resource variable: CALL_ONCE sets it to c (subgraph 1); each invoke
/// reads it, adds x and writes the sum back, and outputs it.
void variable_case(const dtype_case& d) {
  auto handle = [](model_spec& g, int out) {
    g.ops.push_back(op(142, 1, {}, {out}));
    g.ops.back().options = table(fb::BuiltinOptions::VarHandleOptions,
                                 [](auto& b) { return fb::CreateVarHandleOptionsDirect(b, "", "accumulator"); });
  };
  model_spec m;
  m.tensors = {activation({}, "handle", RESOURCE), act({1, 4}, d, false, "x"), act({1, 4}, d, false, "sum_so_far"),
               act({1, 4}, d, false, "y")};
  m.ops.push_back(op(129, 1, {}, {}));  // CALL_ONCE
  m.ops.back().options =
      table(fb::BuiltinOptions::CallOnceOptions, [](auto& b) { return fb::CreateCallOnceOptions(b, 1); });
  handle(m, 0);
  m.ops.push_back(op(143, 1, {0}, {2}));  // READ_VARIABLE
  add_op(m, 2, 1, 3);
  m.ops.push_back(op(144, 1, {0, 3}, {}));  // ASSIGN_VARIABLE
  m.inputs = {1};
  m.outputs = {3};
  model_spec init;
  auto c = weights({1, 4}, d, 0, false);
  if (d.type != F32) {
    c.scales = {d.in_scale};
    c.zero_points = {d.in_zp};
  }
  init.tensors = {activation({}, "handle", RESOURCE), c};
  handle(init, 0);
  init.ops.push_back(op(144, 1, {0, 1}, {}));
  m.subgraphs = {init};
  cases.push_back(
      {std::string("assign_variable_") + d.tag, std::move(m), {}, 3, {}, {"CALL_ONCE", "READ_VARIABLE", "VAR_HANDLE"}});
}

void control_flow() {
  for (const auto& d : {f32, i8}) {
    if_case(d);
    while_case(d);
    variable_case(d);
  }

  // What the ops' prepares refuse, on both paths alike.
  auto refused = [](std::string name, model_spec m, std::string error) {
    cases.push_back({std::move(name), std::move(m), std::move(error)});
  };
  auto if_model = [] {
    model_spec m;
    m.tensors = {activation({1}, "cond", BOOL), act({1, 4}, f32, false, "x"), act({1, 4}, f32, false, "y")};
    m.ops.push_back(op(118, 1, {0, 1}, {2}));
    m.ops.back().options =
        table(fb::BuiltinOptions::IfOptions, [](auto& b) { return fb::CreateIfOptions(b, 1, 1); });
    m.inputs = {0, 1};
    m.outputs = {2};
    model_spec branch;
    branch.tensors = {act({1, 4}, f32, false, "x"), act({1, 4}, f32, false, "y")};
    add_op(branch, 0, 0, 1);
    branch.inputs = {0};
    branch.outputs = {1};
    m.subgraphs = {branch};
    return m;
  };
  auto m = if_model();
  m.tensors[0].type = F32;
  refused("error_if_condition_f32", m, "input 0 (the condition) must be a single bool");
  m = if_model();
  m.ops[0].options = table(fb::BuiltinOptions::IfOptions, [](auto& b) { return fb::CreateIfOptions(b, 1, 3); });
  refused("error_if_missing_subgraph", m, "else_subgraph_index is 3; the model's subgraphs are 1..1");
  m = if_model();
  m.subgraphs[0].tensors[1].shape = {1, 5};
  m.subgraphs[0].ops[0].inputs = {0, 0};
  refused("error_if_output_size", m, "(they must have one dtype, size and quantization");
  // int8 bytes passed to a branch input at another scale: another number.
  m = if_model();
  m.tensors[1] = act_q({1, 4}, I8, 0.05f, 0, "x");
  m.tensors[2] = act_q({1, 4}, I8, 0.1f, 0, "y");
  m.subgraphs[0].tensors = {act_q({1, 4}, I8, 0.1f, 0, "x"), act_q({1, 4}, I8, 0.1f, 0, "y")};
  refused("error_if_operand_quantization", m, "(they must have one dtype, size and quantization: the bytes are copied");
  m = if_model();  // the branch runs an IF of itself
  m.subgraphs[0].tensors.push_back(activation({1}, "cond", BOOL));
  m.subgraphs[0].tensors.push_back(act({1, 4}, f32, false, "z"));
  m.subgraphs[0].inputs = {0, 2};
  m.subgraphs[0].ops.push_back(op(118, 1, {2, 0}, {3}));
  m.subgraphs[0].ops.back().options =
      table(fb::BuiltinOptions::IfOptions, [](auto& b) { return fb::CreateIfOptions(b, 1, 1); });
  m.tensors.insert(m.tensors.begin() + 2, activation({1}, "cond2", BOOL));
  m.ops[0].inputs = {0, 1, 2};
  m.ops[0].outputs = {3};
  m.inputs = {0, 1, 2};
  m.outputs = {3};
  refused("error_if_calls_itself", m, "subgraphs call each other in a loop");

  // A variable read that no ASSIGN_VARIABLE sizes; two sizes for one variable.
  auto handle_op = [](model_spec& g, int out) {
    g.ops.push_back(op(142, 1, {}, {out}));
    g.ops.back().options = table(fb::BuiltinOptions::VarHandleOptions,
                                 [](auto& b) { return fb::CreateVarHandleOptionsDirect(b, "", "v"); });
  };
  model_spec reads;
  reads.tensors = {activation({}, "handle", RESOURCE), act({1, 4}, f32, false, "x"), act({1, 4}, f32, false, "v"),
                   act({1, 4}, f32, false, "y")};
  handle_op(reads, 0);
  reads.ops.push_back(op(143, 1, {0}, {2}));
  add_op(reads, 2, 1, 3);
  reads.inputs = {1};
  reads.outputs = {3};
  refused("error_read_variable_never_assigned", reads, "which no ASSIGN_VARIABLE of the model writes");
  auto sizes = reads;
  sizes.tensors.push_back(act({1, 2}, f32, false, "half"));
  sizes.inputs = {1, 4};
  sizes.ops.push_back(op(144, 1, {0, 1}, {}));
  sizes.ops.push_back(op(144, 1, {0, 4}, {}));
  refused("error_assign_variable_sizes", sizes, "writes 8 bytes (f32[1,2]) into variable 'v', which operator 3");
}

/// Operations a prepare refuses: each must fail on both paths with the text
/// given (a substring of the rule's message, the same on both).
void errors() {
  {
    auto w = weights({4, 3, 3, 3}, i8, 0);
    auto b = values({4}, I16, std::vector<std::int16_t>{1, 2, 3, 4}, "bias");
    add("error_conv2d_bias_dtype", 3, 3, {act({1, 5, 5, 3}, i8, false, "x"), w, b, act({1, 3, 3, 4}, i8, true, "y")},
        {0, 1, 2}, {3}, conv_options(SAME, 2, 0), "the bias has the wrong dtype or shape");
  }
  {
    auto w = weights({3, 6}, i8, 0, false);
    w.zero_points = {9};
    add("error_fully_connected_asymmetric", 9, 4, {act({2, 6}, i8, false, "x"), w, act({2, 3}, i8, true, "y")},
        {0, 1, -1}, {2}, {}, "int8 weights must be symmetric");
  }
  add("error_softmax_output_parameters", 25, 2, {act({2, 5}, i8, false, "x"), act({2, 5}, i8, true, "y")}, {0}, {1},
      table(fb::BuiltinOptions::SoftmaxOptions, [](auto& b) { return fb::CreateSoftmaxOptions(b, 1.0f); }),
      "expected i8[2,5] (scale 0.003906, zero point -128)");
  add("error_add_mixed_dtypes", 0, 2, {act({1, 3}, i8, false, "a"), act({1, 3}, u8, false, "b"), act({1, 3}, i8, true, "y")},
      {0, 1}, {2}, {}, "the two inputs of this element-wise op differ in dtype");
  add("error_concatenation_quantization", 2, 2,
      {act({1, 3}, i8, false, "a"), act({1, 3}, i8, true, "b"), act({1, 6}, i8, false, "y")}, {0, 1}, {2},
      table(fb::BuiltinOptions::ConcatenationOptions, [](auto& b) { return fb::CreateConcatenationOptions(b, -1); }),
      "concatenation inputs must have the output's quantization");
  add("error_reshape_element_count", 22, 1, {act({2, 6}, f32, false, "x"), ints({2}, {5, 5}, "shape"), act({5, 5}, f32, false, "y")},
      {0, 1}, {2}, {}, "reshape to a shape with a different element count");
  add("error_transpose_permutation", 39, 2, {act({2, 3}, f32, false, "x"), ints({2}, {0, 0}, "perm"), act({2, 3}, f32, false, "y")},
      {0, 1}, {2}, {}, "transpose needs a permutation of the input's dimensions");
  add("error_strided_slice_shrink", 45, 2,
      {act({2, 3}, f32, false, "x"), ints({2}, {0, 7}, "begin"), ints({2}, {2, 8}, "end"), ints({2}, {1, 1}, "strides"),
       act({2}, f32, false, "y")},
      {0, 1, 2, 3}, {4},
      table(fb::BuiltinOptions::StridedSliceOptions,
            [](auto& b) { return fb::CreateStridedSliceOptions(b, 0, 0, 0, 0, 2); }),
      "a shrunk axis of strided_slice selects an index outside its dimension");
  add("error_mean_axis", 40, 2, {act({1, 3, 3, 2}, f32, false, "x"), ints({1}, {5}, "axis"), act({1, 3, 3, 2}, f32, false, "y")},
      {0, 1}, {2}, {}, "an axis is out of range for the input's rank");
  add("error_reduce_max_quantization", 82, 2,
      {act({2, 3}, i8, false, "x"), ints({1}, {1}, "axis"), act({2}, i8, true, "y")}, {0, 1}, {2}, {},
      "its output has its input's dtype and quantization");
  add("error_reduce_all_f32", 140, 1, {act({2, 3}, f32, false, "x"), ints({1}, {1}, "axis"), act({2}, f32, false, "y")},
      {0, 1}, {2}, {}, "this op does not take this operand's dtype or quantization");
  add("error_select_v2_scales", 123, 1,
      {activation({4}, "c", BOOL), act({4}, i8, false, "x"), act({4}, i8, true, "y"), act({4}, i8, false, "out")}, {0, 1, 2},
      {3}, {}, "the two inputs of this element-wise op differ in dtype");
  add("error_slice_past_the_end", 65, 1,
      {act({2, 4}, f32, false, "x"), ints({2}, {0, 2}, "begin"), ints({2}, {2, 3}, "size"), act({2, 3}, f32, false, "y")},
      {0, 1, 2}, {3}, {}, "slice takes one begin and one size per input dimension");
  add("error_broadcast_to_shape", 130, 2,
      {act({3, 2}, f32, false, "x"), ints({2}, {3, 4}, "shape"), act({3, 4}, f32, false, "y")}, {0, 1}, {2}, {},
      "the two input shapes do not broadcast");
  add("error_padv2_value_scale", 60, 2,
      {act({2, 3}, i8, false, "x"), ints({2, 2}, {1, 0, 2, 1}, "paddings"), act({}, i8, true, "value"),
       act({3, 6}, i8, false, "y")},
      {0, 1, 2}, {3}, {}, "padv2's value must be one element of the input's dtype and quantization");
  add("error_depth_to_space_channels", 5, 1, {act({1, 2, 2, 6}, f32, false, "x"), act({1, 4, 4, 1}, f32, false, "y")}, {0},
      {1}, table(fb::BuiltinOptions::DepthToSpaceOptions, [](auto& b) { return fb::CreateDepthToSpaceOptions(b, 2); }),
      "depth_to_space needs channels divisible by block^2");
  add("error_mirror_pad_too_wide", 100, 1,
      {act({2, 3}, f32, false, "x"), ints({2, 2}, {0, 0, 3, 0}, "paddings"), act({2, 6}, f32, false, "y")}, {0, 1}, {2},
      table(fb::BuiltinOptions::MirrorPadOptions, [](auto& b) { return fb::CreateMirrorPadOptions(b, 0); }),
      "mirror_pad pads with the input's own values");
  add("error_quantize_to_i32", 114, 1, {act({2, 5}, f32, false, "x"), act_q({2, 5}, I32, 0.1f, 0, "y")}, {0}, {1}, {},
      "quantize takes f32 (to quantize) or a per-tensor quantized");
  add("error_logistic_output_parameters", 14, 2, {act({2, 5}, i8, false, "x"), act({2, 5}, i8, true, "y")}, {0}, {1}, {},
      "expected i8[2,5] (scale 0.003906, zero point -128)");
  add("error_pool_quantization", 1, 2, {act({1, 4, 4, 2}, i8, false, "x"), act({1, 2, 2, 2}, i8, true, "y")}, {0}, {1},
      pool_options(2, 2, VALID), "its output has its input's dtype and quantization");
  {
    auto w = weights({1, 3, 3, 4}, i8, 3);
    w.scales.pop_back();
    w.zero_points.pop_back();
    add("error_depthwise_scale_count", 4, 3, {act({1, 4, 4, 2}, i8, false, "x"), w, act({1, 2, 2, 4}, i8, true, "y")},
        {0, 1, -1}, {2}, depthwise_options(VALID, 1, 2, 0),
        "tensor 1 'weights' has 3 per-channel scales, but dimension 3 of shape [1,3,3,4] is 4");
  }
}

/// Checks a prepare makes beyond the op rules (constant operands, parts of
/// multi-output ops, variables): the same refusal on both paths.
void prepare_errors() {
  add("error_floor_div_zero_divisor", 90, 2,
      {activation({2, 3}, "a", I32), ints({3}, {7, 0, 3}, "b"), activation({2, 3}, "y", I32)}, {0, 1}, {2}, {},
      "the constant divisor contains 0");
  {
    auto w = weights({3, 3, 3, 2}, i8, 0);
    add("error_transpose_conv_output_shape", 67, 3,
        {ints({4}, {1, 5, 5, 3}, "output_shape"), w, act({1, 3, 3, 2}, i8, false, "x"), conv_out({1, 6, 6, 3}, i8)},
        {0, 1, 2, -1}, {3},
        table(fb::BuiltinOptions::TransposeConvOptions,
              [](auto& b) { return fb::CreateTransposeConvOptions(b, SAME, 2, 2); }),
        "output_shape [1,5,5,3] differs from the output tensor's shape [1,6,6,3]");
  }
  add("error_split_uneven", 49, 2,
      {ints({1}, {1}, "axis"), act({2, 5, 3}, i8, false, "x"), act({2, 2, 3}, i8, false, "y0"),
       act({2, 3, 3}, i8, false, "y1")},
      {0, 1}, {2, 3}, table(fb::BuiltinOptions::SplitOptions, [](auto& b) { return fb::CreateSplitOptions(b, 2); }),
      "does not split into");
  add("error_unpack_count", 88, 2, {act({3, 4}, i8, false, "x"), act({4}, i8, false, "y0"), act({4}, i8, false, "y1")},
      {0}, {1, 2}, table(fb::BuiltinOptions::UnpackOptions, [](auto& b) { return fb::CreateUnpackOptions(b, 2, 0); }),
      "dimension 0 of [3,4]");
  add("error_pack_part_shape", 83, 2, {act({2, 3}, i8, false, "a"), act({3, 2}, i8, false, "b"), act({2, 2, 3}, i8, false, "y")},
      {0, 1}, {2}, table(fb::BuiltinOptions::PackOptions, [](auto& b) { return fb::CreatePackOptions(b, 2, 1); }),
      "part 1 shape [3,2]");
  add("error_arg_max_axis", 56, 2, {act({2, 5}, f32, false, "x"), ints({2}, {1, 1}, "axis"), activation({2}, "y", I32)},
      {0, 1}, {2}, table(fb::BuiltinOptions::ArgMaxOptions, [](auto& b) { return fb::CreateArgMaxOptions(b, I32); }),
      "axis must hold one value");
  add("error_resize_size", 23, 3, {act({1, 2, 3, 2}, f32, false, "x"), ints({2}, {3, 5}, "size"), act({1, 4, 5, 2}, f32, false, "y")},
      {0, 1}, {2}, {}, "size does not match the output shape [1,4,5,2]");
  {
    auto feature = weights({4, 6}, i8, 0, false);
    auto time_w = values({4, 3}, I16, std::vector<std::int16_t>(12, 100), "weights_time");
    time_w.scales = {0.0005f};
    time_w.zero_points = {0};
    add("error_svdf_state_not_variable", 27, 4,
        {act({1, 6}, i8, false, "x"), feature, time_w, act_q({1, 12}, I16, 0.01f, 0, "state"), act({1, 2}, i8, true, "y")},
        {0, 1, 2, -1, 3}, {4},
        table(fb::BuiltinOptions::SVDFOptions, [](auto& b) { return fb::CreateSVDFOptions(b, 2, 0); }),
        "input 4 (the state) must be a variable tensor");
  }
  add("error_concatenation_axis", 2, 2,
      {act({1, 2, 3}, f32, false, "a"), act({1, 2, 3}, f32, false, "b"), act({1, 2, 6}, f32, false, "y")}, {0, 1}, {2},
      table(fb::BuiltinOptions::ConcatenationOptions, [](auto& b) { return fb::CreateConcatenationOptions(b, 5); }),
      "an axis is out of range for the input's rank");
  add("error_strided_slice_end_count", 45, 2,
      {act({3, 4, 5}, f32, false, "x"), ints({3}, {0, 0, 0}, "begin"), ints({2}, {3, 4}, "end"),
       ints({3}, {1, 1, 1}, "strides"), act({3, 4, 5}, f32, false, "y")},
      {0, 1, 2, 3}, {4}, {}, "begin, end and strides must have one entry per input dimension");
  // CIRCULAR_BUFFER: a register that is not a variable, a batch, a float
  // sample, another quantization, options that are not a flexbuffer.
  auto circular = [](std::string name, tensor_spec x, tensor_spec reg, std::vector<std::uint8_t> options,
                     std::string error) {
    add(std::move(name), 32, 1, {std::move(x), std::move(reg)}, {0}, {1}, {}, std::move(error));
    cases.back().model.ops.back().custom_code = "CIRCULAR_BUFFER";
    cases.back().model.ops.back().custom_options = std::move(options);
  };
  auto reg = [](std::vector<int> shape, const dtype_case& d, bool variable) {
    auto t = act(std::move(shape), d, false, "register");
    t.variable = variable;
    return t;
  };
  circular("error_circular_buffer_not_variable", act({1, 1, 1, 4}, i8, false, "x"), reg({1, 3, 1, 4}, i8, false),
           cycles_max(2), "must be a variable tensor");
  circular("error_circular_buffer_batch", act({2, 1, 1, 4}, i8, false, "x"), reg({2, 3, 1, 4}, i8, true),
           cycles_max(2), "circular_buffer (TFLM's streaming op) takes an i8 sample [1, 1, W, D]");
  circular("error_circular_buffer_f32", act({1, 1, 1, 4}, f32, false, "x"), reg({1, 3, 1, 4}, f32, true),
           cycles_max(2), "circular_buffer (TFLM's streaming op) takes an i8 sample [1, 1, W, D]");
  circular("error_circular_buffer_quantization", act({1, 1, 1, 4}, i8, false, "x"), reg({1, 3, 1, 4}, i8, true),
           cycles_max(2), "its output has its input's dtype and quantization");
  cases.back().model.tensors[1].scales = {0.5f};
  circular("error_circular_buffer_options", act({1, 1, 1, 4}, i8, false, "x"), reg({1, 3, 1, 4}, i8, true),
           {1, 2, 3, 4, 5}, "its custom options are not a valid flexbuffer map");
  add("error_reshape_quantization", 22, 1, {act({2, 6}, i8, false, "x"), ints({2}, {3, 4}, "shape"), act({3, 4}, i8, true, "y")},
      {0, 1}, {2}, {}, "its output has its input's dtype and quantization");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_op_matrix DIR\n");
    return 2;
  }
  convolutions();
  elementwise();
  pooling_and_reductions();
  activations();
  conversions();
  layout();
  svdf();
  circular_buffer();
  lstm();
  detection_postprocess();
  control_flow();
  errors();
  prepare_errors();
  signal_library();  // after every earlier case: its constants draw from rng after theirs
  tflm_decode();
  // Variants TFLite runs and qfence does not yet (issue #11): both paths must
  // refuse them with the same text. When one lands, this list shrinks and the
  // case becomes a both-paths comparison.
  for (const char* not_yet : {"tanh_u8"})
    for (auto& c : cases)
      if (c.name == not_yet) c.expect_error = "this op does not take this operand's dtype or quantization";
  const std::filesystem::path dir = argv[1];
  for (const auto& c : cases) {
    std::filesystem::create_directories(dir / c.name);
    const auto bytes = build(c.model);
    std::ofstream(dir / c.name / "model.tflite", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    // A case that was refused by an older build and runs now must not keep
    // its old expectation (the directory outlives the build).
    if (!c.expect_error.empty()) std::ofstream(dir / c.name / "expect_error.txt") << c.expect_error;
    else std::filesystem::remove(dir / c.name / "expect_error.txt");
    if (c.sequence > 0) std::ofstream(dir / c.name / "sequence.txt") << c.sequence << "\n";
    else std::filesystem::remove(dir / c.name / "sequence.txt");
    if (!c.runtime_only.empty()) std::ofstream(dir / c.name / "runtime_only.txt") << c.runtime_only;
    else std::filesystem::remove(dir / c.name / "runtime_only.txt");
    std::filesystem::remove(dir / c.name / "covers.txt");
    for (const auto& op_name : c.covers) std::ofstream(dir / c.name / "covers.txt", std::ios::app) << op_name << "\n";
  }
  std::printf("%zu cases\n", cases.size());
  return 0;
}
