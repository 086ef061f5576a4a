// qfence/quant/image_samples.hpp: a directory of images as the samples of
// a one-input image model, and the one place that decides what a
// calibration directory holds.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/quant/image_file.hpp"
#include "qfence/tflite/support_metadata.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// The default normalisation for a model's image input: the one its
/// TFLite Support metadata gives (Model Maker's models carry it), else the
/// range its input's min/max statistics record (a float twin carries its
/// original's int8 input range), pixel 0 to min and 255 to max; else
/// [0, 1]. Metadata that cannot be followed (a std of 0, a count of values
/// that is not 1 or 3) is an error that names it.
inline image_normalization default_image_normalization(const runtime::model& m) {
  image_normalization n;
  if (m.inputs.size() != 1) return n;
  if (const std::optional<tflite::metadata_normalization> md = tflite::input_normalization(m, 0)) {
    const auto per_channel = [](const std::vector<float>& v, const char* what) {
      if (v.size() != 1 && v.size() != 3)
        throw data_error("calibration data: the model's metadata gives " + std::to_string(v.size()) + " " + what +
                         " values for its image input (1 or 3 expected). fix: give --mean and --scale");
      return std::array<float, 3>{v[0], v[v.size() == 3 ? 1 : 0], v[v.size() == 3 ? 2 : 0]};
    };
    n.mean = per_channel(md->mean, "mean");
    n.scale = per_channel(md->std, "std");
    for (const float s : n.scale)
      if (!(s != 0.0f) || !std::isfinite(s))
        throw data_error("calibration data: the model's metadata gives its image input a std of " + std::to_string(s) +
                         ", which no pixel can be divided by. fix: give --mean and --scale");
    for (const float v : n.mean)
      if (!std::isfinite(v))
        throw data_error("calibration data: the model's metadata gives its image input a mean that is not finite. "
                         "fix: give --mean and --scale");
    return n;
  }
  const runtime::quantization& q = m.tensors[static_cast<std::size_t>(m.inputs[0])].quant;
  if (q.min.size() == 1 && q.max.size() == 1 && q.max[0] > q.min[0]) {
    const float s = 255.0f / (q.max[0] - q.min[0]);
    n.scale = {s, s, s};
    n.mean = {-q.min[0] * s, -q.min[0] * s, -q.min[0] * s};
  }
  return n;
}

/// The images of `dir` (BMP, PGM, PPM, in file-name order) as samples of a
/// model whose one input is a float image, [1, H, W, C] or [1, C, H, W]
/// (C = 1 or 3: image_layout_of), or raw uint8 pixels so shaped. Each
/// image is read when its sample is used, so memory does not grow with the
/// directory.
class image_samples {
 public:
  /// `n`: how pixels become values (default: default_image_normalization);
  /// a model that reads raw uint8 pixels takes none.
  image_samples(std::filesystem::path dir, const runtime::model& m, const std::optional<image_normalization>& n)
      : dir_(std::move(dir)) {
    if (!std::filesystem::is_directory(dir_)) throw data_error("calibration data: '" + dir_.string() + "' is not a directory");
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      if (e.is_regular_file() && is_image_file(e.path())) files_.push_back(e.path());
    std::sort(files_.begin(), files_.end());
    if (files_.empty()) throw data_error("calibration data: no images (*.bmp, *.pgm, *.ppm) in '" + dir_.string() + "'");
    const runtime::tensor* in = m.inputs.size() == 1 ? &m.tensors[static_cast<std::size_t>(m.inputs[0])] : nullptr;
    raw_pixels_ = in != nullptr && in->type == dtype::u8 && !in->quant.quantized();
    const std::optional<image_layout> layout =
        in != nullptr && (in->type == dtype::f32 || raw_pixels_) ? image_layout_of(in->shape) : std::nullopt;
    if (!layout)
      throw data_error("calibration data: '" + dir_.string() + "' holds images, but the model's input" +
                       (m.inputs.size() == 1 ? " is " + runtime::type_text(*in) : "s are " + std::to_string(m.inputs.size())) +
                       "; images calibrate a model with one float input [1, H, W, 1 or 3] or [1, 1 or 3, H, W] (or "
                       "raw uint8 pixels so shaped). fix: give raw *.bin samples");
    layout_ = *layout;
    if (raw_pixels_ && n)
      throw data_error("calibration data: the model reads raw uint8 pixels (its input " + runtime::type_text(*in) +
                       " has no quantization), so --mean and --scale do not apply. fix: leave them out");
    if (!raw_pixels_) normalization_ = n ? *n : default_image_normalization(m);
  }
  std::size_t size() const noexcept { return files_.size(); }
  std::optional<std::string> fill(std::size_t sample, runtime::interpreter& interp) const {
    const image im = read_image(files_.at(sample));
    if (raw_pixels_) image_to_pixels(im, layout_, interp.input<std::uint8_t>(0).data());
    else image_to_input(im, layout_, normalization_, interp.input<float>(0).data());
    return std::nullopt;
  }

 private:
  std::filesystem::path dir_;
  image_normalization normalization_;
  std::vector<std::filesystem::path> files_;
  image_layout layout_;
  bool raw_pixels_ = false;
};

/// How the samples of a calibration directory are read and run.
struct sample_options {
  /// Images: how pixels become the input's values (default:
  /// default_image_normalization of the model).
  std::optional<image_normalization> normalization;
  /// The samples, in file-name order, are consecutive steps of one stream
  /// (samples_form_stream): a streaming model's variables carry over.
  bool stream = false;
};

/// The samples of calibration directory `dir` for model `m`: raw *.bin
/// files (DESIGN section 7) if it has them, else its images.
class calibration_samples {
 public:
  calibration_samples(const std::filesystem::path& dir, const runtime::model& m, const sample_options& options = {})
      : stream_(options.stream) {
    const std::optional<image_normalization>& n = options.normalization;
    if (has_raw_samples(dir)) {
      auto s = std::make_shared<directory_samples>(dir, m);
      size_ = s->size();
      fill_ = [s](std::size_t i, runtime::interpreter& r) { return s->fill(i, r); };
      what_ = std::to_string(size_) + " raw samples";
    } else {
      auto s = std::make_shared<image_samples>(dir, m, n);
      size_ = s->size();
      fill_ = [s](std::size_t i, runtime::interpreter& r) { return s->fill(i, r); };
      what_ = std::to_string(size_) + " images";
    }
  }
  std::size_t size() const noexcept { return size_; }
  std::optional<std::string> fill(std::size_t i, runtime::interpreter& r) const { return fill_(i, r); }
  bool stream() const noexcept { return stream_; }
  /// "64 raw samples", "11 images".
  const std::string& description() const noexcept { return what_; }

 private:
  static bool has_raw_samples(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir) || fs::is_directory(dir / "input0")) return true;  // let directory_samples say what is wrong
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".bin") return true;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && is_image_file(e.path())) return false;
    return true;
  }
  std::size_t size_ = 0;
  std::function<std::optional<std::string>(std::size_t, runtime::interpreter&)> fill_;
  std::string what_;
  bool stream_ = false;
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
