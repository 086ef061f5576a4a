// TFLM's int8 LSTM keeps an int16 cell state: a float one is refused where
// the node is written, naming the rule and the operand.
// expect: unidirectional_sequence_lstm takes an input \[B, T, I\]
// expect: i8 input and weights, i32 biases, i16 cell
// expect: at_node<\s*3,\s*qfence::op::unidirectional_sequence_lstm\s*>
// expect: operand<\s*2\s*>
#include "qfence.hpp"
namespace qf = qfence;
using X = qf::tensor<qf::i8, qf::shape<1, 2, 1>, qf::per_tensor<0.05f, 0>>;
using Hidden = qf::tensor<qf::i8, qf::shape<1, 1>, qf::per_tensor<0.05f, 0>>;
using Cell = qf::tensor<qf::f32, qf::shape<1, 1>>;
using W = qf::tensor<qf::i8, qf::shape<1, 1>, qf::per_tensor<0.01f, 0>>;
using B = qf::tensor<qf::i32, qf::shape<1>>;
inline constexpr std::array<std::int8_t, 1> w{1};
inline constexpr std::array<std::int32_t, 1> b{0};
constexpr auto c = qf::make_constant<W>(w);
constexpr auto d = qf::make_constant<B>(b);
constexpr auto net = qf::graph(qf::input<X>(), qf::state<Hidden>(), qf::state<Cell>(),
                               qf::unidirectional_sequence_lstm<false>(qf::ref<0>, qf::ref<1>, qf::ref<2>, 0.0f, c, c,
                                                                       c, c, c, c, c, c, d, d, d, d));
int main() {}
