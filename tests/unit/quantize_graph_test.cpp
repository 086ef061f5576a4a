// The compile-time path of post-training quantization (quant/calibrate_graph.hpp,
// quant/quantize_graph.hpp) against the runtime path (`qfence calibrate`,
// `qfence quantize`): a float model described in C++ and its .tflite twin
// give the same ranges, and the same ranges give the same int8 bytes.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "qfence.hpp"
#include "qfence/quant/calibration.hpp"
#include "qfence/quant/quantize_model.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
#include "test_support.hpp"
#include "tflite_test_models.hpp"

// (An area's own namespace: runtime_unit_tests.cpp compiles the areas as one unit.)
namespace quantize_graph_test {

namespace qf = qfence;
namespace quant = qfence::quant;
namespace runtime = qfence::runtime;
namespace tfl = qtest::tfl;
namespace fb = qfence::tflite::fb;

namespace {

/// A hash of (layer, index) to [-gain, gain): weights with no data file.
template <std::size_t N>
constexpr std::array<float, N> weights(std::uint32_t layer, float gain) {
  std::array<float, N> w{};
  for (std::size_t i = 0; i < N; ++i) {
    std::uint32_t x = layer * 0x9E3779B9u ^ static_cast<std::uint32_t>(i + 1) * 0x85EBCA6Bu;
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    w[i] = gain * (static_cast<float>(x >> 8) / 8388608.0f - 1.0f);
  }
  return w;
}

inline constexpr auto conv1_w = weights<8 * 3 * 3 * 3>(1, 0.4f);
inline constexpr auto conv1_b = weights<8>(2, 0.1f);
inline constexpr auto dw_w = weights<3 * 3 * 8>(3, 0.5f);
inline constexpr auto dw_b = weights<8>(4, 0.1f);
inline constexpr auto pw_w = weights<8 * 8>(5, 0.5f);
inline constexpr auto pw_b = weights<8>(6, 0.1f);
inline constexpr auto fc_w = weights<10 * 8>(7, 0.8f);
inline constexpr auto fc_b = weights<10>(8, 0.2f);

template <class S> using f32 = qf::tensor<qf::f32, S>;

// input -> conv 3x3/2 relu -> depthwise 3x3 relu6 -> conv 1x1 -> add (residual)
//       -> max pool 2x2/2 -> mean -> fully connected -> softmax
constexpr auto float_model =
    qf::graph(qf::input<f32<qf::shape<1, 8, 8, 3>>>(),  // 0
              qf::conv2d(qf::ref<0>, qf::make_constant<f32<qf::shape<8, 3, 3, 3>>>(conv1_w),
                         qf::make_constant<f32<qf::shape<8>>>(conv1_b), qf::stride<2>, qf::fused_relu),  // 1
              qf::depthwise_conv2d(qf::ref<1>, qf::make_constant<f32<qf::shape<1, 3, 3, 8>>>(dw_w),
                                   qf::make_constant<f32<qf::shape<8>>>(dw_b), qf::fused_relu6),  // 2
              qf::conv2d(qf::ref<2>, qf::make_constant<f32<qf::shape<8, 1, 1, 8>>>(pw_w),
                         qf::make_constant<f32<qf::shape<8>>>(pw_b)),  // 3
              qf::add(qf::ref<2>, qf::ref<3>),                          // 4
              qf::max_pool2d(qf::ref<4>, qf::filter<2>, qf::stride<2>), // 5
              qf::mean<1, 2>(qf::ref<5>),                               // 6
              qf::fully_connected(qf::ref<6>, qf::make_constant<f32<qf::shape<10, 8>>>(fc_w),
                                  qf::make_constant<f32<qf::shape<10>>>(fc_b)),  // 7
              qf::softmax(qf::ref<7>))                                           // 8
        .outputs(qf::ref<4>, qf::ref<8>);

/// The same model as a .tflite file. Tensor of each node of float_model.
constexpr std::array<int, 9> tensor_of_node{0, 3, 6, 9, 10, 11, 13, 16, 17};

std::shared_ptr<const runtime::model> float_twin() {
  using tfl::activation;
  using tfl::bytes_of;
  auto constant = [](std::vector<int> shape, const auto& values, std::string name) {
    return tfl::constant(std::move(shape), bytes_of(std::vector<float>(values.begin(), values.end())), std::move(name));
  };
  tfl::model_spec m;
  m.tensors = {activation({1, 8, 8, 3}, "input"),
               constant({8, 3, 3, 3}, conv1_w, "conv1_w"),
               constant({8}, conv1_b, "conv1_b"),
               activation({1, 4, 4, 8}, "conv1"),
               constant({1, 3, 3, 8}, dw_w, "dw_w"),
               constant({8}, dw_b, "dw_b"),
               activation({1, 4, 4, 8}, "dw"),
               constant({8, 1, 1, 8}, pw_w, "pw_w"),
               constant({8}, pw_b, "pw_b"),
               activation({1, 4, 4, 8}, "pw"),
               activation({1, 4, 4, 8}, "add"),
               activation({1, 2, 2, 8}, "pool"),
               tfl::constant({2}, bytes_of(std::vector<std::int32_t>{1, 2}), "axes", 2 /* INT32 */),
               activation({1, 8}, "mean"),
               constant({10, 8}, fc_w, "fc_w"),
               constant({10}, fc_b, "fc_b"),
               activation({1, 10}, "fc"),
               activation({1, 10}, "softmax")};
  auto op = [&](std::int32_t code, std::vector<int> in, int out, auto options) {
    m.ops.push_back(tfl::op(code, 1, std::move(in), {out}));
    m.ops.back().options = options;
  };
  using B = flatbuffers::FlatBufferBuilder;
  using fb::BuiltinOptions;
  op(3 /*CONV_2D*/, {0, 1, 2}, 3, [](B& b) {
    return std::pair{BuiltinOptions::Conv2DOptions,
                     fb::CreateConv2DOptions(b, 0 /*SAME*/, 2, 2, 1 /*RELU*/).Union()};
  });
  op(4 /*DEPTHWISE_CONV_2D*/, {3, 4, 5}, 6, [](B& b) {
    return std::pair{BuiltinOptions::DepthwiseConv2DOptions,
                     fb::CreateDepthwiseConv2DOptions(b, 0 /*SAME*/, 1, 1, 1, 3 /*RELU6*/)
                         .Union()};
  });
  op(3 /*CONV_2D*/, {6, 7, 8}, 9, [](B& b) {
    return std::pair{BuiltinOptions::Conv2DOptions, fb::CreateConv2DOptions(b, 0 /*SAME*/, 1, 1).Union()};
  });
  op(0 /*ADD*/, {6, 9}, 10,
     [](B& b) { return std::pair{BuiltinOptions::AddOptions, fb::CreateAddOptions(b).Union()}; });
  op(17 /*MAX_POOL_2D*/, {10}, 11, [](B& b) {
    return std::pair{BuiltinOptions::Pool2DOptions, fb::CreatePool2DOptions(b, 1 /*VALID*/, 2, 2, 2, 2).Union()};
  });
  op(40 /*MEAN*/, {11, 12}, 13,
     [](B& b) { return std::pair{BuiltinOptions::ReducerOptions, fb::CreateReducerOptions(b, false).Union()}; });
  op(9 /*FULLY_CONNECTED*/, {13, 14, 15}, 16, [](B& b) {
    return std::pair{BuiltinOptions::FullyConnectedOptions, fb::CreateFullyConnectedOptions(b).Union()};
  });
  op(25 /*SOFTMAX*/, {16}, 17,
     [](B& b) { return std::pair{BuiltinOptions::SoftmaxOptions, fb::CreateSoftmaxOptions(b, 1.0f).Union()}; });
  m.inputs = {0};
  m.outputs = {10, 17};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}

/// Sample k of the calibration data: smooth patterns in [-1, 1].
float sample_value(std::size_t k, std::size_t i) {
  return std::sin(0.37f * static_cast<float>(i) + 1.3f * static_cast<float>(k)) *
         std::cos(0.11f * static_cast<float>(i * (k + 1)));
}

/// What `qfence calibrate` reports for a .tflite twin whose tensor
/// `tensor_of[i]` is node i (-1: no tensor), with node i's range `ranges[i]`
/// and channel means `means[i]`: so that `qfence quantize` sees what
/// qfence::quantize sees.
template <std::size_t N>
quant::calibration_report twin_report(const std::array<quant::real_range, N>& ranges, const std::array<int, N>& tensor_of,
                                      const std::array<std::span<const double>, N>& means = {}) {
  quant::calibration_report report;
  report.calibrator = "minmax";
  for (std::size_t node = 0; node < N; ++node) {
    if (tensor_of[node] < 0) continue;
    quant::tensor_calibration t;
    t.tensor = tensor_of[node];
    t.range = ranges[node];
    t.channel_means.assign(means[node].begin(), means[node].end());
    report.tensors.push_back(t);
  }
  return report;
}

/// Runs `typed` (an int8 or int16 model, one input of that type) and
/// `interp` (`qfence quantize`'s model of its twin) on random inputs: every
/// output, the same bytes.
template <class Model>
void check_same_bytes(const Model& typed, runtime::interpreter& interp, std::uint32_t seeds = 8) {
  using M = std::remove_cvref_t<Model>;
  using E = typename M::template input_type<0>::element;
  auto arena = qtest::heap_arena<M>();
  for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<E>(M::template input_type<0>::elements, seed, std::numeric_limits<E>::min(),
                                         std::numeric_limits<E>::max());
    std::ranges::copy(x, arena->template input<0>().begin());
    typed.invoke(*arena);
    std::ranges::copy(x, interp.input<E>(0).begin());
    interp.invoke();
    const auto same = [&]<int K>() {
      CAPTURE(K);
      CHECK(std::ranges::equal(arena->template output<K>(), interp.output<E>(K)));
    };
    [&]<int... K>(std::integer_sequence<int, K...>) {
      (same.template operator()<K>(), ...);
    }(std::make_integer_sequence<int, M::output_count>{});
  }
}

// The ranges a calibration of float_model wrote (quant::ranges_header), by
// node; pooling and softmax take theirs from their rules.
inline constexpr std::array<quant::real_range, 9> ranges{{{-1.0f, 1.0f},
                                                          {0.0f, 2.5f},
                                                          {0.0f, 2.0f},
                                                          {-1.5f, 1.75f},
                                                          {-1.25f, 3.0f},
                                                          {0.0f, 0.0f},
                                                          {-0.5f, 1.5f},
                                                          {-3.0f, 2.5f},
                                                          {0.0f, 0.0f}}};

constexpr auto int8_model = qf::quantize<float_model, ranges>();

/// A custom op with only a float function: fenced, or a table on request.
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

constexpr auto float_with_gelu = qf::graph(
    qf::input<f32<qf::shape<1, 4, 4, 3>>>(),
    qf::conv2d(qf::ref<0>, qf::make_constant<f32<qf::shape<8, 3, 3, 3>>>(conv1_w),
               qf::make_constant<f32<qf::shape<8>>>(conv1_b)),
    qf::custom<gelu>(qf::ref<1>),
    qf::fully_connected(qf::ref<2>, qf::make_constant<f32<qf::shape<10, 8>>>(fc_w),
                        qf::make_constant<f32<qf::shape<10>>>(fc_b)));
inline constexpr std::array<quant::real_range, 4> gelu_ranges{{{-1.0f, 1.0f}, {-2.0f, 2.5f}, {-0.2f, 2.5f}, {-4.0f, 4.0f}}};

constexpr auto fenced_gelu = qf::quantize<float_with_gelu, gelu_ranges>();
constexpr auto tabulated_gelu = qf::quantize<float_with_gelu, gelu_ranges>(qf::use_table<gelu>);

}  // namespace

TEST_CASE("calibrate_graph sees what calibrate sees on the model's .tflite twin") {
  constexpr std::size_t samples = 24;
  const auto typed = quant::calibrate_graph(float_model, samples, [](std::size_t k, auto& arena) {
    auto in = arena.template input<0>();
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = sample_value(k, i);
    return std::optional<std::string>{};
  });
  struct twin_samples {
    std::size_t size() const { return samples; }
    std::optional<std::string> fill(std::size_t k, runtime::interpreter& interp) const {
      auto in = interp.input<float>(0);
      for (std::size_t i = 0; i < in.size(); ++i) in[i] = sample_value(k, i);
      return std::nullopt;
    }
  };
  const quant::calibration_report report = quant::calibrate(float_twin(), twin_samples{});
  CHECK(typed.samples == samples);
  for (const quant::calibrator method : quant::all_calibrators) {
    const auto r = typed.ranges(method);
    const quant::calibration_report by = report.with_calibrator(method);
    for (int node = 0; node < 9; ++node) {
      CAPTURE(node);
      CAPTURE(quant::calibrator_name(method));
      const quant::tensor_calibration* t = by.find(tensor_of_node[static_cast<std::size_t>(node)]);
      REQUIRE(t != nullptr);
      CHECK(r[static_cast<std::size_t>(node)] == t->range);
    }
  }
  // The channel means bias correction takes, exactly.
  const auto means = typed.channel_means();
  for (int node = 0; node < 9; ++node) {
    CAPTURE(node);
    const quant::tensor_calibration* t = report.find(tensor_of_node[static_cast<std::size_t>(node)]);
    REQUIRE(t != nullptr);
    CHECK(means[static_cast<std::size_t>(node)] == t->channel_means);
  }
  CHECK(means[1].size() == 8);
  // The headers it writes.
  const std::string header = quant::ranges_header(typed.ranges(), "calibrated");
  CHECK(header.find("inline constexpr std::array<qfence::quant::real_range, 9> ranges{{") != std::string::npos);
  CHECK(header.find("// node 8") != std::string::npos);
  CHECK(header.find("channel_means") == std::string::npos);
  const std::string with_means = quant::calibration_header(typed, "calibrated");
  CHECK(with_means.find("inline constexpr std::array<qfence::quant::real_range, 9> ranges{{") != std::string::npos);
  CHECK(with_means.find("inline constexpr std::array<double, 8> channel_means_1{") != std::string::npos);
  CHECK(with_means.find("inline constexpr std::array<std::span<const double>, 9> channel_means{{") != std::string::npos);
}

TEST_CASE("qfence::quantize gives the parameters and the bytes `qfence quantize` gives for the same ranges") {
  using Q = decltype(int8_model);
  // int8 model inputs; weights per channel for the convolutions, per tensor
  // for FULLY_CONNECTED; softmax's fixed output; pooling keeps its input's.
  using in_q = Q::input_type<0>::quant;
  const quant::affine_params in = quant::asymmetric_params(ranges[0], -128, 127);
  static_assert(Q::input_type<0>::type == qf::dtype::i8);
  CHECK(in_q::scale == in.scale);
  CHECK(in_q::zero_point == in.zero_point);
  CHECK(Q::node_output_type<5>::quant::scale == Q::node_output_type<4>::quant::scale);
  CHECK(Q::node_output_type<8>::quant::scale == 1.0f / 256.0f);
  CHECK(Q::node_output_type<8>::quant::zero_point == -128);

  // The runtime path with the same ranges (and no bias correction, which
  // qfence::quantize applies only when asked: qfence::correct_biases).
  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::integer;
  options.bias_correction = false;
  quant::quantized_model q = quant::quantize_int8(*float_twin(), twin_report(ranges, tensor_of_node), options);
  REQUIRE(q.fences.empty());
  const runtime::tensor& conv_weights = q.model.tensors[static_cast<std::size_t>(q.model.operations[0].inputs[1])];
  using conv1 = qf::detail::quantize_graph::quantized_layer<float_model, ranges, 1>;
  CHECK(conv_weights.quant.scales == std::vector<float>(conv1::scales.begin(), conv1::scales.end()));
  runtime::interpreter interp(std::move(q.model));
  check_same_bytes(int8_model, interp);
}

namespace {
constexpr auto int16_model = qf::quantize<float_model, ranges>(qf::int16x8);
constexpr auto int16_fenced_gelu = qf::quantize<float_with_gelu, gelu_ranges>(qf::int16x8);
constexpr auto int16_tabulated_gelu = qf::quantize<float_with_gelu, gelu_ranges>(qf::int16x8, qf::use_table<gelu>);
}  // namespace

/// Output SQNR of a quantized float_with_gelu against the float model on
/// random inputs in [-1, 1] (the calibrated input range).
template <class Model>
double gelu_sqnr(const Model& quantized) {
  using Q = std::remove_cvref_t<Model>;
  auto float_arena = qtest::heap_arena<std::remove_cvref_t<decltype(float_with_gelu)>>();
  auto arena = qtest::heap_arena<Q>();
  using out_t = typename Q::template output_type<0>;
  double signal = 0, noise = 0;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    const auto x = qtest::random_floats(3 * 16, seed, -1.0f, 1.0f);
    std::ranges::copy(x, float_arena->template input<0>().begin());
    float_with_gelu.invoke(*float_arena);
    qf::quantize_into<typename Q::template input_type<0>>(x, arena->template input<0>());
    quantized.invoke(*arena);
    for (std::size_t i = 0; i < float_arena->template output<0>().size(); ++i) {
      const double want = float_arena->template output<0>()[i];
      const double got = out_t::quant::scale * (arena->template output<0>()[i] - out_t::quant::zero_point);
      signal += want * want;
      noise += (want - got) * (want - got);
    }
  }
  return 10 * std::log10(signal / noise);
}

namespace {
// The same layers as `qfence embed` writes them, with their float weights
// prepacked for the SIMD kernels (qf::prepacked): the int8 layers must not
// keep that option (their weights are int8; they pack their own).
constexpr auto unpacked_fc = qf::graph(qf::input<f32<qf::shape<1, 8>>>(),
                                       qf::fully_connected(qf::ref<0>, qf::make_constant<f32<qf::shape<10, 8>>>(fc_w),
                                                           qf::make_constant<f32<qf::shape<10>>>(fc_b)));
constexpr auto prepacked_fc =
    qf::graph(qf::input<f32<qf::shape<1, 8>>>(),
              qf::fully_connected(qf::ref<0>, qf::make_constant<f32<qf::shape<10, 8>>>(fc_w),
                                  qf::make_constant<f32<qf::shape<10>>>(fc_b), qf::prepacked<float>(nullptr, nullptr)));
inline constexpr std::array<quant::real_range, 2> fc_ranges{{{-1.0f, 1.0f}, {-3.0f, 2.5f}}};
constexpr auto int8_unpacked_fc = qf::quantize<unpacked_fc, fc_ranges>();
constexpr auto int8_prepacked_fc = qf::quantize<prepacked_fc, fc_ranges>();
}  // namespace

TEST_CASE("qfence::quantize of a layer `qfence embed` prepacked: the int8 layer packs its own weights") {
  static_assert(std::is_same_v<decltype(int8_unpacked_fc), decltype(int8_prepacked_fc)>);
  // Packed in a constant of its own and given prepacked, as `qfence embed`
  // gives them: the model's constant expression only points at them
  // (compilers limit each expression's work: packing every layer in the
  // model's took GCC past its limit on person_detect).
  constexpr auto given = [](const void* p) { return p != nullptr; };
  static_assert(given(int8_unpacked_fc.node<1>().packed.weights));
  static_assert(given(int8_model.node<1>().packed.weights) && given(int8_model.node<1>().packed.epilogue));
  auto a = qtest::heap_arena<std::remove_cvref_t<decltype(int8_unpacked_fc)>>();
  auto b = qtest::heap_arena<std::remove_cvref_t<decltype(int8_prepacked_fc)>>();
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    const auto x = qtest::random_ints<std::int8_t>(8, seed, -128, 127);
    std::ranges::copy(x, a->input<0>().begin());
    std::ranges::copy(x, b->input<0>().begin());
    REQUIRE(int8_unpacked_fc.invoke(*a) == qf::invoke_status::completed);
    REQUIRE(int8_prepacked_fc.invoke(*b) == qf::invoke_status::completed);  // it read null packed weights
    CHECK(std::ranges::equal(a->output<0>(), b->output<0>()));
  }
}

TEST_CASE("qfence::quantize(qfence::int16x8) gives the bytes `qfence quantize --scheme int16x8` gives") {
  using Q = decltype(int16_model);
  // int16 activations, symmetric: zero point 0, the range's larger
  // magnitude at 32767; softmax's fixed int16 output; int64 biases.
  using in_q = Q::input_type<0>::quant;
  const quant::affine_params in = quant::symmetric_params(ranges[0], 32767);
  static_assert(Q::input_type<0>::type == qf::dtype::i16);
  CHECK(in_q::scale == in.scale);
  CHECK(in_q::zero_point == 0);
  static_assert(Q::node_output_type<4>::type == qf::dtype::i16);
  CHECK(Q::node_output_type<4>::quant::scale == quant::symmetric_params(ranges[4], 32767).scale);
  CHECK(Q::node_output_type<4>::quant::zero_point == 0);
  const qf::quant_desc softmax16 = *quant::fixed_output_params(runtime::op_code::softmax, qf::dtype::i16);
  CHECK(Q::node_output_type<8>::quant::scale == softmax16.scale);
  CHECK(Q::node_output_type<8>::quant::zero_point == softmax16.zero_point);

  quant::quantize_options options;
  options.activations = qf::dtype::i16;
  options.inputs = options.outputs = quant::io_type::integer;
  options.bias_correction = false;
  quant::quantized_model q = quant::quantize_full_integer(*float_twin(), twin_report(ranges, tensor_of_node), options);
  REQUIRE(q.fences.empty());
  const runtime::tensor& conv_bias = q.model.tensors[static_cast<std::size_t>(q.model.operations[0].inputs[2])];
  CHECK(conv_bias.type == qf::dtype::i64);
  runtime::interpreter interp(std::move(q.model));
  check_same_bytes(int16_model, interp);
}

TEST_CASE("qfence::quantize(qfence::int16x8) fences a custom op with an int16 border") {
  using Q = decltype(int16_fenced_gelu);
  static_assert(Q::node_output_type<1>::type == qf::dtype::i16);
  // The island's output, quantized at its border for the layer after it.
  static_assert(qf::detail::quantize_graph::is_fence<Q::node_t<2>>);
  using border = Q::node_t<2>::out_spec;
  static_assert(border::type == qf::dtype::i16);
  CHECK(border::quant::scale == quant::symmetric_params(gelu_ranges[2], 32767).scale);
  // It computes the float model's function, closer than the int8 model
  // (the same int8 weights; int16 activations).
  const double int16_sqnr = gelu_sqnr(int16_fenced_gelu), int8_sqnr = gelu_sqnr(fenced_gelu);
  MESSAGE("a fenced GELU between layers: output SQNR " << int16_sqnr << " dB in int16x8, " << int8_sqnr << " in int8");
  CHECK(int16_sqnr > int8_sqnr + 6.0);
  // Or TFLite's interpolated int16 table of it (qfence::use_table): no
  // float island, about the same accuracy.
  using tabulated = decltype(int16_tabulated_gelu);
  static_assert(tabulated::node_output_type<2>::type == qf::dtype::i16);
  CHECK(tabulated::arena_bytes < Q::arena_bytes);
  const double table_sqnr = gelu_sqnr(int16_tabulated_gelu);
  MESSAGE("the same GELU as an int16 table: " << table_sqnr << " dB");
  CHECK(table_sqnr > int8_sqnr + 6.0);
}

namespace {
// Channel means of float_model's nodes, as calibration_header writes them:
// those the four layers read (nodes 0, 1, 2 and 6).
inline constexpr std::array<double, 3> means_0{0.25, -0.5, 0.125};
inline constexpr std::array<double, 8> means_1{1.0, 0.5, 1.5, 0.75, 2.0, 0.25, 1.25, 0.875};
inline constexpr std::array<double, 8> means_2{0.5, 1.0, 0.25, 1.5, 0.625, 2.0, 0.375, 1.125};
inline constexpr std::array<double, 8> means_6{-0.25, 0.75, 1.0, -1.0, 0.5, 0.125, -0.625, 1.5};
inline constexpr std::array<std::span<const double>, 9> channel_means{{means_0, means_1, means_2, {}, {}, {}, means_6, {}, {}}};
constexpr auto corrected_int8_model = qf::quantize<float_model, ranges>(qf::correct_biases<channel_means>);
}  // namespace

TEST_CASE("qfence::correct_biases gives the biases `qfence quantize` corrects, from the same means") {
  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::integer;
  quant::quantized_model corrected =
      quant::quantize_int8(*float_twin(), twin_report(ranges, tensor_of_node, channel_means), options);
  CHECK(corrected.bias_corrected_layers == 4);
  runtime::interpreter interp(std::move(corrected.model));
  check_same_bytes(corrected_int8_model, interp);

  // The corrected biases are not the plain ones: some output differs.
  auto arena = qtest::heap_arena<std::remove_cvref_t<decltype(corrected_int8_model)>>();
  auto plain = qtest::heap_arena<std::remove_cvref_t<decltype(int8_model)>>();
  bool correction_shows = false;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    const auto x = qtest::random_ints<std::int8_t>(3 * 64, seed, -128, 127);
    std::ranges::copy(x, arena->input<0>().begin());
    std::ranges::copy(x, plain->input<0>().begin());
    corrected_int8_model.invoke(*arena);
    int8_model.invoke(*plain);
    correction_shows = correction_shows || !std::ranges::equal(arena->output<0>(), plain->output<0>());
  }
  CHECK(correction_shows);
}

namespace {
constexpr auto float_io_int8_model = qf::quantize<float_model, ranges>(qf::float_io);
}  // namespace

TEST_CASE("qfence::float_io reads and writes float32 as `qfence quantize --io float` does") {
  using Q = decltype(float_io_int8_model);
  // Node i is still the float model's node i; the two outputs get a
  // DEQUANTIZE each, after the others.
  static_assert(Q::node_count == 11);
  static_assert(Q::input_type<0>::type == qf::dtype::f32);
  static_assert(Q::output_type<0>::type == qf::dtype::f32 && Q::output_type<1>::type == qf::dtype::f32);
  static_assert(Q::node_output_type<1>::type == qf::dtype::i8);
  static_assert(Q::output_node_index<0> == 9 && Q::output_node_index<1> == 10);

  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::float32;
  options.bias_correction = false;
  quant::quantized_model q = quant::quantize_int8(*float_twin(), twin_report(ranges, tensor_of_node), options);
  runtime::interpreter interp(std::move(q.model));

  auto arena = qtest::heap_arena<Q>();
  auto int8_arena = qtest::heap_arena<std::remove_cvref_t<decltype(int8_model)>>();
  for (std::size_t k = 0; k < 8; ++k) {
    CAPTURE(k);
    std::vector<float> x(3 * 64);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.25f * sample_value(k, i);  // some beyond the range
    std::ranges::copy(x, arena->input<0>().begin());
    float_io_int8_model.invoke(*arena);
    std::ranges::copy(x, interp.input<float>(0).begin());
    interp.invoke();
    for (int o = 0; o < 2; ++o) {
      CAPTURE(o);
      const std::span<const float> got = o == 0 ? std::span<const float>(arena->output<0>())
                                                : std::span<const float>(arena->output<1>());
      const auto want = interp.output<float>(o);
      REQUIRE(got.size() == want.size());
      CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
    }
    // The input survives invoke (it is the application's), and the int8
    // nodes computed what the int8 model computes from its quantized form.
    CHECK(std::ranges::equal(arena->input<0>(), x));
    qf::quantize_into<decltype(int8_model)::input_type<0>>(x, int8_arena->input<0>());
    int8_model.invoke(*int8_arena);
    CHECK(std::ranges::equal(arena->node_output<8>(), int8_arena->output<1>()));
  }
}

namespace {
inline constexpr auto cat_fc_w = weights<3 * 4>(9, 0.9f);
inline constexpr auto cat_fc_b = weights<3>(10, 0.3f);
// input -> fully connected, and input -> relu; both -> concatenation
constexpr auto concat_model =
    qf::graph(qf::input<f32<qf::shape<1, 4>>>(),  // 0
              qf::fully_connected(qf::ref<0>, qf::make_constant<f32<qf::shape<3, 4>>>(cat_fc_w),
                                  qf::make_constant<f32<qf::shape<3>>>(cat_fc_b)),  // 1
              qf::relu(qf::ref<0>),                                                 // 2
              qf::concatenation<1>(qf::ref<1>, qf::ref<2>));                        // 3
inline constexpr std::array<quant::real_range, 4> concat_ranges{{{-1, 1}, {-2, 2.5f}, {0, 1}, {-2, 2.5f}}};
constexpr auto int8_concat_model = qf::quantize<concat_model, concat_ranges>();
}  // namespace

TEST_CASE("qfence::quantize: an int8 CONCATENATION's inputs take its parameters, so it copies bytes") {
  using Q = decltype(int8_concat_model);
  const quant::affine_params out = quant::asymmetric_params(concat_ranges[3], -128, 127);
  CHECK(Q::node_output_type<3>::quant::scale == out.scale);
  CHECK(Q::node_output_type<3>::quant::zero_point == out.zero_point);
  // The fully connected layer and the RELU write at the concatenation's
  // parameters, not their own ranges'.
  CHECK(Q::node_output_type<1>::quant::scale == out.scale);
  CHECK(Q::node_output_type<2>::quant::scale == out.scale);
  CHECK(Q::node_output_type<2>::quant::zero_point == out.zero_point);
  // It computes the float model's function, to the output's rounding (plus
  // the weights' and the input's).
  auto float_arena = qtest::heap_arena<std::remove_cvref_t<decltype(concat_model)>>();
  auto arena = qtest::heap_arena<Q>();
  using in_q = Q::input_type<0>::quant;
  for (std::uint32_t seed = 1; seed <= 16; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(4, seed, -128, 127);
    std::ranges::copy(x, arena->input<0>().begin());
    for (std::size_t i = 0; i < 4; ++i)
      float_arena->input<0>()[i] = in_q::scale * static_cast<float>(x[i] - in_q::zero_point);
    int8_concat_model.invoke(*arena);
    concat_model.invoke(*float_arena);
    const auto got = arena->output<0>();
    const auto want = float_arena->output<0>();
    for (std::size_t i = 0; i < 7; ++i)
      CHECK(std::abs(out.scale * static_cast<float>(got[i] - out.zero_point) - want[i]) <= 2.0f * out.scale);
  }
}

namespace {
inline constexpr auto cat_conv_a_w = weights<4 * 1 * 1 * 3>(11, 0.7f);
inline constexpr auto cat_conv_a_b = weights<4>(12, 0.2f);
inline constexpr auto cat_conv_b_w = weights<4 * 1 * 1 * 3>(13, 0.7f);
inline constexpr auto cat_conv_b_b = weights<4>(14, 0.2f);
// input -> conv 1x1 (read twice) -> max pool and average pool, which keep
// its parameters; input -> conv 1x1 stride 2, read by the concatenation
// alone; the three -> concatenation along channels.
constexpr auto requantized_concat_model =
    qf::graph(qf::input<f32<qf::shape<1, 4, 4, 3>>>(),  // 0
              qf::conv2d(qf::ref<0>, qf::make_constant<f32<qf::shape<4, 1, 1, 3>>>(cat_conv_a_w),
                         qf::make_constant<f32<qf::shape<4>>>(cat_conv_a_b)),  // 1
              qf::max_pool2d(qf::ref<1>, qf::filter<2>, qf::stride<2>),        // 2
              qf::conv2d(qf::ref<0>, qf::make_constant<f32<qf::shape<4, 1, 1, 3>>>(cat_conv_b_w),
                         qf::make_constant<f32<qf::shape<4>>>(cat_conv_b_b), qf::stride<2>),  // 3
              qf::average_pool2d(qf::ref<1>, qf::filter<2>, qf::stride<2>),                   // 4
              qf::concatenation<3>(qf::ref<2>, qf::ref<3>, qf::ref<4>));                      // 5
// The stride-2 convolution's own range is the concatenation's, so that the
// parameters it takes are the ones `qfence quantize` gives it.
inline constexpr std::array<quant::real_range, 6> requantized_concat_ranges{
    {{-1, 1}, {-1.5f, 2.0f}, {0, 0}, {-2.5f, 3.0f}, {0, 0}, {-2.5f, 3.0f}}};
constexpr auto int8_requantized_concat = qf::quantize<requantized_concat_model, requantized_concat_ranges>();

std::shared_ptr<const runtime::model> requantized_concat_twin() {
  using tfl::activation;
  using tfl::bytes_of;
  auto constant = [](std::vector<int> shape, const auto& values, std::string name) {
    return tfl::constant(std::move(shape), bytes_of(std::vector<float>(values.begin(), values.end())), std::move(name));
  };
  tfl::model_spec m;
  m.tensors = {activation({1, 4, 4, 3}, "input"),     constant({4, 1, 1, 3}, cat_conv_a_w, "a_w"),
               constant({4}, cat_conv_a_b, "a_b"),    activation({1, 4, 4, 4}, "a"),
               activation({1, 2, 2, 4}, "max"),       constant({4, 1, 1, 3}, cat_conv_b_w, "b_w"),
               constant({4}, cat_conv_b_b, "b_b"),    activation({1, 2, 2, 4}, "b"),
               activation({1, 2, 2, 4}, "average"),   activation({1, 2, 2, 12}, "concatenation")};
  auto op = [&](std::int32_t code, std::vector<int> in, int out, auto options) {
    m.ops.push_back(tfl::op(code, 1, std::move(in), {out}));
    m.ops.back().options = options;
  };
  using B = flatbuffers::FlatBufferBuilder;
  using fb::BuiltinOptions;
  op(3 /*CONV_2D*/, {0, 1, 2}, 3, [](B& b) {
    return std::pair{BuiltinOptions::Conv2DOptions, fb::CreateConv2DOptions(b, 0 /*SAME*/, 1, 1).Union()};
  });
  op(17 /*MAX_POOL_2D*/, {3}, 4, [](B& b) {
    return std::pair{BuiltinOptions::Pool2DOptions, fb::CreatePool2DOptions(b, 1 /*VALID*/, 2, 2, 2, 2).Union()};
  });
  op(3 /*CONV_2D*/, {0, 5, 6}, 7, [](B& b) {
    return std::pair{BuiltinOptions::Conv2DOptions, fb::CreateConv2DOptions(b, 0 /*SAME*/, 2, 2).Union()};
  });
  op(1 /*AVERAGE_POOL_2D*/, {3}, 8, [](B& b) {
    return std::pair{BuiltinOptions::Pool2DOptions, fb::CreatePool2DOptions(b, 1 /*VALID*/, 2, 2, 2, 2).Union()};
  });
  op(2 /*CONCATENATION*/, {4, 7, 8}, 9, [](B& b) {
    return std::pair{BuiltinOptions::ConcatenationOptions, fb::CreateConcatenationOptions(b, 3).Union()};
  });
  m.inputs = {0};
  m.outputs = {9};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}
}  // namespace

TEST_CASE("qfence::quantize: a CONCATENATION input that keeps its own parameters is requantized, as QUANTIZE would") {
  using Q = decltype(int8_requantized_concat);
  const quant::affine_params out = quant::asymmetric_params(requantized_concat_ranges[5], -128, 127);
  const quant::affine_params pooled = quant::asymmetric_params(requantized_concat_ranges[1], -128, 127);
  CHECK(Q::node_output_type<5>::quant::scale == out.scale);
  CHECK(Q::node_output_type<5>::quant::zero_point == out.zero_point);
  // The poolings keep the convolution's parameters (it has two readers);
  // the stride-2 convolution takes the concatenation's.
  CHECK(Q::node_output_type<2>::quant::scale == pooled.scale);
  CHECK(Q::node_output_type<4>::quant::zero_point == pooled.zero_point);
  CHECK(Q::node_output_type<3>::quant::scale == out.scale);
  CHECK(pooled.scale != out.scale);

  // `qfence quantize` with the same ranges writes QUANTIZE ops before the
  // two pooled inputs: the same bytes.
  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::integer;
  options.bias_correction = false;
  quant::quantized_model q = quant::quantize_int8(
      *requantized_concat_twin(), twin_report(requantized_concat_ranges, {0, 3, 4, 7, 8, 9}), options);
  REQUIRE(q.fences.empty());
  const auto quantize_ops = std::ranges::count_if(
      q.model.operations, [](const runtime::operation& o) { return o.code == runtime::op_code::quantize; });
  CHECK(quantize_ops == 2);
  runtime::interpreter interp(std::move(q.model));
  check_same_bytes(int8_requantized_concat, interp, 16);
}

namespace {
inline constexpr auto share_a_w = weights<4 * 4>(21, 0.5f);
inline constexpr auto share_a_b = weights<4>(22, 0.2f);
inline constexpr auto share_u_w = weights<2 * 4>(23, 0.5f);
inline constexpr auto share_u_b = weights<2>(24, 0.2f);
inline constexpr std::array<float, 1> pad_value{0.25f};
// The ops whose operands carry their parameters, chained: ADD_N -> SELECT_V2
// (x) -> DYNAMIC_UPDATE_SLICE (operand) -> PADV2, with a fully connected
// layer, a RELU and a MUL as the other producers.
constexpr auto sharing_model =
    qf::graph(qf::input<f32<qf::shape<1, 4>>>(),                                        // 0 x
              qf::input<f32<qf::shape<1, 4>>>(),                                        // 1 y
              qf::input<qf::tensor<qf::dtype::i32, qf::shape<2>>>(),                    // 2 start
              qf::greater(qf::ref<0>, qf::ref<1>),                                      // 3 x > y
              qf::fully_connected(qf::ref<0>, qf::make_constant<f32<qf::shape<4, 4>>>(share_a_w),
                                  qf::make_constant<f32<qf::shape<4>>>(share_a_b)),     // 4 a
              qf::relu(qf::ref<1>),                                                     // 5 r
              qf::add_n(qf::ref<4>, qf::ref<5>),                                        // 6 a + r
              qf::mul(qf::ref<0>, qf::ref<1>),                                          // 7 x y
              qf::select_v2(qf::ref<3>, qf::ref<6>, qf::ref<7>),                        // 8
              qf::fully_connected(qf::ref<1>, qf::make_constant<f32<qf::shape<2, 4>>>(share_u_w),
                                  qf::make_constant<f32<qf::shape<2>>>(share_u_b)),     // 9 update
              qf::dynamic_update_slice(qf::ref<8>, qf::ref<9>, qf::ref<2>),             // 10
              qf::literal(qf::make_constant<f32<qf::shape<1>>>(pad_value)),             // 11
              qf::pad<0, 0, 1, 1>(qf::ref<10>, qf::ref<11>));                           // 12 [1, 6]
// x and y share a range, so that int8 x > y is the float comparison.
inline constexpr std::array<quant::real_range, 13> sharing_ranges{{{-1, 1},
                                                                   {-1, 1},
                                                                   {0, 0},
                                                                   {0, 0},
                                                                   {-1.5f, 1.5f},
                                                                   {0, 1},
                                                                   {-2, 2.5f},
                                                                   {-1, 1},
                                                                   {-2, 2.5f},
                                                                   {-1.5f, 1.5f},
                                                                   {-2.5f, 2.5f},
                                                                   {0.25f, 0.25f},
                                                                   {-2.5f, 2.5f}}};
constexpr auto int8_sharing = qf::quantize<sharing_model, sharing_ranges>();

// ADD_N of the model's input, which the fully connected layer reads too:
// the input keeps its parameters, and ADD_N has no requantizing kernel.
constexpr auto shared_input_add_n =
    qf::graph(qf::input<f32<qf::shape<1, 4>>>(),
              qf::fully_connected(qf::ref<0>, qf::make_constant<f32<qf::shape<4, 4>>>(share_a_w),
                                  qf::make_constant<f32<qf::shape<4>>>(share_a_b)),
              qf::add_n(qf::ref<0>, qf::ref<1>));
inline constexpr std::array<quant::real_range, 3> shared_input_ranges{{{-1, 1}, {-1.5f, 1.5f}, {-2.5f, 2.5f}}};
constexpr auto int8_shared_input_add_n = qf::quantize<shared_input_add_n, shared_input_ranges>();
}  // namespace

TEST_CASE("qfence::quantize: ADD_N, SELECT_V2, DYNAMIC_UPDATE_SLICE and PADV2 in int8, their operands at their parameters") {
  using Q = decltype(int8_sharing);
  namespace qg = qf::detail::quantize_graph;
  // None is fenced: each producer took the parameters its reader copies
  // with, down the chain to DYNAMIC_UPDATE_SLICE's own range.
  static_assert(!qg::is_fence<Q::node_t<6>> && !qg::is_fence<Q::node_t<8>> && !qg::is_fence<Q::node_t<10>> &&
                !qg::is_fence<Q::node_t<12>>);
  const quant::affine_params d = quant::asymmetric_params(sharing_ranges[10], -128, 127);
  const auto at_d = []<int K>(std::integral_constant<int, K>, const quant::affine_params& p) {
    using T = Q::node_output_type<K>;
    CAPTURE(K);
    CHECK(T::type == qf::dtype::i8);
    CHECK(T::quant::scale == p.scale);
    CHECK(T::quant::zero_point == p.zero_point);
  };
  at_d(std::integral_constant<int, 4>{}, d);   // ADD_N's operands
  at_d(std::integral_constant<int, 5>{}, d);
  at_d(std::integral_constant<int, 6>{}, d);   // SELECT_V2's x
  at_d(std::integral_constant<int, 7>{}, d);   // and y
  at_d(std::integral_constant<int, 8>{}, d);   // DYNAMIC_UPDATE_SLICE's operand
  at_d(std::integral_constant<int, 9>{}, d);   // and update
  at_d(std::integral_constant<int, 10>{}, d);
  at_d(std::integral_constant<int, 12>{}, d);
  // PADV2's value (a float literal: its fence's border quantizes it) at
  // PADV2's input's parameters.
  using value_border = Q::node_t<11>::out_spec::quant;
  CHECK(value_border::scale == d.scale);
  CHECK(value_border::zero_point == d.zero_point);
  // x and y keep theirs (other nodes read them).
  CHECK(Q::input_type<0>::quant::scale == quant::asymmetric_params(sharing_ranges[0], -128, 127).scale);

  // It computes the float model's function to a few output steps: the
  // layers' rounding and the input's, and nothing clips.
  auto float_arena = qtest::heap_arena<std::remove_cvref_t<decltype(sharing_model)>>();
  auto arena = qtest::heap_arena<Q>();
  using x_q = Q::input_type<0>::quant;
  using y_q = Q::input_type<1>::quant;
  double worst = 0;
  for (std::uint32_t seed = 1; seed <= 32; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(4, seed, -128, 127);
    const auto y = qtest::random_ints<std::int8_t>(4, seed + 100, -128, 127);
    const std::array<std::int32_t, 2> start{0, static_cast<std::int32_t>(seed % 3)};
    for (std::size_t i = 0; i < 4; ++i) {
      arena->input<0>()[i] = x[i];
      arena->input<1>()[i] = y[i];
      float_arena->input<0>()[i] = x_q::scale * static_cast<float>(x[i] - x_q::zero_point);
      float_arena->input<1>()[i] = y_q::scale * static_cast<float>(y[i] - y_q::zero_point);
    }
    std::ranges::copy(start, arena->input<2>().begin());
    std::ranges::copy(start, float_arena->input<2>().begin());
    int8_sharing.invoke(*arena);
    sharing_model.invoke(*float_arena);
    const auto got = arena->output<0>();
    const auto want = float_arena->output<0>();
    for (std::size_t i = 0; i < 6; ++i)
      worst = std::max(worst, std::abs(static_cast<double>(d.scale * static_cast<float>(got[i] - d.zero_point) - want[i])));
  }
  // Half a step for the output's rounding, half for ADD_N's operands', and
  // the input's and weights' rounding through the layers (1.83 steps at
  // worst here): a shared parameter dropped clips or reads a value at the
  // wrong scale, tens of steps off.
  CHECK(worst <= 2.5 * d.scale);
  CHECK(worst > 0);

  // Where an operand's producer keeps its own parameters, the op is fenced.
  using S = decltype(int8_shared_input_add_n);
  static_assert(qg::is_fence<S::node_t<2>>);
  static_assert(!qg::is_fence<S::node_t<1>> && S::node_output_type<1>::type == qf::dtype::i8);
}

namespace {
inline constexpr auto up_w = weights<4 * 3 * 3 * 2>(15, 0.6f);
inline constexpr auto up_b = weights<4>(16, 0.2f);
// input -> TRANSPOSE_CONV 3x3 stride 2 SAME -> [1, 6, 6, 4]
constexpr auto upsampling_model = qf::graph(
    qf::input<f32<qf::shape<1, 3, 3, 2>>>(),
    qf::transpose_conv<qf::shape<1, 6, 6, 4>>(qf::ref<0>, qf::make_constant<f32<qf::shape<4, 3, 3, 2>>>(up_w),
                                              qf::make_constant<f32<qf::shape<4>>>(up_b), qf::stride<2, 2>, qf::same));
inline constexpr std::array<quant::real_range, 2> upsampling_ranges{{{-1, 1}, {-2.5f, 2.0f}}};
constexpr auto int8_upsampling = qf::quantize<upsampling_model, upsampling_ranges>();

std::shared_ptr<const runtime::model> upsampling_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::constant({4}, tfl::bytes_of(std::vector<std::int32_t>{1, 6, 6, 4}), "output_shape", 2 /* INT32 */),
               tfl::constant({4, 3, 3, 2}, tfl::bytes_of(std::vector<float>(up_w.begin(), up_w.end())), "w"),
               tfl::activation({1, 3, 3, 2}, "input"),
               tfl::constant({4}, tfl::bytes_of(std::vector<float>(up_b.begin(), up_b.end())), "b"),
               tfl::activation({1, 6, 6, 4}, "up")};
  m.ops.push_back(tfl::op(67 /*TRANSPOSE_CONV*/, 3, {0, 1, 2, 3}, {4}));
  m.ops.back().options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::TransposeConvOptions, fb::CreateTransposeConvOptions(b, 0 /*SAME*/, 2, 2).Union()};
  };
  m.inputs = {2};
  m.outputs = {4};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}
}  // namespace

TEST_CASE("qfence::quantize: TRANSPOSE_CONV with per-channel weights, as qfence quantize makes it") {
  using Q = decltype(int8_upsampling);
  static_assert(Q::node_output_type<1>::type == qf::dtype::i8);
  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::integer;
  quant::quantized_model q = quant::quantize_int8(*upsampling_twin(), twin_report(upsampling_ranges, {2, 4}), options);
  REQUIRE(q.fences.empty());
  runtime::interpreter interp(std::move(q.model));
  check_same_bytes(int8_upsampling, interp);
}

namespace {
// x -> CUMSUM along the row -> GATHER_ND at indices read from a second input.
constexpr auto running_sum_model =
    qf::graph(qf::input<f32<qf::shape<1, 8>>>(), qf::input<qf::tensor<qf::i32, qf::shape<3, 2>>>(),
              qf::cumsum<1>(qf::ref<0>), qf::gather_nd(qf::ref<2>, qf::ref<1>))
        .outputs(qf::ref<2>, qf::ref<3>);
inline constexpr std::array<quant::real_range, 4> running_sum_ranges{{{-1, 1}, {0, 0}, {-3.0f, 4.0f}, {0, 0}}};
constexpr auto int8_running_sum = qf::quantize<running_sum_model, running_sum_ranges>();

std::shared_ptr<const runtime::model> running_sum_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1, 8}, "x"), tfl::activation({3, 2}, "indices", 2 /* INT32 */),
               tfl::constant({}, tfl::bytes_of(std::vector<std::int32_t>{1}), "axis", 2), tfl::activation({1, 8}, "sum"),
               tfl::activation({3}, "gathered")};
  m.ops = {tfl::op(128 /*CUMSUM*/, 1, {0, 2}, {3}), tfl::op(107 /*GATHER_ND*/, 1, {3, 1}, {4})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::CumsumOptions, fb::CreateCumsumOptions(b).Union()};
  };
  m.inputs = {0, 1};
  m.outputs = {3, 4};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}
}  // namespace

TEST_CASE("qfence::quantize: CUMSUM at its calibrated parameters, GATHER_ND at its input's, as qfence quantize") {
  using Q = decltype(int8_running_sum);
  static_assert(Q::input_type<1>::type == qf::dtype::i32);  // indices are left alone
  const quant::affine_params sum = quant::asymmetric_params(running_sum_ranges[2], -128, 127);
  CHECK(Q::node_output_type<2>::quant::scale == sum.scale);
  CHECK(Q::node_output_type<3>::quant::scale == sum.scale);
  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::integer;
  quant::quantized_model q =
      quant::quantize_int8(*running_sum_twin(), twin_report(running_sum_ranges, {0, -1, 3, 4}), options);
  REQUIRE(q.fences.empty());
  runtime::interpreter interp(std::move(q.model));
  auto arena = qtest::heap_arena<Q>();
  const std::vector<std::int32_t> indices{0, 7, 0, 0, 0, 3};
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(8, seed, -128, 127);
    std::ranges::copy(x, arena->input<0>().begin());
    std::ranges::copy(indices, arena->input<1>().begin());
    int8_running_sum.invoke(*arena);
    std::ranges::copy(x, interp.input<std::int8_t>(0).begin());
    std::ranges::copy(indices, interp.input<std::int32_t>(1).begin());
    interp.invoke();
    for (int o = 0; o < 2; ++o) {
      const std::span<const std::int8_t> got = o == 0 ? std::span<const std::int8_t>(arena->output<0>())
                                                      : std::span<const std::int8_t>(arena->output<1>());
      CHECK(std::ranges::equal(got, interp.output<std::int8_t>(o)));
    }
  }
}

namespace {
// An LSTM: 6 steps of 3 inputs, 4 units; nodes 0 input, 1 hidden and 2 cell
// states, 3 the LSTM. The forget gate's bias keeps the cell's memory.
constexpr int lstm_steps = 6, lstm_in = 3, lstm_units = 4;
template <int K> inline constexpr auto lstm_weights = weights<lstm_units*(K < 4 ? lstm_in : lstm_units)>(20 + K, 0.7f);
template <int K> inline constexpr auto lstm_bias = [] {
  auto b = weights<lstm_units>(30 + K, 0.3f);
  if (K == 1)
    for (float& v : b) v += 1.0f;
  return b;
}();
template <int K> constexpr auto lstm_weight_constant() {
  return qf::make_constant<f32<qf::shape<lstm_units, K < 4 ? lstm_in : lstm_units>>>(lstm_weights<K>);
}
template <int K> constexpr auto lstm_bias_constant() { return qf::make_constant<f32<qf::shape<lstm_units>>>(lstm_bias<K>); }

constexpr auto lstm_model = [] {
  return [&]<int... W, int... B>(std::integer_sequence<int, W...>, std::integer_sequence<int, B...>) {
    return qf::graph(qf::input<f32<qf::shape<1, lstm_steps, lstm_in>>>(), qf::state<f32<qf::shape<1, lstm_units>>>(),
                     qf::state<f32<qf::shape<1, lstm_units>>>(),
                     qf::unidirectional_sequence_lstm<false>(qf::ref<0>, qf::ref<1>, qf::ref<2>, 0.0f,
                                                             lstm_weight_constant<W>()..., lstm_bias_constant<B>()...));
  }(std::make_integer_sequence<int, 8>{}, std::make_integer_sequence<int, 4>{});
}();

/// lstm_model as a .tflite: tensors 0 input, 1-8 weights, 9-12 biases, 13
/// hidden, 14 cell, 15 output.
std::shared_ptr<const runtime::model> lstm_twin() {
  std::vector<std::vector<float>> w, b;
  [&]<int... K>(std::integer_sequence<int, K...>) {
    (w.emplace_back(lstm_weights<K>.begin(), lstm_weights<K>.end()), ...);
  }(std::make_integer_sequence<int, 8>{});
  [&]<int... K>(std::integer_sequence<int, K...>) {
    (b.emplace_back(lstm_bias<K>.begin(), lstm_bias<K>.end()), ...);
  }(std::make_integer_sequence<int, 4>{});
  return std::make_shared<const runtime::model>(
      qfence::tflite::read_model(tfl::build(tfl::float_lstm_model(lstm_steps, lstm_in, lstm_units, w, b))));
}
inline constexpr std::array<int, 4> lstm_tensor_of_node{0, 13, 14, 15};

/// Sample k's input: a pulse in steps 1-2 on a small wave.
float lstm_sample(std::size_t k, std::size_t i) {
  const std::size_t t = i / lstm_in;
  const float pulse = (t == 1 || t == 2) ? 2.5f + std::sin(static_cast<float>(k)) : 0.0f;
  return pulse * (i % lstm_in == 0 ? 1.0f : -0.5f) + 0.1f * sample_value(k, i);
}

// Ranges as a calibration writes them (the cell's from every step).
inline constexpr std::array<quant::real_range, 4> lstm_ranges{{{-3.5f, 3.6f}, {-0.6f, 0.7f}, {-1.7f, 1.9f}, {-0.6f, 0.7f}}};
constexpr auto int8_lstm = qf::quantize<lstm_model, lstm_ranges>();
}  // namespace

TEST_CASE("calibrate_graph replays an LSTM's steps as calibrate does; qfence::quantize makes it int8 with qfence quantize's bytes") {
  // Calibration: the same ranges on both paths, the cell's from every step.
  constexpr std::size_t samples = 12;
  const auto typed = quant::calibrate_graph(lstm_model, samples, [](std::size_t k, auto& arena) {
    auto in = arena.template input<0>();
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = lstm_sample(k, i);
    return std::optional<std::string>{};
  });
  struct twin_samples {
    std::size_t size() const { return samples; }
    std::optional<std::string> fill(std::size_t k, runtime::interpreter& interp) const {
      auto in = interp.input<float>(0);
      for (std::size_t i = 0; i < in.size(); ++i) in[i] = lstm_sample(k, i);
      return std::nullopt;
    }
  };
  const quant::calibration_report report = quant::calibrate(lstm_twin(), twin_samples{});
  for (const quant::calibrator method : quant::all_calibrators) {
    const auto r = typed.ranges(method);
    const quant::calibration_report by = report.with_calibrator(method);
    for (int node = 0; node < 4; ++node) {
      CAPTURE(node);
      CAPTURE(quant::calibrator_name(method));
      CHECK(r[static_cast<std::size_t>(node)] == by.find(lstm_tensor_of_node[static_cast<std::size_t>(node)])->range);
    }
  }
  // The states start every sample afresh: calibrating twice sees the same.
  const auto again = quant::calibrate_graph(lstm_model, samples, [](std::size_t k, auto& arena) {
    auto in = arena.template input<0>();
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = lstm_sample(samples - 1 - k, i);
    return std::optional<std::string>{};
  });
  CHECK(again.ranges(quant::calibrator::minmax) == typed.ranges(quant::calibrator::minmax));

  // Quantization: int8 states and operands, then the runtime path's bytes
  // over a stream of invokes that carry the states.
  using Q = decltype(int8_lstm);
  static_assert(Q::node_output_type<1>::type == qf::dtype::i8);
  static_assert(Q::node_output_type<2>::type == qf::dtype::i16);
  CHECK(Q::node_output_type<2>::quant::scale == 2.0f / 32768.0f);  // the cell reaches 1.9: 2^1
  CHECK(Q::node_output_type<1>::quant::scale == Q::node_output_type<3>::quant::scale);
  CHECK(Q::node_output_type<1>::quant::zero_point == Q::node_output_type<3>::quant::zero_point);
  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::integer;
  quant::quantized_model q = quant::quantize_int8(*lstm_twin(), twin_report(lstm_ranges, lstm_tensor_of_node), options);
  REQUIRE(q.fences.empty());
  runtime::interpreter interp(std::move(q.model));
  auto arena = qtest::heap_arena<Q>();
  int8_lstm.reset_state(*arena);
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(Q::input_type<0>::elements, seed, -128, 127);
    std::ranges::copy(x, arena->input<0>().begin());
    int8_lstm.invoke(*arena);
    std::ranges::copy(x, interp.input<std::int8_t>(0).begin());
    interp.invoke();
    CHECK(std::ranges::equal(arena->output<0>(), interp.output<std::int8_t>(0)));
  }
}

namespace {
// An SVDF: input [1, 3], 4 filters of rank 2 (2 units), a memory of 3 steps;
// nodes 0 input, 1 state, 2 SVDF.
inline constexpr std::array<float, 12> svdf_features{0.5f, -0.3f, 0.8f, -0.6f, 0.2f, 0.4f,
                                                      0.1f, 0.9f, -0.2f, 0.3f, -0.7f, 0.5f};
inline constexpr std::array<float, 12> svdf_time{0.4f, 0.6f, 0.9f, 0.5f, 0.7f, 0.3f, 0.2f, 0.8f, 0.6f, 0.9f, 0.4f, 0.5f};
inline constexpr std::array<float, 2> svdf_bias{0.1f, -0.2f};
constexpr auto svdf_model = qf::graph(qf::input<f32<qf::shape<1, 3>>>(), qf::state<f32<qf::shape<1, 12>>>(),
                                      qf::svdf<2>(qf::ref<0>, qf::ref<1>, qf::make_constant<f32<qf::shape<4, 3>>>(svdf_features),
                                                  qf::make_constant<f32<qf::shape<4, 3>>>(svdf_time),
                                                  qf::make_constant<f32<qf::shape<2>>>(svdf_bias)));

/// svdf_model as a .tflite: tensors 0 input, 1 features, 2 time, 3 bias, 4 state, 5 output.
std::shared_ptr<const runtime::model> svdf_twin() {
  tfl::model_spec m;
  m.tensors = {tfl::activation({1, 3}, "input"),
               tfl::constant({4, 3}, tfl::bytes_of(std::vector<float>(svdf_features.begin(), svdf_features.end())), "f"),
               tfl::constant({4, 3}, tfl::bytes_of(std::vector<float>(svdf_time.begin(), svdf_time.end())), "t"),
               tfl::constant({2}, tfl::bytes_of(std::vector<float>(svdf_bias.begin(), svdf_bias.end())), "b"),
               tfl::activation({1, 12}, "state"), tfl::activation({1, 2}, "output")};
  m.tensors[4].variable = true;
  m.ops = {tfl::op(27 /*SVDF*/, 1, {0, 1, 2, 3, 4}, {5})};
  m.ops[0].options = [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::BuiltinOptions::SVDFOptions, fb::CreateSVDFOptions(b, 2).Union()};
  };
  m.inputs = {0};
  m.outputs = {5};
  return std::make_shared<const runtime::model>(qfence::tflite::read_model(tfl::build(m)));
}
inline constexpr std::array<int, 3> svdf_tensor_of_node{0, 4, 5};
inline constexpr std::array<quant::real_range, 3> svdf_ranges{{{-2.0f, 2.0f}, {-2.2f, 2.4f}, {-1.5f, 3.0f}}};
constexpr auto int8_svdf = qf::quantize<svdf_model, svdf_ranges>();

/// Step k of a slow signal: the samples are consecutive steps of one stream.
float svdf_sample(std::size_t k, std::size_t i) {
  const auto t = static_cast<float>(k);
  return i == 0 ? 2.0f * std::sin(0.4f * t) : i == 1 ? 1.5f * std::cos(0.25f * t) : std::sin(0.1f * t) - 0.5f;
}
}  // namespace

TEST_CASE("qfence::quantize: SVDF in int8 (int16 state and time weights) with qfence quantize's bytes") {
  // Calibrated as a stream, the state carries over on both paths alike.
  constexpr std::size_t samples = 40;
  const auto typed = quant::calibrate_graph(
      svdf_model, samples,
      [](std::size_t k, auto& arena) {
        auto in = arena.template input<0>();
        for (std::size_t i = 0; i < in.size(); ++i) in[i] = svdf_sample(k, i);
        return std::optional<std::string>{};
      },
      {}, true);
  struct stream_samples {
    std::size_t size() const { return samples; }
    bool stream() const { return true; }
    std::optional<std::string> fill(std::size_t k, runtime::interpreter& interp) const {
      auto in = interp.input<float>(0);
      for (std::size_t i = 0; i < in.size(); ++i) in[i] = svdf_sample(k, i);
      return std::nullopt;
    }
  };
  const quant::calibration_report report = quant::calibrate(svdf_twin(), stream_samples{});
  for (int node = 0; node < 3; ++node) {
    CAPTURE(node);
    CHECK(typed.ranges()[static_cast<std::size_t>(node)] ==
          report.find(svdf_tensor_of_node[static_cast<std::size_t>(node)])->range);
  }

  using Q = decltype(int8_svdf);
  static_assert(Q::node_output_type<1>::type == qf::dtype::i16);
  CHECK(Q::node_output_type<1>::quant::scale == quant::symmetric_params(svdf_ranges[1], 32767).scale);
  quant::quantize_options options;
  options.inputs = options.outputs = quant::io_type::integer;
  quant::quantized_model q = quant::quantize_int8(*svdf_twin(), twin_report(svdf_ranges, svdf_tensor_of_node), options);
  REQUIRE(q.fences.empty());
  runtime::interpreter interp(std::move(q.model));
  auto arena = qtest::heap_arena<Q>();
  int8_svdf.reset_state(*arena);
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(Q::input_type<0>::elements, seed, -128, 127);
    std::ranges::copy(x, arena->input<0>().begin());
    int8_svdf.invoke(*arena);
    std::ranges::copy(x, interp.input<std::int8_t>(0).begin());
    interp.invoke();
    CHECK(std::ranges::equal(arena->output<0>(), interp.output<std::int8_t>(0)));
  }
}

namespace {
// input -> abs -> sqrt: ABS has an int8 kernel (TFLM's), SQRT none (fenced).
constexpr auto abs_model =
    qf::graph(qf::input<f32<qf::shape<1, 256>>>(), qf::abs(qf::ref<0>), qf::sqrt(qf::ref<1>)).outputs(qf::ref<1>, qf::ref<2>);
inline constexpr std::array<quant::real_range, 3> abs_ranges{{{-2, 1}, {0, 2}, {0, 1.5f}}};
constexpr auto int8_abs_model = qf::quantize<abs_model, abs_ranges>();
}  // namespace

TEST_CASE("qfence::quantize: ABS runs on int8 with TFLM's kernel, SQRT is fenced") {
  using Q = decltype(int8_abs_model);
  using in_q = Q::node_output_type<0>::quant;
  using abs_q = Q::node_output_type<1>::quant;
  static_assert(Q::node_output_type<1>::type == qf::dtype::i8);
  const quant::affine_params want = quant::asymmetric_params(abs_ranges[1], -128, 127);
  CHECK(abs_q::scale == want.scale);
  CHECK(abs_q::zero_point == want.zero_point);
  // Every int8 input, against the reference kernel with those parameters.
  auto arena = qtest::heap_arena<Q>();
  std::vector<std::int8_t> x(256);
  for (int i = 0; i < 256; ++i) x[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i - 128);
  std::ranges::copy(x, arena->input<0>().begin());
  int8_abs_model.invoke(*arena);
  std::vector<std::int8_t> expected(256);
  qf::reference::abs(256, x.data(),
                     qf::make_quantized_abs_params(in_q::scale, in_q::zero_point, abs_q::scale, abs_q::zero_point),
                     expected.data());
  const auto got = arena->output<0>();
  CHECK(std::vector<std::int8_t>(got.begin(), got.end()) == expected);
}

TEST_CASE("qfence::quantize_fences says which nodes stay float and why, in qfence quantize's words") {
  namespace qg = qf::detail::quantize_graph;
  // SQRT has no int8 kernel: the line `qfence quantize` prints for a SQRT
  // operator, for node 2; and node 2 is the model's fence.
  const auto sqrt_fences = qf::quantize_fences<abs_model>();
  REQUIRE(sqrt_fences.size() == 1);
  CHECK(sqrt_fences[0].text() ==
        "fence: node 2 (SQRT) stays float: qfence has no int8 kernel for it; DEQUANTIZE before it, QUANTIZE after");
  static_assert(qg::is_fence<decltype(int8_abs_model)::node_t<2>> && !qg::is_fence<decltype(int8_abs_model)::node_t<1>>);
  // A custom op, unless it has a table; in int16x8 as in int8.
  for (const auto& fences : {qf::quantize_fences<float_with_gelu>(), qf::quantize_fences<float_with_gelu>(qf::int16x8)}) {
    REQUIRE(fences.size() == 1);
    CHECK(fences[0].op_index == 2);
    CHECK(fences[0].op == "gelu");
    CHECK(fences[0].why.starts_with("custom op with no quantized kernel (qfence::use_table<op>"));
  }
  CHECK(qf::quantize_fences<float_with_gelu>(qf::use_table<gelu>).empty());
  // ADD_N whose operand another node reads too, and which cannot requantize.
  const auto add_n_fences = qf::quantize_fences<shared_input_add_n>();
  REQUIRE(add_n_fences.size() == 1);
  CHECK(add_n_fences[0].op_index == 2);
  CHECK(add_n_fences[0].op == "ADD_N");
  CHECK(add_n_fences[0].why.find("this op cannot requantize") != std::string::npos);
  // None where every node is integer: the chain of shared parameters (its
  // float pad value is a literal, a constant quantized at its border, not a
  // fence) and a CONCATENATION that requantizes.
  CHECK(qf::quantize_fences<sharing_model>().empty());
  CHECK(qf::quantize_fences<requantized_concat_model>().empty());
  CHECK(qf::quantize_fences<float_model>().empty());
  // The state nodes an int8 LSTM or SVDF updates are quantized with it;
  // in int16x8 both stay float: the layer is the fence, not its state.
  CHECK(qf::quantize_fences<svdf_model>().empty());
  CHECK(qf::quantize_fences<lstm_model>().empty());
  const auto int16_svdf = qf::quantize_fences<svdf_model>(qf::int16x8);
  REQUIRE(int16_svdf.size() == 1);
  CHECK(int16_svdf[0].op == "SVDF");
}

TEST_CASE("qfence::quantize fences a custom op, or gives it a table with the fence's bytes") {
  using fenced = decltype(fenced_gelu);
  using tabulated = decltype(tabulated_gelu);
  // Fenced: the custom op computes in float, its output quantized with its
  // calibrated range where the int8 FULLY_CONNECTED reads it.
  static_assert(fenced::node_output_type<2>::type == qf::dtype::f32);
  static_assert(fenced::output_type<0>::type == qf::dtype::i8);
  static_assert(tabulated::node_output_type<2>::type == qf::dtype::i8);
  const quant::affine_params gelu_out = quant::asymmetric_params(gelu_ranges[2], -128, 127);
  CHECK(tabulated::node_output_type<2>::quant::scale == gelu_out.scale);
  CHECK(tabulated::node_output_type<2>::quant::zero_point == gelu_out.zero_point);
  // No float island: the table's model needs less memory.
  CHECK(tabulated::arena_bytes < fenced::arena_bytes);
  auto a = qtest::heap_arena<fenced>();
  auto b = qtest::heap_arena<tabulated>();
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    const auto x = qtest::random_ints<std::int8_t>(48, seed, -128, 127);
    std::ranges::copy(x, a->input<0>().begin());
    std::ranges::copy(x, b->input<0>().begin());
    fenced_gelu.invoke(*a);
    tabulated_gelu.invoke(*b);
    CHECK(std::vector<std::int8_t>(a->output<0>().begin(), a->output<0>().end()) ==
          std::vector<std::int8_t>(b->output<0>().begin(), b->output<0>().end()));
  }
}

namespace {
// The same model with node 3's range four times too narrow: its outputs clip.
inline constexpr std::array<quant::real_range, 9> narrow_ranges = [] {
  auto r = ranges;
  r[3] = {r[3].min / 4, r[3].max / 4};
  return r;
}();
constexpr auto clipping_model = qf::quantize<float_model, narrow_ranges>();

std::optional<std::string> fill_sample(std::size_t k, qf::arena<std::remove_cvref_t<decltype(float_model)>>& arena) {
  auto in = arena.input<0>();
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = sample_value(k, i);
  return std::nullopt;
}
}  // namespace

TEST_CASE("debug_graph says which node loses the accuracy, and how") {
  const auto good = quant::debug_graph(float_model, int8_model, 16, fill_sample);
  const auto bad = quant::debug_graph(float_model, clipping_model, 16, fill_sample);
  REQUIRE(good.size() == 8);  // every node but the input
  REQUIRE(bad.size() == 8);
  CHECK(good[0].op_index == 1);
  CHECK(good[0].op == std::string("conv2d"));
  CHECK(good[2].op_index == 3);
  for (const auto& l : good) {
    CAPTURE(l.op_index);
    CHECK_FALSE(l.fenced);
    CHECK(l.values > 0);
    CHECK(l.clipped < 0.01);
  }
  // The first two layers are the same model in both; node 3 is where the
  // narrow range cuts: its clipping share and its error jump there.
  CHECK(bad[0].sqnr_db == good[0].sqnr_db);
  CHECK(bad[1].sqnr_db == good[1].sqnr_db);
  CHECK(bad[2].clipped > 0.02);
  CHECK(bad[2].sqnr_db < good[2].sqnr_db - 10);
  CHECK(std::ranges::min_element(bad, {}, &quant::layer_error::sqnr_db)->op_index == 3);
  CHECK(good[0].sqnr_db > 25);
  // A fenced node is marked so.
  const auto fenced = quant::debug_graph(float_with_gelu, fenced_gelu, 4, [](std::size_t k, auto& arena) {
    auto in = arena.template input<0>();
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = sample_value(k, i);
    return std::optional<std::string>{};
  });
  REQUIRE(fenced.size() == 3);
  CHECK(fenced[1].fenced);
  CHECK_FALSE(fenced[0].fenced);
  // With float inputs and outputs: the same layers, the same errors (the
  // appended DEQUANTIZEs are not the float model's).
  const auto float_io = quant::debug_graph(float_model, float_io_int8_model, 16, fill_sample);
  REQUIRE(float_io.size() == good.size());
  for (std::size_t l = 0; l < good.size(); ++l) {
    CAPTURE(l);
    CHECK(float_io[l].op_index == good[l].op_index);
    CHECK(float_io[l].sqnr_db == good[l].sqnr_db);
  }
}

}  // namespace quantize_graph_test
