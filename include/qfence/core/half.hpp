// qfence/core/half.hpp: IEEE binary16 <-> binary32, exactly and at compile
// time.
//
// qfence stores float16 weights (TFLite's float16 scheme) and widens them to
// f32 before any arithmetic, as TFLite's DEQUANTIZE does. Widening is exact.
// Narrowing rounds to nearest, ties to even, as the hardware (F16C's
// VCVTPS2PH with rounding mode 0) and TFLite's converter (Eigen::half) do:
// values beyond the largest half (65504) round to infinity, tiny ones to
// subnormals or signed zero, NaN stays NaN (quiet, with its sign).
// Both are bit manipulation on std::bit_cast, so they are constexpr and
// give the same bits on every target.
#pragma once

#include <bit>
#include <cstdint>

#include "qfence/core/dtype.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The f32 value of a half (exact: every half is a float).
constexpr float to_float(half h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h.bits & 0x8000u) << 16;
  const std::uint32_t exponent = (h.bits >> 10) & 0x1Fu;
  std::uint32_t mantissa = h.bits & 0x3FFu;
  if (exponent == 0x1F)  // infinity or NaN: keep the payload, widened
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  if (mantissa == 0) return std::bit_cast<float>(sign);  // signed zero
  // Subnormal: normalise. The value is mantissa * 2^-24.
  std::uint32_t e = 113;  // the exponent of 2^-14, biased for f32
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    --e;
  }
  return std::bit_cast<float>(sign | (e << 23) | ((mantissa & 0x3FFu) << 13));
}

/// The half nearest to `f`, ties to even.
constexpr half to_half(float f) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t exponent = (x >> 23) & 0xFFu;
  const std::uint32_t mantissa = x & 0x7FFFFFu;
  if (exponent == 0xFF)  // infinity, or NaN made quiet so that it cannot become infinity
    return {static_cast<std::uint16_t>(sign | 0x7C00u | (mantissa != 0 ? 0x200u | (mantissa >> 13) : 0u))};
  const int e = static_cast<int>(exponent) - 127;  // unbiased
  if (e > 15) return {static_cast<std::uint16_t>(sign | 0x7C00u)};
  // The value's significand with its implicit bit, and how far it must move
  // right to land on the half's last place (2^-24 below 2^-14, else
  // 2^(e-10)).
  const std::uint32_t significand = exponent == 0 ? mantissa : (mantissa | 0x800000u);
  const int shift = e < -14 ? 13 + (-14 - e) : 13;
  if (shift > 24 + 1) return {sign};  // below half of the smallest subnormal: zero
  const std::uint32_t kept = significand >> shift;
  const std::uint32_t rest = significand & ((1u << shift) - 1u);
  const std::uint32_t halfway = 1u << (shift - 1);
  std::uint32_t rounded = kept + ((rest > halfway || (rest == halfway && (kept & 1u) != 0)) ? 1u : 0u);
  // Normal results: add the exponent; a carry out of the mantissa moves the
  // exponent up by one on its own (and 65520 and beyond become infinity).
  if (e >= -14) rounded += static_cast<std::uint32_t>(e + 14) << 10;
  return {static_cast<std::uint16_t>(sign | rounded)};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
