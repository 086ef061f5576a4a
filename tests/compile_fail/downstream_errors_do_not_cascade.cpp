// The first bad edge is reported once; the nodes after it (which would see
// an undefined type) report nothing.
// expect: qfence: the two inputs of this element-wise op differ in dtype
// expect: at_node<\s*2,\s*qfence::op::add\s*>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<1, 8>>>(),
                               qf::input<qf::tensor<qf::i8, qf::shape<1, 8>, qf::per_tensor<0.1f, 0>>>(),
                               qf::add(qf::ref<0>, qf::ref<1>),
                               qf::relu(qf::ref<2>),
                               qf::softmax(qf::ref<3>),
                               qf::mul(qf::ref<4>, qf::ref<1>));
int main() {}
