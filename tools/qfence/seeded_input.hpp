// tools/qfence/seeded_input.hpp: the deterministic inputs `qfence run` uses
// without --in, as ../shared/models/README.md defines them, so that outputs
// compare with the reference goldens.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "qfence/core/dtype.hpp"

namespace qfence::cli {

/// xorshift32, seeded as the models' README says.
class xorshift32 {
 public:
  explicit xorshift32(std::uint32_t seed = 1) : s_(seed ^ 0x9E3779B9u) {
    if (s_ == 0) s_ = 0x9E3779B9u;
  }
  std::uint32_t next() noexcept {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 17;
    s_ ^= s_ << 5;
    return s_;
  }

 private:
  std::uint32_t s_;
};

/// Fills one input tensor's bytes, one next() per element in row-major order.
inline void fill_seeded(xorshift32& rng, dtype type, std::span<std::byte> bytes) {
  auto put = [&](std::size_t i, auto v) { std::memcpy(bytes.data() + i * sizeof(v), &v, sizeof(v)); };
  const std::size_t n = bytes.size() / size_of(type);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t r = rng.next();
    switch (type) {
      case dtype::i8:
      case dtype::u8: put(i, static_cast<std::uint8_t>(r >> 24)); break;
      case dtype::i16:
      case dtype::u16: put(i, static_cast<std::uint16_t>(r >> 16)); break;
      case dtype::f16: put(i, static_cast<std::uint16_t>(r >> 16)); break;
      case dtype::i32:
      case dtype::u32: put(i, r); break;
      case dtype::i64: put(i, static_cast<std::int64_t>(static_cast<std::int32_t>(r))); break;
      // Every bit pattern, from one draw: the high and low halves are the draw.
      case dtype::u64: put(i, std::uint64_t{r} << 32 | r); break;
      case dtype::boolean: put(i, static_cast<std::uint8_t>(r >> 31)); break;
      case dtype::f32: put(i, static_cast<float>(r >> 8) * 0x1p-23f - 1.0f); break;
    }
  }
}

}  // namespace qfence::cli
