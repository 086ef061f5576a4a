// The fenced op's float output feeds an int8 add, but the fence does not say
// how to quantize it.
// expect: fence without output parameters
// expect: fix: qfence::fence\(node, qfence::out<qfence::per_tensor<scale, zero_point>>\)
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
using Q = qf::per_tensor<0.1f, 0>;
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::i8, qf::shape<1, 8>, Q>>(),
                               qf::fence(qf::custom<gelu>(qf::ref<0>)),
                               qf::add(qf::ref<0>, qf::ref<1>, qf::out<Q>));
int main() {}
