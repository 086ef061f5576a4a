// Per-tensor int8 FULLY_CONNECTED weights with zero point 9: TFLite's int8
// kernels take symmetric weights only. Issue #8: the compile-time path used
// to accept them, the runtime path rejected them.
// expect: qfence: int8 weights must be symmetric
// expect: at_node<\s*1,\s*qfence::op::fully_connected\s*>, qfence::operand<1>
// expect: weights<\s*qfence::tensor<\s*qfence::dtype::i8,\s*qfence::shape<4,\s*8>,\s*qfence::per_tensor<[^>]*,\s*9>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<std::int8_t, 4 * 8> w{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::i8, qf::shape<1, 8>, qf::per_tensor<0.1f, 0>>>(),
    qf::fully_connected(qf::ref<0>, qf::make_constant<qf::tensor<qf::i8, qf::shape<4, 8>, qf::per_tensor<0.02f, 9>>>(w),
                        qf::no_bias, qf::out<qf::per_tensor<0.2f, 0>>));
int main() {}
