// A float-only custom op between int8 tensors, not fenced.
// expect: custom op 'gelu' has no registered quantizer; wrap it in a fence, give it a table \(qfence::tabulated<Op>
// expect: at_node<\s*1,\s*gelu\s*>
#include "qfence.hpp"
#include <cmath>
namespace qf = qfence;
struct gelu {
  QFENCE_CUSTOM_OP(gelu)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  template <class In, class Out> static void run(const float* in, float* out) {
    for (int i = 0; i < In::elements; ++i) out[i] = 0.5f * in[i] * (1 + std::erf(in[i] * 0.70710678f));
  }
};
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::i8, qf::shape<1, 8>, qf::per_tensor<0.1f, 0>>>(),
                               qf::custom<gelu>(qf::ref<0>),
                               qf::relu(qf::ref<1>));
int main() {}
