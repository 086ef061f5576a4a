// Conv weights expect 4 input channels; the input has 3.
// expect: qfence: the weight shape does not fit the input
// expect: at_node<\s*1,\s*qfence::op::conv2d\s*>
// expect: weights<\s*qfence::tensor<\s*qfence::dtype::f32,\s*qfence::shape<8,\s*3,\s*3,\s*4>
// expect: expected<\s*qfence::tensor<\s*qfence::dtype::f32,\s*qfence::shape<8,\s*3,\s*3,\s*3>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<float, 8 * 3 * 3 * 4> w{};
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<1, 16, 16, 3>>>(),
                               qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<8, 3, 3, 4>>>(w),
                                          qf::no_bias));
int main() {}
