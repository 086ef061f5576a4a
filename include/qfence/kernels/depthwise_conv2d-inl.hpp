// qfence/kernels/depthwise_conv2d-inl.hpp: int8 and legacy uint8
// DEPTHWISE_CONV_2D (any depth multiplier) with Highway, per target
// (re-included through kernels/dispatch.hpp).
//
// Channels run along the lanes. Each 32-bit lane holds one channel's inputs
// from two filter rows as an int16 pair (fy = 2k in the low half, 2k + 1 in
// the high half; a lone last row keeps its sign extension there, which meets
// a weight of 0), and DotPairs (kernels/dot_product-inl.hpp) adds their dot product with the packed weight
// pair (kernels/packed_conv.hpp): vpdpwssd on AVX3_DL, vpmaddwd elsewhere on
// x86, int16 products widened on other targets. Building a pair costs more
// than using it, so for each output row and vector of channels the kernel
// builds the pairs of every input column the next outputs read once, into a
// small buffer, and each output then reads its filter_w columns from it: a
// column serves up to filter_w / stride outputs.
//
// On AVX3_DL, int8 filters of at most four rows with a constant size
// (MobileNets' 3x3) take one vpdpbusd per filter column instead of one
// vpdpwssd per pair of rows: each 32-bit lane of a column holds its rows'
// bytes plus 128 (unsigned, vpdpbusd's first operand; a missing fourth row
// is 0 against a weight of 0), the packed weight pairs are narrowed to bytes
// once per output row and vector of channels, and the bias loses
// 128 * sum(w) there too, so the sums are the pairs' exactly. A column then
// costs three widenings, two shifts, two ORs and an XOR instead of four
// widenings, two shifts, two blends and a second store, and an output half
// the dot products; a full 512-bit vector's column costs two 128-bit
// inserts, one VBMI byte permutation and the XOR. A layer with one input
// channel (a depth multiplier of out_c) has the same quad in every lane of
// a column: SingleChannelRows builds each input column's quad once per
// output row, 16 columns at a time, and broadcasts it.
//
// Inputs widen by their own type (int8 sign-extended, uint8 zero-extended)
// and weights are packed minus their zero point (uint8; int8 has none).
// Padding taps read the pad row (the input zero point), and the bias holds
// -zero_point * sum(w - zw), so the accumulator is TFLite's
// sum((w - zw) * (x - zero_point)) over the in-bounds taps. The epilogue is
// the convolution's (requantize-inl.hpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/dot_product-inl.hpp"
#include "qfence/kernels/float_epilogue-inl.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/requantize-inl.hpp"
#include "qfence/kernels/requantize_form.hpp"
#include "qfence/kernels/unroll.hpp"


QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_
#undef QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_
#else
#define QFENCE_KERNELS_DEPTHWISE_CONV2D_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace depthwise_detail {

/// Channel c's sum at output (oy, ox), one product at a time (the one-lane
/// target's loop over the packed data; the vectors compute the same sums).
template <class Args>
HWY_INLINE std::uint32_t ScalarSum(const window_geometry& g, const Args& a, const input_element<Args>* batch_in, int oy,
                                   int ox, int c) {
  using T = input_element<Args>;
  const std::size_t padded = static_cast<std::size_t>(depthwise_packing{g.out_c, g.filter_h, g.filter_w}.padded_channels());
  const int multiplier = g.out_c / g.in_c;
  auto acc = static_cast<std::uint32_t>(a.epilogue[c]);
  for (int fy = 0; fy < g.filter_h; ++fy) {
    const T* row = window_input_row(g, batch_in, oy, fy);
    for (int fx = 0; fx < g.filter_w; ++fx) {
      const int x = ox * g.stride_w - g.pad_w + fx * g.dilation_w;
      const T v = row != nullptr && x >= 0 && x < g.in_w
                      ? row[static_cast<std::size_t>(x) * static_cast<std::size_t>(g.in_c) +
                            static_cast<std::size_t>(c / multiplier)]
                      : a.pad_row[c];
      const std::int16_t w = a.weights[((static_cast<std::size_t>(fy / 2) * static_cast<std::size_t>(g.filter_w) +
                                         static_cast<std::size_t>(fx)) * padded + static_cast<std::size_t>(c)) * 2 +
                                       static_cast<std::size_t>(fy % 2)];
      acc += static_cast<std::uint32_t>(v * w);
    }
  }
  return acc;
}

/// The +128 a quad adds to each of a filter's FH row bytes.
template <int FH>
inline constexpr std::int32_t kQuadOffset =
    static_cast<std::int32_t>(0x80808080u & (FH >= 4 ? 0xFFFFFFFFu : (1u << (8 * FH)) - 1u));

#if HWY_TARGET == HWY_AVX3_DL
/// Where byte j of a quad vector comes from: the row (j % 4)'s 128-bit block,
/// lane j / 4 (AVX-512's 16 channels).
inline constexpr auto kQuadIndex = [] {
  std::array<std::int32_t, 16> index{};
  for (int lane = 0; lane < 16; ++lane) {
    std::uint32_t word = 0;
    for (int row = 0; row < 4; ++row) word |= static_cast<std::uint32_t>(16 * row + lane) << (8 * row);
    index[static_cast<std::size_t>(lane)] = static_cast<std::int32_t>(word);
  }
  return index;
}();
/// The bytes of a quad vector that hold one of FH rows (the rest are 0).
template <int FH>
inline constexpr __mmask64 kQuadBytes = 0x1111111111111111ull * ((1ull << FH) - 1);

/// The quads of 16 lanes from FH rows of 16 bytes (row fy's byte j in byte
/// fy of lane j, plus 128): the rows in the 128-bit blocks of one vector,
/// then one byte permutation (VBMI). Five instructions where widening and
/// merging the rows took eight.
template <int FH>
HWY_INLINE __m512i QuadsOfRows(const __m128i (&rows)[FH]) {
  __m512i blocks = _mm512_castsi128_si512(rows[0]);
  if constexpr (FH > 1) blocks = _mm512_inserti32x4(blocks, rows[1], 1);
  if constexpr (FH > 2) blocks = _mm512_inserti32x4(blocks, rows[2], 2);
  if constexpr (FH > 3) blocks = _mm512_inserti32x4(blocks, rows[3], 3);
  const __m512i quads = _mm512_maskz_permutexvar_epi8(kQuadBytes<FH>, _mm512_loadu_si512(kQuadIndex.data()), blocks);
  return _mm512_xor_si512(quads, _mm512_set1_epi32(kQuadOffset<FH>));
}
#endif

/// The packed weight pairs (kernels/packed_conv.hpp, depthwise_packing) of
/// pair k, filter column fx, for the channels from cc.
template <class D16>
HWY_INLINE hn::Vec<D16> WeightPairsAt(D16 d16, const std::int16_t* weights, int k, int fx, int filter_w,
                                      std::size_t padded, std::size_t cc) {
  return hn::LoadU(d16, weights + ((static_cast<std::size_t>(k) * static_cast<std::size_t>(filter_w) +
                                    static_cast<std::size_t>(fx)) * padded + cc) * 2);
}

/// The packed weight pairs of the channels from c (a kept[(FH + 1) / 2][FW]
/// of int16 vectors) as byte quads in kept[0], and the bias minus the +128
/// of the inputs' bytes times each weight (the file comment).
template <int FH, int FW, class D, class V16>
HWY_INLINE hn::Vec<D> QuadWeights(D d, V16 (&kept)[(FH + 1) / 2][FW], hn::Vec<D> bias) {
  const hn::Repartition<std::int16_t, D> d16;
  for (int fx = 0; fx < FW; ++fx) {
    const auto narrow = [&](V16 pair) QFENCE_INLINE_LAMBDA {  // (w0, w1) int16 -> bytes 0 and 1
      const auto p = hn::BitCast(d, pair);
      return hn::Or(hn::And(p, hn::Set(d, 0xFF)), hn::And(hn::ShiftRight<8>(p), hn::Set(d, 0xFF00)));
    };
    auto quad = narrow(kept[0][fx]);
    if constexpr (FH > 2) quad = hn::Or(quad, hn::ShiftLeft<16>(narrow(kept[1][fx])));
    kept[0][fx] = hn::BitCast(d16, quad);
    bias = hn::Sub(bias, DotBytes(d, hn::Zero(d), hn::Set(d, kQuadOffset<FH>), quad));
  }
  return bias;
}

/// Columns of pairs the kernel builds at once (times the pairs per column).
inline constexpr int kPairVectors = 192;
/// Filter rows whose input rows are found once per output row.
inline constexpr int kRowsKept = 16;

#if HWY_TARGET != HWY_SCALAR
/// One output row for one full vector of channels of a filter of constant
/// size FH x FW, depth multiplier 1, dilation 1 and stride 1 or 2 (MobileNets'
/// layers): the FW columns an output reads stay in registers and each output
/// builds only the `stride` columns the previous one did not read, straight
/// from the input rows (a row above or below the image reads the pad row with
/// a step of 0; a column left or right of it is the pad column, built once).
/// kUnits units make a column. `unit_of`, `dot`, `kept` (the weights, unit by
/// filter column), `bias` and `finish` are Rows' own, so both walks build the
/// same units.
template <int FH, int FW, int kUnits, class T, class UnitOf, class Dot, class Kept, class V, class Finish>
HWY_INLINE void RollAlongRow(int stride, const window_geometry& g, int oy, const T* const* rows, const T* batch_in,
                             const T* pad, std::size_t in_c, std::size_t cc, const UnitOf& unit_of, const Dot& dot,
                             const Kept& kept, V bias, const Finish& finish) {
  using V16 = std::remove_cvref_t<decltype(kept[0][0])>;
  const T* base[FH];
  std::size_t step[FH];
  QFENCE_UNROLL
  for (int fy = 0; fy < FH; ++fy) {
    const T* row = fy < kRowsKept ? rows[fy] : window_input_row(g, batch_in, oy, fy);
    base[fy] = row != nullptr ? row + cc : pad;
    step[fy] = row != nullptr ? in_c : 0;
  }
  const hn::Rebind<T, hn::Repartition<std::int32_t, hn::DFromV<V16>>> d8;
  V16 pad_column[kUnits];
  QFENCE_UNROLL
  for (int k = 0; k < kUnits; ++k)
    pad_column[k] = unit_of(k, [&](int, int) QFENCE_INLINE_LAMBDA { return hn::LoadU(d8, pad); });
  const auto column = [&](int x, V16(&out)[kUnits]) QFENCE_INLINE_LAMBDA {
    if (x < 0 || x >= g.in_w) {
      QFENCE_UNROLL
      for (int k = 0; k < kUnits; ++k) out[k] = pad_column[k];
      return;
    }
    const std::size_t at = static_cast<std::size_t>(x);
    QFENCE_UNROLL
    for (int k = 0; k < kUnits; ++k)
      out[k] = unit_of(k, [&](int fy, int) QFENCE_INLINE_LAMBDA { return hn::LoadU(d8, base[fy] + at * step[fy]); });
  };
  const auto walk = [&](auto stride_constant) QFENCE_INLINE_LAMBDA {
    constexpr int S = decltype(stride_constant)::value;
    V16 columns[FW][kUnits];
    int x0 = -g.pad_w;
    QFENCE_UNROLL
    for (int fx = 0; fx < FW; ++fx) column(x0 + fx, columns[fx]);
    for (int ox = 0; ox < g.out_w; ++ox) {
      V acc = bias;
      QFENCE_UNROLL
      for (int fx = 0; fx < FW; ++fx)
        QFENCE_UNROLL
        for (int k = 0; k < kUnits; ++k) acc = dot(acc, columns[fx][k], kept[k][fx]);
      finish(acc, ox);
      x0 += S;
      QFENCE_UNROLL
      for (int fx = 0; fx < FW; ++fx) {
        if (fx + S < FW) {
          QFENCE_UNROLL
          for (int k = 0; k < kUnits; ++k) columns[fx][k] = columns[fx + S][k];
        } else {
          column(x0 + fx, columns[fx]);
        }
      }
    }
  };
  if (stride == 1) walk(std::integral_constant<int, 1>{});
  else walk(std::integral_constant<int, 2>{});
}

#if HWY_TARGET == HWY_AVX3_DL
/// The input columns one output row of SingleChannelRows builds quads of, at
/// most (a wider row takes Rows' general walk).
inline constexpr int kMaxQuadColumns = 1024;

/// Whether SingleChannelRows runs `g`: one input channel, a filter of one
/// to four rows, an output row's columns within kMaxQuadColumns.
constexpr bool single_channel(const window_geometry& g) noexcept {
  return g.in_c == 1 && g.filter_h >= 1 && g.filter_h <= 4 &&
         (g.out_w - 1) * g.stride_w + (g.filter_w - 1) * g.dilation_w + 1 <= kMaxQuadColumns;
}

/// quads[i] = the quad of input column x_begin + i (i < count) of a layer
/// with one input channel: its FH rows' bytes plus 128 (`rows[fy]` null for
/// a row outside the image; a column outside it reads the zero point). Runs
/// of 16 columns inside the image take QuadsOfRows (and write up to 15 words
/// past count).
template <int FH>
HWY_INLINE void ColumnQuads(const window_geometry& g, const std::int8_t* const (&rows)[FH], std::int8_t zero_point,
                            int x_begin, int count, std::int32_t* quads) {
  const __m128i zero_points = _mm_set1_epi8(zero_point);
  for (int i = 0; i < count;) {
    const int x = x_begin + i;
    if (x >= 0 && x + 16 <= g.in_w) {
      __m128i bytes[FH];
      QFENCE_UNROLL
      for (int fy = 0; fy < FH; ++fy) bytes[fy] = rows[fy] != nullptr ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[fy] + x)) : zero_points;
      _mm512_storeu_si512(quads + i, QuadsOfRows<FH>(bytes));
      i += 16;
    } else {
      std::uint32_t quad = 0;
      QFENCE_UNROLL
      for (int fy = 0; fy < FH; ++fy) {
        const std::int8_t byte = rows[fy] != nullptr && x >= 0 && x < g.in_w ? rows[fy][x] : zero_point;
        quad |= (static_cast<std::uint32_t>(static_cast<std::uint8_t>(byte)) ^ 0x80u) << (8 * fy);
      }
      quads[i++] = static_cast<std::int32_t>(quad);
    }
  }
}

/// Every output row of an int8 layer with one input channel (every output
/// channel reads it: person_detect's and visual wake words' first layer,
/// 1 -> 8 channels). Every lane of a column's quad is the same word, so the
/// kernel builds each input column's quad once per output row (ColumnQuads)
/// and an output's FW units are broadcasts of those words: the general walk
/// assembled each column from three byte broadcasts per output channel
/// vector and widened them (person_detect's first layer took 14% of the
/// model).
template <int FH, int FW, requantize_form F, class D>
HWY_INLINE void SingleChannelRows(D d, const window_geometry& g, const depthwise_quantized_args<std::int8_t>& a) {
  const hn::Repartition<std::int16_t, D> d16;
  using V16 = hn::Vec<decltype(d16)>;
  const int n = static_cast<int>(hn::Lanes(d)), channels = g.out_c;
  const std::size_t padded = static_cast<std::size_t>(round_up(channels, channel_tile));
  const std::size_t out_c = static_cast<std::size_t>(channels);
  const int span = (g.out_w - 1) * g.stride_w + (FW - 1) * g.dilation_w + 1;
  alignas(64) std::int32_t quads[kMaxQuadColumns + 16];
  const auto zero_point = hn::Set(d, a.output_zero_point);
  for (int b = 0; b < g.batches; ++b) {
    const std::int8_t* batch_in = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w);
    std::int8_t* batch_out = a.output + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.out_h * g.out_w) * out_c;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const std::int8_t* rows[FH];
      QFENCE_UNROLL
      for (int fy = 0; fy < FH; ++fy) rows[fy] = window_input_row(g, batch_in, oy, fy);
      // The pad row holds the input zero point (for every output channel).
      ColumnQuads<FH>(g, rows, a.pad_row[0], -g.pad_w, span, quads);
      std::int8_t* out_row = batch_out + static_cast<std::size_t>(oy) * static_cast<std::size_t>(g.out_w) * out_c;
      for (int c = 0; c < channels; c += n) {
        const int valid = channels - c < n ? channels - c : n;
        const std::size_t cc = static_cast<std::size_t>(c);
        V16 kept[(FH + 1) / 2][FW];
        for (int k = 0; k < (FH + 1) / 2; ++k)
          for (int fx = 0; fx < FW; ++fx)
            kept[k][fx] = WeightPairsAt(d16, a.weights, k, fx, FW, padded, cc);
        const auto bias = QuadWeights<FH, FW>(d, kept, hn::LoadU(d, a.epilogue + c));
        const auto requantize = EpilogueLanesAt<F, std::int8_t>(d, a.epilogue, padded, c, a.output_zero_point);
        const auto output = [&](int ox) QFENCE_INLINE_LAMBDA {
          const std::int32_t* column = quads + static_cast<std::size_t>(ox) * static_cast<std::size_t>(g.stride_w);
          auto acc = bias;
          QFENCE_UNROLL
          for (int fx = 0; fx < FW; ++fx)
            acc = DotBytes(d, acc, hn::Set(d, column[fx * g.dilation_w]), hn::BitCast(d, kept[0][fx]));
          return acc;
        };
        const auto finish = [&](hn::Vec<D> acc, int ox) QFENCE_INLINE_LAMBDA {
          StoreRequantized<F>(d, acc, requantize, zero_point, a.act, valid,
                              out_row + static_cast<std::size_t>(ox) * out_c + cc);
        };
        // Four outputs at a time: independent chains of dot products.
        int ox = 0;
        for (; ox + 4 <= g.out_w; ox += 4) {
          const auto acc0 = output(ox), acc1 = output(ox + 1), acc2 = output(ox + 2), acc3 = output(ox + 3);
          finish(acc0, ox);
          finish(acc1, ox + 1);
          finish(acc2, ox + 2);
          finish(acc3, ox + 3);
        }
        for (; ox < g.out_w; ++ox) finish(output(ox), ox);
      }
    }
  }
}
#endif

/// Every output row (see the file comment); FH and FW, when not 0, are the
/// filter's size as constants.
template <int FH, int FW, requantize_form F, class D, class Args>
HWY_INLINE void Rows(D d, const window_geometry& g, const Args& a) {
  using T = input_element<Args>;
  using Out = output_element<Args>;
  // A hybrid layer ends in float (float_epilogue-inl.hpp), a quantized one
  // requantized.
  constexpr bool kHybrid = std::is_same_v<Args, depthwise_hybrid_args>;
  const int fh = FH != 0 ? FH : g.filter_h, fw = FW != 0 ? FW : g.filter_w;
  // Output channel c reads input channel c / multiplier (TFLite's order).
  const int channels = g.out_c, multiplier = g.out_c / g.in_c, pairs = (fh + 1) / 2;
  // Byte quads (see the file comment) or int16 pairs: the vectors a column
  // of inputs makes.
  constexpr bool kQuads = HWY_TARGET == HWY_AVX3_DL && std::is_same_v<T, std::int8_t> && FH != 0 && FH <= 4 && FW != 0;
  const int units = kQuads ? 1 : pairs;
  const std::size_t padded = static_cast<std::size_t>(round_up(channels, channel_tile));
  const hn::Repartition<std::int16_t, decltype(d)> d16;
  const hn::Rebind<T, decltype(d)> d8;
  using V = hn::Vec<decltype(d)>;
  using V16 = hn::Vec<decltype(d16)>;
  const int n = static_cast<int>(hn::Lanes(d));
  const std::size_t in_c = static_cast<std::size_t>(g.in_c), out_c = static_cast<std::size_t>(channels);
  // Outputs per chunk: as many as the buffer holds the columns of; when not
  // even one output's columns fit (a very wide dilated filter), each output
  // builds its own columns (one per tap column).
  const int span_one = (fw - 1) * g.dilation_w + 1;
  const int max_columns = kPairVectors / units;
  const bool buffered = span_one <= max_columns;
  const int chunk = buffered ? (max_columns - span_one) / g.stride_w + 1 : 1;
  alignas(64) std::int16_t pair_buffer[kPairVectors * 2 * HWY_MAX_BYTES / 4];
  // The input bytes of a vector of channels that is partial or reads
  // repeated input channels (a depth multiplier above 1), copied.
  alignas(64) T tail[2][HWY_MAX_BYTES / 4];
  const auto zero_point = [&] {
    if constexpr (kHybrid) return 0;
    else return hn::Set(d, a.output_zero_point);
  }();
  for (int b = 0; b < g.batches; ++b) {
    const T* batch_in = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) * in_c;
    Out* batch_out =
        a.output + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.out_h * g.out_w) * out_c;
    for (int oy = 0; oy < g.out_h; ++oy) {
      // The input rows of the first filter rows (the rest, of huge filters,
      // are found when needed).
      const T* rows[kRowsKept];
      for (int fy = 0; fy < kRowsKept && fy < fh; ++fy) rows[fy] = window_input_row(g, batch_in, oy, fy);
      Out* out_row = batch_out + static_cast<std::size_t>(oy) * static_cast<std::size_t>(g.out_w) * out_c;
      for (int c = 0; c < channels; c += n) {
        const int valid = channels - c < n ? channels - c : n;
        const std::size_t cc = static_cast<std::size_t>(c);
        // With a depth multiplier: the input channel each lane reads (in a
        // pixel; the pad row has one byte per output channel).
        int source[HWY_MAX_BYTES / 4], pad_source[HWY_MAX_BYTES / 4];
        if (multiplier != 1)
          for (int j = 0; j < valid; ++j) source[j] = (c + j) / multiplier, pad_source[j] = c + j;
        const bool one_source = multiplier != 1 && source[0] == source[valid - 1];
        const auto requantize = [&] {
          if constexpr (kHybrid) return 0;
          else return EpilogueLanesAt<F, T>(d, a.epilogue, padded, c, a.output_zero_point);
        }();
        // The n input bytes of filter row fy at column x (the pad row's where
        // the tap is outside the input).
        const auto bytes = [&](int fy, int x, int slot) QFENCE_INLINE_LAMBDA {
          const T* row = fy < kRowsKept ? rows[fy] : window_input_row(g, batch_in, oy, fy);
          // The pad row holds the zero point for every output channel.
          const bool inside = row != nullptr && x >= 0 && x < g.in_w;
          const T* pixel = inside ? row + static_cast<std::size_t>(x) * in_c : a.pad_row;
          if (multiplier != 1) {
            // Every lane reading one input channel (a multiplier of at least
            // the vector's channels, e.g. one input channel): a broadcast.
            if (one_source) return hn::Set(d8, pixel[inside ? source[0] : c]);
            const int* from = inside ? source : pad_source;
            for (int j = 0; j < valid; ++j) tail[slot][j] = pixel[from[j]];
            return hn::LoadU(d8, tail[slot]);
          }
          return LoadFirstLanes(d8, pixel + cc, valid);
        };
        // Unit k of a column whose filter row fy has the bytes load(fy, slot):
        // pair k, or the column's quad (k = 0).
        const auto unit_of = [&](int k, const auto& load) QFENCE_INLINE_LAMBDA -> V16 {
          if constexpr (kQuads) {
#if HWY_TARGET == HWY_AVX3_DL
            if constexpr (hn::MaxLanes(decltype(d)()) == 16 && FH > 1) {
              __m128i rows_bytes[FH];
              QFENCE_UNROLL
              for (int fy = 0; fy < FH; ++fy) rows_bytes[fy] = load(fy, 0).raw;
              return hn::BitCast(d16, V{QuadsOfRows<FH>(rows_bytes)});
            }
#endif
            const hn::Rebind<std::uint8_t, decltype(d)> du8;
            const auto row = [&](int fy) QFENCE_INLINE_LAMBDA { return hn::PromoteTo(d, hn::BitCast(du8, load(fy, 0))); };
            V quad = row(0);
            if constexpr (FH > 1) quad = hn::Or(quad, hn::ShiftLeft<8>(row(1)));
            if constexpr (FH > 2) quad = hn::Or(quad, hn::ShiftLeft<16>(row(2)));
            if constexpr (FH > 3) quad = hn::Or(quad, hn::ShiftLeft<24>(row(3)));
            return hn::BitCast(d16, hn::Xor(quad, hn::Set(d, kQuadOffset<FH>)));
          }
          const V low = hn::PromoteTo(d, load(2 * k, 0));
          if (2 * k + 1 >= fh) return hn::BitCast(d16, low);  // a lone last row: weight 0 in the high half
          const V high = hn::ShiftLeft<16>(hn::PromoteTo(d, load(2 * k + 1, 1)));
          return hn::OddEven(hn::BitCast(d16, high), hn::BitCast(d16, low));
        };
        // Unit k of column x.
        const auto make_unit = [&](int k, int x) QFENCE_INLINE_LAMBDA -> V16 {
          return unit_of(k, [&](int fy, int slot) QFENCE_INLINE_LAMBDA { return bytes(fy, x, slot); });
        };
        const auto weight = [&](int k, int fx) QFENCE_INLINE_LAMBDA {
          return WeightPairsAt(d16, a.weights, k, fx, fw, padded, cc);
        };
        const auto finish = [&](V acc, int ox) QFENCE_INLINE_LAMBDA {
          if constexpr (kHybrid)
            StoreHybrid(d, acc, a.ending, c, valid, out_row + static_cast<std::size_t>(ox) * out_c + cc);
          else
            StoreRequantized<F>(d, acc, requantize, zero_point, a.act, valid,
                                out_row + static_cast<std::size_t>(ox) * out_c + cc);
        };
        // With the filter's size constant, its weights stay in registers.
        constexpr int kept_pairs = FH != 0 && FW != 0 ? (FH + 1) / 2 : 1, kept_w = FH != 0 && FW != 0 ? FW : 1;
        V16 kept[kept_pairs][kept_w];
        if constexpr (FH != 0 && FW != 0)
          for (int k = 0; k < kept_pairs; ++k)
            for (int fx = 0; fx < kept_w; ++fx) kept[k][fx] = weight(k, fx);
        V bias = hn::LoadU(d, a.epilogue + c);
        // Each column's weight pairs as one byte quad.
        if constexpr (kQuads) bias = QuadWeights<FH, FW>(d, kept, bias);
        const auto weight_of = [&](int k, int fx) QFENCE_INLINE_LAMBDA -> V16 {
          if constexpr (FH != 0 && FW != 0) return kept[k][fx];
          else return weight(k, fx);
        };
        const auto dot = [&](V acc, V16 unit, V16 w) QFENCE_INLINE_LAMBDA {
          if constexpr (kQuads) return DotBytes(d, acc, hn::BitCast(d, unit), hn::BitCast(d, w));
          else return DotPairs(d, acc, unit, w);
        };
        if constexpr (FH != 0 && FW != 0) {
          if (multiplier == 1 && valid == n && g.dilation_w == 1 && (g.stride_w == 1 || g.stride_w == 2)) {
            RollAlongRow<FH, FW, kQuads ? 1 : (FH + 1) / 2>(g.stride_w, g, oy, rows, batch_in, a.pad_row + cc, in_c, cc, unit_of, dot, kept, bias, finish);
            continue;
          }
        }
        const auto buffered_unit = [&](int column, int k) QFENCE_INLINE_LAMBDA {
          return hn::Load(d16, pair_buffer + static_cast<std::size_t>(column * units + k) * hn::Lanes(d16));
        };
        for (int ox0 = 0; ox0 < g.out_w; ox0 += chunk) {
          const int count = g.out_w - ox0 < chunk ? g.out_w - ox0 : chunk;
          const int x_first = ox0 * g.stride_w - g.pad_w;
          if (buffered) {
            const int span = (count - 1) * g.stride_w + span_one;
            for (int i = 0; i < span; ++i)
              for (int k = 0; k < units; ++k)
                hn::Store(make_unit(k, x_first + i), d16,
                          pair_buffer + static_cast<std::size_t>(i * units + k) * hn::Lanes(d16));
            // Two outputs at a time: two independent chains of PairDots.
            int j = 0;
            for (; j + 2 <= count; j += 2) {
              V acc0 = bias, acc1 = bias;
              for (int fx = 0; fx < fw; ++fx) {
                const int column = j * g.stride_w + fx * g.dilation_w;
                for (int k = 0; k < units; ++k) {
                  const V16 w = weight_of(k, fx);
                  acc0 = dot(acc0, buffered_unit(column, k), w);
                  acc1 = dot(acc1, buffered_unit(column + g.stride_w, k), w);
                }
              }
              finish(acc0, ox0 + j);
              finish(acc1, ox0 + j + 1);
            }
            if (j < count) {
              V acc = bias;
              for (int fx = 0; fx < fw; ++fx)
                for (int k = 0; k < units; ++k)
                  acc = dot(acc, buffered_unit(j * g.stride_w + fx * g.dilation_w, k), weight_of(k, fx));
              finish(acc, ox0 + j);
            }
          } else {
            V acc = bias;
            for (int fx = 0; fx < fw; ++fx)
              for (int k = 0; k < units; ++k) acc = dot(acc, make_unit(k, x_first + fx * g.dilation_w), weight_of(k, fx));
            finish(acc, ox0);
          }
        }
      }
    }
  }
}
#endif

/// DepthwiseConv2DQuantized's body, for a form that is its own target form
/// (kTargetForm: one copy per distinct code).
template <class T, class Geometry, class Form>
HWY_NOINLINE void DepthwiseConv2DQuantizedOfTargetForm(const Geometry& geometry,
                                                      const depthwise_quantized_args<T>& args) {
  // A copy the compiler keeps in registers: the 8-bit stores to the output
  // may alias anything in memory, `args` included, and would reload it.
  const depthwise_quantized_args<T> a = args;
  const window_geometry& g = value_of(geometry);
#if HWY_TARGET == HWY_SCALAR
  const std::size_t padded = static_cast<std::size_t>(depthwise_packing{g.out_c, g.filter_h, g.filter_w}.padded_channels());
  const int channels = g.out_c;
  for (int b = 0; b < g.batches; ++b) {
    const T* batch_in = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) *
                                      static_cast<std::size_t>(g.in_c);
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < channels; ++c) {
          const std::uint32_t acc = ScalarSum(g, a, batch_in, oy, ox, c);
          const hn::Simd<std::int32_t, 1, 0> d;
          const auto q = RequantizeLanesAt(d, a.epilogue, padded, c, a.output_zero_point);
          const std::int32_t r =
              hn::GetLane(MultiplyByQuantizedMultiplier(d, hn::Set(d, static_cast<std::int32_t>(acc)), q)) +
              a.output_zero_point;
          a.output[((static_cast<std::size_t>(b) * static_cast<std::size_t>(g.out_h) + static_cast<std::size_t>(oy)) *
                        static_cast<std::size_t>(g.out_w) + static_cast<std::size_t>(ox)) *
                       static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
              static_cast<T>(r < a.act.min ? a.act.min : r > a.act.max ? a.act.max : r);
        }
  }
#else
  // Vectors of half the width when that many channels fill them and a full
  // width leaves a partial vector (8 channels on AVX-512).
  const hn::ScalableTag<std::int32_t> d;
  const hn::Half<decltype(d)> half;
  const auto halves = [](int channels, int lanes) { return channels % lanes != 0 && channels % (lanes / 2) == 0; };
#if HWY_TARGET == HWY_AVX3_DL
  // One input channel: SingleChannelRows, instantiated only for layers that
  // take it (inlined into every layer's walk, it cost Clang 10 s over
  // MobileNetV2, which has none).
  if constexpr (std::is_same_v<T, std::int8_t>) {
    if constexpr (is_fixed_v<Geometry>) {
      constexpr window_geometry c = Geometry::value;
      if constexpr (single_channel(c)) {
        if constexpr (halves(c.out_c, static_cast<int>(hn::MaxLanes(decltype(d)()))))
          SingleChannelRows<c.filter_h, c.filter_w, Form::value>(half, g, a);
        else
          SingleChannelRows<c.filter_h, c.filter_w, Form::value>(d, g, a);
        return;
      }
    } else if (single_channel(g) && g.filter_h == 3 && g.filter_w == 3) {
      if (halves(g.out_c, static_cast<int>(hn::Lanes(d)))) SingleChannelRows<3, 3, Form::value>(half, g, a);
      else SingleChannelRows<3, 3, Form::value>(d, g, a);
      return;
    }
  }
#endif
  if constexpr (is_fixed_v<Geometry>) {
    constexpr window_geometry c = Geometry::value;
    if constexpr (halves(c.out_c, static_cast<int>(hn::MaxLanes(decltype(d)()))))
      Rows<c.filter_h, c.filter_w, Form::value>(half, g, a);
    else
      Rows<c.filter_h, c.filter_w, Form::value>(d, g, a);
  } else if (halves(g.out_c, static_cast<int>(hn::Lanes(d)))) {
    if (g.filter_h == 3 && g.filter_w == 3) Rows<3, 3, Form::value>(half, g, a);
    else Rows<0, 0, Form::value>(half, g, a);
  } else if (g.filter_h == 3 && g.filter_w == 3) {  // MobileNets' filters: constant loops
    Rows<3, 3, Form::value>(d, g, a);
  } else {
    Rows<0, 0, Form::value>(d, g, a);
  }
#endif
}

}  // namespace depthwise_detail

/// int8 or uint8 depthwise convolution, any depth multiplier (see the file
/// comment); Form is the layer's requantize_form as a kernels::fixed.
template <class T, class Geometry, class Form = general_form>
HWY_NOINLINE void DepthwiseConv2DQuantized(const Geometry& geometry, const depthwise_quantized_args<T>& args) {
  depthwise_detail::DepthwiseConv2DQuantizedOfTargetForm<T, Geometry, fixed<kTargetForm<Form::value>>>(geometry, args);
}

/// One batch of a hybrid depthwise convolution (kernels/hybrid_conv.hpp):
/// the int8 kernel's sums (its rows walk, without the byte quads of a
/// single input channel) and the float ending of hybrid_ending.
HWY_NOINLINE inline void DepthwiseConv2DHybrid(const window_geometry& geometry, const depthwise_hybrid_args& args) {
  const depthwise_hybrid_args a = args;
  using namespace depthwise_detail;
  const window_geometry& g = geometry;
#if HWY_TARGET == HWY_SCALAR
  float* out = a.output;
  for (int oy = 0; oy < g.out_h; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox)
      for (int c = 0; c < g.out_c; ++c) *out++ = a.ending(c, static_cast<std::int32_t>(ScalarSum(g, a, a.input, oy, ox, c)));
#else
  const hn::ScalableTag<std::int32_t> d;
  const hn::Half<decltype(d)> half;
  const int n = static_cast<int>(hn::Lanes(d));
  const bool halves = g.out_c % n != 0 && g.out_c % (n / 2) == 0;
  const bool three = g.filter_h == 3 && g.filter_w == 3;
  if (halves) {
    if (three) Rows<3, 3, general_requantize_form>(half, g, a);
    else Rows<0, 0, general_requantize_form>(half, g, a);
  } else if (three) {
    Rows<3, 3, general_requantize_form>(d, g, a);
  } else {
    Rows<0, 0, general_requantize_form>(d, g, a);
  }
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
