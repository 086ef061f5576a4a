// CIRCULAR_BUFFER counts invokes in a state node of its own; any other node
// as its second operand is refused, naming the node to write.
// expect: circular_buffer's operand 1 is its count of invokes, a state node of its own
// expect: qfence::state<qfence::circular_buffer_count>\(\)
// expect: at_node<\s*1,\s*qfence::op::circular_buffer\s*>
#include "qfence.hpp"
namespace qf = qfence;
using X = qf::tensor<qf::i8, qf::shape<1, 1, 1, 4>, qf::per_tensor<0.05f, -3>>;
constexpr auto net = qf::graph(qf::input<X>(), qf::circular_buffer<3, 2>(qf::ref<0>, qf::ref<0>));
int main() {}
