// Issue #8: invoke took a raw std::byte*, so one model's arena handed to
// another compiled and overflowed. An arena is typed by its model now.
// expect: qfence: this arena was made for another model
// expect: fix: qfence::arena<decltype\(net\)>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto small = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4>>>(), qf::relu(qf::ref<0>));
constexpr auto large = qf::graph(qf::input<qf::tensor<qf::f32, qf::shape<4096>>>(), qf::relu(qf::ref<0>));
qf::arena<decltype(small)> arena;
int main() { large.invoke(arena); }
