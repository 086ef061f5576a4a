// qfence/tflite/support_metadata.hpp: what TFLite Support's metadata (the
// "TFLITE_METADATA" buffer that Model Maker and the metadata writers put in
// a .tflite) says about a model's inputs: how an input is normalised,
// (x - mean[c]) / std[c], which image calibration follows by default
// (quant/image_samples.hpp). The buffer's format: support_metadata.fbs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/tflite/support_metadata_generated.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite {

/// An input's normalisation as the metadata gives it: one value per
/// channel, or one for every channel.
struct metadata_normalization {
  std::vector<float> mean;
  std::vector<float> std;
};

/// The normalisation the metadata of `m` gives input `input` (its first
/// NormalizationOptions process unit); std::nullopt when the model has no
/// metadata or it says none for that input. Throws runtime::model_error
/// when the metadata is not a valid buffer of its format.
inline std::optional<metadata_normalization> input_normalization(const runtime::model& m, std::size_t input) {
  const std::vector<std::uint8_t>& bytes = m.support_metadata;
  if (bytes.empty()) return std::nullopt;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (bytes.size() < 8 || !support::ModelMetadataBufferHasIdentifier(bytes.data()) ||
      !support::VerifyModelMetadataBuffer(verifier))
    throw runtime::model_error(
        "the model's TFLITE_METADATA is not valid TFLite Support metadata (identifier 'M001', a verified "
        "flatbuffer)");
  const support::ModelMetadata& root = *support::GetModelMetadata(bytes.data());
  if (root.subgraph_metadata() == nullptr || root.subgraph_metadata()->size() == 0) return std::nullopt;
  const support::SubGraphMetadata& graph = *root.subgraph_metadata()->Get(0);
  if (graph.input_tensor_metadata() == nullptr || input >= graph.input_tensor_metadata()->size()) return std::nullopt;
  const support::TensorMetadata& tensor =
      *graph.input_tensor_metadata()->Get(static_cast<flatbuffers::uoffset_t>(input));
  if (tensor.process_units() == nullptr) return std::nullopt;
  for (const support::ProcessUnit* unit : *tensor.process_units()) {
    const support::NormalizationOptions* n = unit->options_as_NormalizationOptions();
    if (n == nullptr) continue;
    metadata_normalization r;
    if (n->mean() != nullptr) r.mean.assign(n->mean()->begin(), n->mean()->end());
    if (n->std() != nullptr) r.std.assign(n->std()->begin(), n->std()->end());
    return r;
  }
  return std::nullopt;
}

}  // namespace qfence::tflite

QFENCE_EXACT_FLOAT_END
