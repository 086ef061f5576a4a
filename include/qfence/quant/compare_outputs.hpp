// qfence/quant/compare_outputs.hpp: how close a quantized model's outputs
// are to its float model's on a set of samples: output SQNR and top-1
// agreement, the two figures issue #10 judges a quantizer by.
//
// Both models take the samples as float; a model whose inputs are int8
// (`--io int8`) gets them quantized with its input parameters, and int8
// outputs are dequantized before they are compared.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/runtime/interpreter.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct output_agreement {
  /// 10 log10(sum ref^2 / sum (out - ref)^2) over the outputs holding real
  /// values and the scores of index outputs (output_values); infinite when
  /// they agree exactly, NaN when the models have nothing of the kind.
  double sqnr_db = std::numeric_limits<double>::infinity();
  /// Rows of output 0 (along its last axis) whose argmax agrees; for an
  /// index output (ARG_MAX: a class per pixel), its elements that agree.
  double top1 = 1.0;
  std::size_t samples = 0;
  bool measured() const noexcept { return !std::isnan(sqnr_db); }
};

/// Whether a tensor holds real values (float, or quantized integers), as
/// opposed to indices or shapes, which no SQNR describes.
inline bool has_real_values(const runtime::tensor& t) {
  return t.type == dtype::f32 || (t.quant.quantized() && (t.type == dtype::i8 || t.type == dtype::u8 || t.type == dtype::i16));
}

/// The real values of a tensor's bytes (float, or int8/uint8/int16 dequantized).
inline std::vector<float> real_values(const runtime::tensor& t, std::span<const std::byte> bytes) {
  std::vector<float> v(static_cast<std::size_t>(t.elements()));
  const auto n = static_cast<std::int64_t>(v.size());
  switch (t.type) {
    case dtype::f32: std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float)); break;
    case dtype::i8:
      reference::dequantize(n, qfence::detail::object_at<const std::int8_t>(bytes.data()), t.quant.scale(),
                            t.quant.zero_point(), v.data());
      break;
    case dtype::u8:
      reference::dequantize(n, qfence::detail::object_at<const std::uint8_t>(bytes.data()), t.quant.scale(),
                            t.quant.zero_point(), v.data());
      break;
    case dtype::i16:
      reference::dequantize(n, qfence::detail::object_at<const std::int16_t>(bytes.data()), t.quant.scale(),
                            t.quant.zero_point(), v.data());
      break;
    default: throw runtime::model_error("cannot compare a tensor of dtype " + std::string(name(t.type)));
  }
  return v;
}

/// Gives `candidate` the inputs `reference` (a float model) holds: copied,
/// or quantized with the candidate's input parameters when it reads
/// integers (int8, uint8, int16).
inline void feed_inputs(runtime::interpreter& reference, runtime::interpreter& candidate) {
  if (reference.input_count() != candidate.input_count())
    throw runtime::model_error("the two models have different numbers of inputs (" +
                               std::to_string(reference.input_count()) + " and " +
                               std::to_string(candidate.input_count()) + ")");
  for (int k = 0; k < candidate.input_count(); ++k) {
    const runtime::tensor& t = candidate.input_tensor(k);
    if (reference.input_tensor(k).type != dtype::f32) {  // shapes, indices, raw pixels: the same bytes
      if (t.type != reference.input_tensor(k).type || t.shape != reference.input_tensor(k).shape)
        throw runtime::model_error("input " + std::to_string(k) + " is " + runtime::type_text(reference.input_tensor(k)) +
                                   " in one model and " + runtime::type_text(t) + " in the other");
      const auto from = reference.input_bytes(k);
      std::memcpy(candidate.input_bytes(k).data(), from.data(), from.size());
      continue;
    }
    const auto in = reference.input<float>(k);
    if (t.elements() != static_cast<std::int64_t>(in.size()))
      throw runtime::model_error("input " + std::to_string(k) + " has " + std::to_string(in.size()) +
                                 " elements in one model and " + std::to_string(t.elements()) + " in the other");
    if (t.type == dtype::f32) {
      std::ranges::copy(in, candidate.input<float>(k).begin());
    } else if (t.type == dtype::i8) {
      reference::quantize(static_cast<std::int64_t>(in.size()), in.data(), t.quant.scale(), t.quant.zero_point(),
                          candidate.input<std::int8_t>(k).data());
    } else if (t.type == dtype::u8) {
      reference::quantize(static_cast<std::int64_t>(in.size()), in.data(), t.quant.scale(), t.quant.zero_point(),
                          candidate.input<std::uint8_t>(k).data());
    } else if (t.type == dtype::i16) {
      reference::quantize(static_cast<std::int64_t>(in.size()), in.data(), t.quant.scale(), t.quant.zero_point(),
                          candidate.input<std::int16_t>(k).data());
    } else {
      throw runtime::model_error("input " + std::to_string(k) + " of dtype " + std::string(name(t.type)) +
                                 " cannot take float samples");
    }
  }
}

/// What output_tally compares of one model's run, per output: its real
/// values; or, for an index output (ARG_MAX or ARG_MIN over real values,
/// as a segmentation model's class per pixel), the scores it is taken
/// from, whose error an index hides. A later operation may reuse the
/// scores' memory, so they are copied just before the op reads them
/// (invoke_for_comparison runs the model so).
class output_values {
 public:
  explicit output_values(const runtime::interpreter& run) : scores_op_(static_cast<std::size_t>(run.output_count()), -1) {
    const runtime::model& m = run.source();
    for (int k = 0; k < run.output_count(); ++k) {
      if (has_real_values(run.output_tensor(k))) continue;
      const int t = m.outputs[static_cast<std::size_t>(k)];
      const auto& ops = run.operations();
      for (std::size_t j = 0; j < ops.size(); ++j) {
        const runtime::operation& op = ops[j];
        if ((op.code == runtime::op_code::arg_max || op.code == runtime::op_code::arg_min) && !op.inputs.empty() &&
            op.inputs[0] >= 0 && has_real_values(m.tensors[static_cast<std::size_t>(op.inputs[0])]) &&
            std::ranges::find(op.outputs, t) != op.outputs.end())
          scores_op_[static_cast<std::size_t>(k)] = static_cast<int>(j);
      }
    }
    values_.resize(scores_op_.size());
  }
  /// Copies the scores operation k reads, if it makes an index output.
  void before_op(const runtime::interpreter& run, std::size_t k) {
    for (std::size_t o = 0; o < scores_op_.size(); ++o) {
      if (scores_op_[o] != static_cast<int>(k)) continue;
      const int t = run.operations()[k].inputs[0];
      values_[o] = real_values(run.source().tensors[static_cast<std::size_t>(t)], run.tensor_bytes(t));
    }
  }
  /// Reads the outputs that hold real values, once the invoke is over.
  void after_invoke(const runtime::interpreter& run) {
    for (int k = 0; k < run.output_count(); ++k)
      if (has_real_values(run.output_tensor(k)))
        values_[static_cast<std::size_t>(k)] = real_values(run.output_tensor(k), run.output_bytes(k));
  }
  /// Whether output k is an index output whose scores are compared.
  bool is_index(int k) const { return scores_op_.at(static_cast<std::size_t>(k)) >= 0; }
  /// The real values output k is judged by, from the last invoke (empty: none).
  const std::vector<float>& values(int k) const { return values_.at(static_cast<std::size_t>(k)); }

 private:
  std::vector<int> scores_op_;  // per output: the ARG_MAX/ARG_MIN making it, or -1
  std::vector<std::vector<float>> values_;
};

/// Runs `run`, keeping what output_values compares, and calling
/// after_op(graph, k) as invoke_observed_graphs does.
template <class AfterOp>
void invoke_for_comparison(runtime::interpreter& run, output_values& values, AfterOp&& after_op) {
  run.invoke_observed_graphs(
      [&](std::size_t graph, std::size_t k) {
        if (graph == 0) values.before_op(run, k);
      },
      after_op);
  values.after_invoke(run);
}

/// Output SQNR and top-1 agreement, accumulated one sample at a time: the
/// outputs of both interpreters after they ran the same sample
/// (invoke_for_comparison with their output_values).
class output_tally {
 public:
  void add(const runtime::interpreter& reference, const output_values& reference_values,
           const runtime::interpreter& candidate, const output_values& candidate_values) {
    for (int k = 0; k < reference.output_count(); ++k) {
      const std::vector<float>& want = reference_values.values(k);
      const std::vector<float>& got = candidate_values.values(k);
      if (!want.empty() && got.size() == want.size()) {
        compared_ += want.size();
        for (std::size_t e = 0; e < want.size(); ++e) {
          signal_ += static_cast<double>(want[e]) * want[e];
          noise_ += (static_cast<double>(got[e]) - want[e]) * (static_cast<double>(got[e]) - want[e]);
        }
      }
      if (k != 0) continue;
      if (reference_values.is_index(0) && candidate_values.is_index(0)) {  // one row's argmax per element
        const auto a = reference.output_bytes(0), b = candidate.output_bytes(0);
        const std::size_t size = size_of(reference.output_tensor(0).type);
        if (a.size() != b.size() || size == 0) continue;
        for (std::size_t at = 0; at < a.size(); at += size) {
          agree_ += std::memcmp(a.data() + at, b.data() + at, size) == 0;
          ++rows_;
        }
        continue;
      }
      if (reference.output_tensor(0).shape.empty() || got.size() != want.size()) continue;
      const auto row = static_cast<std::size_t>(reference.output_tensor(0).shape.back());
      for (std::size_t at = 0; row > 0 && at + row <= want.size(); at += row) {
        const auto arg = [&](const std::vector<float>& v) {
          return std::max_element(v.begin() + static_cast<std::ptrdiff_t>(at),
                                  v.begin() + static_cast<std::ptrdiff_t>(at + row)) - v.begin();
        };
        agree_ += arg(want) == arg(got);
        ++rows_;
      }
    }
    ++samples_;
  }

  std::size_t samples() const noexcept { return samples_; }
  output_agreement result() const {
    output_agreement r;
    r.samples = samples_;
    if (compared_ == 0) r.sqnr_db = std::numeric_limits<double>::quiet_NaN();
    else if (noise_ > 0) r.sqnr_db = 10.0 * std::log10(signal_ / noise_);
    if (rows_ > 0) r.top1 = static_cast<double>(agree_) / static_cast<double>(rows_);
    return r;
  }

 private:
  double signal_ = 0, noise_ = 0;
  std::size_t compared_ = 0, rows_ = 0, agree_ = 0, samples_ = 0;
};

/// Runs `reference` (a float model) and `candidate` on every sample and
/// compares all outputs.
template <sample_source Source>
output_agreement compare_outputs(runtime::interpreter& reference, runtime::interpreter& candidate, const Source& samples) {
  if (reference.output_count() != candidate.output_count() || reference.input_count() != candidate.input_count())
    throw runtime::model_error("the two models have different numbers of inputs or outputs");
  output_tally tally;
  output_values reference_values(reference), candidate_values(candidate);
  const auto nothing = [](std::size_t, std::size_t) {};
  for (std::size_t s = 0; s < samples.size(); ++s) {
    if (samples.fill(s, reference)) continue;  // a sample the source cannot use
    feed_inputs(reference, candidate);
    start_sample(samples, tally.samples() == 0, reference, candidate);
    invoke_for_comparison(reference, reference_values, nothing);
    invoke_for_comparison(candidate, candidate_values, nothing);
    tally.add(reference, reference_values, candidate, candidate_values);
  }
  return tally.result();
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
