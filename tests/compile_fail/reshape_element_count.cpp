// 24 elements cannot become 5 x 5.
// expect: reshape to a shape with a different element count
// expect: at_node<\s*1,\s*qfence::op::reshape\s*>
// expect: qfence::shape<2,\s*3,\s*4>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<2, 3, 4>>>(), qf::reshape<5, 5>(qf::ref<0>));
int main() {}
