// IF, WHILE, CALL_ONCE and resource variables on the compile-time path
// (ops/control_flow.hpp, ops/resource_variable.hpp): typed models calling
// typed models, against the runtime path running the same graphs
// as a .tflite with subgraphs, invoke after invoke.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "qfence.hpp"
#include "qfence/codegen/header_writer.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/quant/dequantize_model.hpp"
#include "qfence/quant/dynamic_range.hpp"
#include "qfence/quant/fence_suggestion.hpp"
#include "qfence/quant/float16_weights.hpp"
#include "qfence/quant/layer_debugger.hpp"
#include "qfence/quant/quantize_model.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
#include "qfence/tflite/writer.hpp"
#include "test_support.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace control_flow_test {

namespace qf = qfence;
namespace runtime = qfence::runtime;
namespace tfl = qtest::tfl;
namespace fb = qfence::tflite::fb;

namespace {

using X = qf::tensor<qf::f32, qf::shape<1, 4>>;
using I = qf::tensor<qf::i32, qf::shape<1>>;
using Cond = qf::tensor<qf::boolean, qf::shape<1>>;

inline constexpr std::array<float, 4> offset{0.5f, -1.0f, 2.0f, 0.25f};
inline constexpr std::array<std::int32_t, 1> zero{0}, one{1}, three{3};

// IF: a bool picks then (x + x) or else (x + offset).
constexpr auto then_branch = qf::graph(qf::input<X>(), qf::add(qf::ref<0>, qf::ref<0>));
constexpr auto else_branch =
    qf::graph(qf::input<X>(), qf::literal(qf::make_constant<X>(offset)), qf::add(qf::ref<0>, qf::ref<1>));
constexpr auto if_model = qf::graph(qf::input<Cond>(), qf::input<X>(), qf::if_(qf::ref<0>, then_branch, else_branch, qf::ref<1>),
                                    qf::control_flow_output<decltype(then_branch), 0>(qf::ref<2>));

// WHILE: (i, x) from (0, input) while i < 3: (i + 1, x + x).
constexpr auto loop_cond = qf::graph(qf::input<I>(), qf::input<X>(), qf::literal(qf::make_constant<I>(three)),
                                     qf::less(qf::ref<0>, qf::ref<2>))
                               .outputs(qf::ref<3>);
constexpr auto loop_body = qf::graph(qf::input<I>(), qf::input<X>(), qf::literal(qf::make_constant<I>(one)),
                                     qf::int_add(qf::ref<0>, qf::ref<2>), qf::add(qf::ref<1>, qf::ref<1>))
                               .outputs(qf::ref<3>, qf::ref<4>);
constexpr auto while_model = qf::graph(qf::input<X>(), qf::literal(qf::make_constant<I>(zero)),
                                       qf::while_(loop_cond, loop_body, qf::ref<1>, qf::ref<0>),
                                       qf::control_flow_output<decltype(loop_body), 1>(qf::ref<2>));

// Resource variables: an accumulator that CALL_ONCE starts at `start`;
// each invoke reads it, adds the input and assigns the sum back (the
// model's output). Nodes: 0 x, 1 the variable, 2 CALL_ONCE, 3 read, 4 the
// sum, 5 assign.
inline constexpr std::array<float, 4> start{1.0f, -2.0f, 0.5f, 4.0f};
constexpr auto init_model = qf::graph(qf::literal(qf::make_constant<X>(start)));
constexpr auto accumulator =
    qf::graph(qf::input<X>(), qf::variable<X>(), qf::call_once(init_model, qf::ref<1>), qf::read_variable(qf::ref<1>),
              qf::add(qf::ref<3>, qf::ref<0>), qf::assign_variable(qf::ref<1>, qf::ref<4>))
        .outputs(qf::ref<4>);

/// A test model's spec, built and read as the runtime path reads a file.
std::shared_ptr<const runtime::model> read_spec(const tfl::model_spec& m) {
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}

/// IF of (cond, x) into y: then subgraph 1, else subgraph 2 (or those given).
tfl::op_spec if_op(int cond, int x, int y, int then_k = 1, int else_k = 2) {
  tfl::op_spec o = tfl::op(118 /*IF*/, 1, {cond, x}, {y});
  o.options = [then_k, else_k](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::IfOptions, fb::CreateIfOptions(b, then_k, else_k).Union()};
  };
  return o;
}

/// IF's subgraphs 1 and 2 as if_twin has them: then in + in, else in + offset.
std::vector<tfl::model_spec> add_branches(const std::string& in, const std::string& out) {
  tfl::model_spec then_g;
  then_g.tensors = {tfl::activation({1, 4}, in), tfl::activation({1, 4}, out)};
  then_g.ops = {tfl::add_of(0, 0, 1)};
  then_g.inputs = {0};
  then_g.outputs = {1};
  tfl::model_spec else_g;
  else_g.tensors = {tfl::activation({1, 4}, in),
                    tfl::constant({1, 4}, tfl::bytes_of(std::vector<float>(offset.begin(), offset.end())), "offset"),
                    tfl::activation({1, 4}, out)};
  else_g.ops = {tfl::add_of(0, 1, 2)};
  else_g.inputs = {0};
  else_g.outputs = {2};
  return {then_g, else_g};
}

std::shared_ptr<const runtime::model> if_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", 6 /*BOOL*/), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  m.ops = {if_op(0, 1, 2)};
  m.inputs = {0, 1};
  m.outputs = {2};
  m.subgraphs = add_branches("x", "y");
  return read_spec(m);
}

/// tfl::doubling_loop_model, read.
std::shared_ptr<const runtime::model> doubling_loop(const std::function<tfl::tensor_spec(std::string)>& x_tensor) {
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(tfl::doubling_loop_model(x_tensor))));
}

std::shared_ptr<const runtime::model> while_twin() {
  return doubling_loop([](std::string name) { return tfl::activation({1, 4}, std::move(name)); });
}

std::shared_ptr<const runtime::model> accumulator_twin() {
  const auto var_handle = [](int out) {
    tfl::op_spec o = tfl::op(142 /*VAR_HANDLE*/, 1, {}, {out});
    o.options = [](flatbuffers::FlatBufferBuilder& b) {
      return std::pair{fb::BuiltinOptions::VarHandleOptions, fb::CreateVarHandleOptionsDirect(b, "", "sum").Union()};
    };
    return o;
  };
  tfl::model_spec m;
  m.tensors = {tfl::activation({}, "handle", 13 /*RESOURCE*/), tfl::activation({1, 4}, "x"),
               tfl::activation({1, 4}, "sum_so_far"), tfl::activation({1, 4}, "y")};
  m.ops = {tfl::op(129 /*CALL_ONCE*/, 1, {}, {}), var_handle(0), tfl::op(143 /*READ_VARIABLE*/, 1, {0}, {2}),
           tfl::add_of(2, 1, 3), tfl::op(144 /*ASSIGN_VARIABLE*/, 1, {0, 3}, {})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::CallOnceOptions, fb::CreateCallOnceOptions(b, 1).Union()};
  };
  m.inputs = {1};
  m.outputs = {3};
  tfl::model_spec init;
  init.tensors = {tfl::activation({}, "handle", 13),
                  tfl::constant({1, 4}, tfl::bytes_of(std::vector<float>(start.begin(), start.end())), "start")};
  init.ops = {var_handle(0), tfl::op(144, 1, {0, 1}, {})};
  m.subgraphs = {init};
  return read_spec(m);
}

/// The accumulator's variable read and assigned inside IF's then-branch.
std::shared_ptr<const runtime::model> variable_in_branch() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", 6 /*BOOL*/), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  m.ops = {if_op(0, 1, 2)};
  m.inputs = {0, 1};
  m.outputs = {2};
  tfl::model_spec then_g;
  then_g.tensors = {tfl::activation({1, 4}, "x"), tfl::activation({}, "handle", 13 /*RESOURCE*/),
                    tfl::activation({1, 4}, "sum_so_far"), tfl::activation({1, 4}, "y")};
  then_g.ops = {tfl::op(142 /*VAR_HANDLE*/, 1, {}, {1}), tfl::op(143 /*READ_VARIABLE*/, 1, {1}, {2}), tfl::add_of(2, 0, 3),
                tfl::op(144 /*ASSIGN_VARIABLE*/, 1, {1, 3}, {})};
  then_g.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::VarHandleOptions, fb::CreateVarHandleOptionsDirect(b, "", "sum").Union()};
  };
  then_g.inputs = {0};
  then_g.outputs = {3};
  m.subgraphs = {then_g, add_branches("x", "y")[0]};  // else: x + x
  return read_spec(m);
}

}  // namespace

TEST_CASE("qfence embed writes variables and CALL_ONCE as typed nodes, and refuses a variable inside IF by name") {
  const qfence::codegen::embed_options options{"acc", "acc.tflite", runtime::numerics::tflm};
  const auto headers = qfence::codegen::write_headers(*accumulator_twin(), options, "acc_types.hpp");
  // The same nodes as `accumulator` above (the op matrix's assign_variable
  // cases compile and run such headers against TFLM's bytes).
  for (const char* node : {"qf::variable<types::t3>()", "qf::call_once(build_subgraph_1<W, Ops>(), qf::ref<1>)",
                           "qf::read_variable(qf::ref<1>)", "qf::assign_variable(qf::ref<1>, qf::ref<4>)"}) {
    CAPTURE(node);
    CHECK(headers.types.find(node) != std::string::npos);
  }
  runtime::interpreter runs(variable_in_branch());  // the runtime path runs it
  CHECK_THROWS_WITH_AS(qfence::codegen::write_headers(*variable_in_branch(), options, "acc_types.hpp"),
                       "the code generator cannot express these nodes yet: node 0 of subgraph 1 VAR_HANDLE(): uses a "
                       "resource variable in a subgraph that IF or WHILE runs; the compile-time path keeps variables "
                       "in the main graph and CALL_ONCE's init subgraph (a called model runs in its caller's scratch "
                       "memory and keeps no state); and 3 nodes downstream of those in subgraph 1",
                       runtime::model_error);
}

TEST_CASE("variables and call_once keep a sum across invokes, as the runtime path's resource variables do") {
  using M = decltype(accumulator);
  auto arena = qtest::heap_arena<M>();
  runtime::interpreter twin(accumulator_twin());
  accumulator.reset_state(*arena);
  std::array<float, 4> sum = start;
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    if (seed == 4) {  // a new stream: the variable and CALL_ONCE start again
      accumulator.reset_state(*arena);
      twin.reset_variables();
      sum = start;
    }
    const auto x = qtest::random_floats(4, seed, -3.0f, 3.0f);
    std::ranges::copy(x, arena->input<0>().begin());
    REQUIRE(accumulator.invoke(*arena) == qf::invoke_status::completed);
    std::ranges::copy(x, twin.input<float>(0).begin());
    REQUIRE(twin.invoke() == qf::invoke_status::completed);
    for (std::size_t i = 0; i < 4; ++i) sum[i] += x[i];
    CHECK(std::ranges::equal(arena->output<0>(), twin.output<float>(0)));
    CHECK(std::ranges::equal(arena->output<0>(), sum));
  }
}

TEST_CASE("if_ runs the branch its condition picks, as the runtime path's IF does") {
  using M = decltype(if_model);
  // The branches' arenas live in the IF node's scratch: one constant size.
  static_assert(M::arena_bytes >= std::max(decltype(then_branch)::arena_bytes, decltype(else_branch)::arena_bytes));
  auto arena = qtest::heap_arena<M>();
  runtime::interpreter twin(if_twin());
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    const bool cond = seed % 2 == 0;
    const auto x = qtest::random_floats(4, seed, -3.0f, 3.0f);
    arena->input<0>()[0] = cond;
    std::ranges::copy(x, arena->input<1>().begin());
    REQUIRE(if_model.invoke(*arena) == qf::invoke_status::completed);
    twin.input<bool>(0)[0] = cond;
    std::ranges::copy(x, twin.input<float>(1).begin());
    REQUIRE(twin.invoke() == qf::invoke_status::completed);
    CHECK(std::ranges::equal(arena->output<0>(), twin.output<float>(0)));
    CHECK(arena->output<0>()[0] == (cond ? x[0] + x[0] : x[0] + offset[0]));
  }
}

TEST_CASE("while_ loops its body while its cond says so, as the runtime path's WHILE does") {
  using M = decltype(while_model);
  auto arena = qtest::heap_arena<M>();
  runtime::interpreter twin(while_twin());
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_floats(4, seed, -3.0f, 3.0f);
    std::ranges::copy(x, arena->input<0>().begin());
    REQUIRE(while_model.invoke(*arena) == qf::invoke_status::completed);
    std::ranges::copy(x, twin.input<float>(0).begin());
    REQUIRE(twin.invoke() == qf::invoke_status::completed);
    CHECK(std::ranges::equal(arena->output<0>(), twin.output<float>(0)));
    for (std::size_t i = 0; i < 4; ++i) CHECK(arena->output<0>()[i] == 8.0f * x[i]);  // three doublings
  }
}

// ---- the rewriting passes on models with subgraphs ---------------------------
// qfence dequantize, --scheme float16 and --scheme dynamic rewrite every
// subgraph: a constant or layer in IF's branch or WHILE's body is rewritten
// where it is, its new tensors in its own subgraph's range (what the writer
// writes and the reader checks), and the written model runs.

namespace {

constexpr std::int8_t BOOL = 6, I8 = 9;  // TFLite TensorType

tfl::tensor_spec quantized(std::vector<int> shape, std::string name, float scale, std::int64_t zero_point) {
  tfl::tensor_spec t = tfl::activation(std::move(shape), std::move(name), I8);
  t.scales = {scale};
  t.zero_points = {zero_point};
  return t;
}

// Weights and biases that float16 holds exactly (multiples of 1/8 in
// [-1, 1]), so the float16 twin's outputs are the float model's bits.
const std::vector<float> fc_weights{0.5f,  -0.25f, 0.125f, 1.0f,   -0.75f, 0.375f, 0.0f,   -1.0f,
                                    0.25f, 0.625f, -0.5f,  0.875f, 0.125f, -0.125f, 0.75f, -0.375f};
const std::vector<float> fc_bias{0.25f, -0.5f, 0.0f, 1.0f};

/// Float IF: then FULLY_CONNECTED(x, W, b) (subgraph 1), else x + offset (subgraph 2).
std::shared_ptr<const runtime::model> float_if_with_layer() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", BOOL), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  m.ops = {if_op(0, 1, 2)};
  m.inputs = {0, 1};
  m.outputs = {2};
  tfl::model_spec then_g;
  then_g.tensors = {tfl::activation({1, 4}, "x"), tfl::constant({4, 4}, tfl::bytes_of(fc_weights), "weights"),
                    tfl::constant({4}, tfl::bytes_of(fc_bias), "bias"), tfl::activation({1, 4}, "y")};
  then_g.ops = {tfl::op(9 /*FULLY_CONNECTED*/, 1, {0, 1, 2}, {3})};
  then_g.inputs = {0};
  then_g.outputs = {3};
  m.subgraphs = {then_g, add_branches("x", "y")[1]};
  return read_spec(m);
}

constexpr float x_scale = 0.05f, y_scale = 0.1f;
constexpr std::int64_t x_zero = 3, y_zero = -2;

/// Int8 IF: then x + x in int8 (subgraph 1); else DEQUANTIZE, x + offset in
/// float, QUANTIZE (subgraph 2): a float island inside a branch.
std::shared_ptr<const runtime::model> int8_if_with_island() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", BOOL), quantized({1, 4}, "x", x_scale, x_zero),
               quantized({1, 4}, "y", y_scale, y_zero)};
  m.ops = {if_op(0, 1, 2)};
  m.inputs = {0, 1};
  m.outputs = {2};
  tfl::model_spec then_g;
  then_g.tensors = {quantized({1, 4}, "x", x_scale, x_zero), quantized({1, 4}, "y", y_scale, y_zero)};
  then_g.ops = {tfl::add_of(0, 0, 1)};
  then_g.inputs = {0};
  then_g.outputs = {1};
  tfl::model_spec else_g;
  else_g.tensors = {quantized({1, 4}, "x", x_scale, x_zero), tfl::activation({1, 4}, "x_float"),
                    tfl::constant({1, 4}, tfl::bytes_of(std::vector<float>(offset.begin(), offset.end())), "offset"),
                    tfl::activation({1, 4}, "y_float"), quantized({1, 4}, "y", y_scale, y_zero)};
  else_g.ops = {tfl::op(6 /*DEQUANTIZE*/, 1, {0}, {1}), tfl::add_of(1, 2, 3), tfl::op(114 /*QUANTIZE*/, 1, {3}, {4})};
  else_g.inputs = {0};
  else_g.outputs = {4};
  m.subgraphs = {then_g, else_g};
  return read_spec(m);
}

/// Int8 WHILE (doubling_loop): x is loop-carried at one scale (zero point
/// 0), so each doubling is exact.
std::shared_ptr<const runtime::model> int8_while() {
  return doubling_loop([](std::string name) { return quantized({1, 4}, std::move(name), 0.2f, 0); });
}

/// What a rewritten model is once written: read back by the reader (which
/// checks that each subgraph's operands are its own tensors).
std::shared_ptr<const runtime::model> written(const runtime::model& m) {
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(qfence::tflite::write_model(m)));
}

/// Every operand of every subgraph's operations lies in that subgraph's tensor range.
void check_operands_in_own_subgraph(const runtime::model& m) {
  for (int g = 0; g < m.subgraph_count; ++g) {
    const auto [first, end] = m.tensor_range_of(g);
    for (const runtime::operation& op : m.operations_of(g)) {
      CAPTURE(runtime::operation_label(op));
      CHECK(op.subgraph == g);
      for (const auto* list : {&op.inputs, &op.outputs})
        for (const int t : *list)
          if (t >= 0) CHECK((static_cast<std::size_t>(t) >= first && static_cast<std::size_t>(t) < end));
    }
  }
}

std::vector<float> run_float_if(const std::shared_ptr<const runtime::model>& m, bool cond, const std::vector<float>& x) {
  runtime::interpreter interp(m);
  interp.input<bool>(0)[0] = cond;
  std::ranges::copy(x, interp.input<float>(1).begin());
  REQUIRE(interp.invoke() == qf::invoke_status::completed);
  const auto y = interp.output<float>(0);
  return {y.begin(), y.end()};
}

}  // namespace

TEST_CASE("--scheme float16 narrows the constants of every subgraph, each behind a DEQUANTIZE in its own subgraph") {
  const auto f = float_if_with_layer();
  const qfence::quant::float16_model h = qfence::quant::quantize_float16(*f);
  CHECK(h.constants == 3);  // the branch's weights and bias, the other branch's offset
  check_operands_in_own_subgraph(h.model);
  REQUIRE(h.model.subgraphs.size() == 2);
  CHECK(h.model.subgraphs[0].operations.size() == 3);  // two DEQUANTIZEs, FULLY_CONNECTED
  CHECK(h.model.subgraphs[1].operations.size() == 2);  // DEQUANTIZE, ADD
  const auto back = written(h.model);
  check_operands_in_own_subgraph(*back);
  // Both paths widen the branch's weights once, at load: `qfence embed`
  // writes the folded f32 constants, no DEQUANTIZE node.
  const auto headers = qfence::codegen::write_headers(
      *back, {"f16_if", "f16_if.tflite", runtime::numerics::tflm}, "f16_if_types.hpp");
  CHECK(headers.types.find("qf::fully_connected(") != std::string::npos);
  CHECK(headers.types.find("qf::dequantize(") == std::string::npos);
  CHECK(headers.types.find("weights_dequantize") != std::string::npos);  // the folded constant
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_floats(4, seed, -3.0f, 3.0f);
    for (const bool cond : {true, false}) CHECK(run_float_if(back, cond, x) == run_float_if(f, cond, x));
  }
}

TEST_CASE("--scheme dynamic makes a layer inside IF's branch hybrid, in its subgraph") {
  const auto f = float_if_with_layer();
  const qfence::quant::dynamic_range_model d = qfence::quant::quantize_dynamic_range(*f, {.min_elements = 16});
  CHECK(d.hybrid_layers == 1);
  check_operands_in_own_subgraph(d.model);
  const runtime::tensor& w = d.model.tensors[static_cast<std::size_t>(d.model.subgraphs[0].operations[0].inputs[1])];
  CHECK(w.type == qf::dtype::i8);
  CHECK(w.quant.scales.size() == 4);
  const auto back = written(d.model);
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_floats(4, seed, -3.0f, 3.0f);
    CHECK(run_float_if(back, false, x) == run_float_if(f, false, x));  // the other branch stays float
    const std::vector<float> hybrid = run_float_if(back, true, x), exact = run_float_if(f, true, x);
    // The error of an int8 input row (asymmetric, its own range) times int8
    // weights (symmetric per output channel), term by term.
    const auto [lo, hi] = std::ranges::minmax(x);
    const double dx = (std::max(hi, 0.0f) - std::min(lo, 0.0f)) / 255.0;
    for (std::size_t o = 0; o < 4; ++o) {
      double w_max = 0, bound = 0;
      for (std::size_t i = 0; i < 4; ++i) w_max = std::max(w_max, double(std::abs(fc_weights[o * 4 + i])));
      const double dw = w_max / 127.0;
      for (std::size_t i = 0; i < 4; ++i)
        bound += std::abs(fc_weights[o * 4 + i]) * dx / 2 + std::abs(x[i]) * dw / 2 + dx * dw / 4;
      CAPTURE(o);
      CHECK(std::abs(hybrid[o] - exact[o]) <= bound + 1e-6);
    }
  }
}

TEST_CASE("qfence dequantize makes every subgraph float: IF's branches, a float island inside one, WHILE's body") {
  const auto q = int8_if_with_island();
  const qfence::quant::dequantized_model d = qfence::quant::dequantize_model(*q);
  CHECK(d.removed_ops == 2);  // the else branch's DEQUANTIZE and QUANTIZE
  check_operands_in_own_subgraph(d.model);
  for (const runtime::tensor& t : d.model.tensors) CHECK((t.type == qf::dtype::f32 || t.type == qf::dtype::boolean));
  CHECK(d.model.subgraphs[1].operations.size() == 1);  // x + offset, in float
  const auto twin = written(d.model);
  runtime::interpreter quantized(q);
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    const bool cond = seed % 2 == 0;
    std::vector<float> x(4);
    quantized.input<bool>(0)[0] = cond;
    for (std::size_t i = 0; i < 4; ++i) {
      const auto v = static_cast<std::int8_t>(qtest::random_floats(4, seed, -60.0f, 60.0f)[i]);
      quantized.input<std::int8_t>(1)[i] = v;
      x[i] = x_scale * static_cast<float>(v - x_zero);
    }
    REQUIRE(quantized.invoke() == qf::invoke_status::completed);
    // The twin computes in real numbers what the int8 model computes and
    // rounds to its output's steps.
    const std::vector<float> real = run_float_if(twin, cond, x);
    for (std::size_t i = 0; i < 4; ++i) {
      CAPTURE(i);
      const float y = y_scale * static_cast<float>(quantized.output<std::int8_t>(0)[i] - y_zero);
      CHECK(std::abs(real[i] - y) <= 0.5f * y_scale + 1e-5f);
    }
  }

  const auto loop = int8_while();
  const qfence::quant::dequantized_model w = qfence::quant::dequantize_model(*loop);
  check_operands_in_own_subgraph(w.model);
  runtime::interpreter loop_q(loop), loop_f(written(w.model));
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_floats(4, seed, -15.0f, 15.0f);
    for (std::size_t i = 0; i < 4; ++i) {
      loop_q.input<std::int8_t>(0)[i] = static_cast<std::int8_t>(x[i]);
      loop_f.input<float>(0)[i] = 0.2f * static_cast<float>(static_cast<std::int8_t>(x[i]));
    }
    REQUIRE(loop_q.invoke() == qf::invoke_status::completed);
    REQUIRE(loop_f.invoke() == qf::invoke_status::completed);
    for (std::size_t i = 0; i < 4; ++i)  // three exact doublings on both
      CHECK(loop_f.output<float>(0)[i] == 0.2f * static_cast<float>(loop_q.output<std::int8_t>(0)[i]));
  }
}


// ---- calibration through IF and WHILE --------------------------------------

namespace {

/// Samples of while_twin's input x: four values in [-3, 3] each.
struct loop_samples {
  std::size_t size() const { return 8; }
  std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
    const auto x = qtest::random_floats(4, static_cast<std::uint32_t>(i + 1), -3.0f, 3.0f);
    std::ranges::copy(x, interp.input<float>(0).begin());
    return std::nullopt;
  }
};

const qfence::quant::tensor_calibration& calibrated(const qfence::quant::calibration_report& r, const runtime::model& m,
                                                    int graph, std::string_view name) {
  const auto [first, end] = m.tensor_range_of(graph);
  for (const auto& t : r.tensors)
    if (static_cast<std::size_t>(t.tensor) >= first && static_cast<std::size_t>(t.tensor) < end && t.name == name)
      return t;
  FAIL("no calibrated tensor '" << name << "' in subgraph " << graph);
  return r.tensors.front();
}

}  // namespace

TEST_CASE("calibration observes every subgraph's tensors: WHILE's body at every iteration, its inputs as passed") {
  const auto m = while_twin();  // (i, x) from (0, input) while i < 3: (i + 1, x + x)
  const qfence::quant::calibration_report r = qfence::quant::calibrate(m, loop_samples{});
  float lo = 0, hi = 0;  // of every sample's x
  for (std::size_t i = 0; i < loop_samples{}.size(); ++i)
    for (const float v : qtest::random_floats(4, static_cast<std::uint32_t>(i + 1), -3.0f, 3.0f)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  // The body doubles x three times (exactly, in float): its input holds x,
  // 2x and 4x; its output 2x, 4x and 8x; the cond's input x up to 8x.
  const auto& body_in = calibrated(r, *m, 2, "x");
  const auto& body_out = calibrated(r, *m, 2, "x_next");
  const auto& cond_in = calibrated(r, *m, 1, "x");
  CHECK(body_in.seen.min == 4 * lo);
  CHECK(body_in.seen.max == 4 * hi);
  CHECK(body_out.seen.min == 8 * lo);
  CHECK(body_out.seen.max == 8 * hi);
  CHECK(body_out.values == 3 * 4 * loop_samples{}.size());  // three iterations of four values per sample
  CHECK(body_out.subgraph == 2);
  CHECK(calibrated(r, *m, 0, "y").subgraph == 0);
  CHECK(cond_in.seen.max == 8 * hi);
  CHECK(calibrated(r, *m, 0, "y").seen.max == 8 * hi);
  CHECK(calibrated(r, *m, 0, "x").seen.max == hi);
  // The warnings name a subgraph's tensor with its subgraph.
  CHECK(qfence::quant::detail::tensor_label(body_out) ==
        "tensor " + std::to_string(body_out.tensor) + " 'x_next' (subgraph 2)");
}

TEST_CASE("calibration observes the branch IF takes, and only it") {
  const auto m = if_twin();  // then x + x (subgraph 1), else x + offset (subgraph 2)
  struct then_only {
    std::size_t size() const { return 4; }
    std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
      interp.input<bool>(0)[0] = true;
      std::ranges::fill(interp.input<float>(1), static_cast<float>(i + 1));
      return std::nullopt;
    }
  };
  const qfence::quant::calibration_report r = qfence::quant::calibrate(m, then_only{});
  CHECK(calibrated(r, *m, 1, "y").seen.max == 8.0f);  // 4 + 4
  const auto& never = calibrated(r, *m, 2, "y");
  CHECK(never.values == 0);  // the else branch never ran, and calibration says so
  CHECK(std::ranges::count(r.warnings, qfence::quant::detail::tensor_label(never) +
                                           ": never computed on this data (an IF branch no sample takes?); it has "
                                           "no range") == 1);
}

// ---- int8 quantization around control flow ---------------------------------

namespace {

/// Weights on the int8 grid of their per-tensor scale (1/127: each tensor
/// holds 1.0), so that quantizing them adds no error and a test sees the
/// activations' precision.
std::vector<float> on_int8_grid(std::vector<float> w) {
  for (float& v : w) v = static_cast<float>(std::round(v * 127.0) / 127.0);
  return w;
}
const std::vector<float> w1 = on_int8_grid({0.5f, -0.25f, 0.75f, 0.125f, -0.5f, 1.0f, 0.25f, -0.75f, 0.375f, 0.625f,
                                            -1.0f, 0.5f, 0.25f, -0.125f, 0.5f, 0.875f});
const std::vector<float> w2 = on_int8_grid({-0.5f, 0.25f, 0.5f, -0.75f, 1.0f, 0.125f, -0.25f, 0.5f, 0.75f, -0.375f,
                                            0.25f, 1.0f, -0.625f, 0.5f, 0.875f, -0.25f});

/// x -> FULLY_CONNECTED -> h -> IF(cond: h + h, else h + offset) -> z ->
/// FULLY_CONNECTED -> y: layers an int8 model quantizes around an IF. With
/// `else_op` (a builtin code), the else branch is that op of (h, offset).
std::shared_ptr<const runtime::model> layers_around_if(std::int32_t else_op = -1) {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", BOOL), tfl::activation({1, 4}, "x"),
               tfl::constant({4, 4}, tfl::bytes_of(w1), "w1"), tfl::activation({1, 4}, "h"),
               tfl::activation({1, 4}, "z"), tfl::constant({4, 4}, tfl::bytes_of(w2), "w2"),
               tfl::activation({1, 4}, "y")};
  m.ops = {tfl::op(9 /*FULLY_CONNECTED*/, 1, {1, 2, -1}, {3}), if_op(0, 3, 4),
           tfl::op(9 /*FULLY_CONNECTED*/, 1, {4, 5, -1}, {6})};
  m.inputs = {0, 1};
  m.outputs = {6};
  m.subgraphs = add_branches("h", "z");
  if (else_op >= 0) m.subgraphs[1].ops[0] = tfl::op(else_op, 1, {0, 1}, {2});
  return read_spec(m);
}

/// Sample i: cond alternates, x uniform in [-2, 2].
struct if_samples {
  std::size_t count = 64;
  std::uint32_t first_seed = 1;
  std::size_t size() const { return count; }
  std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
    interp.input<bool>(0)[0] = i % 2 == 0;
    std::ranges::copy(qtest::random_floats(4, first_seed + static_cast<std::uint32_t>(i), -2.0f, 2.0f),
                      interp.input<float>(1).begin());
    return std::nullopt;
  }
};

}  // namespace

namespace {

/// The quantized model's output SQNR against the float model's (both read
/// and write float) on `samples`.
template <class Samples>
double output_sqnr(const std::shared_ptr<const runtime::model>& f, const std::shared_ptr<const runtime::model>& q,
                   const Samples& samples) {
  runtime::interpreter float_run(f), quant_run(q);
  double signal = 0, noise = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    REQUIRE(!samples.fill(i, float_run));
    REQUIRE(!samples.fill(i, quant_run));
    REQUIRE(float_run.invoke() == qf::invoke_status::completed);
    REQUIRE(quant_run.invoke() == qf::invoke_status::completed);
    const auto a = float_run.output<float>(0), b = quant_run.output<float>(0);
    for (std::size_t k = 0; k < a.size(); ++k) {
      signal += double(a[k]) * a[k];
      noise += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
    }
  }
  return 10 * std::log10(signal / noise);
}

std::vector<std::string> op_names(const runtime::model& m, int graph) {
  std::vector<std::string> names;
  for (const runtime::operation& op : m.operations_of(graph)) names.push_back(runtime::op_name(op));
  return names;
}

/// Every tensor of subgraph `graph` has dtype `type`.
bool all_of_type(const runtime::model& m, int graph, qf::dtype type) {
  const auto [first, end] = m.tensor_range_of(graph);
  for (std::size_t t = first; t < end; ++t)
    if (m.tensors[t].type != type) return false;
  return true;
}

/// Tensors a and b have one scale and zero point.
void check_same_params(const runtime::model& m, int a, int b) {
  const runtime::tensor& x = m.tensors[static_cast<std::size_t>(a)];
  const runtime::tensor& y = m.tensors[static_cast<std::size_t>(b)];
  CAPTURE(x.name);
  CAPTURE(y.name);
  CHECK(x.quant.scale() == y.quant.scale());
  CHECK(x.quant.zero_point() == y.quant.zero_point());
}

}  // namespace

TEST_CASE("int8 quantization quantizes inside IF: its branches run in int8 at the parameters IF passes") {
  const auto f = layers_around_if();
  const auto ranges = qfence::quant::calibrate(f, if_samples{});
  const qfence::quant::quantized_model q = qfence::quant::quantize_int8(*f, ranges);
  CHECK(q.fences.empty());
  qfence::quant::check_runs(q.model);
  check_operands_in_own_subgraph(q.model);
  const auto back = written(q.model);
  CHECK(op_names(*back, 0) == std::vector<std::string>{"QUANTIZE", "FULLY_CONNECTED", "IF", "FULLY_CONNECTED", "DEQUANTIZE"});
  CHECK(op_names(*back, 1) == std::vector<std::string>{"ADD"});
  CHECK(op_names(*back, 2) == std::vector<std::string>{"ADD"});
  CHECK(all_of_type(*back, 1, qf::dtype::i8));
  CHECK(all_of_type(*back, 2, qf::dtype::i8));  // the offset constant too
  // The IF copies bytes: h, both branches' input, and z, both branches'
  // outputs, each one set of parameters.
  const runtime::operation& if_ = back->operations[2];
  for (int b = 1; b <= 2; ++b) {
    check_same_params(*back, if_.inputs[1], back->inputs_of(b)[0]);
    check_same_params(*back, if_.outputs[0], back->outputs_of(b)[0]);
  }
  // z's parameters cover both branches' outputs (h + h and h + offset).
  const auto range_of = [&](int graph, std::string_view name) { return calibrated(ranges, *f, graph, name).range; };
  const float z_lo = std::min({range_of(0, "z").min, range_of(1, "z").min, range_of(2, "z").min, 0.0f});
  const float z_hi = std::max({range_of(0, "z").max, range_of(1, "z").max, range_of(2, "z").max, 0.0f});
  const runtime::tensor& z = back->tensors[static_cast<std::size_t>(if_.outputs[0])];
  CHECK(z.quant.scale() * 255 >= 0.999f * (z_hi - z_lo));
  CHECK(z.quant.scale() * 255 <= 1.01f * (z_hi - z_lo));
  const double sqnr = output_sqnr(f, back, if_samples{32, 1000});
  MESSAGE("int8 inside IF: output SQNR " << sqnr << " dB against the float model");
  CHECK(sqnr > 25.0);  // a wrong scale, a lost requantize, bytes passed at two scales fall far below
  CHECK(sqnr < 80.0);  // int8 branches, not float ones
}

TEST_CASE("int8 quantization of WHILE: a loop-carried value has one set of parameters, from every step's range") {
  const auto f = while_twin();  // (i, x) from (0, input) while i < 3: (i + 1, x + x)
  const auto ranges = qfence::quant::calibrate(f, loop_samples{});
  const qfence::quant::quantized_model q = qfence::quant::quantize_int8(*f, ranges);
  CHECK(q.fences.empty());
  qfence::quant::check_runs(q.model);
  const auto back = written(q.model);
  check_operands_in_own_subgraph(*back);
  CHECK(op_names(*back, 0) == std::vector<std::string>{"QUANTIZE", "WHILE", "DEQUANTIZE"});
  CHECK(op_names(*back, 2) == std::vector<std::string>{"ADD", "ADD"});  // i + 1 (int32) and x + x (int8)
  const runtime::operation& loop = back->operations[1];
  const int x_in = loop.inputs[1];
  CHECK(back->tensors[static_cast<std::size_t>(x_in)].type == qf::dtype::i8);
  for (const int t : {loop.outputs[1], back->inputs_of(1)[1], back->inputs_of(2)[1], back->outputs_of(2)[1]})
    check_same_params(*back, x_in, t);
  // The range covers x to 8x: the body's output after the third doubling.
  const auto& body_out = calibrated(ranges, *f, 2, "x_next");
  const float width = std::max(body_out.range.max, 0.0f) - std::min(body_out.range.min, 0.0f);
  CHECK(back->tensors[static_cast<std::size_t>(x_in)].quant.scale() * 255 >= 0.999f * width);
  // Each doubling is exact at one scale: on the calibration samples (no
  // clipping), the output is 8x the input rounded to that grid, within 8
  // half steps of the float output.
  const float step = back->tensors[static_cast<std::size_t>(x_in)].quant.scale();
  runtime::interpreter float_run(f), int8_run(back);
  for (std::size_t i = 0; i < loop_samples{}.size(); ++i) {
    REQUIRE(!loop_samples{}.fill(i, float_run));
    REQUIRE(!loop_samples{}.fill(i, int8_run));
    REQUIRE(float_run.invoke() == qf::invoke_status::completed);
    REQUIRE(int8_run.invoke() == qf::invoke_status::completed);
    for (std::size_t k = 0; k < 4; ++k) {
      CAPTURE(float_run.input<float>(0)[k]);
      CHECK(std::fabs(int8_run.output<float>(0)[k] - float_run.output<float>(0)[k]) <= 4.001f * step);
    }
  }
}

namespace {

/// A float loop model (a doubling_loop_model variant) read, calibrated on
/// loop_samples and quantized to int8, which must need no fence; the int8
/// model as written and read back.
struct quantized_loop {
  std::shared_ptr<const runtime::model> float_model, int8_model;
  qfence::quant::calibration_report ranges;
};
quantized_loop quantize_loop(const tfl::model_spec& m) {
  quantized_loop l;
  l.float_model = read_spec(m);
  l.ranges = qfence::quant::calibrate(l.float_model, loop_samples{});
  const qfence::quant::quantized_model q = qfence::quant::quantize_int8(*l.float_model, l.ranges);
  CHECK(q.fences.empty());
  l.int8_model = written(q.model);
  return l;
}

}  // namespace

TEST_CASE("a value with fixed parameters passed to WHILE is requantized to the loop's before it") {
  // x -> LOGISTIC -> s -> WHILE doubling s three times: LOGISTIC's int8
  // output is fixed at 1/256 over [0, 1), the loop carries [0, 8).
  tfl::model_spec m = tfl::doubling_loop_model([](std::string name) { return tfl::activation({1, 4}, std::move(name)); });
  m.tensors.push_back(tfl::activation({1, 4}, "x_in"));
  m.ops.insert(m.ops.begin(), tfl::op(14 /*LOGISTIC*/, 1, {4}, {1}));
  m.inputs = {4};
  const quantized_loop l = quantize_loop(m);
  const auto& f = l.float_model;
  const auto& back = l.int8_model;
  CHECK(op_names(*back, 0) == std::vector<std::string>{"QUANTIZE", "LOGISTIC", "QUANTIZE", "WHILE", "DEQUANTIZE"});
  const runtime::tensor& s_fixed = back->tensors[static_cast<std::size_t>(back->operations[1].outputs[0])];
  CHECK(s_fixed.quant.scale() == 1.0f / 256);
  const runtime::tensor& s_loop = back->tensors[static_cast<std::size_t>(back->operations[3].inputs[1])];
  CHECK(s_loop.quant.scale() * 255 >= 0.999f * 8 * calibrated(l.ranges, *f, 0, "x").range.max);
  const double sqnr = output_sqnr(f, back, loop_samples{});
  MESSAGE("LOGISTIC into an int8 WHILE: output SQNR " << sqnr << " dB");
  CHECK(sqnr > 30.0);  // ~35 dB: the loop step's rounding, doubled three times; bytes at 1/256 read at the loop's scale give ~0
}

TEST_CASE("the layer debugger compares the layers inside WHILE's body at every iteration, and IF's branches") {
  const auto f = while_twin();
  const auto ranges = qfence::quant::calibrate(f, loop_samples{});
  const auto q = written(qfence::quant::quantize_int8(*f, ranges).model);
  const qfence::quant::debug_report r = qfence::quant::debug_layers(f, q, loop_samples{});
  const auto body_add = std::ranges::find_if(r.layers, [](const auto& l) { return l.subgraph == 2 && l.name == "x_next"; });
  REQUIRE(body_add != r.layers.end());
  CHECK(body_add->op == "ADD");
  CHECK(body_add->op_index == 1);
  CHECK(body_add->values == 3 * 4 * loop_samples{}.size());  // three iterations of four values per sample
  // Each iteration's x + x against the float one's: exact doublings of the
  // input's rounding, so about the output's SQNR (comparing every
  // iteration with the last one's values would give ~0 dB).
  CHECK(std::fabs(body_add->sqnr_db - r.output.sqnr_db) < 1.0);
  CHECK(body_add->sqnr_db > 25.0);

  const auto fi = layers_around_if();
  const auto qi = written(qfence::quant::quantize_int8(*fi, qfence::quant::calibrate(fi, if_samples{})).model);
  const qfence::quant::debug_report ri = qfence::quant::debug_layers(fi, qi, if_samples{16, 1000});
  for (const int branch : {1, 2}) {
    CAPTURE(branch);
    const auto z = std::ranges::find_if(ri.layers, [&](const auto& l) { return l.subgraph == branch && l.name == "z"; });
    REQUIRE(z != ri.layers.end());
    CHECK(z->values == 8 * 4);  // the branch runs on every other sample
    CHECK(z->sqnr_db > 20.0);
  }
}

TEST_CASE("a constant WHILE carries is quantized with the loop's parameters") {
  // c (a constant) doubled three times by WHILE, plus the input: c is
  // passed to the loop, so it is stored at the loop's scale, which covers
  // c and 8c, with no QUANTIZE of a constant.
  tfl::model_spec m = tfl::doubling_loop_model([](std::string name) { return tfl::activation({1, 4}, std::move(name)); });
  m.tensors[1] = tfl::constant({1, 4}, tfl::bytes_of(std::vector<float>(offset.begin(), offset.end())), "c");
  m.tensors.push_back(tfl::activation({1, 4}, "x_in"));  // 4
  m.tensors.push_back(tfl::activation({1, 4}, "out"));   // 5
  m.ops.push_back(tfl::add_of(3, 4, 5));
  m.inputs = {4};
  m.outputs = {5};
  const quantized_loop l = quantize_loop(m);
  const auto& f = l.float_model;
  const auto& back = l.int8_model;
  CHECK(op_names(*back, 0) == std::vector<std::string>{"QUANTIZE", "WHILE", "ADD", "DEQUANTIZE"});
  const runtime::tensor& c = back->tensors[static_cast<std::size_t>(back->operations[1].inputs[1])];
  CHECK(c.constant);
  CHECK(c.type == qf::dtype::i8);
  check_same_params(*back, back->operations[1].inputs[1], back->inputs_of(2)[1]);
  CHECK(c.quant.scale() * 255 >= 0.999f * (8 * 2.0f + 8 * 1.0f));  // [8 x -1, 8 x 2]: offset's extremes, doubled thrice
  const double sqnr = output_sqnr(f, back, loop_samples{});
  MESSAGE("a constant carried by an int8 WHILE: output SQNR " << sqnr << " dB");
  CHECK(sqnr > 30.0);
}

TEST_CASE("debug --suggest weighs WHILE's body layers too, naming them by the tensor they write") {
  // A WHILE whose body is x_next = FULLY_CONNECTED(x, W / 2), three times:
  // the layer is in subgraph 2, where "#k" selectors do not reach.
  tfl::model_spec m = tfl::doubling_loop_model([](std::string name) { return tfl::activation({1, 4}, std::move(name)); });
  std::vector<float> half_w1 = w1;
  for (float& v : half_w1) v /= 2;
  m.subgraphs[1].tensors.push_back(tfl::constant({4, 4}, tfl::bytes_of(half_w1), "w"));  // 5
  m.subgraphs[1].ops[1] = tfl::op(9 /*FULLY_CONNECTED*/, 1, {1, 5, -1}, {4});
  const auto f = read_spec(m);
  const auto ranges = qfence::quant::calibrate(f, loop_samples{});
  // The body's layer is a candidate, named by its output.
  const auto int8 = written(qfence::quant::quantize_int8(*f, ranges).model);
  const auto drops = qfence::quant::detail::layer_drops(*f, qfence::quant::debug_layers(f, int8, loop_samples{}));
  const auto body_fc = std::ranges::find_if(drops, [](const auto& d) { return d.second->subgraph == 2; });
  REQUIRE(body_fc != drops.end());
  CHECK(runtime::op_name(*body_fc->second) == "FULLY_CONNECTED");
  CHECK(qfence::quant::detail::selector_of(*f, *body_fc->second) == "x_next");
  // That name keeps it in int16 inside the body.
  qfence::quant::quantize_options by_name;
  by_name.int16 = {"x_next"};
  const auto mixed = written(qfence::quant::quantize_int8(*f, ranges, by_name).model);
  CHECK(op_names(*mixed, 2) == std::vector<std::string>{"QUANTIZE", "ADD", "FULLY_CONNECTED", "QUANTIZE"});
  // And a suggestion's arguments make the model it measured.
  const qfence::quant::fence_suggestion s = qfence::quant::suggest_fences(f, ranges, loop_samples{}, 60.0);
  REQUIRE(!s.steps.empty());
  // Each step names the float tensor its operator writes (the debugger's
  // table shows that name; its operator numbers are the quantized model's).
  for (const auto& step : s.steps) {
    const auto& ops = f->operations_of(step.subgraph);
    CHECK(step.tensor == f->tensors[static_cast<std::size_t>(ops[static_cast<std::size_t>(step.op_index)].outputs[0])].name);
  }
  qfence::quant::quantize_options o;
  for (const auto& [flag, selector] : s.quantize_args()) (flag == "--int16" ? o.int16 : o.fence).push_back(selector);
  const auto q = written(qfence::quant::quantize_int8(*f, ranges, o).model);
  CHECK(output_sqnr(f, q, loop_samples{}) == s.steps.back().output_sqnr_db);
}

TEST_CASE("int16x8 quantizes inside IF too: int16 branches at the parameters IF passes") {
  const auto f = layers_around_if();
  qfence::quant::quantize_options options;
  options.activations = qf::dtype::i16;
  const qfence::quant::quantized_model q =
      qfence::quant::quantize_full_integer(*f, qfence::quant::calibrate(f, if_samples{}), options);
  CHECK(q.fences.empty());
  qfence::quant::check_runs(q.model);
  const auto back = written(q.model);
  CHECK(all_of_type(*back, 1, qf::dtype::i16));
  CHECK(all_of_type(*back, 2, qf::dtype::i16));
  // On the calibration samples (nothing clipped; fresh ones leave the
  // calibrated ranges a little, which costs int8 and int16 alike).
  const double sqnr = output_sqnr(f, back, if_samples{});
  MESSAGE("int16x8 inside IF: output SQNR " << sqnr << " dB against the float model on its calibration samples");
  CHECK(sqnr > 60.0);  // int16 activations and weights on their grid
}

TEST_CASE("an op without an int8 kernel inside IF's branch is fenced there, by subgraph and operator") {
  const auto f = layers_around_if(42 /*DIV*/);  // else: z = h / offset
  const auto ranges = qfence::quant::calibrate(f, if_samples{});
  const qfence::quant::quantized_model q = qfence::quant::quantize_int8(*f, ranges);
  REQUIRE(q.fences.size() == 1);
  CHECK(q.fences[0].text().starts_with("fence: subgraph 2, operator 0 (DIV) stays float: "));
  qfence::quant::check_runs(q.model);
  const auto back = written(q.model);
  check_operands_in_own_subgraph(*back);
  CHECK(op_names(*back, 2) == std::vector<std::string>{"DEQUANTIZE", "DIV", "QUANTIZE"});
  CHECK(op_names(*back, 1) == std::vector<std::string>{"ADD"});
  const double sqnr = output_sqnr(f, back, if_samples{32, 1000});
  MESSAGE("int8 IF with a float island in a branch: output SQNR " << sqnr << " dB");
  CHECK(sqnr > 20.0);
  qfence::quant::quantize_options options;
  options.forbid_fences = true;
  CHECK_THROWS_WITH_AS(qfence::quant::plan_fences(*f, options),
                       doctest::Contains("subgraph 2, operator 0 (DIV) would be fenced (kept in float)"),
                       runtime::model_error);
}

TEST_CASE("a branch no calibration sample takes has no ranges: its ops are fenced, and say why") {
  struct then_only : if_samples {
    std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
      if (auto e = if_samples::fill(i, interp)) return e;
      interp.input<bool>(0)[0] = true;
      return std::nullopt;
    }
  };
  const auto f = layers_around_if();
  const qfence::quant::quantized_model q = qfence::quant::quantize_int8(*f, qfence::quant::calibrate(f, then_only{}));
  REQUIRE(q.fences.size() == 1);
  CHECK(q.fences[0].text().starts_with("fence: subgraph 2, operator 0 (ADD) stays float: tensor "));
  CHECK(q.fences[0].why.ends_with("was never computed on the calibration data (a branch no sample takes?), so it has no "
                                  "range"));
  const auto back = written(q.model);
  CHECK(op_names(*back, 1) == std::vector<std::string>{"ADD"});
  CHECK(op_names(*back, 2) == std::vector<std::string>{"DEQUANTIZE", "ADD", "QUANTIZE"});
  // The else branch still runs, in float between the parameters IF passes.
  CHECK(output_sqnr(f, back, if_samples{32, 1000}) > 20.0);
}

namespace {
// ---- the compile-time quantizer (quant/calibrate_graph.hpp, quant/quantize_graph.hpp) ----

// RELU -> if_ -> RELU. Rows of its ranges table (quant/node_tree.hpp):
// 0-5 its nodes, 6-7 the then-branch's (x, x + x), 8-10 the else-branch's
// (x, offset, x + offset).
constexpr auto relu_if_relu =
    qf::graph(qf::input<Cond>(), qf::input<X>(), qf::relu(qf::ref<1>),
              qf::if_(qf::ref<0>, then_branch, else_branch, qf::ref<2>),
              qf::control_flow_output<decltype(then_branch), 0>(qf::ref<3>), qf::relu(qf::ref<4>));
inline constexpr std::array<qf::quant::real_range, 11> relu_if_relu_ranges{
    {{0, 0}, {-3, 3}, {0, 3}, {0, 0}, {-2, 5.5f}, {0, 5.5f}, {-1, 2}, {-2, 4}, {-0.5f, 3}, {-1, 2}, {-1.5f, 5}}};
constexpr auto int8_relu_if_relu = qf::quantize<relu_if_relu, relu_if_relu_ranges>();
// Row -> the twin's tensor (graph, name): relu_if_relu_twin.
const std::vector<std::tuple<std::size_t, int, std::string>> relu_if_relu_rows{
    {1, 0, "x"}, {2, 0, "r"}, {4, 0, "z"}, {5, 0, "y"}, {6, 1, "r"}, {7, 1, "z"}, {8, 2, "r"}, {10, 2, "z"}};

std::shared_ptr<const runtime::model> relu_if_relu_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", BOOL), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "r"),
               tfl::activation({1, 4}, "z"), tfl::activation({1, 4}, "y")};
  m.ops = {tfl::op(19 /*RELU*/, 1, {1}, {2}), if_op(0, 2, 3), tfl::op(19 /*RELU*/, 1, {3}, {4})};
  m.inputs = {0, 1};
  m.outputs = {4};
  m.subgraphs = add_branches("r", "z");
  return read_spec(m);
}

// while_model's rows: 0-3 its nodes, 4-7 the cond's (i, x, 3, i < 3), 8-12
// the body's (i, x, 1, i + 1, x + x).
const std::vector<std::tuple<std::size_t, int, std::string>> while_model_rows{
    {0, 0, "x"}, {3, 0, "y"}, {5, 1, "x"}, {9, 2, "x"}, {12, 2, "x_next"}};
inline constexpr std::array<qf::quant::real_range, 13> while_ranges{
    {{-3, 3}, {0, 0}, {0, 0}, {-24, 24}, {0, 0}, {-24, 24}, {0, 0}, {0, 0}, {0, 0}, {-12, 12}, {0, 0}, {0, 0}, {-24, 24}}};
constexpr auto int8_while_model = qf::quantize<while_model, while_ranges>();

/// The twin tensor of each (row, graph, name), by index in the file.
int twin_tensor(const runtime::model& m, int graph, const std::string& name) {
  const auto [first, end] = m.tensor_range_of(graph);
  for (std::size_t t = first; t < end; ++t)
    if (m.tensors[t].name == name) return static_cast<int>(t);
  FAIL("no tensor " << name << " in subgraph " << graph);
  return -1;
}

/// `qfence quantize`'s int8 model of `twin` (integer inputs and outputs, no
/// bias correction) from the rows of `ranges` that `rows` maps to its tensors.
/// With `means` (a row's channel means), bias correction as
/// qfence::correct_biases applies it. Its fences go to `fences`; without
/// it, there must be none.
template <std::size_t N>
runtime::model quantized_twin(const std::shared_ptr<const runtime::model>& twin, const std::array<qf::quant::real_range, N>& ranges,
                              const std::vector<std::tuple<std::size_t, int, std::string>>& rows,
                              const std::type_identity_t<std::array<std::span<const double>, N>>* means = nullptr,
                              std::vector<qfence::quant::fence_line>* fences = nullptr) {
  qfence::quant::calibration_report report;
  report.calibrator = "minmax";
  report.samples = 1;  // a row qf::quant::not_observed was never computed, as calibration reports it
  for (const auto& [row, graph, name] : rows) {
    qfence::quant::tensor_calibration t;
    t.tensor = twin_tensor(*twin, graph, name);
    t.range = ranges[row];
    t.values = qf::quant::observed(ranges[row]) ? 1 : 0;
    if (means != nullptr) t.channel_means.assign((*means)[row].begin(), (*means)[row].end());
    report.tensors.push_back(t);
  }
  qfence::quant::quantize_options options;
  options.inputs = options.outputs = qfence::quant::io_type::integer;
  options.bias_correction = means != nullptr;
  qfence::quant::quantized_model q = qfence::quant::quantize_int8(*twin, report, options);
  if (fences != nullptr) *fences = q.fences;
  else CHECK(q.fences.empty());
  return std::move(q.model);
}

/// Runs the typed int8 model and the interpreter's on both branches: the same bytes.
template <class Model>
void check_same_if_bytes(const Model& typed, runtime::interpreter& interp) {
  auto arena = qtest::heap_arena<std::remove_cvref_t<Model>>();
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(4, seed, -128, 127);
    arena->template input<0>()[0] = interp.input<bool>(0)[0] = seed % 2 == 0;
    std::ranges::copy(x, arena->template input<1>().begin());
    std::ranges::copy(x, interp.input<std::int8_t>(1).begin());
    REQUIRE(typed.invoke(*arena) == qf::invoke_status::completed);
    REQUIRE(interp.invoke() == qf::invoke_status::completed);
    CHECK(std::ranges::equal(arena->template output<0>(), interp.output<std::int8_t>(0)));
  }
}

/// Samples of relu_if_relu's inputs (cond alternates, x in [-2, 2]), for
/// the typed model's arena and the twin's interpreter alike.
void fill_if_sample(std::size_t i, std::span<bool, 1> cond, std::span<float, 4> x) {
  cond[0] = i % 2 == 0;
  std::ranges::copy(qtest::random_floats(4, static_cast<std::uint32_t>(i + 1), -2.0f, 2.0f), x.begin());
}
}  // namespace

TEST_CASE("calibrate_graph observes the models if_ and while_ run, as calibrate observes their subgraphs") {
  // while_: the cond and the body at every iteration.
  const auto typed_loop = qf::quant::calibrate_graph(while_model, loop_samples{}.size(), [](std::size_t i, auto& a) {
    std::ranges::copy(qtest::random_floats(4, static_cast<std::uint32_t>(i + 1), -3.0f, 3.0f), a.template input<0>().begin());
    return std::optional<std::string>{};
  });
  const auto twin_loop = while_twin();
  const auto loop_report = qfence::quant::calibrate(twin_loop, loop_samples{});
  // if_: the branch each sample takes, and only it.
  const auto typed_if = qf::quant::calibrate_graph(relu_if_relu, 16, [](std::size_t i, auto& a) {
    fill_if_sample(i, a.template input<0>(), a.template input<1>());
    return std::optional<std::string>{};
  });
  struct twin_if_samples {
    std::size_t size() const { return 16; }
    std::optional<std::string> fill(std::size_t i, runtime::interpreter& interp) const {
      fill_if_sample(i, std::span<bool, 1>(interp.input<bool>(0).data(), 1), std::span<float, 4>(interp.input<float>(1).data(), 4));
      return std::nullopt;
    }
  };
  const auto twin_if = relu_if_relu_twin();
  const auto if_report = qfence::quant::calibrate(twin_if, twin_if_samples{});
  for (const qf::quant::calibrator method : qf::quant::all_calibrators) {
    CAPTURE(qf::quant::calibrator_name(method));
    const auto same = [&](const auto& typed, const qfence::quant::calibration_report& report, const runtime::model& twin,
                          const std::vector<std::tuple<std::size_t, int, std::string>>& rows) {
      const auto r = typed.ranges(method);
      const qfence::quant::calibration_report by = report.with_calibrator(method);
      for (const auto& row : rows) {
        const std::string& name = std::get<2>(row);
        const int graph = std::get<1>(row);
        CAPTURE(name);
        CAPTURE(graph);
        const qfence::quant::tensor_calibration* t = by.find(twin_tensor(twin, graph, name));
        REQUIRE(t != nullptr);
        CHECK(r[std::get<0>(row)] == t->range);
      }
    };
    same(typed_loop, loop_report, *twin_loop, while_model_rows);
    same(typed_if, if_report, *twin_if, relu_if_relu_rows);
  }
  // The body's x + x saw x, 2x and 4x doubled: up to 8 times the input.
  CHECK(typed_loop.ranges()[12].max == typed_loop.ranges()[0].max * 8);
  // A branch no sample takes: its rows are not_observed, and the header says so.
  const auto then_only = qf::quant::calibrate_graph(relu_if_relu, 4, [](std::size_t i, auto& a) {
    fill_if_sample(2 * i, a.template input<0>(), a.template input<1>());
    return std::optional<std::string>{};
  });
  CHECK(!qf::quant::observed(then_only.ranges()[10]));
  CHECK(qf::quant::observed(then_only.ranges()[7]));
  const std::string header = qf::quant::calibration_header(then_only, "then_only");
  CHECK(header.find("inline constexpr std::array<qfence::quant::real_range, 11> ranges{{") != std::string::npos);
  CHECK(header.find("    qfence::quant::not_observed,  // node 2 of node 3's else-branch\n") != std::string::npos);
  CHECK(header.find("  // node 1 of node 3's then-branch\n") != std::string::npos);
  const std::string loop_header = qf::quant::ranges_header(typed_loop, "loop");
  CHECK(loop_header.find("inline constexpr std::array<qfence::quant::real_range, 13> ranges{{") != std::string::npos);
  CHECK(loop_header.find("},  // node 4 of node 2's body\n") != std::string::npos);
  CHECK(loop_header.find("channel_means") == std::string::npos);
}

TEST_CASE("qfence::quantize quantizes inside if_: its branches int8 at the parameters it passes, qfence quantize's bytes") {
  using Q = decltype(int8_relu_if_relu);
  CHECK(qf::quantize_fences<relu_if_relu, relu_if_relu_ranges>().empty());
  // One set of parameters per value passed: the RELU's output, both
  // branches' inputs (the union of their ranges, [-1, 3]); both branches'
  // outputs and the value taken out ([-2, 5.5]).
  using passed_in = Q::node_output_type<2>::quant;
  const qf::quant::affine_params in = qf::quant::asymmetric_params({-1, 3}, -128, 127);
  CHECK(passed_in::scale == in.scale);
  CHECK(passed_in::zero_point == in.zero_point);
  using Then = Q::node_t<3>::then_model;
  using Else = Q::node_t<3>::else_model;
  static_assert(std::is_same_v<Then::input_type<0>, Q::node_output_type<2>>);
  static_assert(std::is_same_v<Else::input_type<0>, Q::node_output_type<2>>);
  static_assert(std::is_same_v<Then::output_type<0>, Q::node_output_type<4>>);
  static_assert(std::is_same_v<Else::output_type<0>, Q::node_output_type<4>>);
  const qf::quant::affine_params out = qf::quant::asymmetric_params({-2, 5.5f}, -128, 127);
  CHECK(Q::node_output_type<4>::quant::scale == out.scale);
  // The runtime path with the same ranges: the same bytes, both branches.
  runtime::interpreter interp(quantized_twin(relu_if_relu_twin(), relu_if_relu_ranges, relu_if_relu_rows));
  check_same_if_bytes(int8_relu_if_relu, interp);
  // And against the float model, to the int8 grid's rounding: the input's
  // half step (doubled by x + x), the RELU's, the passed value's and the output's.
  auto float_arena = qtest::heap_arena<std::remove_cvref_t<decltype(relu_if_relu)>>();
  auto arena = qtest::heap_arena<Q>();
  using in_q = Q::input_type<1>::quant;
  using out_q = Q::output_type<0>::quant;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(4, seed, -128, 127);
    arena->input<0>()[0] = float_arena->input<0>()[0] = seed % 2 == 0;
    std::ranges::copy(x, arena->input<1>().begin());
    for (std::size_t i = 0; i < 4; ++i)
      float_arena->input<1>()[i] = in_q::scale * static_cast<float>(x[i] - in_q::zero_point);
    REQUIRE(int8_relu_if_relu.invoke(*arena) == qf::invoke_status::completed);
    REQUIRE(relu_if_relu.invoke(*float_arena) == qf::invoke_status::completed);
    for (std::size_t i = 0; i < 4; ++i) {
      const float got = out_q::scale * static_cast<float>(arena->output<0>()[i] - out_q::zero_point);
      CHECK(std::abs(got - float_arena->output<0>()[i]) <= 2.5f * out_q::scale);
    }
  }
}

TEST_CASE("qfence::quantize of while_: a loop-carried value has one set of parameters, qfence quantize's bytes") {
  using Q = decltype(int8_while_model);
  CHECK(qf::quantize_fences<while_model, while_ranges>().empty());
  using Cond_ = Q::node_t<2>::cond_model;
  using Body = Q::node_t<2>::body_model;
  static_assert(std::is_same_v<Q::node_output_type<0>, Body::input_type<1>>);
  static_assert(std::is_same_v<Body::output_type<1>, Body::input_type<1>>);
  static_assert(std::is_same_v<Cond_::input_type<1>, Body::input_type<1>>);
  static_assert(Body::input_type<0>::type == qf::dtype::i32);  // the counter stays an integer
  CHECK(Q::input_type<0>::quant::scale == qf::quant::asymmetric_params({-24, 24}, -128, 127).scale);
  runtime::interpreter interp(quantized_twin(while_twin(), while_ranges, while_model_rows));
  auto arena = qtest::heap_arena<Q>();
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(4, seed, -12, 12);
    std::ranges::copy(x, arena->input<0>().begin());
    std::ranges::copy(x, interp.input<std::int8_t>(0).begin());
    REQUIRE(int8_while_model.invoke(*arena) == qf::invoke_status::completed);
    REQUIRE(interp.invoke() == qf::invoke_status::completed);
    CHECK(std::ranges::equal(arena->output<0>(), interp.output<std::int8_t>(0)));
    // Three doublings at one scale, none clipping: 8 (x - zero point), to a step.
    constexpr int zp = Q::input_type<0>::quant::zero_point;
    for (std::size_t i = 0; i < 4; ++i) CHECK(std::abs(arena->output<0>()[i] - (8 * (x[i] - zp) + zp)) <= 1);
  }
}

namespace {
// LOGISTIC -> while_: LOGISTIC's int8 output is fixed at 1/256, the loop
// carries [-24, 24]; `qfence quantize` requantizes between them, the
// compile-time quantizer keeps the loop float.
constexpr auto logistic_loop = qf::graph(qf::input<X>(), qf::literal(qf::make_constant<I>(zero)), qf::logistic(qf::ref<0>),
                                         qf::while_(loop_cond, loop_body, qf::ref<1>, qf::ref<2>),
                                         qf::control_flow_output<decltype(loop_body), 1>(qf::ref<3>));
inline constexpr std::array<qf::quant::real_range, 14> logistic_loop_ranges{
    {{-3, 3}, {0, 0}, {0, 1}, {0, 0}, {0, 8}, {0, 0}, {0, 8}, {0, 0}, {0, 0}, {0, 0}, {0, 4}, {0, 0}, {0, 0}, {0, 8}}};
constexpr auto int8_logistic_loop = qf::quantize<logistic_loop, logistic_loop_ranges>();
// relu_if_relu with an else-branch no sample took.
inline constexpr std::array<qf::quant::real_range, 11> then_only_ranges{
    {{0, 0}, {-3, 3}, {0, 3}, {0, 0}, {-2, 6}, {0, 6}, {0, 3}, {0, 6}, qf::quant::not_observed, qf::quant::not_observed,
     qf::quant::not_observed}};
constexpr auto int8_then_only = qf::quantize<relu_if_relu, then_only_ranges>();
// An if_ no sample reached (a table made by hand: in a real one, only an
// if_ in a branch no sample took): the values it gives have no ranges,
// and neither has the RELU after it.
inline constexpr std::array<qf::quant::real_range, 11> never_ranges{
    {{0, 0}, {-3, 3}, {0, 3}, {0, 0}, qf::quant::not_observed, qf::quant::not_observed, qf::quant::not_observed,
     qf::quant::not_observed, qf::quant::not_observed, qf::quant::not_observed, qf::quant::not_observed}};
constexpr auto int8_never = qf::quantize<relu_if_relu, never_ranges>();
}  // namespace

TEST_CASE("qfence::quantize keeps an if_ or while_ float where it cannot quantize it, and says why in one line") {
  namespace qg = qf::detail::quantize_graph;
  const auto loop_fences = qf::quantize_fences<logistic_loop, logistic_loop_ranges>();
  REQUIRE(loop_fences.size() == 1);  // the values' unpacking (control_flow_output) is part of the loop's line
  CHECK(loop_fences[0].text() ==
        "fence: node 3 (WHILE) stays float: control flow: a value it passes is produced at other parameters than "
        "those it is passed at (a fixed output, an input's); qfence quantize requantizes it there, qfence::quantize "
        "keeps the models it runs float; DEQUANTIZE before it, QUANTIZE after");
  using L = decltype(int8_logistic_loop);
  static_assert(qg::is_fence<L::node_t<3>> && qg::is_fence<L::node_t<4>>);
  static_assert(L::node_output_type<2>::type == qf::dtype::i8);
  auto arena = qtest::heap_arena<L>();
  std::ranges::copy(qtest::random_ints<std::int8_t>(4, 3, -128, 127), arena->input<0>().begin());
  REQUIRE(int8_logistic_loop.invoke(*arena) == qf::invoke_status::completed);

  // (Hand-made ranges: in a model no sample reached the if_ passes values
  // that have none.)
  const auto if_fences = qf::quantize_fences<relu_if_relu, never_ranges>();
  REQUIRE(if_fences.size() == 2);
  CHECK(if_fences[0].text() ==
        "fence: node 3 (IF) stays float: control flow: a value it passes was never computed on the calibration data "
        "(no sample reached it), so it has no range; the models it runs stay float; DEQUANTIZE before it, QUANTIZE "
        "after");
  CHECK(if_fences[1].text().starts_with("fence: node 5 (RELU) stays float: its output was never computed"));
  // Float from the if_ on: no parameters to quantize at (none are made up).
  using T = decltype(int8_never);
  static_assert(qg::is_fence<T::node_t<3>> && qg::is_fence<T::node_t<5>>);
  static_assert(std::is_same_v<T::node_t<4>::out_spec, qf::no_fence_output> && T::output_type<0>::type == qf::dtype::f32);
  auto never_arena = qtest::heap_arena<T>();
  never_arena->input<0>()[0] = false;
  std::ranges::copy(qtest::random_ints<std::int8_t>(4, 5, -128, 127), never_arena->input<1>().begin());
  REQUIRE(int8_never.invoke(*never_arena) == qf::invoke_status::completed);
}

TEST_CASE("qfence::quantize fences the nodes of a branch no sample took, as qfence quantize does: the same bytes") {
  // The if_ is quantized; the else-branch's ADD, which no sample ran, stays
  // float between the parameters the if_ passes (its input's, [-1, 3]
  // from the then-branch's x, and its output's, the then-branch's [-2, 6]).
  namespace qg = qf::detail::quantize_graph;
  const auto fences = qf::quantize_fences<relu_if_relu, then_only_ranges>();
  REQUIRE(fences.size() == 1);
  CHECK(fences[0].text() ==
        "fence: node 2 (ADD) of node 3's else-branch stays float: its output was never computed on the calibration "
        "data (a branch no sample takes?), so it has no range; DEQUANTIZE before it, QUANTIZE after");
  using T = decltype(int8_then_only);
  static_assert(!qg::is_fence<T::node_t<3>>);
  using Else = T::node_t<3>::else_model;
  static_assert(qg::is_fence<Else::node_t<2>> && !qg::is_fence<T::node_t<3>::then_model::node_t<1>>);
  static_assert(std::is_same_v<Else::output_type<0>, T::node_output_type<4>>);
  // `qfence quantize` with the same ranges fences the same op, and both
  // give the same bytes on both branches (the else-branch's in float).
  std::vector<qfence::quant::fence_line> runtime_fences;
  runtime::interpreter interp(
      quantized_twin(relu_if_relu_twin(), then_only_ranges, relu_if_relu_rows, nullptr, &runtime_fences));
  REQUIRE(runtime_fences.size() == 1);
  CHECK(runtime_fences[0].text().starts_with("fence: subgraph 2, operator 0 (ADD) stays float: "));
  check_same_if_bytes(int8_then_only, interp);
}

TEST_CASE("debug_graph compares the nodes inside if_ and while_, run by run, as qfence debug compares subgraphs") {
  // while_: the body's x + x at each of its three iterations, per sample.
  const auto loop_layers = qf::quant::debug_graph(while_model, int8_while_model, 6, [](std::size_t i, auto& a) {
    std::ranges::copy(qtest::random_floats(4, static_cast<std::uint32_t>(i + 1), -3.0f, 3.0f), a.template input<0>().begin());
    return false;
  });
  const auto find = [](const std::vector<qf::quant::layer_error>& layers, const std::string& name) {
    const auto it = std::ranges::find(layers, name, &qf::quant::layer_error::name);
    REQUIRE(it != layers.end());
    return *it;
  };
  const qf::quant::layer_error doubled = find(loop_layers, "node 4 of node 2's body");
  CHECK(doubled.values == 6 * 3 * 4);
  CHECK(doubled.op == "add");
  CHECK(doubled.op_index == 4);
  CHECK(doubled.subgraph == 2);  // the cond is model 1, the body model 2
  CHECK(doubled.type == qf::dtype::i8);
  MESSAGE("debug_graph, while_ body's x + x: " << doubled.sqnr_db << " dB over " << doubled.values << " values");
  CHECK(doubled.sqnr_db > 25.0);  // each step's rounding at the loop's scale
  CHECK(doubled.sqnr_db < 60.0);
  // The counter (int32) and the cond's comparison are not real-valued.
  CHECK(std::ranges::none_of(loop_layers, [](const auto& l) { return l.name == "node 3 of node 2's body"; }));
  // if_: each branch where both models took it; the layers after it too.
  const auto if_layers = qf::quant::debug_graph(relu_if_relu, int8_relu_if_relu, 8, [](std::size_t i, auto& a) {
    fill_if_sample(i, a.template input<0>(), a.template input<1>());
    return false;
  });
  const qf::quant::layer_error then_sum = find(if_layers, "node 1 of node 3's then-branch");
  const qf::quant::layer_error else_sum = find(if_layers, "node 2 of node 3's else-branch");
  CHECK(then_sum.values == 4 * 4);
  CHECK(else_sum.values == 4 * 4);
  MESSAGE("debug_graph, if_ branches: then " << then_sum.sqnr_db << " dB, else " << else_sum.sqnr_db << " dB");
  CHECK(then_sum.sqnr_db > 20.0);
  CHECK(else_sum.sqnr_db > 20.0);
  CHECK(find(if_layers, "node 4").values == 8 * 4);  // control_flow_output, every sample
  // A while_ kept float (a fence) is compared at its borders only.
  const auto fenced = qf::quant::debug_graph(logistic_loop, int8_logistic_loop, 2, [](std::size_t i, auto& a) {
    std::ranges::copy(qtest::random_floats(4, static_cast<std::uint32_t>(i + 1), -3.0f, 3.0f), a.template input<0>().begin());
    return false;
  });
  CHECK(std::ranges::none_of(fenced, [](const auto& l) { return l.subgraph > 0; }));
}


namespace {
// A custom op with only a float function inside an if_'s branch: fenced
// there, named by the branch, the if_ itself int8.
struct halve {
  QFENCE_CUSTOM_OP(halve)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (std::int64_t i = 0; i < In::elements; ++i) out[i] = in[i] * 0.5f;
  }
};
constexpr auto halving_branch = qf::graph(qf::input<X>(), qf::custom<halve>(qf::ref<0>), qf::add(qf::ref<0>, qf::ref<1>));
constexpr auto custom_in_branch =
    qf::graph(qf::input<Cond>(), qf::input<X>(), qf::if_(qf::ref<0>, halving_branch, then_branch, qf::ref<1>),
              qf::control_flow_output<decltype(halving_branch), 0>(qf::ref<2>));
inline constexpr std::array<qf::quant::real_range, 9> custom_in_branch_ranges{
    {{0, 0}, {-2, 2}, {0, 0}, {-4, 4}, {-2, 2}, {-1, 1}, {-3, 3}, {-2, 2}, {-4, 4}}};
constexpr auto int8_custom_in_branch = qf::quantize<custom_in_branch, custom_in_branch_ranges>();
}  // namespace

namespace {
// A FULLY_CONNECTED inside the then-branch: its weights and bias quantized
// there (at the parameters the if_ passes its input at), and bias
// correction from the branch's rows of the channel means.
inline constexpr std::array<float, 16> branch_fc_weights{0.31f, -0.27f, 0.55f, 0.12f, -0.48f, 0.9f,  0.23f, -0.71f,
                                                  0.36f, 0.64f,  -1.0f, 0.47f, 0.25f,  -0.13f, 0.52f, 0.83f};
inline constexpr std::array<float, 4> branch_fc_bias{0.1f, -0.2f, 0.05f, 0.3f};
constexpr auto fc_branch = qf::graph(qf::input<X>(), qf::fully_connected(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<4, 4>>>(branch_fc_weights),
                                                                          qf::make_constant<qf::tensor<qf::f32, qf::shape<4>>>(branch_fc_bias)));
constexpr auto relu_branch = qf::graph(qf::input<X>(), qf::relu(qf::ref<0>));
constexpr auto fc_if = qf::graph(qf::input<Cond>(), qf::input<X>(), qf::if_(qf::ref<0>, fc_branch, relu_branch, qf::ref<1>),
                                 qf::control_flow_output<decltype(fc_branch), 0>(qf::ref<2>));
// Rows: 0-3 fc_if's nodes, 4-5 the then-branch's (x, FC), 6-7 the else-branch's (x, RELU).
inline constexpr std::array<qf::quant::real_range, 8> fc_if_ranges{{{0, 0}, {-2, 2}, {0, 0}, {-3, 3}, {-2, 2}, {-3, 3}, {-1, 2}, {0, 2}}};
inline constexpr std::array<double, 4> fc_input_means{0.4, -0.35, 0.2, 0.55};
inline constexpr std::array<double, 4> x_means{0.1, 0.1, 0.1, 0.1};
inline constexpr std::array<std::span<const double>, 8> fc_if_means{{{}, x_means, {}, {}, fc_input_means, {}, x_means, {}}};
constexpr auto int8_fc_if = qf::quantize<fc_if, fc_if_ranges>();
constexpr auto corrected_fc_if = qf::quantize<fc_if, fc_if_ranges>(qf::correct_biases<fc_if_means>);
const std::vector<std::tuple<std::size_t, int, std::string>> fc_if_rows{
    {1, 0, "x"}, {3, 0, "z"}, {4, 1, "x"}, {5, 1, "z"}, {6, 2, "x"}, {7, 2, "z"}};

std::shared_ptr<const runtime::model> fc_if_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", BOOL), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "z")};
  m.ops = {if_op(0, 1, 2)};
  m.inputs = {0, 1};
  m.outputs = {2};
  tfl::model_spec then_g;
  then_g.tensors = {tfl::activation({1, 4}, "x"),
                    tfl::constant({4, 4}, tfl::bytes_of(std::vector<float>(branch_fc_weights.begin(), branch_fc_weights.end())), "w"),
                    tfl::constant({4}, tfl::bytes_of(std::vector<float>(branch_fc_bias.begin(), branch_fc_bias.end())), "b"),
                    tfl::activation({1, 4}, "z")};
  then_g.ops = {tfl::op(9 /*FULLY_CONNECTED*/, 1, {0, 1, 2}, {3})};
  then_g.inputs = {0};
  then_g.outputs = {3};
  tfl::model_spec else_g;
  else_g.tensors = {tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "z")};
  else_g.ops = {tfl::op(19 /*RELU*/, 1, {0}, {1})};
  else_g.inputs = {0};
  else_g.outputs = {1};
  m.subgraphs = {then_g, else_g};
  return read_spec(m);
}

}  // namespace

TEST_CASE("qfence::quantize quantizes a layer inside an if_'s branch, with bias correction from its rows") {
  runtime::interpreter plain(quantized_twin(fc_if_twin(), fc_if_ranges, fc_if_rows));
  check_same_if_bytes(int8_fc_if, plain);
  runtime::interpreter corrected(quantized_twin(fc_if_twin(), fc_if_ranges, fc_if_rows, &fc_if_means));
  check_same_if_bytes(corrected_fc_if, corrected);
  // The correction changed the branch's bias (the weights are off the
  // int8 grid, and its input's means are not zero).
  const auto& plain_fc = int8_fc_if.node<2>().then_branch.node<1>();
  const auto& corrected_fc = corrected_fc_if.node<2>().then_branch.node<1>();
  CHECK(std::ranges::equal(std::span(plain_fc.weights_data.data, 16), std::span(corrected_fc.weights_data.data, 16)));
  CHECK(!std::ranges::equal(std::span(plain_fc.bias_data.data, 4), std::span(corrected_fc.bias_data.data, 4)));
}

namespace {
// The accumulator's rows: 0 x, 1 the variable, 2 CALL_ONCE, 3 its value
// read, 4 the sum, 5 the assignment.
inline constexpr std::array<qf::quant::real_range, 6> accumulator_ranges{
    {{-3, 3}, {-8, 12}, {0, 0}, {-8, 12}, {-10, 14}, {0, 0}}};
constexpr auto int8_accumulator = qf::quantize<accumulator, accumulator_ranges>();
}  // namespace

TEST_CASE("qfence::quantize keeps resource variables float, READ_VARIABLE and ASSIGN_VARIABLE fenced, as qfence quantize") {
  // The same fences, in the same words, as `qfence quantize` of the twin.
  std::vector<qfence::quant::fence_line> twin_fences;
  runtime::model twin_q = quantized_twin(accumulator_twin(), accumulator_ranges,
                                         {{0, 0, "x"}, {3, 0, "sum_so_far"}, {4, 0, "y"}}, nullptr, &twin_fences);
  const auto fences = qf::quantize_fences<accumulator, accumulator_ranges>();
  REQUIRE(fences.size() == 2);
  REQUIRE(twin_fences.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(fences[k].op == twin_fences[k].op);
    CHECK(fences[k].why == twin_fences[k].why);
  }
  CHECK(fences[0].text() ==
        "fence: node 3 (READ_VARIABLE) stays float: qfence runs it in int8, but its quantizer cannot make its int8 "
        "form yet; DEQUANTIZE before it, QUANTIZE after");
  CHECK(fences[1].text() ==
        "fence: node 5 (ASSIGN_VARIABLE) stays float: qfence runs it in int8, but its quantizer cannot make its int8 "
        "form yet; DEQUANTIZE before it (its output is integer)");
  using Q = decltype(int8_accumulator);
  static_assert(std::is_same_v<Q::node_t<1>, decltype(accumulator)::node_t<1>>);  // the variable, float
  static_assert(std::is_same_v<Q::node_t<2>, decltype(accumulator)::node_t<2>>);  // CALL_ONCE, its init float
  static_assert(Q::node_output_type<4>::type == qf::dtype::i8);
  // Invoke after invoke (the sum carried in the variable), and after a
  // reset (CALL_ONCE starts it again): the twin's bytes.
  runtime::interpreter interp(std::make_shared<const runtime::model>(std::move(twin_q)));
  auto arena = qtest::heap_arena<Q>();
  int8_accumulator.reset_state(*arena);
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    CAPTURE(seed);
    if (seed == 4) {
      int8_accumulator.reset_state(*arena);
      interp.reset_variables();
    }
    const auto x = qtest::random_ints<std::int8_t>(4, seed, -128, 127);
    std::ranges::copy(x, arena->input<0>().begin());
    std::ranges::copy(x, interp.input<std::int8_t>(0).begin());
    REQUIRE(int8_accumulator.invoke(*arena) == qf::invoke_status::completed);
    REQUIRE(interp.invoke() == qf::invoke_status::completed);
    CHECK(std::ranges::equal(arena->output<0>(), interp.output<std::int8_t>(0)));
  }
}

TEST_CASE("qfence::quantize fences an op without an int8 kernel inside an if_'s branch, naming the branch") {
  const auto fences = qf::quantize_fences<custom_in_branch, custom_in_branch_ranges>();
  REQUIRE(fences.size() == 1);
  CHECK(fences[0].text() ==
        "fence: node 1 (halve) of node 2's then-branch stays float: custom op with no quantized kernel "
        "(qfence::use_table<op> gives an elementwise one a table); DEQUANTIZE before it, QUANTIZE after");
  using Q = decltype(int8_custom_in_branch);
  static_assert(qf::detail::quantize_graph::is_fence<Q::node_t<2>::then_model::node_t<1>>);
  static_assert(Q::node_output_type<3>::type == qf::dtype::i8);
  auto arena = qtest::heap_arena<Q>();
  arena->input<0>()[0] = true;
  const auto x = std::array<std::int8_t, 4>{-100, -10, 10, 100};
  std::ranges::copy(x, arena->input<1>().begin());
  REQUIRE(int8_custom_in_branch.invoke(*arena) == qf::invoke_status::completed);
  using in_q = Q::input_type<1>::quant;
  using out_q = Q::output_type<0>::quant;
  for (std::size_t i = 0; i < 4; ++i) {
    const float want = 1.5f * in_q::scale * static_cast<float>(x[i] - in_q::zero_point);
    CHECK(std::abs(out_q::scale * static_cast<float>(arena->output<0>()[i] - out_q::zero_point) - want) <= 1.5f * out_q::scale);
  }
}

TEST_CASE("IF stays float when asked, or when its subgraph has another caller; its neighbours are int8") {
  // --fence IF: the IF and its branches float, DEQUANTIZE and QUANTIZE at its borders.
  const auto f = layers_around_if();
  const auto ranges = qfence::quant::calibrate(f, if_samples{});
  qfence::quant::quantize_options fence_if;
  fence_if.fence = {"IF"};
  const qfence::quant::quantized_model q = qfence::quant::quantize_int8(*f, ranges, fence_if);
  REQUIRE(q.fences.size() == 1);
  CHECK(q.fences[0].text() ==
        "fence: operator 1 (IF) stays float: fenced on request; DEQUANTIZE before it, QUANTIZE after");
  const auto back = written(q.model);
  CHECK(op_names(*back, 0) == std::vector<std::string>{"QUANTIZE", "FULLY_CONNECTED", "DEQUANTIZE", "IF", "QUANTIZE",
                                                       "FULLY_CONNECTED", "DEQUANTIZE"});
  CHECK(all_of_type(*back, 1, qf::dtype::f32));
  CHECK(all_of_type(*back, 2, qf::dtype::f32));
  const double sqnr = output_sqnr(f, back, if_samples{32, 1000});
  CHECK(sqnr > 25.0);
  CHECK(sqnr < 80.0);

  // One subgraph for both branches: two callers, so it stays float.
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", BOOL), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  m.ops = {if_op(0, 1, 2, 1, 1)};
  m.inputs = {0, 1};
  m.outputs = {2};
  m.subgraphs = {add_branches("x", "y")[0]};
  const auto shared = read_spec(m);
  const qfence::quant::quantized_model s = qfence::quant::quantize_int8(*shared, qfence::quant::calibrate(shared, if_samples{}));
  REQUIRE(s.fences.size() == 1);
  CHECK(s.fences[0].why.starts_with("control flow: subgraph 1 is called by 2 operators"));
  CHECK(all_of_type(*written(s.model), 1, qf::dtype::f32));
  qfence::quant::quantize_options no_fences;
  no_fences.forbid_fences = true;
  CHECK_THROWS_WITH_AS(qfence::quant::plan_fences(*shared, no_fences),
                       doctest::Contains("operator 0 (IF) would be fenced (kept in float): control flow"),
                       runtime::model_error);
}

}  // namespace control_flow_test
