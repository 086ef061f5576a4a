// ASSIGN_VARIABLE copies the value's bytes into the variable, so the value
// must have the variable's dtype and size (the runtime path refuses a
// different size when it prepares the op; the typed graph also requires one
// dtype, as for IF and WHILE: rules/control_flow.hpp, passes_as).
// expect: qfence: assign_variable writes a value of the variable's dtype and size
// expect: at_node<\s*3,\s*qfence::op::assign_variable\s*>, qfence::operand<1>
#include "qfence.hpp"
namespace qf = qfence;
using X = qf::tensor<qf::f32, qf::shape<1, 4>>;
using Y = qf::tensor<qf::f32, qf::shape<1, 5>>;
constexpr auto net = qf::graph(qf::input<X>(), qf::input<Y>(), qf::variable<X>(),
                               qf::assign_variable(qf::ref<2>, qf::ref<1>));
int main() {}
