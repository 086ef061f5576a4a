// qfence/tflite/custom_options.hpp: the options of the custom ops qfence
// ships, read from their flexbuffer (an operator's custom_options) into the
// flat runtime::op_options. Custom ops an application supplies keep their
// raw bytes (operation::custom_options) for the application to read.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/runtime/ops/circular_buffer.hpp"
#include "qfence/runtime/ops/detection_postprocess.hpp"
#include "qfence/runtime/ops/signal/energy.hpp"
#include "qfence/runtime/ops/signal/fft.hpp"
#include "qfence/runtime/ops/signal/filter_bank.hpp"
#include "qfence/runtime/ops/signal/framing.hpp"
#include "qfence/runtime/ops/signal/pcan.hpp"
#include "qfence/runtime/ops/signal/window.hpp"
#include "qfence/tflite/flexbuffer_reader.hpp"
#include "qfence/tflite/tensor_type.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite::detail {

/// The options of TFLM's signal ops, read as TFLM reads them: by position
/// (FlexbufferWrapper::ElementAsInt32(i), value i of the map, whose keys are
/// sorted), each position with the key TFLM's source names for it. A map
/// whose key at that position differs (one missing, one added) would make
/// TFLM read another option: refused, naming the key.
class positional_options {
 public:
  positional_options(const runtime::operation& op, const std::string& what)
      : r_(op.custom_options, what), what_(what) {}

  std::int32_t integer(std::size_t i, std::string_view key) const {
    const auto at = r_.find(key);
    if (!at || *at != i)
      throw runtime::model_error(what_ + ": custom option '" + std::string(key) + "' " +
                                 (at ? "is value " + std::to_string(*at) + " of" : std::string("is missing from")) +
                                 " the options map; TFLM reads it as value " + std::to_string(i) +
                                 " (the keys in sorted order), so the map must hold exactly the op's options");
    return static_cast<std::int32_t>(r_.integer(i, key));  // TFLM's int64 -> int32
  }

  /// Option "T" (value 0: it sorts first), a TensorType code, as one of the
  /// dtypes `op` runs (`names` spells them for the error).
  dtype type(const runtime::operation& op, std::initializer_list<dtype> runs, const char* names) const {
    const std::int32_t code = integer(0, "T");
    const auto d = code >= -128 && code <= 127 ? to_dtype(static_cast<std::int8_t>(code)) : std::nullopt;
    if (!d || std::find(runs.begin(), runs.end(), *d) == runs.end())
      throw runtime::model_error(what_ + ": custom option T is " +
                                 (code >= -128 && code <= 127 ? tensor_type_name(static_cast<std::int8_t>(code))
                                                              : "TensorType(" + std::to_string(code) + ")") +
                                 "; TFLM's " + op.custom_code + " runs " + names + " only");
    return *d;
  }

 private:
  flexbuffer_reader r_;
  std::string what_;
};

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
  } else if (op.is_custom(runtime::signal_window_code)) {
    op.options.signal_window.shift = positional_options(op, what).integer(0, "shift");
  } else if (op.is_custom(runtime::signal_energy_code)) {
    const positional_options o(op, what);
    op.options.signal_energy = {o.integer(1, "start_index"), o.integer(0, "end_index")};
  } else if (op.is_custom(runtime::signal_filter_bank_code)) {
    op.options.signal_filter_bank.num_channels = positional_options(op, what).integer(0, "num_channels");
  } else if (op.is_custom(runtime::signal_filter_bank_log_code)) {
    const positional_options o(op, what);
    op.options.signal_filter_bank_log = {o.integer(0, "input_correction_bits"), o.integer(1, "output_scale")};
  } else if (op.is_custom(runtime::signal_filter_bank_spectral_subtraction_code)) {
    const positional_options o(op, what);
    auto& a = op.options.signal_spectral_subtraction;
    // TFLM's config holds uint32: a negative option converts to a large
    // value (a shift the rule refuses).
    auto u = [&](std::size_t i, std::string_view key) { return static_cast<std::uint32_t>(o.integer(i, key)); };
    a.config.alternate_one_minus_smoothing = u(0, "alternate_one_minus_smoothing");
    a.config.alternate_smoothing = u(1, "alternate_smoothing");
    a.config.clamping = o.integer(2, "clamping") != 0;
    a.config.min_signal_remaining = u(3, "min_signal_remaining");
    a.num_channels = o.integer(4, "num_channels");
    a.config.one_minus_smoothing = u(5, "one_minus_smoothing");
    a.config.smoothing = u(6, "smoothing");
    a.config.smoothing_bits = u(7, "smoothing_bits");
    a.config.spectral_subtraction_bits = u(8, "spectral_subtraction_bits");
  } else if (op.is_custom(runtime::signal_rfft_code) || op.is_custom(runtime::signal_irfft_code)) {
    // TFLM reads "T" by key and fft_length as value 1 ("T" sorts first).
    const positional_options o(op, what);
    op.options.signal_fft = {o.type(op, {dtype::i16, dtype::i32, dtype::f32}, "INT16, INT32 and FLOAT32"),
                             o.integer(1, "fft_length")};
  } else if (op.is_custom(runtime::signal_overlap_add_code)) {
    const positional_options o(op, what);
    op.options.signal_overlap_add = {o.type(op, {dtype::i16, dtype::f32}, "INT16 and FLOAT32"),
                                     o.integer(1, "frame_step")};
  } else if (op.is_custom(runtime::signal_delay_code)) {
    op.options.signal_delay.delay_length = positional_options(op, what).integer(0, "delay_length");
  } else if (op.is_custom(runtime::signal_framer_code)) {
    const positional_options o(op, what);
    op.options.signal_framer = {o.integer(0, "frame_size"), o.integer(1, "frame_step"), o.integer(2, "prefill") != 0};
  } else if (op.is_custom(runtime::signal_stacker_code)) {
    const positional_options o(op, what);
    op.options.signal_stacker = {o.integer(0, "num_channels"), o.integer(1, "stacker_left_context"),
                                 o.integer(2, "stacker_right_context"), o.integer(3, "stacker_step")};
  } else if (op.is_custom(runtime::signal_pcan_code)) {
    op.options.signal_pcan.snr_shift = positional_options(op, what).integer(0, "snr_shift");
  }
}

}  // namespace qfence::tflite::detail

QFENCE_EXACT_FLOAT_END
