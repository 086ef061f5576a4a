// An int8 value passed to an if_ branch whose input has other quantization
// parameters: the bytes are copied, so the branch would read another
// number. One error, naming the rule.
// expect: qfence: if_'s inputs after the condition must match the then-branch model's inputs, in number and each in dtype, size and quantization
#include "qfence.hpp"
namespace qf = qfence;
using C = qf::tensor<qf::boolean, qf::shape<1>>;
using A = qf::tensor<qf::i8, qf::shape<1, 4>, qf::per_tensor<0.05f, 0>>;
using B = qf::tensor<qf::i8, qf::shape<1, 4>, qf::per_tensor<0.1f, 0>>;
constexpr auto then_branch = qf::graph(qf::input<B>(), qf::relu(qf::ref<0>));
constexpr auto else_branch = qf::graph(qf::input<B>(), qf::relu(qf::ref<0>));
constexpr auto net = qf::graph(qf::input<C>(), qf::input<A>(), qf::if_(qf::ref<0>, then_branch, else_branch, qf::ref<1>),
                               qf::control_flow_output<decltype(then_branch), 0>(qf::ref<2>));
int main() {
  auto arena = std::make_unique<qf::arena<decltype(net)>>();
  return static_cast<int>(net.invoke(*arena));
}
