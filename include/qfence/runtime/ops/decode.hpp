// qfence/runtime/ops/decode.hpp: TFLM_DECODE, the custom op of TFLM's
// weight compression, which qfence ships: pairs of constant inputs (the
// compressed data and its "ancillary" tables) become the op's outputs.
//
// Its inputs are constants, so its outputs are too: both paths decode them
// once, when the model is loaded (runtime/fold_constants.hpp), and the ops
// behind see ordinary constant weights (`qfence embed` embeds them
// decoded). Only a decoded tensor that is itself a model output is copied
// by a kernel on each invoke (runtime path).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/decode.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

inline constexpr std::string_view tflm_decode_code = "TFLM_DECODE";

namespace ops {

/// Output k of TFLM_DECODE `ctx`, decoded from inputs 2k and 2k + 1, as
/// TFLM's DecodeState Setup and Decode read them, checked where TFLM is not.
inline std::vector<std::byte> tflm_decoded_output(const op_context& ctx, int k) {
  const tensor &encoded = ctx.input(2 * k), &ancillary = ctx.input(2 * k + 1), &out = ctx.output(k);
  const std::string which = "output " + std::to_string(k) + " (inputs " + std::to_string(2 * k) + " and " +
                            std::to_string(2 * k + 1) + ")";
  ctx.require(encoded.constant && ancillary.constant,
              which + ": TFLM decodes constant tensors (compressed weights); this model computes one of them");
  const std::span<const std::byte> a = ancillary.data;
  ctx.require(a.size() >= reference::decode_header_bytes,
              which + ": the ancillary tensor has " + std::to_string(a.size()) +
                  " bytes, fewer than its 16-byte header");
  auto at = [&](std::size_t i) { return static_cast<unsigned>(a[i]); };
  ctx.require(at(1) == 1 && at(4) == 1, which + ": decode header version " + std::to_string(at(1)) + "/" +
                                            std::to_string(at(4)) + "; TFLM reads version 1 only");
  reference::decode_channels c{static_cast<std::size_t>(out.elements()), 1, false};
  if (out.quant.quantized()) {
    c.channels = out.quant.scales.size();
    c.alternate_axis = out.quant.axis == out.rank() - 1 && c.channels > 1;
    ctx.require(c.alternate_axis || out.quant.axis == 0,
                which + ": channels along axis " + std::to_string(out.quant.axis) +
                    "; TFLM decodes channels along the first or the last axis only");
  }
  const std::size_t element = size_of(out.type);
  std::vector<std::byte> decoded(static_cast<std::size_t>(out.bytes()));
  const std::span<const std::byte> data = encoded.data, tables = a.subspan(reference::decode_header_bytes);
  const bool plain_dtype = out.type == dtype::boolean || out.type == dtype::f32 || out.type == dtype::i8 ||
                           out.type == dtype::i16 || out.type == dtype::i32 || out.type == dtype::i64;
  auto decodes = [&](bool ok) {
    ctx.require(ok, which + ": the compressed data or its tables end before the " + std::to_string(c.count) +
                        " values of " + type_text(out) + " (TFLM would read past them)");
  };
  switch (at(0)) {
    case reference::decode_type_lut: {
      ctx.require(plain_dtype, which + ": TFLM's LUT decoder writes bool, f32, i8, i16, i32 or i64, not " +
                                   std::string(name(out.type)));
      const unsigned bits = at(5) & 0x07u;
      ctx.require(bits >= 1, which + ": a LUT of 0-bit indices (TFLM reads 1 to 7)");
      decodes(reference::decode_lut(data, tables, element, bits, at(6), c, decoded.data()));
      break;
    }
    case reference::decode_type_prune: {
      ctx.require(plain_dtype, which + ": TFLM's prune decoder writes bool, f32, i8, i16, i32 or i64, not " +
                                   std::string(name(out.type)));
      // TFLM keeps the zero points as int8: one shared, or one per channel.
      std::vector<std::int8_t> zero_points(1, std::int8_t{0});
      if (out.quant.quantized()) {
        const auto& zps = out.quant.zero_points;
        const bool non_zero = std::any_of(zps.begin(), zps.end(), [](std::int64_t z) { return z != 0; });
        ctx.require(out.type == dtype::i8 || !non_zero,
                    which + ": a pruned " + std::string(name(out.type)) + " tensor with a zero point other than 0 "
                            "(TFLM requires 0 for every dtype but i8)");
        if (c.channels > 1 && non_zero) {
          ctx.require(zps.size() == c.channels, which + ": " + std::to_string(zps.size()) + " zero points for " +
                                                    std::to_string(c.channels) + " channels");
          zero_points.resize(zps.size());
          for (std::size_t i = 0; i < zps.size(); ++i) zero_points[i] = static_cast<std::int8_t>(zps[i]);
        } else if (!zps.empty()) {
          zero_points[0] = static_cast<std::int8_t>(zps[0]);
        }
      }
      decodes(reference::decode_prune(data, tables, element, zero_points.data(), zero_points.size(), c,
                                      decoded.data()));
      break;
    }
    case reference::decode_type_huffman: {
      const bool wide = (at(5) & 0x01u) != 0;
      ctx.require(out.type == dtype::i8 || (wide && out.type == dtype::i16),
                  which + ": TFLM's Huffman decoder writes i8 (16- or 32-bit tables) or i16 (32-bit tables), not " +
                      std::string(name(out.type)) + (wide ? "" : " from 16-bit tables"));
      reference::huffman_decoder d(data, tables, wide, ((at(5) & 0xF0u) >> 4) + 1);
      decodes(d.decode(c.count, element, decoded.data()));
      break;
    }
    default:
      ctx.fail(which + ": decode type " + std::to_string(at(0)) +
               "; TFLM decodes LUT (0), Huffman (1) and prune (2) data" +
               (at(0) == 127 ? " (127, a custom decoder, is not supported by TFLM either)" : ""));
  }
  return decoded;
}

/// Inputs: pairs of constants (compressed data, ancillary tables); outputs:
/// the decoded tensors, one per pair.
inline kernel prepare_tflm_decode(const op_context& ctx) {
  ctx.require(ctx.output_count() > 0 && ctx.input_count() == 2 * ctx.output_count(),
              "takes two inputs per output (compressed data, ancillary tables); the model gives " +
                  std::to_string(ctx.input_count()) + " inputs for " + std::to_string(ctx.output_count()) +
                  " outputs");
  struct decoded_output {
    int tensor;
    std::vector<std::byte> bytes;
  };
  auto outputs = std::make_shared<std::vector<decoded_output>>();
  for (int k = 0; k < ctx.output_count(); ++k) outputs->push_back({ctx.output_index(k), tflm_decoded_output(ctx, k)});
  return [outputs](const tensor_memory& m) {
    for (const auto& o : *outputs) std::memcpy(m.at<void>(o.tensor), o.bytes.data(), o.bytes.size());
  };
}

}  // namespace ops
}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END
