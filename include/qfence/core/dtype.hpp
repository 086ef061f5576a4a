// qfence/core/dtype.hpp: the element types a tensor can hold.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Element type of a tensor. The names follow NumPy/TFLite habits; `boolean`
/// is spelt out because `bool` is a keyword. The unsigned wide types are the
/// audio front end's (TFLM's signal library: energies in u32, filter-bank sums
/// in u64); no quantized activation uses them.
enum class dtype : std::uint8_t { f32, f16, i8, u8, i16, u16, i32, u32, i64, u64, boolean };

inline constexpr dtype f32 = dtype::f32;
inline constexpr dtype f16 = dtype::f16;
inline constexpr dtype i8 = dtype::i8;
inline constexpr dtype u8 = dtype::u8;
inline constexpr dtype i16 = dtype::i16;
inline constexpr dtype u16 = dtype::u16;
inline constexpr dtype i32 = dtype::i32;
inline constexpr dtype u32 = dtype::u32;
inline constexpr dtype i64 = dtype::i64;
inline constexpr dtype u64 = dtype::u64;
inline constexpr dtype boolean = dtype::boolean;

/// IEEE binary16 storage. qfence never computes in half precision: f16 tensors
/// are weights that are widened to f32 (as TFLite does for float16 models).
struct half {
  std::uint16_t bits;
};

template <dtype D> struct dtype_traits;
template <> struct dtype_traits<dtype::f32> { using type = float; };
template <> struct dtype_traits<dtype::f16> { using type = half; };
template <> struct dtype_traits<dtype::i8> { using type = std::int8_t; };
template <> struct dtype_traits<dtype::u8> { using type = std::uint8_t; };
template <> struct dtype_traits<dtype::i16> { using type = std::int16_t; };
template <> struct dtype_traits<dtype::u16> { using type = std::uint16_t; };
template <> struct dtype_traits<dtype::i32> { using type = std::int32_t; };
template <> struct dtype_traits<dtype::u32> { using type = std::uint32_t; };
template <> struct dtype_traits<dtype::i64> { using type = std::int64_t; };
template <> struct dtype_traits<dtype::u64> { using type = std::uint64_t; };
template <> struct dtype_traits<dtype::boolean> { using type = bool; };

/// The C++ type that stores one element of dtype `D`.
template <dtype D> using element_t = typename dtype_traits<D>::type;

constexpr std::string_view name(dtype d) noexcept {
  switch (d) {
    case dtype::f32: return "f32";
    case dtype::f16: return "f16";
    case dtype::i8: return "i8";
    case dtype::u8: return "u8";
    case dtype::i16: return "i16";
    case dtype::i32: return "i32";
    case dtype::u16: return "u16";
    case dtype::u32: return "u32";
    case dtype::i64: return "i64";
    case dtype::u64: return "u64";
    case dtype::boolean: return "bool";
  }
  return "?";
}

constexpr std::size_t size_of(dtype d) noexcept {
  switch (d) {
    case dtype::f32: return 4;
    case dtype::f16: return 2;
    case dtype::i8: return 1;
    case dtype::u8: return 1;
    case dtype::i16: return 2;
    case dtype::i32: return 4;
    case dtype::u16: return 2;
    case dtype::u32: return 4;
    case dtype::i64: return 8;
    case dtype::u64: return 8;
    case dtype::boolean: return 1;
  }
  return 0;
}

/// The C++ spelling of element_t<d>, for messages.
constexpr std::string_view element_name(dtype d) noexcept {
  switch (d) {
    case dtype::f32: return "float";
    case dtype::f16: return "qfence::half";
    case dtype::i8: return "std::int8_t";
    case dtype::u8: return "std::uint8_t";
    case dtype::i16: return "std::int16_t";
    case dtype::i32: return "std::int32_t";
    case dtype::u16: return "std::uint16_t";
    case dtype::u32: return "std::uint32_t";
    case dtype::i64: return "std::int64_t";
    case dtype::u64: return "std::uint64_t";
    case dtype::boolean: return "bool";
  }
  return "?";
}

/// Whether T is the C++ type that stores one element of dtype `d`, for typed
/// access to tensors whose dtype is known only at run time.
template <class T>
constexpr bool holds_element(dtype d) noexcept {
  using U = std::remove_cv_t<T>;
  switch (d) {
    case dtype::f32: return std::is_same_v<U, element_t<dtype::f32>>;
    case dtype::f16: return std::is_same_v<U, element_t<dtype::f16>>;
    case dtype::i8: return std::is_same_v<U, element_t<dtype::i8>>;
    case dtype::u8: return std::is_same_v<U, element_t<dtype::u8>>;
    case dtype::i16: return std::is_same_v<U, element_t<dtype::i16>>;
    case dtype::i32: return std::is_same_v<U, element_t<dtype::i32>>;
    case dtype::u16: return std::is_same_v<U, element_t<dtype::u16>>;
    case dtype::u32: return std::is_same_v<U, element_t<dtype::u32>>;
    case dtype::i64: return std::is_same_v<U, element_t<dtype::i64>>;
    case dtype::u64: return std::is_same_v<U, element_t<dtype::u64>>;
    case dtype::boolean: return std::is_same_v<U, element_t<dtype::boolean>>;
  }
  return false;
}

constexpr bool is_float(dtype d) noexcept { return d == dtype::f32 || d == dtype::f16; }

/// Integer dtypes that carry quantized activations.
constexpr bool is_quantizable(dtype d) noexcept {
  return d == dtype::i8 || d == dtype::u8 || d == dtype::i16;
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
