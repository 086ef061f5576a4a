// Same dtype, different scale: concatenation copies bytes, so the inputs must
// share quantization; the expected type says which parameters to requantize to.
// expect: qfence: concatenation inputs must have the output's quantization
// expect: at_node<\s*2,\s*qfence::op::concatenation\s*>
// expect: expected<\s*qfence::tensor<\s*qfence::dtype::i8,\s*qfence::shape<1,\s*4>,\s*qfence::per_tensor<
// expect: fix: requantize
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::i8, qf::shape<1, 4>, qf::per_tensor<0.1f, 0>>>(),
                               qf::input<qf::tensor<qf::i8, qf::shape<1, 4>, qf::per_tensor<0.2f, 0>>>(),
                               qf::concatenation<1>(qf::ref<0>, qf::ref<1>));
int main() {}
