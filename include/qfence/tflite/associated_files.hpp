// qfence/tflite/associated_files.hpp: the zip archive of TFLite Support's
// associated files (a classifier's labels, a tokenizer's vocabulary) that
// the metadata populator appends after a model's flatbuffer, and that the
// metadata (tflite/support_metadata.hpp) names. The reader keeps the
// archive, the writer appends it again, so a model qfence quantizes or
// dequantizes keeps its labels for the Task Library.
//
// Why offsets are rewritten rather than the bytes copied: a zip records
// where its entries and its central directory are as offsets, and the
// populator (Python's zipfile, appending) counts them from the start of
// the .tflite file, so they change with the size of the flatbuffer before
// the archive. qfence keeps the archive with offsets counted from its own
// first byte and counts them from the file's start again when it writes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite {

namespace detail {

// The zip records qfence reads (PKWARE's APPNOTE, section 4.3): the end of
// central directory record, central directory headers, local file headers.
inline constexpr std::uint32_t zip_end_signature = 0x06054b50;
inline constexpr std::uint32_t zip_central_signature = 0x02014b50;
inline constexpr std::uint32_t zip_local_signature = 0x04034b50;
inline constexpr std::size_t zip_end_size = 22;      // without its comment
inline constexpr std::size_t zip_central_size = 46;  // without name, extra field and comment

template <class Byte> std::uint32_t zip_u16(std::span<Byte> b, std::size_t at) {
  return static_cast<std::uint32_t>(std::to_integer<std::uint8_t>(std::byte(b[at]))) |
         static_cast<std::uint32_t>(std::to_integer<std::uint8_t>(std::byte(b[at + 1]))) << 8;
}
template <class Byte> std::uint32_t zip_u32(std::span<Byte> b, std::size_t at) {
  return zip_u16(b, at) | zip_u16(b, at + 2) << 16;
}
template <class Byte> void zip_put_u32(std::span<Byte> b, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) b[at + i] = static_cast<Byte>((v >> (8 * i)) & 0xff);
}

/// Where a zip archive's records are, in a span that ends with it.
struct zip_layout {
  std::size_t end = 0;                // the end of central directory record
  std::size_t central = 0;            // the central directory
  std::int64_t base = 0;              // where the archive's offsets count from
  std::size_t first = 0;              // the archive's first byte (its first local header, else the directory)
  std::vector<std::size_t> entry_at;  // each central directory header
};

/// The layout of the zip archive that ends `bytes`; nullopt when `bytes`
/// does not end with one, `problem` set when it seems to but cannot be read.
template <class Byte>
std::optional<zip_layout> zip_layout_of(std::span<Byte> bytes, std::string& problem) {
  const std::size_t size = bytes.size();
  if (size < zip_end_size) return std::nullopt;
  // The end record is the last 22 bytes, unless the archive has a comment
  // (at most 65535 bytes), which follows it.
  std::optional<std::size_t> end;
  const std::size_t lowest = size - zip_end_size > 0xffff ? size - zip_end_size - 0xffff : 0;
  for (std::size_t at = size - zip_end_size + 1; at-- > lowest;)
    if (zip_u32(bytes, at) == zip_end_signature && at + zip_end_size + zip_u16(bytes, at + 20) == size) {
      end = at;
      break;
    }
  if (!end) return std::nullopt;
  zip_layout z;
  z.end = *end;
  const auto fail = [&](const std::string& why) {
    problem = "the zip archive of associated files after the model " + why;
    return std::nullopt;
  };
  const std::uint32_t entries = zip_u16(bytes, z.end + 10), directory_size = zip_u32(bytes, z.end + 12),
                      directory_offset = zip_u32(bytes, z.end + 16);
  if (zip_u16(bytes, z.end + 4) != 0 || zip_u16(bytes, z.end + 6) != 0 || zip_u16(bytes, z.end + 8) != entries)
    return fail("spans several disks");
  if (entries == 0xffff || directory_size == 0xffffffff || directory_offset == 0xffffffff)
    return fail("is a zip64 archive, which qfence does not keep");
  if (directory_size > z.end) return fail("has a central directory larger than the file");
  z.central = z.end - directory_size;
  // Offsets count from the file's start (base 0) when the archive was
  // appended by Python's zipfile, from the archive's start otherwise.
  z.base = static_cast<std::int64_t>(z.central) - static_cast<std::int64_t>(directory_offset);
  if (z.base < 0) return fail("says its central directory starts beyond where it does");
  z.first = z.central;
  std::size_t at = z.central;
  for (std::uint32_t e = 0; e < entries; ++e) {
    if (at + zip_central_size > z.end || zip_u32(bytes, at) != zip_central_signature)
      return fail("has a corrupt central directory (entry " + std::to_string(e) + ")");
    z.entry_at.push_back(at);
    const std::uint64_t local = static_cast<std::uint64_t>(z.base) + zip_u32(bytes, at + 42);
    if (local + 30 > z.central || zip_u32(bytes, static_cast<std::size_t>(local)) != zip_local_signature)
      return fail("names entry " + std::to_string(e) + " at an offset that holds no file");
    z.first = std::min(z.first, static_cast<std::size_t>(local));
    at += zip_central_size + zip_u16(bytes, at + 28) + zip_u16(bytes, at + 30) + zip_u16(bytes, at + 32);
  }
  if (at != z.end) return fail("has a central directory whose size does not match its entries");
  return z;
}

/// Adds `delta` to every offset of the zip archive `zip`, whose records
/// are where `z` says. Throws runtime::model_error
/// when an offset leaves the 32 bits a zip (not zip64) has for it.
inline void shift_zip_offsets(std::span<std::uint8_t> zip, const zip_layout& z, std::int64_t delta) {
  const auto shifted = [&](std::size_t at) {
    const std::int64_t v = static_cast<std::int64_t>(zip_u32(zip, at)) + delta;
    if (v < 0 || v > std::numeric_limits<std::uint32_t>::max())
      throw runtime::model_error("the model is too large to carry its associated files (a zip archive's offsets "
                                 "have 32 bits)");
    zip_put_u32(zip, at, static_cast<std::uint32_t>(v));
  };
  for (const std::size_t at : z.entry_at) shifted(at + 42);
  shifted(z.end + 16);
}

}  // namespace detail

/// The zip archive of associated files that ends `file` (a .tflite's
/// bytes), with its offsets counted from its own first byte; empty when
/// the file ends with none. An archive that cannot be read is left out
/// and `note` says why (interpreters ignore it: the model still loads).
inline std::vector<std::uint8_t> associated_files_of(std::span<const std::byte> file, std::string& note) {
  const std::optional<detail::zip_layout> found = detail::zip_layout_of(file, note);
  if (!found) return {};
  if (found->first < 8) {  // the flatbuffer verified, so an archive cannot begin inside it
    note = "the zip archive of associated files after the model claims to begin inside the flatbuffer";
    return {};
  }
  std::vector<std::uint8_t> zip(file.size() - found->first);
  for (std::size_t i = 0; i < zip.size(); ++i) zip[i] = std::to_integer<std::uint8_t>(file[found->first + i]);
  // The same records in the copy, their offsets counted from its start.
  detail::zip_layout inside = *found;
  for (std::size_t& at : inside.entry_at) at -= found->first;
  inside.end -= found->first;
  detail::shift_zip_offsets(zip, inside, found->base - static_cast<std::int64_t>(found->first));
  return zip;
}

/// Appends `zip` (offsets from its own first byte, as associated_files_of
/// gives it) to `file`, counting its offsets from the file's start as
/// TFLite Support's populator does.
inline void append_associated_files(std::vector<std::byte>& file, std::span<const std::uint8_t> zip) {
  if (zip.empty()) return;
  std::vector<std::uint8_t> moved(zip.begin(), zip.end());
  std::string problem;
  const std::optional<detail::zip_layout> z = detail::zip_layout_of(std::span<const std::uint8_t>(moved), problem);
  if (!z) throw runtime::model_error("cannot write the associated files: " + (problem.empty() ? "not a zip archive" : problem));
  detail::shift_zip_offsets(moved, *z, static_cast<std::int64_t>(file.size()));
  for (const std::uint8_t b : moved) file.push_back(std::byte{b});
}

/// The names of the files in `zip` (associated_files_of's form), in the
/// archive's order: what `qfence inspect` lists.
inline std::vector<std::string> associated_file_names(std::span<const std::uint8_t> zip) {
  std::string problem;
  const std::optional<detail::zip_layout> z = detail::zip_layout_of(zip, problem);
  if (!z) return {};
  std::vector<std::string> names;
  for (const std::size_t at : z->entry_at)
    names.emplace_back(reinterpret_cast<const char*>(zip.data()) + at + detail::zip_central_size,
                       detail::zip_u16(zip, at + 28));
  return names;
}

}  // namespace qfence::tflite

QFENCE_EXACT_FLOAT_END
