// TFLM's Detection_PostProcess reads float scores only: int8 scores are
// refused where the node is written, naming the node and the fix.
// expect: detection_postprocess takes f32 box encodings
// expect: fix: dequantize the operand or correct its shape
// expect: at_node<\s*3,\s*qfence::op::detection_postprocess\s*>
#include "qfence.hpp"
namespace qf = qfence;
using Boxes = qf::tensor<qf::f32, qf::shape<1, 2, 4>>;
using Scores = qf::tensor<qf::i8, qf::shape<1, 2, 2>, qf::per_tensor<0.01f, 0>>;
using Anchors = qf::tensor<qf::f32, qf::shape<2, 4>>;
using spec = qf::detection_postprocess_spec<1, 1, 1, false, 1, qf::float_bits(0.0f), qf::float_bits(0.5f),
                                            qf::float_bits(1.0f), qf::float_bits(1.0f), qf::float_bits(1.0f),
                                            qf::float_bits(1.0f)>;
inline constexpr std::array<float, 8> anchors{0.5f, 0.5f, 0.2f, 0.2f, 0.1f, 0.1f, 0.2f, 0.2f};
constexpr auto net = qf::graph(qf::input<Boxes>(), qf::input<Scores>(),
                               qf::literal(qf::make_constant<Anchors>(anchors)),
                               qf::detection_postprocess<spec>(qf::ref<0>, qf::ref<1>, qf::ref<2>),
                               qf::detection_postprocess_output<spec, 0>(qf::ref<3>))
                         .outputs(qf::ref<4>);
int main() {}
