// qfence/quant/sample_directory.hpp: a representative dataset on disk, in
// the layout of DESIGN section 7.
//
//   DIR/0000.bin DIR/0001.bin ...            one input: one file per sample
//   DIR/input0/0000.bin DIR/input1/0000.bin  several inputs: one folder per
//                                            input, the same file names
//
// Each file holds one input's raw little-endian bytes (float32 for a float
// model). Samples are taken in file-name order, so a run is reproducible.
// Only the list of names is kept: a sample is read when it is used.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// A problem with calibration data (missing files, wrong sizes): what()
/// names the file.
class data_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where a sample holds a value that is not a finite number.
struct bad_value {
  std::filesystem::path file;
  std::size_t index;  // element index in the file
  float value;
};

class sample_directory {
 public:
  /// Lists the samples of `dir` for a model with `inputs` inputs.
  sample_directory(std::filesystem::path dir, int inputs) : dir_(std::move(dir)), inputs_(inputs) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir_)) throw data_error("calibration data: '" + dir_.string() + "' is not a directory");
    if (inputs_ == 1 && !fs::is_directory(dir_ / "input0")) {
      names_ = bin_files(dir_);
    } else {
      names_ = bin_files(folder(0));
      for (int k = 1; k < inputs_; ++k) {
        const auto other = bin_files(folder(k));
        if (other != names_)
          throw data_error("calibration data: '" + folder(k).string() + "' does not hold the same file names as '" +
                           folder(0).string() + "' (" + std::to_string(other.size()) + " against " +
                           std::to_string(names_.size()) + " files); each sample needs one file per input");
      }
    }
    if (names_.empty())
      throw data_error("calibration data: no *.bin files in '" + (inputs_ == 1 ? dir_ : folder(0)).string() +
                       "' (one raw little-endian file per sample" +
                       (inputs_ > 1 ? ", in input0/ input1/ ... for a model with several inputs)" : ")"));
  }

  std::size_t size() const noexcept { return names_.size(); }
  int inputs() const noexcept { return inputs_; }
  const std::string& name(std::size_t sample) const { return names_.at(sample); }
  std::filesystem::path file(std::size_t sample, int input) const {
    return (inputs_ == 1 && !std::filesystem::is_directory(dir_ / "input0") ? dir_ : folder(input)) / names_.at(sample);
  }

  /// Checks that every file has the size of its input (`bytes[input]`)
  /// before any is used: a wrong file fails at once, not hours into a run.
  void check_sizes(std::span<const std::size_t> bytes) const {
    for (std::size_t s = 0; s < size(); ++s)
      for (int k = 0; k < inputs_; ++k) {
        const auto path = file(s, k);
        std::error_code ec;
        const auto n = std::filesystem::file_size(path, ec);
        if (ec) throw data_error("calibration data: cannot read '" + path.string() + "': " + ec.message());
        if (n != bytes[static_cast<std::size_t>(k)]) throw size_error(path, n, k, bytes[static_cast<std::size_t>(k)]);
      }
  }

  /// Reads input `input` of `sample` into `dst`, whose size the file must
  /// have exactly.
  void read(std::size_t sample, int input, std::span<std::byte> dst) const {
    const auto path = file(sample, input);
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw data_error("calibration data: cannot open '" + path.string() + "'");
    const auto bytes = static_cast<std::size_t>(in.tellg());
    if (bytes != dst.size()) throw size_error(path, bytes, input, dst.size());
    in.seekg(0);
    in.read(reinterpret_cast<char*>(dst.data()), static_cast<std::streamsize>(dst.size()));
    if (!in) throw data_error("calibration data: cannot read '" + path.string() + "'");
  }

  /// The first value of `values` (read from input `input` of `sample`) that
  /// is NaN or infinite.
  std::optional<bad_value> first_bad_value(std::size_t sample, int input, std::span<const float> values) const {
    const auto it = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
    if (it == values.end()) return std::nullopt;
    return bad_value{file(sample, input), static_cast<std::size_t>(it - values.begin()), *it};
  }

 private:
  static data_error size_error(const std::filesystem::path& path, std::size_t has, int input, std::size_t needs) {
    return data_error("calibration data: '" + path.string() + "' has " + std::to_string(has) + " bytes; input " +
                      std::to_string(input) + " of the model needs " + std::to_string(needs));
  }
  std::filesystem::path folder(int input) const { return dir_ / ("input" + std::to_string(input)); }
  static std::vector<std::string> bin_files(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) throw data_error("calibration data: '" + dir.string() + "' is not a directory");
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".bin") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::filesystem::path dir_;
  int inputs_;
  std::vector<std::string> names_;
};

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
