// qfence/rules/detection_postprocess.hpp: the options and the operand rule
// of TFLite_Detection_PostProcess (TFLM's custom op; the kernel is
// kernels/reference/detection_postprocess.hpp).
//
// Operands: 0 box encodings [1, N, >= 4] (y, x, h, w relative to the
// anchors), 1 class scores [1, N, C + background], 2 anchors [N, 4] (y, x,
// h, w); all f32 (TFLM's kernel reads float only). Outputs: boxes [1, D, 4],
// classes [1, D], scores [1, D], the number of detections [1], all f32,
// where D = max_detections * max_classes_per_detection (fast NMS) or
// max_detections (regular NMS), as TFLite sizes them.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The custom options (a flexbuffer map) by their keys; a key the map lacks
/// reads as 0 (as flexbuffers reads a missing key), except
/// detections_per_class (100) and use_regular_nms (false).
struct detection_postprocess_options {
  int max_detections = 0;
  int max_classes_per_detection = 0;  // fast NMS
  int detections_per_class = 100;     // regular NMS
  bool use_regular_nms = false;
  float nms_score_threshold = 0.0f, nms_iou_threshold = 0.0f;
  int num_classes = 0;
  float y_scale = 0.0f, x_scale = 0.0f, h_scale = 0.0f, w_scale = 0.0f;
  friend constexpr bool operator==(const detection_postprocess_options&,
                                   const detection_postprocess_options&) = default;

  /// How many detections the outputs hold (TFLite's output sizes).
  constexpr int output_detections() const noexcept {
    return use_regular_nms ? max_detections : max_detections * max_classes_per_detection;
  }
};

/// Operand k (0-2) or output k (3-6) at fault, -1 when all fit.
constexpr int detection_postprocess_misfit(const detection_postprocess_options& o, const tensor_desc& boxes,
                                           const tensor_desc& scores, const tensor_desc& anchors,
                                           const tensor_desc* outputs) noexcept {
  if (boxes.type != dtype::f32 || boxes.rank != 3 || boxes.dim(0) != 1 || boxes.dim(2) < 4) return 0;
  const std::int64_t n = boxes.dim(1);
  const std::int64_t background = scores.rank == 3 ? scores.dim(2) - o.num_classes : -1;
  if (scores.type != dtype::f32 || scores.rank != 3 || scores.dim(0) != 1 || scores.dim(1) != n || background < 0 ||
      background > 1)
    return 1;
  if (anchors.type != dtype::f32 || anchors.rank != 2 || anchors.dim(0) != n || anchors.dim(1) != 4) return 2;
  const std::int64_t d = o.output_detections();
  const std::int64_t want[4][3] = {{1, d, 4}, {1, d, 0}, {1, d, 0}, {1, 0, 0}};
  const int ranks[4] = {3, 2, 2, 1};
  for (int k = 0; k < 4; ++k) {
    const tensor_desc& out = outputs[k];
    if (out.type != dtype::f32 || out.rank != ranks[k]) return 3 + k;
    for (int i = 0; i < ranks[k]; ++i)
      if (out.dim(i) != want[k][i]) return 3 + k;
  }
  return -1;
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
