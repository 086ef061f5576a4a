// Node 1 reads node 3, which does not exist before it: graphs are written in
// order, so a cycle or a dangling reference cannot be expressed.
// expect: this node consumes a node that is not written before it
// expect: operand<3>
// expect: at_node<\s*1,\s*qfence::op::relu\s*>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(),
                               qf::relu(qf::ref<3>));
int main() {}
