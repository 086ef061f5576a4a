// IF, WHILE, CALL_ONCE and resource variables on the compile-time path
// (ops/control_flow.hpp, ops/resource_variable.hpp): typed models calling
// typed models, against the runtime path running the same graphs
// as a .tflite with subgraphs, invoke after invoke.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "qfence.hpp"
#include "qfence/codegen/header_writer.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
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

tfl::op_spec add_op(int a, int b, int out) {
  tfl::op_spec o = tfl::op(0 /*ADD*/, 1, {a, b}, {out});
  o.options = [](flatbuffers::FlatBufferBuilder& fbb) {
    return std::pair{fb::BuiltinOptions::AddOptions, fb::CreateAddOptions(fbb, 0, false).Union()};
  };
  return o;
}

std::shared_ptr<const runtime::model> if_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", 6 /*BOOL*/), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  m.ops = {tfl::op(118 /*IF*/, 1, {0, 1}, {2})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::IfOptions, fb::CreateIfOptions(b, 1, 2).Union()};
  };
  m.inputs = {0, 1};
  m.outputs = {2};
  tfl::model_spec then_g;
  then_g.tensors = {tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  then_g.ops = {add_op(0, 0, 1)};
  then_g.inputs = {0};
  then_g.outputs = {1};
  tfl::model_spec else_g;
  else_g.tensors = {tfl::activation({1, 4}, "x"),
                    tfl::constant({1, 4}, tfl::bytes_of(std::vector<float>(offset.begin(), offset.end())), "offset"),
                    tfl::activation({1, 4}, "y")};
  else_g.ops = {add_op(0, 1, 2)};
  else_g.inputs = {0};
  else_g.outputs = {2};
  m.subgraphs = {then_g, else_g};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}

std::shared_ptr<const runtime::model> while_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::constant({1}, tfl::bytes_of(std::vector<std::int32_t>{0}), "i0", 2 /*INT32*/),
               tfl::activation({1, 4}, "x"), tfl::activation({1}, "i", 2), tfl::activation({1, 4}, "y")};
  m.ops = {tfl::op(119 /*WHILE*/, 1, {0, 1}, {2, 3})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::WhileOptions, fb::CreateWhileOptions(b, 1, 2).Union()};
  };
  m.inputs = {1};
  m.outputs = {3};
  tfl::model_spec cond;
  cond.tensors = {tfl::activation({1}, "i", 2), tfl::activation({1, 4}, "x"),
                  tfl::constant({1}, tfl::bytes_of(std::vector<std::int32_t>{3}), "limit", 2),
                  tfl::activation({1}, "go_on", 6)};
  cond.ops = {tfl::op(58 /*LESS*/, 1, {0, 2}, {3})};
  cond.inputs = {0, 1};
  cond.outputs = {3};
  tfl::model_spec body;
  body.tensors = {tfl::activation({1}, "i", 2), tfl::activation({1, 4}, "x"),
                  tfl::constant({1}, tfl::bytes_of(std::vector<std::int32_t>{1}), "one", 2),
                  tfl::activation({1}, "i_next", 2), tfl::activation({1, 4}, "x_next")};
  body.ops = {add_op(0, 2, 3), add_op(1, 1, 4)};
  body.inputs = {0, 1};
  body.outputs = {3, 4};
  m.subgraphs = {cond, body};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
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
           add_op(2, 1, 3), tfl::op(144 /*ASSIGN_VARIABLE*/, 1, {0, 3}, {})};
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
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}

/// The accumulator's variable read and assigned inside IF's then-branch.
std::shared_ptr<const runtime::model> variable_in_branch() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1}, "cond", 6 /*BOOL*/), tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  m.ops = {tfl::op(118 /*IF*/, 1, {0, 1}, {2})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::IfOptions, fb::CreateIfOptions(b, 1, 2).Union()};
  };
  m.inputs = {0, 1};
  m.outputs = {2};
  tfl::model_spec then_g;
  then_g.tensors = {tfl::activation({1, 4}, "x"), tfl::activation({}, "handle", 13 /*RESOURCE*/),
                    tfl::activation({1, 4}, "sum_so_far"), tfl::activation({1, 4}, "y")};
  then_g.ops = {tfl::op(142 /*VAR_HANDLE*/, 1, {}, {1}), tfl::op(143 /*READ_VARIABLE*/, 1, {1}, {2}), add_op(2, 0, 3),
                tfl::op(144 /*ASSIGN_VARIABLE*/, 1, {1, 3}, {})};
  then_g.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::VarHandleOptions, fb::CreateVarHandleOptionsDirect(b, "", "sum").Union()};
  };
  then_g.inputs = {0};
  then_g.outputs = {3};
  tfl::model_spec else_g;
  else_g.tensors = {tfl::activation({1, 4}, "x"), tfl::activation({1, 4}, "y")};
  else_g.ops = {add_op(0, 0, 1)};
  else_g.inputs = {0};
  else_g.outputs = {1};
  m.subgraphs = {then_g, else_g};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
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

}  // namespace control_flow_test
