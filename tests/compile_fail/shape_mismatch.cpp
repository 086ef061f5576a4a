// [1,8] + [1,5] does not broadcast.
// expect: the two input shapes do not broadcast
// expect: at_node<\s*2,\s*qfence::op::mul\s*>
// expect: qfence::shape<1,\s*5>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<1, 8>>>(),
                               qf::input<qf::tensor<qf::f32, qf::shape<1, 5>>>(),
                               qf::mul(qf::ref<0>, qf::ref<1>));
int main() {}
