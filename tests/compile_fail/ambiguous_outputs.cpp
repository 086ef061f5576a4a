// Issue #8: output<K> used to mean "the K-th node nobody reads", so adding an
// unused node renumbered the outputs. A graph with several such nodes must
// now declare its outputs; the error lists the candidates.
// expect: qfence: this graph's outputs are not declared and several nodes are read by no other node
// expect: nodes_read_by_no_one<\s*1,\s*2\s*>
// expect: fix: declare them, in order: qfence::graph\(...\).outputs\(qfence::ref<i>, qfence::ref<j>\)
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(), qf::relu(qf::ref<0>),
                               qf::relu6(qf::ref<0>));  // a debug tap nobody reads
qf::arena<decltype(net)> arena;
int main() {
  net.invoke(arena);
  return static_cast<int>(arena.output<0>()[0]);
}
