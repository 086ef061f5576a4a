// add has no stride.
// expect: this node was given an option its op does not take
// expect: qfence::stride_t<2,\s*2>
// expect: at_node<\s*2,\s*qfence::op::add\s*>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(), qf::input<qf::tensor<qf::f32, qf::shape<4>>>(),
                               qf::add(qf::ref<0>, qf::ref<1>, qf::stride<2>));
int main() {}
