// qfence/core/tensor_type.hpp: dtype + shape + quantization, as one type.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/core/quantization.hpp"
#include "qfence/core/shape.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The type of a tensor: what every edge of a qfence graph carries. Two edges
/// are compatible only when their tensor types are identical.
///
///     using image = qfence::tensor<qfence::i8, qfence::shape<1, 96, 96, 1>,
///                                  qfence::per_tensor<0.0078125f, -1>>;
template <dtype D, class Shape, class Quant = no_quant>
struct tensor {
  static_assert(is_shape_v<Shape>, "qfence: tensor<D, Shape, Quant>: Shape must be qfence::shape<...>");
  static_assert(is_quant_attr_v<Quant>,
                "qfence: tensor<D, Shape, Quant>: Quant must be no_quant, per_tensor<...> or per_channel<...>");
  static_assert(!Quant::quantized || is_quantizable(D) || D == dtype::i32 || D == dtype::i64,
                "qfence: only integer tensors can carry quantization parameters");
  static_assert(Shape::elements <= 2147483647,
                "qfence: a tensor may have at most 2^31-1 elements: kernels index elements with 32-bit integers");

  static constexpr dtype type = D;
  using shape_type = Shape;
  using quant = Quant;
  using element = element_t<D>;
  static constexpr std::size_t rank = Shape::rank;
  static constexpr std::int64_t elements = Shape::elements;
  static constexpr std::size_t bytes = static_cast<std::size_t>(elements) * sizeof(element);
};

namespace detail {
template <class T> struct is_tensor : std::false_type {};
template <dtype D, class S, class Q> struct is_tensor<tensor<D, S, Q>> : std::true_type {};
}  // namespace detail

template <class T> inline constexpr bool is_tensor_v = detail::is_tensor<T>::value;

/// The same tensor with another dtype and quantization (used for the float view
/// inside a fence and for quantize/dequantize borders).
template <class T, dtype D, class Q = no_quant>
using retyped = tensor<D, typename T::shape_type, Q>;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
