// A quantized fully_connected needs to be told its output quantization.
// expect: this node has a quantized input but no output quantization
// expect: fix: add qfence::out<qfence::per_tensor<scale, zero_point>>
// expect: at_node<\s*1,\s*qfence::op::fully_connected\s*>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<std::int8_t, 16> w{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::i8, qf::shape<1, 8>, qf::per_tensor<0.1f, 0>>>(),
    qf::fully_connected(qf::ref<0>, qf::make_constant<qf::tensor<qf::i8, qf::shape<2, 8>, qf::per_tensor<0.01f, 0>>>(w),
                        qf::no_bias));
int main() {}
