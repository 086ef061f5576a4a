// qfence/quant/image_file.hpp: images as calibration data. qfence reads
// BMP, PGM and PPM itself (no image library), resizes them to a model's
// input and normalises the pixels.
//
// Formats (what converters and cameras write; anything else is refused
// with a message that names the file and what it holds):
//   - PGM (P5 binary, P2 text) and PPM (P6, P3), maxval up to 65535
//     (scaled to 0..255);
//   - BMP with a BITMAPINFOHEADER or a later one (40, 52, 56, 108, 124
//     bytes), uncompressed (BI_RGB) 24 or 32 bits, 32 bits with BI_BITFIELDS
//     masks of whole bytes, and 1, 4 or 8 bits with a palette; bottom-up or
//     top-down rows.
//
// A model input [1, H, W, C] (C = 1 or 3), or [1, C, H, W] (channels
// first, as models exported from PyTorch read images), takes the image resized
// bilinearly with half-pixel centres (TensorFlow's resize without
// antialiasing), gray from colour as ITU-R BT.601 luma, colour from gray by
// repetition, then value = (pixel - mean[c]) / scale[c]; a uint8 input
// without quantization parameters takes the pixels as they are.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/quant/sample_directory.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// An 8-bit image: rows top first, channels interleaved (1 gray or 3 RGB).
struct image {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
  std::uint8_t at(int x, int y, int c) const noexcept {
    return pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) *
                      static_cast<std::size_t>(channels) +
                  static_cast<std::size_t>(c)];
  }
};

namespace image_detail {

[[noreturn]] inline void fail(const std::filesystem::path& file, const std::string& what) {
  throw data_error("image '" + file.string() + "': " + what);
}

inline std::uint32_t le(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b[at + static_cast<std::size_t>(i)];
  return v;
}

/// PGM / PPM (Netpbm): "P5"/"P2" gray, "P6"/"P3" RGB.
inline image read_netpbm(const std::filesystem::path& file, const std::vector<std::uint8_t>& b) {
  const char kind = static_cast<char>(b[1]);
  const bool text = kind == '2' || kind == '3';
  const int channels = kind == '2' || kind == '5' ? 1 : 3;
  std::size_t at = 2;
  // Header fields: width, height, maxval, separated by white space and
  // comments (# to the end of the line).
  auto next_number = [&](const char* what) -> long {
    for (;;) {
      while (at < b.size() && std::isspace(b[at])) ++at;
      if (at < b.size() && b[at] == '#') {
        while (at < b.size() && b[at] != '\n') ++at;
        continue;
      }
      break;
    }
    if (at >= b.size() || !std::isdigit(b[at])) fail(file, std::string("the header has no ") + what);
    long v = 0;
    while (at < b.size() && std::isdigit(b[at])) {
      v = v * 10 + (b[at++] - '0');
      if (v > 1000000) fail(file, std::string("the ") + what + " is too large");
    }
    return v;
  };
  const long width = next_number("width"), height = next_number("height"), maxval = next_number("maxval");
  if (width <= 0 || height <= 0) fail(file, "the size is " + std::to_string(width) + "x" + std::to_string(height));
  if (maxval <= 0 || maxval > 65535) fail(file, "maxval " + std::to_string(maxval) + " is outside 1..65535");
  image im{static_cast<int>(width), static_cast<int>(height), channels, {}};
  const std::size_t count = static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * static_cast<std::size_t>(channels);
  auto scaled = [&](long v) {
    if (v > maxval) fail(file, "a sample is " + std::to_string(v) + ", above maxval " + std::to_string(maxval));
    return static_cast<std::uint8_t>((v * 255 + maxval / 2) / maxval);
  };
  // The file must hold the pixels its header promises before any memory
  // is taken for them (a text sample needs a digit and a separator).
  const std::size_t left = b.size() - std::min(b.size(), at + 1);
  const std::size_t bytes_each = text ? 2 : maxval > 255 ? 2 : 1;
  if (count > left / bytes_each + (text ? 1 : 0))
    fail(file, "holds " + std::to_string(left) + " bytes of pixels, its header says " + std::to_string(count) +
                   " samples (" + std::to_string(count * bytes_each) + " bytes)");
  im.pixels.resize(count);
  if (text) {
    for (std::size_t i = 0; i < count; ++i) im.pixels[i] = scaled(next_number("sample (the file ends early)"));
    return im;
  }
  ++at;  // the single white space character after maxval
  for (std::size_t i = 0; i < count; ++i)
    im.pixels[i] = scaled(bytes_each == 1 ? b[at + i] : (b[at + 2 * i] << 8) | b[at + 2 * i + 1]);  // big-endian
  return im;
}

/// The position and width of a BI_BITFIELDS mask that selects one whole byte.
inline int byte_of_mask(const std::filesystem::path& file, std::uint32_t mask) {
  for (int k = 0; k < 4; ++k)
    if (mask == (0xFFu << (8 * k))) return k;
  fail(file, "a BI_BITFIELDS mask (0x" + [&] {
    char t[16];
    std::snprintf(t, sizeof t, "%08x", mask);
    return std::string(t);
  }() + ") that is not one whole byte; qfence reads 8-bit channels");
}

inline image read_bmp(const std::filesystem::path& file, const std::vector<std::uint8_t>& b) {
  if (b.size() < 54) fail(file, "the BMP headers are cut short (" + std::to_string(b.size()) + " bytes)");
  const std::uint32_t offset = le(b, 10, 4), header = le(b, 14, 4);
  if (header < 40) fail(file, "an OS/2 BMP header (" + std::to_string(header) + " bytes); qfence reads Windows BMP (40+)");
  const auto width = static_cast<std::int32_t>(le(b, 18, 4)), raw_height = static_cast<std::int32_t>(le(b, 22, 4));
  const std::uint32_t bits = le(b, 28, 2), compression = le(b, 30, 4);
  std::uint32_t colors = le(b, 46, 4);
  const bool top_down = raw_height < 0;
  const std::int64_t height = top_down ? -static_cast<std::int64_t>(raw_height) : raw_height;
  if (width <= 0 || height <= 0 || width > 100000 || height > 100000)
    fail(file, "the size is " + std::to_string(width) + "x" + std::to_string(height));
  const bool bitfields = compression == 3 && bits == 32;
  if (compression != 0 && !bitfields)
    fail(file, "compression " + std::to_string(compression) +
                   " (qfence reads uncompressed BMP, and 32-bit BI_BITFIELDS); save it uncompressed");
  if (bits != 1 && bits != 4 && bits != 8 && bits != 24 && bits != 32)
    fail(file, std::to_string(bits) + " bits per pixel; qfence reads 1, 4, 8 (palette), 24 and 32");
  std::array<int, 3> rgb_byte{2, 1, 0};  // byte of R, G, B within a 24/32-bit pixel (BGR order)
  if (bitfields) {
    const std::size_t masks = header >= 52 ? 54 : 14 + header;  // in the header, or right after a 40-byte one
    if (b.size() < masks + 12) fail(file, "the BI_BITFIELDS masks are cut short");
    rgb_byte = {byte_of_mask(file, le(b, masks, 4)), byte_of_mask(file, le(b, masks + 4, 4)),
                byte_of_mask(file, le(b, masks + 8, 4))};
  }
  std::vector<std::array<std::uint8_t, 3>> palette;
  if (bits <= 8) {
    if (colors == 0) colors = 1u << bits;
    if (colors > (1u << bits)) fail(file, std::to_string(colors) + " palette colours for " + std::to_string(bits) + " bits");
    const std::size_t at = 14 + header;
    if (b.size() < at + 4 * colors) fail(file, "the palette is cut short");
    for (std::uint32_t i = 0; i < colors; ++i)
      palette.push_back({b[at + 4 * i + 2], b[at + 4 * i + 1], b[at + 4 * i]});
  }
  const std::size_t row_bytes = (static_cast<std::size_t>(width) * bits + 31) / 32 * 4;
  if (offset > b.size() || b.size() - offset < row_bytes * static_cast<std::size_t>(height))
    fail(file, "holds " + std::to_string(b.size() - std::min<std::size_t>(b.size(), offset)) +
                   " bytes of pixels, its header says " + std::to_string(row_bytes * static_cast<std::size_t>(height)));
  image im{width, static_cast<int>(height), 3, {}};
  im.pixels.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  bool gray = true;
  for (std::int64_t y = 0; y < height; ++y) {
    const std::uint8_t* row = b.data() + offset + row_bytes * static_cast<std::size_t>(top_down ? y : height - 1 - y);
    for (std::int32_t x = 0; x < width; ++x) {
      std::array<std::uint8_t, 3> p;
      if (bits >= 24) {
        const std::uint8_t* px = row + static_cast<std::size_t>(x) * (bits / 8);
        p = {px[rgb_byte[0]], px[rgb_byte[1]], px[rgb_byte[2]]};
      } else {
        const std::size_t bit = static_cast<std::size_t>(x) * bits;
        const unsigned index = (row[bit / 8] >> (8 - bits - bit % 8)) & ((1u << bits) - 1);
        if (index >= palette.size()) fail(file, "a pixel names palette entry " + std::to_string(index) + " of " + std::to_string(palette.size()));
        p = palette[index];
      }
      gray = gray && p[0] == p[1] && p[1] == p[2];
      std::memcpy(&im.pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 3], p.data(), 3);
    }
  }
  if (gray) {  // a gray image stored as colour (as most BMP writers store it): one channel
    for (std::size_t i = 0; i < im.pixels.size() / 3; ++i) im.pixels[i] = im.pixels[3 * i];
    im.pixels.resize(im.pixels.size() / 3);
    im.channels = 1;
  }
  return im;
}

}  // namespace image_detail

/// Whether `file` has an image extension qfence reads (.bmp .pgm .ppm .pnm).
inline bool is_image_file(const std::filesystem::path& file) {
  std::string e = file.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e == ".bmp" || e == ".pgm" || e == ".ppm" || e == ".pnm";
}

/// Reads a BMP, PGM or PPM file (by its contents, not its name).
inline image read_image(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw data_error("image '" + file.string() + "': cannot open it");
  const std::vector<std::uint8_t> b{std::istreambuf_iterator<char>(in), {}};
  if (b.size() >= 2 && b[0] == 'B' && b[1] == 'M') return image_detail::read_bmp(file, b);
  if (b.size() >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '3' || b[1] == '5' || b[1] == '6'))
    return image_detail::read_netpbm(file, b);
  image_detail::fail(file, "neither BMP nor PGM/PPM (qfence reads those three; convert it, e.g. with "
                           "`convert in.jpg out.ppm`)");
}

/// value = (pixel - mean[c]) / scale[c], per channel (one value: all).
struct image_normalization {
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> scale{255.0f, 255.0f, 255.0f};
};

/// Where an image goes in a model's float input: its size, its channels,
/// and their order in memory.
struct image_layout {
  int height = 0;
  int width = 0;
  int channels = 0;  ///< 1 (gray) or 3 (RGB)
  /// [1, C, H, W] (channel planes, as models exported from PyTorch read
  /// them) instead of TFLite's [1, H, W, C].
  bool channels_first = false;
};

/// The image layout of an input of shape `dims`, if it is one: [1, H, W, C]
/// with C = 1 or 3 (TFLite's layout, which wins where both read: [1, 3, 3,
/// 3]), else [1, C, H, W] with C = 1 or 3.
inline std::optional<image_layout> image_layout_of(std::span<const int> dims) {
  if (dims.size() != 4 || dims[0] != 1) return std::nullopt;
  const auto is_channels = [](int d) { return d == 1 || d == 3; };
  if (is_channels(dims[3]) && dims[1] > 0 && dims[2] > 0) return image_layout{dims[1], dims[2], dims[3], false};
  if (is_channels(dims[1]) && dims[2] > 0 && dims[3] > 0) return image_layout{dims[2], dims[3], dims[1], true};
  return std::nullopt;
}

/// Calls put(at, c, pixel) for every element of an input laid out as `to`
/// says: `at` its index, `c` its channel, `pixel` (0..255) from `im`
/// resized bilinearly with half-pixel centres, channels converted.
template <class Put>
void for_each_input_pixel(const image& im, const image_layout& to, Put&& put) {
  const int height = to.height, width = to.width, channels = to.channels;
  auto source = [](int out_size, int in_size, int o, int& lo, int& hi, float& t) {
    const float s = (static_cast<float>(o) + 0.5f) * static_cast<float>(in_size) / static_cast<float>(out_size) - 0.5f;
    const float c = std::max(0.0f, s);
    lo = std::min(static_cast<int>(std::floor(c)), in_size - 1);
    hi = std::min(lo + 1, in_size - 1);
    t = c - static_cast<float>(lo);
  };
  auto sample = [&](int x, int y, int c) -> float {
    if (im.channels == channels) return im.at(x, y, c);
    if (channels == 1)  // luma from RGB (ITU-R BT.601)
      return 0.299f * im.at(x, y, 0) + 0.587f * im.at(x, y, 1) + 0.114f * im.at(x, y, 2);
    return im.at(x, y, 0);  // gray repeated into RGB
  };
  const auto h = static_cast<std::size_t>(height), w = static_cast<std::size_t>(width),
             cs = static_cast<std::size_t>(channels);
  for (int y = 0; y < height; ++y) {
    int y0, y1;
    float ty;
    source(height, im.height, y, y0, y1, ty);
    for (int x = 0; x < width; ++x) {
      int x0, x1;
      float tx;
      source(width, im.width, x, x0, x1, tx);
      const std::size_t pixel_index = static_cast<std::size_t>(y) * w + static_cast<std::size_t>(x);
      for (int c = 0; c < channels; ++c) {
        const float top = sample(x0, y0, c) + (sample(x1, y0, c) - sample(x0, y0, c)) * tx;
        const float bottom = sample(x0, y1, c) + (sample(x1, y1, c) - sample(x0, y1, c)) * tx;
        const auto k = static_cast<std::size_t>(c);
        put(to.channels_first ? k * h * w + pixel_index : pixel_index * cs + k, k, top + (bottom - top) * ty);
      }
    }
  }
}

/// `im` as a float input laid out as `to` says (for_each_input_pixel),
/// value = (pixel - mean[c]) / scale[c].
inline void image_to_input(const image& im, const image_layout& to, const image_normalization& n, float* out) {
  for_each_input_pixel(im, to, [&](std::size_t at, std::size_t c, float pixel) { out[at] = (pixel - n.mean[c]) / n.scale[c]; });
}

/// `im` as a uint8 input of raw pixels (a model that normalises them itself,
/// as MoveNet does), each rounded to the nearest integer.
inline void image_to_pixels(const image& im, const image_layout& to, std::uint8_t* out) {
  for_each_input_pixel(im, to, [&](std::size_t at, std::size_t, float pixel) {
    out[at] = static_cast<std::uint8_t>(std::clamp(std::lround(pixel), 0L, 255L));
  });
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END
