// The TFLite reader and the runtime interpreter on models built in memory:
// valid models load and run; every kind of corrupt file gives a model_error
// naming the problem (never a crash: this program also runs under ASan and
// UBSan); unsupported ops are listed all at once.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
#include "qfence/tflite/writer.hpp"
#include "test_support.hpp"
#include "flatbuffers/flexbuffers.h"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace tflite_reader_test {

namespace rt = qfence::runtime;
namespace tfl = qtest::tfl;
using qfence::tflite::read_model;

namespace {

std::vector<float> run_float_add(rt::model m) {
  rt::interpreter interp(std::move(m));
  std::ranges::copy(std::array{1.5f, -2.0f, 0.25f}, interp.input<float>(0).begin());
  interp.invoke();
  const auto y = interp.output<float>(0);
  return {y.begin(), y.end()};
}

/// The model_error message of building an interpreter for `m` (empty if it builds).
std::string interpreter_error(rt::model m) {
  try {
    rt::interpreter interp(std::move(m));
  } catch (const rt::model_error& e) {
    return e.what();
  }
  return {};
}

/// The model_error message of loading `file` (fails the test when it loads).
std::string load_error(std::vector<std::byte> file) {
  try {
    read_model(std::move(file));
  } catch (const rt::model_error& e) {
    return e.what();
  }
  FAIL("the model loaded");
  return {};
}

}  // namespace

TEST_CASE("a valid model loads and runs") {
  rt::model m = read_model(tfl::build(tfl::float_add_model()));
  CHECK(m.tensors.size() == 3);
  CHECK(m.operations.size() == 1);
  CHECK(m.tensors[1].constant);
  CHECK(m.tensors[0].name == "input");
  CHECK(run_float_add(std::move(m)) == std::vector<float>{11.5f, 18.0f, 30.25f});
}

TEST_CASE("buffers stored after the flatbuffer (offset/size) load and give the same results") {
  auto spec = tfl::float_add_model();
  spec.offset_buffers = true;
  const auto file = tfl::build(spec);
  rt::model m = read_model(file);
  REQUIRE(m.tensors[1].constant);
  // The data really lives past the flatbuffer.
  CHECK(m.tensors[1].data.data() >= m.file.data() + 64);
  CHECK(run_float_add(std::move(m)) == std::vector<float>{11.5f, 18.0f, 30.25f});

  SUBCASE("an offset past the end of the file is rejected") {
    auto cut = file;
    cut.resize(cut.size() - 16);  // drops the constant's bytes
    CHECK(load_error(cut).find("lies outside the file") != std::string::npos);
  }
}

TEST_CASE("models without tensor names load; errors then name tensors by index") {
  auto spec = tfl::float_add_model();
  for (auto& t : spec.tensors) t.name.clear();
  rt::model m = read_model(tfl::build(spec));
  CHECK(m.tensors[0].name.empty());
  CHECK(run_float_add(std::move(m)) == std::vector<float>{11.5f, 18.0f, 30.25f});
  spec.tensors[1].data.resize(8);
  CHECK(load_error(tfl::build(spec)) == "tensor 1 buffer 1 holds 8 bytes, but shape [1,3] of f32 needs 12");
}

TEST_CASE("wrong file identifier") {
  auto file = tfl::build(tfl::float_add_model());
  std::memcpy(file.data() + 4, "ONNX", 4);
  CHECK(load_error(file) == "not a TFLite model: file identifier is 'ONNX', expected 'TFL3'");
  CHECK(load_error({}) == "not a TFLite model: the file is 0 bytes, too short for a header");
}

TEST_CASE("every truncation of a valid file is rejected, never read past the end") {
  const auto file = tfl::build(tfl::float_add_model());
  for (std::size_t n = 0; n < file.size(); ++n) {
    std::vector<std::byte> cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
    bool rejected = false;
    try {
      read_model(std::move(cut));
    } catch (const rt::model_error&) {
      rejected = true;
    }
    CHECK_MESSAGE(rejected, "truncated to " << n << " bytes");
  }
}

TEST_CASE("out-of-range indices") {
  SUBCASE("operator input") {
    auto spec = tfl::float_add_model();
    spec.ops[0].inputs = {0, 7};
    CHECK(load_error(tfl::build(spec)) ==
          "operator 0 (ADD) input list refers to tensor 7, but the subgraph has 3 tensors");
  }
  SUBCASE("graph output") {
    auto spec = tfl::float_add_model();
    spec.outputs = {-3};
    CHECK(load_error(tfl::build(spec)).find("refers to tensor -3") != std::string::npos);
  }
  SUBCASE("buffer") {
    auto spec = tfl::float_add_model();
    spec.tensors[2].buffer_override = 99;
    CHECK(load_error(tfl::build(spec)) == "tensor 2 'output' refers to buffer 99, but the model has 2 buffers");
  }
}

TEST_CASE("negative and huge shapes") {
  auto spec = tfl::float_add_model();
  spec.tensors[2].shape = {1, -3};
  CHECK(load_error(tfl::build(spec)) ==
        "tensor 2 'output' has a negative dimension in shape [1,-3] (dynamic shapes are not supported)");
  spec.tensors[2].shape = {65536, 65536, 4};
  CHECK(load_error(tfl::build(spec)) == "tensor 2 'output' shape [65536,65536,4] is larger than 4 GiB");
  spec.tensors[2].shape = std::vector<int>(9, 1);
  CHECK(load_error(tfl::build(spec)) == "tensor 2 'output' has rank 9; qfence supports up to 8");
  // 2^31 int8 elements fit in 4 GiB but not in the kernels' 32-bit indices.
  spec.tensors[2].shape = {65536, 32768};
  spec.tensors[2].type = 9;  // INT8
  CHECK(load_error(tfl::build(spec)) == "tensor 2 'output' shape [65536,32768] has more than 2^31-1 elements; "
                                        "qfence's kernels index elements with 32-bit integers");
}

TEST_CASE("a cycle (an operator reading a tensor a later operator writes)") {
  auto spec = tfl::float_add_model();
  spec.tensors.push_back(tfl::activation({1, 3}, "loop"));
  spec.ops[0].inputs = {0, 3};  // reads 'loop', written below
  spec.ops.push_back(spec.ops[0]);
  spec.ops[1].inputs = {2, 1};
  spec.ops[1].outputs = {3};
  CHECK(load_error(tfl::build(spec)) ==
        "operator 0 (ADD) reads tensor 3 'loop' before the operator that writes it (a cycle)");
}

TEST_CASE("quantization arrays must fit the quantized dimension") {
  auto spec = tfl::float_add_model();
  spec.tensors[1].scales = {0.5f, 0.25f};
  spec.tensors[1].zero_points = {0};
  CHECK(load_error(tfl::build(spec)) == "tensor 1 'bias' has 2 quantization scales but 1 zero points; they must pair up");
  spec.tensors[1].zero_points = {0, 0};
  spec.tensors[1].quantized_dimension = 1;
  CHECK(load_error(tfl::build(spec)) ==
        "tensor 1 'bias' has 2 per-channel scales, but dimension 1 of shape [1,3] is 3");
  spec.tensors[1].scales = {-1.0f};
  spec.tensors[1].zero_points = {0};
  CHECK(load_error(tfl::build(spec)).find("scales must be positive and finite") != std::string::npos);
}

TEST_CASE("a 1-D per-channel tensor with an out-of-range quantized_dimension is read as TFLM reads it") {
  // person_detect's biases carry quantized_dimension 3 (the weights' axis).
  auto spec = tfl::float_add_model();
  spec.tensors[1].shape = {3};
  spec.tensors[1].scales = {0.5f, 0.25f, 0.125f};
  spec.tensors[1].zero_points = {0, 0, 0};
  spec.tensors[1].quantized_dimension = 3;
  const rt::model m = read_model(tfl::build(spec));
  CHECK(m.tensors[1].quant.axis == 0);
  REQUIRE(m.notes.size() == 1);
  CHECK(m.notes[0] == "tensor 1 'bias': quantized_dimension 3 is out of range for a 1-D tensor; read as 0 (as TFLM does)");
}

TEST_CASE("unsupported operators are all listed, with name, code, version and nodes") {
  auto spec = tfl::float_add_model();
  for (const char* name : {"a", "b", "c", "d"}) spec.tensors.push_back(tfl::activation({1, 3}, name));
  spec.ops.push_back(tfl::op(48 /*TOPK_V2*/, 1, {2}, {3}));
  spec.ops.push_back(tfl::op(103 /*UNIQUE*/, 2, {3}, {4}));
  spec.ops.push_back(tfl::op(48 /*TOPK_V2*/, 1, {4}, {5}));
  spec.ops.push_back(tfl::op(0 /*ADD*/, 9, {5, 1}, {6}));
  spec.outputs = {6};
  rt::model m = read_model(tfl::build(spec));
  const auto unsupported = rt::find_unsupported(m);
  REQUIRE(unsupported.size() == 4);
  CHECK(interpreter_error(std::move(m)) ==
        "4 unsupported operators: TOPK_V2 (builtin 48, v1, op not supported) at nodes 1,3; UNIQUE (builtin 103, v2, op "
        "not supported) at node 2; ADD (builtin 0, v9, version not supported (1..5)) at node 4");
}

TEST_CASE("a custom op without an implementation is reported by name") {
  auto spec = tfl::float_add_model();
  spec.ops[0] = tfl::op(32 /*CUSTOM*/, 1, {0, 1}, {2}, "MyDecoder");
  rt::model m = read_model(tfl::build(spec));
  CHECK(interpreter_error(std::move(m)) == "1 unsupported operator: MyDecoder (builtin 32, v1, custom op without an implementation) at node 0");
}

TEST_CASE("kernel checks name the operator and the types") {
  auto spec = tfl::float_add_model();
  spec.tensors[2].shape = {1, 4};
  rt::model m = read_model(tfl::build(spec));
  CHECK(interpreter_error(std::move(m)) ==
        "operator 0 (ADD v1): the output tensor's shape differs from the shape this op computes. fix: correct the "
        "model; the output is f32[1,4], expected f32[1,3]");
}

TEST_CASE("the interpreter owns or shares its model, so it never dangles") {
  // From a temporary: the interpreter takes the model.
  rt::interpreter own(read_model(tfl::build(tfl::float_add_model())));
  // Shared: both interpreters keep the model alive after the last other owner goes.
  auto shared = std::make_shared<const rt::model>(read_model(tfl::build(tfl::float_add_model())));
  rt::interpreter a(shared), b(shared);
  const std::weak_ptr<const rt::model> watch = shared;
  shared.reset();
  CHECK(!watch.expired());
  for (rt::interpreter* interp : {&own, &a, &b}) {
    std::ranges::copy(std::array{1.0f, 2.0f, 3.0f}, interp->input<float>(0).begin());
    interp->invoke();
    CHECK(std::ranges::equal(interp->output<float>(0), std::array{11.0f, 22.0f, 33.0f}));
  }
  CHECK_THROWS_WITH_AS(rt::interpreter(std::shared_ptr<const rt::model>{}),
                       "runtime::interpreter: no model (null pointer)", rt::model_error);
}

TEST_CASE("typed input and output spans check the element type and the index") {
  rt::interpreter interp(read_model(tfl::build(tfl::float_add_model())));
  CHECK(interp.input<float>(0).size() == 3);
  CHECK_THROWS_WITH_AS(interp.input<std::int8_t>(0),
                       "runtime::interpreter: input 0 ('input') is f32 [1,3]; input<T>(0) needs T = float",
                       rt::model_error);
  CHECK_THROWS_WITH_AS(interp.output<std::int32_t>(0),
                       "runtime::interpreter: output 0 ('output') is f32 [1,3]; output<T>(0) needs T = float",
                       rt::model_error);
  CHECK_THROWS_WITH_AS(interp.input<float>(1), "runtime::interpreter: input 1 does not exist; the model has 1 inputs",
                       rt::model_error);
  CHECK_THROWS_WITH_AS(interp.output_bytes(-1),
                       "runtime::interpreter: output -1 does not exist; the model has 1 outputs", rt::model_error);
}

TEST_CASE("runtime inputs survive invoke, as on the compile-time path") {
  rt::interpreter interp(read_model(tfl::build(tfl::float_add_model())));
  std::ranges::copy(std::array{1.5f, -2.0f, 0.25f}, interp.input<float>(0).begin());
  interp.invoke();
  CHECK(std::ranges::equal(interp.input<float>(0), std::array{1.5f, -2.0f, 0.25f}));
  interp.invoke();
  CHECK(std::ranges::equal(interp.output<float>(0), std::array{11.5f, 18.0f, 30.25f}));
}

TEST_CASE("random byte flips never crash the reader or the interpreter") {
  const auto file = tfl::build(tfl::float_add_model());
  qtest::xorshift32 rng(7);
  int loaded = 0, rejected = 0, other = 0;
  for (int round = 0; round < 3000; ++round) {
    auto bad = file;
    const int flips = 1 + static_cast<int>(rng.next() % 4);
    for (int f = 0; f < flips; ++f)
      bad[rng.next() % bad.size()] = static_cast<std::byte>(rng.next() & 0xFF);
    try {
      rt::interpreter interp(read_model(std::move(bad)));
      interp.invoke();
      ++loaded;
    } catch (const rt::model_error&) {
      ++rejected;
    } catch (const std::exception& e) {
      // Bad input is reported as a model_error, never as another exception.
      ++other;
      INFO("round " << round << ": " << e.what());
      CHECK(false);
    }
  }
  CHECK(other == 0);
  // Most flips hit the structure and are rejected; some land in bytes that
  // do not matter (names, constant values) and the model still runs.
  CHECK(rejected > 0);
  CHECK(loaded > 0);
  MESSAGE("byte-flipped files: " << loaded << " loaded and ran, " << rejected << " rejected");
}

TEST_CASE("corrupt archives of associated files never crash the reader: every byte of the zip flipped") {
  // The model, then a zip of two files with offsets from the file's start,
  // as TFLite Support's populator appends labels. Every byte of the
  // archive takes four other values; each file loads (the archive kept,
  // or left out with a note), and whatever is kept writes and reads back.
  const auto model = tfl::build(tfl::float_add_model());
  auto file = model;
  for (const std::uint8_t b :
       tfl::stored_zip({{"labels.txt", "cat\ndog\n"}, {"vocab.txt", "a b"}}, static_cast<std::uint32_t>(model.size())))
    file.push_back(std::byte{b});
  int kept = 0, noted = 0, ignored = 0;
  for (std::size_t at = model.size(); at < file.size(); ++at)
    for (const int change : {0x01, 0x80, 0xff, -1}) {
      auto bad = file;
      bad[at] = change < 0 ? std::byte{0} : bad[at] ^ static_cast<std::byte>(change);
      const rt::model m = read_model(std::move(bad));
      if (!m.associated_files.empty()) {
        ++kept;
        CHECK(read_model(qfence::tflite::write_model(m)).associated_files == m.associated_files);
      } else if (!m.notes.empty()) {
        ++noted;
        CHECK(m.notes[0].find("associated files") != std::string::npos);
      } else {
        ++ignored;  // no end record left: trailing bytes, as a model may have
      }
    }
  CHECK(kept > 0);
  CHECK(noted > 0);
  MESSAGE("archive byte flips: " << kept << " kept, " << noted << " left out with a note, " << ignored
                                 << " not an archive any more");
}

namespace {

/// input i8 [1,5,6,3] -> PAD (rows 0/1, columns 1/1) -> CONV_2D or
/// DEPTHWISE_CONV_2D, 3x3, stride 2, VALID -> output [1,2,3,C]. With
/// `pad_is_output`, the padded tensor is also a model output.
tfl::model_spec pad_then_conv_model(bool depthwise, bool pad_is_output = false, std::int8_t type = 9 /*INT8*/) {
  const bool f32 = type == 0;
  const auto quantized = [&](tfl::tensor_spec t, float scale, std::int64_t zp) {
    if (!f32) t.scales = {scale}, t.zero_points = {zp};
    return t;
  };
  const int out_c = depthwise ? 3 : 4;
  const std::vector<int> filter = depthwise ? std::vector<int>{1, 3, 3, 3} : std::vector<int>{4, 3, 3, 3};
  const std::size_t filter_n = 27u * (depthwise ? 1u : 4u);
  std::vector<std::uint8_t> weights;
  if (f32) {
    weights = tfl::bytes_of(qtest::random_floats(filter_n, 61, -1, 1));
  } else {
    weights = tfl::bytes_of(qtest::random_ints<std::int8_t>(filter_n, 61, -127, 127));
  }
  const auto bias = f32 ? tfl::bytes_of(qtest::random_floats(static_cast<std::size_t>(out_c), 62, -1, 1))
                        : tfl::bytes_of(qtest::random_ints<std::int32_t>(static_cast<std::size_t>(out_c), 62, -900, 900));
  tfl::model_spec m;
  m.tensors.push_back(quantized(tfl::activation({1, 5, 6, 3}, "input", type), 0.05f, -37));
  m.tensors.push_back(tfl::constant({4, 2}, tfl::bytes_of(std::vector<std::int32_t>{0, 0, 0, 1, 1, 1, 0, 0}), "paddings",
                                    2 /*INT32*/));
  m.tensors.push_back(quantized(tfl::activation({1, 6, 8, 3}, "padded", type), 0.05f, -37));
  m.tensors.push_back(quantized(tfl::constant(filter, weights, "weights", type), 0.02f, 0));
  m.tensors.push_back(quantized(tfl::constant({out_c}, bias, "bias", f32 ? std::int8_t{0} : std::int8_t{2}), 0.001f, 0));
  m.tensors.push_back(quantized(tfl::activation({1, 2, 3, out_c}, "output", type), 0.2f, 5));
  m.ops.push_back(tfl::op(34 /*PAD*/, 1, {0, 1}, {2}));
  m.ops.push_back(tfl::op(depthwise ? 4 /*DEPTHWISE_CONV_2D*/ : 3 /*CONV_2D*/, depthwise ? 3 : 3, {2, 3, 4}, {5}));
  m.ops.back().options = [depthwise](flatbuffers::FlatBufferBuilder& b) {
    namespace fb = tfl::fb;
    if (depthwise)
      return std::pair{fb::BuiltinOptions::DepthwiseConv2DOptions,
                       fb::CreateDepthwiseConv2DOptions(b, 1 /*VALID*/, 2, 2, 1).Union()};
    return std::pair{fb::BuiltinOptions::Conv2DOptions, fb::CreateConv2DOptions(b, 1 /*VALID*/, 2, 2).Union()};
  };
  m.inputs = {0};
  m.outputs = pad_is_output ? std::vector<int>{5, 2} : std::vector<int>{5};
  return m;
}

/// Output 0's bytes of `m` on random input, with or without PAD folding,
/// and how many operations ran.
std::pair<std::vector<std::byte>, std::size_t> run_folded(const tfl::model_spec& spec, bool fold) {
  rt::interpreter_options o;
  o.fold_pads = fold;
  rt::interpreter interp(read_model(tfl::build(spec)), o);
  const auto in = interp.input_bytes(0);
  const auto noise = qtest::random_ints<std::int32_t>(in.size(), 63, 0, 255);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::byte>(noise[i]);
  interp.invoke();
  const auto out = interp.output_bytes(0);
  return {{out.begin(), out.end()}, interp.operations().size()};
}

}  // namespace

TEST_CASE("a PAD feeding only a VALID integer convolution is folded into it, with the same output bytes") {
  for (const bool depthwise : {false, true}) {
    CAPTURE(depthwise);
    const auto spec = pad_then_conv_model(depthwise);
    const auto [padded, ops_padded] = run_folded(spec, false);
    const auto [folded, ops_folded] = run_folded(spec, true);
    CHECK(ops_padded == 2);
    CHECK(ops_folded == 1);
    CHECK(padded == folded);
    // The folded layer keeps the file's operator number for its messages.
    rt::interpreter interp(read_model(tfl::build(spec)));
    CHECK(interp.operations().at(0).index == 1);
    CHECK(interp.operations().at(0).options.pads == qfence::window_pads{0, 1, 1, 1});
  }
}

TEST_CASE("a PAD is kept where folding could change a result or lose a tensor") {
  // Its output is also a model output: the padded tensor must exist.
  CHECK(run_folded(pad_then_conv_model(false, true), true).second == 2);
  // Float: a skipped tap and a tap of 0.0 differ (0 * inf, signed zeros).
  CHECK(run_folded(pad_then_conv_model(false, false, 0 /*FLOAT32*/), true).second == 2);
}

// ---- CIRCULAR_BUFFER: a custom op qfence ships, with flexbuffer options ------

namespace {

/// x i8 [1,1,1,2] -> CIRCULAR_BUFFER (register [1,3,1,2], a variable) with
/// the given custom options.
tfl::model_spec circular_buffer_model(std::vector<std::uint8_t> options) {
  tfl::model_spec spec;
  auto x = tfl::activation({1, 1, 1, 2}, "x", 9);
  x.scales = {0.5f};
  x.zero_points = {-1};
  auto reg = x;
  reg.name = "register";
  reg.shape = {1, 3, 1, 2};
  reg.variable = true;
  spec.tensors = {x, reg};
  spec.ops.push_back(tfl::op(32, 1, {0}, {1}, "CIRCULAR_BUFFER"));
  spec.ops.back().custom_options = std::move(options);
  spec.inputs = {0};
  spec.outputs = {1};
  return spec;
}

std::vector<std::uint8_t> flexbuffer_map(const char* key, int value) {
  flexbuffers::Builder b;
  b.Map([&] { b.Int(key, value); });
  b.Finish();
  return b.GetBuffer();
}

}  // namespace

TEST_CASE("CIRCULAR_BUFFER runs on the runtime path and ends the invoke between its periods") {
  rt::interpreter interp(read_model(tfl::build(circular_buffer_model(flexbuffer_map("cycles_max", 2)))));
  auto step = [&](std::int8_t a, std::int8_t b) {
    interp.input<std::int8_t>(0)[0] = a;
    interp.input<std::int8_t>(0)[1] = b;
    return interp.invoke();
  };
  auto reg = [&] {
    const auto r = interp.output<std::int8_t>(0);
    return std::vector<int>(r.begin(), r.end());
  };
  CHECK(reg() == std::vector<int>{-1, -1, -1, -1, -1, -1});
  CHECK(step(1, 2) == qfence::invoke_status::ended_early);
  CHECK(step(3, 4) == qfence::invoke_status::completed);
  CHECK(reg() == std::vector<int>{-1, -1, 1, 2, 3, 4});
  CHECK(step(5, 6) == qfence::invoke_status::ended_early);
  // reset_variables restarts the stream: the register and the count.
  interp.reset_variables();
  CHECK(reg() == std::vector<int>{-1, -1, -1, -1, -1, -1});
  CHECK(step(7, 8) == qfence::invoke_status::ended_early);
  CHECK(step(9, 10) == qfence::invoke_status::completed);
  CHECK(reg() == std::vector<int>{-1, -1, 7, 8, 9, 10});
}

TEST_CASE("CIRCULAR_BUFFER's cycles_max is read as TFLM reads it: the root's element 0") {
  // An integer stored indirectly, a vector root instead of a map: TFLM reads
  // element 0 of either; a period of 1 never ends the invoke.
  flexbuffers::Builder indirect;
  indirect.Map([&] { indirect.IndirectInt("cycles_max", 1); });
  indirect.Finish();
  flexbuffers::Builder vector;
  vector.Vector([&] { vector.Int(1); });
  vector.Finish();
  for (const auto& options : {indirect.GetBuffer(), vector.GetBuffer(), flexbuffer_map("cycles_max", 1)}) {
    rt::interpreter interp(read_model(tfl::build(circular_buffer_model(options))));
    CHECK(interp.invoke() == qfence::invoke_status::completed);
  }
  // No options: TFLM's shape rule (3 slots: period 2).
  rt::interpreter defaulted(read_model(tfl::build(circular_buffer_model({}))));
  CHECK(defaulted.invoke() == qfence::invoke_status::ended_early);
  CHECK(defaulted.invoke() == qfence::invoke_status::completed);
  // A string where a number belongs is a clear error.
  flexbuffers::Builder text;
  text.Map([&] { text.String("cycles_max", "2"); });
  text.Finish();
  CHECK_THROWS_WITH_AS(read_model(tfl::build(circular_buffer_model(text.GetBuffer()))),
                       "operator 0 (CIRCULAR_BUFFER): its custom options are not a valid flexbuffer map: 'cycles_max' "
                       "is not a number",
                       rt::model_error);
}

TEST_CASE("corrupt CIRCULAR_BUFFER options never crash the reader: every truncation and byte flip") {
  const auto options = flexbuffer_map("cycles_max", 3);
  int read = 0, rejected = 0;
  auto attempt = [&](std::vector<std::uint8_t> bad) {
    try {
      rt::interpreter interp(read_model(tfl::build(circular_buffer_model(std::move(bad)))));
      (void)interp.invoke();
      ++read;
    } catch (const rt::model_error&) {
      ++rejected;
    }
  };
  for (std::size_t n = 1; n < options.size(); ++n) attempt({options.begin(), options.begin() + static_cast<long>(n)});
  qtest::xorshift32 rng(11);
  for (int round = 0; round < 2000; ++round) {
    auto bad = options;
    bad[rng.next() % bad.size()] = static_cast<std::uint8_t>(rng.next() & 0xFF);
    attempt(std::move(bad));
  }
  CHECK(rejected > 0);
  MESSAGE("corrupt CIRCULAR_BUFFER options: " << read << " read and ran, " << rejected << " rejected");
}

TEST_CASE("an application's own CIRCULAR_BUFFER replaces the one qfence ships") {
  rt::interpreter_options o;
  o.custom_ops["CIRCULAR_BUFFER"] = [](const rt::op_context& ctx) -> rt::kernel {
    const int out = ctx.output_index(0);
    return [out](const rt::tensor_memory& m) { m.at<std::int8_t>(out)[0] = 42; };
  };
  rt::interpreter interp(read_model(tfl::build(circular_buffer_model(flexbuffer_map("cycles_max", 2)))), o);
  CHECK(interp.invoke() == qfence::invoke_status::completed);
  CHECK(interp.output<std::int8_t>(0)[0] == 42);
}

// ---- corrupt data of the custom ops qfence ships: never a crash -------------

namespace {

/// ADD of input x (i8 [n]) and weights decoded by TFLM_DECODE from
/// `compressed` and `ancillary` (constants).
tfl::model_spec decoded_add_model(std::vector<std::uint8_t> compressed, std::vector<std::uint8_t> ancillary, int n) {
  tfl::model_spec spec;
  auto x = tfl::activation({n}, "x", 9);
  x.scales = {0.5f};
  x.zero_points = {-1};
  auto w = x;
  w.name = "weights";
  auto y = x;
  y.name = "y";
  const int c = static_cast<int>(compressed.size()), a = static_cast<int>(ancillary.size());
  spec.tensors = {x, tfl::constant({c}, std::move(compressed), "compressed", 3),
                  tfl::constant({a}, std::move(ancillary), "ancillary", 3), w, y};
  spec.ops.push_back(tfl::op(32, 1, {1, 2}, {3}, "TFLM_DECODE"));
  spec.ops.push_back(tfl::add_of(0, 3, 4));
  spec.inputs = {0};
  spec.outputs = {4};
  return spec;
}

/// A TFLM_DECODE ancillary tensor of decoder `type` (16-byte header, tables).
std::vector<std::uint8_t> decode_ancillary(std::uint8_t type, std::uint8_t params, std::uint8_t stride,
                                           std::vector<std::uint8_t> tables) {
  std::vector<std::uint8_t> a(16, 0);
  a[0] = type;
  a[1] = a[4] = 1;
  a[5] = params;
  a[6] = stride;
  a.insert(a.end(), tables.begin(), tables.end());
  return a;
}

/// Builds and runs `spec` with byte `at` of its data changed or the data
/// cut at `at`; counts what ran and what was refused with a model_error.
struct corruption_counts {
  int ran = 0, refused = 0;
  void attempt(const tfl::model_spec& spec) {
    try {
      rt::interpreter interp(read_model(tfl::build(spec)));
      (void)interp.invoke();
      ++ran;
    } catch (const rt::model_error&) {
      ++refused;
    }
  }
};

}  // namespace

TEST_CASE("corrupt TFLM_DECODE data never crashes: truncations and byte flips of every decoder's data") {
  // LUT of 3-bit indices, prune, and Huffman (2-bit first table; codes 0, 10, 11).
  const std::vector<std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>>> valid = {
      {{0x5A, 0xC3, 0x0F}, decode_ancillary(0, 3, 8, {1, 2, 3, 4, 5, 6, 7, 8})},
      {{0xB7}, decode_ancillary(2, 0, 0, {9, 8, 7, 6, 5, 4})},
      {{0x5A, 0x00, 0x00, 0x00}, decode_ancillary(1, 1 << 4, 0, {0x05, 0x88, 0x05, 0x88, 0x06, 0x80, 0x07, 0x80})},
  };
  corruption_counts counts;
  qtest::xorshift32 rng(17);
  for (const auto& [data, tables] : valid) {
    const int refused_before = counts.refused;
    counts.attempt(decoded_add_model(data, tables, 8));
    REQUIRE(counts.refused == refused_before);  // each valid model runs
    for (std::size_t n = 0; n < tables.size(); ++n)
      counts.attempt(decoded_add_model(data, {tables.begin(), tables.begin() + static_cast<long>(n)}, 8));
    for (std::size_t n = 1; n < data.size(); ++n)
      counts.attempt(decoded_add_model({data.begin(), data.begin() + static_cast<long>(n)}, tables, 8));
    for (int round = 0; round < 300; ++round) {
      auto bad_tables = tables;
      auto bad_data = data;
      bad_tables[rng.next() % bad_tables.size()] = static_cast<std::uint8_t>(rng.next() & 0xFF);
      bad_data[rng.next() % bad_data.size()] = static_cast<std::uint8_t>(rng.next() & 0xFF);
      counts.attempt(decoded_add_model(data, bad_tables, 8));
      counts.attempt(decoded_add_model(bad_data, tables, 8));
    }
  }
  CHECK(counts.refused > 0);
  CHECK(counts.ran > 3);
  MESSAGE("corrupt TFLM_DECODE data: " << counts.ran << " ran, " << counts.refused << " refused");
}

TEST_CASE("random options of the signal library's ops never crash the reader or the kernels") {
  // Each op on operands of the shapes it takes, options from random maps of
  // its own keys (values over every sign and size) and random bytes.
  struct signal_op {
    const char* code;
    std::vector<const char*> keys;
    std::vector<tfl::tensor_spec> tensors;
    std::vector<int> inputs, outputs;
  };
  auto raw = [](std::vector<int> shape, std::int8_t type, const char* name) {
    return tfl::activation(std::move(shape), name, type);
  };
  const std::vector<signal_op> ops = {
      {"SignalWindow", {"shift"}, {raw({8}, 7, "x"), tfl::constant({8}, std::vector<std::uint8_t>(16, 1), "w", 7),
                                  raw({8}, 7, "y")}, {0, 1}, {2}},
      {"SignalEnergy", {"end_index", "start_index"}, {raw({18}, 7, "x"), raw({9}, 15, "y")}, {0}, {1}},
      {"SignalRfft", {"T", "fft_length"}, {raw({16}, 7, "x"), raw({18}, 7, "y")}, {0}, {1}},
      {"SignalIrfft", {"T", "fft_length"}, {raw({18}, 7, "x"), raw({16}, 7, "y")}, {0}, {1}},
      {"SignalFilterBankLog", {"input_correction_bits", "output_scale"}, {raw({6}, 15, "x"), raw({6}, 7, "y")}, {0}, {1}},
      {"SignalPCAN", {"snr_shift"}, {raw({4}, 15, "x"), raw({4}, 15, "n"),
                                     tfl::constant({125}, std::vector<std::uint8_t>(250, 3), "lut", 7),
                                     raw({4}, 15, "y")}, {0, 1, 2}, {3}},
      {"SignalDelay", {"delay_length"}, {raw({2, 4}, 7, "x"), raw({2, 4}, 7, "y")}, {0}, {1}},
      {"SignalFramer", {"frame_size", "frame_step", "prefill"},
       {raw({8}, 7, "x"), raw({2, 5}, 7, "y"), raw({}, 6, "valid")}, {0}, {1, 2}},
      {"SignalStacker", {"num_channels", "stacker_left_context", "stacker_right_context", "stacker_step"},
       {raw({2}, 7, "x"), raw({6}, 7, "y"), raw({}, 6, "valid")}, {0}, {1, 2}},
      {"SignalOverlapAdd", {"T", "frame_step"}, {raw({2, 4}, 7, "x"), raw({4}, 7, "y")}, {0}, {1}},
  };
  const std::int64_t values[] = {0, 1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 63, 64, -1, -2, 1 << 20, INT64_C(1) << 40, -(INT64_C(1) << 40)};
  qtest::xorshift32 rng(23);
  corruption_counts counts;
  for (const auto& o : ops) {
    for (int round = 0; round < 150; ++round) {
      flexbuffers::Builder b;
      b.Map([&] {
        for (const char* key : o.keys) b.Int(key, values[rng.next() % std::size(values)]);
      });
      b.Finish();
      std::vector<std::uint8_t> options = b.GetBuffer();
      if (round % 3 == 2) options[rng.next() % options.size()] = static_cast<std::uint8_t>(rng.next() & 0xFF);
      tfl::model_spec spec;
      spec.tensors = o.tensors;
      spec.ops.push_back(tfl::op(32, 1, o.inputs, o.outputs, o.code));
      spec.ops.back().custom_options = std::move(options);
      for (int t : o.inputs)
        if (spec.tensors[static_cast<std::size_t>(t)].data.empty()) spec.inputs.push_back(t);
      spec.outputs = o.outputs;
      counts.attempt(spec);
    }
  }
  CHECK(counts.refused > 0);
  CHECK(counts.ran > 0);
  MESSAGE("random signal options: " << counts.ran << " ran, " << counts.refused << " refused");
}

// ---- subgraphs: control flow and resource variables (runtime path) ----------

namespace {


/// f32 [2]: CALL_ONCE sets variable 'total' to [1, 2] (subgraph 1); each
/// invoke adds the input to it, writes it back and outputs it.
tfl::model_spec accumulator_model() {
  namespace fb = qfence::tflite::fb;
  auto handle = [](tfl::model_spec& g, int out) {
    g.ops.push_back(tfl::op(142, 1, {}, {out}));
    g.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
      return std::pair{fb::BuiltinOptions::VarHandleOptions,
                       fb::CreateVarHandleOptionsDirect(b, nullptr, "total").Union()};
    };
  };
  tfl::model_spec m;
  m.tensors = {tfl::activation({}, "handle", 13 /*RESOURCE*/), tfl::activation({2}, "x"),
               tfl::activation({2}, "so_far"), tfl::activation({2}, "y")};
  m.ops.push_back(tfl::op(129, 1, {}, {}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::CallOnceOptions, fb::CreateCallOnceOptions(b, 1).Union()};
  };
  handle(m, 0);
  m.ops.push_back(tfl::op(143, 1, {0}, {2}));
  m.ops.push_back(tfl::add_of(2, 1, 3));
  m.ops.push_back(tfl::op(144, 1, {0, 3}, {}));
  m.inputs = {1};
  m.outputs = {3};
  tfl::model_spec init;
  init.tensors = {tfl::activation({}, "handle", 13), tfl::constant({2}, tfl::bytes_of(std::vector<float>{1, 2}), "start")};
  handle(init, 0);
  init.ops.push_back(tfl::op(144, 1, {0, 1}, {}));
  m.subgraphs = {init};
  return m;
}

}  // namespace

TEST_CASE("resource variables live across invokes; CALL_ONCE initialises them, again after reset_variables") {
  rt::interpreter interp(read_model(tfl::build(accumulator_model())));
  auto step = [&](float a, float b) {
    interp.input<float>(0)[0] = a;
    interp.input<float>(0)[1] = b;
    CHECK(interp.invoke() == qfence::invoke_status::completed);
    const auto y = interp.output<float>(0);
    return std::vector<float>(y.begin(), y.end());
  };
  CHECK(step(10, 20) == std::vector<float>{11, 22});
  CHECK(step(10, 20) == std::vector<float>{21, 42});
  interp.reset_variables();  // a new stream: the init subgraph runs again
  CHECK(step(1, 1) == std::vector<float>{2, 3});
}

TEST_CASE("a model with subgraphs is read whole: every subgraph's tensors, operations, inputs and outputs") {
  const rt::model m = read_model(tfl::build(accumulator_model()));
  REQUIRE(m.subgraphs.size() == 1);
  CHECK(m.main_tensor_count() == 4);
  CHECK(m.subgraphs[0].first_tensor == 4);
  CHECK(m.subgraphs[0].operations.size() == 2);
  CHECK(m.subgraphs[0].operations[1].inputs == std::vector<int>{4, 5});  // global tensor indices
  CHECK(m.tensors[4].resource);
  CHECK(m.subgraphs[0].operations[0].subgraph == 1);
  // The writer writes every subgraph: the file reads back the same.
  const rt::model back = read_model(qfence::tflite::write_model(m));
  REQUIRE(back.subgraphs.size() == 1);
  CHECK(back.subgraphs[0].first_tensor == 4);
  CHECK(back.subgraphs[0].operations[1].inputs == std::vector<int>{4, 5});
}

TEST_CASE("a resource handle from another subgraph is refused by name") {
  // IF passes the main graph's handle into the branch, which reads it.
  namespace fb = qfence::tflite::fb;
  tfl::model_spec m;
  m.tensors = {tfl::activation({}, "handle", 13), tfl::activation({1}, "cond", 6), tfl::activation({2}, "y")};
  m.ops.push_back(tfl::op(142, 1, {}, {0}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::VarHandleOptions, fb::CreateVarHandleOptionsDirect(b, nullptr, "v").Union()};
  };
  m.ops.push_back(tfl::op(118, 1, {1, 0}, {2}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::IfOptions, fb::CreateIfOptions(b, 1, 1).Union()};
  };
  m.inputs = {1};
  m.outputs = {2};
  tfl::model_spec branch;
  branch.tensors = {tfl::activation({}, "handle", 13), tfl::activation({2}, "v")};
  branch.ops.push_back(tfl::op(143, 1, {0}, {1}));
  branch.inputs = {0};
  branch.outputs = {1};
  m.subgraphs = {branch};
  CHECK(interpreter_error(read_model(tfl::build(m))) ==
        "subgraph 1, operator 0 (READ_VARIABLE v1): input 0 (the resource handle) comes from outside this subgraph; "
        "qfence resolves handles when it prepares the ops, so each READ_VARIABLE and ASSIGN_VARIABLE needs a "
        "VAR_HANDLE of its own subgraph (as converters write them)");
}

TEST_CASE("an op in another subgraph that qfence lacks is listed with its subgraph") {
  auto m = accumulator_model();
  m.subgraphs[0].ops.push_back(tfl::op(48 /*TOPK_V2*/, 1, {}, {}));
  CHECK(interpreter_error(read_model(tfl::build(m))) ==
        "1 unsupported operator: TOPK_V2 (builtin 48, v1, op not supported) at node 2 of subgraph 1");
}

TEST_CASE("a tensor no operator writes is a zeroed scratch tensor; a COMPLEX64 tensor is described, not run") {
  auto spec = tfl::float_add_model();
  spec.tensors[1] = tfl::activation({1, 3}, "scratch");  // the ADD's second operand: now written by no one
  const rt::model m = read_model(tfl::build(spec));
  CHECK(m.tensors[1].unwritten);
  REQUIRE(m.notes.size() == 1);
  CHECK(m.notes[0] == "tensor 1 'scratch' is read by operator 0 (ADD) but written by no operator: allocated and "
                      "zeroed (a scratch tensor, e.g. Vela's)");
  CHECK(run_float_add(read_model(tfl::build(spec))) == std::vector<float>{1.5f, -2.0f, 0.25f});

  auto foreign = tfl::float_add_model();
  foreign.tensors[2].type = 8;  // COMPLEX64
  const rt::model f = read_model(tfl::build(foreign));
  CHECK(f.tensors[2].foreign_type == "COMPLEX64");
  CHECK(interpreter_error(read_model(tfl::build(foreign))) ==
        "1 unsupported operator: ADD (builtin 0, v1, reads or writes COMPLEX64 tensor 'output', a dtype qfence "
        "does not run) at node 0");
}

TEST_CASE("TFLite_Detection_PostProcess ends the invoke on an empty box, where TFLM's kernel fails") {
  flexbuffers::Builder b;
  b.Map([&] {
    b.Int("max_detections", 2);
    b.Int("max_classes_per_detection", 1);
    b.Float("nms_score_threshold", 0.0f);
    b.Float("nms_iou_threshold", 0.5f);
    b.Int("num_classes", 1);
    for (const char* k : {"y_scale", "x_scale", "h_scale", "w_scale"}) b.Float(k, 1.0f);
  });
  b.Finish();
  auto model = [&](float anchor_h) {
    tfl::model_spec m;
    m.tensors = {tfl::activation({1, 2, 4}, "boxes_in"), tfl::activation({1, 2, 2}, "scores"),
                 tfl::constant({2, 4}, tfl::bytes_of(std::vector<float>{0.5f, 0.5f, anchor_h, 0.2f, 0.1f, 0.1f, 0.2f, 0.2f}),
                               "anchors"),
                 tfl::activation({1, 2, 4}, "boxes"), tfl::activation({1, 2}, "classes"),
                 tfl::activation({1, 2}, "scores_out"), tfl::activation({1}, "count")};
    m.ops.push_back(tfl::op(32, 1, {0, 1, 2}, {3, 4, 5, 6}, "TFLite_Detection_PostProcess"));
    m.ops.back().custom_options = b.GetBuffer();
    m.inputs = {0, 1};
    m.outputs = {3, 4, 5, 6};
    return m;
  };
  for (const float h : {0.2f, 0.0f}) {
    rt::interpreter interp(read_model(tfl::build(model(h))));
    std::ranges::fill(interp.input<float>(0), 0.0f);
    std::ranges::copy(std::array{0.0f, 0.9f, 0.0f, 0.8f}, interp.input<float>(1).begin());
    const auto status = interp.invoke();
    CHECK(status == (h > 0.0f ? qfence::invoke_status::completed : qfence::invoke_status::ended_early));
    if (h > 0.0f) CHECK(interp.output<float>(3)[0] == 2.0f);  // two boxes far apart, both kept
  }
}

}  // namespace tflite_reader_test
