// The float16 scheme (quant/float16_weights.hpp): half conversion checked
// against the hardware's, the model TFLite's converter would write, and the
// interpreter computing its DEQUANTIZEs once at load
// (runtime/fold_constants.hpp) with the values the kernel gives.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <cpuid.h>
#include <immintrin.h>

#include "qfence/codegen/header_writer.hpp"
#include "qfence/core/half.hpp"
#include "qfence/quant/float16_weights.hpp"
#include "qfence/tflite/reader.hpp"
#include "qfence/tflite/writer.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace float16_test {

using namespace qfence;

namespace {

// Compile-time: a few values whose halves are known.
static_assert(to_half(1.0f).bits == 0x3C00);
static_assert(to_half(-2.0f).bits == 0xC000);
static_assert(to_half(65504.0f).bits == 0x7BFF);
static_assert(to_half(65520.0f).bits == 0x7C00);          // halfway to 2^16 rounds to even: infinity
static_assert(to_half(65519.99f).bits == 0x7BFF);
static_assert(to_half(5.9604645e-8f).bits == 0x0001);      // the smallest subnormal, 2^-24
static_assert(to_half(2.9802322e-8f).bits == 0x0000);      // 2^-25, halfway to it: ties to even (zero)
static_assert(to_half(-0.0f).bits == 0x8000);
static_assert(to_float(half{0x3555}) == 0.333251953125f);
static_assert(to_float(half{0x0001}) == 5.9604645e-8f);
static_assert(std::bit_cast<std::uint32_t>(to_float(half{0x8000})) == 0x80000000u);  // -0

__attribute__((target("f16c"))) std::uint16_t hardware_half(float f) {
  return static_cast<std::uint16_t>(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), 0), 0));  // 0: nearest even
}
__attribute__((target("f16c"))) float hardware_float(std::uint16_t h) {
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

/// CPUID leaf 1, ECX bit 29 (Clang 14 has no has_f16c()).
bool has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & (1u << 29)) != 0;
}

bool same_bits(float a, float b) { return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b); }

}  // namespace

TEST_CASE("half: every half widens exactly and narrows back to itself; narrowing matches F16C") {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const half h{static_cast<std::uint16_t>(b)};
    const float f = to_float(h);
    const bool nan = (b & 0x7C00) == 0x7C00 && (b & 0x3FF) != 0;
    if (nan) {
      CHECK(std::isnan(f));
      CHECK(std::isnan(to_float(to_half(f))));
    } else {
      REQUIRE(to_half(f).bits == b);
    }
    if (has_f16c() && !nan) REQUIRE(same_bits(f, hardware_float(static_cast<std::uint16_t>(b))));
  }
  if (!has_f16c()) {
    MESSAGE("skipped the F16C comparison: this CPU has no F16C");
    return;
  }
  // Every float near each half boundary (both neighbours of every
  // halfway point), and a sweep of float bit patterns.
  std::uint32_t checked = 0;
  for (std::uint32_t b = 0; b < 0x7C00; ++b) {
    const float lo = to_float(half{static_cast<std::uint16_t>(b)}), hi = to_float(half{static_cast<std::uint16_t>(b + 1)});
    const float mid = lo + (hi - lo) / 2;  // exact: a half needs 11 bits, a float has 24
    for (const float f : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f), -mid}) {
      REQUIRE(to_half(f).bits == hardware_half(f));
      ++checked;
    }
  }
  for (std::uint64_t b = 0; b < 0x100000000ull; b += 4099) {
    const float f = std::bit_cast<float>(static_cast<std::uint32_t>(b));
    if (std::isnan(f)) continue;
    REQUIRE(to_half(f).bits == hardware_half(f));
    ++checked;
  }
  CHECK(checked > 1000000);
}

TEST_CASE("float16 scheme: f16 weights behind a DEQUANTIZE v3, computed once at load, exact") {
  namespace tfl = qtest::tfl;
  // Weights a half cannot hold: each rounds, and 1e5 is clamped to 65504.
  const std::vector<float> weights = {10.0001f, 1e5f, -3.14159f};
  tfl::model_spec spec = tfl::float_add_model();
  spec.tensors[1] = tfl::constant({1, 3}, tfl::bytes_of(weights), "bias");
  const runtime::model f = tflite::read_model(tfl::build(spec));
  const quant::float16_model q = quant::quantize_float16(f);
  CHECK(q.constants == 1);
  CHECK(q.float_bytes == 12);
  CHECK(q.half_bytes == 6);
  quant::check_runs(q.model);

  // What the file holds: the f16 constant, DEQUANTIZE (v3) into
  // "bias_dequantize", then the ADD reading it.
  const auto m = std::make_shared<const runtime::model>(tflite::read_model(tflite::write_model(q.model, "t")));
  REQUIRE(m->operations.size() == 2);
  CHECK(m->operations[0].code == runtime::op_code::dequantize);
  CHECK(m->operations[0].version == 3);
  const runtime::tensor& stored = m->tensors[static_cast<std::size_t>(m->operations[0].inputs[0])];
  CHECK(stored.type == dtype::f16);
  CHECK(stored.constant);
  CHECK(m->tensors[static_cast<std::size_t>(m->operations[0].outputs[0])].name == "bias_dequantize");
  CHECK(m->operations[1].inputs[1] == m->operations[0].outputs[0]);

  // The interpreter folds the DEQUANTIZE: one kernel runs, the arena is the
  // float model's, and the sums use exactly the widened halves.
  runtime::interpreter run(m), reference(std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec))));
  CHECK(run.operations().size() == 1);
  CHECK(run.arena_bytes() == reference.arena_bytes());
  const std::vector<float> in = {0.5f, -7.25f, 1e-3f};
  for (int k = 0; k < 3; ++k) run.input<float>(0)[static_cast<std::size_t>(k)] = in[static_cast<std::size_t>(k)];
  run.invoke();
  for (std::size_t k = 0; k < 3; ++k) {
    const float w = to_float(to_half(std::min(weights[k], 65504.0f)));
    CHECK(same_bits(run.output<float>(0)[k], in[k] + w));
  }
  CHECK(to_float(to_half(10.0001f)) == 10.0f);  // the rounding the check above sees
}

TEST_CASE("fold: a DEQUANTIZE of an activation stays an operation; the embedded header holds widened weights") {
  namespace tfl = qtest::tfl;
  // int8 input -> DEQUANTIZE -> f32 output: computed per invoke, as it must be.
  tfl::model_spec dq;
  dq.tensors.push_back(tfl::activation({1, 4}, "q", 9 /*INT8*/));
  dq.tensors.back().scales = {0.5f};
  dq.tensors.back().zero_points = {-3};
  dq.tensors.push_back(tfl::activation({1, 4}, "x"));
  dq.ops.push_back(tfl::op(6 /*DEQUANTIZE*/, 2, {0}, {1}));
  dq.inputs = {0};
  dq.outputs = {1};
  const auto dq_model = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(dq)));
  CHECK(!runtime::with_constants_folded(*dq_model).has_value());
  runtime::interpreter per_invoke(dq_model);
  CHECK(per_invoke.operations().size() == 1);
  per_invoke.input<std::int8_t>(0)[0] = 5;
  per_invoke.invoke();
  CHECK(per_invoke.output<float>(0)[0] == 4.0f);

  const runtime::model f = tflite::read_model(tfl::build(tfl::float_add_model()));
  CHECK(!runtime::with_constants_folded(f).has_value());  // a float model: nothing to fold
  const quant::float16_model q = quant::quantize_float16(f);
  // Nothing of the fold is left for the generated code: no DEQUANTIZE node,
  // no f16 tensor; the f32 values of the halves are embedded instead.
  const auto headers = codegen::write_headers(q.model, {"f16_add", "f16_add.tflite", runtime::numerics::tflm}, "f16_add_types.hpp");
  const std::string all = headers.types + headers.model;
  CHECK(all.find("dequantize(") == std::string::npos);
  CHECK(all.find("qf::f16") == std::string::npos);
  CHECK(all.find("qf::add(") != std::string::npos);
}

}  // namespace float16_test
