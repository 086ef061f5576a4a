// qfence/runtime/fold_constants.hpp: the operations of a model that compute
// constants from constants, computed once at load: DEQUANTIZEs of constant
// weights and TFLM_DECODE (TFLM's weight decompression).
//
// TFLite's float16 scheme stores weights as f16 and widens each with a
// DEQUANTIZE before the layer that reads it; older dynamic-range models do
// the same with int8 weights. TFLite runs such a DEQUANTIZE once and keeps
// its output; qfence does the same one step earlier: the folded model holds
// the f32 values as constants, so the layer behind it sees constant weights
// (its prepare packs them as it packs any float weights), and invoke never
// spends time or arena on them. The values are those the DEQUANTIZE kernel
// computes (the op is prepared and run as the interpreter would, so its
// rule and its messages are the same).
//
// Both paths run this one rule: the interpreter on the model it is given,
// and `qfence embed`, which embeds the folded constants.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/op_registry.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// Whether operation `op` of `m` is computed at load: a DEQUANTIZE (of a
/// version qfence runs) of one constant, or a TFLM_DECODE of constants,
/// whose outputs are neither its graph's outputs nor variables. (In any
/// subgraph: a float16 layer in IF's branch or WHILE's body reads its
/// weights so too.)
inline bool folds_at_load(const model& m, const operation& op) {
  const bool dequantize = op.code == op_code::dequantize && op.inputs.size() == 1 && op.outputs.size() == 1;
  if (!dequantize && !op.is_custom(tflm_decode_code)) return false;
  if (dequantize && (op.version < 1 || op.version > find_registration(op.code)->max_version))
    return false;  // left to find_unsupported's message
  if (op.outputs.empty()) return false;
  for (const int t : op.inputs) {
    if (t < 0) return false;
    const tensor& in = m.tensors[static_cast<std::size_t>(t)];
    // A DEQUANTIZE reads its input as elements; TFLM_DECODE reads bytes.
    if (!in.constant || (dequantize && in.data.size() != in.bytes())) return false;
  }
  for (const int t : op.outputs) {
    if (t < 0) return false;
    const tensor& out = m.tensors[static_cast<std::size_t>(t)];
    if (out.variable || out.constant) return false;
    for (const int o : m.outputs_of(op.subgraph))
      if (o == t) return false;
  }
  return true;
}

/// A copy of `source` in which each operation that folds_at_load is gone
/// and its outputs are the constants it computes; nothing when no
/// operation folds. The copy owns the computed values and borrows the rest
/// of source's constants, so it must not outlive `source`.
inline std::optional<model> with_constants_folded(const model& source) {
  bool any = false;
  for (int g = 0; g < source.subgraph_count; ++g)
    for (const operation& op : source.operations_of(g)) any = any || folds_at_load(source, op);
  if (!any) return std::nullopt;
  model m = source.borrowed_copy();
  tensor_memory memory;
  memory.address.assign(m.tensors.size(), nullptr);
  for (int g = 0; g < m.subgraph_count; ++g) {
    std::vector<operation> kept;
    for (operation& op : m.operations_of(g)) {
      if (!folds_at_load(m, op)) {
        kept.push_back(std::move(op));
        continue;
      }
      const op_context ctx(m, op, numerics::tflm, kernels::target::reference());
      const kernel k = find_own_prepare(op)(ctx);  // checks the op's rule, names it on failure
      for (const int in_t : op.inputs)
        memory.address[static_cast<std::size_t>(in_t)] =
            const_cast<std::byte*>(m.tensors[static_cast<std::size_t>(in_t)].data.data());
      for (const int out_t : op.outputs) {
        tensor& out = m.tensors[static_cast<std::size_t>(out_t)];
        auto& values = m.realigned.emplace_back(new std::byte[out.bytes()]);
        detail::begin_lifetime_as(out.type, values.get(), static_cast<std::size_t>(out.elements()));
        memory.address[static_cast<std::size_t>(out_t)] = values.get();
      }
      k(memory);  // kernels only read their inputs
      for (const int out_t : op.outputs) {
        tensor& out = m.tensors[static_cast<std::size_t>(out_t)];
        out.data = {memory.address[static_cast<std::size_t>(out_t)], out.bytes()};
        out.constant = true;
      }
    }
    m.operations_of(g) = std::move(kept);
  }
  return m;
}

/// The same for a shared model: the folded model keeps `source` alive, so
/// it may outlive the caller's pointer. `source` itself when nothing folds.
inline std::shared_ptr<const model> with_constants_folded(std::shared_ptr<const model> source) {
  if (source == nullptr) return source;
  std::optional<model> folded = with_constants_folded(*source);
  if (!folded) return source;
  struct holder {
    std::shared_ptr<const model> source;
    model folded;
  };
  auto h = std::make_shared<holder>(holder{std::move(source), std::move(*folded)});
  return {h, &h->folded};  // shares ownership of both
}

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
