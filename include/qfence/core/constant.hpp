// qfence/core/constant.hpp: a typed handle on read-only tensor data (weights,
// biases).
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/tensor_type.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Weights or bias of a layer: the tensor type is compile-time, the data is a
/// pointer to read-only memory that outlives the model (a `constexpr` array,
/// or embedded bytes from a generated header).
template <class Tensor>
struct constant {
  static_assert(is_tensor_v<Tensor>, "qfence: constant<T>: T must be a qfence::tensor<...>");
  using type = Tensor;
  const typename Tensor::element* data;
};

/// Wrap a `constexpr` array as a constant of type `Tensor`; the element count
/// is checked at compile time.
template <class Tensor, class E, std::size_t N>
constexpr constant<Tensor> make_constant(const std::array<E, N>& values) noexcept {
  static_assert(std::is_same_v<E, typename Tensor::element>,
                "qfence: make_constant<T>(array): the array's element type is not T's element type");
  static_assert(static_cast<std::int64_t>(N) == Tensor::elements,
                "qfence: make_constant<T>(array): the array's length differs from the element count of T's shape");
  return {values.data()};
}

/// Wrap a `constexpr` C array (e.g. a generated header's weights). A
/// string literal's terminating NUL may be the one extra element.
template <class Tensor, class E, std::size_t N>
constexpr constant<Tensor> make_constant(const E (&values)[N]) noexcept {
  static_assert(std::is_same_v<E, typename Tensor::element>,
                "qfence: make_constant<T>(array): the array's element type is not T's element type");
  static_assert(static_cast<std::int64_t>(N) == Tensor::elements || static_cast<std::int64_t>(N) == Tensor::elements + 1,
                "qfence: make_constant<T>(array): the array's length differs from the element count of T's shape");
  return {values};
}

/// Wrap raw data (e.g. a std::vector's) whose length the caller vouches for.
template <class Tensor, class Pointer>
  requires std::is_convertible_v<Pointer, const typename Tensor::element*> && (!std::is_array_v<Pointer>)
constexpr constant<Tensor> make_constant(Pointer data) noexcept {
  return {data};
}

namespace detail {
template <class T> struct is_constant : std::false_type {};
template <class T> struct is_constant<constant<T>> : std::true_type {};
}  // namespace detail
template <class T> inline constexpr bool is_constant_v = detail::is_constant<T>::value;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
