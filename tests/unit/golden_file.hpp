// Reading the golden files in tests/data: little-endian records that a
// reference implementation (TFLite's or TFLM's own code, run outside this
// repository) wrote, read back in the order they were written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace qtest {

struct golden_file {
  std::vector<char> bytes;
  std::size_t at = 0;

  /// The file `name` in tests/data, which must start with `magic`.
  static golden_file open(const std::string& path, const std::string& magic) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE_MESSAGE(file.good(), std::string(path + " is missing"));
    golden_file g{{std::istreambuf_iterator<char>(file), {}}};
    REQUIRE_MESSAGE(std::string(g.bytes.data(), std::min(g.bytes.size(), magic.size())) == magic,
                    std::string(path + " does not start with " + magic));
    return g;
  }

  std::int32_t i32() { return value<std::int32_t>(); }
  float f32() { return value<float>(); }
  template <class T>
  T value() {
    T v;
    REQUIRE(at + sizeof(T) <= bytes.size());
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  template <class T>
  std::vector<T> array(std::size_t n) {
    std::vector<T> v(n);
    REQUIRE(at + n * sizeof(T) <= bytes.size());
    std::memcpy(v.data(), bytes.data() + at, n * sizeof(T));
    at += n * sizeof(T);
    return v;
  }
};

}  // namespace qtest
