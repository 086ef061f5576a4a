// fenced_cnn: a small int8 CNN written in qfence's C++ description, with a
// float-only custom op (erf GELU) running inside a fence.
//
// It builds the same network twice: a float32 twin and the int8 model whose
// weights are the twin's, quantized per channel at compile time. It runs a
// few inputs through both and prints the class scores, the float-vs-int8
// difference, the planned arena size and the latency of the int8 model.
//
//   input i8 [1,16,16,3]
//   conv2d 3x3/2 + relu          -> [1,8,8,8]
//   depthwise_conv2d 3x3 + relu6 -> [1,8,8,8]
//   conv2d 1x1                   -> [1,8,8,16] ─┐
//   fence(gelu)                  -> [1,8,8,16]  │  float island: dequantize in, quantize out
//   add (residual)               <──────────────┘
//   mean over H, W               -> [1,16]
//   fully_connected              -> [1,10]
//   softmax                      -> [1,10]
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "qfence.hpp"

namespace qf = qfence;

namespace {

// ---- the custom op ------------------------------------------------------------

/// GELU with the exact erf form. It only has a float kernel, so in an int8
/// graph it must sit in a fence (try removing the fence below: the compiler
/// says "custom op 'gelu' has no registered quantizer; wrap it in a fence ...").
struct gelu {
  QFENCE_CUSTOM_OP(gelu)
  static constexpr qf::dtype accepts = qf::f32;
  template <class In> using output = qf::tensor<qf::f32, typename In::shape_type>;
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (std::int64_t i = 0; i < In::elements; ++i) out[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * 0.70710678f));
  }
};

// ---- deterministic weights, computed at compile time ---------------------------

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

/// Symmetric per-channel scales: max |w| / 127 over each channel. Channels are
/// the outermost axis (Axis 0) or the innermost one (Axis 3, depthwise).
template <std::size_t C, int Axis, std::size_t N>
constexpr std::array<float, C> channel_scales(const std::array<float, N>& w) {
  std::array<float, C> s{};
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t c = Axis == 0 ? i / (N / C) : i % C;
    const float a = w[i] < 0 ? -w[i] : w[i];
    s[c] = s[c] > a ? s[c] : a;
  }
  for (auto& v : s) v = v / 127.0f;
  return s;
}

/// Round half away from zero, usable in constant expressions (std::round is
/// not constexpr in C++20); the rounding TFLite's converter uses.
constexpr long long round_half_away(double x) {
  return x >= 0 ? static_cast<long long>(x + 0.5) : -static_cast<long long>(-x + 0.5);
}

template <std::size_t C, int Axis, std::size_t N>
constexpr std::array<std::int8_t, N> quantize_weights(const std::array<float, N>& w, const std::array<float, C>& s) {
  std::array<std::int8_t, N> q{};
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t c = Axis == 0 ? i / (N / C) : i % C;
    q[i] = static_cast<std::int8_t>(round_half_away(static_cast<double>(w[i] / s[c])));
  }
  return q;
}

/// int32 bias with scale input_scale * weight_scale[c], as TFLite stores it.
template <std::size_t C>
constexpr std::array<std::int32_t, C> quantize_bias(const std::array<float, C>& b, float input_scale,
                                                    const std::array<float, C>& w_scales) {
  std::array<std::int32_t, C> q{};
  for (std::size_t c = 0; c < C; ++c)
    q[c] = static_cast<std::int32_t>(
        round_half_away(static_cast<double>(b[c]) / (static_cast<double>(input_scale) * w_scales[c])));
  return q;
}

template <std::size_t N> inline constexpr std::array<int, N> zeros{};

// Float weights of the twin.
inline constexpr auto conv1_w = float_weights<8 * 3 * 3 * 3>(1, 0.35f);
inline constexpr auto conv1_b = float_weights<8>(2, 0.1f);
inline constexpr auto dw_w = float_weights<3 * 3 * 8>(3, 0.45f);
inline constexpr auto dw_b = float_weights<8>(4, 0.1f);
inline constexpr auto pw_w = float_weights<16 * 8>(5, 0.45f);
inline constexpr auto pw_b = float_weights<16>(6, 0.1f);
inline constexpr auto fc_w = float_weights<10 * 16>(7, 0.9f);
inline constexpr auto fc_b = float_weights<10>(8, 0.2f);

// Activation quantization. These ranges come from running the float twin on
// the sample inputs (calibration proper arrives with qfence's quantizer); they
// are part of the int8 model's type.
using q_input = qf::per_tensor<0.0078125f, 0>;  // [-1, 1)
using q_conv1 = qf::per_tensor<0.0083f, -128>;  // relu:  [0, 2.10]
using q_dw = qf::per_tensor<0.0076f, -128>;     // relu6: [0, 1.92]
using q_pw = qf::per_tensor<0.0074f, -17>;      // [-0.82, 1.04]
using q_gelu = qf::per_tensor<0.0042f, -88>;    // [-0.17, 0.89]
using q_add = qf::per_tensor<0.0115f, -42>;     // [-0.99, 1.93]
using q_mean = qf::per_tensor<0.0049f, -24>;    // [-0.51, 0.74]
using q_fc = qf::per_tensor<0.0112f, -4>;       // [-1.37, 1.45]

// int8 weights: the float ones, quantized per output channel.
inline constexpr auto conv1_s = channel_scales<8, 0>(conv1_w);
inline constexpr auto conv1_q = quantize_weights<8, 0>(conv1_w, conv1_s);
inline constexpr auto conv1_bq = quantize_bias(conv1_b, q_input::scale, conv1_s);
inline constexpr auto dw_s = channel_scales<8, 3>(dw_w);
inline constexpr auto dw_q = quantize_weights<8, 3>(dw_w, dw_s);
inline constexpr auto dw_bq = quantize_bias(dw_b, q_conv1::scale, dw_s);
inline constexpr auto pw_s = channel_scales<16, 0>(pw_w);
inline constexpr auto pw_q = quantize_weights<16, 0>(pw_w, pw_s);
inline constexpr auto pw_bq = quantize_bias(pw_b, q_dw::scale, pw_s);
inline constexpr auto fc_s = channel_scales<1, 0>(fc_w);  // TFLite's int8 FC: one weight scale
inline constexpr auto fc_q = quantize_weights<1, 0>(fc_w, fc_s);
inline constexpr auto fc_bq = quantize_bias(fc_b, q_mean::scale, std::array<float, 10>{
    fc_s[0], fc_s[0], fc_s[0], fc_s[0], fc_s[0], fc_s[0], fc_s[0], fc_s[0], fc_s[0], fc_s[0]});

// ---- the two models ---------------------------------------------------------------

using image_i8 = qf::tensor<qf::i8, qf::shape<1, 16, 16, 3>, q_input>;
using image_f32 = qf::tensor<qf::f32, qf::shape<1, 16, 16, 3>>;

constexpr auto int8_model = qf::graph(
    qf::input<image_i8>(),  // 0
    qf::conv2d(qf::ref<0>,
               qf::make_constant<qf::tensor<qf::i8, qf::shape<8, 3, 3, 3>, qf::per_channel<conv1_s, zeros<8>, 0>>>(conv1_q),
               qf::make_constant<qf::tensor<qf::i32, qf::shape<8>>>(conv1_bq), qf::stride<2>, qf::fused_relu,
               qf::out<q_conv1>),  // 1
    qf::depthwise_conv2d(qf::ref<1>,
                         qf::make_constant<qf::tensor<qf::i8, qf::shape<1, 3, 3, 8>, qf::per_channel<dw_s, zeros<8>, 3>>>(dw_q),
                         qf::make_constant<qf::tensor<qf::i32, qf::shape<8>>>(dw_bq), qf::fused_relu6, qf::out<q_dw>),  // 2
    qf::conv2d(qf::ref<2>,
               qf::make_constant<qf::tensor<qf::i8, qf::shape<16, 1, 1, 8>, qf::per_channel<pw_s, zeros<16>, 0>>>(pw_q),
               qf::make_constant<qf::tensor<qf::i32, qf::shape<16>>>(pw_bq), qf::out<q_pw>),  // 3
    qf::fence(qf::custom<gelu>(qf::ref<3>), qf::out<q_gelu>),                                   // 4
    qf::add(qf::ref<3>, qf::ref<4>, qf::out<q_add>),                                            // 5
    qf::mean<1, 2>(qf::ref<5>, qf::out<q_mean>),                                                // 6
    qf::fully_connected(qf::ref<6>,
                        qf::make_constant<qf::tensor<qf::i8, qf::shape<10, 16>, qf::per_tensor<fc_s[0], 0>>>(fc_q),
                        qf::make_constant<qf::tensor<qf::i32, qf::shape<10>>>(fc_bq), qf::out<q_fc>),  // 7
    qf::softmax(qf::ref<7>));                                                                         // 8

template <class Shape> using f32 = qf::tensor<qf::f32, Shape>;

constexpr auto float_model = qf::graph(
    qf::input<image_f32>(),
    qf::conv2d(qf::ref<0>, qf::make_constant<f32<qf::shape<8, 3, 3, 3>>>(conv1_w),
               qf::make_constant<f32<qf::shape<8>>>(conv1_b), qf::stride<2>, qf::fused_relu),
    qf::depthwise_conv2d(qf::ref<1>, qf::make_constant<f32<qf::shape<1, 3, 3, 8>>>(dw_w),
                         qf::make_constant<f32<qf::shape<8>>>(dw_b), qf::fused_relu6),
    qf::conv2d(qf::ref<2>, qf::make_constant<f32<qf::shape<16, 1, 1, 8>>>(pw_w),
               qf::make_constant<f32<qf::shape<16>>>(pw_b)),
    qf::custom<gelu>(qf::ref<3>),  // a float graph needs no fence
    qf::add(qf::ref<3>, qf::ref<4>),
    qf::mean<1, 2>(qf::ref<5>),
    qf::fully_connected(qf::ref<6>, qf::make_constant<f32<qf::shape<10, 16>>>(fc_w),
                        qf::make_constant<f32<qf::shape<10>>>(fc_b)),
    qf::softmax(qf::ref<7>));

using int8_model_t = decltype(int8_model);
using float_model_t = decltype(float_model);

// Both arenas are static: inference touches no heap.
qf::arena<int8_model_t> int8_arena;
qf::arena<float_model_t> float_arena;

/// Sample "images": smooth gradients and rings with a little noise, in [-1, 1).
std::array<float, image_f32::elements> sample_image(int k) {
  std::array<float, image_f32::elements> img{};
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

}  // namespace

int main() {
  using M = int8_model_t;
  using F = float_model_t;
  static_assert(M::plan_sound, "the memory plan overlaps live tensors");
  std::printf("qfence fenced_cnn: int8 CNN with a float GELU island\n");
  std::printf("arena_bytes: int8 model %zu (naive sum of buffers %zu), float twin %zu\n", M::arena_bytes,
              M::naive_arena_bytes, F::arena_bytes);

  constexpr int inputs = 4;
  float worst_prob_diff = 0.0f;
  int top1_agree = 0;
  for (int k = 0; k < inputs; ++k) {
    const auto img = sample_image(k);
    // The int8 model takes the image quantized with its input parameters.
    qf::quantize_into<M::input_type<0>>(img, int8_arena.input<0>());
    std::ranges::copy(img, float_arena.input<0>().begin());
    int8_model.invoke(int8_arena);
    float_model.invoke(float_arena);

    const auto out8 = int8_arena.output<0>();  // std::span<const std::int8_t, 10>
    const auto outf = float_arena.output<0>();  // std::span<const float, 10>
    using out_q = M::output_type<0>::quant;
    std::printf("input %d\n  int8 :", k);
    int best8 = 0, bestf = 0;
    float diff = 0.0f;
    for (int c = 0; c < 10; ++c) {
      const float p8 = out_q::scale * static_cast<float>(out8[c] - out_q::zero_point);
      std::printf(" %.3f", static_cast<double>(p8));
      diff = std::max(diff, std::fabs(p8 - outf[c]));
      if (out8[c] > out8[best8]) best8 = c;
      if (outf[c] > outf[bestf]) bestf = c;
    }
    std::printf("\n  float:");
    for (int c = 0; c < 10; ++c) std::printf(" %.3f", static_cast<double>(outf[c]));
    std::printf("\n  top-1 int8 %d, float %d; max |p_int8 - p_float| = %.4f\n", best8, bestf, static_cast<double>(diff));
    worst_prob_diff = std::max(worst_prob_diff, diff);
    top1_agree += best8 == bestf ? 1 : 0;
  }

  // Latency of the int8 model: min and median over repeated invokes.
  constexpr int repeats = 2000;
  std::vector<double> us(repeats);
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    int8_model.invoke(int8_arena);
    const auto t1 = std::chrono::steady_clock::now();
    us[static_cast<std::size_t>(r)] = std::chrono::duration<double, std::micro>(t1 - t0).count();
  }
  std::sort(us.begin(), us.end());
  std::printf("int8 invoke latency: min %.1f us, median %.1f us (%d runs, SIMD target %s)\n", us.front(),
              us[us.size() / 2], repeats, qf::kernels::default_target().name());
  std::printf("summary: top-1 agreement %d/%d, worst probability difference %.4f\n", top1_agree, inputs,
              static_cast<double>(worst_prob_diff));
  // As a test, the example fails when int8 drifts far from its float twin.
  return (top1_agree == inputs && worst_prob_diff < 0.05f) ? 0 : 1;
}
