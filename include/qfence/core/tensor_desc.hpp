// qfence/core/tensor_desc.hpp: a tensor's type as a value.
//
// The two paths describe tensors differently: the compile-time path with
// types (`tensor<i8, shape<1, 8>, per_tensor<0.5f, 3>>`), the runtime path
// with a `runtime::tensor` read from a file. The op rules (qfence/rules/)
// are written once, as constexpr functions over this plain description, and
// both paths describe their operands with it before asking a rule. So an op
// accepts and rejects the same operands, and infers the same output, on
// both paths (docs/architecture.md, "One rule per op").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/dtype.hpp"
#include "qfence/core/quantization.hpp"
#include "qfence/core/shape.hpp"
#include "qfence/core/tensor_type.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// The largest rank either path handles (TFLite's reader limit).
inline constexpr int max_rank = 8;

/// The most elements a tensor may have on either path: kernels index
/// elements with 32-bit integers (the reader and tensor<> check it).
inline constexpr std::int64_t max_tensor_elements = 2147483647;

enum class quant_kind : std::uint8_t { none, per_tensor, per_channel };

/// What the rules need to know about a tensor's quantization: its kind, the
/// per-tensor (or first channel's) scale and zero point, and for per-channel
/// quantization the channel count, the axis and whether every zero point is 0.
struct quant_desc {
  quant_kind kind = quant_kind::none;
  float scale = 0.0f;
  std::int32_t zero_point = 0;
  std::int64_t channels = 0;  // 0 unquantized, 1 per tensor, N per channel
  int axis = -1;              // per channel only
  bool symmetric = true;      // every zero point is 0

  constexpr bool quantized() const noexcept { return kind != quant_kind::none; }
  constexpr bool per_channel() const noexcept { return kind == quant_kind::per_channel; }
  constexpr bool per_tensor() const noexcept { return kind == quant_kind::per_tensor; }
  friend constexpr bool operator==(const quant_desc&, const quant_desc&) = default;

  static constexpr quant_desc tensor(float scale, std::int32_t zero_point) noexcept {
    return {quant_kind::per_tensor, scale, zero_point, 1, -1, zero_point == 0};
  }
};

struct tensor_desc {
  dtype type = dtype::f32;
  int rank = 0;
  std::array<std::int64_t, max_rank> dims{};
  quant_desc quant{};

  /// Dimension `i`; negative `i` counts from the back. Out of range gives 0,
  /// so a rule can name a dimension before it has checked the rank.
  constexpr std::int64_t dim(int i) const noexcept {
    const int k = i < 0 ? i + rank : i;
    return k < 0 || k >= rank ? 0 : dims[static_cast<std::size_t>(k)];
  }
  constexpr std::int64_t elements() const noexcept {
    std::int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= dims[static_cast<std::size_t>(d)];
    return n;
  }
  constexpr bool same_shape(const tensor_desc& o) const noexcept {
    if (rank != o.rank) return false;
    for (int d = 0; d < rank; ++d)
      if (dims[static_cast<std::size_t>(d)] != o.dims[static_cast<std::size_t>(d)]) return false;
    return true;
  }
  /// Same dtype and quantization (a copy needs no rescaling).
  constexpr bool same_kind(const tensor_desc& o) const noexcept { return type == o.type && quant == o.quant; }
  friend constexpr bool operator==(const tensor_desc& a, const tensor_desc& b) noexcept {
    return a.same_kind(b) && a.same_shape(b);
  }

  /// This tensor with another shape (dims beyond `r` are zeroed).
  template <class Dims>
  constexpr tensor_desc reshaped(int r, const Dims& d) const noexcept {
    tensor_desc t = *this;
    t.rank = r;
    t.dims = {};
    for (int i = 0; i < r; ++i) t.dims[static_cast<std::size_t>(i)] = d[static_cast<std::size_t>(i)];
    return t;
  }
  constexpr tensor_desc retyped(dtype d, quant_desc q = {}) const noexcept {
    tensor_desc t = *this;
    t.type = d;
    t.quant = q;
    return t;
  }
};

/// A tensor as rows along its last dimension (SOFTMAX, LOG_SOFTMAX and
/// L2_NORMALIZATION work row by row): `outer` rows of `depth` values.
struct last_axis_rows {
  int outer = 0, depth = 0;
};

constexpr last_axis_rows rows_along_last_axis(const tensor_desc& t) noexcept {
  const auto depth = static_cast<int>(t.dim(-1));
  return {depth == 0 ? 0 : static_cast<int>(t.elements() / depth), depth};
}

/// An operand a node may omit (a bias). A flag, not a pointer: GCC's
/// sanitizer builds cannot compare a static object's address with null in a
/// constant expression.
struct optional_desc {
  bool present = false;
  tensor_desc desc{};
};

/// The description of a compile-time quantization attribute.
template <class Q>
constexpr quant_desc describe_quant() noexcept {
  if constexpr (!Q::quantized) {
    return {};
  } else if constexpr (!Q::is_per_channel) {
    return quant_desc::tensor(Q::scale, Q::zero_point);
  } else {
    quant_desc q{quant_kind::per_channel, Q::scale_at(0), Q::zero_point_at(0),
                 static_cast<std::int64_t>(Q::channels), Q::axis, true};
    for (std::size_t c = 0; c < Q::channels; ++c) q.symmetric = q.symmetric && Q::zero_point_at(c) == 0;
    return q;
  }
}

/// The description of a compile-time tensor type.
template <class T>
constexpr tensor_desc describe() noexcept {
  tensor_desc t;
  t.type = T::type;
  t.rank = static_cast<int>(T::rank);
  for (int d = 0; d < t.rank; ++d) t.dims[static_cast<std::size_t>(d)] = T::shape_type::dim(d);
  t.quant = describe_quant<typename T::quant>();
  return t;
}

namespace detail {
template <class Holder, class Seq> struct desc_type_impl;
template <class Holder, std::size_t... I>
struct desc_type_impl<Holder, std::index_sequence<I...>> {
  static constexpr const tensor_desc& d = Holder::value;
  using quant = std::conditional_t<
      d.quant.kind == quant_kind::per_tensor,
      per_tensor<qscale(d.quant.kind == quant_kind::per_tensor ? d.quant.scale : 1.0f), d.quant.zero_point>,
      std::conditional_t<d.quant.kind == quant_kind::per_channel, per_channel_scales<d.quant.channels, d.quant.axis>,
                         no_quant>>;
  using type = tensor<d.type, shape<static_cast<int>(d.dims[I])...>, quant>;
};
}  // namespace detail

/// The tensor type a description stands for. `Holder::value` is a constexpr
/// tensor_desc (class-type template arguments with floats are beyond
/// Clang 14, so descriptions travel inside a holder type). A per-channel
/// description, whose scales are not part of it, becomes per_channel_scales:
/// a type for diagnostics, not for kernels.
template <class Holder>
using desc_type = typename detail::desc_type_impl<
    Holder, std::make_index_sequence<static_cast<std::size_t>(Holder::value.rank)>>::type;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
