// qfence/tflite/tensor_type.hpp: TFLite TensorType codes <-> qfence dtypes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/dtype.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite {

/// The format's TensorType codes.
enum class tensor_type : std::int8_t {
  float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, boolean = 6, int16 = 7,
  complex64 = 8, int8 = 9, float64 = 10, complex128 = 11, uint64 = 12, resource = 13, variant = 14,
  uint32 = 15, uint16 = 16, int4 = 17,
};

inline std::string tensor_type_name(std::int8_t code) {
  static constexpr const char* names[] = {"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING",
                                          "BOOL",    "INT16",   "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128",
                                          "UINT64",  "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4"};
  if (code >= 0 && code < static_cast<std::int8_t>(std::size(names))) return names[code];
  return "TensorType(" + std::to_string(code) + ")";
}

/// The qfence dtype of a TFLite TensorType, or nothing for the types qfence
/// does not run (strings, complex numbers, resources, ...).
inline std::optional<dtype> to_dtype(std::int8_t code) {
  switch (static_cast<tensor_type>(code)) {
    case tensor_type::float32: return dtype::f32;
    case tensor_type::float16: return dtype::f16;
    case tensor_type::int32: return dtype::i32;
    case tensor_type::uint8: return dtype::u8;
    case tensor_type::int64: return dtype::i64;
    case tensor_type::boolean: return dtype::boolean;
    case tensor_type::int16: return dtype::i16;
    case tensor_type::int8: return dtype::i8;
    case tensor_type::uint16: return dtype::u16;
    case tensor_type::uint32: return dtype::u32;
    case tensor_type::uint64: return dtype::u64;
    default: return std::nullopt;
  }
}

/// For a TensorType qfence does not run: a dtype of the same element size
/// to stand in for it (the tensor is described, not run), and whether there
/// is one (strings, variants and 4-bit values have none).
inline std::optional<dtype> same_size_stand_in(std::int8_t code) {
  switch (static_cast<tensor_type>(code)) {
    case tensor_type::float64:
    case tensor_type::complex64: return dtype::i64;
    default: return std::nullopt;
  }
}

inline std::int8_t to_tensor_type(dtype d) {
  switch (d) {
    case dtype::f32: return 0;
    case dtype::f16: return 1;
    case dtype::i32: return 2;
    case dtype::u8: return 3;
    case dtype::i64: return 4;
    case dtype::boolean: return 6;
    case dtype::i16: return 7;
    case dtype::i8: return 9;
    case dtype::u64: return 12;
    case dtype::u32: return 15;
    case dtype::u16: return 16;
  }
  return -1;
}

}  // namespace qfence::tflite

QFENCE_EXACT_FLOAT_END
