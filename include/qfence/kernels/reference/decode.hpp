// qfence/kernels/reference/decode.hpp: TFLM_DECODE, TFLM's custom op that
// decompresses constant tensors (kernels/decode*.cc): a look-up table per
// channel indexed by packed indices (LUT), a bit mask of the values that are
// not the zero point (prune), or Huffman codes (Huffman).
//
// Each decoder works on bytes: the values it copies are elements of the
// output's dtype, `element` bytes each, taken from the ancillary tensor's
// tables as TFLM takes them (its value_table[index], any index the packed
// data holds), so the decoded bytes are TFLM's for every output dtype. Where
// TFLM would read past the compressed data or the tables, the decoders stop
// and say so (false): TFLM reads whatever lies there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// The common header of a TFLM_DECODE ancillary tensor ("DCM"): 16 bytes,
/// then the decoder's tables.
inline constexpr std::size_t decode_header_bytes = 16;
inline constexpr std::uint8_t decode_type_lut = 0, decode_type_huffman = 1, decode_type_prune = 2;

/// How the output's elements are grouped in channels: by the first axis
/// (`elements / channels` consecutive elements per channel), or, with
/// `alternate_axis`, by the last (channel c is every channels-th element).
struct decode_channels {
  std::size_t count = 0;     // the output's elements
  std::size_t channels = 1;  // the output's quantization scales (1 without)
  bool alternate_axis = false;
};

namespace detail {
/// Bit `i` of a big-endian bit string (bit 0: the top bit of byte 0).
constexpr unsigned bit_at(std::span<const std::byte> bits, std::size_t i) noexcept {
  return (static_cast<unsigned>(bits[i >> 3]) >> (7 - (i & 7))) & 1u;
}
}  // namespace detail

/// LUT: element k of the output is value `index_k` of its channel's table,
/// index_k the k-th `bit_width`-bit field of `indices` (most significant bit
/// first), channel tables `stride` values apart in `values`. The channel
/// order follows TFLM: channel-major for the first axis, interleaved for the
/// last.
inline bool decode_lut(std::span<const std::byte> indices, std::span<const std::byte> values, std::size_t element,
                       unsigned bit_width, std::size_t stride, const decode_channels& c, std::byte* out) noexcept {
  if (c.channels == 0 || bit_width == 0 || c.count * bit_width > indices.size() * 8) return false;
  const std::size_t per_channel = c.alternate_axis ? 1 : c.count / c.channels;
  for (std::size_t k = 0; k < c.count; ++k) {
    std::size_t index = 0;
    for (unsigned b = 0; b < bit_width; ++b) index = index << 1 | detail::bit_at(indices, k * bit_width + b);
    const std::size_t channel = c.alternate_axis ? k % c.channels : k / per_channel;
    const std::size_t at = (channel * stride + index) * element;
    if (at + element > values.size()) return false;
    std::memcpy(out + k * element, values.data() + at, element);
  }
  return true;
}

/// Prune: element k is the next value of `values` where bit k of `mask` is
/// set (most significant bit first), else its channel's zero point
/// (`zero_points[channel]`, `zero_point_count` of them: 1 for one shared;
/// int8 outputs only: other dtypes have all zero points 0, and TFLM writes
/// a zero of the output's width).
inline bool decode_prune(std::span<const std::byte> mask, std::span<const std::byte> values, std::size_t element,
                         const std::int8_t* zero_points, std::size_t zero_point_count, const decode_channels& c,
                         std::byte* out) noexcept {
  if (c.channels == 0 || c.count > mask.size() * 8) return false;
  const std::size_t per_channel = c.alternate_axis ? 1 : c.count / c.channels;
  std::size_t next = 0;
  for (std::size_t k = 0; k < c.count; ++k) {
    std::byte* o = out + k * element;
    if (detail::bit_at(mask, k) != 0) {
      if ((next + 1) * element > values.size()) return false;
      std::memcpy(o, values.data() + next * element, element);
      ++next;
    } else {
      const std::size_t channel = zero_point_count > 1 ? (c.alternate_axis ? k % c.channels : k / per_channel) : 0;
      std::memset(o, 0, element);
      if (element == 1) std::memcpy(o, &zero_points[channel], 1);
    }
  }
  return true;
}

/// Huffman: `count` symbols decoded from `codewords` (big-endian 32-bit
/// words) through TFLM's lookup tables: a first table of 2^initial_bits
/// entries indexed by that many bits, each entry a symbol (its top bit set:
/// the symbol in its low bits, and how many of the bits read belong to the
/// next code) or the way to a further table (how many bits index it, less
/// one, and its offset from this entry). Entries are 16 bits (int8
/// symbols) or 32 bits wide. The symbol is the entry's low `element` bytes,
/// as TFLM's cast of the entry to the output type.
class huffman_decoder {
 public:
  huffman_decoder(std::span<const std::byte> codewords, std::span<const std::byte> tables, bool wide_entries,
                  unsigned initial_bits) noexcept
      : words_(codewords), tables_(tables), wide_(wide_entries), initial_bits_(initial_bits) {}

  bool decode(std::size_t count, std::size_t element, std::byte* out) noexcept {
    if (count == 0) return true;
    offset_ = 32;
    next_ = 0;
    hold_ = word(next_++);
    const std::uint32_t found = wide_ ? 0x80000000u : 0x8000u;
    const unsigned count_shift = wide_ ? 27u : 11u;
    const std::uint32_t count_mask = wide_ ? 0x78000000u : 0x7800u;
    const std::uint32_t value_mask = wide_ ? 0x07FFFFFFu : 0x07FFu;
    for (std::size_t k = 0; k < count; ++k) {
      std::size_t last_used = initial_bits_;
      std::size_t at = bits(last_used);
      std::uint32_t entry = 0;
      if (!entry_at(at, entry)) return false;
      while ((entry & found) == 0) {
        last_used = ((entry & count_mask) >> count_shift) + 1;
        const std::uint32_t index = bits(last_used);
        at += (entry & value_mask) + index;
        if (!entry_at(at, entry)) return false;
      }
      // The entry's low bytes, little end first: TFLM's cast on its targets.
      for (std::size_t b = 0; b < element; ++b) out[k * element + b] = static_cast<std::byte>(entry >> (8 * b));
      const std::size_t residual = (entry & count_mask) >> count_shift;
      if (last_used > residual) put_back(last_used - residual);
    }
    // The codes used must lie inside the stream (the lookahead past its end
    // is put back).
    return next_ * 32 - offset_ <= words_.size() * 8;
  }

 private:
  /// Word i of the code stream, big-endian; bytes past its end read as 0
  /// (TFLM reads beyond it when a lookup's bits reach past the last code; a
  /// valid stream puts them back).
  std::uint32_t word(std::size_t i) const noexcept {
    std::uint32_t w = 0;
    for (std::size_t b = 0; b < 4; ++b) {
      const std::size_t at = i * 4 + b;
      w = w << 8 | (at < words_.size() ? static_cast<std::uint32_t>(words_[at]) : 0u);
    }
    return w;
  }
  /// TFLM's GetNextBits: the next `n` (1-31) bits, most significant first.
  std::uint32_t bits(std::size_t n) noexcept {
    std::uint32_t v = 0;
    if (n > offset_) {
      const std::uint32_t mask = (std::uint32_t{1} << offset_) - 1;
      v = (hold_ & mask) << (n - offset_);
      n -= offset_;
      hold_ = word(next_++);
      offset_ = 32;
    }
    const std::uint32_t mask = (std::uint32_t{1} << n) - 1;
    v |= (hold_ >> (offset_ - n)) & mask;
    offset_ -= static_cast<std::uint32_t>(n);
    return v;
  }
  /// TFLM's PutBackBits.
  void put_back(std::size_t n) noexcept {
    offset_ += static_cast<std::uint32_t>(n);
    if (offset_ > 32) {
      offset_ -= 32;
      --next_;
      hold_ = word(next_ - 1);
    }
  }
  bool entry_at(std::size_t i, std::uint32_t& entry) const noexcept {
    const std::size_t size = wide_ ? 4 : 2;
    if ((i + 1) * size > tables_.size()) return false;
    std::uint32_t e = 0;
    for (std::size_t b = 0; b < size; ++b)  // the tables are little-endian, as TFLM's targets read them
      e |= static_cast<std::uint32_t>(tables_[i * size + b]) << (8 * b);
    entry = e;
    return true;
  }

  std::span<const std::byte> words_, tables_;
  bool wide_;
  unsigned initial_bits_;
  std::uint32_t offset_ = 0, hold_ = 0;
  std::size_t next_ = 0;
};

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END
