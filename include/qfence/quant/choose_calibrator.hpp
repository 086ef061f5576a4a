// qfence/quant/choose_calibrator.hpp: `--calibrator auto`, the choice of
// calibrator by measurement.
//
// Every calibrator's ranges come from the same observations (observers
// keep what each needs), so choosing costs no second pass over the data:
// each calibrator's int8 model runs on the samples beside the float model,
// and the best output SQNR wins (an index output, ARG_MAX's, is judged by
// the scores it is taken from: compare_outputs.hpp). Measured on calibration data only; the
// evaluation data stays unseen.
#pragma once

#include <memory>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/compare_outputs.hpp"
#include "qfence/quant/quantize_model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

struct calibrator_trial {
  calibrator method;
  output_agreement agreement;  ///< its int8 model against the float model on the samples
};

struct calibrator_choice {
  std::vector<calibrator_trial> trials;  ///< in all_calibrators order
  calibration_report report;             ///< the best calibrator's ranges
  quantized_model model;                 ///< and its int8 model
};

/// Tries every calibrator of `report` (quantize_full_integer with `options`) on
/// `samples` and keeps the best output SQNR.
template <sample_source Source>
calibrator_choice choose_calibrator(const std::shared_ptr<const runtime::model>& f, const calibration_report& report,
                                    const Source& samples, const quantize_options& options = {}) {
  runtime::interpreter reference(f);
  calibrator_choice choice;
  output_agreement best;
  for (const calibrator c : all_calibrators) {
    calibration_report r = report.with_calibrator(c);
    quantized_model candidate = quantize_full_integer(*f, r, options);
    runtime::interpreter run(std::make_shared<const runtime::model>(candidate.model.borrowed_copy()));
    const output_agreement a = compare_outputs(reference, run, samples);
    choice.trials.push_back({c, a});
    // The best SQNR; with no output it can be measured on (integer outputs
    // that no ARG_MAX makes), the best agreement of output 0.
    const bool better = choice.trials.size() == 1 || (a.measured() ? a.sqnr_db > best.sqnr_db : a.top1 > best.top1);
    if (better) {
      best = a;
      choice.report = std::move(r);
      choice.model = std::move(candidate);
    }
  }
  return choice;
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
