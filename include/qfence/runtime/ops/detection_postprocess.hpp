// qfence/runtime/ops/detection_postprocess.hpp: TFLite_Detection_PostProcess,
// the SSD post-processing custom op TFLM ships, which qfence ships too (an
// application may still supply its own under the same name).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/detection_postprocess.hpp"
#include "qfence/rules/detection_postprocess.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// The custom code models give the op.
inline constexpr std::string_view detection_postprocess_code = "TFLite_Detection_PostProcess";

inline bool is_detection_postprocess(const operation& op) noexcept {
  return op.is_custom(detection_postprocess_code);
}

namespace ops {

/// Inputs: box encodings, class scores, anchors; outputs: boxes, classes,
/// scores, count (rules/detection_postprocess.hpp). What TFLM checks when it
/// invokes (batch 1, class counts, thresholds) is checked here, so that
/// invoke only fails where TFLM's does on the data: a decoded box that is
/// empty or inverted, which ends the invoke (invoke_status::ended_early).
inline kernel prepare_detection_postprocess(const op_context& ctx) {
  ctx.require_io(3, 3, 4);
  const detection_postprocess_options& o = ctx.options().detection;
  ctx.require(o.num_classes > 0, "num_classes is " + std::to_string(o.num_classes) + " (it must be positive)");
  ctx.require(o.max_detections >= 0, "max_detections is " + std::to_string(o.max_detections) + " (it must be >= 0)");
  ctx.require(o.nms_iou_threshold > 0.0f && o.nms_iou_threshold <= 1.0f,
              "nms_iou_threshold is " + std::to_string(o.nms_iou_threshold) + " (it must lie in (0, 1])");
  if (o.use_regular_nms)
    ctx.require(o.detections_per_class > 0,
                "detections_per_class is " + std::to_string(o.detections_per_class) + " (it must be positive)");
  else
    ctx.require(o.max_classes_per_detection > 0, "max_classes_per_detection is " +
                                                     std::to_string(o.max_classes_per_detection) +
                                                     " (it must be positive)");
  const tensor_desc outs[4] = {describe(ctx.output(0)), describe(ctx.output(1)), describe(ctx.output(2)),
                               describe(ctx.output(3))};
  const int misfit =
      detection_postprocess_misfit(o, describe(ctx.input(0)), describe(ctx.input(1)), describe(ctx.input(2)), outs);
  if (misfit >= 0) {
    const int d = o.output_detections();
    static const char* const what[] = {"input 0 (box encodings) must be f32 [1, N, >= 4]",
                                       "input 1 (class scores) must be f32 [1, N, num_classes or num_classes + 1]",
                                       "input 2 (anchors) must be f32 [N, 4]",
                                       "output 0 (boxes) must be f32 [1, D, 4]",
                                       "output 1 (classes) must be f32 [1, D]",
                                       "output 2 (scores) must be f32 [1, D]",
                                       "output 3 (the count) must be f32 [1]"};
    ctx.fail(std::string(what[misfit]) + " (N boxes, D = " + std::to_string(d) + " detections), got " +
             type_text(misfit < 3 ? ctx.input(misfit) : ctx.output(misfit - 3)));
  }
  const int n = ctx.input(0).dim(1);
  // One buffer for the kernel's arrays, carved once (new[] aligns it for float).
  auto bytes = std::make_shared<std::vector<std::byte>>(detection_postprocess_scratch_bytes(o, n));
  const detection_postprocess_scratch s = detection_postprocess_scratch_in(bytes->data(), o, n);
  const int in_boxes = ctx.input_index(0), in_scores = ctx.input_index(1), in_anchors = ctx.input_index(2);
  const int out[4] = {ctx.output_index(0), ctx.output_index(1), ctx.output_index(2), ctx.output_index(3)};
  const int stride = ctx.input(0).dim(2), classes_with_background = ctx.input(1).dim(2);
  return [=, bytes = std::move(bytes)](const tensor_memory& m) {
    const detection_postprocess_io io{m.at<const float>(in_boxes), stride, m.at<const float>(in_scores),
                                      classes_with_background,     m.at<const float>(in_anchors), n,
                                      m.at<float>(out[0]),          m.at<float>(out[1]),
                                      m.at<float>(out[2]),          m.at<float>(out[3])};
    if (!reference::detection_postprocess(o, io, s)) m.end_invoke = true;
  };
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
