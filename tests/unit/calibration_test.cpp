// Calibration on the runtime path (include/qfence/quant/calibration.hpp):
// ranges, diagnostics, bad data, the quantizers built on them. (That its
// memory does not grow with the dataset: calibration_memory_test.cpp.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "qfence/quant/calibration.hpp"
#include "qfence/quant/compare_outputs.hpp"
#include "qfence/quant/dequantize_model.hpp"
#include "qfence/quant/dynamic_range.hpp"
#include "qfence/quant/layer_debugger.hpp"
#include "qfence/quant/op_version.hpp"
#include "qfence/quant/quantize_model.hpp"
#include "qfence/runtime/elementwise_custom_op.hpp"
#include "qfence/tflite/writer.hpp"
#include "qfence/tflite/reader.hpp"
#include "tflite_test_models.hpp"
#include "soft_sign_op.hpp"
#include "calibration_samples.hpp"
#include "test_support.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace calibration_test {

using namespace qfence;
using qtest::add_model;
using qtest::generated_samples;

namespace {

/// output = RELU6(input + [-1, 0, 1]). Tensors: 0 input, 1 constant, 2 the
/// sum, 3 output.
std::shared_ptr<const runtime::model> add_then_relu6_model() {
  auto spec = qtest::tfl::float_add_model();
  spec.tensors[1] = qtest::tfl::constant({1, 3}, qtest::tfl::bytes_of(std::vector<float>{-1, 0, 1}), "bias");
  spec.tensors.push_back(qtest::tfl::activation({1, 3}, "relu6"));  // tensor 3
  spec.ops.push_back(qtest::tfl::op(21 /*RELU6*/, 1, {2}, {3}));
  spec.outputs = {3};
  return std::make_shared<const runtime::model>(tflite::read_model(qtest::tfl::build(spec)));
}

/// Makes the ARG_MAX (along axis 1) of the float ADD model's sum (tensor
/// 2) its output, an index of dtype `index_type` (a TFLite TensorType).
void with_arg_max_output(qtest::tfl::model_spec& spec, std::int8_t index_type) {
  spec.tensors.push_back(qtest::tfl::constant({1}, qtest::tfl::bytes_of(std::vector<std::int32_t>{1}), "axis", 2));
  spec.tensors.push_back(qtest::tfl::activation({1}, "index", index_type));
  spec.ops.push_back(qtest::tfl::op(56 /*ARG_MAX*/, 1, {2, 3}, {4}));
  spec.ops.back().options = [index_type](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{qtest::tfl::fb::BuiltinOptions::ArgMaxOptions,
                     qtest::tfl::fb::CreateArgMaxOptions(b, index_type).Union()};
  };
  spec.outputs = {4};
}

}  // namespace

TEST_CASE("calibrate: every float activation gets its range; min-max is exact") {
  const auto model = add_model();
  const auto report = quant::calibrate(model, generated_samples{40, 2.0f});
  REQUIRE(report.tensors.size() == 2);  // the input and the ADD's output
  CHECK(report.samples == 40);
  CHECK(report.held_back == 4);
  const auto* in = report.find(0);
  const auto* out = report.find(2);
  REQUIRE(in != nullptr);
  REQUIRE(out != nullptr);
  CHECK(in->name == "input");
  CHECK(in->range.min == -2.0f);
  CHECK(in->seen.max <= 2.0f);
  // output = input + [10, 20, 30]: from 10 - 2 sin.. up to 30 - 2.
  CHECK(out->seen.max == 28.0f);
  CHECK(out->range.min == 0.0f);  // stretched to hold 0
  CHECK(report.warnings.empty());
}

TEST_CASE("calibrate: data that changes at the end is caught by the held-back slice") {
  const auto model = add_model();
  generated_samples s{100, 1.0f};
  s.late_from = 95;  // the last 5 of the 10 held back are 3x larger
  s.late = 3.0f;
  const auto report = quant::calibrate(model, s);
  const auto* in = report.find(0);
  REQUIRE(in->held_back_clipped.has_value());
  CHECK(*in->held_back_clipped > 0.3);
  CHECK(in->clipped == 0.0);
  bool warned = false;
  for (const auto& w : report.warnings) warned |= w.find("tensor 0 'input'") != std::string::npos &&
                                                  w.find("new data will clip more") != std::string::npos;
  CHECK(warned);
  // A range that grows in the second half is reported as moving.
  generated_samples growing{100, 1.0f};
  growing.late_from = 50;
  growing.late = 2.0f;
  const auto moved = quant::calibrate(model, growing);
  CHECK(moved.find(0)->moved > 0.2);
}

TEST_CASE("with_calibrator: another calibrator's ranges come with their own diagnostics and warnings") {
  // What `qfence quantize --calibrator auto` reports is the report of the
  // calibrator it chose: with_calibrator on one calibration pass must say
  // what calibrating with that calibrator says (it used to keep the first
  // calibrator's stability, clipping and warnings).
  const auto model = add_model();
  generated_samples s{100, 1.0f};
  s.late_from = 60;  // a range that moves, and a held-back slice it clips
  s.late = 2.0f;
  const quant::calibration_report minmax = quant::calibrate(model, s);
  bool some_other_warnings = false;
  for (const quant::calibrator method : quant::all_calibrators) {
    CAPTURE(quant::calibrator_name(method));
    quant::calibration_options options;
    options.observer.method = method;
    const quant::calibration_report direct = quant::calibrate(model, s, options);
    const quant::calibration_report chosen = minmax.with_calibrator(method);
    CHECK(chosen.calibrator == direct.calibrator);
    REQUIRE(chosen.tensors.size() == direct.tensors.size());
    for (std::size_t i = 0; i < chosen.tensors.size(); ++i) {
      const quant::tensor_calibration &a = chosen.tensors[i], &b = direct.tensors[i];
      CAPTURE(a.name);
      CHECK(a.range.min == b.range.min);
      CHECK(a.range.max == b.range.max);
      CHECK(a.half_range.min == b.half_range.min);
      CHECK(a.half_range.max == b.half_range.max);
      CHECK(a.moved == b.moved);
      CHECK(a.clipped == b.clipped);
      CHECK(a.held_back_clipped == b.held_back_clipped);
    }
    CHECK(chosen.warnings == direct.warnings);
    some_other_warnings |= chosen.warnings != minmax.warnings;
  }
  CHECK(some_other_warnings);  // the comparison can fail: not every calibrator warns alike here
}

TEST_CASE("calibrate: many moving ranges make one warning with the count and the worst, not one line each") {
  // input -> ADD -> ADD -> ADD -> ADD: five activations, each growing with the data.
  namespace tfl = qtest::tfl;
  tfl::model_spec m;
  m.tensors.push_back(tfl::activation({1, 3}, "input"));
  m.tensors.push_back(tfl::constant({1, 3}, tfl::bytes_of(std::vector<float>{0.5f, 0.25f, 0.125f}), "c"));
  for (int k = 0; k < 4; ++k) {
    m.tensors.push_back(tfl::activation({1, 3}, "sum" + std::to_string(k)));
    const int in = k == 0 ? 0 : k + 1;
    m.ops.push_back(tfl::op(0 /*ADD*/, 1, {in, 1}, {k + 2}));
    m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
      return std::pair{tfl::fb::BuiltinOptions::AddOptions, tfl::fb::CreateAddOptions(b).Union()};
    };
  }
  m.inputs = {0};
  m.outputs = {5};
  const auto model = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(m)));
  generated_samples growing{100, 1.0f};
  growing.late_from = 50;
  growing.late = 2.0f;
  const auto report = quant::calibrate(model, growing);
  int moving_lines = 0;
  for (const auto& w : report.warnings) {
    if (w.find("moved") == std::string::npos) continue;
    ++moving_lines;
    CHECK(w.find("the minmax ranges of 5 of the 5 tensors moved by more than 5 %") != std::string::npos);
    CHECK(w.find("the most: tensor ") != std::string::npos);
    CHECK(w.find("fix: calibrate on more samples") != std::string::npos);
  }
  CHECK(moving_lines == 1);
  for (const auto& t : report.tensors) CHECK(t.moved > 0.05);  // each figure is still in the report
}

TEST_CASE("calibrate: a range that clips much of its own calibration data is a warning that says why and what to use") {
  // Each sample one level, 2 sin(i), in all three elements: moving_average
  // starts at the first sample's extremes (0) and moves 1 % a sample, so
  // its range holds a sliver of what it was calibrated on.
  struct level_samples {
    std::size_t size() const { return 40; }
    std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
      for (float& v : interp.input<float>(0)) v = 2.0f * std::sin(static_cast<float>(i));
      return std::nullopt;
    }
  };
  const auto model = add_model();
  quant::calibration_options options;
  options.observer.method = quant::calibrator::moving_average;
  const auto averaged = quant::calibrate(model, level_samples{}, options);
  const auto* in = averaged.find(0);
  REQUIRE(in != nullptr);
  CHECK(in->clipped > 0.5);
  const auto warned = [](const quant::calibration_report& r) {
    return std::ranges::count_if(r.warnings, [](const std::string& w) {
      return w.find("range clips") != std::string::npos && w.find("of the values it was calibrated on") != std::string::npos;
    });
  };
  CHECK(warned(averaged) >= 1);
  const std::string* line = nullptr;
  for (const auto& w : averaged.warnings)
    if (w.starts_with("tensor 0 'input': its moving_average range clips")) line = &w;
  REQUIRE(line != nullptr);
  CHECK(line->find("moving_average follows each sample's own min and max") != std::string::npos);
  CHECK(line->find("fix: calibrate with minmax, percentile or mse") != std::string::npos);
  // minmax holds every value: nothing to say.
  const auto minmax = quant::calibrate(model, level_samples{});
  CHECK(minmax.find(0)->clipped == 0.0);
  CHECK(warned(minmax) == 0);
}

TEST_CASE("calibrate: a sample with a NaN is reported and skipped, never used") {
  const auto model = add_model();
  generated_samples s{20, 1.0f};
  s.nan_at = 3;
  const auto report = quant::calibrate(model, s);
  CHECK(report.samples == 19);
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0] == "sample 3 holds a NaN");
}

TEST_CASE("calibration data on disk: one file per sample, names and sizes checked, NaN located") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("qfence_calib_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const fs::path& p, std::vector<float> v) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  };
  write(dir / "0000.bin", {1, 2, 3});
  write(dir / "0001.bin", {4, NAN, 6});
  write(dir / "0002.bin", {-1, -2, -3});
  const auto model = add_model();
  const quant::directory_samples samples(dir, *model);
  CHECK(samples.size() == 3);
  const auto report = quant::calibrate(model, samples);
  CHECK(report.samples == 2);
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0] == (dir / "0001.bin").string() + ": element 1 is NaN; sample skipped");
  CHECK(report.find(0)->seen == quant::real_range{-3.0f, 3.0f});
  CHECK(std::any_of(report.warnings.begin(), report.warnings.end(),
                    [](const std::string& w) { return w.find("too few to hold back") != std::string::npos; }));

  write(dir / "0003.bin", {1, 2});
  try {
    (void)quant::directory_samples(dir, *model);
    FAIL("a short file was accepted");
  } catch (const quant::data_error& e) {
    CHECK(std::string(e.what()) == "calibration data: '" + (dir / "0003.bin").string() +
                                       "' has 8 bytes; input 0 of the model needs 12");
  }
  fs::create_directories(dir / "input0");
  fs::create_directories(dir / "input1");
  write(dir / "input0" / "a.bin", {1});
  write(dir / "input1" / "b.bin", {1});
  CHECK_THROWS_WITH_AS(quant::sample_directory(dir, 2),
                       doctest::Contains("does not hold the same file names"), quant::data_error);
  CHECK_THROWS_WITH_AS(quant::sample_directory(dir / "missing", 1), doctest::Contains("is not a directory"),
                       quant::data_error);
  fs::remove_all(dir);
}

TEST_CASE("calibrate refuses a quantized model and says what to do") {
  auto spec = qtest::tfl::float_add_model();
  for (auto& t : spec.tensors) {
    t.type = 9;  // INT8
    t.scales = {0.5f};
    t.zero_points = {0};
    if (!t.data.empty()) t.data = {20, 40, 60};
  }
  const auto model = std::make_shared<const runtime::model>(tflite::read_model(qtest::tfl::build(spec)));
  CHECK_THROWS_WITH(quant::calibrate(model, generated_samples{10, 1.0f}),
                    doctest::Contains("calibration runs a float model. To calibrate a quantized model"));
}

TEST_CASE("quantize refuses a constant holding NaN or inf, naming it, its reader and the element") {
  // ADD's constant operand: quantized with its own range (int8).
  auto spec = qtest::tfl::float_add_model();
  spec.tensors[1].data = qtest::tfl::bytes_of(std::vector<float>{10, std::nanf(""), 30});
  const auto with_nan = std::make_shared<const runtime::model>(tflite::read_model(qtest::tfl::build(spec)));
  const auto report = quant::calibrate(with_nan, generated_samples{10, 1.0f});
  CHECK_THROWS_WITH(quant::quantize_int8(*with_nan, report),
                    "tensor 1 'bias', read by operator 0 (ADD), holds NaN at element 1: a constant cannot be quantized "
                    "unless every value is finite (fix the float model: its training diverged or the file is corrupt)");
  // FULLY_CONNECTED's weights, in the dynamic-range scheme (no calibration).
  namespace tfl = qtest::tfl;
  tfl::model_spec fc;
  fc.tensors.push_back(tfl::activation({1, 2}, "x"));
  fc.tensors.push_back(tfl::constant({2, 2}, tfl::bytes_of(std::vector<float>{1, 0.5f, -INFINITY, 2}), "w"));
  fc.tensors.push_back(tfl::activation({1, 2}, "y"));
  fc.ops.push_back(tfl::op(9 /*FULLY_CONNECTED*/, 1, {0, 1, -1}, {2}));
  fc.inputs = {0};
  fc.outputs = {2};
  const runtime::model dense = tflite::read_model(tfl::build(fc));
  quant::dynamic_range_options all;
  all.min_elements = 1;
  CHECK_THROWS_WITH(quant::quantize_dynamic_range(dense, all),
                    doctest::Contains("tensor 1 'w', read by operator 0 (FULLY_CONNECTED), holds -inf at element 2"));
}

TEST_CASE("quantize_int8: TFLite's parameters from the calibrated ranges, float I/O kept with its names") {
  const auto model = add_model();
  const auto report = quant::calibrate(model, generated_samples{40, 2.0f});
  const quant::quantized_model q = quant::quantize_int8(*model, report);
  CHECK(q.fences.empty());
  const runtime::model& m = q.model;
  REQUIRE(m.operations.size() == 3);  // QUANTIZE, ADD, DEQUANTIZE
  CHECK(m.operations[0].code == runtime::op_code::quantize);
  CHECK(m.operations[1].code == runtime::op_code::add);
  CHECK(m.operations[1].version == 2);  // int8 ADD, as TFLite's op_version.cc says
  CHECK(m.operations[2].code == runtime::op_code::dequantize);
  const runtime::tensor& in = m.tensors[static_cast<std::size_t>(m.inputs[0])];
  const runtime::tensor& out = m.tensors[static_cast<std::size_t>(m.outputs[0])];
  CHECK(in.name == "input");
  CHECK(in.type == dtype::f32);
  CHECK(out.name == "output");
  CHECK(out.type == dtype::f32);
  // The ADD's int8 output carries the calibrated range's parameters.
  const runtime::tensor& add_out = m.tensors[static_cast<std::size_t>(m.operations[1].outputs[0])];
  const quant::affine_params want = quant::asymmetric_params(report.find(2)->range, -128, 127);
  CHECK(add_out.type == dtype::i8);
  CHECK(add_out.quant.scale() == want.scale);
  CHECK(add_out.quant.zero_point() == want.zero_point);
  CHECK(add_out.name == "output_int8");
  // The constant operand is quantized with its own range, [0, 30].
  const runtime::tensor& bias = m.tensors[static_cast<std::size_t>(m.operations[1].inputs[1])];
  CHECK(bias.type == dtype::i8);
  CHECK(bias.quant.scale() == 30.0f / 255.0f);
  CHECK_NOTHROW(quant::check_runs(m));
  // With int8 I/O the model reads and writes int8 itself.
  quant::quantize_options io8;
  io8.inputs = io8.outputs = quant::io_type::integer;
  quant::quantized_model q8 = quant::quantize_int8(*model, report, io8);
  CHECK(q8.model.operations.size() == 1);
  const runtime::tensor in8 = q8.model.tensors[static_cast<std::size_t>(q8.model.inputs[0])];
  const runtime::tensor out8 = q8.model.tensors[static_cast<std::size_t>(q8.model.outputs[0])];
  CHECK(in8.type == dtype::i8);
  CHECK(out8.type == dtype::i8);
  // With uint8 I/O (TFLite's inference_input_type uint8): the model's names
  // on uint8 tensors at the int8 scales with zero points + 128, a QUANTIZE
  // at each border, and the int8 model's values + 128.
  quant::quantize_options io_u8;
  io_u8.inputs = io_u8.outputs = quant::io_type::uint8;
  quant::quantized_model qu = quant::quantize_int8(*model, report, io_u8);
  CHECK_NOTHROW(quant::check_runs(qu.model));
  const auto written = std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(qu.model)));
  std::vector<std::string> ops;
  for (const runtime::operation& op : written->operations) ops.push_back(runtime::op_name(op));
  CHECK(ops == std::vector<std::string>{"QUANTIZE", "ADD", "QUANTIZE"});
  const runtime::tensor& in_u8 = written->tensors[static_cast<std::size_t>(written->inputs[0])];
  const runtime::tensor& out_u8 = written->tensors[static_cast<std::size_t>(written->outputs[0])];
  CHECK(in_u8.type == dtype::u8);
  CHECK(in_u8.name == "input");
  CHECK(in_u8.quant.scale() == in8.quant.scale());
  CHECK(in_u8.quant.zero_point() == in8.quant.zero_point() + 128);
  CHECK(out_u8.type == dtype::u8);
  CHECK(out_u8.name == "output");
  CHECK(out_u8.quant.scale() == out8.quant.scale());
  CHECK(out_u8.quant.zero_point() == out8.quant.zero_point() + 128);
  runtime::interpreter run8(std::move(q8.model)), run_u8(written);
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    const auto x = qtest::random_ints<std::int8_t>(run8.input<std::int8_t>(0).size(), seed, -128, 127);
    std::ranges::copy(x, run8.input<std::int8_t>(0).begin());
    for (std::size_t i = 0; i < x.size(); ++i) run_u8.input<std::uint8_t>(0)[i] = static_cast<std::uint8_t>(x[i] + 128);
    REQUIRE(run8.invoke() == qfence::invoke_status::completed);
    REQUIRE(run_u8.invoke() == qfence::invoke_status::completed);
    for (std::size_t i = 0; i < run8.output<std::int8_t>(0).size(); ++i)
      CHECK(run_u8.output<std::uint8_t>(0)[i] == run8.output<std::int8_t>(0)[i] + 128);
  }
  // int16x8 has no uint8 form.
  quant::quantize_options int16_u8 = io_u8;
  int16_u8.activations = dtype::i16;
  CHECK_THROWS_AS(quant::quantize_full_integer(*model, report, int16_u8), std::invalid_argument);
}

namespace {
/// x [1, 8] -> CUMSUM -> GATHER_ND (3 of its values); ADD_N(cumsum, x);
/// SELECT_V2(x > 0, add_n, x); DYNAMIC_UPDATE_SLICE of a constant [1, 3]
/// at column 2; PADV2 of x with 0.75 on both sides. Outputs: the gathered
/// values, the updated tensor and the padded one.
std::shared_ptr<const runtime::model> selecting_model() {
  namespace tfl = qtest::tfl;
  using fb = flatbuffers::FlatBufferBuilder;
  namespace schema = qfence::tflite::fb;
  tfl::model_spec m;
  m.tensors = {tfl::activation({1, 8}, "x"),                                                       // 0
               tfl::constant({}, tfl::bytes_of(std::vector<std::int32_t>{1}), "axis", 2),          // 1
               tfl::activation({1, 8}, "cumsum"),                                                  // 2
               tfl::constant({3, 2}, tfl::bytes_of(std::vector<std::int32_t>{0, 1, 0, 5, 0, 7}), "indices", 2),  // 3
               tfl::activation({3}, "gathered"),                                                   // 4
               tfl::activation({1, 8}, "add_n"),                                                   // 5
               tfl::constant({}, tfl::bytes_of(std::vector<float>{0}), "zero"),                    // 6
               tfl::activation({1, 8}, "positive", 6 /* BOOL */),                                  // 7
               tfl::activation({1, 8}, "selected"),                                                // 8
               tfl::constant({1, 3}, tfl::bytes_of(std::vector<float>{-1.5f, 0.25f, 2.0f}), "update"),  // 9
               tfl::constant({2}, tfl::bytes_of(std::vector<std::int32_t>{0, 2}), "start", 2),    // 10
               tfl::activation({1, 8}, "updated"),                                                 // 11
               tfl::constant({2, 2}, tfl::bytes_of(std::vector<std::int32_t>{0, 0, 1, 1}), "paddings", 2),  // 12
               tfl::constant({}, tfl::bytes_of(std::vector<float>{0.75f}), "pad_value"),           // 13
               tfl::activation({1, 10}, "padded")};                                                // 14
  m.ops = {tfl::op(128 /*CUMSUM*/, 1, {0, 1}, {2}), tfl::op(107 /*GATHER_ND*/, 1, {2, 3}, {4}),
           tfl::op(106 /*ADD_N*/, 1, {2, 0}, {5}), tfl::op(61 /*GREATER*/, 1, {0, 6}, {7}),
           tfl::op(123 /*SELECT_V2*/, 1, {7, 5, 0}, {8}), tfl::op(151 /*DYNAMIC_UPDATE_SLICE*/, 1, {8, 9, 10}, {11}),
           tfl::op(60 /*PADV2*/, 1, {0, 12, 13}, {14})};
  m.ops[0].options = [](fb& b) {
    return std::pair{schema::BuiltinOptions::CumsumOptions, schema::CreateCumsumOptions(b).Union()};
  };
  m.inputs = {0};
  m.outputs = {4, 11, 14};
  return std::make_shared<const runtime::model>(tflite::read_model(tfl::build(m)));
}

struct row_samples {
  std::size_t count;
  std::size_t size() const { return count; }
  std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
    auto in = interp.input<float>(0);
    for (std::size_t e = 0; e < in.size(); ++e) in[e] = std::sin(0.7f * static_cast<float>(e) + 1.3f * static_cast<float>(i));
    return std::nullopt;
  }
};
}  // namespace

TEST_CASE("quantize_int8: CUMSUM, GATHER_ND, ADD_N, SELECT_V2, DYNAMIC_UPDATE_SLICE and PADV2 run in int8, not fenced") {
  const auto model = selecting_model();
  const auto report = quant::calibrate(model, row_samples{48});
  const quant::quantized_model q = quant::quantize_int8(*model, report);
  CHECK(q.fences.empty());
  CHECK_NOTHROW(quant::check_runs(q.model));
  const runtime::model& m = q.model;
  for (const runtime::op_code code : {runtime::op_code::cumsum, runtime::op_code::gather_nd, runtime::op_code::add_n,
                                      runtime::op_code::select_v2, runtime::op_code::dynamic_update_slice,
                                      runtime::op_code::padv2}) {
    CAPTURE(runtime::op_code_name(code));
    const auto op = std::ranges::find(m.operations, code, &runtime::operation::code);
    REQUIRE(op != m.operations.end());
    CHECK(m.tensors[static_cast<std::size_t>(op->outputs[0])].type == dtype::i8);
  }
  // The inputs whose bytes are copied carry the output's parameters.
  const auto select = std::ranges::find(m.operations, runtime::op_code::select_v2, &runtime::operation::code);
  const runtime::tensor& selected = m.tensors[static_cast<std::size_t>(select->outputs[0])];
  for (const int i : {1, 2}) {
    const runtime::tensor& x = m.tensors[static_cast<std::size_t>(select->inputs[static_cast<std::size_t>(i)])];
    CHECK(x.quant.scale() == selected.quant.scale());
    CHECK(x.quant.zero_point() == selected.quant.zero_point());
  }
  // A constant whose bytes are copied is quantized with the output's
  // parameters directly: no QUANTIZE requantizes it.
  const auto update = std::ranges::find(m.operations, runtime::op_code::dynamic_update_slice, &runtime::operation::code);
  const runtime::tensor& updated = m.tensors[static_cast<std::size_t>(update->outputs[0])];
  const runtime::tensor& constant = m.tensors[static_cast<std::size_t>(update->inputs[1])];
  CHECK(constant.constant);
  CHECK(constant.quant.scale() == updated.quant.scale());
  CHECK(constant.quant.zero_point() == updated.quant.zero_point());
  // PADV2's value takes its input's parameters, as its output does.
  const auto pad = std::ranges::find(m.operations, runtime::op_code::padv2, &runtime::operation::code);
  const runtime::tensor& pad_in = m.tensors[static_cast<std::size_t>(pad->inputs[0])];
  const runtime::tensor& pad_value = m.tensors[static_cast<std::size_t>(pad->inputs[2])];
  CHECK(pad_value.quant.scale() == pad_in.quant.scale());
  CHECK(m.tensors[static_cast<std::size_t>(pad->outputs[0])].quant.scale() == pad_in.quant.scale());
  // And the int8 model tracks the float one.
  runtime::interpreter reference(model), candidate(std::make_shared<const runtime::model>(m.borrowed_copy()));
  const quant::output_agreement a = quant::compare_outputs(reference, candidate, row_samples{48});
  CHECK(a.sqnr_db > 30.0);
}

TEST_CASE("quantize: a fence says why, from the op table: no kernel in qfence, or none in TFLM") {
  namespace tfl = qtest::tfl;
  tfl::model_spec m;
  m.tensors = {tfl::activation({1, 2, 2, 1}, "x"), tfl::constant({2}, tfl::bytes_of(std::vector<std::int32_t>{4, 4}), "size", 2),
               tfl::activation({1, 4, 4, 1}, "resized")};
  m.ops = {tfl::op(23 /*RESIZE_BILINEAR*/, 1, {0, 1}, {2})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{qfence::tflite::fb::BuiltinOptions::ResizeBilinearOptions,
                     qfence::tflite::fb::CreateResizeBilinearOptions(b).Union()};
  };
  m.inputs = {0};
  m.outputs = {2};
  const auto model = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(m)));
  const auto report = quant::calibrate(model, row_samples{16});
  // qfence and TFLM run it in int8: no fence.
  CHECK(quant::quantize_int8(*model, report).fences.empty());
  // qfence runs it in int16, TFLM does not: fenced, and the line says so.
  quant::quantize_options int16x8;
  int16x8.activations = dtype::i16;
  const quant::quantized_model q = quant::quantize_full_integer(*model, report, int16x8);
  REQUIRE(q.fences.size() == 1);
  CHECK(q.fences[0].why.find("TFLM has no int16x8 kernel for it") != std::string::npos);
  CHECK(q.fences[0].text().find("DEQUANTIZE before it, QUANTIZE after") != std::string::npos);
  // A fenced ARG_MAX (no int16 one in TFLM) writes indices: no QUANTIZE after it.
  auto argmax_spec = qtest::tfl::float_add_model();
  with_arg_max_output(argmax_spec, 2 /*INT32*/);
  const auto argmax = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(argmax_spec)));
  const quant::quantized_model q16 =
      quant::quantize_full_integer(*argmax, quant::calibrate(argmax, generated_samples{20, 1.0f}), int16x8);
  REQUIRE(q16.fences.size() == 1);
  CHECK(q16.fences[0].op == "ARG_MAX");
  CHECK(q16.fences[0].text().find("QUANTIZE after") == std::string::npos);
  CHECK(q16.fences[0].text().find("DEQUANTIZE before it (its output is integer)") != std::string::npos);
}

TEST_CASE("quantize: a CAST from integers to float is where quantized values begin, not a fence") {
  // MoveNet reads uint8 pixels and CASTs them to float; TFLite's converter
  // keeps the CAST and QUANTIZEs its output, as at a float input.
  namespace tfl = qtest::tfl;
  tfl::model_spec m;
  m.tensors = {tfl::activation({1, 4}, "pixels", 3 /*UINT8*/), tfl::activation({1, 4}, "as_float"),
               tfl::constant({1, 4}, tfl::bytes_of(std::vector<float>{-1, -2, -3, -4}), "offset"),
               tfl::activation({1, 4}, "out")};
  m.ops = {tfl::op(53 /*CAST*/, 1, {0}, {1}), tfl::op(0 /*ADD*/, 1, {1, 2}, {3})};
  m.ops[1].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{tfl::fb::BuiltinOptions::AddOptions, tfl::fb::CreateAddOptions(b).Union()};
  };
  m.inputs = {0};
  m.outputs = {3};
  const auto model = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(m)));
  struct pixel_rows {
    std::size_t size() const { return 20; }
    std::optional<std::string> fill(std::size_t i, runtime::interpreter& run) const {
      const auto in = run.input<std::uint8_t>(0);
      for (std::size_t k = 0; k < in.size(); ++k) in[k] = static_cast<std::uint8_t>((37 * i + 61 * k) % 256);
      return std::nullopt;
    }
  } samples;
  const auto report = quant::calibrate(model, samples);
  quant::quantize_options integer_only;
  integer_only.forbid_fences = true;  // a conversion is not a float island
  const quant::quantized_model q = quant::quantize_int8(*model, report, integer_only);
  CHECK(q.fences.empty());
  REQUIRE(q.notes.size() == 1);
  CHECK(q.notes[0].find("operator 0 (CAST) makes float from integer data (u8)") != std::string::npos);
  REQUIRE(q.model.operations.size() == 4);  // and a DEQUANTIZE to the float output
  CHECK(q.model.operations[0].code == runtime::op_code::cast);
  CHECK(q.model.operations[1].code == runtime::op_code::quantize);
  CHECK(q.model.tensors[static_cast<std::size_t>(q.model.operations[2].outputs[0])].type == dtype::i8);  // the ADD
  // It runs, within a step of the float model.
  runtime::interpreter reference(model), int8(std::make_shared<const runtime::model>(tflite::read_model(
                                                 tflite::write_model(q.model, "t"))));
  CHECK(quant::compare_outputs(reference, int8, samples).sqnr_db > 40.0);
  // The debugger does not mark it as a fence either.
  const quant::debug_report r =
      quant::debug_layers(model, std::make_shared<const runtime::model>(q.model.borrowed_copy()), samples);
  int casts = 0;
  for (const auto& l : r.layers)
    if (l.op == "CAST") {
      ++casts;
      CHECK(!l.fenced);
    }
  CHECK(casts == 1);
}

TEST_CASE("quantize_int8: RELU6 keeps its input's parameters, so TFLM and TFLite compute the same") {
  // TFLM's int8 RELU6 clamps in its input's quantization and never reads the
  // output's parameters (docs/numerics.md); TFLite's requantizes. Written
  // with the input's parameters, the two are the same function.
  const auto model = add_then_relu6_model();
  const auto report = quant::calibrate(model, generated_samples{40, 10.0f});
  // The calibrated output range ([0, 6] at most) is narrower than the
  // input's: a quantizer that used it would write a model TFLM runs
  // differently from TFLite.
  REQUIRE(report.find(3)->range.max < report.find(2)->range.max);
  const quant::quantized_model q = quant::quantize_int8(*model, report);
  const runtime::model& m = q.model;
  const auto relu6 = std::find_if(m.operations.begin(), m.operations.end(),
                                  [](const auto& op) { return op.code == runtime::op_code::relu6; });
  REQUIRE(relu6 != m.operations.end());
  const runtime::tensor& in = m.tensors[static_cast<std::size_t>(relu6->inputs[0])];
  const runtime::tensor& out = m.tensors[static_cast<std::size_t>(relu6->outputs[0])];
  CHECK(out.type == dtype::i8);
  CHECK(out.quant.scale() == in.quant.scale());
  CHECK(out.quant.zero_point() == in.quant.zero_point());
  // Both numerics then give the same bytes.
  auto shared = std::make_shared<const runtime::model>(m.borrowed_copy());
  runtime::interpreter_options tflite_numerics;
  tflite_numerics.arithmetic = runtime::numerics::tflite;
  runtime::interpreter tflm(shared), tflite(shared, tflite_numerics);
  for (std::size_t k = 0; k < 8; ++k) {
    (void)generated_samples{40, 10.0f}.fill(k, tflm);
    (void)generated_samples{40, 10.0f}.fill(k, tflite);
    tflm.invoke();
    tflite.invoke();
    const auto a = tflm.output<float>(0), b = tflite.output<float>(0);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == b[i]);
  }
}

TEST_CASE("quantize_int8 with int16 ops: int8 <-> int16 QUANTIZE at their borders, an error where no int16 kernel") {
  // ADD then RELU6; the ADD kept in int16.
  const auto model = add_then_relu6_model();
  const auto report = quant::calibrate(model, generated_samples{40, 10.0f});
  quant::quantize_options mixed;
  mixed.int16 = {"ADD"};
  const quant::quantized_model q = quant::quantize_int8(*model, report, mixed);
  CHECK(q.fences.empty());
  CHECK(q.int16_ops == std::vector<int>{0});
  const runtime::model& m = q.model;
  auto type_of = [&](int t) { return m.tensors[static_cast<std::size_t>(t)].type; };
  // QUANTIZE f32 -> int16, ADD (int16), QUANTIZE int16 -> int8, RELU6 (int8), DEQUANTIZE.
  REQUIRE(m.operations.size() == 5);
  CHECK(m.operations[0].code == runtime::op_code::quantize);
  CHECK(type_of(m.operations[0].outputs[0]) == dtype::i16);
  CHECK(m.operations[1].code == runtime::op_code::add);
  CHECK(type_of(m.operations[1].inputs[1]) == dtype::i16);  // the constant, in the ADD's type
  CHECK(m.operations[1].version == 3);  // int16 ADD (general scales), as op_version.cc says
  CHECK(m.operations[2].code == runtime::op_code::quantize);
  CHECK(type_of(m.operations[2].inputs[0]) == dtype::i16);
  CHECK(type_of(m.operations[2].outputs[0]) == dtype::i8);
  CHECK(m.operations[3].code == runtime::op_code::relu6);
  CHECK(m.tensors[static_cast<std::size_t>(m.operations[2].inputs[0])].quant.zero_point() == 0);  // int16: symmetric
  CHECK_NOTHROW(quant::check_runs(m));
  // With int8 I/O the borders are int8 <-> int16 requantizations.
  quant::quantize_options io8 = mixed;
  io8.inputs = io8.outputs = quant::io_type::integer;
  const runtime::model& m8 = quant::quantize_int8(*model, report, io8).model;
  REQUIRE(m8.operations.size() == 4);
  CHECK(m8.tensors[static_cast<std::size_t>(m8.inputs[0])].type == dtype::i8);
  CHECK(m8.operations[0].code == runtime::op_code::quantize);
  CHECK(m8.tensors[static_cast<std::size_t>(m8.operations[0].outputs[0])].type == dtype::i16);
  CHECK(m8.operations[0].version == 2);  // QUANTIZE to int16
  CHECK_NOTHROW(quant::check_runs(m8));
  // The int16 ADD is closer to the float model than the int8 one.
  auto reread = [](const runtime::model& x) {
    return std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(x, "t")));
  };
  runtime::interpreter reference(model), with_int16(reread(m)), all_int8(reread(quant::quantize_int8(*model, report).model));
  const double db16 = quant::compare_outputs(reference, with_int16, generated_samples{40, 10.0f}).sqnr_db;
  const double db8 = quant::compare_outputs(reference, all_int8, generated_samples{40, 10.0f}).sqnr_db;
  MESSAGE("ADD in int16: ", db16, " dB; all int8: ", db8, " dB");
  CHECK(db16 > db8);
  // An op without an int16x8 kernel cannot be kept in int16: the error
  // names it and the fix.
  auto argmax_spec = qtest::tfl::float_add_model();
  with_arg_max_output(argmax_spec, 2 /*INT32*/);
  const auto argmax = std::make_shared<const runtime::model>(tflite::read_model(qtest::tfl::build(argmax_spec)));
  quant::quantize_options bad;
  bad.int16 = {"ARG_MAX"};
  CHECK_THROWS_WITH_AS(quant::quantize_int8(*argmax, quant::calibrate(argmax, generated_samples{20, 1.0f}), bad),
                       doctest::Contains("operator 1 (ARG_MAX) cannot be kept in int16"), runtime::model_error);
}

TEST_CASE("compare_outputs: an index output (ARG_MAX) is judged by the scores it is taken from") {
  // The float ADD model (input + 0) twice: its sum [1, 3] as the output, and the sum's ARG_MAX.
  auto scores_spec = qtest::tfl::float_add_model();
  scores_spec.tensors[1] = qtest::tfl::constant({1, 3}, qtest::tfl::bytes_of(std::vector<float>{0, 0, 0}), "zero");
  auto argmax_spec = scores_spec;
  with_arg_max_output(argmax_spec, 4 /*INT64, as a segmentation map*/);
  const auto scores = std::make_shared<const runtime::model>(tflite::read_model(qtest::tfl::build(scores_spec)));
  const auto argmax = std::make_shared<const runtime::model>(tflite::read_model(qtest::tfl::build(argmax_spec)));
  // Rows whose first two scores differ by less than an int8 step: some argmaxes flip.
  struct near_ties {
    std::size_t size() const { return 60; }
    std::optional<std::string> fill(std::size_t i, runtime::interpreter& run) const {
      const auto in = run.input<float>(0);
      const float x = static_cast<float>(i);
      in[0] = std::sin(x);
      in[1] = std::sin(x) + 0.004f * std::cos(7 * x);
      in[2] = -0.5f;
      return std::nullopt;
    }
  } samples;
  const auto int8_of = [&](const std::shared_ptr<const runtime::model>& f) {
    return std::make_shared<const runtime::model>(quant::quantize_int8(*f, quant::calibrate(f, samples)).model);
  };
  runtime::interpreter scores_float(scores), scores_int8(int8_of(scores));
  runtime::interpreter argmax_float(argmax), argmax_int8(int8_of(argmax));
  const quant::output_agreement by_scores = quant::compare_outputs(scores_float, scores_int8, samples);
  const quant::output_agreement by_index = quant::compare_outputs(argmax_float, argmax_int8, samples);
  MESSAGE("scores: ", by_scores.sqnr_db, " dB, top-1 ", by_scores.top1, "; index output: ", by_index.sqnr_db,
          " dB, agreement ", by_index.top1);
  REQUIRE(std::isfinite(by_scores.sqnr_db));
  CHECK(by_scores.top1 < 1.0);  // the comparison below can tell
  // Not "exact" (nothing compared): the scores' SQNR, and the classes that agree.
  CHECK(by_index.measured());
  CHECK(by_index.sqnr_db == doctest::Approx(by_scores.sqnr_db));
  CHECK(by_index.top1 == doctest::Approx(by_scores.top1));
  // The debugger's output figure is the same.
  CHECK(quant::debug_layers(argmax, int8_of(argmax), samples).output.sqnr_db == doctest::Approx(by_scores.sqnr_db));
}

TEST_CASE("bias correction: the shift rounded weights add, from the inputs' channel means") {
  // A fully connected layer, 2 outputs x 3 inputs, per-tensor scale 1/127
  // (largest weight 1): 0.3 rounds to 38/127 (+0.00079), 0.004 to 1/127
  // (+0.00387), -0.5 to -64/127 (-0.00394).
  const std::vector<float> w = {1.0f, 0.3f, 0.004f, -0.5f, 0.0f, 0.0f};
  const std::vector<int> shape = {2, 3};
  const quant::quantized_weights q = quant::quantize_weights_symmetric(w, shape, 0, false);
  const std::vector<double> means = {2.0, 10.0, 100.0};
  const std::vector<double> shift =
      quant::detail::weight_rounding_shift(runtime::op_code::fully_connected, shape, w, q, means);
  REQUIRE(shift.size() == 2);
  double want0 = 0, want1 = 0;
  for (int i = 0; i < 3; ++i) {
    want0 += (q.values[static_cast<std::size_t>(i)] * static_cast<double>(q.scales[0]) - w[static_cast<std::size_t>(i)]) * means[static_cast<std::size_t>(i)];
    want1 += (q.values[static_cast<std::size_t>(3 + i)] * static_cast<double>(q.scales[0]) - w[static_cast<std::size_t>(3 + i)]) * means[static_cast<std::size_t>(i)];
  }
  CHECK(shift[0] == doctest::Approx(want0));
  CHECK(shift[1] == doctest::Approx(want1));
  CHECK(std::fabs(shift[0]) > 0.3);  // the 0.004 weight on a mean of 100 dominates
  // Input means that do not fit the weights: no correction.
  CHECK(quant::detail::weight_rounding_shift(runtime::op_code::fully_connected, shape, w, q, {1.0, 2.0}).empty());
}

using qtest::soft_sign;

namespace {

/// input [1, 3] + a -> one op (`code`; a custom op's name) -> + b ->
/// output: an op between two layers that quantize.
std::shared_ptr<const runtime::model> between_adds(std::int32_t code, std::string custom_code, std::vector<float> a,
                                                   std::vector<float> b) {
  namespace tfl = qtest::tfl;
  tfl::model_spec m;
  m.tensors.push_back(tfl::activation({1, 3}, "input"));
  m.tensors.push_back(tfl::constant({1, 3}, tfl::bytes_of(a), "a"));
  m.tensors.push_back(tfl::activation({1, 3}, "sum"));
  m.tensors.push_back(tfl::activation({1, 3}, "middle"));
  m.tensors.push_back(tfl::constant({1, 3}, tfl::bytes_of(b), "b"));
  m.tensors.push_back(tfl::activation({1, 3}, "output"));
  const auto add_options = [](flatbuffers::FlatBufferBuilder& fbb) {
    return std::pair{tfl::fb::BuiltinOptions::AddOptions, tfl::fb::CreateAddOptions(fbb).Union()};
  };
  m.ops.push_back(tfl::op(0 /*ADD*/, 1, {0, 1}, {2}));
  m.ops.back().options = add_options;
  m.ops.push_back(tfl::op(code, 1, {2}, {3}, std::move(custom_code)));
  m.ops.push_back(tfl::op(0 /*ADD*/, 1, {3, 4}, {5}));
  m.ops.back().options = add_options;
  m.inputs = {0};
  m.outputs = {5};
  return std::make_shared<const runtime::model>(tflite::read_model(tfl::build(m)));
}

/// input [1, 3] + [10, 20, 30] -> soft_sign -> + [1, 2, 3] -> output: a
/// custom op between two layers that quantize.
std::shared_ptr<const runtime::model> custom_between_adds() {
  return between_adds(32 /*CUSTOM*/, "soft_sign", {10, 20, 30}, {1, 2, 3});
}

/// An interpreter that runs soft_sign (as floats, or as a table).
runtime::interpreter_options with_soft_sign() {
  runtime::interpreter_options o;
  o.custom_ops["soft_sign"] = runtime::prepare_elementwise<soft_sign>;
  return o;
}

quant::calibration_report calibrate_with_soft_sign(const std::shared_ptr<const runtime::model>& model) {
  quant::calibration_options calibration;
  calibration.interpreter = with_soft_sign();
  return quant::calibrate(model, generated_samples{64, 25.0f}, calibration);
}
}  // namespace

TEST_CASE("quantize_int8 with tabulate: a custom elementwise op stays int8 as a table, with the fence's bytes") {
  const auto model = custom_between_adds();
  const runtime::interpreter_options with_op = with_soft_sign();
  const auto report = calibrate_with_soft_sign(model);
  const quant::quantized_model fenced = quant::quantize_int8(*model, report);
  REQUIRE(fenced.fences.size() == 1);
  CHECK(fenced.fences[0].why == "custom op with no quantized kernel");
  quant::quantize_options tabulate;
  tabulate.tabulate = {"soft_sign"};
  const quant::quantized_model tabled = quant::quantize_int8(*model, report, tabulate);
  CHECK(tabled.fences.empty());
  // QUANTIZE, ADD, soft_sign (int8 -> int8), ADD, DEQUANTIZE: two fewer
  // conversions than the fenced model's.
  REQUIRE(tabled.model.operations.size() == 5);
  CHECK(fenced.model.operations.size() == 7);
  const runtime::operation& custom = tabled.model.operations[2];
  CHECK(custom.custom_code == "soft_sign");
  CHECK(tabled.model.tensors[static_cast<std::size_t>(custom.inputs[0])].type == dtype::i8);
  CHECK(tabled.model.tensors[static_cast<std::size_t>(custom.outputs[0])].type == dtype::i8);
  // It reads back from its file and runs; on every sample its outputs are
  // the fenced model's, bit for bit (the table is the fence's arithmetic).
  auto reread = [](const runtime::model& m) {
    return std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(m, "t")));
  };
  runtime::interpreter a(reread(fenced.model), with_op), b(reread(tabled.model), with_op);
  const generated_samples samples{50, 25.0f};
  for (std::size_t i = 0; i < samples.size(); ++i) {
    (void)samples.fill(i, a);
    (void)samples.fill(i, b);
    a.invoke();
    b.invoke();
    for (std::size_t k = 0; k < 3; ++k) REQUIRE(a.output<float>(0)[k] == b.output<float>(0)[k]);
  }
  // Unregistered, the custom op is named in the error (as any missing op).
  CHECK_THROWS_WITH_AS(runtime::interpreter(reread(tabled.model)), doctest::Contains("soft_sign"), runtime::model_error);
}

TEST_CASE("int16x8 with tabulate: a custom elementwise op as TFLite's interpolated int16 table, far closer than int8") {
  const auto model = custom_between_adds();
  const runtime::interpreter_options with_op = with_soft_sign();
  const auto report = calibrate_with_soft_sign(model);
  quant::quantize_options int16;
  int16.activations = dtype::i16;
  const quant::quantized_model fenced = quant::quantize_full_integer(*model, report, int16);
  REQUIRE(fenced.fences.size() == 1);
  int16.tabulate = {"soft_sign"};
  const quant::quantized_model tabled = quant::quantize_full_integer(*model, report, int16);
  CHECK(tabled.fences.empty());
  const auto custom = std::ranges::find(tabled.model.operations, std::string("soft_sign"), &runtime::operation::custom_code);
  REQUIRE(custom != tabled.model.operations.end());
  CHECK(tabled.model.tensors[static_cast<std::size_t>(custom->inputs[0])].type == dtype::i16);
  CHECK(tabled.model.tensors[static_cast<std::size_t>(custom->outputs[0])].type == dtype::i16);
  // The table interpolates 512 segments (the same construction as the int16
  // SOFTMAX's tables, which match TFLM's), so it is not the fence bit for
  // bit: soft_sign's kink at 0 costs it. Measured: fenced 93.0 dB, table
  // 77.9 dB, the int8 table 49.8 dB.
  auto reread = [](const runtime::model& m) {
    return std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(m, "t")));
  };
  runtime::interpreter reference(model, with_op), a(reread(fenced.model), with_op), b(reread(tabled.model), with_op);
  const quant::output_agreement fence = quant::compare_outputs(reference, a, generated_samples{50, 25.0f});
  const quant::output_agreement table = quant::compare_outputs(reference, b, generated_samples{50, 25.0f});
  quant::quantize_options int8;
  int8.tabulate = {"soft_sign"};
  runtime::interpreter c(reread(quant::quantize_int8(*model, report, int8).model), with_op);
  const quant::output_agreement table8 = quant::compare_outputs(reference, c, generated_samples{50, 25.0f});
  MESSAGE("soft_sign: int16 fenced ", fence.sqnr_db, " dB, int16 table ", table.sqnr_db, " dB, int8 table ",
          table8.sqnr_db, " dB");
  CHECK(table.sqnr_db > 70);
  CHECK(table.sqnr_db > table8.sqnr_db + 20);
  CHECK(fence.sqnr_db > table.sqnr_db);
}

TEST_CASE("quantize: EXP is fenced for TFLM, or kept integer as TFLite's table with tabulate") {
  // exp of [-2.5, 2]: TFLM's EXP is float only, TFLite's int8 and int16 are tables.
  const auto model = between_adds(47 /*EXP*/, {}, {-1.0f, 0.0f, 0.5f}, {1, 2, 3});
  const generated_samples samples{64, 1.5f};
  const auto report = quant::calibrate(model, samples);
  const quant::quantized_model fenced = quant::quantize_int8(*model, report);
  REQUIRE(fenced.fences.size() == 1);
  CHECK(fenced.fences[0].why ==
        "TFLM has no int8 kernel for it (qfence has; a quantized model must run in TFLM; --tabulate EXP keeps it int8 "
        "as TFLite's table, for TFLite)");
  quant::quantize_options tabulate;
  tabulate.tabulate = {"EXP"};
  const quant::quantized_model tabled = quant::quantize_int8(*model, report, tabulate);
  CHECK(tabled.fences.empty());
  REQUIRE(tabled.notes.size() == 1);
  CHECK(tabled.notes[0] == "operator 1 (EXP) is int8 as TFLite's table (--tabulate): TFLite and qfence run the model, "
                           "TFLM does not");
  auto reread = [](const runtime::model& m) {
    return std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(m, "t")));
  };
  const auto written = reread(tabled.model);
  // QUANTIZE, ADD, EXP (int8 -> int8, version 2 as TFLite's converter
  // writes it), ADD, DEQUANTIZE.
  REQUIRE(written->operations.size() == 5);
  const runtime::operation& exp = written->operations[2];
  CHECK(exp.code == runtime::op_code::exp);
  CHECK(exp.version == 2);
  CHECK(written->tensors[static_cast<std::size_t>(exp.inputs[0])].type == dtype::i8);
  CHECK(written->tensors[static_cast<std::size_t>(exp.outputs[0])].type == dtype::i8);
  runtime::interpreter reference(model), a(reread(fenced.model)), b(written);
  const quant::output_agreement fence = quant::compare_outputs(reference, a, samples);
  const quant::output_agreement table = quant::compare_outputs(reference, b, samples);
  // The table is TFLite's rounding of exp between the two int8 grids (its
  // bytes: the op matrix's exp_i8 cases against TFLite's reference code),
  // the fence float exp between the same grids. Measured: 46.7 dB both.
  MESSAGE("EXP: int8 fenced ", fence.sqnr_db, " dB, int8 table ", table.sqnr_db, " dB");
  CHECK(table.sqnr_db > 30);
  CHECK(table.sqnr_db > fence.sqnr_db - 3);
  // int16x8: an int16 table; a builtin without one is refused by name.
  quant::quantize_options int16 = tabulate;
  int16.activations = dtype::i16;
  const quant::quantized_model tabled16 = quant::quantize_full_integer(*model, report, int16);
  CHECK(tabled16.fences.empty());
  CHECK(tabled16.model.tensors[static_cast<std::size_t>(tabled16.model.operations[2].outputs[0])].type == dtype::i16);
  quant::quantize_options add = tabulate;
  add.tabulate = {"ADD"};
  CHECK_THROWS_WITH_AS(quant::quantize_int8(*model, report, add),
                       "operator 0 (ADD) cannot be tabulated: tables are for custom elementwise ops (one input, one "
                       "output) and EXP (TFLite's int8 and int16 tables)",
                       runtime::model_error);
}

namespace {

/// A float SVDF: input [1, 3], 4 filters of rank 2 (2 units), a memory of 3
/// steps, whose positive time weights add up what it remembers. Tensors: 0
/// input, 1 feature weights, 2 time weights, 3 bias, 4 state (a variable),
/// 5 output.
std::shared_ptr<const runtime::model> float_svdf_model() {
  namespace tfl = qtest::tfl;
  tfl::model_spec m;
  m.tensors.push_back(tfl::activation({1, 3}, "input"));
  m.tensors.push_back(tfl::constant(
      {4, 3}, tfl::bytes_of(std::vector<float>{0.5f, -0.3f, 0.8f, -0.6f, 0.2f, 0.4f, 0.1f, 0.9f, -0.2f, 0.3f, -0.7f, 0.5f}),
      "feature"));
  m.tensors.push_back(tfl::constant(
      {4, 3}, tfl::bytes_of(std::vector<float>{0.4f, 0.6f, 0.9f, 0.5f, 0.7f, 0.3f, 0.2f, 0.8f, 0.6f, 0.9f, 0.4f, 0.5f}),
      "time"));
  m.tensors.push_back(tfl::constant({2}, tfl::bytes_of(std::vector<float>{0.1f, -0.2f}), "bias"));
  m.tensors.push_back(tfl::activation({1, 12}, "state"));
  m.tensors.back().variable = true;
  m.tensors.push_back(tfl::activation({1, 2}, "output"));
  m.ops.push_back(tfl::op(27 /*SVDF*/, 1, {0, 1, 2, 3, 4}, {5}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{tfl::fb::BuiltinOptions::SVDFOptions, tfl::fb::CreateSVDFOptions(b, 2).Union()};
  };
  m.inputs = {0};
  m.outputs = {5};
  return std::make_shared<const runtime::model>(tflite::read_model(tfl::build(m)));
}

/// Steps of a slow signal; `streamed`: the samples are consecutive steps of
/// one stream (samples_form_stream), so the SVDF's memory carries over.
struct svdf_steps {
  std::size_t count;
  bool streamed;
  bool skip_first = false;  // sample 0 unusable
  std::size_t size() const { return count; }
  bool stream() const { return streamed; }
  std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
    if (skip_first && i == 0) return "sample 0 is unusable";
    auto in = interp.input<float>(0);
    const auto t = static_cast<float>(i);
    in[0] = 2.0f * std::sin(0.4f * t);
    in[1] = 1.5f * std::cos(0.25f * t);
    in[2] = std::sin(0.1f * t) - 0.5f;
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("quantize_int8: SVDF stays integer with TFLite's operands, and tracks the float model on a stream") {
  const auto model = float_svdf_model();
  const auto report = quant::calibrate(model, svdf_steps{60, true});
  // The state is a variable no operation outputs: calibration observes it
  // after the SVDF that updates it.
  REQUIRE(report.find(4) != nullptr);
  const quant::quantized_model q = quant::quantize_int8(*model, report);
  CHECK(q.fences.empty());
  const runtime::model& m = q.model;
  const auto svdf = std::find_if(m.operations.begin(), m.operations.end(),
                                 [](const auto& op) { return op.code == runtime::op_code::svdf; });
  REQUIRE(svdf != m.operations.end());
  CHECK(svdf->version == 3);
  const auto& operand = [&](std::size_t i) -> const runtime::tensor& {
    return m.tensors[static_cast<std::size_t>(svdf->inputs[i])];
  };
  CHECK(operand(0).type == dtype::i8);
  CHECK(operand(1).type == dtype::i8);
  CHECK(operand(1).quant.scales.size() == 1);  // the kernel has one feature scale
  // Time weights: int16 in 10 bits, the largest magnitude (0.9) at 512.
  const runtime::tensor& time = operand(2);
  REQUIRE(time.type == dtype::i16);
  CHECK(time.quant.scale() == 0.9f / 512.0f);
  const auto* time_values = reinterpret_cast<const std::int16_t*>(time.data.data());
  CHECK(time_values[2] == 512);
  CHECK(time_values[11] == 284);  // 0.5 / (0.9 / 512) = 284.44
  // State: int16, symmetric, from the range calibration saw it hold.
  const runtime::tensor& state = operand(4);
  REQUIRE(state.type == dtype::i16);
  CHECK(state.variable);
  CHECK(state.quant.zero_point() == 0);
  CHECK(state.quant.scale() == quant::symmetric_params(report.find(4)->range, 32767).scale);
  // Bias: int32 at time scale x state scale (TFLM checks it to 1e-5).
  CHECK(operand(3).type == dtype::i32);
  CHECK(operand(3).quant.scale() == time.quant.scale() * state.quant.scale());
  CHECK_NOTHROW(quant::check_runs(m));

  // On the stream it was calibrated on, the int8 model follows the float one.
  auto reread = [](const runtime::model& x) {
    return std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(x, "t")));
  };
  runtime::interpreter reference(model), int8(reread(m));
  const quant::output_agreement streamed = quant::compare_outputs(reference, int8, svdf_steps{60, true});
  MESSAGE("SVDF int8 on a 60-step stream: ", streamed.sqnr_db, " dB");
  CHECK(streamed.sqnr_db > 35);
  // A stream starts from the initial state even when its first sample is
  // skipped: interpreters that ran before give fresh ones' figure.
  const svdf_steps from_one{60, true, true};
  runtime::interpreter fresh_reference(model), fresh_int8(reread(m));
  CHECK(quant::compare_outputs(reference, int8, from_one).sqnr_db ==
        quant::compare_outputs(fresh_reference, fresh_int8, from_one).sqnr_db);

  // Calibrated as independent samples, the memory holds one step, and the
  // output range misses what three steps of memory add up to on the stream.
  const auto independent = quant::calibrate(model, svdf_steps{60, false});
  CHECK(independent.find(5)->range.max - independent.find(5)->range.min <
        0.8f * (report.find(5)->range.max - report.find(5)->range.min));
  runtime::interpreter int8_independent(reread(quant::quantize_int8(*model, independent).model));
  const quant::output_agreement mismatched = quant::compare_outputs(reference, int8_independent, svdf_steps{60, true});
  MESSAGE("calibrated on independent samples, run on the stream: ", mismatched.sqnr_db, " dB");
  CHECK(mismatched.sqnr_db < streamed.sqnr_db - 6);
}

namespace {

/// A float LSTM: batch 1, T steps of 3 inputs, 4 units (batch major).
/// Tensors: 0 input, 1-8 weights, 9-12 biases, 13 hidden, 14 cell
/// (variables), 15 output. The forget gate's bias keeps the cell's memory,
/// so the cell rises with a pulse mid-sequence and falls after it: the
/// state the invoke leaves is not where the cell was largest.
std::shared_ptr<const runtime::model> float_lstm_model(int steps) {
  namespace tfl = qtest::tfl;
  constexpr int I = 3, S = 4;
  std::uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) * 1.6f - 0.8f;
  };
  std::vector<std::vector<float>> weights, biases;
  for (int k = 0; k < 8; ++k) {
    weights.emplace_back(static_cast<std::size_t>(S * (k < 4 ? I : S)));
    for (float& v : weights.back()) v = next();
  }
  for (int k = 0; k < 4; ++k) {
    biases.emplace_back(static_cast<std::size_t>(S));
    for (float& v : biases.back()) v = 0.3f * next() + (k == 1 ? 1.0f : 0.0f);  // gate 1: forget
  }
  return std::make_shared<const runtime::model>(tflite::read_model(tfl::build(tfl::float_lstm_model(steps, I, S, weights, biases))));
}

/// Input j of step t of sample i: a pulse a third into the sequence on a
/// small wave, its height varying from sample to sample.
float lstm_input(std::size_t i, int t, int j, int steps) {
  const float pulse = std::abs(t - steps / 3) <= 1 ? 3.0f + 0.5f * std::sin(static_cast<float>(i)) : 0.0f;
  return pulse * (j == 0 ? 1.0f : j == 1 ? -0.6f : 0.3f) +
         0.05f * std::sin(0.7f * static_cast<float>(t) + static_cast<float>(i + 3 * static_cast<std::size_t>(j)));
}

/// Sequences of `steps` steps, one per sample; with `one_step`, the same
/// values one step per invoke, as a stream (the states carry over).
struct lstm_sequences {
  std::size_t count;
  int steps;
  bool one_step = false;
  std::size_t size() const { return one_step ? count * static_cast<std::size_t>(steps) : count; }
  bool stream() const { return one_step; }
  std::optional<std::string> fill(std::size_t k, runtime::interpreter& interp) const {
    auto in = interp.input<float>(0);
    if (one_step) {
      for (int j = 0; j < 3; ++j)
        in[static_cast<std::size_t>(j)] = lstm_input(k / static_cast<std::size_t>(steps), static_cast<int>(k % static_cast<std::size_t>(steps)), j, steps);
      return std::nullopt;
    }
    for (int t = 0; t < steps; ++t)
      for (int j = 0; j < 3; ++j) in[static_cast<std::size_t>(t * 3 + j)] = lstm_input(k, t, j, steps);
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("calibrate: an LSTM's cell state is observed at every step, not only as the invoke leaves it") {
  constexpr int T = 12;
  quant::calibration_options minmax;
  minmax.observer.method = quant::calibrator::minmax;
  const auto report = quant::calibrate(float_lstm_model(T), lstm_sequences{1, T}, minmax);
  // The same sequence one step per invoke: the cell variable after each
  // invoke is the cell after each step.
  runtime::interpreter stepwise(float_lstm_model(1));
  quant::real_range every_step{0, 0}, last_step{0, 0};
  for (int t = 0; t < T; ++t) {
    for (int j = 0; j < 3; ++j) stepwise.input<float>(0)[static_cast<std::size_t>(j)] = lstm_input(0, t, j, T);
    REQUIRE(stepwise.invoke() == invoke_status::completed);
    const auto bytes = stepwise.tensor_bytes(14);
    last_step = {0, 0};
    for (std::size_t i = 0; i < bytes.size() / sizeof(float); ++i) {
      float v;
      std::memcpy(&v, bytes.data() + i * sizeof(float), sizeof v);
      every_step = {std::min(every_step.min, v), std::max(every_step.max, v)};
      last_step = {std::min(last_step.min, v), std::max(last_step.max, v)};
    }
  }
  const quant::tensor_calibration* cell = report.find(14);
  REQUIRE(cell != nullptr);
  CHECK(cell->seen.min == doctest::Approx(every_step.min).epsilon(1e-6));
  CHECK(cell->seen.max == doctest::Approx(every_step.max).epsilon(1e-6));
  // The pulse's peak is gone by the last step.
  CHECK(std::max(-last_step.min, last_step.max) < 0.8f * std::max(-every_step.min, every_step.max));
}

TEST_CASE("quantize_int8: an LSTM stays integer with TFLite's operands and intermediates, and tracks the float model") {
  constexpr int T = 12;
  const auto model = float_lstm_model(T);
  const auto report = quant::calibrate(model, lstm_sequences{48, T});
  const quant::quantized_model q = quant::quantize_int8(*model, report);
  CHECK(q.fences.empty());
  // Written and read back: what TFLite and TFLM load.
  const auto reread = std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(q.model, "t")));
  const runtime::model& m = *reread;
  const auto lstm = std::find_if(m.operations.begin(), m.operations.end(), [](const auto& op) {
    return op.code == runtime::op_code::unidirectional_sequence_lstm;
  });
  REQUIRE(lstm != m.operations.end());
  const auto& operand = [&](std::size_t i) -> const runtime::tensor& {
    return m.tensors[static_cast<std::size_t>(lstm->inputs[i])];
  };
  const runtime::tensor& in = operand(0);
  const runtime::tensor& out = m.tensors[static_cast<std::size_t>(lstm->outputs[0])];
  CHECK(in.type == dtype::i8);
  CHECK(out.type == dtype::i8);
  for (std::size_t k = 0; k < 4; ++k) {
    const runtime::tensor &w = operand(1 + k), &r = operand(5 + k), &b = operand(12 + k);
    CHECK(w.type == dtype::i8);
    CHECK(w.quant.scales.size() == 1);  // TFLM's LSTM reads one scale per matrix
    CHECK(r.type == dtype::i8);
    CHECK(r.quant.scales.size() == 1);
    CHECK(b.type == dtype::i32);
    CHECK(b.quant.scale() == in.quant.scale() * w.quant.scale());  // input scale x its gate's input weights
  }
  // The hidden state is the output: the same parameters (TFLite's restrict_scale).
  const runtime::tensor& hidden = operand(18);
  CHECK(hidden.variable);
  CHECK(hidden.type == dtype::i8);
  CHECK(hidden.quant.scale() == out.quant.scale());
  CHECK(hidden.quant.zero_point() == out.quant.zero_point());
  // The cell: int16, zero point 0, 2^k / 32768 for the smallest k whose 2^k covers what calibration saw.
  const runtime::tensor& cell = operand(19);
  CHECK(cell.variable);
  REQUIRE(cell.type == dtype::i16);
  CHECK(cell.quant.zero_point() == 0);
  const quant::real_range seen = report.find(14)->range;
  const float magnitude = std::max(-seen.min, seen.max);
  const float power = cell.quant.scale() * 32768.0f;
  CHECK(power == std::exp2(std::round(std::log2(power))));
  CHECK(power >= magnitude);
  CHECK(power / 2 < magnitude);
  // TFLite's kernel reads five intermediates; the fifth carries the hidden state's parameters.
  REQUIRE(lstm->intermediates.size() == 5);
  const runtime::tensor& hidden_scale = m.tensors[static_cast<std::size_t>(lstm->intermediates[4])];
  CHECK(hidden_scale.quant.scale() == out.quant.scale());
  CHECK(hidden_scale.quant.zero_point() == out.quant.zero_point());
  for (std::size_t g = 0; g < 4; ++g)
    CHECK(m.tensors[static_cast<std::size_t>(lstm->intermediates[g])].quant.scale() == 1.0f / 4096.0f);
  for (const int t : lstm->intermediates)  // TFLM's allocator refuses an intermediate that holds bytes
    CHECK(m.tensors[static_cast<std::size_t>(t)].elements() == 0);
  CHECK_NOTHROW(quant::check_runs(m));

  runtime::interpreter reference(model), int8(reread);
  const quant::output_agreement a = quant::compare_outputs(reference, int8, lstm_sequences{48, T});
  MESSAGE("int8 LSTM against the float one: ", a.sqnr_db, " dB");
  CHECK(a.sqnr_db > 30);

  // The float twin of the int8 model drops the intermediates and runs.
  const runtime::model twin = quant::dequantize_model(m).model;
  for (const auto& op : twin.operations) CHECK(op.intermediates.empty());
  CHECK_NOTHROW(quant::check_runs(twin));
}

TEST_CASE("op versions: one function for float and quantized operations, in op_version.cc's order") {
  runtime::model m;
  auto add_tensor = [&](dtype type, std::vector<int> shape, float scale = 0.0f) {
    runtime::tensor t;
    t.type = type;
    t.shape = std::move(shape);
    if (scale > 0.0f) {
      t.quant.scales = {scale};
      t.quant.zero_points = {0};
    }
    m.tensors.push_back(std::move(t));
    return static_cast<int>(m.tensors.size() - 1);
  };
  auto version = [&](runtime::op_code code, std::vector<int> in, std::vector<int> out, runtime::op_options o = {}) {
    runtime::operation op;
    op.code = code;
    op.inputs = std::move(in);
    op.outputs = std::move(out);
    op.options = o;
    return quant::tflite_op_version(m, op, 99);
  };
  using runtime::op_code;
  // MUL: int32 is version 1 (no scales), uint8 with a ratio below 1 too; int8 2, a ratio >= 1 3, int16 4.
  const int i32 = add_tensor(dtype::i32, {1, 4});
  CHECK(version(op_code::mul, {i32, i32}, {i32}) == 1);
  const int u8 = add_tensor(dtype::u8, {1, 4}, 0.1f), u8_out = add_tensor(dtype::u8, {1, 4}, 0.5f);
  CHECK(version(op_code::mul, {u8, u8}, {u8_out}) == 1);
  const int i8 = add_tensor(dtype::i8, {1, 4}, 0.1f), i8_out = add_tensor(dtype::i8, {1, 4}, 0.5f);
  const int i8_small = add_tensor(dtype::i8, {1, 4}, 0.001f);
  CHECK(version(op_code::mul, {i8, i8}, {i8_out}) == 2);
  CHECK(version(op_code::mul, {i8, i8}, {i8_small}) == 3);
  // Float: the options and ranks alone raise a version.
  const int f5 = add_tensor(dtype::f32, {1, 2, 2, 2, 2}), f4 = add_tensor(dtype::f32, {1, 2, 2, 2});
  CHECK(version(op_code::strided_slice, {f5}, {f5}) == 4);
  CHECK(version(op_code::transpose, {f5}, {f5}) == 4);
  CHECK(version(op_code::strided_slice, {f4}, {f4}) == 1);
  runtime::op_options dilated;
  dilated.dilation_h = 2;
  const int dw = add_tensor(dtype::f32, {1, 3, 3, 2});
  CHECK(version(op_code::depthwise_conv_2d, {f4, dw}, {f4}, dilated) == 2);
  const int narrow = add_tensor(dtype::f32, {2, 3, 3, 1});
  CHECK(version(op_code::conv_2d, {f4, narrow}, {f4}) == 6);  // grouped: 1 input channel of 2
  // TRANSPOSE_CONV: input 0 is the output shape, so its weights decide.
  const int shape = add_tensor(dtype::i32, {4}), w8 = add_tensor(dtype::i8, {2, 3, 3, 2}, 0.1f);
  CHECK(version(op_code::transpose_conv, {shape, dw, f4}, {f4}) == 1);
  CHECK(version(op_code::transpose_conv, {shape, w8, i8}, {i8}) == 2);
  CHECK(version(op_code::svdf, {f4}, {f4}) == 1);
  CHECK(version(op_code::svdf, {f4, w8}, {f4}) == 2);  // hybrid
  CHECK(version(op_code::svdf, {i8, w8}, {i8}) == 3);
  // ABS: int8 2, int16 quantized 3, int16 plain 4, float 1.
  const int i16q = add_tensor(dtype::i16, {1, 4}, 0.01f), i16 = add_tensor(dtype::i16, {1, 4});
  CHECK(version(op_code::abs, {i8}, {i8}) == 2);
  CHECK(version(op_code::abs, {i16q}, {i16q}) == 3);
  CHECK(version(op_code::abs, {i16}, {i16}) == 4);
  CHECK(version(op_code::abs, {f4}, {f4}) == 1);
  CHECK(version(op_code::rsqrt, {i8}, {i8}) == 2);
  const int flags = add_tensor(dtype::boolean, {1, 4});
  CHECK(version(op_code::less, {i8, i8}, {flags}) == 2);
  CHECK(version(op_code::equal, {f4, f4}, {flags}) == 1);
  CHECK(version(op_code::gather_nd, {f4}, {f4}) == 99);  // not listed: kept
}

}  // namespace calibration_test
