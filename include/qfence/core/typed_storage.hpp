// qfence/core/typed_storage.hpp: how tensors of different types share the
// bytes of one arena without breaking C++'s object model.
//
// The decision (docs/architecture.md, "Arena memory"): an arena is storage
// (an array of std::byte), and the memory plan lets a tensor of one type
// reuse bytes that held a tensor of another. Reading an int8 tensor through a
// float* that aliases it is undefined behaviour the optimiser exploits
// (type-based alias analysis), and qfence does not ask its users for
// -fno-strict-aliasing. So:
//   - whoever writes a tensor first begins the lifetime of a T[n] array in its
//     bytes (`begin_lifetime`): a placement new with default initialisation,
//     which emits no code and ends whatever object lived there before;
//   - whoever reads it reaches that array (`object_at`, laundered).
// No other code turns arena bytes into typed pointers; the repository test
// `typed_storage` (tests/repository/typed_storage.py) fails the build when a
// reinterpret_cast of arena bytes appears anywhere else.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/dtype.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::detail {

/// Starts the lifetime of `n` objects of type T at `p` (their values are
/// indeterminate: the caller writes them next) and returns the first.
template <class T>
T* begin_lifetime(std::byte* p, std::size_t n) noexcept {
  static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>,
                "qfence: tensor elements are trivial types");
  if (n == 0) return std::launder(reinterpret_cast<T*>(p));
  return ::new (static_cast<void*>(p)) T[n];
}

/// The T array that lives at `p` (begun by `begin_lifetime`, by the arena's
/// creation for inputs, or by the application's own writes).
/// (T may be void: an untyped pointer, e.g. for scratch space.)
template <class T>
T* object_at(std::byte* p) noexcept {
  if constexpr (std::is_void_v<T>) return p;
  else return std::launder(reinterpret_cast<T*>(p));
}
template <class T>
const T* object_at(const std::byte* p) noexcept {
  if constexpr (std::is_void_v<T>) return p;
  else return std::launder(reinterpret_cast<const T*>(p));
}

/// begin_lifetime for a dtype known at run time (the runtime path, before
/// each kernel writes its outputs). Emits no code.
inline void begin_lifetime_as(dtype d, std::byte* p, std::size_t n) noexcept {
  switch (d) {
    case dtype::f32: begin_lifetime<element_t<dtype::f32>>(p, n); return;
    case dtype::f16: begin_lifetime<element_t<dtype::f16>>(p, n); return;
    case dtype::i8: begin_lifetime<element_t<dtype::i8>>(p, n); return;
    case dtype::u8: begin_lifetime<element_t<dtype::u8>>(p, n); return;
    case dtype::i16: begin_lifetime<element_t<dtype::i16>>(p, n); return;
    case dtype::i32: begin_lifetime<element_t<dtype::i32>>(p, n); return;
    case dtype::u16: begin_lifetime<element_t<dtype::u16>>(p, n); return;
    case dtype::u32: begin_lifetime<element_t<dtype::u32>>(p, n); return;
    case dtype::i64: begin_lifetime<element_t<dtype::i64>>(p, n); return;
    case dtype::u64: begin_lifetime<element_t<dtype::u64>>(p, n); return;
    case dtype::boolean: begin_lifetime<element_t<dtype::boolean>>(p, n); return;
  }
}

}  // namespace qfence::detail

QFENCE_EXACT_FLOAT_END
