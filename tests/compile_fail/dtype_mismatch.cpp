// An f32 tensor added to an i8 tensor: the consumer (node 2, add) is named,
// with the producer's type and the fix.
// expect: qfence: the two inputs of this element-wise op differ in dtype
// expect: at_node<\s*2,\s*qfence::op::add\s*>
// expect: producer<\s*qfence::tensor<\s*qfence::dtype::i8
// expect: fix: insert qfence::quantize
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<1, 8>>>(),
                               qf::input<qf::tensor<qf::i8, qf::shape<1, 8>, qf::per_tensor<0.1f, 0>>>(),
                               qf::add(qf::ref<0>, qf::ref<1>));
int main() {}
