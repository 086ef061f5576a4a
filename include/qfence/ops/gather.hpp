// qfence/ops/gather.hpp: GATHER as a typed node (rules/gather.hpp;
// kernels/reference/gather.hpp).
//
//   qf::gather<Axis, BatchDims = 0>(params, indices)
//   qf::embedding_lookup(ids, table)          rows of table, its dtype
//   qf::embedding_lookup<true>(ids, table)    an i8 table's rows as f32
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/gather.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/gather.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct gather {
  static constexpr const char* name = "gather";
  static constexpr runtime::op_code code = runtime::op_code::gather;
};
}  // namespace op

template <int Axis, int BatchDims, int Params, int Indices>
struct gather_node {
  using op = op::gather;
  using inputs = refs<Params, Indices>;
  template <class P, class I>
  struct rule {
    static constexpr rule_result value = gather_rule({Axis, BatchDims}, describe<P>(), describe<I>(), requested_output<>());
  };
  template <int Index, class P, class I>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<P, I>, producer<P>, producer<I>>()))
    return true;
  }
  template <int Index, class P, class I>
  struct typed {
    using output = rule_output_keeping<rule<P, I>, P>;
    static constexpr gather_attrs resolved = resolved_gather({Axis, BatchDims}, describe<P>(), describe<I>());
    static constexpr gather_geometry geometry = make_gather_geometry(
        P::shape_type::dims.data(), static_cast<int>(P::rank), resolved.axis, resolved.batch_dims, I::elements);
    static void run(const gather_node&, const typename P::element* params, const typename I::element* indices,
                    typename output::element* out) {
      reference::gather(geometry, sizeof(typename P::element), params, indices, out);
    }
  };
};

/// GATHER of `params` along `Axis` at `indices` (i32 or i64), the first
/// `BatchDims` dimensions of both taken as batches.
template <int Axis, int BatchDims = 0, int P, int I>
constexpr auto gather(node_ref<P>, node_ref<I>) {
  return gather_node<Axis, BatchDims, P, I>{};
}

namespace op {
struct embedding_lookup {
  static constexpr const char* name = "embedding_lookup";
  static constexpr runtime::op_code code = runtime::op_code::embedding_lookup;
};
}  // namespace op

template <bool Dequantize, int Ids, int Table>
struct embedding_lookup_node {
  using op = op::embedding_lookup;
  using inputs = refs<Ids, Table>;
  template <class I, class T>
  struct rule {
    static constexpr rule_result value = embedding_lookup_rule(describe<I>(), describe<T>(), Dequantize, requested_output<>());
  };
  template <int Index, class I, class T>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<I, T>, producer<I>, producer<T>>()))
    return true;
  }
  template <int Index, class I, class T>
  struct typed {
    using output = rule_output_type<rule<I, T>>;
    static constexpr std::int64_t rows = T::shape_type::dim(0);
    static void run(const embedding_lookup_node&, const typename I::element* ids, const typename T::element* table,
                    typename output::element* out) {
      if constexpr (Dequantize) {
        reference::embedding_lookup_dequantize(rows, T::elements / rows, table, ids, I::elements, T::quant::scale, out);
      } else {
        static constexpr gather_geometry geometry =
            make_gather_geometry(T::shape_type::dims.data(), static_cast<int>(T::rank), 0, 0, I::elements);
        reference::gather(geometry, sizeof(typename T::element), table, ids, out);
      }
    }
  };
};

/// EMBEDDING_LOOKUP: the rows of `table` at the i32 `ids` (rank 1), in the
/// table's dtype; embedding_lookup<true> reads an i8 table (zero point 0)
/// into f32 rows (TFLM's hybrid form).
template <bool Dequantize = false, int I, int T>
constexpr auto embedding_lookup(node_ref<I>, node_ref<T>) {
  return embedding_lookup_node<Dequantize, I, T>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
