// qfence/graph/node_ref.hpp: how a node names the nodes it consumes.
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// A reference to the output of node `I` (0-based, in the order the nodes are
/// written in `graph(...)`). A node may only consume nodes written before it,
/// which makes every qfence graph acyclic by construction.
template <int I>
struct node_ref {
  static_assert(I >= 0, "qfence: ref<I>: node indices start at 0");
  static constexpr int index = I;
};
template <int I> inline constexpr node_ref<I> ref{};

/// The producer indices of a node's graph inputs, in order.
template <int... I>
struct refs {
  static constexpr std::size_t size = sizeof...(I);
  static constexpr std::array<int, sizeof...(I)> indices{I...};
};

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
