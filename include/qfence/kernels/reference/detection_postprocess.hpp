// qfence/kernels/reference/detection_postprocess.hpp:
// TFLite_Detection_PostProcess as TFLM computes it
// (kernels/detection_postprocess.cc): SSD box decoding against anchors,
// then non-max suppression, fast (each anchor's best classes, one NMS) or
// regular (one NMS per class).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <tuple>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/rules/detection_postprocess.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// What the kernel reads and writes; scratch arrays sized by
/// detection_postprocess_scratch.
struct detection_postprocess_io {
  const float* boxes;    // [N, box_stride]: y, x, h, w first
  int box_stride;
  const float* scores;   // [N, classes_with_background]
  int classes_with_background;
  const float* anchors;  // [N, 4]: y, x, h, w
  int boxes_count;       // N
  float* out_boxes;      // [D, 4]: ymin, xmin, ymax, xmax
  float* out_classes;    // [D]
  float* out_scores;     // [D]
  float* out_count;      // [1]
};

/// The kernel's working arrays (TFLM's scratch buffers), carved from one
/// byte buffer by both paths (detection_postprocess_scratch_in).
struct detection_postprocess_scratch {
  float* decoded;          // [N, 4]
  float* candidate_scores; // [N]
  float* kept_scores;      // [N]
  int* kept;               // [N]
  int* order;              // [wide]
  unsigned char* active;   // [N]
  int* selected;           // [N]
  int* per_class_best;     // [(max(num_classes, max_detections) + 1) * N]
  float* merged_scores;    // [wide]
  float* sorted_scores;    // [wide]
};

namespace detection_detail {
/// The array lengths for N boxes: wide = max(max_detections, 1) * N + N
/// holds a class's selections beside the best so far (regular NMS).
struct scratch_sizes {
  std::size_t boxes, wide, best;
};
constexpr scratch_sizes sizes_of(const detection_postprocess_options& o, int n) noexcept {
  const auto boxes = static_cast<std::size_t>(n);
  return {boxes, static_cast<std::size_t>(o.max_detections > 0 ? o.max_detections : 1) * boxes + boxes,
          static_cast<std::size_t>((o.num_classes > o.max_detections ? o.num_classes : o.max_detections) + 1) *
              boxes};
}
}  // namespace detection_detail

/// Bytes of the working arrays for N boxes.
constexpr std::size_t detection_postprocess_scratch_bytes(const detection_postprocess_options& o, int n) noexcept {
  const auto z = detection_detail::sizes_of(o, n);
  return (4 * z.boxes + 2 * z.boxes + 2 * z.wide) * sizeof(float) + (2 * z.boxes + z.wide + z.best) * sizeof(int) +
         z.boxes;
}

/// The working arrays in `bytes` (detection_postprocess_scratch_bytes of
/// them, aligned for float), each begun as its type (core/typed_storage.hpp).
inline detection_postprocess_scratch detection_postprocess_scratch_in(std::byte* bytes,
                                                                      const detection_postprocess_options& o,
                                                                      int n) noexcept {
  const auto z = detection_detail::sizes_of(o, n);
  auto take = [&]<class T>(T*, std::size_t count) {
    T* p = detail::begin_lifetime<T>(bytes, count);
    bytes += count * sizeof(T);
    return p;
  };
  detection_postprocess_scratch s{};
  s.decoded = take(static_cast<float*>(nullptr), 4 * z.boxes);
  s.candidate_scores = take(static_cast<float*>(nullptr), z.boxes);
  s.kept_scores = take(static_cast<float*>(nullptr), z.boxes);
  s.merged_scores = take(static_cast<float*>(nullptr), z.wide);
  s.sorted_scores = take(static_cast<float*>(nullptr), z.wide);
  s.kept = take(static_cast<int*>(nullptr), z.boxes);
  s.order = take(static_cast<int*>(nullptr), z.wide);
  s.selected = take(static_cast<int*>(nullptr), z.boxes);
  s.per_class_best = take(static_cast<int*>(nullptr), z.best);
  s.active = take(static_cast<unsigned char*>(nullptr), z.boxes);
  return s;
}

namespace reference {

namespace detection_detail {

/// Indices of `values` sorted by decreasing value, ties by index (TFLM's
/// stable merge sort).
inline void decreasing_order(const float* values, int n, int* order) {
  std::iota(order, order + n, 0);
  std::stable_sort(order, order + n, [&](int i, int j) { return values[i] > values[j]; });
}

/// The first k of the indices by decreasing value, ties by index (TFLM's
/// DecreasingPartialArgSort, with the same comparator).
inline void decreasing_partial_order(const float* values, int n, int k, int* order) {
  std::iota(order, order + n, 0);
  std::partial_sort(order, order + k, order + n,
                    [&](int i, int j) { return std::tie(values[i], j) > std::tie(values[j], i); });
}

inline float intersection_over_union(const float* decoded, int i, int j) {
  const float* a = decoded + 4 * i;
  const float* b = decoded + 4 * j;
  const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  const float ymin = std::max<float>(a[0], b[0]), xmin = std::max<float>(a[1], b[1]);
  const float ymax = std::min<float>(a[2], b[2]), xmax = std::min<float>(a[3], b[3]);
  const float intersection = std::max<float>(ymax - ymin, 0.0f) * std::max<float>(xmax - xmin, 0.0f);
  return intersection / (area_a + area_b - intersection);
}

/// Non-max suppression of one score per box: the indices of up to
/// `max_detections` boxes, best first, none overlapping a better one by
/// more than the IoU threshold. Returns how many.
inline int suppress(const detection_postprocess_options& o, const float* decoded, int n, const float* scores,
                    int max_detections, const detection_postprocess_scratch& s) {
  int kept = 0;
  for (int i = 0; i < n; ++i)
    if (scores[i] >= o.nms_score_threshold) {
      s.kept_scores[kept] = scores[i];
      s.kept[kept++] = i;
    }
  decreasing_order(s.kept_scores, kept, s.order);
  const int wanted = std::min(kept, max_detections);
  int selected = 0, active = kept;
  std::fill(s.active, s.active + kept, static_cast<unsigned char>(1));
  for (int i = 0; i < kept; ++i) {
    if (active == 0 || selected >= wanted) break;
    if (s.active[i] == 0) continue;
    s.selected[selected++] = s.kept[s.order[i]];
    s.active[i] = 0;
    --active;
    for (int j = i + 1; j < kept; ++j)
      if (s.active[j] == 1 &&
          intersection_over_union(decoded, s.kept[s.order[i]], s.kept[s.order[j]]) > o.nms_iou_threshold) {
        s.active[j] = 0;
        --active;
      }
  }
  return selected;
}

}  // namespace detection_detail

/// Decodes every box against its anchor (TFLM's DecodeCenterSizeBoxes, in
/// double) into [ymin, xmin, ymax, xmax]; false when a box is empty or
/// inverted (ymin >= ymax or xmin >= xmax), on which TFLM's kernel fails.
inline bool decode_boxes(const detection_postprocess_options& o, const detection_postprocess_io& io, float* decoded) {
  bool valid = true;
  for (int i = 0; i < io.boxes_count; ++i) {
    const float* e = io.boxes + static_cast<std::int64_t>(i) * io.box_stride;
    const float* a = io.anchors + 4 * i;
    const float ycenter = static_cast<float>(static_cast<double>(e[0]) / static_cast<double>(o.y_scale) *
                                                 static_cast<double>(a[2]) +
                                             static_cast<double>(a[0]));
    const float xcenter = static_cast<float>(static_cast<double>(e[1]) / static_cast<double>(o.x_scale) *
                                                 static_cast<double>(a[3]) +
                                             static_cast<double>(a[1]));
    const float half_h = static_cast<float>(
        0.5 * std::exp(static_cast<double>(e[2]) / static_cast<double>(o.h_scale)) * static_cast<double>(a[2]));
    const float half_w = static_cast<float>(
        0.5 * std::exp(static_cast<double>(e[3]) / static_cast<double>(o.w_scale)) * static_cast<double>(a[3]));
    float* d = decoded + 4 * i;
    d[0] = ycenter - half_h;
    d[1] = xcenter - half_w;
    d[2] = ycenter + half_h;
    d[3] = xcenter + half_w;
    if (d[0] >= d[2] || d[1] >= d[3]) valid = false;
  }
  return valid;
}

/// The whole op; false (outputs untouched) when a decoded box is empty or
/// inverted, where TFLM's kernel returns an error.
inline bool detection_postprocess(const detection_postprocess_options& o, const detection_postprocess_io& io,
                                  const detection_postprocess_scratch& s) {
  using namespace detection_detail;
  const int n = io.boxes_count, cb = io.classes_with_background, classes = o.num_classes;
  const int label_offset = cb - classes;
  if (!decode_boxes(o, io, s.decoded)) return false;
  auto write = [&](int k, int box, float cls, float score) {
    std::copy(s.decoded + 4 * box, s.decoded + 4 * box + 4, io.out_boxes + 4 * k);
    io.out_classes[k] = cls;
    io.out_scores[k] = score;
  };
  const int outputs = o.output_detections();
  if (o.use_regular_nms) {
    int sorted = 0;  // best detections so far, in merged_scores / per_class_best
    for (int c = 0; c < classes; ++c) {
      for (int b = 0; b < n; ++b) s.candidate_scores[b] = io.scores[static_cast<std::int64_t>(b) * cb + c + label_offset];
      const int selected = suppress(o, s.decoded, n, s.candidate_scores, o.detections_per_class, s);
      int count = sorted;
      for (int i = 0; i < selected; ++i, ++count) {
        s.per_class_best[count] = s.selected[i] * cb + c + label_offset;
        s.merged_scores[count] = s.candidate_scores[s.selected[i]];
      }
      const int keep = std::min(count, o.max_detections);
      decreasing_partial_order(s.merged_scores, count, keep, s.order);
      for (int r = 0; r < keep; ++r) {
        const int from = s.order[r];
        s.order[r] = s.per_class_best[from];
        s.sorted_scores[r] = s.merged_scores[from];
      }
      for (int r = 0; r < keep; ++r) {
        s.per_class_best[r] = s.order[r];
        s.merged_scores[r] = s.sorted_scores[r];
      }
      sorted = keep;
    }
    for (int k = 0; k < o.max_detections; ++k) {
      if (k < sorted) {
        const int anchor = s.per_class_best[k] / cb;
        write(k, anchor, static_cast<float>(s.per_class_best[k] - anchor * cb - label_offset), s.merged_scores[k]);
      } else {
        std::fill(io.out_boxes + 4 * k, io.out_boxes + 4 * k + 4, 0.0f);
        io.out_classes[k] = 0.0f;
        io.out_scores[k] = 0.0f;
      }
    }
    *io.out_count = static_cast<float>(sorted);
    return true;
  }
  // Fast NMS: each anchor's best classes; one suppression on its best score.
  const int per_anchor = std::min(o.max_classes_per_detection, classes);
  for (int b = 0; b < n; ++b) {
    const float* box_scores = io.scores + static_cast<std::int64_t>(b) * cb + label_offset;
    int* order = s.per_class_best + static_cast<std::int64_t>(b) * classes;
    decreasing_partial_order(box_scores, classes, per_anchor, order);
    s.candidate_scores[b] = box_scores[order[0]];
  }
  const int selected = suppress(o, s.decoded, n, s.candidate_scores, o.max_detections, s);
  // The rest of the outputs: zeros, as the regular NMS writes (TFLM leaves
  // them as they were), so that they depend on this invoke only.
  for (int r = 0; r < outputs; ++r) {
    std::fill(io.out_boxes + 4 * r, io.out_boxes + 4 * r + 4, 0.0f);
    io.out_classes[r] = 0.0f;
    io.out_scores[r] = 0.0f;
  }
  // Detection i's classes at max_classes_per_detection * i + c, as TFLite
  // places them (TFLM's equal for one class per detection; with more it
  // writes past its outputs).
  for (int i = 0; i < selected; ++i) {
    const int box = s.selected[i];
    const float* box_scores = io.scores + static_cast<std::int64_t>(box) * cb + label_offset;
    const int* order = s.per_class_best + static_cast<std::int64_t>(box) * classes;
    for (int c = 0; c < per_anchor; ++c)
      write(o.max_classes_per_detection * i + c, box, static_cast<float>(order[c]), box_scores[order[c]]);
  }
  *io.out_count = static_cast<float>(selected);
  return true;
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
