// A 5x5 VALID filter on a 3x3 input has no output.
// expect: qfence: the output would be empty
// expect: at_node<\s*1,\s*qfence::op::conv2d\s*>, qfence::node_output
// expect: fix: use qfence::same padding or a smaller filter
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr std::array<float, 25> w{};
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<1, 3, 3, 1>>>(),
                               qf::conv2d(qf::ref<0>, qf::make_constant<qf::tensor<qf::f32, qf::shape<1, 5, 5, 1>>>(w),
                                          qf::no_bias, qf::valid));
int main() {}
