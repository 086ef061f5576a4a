// qfence/runtime/fold_constants.hpp: a model's DEQUANTIZEs of constants,
// computed once at load.
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
/// version qfence runs) of a constant whose output is neither a model
/// output nor a variable.
inline bool folds_at_load(const model& m, const operation& op) {
  if (op.code != op_code::dequantize || op.inputs.size() != 1 || op.outputs.size() != 1 || op.inputs[0] < 0)
    return false;
  if (op.version < 1 || op.version > find_registration(op.code)->max_version) return false;  // left to find_unsupported's message
  const tensor& in = m.tensors[static_cast<std::size_t>(op.inputs[0])];
  const tensor& out = m.tensors[static_cast<std::size_t>(op.outputs[0])];
  if (!in.constant || in.data.size() != in.bytes() || out.variable || out.constant) return false;
  for (const int t : m.outputs)
    if (t == op.outputs[0]) return false;
  return true;
}

/// A copy of `source` in which each DEQUANTIZE that folds_at_load is gone
/// and its output is the f32 constant it computes; nothing when no
/// operation folds. The copy owns the computed values and borrows the rest
/// of source's constants, so it must not outlive `source`.
inline std::optional<model> with_constants_folded(const model& source) {
  bool any = false;
  for (const operation& op : source.operations) any = any || folds_at_load(source, op);
  if (!any) return std::nullopt;
  model m = source.borrowed_copy();
  std::vector<operation> kept;
  tensor_memory memory;
  memory.address.assign(m.tensors.size(), nullptr);
  for (operation& op : m.operations) {
    if (!folds_at_load(m, op)) {
      kept.push_back(std::move(op));
      continue;
    }
    const op_context ctx(m, op, numerics::tflm, kernels::target::reference());
    const kernel k = find_registration(op.code)->prepare(ctx);  // checks the op's rule, names it on failure
    const int in_t = op.inputs[0], out_t = op.outputs[0];
    tensor& out = m.tensors[static_cast<std::size_t>(out_t)];
    auto& values = m.realigned.emplace_back(new std::byte[out.bytes()]);
    detail::begin_lifetime_as(out.type, values.get(), static_cast<std::size_t>(out.elements()));
    memory.address[static_cast<std::size_t>(in_t)] = const_cast<std::byte*>(m.tensors[static_cast<std::size_t>(in_t)].data.data());
    memory.address[static_cast<std::size_t>(out_t)] = values.get();
    k(memory);  // kernels only read their inputs
    out.data = {values.get(), out.bytes()};
    out.constant = true;
  }
  m.operations = std::move(kept);
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
