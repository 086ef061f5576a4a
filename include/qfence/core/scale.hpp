// qfence/core/scale.hpp: a float32 quantization scale usable as a template
// argument.
#pragma once

#include <bit>
#include <cstdint>
#include <initializer_list>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// A float32 scale stored as a decimal `significand * 10^exponent10`.
///
/// Why not `float` directly: Clang 14 does not accept floating-point template
/// arguments. Why decimal rather than the raw bits: these values appear in
/// compiler diagnostics (`per_tensor<{5, -1}, 3>` reads as 0.5; the bits
/// 1056964608 do not). The decimal is the shortest (at most 10 digits) that
/// converts back to exactly the same float, so nothing is lost: `value()` is
/// bit-identical to the float you wrote.
struct qscale {
  std::int64_t significand;
  int exponent10;

  constexpr qscale(float f) : significand(0), exponent10(0) {  // NOLINT: implicit by design
    if (!(f > 0.0f) || f != f || f > 3.0e38f) {
      // Scales are positive and finite in every quantization scheme qfence
      // supports; a bad one is a user error caught here at compile time.
      throw "qfence: a quantization scale must be a positive, finite float";
    }
    // Normalise f into [1e8, 1e9) * 10^e with exact double arithmetic on the
    // way, then search the shortest significand that round-trips.
    int e = 0;
    double d = static_cast<double>(f);
    while (d >= 1e9) { d /= 10.0; ++e; }
    while (d < 1e8) { d *= 10.0; --e; }
    // d now approximates f / 10^e with 9 significant digits.
    for (int digits = 1; digits <= 10; ++digits) {
      const int drop = 9 - digits;  // digits of the 9 we discard (negative: add)
      const int e10 = e + drop;
      const double scaled = scale_by_pow10(static_cast<double>(f), -e10);
      const auto base = static_cast<std::int64_t>(scaled + 0.5);
      for (std::int64_t candidate : {base, base - 1, base + 1}) {
        if (candidate > 0 && to_float(candidate, e10) == f) {
          significand = candidate;
          exponent10 = e10;
          return;
        }
      }
    }
    throw "qfence: internal error: no decimal form of this scale round-trips";
  }

  constexpr float value() const noexcept { return to_float(significand, exponent10); }
  constexpr operator float() const noexcept { return value(); }  // NOLINT
  friend constexpr bool operator==(const qscale&, const qscale&) = default;

 private:
  // 10^k for 0 <= k <= 22 is exact in double.
  static constexpr double pow10_exact(int k) noexcept {
    double r = 1.0;
    for (int i = 0; i < k; ++i) r *= 10.0;
    return r;
  }
  static constexpr double scale_by_pow10(double x, int k) noexcept {
    while (k > 22) { x *= pow10_exact(22); k -= 22; }
    while (k < -22) { x /= pow10_exact(22); k += 22; }
    return k >= 0 ? x * pow10_exact(k) : x / pow10_exact(-k);
  }
  static constexpr float to_float(std::int64_t m, int e10) noexcept {
    return static_cast<float>(scale_by_pow10(static_cast<double>(m), e10));
  }
};

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
