// A shrunk axis must select an index inside its dimension: begin 7 on a
// dimension of 3. Issue #8: the compile-time path used to read out of
// bounds here; the runtime path rejected it.
// expect: qfence: a shrunk axis of strided_slice selects an index outside its dimension
// expect: at_node<\s*1,\s*qfence::op::strided_slice\s*>, qfence::operand<0>
#include "qfence.hpp"
namespace qf = qfence;
inline constexpr qf::slice_spec<2> spec{{0, 7}, {2, 8}, {1, 1}, 0, 0, 0b10};
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<2, 3>>>(), qf::strided_slice<spec>(qf::ref<0>));
int main() {}
