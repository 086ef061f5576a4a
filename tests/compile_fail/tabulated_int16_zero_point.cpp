// A custom op's int16 table (TFLite's interpolated one) writes int16 with
// zero point 0, as TFLite's int16 kernels require; the runtime path refuses
// the same model with the same text (both_paths_test.cpp, one rule:
// float_function_rule).
// expect: qfence: the output must be quantized per tensor \(and int16 outputs with zero point 0\)
// expect: at_node<\s*1,\s*soft_sign\s*>, qfence::node_output
#include "qfence.hpp"
namespace qf = qfence;
struct soft_sign {
  QFENCE_CUSTOM_OP(soft_sign)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (long i = 0; i < In::elements; ++i) out[i] = apply(in[i]);
  }
  static constexpr float apply(float x) { return x / (1.0f + (x < 0 ? -x : x)); }
};
constexpr auto net = qf::graph(qf::input<qf::tensor<qf::i16, qf::shape<1, 10>, qf::per_tensor<0.001f, 0>>>(),
                               qf::tabulated<soft_sign>(qf::ref<0>, qf::out<qf::per_tensor<0.0001f, 5>>));
int main() {}
