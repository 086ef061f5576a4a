// qfence/rules/rule.hpp: what an op rule takes and returns, and the errors
// it can report.
//
// An op rule is one constexpr function per op:
//
//     constexpr rule_result softmax_rule(const softmax_attrs&, const tensor_desc& in, const output_request&);
//
// It checks the operands' dtypes, shapes and quantization and the op's
// options, and returns the output's description or the first error. The
// compile-time path turns that error into its one static_assert
// (qfence/graph/rule_check.hpp), the runtime path into a model_error
// (qfence/runtime/op_context.hpp), and both show the same text, written once
// in QFENCE_RULE_ERRORS below.
#pragma once

#include <cstdint>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/tensor_desc.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

// Each error: an identifier and its text, "what is wrong. fix: what to do".
// The compile-time path prints "qfence: " + text; the runtime path
// "operator N (OP vV): " + text + the operand's and expected types.
#define QFENCE_RULE_ERRORS(X)                                                                                         \
  X(input_dtype,                                                                                                      \
    "this op does not take this operand's dtype or quantization (activations are f32 unquantized, i8/u8 "           \
    "quantized per tensor, or i16 per tensor with zero point 0; the op takes a subset). fix: insert "                \
    "qfence::quantize<...> or qfence::dequantize before it, or fence it")                                             \
  X(input_rank, "an operand has the wrong rank for this op. fix: reshape it")                                         \
  X(missing_output_quantization,                                                                                      \
    "this node has a quantized input but no output quantization. fix: add "                                          \
    "qfence::out<qfence::per_tensor<scale, zero_point>> (from calibration or the model)")                             \
  X(output_quantization_on_float,                                                                                     \
    "out<...> was given to a node whose input is float; float ops produce float. fix: remove out<...>, or "         \
    "quantize the input first")                                                                                       \
  X(output_dtype,                                                                                                     \
    "the output dtype does not fit this op: quantized ops write their input's dtype unless the op says otherwise. " \
    "fix: name the dtype in out<Q, dtype> as the op allows, or requantize after the node")                           \
  X(output_per_tensor,                                                                                                \
    "the output must be quantized per tensor (and int16 outputs with zero point 0). fix: give "                      \
    "out<per_tensor<scale, zero_point>>")                                                                             \
  X(output_fixed_quantization,                                                                                        \
    "this op's quantized output has fixed parameters: softmax and logistic write scale 1/256 "    \
    "with zero point -128 (i8) or 0 (u8), int8->int16 softmax scale 1/65536 and zero point -32768, tanh scale "      \
    "1/128 and zero point 0, log_softmax scale 16/256 and zero point 127 (i8) or 255 (u8). fix: use those "         \
    "parameters")                                                              \
  X(output_same_quantization,                                                                                         \
    "this op moves or selects values without rescaling them, so its output has its input's dtype and "              \
    "quantization. fix: requantize after the node")                                                                   \
  X(output_shape,                                                                                                     \
    "the output tensor's shape differs from the shape this op computes. fix: correct the model") \
  X(weights_rank, "the weights have the wrong rank or layout for this op. fix: check the weights") \
  X(weights_shape,                                                                                                    \
    "the weight shape does not fit the input: conv2d weights are [OC, KH, KW, IC] with IC the "  \
    "input's channels (or a divisor, grouped), depthwise [1, KH, KW, IC * multiplier], fully_connected [units, K] "   \
    "with the input flattening into rows of K, transpose_conv [OC, KH, KW, IC] with the output shape [N, H, W, OC]. " \
    "fix: check the weight tensor's shape")                                 \
  X(weights_dtype,                                                                                                    \
    "the weight dtype does not match the input: f32 input takes f32 weights (conv2d, depthwise_conv2d and "        \
    "fully_connected also symmetric i8 ones: TFLite's hybrid kernels), i8 and i16 inputs take quantized i8 weights, " \
    "u8 inputs per-tensor "                                                                                         \
    "u8 weights. fix: quantize the weights, or dequantize the input")                                               \
  X(weights_per_channel,                                                                                              \
    "per-channel weight quantization needs one scale per output channel along the output-channel axis (conv2d and "  \
    "fully_connected: axis 0, depthwise: axis 3). fix: give one scale and one zero point per output channel")        \
  X(weights_symmetric,                                                                                                \
    "int8 weights must be symmetric (zero point 0), as TFLite requires. fix: requantize the weights symmetrically")  \
  X(bias_type,                                                                                                        \
    "the bias has the wrong dtype or shape: f32 layers take an f32 bias, i8/u8 layers an i32 "   \
    "bias (scale = input_scale * weight_scale), i16 layers an i64 (or i32) bias, of shape [output channels]. fix: " \
    "change the bias constant's type")                                                                                \
  X(bad_option,                                                                                                       \
    "an option of this node is out of range or not supported: strides, dilations and pooling windows must be "      \
    "positive (pooling needs filter<h, w>), explicit padding amounts non-negative and with valid padding only, the " \
    "fused activation one of NONE, RELU, RELU_N1_TO_1, RELU6 (NONE for l2_normalization), the "                   \
    "FULLY_CONNECTED weights format DEFAULT, resize's align_corners and half_pixel_centers not both set. fix: "  \
    "correct the option")                                                \
  X(add_n_inputs,                                                                                                     \
    "add_n sums two or more inputs of one shape, dtype and quantization. fix: reshape, cast or requantize the odd " \
    "input")                                                                                                          \
  X(operand_types_differ,                                                                                             \
    "the two inputs of this element-wise op differ in dtype (or, for ops that compare, select or do integer "     \
    "arithmetic, in quantization). fix: insert qfence::quantize<...> or qfence::dequantize (or requantize one input) so both "      \
    "match")                                                                                                          \
  X(comparison_scale,                                                                                                 \
    "an int8 comparison takes each operand's scale as a fixed-point multiplier below one, so scales must be below " \
    "1 (TFLite and TFLM stop otherwise). fix: requantize the operand to a scale below 1")                          \
  X(broadcast_shapes,                                                                                                 \
    "the two input shapes do not broadcast (each dimension, aligned from the right, must be equal or 1; rank <= 6). " \
    "fix: reshape one input")                                                                                         \
  X(quantize_types,                                                                                                   \
    "quantize takes f32 (to quantize) or a per-tensor quantized i8/u8/i16/i32 (to requantize) and writes a "          \
    "per-tensor quantized i8, u8 or i16 (i32 from i8/i16); the pairs TFLite runs: f32->i8/u8/i16, i8->i8/u8/i16/i32, " \
    "u8->i8/u8, i16->i8/i16/i32, i32->i8/i16. fix: pick a supported target dtype")                                    \
  X(reshape_elements,                                                                                                 \
    "reshape to a shape with a different element count (or with more than one -1, or rank > 8). fix: the new "     \
    "dimensions must multiply to the input's element count")                                                         \
  X(pad_amounts,                                                                                                      \
    "pad needs two non-negative amounts (before, after) per input dimension, rank <= 6, and pads f32, i8, u8, i16 "  \
    "or i32. fix: correct the paddings")                                                                              \
  X(pad_value,                                                                                                        \
    "padv2's value must be one element of the input's dtype and quantization (it is copied, not rescaled). fix: "  \
    "give a scalar of the input's type")                                                                              \
  X(space_depth_block,                                                                                                \
    "depth_to_space needs channels divisible by block^2, space_to_depth height and width divisible by block, and "  \
    "block >= 1. fix: correct the block size or the input shape")                                                    \
  X(mirror_pad_amounts,                                                                                               \
    "mirror_pad pads with the input's own values: REFLECT by at most dim - 1 per side, SYMMETRIC by at most dim. "  \
    "fix: pad less, or in several steps")                                                                             \
  X(space_batch_spec,                                                                                                 \
    "space_to_batch_nd / batch_to_space_nd take a 3-D or 4-D input, a block size >= 1 per spatial dimension and a "  \
    "non-negative (before, after) pair each; the padded size must divide by the block (the batch, for "            \
    "batch_to_space_nd), and crops must leave something. fix: correct the block shape, paddings or crops")          \
  X(update_slice_shapes,                                                                                              \
    "dynamic_update_slice writes an update of the operand's rank, dtype and quantization, no larger in any "       \
    "dimension, at i32/i64 start indices, one per dimension. fix: reshape or requantize the update, or fix the "    \
    "indices' shape")                                                                                                 \
  X(transpose_permutation,                                                                                            \
    "transpose needs a permutation of the input's dimensions 0..rank-1 (rank <= 6). fix: correct the permutation")  \
  X(axis_range, "an axis is out of range for the input's rank (or the op's rank limit). fix: correct the axis")     \
  X(concatenation_inputs,                                                                                             \
    "concatenation inputs must have one rank, equal dimensions except along the axis, and one dtype. fix: reshape "   \
    "or cast the odd input")                                                                                          \
  X(concatenation_quantization,                                                                                       \
    "concatenation inputs must have the output's quantization (it copies, it does not rescale; only uint8 may "      \
    "rescale, as TFLite's ConcatenationWithScaling does). fix: requantize the odd input with qfence::quantize<...> "  \
    "to the others' parameters, or concatenate with qfence::concatenation_requantized<axis, Q>(...), which does "    \
    "that for every input")                                                                                           \
  X(resize_spec,                                                                                                      \
    "resize takes a 4-D NHWC input and a positive output size; resize_bilinear takes f32, u8, i8 or i16. fix: "      \
    "reshape the input or correct the size")                                                                          \
  X(gather_indices,                                                                                                   \
    "gather_nd indices must be i32 or i64 [..., k] with 1 <= k <= the params' rank. fix: correct the indices")       \
  X(arg_max_types,                                                                                                    \
    "arg_max and arg_min take f32, i8, u8, i16 or i32 with a non-empty reduced axis and writes i32 or i64 indices. fix: cast "  \
    "the input or pick the index dtype")                                                                              \
  X(cast_types,                                                                                                       \
    "cast converts between f32, i8, u8, i16, i32, i64 and bool (a C++ conversion per element: float to integer "    \
    "truncates) and writes an unquantized tensor. fix: use quantize/dequantize to change quantized values")          \
  X(dequantize_types,                                                                                                 \
    "dequantize takes a per-tensor quantized i8, u8 or i16 tensor, or an unquantized f16 one, and writes f32. fix: " \
    "remove the dequantize, or quantize the input first")                                                            \
  X(empty_output,                                                                                                     \
    "the output would be empty: the (dilated) filter is larger than the VALID-padded input. fix: use "               \
    "qfence::same padding or a smaller filter/dilation")                                                              \
  X(svdf_shapes,                                                                                                      \
    "svdf shapes do not fit: input [batches, n], feature weights [filters, n], time weights [filters, memory], "     \
    "state [batches, filters * memory], rank dividing filters, bias [filters / rank]. fix: check the operands")      \
  X(svdf_types,                                                                                                       \
    "svdf takes an i8 input, i8 feature weights, time weights and state of one dtype (i16 or i8), an i32 bias, "     \
    "every operand quantized per tensor (one scale: the kernel has no per-channel path); or every operand f32. "    \
    "fix: requantize the weights per tensor, or dequantize them for a float svdf")                                   \
  X(slice_spec,                                                                                                       \
    "the strided_slice spec must have one begin/end/stride per input dimension (rank <= 5), non-zero strides, no "  \
    "ellipsis or new-axis masks. fix: correct the spec")                                                              \
  X(slice_bounds,                                                                                                      \
    "slice takes one begin and one size per input dimension (rank <= 5), with 0 <= begin and begin + size within " \
    "the dimension (size -1: to its end). fix: correct begin and size")                                            \
  X(shape_types, "shape writes its input's dimensions as an i32 or i64 vector. fix: make the output i32 or i64")      \
  X(fill_spec,                                                                                                        \
    "fill takes a scalar value (rank 0) and constant, non-negative dims (rank <= 8). fix: reshape the value to a "    \
    "scalar or correct the dims")                                                                                     \
  X(slice_shrink_index,                                                                                               \
    "a shrunk axis of strided_slice selects an index outside its dimension (begin after negative-index "            \
    "correction must lie in [0, dim)). fix: correct begin for that axis")                                          \
  X(output_scale_ratio,                                                                                               \
    "the output scale is too small for this op's fixed-point rescale: hard_swish needs an output scale above the "  \
    "input scale / 128. fix: calibrate the output with a wider range (a larger scale)")                            \
  X(prelu_alpha,                                                                                                      \
    "prelu's alpha must broadcast to the input's shape (at most its rank) and have the input's dtype (i8 for an "    \
    "i16 input), quantized per tensor where the input is. fix: reshape or requantize alpha")                       \
  X(embedding_lookup_operands,                                                                                        \
    "embedding_lookup takes i32 ids of rank 1 and a table of rank >= 2 (f32, or i8/u8 quantized per tensor); the "  \
    "output is the table's dtype, or f32 from an i8 table with zero point 0 (hybrid). fix: reshape the ids or "     \
    "requantize the table")                                                                                        \
  X(batch_matmul_shapes,                                                                                              \
    "batch_matmul multiplies [..., M, K] by [..., K, N] (the last two dimensions swapped where adj_x / adj_y say), " \
    "ranks 2 to 5, the leading dimensions broadcasting; both operands of one dtype (f32; or i8, i16 quantized per "  \
    "tensor, i16 with zero point 0). fix: reshape or transpose an operand, or requantize it")                      \
  X(circular_buffer_operands,                                                                                         \
    "circular_buffer (TFLM's streaming op) takes an i8 sample [1, 1, W, D] and keeps the last `slots` of them in "    \
    "its output [1, slots, W, D], slots >= 1, runs the ops after it every `period` >= 1 invokes. fix: reshape the "   \
    "sample or correct the output's shape")                                                                        \
  X(lstm_operands,                                                                                                    \
    "unidirectional_sequence_lstm takes an input [B, T, I] ([T, B, I] time major), gate weights [S, I] (inputs "   \
    "1-4) and recurrent weights [S, S] (5-8), biases [S] (12-15), a hidden state [B, S] (18) of the input's dtype " \
    "and a cell state (19) with B * S elements, in one of TFLM's variants: all f32; i8 input and weights, i32 "     \
    "biases, i16 cell; i16 input, i8 weights, i64 biases, i16 cell (weights quantized per tensor); its output "    \
    "[.., .., S] has the hidden state's dtype and quantization. fix: correct the operand named below") \
  X(signal_window_operands,                                                                                           \
    "signal_window takes an i16 signal (rank >= 1, unquantized, a whole number of frames) and an i16 window "       \
    "[frame] (operand 1); it writes i16 of the signal's shape; its shift is in [0, 31]. fix: correct the operand " \
    "named below, or the shift")                                                                                      \
  X(signal_fft_auto_scale_operands,                                                                                   \
    "signal_fft_auto_scale takes an i16 frame [N] (unquantized) and writes it shifted left, i16 [N], and the "      \
    "shift, an i32 scalar. fix: correct the operand named below")                                                     \
  X(signal_energy_operands,                                                                                           \
    "signal_energy takes an int16 complex spectrum, i16 [2 * bins] (real and imaginary parts interleaved, "         \
    "unquantized), and writes u32 [bins]; start_index >= 0 and end_index <= bins. fix: correct the operand named "  \
    "below, or the indices")                                                                                          \
  X(signal_filter_bank_operands,                                                                                      \
    "signal_filter_bank takes u32 energies [bins], i16 weights and unweights of one length (operands 1, 2) and "    \
    "i16 first bins, first weights and widths of at least num_channels + 1 channels (operands 3-5), all rank 1 "    \
    "and unquantized; it writes u64 [num_channels], num_channels >= 1. fix: correct the operand named below, or "   \
    "num_channels")                                                                                                   \
  X(signal_filter_bank_square_root_operands,                                                                          \
    "signal_filter_bank_square_root takes u64 [N] and its shift, an i32 scalar (operand 1), and writes u32 [N]. "   \
    "fix: correct the operand named below")                                                                           \
  X(signal_filter_bank_log_operands,                                                                                  \
    "signal_filter_bank_log takes u32 [N] and writes i16 [N]; input_correction_bits is in [0, 31]. fix: correct "   \
    "the operand named below, or the option")                                                                         \
  X(signal_spectral_subtraction_operands,                                                                             \
    "signal_filter_bank_spectral_subtraction takes u32 [num_channels] and writes the signal and its noise "         \
    "estimate, u32 [num_channels] each; num_channels >= 1, smoothing_bits in [0, 31], spectral_subtraction_bits "   \
    "in [0, 63]. fix: correct the operand named below, or the option")                                                \
  X(signal_pcan_operands,                                                                                             \
    "signal_pcan takes u32 energies [N], their u32 noise estimate [N] (operand 1) and an i16 gain table of at "     \
    "least 125 entries (operand 2), and writes u32 [N]; snr_shift is in [0, 63]. fix: correct the operand named "   \
    "below, or the option")                                                                                           \
  X(signal_fft_operands,                                                                                              \
    "signal_rfft takes frames [..., L] of its dtype T (i16, i32 or f32, unquantized), L <= fft_length, and writes "  \
    "their spectra [..., 2 * (fft_length / 2 + 1)], real and imaginary parts interleaved; signal_irfft takes such "  \
    "spectra and writes frames [..., fft_length]; fft_length is even, >= 4, and half of it a product of 2s, 3s and " \
    "5s (the lengths TFLM's KISS FFT computes). fix: correct the operand named below, or fft_length")             \
  X(signal_delay_operands,                                                                                            \
    "signal_delay takes i16 [..., F] (unquantized) and writes the same shape; delay_length >= 0. fix: correct the "  \
    "operand named below, or delay_length")                                                                           \
  X(signal_framer_operands,                                                                                           \
    "signal_framer takes i16 [..., n * frame_step] (unquantized) and writes frames [..., n, frame_size] and a bool " \
    "scalar (whether all were complete); frame_size, frame_step >= 1, and frame_size >= frame_step with prefill. "   \
    "fix: correct the operand named below, or the options")                                                           \
  X(signal_stacker_operands,                                                                                          \
    "signal_stacker takes i16 [num_channels] (unquantized) and writes i16 [num_channels * (left + right + 1)] and " \
    "a bool scalar (whether it output); num_channels >= 1, left and right context >= 0, 1 <= step <= left + right " \
    "+ 1. fix: correct the operand named below, or the options")                                                      \
  X(signal_overlap_add_operands,                                                                                      \
    "signal_overlap_add takes frames [..., n, frame_size] of its dtype T (i16 or f32, unquantized) and writes "      \
    "[..., n * frame_step]; 1 <= frame_step <= frame_size. fix: correct the operand named below, or frame_step")

enum class rule_error : std::uint8_t {
  none,
#define QFENCE_DETAIL_ENUM(id, text) id,
  QFENCE_RULE_ERRORS(QFENCE_DETAIL_ENUM)
#undef QFENCE_DETAIL_ENUM
};

/// The text of an error, without the "qfence: " prefix.
constexpr std::string_view rule_error_text(rule_error e) noexcept {
  switch (e) {
    case rule_error::none: return "no error";
#define QFENCE_DETAIL_TEXT(id, text) \
  case rule_error::id: return text;
    QFENCE_RULE_ERRORS(QFENCE_DETAIL_TEXT)
#undef QFENCE_DETAIL_TEXT
  }
  return "unknown error";
}

/// What a rule says: the output's description, or an error about one operand
/// (its index in the rule's operand order; -1: the node's options or output)
/// with, where the rule knows it, the description that operand should have.
struct rule_result {
  rule_error error = rule_error::none;
  int operand = -1;
  tensor_desc output{};
  tensor_desc expected{};
  bool has_expected = false;

  constexpr bool ok() const noexcept { return error == rule_error::none; }
};

constexpr rule_result rule_ok(const tensor_desc& output) noexcept { return {rule_error::none, -1, output, {}, false}; }
constexpr rule_result rule_fail(rule_error e, int operand) noexcept { return {e, operand, {}, {}, false}; }
constexpr rule_result rule_fail(rule_error e, int operand, const tensor_desc& expected) noexcept {
  return {e, operand, {}, expected, true};
}

/// The output type asked of a node. On the compile-time path: `out<Q>` or
/// `out<Q, dtype>` when written (not given otherwise). On the runtime path:
/// always given, the model's output tensor.
struct output_request {
  bool given = false;
  bool dtype_given = false;  // out<Q> without a dtype takes the input's
  dtype type = dtype::f32;
  quant_desc quant{};
  bool shape_given = false;  // runtime: the model's output shape, checked against the inferred one
  tensor_desc tensor{};
};

/// The operand kinds a diagnostic names.
inline constexpr int output_operand = -1;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
