// qfence/kernels/reference/arithmetic.hpp: reference kernel code of arithmetic
// (moved from ops/arithmetic.hpp, which keeps the typed node). The arithmetic is
// TFLite's reference kernels' (docs/numerics.md); both paths run it.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "qfence/core/activation.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The element-wise functions of DIV, FLOOR_DIV, FLOOR_MOD, MAXIMUM, MINIMUM
/// and int32 ADD/SUB/MUL: op tags that name the op and carry its
/// arithmetic. A tag with `scalar_only` has no vector form
/// (kernels/arithmetic-inl.hpp): every target runs its reference loop.
namespace op {
struct div {
  static constexpr const char* name = "div";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
      return a / b;
    } else {
      // A zero divisor is a run-time error in TFLite; here it yields 0.
      return b == 0 ? T{0} : (a == std::numeric_limits<T>::min() && b == -1 ? a : static_cast<T>(a / b));
    }
  }
};
struct floor_div {
  static constexpr const char* name = "floor_div";
  /// TFLite's FloorDiv: floor(a / b) in double.
  template <class T>
  static T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(std::floor(static_cast<double>(a) / static_cast<double>(b)));
    } else {
      if (b == 0) return T{0};  // a run-time error in TFLite
      const double q = std::floor(static_cast<double>(a) / static_cast<double>(b));
      return q >= static_cast<double>(std::numeric_limits<T>::max()) ? std::numeric_limits<T>::max()
                                                                      : static_cast<T>(q);
    }
  }
};
struct floor_mod {
  static constexpr const char* name = "floor_mod";
  /// Highway has no remainder; fmod's exact result has no short vector form.
  static constexpr bool scalar_only = true;
  /// TFLite's FloorMod: the truncated remainder (std::fmod of floats, % of
  /// integers), moved to the divisor's sign.
  template <class T>
  static T apply(T a, T b) noexcept {
    T r;
    if constexpr (std::is_floating_point_v<T>) {
      r = std::fmod(a, b);
    } else {
      if (b == 0) return T{0};  // a run-time error in TFLite
      if (b == -1) return T{0};  // INT_MIN % -1 overflows in C++; the remainder is 0
      r = static_cast<T>(a % b);
    }
    return r != 0 && ((b < 0) != (r < 0)) ? static_cast<T>(r + b) : r;
  }
};
/// LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT on bool tensors.
struct logical_and {
  static constexpr const char* name = "logical_and";
  static constexpr bool apply(bool a, bool b) noexcept { return a && b; }
};
struct logical_or {
  static constexpr const char* name = "logical_or";
  static constexpr bool apply(bool a, bool b) noexcept { return a || b; }
};
struct logical_not {
  static constexpr const char* name = "logical_not";
  static constexpr bool apply(bool a) noexcept { return !a; }
};
struct maximum {
  static constexpr const char* name = "maximum";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    return a > b ? a : b;
  }
};
struct minimum {
  static constexpr const char* name = "minimum";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    return a < b ? a : b;
  }
};
/// ADD/SUB/MUL of unquantized values: int32 wraps as on two's-complement
/// hardware (TFLite does not saturate it; computed in unsigned to stay
/// defined); float is IEEE arithmetic (the float ADD, SUB, MUL nodes run
/// these too, through kernels::plain_arithmetic).
struct int_add {
  static constexpr const char* name = "add";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) return a + b;
    else return static_cast<T>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
  }
};
struct int_sub {
  static constexpr const char* name = "sub";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) return a - b;
    else return static_cast<T>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
  }
};
struct int_mul {
  static constexpr const char* name = "mul";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) return a * b;
    else return static_cast<T>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
  }
};
struct cast {
  static constexpr const char* name = "cast";
};
}  // namespace op

namespace reference {

/// out = clamp(Op(a, b)) over a broadcast; `lo`/`hi` are the fused
/// activation's bounds in the element type.
template <class Op, class T>
inline void arithmetic(const broadcast_geometry& g, const T* a, const T* b, T lo, T hi, T* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) {
    const T v = Op::apply(a[ia], b[ib]);
    out[o] = v < lo ? lo : (v > hi ? hi : v);
  });
}

/// LOGICAL_NOT of n bools.
inline void logical_not(std::int64_t n, const bool* in, bool* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = op::logical_not::apply(in[i]);
}

/// CAST as TFLite's copyCast (a static_cast), except that out-of-range float
/// to integer conversions, undefined in C++, saturate (NaN gives 0).
template <class From, class To>
inline void cast(std::int64_t n, const From* in, To* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<To, bool>) {
      out[i] = in[i] != From{};
    } else if constexpr (std::is_floating_point_v<From> && !std::is_floating_point_v<To>) {
      const double v = static_cast<double>(in[i]);
      out[i] = v != v                                                   ? To{}
               : v <= static_cast<double>(std::numeric_limits<To>::lowest()) ? std::numeric_limits<To>::lowest()
               : v >= static_cast<double>(std::numeric_limits<To>::max())    ? std::numeric_limits<To>::max()
                                                                             : static_cast<To>(v);
    } else {
      out[i] = static_cast<To>(in[i]);
    }
  }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
