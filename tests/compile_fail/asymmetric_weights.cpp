// TFLite int8 weights are symmetric.
// expect: int8 weights must be symmetric \(zero point 0\)
// expect: at_node<\s*1,\s*qfence::op::conv2d\s*>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<std::int8_t, 2 * 3> w{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::i8, qf::shape<1, 1, 1, 3>, qf::per_tensor<0.1f, 0>>>(),
    qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::i8, qf::shape<2, 1, 1, 3>, qf::per_tensor<0.1f, 5>>>(w),
               qf::no_bias, qf::out<qf::per_tensor<0.1f, 0>>));
int main() {}
