// qfence/tflite/flexbuffer_reader.hpp: reads the custom options of the
// custom ops qfence ships: a flexbuffer whose root is a map (or a vector) of
// scalars, e.g. {"cycles_max": 2}.
//
// Why not flexbuffers.h: its scalar accessors also parse numbers written as
// strings, through a locale object that lives in libflatbuffers, so using
// them would make the header-only reader need that library. This reader
// takes scalars only, checks every offset against the buffer (a corrupt
// model is a model_error, never a read outside it), and follows the
// flexbuffers format: the root's byte width and packed type in the last two
// bytes, offsets counted back from where they are stored, a vector's size
// before its elements and its element types after them, a map's keys vector
// before its size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite::detail {

class flexbuffer_reader {
 public:
  /// `what` names the operation in errors ("operator 3 (CIRCULAR_BUFFER)").
  flexbuffer_reader(std::span<const std::byte> bytes, std::string what) : b_(bytes), what_(std::move(what)) {
    const std::size_t n = b_.size();
    if (n < 3) bad("shorter than a flexbuffer's root (" + std::to_string(n) + " bytes)");
    const std::size_t root_width = byte(n - 1);
    if (!valid_width(root_width) || n < 2 + root_width) bad("its root byte width is " + std::to_string(root_width));
    const unsigned packed = byte(n - 2);
    const std::size_t root = n - 2 - root_width;
    type_ = packed >> 2;
    if (type_ != map_type && type_ != vector_type) bad("its root is not a map or a vector of values");
    width_ = std::size_t{1} << (packed & 3u);
    elements_ = back(root, root_width);
    if (elements_ < width_) bad("an offset points before the buffer");
    size_ = static_cast<std::size_t>(read_uint(elements_ - width_, width_));
    if (size_ > n || elements_ + size_ * width_ + size_ > n) bad("its root holds more values than the buffer");
    if (type_ == map_type) {
      if (elements_ < 3 * width_) bad("a map's keys lie before the buffer");
      keys_ = back(elements_ - 3 * width_, width_);
      key_width_ = static_cast<std::size_t>(read_uint(elements_ - 2 * width_, width_));
      if (!valid_width(key_width_) || keys_ + size_ * key_width_ > n) bad("a map's keys lie outside the buffer");
    }
  }

  std::size_t size() const noexcept { return size_; }

  /// The index of `key` in the root map; nothing if absent (or the root is a vector).
  std::optional<std::size_t> find(std::string_view key) const {
    if (type_ != map_type) return std::nullopt;
    for (std::size_t i = 0; i < size_; ++i) {
      const std::size_t at = back(keys_ + i * key_width_, key_width_);
      const std::size_t end = nul_after(at);
      if (std::string_view(reinterpret_cast<const char*>(b_.data() + at), end - at) == key) return i;
    }
    return std::nullopt;
  }

  /// Value i as an integer (an int, uint or bool; a model_error otherwise).
  std::int64_t integer(std::size_t i, std::string_view name) const {
    const scalar s = value(i, name);
    if (s.type == int_type) return read_int(s.at, s.width);
    if (s.type == uint_type || s.type == bool_type) return static_cast<std::int64_t>(read_uint(s.at, s.width));
    bad("'" + std::string(name) + "' should be an integer");
  }
  /// Value i as a number (float, int or uint).
  double number(std::size_t i, std::string_view name) const {
    const scalar s = value(i, name);
    if (s.type == float_type) {
      if (s.width == 4) {
        float f;
        std::memcpy(&f, b_.data() + s.at, 4);
        return f;
      }
      if (s.width == 8) {
        double d;
        std::memcpy(&d, b_.data() + s.at, 8);
        return d;
      }
      bad("'" + std::string(name) + "' is a float of " + std::to_string(s.width) + " bytes");
    }
    return static_cast<double>(integer(i, name));
  }

 private:
  static constexpr unsigned int_type = 1, uint_type = 2, float_type = 3, indirect_int = 6, indirect_uint = 7,
                            indirect_float = 8, map_type = 9, vector_type = 10, bool_type = 26;
  struct scalar {
    unsigned type;
    std::size_t at, width;
  };

  [[noreturn]] void bad(const std::string& why) const {
    throw runtime::model_error(what_ + ": its custom options are not a valid flexbuffer map: " + why);
  }
  static bool valid_width(std::size_t w) noexcept { return w == 1 || w == 2 || w == 4 || w == 8; }
  unsigned byte(std::size_t at) const noexcept { return std::to_integer<unsigned>(b_[at]); }
  std::uint64_t read_uint(std::size_t at, std::size_t width) const {
    if (at > b_.size() || width > b_.size() - at) bad("a value lies outside the buffer");
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < width; ++k) v |= std::uint64_t{byte(at + k)} << (8 * k);
    return v;
  }
  std::int64_t read_int(std::size_t at, std::size_t width) const {
    const std::uint64_t v = read_uint(at, width);
    const unsigned shift = static_cast<unsigned>(64 - 8 * width);
    return static_cast<std::int64_t>(v << shift) >> shift;  // sign-extend from `width` bytes
  }
  /// The position an offset stored at `at` points to (offsets count back).
  std::size_t back(std::size_t at, std::size_t width) const {
    const std::uint64_t off = read_uint(at, width);
    if (off > at) bad("an offset points before the buffer");
    return at - static_cast<std::size_t>(off);
  }
  std::size_t nul_after(std::size_t at) const {
    for (std::size_t k = at; k < b_.size(); ++k)
      if (byte(k) == 0) return k;
    bad("a key runs past the buffer's end");
  }
  scalar value(std::size_t i, std::string_view name) const {
    if (i >= size_) bad("'" + std::string(name) + "' is missing");
    const unsigned packed = byte(elements_ + size_ * width_ + i);
    const unsigned type = packed >> 2;
    const std::size_t at = elements_ + i * width_;
    if (type == indirect_int || type == indirect_uint || type == indirect_float) {
      const std::size_t width = std::size_t{1} << (packed & 3u);
      const std::size_t target = back(at, width_);
      (void)read_uint(target, width);  // in bounds
      return {type - 5, target, width};  // INDIRECT_INT - 5 = INT, and so on
    }
    if (type != int_type && type != uint_type && type != float_type && type != bool_type)
      bad("'" + std::string(name) + "' is not a number");
    return {type, at, width_};
  }

  std::span<const std::byte> b_;
  std::string what_;
  unsigned type_ = 0;
  std::size_t width_ = 1, elements_ = 0, size_ = 0, keys_ = 0, key_width_ = 1;
};

}  // namespace qfence::tflite::detail

QFENCE_EXACT_FLOAT_END
