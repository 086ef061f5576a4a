// REDUCE_MAX selects raw values: it cannot write other parameters than its
// input's, and the message says where to rescale instead.
// expect: its output has its input's dtype and quantization. fix: requantize after the node
// expect: at_node<\s*1,\s*qfence::op::reduce_max\s*>
#include "qfence.hpp"
namespace qf = qfence;
using In = qf::tensor<qf::i8, qf::shape<2, 8>, qf::per_tensor<0.05f, -3>>;
constexpr auto net = qf::graph(qf::input<In>(), qf::reduce_max<1>(qf::ref<0>, qf::out<qf::per_tensor<0.1f, 0>>));
int main() {}
