// A float op given out<...>: float ops produce float.
// expect: out<...> was given to a node whose input is float
// expect: at_node<\s*2,\s*qfence::op::add\s*>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(), qf::input<qf::tensor<qf::f32, qf::shape<4>>>(),
                               qf::add(qf::ref<0>, qf::ref<1>, qf::out<qf::per_tensor<0.1f, 0>>));
int main() {}
