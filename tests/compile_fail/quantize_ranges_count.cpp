// Ranges for another model (a node count that differs): one error saying
// what the table must hold.
// expect: ranges must hold one real_range per node of the float model
#include "qfence.hpp"
namespace qf = qfence;
using F = qf::tensor<qf::f32, qf::shape<1, 4>>;
constexpr auto net = qf::graph(qf::input<F>(), qf::relu(qf::ref<0>));
inline constexpr std::array<qf::quant::real_range, 3> ranges{{{-1, 1}, {0, 1}, {0, 1}}};
constexpr auto int8_net = qf::quantize<net, ranges>();
int main() {}
