// tools/qfence/run_options.hpp: the options `qfence run` and the
// compile-time path's program (embed_driver.cpp, run by scripts/embed-run)
// share, read by one parser so that the two accept and refuse the same
// command lines (they had drifted: `--repeat 0` was an error in one and 1 in
// the other).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace qfence::cli {

/// A command line the tools cannot take: they print what() and where help is.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A positive count, the whole of `s`, or a usage_error naming `flag`.
inline int parse_count(const std::string& flag, const std::string& s) {
  try {
    std::size_t used = 0;
    const int n = std::stoi(s, &used);
    if (used == s.size() && n >= 1) return n;
  } catch (const std::exception&) {
  }
  throw usage_error(flag + " takes a positive integer, not '" + s + "'");
}

/// Reads the value of a flag that takes one, or fails naming the flag.
inline std::string flag_value(const std::vector<std::string>& args, std::size_t& i) {
  if (i + 1 >= args.size()) throw usage_error(args[i] + " needs a value");
  return args[++i];
}

/// The value of --numerics: tflm or tflite, the two references whose
/// arithmetic differs in a few places (docs/numerics.md, "Two references").
inline std::string numerics_value(const std::vector<std::string>& args, std::size_t& i) {
  std::string v = flag_value(args, i);
  if (v != "tflm" && v != "tflite") throw usage_error("--numerics takes tflm or tflite, not '" + v + "'");
  return v;
}

/// How a model is run: its inputs, where its outputs go, how many invokes.
struct run_options {
  std::vector<std::string> inputs;  // --in, one per model input (none: the seeded noise)
  std::string out_dir;
  int repeat = 1;    // invokes on the same inputs, each from the initial state (timing)
  int sequence = 0;  // > 0: that many invokes carrying state, each on the next inputs
  std::string target_name;  // --target (empty: QFENCE_TARGET, else the best this CPU runs)
  std::string numerics = "tflm";  // numerics_value's
  bool reference_kernels = false;
};

/// If args[i] is one of run_options' flags, reads it (and its value) into
/// `o` and returns true; otherwise returns false and reads nothing.
inline bool read_run_option(const std::vector<std::string>& args, std::size_t& i, run_options& o) {
  const std::string& a = args[i];
  if (a == "--in") o.inputs.push_back(flag_value(args, i));
  else if (a == "--out-dir") o.out_dir = flag_value(args, i);
  else if (a == "--repeat") o.repeat = parse_count(a, flag_value(args, i));
  else if (a == "--sequence") o.sequence = parse_count(a, flag_value(args, i));
  else if (a == "--target") o.target_name = flag_value(args, i);
  else if (a == "--reference-kernels") o.reference_kernels = true;
  else if (a == "--numerics") o.numerics = numerics_value(args, i);
  else return false;
  return true;
}

/// The rules between the options, once every one is read.
inline void check_run_options(const run_options& o) {
  if (o.sequence > 0 && o.repeat > 1)
    throw usage_error("--sequence runs N invokes that carry state, --repeat times one invoke: pick one");
  if (o.reference_kernels && !o.target_name.empty())
    throw usage_error("--reference-kernels and --target " + o.target_name + " both choose the kernels: pick one");
}

}  // namespace qfence::cli
