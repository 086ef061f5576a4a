// fenced_cnn_model.hpp: the float CNN of the fenced_cnn example, written in
// qfence's C++ description, and the sample images it is calibrated and
// evaluated on. Both programs of the example include it:
//   fenced_cnn_calibrate  runs it on calibration images and writes the
//                         ranges header (a build step);
//   fenced_cnn            quantizes it at compile time with those ranges.
//
//   input f32 [1,16,16,3]
//   conv2d 3x3/2 + relu          -> [1,8,8,8]
//   depthwise_conv2d 3x3 + relu6 -> [1,8,8,8]
//   conv2d 1x1                   -> [1,8,8,16] ─┐
//   gelu (custom op, float only) -> [1,8,8,16]  │
//   add (residual)               <──────────────┘
//   mean over H, W               -> [1,16]
//   fully_connected              -> [1,10]
//   softmax                      -> [1,10]
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "qfence.hpp"

namespace fenced_cnn {

namespace qf = qfence;

/// GELU with the exact erf form: a custom op with only a float function.
/// In an int8 graph it runs in a fence, or (qf::use_table<gelu>) as a table
/// of `apply` over the 256 int8 inputs.
struct gelu {
  QFENCE_CUSTOM_OP(gelu)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  static float apply(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678f)); }
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (std::int64_t i = 0; i < In::elements; ++i) out[i] = apply(in[i]);
  }
};

/// A hash of (layer, index) to [-1, 1): weights need no data file.
constexpr float pseudo_random(std::uint32_t layer, std::uint32_t i) {
  std::uint32_t x = layer * 0x9E3779B9u ^ (i + 1) * 0x85EBCA6Bu;
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  return static_cast<float>(x >> 8) / 8388608.0f - 1.0f;
}

template <std::size_t N>
constexpr std::array<float, N> float_weights(std::uint32_t layer, float gain) {
  std::array<float, N> w{};
  for (std::size_t i = 0; i < N; ++i) w[i] = gain * pseudo_random(layer, static_cast<std::uint32_t>(i));
  return w;
}

inline constexpr auto conv1_w = float_weights<8 * 3 * 3 * 3>(1, 0.35f);
inline constexpr auto conv1_b = float_weights<8>(2, 0.1f);
inline constexpr auto dw_w = float_weights<3 * 3 * 8>(3, 0.45f);
inline constexpr auto dw_b = float_weights<8>(4, 0.1f);
inline constexpr auto pw_w = float_weights<16 * 8>(5, 0.45f);
inline constexpr auto pw_b = float_weights<16>(6, 0.1f);
inline constexpr auto fc_w = float_weights<10 * 16>(7, 0.9f);
inline constexpr auto fc_b = float_weights<10>(8, 0.2f);

template <class Shape> using f32 = qf::tensor<qf::f32, Shape>;
using image = f32<qf::shape<1, 16, 16, 3>>;

inline constexpr auto float_model = qf::graph(
    qf::input<image>(),  // 0
    qf::conv2d(qf::ref<0>, qf::make_constant<f32<qf::shape<8, 3, 3, 3>>>(conv1_w),
               qf::make_constant<f32<qf::shape<8>>>(conv1_b), qf::stride<2>, qf::fused_relu),  // 1
    qf::depthwise_conv2d(qf::ref<1>, qf::make_constant<f32<qf::shape<1, 3, 3, 8>>>(dw_w),
                         qf::make_constant<f32<qf::shape<8>>>(dw_b), qf::fused_relu6),  // 2
    qf::conv2d(qf::ref<2>, qf::make_constant<f32<qf::shape<16, 1, 1, 8>>>(pw_w),
               qf::make_constant<f32<qf::shape<16>>>(pw_b)),  // 3
    qf::custom<gelu>(qf::ref<3>),                              // 4: a float graph needs no fence
    qf::add(qf::ref<3>, qf::ref<4>),                           // 5
    qf::mean<1, 2>(qf::ref<5>),                                // 6
    qf::fully_connected(qf::ref<6>, qf::make_constant<f32<qf::shape<10, 16>>>(fc_w),
                        qf::make_constant<f32<qf::shape<10>>>(fc_b)),  // 7
    qf::softmax(qf::ref<7>));                                          // 8

/// Sample image k: one of four patterns (gradient, rings, checkers, waves)
/// with noise that differs from k to k, in [-1, 1). Calibration uses
/// k < 1000, evaluation k >= 1000.
inline std::array<float, image::elements> sample_image(int k) {
  std::array<float, image::elements> img{};
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      for (int c = 0; c < 3; ++c) {
        const float r = std::sqrt(static_cast<float>((x - 8) * (x - 8) + (y - 8) * (y - 8)));
        float v = 0;
        switch (k % 4) {
          case 0: v = (x - 7.5f) / 8.0f * (c == 0 ? 1.0f : -0.5f); break;
          case 1: v = std::sin(r * 0.8f + static_cast<float>(c)); break;
          case 2: v = ((x / 4 + y / 4) % 2 == 0 ? 0.8f : -0.8f) * (c == 1 ? -1.0f : 1.0f); break;
          default: v = (y - 7.5f) / 8.0f * std::cos(static_cast<float>(x + c)); break;
        }
        v += 0.1f * pseudo_random(100 + static_cast<std::uint32_t>(k), static_cast<std::uint32_t>((y * 16 + x) * 3 + c));
        img[static_cast<std::size_t>((y * 16 + x) * 3 + c)] = std::clamp(v, -1.0f, 0.99f);
      }
  return img;
}

}  // namespace fenced_cnn
