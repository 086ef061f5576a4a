// Fixed-point arithmetic (TFLite's QuantizeMultiplier, gemmlowp's SRDHM and
// RoundingDivideByPOT, exp/tanh/logistic) and the exactness of qscale.
#include "test_support.hpp"

// (An area's own namespace: typed_unit_tests.cpp compiles the areas as one unit.)
namespace fixed_point_test {

namespace qf = qfence;

namespace {

constexpr std::int32_t int_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t int_max = std::numeric_limits<std::int32_t>::max();

// Known (multiplier, shift) pairs, worked out from the definition
// q = frexp(m) in [0.5, 1), multiplier = round(q * 2^31).
static_assert(qf::quantize_multiplier(0.5) == qf::quantized_multiplier{1 << 30, 0});
static_assert(qf::quantize_multiplier(1.0) == qf::quantized_multiplier{1 << 30, 1});
static_assert(qf::quantize_multiplier(0.75) == qf::quantized_multiplier{3 << 29, 0});
static_assert(qf::quantize_multiplier(0.0) == qf::quantized_multiplier{0, 0});
static_assert(qf::quantize_multiplier(1.0 / 1024) == qf::quantized_multiplier{1 << 30, -9});
// A q that rounds up to 2^31 becomes 2^30 with shift + 1.
static_assert(qf::quantize_multiplier(0.99999999999) == qf::quantized_multiplier{1 << 30, 1});
// Scales far below 2^-31 flush to zero, as TFLite does.
static_assert(qf::quantize_multiplier(1e-12) == qf::quantized_multiplier{0, 0});

static_assert(qf::saturating_rounding_doubling_high_mul(int_min, int_min) == int_max);
static_assert(qf::saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == 1 << 29);
static_assert(qf::saturating_rounding_doubling_high_mul(-(1 << 30), 1 << 30) == -(1 << 29));
static_assert(qf::saturating_rounding_doubling_high_mul(3, 1 << 30) == 2);    // 1.5 rounds up
static_assert(qf::saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1);  // -1.5: gemmlowp nudges to -1

static_assert(qf::rounding_divide_by_pot(5, 1) == 3);    // 2.5 -> 3
static_assert(qf::rounding_divide_by_pot(-5, 1) == -3);  // -2.5 -> -3 (half away from zero)
static_assert(qf::rounding_divide_by_pot(-3, 2) == -1);  // -0.75 -> -1
static_assert(qf::rounding_divide_by_pot(7, 0) == 7);

static_assert(qf::calculate_input_radius(4, 37, 31) == 0);  // the huge-scale quirk the logistic test relies on

// SRDHM rounds once and the right shift rounds again, so the result is within
// one unit of x * real (not half a unit): that double rounding is TFLite's.
TEST_CASE("multiply_by_quantized_multiplier agrees with exact arithmetic within one unit") {
  int exact_count = 0, total = 0;
  qtest::xorshift32 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const double real = std::ldexp(0.5 + 0.5 * rng.uniform(0, 1), rng.uniform_int(-20, 8));
    const qf::quantized_multiplier m = qf::quantize_multiplier(real);
    const std::int32_t x = rng.uniform_int(-(1 << 22), 1 << 22);
    const double exact = static_cast<double>(x) * real;
    if (std::fabs(exact) > 2e9) continue;
    INFO("x " << x << " real " << real);
    const double err = std::fabs(qf::multiply_by_quantized_multiplier(x, m) - exact);
    CHECK(err < 1.0);
    exact_count += err <= 0.5 ? 1 : 0;
    ++total;
  }
  // ... and nearly always the correctly rounded value.
  CHECK(exact_count > total * 95 / 100);
}

/// single_rounding's one-shift form of MultiplyByQuantizedMultiplier, in
/// scalar code (what the AVX-512 kernels compute per lane).
std::int32_t single_rounded(std::int32_t x, qf::quantized_multiplier m) {
  const int left = m.shift > 0 ? m.shift : 0, right = m.shift > 0 ? 0 : -m.shift;
  const auto a = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << left);
  const std::int64_t p = std::int64_t{a} * m.multiplier;
  const qf::single_rounding one = qf::single_rounding_of(right);
  return static_cast<std::int32_t>((p + one.round + (p < 0 ? one.negative : 0)) >> one.shift);
}

// The two roundings as one (core/fixed_point.hpp): at every rounding shift,
// on the ties of both roundings (where the sign rule matters), at the ends of
// int32 and at random.
TEST_CASE("single_rounding gives MultiplyByQuantizedMultiplier's value") {
  qtest::xorshift32 rng(11);
  long checked = 0;
  for (int shift = -31; shift <= 30; ++shift) {
    const std::int32_t multipliers[] = {0, 1 << 30, (1 << 30) + 1, 3 << 29, int_max, (1 << 30) + 12345};
    for (const std::int32_t mult : multipliers) {
      const qf::quantized_multiplier m{mult, shift};
      const auto check = [&](std::int32_t x) {
        INFO("x " << x << " multiplier " << mult << " shift " << shift);
        REQUIRE(single_rounded(x, m) == qf::multiply_by_quantized_multiplier(x, m));
        ++checked;
      };
      for (const std::int32_t x : {0, 1, -1, 2, -2, 3, -3, int_min, int_max, int_min + 1, int_max - 1}) check(x);
      // Around the ties: with multiplier 2^30 (one half), x * 2^(r+1) +- k
      // lands on and next to the half-way points of both roundings.
      const int right = shift > 0 ? 0 : -shift;
      for (int k = -3; k <= 3; ++k)
        for (const std::int64_t base : {std::int64_t{1} << right, std::int64_t{3} << right, -(std::int64_t{1} << right),
                                        -(std::int64_t{3} << right), std::int64_t{1} << (right + 1)}) {
          const std::int64_t x = base + k;
          if (x >= int_min && x <= int_max) check(static_cast<std::int32_t>(x));
        }
      for (int i = 0; i < 200; ++i) check(static_cast<std::int32_t>(rng.next()));
      for (int i = 0; i < 200; ++i) check(rng.uniform_int(-(1 << 20), 1 << 20));
    }
  }
  MESSAGE(checked << " values agree");
}

TEST_CASE("input_scale_20: ADD's 8-bit input scaling in 32-bit steps") {
  qtest::xorshift32 rng(20);
  long checked = 0;
  for (int shift = -31; shift <= 0; ++shift) {
    std::vector<std::int32_t> multipliers{1 << 30, (1 << 30) + 1, (1 << 30) + 2047, (1 << 30) + 2048, 3 << 29, int_max,
                                          int_max - 2047};
    for (int i = 0; i < 40; ++i) multipliers.push_back((1 << 30) + static_cast<std::int32_t>(rng.next() % (1u << 30)));
    for (const std::int32_t mult : multipliers) {
      const qf::quantized_multiplier m{mult, shift};
      REQUIRE(qf::has_input_scale_20(m));
      const qf::input_scale_20 s = qf::make_input_scale_20(m);
      for (std::int32_t v = -255; v <= 255; ++v) {
        INFO("v " << v << " multiplier " << mult << " shift " << shift);
        REQUIRE(qf::scale_input_20(s, v) == qf::multiply_by_quantized_multiplier(v * (1 << 20), m));
        ++checked;
      }
    }
  }
  // What it does not cover goes the general way.
  CHECK_FALSE(qf::has_input_scale_20({0, 0}));
  CHECK_FALSE(qf::has_input_scale_20({1 << 30, 1}));
  CHECK_FALSE(qf::has_input_scale_20({1 << 30, -32}));
  MESSAGE(checked << " values agree");
}

// The output zero point inside the rounding constant (what the
// compile-time path's AVX-512 epilogue does for right shifts up to 22): the
// int64 sum never leaves int64 (checked with overflow checks, at the ends of int32,
// the largest multiplier and both ends of the zero points) and shifts to the
// single rounding's value plus the zero point.
TEST_CASE("round_with_zero_point: the zero point inside the rounding, within int64") {
  long checked = 0;
  for (int shift = -qf::zero_point_in_round_max_right; shift <= 30; ++shift) {
    const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    const qf::single_rounding one = qf::single_rounding_of(right);
    for (const std::int32_t mult : {0, 1 << 30, int_max})
      for (const std::int32_t zp : {-128, -1, 0, 127, 255})
        for (const std::int32_t x : {int_min, int_min + 1, -1, 0, 1, int_max - 1, int_max}) {
          const auto a = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << left);
          const std::int64_t p = std::int64_t{a} * mult;
          const std::int64_t round = qf::round_with_zero_point(one, zp);
          // In the kernel's order: the rounding constant, then the negative
          // part; neither add may overflow.
          std::int64_t sum = 0;
          const bool overflow = __builtin_add_overflow(p, round, &sum) ||
                                __builtin_add_overflow(sum, p < 0 ? one.negative : 0, &sum);
          INFO("x " << x << " multiplier " << mult << " shift " << shift << " zero point " << zp);
          REQUIRE(!overflow);
          const auto got = static_cast<std::int32_t>(sum >> one.shift);
          const auto want = static_cast<std::int32_t>(
              static_cast<std::uint32_t>(qf::multiply_by_quantized_multiplier(x, {mult, shift})) + static_cast<std::uint32_t>(zp));
          REQUIRE(got == want);
          ++checked;
        }
  }
  MESSAGE(checked << " values agree");
}

// The float screen (core/fixed_point.hpp) of the AVX-512 epilogue: where it
// trusts its result, that is the exact one (plus the zero point), and
// clamped to the output type it always is. Accumulators are drawn next to
// the points where the exact result steps (its weak spots: the float lands
// within the screen's margin there), next to both ends of the type (where t
// leaves [256, 512)), at the ends of int32 and at random; every right shift
// 1..31, multipliers at both ends, zero points across the type's range.
template <class T>
void check_float_screen(long& checked, long& refused) {
  qtest::xorshift32 rng(31);
  constexpr std::int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const std::vector<std::int32_t> zero_points{static_cast<std::int32_t>(lo), static_cast<std::int32_t>(lo + 1),
                                              static_cast<std::int32_t>(lo + 121), static_cast<std::int32_t>(hi - 1),
                                              static_cast<std::int32_t>(hi)};
  for (int right = 1; right <= 31; ++right) {
    std::vector<std::int32_t> multipliers{1 << 30, int_max, (1 << 30) + 1};
    for (int i = 0; i < 12; ++i) multipliers.push_back((1 << 30) + static_cast<std::int32_t>(rng.next() % (1u << 30)));
    for (const std::int32_t mult : multipliers) {
      const qf::quantized_multiplier m{mult, -right};
      REQUIRE(qf::has_float_screen(m));
      const qf::float_screen s = qf::float_screen_of(m);
      const double scale = std::ldexp(static_cast<double>(mult), -(31 + right));
      for (const std::int32_t zp : zero_points) {
        std::vector<std::int32_t> accumulators{int_min, int_min + 1, -1, 0, 1, int_max - 1, int_max};
        for (int i = 0; i < 60; ++i) {
          // Next to the step to k: result + zp = k at a = (k - zp - 1/2 -
          // 2^-(r+1)) / scale (a >= 0; a little lower for a < 0).
          const std::int64_t kinds[] = {lo + static_cast<std::int64_t>(rng.next() % 260) - 2,
                                        lo + static_cast<std::int64_t>(rng.next() % 5) - 2,
                                        hi + static_cast<std::int64_t>(rng.next() % 5) - 2};
          const double k = static_cast<double>(kinds[rng.next() % 3]);
          const double at = (k - zp - 0.5 - std::ldexp(1.0, -(right + 1))) / scale;
          if (std::fabs(at) > 2.1e9) continue;
          const auto centre = static_cast<std::int64_t>(std::llround(at));
          for (std::int64_t d = -3; d <= 3; ++d)
            accumulators.push_back(static_cast<std::int32_t>(std::clamp<std::int64_t>(centre + d, int_min, int_max)));
        }
        for (int i = 0; i < 40; ++i) accumulators.push_back(static_cast<std::int32_t>(rng.next()));
        for (const std::int32_t a : accumulators) {
          const std::int64_t exact = std::int64_t{qf::multiply_by_quantized_multiplier(a, m)} + zp;
          const qf::screened_result got = qf::screened_requantize<T>(a, s, zp);
          ++checked;
          if (!got.trusted) {
            ++refused;
            continue;
          }
          INFO("a " << a << " multiplier " << mult << " right " << right << " zero point " << zp << " type "
                    << std::string(lo < 0 ? "int8" : "uint8"));
          // Inside the type but at its top, the result itself; at the top
          // and beyond, whatever clamps as the exact one does.
          if (exact >= lo && exact < hi) REQUIRE(got.value == exact);
          REQUIRE(std::clamp<std::int64_t>(got.value, lo, hi) == std::clamp(exact, lo, hi));
        }
      }
    }
  }
}

TEST_CASE("float screen: a trusted float result is the exact one") {
  long checked = 0, refused = 0;
  check_float_screen<std::int8_t>(checked, refused);
  check_float_screen<std::uint8_t>(checked, refused);
  // What it does not cover takes the integer steps.
  CHECK_FALSE(qf::has_float_screen({1 << 30, 0}));
  CHECK_FALSE(qf::has_float_screen({1 << 30, 1}));
  CHECK_FALSE(qf::has_float_screen({1 << 30, -32}));
  // The screen refuses some of these on purpose (they sit on its weak
  // spots: nearly half of the drawn ones), not all.
  CHECK(refused > 0);
  CHECK(refused < checked * 3 / 4);
  MESSAGE(checked << " accumulators, " << refused << " refused by the screen");
}

// kernels/add_screen.hpp: where the screen trusts its float result, that
// is TFLite's 8-bit ADD or SUB, for every pair of inputs of random layers
// (int8 and uint8, scales over 1e-6..1e3, the output's from 1/8 of the
// larger input's to 32 times it). The same screen without its margin (lo =
// hi always) must get some wrong: the check can fail.
TEST_CASE("ADD's float screen: a trusted float result is TFLite's, for every pair of 8-bit inputs") {
  qtest::xorshift32 rng(47);
  long layers = 0, usable = 0, checked = 0, refused = 0, wrong_without_margin = 0;
  for (int i = 0; i < 96; ++i) {
    const bool subtract = i % 2 == 1, is_uint8 = i % 4 >= 2;
    const int low = is_uint8 ? 0 : -128, high = is_uint8 ? 255 : 127;
    const float s1 = std::ldexp(rng.uniform(0.5f, 1.0f), rng.uniform_int(-20, 10));
    const float s2 = s1 * std::ldexp(rng.uniform(0.5f, 1.0f), rng.uniform_int(-6, 3));
    const float so = std::max(s1, s2) * std::ldexp(rng.uniform(0.5f, 1.0f), rng.uniform_int(-2, 5));
    const int z1 = rng.uniform_int(low, high), z2 = rng.uniform_int(low, high), zo = rng.uniform_int(low, high);
    const qf::add_params p = qf::make_add_params(s1, z1, s2, z2, so, zo, 20);
    const qf::kernels::add_screen s = qf::kernels::add_screen_of(p, subtract);
    ++layers;
    if (!s.usable) continue;
    ++usable;
    qf::kernels::add_screen blunt = s;
    blunt.low_positive = blunt.high_positive = (s.low_positive + s.high_positive) / 2;
    blunt.low_negative = blunt.high_negative = (s.low_negative + s.high_negative) / 2;
    const qf::int_range act{low, high};
    for (int x = low; x <= high; ++x)
      for (int y = low; y <= high; ++y) {
        const std::int32_t exact =
            is_uint8 ? (subtract ? qf::reference::add_one<true>(p, act, static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(y))
                                 : qf::reference::add_one(p, act, static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(y)))
                     : (subtract ? qf::reference::add_one<true>(p, act, static_cast<std::int8_t>(x), static_cast<std::int8_t>(y))
                                 : qf::reference::add_one(p, act, static_cast<std::int8_t>(x), static_cast<std::int8_t>(y)));
        const qf::screened_result got = qf::kernels::screened_add(x, y, s);
        ++checked;
        if (got.trusted) {
          INFO("layer " << i << " x " << x << " y " << y << (subtract ? " (SUB)" : " (ADD)"));
          REQUIRE(std::clamp(got.value, low, high) == exact);
        } else {
          ++refused;
        }
        if (std::clamp(qf::kernels::screened_add(x, y, blunt).value, low, high) != exact) ++wrong_without_margin;
      }
  }
  // Most layers have a screen, and it refuses a few lanes in a hundred.
  CHECK(usable > layers * 3 / 4);
  CHECK(refused > 0);
  CHECK(refused < checked / 20);
  CHECK(wrong_without_margin > 0);
  MESSAGE(usable << " of " << layers << " layers screened; " << refused << " of " << checked << " pairs refused; "
                 << wrong_without_margin << " wrong without the margin");
}

TEST_CASE("qscale stores every float exactly (scales from 1e-6 to 1e3 and beyond)") {
  qtest::xorshift32 rng(3);
  for (int i = 0; i < 50000; ++i) {
    const float f = std::ldexp(rng.uniform(0.5f, 1.0f), rng.uniform_int(-40, 20));
    CHECK(qf::qscale(f).value() == f);
  }
  for (float f : {1e-6f, 3.0517578125e-05f, 0.00390625f, 0.0078125f, 0.1f, 1.0f, 1e3f, 1.0f / 3.0f})
    CHECK(qf::qscale(f).value() == f);
  static_assert(qf::qscale(0.1f).value() == 0.1f);
  // A scale is its float: two spellings of one float are one type, the next
  // float up is another.
  static_assert(std::is_same_v<qf::per_tensor<0.1f, 0>, qf::per_tensor<1.0f / 10.0f, 0>>);
  static_assert(0.1f != 0.100000009f);
  static_assert(!std::is_same_v<qf::per_tensor<0.1f, 0>, qf::per_tensor<0.100000009f, 0>>);
}

TEST_CASE("gemmlowp exp_on_negative_values, tanh and logistic follow the real functions") {
  // Q5.26 input, Q0.31 output.
  for (double x = -31.9; x <= 0.0; x += 0.013) {
    const auto raw = static_cast<std::int32_t>(std::lround(x * (1 << 26)));
    const double got = qf::fixed::exp_on_negative_values<5>(raw) / 2147483648.0;
    CHECK(std::fabs(got - std::exp(raw / 67108864.0)) < 2e-6);
  }
  // Q4.27 input, Q0.31 output.
  for (double x = -15.9; x <= 15.9; x += 0.011) {
    const auto raw = static_cast<std::int32_t>(std::lround(x * (1 << 27)));
    const double in = raw / 134217728.0;
    CHECK(std::fabs(qf::fixed::tanh<4>(raw) / 2147483648.0 - std::tanh(in)) < 2e-6);
    CHECK(std::fabs(qf::fixed::logistic<4>(raw) / 2147483648.0 - 1.0 / (1.0 + std::exp(-in))) < 2e-6);
  }
}

TEST_CASE("activation ranges are TFLite's CalculateActivationRangeQuantized") {
  const auto relu6 = qf::quantized_activation_range<std::int8_t>(qf::activation::relu6, 0.05f, -10);
  CHECK(relu6.min == -10);
  CHECK(relu6.max == 110);
  const auto n1 = qf::quantized_activation_range<std::int8_t>(qf::activation::relu_n1_to_1, 0.1f, 120);
  CHECK(n1.min == 110);
  CHECK(n1.max == 127);  // 130 saturates
  const auto none = qf::quantized_activation_range<std::int8_t>(qf::activation::none, 1e3f, 0);
  CHECK(none.min == -128);
  CHECK(none.max == 127);
}

}  // namespace

}  // namespace fixed_point_test
