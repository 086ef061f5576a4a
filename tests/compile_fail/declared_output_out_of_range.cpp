// Outputs declared before the nodes (as qfence embed writes graphs) are
// checked as .outputs(ref<i>...) is: a node the graph does not have is
// named, not read past the graph.
// expect: qfence: declared outputs \(\.outputs\(ref<i>\.\.\.\) or declare_outputs<i\.\.\.>\) name a node the graph does not have
// expect: operand<\s*5\s*>
#include "qfence.hpp"
namespace qf = qfence;
constexpr auto net =
    qf::graph(qf::declare_outputs<5>, qf::input<qf::tensor<qf::f32, qf::shape<4>>>(), qf::relu(qf::ref<0>));
int main() {}
