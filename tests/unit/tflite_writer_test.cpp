// The .tflite writer (include/qfence/tflite/writer.hpp): what it writes
// verifies, and reads back into the same runtime IR, field by field, for
// the in-memory test models, every op of the op matrix and every model in
// ../shared (when present).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "qfence/tflite/associated_files.hpp"
#include "qfence/tflite/reader.hpp"
#include "qfence/tflite/writer.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace tflite_writer_test {

using namespace qfence;

namespace {

/// Every difference between two models, one line each ("" when none).
std::string differences(const runtime::model& a, const runtime::model& b) {
  std::string d;
  auto note = [&](bool same, const std::string& what) {
    if (!same) d += what + "\n";
  };
  note(a.inputs == b.inputs, "inputs");
  note(a.outputs == b.outputs, "outputs");
  note(a.tensors.size() == b.tensors.size(), "tensor count");
  note(a.subgraph_count == b.subgraph_count && a.subgraphs.size() == b.subgraphs.size(), "subgraph count");
  note(a.support_metadata == b.support_metadata, "TFLite Support metadata");
  note(a.associated_files == b.associated_files, "associated files");
  if (!d.empty()) return d;
  for (std::size_t t = 0; t < a.tensors.size(); ++t) {
    const auto &x = a.tensors[t], &y = b.tensors[t];
    const std::string at = "tensor " + std::to_string(t) + " ";
    note(x.name == y.name, at + "name");
    note(x.type == y.type, at + "dtype");
    note(x.shape == y.shape, at + "shape");
    note(x.quant == y.quant, at + "quantization");
    note(x.constant == y.constant && x.variable == y.variable, at + "kind");
    note(x.data.size() == y.data.size() && std::equal(x.data.begin(), x.data.end(), y.data.begin()), at + "data");
  }
  for (int g = 0; g < a.subgraph_count; ++g) {
    const std::string graph = g == 0 ? "" : "subgraph " + std::to_string(g) + " ";
    if (g > 0) {
      const auto &x = a.subgraphs[static_cast<std::size_t>(g - 1)], &y = b.subgraphs[static_cast<std::size_t>(g - 1)];
      note(x.name == y.name && x.first_tensor == y.first_tensor && x.tensor_count == y.tensor_count,
           graph + "name or tensors");
      note(x.inputs == y.inputs && x.outputs == y.outputs, graph + "inputs or outputs");
    }
    const auto &ops_a = a.operations_of(g), &ops_b = b.operations_of(g);
    note(ops_a.size() == ops_b.size(), graph + "operation count");
    for (std::size_t k = 0; k < std::min(ops_a.size(), ops_b.size()); ++k) {
      const auto &x = ops_a[k], &y = ops_b[k];
      const std::string at = graph + "operation " + std::to_string(k) + " ";
      note(x.code == y.code && x.source_code == y.source_code && x.custom_code == y.custom_code, at + "code");
      note(x.version == y.version, at + "version");
      note(x.inputs == y.inputs && x.outputs == y.outputs && x.intermediates == y.intermediates, at + "operands");
      note(x.options == y.options, at + "options");
      note(x.custom_options.size() == y.custom_options.size() &&
               std::equal(x.custom_options.begin(), x.custom_options.end(), y.custom_options.begin()),
           at + "custom options");
    }
  }
  return d;
}

runtime::model round_trip(const runtime::model& m) { return tflite::read_model(tflite::write_model(m)); }

}  // namespace

TEST_CASE("writer: the in-memory test models read back identically") {
  const runtime::model m = tflite::read_model(qtest::tfl::build(qtest::tfl::float_add_model()));
  CHECK(differences(m, round_trip(m)) == "");
  // Min/max statistics without scales survive (quantize --calib-from-model reads them).
  auto spec = qtest::tfl::float_add_model();
  runtime::model with_stats = tflite::read_model(qtest::tfl::build(spec));
  with_stats.tensors[0].quant.min = {-1.5f};
  with_stats.tensors[0].quant.max = {2.5f};
  const runtime::model back = round_trip(with_stats);
  CHECK(back.tensors[0].quant.min == std::vector<float>{-1.5f});
  CHECK(back.tensors[0].quant.max == std::vector<float>{2.5f});
  CHECK(!back.tensors[0].quant.quantized());
}

TEST_CASE("writer: TFLite Support metadata and the zip of associated files after the model are kept") {
  namespace tfl = qtest::tfl;
  auto spec = tfl::float_add_model();
  spec.support_metadata = tfl::normalization_metadata({127.5f}, {127.5f});
  const std::vector<std::uint8_t> flatbuffer_bytes = [&] {
    const auto b = tfl::build(spec);
    std::vector<std::uint8_t> v(b.size());
    std::memcpy(v.data(), b.data(), b.size());
    return v;
  }();
  const std::vector<std::pair<std::string, std::string>> files{{"labels.txt", "cat\ndog\n"}, {"vocab.txt", "a b c"}};
  const auto with_zip = [&](std::uint32_t base) {
    std::vector<std::byte> file(flatbuffer_bytes.size());
    std::memcpy(file.data(), flatbuffer_bytes.data(), file.size());
    for (const std::uint8_t b : tfl::stored_zip(files, base)) file.push_back(std::byte{b});
    return file;
  };
  // Offsets counted from the file's start (Python's zipfile, appending,
  // as TFLite Support's populator does) or from the archive's own start:
  // the same archive.
  const runtime::model m = tflite::read_model(with_zip(static_cast<std::uint32_t>(flatbuffer_bytes.size())));
  const runtime::model relative = tflite::read_model(with_zip(0));
  CHECK(m.associated_files == tfl::stored_zip(files, 0));
  CHECK(relative.associated_files == m.associated_files);
  CHECK(tflite::associated_file_names(m.associated_files) == std::vector<std::string>{"labels.txt", "vocab.txt"});
  CHECK(m.support_metadata == spec.support_metadata);
  CHECK(m.notes.empty());

  // Written back: the metadata as a TFLITE_METADATA buffer, the archive
  // after the flatbuffer with offsets from the file's start again (each
  // names a local file header), so the model reads back the same.
  const std::vector<std::byte> written = tflite::write_model(m);
  const runtime::model back = tflite::read_model(written);
  CHECK(back.support_metadata == m.support_metadata);
  CHECK(back.associated_files == m.associated_files);
  CHECK(differences(m, back) == "");
  const std::size_t zip_at = written.size() - m.associated_files.size();
  const auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v |= std::to_integer<std::uint32_t>(written[at + i]) << (8 * i);
    return v;
  };
  const std::size_t end_record = written.size() - 22;
  REQUIRE(u32(end_record) == 0x06054b50u);
  CHECK(u32(end_record + 16) == zip_at + 2 * 30 + 10 + 8 + 9 + 5);  // the directory, after both files
  CHECK(u32(u32(end_record + 16)) == 0x02014b50u);
  CHECK(u32(u32(end_record + 16) + 42) == zip_at);  // labels.txt's local header
  CHECK(u32(zip_at) == 0x04034b50u);
  const runtime::model no_extras = tflite::read_model(qtest::tfl::build(qtest::tfl::float_add_model()));
  CHECK(tflite::write_model(no_extras).size() < written.size() - m.associated_files.size());

  // An archive that cannot be read is left out, with a note; the model loads.
  std::vector<std::byte> corrupt = with_zip(static_cast<std::uint32_t>(flatbuffer_bytes.size()));
  corrupt[corrupt.size() - 22 + 16] = std::byte{0x01};  // the directory's offset, now wrong
  const runtime::model left_out = tflite::read_model(corrupt);
  CHECK(left_out.associated_files.empty());
  REQUIRE(left_out.notes.size() == 1);
  CHECK(left_out.notes[0].find("zip archive of associated files") != std::string::npos);
  CHECK(left_out.notes[0].find("not kept") != std::string::npos);
  std::vector<std::byte> zip64 = with_zip(0);
  for (std::size_t i = 12; i < 16; ++i) zip64[zip64.size() - 22 + i] = std::byte{0xff};  // directory size: zip64's mark
  CHECK(tflite::read_model(zip64).notes.at(0).find("zip64") != std::string::npos);
  // Truncated: the end record's comment length says more than is there.
  std::vector<std::byte> truncated = with_zip(0);
  truncated[truncated.size() - 2] = std::byte{0x10};
  const runtime::model no_zip = tflite::read_model(truncated);
  CHECK(no_zip.associated_files.empty());
  CHECK(no_zip.notes.empty());  // no end record where one must be: trailing bytes, not an archive
}

TEST_CASE("writer: every model in ../shared reads back identically") {
  namespace fs = std::filesystem;
  const fs::path shared = QFENCE_SHARED_DIR;
  if (!fs::is_directory(shared / "models")) {
    MESSAGE("skipped: " << (shared / "models").string() << " is absent");
    return;
  }
  int checked = 0, unwritable = 0;
  for (const char* folder : {"models", "twins"}) {
    if (!fs::is_directory(shared / folder)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(shared / folder)) {
      if (entry.path().extension() != ".tflite") continue;
      runtime::model m = tflite::read_model_file(entry.path().string());
      bool writable = true;
      for (const auto& op : m.operations) writable &= op.code != runtime::op_code::unknown;
      if (!writable) {  // the writer refuses ops whose options the reader did not keep
        CHECK_THROWS_WITH_AS(tflite::write_model(m), doctest::Contains("qfence does not know its options"),
                             runtime::model_error);
        ++unwritable;
        continue;
      }
      INFO(entry.path().string());
      CHECK(differences(m, round_trip(m)) == "");
      ++checked;
    }
  }
  MESSAGE(checked << " models read back identically; " << unwritable << " hold ops qfence does not know (refused)");
  CHECK(checked > 0);
  // mobilenet_v1_0.25_128_quant carries Model Maker's metadata and its
  // ImageNet labels in a zip after the flatbuffer (offsets from the file's
  // start): both were compared above; here, that they were there.
  const fs::path labelled = shared / "models" / "mobilenet_v1_0.25_128_quant" / "model.tflite";
  if (fs::exists(labelled)) {
    const runtime::model m = tflite::read_model_file(labelled.string());
    CHECK(!m.support_metadata.empty());
    CHECK(tflite::associated_file_names(m.associated_files) == std::vector<std::string>{"imagenet_labels.txt"});
  }
}

#ifdef QFENCE_WRITE_OP_MATRIX
TEST_CASE("writer: every single-op model of the op matrix reads back identically (options included)") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("qfence_writer_op_matrix_" + std::to_string(::getpid()));
  const std::string command = std::string(QFENCE_WRITE_OP_MATRIX) + " " + dir.string() + " > /dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  int checked = 0, several_graphs = 0, refused = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path file = entry.path() / "model.tflite";
    if (!fs::exists(file)) continue;
    runtime::model m;
    try {
      m = tflite::read_model_file(file.string());
    } catch (const runtime::model_error&) {  // a case of what the reader refuses (bad custom options)
      CHECK(entry.path().filename().string().starts_with("error_"));
      ++refused;
      continue;
    }
    INFO(entry.path().filename().string());
    several_graphs += m.subgraphs.empty() ? 0 : 1;
    CHECK(differences(m, round_trip(m)) == "");
    ++checked;
  }
  fs::remove_all(dir);
  MESSAGE(checked << " op-matrix models read back identically, " << several_graphs
                  << " of them with subgraphs (IF, WHILE, CALL_ONCE); " << refused << " refused by the reader");
  CHECK(checked > 300);
  CHECK(several_graphs >= 6);
}
#endif

}  // namespace tflite_writer_test
