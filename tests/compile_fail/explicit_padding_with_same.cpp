// explicit_padding is the padding of a VALID window; beside same it is refused.
// expect: explicit padding amounts non-negative and with valid padding only
// expect: at_node<\s*1,\s*qfence::op::conv2d\s*>, qfence::node_output
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<float, 9> w{};
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<1, 4, 4, 1>>>(),
                               qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<1, 3, 3, 1>>>(w),
                                          qf::no_bias, qf::same, qf::explicit_padding<0, 1, 0, 1>));
int main() {}
