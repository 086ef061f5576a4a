// fully_connected weights [10, 32] on a [2, 60] input: 120 elements do not
// make rows of 32.
// expect: qfence: the weight shape does not fit the input
// expect: at_node<\s*1,\s*qfence::op::fully_connected\s*>
// expect: expected<\s*qfence::tensor<\s*qfence::dtype::f32,\s*qfence::shape<10,\s*60>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<float, 10 * 32> w{};
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<2, 60>>>(),
                               qf::fully_connected(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<10, 32>>>(w),
                                                   qf::no_bias));
int main() {}
