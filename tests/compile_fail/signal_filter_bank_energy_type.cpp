// The filter bank takes the u32 energies SignalEnergy writes; an i32 vector
// (a CAST too few) is refused with the op's one message, naming the operand.
// expect: signal_filter_bank takes u32 energies \[bins\]
// expect: at_node<\s*6,\s*qfence::op::signal_filter_bank\s*>
// expect: operand<\s*0\s*>
#include "qfence.hpp"
#include <cstdint>

namespace qf = qfence;
using Energies = qf::tensor<qf::i32, qf::shape<8>>;
using Table = qf::tensor<qf::i16, qf::shape<3>>;
constexpr std::int16_t weights[3] = {4096, 2048, 0}, starts[3] = {0, 1, 2}, widths[3] = {1, 1, 1};
constexpr auto net = qf::graph(qf::input<Energies>(), qf::literal(qf::make_constant<Table>(weights)),
                               qf::literal(qf::make_constant<Table>(weights)),
                               qf::literal(qf::make_constant<Table>(starts)),
                               qf::literal(qf::make_constant<Table>(starts)),
                               qf::literal(qf::make_constant<Table>(widths)),
                               qf::signal_filter_bank<2>(qf::ref<0>, qf::ref<1>, qf::ref<2>, qf::ref<3>, qf::ref<4>,
                                                         qf::ref<5>));
int main() {}
