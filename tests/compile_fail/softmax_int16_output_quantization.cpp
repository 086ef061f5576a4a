// int8 -> int16 SOFTMAX writes scale 1/65536 and zero point -32768 (TFLM's
// kernel); an out<> with other parameters would make the output type lie.
// Issue #8: the compile-time path used to accept this one, the runtime path
// rejected it.
// expect: qfence: this op's quantized output has fixed parameters
// expect: at_node<\s*1,\s*qfence::op::softmax\s*>, qfence::node_output
// expect: expected<\s*qfence::tensor<\s*qfence::dtype::i16,\s*qfence::shape<1,\s*10>,\s*qfence::per_tensor<
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::i8, qf::shape<1, 10>, qf::per_tensor<0.1f, 3>>>(),
                               qf::softmax(qf::ref<0>, qf::out<qf::per_tensor<0.5f, 7>, qf::i16>));
int main() {}
