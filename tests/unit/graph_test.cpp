// The typed graph: branches, several inputs and outputs, fences around custom
// ops, the compile-time memory plan, and inference without heap allocation.
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "counting_allocator.hpp"
#include "soft_sign_op.hpp"
#include "test_support.hpp"

namespace qf = qfence;

using qtest::heap::allocations;  // every allocation of this program: counting_allocator.hpp

namespace {

// ---- custom ops ---------------------------------------------------------------

/// erf-based GELU: float only, so it has no quantizer.
struct gelu {
  QFENCE_CUSTOM_OP(gelu)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (std::int64_t i = 0; i < In::elements; ++i) out[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * 0.70710678f));
  }
};

/// Squares its float input; used to build a two-node island.
struct square {
  QFENCE_CUSTOM_OP(square)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (std::int64_t i = 0; i < In::elements; ++i) out[i] = in[i] * in[i];
  }
};

/// A custom op with an int8 kernel: negates in the quantized domain and keeps
/// the input's type. It needs no fence.
struct negate_i8 {
  QFENCE_CUSTOM_OP(negate_i8)
  static constexpr qf::dtype accepts = qf::i8;
  template <class In> using output = In;
  template <class In, class Out>
  static void run(const std::int8_t* in, std::int8_t* out) {
    for (std::int64_t i = 0; i < In::elements; ++i)
      out[i] = qf::saturate_cast<std::int8_t>(2 * In::quant::zero_point - in[i]);
  }
};

using Act = qf::per_tensor<0.05f, -10>;
using In8 = qf::tensor<qf::i8, qf::shape<1, 4, 4, 3>, Act>;

float gelu_ref(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678f)); }

TEST_CASE("a fence dequantizes with the producer's parameters and quantizes with its own") {
  auto net = qf::graph(qf::input<In8>(), qf::fence(qf::custom<gelu>(qf::ref<0>), qf::out<qf::per_tensor<0.02f, -60>>),
                       qf::relu(qf::ref<1>));
  using M = decltype(net);
  // Inside the island the tensor is float; outside it is the fence's int8.
  static_assert(std::is_same_v<M::node_output_type<1>, qf::tensor<qf::f32, qf::shape<1, 4, 4, 3>>>);
  static_assert(std::is_same_v<M::output_type<0>, qf::tensor<qf::i8, qf::shape<1, 4, 4, 3>, qf::per_tensor<0.02f, -60>>>);
  const auto x = qtest::random_ints<std::int8_t>(In8::elements, 5, -128, 127);
  const auto got = qtest::run(net, x);
  std::vector<float> want;
  for (float v : qtest::dequantize(x, 0.05f, -10)) want.push_back(std::max(0.0f, gelu_ref(v)));
  // Border quantization is TFLite QUANTIZE, exactly; the relu keeps the scale.
  std::vector<int> want_q;
  for (float v : want) want_q.push_back(std::max(-60, qtest::quantize_value(v, 0.02f, -60)));
  CHECK(qtest::max_abs_diff(got, want_q) <= 1);
}

TEST_CASE("adjacent fences merge into one float island; a fenced graph output may stay float") {
  auto net = qf::graph(qf::input<In8>(),                                                      // 0
                       qf::fence(qf::custom<gelu>(qf::ref<0>)),                              // 1: float, no out<>
                       qf::fence(qf::custom<square>(qf::ref<1>), qf::out<qf::per_tensor<0.01f, -128>>),  // 2
                       qf::fence(qf::custom<square>(qf::ref<1>)))                            // 3: float graph output
                 .outputs(qf::ref<2>, qf::ref<3>);
  using M = decltype(net);
  // Outputs declared before the nodes (what qfence embed writes): the same model.
  using declared_first = decltype(qf::graph(qf::declare_outputs<2, 3>, qf::input<In8>(),
                                            qf::fence(qf::custom<gelu>(qf::ref<0>)),
                                            qf::fence(qf::custom<square>(qf::ref<1>), qf::out<qf::per_tensor<0.01f, -128>>),
                                            qf::fence(qf::custom<square>(qf::ref<1>))));
  static_assert(std::is_same_v<declared_first, M>);
  static_assert(M::output_count == 2);
  static_assert(std::is_same_v<M::output_type<0>::quant, qf::per_tensor<0.01f, -128>>);
  static_assert(std::is_same_v<M::output_type<1>, qf::tensor<qf::f32, qf::shape<1, 4, 4, 3>>>);
  const auto x = qtest::random_ints<std::int8_t>(In8::elements, 6, -128, 127);
  auto arena = qtest::heap_arena<M>();
  std::ranges::copy(x, arena->input<0>().begin());
  net.invoke_poisoning_dead_buffers(*arena);
  const auto fx = qtest::dequantize(x, 0.05f, -10);
  for (std::size_t i = 0; i < fx.size(); ++i) {
    const float g = gelu_ref(fx[i]);
    CHECK(arena->output<1>()[i] == doctest::Approx(g * g).epsilon(1e-6));
    CHECK(std::abs(arena->output<0>()[i] - qtest::quantize_value(g * g, 0.01f, -128)) <= 1);
  }
}

TEST_CASE("a custom op with an int8 kernel needs no fence") {
  auto net = qf::graph(qf::input<In8>(), qf::custom<negate_i8>(qf::ref<0>));
  const auto x = qtest::random_ints<std::int8_t>(In8::elements, 7, -100, 100);
  const auto got = qtest::run(net, x);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(got[i] == -20 - x[i]);
}

// ---- branches, several inputs and outputs -----------------------------------------

inline constexpr std::array<float, 3> w_scales{0.01f, 0.02f, 0.015f};
inline constexpr std::array<int, 3> w_zeros{};
using W = qf::tensor<qf::i8, qf::shape<3, 3, 3, 3>, qf::per_channel<w_scales, w_zeros, 0>>;
inline constexpr auto w_data = [] {
  std::array<std::int8_t, 81> a{};
  for (int i = 0; i < 81; ++i) a[static_cast<std::size_t>(i)] = static_cast<std::int8_t>((i * 37) % 255 - 127);
  return a;
}();

/// A residual block plus a concatenated side branch and two outputs.
constexpr auto residual = qf::graph(
    qf::input<In8>(),                                                                                     // 0
    qf::conv2d(qf::ref<0>, qf::make_constant<W>(w_data), qf::no_bias, qf::fused_relu, qf::out<Act>),     // 1
    qf::conv2d(qf::ref<1>, qf::make_constant<W>(w_data), qf::no_bias, qf::out<Act>),                     // 2
    qf::add(qf::ref<0>, qf::ref<2>, qf::out<qf::per_tensor<0.08f, 0>>),                                   // 3: skip
    qf::max_pool2d(qf::ref<1>, qf::filter<2>, qf::stride<2>),                                             // 4
    qf::average_pool2d(qf::ref<3>, qf::filter<2>, qf::stride<2>),                                         // 5
    qf::quantize<Act>(qf::ref<5>),                                                                        // 6
    qf::concatenation<3>(qf::ref<4>, qf::ref<6>),                                                         // 7: output 0
    qf::mean<1, 2>(qf::ref<3>, qf::out<qf::per_tensor<0.05f, 0>>))                                        // 8: output 1
    .outputs(qf::ref<7>, qf::ref<8>);

TEST_CASE("a branching graph equals the same ops run one model at a time") {
  using M = decltype(residual);
  static_assert(M::input_count == 1 && M::output_count == 2);
  static_assert(std::is_same_v<M::output_type<0>::shape_type, qf::shape<1, 2, 2, 6>>);
  static_assert(std::is_same_v<M::output_type<1>::shape_type, qf::shape<1, 3>>);
  const auto x = qtest::random_ints<std::int8_t>(In8::elements, 8, -128, 127);

  auto arena = qtest::heap_arena<M>();
  std::ranges::copy(x, arena->input<0>().begin());
  residual.invoke_poisoning_dead_buffers(*arena);
  const std::vector<std::int8_t> out0(arena->output<0>().begin(), arena->output<0>().end());
  const std::vector<std::int8_t> out1(arena->output<1>().begin(), arena->output<1>().end());
  static_assert(decltype(arena->output<0>())::extent == 24 && decltype(arena->output<1>())::extent == 3);

  // The same computation as single-op models.
  using A = qf::tensor<qf::i8, qf::shape<1, 4, 4, 3>, Act>;
  const auto c1 = qtest::run(qf::graph(qf::input<A>(), qf::conv2d(qf::ref<0>, qf::make_constant<W>(w_data), qf::no_bias,
                                                                  qf::fused_relu, qf::out<Act>)), x);
  const auto c2 = qtest::run(qf::graph(qf::input<A>(), qf::conv2d(qf::ref<0>, qf::make_constant<W>(w_data), qf::no_bias,
                                                                  qf::out<Act>)), c1);
  const auto s = qtest::run(qf::graph(qf::input<A>(), qf::input<A>(),
                                      qf::add(qf::ref<0>, qf::ref<1>, qf::out<qf::per_tensor<0.08f, 0>>)), x, c2);
  const auto p4 = qtest::run(qf::graph(qf::input<A>(), qf::max_pool2d(qf::ref<0>, qf::filter<2>, qf::stride<2>)), c1);
  using S = qf::tensor<qf::i8, qf::shape<1, 4, 4, 3>, qf::per_tensor<0.08f, 0>>;
  const auto p5 = qtest::run(qf::graph(qf::input<S>(), qf::average_pool2d(qf::ref<0>, qf::filter<2>, qf::stride<2>),
                                       qf::quantize<Act>(qf::ref<1>)), s);
  std::vector<std::int8_t> cat;
  for (int i = 0; i < 4; ++i) {
    cat.insert(cat.end(), p4.begin() + 3 * i, p4.begin() + 3 * i + 3);
    cat.insert(cat.end(), p5.begin() + 3 * i, p5.begin() + 3 * i + 3);
  }
  CHECK(out0 == cat);
  CHECK(out1 == qtest::run(qf::graph(qf::input<S>(), qf::mean<1, 2>(qf::ref<0>, qf::out<qf::per_tensor<0.05f, 0>>)), s));
}

TEST_CASE("invoke_observed reports each node once it has run, in order, and computes what invoke does") {
  using M = decltype(residual);
  const auto x = qtest::random_ints<std::int8_t>(In8::elements, 8, -128, 127);
  auto plain = qtest::heap_arena<M>();
  std::ranges::copy(x, plain->input<0>().begin());
  residual.invoke(*plain);
  const std::vector<std::int8_t> want(plain->output<1>().begin(), plain->output<1>().end());
  auto arena = qtest::heap_arena<M>();
  std::ranges::copy(x, arena->input<0>().begin());
  std::vector<std::pair<int, std::string>> seen;
  std::vector<std::int8_t> mean_when_reported;
  residual.invoke_observed(*arena, qf::kernels::default_target(), [&](int node, const char* op) {
    seen.emplace_back(node, op);
    // Node 8 is output 1: its bytes are final as soon as it has run.
    if (node == 8) mean_when_reported.assign(arena->output<1>().begin(), arena->output<1>().end());
  });
  const std::vector<std::pair<int, std::string>> order{{1, "conv2d"},         {2, "conv2d"},       {3, "add"},
                                                       {4, "max_pool2d"},     {5, "average_pool2d"},
                                                       {6, "quantize"},       {7, "concatenation"}, {8, "mean"}};
  CHECK(seen == order);
  CHECK(mean_when_reported == want);
  CHECK(std::vector<std::int8_t>(arena->output<1>().begin(), arena->output<1>().end()) == want);
}

TEST_CASE("two inputs, one of them read again by the last node") {
  using F = qf::tensor<qf::f32, qf::shape<2, 3>>;
  auto net = qf::graph(qf::input<F>(), qf::input<F>(), qf::add(qf::ref<0>, qf::ref<1>), qf::relu(qf::ref<2>),
                       qf::mul(qf::ref<3>, qf::ref<0>));
  using M = decltype(net);
  static_assert(M::input_count == 2 && M::output_count == 1);
  CHECK(qtest::run(net, std::vector<float>{1, -2, 3, -4, 5, 6}, std::vector<float>{1, 1, 1, 1, 1, 1}) ==
        std::vector<float>{2, 0, 12, 0, 30, 42});
}

// ---- memory ---------------------------------------------------------------------

TEST_CASE("the memory plan is a constant, sound, and smaller than the naive sum on a branching model") {
  using M = decltype(residual);
  static_assert(M::plan_sound);
  static_assert(M::arena_bytes < M::naive_arena_bytes);
  constexpr std::size_t bytes = M::arena_bytes;  // usable in constant expressions
  static_assert(bytes > 0);
  MESSAGE("residual model: arena " << M::arena_bytes << " bytes, naive sum " << M::naive_arena_bytes << " bytes");
  // Every pair of buffers whose lifetimes overlap occupies disjoint bytes.
  for (int a = 0; a < M::node_count; ++a)
    for (int ka = 0; ka < 4; ++ka)
      for (int b = 0; b < M::node_count; ++b)
        for (int kb = 0; kb < 4; ++kb) {
          const auto ra = M::buffer(a, static_cast<qf::buffer_kind>(ka));
          const auto rb = M::buffer(b, static_cast<qf::buffer_kind>(kb));
          if ((a == b && ka == kb) || ra.bytes == 0 || rb.bytes == 0) continue;
          const bool live_together = ra.first <= rb.last && rb.first <= ra.last;
          const std::size_t oa = M::offset_of(a, static_cast<qf::buffer_kind>(ka));
          const std::size_t ob = M::offset_of(b, static_cast<qf::buffer_kind>(kb));
          const bool disjoint = oa + ra.bytes <= ob || ob + rb.bytes <= oa;
          if (live_together) CHECK(disjoint);
          CHECK(oa % qf::arena_alignment == 0);
          CHECK(oa + ra.bytes <= M::arena_bytes);
        }
}

TEST_CASE("invoke allocates nothing on the heap") {
  using M = decltype(residual);
  static qf::arena<M> arena;  // static storage: no heap
  const auto x = qtest::random_ints<std::int8_t>(In8::elements, 9, -128, 127);
  std::ranges::copy(x, arena.input<0>().begin());
  const long before = allocations.load();
  for (int i = 0; i < 10; ++i) residual.invoke(arena);
  const long during = allocations.load() - before;
  CHECK(during == 0);
  // The counter does count: a vector allocates.
  { std::vector<int> v(10); (void)v; }
  CHECK(allocations.load() > before);
}

TEST_CASE("the fenced model invokes without allocating, with its float island in the arena") {
  auto net = qf::graph(qf::input<In8>(), qf::fence(qf::custom<gelu>(qf::ref<0>), qf::out<Act>),
                       qf::add(qf::ref<0>, qf::ref<1>, qf::out<Act>));
  using M = decltype(net);
  static qf::arena<M> arena;
  const long before = allocations.load();
  net.invoke(arena);
  CHECK(allocations.load() == before);
  static_assert(M::plan_sound);
}

}  // namespace

// ---- state across invokes (SVDF) --------------------------------------------

TEST_CASE("a state node persists across invokes; reset_state starts a new sequence") {
  using In = qf::tensor<qf::i8, qf::shape<1, 2>, qf::per_tensor<0.5f, 0>>;
  using State = qf::tensor<qf::i16, qf::shape<1, 4>, qf::per_tensor<0.25f, 0>>;  // 2 filters x 2 steps
  using WF = qf::tensor<qf::i8, qf::shape<2, 2>, qf::per_tensor<0.5f, 0>>;
  using WT = qf::tensor<qf::i16, qf::shape<2, 2>, qf::per_tensor<0.5f, 0>>;
  static constexpr std::array<std::int8_t, 4> feature{1, 2, 3, 4};
  static constexpr std::array<std::int16_t, 4> time{1, 1, 1, 1};
  auto net = qf::graph(qf::input<In>(), qf::state<State>(),
                       qf::svdf<1>(qf::ref<0>, qf::ref<1>, qf::make_constant<WF>(feature), qf::make_constant<WT>(time),
                                   qf::no_bias, qf::out<qf::per_tensor<0.5f, 0>>));
  using M = decltype(net);
  auto arena = qtest::heap_arena<M>();
  auto step = [&] {
    arena->input<0>()[0] = 2;
    arena->input<0>()[1] = 4;
    net.invoke(*arena);
    const auto out = arena->output<0>();
    return std::array<int, 2>{out[0], out[1]};
  };
  net.reset_state(*arena);
  // Feature projections 1*2+2*4 = 10 and 3*2+4*4 = 22 (scale 0.5*0.5/0.25 = 1)
  // enter each filter's newest step; the time weights sum both steps; the
  // output scale ratio is 0.25*0.5/0.5: round(10/4) = 3, round(22/4) = 6.
  CHECK(step() == std::array<int, 2>{3, 6});
  // The previous step is remembered: (10+10)/4 = 5, (22+22)/4 = 11.
  CHECK(step() == std::array<int, 2>{5, 11});
  net.reset_state(*arena);
  CHECK(step() == std::array<int, 2>{3, 6});
}

// ---- an op that ends the invoke early (CIRCULAR_BUFFER) ----------------------

TEST_CASE("circular_buffer keeps the last samples and runs the nodes after it every Period invokes") {
  using X = qf::tensor<qf::i8, qf::shape<1, 1, 1, 2>, qf::per_tensor<0.5f, -1>>;
  // Nodes: 0 input, 1 count, 2 register of 3 samples (period 2), 3 a copy
  // of the register (MAXIMUM with itself), which runs only when the
  // register's period has come.
  auto net = qf::graph(qf::input<X>(), qf::state<qf::circular_buffer_count>(),
                       qf::circular_buffer<3, 2>(qf::ref<0>, qf::ref<1>), qf::maximum(qf::ref<2>, qf::ref<2>))
                 .outputs(qf::ref<2>, qf::ref<3>);
  using M = decltype(net);
  static_assert(std::is_same_v<M::output_type<0>, qf::tensor<qf::i8, qf::shape<1, 3, 1, 2>, qf::per_tensor<0.5f, -1>>>);
  auto arena = qtest::heap_arena<M>();
  auto step = [&](std::int8_t a, std::int8_t b) {
    arena->input<0>()[0] = a;
    arena->input<0>()[1] = b;
    return net.invoke(*arena);
  };
  auto reg = [&] {
    const auto r = arena->output<0>();
    return std::vector<int>(r.begin(), r.end());
  };
  net.reset_state(*arena);
  CHECK(reg() == std::vector<int>{-1, -1, -1, -1, -1, -1});  // real zero: the zero point
  CHECK(step(1, 2) == qf::invoke_status::ended_early);
  CHECK(reg() == std::vector<int>{-1, -1, -1, -1, 1, 2});
  CHECK(step(3, 4) == qf::invoke_status::completed);
  CHECK(reg() == std::vector<int>{-1, -1, 1, 2, 3, 4});
  const auto copy = arena->output<1>();
  CHECK(std::vector<int>(copy.begin(), copy.end()) == reg());
  CHECK(step(5, 6) == qf::invoke_status::ended_early);
  // The copy did not run: it still holds the last completed invoke's value.
  CHECK(reg() == std::vector<int>{1, 2, 3, 4, 5, 6});
  CHECK(std::vector<int>(copy.begin(), copy.end()) == std::vector<int>{-1, -1, 1, 2, 3, 4});
  CHECK(step(7, 8) == qf::invoke_status::completed);
  CHECK(reg() == std::vector<int>{3, 4, 5, 6, 7, 8});
  net.reset_state(*arena);  // a new stream: register and count start again
  CHECK(step(9, 10) == qf::invoke_status::ended_early);
  CHECK(reg() == std::vector<int>{-1, -1, -1, -1, 9, 10});
}

// ---- tables instead of fences ---------------------------------------------------

using qtest::soft_sign;
/// erf GELU: std::erf is not constexpr, so its table is built on first use.
struct gelu_fn {
  QFENCE_CUSTOM_OP(gelu_fn)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (std::int64_t i = 0; i < In::elements; ++i) out[i] = apply(in[i]);
  }
  static float apply(float x) { return gelu_ref(x); }
};
static_assert(qf::detail::constexpr_apply<soft_sign> && !qf::detail::constexpr_apply<gelu_fn>);

/// Every int8 value through `tabulated<Op>` and through `fence(custom<Op>)`.
template <class Op, class In, class Q>
void check_table_is_the_fence() {
  std::vector<std::int8_t> all(In::elements);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int8_t>(static_cast<int>(i % 256) - 128);
  auto fenced = qf::graph(qf::input<In>(), qf::fence(qf::custom<Op>(qf::ref<0>), qf::out<Q>));
  auto table = qf::graph(qf::input<In>(), qf::tabulated<Op>(qf::ref<0>, qf::out<Q>));
  static_assert(std::is_same_v<typename decltype(table)::template output_type<0>,
                               typename decltype(fenced)::template output_type<0>>);
  // No float buffers: the table's arena holds the int8 input and output only.
  static_assert(decltype(table)::arena_bytes < decltype(fenced)::arena_bytes);
  const auto by_table = qtest::run(table, all), by_fence = qtest::run(fenced, all);
  CHECK(by_table == by_fence);
  // The same error against the float function, then (measured, not assumed).
  double table_error = 0, fence_error = 0;
  const auto x = qtest::dequantize(all, In::quant::scale, In::quant::zero_point);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double want = Op::apply(x[i]);
    table_error = std::max(table_error, std::abs(Q::scale * (by_table[i] - Q::zero_point) - want));
    fence_error = std::max(fence_error, std::abs(Q::scale * (by_fence[i] - Q::zero_point) - want));
  }
  CHECK(table_error == fence_error);
  CHECK(table_error <= 0.5 * Q::scale + 1e-6);  // half a step: the function's range fits the output's
}

TEST_CASE("tabulated<Op>: a table gives the fenced op's bytes without a float island, on every int8 value") {
  using In256 = qf::tensor<qf::i8, qf::shape<2, 256>, qf::per_tensor<0.05f, -10>>;
  check_table_is_the_fence<soft_sign, In256, qf::per_tensor<1.0f / 128, 0>>();
  check_table_is_the_fence<gelu_fn, In256, qf::per_tensor<0.03f, -110>>();  // [-0.54, 7.11] holds gelu of the input range
}
