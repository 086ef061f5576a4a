// qfence/ops/reshape.hpp: RESHAPE (the data is copied unchanged).
#pragma once

#include <array>
#include <cstring>

#include "qfence/ops/op_support.hpp"

namespace qfence {

namespace op {
struct reshape {
  static constexpr const char* name = "reshape";
};
}  // namespace op

namespace detail {
/// New dimensions with at most one -1 resolved against `elements`.
template <std::size_t N>
constexpr std::array<int, N> resolve_reshape(std::array<int, N> dims, std::int64_t elements) {
  std::int64_t known = 1;
  int unknown = -1;
  for (std::size_t i = 0; i < N; ++i) {
    if (dims[i] == -1) unknown = static_cast<int>(i);
    else known *= dims[i];
  }
  if (unknown >= 0) dims[static_cast<std::size_t>(unknown)] = known == 0 ? 0 : static_cast<int>(elements / known);
  return dims;
}
template <std::size_t N>
constexpr bool valid_reshape(std::array<int, N> dims, std::int64_t elements) {
  int unknowns = 0;
  std::int64_t known = 1;
  for (int d : dims) {
    if (d == -1) ++unknowns;
    else if (d < 0) return false;
    else known *= d;
  }
  if (unknowns > 1) return false;
  if (unknowns == 1) return known != 0 && elements % known == 0;
  return known == elements;
}
}  // namespace detail

template <int In, int... Dims>
struct reshape_node {
  using op = op::reshape;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(Dims)> requested{Dims...};

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE(detail::valid_reshape(requested, Input::elements),
                   (at_node<Index, op>, producer<Input>, expected<shape<Dims...>>),
                   "qfence: reshape to a shape with a different element count (or more than one -1). fix: the "
                   "new dimensions must multiply to the input's element count")
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr auto dims = detail::resolve_reshape(requested, Input::elements);
    using output = tensor<Input::type, shape_from_array<dims>, typename Input::quant>;
    static void run(const reshape_node&, const typename Input::element* in, typename output::element* out) {
      if (static_cast<const void*>(in) != static_cast<void*>(out)) std::memcpy(out, in, Input::bytes);
    }
  };
};

/// RESHAPE to `Dims...` (one of them may be -1).
template <int... Dims, int In>
constexpr auto reshape(node_ref<In>) {
  return reshape_node<In, Dims...>{};
}

}  // namespace qfence
