// bench_core: figures for the compile-time path's layers, printed, never
// asserted (run with `meson test -C build/gcc --benchmark`).
//
// For a few layer shapes typical of mobile CNNs it prints the invoke time
// (min and median), the int8 multiply-accumulate rate, and the planned arena
// against the naive sum of buffers. These are the baselines the SIMD kernels
// are measured against (the target: half of the int8 MAC peak on large 1x1
// convolutions).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "qfence.hpp"

namespace qf = qfence;

namespace {

template <std::size_t N>
constexpr std::array<float, N> scales_of(float base) {
  std::array<float, N> s{};
  for (std::size_t i = 0; i < N; ++i) s[i] = base * (1.0f + 0.01f * static_cast<float>(i % 13));
  return s;
}
template <std::size_t N> inline constexpr std::array<int, N> zeros{};
inline constexpr auto scales64 = scales_of<64>(0.004f);
inline constexpr auto scales128 = scales_of<128>(0.004f);

template <class T>
std::vector<T> filled(std::size_t n, std::uint32_t seed) {
  std::vector<T> v(n);
  for (auto& x : v) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    x = static_cast<T>(static_cast<int>(seed % 255) - 127);
  }
  return v;
}

/// Minimum and median of f() in microseconds over a 400 ms budget (at least
/// 5 runs): this machine is shared, so minima are the figures to compare.
template <class F>
std::pair<double, double> time_us(F&& f) {
  f();  // warm-up
  std::vector<double> us;
  const auto budget = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
  while (us.size() < 5 || (std::chrono::steady_clock::now() < budget && us.size() < 1000)) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us.front(), us[us.size() / 2]};
}

/// Times `net.invoke` and prints one line.
template <class Net>
void report(const char* name, const Net& net, double macs) {
  using M = std::remove_cv_t<Net>;
  auto arena = std::make_unique<qf::arena<M>>();
  using In = typename M::template input_type<0>;
  const auto input = filled<typename In::element>(static_cast<std::size_t>(In::elements), 7);
  std::ranges::copy(input, arena->template input<0>().begin());
  const auto [min, median] = time_us([&] { net.invoke(*arena); });
  std::printf("%-34s min %9.1f us  median %9.1f us  %7.2f GMAC/s  arena %8zu B (naive %8zu B)\n", name, min, median,
              macs / (min * 1e3), M::arena_bytes, M::naive_arena_bytes);
}

/// A copy of `v` the optimiser cannot see through: a parameter the runtime
/// path would read from a model file.
template <class T>
T opaque(T v) {
  asm volatile("" : "+m"(v) : : "memory");
  return v;
}

/// One kernel with its parameters as compile-time constants and as runtime
/// values, on the same data: the two instantiations of one kernel body.
template <class Fixed, class Runtime>
void compare(const char* name, double macs, Fixed&& fixed, Runtime&& runtime) {
  const double f_min = time_us(fixed).first;
  const double r_min = time_us(runtime).first;
  std::printf("%-34s constant %9.1f us (%6.2f GMAC/s)  runtime %9.1f us (%6.2f GMAC/s)  constant/runtime %.2f\n",
              name, f_min, macs / (f_min * 1e3), r_min, macs / (r_min * 1e3), f_min / r_min);
}

/// The kernels of the layers above, called directly: kernels::fixed<...> (what
/// the compile-time path passes) against the runtime struct (what the
/// interpreter passes).
void kernel_parameters() {
  namespace ref = qf::reference;
  namespace kn = qf::kernels;
  std::printf("\nkernel parameters: compile-time constants vs runtime values, same kernel body, same data\n");
  const qf::int_range act{-128, 127};
  const std::vector<qf::quantized_multiplier> mults(1024, qf::quantize_multiplier(0.004 * 0.02 / 0.05));
  {
    static constexpr auto g = qf::make_window_geometry(1, 28, 28, 64, 128, 1, 1, 1, 1, 1, 1, qf::padding::same);
    const auto in = filled<std::int8_t>(28 * 28 * 64, 7);
    const auto w = filled<std::int8_t>(128 * 64, 1);
    std::vector<std::int8_t> out(28 * 28 * 128);
    compare("conv2d 1x1 28x28x64->128 i8", 28.0 * 28 * 64 * 128,
            [&] { ref::conv2d(kn::fixed<g>{}, 64, in.data(), 128, w.data(), 0, nullptr, mults.data(), -128, act, out.data()); },
            [&] { ref::conv2d(opaque(g), 64, in.data(), 128, w.data(), 0, nullptr, mults.data(), -128, act, out.data()); });
  }
  {
    static constexpr auto g = qf::make_window_geometry(1, 56, 56, 32, 64, 3, 3, 2, 2, 1, 1, qf::padding::same);
    const auto in = filled<std::int8_t>(56 * 56 * 32, 7);
    const auto w = filled<std::int8_t>(64 * 9 * 32, 2);
    std::vector<std::int8_t> out(28 * 28 * 64);
    compare("conv2d 3x3/2 56x56x32->64 i8", 28.0 * 28 * 9 * 32 * 64,
            [&] { ref::conv2d(kn::fixed<g>{}, 32, in.data(), 128, w.data(), 0, nullptr, mults.data(), -128, act, out.data()); },
            [&] { ref::conv2d(opaque(g), 32, in.data(), 128, w.data(), 0, nullptr, mults.data(), -128, act, out.data()); });
  }
  {
    static constexpr auto g = qf::make_window_geometry(1, 56, 56, 64, 64, 3, 3, 1, 1, 1, 1, qf::padding::same);
    const auto in = filled<std::int8_t>(56 * 56 * 64, 7);
    const auto w = filled<std::int8_t>(9 * 64, 3);
    std::vector<std::int8_t> out(56 * 56 * 64);
    compare("depthwise 3x3 56x56x64 i8", 56.0 * 56 * 9 * 64,
            [&] { ref::depthwise_conv2d(kn::fixed<g>{}, in.data(), 128, w.data(), 0, nullptr, mults.data(), -128, act, out.data()); },
            [&] { ref::depthwise_conv2d(opaque(g), in.data(), 128, w.data(), 0, nullptr, mults.data(), -128, act, out.data()); });
  }
  {
    static constexpr ref::fc_geometry g{1, 1024, 1000};
    const auto in = filled<std::int8_t>(1024, 7);
    const auto w = filled<std::int8_t>(1000 * 1024, 4);
    std::vector<std::int8_t> out(1000);
    compare("fully_connected 1024->1000 i8", 1024.0 * 1000,
            [&] { ref::fully_connected(kn::fixed<g>{}, in.data(), 128, w.data(), 0, static_cast<const std::int32_t*>(nullptr), mults.data(), 0, -128, act, out.data()); },
            [&] { ref::fully_connected(opaque(g), in.data(), 128, w.data(), 0, static_cast<const std::int32_t*>(nullptr), mults.data(), 0, -128, act, out.data()); });
  }
  {
    static constexpr auto g = qf::make_window_geometry(1, 28, 28, 64, 128, 1, 1, 1, 1, 1, 1, qf::padding::same);
    const auto in = filled<float>(28 * 28 * 64, 7);
    const auto w = filled<float>(128 * 64, 5);
    std::vector<float> out(28 * 28 * 128);
    const qf::float_range none{-3.0e38f, 3.0e38f};
    compare("conv2d 1x1 28x28x64->128 f32", 28.0 * 28 * 64 * 128,
            [&] { ref::conv2d(kn::fixed<g>{}, 64, in.data(), w.data(), nullptr, none, out.data()); },
            [&] { ref::conv2d(opaque(g), 64, in.data(), w.data(), nullptr, none, out.data()); });
  }
}

}  // namespace

int main() {
  std::printf("qfence bench_core: reference kernels, single thread\n");
  using act = qf::per_tensor<0.02f, -128>;

  {  // 1x1 conv 28x28x64 -> 128
    static const auto w = filled<std::int8_t>(128 * 64, 1);
    using In = qf::tensor<qf::i8, qf::shape<1, 28, 28, 64>, act>;
    using W = qf::tensor<qf::i8, qf::shape<128, 1, 1, 64>, qf::per_channel<scales128, zeros<128>, 0>>;
    auto net = qf::graph(qf::input<In>(), qf::conv2d(qf::ref<0>, qf::make_constant<W>(w.data()), qf::no_bias,
                                                     qf::fused_relu6, qf::out<act>));
    report("conv2d 1x1 28x28x64->128 i8", net, 28.0 * 28 * 64 * 128);
  }
  {  // 3x3 conv stride 2, 56x56x32 -> 64
    static const auto w = filled<std::int8_t>(64 * 9 * 32, 2);
    using In = qf::tensor<qf::i8, qf::shape<1, 56, 56, 32>, act>;
    using W = qf::tensor<qf::i8, qf::shape<64, 3, 3, 32>, qf::per_channel<scales64, zeros<64>, 0>>;
    auto net = qf::graph(qf::input<In>(), qf::conv2d(qf::ref<0>, qf::make_constant<W>(w.data()), qf::no_bias,
                                                     qf::stride<2>, qf::out<act>));
    report("conv2d 3x3/2 56x56x32->64 i8", net, 28.0 * 28 * 9 * 32 * 64);
  }
  {  // depthwise 3x3, 56x56x64
    static const auto w = filled<std::int8_t>(9 * 64, 3);
    using In = qf::tensor<qf::i8, qf::shape<1, 56, 56, 64>, act>;
    using W = qf::tensor<qf::i8, qf::shape<1, 3, 3, 64>, qf::per_channel<scales64, zeros<64>, 3>>;
    auto net = qf::graph(qf::input<In>(), qf::depthwise_conv2d(qf::ref<0>, qf::make_constant<W>(w.data()),
                                                               qf::no_bias, qf::fused_relu6, qf::out<act>));
    report("depthwise 3x3 56x56x64 i8", net, 56.0 * 56 * 9 * 64);
  }
  {  // fully connected 1024 -> 1000
    static const auto w = filled<std::int8_t>(1000 * 1024, 4);
    using In = qf::tensor<qf::i8, qf::shape<1, 1024>, act>;
    using W = qf::tensor<qf::i8, qf::shape<1000, 1024>, qf::per_tensor<0.003f, 0>>;
    auto net = qf::graph(qf::input<In>(),
                         qf::fully_connected(qf::ref<0>, qf::make_constant<W>(w.data()), qf::no_bias, qf::out<act>));
    report("fully_connected 1024->1000 i8", net, 1024.0 * 1000);
  }
  {  // the same 1x1 conv in float
    static const auto w = filled<float>(128 * 64, 5);
    using In = qf::tensor<qf::f32, qf::shape<1, 28, 28, 64>>;
    using W = qf::tensor<qf::f32, qf::shape<128, 1, 1, 64>>;
    auto net = qf::graph(qf::input<In>(), qf::conv2d(qf::ref<0>, qf::make_constant<W>(w.data()), qf::no_bias));
    report("conv2d 1x1 28x28x64->128 f32", net, 28.0 * 28 * 64 * 128);
  }
  kernel_parameters();
  return 0;
}
