// tools/qfence/invoke_sequence.hpp: the inputs and outputs of `qfence run`
// and of the compile-time driver (embed_driver.cpp), shared so that the two
// paths read and write them alike.
//
// One invoke, or with --sequence N a stream of N invokes that carries state
// (SVDF's memory, CIRCULAR_BUFFER's register) from one to the next, as an
// application feeding a streaming model does:
//   - invoke k's inputs: the seeded noise continued (fill_seeded), or sample
//     k of each --in file, which then holds N samples back to back;
//   - output i's file holds the output of every invoke that completed, back
//     to back; `invokes.txt` says, one line per invoke, "completed" or
//     "ended_early" (an invoke that ended early leaves no new outputs).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "qfence/core/invoke_status.hpp"
#include "run_options.hpp"
#include "seeded_input.hpp"

namespace qfence::cli {

/// A failure reading inputs or writing outputs; the tools print what().
struct io_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// --in files, when given, are one per model input: an io_error otherwise.
inline void check_input_files(int input_count, const std::vector<std::string>& files) {
  if (static_cast<int>(files.size()) != input_count)
    throw io_error("the model has " + std::to_string(input_count) + (input_count == 1 ? " input, " : " inputs, ") +
                   std::to_string(files.size()) + " --in files were given (one per input)");
}

/// Writes input `input`'s bytes for invoke `k` of `count`: from `file` when
/// given (its sample k), else the seeded noise continued.
inline void load_input(xorshift32& rng, dtype type, std::span<std::byte> dst, int input, const std::string& file,
                       int k, int count) {
  if (file.empty()) {
    fill_seeded(rng, type, dst);
    return;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw io_error("input " + std::to_string(input) + " ('" + file + "') is a directory, not a file");
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) throw io_error("cannot open input " + std::to_string(input) + " ('" + file + "')");
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size != dst.size() * static_cast<std::size_t>(count))
    throw io_error("input " + std::to_string(input) + " ('" + file + "') has " + std::to_string(size) +
                   " bytes, the model needs " + std::to_string(dst.size()) +
                   (count > 1 ? " per invoke, " + std::to_string(count) + " invokes: " +
                                    std::to_string(dst.size() * static_cast<std::size_t>(count))
                              : std::string()));
  in.seekg(static_cast<std::streamoff>(dst.size() * static_cast<std::size_t>(k)));
  in.read(reinterpret_cast<char*>(dst.data()), static_cast<std::streamsize>(dst.size()));
  if (!in) throw io_error("cannot read input " + std::to_string(input) + " ('" + file + "')");
}

/// The loader of a run's inputs: `load(k)` writes invoke k's, sample k of
/// each --in file or the seeded noise continued (one stream over the whole
/// run, as ../shared/models/README.md's reference outputs were made).
/// `type_of(i)` and `bytes_of(i)` give model input i's dtype and the bytes
/// to fill. Throws io_error when --in files were given but not one per input.
template <class TypeOf, class BytesOf>
auto input_loader(const run_options& o, int input_count, TypeOf type_of, BytesOf bytes_of) {
  if (!o.inputs.empty()) check_input_files(input_count, o.inputs);
  return [&o, input_count, type_of, bytes_of, rng = xorshift32(1)](int k) mutable {
    const int invokes = std::max(o.sequence, 1);
    for (int i = 0; i < input_count; ++i)
      load_input(rng, type_of(i), bytes_of(i), i, o.inputs.empty() ? std::string() : o.inputs[static_cast<std::size_t>(i)],
                 k, invokes);
  };
}

/// What a run leaves: each output's bytes from every completed invoke, and
/// every invoke's status.
class invoke_record {
 public:
  explicit invoke_record(int outputs) : outputs_(static_cast<std::size_t>(outputs)) {}

  /// Records one invoke; `output(i)` gives output i's bytes (read only when
  /// the invoke completed).
  template <class OutputBytes>
  void add(invoke_status s, OutputBytes&& output) {
    statuses_.push_back(s);
    if (s != invoke_status::completed) return;
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const std::span<const std::byte> b = output(static_cast<int>(i));
      outputs_[i].insert(outputs_[i].end(), b.begin(), b.end());
    }
  }

  int completed() const noexcept {
    int n = 0;
    for (invoke_status s : statuses_) n += s == invoke_status::completed ? 1 : 0;
    return n;
  }
  const std::vector<invoke_status>& statuses() const noexcept { return statuses_; }

  /// output<i>.bin per output and, for a sequence, invokes.txt.
  void write(const std::filesystem::path& dir, bool sequence) const {
    std::filesystem::create_directories(dir);
    auto put = [&](const std::filesystem::path& path, const void* data, std::size_t n) {
      std::ofstream out(path, std::ios::binary);
      out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
      if (!out) throw io_error("cannot write '" + path.string() + "'");
    };
    for (std::size_t i = 0; i < outputs_.size(); ++i)
      put(dir / ("output" + std::to_string(i) + ".bin"), outputs_[i].data(), outputs_[i].size());
    if (!sequence) return;
    std::string lines;
    for (invoke_status s : statuses_) lines += std::string(name(s)) + "\n";
    put(dir / "invokes.txt", lines.data(), lines.size());
  }

 private:
  std::vector<std::vector<std::byte>> outputs_;
  std::vector<invoke_status> statuses_;
};

/// Runs the invokes `o` asks for, recording their outputs in `record`. A
/// sequence: o.sequence invokes carrying state, each on its own inputs
/// (load_inputs(k)). Otherwise the inputs are set once, one untimed warm-up
/// (caches, page faults) when repeating, then o.repeat invokes that each
/// start from the initial state, so that the outputs do not depend on
/// --repeat. Returns each timed invoke's microseconds, sorted; the clock
/// reads around invoke() alone.
template <class LoadInputs, class ResetState, class Invoke, class OutputBytes>
std::vector<double> timed_invokes(const run_options& o, invoke_record& record, LoadInputs&& load_inputs,
                                  ResetState&& reset_state, Invoke&& invoke, OutputBytes&& outputs) {
  std::vector<double> times_us;
  auto timed = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    const invoke_status s = invoke();
    times_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    return s;
  };
  if (o.sequence > 0) {
    reset_state();
    for (int k = 0; k < o.sequence; ++k) {
      load_inputs(k);
      record.add(timed(), outputs);
    }
  } else {
    load_inputs(0);
    if (o.repeat > 1) {
      reset_state();
      (void)invoke();
    }
    invoke_status s = invoke_status::completed;
    for (int r = 0; r < o.repeat; ++r) {
      reset_state();
      s = timed();
    }
    record.add(s, outputs);
  }
  std::sort(times_us.begin(), times_us.end());
  return times_us;
}

}  // namespace qfence::cli
