// The typed arena API of the compile-time path (issue #8, part C): typed
// spans for inputs and outputs, inputs that survive invoke, declared outputs,
// and caller-owned memory through arena_view. The misuse cases that must not
// compile are in tests/compile_fail (arena_of_another_model,
// raw_pointer_arena, ambiguous_outputs, output_index_out_of_range).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "test_support.hpp"

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace arena_test {

namespace qf = qfence;

namespace {

using Act = qf::per_tensor<0.05f, -10>;
using In = qf::tensor<qf::i8, qf::shape<1, 6, 6, 4>, Act>;
using Pooled = qf::tensor<qf::i8, qf::shape<1, 3, 3, 4>, Act>;

/// A chain in which the input's bytes could be reused by a later tensor.
template <class Input>
constexpr auto chain(Input input) {
  return qf::graph(input,                                                        // 0
                   qf::relu(qf::ref<0>),                                         // 1
                   qf::max_pool2d(qf::ref<1>, qf::filter<2>, qf::stride<2>),     // 2
                   qf::relu6(qf::ref<2>),                                        // 3
                   qf::average_pool2d(qf::ref<3>, qf::filter<3>, qf::valid));    // 4
}
constexpr auto kept = chain(qf::input<In>());
constexpr auto shared = chain(qf::input<In>(qf::overwritable));
using Kept = std::remove_cv_t<decltype(kept)>;
using Shared = std::remove_cv_t<decltype(shared)>;

std::vector<std::int8_t> sample(std::uint32_t seed) {
  return qtest::random_ints<std::int8_t>(static_cast<std::size_t>(In::elements), seed, -128, 127);
}

}  // namespace

TEST_CASE("arena.input<K>() and arena.output<K>() are spans of the tensor's element type and extent") {
  using in_span = decltype(std::declval<qf::arena<Kept>&>().input<0>());
  using out_span = decltype(std::declval<const qf::arena<Kept>&>().output<0>());
  static_assert(std::is_same_v<in_span, std::span<std::int8_t, 144>>);
  static_assert(std::is_same_v<out_span, std::span<const std::int8_t, 4>>);
  static_assert(qf::arena<Kept>::size_bytes == Kept::arena_bytes);
  static_assert(alignof(qf::arena<Kept>) == qf::arena_alignment);
  // The const-qualified model type (decltype of a constexpr graph) names the same arena.
  static_assert(std::is_same_v<qf::arena_model_t<qf::arena<decltype(kept)>>, Kept>);
  CHECK(true);
}

TEST_CASE("inputs survive invoke: a second invoke on the same arena gives the same outputs") {
  auto arena = qtest::heap_arena<Kept>();
  const auto x = sample(3);
  std::ranges::copy(x, arena->input<0>().begin());
  kept.invoke_poisoning_dead_buffers(*arena);  // poisons every dead buffer, never an input
  const std::vector<std::int8_t> first(arena->output<0>().begin(), arena->output<0>().end());
  CHECK(std::ranges::equal(arena->input<0>(), x));
  kept.invoke_poisoning_dead_buffers(*arena);
  CHECK(std::ranges::equal(arena->output<0>(), first));
  // And the outputs are the chain's: the same as running it op by op.
  CHECK(first == qtest::run(kept, x));
}

TEST_CASE("an overwritable input lets the planner reuse its bytes; rewritten, it gives the same results") {
  static_assert(Shared::arena_bytes < Kept::arena_bytes, "the input's bytes are reused once read");
  MESSAGE("arena: input kept " << Kept::arena_bytes << " B, overwritable " << Shared::arena_bytes << " B");
  auto arena = qtest::heap_arena<Shared>();
  for (std::uint32_t seed : {4u, 5u}) {
    const auto x = sample(seed);
    std::ranges::copy(x, arena->input<0>().begin());  // written again before every invoke
    shared.invoke_poisoning_dead_buffers(*arena);
    CHECK(std::vector<std::int8_t>(arena->output<0>().begin(), arena->output<0>().end()) == qtest::run(kept, x));
  }
}

TEST_CASE("declared outputs keep their numbers when an unread node is added") {
  constexpr auto plain = qf::graph(qf::input<In>(), qf::relu(qf::ref<0>),
                                   qf::max_pool2d(qf::ref<1>, qf::filter<2>, qf::stride<2>))
                             .outputs(qf::ref<2>, qf::ref<1>);
  constexpr auto tapped = qf::graph(qf::input<In>(), qf::relu(qf::ref<0>), qf::relu6(qf::ref<0>),  // 2: a debug tap
                                    qf::max_pool2d(qf::ref<1>, qf::filter<2>, qf::stride<2>))
                              .outputs(qf::ref<3>, qf::ref<1>);
  using P = std::remove_cv_t<decltype(plain)>;
  using T = std::remove_cv_t<decltype(tapped)>;
  static_assert(P::output_count == 2 && T::output_count == 2);
  static_assert(std::is_same_v<P::output_type<0>, Pooled> && std::is_same_v<T::output_type<0>, Pooled>);
  static_assert(std::is_same_v<P::output_type<1>, In> && std::is_same_v<T::output_type<1>, In>);
  auto a = qtest::heap_arena<P>();
  auto b = qtest::heap_arena<T>();
  const auto x = sample(6);
  std::ranges::copy(x, a->input<0>().begin());
  std::ranges::copy(x, b->input<0>().begin());
  plain.invoke_poisoning_dead_buffers(*a);
  tapped.invoke_poisoning_dead_buffers(*b);
  CHECK(std::ranges::equal(a->output<0>(), b->output<0>()));
  // Output 1 is read by node 2 (3) as well, and still holds relu(x) at the end.
  CHECK(std::ranges::equal(a->output<1>(), b->output<1>()));
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(a->output<1>()[i] == std::max<std::int8_t>(x[i], -10));
}

TEST_CASE("arena_view runs on caller-owned memory and says what is wrong with bad memory") {
  constexpr std::size_t need = Kept::arena_bytes;
  std::vector<std::byte> storage(need + 2 * qf::arena_alignment);
  const auto base = reinterpret_cast<std::uintptr_t>(storage.data());
  const std::size_t skip = qf::align_up(base) - base;
  const std::span<std::byte> aligned(storage.data() + skip, need);

  qf::arena_view<Kept> view(aligned);
  const auto x = sample(7);
  std::ranges::copy(x, view.input<0>().begin());
  kept.invoke(view);
  CHECK(std::vector<std::int8_t>(view.output<0>().begin(), view.output<0>().end()) == qtest::run(kept, x));

  auto message = [](std::span<std::byte> memory) -> std::string {
    try {
      qf::arena_view<Kept> bad(memory);
    } catch (const qf::arena_error& e) {
      return e.what();
    }
    return "accepted";
  };
  CHECK(message(aligned.first(need - 1)) == "qfence::arena_view: the memory given has " + std::to_string(need - 1) +
                                                " bytes; this model needs M::arena_bytes = " + std::to_string(need));
  const std::string misaligned = message(std::span<std::byte>(storage.data() + skip + 8, need));
  CHECK(misaligned.find("not a multiple of 64 (qfence::arena_alignment): offset 8") != std::string::npos);
  CHECK(message(std::span<std::byte>(storage.data() + skip, need + 5)) == "accepted");  // larger is fine
}

TEST_CASE("reset_state and invoke accept an arena_view as they accept an arena") {
  using S = qf::tensor<qf::i16, qf::shape<1, 4>, qf::per_tensor<0.25f, 0>>;
  using I = qf::tensor<qf::i8, qf::shape<1, 2>, qf::per_tensor<0.5f, 0>>;
  using WF = qf::tensor<qf::i8, qf::shape<2, 2>, qf::per_tensor<0.5f, 0>>;
  using WT = qf::tensor<qf::i16, qf::shape<2, 2>, qf::per_tensor<0.5f, 0>>;
  static constexpr std::array<std::int8_t, 4> feature{1, 2, 3, 4};
  static constexpr std::array<std::int16_t, 4> time{1, 1, 1, 1};
  constexpr auto net = qf::graph(qf::input<I>(), qf::state<S>(),
                                 qf::svdf<1>(qf::ref<0>, qf::ref<1>, qf::make_constant<WF>(feature),
                                             qf::make_constant<WT>(time), qf::no_bias, qf::out<qf::per_tensor<0.5f, 0>>));
  using M = std::remove_cv_t<decltype(net)>;
  alignas(qf::arena_alignment) static std::byte memory[M::arena_bytes];
  qf::arena_view<M> view(memory);
  net.reset_state(view);
  view.input<0>()[0] = 2;
  view.input<0>()[1] = 4;
  net.invoke(view);
  CHECK(view.output<0>()[0] == 3);  // the values graph_test derives for this SVDF
  net.invoke(view);                 // same input (it survived), one more step of state
  CHECK(view.output<0>()[0] == 5);
}

}  // namespace arena_test
