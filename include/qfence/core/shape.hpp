// qfence/core/shape.hpp: compile-time shapes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// A compile-time shape, outermost dimension first (TFLite's NHWC for images).
/// `shape<>` is a scalar.
template <int... Dims>
struct shape {
  static_assert(((Dims >= 0) && ...), "qfence: shape dimensions must be non-negative");
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::array<int, rank> dims{Dims...};
  static constexpr std::int64_t elements = (std::int64_t{1} * ... * std::int64_t{Dims});

  /// Dimension `i`; negative `i` counts from the back like Python. Out of
  /// range gives 0, so that type rules can name dimensions before they have
  /// checked the rank (and then report a rank error, not an array overrun).
  static constexpr int dim(int i) noexcept {
    const int k = i < 0 ? i + static_cast<int>(rank) : i;
    if (k < 0 || k >= static_cast<int>(rank)) return 0;
    if constexpr (rank == 0) {
      return 0;
    } else {
      return dims[static_cast<std::size_t>(k)];
    }
  }
};

namespace detail {
template <class T> struct is_shape : std::false_type {};
template <int... D> struct is_shape<shape<D...>> : std::true_type {};

template <std::size_t N, std::array<int, N> A, class Seq> struct shape_from_array_impl;
template <std::size_t N, std::array<int, N> A, std::size_t... I>
struct shape_from_array_impl<N, A, std::index_sequence<I...>> {
  using type = shape<A[I]...>;
};
}  // namespace detail

template <class T> inline constexpr bool is_shape_v = detail::is_shape<T>::value;

/// `shape<...>` whose dimensions are the elements of a constexpr array. Used
/// by shape rules, which compute dimensions with ordinary constexpr code.
template <auto A>
using shape_from_array =
    typename detail::shape_from_array_impl<A.size(), A, std::make_index_sequence<A.size()>>::type;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
