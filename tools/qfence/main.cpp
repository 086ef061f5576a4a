// qfence: the command-line program (`qfence --help` lists the commands).
//
//   qfence inspect MODEL.tflite [--json] [--dot FILE]
//   qfence run MODEL.tflite [--in FILE]... [--out-dir DIR] [--repeat N | --sequence N] [--numerics tflm|tflite]
//   qfence quantize FLOAT.tflite --calib DIR --scheme int8|int16x8 [--calibrator NAME] -o OUT.tflite
//   qfence quantize FLOAT.tflite --scheme float16|dynamic [--calib DIR] -o OUT.tflite
//   qfence debug FLOAT.tflite QUANT.tflite [--in FILE]... [--calib DIR] [--json] [--svg FILE]
//   qfence dequantize QUANT.tflite -o FLOAT.tflite
//   qfence calibrate FLOAT.tflite --calib DIR [--calibrator NAME|auto] [--json] [--emit-cpp FILE --name NAME]
//
// Every failure prints one line "qfence: error: ..." on stderr and exits 1;
// usage errors exit 2.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "calibrate.hpp"
#include "debug.hpp"
#include "inspect.hpp"
#include "qfence/codegen/header_writer.hpp"
#include "json.hpp"
#include "layers.hpp"
#include "qfence/quant/compare_outputs.hpp"
#include "qfence/quant/dequantize_model.hpp"
#include "qfence/quant/dynamic_range.hpp"
#include "qfence/quant/choose_calibrator.hpp"
#include "qfence/quant/fence_suggestion.hpp"
#include "qfence/quant/float16_weights.hpp"
#include "qfence/quant/image_samples.hpp"
#include "qfence/quant/quantize_model.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/associated_files.hpp"
#include "qfence/tflite/reader.hpp"
#include "qfence/tflite/writer.hpp"
#include "ops.hpp"
#include "invoke_sequence.hpp"
#include "seeded_input.hpp"

namespace qfence::cli {
namespace {

constexpr const char* usage_text =
    "usage: qfence <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL.tflite [--json] [--dot FILE]\n"
    "      ops, tensors, quantization, custom ops needed, unsupported ops, arena size\n"
    "  run MODEL.tflite [--in FILE]... [--out-dir DIR] [--repeat N] [--numerics tflm|tflite]\n"
    "      [--target NAME] [--reference-kernels] [--sequence N]\n"
    "      SIMD target (AVX3_DL, AVX3, AVX2, SSE4, ...; default: QFENCE_TARGET, else the best\n"
    "      this CPU runs), or the reference kernels for every layer\n"
    "      --sequence N: N invokes carrying state (streaming models), each on the next inputs\n"
    "      (an --in file then holds N samples); outputs of the completed ones, back to back,\n"
    "      and invokes.txt (completed / ended_early) in --out-dir\n"
    "      runs the model on the runtime path; writes DIR/output<i>.bin and prints one JSON line\n"
    "      (without --in, inputs are the seeded xorshift32 stream of ../shared/models/README.md)\n"
    "  layers MODEL.tflite [--repeat N] [--target NAME] [--json]\n"
    "      per-layer minima on the runtime path, MACs, GMAC/s and the share of this CPU's int8\n"
    "      peak (a vpdpbusd loop measured in the same run); for benchmarks (scripts/bench)\n"
    "  quantize FLOAT.tflite --calib DIR -o OUT.tflite [--scheme int8|int16x8|float16|dynamic]\n"
    "           [--calibrator NAME|auto] [--fence OP|#INDEX|NAME]... [--int16 OP|#INDEX|NAME]...\n"
    "           [--no-fences] [--tabulate EXP|#INDEX|NAME]...\n"
    "           [--io float|int8|uint8|int16] [--stream]\n"
    "           [--calib-from-model]\n"
    "      post-training quantization: calibrates on DIR (as calibrate does), quantizes (int8:\n"
    "      int8 activations, per-channel int8 weights, int32 biases, TFLite's rules per op;\n"
    "      int16x8: int16 activations with zero point 0, int8 weights, int64 biases) and\n"
    "      writes a .tflite that TFLite, TFLM and qfence run (the same output bytes in TFLM's\n"
    "      interpreter as in `qfence run`). Ops without a kernel for the\n"
    "      scheme, and those named by --fence (op type, operator index, or the name of a\n"
    "      tensor the op writes; a name that selects nothing is an error), stay float behind\n"
    "      DEQUANTIZE/QUANTIZE (one line per fence); --no-fences makes that an error. --int16\n"
    "      (int8 scheme): the ops named run in int16x8, with int8 <-> int16 QUANTIZE at their\n"
    "      borders (an integer-only alternative to a fence). --tabulate EXP: EXP stays\n"
    "      integer as TFLite's table of exp instead of fenced (TFLM has no integer EXP: the\n"
    "      model then runs in TFLite and qfence, not in TFLM). --io int8\n"
    "      (int16 for int16x8): the model reads and writes integers (default float32);\n"
    "      --io uint8 (int8 scheme): uint8 at the int8 scale, zero point + 128, converted by a\n"
    "      QUANTIZE at each border (TFLite's inference_input_type uint8).\n"
    "      --calib-from-model: take the ranges from\n"
    "      the float model's min/max statistics instead of data. --calibrator auto (default):\n"
    "      every calibrator's model runs on the calibration samples, the best output SQNR wins.\n"
    "      float16: float constants stored as float16 behind DEQUANTIZEs (half the weight bytes,\n"
    "      activations float, no calibration; with --calib DIR it reports the output SQNR there).\n"
    "      dynamic: FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D weights of at least\n"
    "      --min-elements N values (1024)\n"
    "      stored as per-channel int8 and run by TFLite's hybrid kernels; activations float, no\n"
    "      calibration (--calib DIR reports the output SQNR, as for float16). float16 and\n"
    "      dynamic models run in TFLite and qfence; TFLM has no float16 DEQUANTIZE and no\n"
    "      hybrid kernels\n"
    "  debug FLOAT.tflite QUANT.tflite [--in FILE]... [--calib DIR] [--json] [--svg FILE] [--top N]\n"
    "        [--suggest DB [--calibrator NAME|auto]]\n"
    "      runs both models on the same samples (--in: one sample, a raw float file per input;\n"
    "      --calib: every sample of DIR) and compares every tensor of QUANT with FLOAT's (by\n"
    "      name, else by position): SQNR, max |error|, mean error, scale, zero point, clipping;\n"
    "      worst first. --svg draws SQNR per layer with the fences marked. --suggest DB (with\n"
    "      --calib): which layers to keep in int16 (--int16) or in float (--fence) so that the\n"
    "      int8 model `quantize` makes from DIR reaches DB output SQNR, each step measured on a\n"
    "      requantized model (--calibrator NAME|auto, as for quantize); steps count the float\n"
    "      model's operators, and the last line is the quantize command that makes the model\n"
    "  dequantize QUANT.tflite -o FLOAT.tflite\n"
    "      the float twin of a quantized model: weights and biases dequantized, activations\n"
    "      float32 (their int8 ranges kept as min/max statistics), QUANTIZE/DEQUANTIZE removed\n"
    "  calibrate FLOAT.tflite --calib DIR [--calibrator NAME|auto] [--json] [--emit-cpp FILE.hpp --name NAME]\n"
    "      runs the float model over the samples in DIR (one raw file per sample, *.bin; several\n"
    "      inputs: DIR/input0/ DIR/input1/ ... with the same names; or images, *.bmp *.pgm *.ppm,\n"
    "      for a model with one float [1,H,W,1|3] or [1,1|3,H,W] input: resized, then\n"
    "      (pixel - mean) / scale with --mean V[,V,V] --scale V[,V,V], by default as the\n"
    "      model's TFLite Support metadata says, else the input's recorded range, else [0, 1];\n"
    "      a raw uint8 pixel input takes the pixels;\n"
    "      --stream: the samples, in name order, are consecutive steps of one stream, so a\n"
    "      streaming model's state (SVDF's memory) carries over from one to the next instead of\n"
    "      starting afresh; quantize and debug take the same) and prints each activation's\n"
    "      range, how much it clips, how much it clips on a held-back slice and how far it moved\n"
    "      in the second half of the data; warns when the data is too little to trust.\n"
    "      NAME: minmax (default), moving_average, percentile, mse, entropy; auto quantizes with\n"
    "      each (as quantize does by default) and keeps the ranges of the best output SQNR\n"
    "      --emit-cpp writes the ranges as constexpr tables for qfence::quantize of the typed graph\n"
    "      `qfence embed` writes for the model (a row per node; and by tensor name)\n"
    "  ops [--json | --markdown]\n"
    "      every operator qfence runs (the dtypes of its data operand, on both paths; the versions\n"
    "      it accepts) beside what TFLM runs, and the TFLM ops qfence does not run yet\n"
    "  targets\n"
    "      the SIMD targets compiled in that this CPU runs, best first (--target, QFENCE_TARGET)\n"
    "  embed MODEL.tflite --name NAME -o FILE.hpp [--numerics tflm|tflite]\n"
    "      writes FILE.hpp (weights and the typed graph) and FILE_types.hpp beside it (the\n"
    "      model's types only, cheap to include anywhere)\n"
    "      (scripts/embed-run compiles and runs it like `run`)\n"
    "\n"
    "options:\n"
    "  -h, --help   this text\n";

void write_file(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw runtime::model_error("cannot write '" + path.string() + "'");
}

/// Writes `m` as a .tflite file, and says what it carries over from the
/// model it was made from besides the graph (TFLite Support's metadata and
/// associated files), so a user sees the labels were kept.
void write_model_file(const std::filesystem::path& path, const runtime::model& m) {
  write_file(path, tflite::write_model(m, m.description));
  if (m.support_metadata.empty() && m.associated_files.empty()) return;
  std::cout << "kept:";
  if (!m.support_metadata.empty()) std::cout << " TFLite Support metadata (" << m.support_metadata.size() << " bytes)";
  const std::vector<std::string> files = tflite::associated_file_names(m.associated_files);
  if (!files.empty())
    std::cout << (m.support_metadata.empty() ? "" : " and") << " associated file" << (files.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < files.size(); ++i) std::cout << (i ? ", " : " ") << runtime::printable(files[i]);
  std::cout << "\n";
}

/// A name numerics_value accepted.
runtime::numerics parse_numerics(const std::string& s) {
  return s == "tflite" ? runtime::numerics::tflite : runtime::numerics::tflm;
}

quant::calibrator parse_calibrator(const std::string& s) {
  if (const auto c = quant::calibrator_named(s)) return *c;
  throw usage_error("--calibrator takes minmax, moving_average, percentile, mse or entropy, not '" + s + "'");
}

/// The options of how calibration samples are read: --stream (the samples
/// are steps of one stream), and --mean V[,V,V] / --scale V[,V,V], how
/// image calibration data is normalised, value = (pixel - mean) / scale
/// (one value serves all channels). Returns whether args[i] was one of them.
bool sample_option(const std::vector<std::string>& args, std::size_t& i, quant::sample_options& options) {
  const std::string& a = args[i];
  if (a == "--stream") {
    options.stream = true;
    return true;
  }
  if (a != "--mean" && a != "--scale") return false;
  std::optional<quant::image_normalization>& n = options.normalization;
  const std::string v = flag_value(args, i);
  std::vector<float> values;
  std::size_t at = 0;
  while (at <= v.size()) {
    const std::size_t comma = std::min(v.find(',', at), v.size());
    try {
      std::size_t used = 0;
      const std::string part = v.substr(at, comma - at);
      values.push_back(std::stof(part, &used));
      if (used != part.size()) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      throw usage_error(a + " takes one number or three separated by commas (R,G,B), not '" + v + "'");
    }
    at = comma + 1;
  }
  if (values.size() != 1 && values.size() != 3)
    throw usage_error(a + " takes one number or three separated by commas (R,G,B), not '" + v + "'");
  if (a == "--scale")
    for (const float x : values)
      if (!(x != 0.0f) || !std::isfinite(x)) throw usage_error("--scale must be finite and not 0, got '" + v + "'");
  if (!n) n.emplace();
  auto& target = a == "--mean" ? n->mean : n->scale;
  for (std::size_t c = 0; c < 3; ++c) target[c] = values[values.size() == 3 ? c : 0];
  return true;
}

int run_command(const std::vector<std::string>& args) {
  std::string model_path;
  run_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (read_run_option(args, i, o)) continue;
    if (a.starts_with("-")) throw usage_error("run: unknown option '" + a + "'");
    if (!model_path.empty()) throw usage_error("run: more than one model given ('" + model_path + "', '" + a + "')");
    model_path = a;
  }
  if (model_path.empty()) throw usage_error("run: no model given");
  check_run_options(o);
  runtime::interpreter_options options;
  options.arithmetic = parse_numerics(o.numerics);
  if (o.reference_kernels) options.target = kernels::target::reference();
  else if (!o.target_name.empty()) options.target = kernels::target_named(o.target_name);

  runtime::interpreter interp(tflite::read_model_file(model_path), options);
  invoke_record record(interp.output_count());
  const std::vector<double> times_us = timed_invokes(
      o, record,
      input_loader(
          o, interp.input_count(), [&](int i) { return interp.input_tensor(i).type; },
          [&](int i) { return interp.input_bytes(i); }),
      [&] { interp.reset_variables(); }, [&] { return interp.invoke(); },
      [&](int i) { return interp.output_bytes(i); });
  if (!o.out_dir.empty()) record.write(o.out_dir, o.sequence > 0);

  json j;
  j.begin_object();
  j.field("model", model_path);
  j.field("path", "runtime");
  auto tensors = [&](const char* key, int count, auto&& get) {
    j.key(key).begin_array();
    for (int i = 0; i < count; ++i) write_tensor_json(j, get(i));
    j.end_array();
  };
  tensors("inputs", interp.input_count(), [&](int i) -> const runtime::tensor& { return interp.input_tensor(i); });
  tensors("outputs", interp.output_count(), [&](int i) -> const runtime::tensor& { return interp.output_tensor(i); });
  j.field("arena_bytes", interp.arena_bytes());
  j.field("numerics", options.arithmetic == runtime::numerics::tflm ? "tflm" : "tflite");
  j.field("kernels", interp.target().name());  // "reference" under --reference-kernels
  j.field("repeat", o.repeat);
  if (o.sequence > 0) j.field("sequence", o.sequence);
  j.field("completed", record.completed());  // invokes that ran every operation
  j.field("invoke_us_min", times_us.front());
  j.field("invoke_us_median", times_us[times_us.size() / 2]);
  j.end_object();
  std::cout << j.str() << "\n";
  return 0;
}

int inspect_command(const std::vector<std::string>& args) {
  std::string model_path, dot_path;
  bool as_json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") as_json = true;
    else if (a == "--dot") dot_path = flag_value(args, i);
    else if (a.starts_with("-")) throw usage_error("inspect: unknown option '" + a + "'");
    else if (model_path.empty()) model_path = a;
    else throw usage_error("inspect: more than one model given");
  }
  if (model_path.empty()) throw usage_error("inspect: no model given");
  const auto shared = std::make_shared<const runtime::model>(tflite::read_model_file(model_path));
  const runtime::model& model = *shared;
  const inspection report = inspect(shared);
  if (!dot_path.empty()) {
    std::ofstream out(dot_path);
    out << to_dot(model);
    if (!out) throw runtime::model_error("cannot write '" + dot_path + "'");
  }
  std::cout << (as_json ? to_json(model, report) + "\n" : to_text(model, report));
  return 0;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

int embed_command(const std::vector<std::string>& args) {
  std::string model_path, name, out_path;
  runtime::numerics arithmetic = runtime::numerics::tflm;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--name") name = flag_value(args, i);
    else if (a == "--numerics") arithmetic = parse_numerics(numerics_value(args, i));
    else if (a == "-o" || a == "--output") out_path = flag_value(args, i);
    else if (a.starts_with("-")) throw usage_error("embed: unknown option '" + a + "'");
    else if (model_path.empty()) model_path = a;
    else throw usage_error("embed: more than one model given");
  }
  if (model_path.empty()) throw usage_error("embed: no model given");
  if (!is_identifier(name)) throw usage_error("embed: --name must be a C++ identifier (it names the namespace), got '" + name + "'");
  if (out_path.empty()) throw usage_error("embed: no output file given (-o FILE.hpp)");
  const runtime::model model = tflite::read_model_file(model_path);
  // Refuse what the runtime path would refuse: the same checks, one message
  // (custom ops are not refused: they become requirements of the header).
  runtime::interpreter_options options;
  options.arithmetic = arithmetic;
  runtime::check_builtin_ops(model, options);
  // Two headers: NAME_types.hpp beside FILE.hpp (types only, cheap to include
  // anywhere) and FILE.hpp (weights and graph, for the TU that runs it).
  const std::string types_file = codegen::types_file_name(out_path);
  const auto headers = codegen::write_headers(model, {name, model_path, arithmetic}, types_file);
  const auto types_path = std::filesystem::path(out_path).parent_path() / types_file;
  for (const auto& [path, text] : {std::pair{types_path.string(), &headers.types}, std::pair{out_path, &headers.model}}) {
    std::ofstream out(path, std::ios::binary);
    out << *text;
    if (!out) throw runtime::model_error("cannot write '" + path + "'");
  }
  return 0;
}

/// --calibrator auto's measurements, one line per calibrator (on stderr
/// where stdout is JSON).
void print_calibrator_trials(const quant::calibrator_choice& choice, std::FILE* to) {
  for (const auto& t : choice.trials)
    std::fprintf(to, "calibrator %-15s output SQNR %7s dB, top-1 agreement %.3f on the %zu calibration samples\n",
                 std::string(quant::calibrator_name(t.method)).c_str(), db_text(t.agreement.sqnr_db).c_str(),
                 t.agreement.top1, t.agreement.samples);
}

int calibrate_command(const std::vector<std::string>& args) {
  std::string model_path, calib_dir, cpp_path, name, calibrator_choice;
  bool as_json = false;
  quant::calibration_options options;
  quant::sample_options sampling;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (sample_option(args, i, sampling)) continue;
    if (a == "--calib") calib_dir = flag_value(args, i);
    else if (a == "--calibrator") calibrator_choice = flag_value(args, i);
    else if (a == "--json") as_json = true;
    else if (a == "--emit-cpp") cpp_path = flag_value(args, i);
    else if (a == "--name") name = flag_value(args, i);
    else if (a.starts_with("-")) throw usage_error("calibrate: unknown option '" + a + "'");
    else if (model_path.empty()) model_path = a;
    else throw usage_error("calibrate: more than one model given");
  }
  if (model_path.empty()) throw usage_error("calibrate: no model given");
  if (calib_dir.empty()) throw usage_error("calibrate: no calibration data given (--calib DIR)");
  if (!cpp_path.empty() && !is_identifier(name))
    throw usage_error("calibrate: --emit-cpp needs --name, a C++ identifier (it names the namespace), got '" + name + "'");
  const bool automatic = calibrator_choice == "auto";
  if (!calibrator_choice.empty() && !automatic) options.observer.method = parse_calibrator(calibrator_choice);
  const auto model = std::make_shared<const runtime::model>(tflite::read_model_file(model_path));
  quant::require_float_model(*model);
  const quant::calibration_samples samples(calib_dir, *model, sampling);
  options.progress = progress_printer("calibrate");
  quant::calibration_report report = quant::calibrate(model, samples, options);
  if (automatic) {
    // As quantize's auto: each calibrator's int8 model (quantize's
    // defaults) against the float model on these samples; the best one's
    // ranges are reported and emitted.
    quant::calibrator_choice choice = quant::choose_calibrator(model, report, samples);
    print_calibrator_trials(choice, as_json ? stderr : stdout);
    report = std::move(choice.report);
  }
  if (!cpp_path.empty()) {
    std::ofstream out(cpp_path, std::ios::binary);
    out << calibration_cpp(*model, report, name, model_path);
    if (!out) throw runtime::model_error("cannot write '" + cpp_path + "'");
  }
  if (as_json) {
    json j;
    j.begin_object();
    j.field("model", model_path);
    write_calibration_json(j, report);
    j.end_object();
    std::cout << j.str() << "\n";
  } else {
    std::cout << calibration_text(report);
  }
  return 0;
}

/// "823.1 KiB".
std::string kib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  return text;
}

// `qfence quantize --scheme float16|dynamic`: weights only, so no
// calibration; with --calib, the new model runs beside the float one on
// those samples.
int weight_only_command(const std::string& scheme, const std::string& model_path, const std::string& calib_dir,
                        const std::string& out_path, const quant::sample_options& sampling,
                        const std::vector<std::string>& args) {
  quant::dynamic_range_options dynamic;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--calibrator" || a == "--fence" || a == "--int16" || a == "--no-fences" || a == "--calib-from-model" ||
        a == "--io" || a == "--tabulate")
      throw usage_error("quantize: " + a + " applies to --scheme int8 and int16x8; " + scheme + " keeps every activation float, so "
                        "it has no ranges to calibrate and nothing to fence");
    if (a == "--min-elements") {
      if (scheme != "dynamic") throw usage_error("quantize: --min-elements applies to --scheme dynamic");
      dynamic.min_elements = parse_count(a, flag_value(args, i));
    }
  }
  const auto model = std::make_shared<const runtime::model>(tflite::read_model_file(model_path));
  runtime::model quantized;
  std::string summary;
  if (scheme == "float16") {
    quant::float16_model q = quant::quantize_float16(*model);
    summary = std::to_string(q.constants) + " float constants stored as float16 (" + kib(q.float_bytes) + " -> " +
              kib(q.half_bytes) + "), each behind a DEQUANTIZE";
    quantized = std::move(q.model);
  } else {
    quant::dynamic_range_model q = quant::quantize_dynamic_range(*model, dynamic);
    for (const auto& line : q.kept_float) std::cout << "kept float: " << line << "\n";
    summary = std::to_string(q.hybrid_layers) + " layers with int8 weights (" + kib(q.float_bytes) + " -> " +
              kib(q.int8_bytes) + "), run by hybrid kernels; " + std::to_string(q.kept_float.size()) +
              " kept float weights";
    quantized = std::move(q.model);
  }
  quant::check_runs(quantized);
  if (!calib_dir.empty()) {
    runtime::interpreter reference(model), run(std::make_shared<const runtime::model>(quantized.borrowed_copy()));
    const quant::output_agreement a =
        quant::compare_outputs(reference, run, quant::calibration_samples(calib_dir, *model, sampling));
    std::printf("%s: output SQNR %s dB, top-1 agreement %.3f on the %zu samples of %s\n", scheme.c_str(),
                db_text(a.sqnr_db).c_str(), a.top1, a.samples, calib_dir.c_str());
  }
  write_model_file(out_path, quantized);
  std::cout << "note: a " << scheme << " model runs in TensorFlow Lite and qfence, not in TFLM (it has no "
            << (scheme == "float16" ? "float16 DEQUANTIZE" : "hybrid kernels") << ")\n"
            << "wrote " << out_path << ": " << summary << "\n";
  return 0;
}

int quantize_command(const std::vector<std::string>& args) {
  std::string model_path, calib_dir, out_path, scheme = "int8", calibrator_choice = "auto", io = "float";
  quant::sample_options sampling;
  bool from_model = false;
  quant::calibration_options calibration;
  quant::quantize_options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (sample_option(args, i, sampling)) continue;
    if (a == "--calib") calib_dir = flag_value(args, i);
    else if (a == "--calibrator") calibrator_choice = flag_value(args, i);
    else if (a == "--scheme") scheme = flag_value(args, i);
    else if (a == "--fence") options.fence.push_back(flag_value(args, i));
    else if (a == "--int16") options.int16.push_back(flag_value(args, i));
    else if (a == "--tabulate") options.tabulate.push_back(flag_value(args, i));
    else if (a == "--no-fences") options.forbid_fences = true;
    else if (a == "--calib-from-model") from_model = true;
    else if (a == "--min-elements") (void)flag_value(args, i);  // --scheme dynamic: read by weight_only_command
    else if (a == "--io") {
      io = flag_value(args, i);
      if (io != "float" && io != "int8" && io != "uint8" && io != "int16")
        throw usage_error("--io takes float, int8 or uint8 (--scheme int8), or int16 (--scheme int16x8), not '" + io + "'");
    } else if (a == "-o" || a == "--output") out_path = flag_value(args, i);
    else if (a.starts_with("-")) throw usage_error("quantize: unknown option '" + a + "'");
    else if (model_path.empty()) model_path = a;
    else throw usage_error("quantize: more than one model given");
  }
  if (model_path.empty()) throw usage_error("quantize: no model given");
  if (out_path.empty()) throw usage_error("quantize: no output file given (-o OUT.tflite)");
  if (scheme == "float16" || scheme == "dynamic") return weight_only_command(scheme, model_path, calib_dir, out_path, sampling, args);
  if (std::find(args.begin(), args.end(), "--min-elements") != args.end())
    throw usage_error("quantize: --min-elements applies to --scheme dynamic");
  if (calib_dir.empty() == !from_model)
    throw usage_error("quantize: give calibration data (--calib DIR) or --calib-from-model, one of them");
  if (scheme != "int8" && scheme != "int16x8")
    throw usage_error("quantize: unknown --scheme '" + scheme + "'; the schemes are int8, int16x8, dynamic, float16");
  options.activations = scheme == "int16x8" ? dtype::i16 : dtype::i8;
  if (scheme == "int16x8" && !options.int16.empty())
    throw usage_error("quantize: --int16 keeps ops in int16 inside an int8 model; --scheme int16x8 runs every op in int16");
  // The mse and entropy calibrators weigh clipping against the rounding
  // error of the levels the range is cut into: 65536 for int16.
  if (scheme == "int16x8") calibration.observer.levels = 65536;
  if (io != "float") {
    if (scheme == "int16x8" ? io != "int16" : io == "int16")
      throw usage_error("quantize: --io " + io + " does not fit --scheme " + scheme + "; its integer inputs and outputs are " +
                        (scheme == "int16x8" ? "int16" : "int8 or uint8"));
    options.inputs = options.outputs = io == "uint8" ? quant::io_type::uint8 : quant::io_type::integer;
  }
  const bool automatic = calibrator_choice == "auto";
  if (!automatic) calibration.observer.method = parse_calibrator(calibrator_choice);
  const auto model = std::make_shared<const runtime::model>(tflite::read_model_file(model_path));
  (void)quant::plan_fences(*model, options);  // --no-fences: fail before calibrating
  quant::calibration_report report;
  std::optional<quant::calibration_samples> samples;
  if (from_model) {
    report = quant::ranges_from_model(*model);
  } else {
    quant::require_float_model(*model, "quantize");
    samples.emplace(calib_dir, *model, sampling);
    calibration.progress = progress_printer("calibrate");
    report = quant::calibrate(model, *samples, calibration);
  }
  const auto warn = [](const quant::calibration_report& r) {
    for (const auto& w : r.warnings) std::cerr << "qfence: warning: " << w << "\n";
  };
  auto quantize_with = [&](const quant::calibration_report& r) {
    quant::quantized_model q = quant::quantize_full_integer(*model, r, options);
    quant::check_runs(q.model);
    return q;
  };
  quant::quantized_model q;
  if (automatic && samples) {
    quant::calibrator_choice choice = quant::choose_calibrator(model, report, *samples, options);
    print_calibrator_trials(choice, stdout);
    // The warnings of the ranges it chose, not of the ones it started from.
    report = std::move(choice.report);
    warn(report);
    q = std::move(choice.model);
    quant::check_runs(q.model);
  } else {
    warn(report);
    q = quantize_with(report);
  }
  for (const auto& fence : q.fences) std::cout << fence.text() << "\n";
  for (const int k : q.int16_ops)
    std::cout << "int16: operator " << k << " (" << runtime::op_name(model->operations[static_cast<std::size_t>(k)])
              << ") runs in int16x8; QUANTIZE between int8 and int16 at its borders\n";
  for (const auto& note : q.notes) std::cout << "note: " << note << "\n";
  write_model_file(out_path, q.model);
  std::cout << "wrote " << out_path << ": " << q.model.operations.size() << " operators, " << q.fences.size()
            << " fence" << (q.fences.size() == 1 ? "" : "s") << ", calibrator " << report.calibrator << "\n";
  return 0;
}

int debug_command(const std::vector<std::string>& args) {
  std::vector<std::string> models, inputs;
  std::string calib_dir, svg_path;
  quant::sample_options sampling;
  bool as_json = false;
  int top = 20;
  std::optional<double> suggest_db;
  std::string calibrator_choice = "auto";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (sample_option(args, i, sampling)) continue;
    if (a == "--in") inputs.push_back(flag_value(args, i));
    else if (a == "--calib") calib_dir = flag_value(args, i);
    else if (a == "--json") as_json = true;
    else if (a == "--svg") svg_path = flag_value(args, i);
    else if (a == "--top") top = parse_count(a, flag_value(args, i));
    else if (a == "--suggest") {
      const std::string v = flag_value(args, i);
      try {
        std::size_t used = 0;
        suggest_db = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
      } catch (const std::exception&) {
        throw usage_error("--suggest takes the target output SQNR in dB (e.g. 40), not '" + v + "'");
      }
    } else if (a == "--calibrator") calibrator_choice = flag_value(args, i);
    else if (a.starts_with("-")) throw usage_error("debug: unknown option '" + a + "'");
    else models.push_back(a);
  }
  if (models.size() != 2) throw usage_error("debug: give two models, the float one and the quantized one");
  if (inputs.empty() == calib_dir.empty()) throw usage_error("debug: give the samples, --in FILE... or --calib DIR, one of them");
  const auto float_model = std::make_shared<const runtime::model>(tflite::read_model_file(models[0]));
  const auto quantized = std::make_shared<const runtime::model>(tflite::read_model_file(models[1]));
  for (const runtime::tensor& t : float_model->tensors)
    if (!t.constant && t.quant.quantized())
      throw runtime::model_error("debug: the first model ('" + models[0] + "') must be the float one, but its tensor '" +
                                 runtime::printable(t.name) + "' is " + runtime::type_text(t) +
                                 "; give the float model first, then the quantized one");
  if (suggest_db && calib_dir.empty())
    throw usage_error("debug: --suggest needs --calib DIR (it calibrates on those samples and quantizes again)");
  const quant::debug_report report = calib_dir.empty()
                                         ? quant::debug_layers(float_model, quantized, file_sample{inputs})
                                         : quant::debug_layers(float_model, quantized,
                                                               quant::calibration_samples(calib_dir, *float_model, sampling));
  // --suggest: which layers to keep in int16 or float to reach the target, each step
  // verified by quantizing again (quant/fence_suggestion.hpp), starting from
  // what `qfence quantize` makes with these samples and this calibrator.
  std::optional<quant::fence_suggestion> suggestion;
  if (suggest_db) {
    const quant::calibration_samples samples(calib_dir, *float_model, sampling);
    quant::calibration_options calibration;
    if (calibrator_choice != "auto") calibration.observer.method = parse_calibrator(calibrator_choice);
    quant::calibration_report ranges = quant::calibrate(float_model, samples, calibration);
    if (calibrator_choice == "auto") ranges = quant::choose_calibrator(float_model, ranges, samples).report;
    suggestion = quant::suggest_fences(float_model, ranges, samples, *suggest_db);
    suggestion->calibrator = ranges.calibrator;
  }
  if (!svg_path.empty()) {
    std::ofstream out(svg_path, std::ios::binary);
    out << debug_svg(report, "qfence debug: " + std::filesystem::path(models[1]).filename().string() + " against " +
                                 std::filesystem::path(models[0]).filename().string());
    if (!out) throw runtime::model_error("cannot write '" + svg_path + "'");
  }
  if (as_json) {
    json j;
    j.begin_object();
    j.field("float_model", models[0]);
    j.field("quantized_model", models[1]);
    write_debug_json(j, report);
    if (suggestion) write_suggestion_json(j, *suggestion);
    j.end_object();
    std::cout << j.str() << "\n";
  } else {
    std::cout << debug_text(report, static_cast<std::size_t>(top));
    if (suggestion) std::cout << suggestion_text(*suggestion, models[0], calib_dir);
  }
  return 0;
}

int dequantize_command(const std::vector<std::string>& args) {
  std::string model_path, out_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-o" || a == "--output") out_path = flag_value(args, i);
    else if (a.starts_with("-")) throw usage_error("dequantize: unknown option '" + a + "'");
    else if (model_path.empty()) model_path = a;
    else throw usage_error("dequantize: more than one model given");
  }
  if (model_path.empty()) throw usage_error("dequantize: no model given");
  if (out_path.empty()) throw usage_error("dequantize: no output file given (-o FLOAT.tflite)");
  const runtime::model q = tflite::read_model_file(model_path);
  const quant::dequantized_model f = quant::dequantize_model(q);
  write_model_file(out_path, f.model);
  // The twin is valid TFLite either way; say so when qfence itself lacks a
  // float kernel it needs.
  try {
    runtime::check_builtin_ops(f.model);
  } catch (const runtime::model_error& e) {
    std::cerr << "qfence: warning: qfence cannot run the float twin yet: " << e.what() << "\n";
  }
  if (f.constants == 0 && f.activations == 0 && f.removed_ops == 0)
    std::cerr << "qfence: warning: '" << model_path
              << "' holds no quantized tensors: it is float already, and the written model computes what it does\n";
  std::cout << "wrote " << out_path << ": dequantized " << f.constants << " constants and " << f.activations
            << " activations, removed " << f.removed_ops << " QUANTIZE/DEQUANTIZE\n";
  return 0;
}

int layers_command(const std::vector<std::string>& args) {
  std::string model_path, target_name;
  int repeat = 50;
  bool as_json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--repeat") repeat = parse_count(a, flag_value(args, i));
    else if (a == "--target") target_name = flag_value(args, i);
    else if (a == "--json") as_json = true;
    else if (a.starts_with("-")) throw usage_error("layers: unknown option '" + a + "'");
    else if (model_path.empty()) model_path = a;
    else throw usage_error("layers: more than one model given");
  }
  if (model_path.empty()) throw usage_error("layers: no model given");
  return print_layers(model_path, target_name, repeat, as_json);
}

}  // namespace
}  // namespace qfence::cli

int main(int argc, char** argv) {
  using namespace qfence::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) throw usage_error("no command given");
    const std::string command = args.front();
    if (command == "-h" || command == "--help" || command == "help") {
      std::cout << usage_text;
      return 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
        std::find(rest.begin(), rest.end(), "-h") != rest.end()) {
      std::cout << usage_text;
      return 0;
    }
    if (command == "run") return run_command(rest);
    if (command == "inspect") return inspect_command(rest);
    if (command == "embed") return embed_command(rest);
    if (command == "layers") return layers_command(rest);
    if (command == "calibrate") return calibrate_command(rest);
    if (command == "quantize") return quantize_command(rest);
    if (command == "debug") return debug_command(rest);
    if (command == "dequantize") return dequantize_command(rest);
    if (command == "ops") {
      if (rest.size() > 1) throw usage_error("ops takes one option at most (--json or --markdown)");
      if (rest.empty()) return print_ops("text");
      if (rest[0] == "--json") return print_ops("json");
      if (rest[0] == "--markdown") return print_ops("markdown");
      throw usage_error("ops: unknown option '" + rest[0] + "'");
    }
    if (command == "targets") {
      if (!rest.empty()) throw usage_error("targets takes no arguments");
      // Usable first (best first, one per line), for scripts and tests.
      for (const auto t : qfence::kernels::usable_targets()) std::cout << t.name() << "\n";
      return 0;
    }
    throw usage_error("unknown command '" + command + "'");
  } catch (const usage_error& e) {
    std::cerr << "qfence: error: " << e.what() << " (see qfence --help)\n";
    return 2;
  } catch (const qfence::runtime::model_error& e) {
    std::cerr << "qfence: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "qfence: error: " << e.what() << "\n";
    return 1;
  }
}
