// qfence/ops/detection_postprocess.hpp: TFLite_Detection_PostProcess (TFLM's
// SSD post-processing custom op) as typed nodes (rules/ and
// kernels/reference/detection_postprocess.hpp).
//
//   using spec = qf::detection_postprocess_spec<MaxDetections, MaxClassesPerDetection,
//       DetectionsPerClass, RegularNms, NumClasses, qf::float_bits(score_threshold),
//       qf::float_bits(iou_threshold), qf::float_bits(y_scale), qf::float_bits(x_scale),
//       qf::float_bits(h_scale), qf::float_bits(w_scale)>;
//   qf::detection_postprocess<spec>(qf::ref<boxes>, qf::ref<scores>, qf::ref<anchors>)   // node p
//   qf::detection_postprocess_output<spec, K>(qf::ref<p>)   // K: 0 boxes, 1 classes, 2 scores, 3 count
//
// The op's four outputs are packed in its node's output, back to back; one
// node per output takes it out (as for a model's custom ops). An invoke on
// which a decoded box is empty or inverted ends at the op (TFLM's kernel
// fails there): invoke returns invoke_status::ended_early.
#pragma once

#include <bit>
#include <cstdint>
#include <tuple>

#include "qfence/core/exact_float.hpp"
#include "qfence/graph/custom_op.hpp"
#include "qfence/kernels/reference/detection_postprocess.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/detection_postprocess.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct detection_postprocess {
  static constexpr const char* name = "TFLite_Detection_PostProcess";  // a TFLM custom op: no builtin code
};
}  // namespace op

/// A float as a template argument (Clang 14 takes no float template
/// arguments): its bits.
constexpr std::uint32_t float_bits(float f) noexcept { return std::bit_cast<std::uint32_t>(f); }

/// The op's options as template arguments (floats by their bits).
template <int MaxDetections, int MaxClassesPerDetection, int DetectionsPerClass, bool RegularNms, int NumClasses,
          std::uint32_t ScoreThreshold, std::uint32_t IouThreshold, std::uint32_t YScale, std::uint32_t XScale,
          std::uint32_t HScale, std::uint32_t WScale>
struct detection_postprocess_spec {
  static constexpr detection_postprocess_options options{
      MaxDetections,
      MaxClassesPerDetection,
      DetectionsPerClass,
      RegularNms,
      std::bit_cast<float>(ScoreThreshold),
      std::bit_cast<float>(IouThreshold),
      NumClasses,
      std::bit_cast<float>(YScale),
      std::bit_cast<float>(XScale),
      std::bit_cast<float>(HScale),
      std::bit_cast<float>(WScale)};
  static constexpr int detections = options.output_detections();
  /// The four outputs, packed in the op node's output in this order.
  using outputs = std::tuple<tensor<dtype::f32, shape<1, detections, 4>>, tensor<dtype::f32, shape<1, detections>>,
                             tensor<dtype::f32, shape<1, detections>>, tensor<dtype::f32, shape<1>>>;
};

template <class Spec, int Boxes, int Scores, int Anchors>
struct detection_postprocess_node {
  using op = op::detection_postprocess;
  using inputs = refs<Boxes, Scores, Anchors>;
  using packing = detail::packed_outputs<typename Spec::outputs>;
  static constexpr detection_postprocess_options o = Spec::options;

  template <class B, class S, class A>
  static constexpr int misfit() {
    const tensor_desc outs[4] = {describe<std::tuple_element_t<0, typename Spec::outputs>>(),
                                 describe<std::tuple_element_t<1, typename Spec::outputs>>(),
                                 describe<std::tuple_element_t<2, typename Spec::outputs>>(),
                                 describe<std::tuple_element_t<3, typename Spec::outputs>>()};
    return detection_postprocess_misfit(o, describe<B>(), describe<S>(), describe<A>(), outs);
  }

  template <int Index, class B, class S, class A>
  static constexpr bool validate() {
    QFENCE_REQUIRE((misfit<B, S, A>() < 0), (at_node<Index, op>, operand<misfit<B, S, A>()>, producer<B>, producer<S>,
                                              producer<A>),
                   "qfence: detection_postprocess takes f32 box encodings [1, N, >= 4], f32 class scores [1, N, "
                   "num_classes (+1 background)] and f32 anchors [N, 4] (the operand named above). fix: dequantize "
                   "the operand or correct its shape")
    QFENCE_REQUIRE((o.num_classes > 0 && o.max_detections >= 0 && o.nms_iou_threshold > 0.0f &&
                    o.nms_iou_threshold <= 1.0f && (o.use_regular_nms ? o.detections_per_class > 0
                                                                       : o.max_classes_per_detection > 0)),
                   (at_node<Index, op>, Spec),
                   "qfence: detection_postprocess's options are out of range: num_classes and the detections per "
                   "class (regular NMS) or classes per detection (fast NMS) must be positive, max_detections >= 0, "
                   "nms_iou_threshold in (0, 1]. fix: correct the spec")
    return true;
  }

  template <int Index, class B, class S, class A>
  struct typed {
    using output = tensor<dtype::f32, shape<static_cast<int>(packing::elements)>>;
    static constexpr int n = B::shape_type::dim(1);
    static constexpr std::size_t scratch_bytes = detection_postprocess_scratch_bytes(o, n);

    /// false: a decoded box is empty or inverted; the invoke ends here.
    static bool run(const detection_postprocess_node&, const float* box_encodings, const float* scores,
                    const float* anchors, float* out, void* scratch) noexcept {
      const detection_postprocess_io io{box_encodings,
                                        static_cast<int>(B::shape_type::dim(2)),
                                        scores,
                                        static_cast<int>(S::shape_type::dim(2)),
                                        anchors,
                                        n,
                                        out + packing::template offset<0>(),
                                        out + packing::template offset<1>(),
                                        out + packing::template offset<2>(),
                                        out + packing::template offset<3>()};
      return reference::detection_postprocess(
          o, io, detection_postprocess_scratch_in(static_cast<std::byte*>(scratch), o, n));
    }
  };
};

/// The op's node (its four outputs packed).
template <class Spec, int Boxes, int Scores, int Anchors>
constexpr auto detection_postprocess(node_ref<Boxes>, node_ref<Scores>, node_ref<Anchors>) {
  return detection_postprocess_node<Spec, Boxes, Scores, Anchors>{};
}
/// Output K of the op's node `P`: 0 boxes, 1 classes, 2 scores, 3 the count.
template <class Spec, std::size_t K, int P>
constexpr auto detection_postprocess_output(node_ref<P>) {
  return model_custom_output_node<op::detection_postprocess, Spec, K, P>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
