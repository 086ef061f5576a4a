// An int8 CONCATENATION copies bytes, so the compile-time quantizer gives
// its inputs' producers its parameters; RELU6 keeps its input's and cannot
// take them: one error naming the node and the ways out.
// expect: qfence::quantize: int8 CONCATENATION copies bytes
// expect: at_node<\s*3,\s*qfence::op::concatenation\s*>
// expect: fix: fence it in the float graph
#include "qfence.hpp"
namespace qf = qfence;
using F = qf::tensor<qf::f32, qf::shape<1, 4>>;
constexpr auto net = qf::graph(qf::input<F>(), qf::relu(qf::ref<0>), qf::relu6(qf::ref<0>),
                               qf::concatenation<1>(qf::ref<1>, qf::ref<2>));
inline constexpr std::array<qf::quant::real_range, 4> ranges{{{-1, 1}, {0, 1}, {0, 1}, {0, 1}}};
constexpr auto int8_net = qf::quantize<net, ranges>();
int main() {}
