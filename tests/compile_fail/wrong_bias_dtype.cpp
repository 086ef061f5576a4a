// An int8 conv takes an int32 bias, not a float one.
// expect: qfence: the bias has the wrong dtype or shape
// expect: bias<\s*qfence::tensor<\s*qfence::dtype::f32
// expect: at_node<\s*1,\s*qfence::op::conv2d\s*>
// expect: expected<\s*qfence::tensor<\s*qfence::dtype::i32,\s*qfence::shape<2>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<std::int8_t, 2 * 1 * 1 * 3> w{};
inline constexpr std::array<float, 2> b{};
constexpr auto net = qf::graph(
    qf::input<qf::tensor<qf::i8, qf::shape<1, 4, 4, 3>, qf::per_tensor<0.1f, 0>>>(),
    qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::i8, qf::shape<2, 1, 1, 3>, qf::per_tensor<0.01f, 0>>>(w),
               qf::make_constant<qf::tensor<qf::f32, qf::shape<2>>>(b), qf::out<qf::per_tensor<0.1f, 0>>));
int main() {}
