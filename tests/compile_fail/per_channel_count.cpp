// Three per-channel scales for a conv with four output channels.
// expect: per-channel weight quantization needs one scale per output channel
// expect: expected<\s*qfence::tensor<\s*qfence::dtype::i8,\s*qfence::shape<4,\s*3,\s*3,\s*2>,\s*qfence::per_channel_scales<4,\s*0>
// expect: scales_given<3>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<float, 3> scales{0.1f, 0.2f, 0.3f};
inline constexpr std::array<int, 3> zeros{};
inline constexpr std::array<std::int8_t, 4 * 3 * 3 * 2> w{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::i8, qf::shape<1, 5, 5, 2>, qf::per_tensor<0.1f, 0>>>(),
    qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::i8, qf::shape<4, 3, 3, 2>, qf::per_channel<scales, zeros, 0>>>(w),
               qf::no_bias, qf::out<qf::per_tensor<0.1f, 0>>));
int main() {}
