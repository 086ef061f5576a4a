// qfence/kernels/conv2d-inl.hpp: int8 CONV_2D (and FULLY_CONNECTED) with
// Highway, per target (re-included through kernels/dispatch.hpp); legacy
// uint8 layers run the same kernel (T = std::uint8_t).
//
// A register tile of Pixels output pixels x Vectors vectors of output
// channels accumulates, for every segment (a filter row, or a tap: see
// kernels/packed_conv.hpp) and every 4 of its bytes, one broadcast of each
// pixel's 4 input bytes with their sign bits flipped (x + 128, unsigned)
// times one vector of signed weights (16 channels x 4 bytes on AVX-512):
// DotBytes, i.e. vpdpbusd. The +128 and the zero point come back out through
// the bias, a constant per channel; padding taps read the pad row, and a
// filter row that leaves the image at its left or right is assembled on the
// stack, so the inner loops have no border cases. The epilogue requantizes
// per channel exactly as TFLite (requantize-inl.hpp), adds the output zero
// point, clamps and narrows to int8. A uint8 layer reads its input bytes as
// they are (unsigned already) against weights stored as w - 128, and each
// pixel's accumulator gains (128 - zw) * the sum of its window's input bytes
// (kernels/packed_conv.hpp says why). That term is one more dot product per
// pixel and 4 bytes, of the same broadcast input with -(128 - zw) in every
// byte, into one more accumulator per pixel, subtracted in the epilogue: a
// separate pass that summed each window's segments took four times the dot
// products' time on deeplabv3's wide uint8 layers.
//
// Geometry comes as a kernel parameter: kernels::fixed<g> on the compile-time
// path (every bound below a constant of the layer), a window_geometry on the
// runtime path. The arithmetic is the reference's, bit for bit, on every
// target; the tests compare them over random layers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/dot_product-inl.hpp"
#include "qfence/kernels/float_epilogue-inl.hpp"
#include "qfence/kernels/highway.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/partial_vector-inl.hpp"
#include "qfence/kernels/register_tile-inl.hpp"
#include "qfence/kernels/requantize-inl.hpp"
#include "qfence/kernels/requantize_form.hpp"
#include "qfence/kernels/unroll.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_CONV2D_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_CONV2D_INL_HPP_
#undef QFENCE_KERNELS_CONV2D_INL_HPP_
#else
#define QFENCE_KERNELS_CONV2D_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace conv_detail {

/// The bytes a pixel's window reads from input row `y` from column `x0` on:
/// taps * in_c bytes in the input, the pad row when the row is outside the image,
/// or a copy in `assembled` (pad bytes where the row leaves the image at its
/// left or right; `taps` taps of `in_c` bytes, dilation 1).
template <class T>
HWY_INLINE const T* segment_at(const window_geometry& g, const T* pad_row, const T* batch_input, int y, int x0,
                               int taps, T* assembled) noexcept {
  const T* row = input_row_or_null(g, batch_input, y);
  if (row == nullptr || x0 + taps <= 0 || x0 >= g.in_w) return pad_row;
  const std::size_t in_c = static_cast<std::size_t>(g.in_c);
  if (x0 >= 0 && x0 + taps <= g.in_w) return row + static_cast<std::size_t>(x0) * in_c;
  for (int t = 0; t < taps; ++t) {
    const std::size_t at = static_cast<std::size_t>(t) * in_c;
    // Callers assemble only rows of at most max_assembled_row bytes
    // (reads_filter_rows); the test states it where the copy is made.
    if (at + in_c > static_cast<std::size_t>(max_assembled_row)) break;
    const int x = x0 + t;
    // CopyLanes, not std::memcpy: with a runtime in_c that was a call, and
    // for its clobbers GCC kept the tile's accumulators in memory across the
    // segment loop (this path is rare, the call's cost was not). The
    // compile-time path's constant in_c inlined the copy; the runtime
    // path's MobileNetV2 ran 4% faster without the call (its 112x112
    // 16->96 layer 267 -> 234 us, per-layer minima of 8 alternating runs).
    CopyLanes(hn::ScalableTag<T>(), x >= 0 && x < g.in_w ? row + static_cast<std::size_t>(x) * in_c : pad_row,
              g.in_c, assembled + at);
  }
  return assembled;
}

/// Segment `s` of the window at (y0, x0) (packed_conv.hpp).
template <class T>
HWY_INLINE const T* segment_row(const window_geometry& g, const T* pad_row, const T* batch_input, bool filter_rows,
                                int s, int y0, int x0, T* assembled) noexcept {
  if (filter_rows) return segment_at(g, pad_row, batch_input, y0 + s * g.dilation_h, x0, g.filter_w, assembled);
  const int y = y0 + s / g.filter_w * g.dilation_h, x = x0 + s % g.filter_w * g.dilation_w;
  const T* row = input_row_or_null(g, batch_input, y);
  if (row == nullptr || x < 0 || x >= g.in_w) return pad_row;
  return row + static_cast<std::size_t>(x) * static_cast<std::size_t>(g.in_c);
}

/// Output channel oc's accumulator, computed one product at a time (the
/// one-lane target's loop over the packed data; the vector tiles compute
/// the same sums).
template <class Args>
HWY_INLINE std::uint32_t scalar_accumulator(const window_geometry& g, const conv_packing& pk, const Args& a,
                                            const input_element<Args>* batch_input, int y0, int x0, int oc,
                                            input_element<Args>* assembled) noexcept {
  using T = input_element<Args>;
  const bool filter_rows = reads_filter_rows(g.filter_w, g.in_c, g.dilation_w);
  const int groups = pk.padded_segment() / 4;
  const std::int8_t* column = a.weights + pk.channel_offset(oc);
  auto acc = static_cast<std::uint32_t>(a.epilogue[oc]);
  for (int s = 0; s < pk.segments; ++s) {
    const T* src = segment_row(g, a.pad_row, batch_input, filter_rows, s, y0, x0, assembled);
    for (int j = 0; j < pk.segment_len; ++j) {
      const int x = src[j] + input_operand_offset<T>;  // the unsigned operand
      acc += static_cast<std::uint32_t>(column[static_cast<std::size_t>(s * groups + j / 4) * 64 +
                                               static_cast<std::size_t>(j % 4)] *
                                        x);
      if constexpr (std::is_same_v<T, std::uint8_t>)
        acc += static_cast<std::uint32_t>(a.input_sum_factor) * static_cast<std::uint32_t>(src[j]);
    }
  }
  return acc;
}

#if HWY_TARGET != HWY_SCALAR

inline constexpr int kVectors = kTileVectors;
/// How far ahead of its loads each weight column is prefetched: 8 steps of
/// 4 input bytes (64 bytes of weights each).
inline constexpr std::size_t kWeightPrefetchBytes = 512;
inline constexpr int kMaxPixels = 12;
/// Pixels per tile for a tile of `vectors` vectors of channels; a uint8
/// tile keeps one more accumulator per pixel (its input sum term).
template <class T>
constexpr int pixels_for(int vectors) noexcept {
  return TilePixels(vectors + (std::is_same_v<T, std::uint8_t> ? 1 : 0), kMaxPixels);
}

/// Where the pixels of a tile read their windows.
template <class T, class Out = T>
struct tile_pixels {
  const T* batch_input;
  int y0[kMaxPixels], x0[kMaxPixels];
  Out* out[kMaxPixels];
  int count;
};

/// The bits that turn 4 input bytes into the unsigned operand: adding
/// input_operand_offset (128 for int8) is flipping each sign bit.
template <class T>
inline constexpr std::uint32_t kOperandFlip = input_operand_offset<T> != 0 ? 0x80808080u : 0u;

/// 4 input bytes as they are (accumulate flips them into the unsigned
/// operand in the vector: a broadcast load and one XOR, where flipping the
/// word first took a load, an XOR and a move into the vector unit).
template <class T>
HWY_INLINE std::int32_t load_word(const T* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<std::int32_t>(v);
}

/// The last 1..3 bytes of a segment as load_word gives them (the missing
/// bytes, 0, meet weights of 0), read no further than the segment and put
/// together in a register: bytes stored to the stack and read back as a word
/// stall on store forwarding (this was 40% of a 3-channel first layer).
template <class T>
HWY_INLINE std::int32_t load_last_word(const T* p, int count) noexcept {
  std::uint32_t v = static_cast<std::uint8_t>(p[0]);
  if (count > 1) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[1])) << 8;
  if (count > 2) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[2])) << 16;
  return static_cast<std::int32_t>(v);
}

/// The epilogue of one vector of channels for the tile's pixels (`sums`:
/// uint8's -(128 - zw) * the sum of each window's input bytes, in every lane).
template <int V, int Pixels, requantize_form F, class D, class Acc, class Sums, class T>
HWY_INLINE void finish(D d, const Acc& acc, const Sums& sums, const tile_pixels<T>& px,
                       const conv2d_quantized_args<T>& a, int padded_out_c, int out_c, int oc) {
  const auto requantize =
      EpilogueLanesAt<F, T>(d, a.epilogue, static_cast<std::size_t>(padded_out_c), oc, a.output_zero_point);
  const auto zero_point = hn::Set(d, a.output_zero_point);
  const int valid = out_c - oc;
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i) {
    // A guard rather than a break: Clang unrolls only loops without exits.
    if (i < px.count && valid > 0) {
      auto sum = acc[i][V];
      if constexpr (std::is_same_v<T, std::uint8_t>) sum = hn::Sub(sum, sums[i]);
      StoreRequantized<F>(d, sum, requantize, zero_point, a.act, valid, px.out[i] + oc);
    }
  }
}

/// The float ending of a hybrid layer (float_epilogue-inl.hpp).
template <int V, int Pixels, requantize_form F, class D, class Acc, class Sums>
HWY_INLINE void finish(D d, const Acc& acc, const Sums&, const tile_pixels<std::int8_t, float>& px,
                       const conv2d_hybrid_args& a, int, int out_c, int oc) {
  const int valid = out_c - oc;
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i)
    if (i < px.count && valid > 0) StoreHybrid(d, acc[i][V], a.ending, oc, valid, px.out[i] + oc);
}

/// acc[i][v] += w[v] . x[i] for the tile's pixels i and vectors v (unrolled,
/// so that the accumulators stay in registers); x[i] is words[i] ^ Flip.
/// With Sums (uint8), also sums[i] += x[i] . factor: the window's input
/// bytes times -(128 - zw), in every lane, by the same dot product.
template <int Vectors, int Pixels, std::uint32_t Flip, bool Sums, class D, class V, int SumCount>
HWY_INLINE void accumulate(D d, V (&acc)[Pixels][Vectors], V (&sums)[SumCount], V factor,
                           const std::int8_t* const (&w)[Vectors], std::size_t at,
                           const std::int32_t (&words)[Pixels]) {
  const hn::Repartition<std::int8_t, D> d8;
  V wv[Vectors];
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) {
    wv[v] = hn::BitCast(d, hn::LoadU(d8, w[v] + at));
    // The columns are Vectors streams the hardware prefetcher follows late:
    // MobileNetV2's layers read their weights from L3 (the runtime path ran
    // 4% faster with this, side by side). Past a column's end it fetches
    // the next one's start, harmlessly.
    hwy::Prefetch(w[v] + at + kWeightPrefetchBytes);
  }
  QFENCE_UNROLL
  for (int i = 0; i < Pixels; ++i) {
    V x = hn::Set(d, words[i]);
    if constexpr (Flip != 0) x = hn::Xor(x, hn::Set(d, static_cast<std::int32_t>(Flip)));
    QFENCE_UNROLL
    for (int v = 0; v < Vectors; ++v) acc[i][v] = DotBytes(d, acc[i][v], x, wv[v]);
    if constexpr (Sums) sums[i] = DotBytes(d, sums[i], x, factor);
  }
}

/// One register tile: Pixels pixels of `px` by Vectors vectors of channels
/// from `oc`.
template <int Vectors, int Pixels, requantize_form F, class D, class Args, class T, class Out>
HWY_INLINE void tile(D d, const window_geometry& g, const Args& a, const tile_pixels<T, Out>& px, int oc) {
  const int n = static_cast<int>(hn::Lanes(d));
  const bool filter_rows = reads_filter_rows(g.filter_w, g.in_c, g.dilation_w);
  const conv_packing pk = conv_packing::for_filter(g.out_c, g.filter_h, g.filter_w, g.in_c, g.dilation_w);
  const int groups = pk.padded_segment() / 4, whole = pk.segment_len / 4;
  using V = hn::Vec<D>;
  V acc[Pixels][Vectors];
  // uint8: each pixel's window sum times -(128 - zw) (the file comment),
  // accumulated beside the channels. The factor fits a signed byte:
  // 128 - zw is in [-127, 128].
  constexpr bool kSums = std::is_same_v<T, std::uint8_t>;
  V sums[kSums ? Pixels : 1];
  QFENCE_UNROLL
  for (int i = 0; i < (kSums ? Pixels : 1); ++i) sums[i] = hn::Zero(d);
  const V factor = hn::BitCast(d, hn::Set(hn::Repartition<std::int8_t, D>(),
                                          static_cast<std::int8_t>(kSums ? -a.input_sum_factor : 0)));
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) {
    const V bias = hn::LoadU(d, a.epilogue + oc + v * n);
    QFENCE_UNROLL
    for (int i = 0; i < Pixels; ++i) acc[i][v] = bias;
  }
  // Vector v covers channels oc + v*n .. (conv_packing::channel_offset).
  const std::int8_t* w[Vectors];
  QFENCE_UNROLL
  for (int v = 0; v < Vectors; ++v) w[v] = a.weights + pk.channel_offset(oc + v * n);
  // Filter rows that leave the image at its left or right, assembled.
  alignas(64) T assembled[Pixels][max_assembled_row];
  // One segment on a 1x1 layer: still a loop (kernels/unroll.hpp).
  const int segments = kept_loop_bound(pk.segments);
  for (int s = 0; s < segments; ++s) {
    const T* src[Pixels];
    QFENCE_UNROLL
    for (int i = 0; i < Pixels; ++i)
      src[i] = i < px.count ? segment_row(g, a.pad_row, px.batch_input, filter_rows, s, px.y0[i], px.x0[i],
                                          assembled[i])
                            : a.pad_row;
    const std::size_t at = static_cast<std::size_t>(s) * static_cast<std::size_t>(groups) * 64;
    for (int k = 0; k < whole; ++k) {
      std::int32_t words[Pixels];
      QFENCE_UNROLL
      for (int i = 0; i < Pixels; ++i) words[i] = load_word(src[i] + 4 * k);
      accumulate<Vectors, Pixels, kOperandFlip<T>, kSums>(d, acc, sums, factor, w, at + static_cast<std::size_t>(k) * 64,
                                                         words);
    }
    if (whole < groups) {  // the last 1..3 bytes: read no further than the segment
      std::int32_t words[Pixels];
      QFENCE_UNROLL
      for (int i = 0; i < Pixels; ++i) words[i] = load_last_word(src[i] + 4 * whole, pk.segment_len - 4 * whole);
      accumulate<Vectors, Pixels, kOperandFlip<T>, kSums>(d, acc, sums, factor, w,
                                                         at + static_cast<std::size_t>(whole) * 64, words);
    }
  }
  [&]<int... I>(std::integer_sequence<int, I...>) QFENCE_INLINE_LAMBDA {
    (finish<I, Pixels, F>(d, acc, sums, px, a, pk.padded_out_c(), g.out_c, oc + I * n), ...);
  }(std::make_integer_sequence<int, Vectors>{});
}

/// The pixels of a tile of its own for the last few of an image, 0 for
/// none. A tile computes all its rows, used or not: MobileNetV2's 7x7 maps
/// in tiles of 6 pixels computed 54 for 49 (its 7x7 1x1 layers ran 6-9%
/// faster with a last tile of 1), and a fully connected layer (one pixel)
/// computed 6. On the compile-time path (Geometry a kernels::fixed) the
/// layer's own remainder, where the rows it saves are 5% of the layer's or
/// more (a tile shape per layer costs compile time: at 2%, Clang took 6 s
/// more over MobileNetV2) and the layer has more than one tile (a single
/// tile's unused rows are dead code there); on the runtime path a tile of
/// one pixel, for fully connected layers and 7x7 maps.
template <class Geometry>
constexpr int last_tile_pixels(int pixels_per_tile) noexcept {
  if constexpr (is_fixed_v<Geometry>) {
    constexpr window_geometry g = Geometry::value;
    const int pixels = g.out_h * g.out_w, rest = pixels % pixels_per_tile;
    const int rows = (pixels + pixels_per_tile - 1) / pixels_per_tile * pixels_per_tile;
    return pixels > pixels_per_tile && rest != 0 && (pixels_per_tile - rest) * 20 >= rows ? rest : 0;
  } else {
    return pixels_per_tile > 1 ? 1 : 0;
  }
}

/// Every output pixel, tile by tile, for tiles of Vectors vectors of the
/// channels [oc_begin, oc_end): a whole number of tiles when Tail is 0 (the
/// passes of Conv2DQuantized), any (narrower tiles at the end) when Tail is
/// -1, for scalable vectors. LastPixels, when not 0, is the pixels of the
/// tile that runs a count of that many (last_tile_pixels): a number, not the
/// geometry, so that the layers share this function (one per geometry cost
/// Clang 13 s over MobileNetV2).
template <int Vectors, int Tail, requantize_form F, int LastPixels, class D, class Args>
HWY_INLINE void pixel_tiles(D d, const window_geometry& g, const Args& a, int oc_begin, int oc_end) {
  using T = input_element<Args>;
  using Out = output_element<Args>;
  constexpr int Pixels = pixels_for<T>(Vectors);
  const int n = static_cast<int>(hn::Lanes(d));
  const int pixels = g.out_h * g.out_w;
  for (int b = 0; b < g.batches; ++b) {
    tile_pixels<T, Out> px;
    px.batch_input = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) *
                                   static_cast<std::size_t>(g.in_c);
    Out* batch_out =
        a.output + static_cast<std::size_t>(b) * static_cast<std::size_t>(pixels) * static_cast<std::size_t>(g.out_c);
    // The tile's first pixel, stepped along (no division per pixel).
    int oy = 0, ox = 0;
    for (int p0 = 0; p0 < pixels; p0 += Pixels) {
      px.count = pixels - p0 < Pixels ? pixels - p0 : Pixels;
      int y = oy, x = ox;
      for (int i = 0; i < Pixels; ++i) {
        px.y0[i] = y * g.stride_h - g.pad_h;
        px.x0[i] = x * g.stride_w - g.pad_w;
        px.out[i] = batch_out + static_cast<std::size_t>(p0 + (i < px.count ? i : 0)) * static_cast<std::size_t>(g.out_c);
        if (i + 1 < px.count && ++x == g.out_w) x = 0, ++y;
      }
      if (px.count == Pixels) {
        if (++x == g.out_w) x = 0, ++y;
        oy = y, ox = x;
      }
      for (int oc = oc_begin; oc < oc_end; oc += Vectors * n) {
        const int vectors = (oc_end - oc) / n;
        if constexpr (LastPixels > 0) {
          if (px.count == LastPixels) {
            tile<Vectors, LastPixels, F>(d, g, a, px, oc);
            continue;
          }
        }
        if (vectors >= Vectors) {
          tile<Vectors, Pixels, F>(d, g, a, px, oc);
        } else if constexpr (Tail < 0) {
          if (vectors == 3) tile<3, Pixels, F>(d, g, a, px, oc);
          else if (vectors == 2) tile<2, Pixels, F>(d, g, a, px, oc);
          else tile<1, Pixels, F>(d, g, a, px, oc);
        }
      }
    }
  }
}

/// The channels in passes: tiles of kVectors vectors over as many channels
/// as they fill, then one pass over the 1..3 vectors left, in tiles of their
/// own width, which hold more pixels. A single pass that ended each pixel
/// group with a narrow tile ran it with the wide tile's few pixels: 12 of 24
/// accumulators on MobileNetV2's 16-, 24- and 32-channel layers, and its 96-
/// and 144-channel expansions ran 15-20% slower than in two passes (the
/// runtime path's per-layer table, side by side).
/// `vectors` (the packed channels in vectors of n lanes) as a kernels::fixed
/// instantiates the layer's passes only; as an int, the four tile shapes.
/// Geometry is the kernel's geometry parameter type (last_tile_pixels).
/// (pixel_tiles is called here directly: through a generic lambda, Clang 14
/// took 50% longer to compile an embedded MobileNetV2.)
template <requantize_form F, class Geometry, class Vectors, class D, class Args>
HWY_INLINE void ChannelPasses(D d, const window_geometry& g, const Args& a, Vectors vectors, int n) {
  using T = input_element<Args>;
  constexpr auto wide_of = [](int all) { return all / kVectors * kVectors; };
  // The last tile of a pass of tiles `width` vectors wide.
  constexpr auto last = [](int width) { return last_tile_pixels<Geometry>(pixels_for<T>(width)); };
  if constexpr (is_fixed_v<Vectors>) {
    constexpr int all = Vectors::value, wide = wide_of(all), rest = all - wide;
    if constexpr (wide > 0) pixel_tiles<kVectors, 0, F, last(kVectors)>(d, g, a, 0, wide * n);
    if constexpr (rest > 0) pixel_tiles<rest, 0, F, last(rest)>(d, g, a, wide * n, all * n);
  } else {
    const int all = vectors, wide = wide_of(all), rest = all - wide;
    static_assert(kVectors == 4, "the passes below cover 1..3 vectors left");
    if (wide > 0) pixel_tiles<kVectors, 0, F, last(kVectors)>(d, g, a, 0, wide * n);
    if (rest == 3) pixel_tiles<3, 0, F, last(3)>(d, g, a, wide * n, all * n);
    else if (rest == 2) pixel_tiles<2, 0, F, last(2)>(d, g, a, wide * n, all * n);
    else if (rest == 1) pixel_tiles<1, 0, F, last(1)>(d, g, a, wide * n, all * n);
  }
}

#endif  // HWY_TARGET != HWY_SCALAR

/// Conv2DQuantized's body, for a form that is its own target form
/// (kTargetForm: one copy per distinct code).
template <class T, class Geometry, class Form>
HWY_NOINLINE void Conv2DQuantizedOfTargetForm(const Geometry& geometry, const conv2d_quantized_args<T>& args) {
  // A copy the compiler keeps in registers: the 8-bit stores to the output
  // may alias anything in memory, `args` included, and would reload it.
  const conv2d_quantized_args<T> a = args;
  const window_geometry& g = value_of(geometry);
  const conv_packing pk = conv_packing::for_filter(g.out_c, g.filter_h, g.filter_w, g.in_c, g.dilation_w);
#if HWY_TARGET == HWY_SCALAR
  // Highway's one-lane target (the baseline of GCC < 12.3, where EMU128 is
  // broken) has no byte lanes: the same packed data, one channel at a time.
  const std::size_t row = static_cast<std::size_t>(pk.padded_out_c());
  alignas(64) T assembled[max_assembled_row];
  for (int b = 0; b < g.batches; ++b) {
    const T* batch_input = a.input + static_cast<std::size_t>(b) * static_cast<std::size_t>(g.in_h * g.in_w) *
                                         static_cast<std::size_t>(g.in_c);
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const std::uint32_t acc = scalar_accumulator(g, pk, a, batch_input, y0, x0, oc, assembled);
          const std::size_t at = static_cast<std::size_t>(oc);
          const auto epilogue = [&](conv_epilogue_row r) { return a.epilogue[static_cast<std::size_t>(r) * row + at]; };
          const auto shifted = static_cast<std::int32_t>(acc << epilogue(conv_epilogue_row::left));
          std::int32_t v = rounding_divide_by_pot(
                               saturating_rounding_doubling_high_mul(shifted, epilogue(conv_epilogue_row::multiplier)),
                               epilogue(conv_epilogue_row::right)) +
                           a.output_zero_point;
          v = v < a.act.min ? a.act.min : v > a.act.max ? a.act.max : v;
          a.output[((static_cast<std::size_t>(b) * static_cast<std::size_t>(g.out_h) + static_cast<std::size_t>(oy)) *
                        static_cast<std::size_t>(g.out_w) +
                    static_cast<std::size_t>(ox)) *
                       static_cast<std::size_t>(g.out_c) +
                   at] = static_cast<T>(v);
        }
      }
  }
#else
  // Tiles of up to 4 vectors of channels; a layer with fewer channels takes
  // more pixels per tile instead (kernels/conv2d-inl.hpp, pixels_for).
  const hn::ScalableTag<std::int32_t> d;
  const int n = static_cast<int>(hn::Lanes(d));
  if constexpr (is_fixed_v<Geometry> && !HWY_HAVE_SCALABLE) {  // the layer's passes only
    constexpr window_geometry c = Geometry::value;
    constexpr int vectors = conv_packing::for_filter(c.out_c, c.filter_h, c.filter_w, c.in_c, c.dilation_w).padded_out_c() /
                            static_cast<int>(hn::MaxLanes(decltype(d)()));
    ChannelPasses<Form::value, Geometry>(d, g, a, fixed<vectors>{}, n);
  } else {
    if constexpr (HWY_HAVE_SCALABLE) {  // vectors wider than a channel tile: partial vectors
      if (pk.padded_out_c() % n != 0) {
        pixel_tiles<kVectors, -1, Form::value, 0>(d, g, a, 0, pk.padded_out_c());
        return;
      }
    }
    ChannelPasses<Form::value, Geometry>(d, g, a, pk.padded_out_c() / n, n);
  }
#endif
}

}  // namespace conv_detail

/// int8 or uint8 convolution, groups of 1 (see the file comment); Form is
/// the layer's requantize_form as a kernels::fixed.
template <class T, class Geometry, class Form = general_form>
HWY_NOINLINE void Conv2DQuantized(const Geometry& geometry, const conv2d_quantized_args<T>& args) {
  conv_detail::Conv2DQuantizedOfTargetForm<T, Geometry, fixed<kTargetForm<Form::value>>>(geometry, args);
}

/// A hybrid convolution or fully connected layer, one batch (the caller
/// quantized its input: kernels/hybrid_conv.hpp): the int8 kernel's tiles
/// and their integer sums, ended by the float epilogue of
/// conv2d_hybrid_args.
HWY_NOINLINE inline void Conv2DHybrid(const window_geometry& geometry, const conv2d_hybrid_args& args) {
  const conv2d_hybrid_args a = args;
  const window_geometry& g = geometry;
  const conv_packing pk = conv_packing::for_filter(g.out_c, g.filter_h, g.filter_w, g.in_c, g.dilation_w);
#if HWY_TARGET == HWY_SCALAR
  alignas(64) std::int8_t assembled[max_assembled_row];
  float* out = a.output;
  for (int oy = 0; oy < g.out_h; ++oy)
    for (int ox = 0; ox < g.out_w; ++ox) {
      const int y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
      for (int oc = 0; oc < g.out_c; ++oc)
        *out++ = a.ending(oc, static_cast<std::int32_t>(
                                  conv_detail::scalar_accumulator(g, pk, a, a.input, y0, x0, oc, assembled)));
    }
#else
  const hn::ScalableTag<std::int32_t> d;
  const int n = static_cast<int>(hn::Lanes(d));
  if constexpr (HWY_HAVE_SCALABLE) {  // vectors wider than a channel tile: partial vectors
    if (pk.padded_out_c() % n != 0) {
      conv_detail::pixel_tiles<conv_detail::kVectors, -1, general_requantize_form, 0>(d, g, a, 0, pk.padded_out_c());
      return;
    }
  }
  conv_detail::ChannelPasses<general_requantize_form, window_geometry>(d, g, a, pk.padded_out_c() / n, n);
#endif
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END
