// A ranges table with a row per node of the model only, for a model whose
// if_ runs two branches: their nodes have rows too (quant/node_tree.hpp),
// and the one error says so.
// expect: then one per node of each model its if_ and while_ nodes run
#include "qfence.hpp"
namespace qf = qfence;
using X = qf::tensor<qf::f32, qf::shape<1, 4>>;
using C = qf::tensor<qf::boolean, qf::shape<1>>;
constexpr auto doubled = qf::graph(qf::input<X>(), qf::add(qf::ref<0>, qf::ref<0>));
constexpr auto kept = qf::graph(qf::input<X>(), qf::relu(qf::ref<0>));
constexpr auto net = qf::graph(qf::input<C>(), qf::input<X>(), qf::if_(qf::ref<0>, doubled, kept, qf::ref<1>),
                               qf::control_flow_output<decltype(doubled), 0>(qf::ref<2>));
inline constexpr std::array<qf::quant::real_range, 4> ranges{{{0, 0}, {-1, 1}, {0, 0}, {-2, 2}}};
constexpr auto int8_net = qf::quantize<net, ranges>();
int main() {}
