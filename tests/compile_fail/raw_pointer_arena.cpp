// Issue #8: a raw pointer carries no size, so invoke does not take one: the
// message says what it takes instead.
// expect: qfence: invoke/reset_state take the model's arena: qfence::arena<M> or qfence::arena_view<M>
#include "qfence.hpp"
#include <cstddef>
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(), qf::relu(qf::ref<0>));
alignas(64) std::byte memory[4096];
int main() { net.invoke(memory); }
