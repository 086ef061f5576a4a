// SVDF's kernel has one feature scale: per-channel feature weights would be
// rescaled with the first channel's scale only. Issue #8: the compile-time
// path used to accept them silently.
// expect: qfence: svdf takes an i8 input, i8 feature weights
// expect: at_node<\s*2,\s*qfence::op::svdf\s*>, qfence::operand<1>
// expect: scales_given<4>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<float, 4> scales{0.1f, 0.2f, 0.3f, 0.4f};
inline constexpr std::array<int, 4> zeros{};
inline constexpr std::array<std::int8_t, 4 * 6> wf{};
inline constexpr std::array<std::int16_t, 4 * 3> wt{};
using state_t = qf::tensor<qf::i16, qf::shape<1, 12>, qf::per_tensor<0.01f, 0>>;
inline constexpr std::array<std::int16_t, 12> state0{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::i8, qf::shape<1, 6>, qf::per_tensor<0.1f, 0>>>(),
    qf::state(qf::make_constant<state_t>(state0)),
    qf::svdf<1>(qf::ref<0>, qf::ref<1>,
                qf::make_constant<qf::tensor<qf::i8, qf::shape<4, 6>, qf::per_channel<scales, zeros, 0>>>(wf),
                qf::make_constant<qf::tensor<qf::i16, qf::shape<4, 3>, qf::per_tensor<0.001f, 0>>>(wt), qf::no_bias,
                qf::out<qf::per_tensor<0.05f, 0>>));
int main() {}
