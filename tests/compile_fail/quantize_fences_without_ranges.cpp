// quantize_fences without the ranges, for a model with an if_: whether the
// if_ is quantized depends on them (the nodes of a branch no sample took
// stay float).
// expect: qfence::quantize_fences<model>: whether an if_ or while_ is quantized depends on the ranges
#include "qfence.hpp"
namespace qf = qfence;
using X = qf::tensor<qf::f32, qf::shape<1, 4>>;
using C = qf::tensor<qf::boolean, qf::shape<1>>;
constexpr auto doubled = qf::graph(qf::input<X>(), qf::add(qf::ref<0>, qf::ref<0>));
constexpr auto kept = qf::graph(qf::input<X>(), qf::relu(qf::ref<0>));
constexpr auto net = qf::graph(qf::input<C>(), qf::input<X>(), qf::if_(qf::ref<0>, doubled, kept, qf::ref<1>),
                               qf::control_flow_output<decltype(doubled), 0>(qf::ref<2>));
int main() { return static_cast<int>(qf::quantize_fences<net>().size()); }
