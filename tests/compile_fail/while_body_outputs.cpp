// Issue #11: a WHILE body must give one output per loop value, each of its
// value's dtype and size (the next step's values). One that gives an int32
// counter back as float is refused at the while_ node, with the body's type.
// expect: qfence: while_'s body model must give one output per loop value, each of its input's dtype and size
// expect: at_node<\s*2,\s*qfence::op::while_\s*>
// expect: fix: declare the body's outputs in the inputs' order
#include "qfence.hpp"
#include <array>
#include <cstdint>

namespace qf = qfence;
using X = qf::tensor<qf::f32, qf::shape<1, 4>>;
using I = qf::tensor<qf::i32, qf::shape<1>>;
inline constexpr std::array<std::int32_t, 1> three{3}, zero{0};
constexpr auto cond = qf::graph(qf::input<I>(), qf::input<X>(), qf::literal(qf::make_constant<I>(three)),
                                qf::less(qf::ref<0>, qf::ref<2>))
                          .outputs(qf::ref<3>);
// The body returns x + x in both places: the counter comes back as f32[1,4].
constexpr auto body = qf::graph(qf::input<I>(), qf::input<X>(), qf::add(qf::ref<1>, qf::ref<1>))
                          .outputs(qf::ref<2>, qf::ref<2>);
constexpr auto net = qf::graph(qf::input<X>(), qf::literal(qf::make_constant<I>(zero)),
                               qf::while_(cond, body, qf::ref<1>, qf::ref<0>),
                               qf::control_flow_output<decltype(body), 1>(qf::ref<2>));
qf::arena<decltype(net)> arena;
int main() {
  net.invoke(arena);
  return static_cast<int>(arena.output<0>()[0]);
}
