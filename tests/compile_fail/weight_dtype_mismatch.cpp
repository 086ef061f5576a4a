// A float input with int8 weights.
// expect: qfence: the weight dtype does not match the input
// expect: at_node<\s*1,\s*qfence::op::depthwise_conv2d\s*>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<std::int8_t, 9 * 4> w{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::f32, qf::shape<1, 6, 6, 4>>>(),
    qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::i8, qf::shape<1, 3, 3, 4>, qf::per_tensor<0.1f, 0>>>(w),
                         qf::no_bias));
int main() {}
