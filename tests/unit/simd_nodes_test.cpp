// The compile-time path's SIMD layers: each typed node instantiates its
// Highway kernel with its own constant geometry (kernels::fixed<...>) and its
// weights packed when the model is built. For layers of awkward shapes
// (channel counts off the vector width, strides, dilation, padding, batch > 1,
// broadcasting) this runs the node's prepared form on every SIMD target this
// CPU runs and requires the bytes of the node's reference kernel, and runs
// whole graphs on every target with identical outputs.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "qfence.hpp"

namespace qf = qfence;
namespace kn = qfence::kernels;

namespace {

template <std::size_t N>
constexpr std::array<std::int8_t, N> bytes(std::uint32_t seed) {
  std::array<std::int8_t, N> a{};
  for (auto& x : a) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    x = static_cast<std::int8_t>(static_cast<int>(seed % 255) - 127);
  }
  return a;
}
template <std::size_t N>
constexpr std::array<std::uint8_t, N> ubytes(std::uint32_t seed) {
  std::array<std::uint8_t, N> a{};
  const auto s = bytes<N>(seed);
  for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(s[i] + 128);
  return a;
}
template <std::size_t N>
constexpr std::array<std::int32_t, N> words(std::uint32_t seed) {
  std::array<std::int32_t, N> a{};
  for (auto& x : a) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    x = static_cast<std::int32_t>(seed % 40001) - 20000;
  }
  return a;
}
template <std::size_t N>
constexpr std::array<float, N> scales(float base) {
  std::array<float, N> s{};
  for (std::size_t i = 0; i < N; ++i) s[i] = base * (1.0f + 0.37f * static_cast<float>(i % 7));
  return s;
}
template <std::size_t N> inline constexpr std::array<int, N> zeros{};

/// Runs node `n`'s prepared form on every usable target and its reference
/// kernel, on the same random input, and requires the same bytes.
template <class Node, class In>
void check_node(const Node& n, const char* what) {
  using typed = typename Node::template typed<1, In>;
  using Out = typename typed::output;
  std::vector<typename In::element> in(static_cast<std::size_t>(In::elements));
  std::uint32_t s = 12345;
  for (auto& x : in) {
    s = s * 1103515245u + 12345u;
    x = static_cast<typename In::element>(static_cast<int>(s >> 24) - 128);
  }
  std::vector<typename Out::element> want(static_cast<std::size_t>(Out::elements)), got(want.size());
  const typename typed::prepared p(n);
  static_assert(typed::simd, "the layer under test must be one the Highway kernels run");
  // A node with scratch gets it as the graph gives it (fresh bytes each run,
  // never cleared); its reference is the reference target.
  constexpr bool scratch = requires { typed::scratch_bytes; };
  std::vector<float> scratch_space;
  const auto run_on = [&](kn::target t, typename Out::element* out) {
    if constexpr (scratch) {
      scratch_space.assign(typed::scratch_bytes / sizeof(float) + 1, -1.0f);
      typed::run(p, t, in.data(), out, static_cast<void*>(scratch_space.data()));
    } else {
      typed::run(p, t, in.data(), out);
    }
  };
  if constexpr (scratch) run_on(kn::target::reference(), want.data());
  else typed::run(n, in.data(), want.data());
  for (const kn::target t : kn::usable_targets()) {
    std::fill(got.begin(), got.end(), typename Out::element{0x55});
    run_on(t, got.data());
    CAPTURE(std::string(what));
    CAPTURE(std::string(t.name()));
    CHECK(got == want);
  }
}

using i8_in = qf::tensor<qf::i8, qf::shape<2, 7, 9, 19>, qf::per_tensor<0.04f, -7>>;

// conv2d 3x3, stride 2, dilation 1, same padding, 37 output channels
inline constexpr auto conv_scales = scales<37>(0.003f);
using conv_w = qf::tensor<qf::i8, qf::shape<37, 3, 3, 19>, qf::per_channel<conv_scales, zeros<37>, 0>>;
using conv_b = qf::tensor<qf::i32, qf::shape<37>>;
inline constexpr auto conv_wd = bytes<37 * 9 * 19>(1);
inline constexpr auto conv_bd = words<37>(2);

// conv2d 1x1 into 64 channels, and 2x3 with dilation 2, valid padding
using pw_w = qf::tensor<qf::i8, qf::shape<64, 1, 1, 19>, qf::per_tensor<0.005f, 0>>;
inline constexpr auto pw_wd = bytes<64 * 19>(3);
using dil_w = qf::tensor<qf::i8, qf::shape<5, 2, 3, 19>, qf::per_tensor<0.02f, 0>>;
inline constexpr auto dil_wd = bytes<5 * 6 * 19>(4);

// depthwise 3x3 stride 1 and 5x5 stride 2 (19 channels)
inline constexpr auto dw_scales = scales<19>(0.01f);
using dw3_w = qf::tensor<qf::i8, qf::shape<1, 3, 3, 19>, qf::per_channel<dw_scales, zeros<19>, 3>>;
inline constexpr auto dw3_wd = bytes<9 * 19>(5);
using dw5_w = qf::tensor<qf::i8, qf::shape<1, 5, 5, 19>, qf::per_tensor<0.01f, 0>>;
inline constexpr auto dw5_wd = bytes<25 * 19>(6);
using dw_b = qf::tensor<qf::i32, qf::shape<19>>;
inline constexpr auto dw_bd = words<19>(7);

// fully connected: 3 rows of 50 into 21 units
using fc_in = qf::tensor<qf::i8, qf::shape<3, 50>, qf::per_tensor<0.1f, 11>>;
using fc_w = qf::tensor<qf::i8, qf::shape<21, 50>, qf::per_tensor<0.01f, 0>>;
inline constexpr auto fc_wd = bytes<21 * 50>(8);
using fc_b = qf::tensor<qf::i32, qf::shape<21>>;
inline constexpr auto fc_bd = words<21>(9);

// 80 output channels: 5 vectors of 16 on AVX-512 (a full tile of 4 and a
// last tile of 1), 10 of 8 on AVX2 (tiles of 4, 4, 2).
using wide_w = qf::tensor<qf::i8, qf::shape<80, 1, 1, 19>, qf::per_tensor<0.004f, 0>>;
inline constexpr auto wide_wd = bytes<80 * 19>(10);

// Legacy uint8: activations and weights with zero points.
using u8_in = qf::tensor<qf::u8, qf::shape<2, 7, 9, 19>, qf::per_tensor<0.04f, 121>>;
using u8_conv_w = qf::tensor<qf::u8, qf::shape<37, 3, 3, 19>, qf::per_tensor<0.003f, 140>>;
inline constexpr auto u8_conv_wd = ubytes<37 * 9 * 19>(11);
using u8_dw_w = qf::tensor<qf::u8, qf::shape<1, 3, 3, 19>, qf::per_tensor<0.01f, 97>>;
inline constexpr auto u8_dw_wd = ubytes<9 * 19>(12);

}  // namespace

TEST_CASE("compile-time SIMD layers: legacy uint8, a last tile narrower than the others, resize") {
  using u8_out = qf::per_tensor<0.09f, 130>;
  check_node<decltype(qf::conv2d(qf::ref<0>, qf::make_constant<wide_w>(wide_wd.data()), qf::no_bias,
                                 qf::out<qf::per_tensor<0.1f, 5>>)),
             i8_in>(qf::conv2d(qf::ref<0>, qf::make_constant<wide_w>(wide_wd.data()), qf::no_bias,
                               qf::out<qf::per_tensor<0.1f, 5>>),
                    "conv2d 1x1, 19 -> 80 channels");
  check_node<decltype(qf::conv2d(qf::ref<0>, qf::make_constant<u8_conv_w>(u8_conv_wd.data()),
                                 qf::make_constant<conv_b>(conv_bd.data()), qf::stride<2>, qf::same, qf::fused_relu6,
                                 qf::out<u8_out>)),
             u8_in>(qf::conv2d(qf::ref<0>, qf::make_constant<u8_conv_w>(u8_conv_wd.data()),
                               qf::make_constant<conv_b>(conv_bd.data()), qf::stride<2>, qf::same, qf::fused_relu6,
                               qf::out<u8_out>),
                    "uint8 conv2d 3x3 s2 same, 19 -> 37 channels, weight zero point 140");
  check_node<decltype(qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<u8_dw_w>(u8_dw_wd.data()),
                                           qf::make_constant<dw_b>(dw_bd.data()), qf::out<u8_out>)),
             u8_in>(qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<u8_dw_w>(u8_dw_wd.data()),
                                         qf::make_constant<dw_b>(dw_bd.data()), qf::out<u8_out>),
                    "uint8 depthwise 3x3 s1 same, 19 channels, weight zero point 97");
  check_node<decltype(qf::resize_bilinear<13, 20, qf::resize_mode::half_pixel_centers>(qf::ref<0>)), u8_in>(
      qf::resize_bilinear<13, 20, qf::resize_mode::half_pixel_centers>(qf::ref<0>),
      "uint8 resize_bilinear 7x9 -> 13x20, half pixel centers");
  check_node<decltype(qf::resize_bilinear<20, 13, qf::resize_mode::align_corners>(qf::ref<0>)), i8_in>(
      qf::resize_bilinear<20, 13, qf::resize_mode::align_corners>(qf::ref<0>),
      "int8 resize_bilinear 7x9 -> 20x13, align corners");
  check_node<decltype(qf::softmax(qf::ref<0>, qf::beta<0.7f>)), i8_in>(qf::softmax(qf::ref<0>, qf::beta<0.7f>),
                                                                         "int8 softmax over 19, beta 0.7");
  using long_rows = qf::tensor<qf::u8, qf::shape<3, 300>, qf::per_tensor<0.06f, 121>>;
  check_node<decltype(qf::softmax(qf::ref<0>)), long_rows>(qf::softmax(qf::ref<0>), "uint8 softmax over 300");
}

TEST_CASE("compile-time SIMD layers give their reference kernel's bytes on every target") {
  using out_q = qf::per_tensor<0.07f, 3>;
  check_node<decltype(qf::conv2d(qf::ref<0>, qf::make_constant<conv_w>(conv_wd.data()),
                                 qf::make_constant<conv_b>(conv_bd.data()), qf::stride<2>, qf::same, qf::fused_relu,
                                 qf::out<out_q>)),
             i8_in>(qf::conv2d(qf::ref<0>, qf::make_constant<conv_w>(conv_wd.data()),
                               qf::make_constant<conv_b>(conv_bd.data()), qf::stride<2>, qf::same, qf::fused_relu,
                               qf::out<out_q>),
                    "conv2d 3x3 s2 same, 19 -> 37 channels, batch 2");
  check_node<decltype(qf::conv2d(qf::ref<0>, qf::make_constant<pw_w>(pw_wd.data()), qf::no_bias,
                                 qf::out<qf::per_tensor<0.2f, -128>>)),
             i8_in>(qf::conv2d(qf::ref<0>, qf::make_constant<pw_w>(pw_wd.data()), qf::no_bias,
                               qf::out<qf::per_tensor<0.2f, -128>>),
                    "conv2d 1x1, 19 -> 64 channels, no bias, zero point -128");
  check_node<decltype(qf::conv2d(qf::ref<0>, qf::make_constant<dil_w>(dil_wd.data()), qf::no_bias, qf::dilation<2>,
                                 qf::valid, qf::out<qf::per_tensor<0.5f, 127>>)),
             i8_in>(qf::conv2d(qf::ref<0>, qf::make_constant<dil_w>(dil_wd.data()), qf::no_bias, qf::dilation<2>,
                               qf::valid, qf::out<qf::per_tensor<0.5f, 127>>),
                    "conv2d 2x3 dilation 2 valid, 5 channels, zero point 127");
  check_node<decltype(qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<dw3_w>(dw3_wd.data()),
                                           qf::make_constant<dw_b>(dw_bd.data()), qf::fused_relu6, qf::out<out_q>)),
             i8_in>(qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<dw3_w>(dw3_wd.data()),
                                         qf::make_constant<dw_b>(dw_bd.data()), qf::fused_relu6, qf::out<out_q>),
                    "depthwise 3x3 s1 same, 19 channels");
  check_node<decltype(qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<dw5_w>(dw5_wd.data()), qf::no_bias,
                                           qf::stride<2>, qf::out<out_q>)),
             i8_in>(qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<dw5_w>(dw5_wd.data()), qf::no_bias,
                                         qf::stride<2>, qf::out<out_q>),
                    "depthwise 5x5 s2 same, 19 channels");
  check_node<decltype(qf::fully_connected(qf::ref<0>, qf::make_constant<fc_w>(fc_wd.data()),
                                          qf::make_constant<fc_b>(fc_bd.data()), qf::out<out_q>)),
             fc_in>(qf::fully_connected(qf::ref<0>, qf::make_constant<fc_w>(fc_wd.data()),
                                        qf::make_constant<fc_b>(fc_bd.data()), qf::out<out_q>),
                    "fully_connected 3 x 50 -> 21");
  using add_a = qf::tensor<qf::i8, qf::shape<2, 5, 37>, qf::per_tensor<0.05f, 4>>;
  using add_b = qf::tensor<qf::i8, qf::shape<5, 1>, qf::per_tensor<0.02f, -9>>;
  const auto add = qf::add(qf::ref<0>, qf::ref<1>, qf::out<qf::per_tensor<0.06f, -2>>);
  using add_typed = typename decltype(add)::template typed<2, add_a, add_b>;
  std::vector<std::int8_t> a(2 * 5 * 37), b(5), want(a.size()), got(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::int8_t>(i * 29);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::int8_t>(i * 71);
  const typename add_typed::prepared p(add);
  add_typed::run(p, kn::target::reference(), a.data(), b.data(), want.data());
  for (const kn::target t : kn::usable_targets()) {
    add_typed::run(p, t, a.data(), b.data(), got.data());
    CAPTURE(std::string(t.name()));
    CHECK(got == want);
  }
}

namespace {

/// Runs hybrid node `n` (float input, int8 weights) on every usable target
/// and on the reference target, on random floats of both signs (`shift`
/// moves them: a positive input makes the asymmetric zero point -128), and
/// requires the same bits.
template <class Node, class In>
void check_hybrid_node(const Node& n, float shift, const char* what) {
  using typed = typename Node::template typed<1, In>;
  using Out = typename typed::output;
  static_assert(typed::hybrid, "the layer under test must be a hybrid one");
  std::vector<float> in(static_cast<std::size_t>(In::elements));
  std::uint32_t s = 777;
  for (float& x : in) {
    s = s * 1103515245u + 12345u;
    x = static_cast<float>(static_cast<int>(s >> 20) - 2048) / 1024.0f + shift;
  }
  std::vector<float> want(static_cast<std::size_t>(Out::elements)), got(want.size());
  std::vector<float> scratch(typed::scratch_bytes / sizeof(float) + 1);
  const typename typed::prepared p(n);
  typed::run(p, kn::target::reference(), in.data(), want.data(), static_cast<void*>(scratch.data()));
  for (const kn::target t : kn::usable_targets()) {
    std::fill(got.begin(), got.end(), -1.0f);
    std::fill(scratch.begin(), scratch.end(), -1.0f);
    typed::run(p, t, in.data(), got.data(), static_cast<void*>(scratch.data()));
    CAPTURE(std::string(what));
    CAPTURE(std::string(t.name()));
    CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
  }
}

template <std::size_t N>
constexpr std::array<float, N> floats(std::uint32_t seed) {
  std::array<float, N> a{};
  const auto w = words<N>(seed);
  for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<float>(w[i]) / 20000.0f;
  return a;
}

using f32_in = qf::tensor<qf::f32, qf::shape<2, 7, 9, 19>>;
inline constexpr auto conv_fb = floats<37>(21);
using conv_fbias = qf::tensor<qf::f32, qf::shape<37>>;
inline constexpr auto dw_fb = floats<19>(22);
using dw_fbias = qf::tensor<qf::f32, qf::shape<19>>;
using fc_f32_in = qf::tensor<qf::f32, qf::shape<3, 50>>;
inline constexpr auto fc_scales = scales<21>(0.01f);
using fc_pc_w = qf::tensor<qf::i8, qf::shape<21, 50>, qf::per_channel<fc_scales, zeros<21>, 0>>;
inline constexpr auto fc_fb = floats<21>(23);
using fc_fbias = qf::tensor<qf::f32, qf::shape<21>>;

}  // namespace

TEST_CASE("compile-time hybrid layers give their reference kernel's bits on every target") {
  const auto conv = qf::conv2d(qf::ref<0>, qf::make_constant<conv_w>(conv_wd.data()),
                               qf::make_constant<conv_fbias>(conv_fb.data()), qf::stride<2>, qf::same, qf::fused_relu);
  check_hybrid_node<decltype(conv), f32_in>(conv, 0.0f, "conv2d 3x3 s2 same, per-channel (asymmetric input), relu");
  const auto pointwise = qf::conv2d(qf::ref<0>, qf::make_constant<pw_w>(pw_wd.data()), qf::no_bias);
  check_hybrid_node<decltype(pointwise), f32_in>(pointwise, 0.5f, "conv2d 1x1 per-tensor (symmetric input), no bias");
  const auto dilated = qf::conv2d(qf::ref<0>, qf::make_constant<dil_w>(dil_wd.data()), qf::no_bias, qf::dilation<2>,
                                  qf::valid, qf::fused_relu6);
  check_hybrid_node<decltype(dilated), f32_in>(dilated, 2.5f, "conv2d 2x3 dilation 2 valid, positive input");
  const auto dw3 = qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<dw3_w>(dw3_wd.data()),
                                        qf::make_constant<dw_fbias>(dw_fb.data()), qf::fused_relu6);
  check_hybrid_node<decltype(dw3), f32_in>(dw3, -0.3f, "depthwise 3x3 s1 same, 19 channels, relu6");
  const auto dw5 = qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<dw5_w>(dw5_wd.data()), qf::no_bias, qf::stride<2>);
  check_hybrid_node<decltype(dw5), f32_in>(dw5, 0.0f, "depthwise 5x5 s2 same, per-tensor, no bias");
  const auto fc = qf::fully_connected(qf::ref<0>, qf::make_constant<fc_w>(fc_wd.data()),
                                      qf::make_constant<fc_fbias>(fc_fb.data()), qf::fused_relu_n1_to_1);
  check_hybrid_node<decltype(fc), fc_f32_in>(fc, 0.0f, "fully_connected 3 x 50 -> 21, per-tensor, relu_n1_to_1");
  const auto fc_asym = qf::fully_connected(qf::ref<0>, qf::make_constant<fc_pc_w>(fc_wd.data()), qf::no_bias,
                                           qf::asymmetric_inputs, qf::fused_relu);
  check_hybrid_node<decltype(fc_asym), fc_f32_in>(fc_asym, 1.0f,
                                                  "fully_connected 3 x 50 -> 21, per-channel, asymmetric inputs, relu");
}

TEST_CASE("a constexpr model packs at compile time and runs alike on every target") {
  // constexpr: the packed weights were computed by the compiler.
  static constexpr auto net =
      qf::graph(qf::input<i8_in>(),
                qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<dw3_w>(dw3_wd.data()),
                                     qf::make_constant<dw_b>(dw_bd.data()), qf::out<qf::per_tensor<0.07f, 3>>),
                qf::conv2d(qf::ref<1>, qf::make_constant<pw_w>(pw_wd.data()), qf::no_bias,
                           qf::out<qf::per_tensor<0.2f, -128>>));
  static qf::arena<std::remove_cvref_t<decltype(net)>> arena;
  auto in = arena.input<0>();
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::int8_t>(i * 7 + 3);
  std::vector<std::int8_t> first;
  for (const kn::target t : kn::usable_targets()) {
    net.invoke(arena, t);
    const auto out = arena.output<0>();
    std::vector<std::int8_t> got(out.begin(), out.end());
    if (first.empty()) first = got;
    CAPTURE(std::string(t.name()));
    CHECK(got == first);
  }
}
