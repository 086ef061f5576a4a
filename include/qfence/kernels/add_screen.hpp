// qfence/kernels/add_screen.hpp: the float screen of the 8-bit ADD and SUB
// (kernels/add-inl.hpp on AVX-512), and its scalar model for the tests.
//
// TFLite's 8-bit ADD rounds three times per element: each offset input
// X = x + o1, shifted left 20 bits, takes its multiplier (x1 = round(X S1),
// S1 = 2^20 m1 / 2^(31+r1)), and the sum raw = x1 + y1 takes the output's
// (out = floor(Mo raw + P + zo), core/fixed_point.hpp). In integer lanes that
// is about 40 instructions per vector; XNNPACK rounds once, in float, and is
// not exact. The screen computes, in float lanes,
//   s = fma(x, A1, y * A2)        A1 = S1 Mo = s1 / s_out, A2 = S2 Mo (-S2 Mo for SUB)
//   v = s + C,  C = o1 A1 + o2 A2 + P + zo
// which is within E of Mo raw + P + zo, the number whose floor is the exact
// result:
//   - the inputs' roundings: |x1 - X S1| <= 1/2 + 2^-(r1+1) <= 1, so they
//     move Mo raw by at most 2 Mo (about 2^-18);
//   - float: A1, A2 and C rounded once each, the product, the fma and the
//     add once each; every magnitude is bounded over all 8-bit inputs
//     (|x|, |y| <= 256), so E holds for every lane, clamped or not.
// lo = floor(v - D) and hi = floor(v + D) (D a power of two above E, at most
// 2^-9): where they agree that is the exact result; elsewhere (2D of the
// lanes, a few vectors in a hundred) the kernel takes the integer steps.
// P depends on the sign of raw (TFLite rounds ties away from zero): the
// kernel takes it from s + o1 A1 + o2 A2 < 0. Where that sign is wrong,
// |Mo raw| <= E + D, both P give floor = zo, and so do lo and hi (v lies
// within zo + 1/2 -+ (1/4 + E + D)). A layer whose bound E reaches 2^-9
// (output scale far below the inputs') has no screen (usable = false).
// fixed_point_test checks screened_add against reference::add_one for
// every pair of 8-bit inputs of random layers.
#pragma once

#include <cmath>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/reference/elementwise.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// The float screen's constants of one ADD or SUB (add_screen_of).
struct add_screen {
  bool usable = false;
  float input1 = 0, input2 = 0;  // A1, A2 (A2 negated for SUB)
  float negative_below = 0;      // s below this: raw < 0 (-(o1 A1 + o2 A2))
  float low_positive = 0, high_positive = 0;  // C -+ D for raw >= 0
  float low_negative = 0, high_negative = 0;  // the same for raw < 0
};

/// The screen of `p` (8-bit inputs, add_scales_in_32_bits), usable where the
/// output multiplier has a float screen (a right shift, no left shift) and
/// the error bound E (the file comment) stays below 2^-9.
inline add_screen add_screen_of(const add_params& p, bool subtract) noexcept {
  add_screen s;
  if (!add_scales_in_32_bits(p) || !has_float_screen(p.output)) return s;
  const auto power = [](int k) { return std::ldexp(1.0, k); };
  const int ro = -p.output.shift;
  const double mo = static_cast<double>(p.output.multiplier) / power(31 + ro);
  const auto input = [&](const quantized_multiplier& m) {
    return power(20) * static_cast<double>(m.multiplier) / power(31 - m.shift) * mo;
  };
  const double a1 = input(p.input1), a2 = (subtract ? -1.0 : 1.0) * input(p.input2);
  const double offset = p.input1_offset * a1 + p.input2_offset * a2;
  const double positive = 0.5 + 1.0 / power(ro + 1), negative = positive - 1.0 / power(ro);
  // The bound E of the file comment, with every magnitude at its largest.
  const double u = 1.0 / power(24), x_max = 256;
  const double s_max = x_max * (std::fabs(a1) + std::fabs(a2));
  const double c_max = std::fabs(offset) + 1.0 + std::fabs(static_cast<double>(p.output_offset));
  const double float_error =
      u * (x_max * (std::fabs(a1) + 2 * std::fabs(a2)) + 2 * s_max + 2 * c_max + 1.0) * 1.001;
  const double error = float_error + 2.0 * mo;
  if (s_max + c_max >= power(30)) return s;
  int k = 12;
  while (k >= 9 && error >= 1.0 / power(k)) --k;
  if (k < 9) return s;
  const double d = 1.0 / power(k);
  const double z = p.output_offset;
  s.usable = true;
  s.input1 = static_cast<float>(a1);
  s.input2 = static_cast<float>(a2);
  s.negative_below = static_cast<float>(-offset);
  s.low_positive = static_cast<float>(offset + positive + z - d);
  s.high_positive = static_cast<float>(offset + positive + z + d);
  s.low_negative = static_cast<float>(offset + negative + z - d);
  s.high_negative = static_cast<float>(offset + negative + z + d);
  return s;
}

/// One lane of the screened ADD as the kernel computes it (x, y: the 8-bit
/// inputs as they are): the result before the clamp, and whether the screen
/// trusts it. std::fma rounds once, as vfmadd does.
inline screened_result screened_add(std::int32_t x, std::int32_t y, const add_screen& s) noexcept {
  const float product = static_cast<float>(y) * s.input2;
  const float sum = std::fma(static_cast<float>(x), s.input1, product);
  const bool negative = sum < s.negative_below;
  const auto lo = static_cast<std::int32_t>(std::floor(sum + (negative ? s.low_negative : s.low_positive)));
  const auto hi = static_cast<std::int32_t>(std::floor(sum + (negative ? s.high_negative : s.high_positive)));
  return {lo, lo == hi};
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
