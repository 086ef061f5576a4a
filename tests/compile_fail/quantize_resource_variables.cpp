// The compile-time quantizer refuses resource variables with one message
// instead of fencing them (a fence would lose CALL_ONCE's flag across invokes).
// expect: qfence::quantize<model, ranges>: the compile-time quantizer does not quantize resource variables
#include "qfence.hpp"
namespace qf = qfence;
using X = qf::tensor<qf::f32, qf::shape<1, 4>>;
inline constexpr std::array<float, 4> start{1.0f, -2.0f, 0.5f, 4.0f};
constexpr auto init_model = qf::graph(qf::literal(qf::make_constant<X>(start)));
constexpr auto accumulator =
    qf::graph(qf::input<X>(), qf::variable<X>(), qf::call_once(init_model, qf::ref<1>), qf::read_variable(qf::ref<1>),
              qf::add(qf::ref<3>, qf::ref<0>), qf::assign_variable(qf::ref<1>, qf::ref<4>))
        .outputs(qf::ref<4>);
inline constexpr std::array<qf::quant::real_range, 6> ranges{};
constexpr auto q = qf::quantize<accumulator, ranges>();
int main() {}
