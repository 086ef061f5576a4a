// Images as calibration data (quant/image_file.hpp, image_samples.hpp):
// the decoders on files written here byte by byte, the resize and the
// normalisation against hand-computed values, and every refusal naming the
// file and the problem.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "qfence/quant/image_samples.hpp"
#include "qfence/tflite/reader.hpp"
#include "qfence/tflite/support_metadata.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace image_test {

using namespace qfence;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() : path(std::filesystem::temp_directory_path() / ("qfence_image_test_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

void write(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
void write(const std::filesystem::path& p, const std::string& text) { write(p, std::vector<std::uint8_t>(text.begin(), text.end())); }

void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

/// A 24-bit (or 8-bit palette) BMP of `w` x `h` whose pixel (x, y) is
/// rgb(x, y): rows stored bottom-up (or top-down), padded to 4 bytes.
std::vector<std::uint8_t> bmp(int w, int h, bool top_down, int bits = 24) {
  const std::size_t palette = bits == 8 ? 256 * 4 : 0;
  const std::size_t row = (static_cast<std::size_t>(w) * static_cast<std::size_t>(bits) + 31) / 32 * 4;
  const std::size_t offset = 54 + palette;
  std::vector<std::uint8_t> b(offset + row * static_cast<std::size_t>(h), 0);
  b[0] = 'B';
  b[1] = 'M';
  put32(b, 2, static_cast<std::uint32_t>(b.size()));
  put32(b, 10, static_cast<std::uint32_t>(offset));
  put32(b, 14, 40);
  put32(b, 18, static_cast<std::uint32_t>(w));
  put32(b, 22, static_cast<std::uint32_t>(top_down ? -h : h));
  b[26] = 1;
  b[28] = static_cast<std::uint8_t>(bits);
  for (std::size_t i = 0; i < palette / 4; ++i) {  // entry i: rgb(i, 255 - i, 7), stored BGR0
    b[54 + 4 * i] = 7;
    b[54 + 4 * i + 1] = static_cast<std::uint8_t>(255 - i);
    b[54 + 4 * i + 2] = static_cast<std::uint8_t>(i);
  }
  for (int y = 0; y < h; ++y) {
    std::uint8_t* r = b.data() + offset + row * static_cast<std::size_t>(top_down ? y : h - 1 - y);
    for (int x = 0; x < w; ++x) {
      if (bits == 8) {
        r[x] = static_cast<std::uint8_t>(10 * x + y);
      } else {
        r[3 * x] = static_cast<std::uint8_t>(100 + y);   // B
        r[3 * x + 1] = static_cast<std::uint8_t>(50 + x);  // G
        r[3 * x + 2] = static_cast<std::uint8_t>(10 * x + y);  // R
      }
    }
  }
  return b;
}


}  // namespace

TEST_CASE("images: BMP (24-bit both row orders, 8-bit palette), PGM and PPM decode to the same pixels") {
  temp_dir d;
  for (const bool top_down : {false, true}) {
    write(d.path / "a.bmp", bmp(3, 2, top_down));
    const quant::image im = quant::read_image(d.path / "a.bmp");
    REQUIRE(im.width == 3);
    REQUIRE(im.height == 2);
    REQUIRE(im.channels == 3);
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) {
        CHECK(im.at(x, y, 0) == 10 * x + y);
        CHECK(im.at(x, y, 1) == 50 + x);
        CHECK(im.at(x, y, 2) == 100 + y);
      }
  }
  write(d.path / "p.bmp", bmp(5, 3, false, 8));
  const quant::image pal = quant::read_image(d.path / "p.bmp");
  CHECK(pal.at(4, 2, 0) == 42);
  CHECK(pal.at(4, 2, 1) == 255 - 42);
  CHECK(pal.at(4, 2, 2) == 7);
  // Netpbm: comments, text and binary, 16-bit samples scaled to 8 bits.
  write(d.path / "g.pgm", std::string("P2\n# a comment\n3 1\n255\n0 128 255\n"));
  const quant::image g = quant::read_image(d.path / "g.pgm");
  CHECK(g.channels == 1);
  CHECK(g.at(1, 0, 0) == 128);
  write(d.path / "c.ppm", std::string("P6 1 1 65535\n") + std::string("\x80\x00\xff\xff\x00\x00", 6));
  const quant::image c = quant::read_image(d.path / "c.ppm");
  CHECK(c.channels == 3);
  CHECK(c.at(0, 0, 0) == 128);  // 0x8000 * 255 / 65535, rounded
  CHECK(c.at(0, 0, 1) == 255);
  CHECK(c.at(0, 0, 2) == 0);
}

TEST_CASE("images: a gray BMP is one channel; resize with half-pixel centres; luma; normalisation") {
  temp_dir d;
  // 2x1 gray: 0 and 200 (a BMP writer stores gray as equal R, G, B).
  auto b = bmp(2, 1, true);
  b[54] = b[55] = b[56] = 0;
  b[57] = b[58] = b[59] = 200;
  write(d.path / "gray.bmp", b);
  const quant::image im = quant::read_image(d.path / "gray.bmp");
  CHECK(im.channels == 1);
  // Upscaled to 4 wide: source x = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25.
  std::vector<float> out(4);
  quant::image_normalization n;  // [0, 1]
  quant::image_to_input(im, {1, 4, 1}, n, out.data());
  CHECK(out[0] == doctest::Approx(0.0f));
  CHECK(out[1] == doctest::Approx(50.0f / 255));
  CHECK(out[2] == doctest::Approx(150.0f / 255));
  CHECK(out[3] == doctest::Approx(200.0f / 255));
  // Into RGB: the gray repeated; mean and scale per channel.
  std::vector<float> rgb(3);
  n.mean = {127.5f, 0.0f, 100.0f};
  n.scale = {127.5f, 1.0f, 2.0f};
  quant::image_to_input(im, {1, 1, 3}, n, rgb.data());  // one pixel: the mean of 0 and 200
  CHECK(rgb[0] == doctest::Approx((100.0f - 127.5f) / 127.5f));
  CHECK(rgb[1] == doctest::Approx(100.0f));
  CHECK(rgb[2] == doctest::Approx(0.0f));
  // Colour into gray: BT.601 luma.
  write(d.path / "c.ppm", std::string("P6 1 1 255\n") + std::string("\xff\x00\x00", 3));
  std::vector<float> luma(1);
  quant::image_to_input(quant::read_image(d.path / "c.ppm"), {1, 1, 1}, quant::image_normalization{{0, 0, 0}, {1, 1, 1}},
                        luma.data());
  CHECK(luma[0] == doctest::Approx(0.299f * 255));
}

TEST_CASE("images: what qfence cannot read is refused with the file and the reason") {
  temp_dir d;
  auto refused = [&](const std::string& name, const std::vector<std::uint8_t>& bytes, const std::string& reason) {
    write(d.path / name, bytes);
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(quant::read_image(d.path / name), doctest::Contains(reason.c_str()), quant::data_error);
    CHECK_THROWS_WITH_AS(quant::read_image(d.path / name), doctest::Contains(name.c_str()), quant::data_error);
  };
  auto rle = bmp(2, 2, false);
  rle[30] = 1;  // BI_RLE8
  refused("rle.bmp", rle, "compression 1");
  auto cut = bmp(4, 4, false);
  cut.resize(cut.size() - 5);
  refused("cut.bmp", cut, "bytes of pixels, its header says");
  auto bits16 = bmp(2, 2, false);
  bits16[28] = 16;
  refused("b16.bmp", bits16, "16 bits per pixel");
  refused("short.ppm", {'P', '6', ' ', '2', ' ', '2', ' ', '2', '5', '5', '\n', 1, 2, 3}, "bytes of pixels");
  refused("nosize.pgm", {'P', '5', '\n', '#', '\n'}, "the header has no width");
  // A header promising 10^12 samples in a 20-byte file: refused before any
  // memory is taken for them.
  const std::string huge = "P2 1000000 1000000 255\n1 2\n";
  refused("huge.pgm", std::vector<std::uint8_t>(huge.begin(), huge.end()), "its header says 1000000000000 samples");
  refused("jpeg.jpg", {0xFF, 0xD8, 0xFF, 0xE0}, "neither BMP nor PGM/PPM");
}

TEST_CASE("images: every byte of a BMP, PGM or PPM changed, or the file cut anywhere, is read or refused, never a crash") {
  // Run under the sanitizers too (the sanitize stage): an index from a
  // header read past the file, a size that overflows, a palette index
  // beyond the palette would show there.
  temp_dir d;
  const auto bmp_bits = [](int w, int h, bool top_down, int bits) {
    std::vector<std::uint8_t> b = bmp(w, h, top_down, bits == 32 ? 24 : 8);
    b[28] = static_cast<std::uint8_t>(bits);  // the pixel bytes are the same: a 1/4-bit image reads fewer
    return b;
  };
  std::vector<std::vector<std::uint8_t>> seeds = {bmp(5, 3, false), bmp(4, 4, true, 8), bmp_bits(7, 2, false, 4),
                                                  bmp_bits(9, 2, true, 1), bmp_bits(3, 3, false, 32)};
  for (const std::string header : {"P5 3 2 255\n", "P6 2 2 255\n", "P5 2 2 65535\n", "P2 2 2 9\n1 2 3 9\n",
                                    "P3 1 1 9\n1 2 3\n"}) {
    std::vector<std::uint8_t> v(header.begin(), header.end());
    if (header[1] == '5' || header[1] == '6')
      for (int i = 0; i < 24; ++i) v.push_back(static_cast<std::uint8_t>(i * 37));
    seeds.push_back(std::move(v));
  }
  int read = 0, refused = 0;
  const auto attempt = [&](const std::vector<std::uint8_t>& bytes) {
    write(d.path / "x.img", bytes);
    try {
      const quant::image im = quant::read_image(d.path / "x.img");
      CHECK(im.pixels.size() == static_cast<std::size_t>(im.width) * static_cast<std::size_t>(im.height) *
                                    static_cast<std::size_t>(im.channels));
      ++read;
    } catch (const quant::data_error& e) {
      CHECK(std::string(e.what()).find("x.img") != std::string::npos);  // names the file
      ++refused;
    }
  };
  for (const auto& s : seeds) {
    for (std::size_t n = 0; n < s.size(); ++n) attempt(std::vector<std::uint8_t>(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n)));
    for (std::size_t i = 0; i < s.size(); ++i)
      for (const int v : {0, 0xFF, s[i] ^ 0x80}) {
        std::vector<std::uint8_t> m = s;
        m[i] = static_cast<std::uint8_t>(v);
        attempt(m);
      }
  }
  MESSAGE(read << " read, " << refused << " refused");
  CHECK(read > 0);
  CHECK(refused > 0);
}

TEST_CASE("image calibration samples: a float image model's input, filled per sample; other models refused") {
  namespace tfl = qtest::tfl;
  temp_dir d;
  write(d.path / "1.bmp", bmp(8, 6, false));
  write(d.path / "2.pgm", std::string("P5 2 2 255\n") + std::string("\x00\x40\x80\xff", 4));
  tfl::model_spec spec;
  spec.tensors.push_back(tfl::activation({1, 4, 4, 3}, "image"));
  spec.tensors.push_back(tfl::activation({1, 4, 4, 3}, "out"));
  spec.ops.push_back(tfl::op(19 /*RELU*/, 1, {0}, {1}));
  spec.inputs = {0};
  spec.outputs = {1};
  const auto m = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec)));
  const quant::calibration_samples samples(d.path, *m);
  CHECK(samples.size() == 2);
  CHECK(samples.description() == "2 images");
  runtime::interpreter run(m);
  CHECK(!samples.fill(1, run).has_value());
  const auto in = run.input<float>(0);
  CHECK(in[0] == doctest::Approx(0.0f));    // gray 0 into the top-left of all three channels
  CHECK(in[47] == doctest::Approx(1.0f));   // 255 at the bottom right
  // Calibration runs on them.
  const auto report = quant::calibrate(m, samples);
  CHECK(report.samples == 2);
  // Channels first ([1, C, H, W], as a model exported from PyTorch reads an
  // image): the same values, in channel planes.
  {
    CHECK(!samples.fill(0, run).has_value());  // the colour one: R, G and B differ
    std::vector<float> last(in.begin(), in.end());
    spec.tensors[0] = tfl::activation({1, 3, 4, 4}, "image");
    spec.tensors[1] = tfl::activation({1, 3, 4, 4}, "out");
    const auto planes = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(spec)));
    const quant::calibration_samples planar(d.path, *planes);
    runtime::interpreter run_planes(planes);
    CHECK(!planar.fill(0, run_planes).has_value());
    const auto p = run_planes.input<float>(0);
    int differ = 0;
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t i = 0; i < 16; ++i) differ += p[c * 16 + i] != last[i * 3 + c];
    CHECK(differ == 0);
    CHECK(p[0] != p[16]);  // not gray
    CHECK(p[16] == doctest::Approx(last[1]));  // the first pixel's G opens the second plane
  }
  // Raw uint8 pixels (a model that normalises them itself, as MoveNet):
  // the resized pixels as they are, rounded; --mean/--scale refused.
  {
    auto pixels_spec = spec;
    pixels_spec.tensors[0] = tfl::activation({1, 4, 4, 3}, "pixels", 3 /*UINT8*/);
    pixels_spec.tensors[1] = tfl::activation({1, 4, 4, 3}, "out");
    pixels_spec.ops[0] = tfl::op(53 /*CAST*/, 1, {0}, {1});
    const auto pixels = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(pixels_spec)));
    const quant::calibration_samples raw(d.path, *pixels);
    runtime::interpreter run_pixels(pixels);
    CHECK(!raw.fill(0, run_pixels).has_value());
    std::vector<float> unscaled(48);
    quant::image_to_input(quant::read_image(d.path / "1.bmp"), {4, 4, 3}, quant::image_normalization{{0, 0, 0}, {1, 1, 1}},
                          unscaled.data());
    const auto got = run_pixels.input<std::uint8_t>(0);
    int differ = 0;
    for (std::size_t i = 0; i < 48; ++i) differ += got[i] != std::lround(unscaled[i]);
    CHECK(differ == 0);
    CHECK(got[0] != got[1]);  // colour: R and G differ
    CHECK(quant::calibrate(pixels, raw).samples == 2);
    quant::sample_options normalised;
    normalised.normalization = quant::image_normalization{};
    CHECK_THROWS_WITH_AS(quant::calibration_samples(d.path, *pixels, normalised),
                         doctest::Contains("reads raw uint8 pixels"), quant::data_error);
  }
  // TFLite Support metadata (Model Maker's models) says how the input is
  // normalised: the default, over an input's recorded range.
  {
    auto with_metadata = spec;
    with_metadata.tensors[0] = tfl::activation({1, 4, 4, 3}, "image");
    with_metadata.tensors[1] = tfl::activation({1, 4, 4, 3}, "out");
    with_metadata.ops[0] = tfl::op(19 /*RELU*/, 1, {0}, {1});
    with_metadata.support_metadata = tfl::normalization_metadata({127.5f}, {127.5f});
    const auto normalised = std::make_shared<const runtime::model>(tflite::read_model(tfl::build(with_metadata)));
    const auto md = tflite::input_normalization(*normalised, 0);
    REQUIRE(md.has_value());
    CHECK(md->mean == std::vector<float>{127.5f});
    CHECK(!tflite::input_normalization(*normalised, 1).has_value());  // no metadata for an input 1
    const quant::calibration_samples by_metadata(d.path, *normalised);
    runtime::interpreter run_md(normalised);
    CHECK(!by_metadata.fill(0, run_md).has_value());
    std::vector<float> want(48);
    quant::image_to_input(quant::read_image(d.path / "1.bmp"), {4, 4, 3},
                          quant::image_normalization{{127.5f, 127.5f, 127.5f}, {127.5f, 127.5f, 127.5f}}, want.data());
    const auto got = run_md.input<float>(0);
    int differ = 0;
    for (std::size_t i = 0; i < 48; ++i) differ += got[i] != want[i];
    CHECK(differ == 0);
    // Per channel (ImageNet's), and --mean/--scale still win.
    with_metadata.support_metadata = tfl::normalization_metadata({123.675f, 116.28f, 103.53f}, {58.395f, 57.12f, 57.375f});
    const runtime::model imagenet = tflite::read_model(tfl::build(with_metadata));
    CHECK(quant::default_image_normalization(imagenet).scale[2] == 57.375f);
    // Metadata that cannot be followed is an error naming it, unless
    // --mean/--scale are given; corrupt metadata bytes too.
    with_metadata.support_metadata = tfl::normalization_metadata({0.0f}, {0.0f});
    const runtime::model zero_std = tflite::read_model(tfl::build(with_metadata));
    CHECK_THROWS_WITH_AS(quant::calibration_samples(d.path, zero_std), doctest::Contains("a std of 0"), quant::data_error);
    quant::sample_options given;
    given.normalization = quant::image_normalization{};
    CHECK_NOTHROW(quant::calibration_samples(d.path, zero_std, given));
    with_metadata.support_metadata = {1, 2, 3, 4, 'M', '0', '0', '1', 9, 9, 9, 9};
    const runtime::model corrupt = tflite::read_model(tfl::build(with_metadata));
    CHECK_THROWS_WITH_AS(quant::calibration_samples(d.path, corrupt), doctest::Contains("not valid TFLite Support metadata"),
                         runtime::model_error);
  }
  // The layout an input shape says: TFLite's [1, H, W, C] wins where both read.
  using layout = std::optional<quant::image_layout>;
  const auto layout_of = [](std::vector<int> dims) { return quant::image_layout_of(dims); };
  const auto same = [](const layout& a, const quant::image_layout& b) {
    return a && a->height == b.height && a->width == b.width && a->channels == b.channels &&
           a->channels_first == b.channels_first;
  };
  CHECK(same(layout_of({1, 96, 96, 1}), {96, 96, 1, false}));
  CHECK(same(layout_of({1, 3, 224, 224}), {224, 224, 3, true}));
  CHECK(same(layout_of({1, 1, 28, 28}), {28, 28, 1, true}));
  CHECK(same(layout_of({1, 3, 3, 3}), {3, 3, 3, false}));
  CHECK(!layout_of({1, 2, 224, 224}));
  CHECK(!layout_of({2, 224, 224, 3}));
  CHECK(!layout_of({224, 224, 3}));
  // A model whose input is not an image is refused, and says why.
  spec.tensors[0] = tfl::activation({1, 10}, "features");
  spec.tensors[1] = tfl::activation({1, 10}, "out");
  const runtime::model flat = tflite::read_model(tfl::build(spec));
  CHECK_THROWS_WITH_AS(quant::calibration_samples(d.path, flat), doctest::Contains("images calibrate a model with one float input"),
                       quant::data_error);
}

TEST_CASE("images: every photo of ../shared/images decodes (when present)") {
  const std::filesystem::path dir = std::filesystem::path(QFENCE_SHARED_DIR) / "images";
  if (!std::filesystem::is_directory(dir)) {
    MESSAGE("skipped: " << dir.string() << " is absent");
    return;
  }
  int read = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!quant::is_image_file(e.path())) continue;
    CAPTURE(e.path().string());
    const quant::image im = quant::read_image(e.path());
    CHECK(im.width > 0);
    CHECK(im.height > 0);
    CHECK(im.pixels.size() == static_cast<std::size_t>(im.width) * static_cast<std::size_t>(im.height) *
                                  static_cast<std::size_t>(im.channels));
    // Not a flat picture: the decoder read real pixel rows.
    const auto [lo, hi] = std::minmax_element(im.pixels.begin(), im.pixels.end());
    CHECK(*hi - *lo > 50);
    ++read;
  }
  CHECK(read >= 10);
  // The one model of ../shared/models with TFLite Support metadata: its
  // input's normalisation, (x - 127.5) / 127.5.
  const std::filesystem::path mobilenet =
      std::filesystem::path(QFENCE_SHARED_DIR) / "models" / "mobilenet_v1_0.25_128_quant" / "model.tflite";
  if (std::filesystem::exists(mobilenet)) {
    const auto md = tflite::input_normalization(tflite::read_model_file(mobilenet.string()), 0);
    REQUIRE(md.has_value());
    CHECK(md->mean == std::vector<float>{127.5f});
    CHECK(md->std == std::vector<float>{127.5f});
  }
  const quant::image person = quant::read_image(dir / "person_96x96.bmp");
  CHECK(person.width == 96);
  CHECK(person.height == 96);
}

}  // namespace image_test
