// qfence/tflite/custom_options.hpp: the options of the custom ops qfence
// ships, read from their flexbuffer (an operator's custom_options) into the
// flat runtime::op_options. Custom ops an application supplies keep their
// raw bytes (operation::custom_options) for the application to read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/runtime/ops/circular_buffer.hpp"
#include "qfence/runtime/ops/detection_postprocess.hpp"
#include "qfence/tflite/flexbuffer_reader.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite::detail {

/// Fills the options of `op` (read so far: code, custom code, custom
/// options) when it is a custom op qfence ships; `what` names it in errors.
inline void read_custom_options(runtime::operation& op, const std::string& what) {
  if (runtime::is_circular_buffer(op)) {
    // TFLM reads element 0 of the root (a map's values are in key order:
    // "cycles_max" is its only documented key); no options: 0, and TFLM's
    // shape rule picks the period (runtime::circular_buffer_period).
    if (op.custom_options.empty()) return;
    const flexbuffer_reader options(op.custom_options, what);
    // TFLM's ElementAsInt32: the int64 value cast to int32.
    op.options.cycles_max = static_cast<std::int32_t>(options.integer(0, "cycles_max"));
  } else if (runtime::is_detection_postprocess(op)) {
    // TFLM reads the map by key; a missing key reads as flexbuffers' null: 0.
    const flexbuffer_reader options(op.custom_options, what);
    auto integer = [&](std::string_view key, std::int64_t absent) {
      const auto k = options.find(key);
      return k ? static_cast<std::int32_t>(options.integer(*k, key)) : static_cast<std::int32_t>(absent);
    };
    auto number = [&](std::string_view key) {
      const auto k = options.find(key);
      return k ? static_cast<float>(options.number(*k, key)) : 0.0f;
    };
    auto& d = op.options.detection;
    d.max_detections = integer("max_detections", 0);
    d.max_classes_per_detection = integer("max_classes_per_detection", 0);
    d.detections_per_class = integer("detections_per_class", 100);
    d.use_regular_nms = integer("use_regular_nms", 0) != 0;
    d.nms_score_threshold = number("nms_score_threshold");
    d.nms_iou_threshold = number("nms_iou_threshold");
    d.num_classes = integer("num_classes", 0);
    d.y_scale = number("y_scale");
    d.x_scale = number("x_scale");
    d.h_scale = number("h_scale");
    d.w_scale = number("w_scale");
  }
}

}  // namespace qfence::tflite::detail

QFENCE_EXACT_FLOAT_END
