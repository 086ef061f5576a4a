// Reading an output the model does not have is a compile error, not a read
// past the arena.
// expect: qfence: arena.output<K>\(\): K is not an output index of this model
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(), qf::relu(qf::ref<0>));
qf::arena<decltype(net)> arena;
int main() { return static_cast<int>(arena.output<1>()[0]); }
