// A node reading its own output (the smallest cycle).
// expect: this node consumes a node that is not written before it
// expect: at_node<\s*2,\s*qfence::op::add\s*>
// expect: operand<2>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(),
                               qf::relu(qf::ref<0>),
                               qf::add(qf::ref<1>, qf::ref<2>));
int main() {}
