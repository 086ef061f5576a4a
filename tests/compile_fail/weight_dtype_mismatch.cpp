// A float input with legacy uint8 weights (float inputs take float weights,
// or symmetric int8 ones for TFLite's hybrid kernels; never uint8).
// expect: qfence: the weight dtype does not match the input
// expect: at_node<\s*1,\s*qfence::op::depthwise_conv2d\s*>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<std::uint8_t, 9 * 4> w{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::f32, qf::shape<1, 6, 6, 4>>>(),
    qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::u8, qf::shape<1, 3, 3, 4>, qf::per_tensor<0.1f, 128>>>(w),
                         qf::no_bias));
int main() {}
