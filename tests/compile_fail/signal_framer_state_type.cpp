// SignalFramer keeps its samples in state nodes of its own; a state of
// another shape (a queue sized for another frame) is refused, naming the
// operand and the state type to write.
// expect: signal_framer's operand 1 is its queue of samples, a state node of its own
// expect: qfence::state<qfence::signal_framer_queue<Input, FrameSize, FrameStep>>\(\)
// expect: at_node<\s*3,\s*qfence::op::signal_framer\s*>
// expect: operand<\s*1\s*>
#include "qfence.hpp"
namespace qf = qfence;
using Samples = qf::tensor<qf::i16, qf::shape<160>>;
constexpr auto net = qf::graph(qf::input<Samples>(),
                               qf::state<qf::signal_framer_queue<Samples, 400, 80>>(),  // not the 480-sample frame
                               qf::state<qf::signal_framer_counts<Samples>>(),
                               qf::signal_framer<480, 160, true>(qf::ref<0>, qf::ref<1>, qf::ref<2>));
int main() {}
