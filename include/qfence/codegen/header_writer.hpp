// qfence/codegen/header_writer.hpp: runtime IR -> a C++ header holding the
// compile-time typed graph and its weights (`qfence embed`).
//
// The header is meant to be read: every tensor type is spelt out once with
// the model's tensor name beside it, every node is one line naming its op
// and its output type, and static_asserts check that the typed graph infers
// exactly the types the model declares. Weights are aligned read-only data:
// 8-bit tensors as string literals (compile fast even at megabytes), other
// dtypes as typed arrays (floats in hexadecimal, so they are exact).
//
// The generator covers the ops that have compile-time nodes (qfence/ops/);
// for any other node it fails listing every one it cannot express.
#pragma once

#include <bit>
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/comparison.hpp"
#include "qfence/kernels/reference/unary_math.hpp"
#include "qfence/rules/gather.hpp"
#include "qfence/rules/reduce.hpp"
#include "qfence/rules/strided_slice.hpp"
#include "qfence/runtime/fold_constants.hpp"
#include "qfence/runtime/fold_pad.hpp"
#include "qfence/runtime/model.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/op_registry.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/runtime/resource_variables.hpp"
#include "qfence/rules/control_flow.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::codegen {

struct embed_options {
  std::string name;         // C++ namespace of the generated code
  std::string source_path;  // for the header comment
  runtime::numerics arithmetic = runtime::numerics::tflm;
};

/// What `qfence embed` writes: two headers, so that only the translation
/// unit that runs the model pays for parsing its weights.
///   NAME_types.hpp: tensor types, named aliases, I/O names, the model type
///                   (`NAME::model`); no weights.
///   NAME.hpp:       includes NAME_types.hpp; the weights as `constexpr`
///                   typed arrays and the graph as an `inline constexpr` object.
struct generated_headers {
  std::string types;  // NAME_types.hpp
  std::string model;  // NAME.hpp
};

/// A node of the typed graph `qfence embed` writes: the model tensor it
/// computes (-1: a node of its own, such as the values an IF packs) and
/// the subgraphs it runs as models (IF: then, else; WHILE: cond, body).
struct embedded_node {
  int tensor = -1;
  std::vector<int> calls;
};

/// The file name of the types header that goes with `model_file`
/// ("dir/posenet.hpp" -> "posenet_types.hpp").
inline std::string types_file_name(const std::string& model_file) {
  std::string base = model_file.substr(model_file.find_last_of("/\\") == std::string::npos
                                           ? 0
                                           : model_file.find_last_of("/\\") + 1);
  if (base.size() > 4 && base.substr(base.size() - 4) == ".hpp") base.resize(base.size() - 4);
  return base + "_types.hpp";
}

namespace detail {

using runtime::model;
using runtime::operation;
using runtime::tensor;
using runtime::op_code;

inline std::string float_literal(float f) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s + "f";
}

inline std::string hex_float_literal(float f) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%a", static_cast<double>(f));
  return std::string(buf) + "f";
}

inline const char* dtype_token(dtype d) {
  switch (d) {
    case dtype::f32: return "qf::f32";
    case dtype::f16: return "qf::f16";
    case dtype::i8: return "qf::i8";
    case dtype::u8: return "qf::u8";
    case dtype::i16: return "qf::i16";
    case dtype::u16: return "qf::u16";
    case dtype::i32: return "qf::i32";
    case dtype::u32: return "qf::u32";
    case dtype::i64: return "qf::i64";
    case dtype::u64: return "qf::u64";
    case dtype::boolean: return "qf::boolean";
  }
  return "?";
}

inline std::string element_token(dtype d) { return std::string(element_name(d)); }

inline std::string shape_token(const std::vector<int>& shape) {
  std::string s = "qf::shape<";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ">";
}

/// A C++ comment-safe rendering of a tensor name.
inline std::string comment_name(const std::string& name) {
  std::string s = runtime::printable(name, 160);
  for (std::size_t p = s.find("*/"); p != std::string::npos; p = s.find("*/")) s.replace(p, 2, "* /");
  return s.empty() ? "(no name)" : "'" + s + "'";
}

class writer {
 public:
  writer(const model& m, const embed_options& o) : m_(m), graph_ops_(runtime::graph_operations(m, true)), o_(o) {}

  generated_headers write(const std::string& types_file) {
    plan_graphs();
    refuse_unsupported();
    std::ostringstream t;
    types_header_top(t);
    types(t);
    if (!specs_.empty()) {
      t << "// ---- slice specifications ---------------------------------------------------\nnamespace specs {\n";
      for (const auto& line : specs_) t << line << "\n";
      t << "}  // namespace specs\n\n";
    }
    custom_ops_section(t);
    no_weights(t);
    graph_builder(t);
    io(t);
    t << "}  // namespace " << o_.name << "\n";

    std::ostringstream m;
    model_header_top(m, types_file);
    weights(m);
    graph_object(m);
    m << "}  // namespace " << o_.name << "\n";
    return {t.str(), m.str()};
  }

  /// The nodes of each subgraph's typed model (0: the main graph), as
  /// write() would write them.
  std::vector<std::vector<embedded_node>> nodes() {
    plan_graphs();
    refuse_unsupported();
    std::vector<std::vector<embedded_node>> graphs(plans_.size());
    for (std::size_t k = 0; k < plans_.size(); ++k)
      for (const node_line& n : plans_[k].nodes) graphs[k].push_back({n.tensor, n.calls});
    return graphs;
  }

 private:
  void refuse_unsupported() const {
    if (unsupported_.empty()) return;
    std::string s = "the code generator cannot express these nodes yet: ";
    for (std::size_t i = 0; i < unsupported_.size(); ++i) s += (i ? "; " : "") + unsupported_[i];
    throw runtime::model_error(s);
  }

  // ---- planning -------------------------------------------------------------
  struct node_line {
    std::string expression;  // the node's C++ expression
    int tensor;              // the model tensor it produces (-1: an intermediate of a lowering)
    std::string op;          // for the comment
    bool fenced = false;     // a float island inside a quantized model
    std::vector<int> calls{};  // the subgraphs it runs as models (IF: then, else; WHILE: cond, body)
  };

  std::string type_name(int t) const { return "types::t" + std::to_string(t); }
  /// The name of the spec of the node being planned: n<node>, or
  /// s<subgraph>n<node> in a subgraph.
  std::string spec_id() const {
    return (graph_ > 0 ? "s" + std::to_string(graph_) : std::string()) + "n" + std::to_string(nodes_.size());
  }
  const tensor& at(int t) const { return m_.tensors[static_cast<std::size_t>(t)]; }

  /// The expression for a node input: a reference to the node producing it.
  std::string ref(int t) {
    const auto it = node_of_.find(t);
    if (it == node_of_.end()) {
      // A constant used as an activation (e.g. ADD with a constant operand)
      // has no node; the caller reports it.
      return {};
    }
    return "qf::ref<" + std::to_string(it->second) + ">";
  }

  std::string constant_expr(int t, bool as_bias = false) {
    used_constants_.insert(t);
    (as_bias ? bias_types_ : weight_use_).insert(t);
    return "qf::make_constant<" + std::string(as_bias ? "types::b" : "types::t") + std::to_string(t) +
           ">(W::t" + std::to_string(t) + ")";
  }

  std::string out_option(const tensor& t) {
    if (!t.quant.quantized()) return "";
    return ", qf::out<qf::per_tensor<" + float_literal(t.quant.scale()) + ", " + std::to_string(t.quant.zero_point()) +
           ">, " + dtype_token(t.type) + ">";
  }

  static std::string fused(const runtime::op_options& o) {
    switch (o.fused) {
      case activation::relu: return ", qf::fused_relu";
      case activation::relu6: return ", qf::fused_relu6";
      case activation::relu_n1_to_1: return ", qf::fused_relu_n1_to_1";
      case activation::none: break;
    }
    return "";
  }
  static std::string padding_opt(const runtime::op_options& o) {
    if (o.pads.any())  // a folded PAD (runtime/fold_pad.hpp)
      return ", qf::explicit_padding<" + std::to_string(o.pads.top) + ", " + std::to_string(o.pads.bottom) + ", " +
             std::to_string(o.pads.left) + ", " + std::to_string(o.pads.right) + ">";
    return o.pad == padding::same ? ", qf::same" : ", qf::valid";
  }

  void unsupported(const operation& op, const std::string& why) {
    std::string types = "(";
    for (std::size_t i = 0; i < op.inputs.size(); ++i)
      types += (i ? ", " : "") + (op.inputs[i] < 0                           ? std::string("-")
                                  : !at(op.inputs[i]).foreign_type.empty() ? at(op.inputs[i]).foreign_type
                                                                           : std::string(name(at(op.inputs[i]).type)));
    types += ")";
    unsupported_.push_back("node " + std::to_string(op.index) + (op.subgraph > 0 ? " of subgraph " + std::to_string(op.subgraph) : "") +
                           " " + runtime::op_name(op) + types + ": " + why);
  }

  /// Whether the compile-time node of `op` takes these dtypes: the same
  /// combinations the DSL nodes' type rules accept (qfence/ops/).
  /// Whether the op's rule (qfence/rules/) accepts this operation, asked
  /// through the runtime path's prepare, which calls the same rule the
  /// compile-time node does: an op the rule rejects is reported with the
  /// rule's text rather than emitted as a node that cannot compile.
  bool rule_accepts(const operation& op) {
    const auto prepare = runtime::find_own_prepare(op);
    if (prepare == nullptr) return true;
    try {
      (void)prepare(runtime::op_context(m_, op, o_.arithmetic));
    } catch (const runtime::model_error& e) {
      unsupported(op, e.what());
      return false;
    }
    return true;
  }

  /// Whether the compile-time library has a node for `op`. Which dtypes and
  /// shapes it takes is its rule's business (rule_accepts).
  static bool has_node(const operation& op) {
    switch (op.code) {
      case op_code::conv_2d:
      case op_code::depthwise_conv_2d:
      case op_code::fully_connected:
      case op_code::softmax:
      case op_code::svdf:
      case op_code::unidirectional_sequence_lstm:
      case op_code::transpose_conv:
      case op_code::strided_slice:
      case op_code::average_pool_2d:
      case op_code::max_pool_2d:
      case op_code::l2_pool_2d:
      case op_code::relu:
      case op_code::relu6:
      case op_code::logistic:
      case op_code::tanh:
      case op_code::log_softmax:
      case op_code::l2_normalization:
      case op_code::gelu:
      case op_code::leaky_relu:
      case op_code::quantize:
      case op_code::dequantize:
      case op_code::add:
      case op_code::sub:
      case op_code::mul:
      case op_code::div:
      case op_code::floor_div:
      case op_code::floor_mod:
      case op_code::maximum:
      case op_code::minimum:
#define QFENCE_UNARY_MATH_CASE(tag, vectorized) case op_code::tag:
        QFENCE_UNARY_MATH_OPS(QFENCE_UNARY_MATH_CASE)
#undef QFENCE_UNARY_MATH_CASE
      case op_code::cast:
      case op_code::logical_and:
      case op_code::logical_or:
      case op_code::logical_not:
#define QFENCE_COMPARISON_CASE(tag, op_symbol) case op_code::tag:
        QFENCE_COMPARISON_OPS(QFENCE_COMPARISON_CASE)
#undef QFENCE_COMPARISON_CASE
#define QFENCE_REDUCTION_CASE(tag, kind) case op_code::tag:
        QFENCE_REDUCTION_OPS(QFENCE_REDUCTION_CASE)
#undef QFENCE_REDUCTION_CASE
      case op_code::gather_nd:
      case op_code::dynamic_update_slice:
      case op_code::space_to_batch_nd:
      case op_code::batch_to_space_nd:
      case op_code::add_n:
      case op_code::cumsum:
      case op_code::broadcast_args:
      case op_code::reverse_v2:
      case op_code::gather:
      case op_code::embedding_lookup:
      case op_code::batch_matmul:
      case op_code::depth_to_space:
      case op_code::space_to_depth:
      case op_code::broadcast_to:
      case op_code::shape:
      case op_code::fill:
      case op_code::zeros_like:
      case op_code::slice:
      case op_code::select_v2:
      case op_code::prelu:
      case op_code::squared_difference:
      case op_code::squeeze:
      case op_code::expand_dims:
      case op_code::reshape:
      case op_code::pad:
      case op_code::padv2:
      case op_code::mirror_pad:
      case op_code::transpose:
      case op_code::concatenation:
      case op_code::resize_bilinear:
      case op_code::resize_nearest_neighbor:
      case op_code::arg_max:
      case op_code::arg_min: return true;
      default: return false;
    }
  }

  std::string int_list(const tensor& t) const {
    std::string e;
    for (std::int64_t k = 0; k < t.elements(); ++k) {
      const std::int64_t a = t.type == dtype::i32 ? t.constant_data<std::int32_t>()[k] : t.constant_data<std::int64_t>()[k];
      e += (k ? ", " : "") + std::to_string(a);
    }
    return e;
  }

  /// One node expression per operation, or an entry in unsupported_.
  std::string express(const operation& op) {
    const auto& o = op.options;
    auto in = [&](int i) { return op.inputs[static_cast<std::size_t>(i)]; };
    const int out_t = op.outputs.empty() ? -1 : op.outputs[0];
    if (op.outputs.size() != 1) {
      unsupported(op, "operations with several outputs are not embedded yet");
      return {};
    }
    if (!rule_accepts(op)) return {};
    if (runtime::is_circular_buffer(op)) {
      // The count of invokes is a state node of its own, before the op.
      const int count = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::state<qf::circular_buffer_count>()", -1, "CIRCULAR_BUFFER count of invokes"});
      return "qf::circular_buffer<" + std::to_string(at(out_t).dim(1)) + ", " +
             std::to_string(runtime::circular_buffer_period(m_, op)) + ">(" + ref(in(0)) + ", qf::ref<" +
             std::to_string(count) + ">)";
    }
    if (std::string e = express_signal(op); !e.empty()) return e;
    if (!has_node(op)) {
      unsupported(op, "no compile-time node for this op yet");
      return {};
    }
    const tensor& out = at(out_t);
    switch (op.code) {
      case op_code::conv_2d:
      case op_code::depthwise_conv_2d: {
        const bool dw = op.code == op_code::depthwise_conv_2d;
        if (o.raw_activation > 3) break;
        std::string e = std::string(dw ? "qf::depthwise_conv2d(" : "qf::conv2d(") + ref(in(0)) + ", " +
                        constant_expr(in(1)) + ", " +
                        (op.inputs.size() > 2 && in(2) >= 0 ? constant_expr(in(2), true) : "qf::no_bias") +
                        ", qf::stride<" + std::to_string(o.stride_h) + ", " + std::to_string(o.stride_w) + ">";
        if (o.dilation_h != 1 || o.dilation_w != 1)
          e += ", qf::dilation<" + std::to_string(o.dilation_h) + ", " + std::to_string(o.dilation_w) + ">";
        return e + padding_opt(o) + fused(o) + out_option(out) + prepacked_option(op) + ")";
      }
      case op_code::fully_connected: {
        if (o.keep_num_dims && at(in(0)).rank() != 2) break;
        if (out.rank() != 2) break;
        return "qf::fully_connected(" + ref(in(0)) + ", " + constant_expr(in(1)) + ", " +
               (op.inputs.size() > 2 && in(2) >= 0 ? constant_expr(in(2), true) : "qf::no_bias") + fused(o) +
               out_option(out) +
               (out.quant.quantized() && o_.arithmetic == runtime::numerics::tflite ? ", qf::tflite_numerics" : "") +
               (o.asymmetric_quantize_inputs && at(in(1)).type == dtype::i8 && at(in(0)).type == dtype::f32
                    ? ", qf::asymmetric_inputs"
                    : "") +
               prepacked_option(op) + ")";
      }
      case op_code::average_pool_2d:
      case op_code::max_pool_2d:
      case op_code::l2_pool_2d:
        return std::string(op.code == op_code::average_pool_2d ? "qf::average_pool2d("
                           : op.code == op_code::max_pool_2d   ? "qf::max_pool2d("
                                                               : "qf::l2_pool2d(") +
               ref(in(0)) +
               ", qf::filter<" + std::to_string(o.filter_h) + ", " + std::to_string(o.filter_w) + ">, qf::stride<" +
               std::to_string(o.stride_h) + ", " + std::to_string(o.stride_w) + ">" + padding_opt(o) + fused(o) + ")";
      case op_code::reshape:
      case op_code::squeeze:      // a RESHAPE to the output's shape: the same bytes
      case op_code::expand_dims: {
        std::string e = "qf::reshape<";
        for (std::size_t i = 0; i < out.shape.size(); ++i) e += (i ? ", " : "") + std::to_string(out.shape[i]);
        return e + ">(" + ref(in(0)) + ")";
      }
      case op_code::softmax:
        return "qf::softmax(" + ref(in(0)) + ", qf::beta<" + float_literal(o.beta) + ">" +
               (out.type == dtype::i16 ? out_option(out) : std::string()) + ")";
      case op_code::unidirectional_sequence_lstm: {
        std::string e = "qf::unidirectional_sequence_lstm<" + std::string(o.time_major ? "true" : "false") + ">(" +
                        ref(in(0)) + ", " + ref(in(18)) + ", " + ref(in(19)) + ", " + float_literal(o.cell_clip);
        for (int k : {1, 2, 3, 4, 5, 6, 7, 8}) e += ", " + constant_expr(in(k));
        for (int k : {12, 13, 14, 15}) e += ", " + constant_expr(in(k), true);
        return e + ")";
      }
      case op_code::svdf:
        // TFLM's integer SVDF clamps to int8 only; a fused activation in the
        // options is not applied (the runtime kernel does the same). The
        // float SVDF applies it.
        if (!at(in(1)).constant || !at(in(2)).constant) break;
        return "qf::svdf<" + std::to_string(o.rank) + ">(" + ref(in(0)) + ", " + ref(in(4)) + ", " +
               constant_expr(in(1)) + ", " + constant_expr(in(2)) + ", " +
               (op.inputs.size() > 3 && in(3) >= 0 ? constant_expr(in(3), true) : "qf::no_bias") +
               (at(in(0)).type == dtype::f32 ? fused(o) : std::string()) + out_option(out) + ")";
      case op_code::add:
      case op_code::mul:
      case op_code::sub: {
        const bool int32 = at(in(0)).type == dtype::i32;
        const char* fn = op.code == op_code::add   ? (int32 ? "qf::int_add(" : "qf::add(")
                         : op.code == op_code::mul ? (int32 ? "qf::int_mul(" : "qf::mul(")
                                                 : (int32 ? "qf::int_sub(" : "qf::sub(");
        // SUB's int16 multipliers and MUL's multiplier differ between the
        // references (docs/numerics.md); ADD's do not.
        const bool tflite = op.code != op_code::add && out.quant.quantized() && o_.arithmetic == runtime::numerics::tflite;
        return fn + ref(in(0)) + ", " + ref(in(1)) + fused(o) + out_option(out) +
               (tflite ? ", qf::tflite_numerics" : "") + ")";
      }
      case op_code::div:
      case op_code::floor_div:
        return std::string(op.code == op_code::div ? "qf::div(" : "qf::floor_div(") + ref(in(0)) + ", " + ref(in(1)) +
               fused(o) + ")";
      case op_code::floor_mod: return "qf::floor_mod(" + ref(in(0)) + ", " + ref(in(1)) + ")";
      case op_code::maximum:
      case op_code::minimum:
        return std::string(op.code == op_code::maximum ? "qf::maximum(" : "qf::minimum(") + ref(in(0)) + ", " + ref(in(1)) +
               ")";
#define QFENCE_UNARY_MATH_CALL(tag, vectorized) \
  case op_code::tag:                            \
    return "qf::" #tag "(" + ref(in(0)) + out_option(out) + ")";
        QFENCE_UNARY_MATH_OPS(QFENCE_UNARY_MATH_CALL)
#undef QFENCE_UNARY_MATH_CALL
      case op_code::cast: return "qf::cast<" + std::string(dtype_token(out.type)) + ">(" + ref(in(0)) + ")";
      case op_code::logical_and: return "qf::logical_and(" + ref(in(0)) + ", " + ref(in(1)) + ")";
      case op_code::logical_or: return "qf::logical_or(" + ref(in(0)) + ", " + ref(in(1)) + ")";
      case op_code::logical_not: return "qf::logical_not(" + ref(in(0)) + ")";
#define QFENCE_COMPARISON_CALL(tag, op_symbol) \
  case op_code::tag:                           \
    return "qf::" #tag "(" + ref(in(0)) + ", " + ref(in(1)) + ")";
        QFENCE_COMPARISON_OPS(QFENCE_COMPARISON_CALL)
#undef QFENCE_COMPARISON_CALL
      case op_code::gather_nd: return "qf::gather_nd(" + ref(in(0)) + ", " + ref(in(1)) + ")";
      case op_code::depth_to_space:
      case op_code::space_to_depth:
        return std::string(op.code == op_code::depth_to_space ? "qf::depth_to_space<" : "qf::space_to_depth<") +
               std::to_string(o.block_size) + ">(" + ref(in(0)) + ")";
      case op_code::gather:
        return "qf::gather<" + std::to_string(o.axis) + ", " + std::to_string(o.batch_dims) + ">(" + ref(in(0)) + ", " +
               ref(in(1)) + ")";
      case op_code::batch_matmul:
        return "qf::batch_matmul<" + std::string(o.adj_x ? "true" : "false") + ", " + (o.adj_y ? "true" : "false") +
               ">(" + ref(in(0)) + ", " + ref(in(1)) + out_option(out) + ")";
      case op_code::embedding_lookup:
        return std::string(embedding_lookup_dequantizes(at(in(1)).type, out.type) ? "qf::embedding_lookup<true>("
                                                                                  : "qf::embedding_lookup(") +
               ref(in(0)) + ", " + ref(in(1)) + ")";
      case op_code::shape: return "qf::shape_of<" + std::string(dtype_token(out.type)) + ">(" + ref(in(0)) + ")";
      case op_code::zeros_like: return "qf::zeros_like(" + ref(in(0)) + ")";
      case op_code::dynamic_update_slice:
        return "qf::dynamic_update_slice(" + ref(in(0)) + ", " + ref(in(1)) + ", " + ref(in(2)) + ")";
      case op_code::space_to_batch_nd:
      case op_code::batch_to_space_nd:
        if (!at(in(1)).constant || !at(in(2)).constant) break;
        return std::string(op.code == op_code::space_to_batch_nd ? "qf::space_to_batch_nd<" : "qf::batch_to_space_nd<") +
               "qf::ints<" + int_list(at(in(1))) + ">, qf::ints<" + int_list(at(in(2))) + ">>(" + ref(in(0)) + ")";
      case op_code::cumsum: {
        if (!at(in(1)).constant) break;
        const tensor& a = at(in(1));
        const std::int64_t axis = a.type == dtype::i32 ? a.constant_data<std::int32_t>()[0] : a.constant_data<std::int64_t>()[0];
        return "qf::cumsum<" + std::to_string(axis) + ", " + (o.exclusive ? "true" : "false") + ", " +
               (o.reverse ? "true" : "false") + ">(" + ref(in(0)) + out_option(out) + ")";
      }
      case op_code::add_n: {
        std::string e = out.quant.quantized() ? "qf::add_n<qf::per_tensor<" + float_literal(out.quant.scale()) + ", " +
                                                    std::to_string(out.quant.zero_point()) + ">>("
                                              : std::string("qf::add_n(");
        for (std::size_t k = 0; k < op.inputs.size(); ++k) e += (k ? ", " : "") + ref(op.inputs[k]);
        return e + ")";
      }
      case op_code::broadcast_args: return "qf::broadcast_args(" + ref(in(0)) + ", " + ref(in(1)) + ")";
      case op_code::broadcast_to:
        if (!at(in(1)).constant) break;
        return "qf::broadcast_to<" + int_list(at(in(1))) + ">(" + ref(in(0)) + ")";
      case op_code::fill:
        if (!at(in(0)).constant) break;
        return "qf::fill<" + int_list(at(in(0))) + ">(" + ref(in(1)) + ")";
      case op_code::select_v2: return "qf::select_v2(" + ref(in(0)) + ", " + ref(in(1)) + ", " + ref(in(2)) + ")";
      case op_code::squared_difference:
        return "qf::squared_difference(" + ref(in(0)) + ", " + ref(in(1)) + out_option(out) + ")";
      case op_code::prelu:  // uint8 takes TFLite's multipliers either way
        return "qf::prelu(" + ref(in(0)) + ", " + ref(in(1)) + out_option(out) +
               (o_.arithmetic == runtime::numerics::tflite && out.quant.quantized() && out.type != dtype::u8
                    ? ", qf::tflite_numerics"
                    : "") +
               ")";
      case op_code::leaky_relu:
        return "qf::leaky_relu<" + std::to_string(std::bit_cast<std::uint32_t>(o.alpha)) + "u /* alpha " +
               float_literal(o.alpha) + " */>(" + ref(in(0)) + out_option(out) + ")";
      case op_code::slice:
      case op_code::reverse_v2: {
        const bool slice = op.code == op_code::slice;
        if (!at(in(1)).constant || (slice && !at(in(2)).constant)) break;
        const auto values = [&](int t, std::array<std::int64_t, max_rank>& into) {
          const tensor& v = at(t);
          for (std::int64_t k = 0; k < v.elements() && k < max_rank; ++k)
            into[static_cast<std::size_t>(k)] = v.type == dtype::i32 ? v.constant_data<std::int32_t>()[k] : v.constant_data<std::int64_t>()[k];
          return static_cast<int>(v.elements());
        };
        strided_slice_attrs a;
        if (slice) {
          slice_attrs s;
          s.rank = values(in(1), s.begin);
          values(in(2), s.size);
          a = as_strided_slice(s);
        } else {
          reverse_attrs r;
          r.count = values(in(1), r.axes);
          a = as_strided_slice(r, at(in(0)).rank());
        }
        std::string begin, end, strides;
        for (int d = 0; d < a.rank; ++d) {
          const auto k = static_cast<std::size_t>(d);
          begin += (d ? ", " : "") + std::to_string(a.begin[k]);
          end += (d ? ", " : "") + std::to_string(a.end[k]);
          strides += (d ? ", " : "") + std::to_string(a.strides[k]);
        }
        const std::string spec = "specs::" + spec_id();
        specs_.push_back("inline constexpr qf::slice_spec<" + std::to_string(a.rank) + "> " + spec_id() +
                         "{{" + begin + "}, {" + end + "}, {" + strides + "}, " + std::to_string(a.begin_mask) + ", " +
                         std::to_string(a.end_mask) + ", 0, " + (a.offset ? "true" : "false") + "};  // " +
                         std::string(slice ? "SLICE: begin, size" : "REVERSE_V2: stride -1 along the axes"));
        return "qf::strided_slice<" + spec + ">(" + ref(in(0)) + ")";
      }
      case op_code::strided_slice: {
        if (!at(in(1)).constant || !at(in(2)).constant || !at(in(3)).constant) break;
        if (o.ellipsis_mask != 0 || o.new_axis_mask != 0) break;
        const std::string spec = "specs::" + spec_id();
        specs_.push_back("inline constexpr qf::slice_spec<" + std::to_string(at(in(0)).rank()) + "> " + spec_id() +
                         "{{" + int_list(at(in(1))) + "}, {" + int_list(at(in(2))) +
                         "}, {" + int_list(at(in(3))) + "}, " + std::to_string(o.begin_mask) + ", " +
                         std::to_string(o.end_mask) + ", " + std::to_string(o.shrink_axis_mask) + ", " +
                         (o.offset ? "true" : "false") + "};");
        return "qf::strided_slice<" + spec + ">(" + ref(in(0)) + ")";
      }
      case op_code::transpose_conv: {
        if (o.raw_activation > 3) break;
        return "qf::transpose_conv<" + shape_token(out.shape) + ">(" + ref(in(2)) + ", " + constant_expr(in(1)) + ", " +
               (op.inputs.size() > 3 && in(3) >= 0 ? constant_expr(in(3), true) : "qf::no_bias") + ", qf::stride<" +
               std::to_string(o.stride_h) + ", " + std::to_string(o.stride_w) + ">" + padding_opt(o) + fused(o) +
               out_option(out) + ")";
      }
#define QFENCE_REDUCTION_CALL(tag, kind)                                                                   \
  case op_code::tag:                                                                                     \
    if (!at(in(1)).constant) break;                                                                      \
    return "qf::" #tag "<" + int_list(at(in(1))) + ">(" + ref(in(0)) + (o.keep_dims ? ", qf::keep_dims" : "") + \
           out_option(out) + ")";
        QFENCE_REDUCTION_OPS(QFENCE_REDUCTION_CALL)
#undef QFENCE_REDUCTION_CALL
      case op_code::mirror_pad:
        if (!at(in(1)).constant) break;
        return std::string("qf::mirror_pad<qf::mirror_mode::") + (o.mirror_mode == 0 ? "reflect" : "symmetric") + ", " +
               int_list(at(in(1))) + ">(" + ref(in(0)) + ")";
      case op_code::pad:
      case op_code::padv2: {
        const bool given_value = op.inputs.size() == 3 && in(2) >= 0;
        if (op.inputs.size() > 3 || !at(in(1)).constant) break;
        const tensor& p = at(in(1));
        std::string e = "qf::pad<";
        for (std::int64_t k = 0; k < p.elements(); ++k) {
          const std::int64_t a = p.type == dtype::i32 ? p.constant_data<std::int32_t>()[k]
                                                      : p.constant_data<std::int64_t>()[k];
          e += (k ? ", " : "") + std::to_string(a);
        }
        return e + ">(" + ref(in(0)) + (given_value ? ", " + ref(in(2)) : "") + ")";
      }
      case op_code::transpose: {
        if (!at(in(1)).constant) break;
        const tensor& p = at(in(1));
        std::string e = "qf::transpose<";
        for (std::int64_t k = 0; k < p.elements(); ++k) {
          const std::int64_t a = p.type == dtype::i32 ? p.constant_data<std::int32_t>()[k]
                                                      : p.constant_data<std::int64_t>()[k];
          e += (k ? ", " : "") + std::to_string(a);
        }
        return e + ">(" + ref(in(0)) + ")";
      }
      case op_code::concatenation: {
        if (o.fused != activation::none) break;
        const int axis = o.axis < 0 ? o.axis + out.rank() : o.axis;
        bool same = true;
        for (int t : op.inputs)
          same = same && at(t).quant.scales == out.quant.scales && at(t).quant.zero_points == out.quant.zero_points;
        if (!same && out.type != dtype::u8) break;
        std::string e = same ? "qf::concatenation<" + std::to_string(axis) + ">("
                             : "qf::concatenation_rescaled<" + std::to_string(axis) + ", qf::per_tensor<" +
                                   float_literal(out.quant.scale()) + ", " + std::to_string(out.quant.zero_point()) +
                                   ">>(";
        for (std::size_t i = 0; i < op.inputs.size(); ++i) e += (i ? ", " : "") + ref(op.inputs[i]);
        return e + ")";
      }
      case op_code::quantize:
        if (!out.quant.quantized()) break;
        return "qf::quantize<qf::per_tensor<" + float_literal(out.quant.scale()) + ", " +
               std::to_string(out.quant.zero_point()) + ">, " + dtype_token(out.type) + ">(" + ref(in(0)) + ")";
      case op_code::dequantize: return "qf::dequantize(" + ref(in(0)) + ")";
      case op_code::relu: return "qf::relu(" + ref(in(0)) + out_option(out) + ")";
      case op_code::relu6:  // TFLM's int8/int16 RELU6 ignores the output's parameters (make_relu_params)
        return "qf::relu6(" + ref(in(0)) + out_option(out) +
               (o_.arithmetic == runtime::numerics::tflite && out.quant.quantized() ? ", qf::tflite_numerics" : "") +
               ")";
      case op_code::logistic:
        return "qf::logistic(" + ref(in(0)) +
               (o_.arithmetic == runtime::numerics::tflite && at(in(0)).type == dtype::i8 ? ", qf::tflite_numerics" : "") +
               ")";
      case op_code::tanh: return "qf::tanh(" + ref(in(0)) + ")";
      case op_code::log_softmax: return "qf::log_softmax(" + ref(in(0)) + ")";
      case op_code::l2_normalization: return "qf::l2_normalization(" + ref(in(0)) + ")";
      case op_code::gelu:
        return std::string(o.approximate ? "qf::gelu<true>(" : "qf::gelu(") + ref(in(0)) + out_option(out) + ")";
      case op_code::resize_bilinear:
      case op_code::resize_nearest_neighbor: {
        const std::string mode = o.align_corners ? "qf::resize_mode::align_corners"
                                 : o.half_pixel_centers ? "qf::resize_mode::half_pixel_centers"
                                                        : "qf::resize_mode::plain";
        return std::string(op.code == op_code::resize_bilinear ? "qf::resize_bilinear<" : "qf::resize_nearest_neighbor<") +
               std::to_string(out.dim(1)) + ", " + std::to_string(out.dim(2)) + ", " + mode + ">(" + ref(in(0)) + ")";
      }
      case op_code::arg_max:
      case op_code::arg_min: {
        if (!at(in(1)).constant) break;
        int axis = static_cast<int>(at(in(1)).type == dtype::i32 ? at(in(1)).constant_data<std::int32_t>()[0]
                                                                  : at(in(1)).constant_data<std::int64_t>()[0]);
        if (axis < 0) axis += at(in(0)).rank();
        return std::string(op.code == op_code::arg_max ? "qf::arg_max<" : "qf::arg_min<") + std::to_string(axis) + ", " + dtype_token(out.type) + ">(" + ref(in(0)) + ")";
      }
      default: break;
    }
    unsupported(op, "no compile-time node for this op and these options yet");
    return {};
  }

  /// Inputs that are parameters of the op (weights, shapes, axes), read at
  /// generation time or embedded as constants, rather than data flowing in.
  static bool parameter_slot(const operation& op, std::size_t i) {
    switch (op.code) {
      case op_code::conv_2d:
      case op_code::depthwise_conv_2d:
      case op_code::fully_connected: return i >= 1;
      case op_code::transpose_conv: return i != 2;
      case op_code::reshape:
      case op_code::expand_dims:
      case op_code::pad:
      case op_code::mirror_pad:
      case op_code::transpose:
#define QFENCE_REDUCTION_CASE(tag, kind) case op_code::tag:
        QFENCE_REDUCTION_OPS(QFENCE_REDUCTION_CASE)
#undef QFENCE_REDUCTION_CASE
      case op_code::strided_slice:
      case op_code::slice:
      case op_code::reverse_v2:
      case op_code::broadcast_to:
      case op_code::resize_bilinear:
      case op_code::resize_nearest_neighbor:
      case op_code::arg_max:
      case op_code::arg_min: return i >= 1;
      case op_code::split:
      case op_code::fill: return i == 0;
      case op_code::padv2: return i == 1;  // input 2, the value, is data
      case op_code::split_v:
      case op_code::space_to_batch_nd:
      case op_code::batch_to_space_nd:
      case op_code::cumsum: return i >= 1;
      case op_code::svdf: return i >= 1 && i <= 3;  // input 4 is the state node
      case op_code::unidirectional_sequence_lstm: return i >= 1 && i <= 17;  // 18, 19: the state nodes
      default: return false;
    }
  }

  /// SPLIT and UNPACK have several outputs; the typed graph's nodes have one.
  /// Each output is a STRIDED_SLICE of the input (UNPACK's shrinks the
  /// axis), which moves the same bytes.
  bool lower_multi_output(const operation& op) {
    const bool split = op.code == op_code::split;
    const bool split_v = op.code == op_code::split_v;
    const bool unpack = op.code == op_code::unpack;
    if (!split && !split_v && !unpack) return false;
    const int data = split ? op.inputs[1] : op.inputs[0];
    const tensor& in = at(data);
    int axis = 0;
    if (split || split_v) {
      const tensor& a = at(op.inputs[split ? 0 : 2]);
      axis = static_cast<int>(a.type == dtype::i32 ? a.constant_data<std::int32_t>()[0] : a.constant_data<std::int64_t>()[0]);
    } else {
      axis = op.options.axis;
    }
    if (axis < 0) axis += in.rank();
    const int parts = static_cast<int>(op.outputs.size());
    int first = 0;  // the part's first index along the axis
    for (int k = 0; k < parts; ++k) {
      const int t = op.outputs[static_cast<std::size_t>(k)];
      const int size = unpack ? 1 : at(t).dim(axis);  // the prepared op checked the outputs' shapes
      std::string begin, end, strides;
      for (int d = 0; d < in.rank(); ++d) {
        const int b = d == axis ? first : 0;
        const int e = d == axis ? first + size : in.dim(d);
        begin += (d ? ", " : "") + std::to_string(b);
        end += (d ? ", " : "") + std::to_string(e);
        strides += std::string(d ? ", " : "") + "1";
      }
      first += size;
      const std::string id = spec_id();
      specs_.push_back("inline constexpr qf::slice_spec<" + std::to_string(in.rank()) + "> " + id + "{{" + begin +
                       "}, {" + end + "}, {" + strides + "}, 0, 0, " + std::to_string(unpack ? (1 << axis) : 0) +
                       ", false};  // " + runtime::op_name(op) + " output " + std::to_string(k));
      node_of_[t] = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::strided_slice<specs::" + id + ">(" + ref(data) + ")", t,
                        runtime::op_name(op) + " part " + std::to_string(k)});
    }
    return true;
  }


  /// In a model that mixes quantized and float tensors, the nodes that
  /// compute in float are its float islands: each is wrapped in qf::fence so
  /// that the graph's type says where they are. The model's own DEQUANTIZE /
  /// QUANTIZE (and CAST) nodes stay explicit as the islands' borders, so the
  /// arithmetic is the model's, operation for operation.
  void mark_fences() {
    bool quantized = false;
    for (const auto& t : m_.tensors) quantized = quantized || (t.quant.quantized() && !t.constant);
    if (!quantized) return;
    for (auto& n : nodes_) {
      if (n.tensor < 0 || at(n.tensor).type != dtype::f32) continue;  // custom op nodes are fenced already
      if (n.op == "input" || n.op == "constant" || n.op == "DEQUANTIZE" || n.op == "CAST" || n.op.starts_with("variable "))
        continue;
      n.fenced = true;
    }
  }

  /// A model's name for a tensor or custom op as a C++ identifier: other
  /// characters become '_', a leading digit gets "op_", and a keyword or a
  /// name reserved to the implementation (a leading '_', any "__") gets a
  /// trailing '_' or a leading "op" ("register" -> "register_").
  static std::string identifier(const std::string& s) {
    static constexpr std::string_view keywords[] = {
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
        "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
        "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
        "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
        "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
        "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
        "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
        "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
        "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq"};
    std::string id;
    for (char c : s) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0]))) id = "op_" + id;
    if (id[0] == '_') id = "op" + id;
    while (id.find("__") != std::string::npos) id.replace(id.find("__"), 2, "_");
    if (std::find(std::begin(keywords), std::end(keywords), id) != std::end(keywords)) id += '_';
    return id;
  }

  struct custom_op_info {
    std::string name, id;
    std::vector<int> inputs, outputs;
  };

  /// A custom op becomes a requirement on the graph's Ops parameter: one
  /// fenced node running the application's implementation (inputs
  /// dequantized to float by the fence when they are quantized), and one
  /// node per output extracting it with the type the implementation declares.
  bool lower_custom(const operation& op) {
    if (!op.is_custom() || runtime::find_shipped_custom_op(op) != nullptr) return false;
    custom_op_info info{op.custom_code, identifier(op.custom_code), op.inputs, op.outputs};
    for (int t : op.inputs)
      if (t < 0 || !node_of_.contains(t)) {
        unsupported(op, "a custom op input that no node produces");
        return true;
      }
    const std::string impl = "typename custom_ops::checked<Ops>::" + info.id;
    const std::string name_tag = "custom_ops::" + info.id + "_name";
    std::string e = "qf::model_custom_op<" + name_tag + ", " + impl + ">(";
    for (std::size_t i = 0; i < op.inputs.size(); ++i) e += (i ? ", " : "") + ref(op.inputs[i]);
    const int packed = static_cast<int>(nodes_.size());
    nodes_.push_back({e + ")", -1, op.custom_code + " (custom op; outputs packed)", true});
    for (std::size_t k = 0; k < op.outputs.size(); ++k) {
      node_of_[op.outputs[k]] = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::model_custom_output<" + name_tag + ", " + impl + ", " + std::to_string(k) + ">(qf::ref<" +
                            std::to_string(packed) + ">)",
                        -2 - op.outputs[k], op.custom_code + " output " + std::to_string(k), true});
    }
    if (std::none_of(custom_ops_.begin(), custom_ops_.end(), [&](const auto& c) { return c.name == info.name; }))
      custom_ops_.push_back(std::move(info));
    return true;
  }

  /// TFLite_Detection_PostProcess (a custom op qfence ships): one node with
  /// its four outputs packed (ops/detection_postprocess.hpp), and one node
  /// per output taking it out.
  bool lower_detection_postprocess(const operation& op) {
    if (!runtime::is_detection_postprocess(op)) return false;
    if (!rule_accepts(op)) return true;  // listed in unsupported_ (embed's checks stop before, naming it)
    const auto& d = op.options.detection;
    auto bits = [](float f) { return "qf::float_bits(" + hex_float_literal(f) + ")"; };
    const std::string spec = "qf::detection_postprocess_spec<" + std::to_string(d.max_detections) + ", " +
                             std::to_string(d.max_classes_per_detection) + ", " +
                             std::to_string(d.detections_per_class) + ", " + (d.use_regular_nms ? "true" : "false") +
                             ", " + std::to_string(d.num_classes) + ", " + bits(d.nms_score_threshold) + ", " +
                             bits(d.nms_iou_threshold) + ", " + bits(d.y_scale) + ", " + bits(d.x_scale) + ", " +
                             bits(d.h_scale) + ", " + bits(d.w_scale) + ">";
    push_packed_outputs(op,
                        "qf::detection_postprocess<" + spec + ">(" + ref(op.inputs[0]) + ", " + ref(op.inputs[1]) +
                            ", " + ref(op.inputs[2]) + ")",
                        "qf::detection_postprocess_output<" + spec + ", ");
    return true;
  }

  /// A shipped op whose outputs one node computes, packed in its output:
  /// that node (`packed`), then a node per output K taking it out,
  /// `taker` + "K>(qf::ref<packed node>)".
  void push_packed_outputs(const operation& op, std::string packed, const std::string& taker) {
    const int node = static_cast<int>(nodes_.size());
    nodes_.push_back({std::move(packed), -1, runtime::op_name(op) + " (outputs packed)"});
    for (std::size_t k = 0; k < op.outputs.size(); ++k) {
      node_of_[op.outputs[k]] = static_cast<int>(nodes_.size());
      nodes_.push_back({taker + std::to_string(k) + ">(qf::ref<" + std::to_string(node) + ">)", op.outputs[k],
                        runtime::op_name(op) + " output " + std::to_string(k)});
    }
  }

  /// The single-output ops of TFLM's signal library (custom ops qfence
  /// ships; ops/signal/); empty for any other op.
  std::string express_signal(const operation& op) {
    const auto& o = op.options;
    auto in = [&](int i) { return ref(op.inputs[static_cast<std::size_t>(i)]); };
    if (op.is_custom(runtime::signal_window_code))
      return "qf::signal_window<" + std::to_string(o.signal_window.shift) + ">(" + in(0) + ", " + in(1) + ")";
    if (op.is_custom(runtime::signal_energy_code))
      return "qf::signal_energy<" + std::to_string(o.signal_energy.start_index) + ", " +
             std::to_string(o.signal_energy.end_index) + ">(" + in(0) + ")";
    if (op.is_custom(runtime::signal_filter_bank_code))
      return "qf::signal_filter_bank<" + std::to_string(o.signal_filter_bank.num_channels) + ">(" + in(0) + ", " +
             in(1) + ", " + in(2) + ", " + in(3) + ", " + in(4) + ", " + in(5) + ")";
    if (op.is_custom(runtime::signal_filter_bank_square_root_code))
      return "qf::signal_filter_bank_square_root(" + in(0) + ", " + in(1) + ")";
    if (op.is_custom(runtime::signal_filter_bank_log_code))
      return "qf::signal_filter_bank_log<" + std::to_string(o.signal_filter_bank_log.input_correction_bits) + ", " +
             std::to_string(o.signal_filter_bank_log.output_scale) + ">(" + in(0) + ")";
    if (op.is_custom(runtime::signal_rfft_code) || op.is_custom(runtime::signal_irfft_code))
      return std::string(op.is_custom(runtime::signal_rfft_code) ? "qf::signal_rfft<" : "qf::signal_irfft<") +
             std::to_string(o.signal_fft.fft_length) + ">(" + in(0) + ")";
    if (op.is_custom(runtime::signal_delay_code) || op.is_custom(runtime::signal_overlap_add_code)) {
      // The samples kept across invokes are a state node of their own, before the op.
      const bool delay = op.is_custom(runtime::signal_delay_code);
      const std::string x = type_name(op.inputs[0]);
      const int state = static_cast<int>(nodes_.size());
      nodes_.push_back({delay ? "qf::state<qf::signal_delay_state<" + x + ", " +
                                    std::to_string(o.signal_delay.delay_length) + ">>()"
                              : "qf::state<qf::signal_overlap_add_state<" + x + ">>()",
                        -1, op.custom_code + " state"});
      return (delay ? "qf::signal_delay<" + std::to_string(o.signal_delay.delay_length)
                    : "qf::signal_overlap_add<" + std::to_string(o.signal_overlap_add.frame_step)) +
             ">(" + in(0) + ", qf::ref<" + std::to_string(state) + ">)";
    }
    if (op.is_custom(runtime::signal_pcan_code))
      return "qf::signal_pcan<" + std::to_string(o.signal_pcan.snr_shift) + ">(" + in(0) + ", " + in(1) + ", " +
             in(2) + ")";
    return {};
  }

  /// The signal library's ops with two outputs: SignalFftAutoScale (a node
  /// per output, each from the input) and SignalFilterBankSpectralSubtraction
  /// (a node with both outputs packed, its noise estimate a state node before
  /// it, and a node per output taking it out).
  bool lower_signal_two_outputs(const operation& op) {
    const bool scale = op.is_custom(runtime::signal_fft_auto_scale_code);
    const bool subtraction = op.is_custom(runtime::signal_filter_bank_spectral_subtraction_code);
    const bool framer = op.is_custom(runtime::signal_framer_code);
    const bool stacker = op.is_custom(runtime::signal_stacker_code);
    if (!scale && !subtraction && !framer && !stacker) return false;
    if (!rule_accepts(op)) return true;  // listed in unsupported_ (embed's checks stop before, naming it)
    const std::string x = ref(op.inputs[0]);
    if (framer || stacker) {
      // Their queue and counts are state nodes before the op; a node after
      // it reads the valid flag from the counts.
      const auto& f = op.options.signal_framer;
      const auto& k = op.options.signal_stacker;
      const std::string in_type = type_name(op.inputs[0]);
      const std::string queue_type =
          framer ? "qf::signal_framer_queue<" + in_type + ", " + std::to_string(f.frame_size) + ", " +
                       std::to_string(f.frame_step) + ">"
                 : "qf::signal_stacker_queue<" + std::to_string(k.num_channels) + ", " +
                       std::to_string(k.left_context) + ", " + std::to_string(k.right_context) + ">";
      const std::string counts_type =
          framer ? "qf::signal_framer_counts<" + in_type + ">" : std::string("qf::signal_stacker_counts");
      const int queue = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::state<" + queue_type + ">()", -1, op.custom_code + " queue"});
      const int counts = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::state<" + counts_type + ">()", -1, op.custom_code + " counts"});
      const std::string states = ", qf::ref<" + std::to_string(queue) + ">, qf::ref<" + std::to_string(counts) + ">)";
      const int main = static_cast<int>(nodes_.size());
      node_of_[op.outputs[0]] = main;
      nodes_.push_back({framer ? "qf::signal_framer<" + std::to_string(f.frame_size) + ", " +
                                     std::to_string(f.frame_step) + ", " + (f.prefill ? "true" : "false") + ">(" + x +
                                     states
                               : "qf::signal_stacker<" + std::to_string(k.num_channels) + ", " +
                                     std::to_string(k.left_context) + ", " + std::to_string(k.right_context) + ", " +
                                     std::to_string(k.step) + ">(" + x + states,
                        op.outputs[0], op.custom_code + " output 0"});
      node_of_[op.outputs[1]] = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::signal_valid_flag<" + counts_type + "::elements - 1>(qf::ref<" + std::to_string(counts) +
                            ">, qf::ref<" + std::to_string(main) + ">)",
                        op.outputs[1], op.custom_code + " output 1 (valid)"});
      return true;
    }
    if (scale) {
      node_of_[op.outputs[0]] = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::signal_fft_auto_scale(" + x + ")", op.outputs[0], "SignalFftAutoScale output 0"});
      node_of_[op.outputs[1]] = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::signal_fft_auto_scale_shift(" + x + ")", op.outputs[1], "SignalFftAutoScale output 1"});
      return true;
    }
    const auto& a = op.options.signal_spectral_subtraction;
    const std::string spec = "qf::signal_spectral_subtraction_spec<" + std::to_string(a.num_channels) + ", " +
                             std::to_string(a.config.smoothing) + "u, " + std::to_string(a.config.one_minus_smoothing) +
                             "u, " + std::to_string(a.config.alternate_smoothing) + "u, " +
                             std::to_string(a.config.alternate_one_minus_smoothing) + "u, " +
                             std::to_string(a.config.min_signal_remaining) + "u, " +
                             std::to_string(a.config.smoothing_bits) + "u, " +
                             std::to_string(a.config.spectral_subtraction_bits) + "u, " +
                             (a.config.clamping ? "true" : "false") + ">";
    const int noise = static_cast<int>(nodes_.size());
    nodes_.push_back({"qf::state<typename " + spec + "::noise_estimate>()", -1,
                      "SignalFilterBankSpectralSubtraction noise estimate"});
    push_packed_outputs(op,
                        "qf::signal_spectral_subtraction<" + spec + ">(" + x + ", qf::ref<" + std::to_string(noise) +
                            ">)",
                        "qf::signal_spectral_subtraction_output<" + spec + ", ");
    return true;
  }

  /// PACK has no node of its own: each input is reshaped to carry the new
  /// axis (size 1), then they are concatenated along it.
  bool lower_pack(const operation& op) {
    if (op.code != op_code::pack) return false;
    const tensor& out = at(op.outputs[0]);
    int axis = op.options.axis;
    if (axis < 0) axis += out.rank();
    std::vector<int> parts;
    for (int t : op.inputs) {
      std::vector<int> dims = at(t).shape;
      dims.insert(dims.begin() + axis, 1);
      std::string e = "qf::reshape<";
      for (std::size_t i = 0; i < dims.size(); ++i) e += (i ? ", " : "") + std::to_string(dims[i]);
      parts.push_back(static_cast<int>(nodes_.size()));
      nodes_.push_back({e + ">(" + ref(t) + ")", -1, "PACK input (axis added)"});
    }
    std::string e = "qf::concatenation<" + std::to_string(axis) + ">(";
    for (std::size_t i = 0; i < parts.size(); ++i) e += (i ? ", " : "") + ("qf::ref<" + std::to_string(parts[i]) + ">");
    node_of_[op.outputs[0]] = static_cast<int>(nodes_.size());
    nodes_.push_back({e + ")", op.outputs[0], runtime::op_name(op)});
    return true;
  }

  /// Why the typed graph cannot hold an operand of `op`: a dtype qfence has
  /// no type for, or a tensor no operation writes (empty: it can).
  std::string untyped_operand(const operation& op) const {
    for (const auto* list : {&op.inputs, &op.outputs})
      for (int t : *list) {
        if (t < 0) continue;
        if (!at(t).foreign_type.empty())
          return "tensor t" + std::to_string(t) + " has dtype " + at(t).foreign_type + ", which qfence does not run";
        if (at(t).unwritten)
          return "tensor t" + std::to_string(t) + " is read but written by no operation (a scratch tensor); the "
                 "compile-time graph has no node for it";
      }
    return {};
  }

  /// The subgraphs IF, WHILE and CALL_ONCE call from the main graph, each
  /// after those it calls (the order their builders are written in).
  std::vector<int> called_graphs() const {
    std::vector<int> order;
    std::vector<bool> seen(graph_ops_.size(), false);
    const auto visit = [&](const auto& self, int k) -> void {
      for (const operation& op : graph_ops_[static_cast<std::size_t>(k)])
        for (const int c : runtime::called_subgraphs(op))
          if (c >= 1 && c < static_cast<int>(graph_ops_.size()) && !seen[static_cast<std::size_t>(c)]) {
            seen[static_cast<std::size_t>(c)] = true;
            self(self, c);
            order.push_back(c);
          }
    };
    visit(visit, 0);
    return order;
  }

  /// Plans the main graph and every subgraph it calls (the interpreter has
  /// checked that the calls do not loop).
  void plan_graphs() {
    plans_.resize(graph_ops_.size());
    emit_order_ = called_graphs();
    find_variables();
    std::vector<int> planned = emit_order_;
    planned.push_back(0);  // last: nodes_ and node_of_ stay the main graph's
    for (const int k : planned) plan_graph(k);
    if (!unsupported_.empty()) return;
    // The typed graph declares each graph's outputs (declare_outputs), so
    // an output that other nodes also read keeps its bytes to the end.
    for (const int k : planned)
      for (int t : plans_[static_cast<std::size_t>(k)].outputs)
        if ((at(t).constant && !init_assigns_.contains(k)) || !plans_[static_cast<std::size_t>(k)].node_of.contains(t))
          unsupported_.push_back("output t" + std::to_string(t) + (k > 0 ? " of subgraph " + std::to_string(k) : "") +
                                 " is a constant, which the typed graph cannot name as an output");
  }

  /// The nodes of subgraph k (0: the main graph), into plans_[k].
  void plan_graph(int k) {
    graph_ = k;
    nodes_.clear();
    node_of_.clear();
    plan_nodes();
    std::vector<int> outputs = m_.outputs_of(k);
    if (const auto init = init_assigns_.find(k); init != init_assigns_.end()) {
      outputs.clear();  // CALL_ONCE's init model gives the values it assigns, one per variable
      for (const auto& [id, value] : init->second) outputs.push_back(value);
    }
    plans_[static_cast<std::size_t>(k)] = {nodes_, node_of_, std::move(outputs)};
  }

  // ---- resource variables -----------------------------------------------------
  // A variable (VAR_HANDLE's container and shared_name, matched as TFLM's
  // FindId matches them) is a qf::variable node at the top of the main
  // graph, typed as the value the first ASSIGN_VARIABLE (in the order TFLM
  // prepares the subgraphs) writes, which sizes it there. The main graph's
  // VAR_HANDLEs name that node; its READ_VARIABLE and ASSIGN_VARIABLE
  // become read_variable and assign_variable nodes. CALL_ONCE's init
  // subgraph becomes a model whose outputs are the values it assigns (the
  // last one per variable), and call_once stores them.

  /// The variable VAR_HANDLE `op` names.
  int variable_id(const operation& op) {
    return variables_.id_of(op.options.has_container, op.options.container, op.options.shared_name);
  }

  /// The variable whose handle tensor `t` a VAR_HANDLE writes; -1 if none
  /// does. (Tensor indices are global; the interpreter's checks, which
  /// embed runs first, require a handle from the op's own subgraph.)
  int variable_of_handle(int t) const {
    const auto v = handle_variable_.find(t);
    return v == handle_variable_.end() ? -1 : v->second;
  }

  void find_variables() {
    for (const auto& ops : graph_ops_)
      for (const operation& op : ops) {
        if (op.code == op_code::var_handle && !op.outputs.empty()) handle_variable_[op.outputs[0]] = variable_id(op);
        if (op.code != op_code::assign_variable || op.inputs.size() != 2) continue;
        const int id = variable_of_handle(op.inputs[0]);
        if (id >= 0 && !variable_type_.contains(id)) variable_type_[id] = op.inputs[1];
      }
    for (const operation& op : graph_ops_[0])
      if (op.code == op_code::call_once) init_assigns_[op.options.init_subgraph];  // planned as an init model
  }

  /// "variable 'name'", for comments and messages.
  std::string variable_label(int id) { return "variable " + variables_.at(id).label(); }

  /// The variable nodes of the main graph, after its inputs.
  void plan_variables() {
    for (int id = 0; id < static_cast<int>(variables_.size()); ++id) {
      const auto type = variable_type_.find(id);
      if (type == variable_type_.end()) continue;  // never assigned: a READ of it is refused by the interpreter
      variable_node_[id] = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::variable<" + type_name(type->second) + ">()", type->second, variable_label(id)});
    }
  }

  /// VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE and CALL_ONCE; false for any other op.
  bool lower_resource_variable(const operation& op) {
    const bool init = init_assigns_.contains(graph_);
    switch (op.code) {
      case op_code::var_handle:
        if (graph_ == 0) {
          // A variable no ASSIGN_VARIABLE writes has no node; nothing may read it (the interpreter checks).
          if (const auto node = variable_node_.find(variable_of_handle(op.outputs[0])); node != variable_node_.end())
            node_of_[op.outputs[0]] = node->second;
        } else if (!init) {
          not_in_this_graph(op);
        }
        return true;
      case op_code::read_variable: {
        if (graph_ != 0) {
          if (init) unsupported(op, "reads a variable in CALL_ONCE's init subgraph; the compile-time path's init "
                                    "model only computes the values it assigns");
          else not_in_this_graph(op);
          return true;
        }
        const int id = variable_of_handle(op.inputs[0]);
        if (!variable_type_.contains(id)) {
          unsupported(op, "reads a variable that no VAR_HANDLE of the main graph names, or that no ASSIGN_VARIABLE writes");
          return true;
        }
        const tensor &out = at(op.outputs[0]), &var = at(variable_type_.at(id));
        if (out.type != var.type || out.shape != var.shape || !(out.quant == var.quant)) {
          unsupported(op, "its output is " + runtime::type_text(out) + ", and " + variable_label(id) + " is " +
                              runtime::type_text(var) + " (as its first ASSIGN_VARIABLE writes it): the typed graph "
                              "reads a variable with its own type");
          return true;
        }
        node_of_[op.outputs[0]] = static_cast<int>(nodes_.size());
        nodes_.push_back({"qf::read_variable(qf::ref<" + std::to_string(variable_node_.at(id)) + ">)", op.outputs[0],
                          "READ_VARIABLE"});
        return true;
      }
      case op_code::assign_variable: {
        if (graph_ != 0 && !init) {
          not_in_this_graph(op);
          return true;
        }
        const int id = variable_of_handle(op.inputs[0]);
        if (!variable_type_.contains(id) || (!init && ref(op.inputs[1]).empty())) {
          unsupported(op, "writes a variable that no VAR_HANDLE of its subgraph names, or a value no node computes");
          return true;
        }
        const tensor &value = at(op.inputs[1]), &var = at(variable_type_.at(id));
        if (!passes_as(describe(value), describe(var))) {
          unsupported(op, "writes " + runtime::type_text(value) + " into " + variable_label(id) + ", which is " +
                              runtime::type_text(var) + ": the typed graph copies values of the variable's dtype, "
                              "size and quantization");
          return true;
        }
        if (init) {
          init_assigns_[graph_][id] = op.inputs[1];  // the last value assigned is the one the variable keeps
          return true;
        }
        nodes_.push_back({"qf::assign_variable(qf::ref<" + std::to_string(variable_node_.at(id)) + ">, " +
                              ref(op.inputs[1]) + ")",
                          -1, "ASSIGN_VARIABLE"});
        return true;
      }
      case op_code::call_once: {
        if (graph_ != 0) {
          unsupported(op, "runs in a subgraph; the compile-time path runs CALL_ONCE from the main graph");
          return true;
        }
        const int k = op.options.init_subgraph;
        const auto& assigned = init_assigns_.at(k);
        if (assigned.empty()) return true;  // an init that assigns nothing changes nothing
        std::string e = "qf::call_once(" + builder(k);
        for (const auto& [id, value] : assigned) e += ", qf::ref<" + std::to_string(variable_node_.at(id)) + ">";
        nodes_.push_back({e + ")", -1, "CALL_ONCE"});
        return true;
      }
      default: return false;
    }
  }

  /// A resource-variable op in a subgraph that IF or WHILE runs: reported
  /// once per subgraph (its other variable ops would say the same).
  void not_in_this_graph(const operation& op) {
    if (!variables_refused_in_.insert(graph_).second) return;
    unsupported(op, "uses a resource variable in a subgraph that IF or WHILE runs; the compile-time path keeps "
                    "variables in the main graph and CALL_ONCE's init subgraph (a called model runs in its caller's "
                    "scratch memory and keeps no state)");
  }

  void plan_nodes() {
    for (int t : m_.inputs_of(graph_)) {
      node_of_[t] = static_cast<int>(nodes_.size());
      nodes_.push_back({"qf::input<" + type_name(t) + ">()", t, "input"});
    }
    if (graph_ == 0) plan_variables();
    std::set<int> failed;  // tensors no node produces (their op is listed in unsupported_)
    int cascaded = 0;
    for (const operation& op : graph_ops_[static_cast<std::size_t>(graph_)]) {  // the main graph's with PADs folded, as the runtime path runs them
      bool blocked = false;
      for (std::size_t i = 0; i < op.inputs.size(); ++i) {
        const int t = op.inputs[i];
        if (t < 0 || parameter_slot(op, i)) continue;
        if (failed.contains(t)) {
          blocked = true;
        } else if (!node_of_.contains(t) && at(t).variable && graph_ > 0) {
          unsupported(op, "reads variable tensor t" + std::to_string(t) + " in a subgraph: a called model runs in its "
                          "caller's scratch memory and keeps no state");
          blocked = true;
        } else if (!node_of_.contains(t) && at(t).variable) {
          // Variable tensors (SVDF's memory) become state nodes, reset by
          // model::reset_state and updated in place by their op.
          node_of_[t] = static_cast<int>(nodes_.size());
          nodes_.push_back({at(t).data.empty() ? "qf::state<" + type_name(t) + ">()"
                                               : "qf::state(" + constant_expr(t) + ")",
                            t, "state"});
        } else if (!node_of_.contains(t) && at(t).constant) {
          // A constant operand becomes a literal node.
          node_of_[t] = static_cast<int>(nodes_.size());
          nodes_.push_back({"qf::literal(" + constant_expr(t) + ")", t, "constant"});
        }
      }
      if (blocked) {
        ++cascaded;
        for (int t : op.outputs) failed.insert(t);
        continue;
      }
      if (lower_resource_variable(op)) {
        // A refused READ_VARIABLE's value, and the handles of a subgraph whose variables were refused.
        const bool refused = op.code == op_code::read_variable || variables_refused_in_.contains(graph_);
        for (int t : op.outputs)
          if (refused && !node_of_.contains(t)) failed.insert(t);
        continue;
      }
      if (const std::string why = untyped_operand(op); !why.empty()) {
        unsupported(op, why);
        for (int t : op.outputs) failed.insert(t);
        continue;
      }
      if (lower_multi_output(op) || lower_pack(op) || lower_detection_postprocess(op) || lower_signal_two_outputs(op) ||
          lower_custom(op) || lower_control_flow(op))
        continue;
      std::string e = express(op);
      if (e.empty()) {
        for (int t : op.outputs) failed.insert(t);
        continue;
      }
      node_of_[op.outputs[0]] = static_cast<int>(nodes_.size());
      nodes_.push_back({e, op.outputs[0], runtime::op_name(op)});
    }
    mark_fences();
    if (cascaded > 0)
      unsupported_.push_back("and " + std::to_string(cascaded) + " node" + (cascaded == 1 ? "" : "s") +
                             " downstream of those" + (graph_ > 0 ? " in subgraph " + std::to_string(graph_) : ""));
  }

  /// The builder of subgraph k's typed model over the header's weights.
  static std::string builder(int k) { return "build_subgraph_" + std::to_string(k) + "<W, Ops>()"; }

  /// IF and WHILE: one node running the called models (built inline by
  /// their builders), its values packed; a node per output taking value K
  /// out with the branch's (body's) type, which must be the op's output's.
  bool lower_control_flow(const operation& op) {
    if (op.code != op_code::if_ && op.code != op_code::while_) return false;
    if (!rule_accepts(op)) return true;
    const bool is_if = op.code == op_code::if_;
    const int typed_by = is_if ? op.options.then_subgraph : op.options.body_subgraph;
    const std::vector<int>& values = m_.outputs_of(typed_by);
    for (std::size_t k = 0; k < op.outputs.size(); ++k) {
      const tensor &out = at(op.outputs[k]), &value = at(values.at(k));
      if (out.type != value.type || out.shape != value.shape || !(out.quant == value.quant)) {
        unsupported(op, "output " + std::to_string(k) + " is " + runtime::type_text(out) + ", and subgraph " +
                            std::to_string(typed_by) + " gives it as " + runtime::type_text(value) +
                            ": the typed graph gives each value the type of the model that computes it");
        return true;
      }
    }
    std::string e = is_if ? "qf::if_(" + ref(op.inputs[0]) + ", " + builder(op.options.then_subgraph) + ", " +
                                builder(op.options.else_subgraph)
                          : "qf::while_(" + builder(op.options.cond_subgraph) + ", " + builder(op.options.body_subgraph);
    for (std::size_t i = is_if ? 1 : 0; i < op.inputs.size(); ++i) e += ", " + ref(op.inputs[i]);
    const std::size_t packed = nodes_.size();
    push_packed_outputs(op, e + ")", "qf::control_flow_output<decltype(" + builder(typed_by) + "), ");
    nodes_[packed].calls = is_if ? std::vector<int>{op.options.then_subgraph, op.options.else_subgraph}
                                 : std::vector<int>{op.options.cond_subgraph, op.options.body_subgraph};
    return true;
  }

  // ---- emitting -------------------------------------------------------------
  void types_header_top(std::ostringstream& out) const {
    out << "// " << o_.name << "_types.hpp: generated by `qfence embed " << o_.source_path << " --name " << o_.name
        << "`.\n// Do not edit: regenerate with the same command.\n//\n"
        << "// The model's types without its weights: include this where you only name\n"
        << "// the model, its tensors or its arena; include " << o_.name << ".hpp (weights and graph)\n"
        << "// in the one translation unit that runs it.\n//\n"
        << "// " << m_.operations.size() << " operators, " << m_.tensors.size() << " tensors.\n"
        << "//   using M = " << o_.name << "::model;                 // the typed graph\n"
        << "//   static qfence::arena<M> arena;               // M::arena_bytes, a constant\n"
        << "//   " << o_.name << "::graph().reset_state(arena);  // once: state (e.g. SVDF memory), if any\n"
        << "//   arena.input<0>()                              // std::span of input 0's type and size: write it\n"
        << "//   " << o_.name << "::graph().invoke(arena);      // runs every node; allocates nothing\n"
        << "//   arena.output<0>()                             // std::span of output 0, in the model's order\n"
        << "#pragma once\n\n#include <array>\n#include <cstdint>\n#include <tuple>\n#include <type_traits>\n\n#include \"qfence.hpp\"\n\n"
        << "namespace " << o_.name << " {\nnamespace qf = ::qfence;\n\n";
  }

  void model_header_top(std::ostringstream& out, const std::string& types_file) const {
    out << "// " << o_.name << ".hpp: generated by `qfence embed " << o_.source_path << " --name " << o_.name
        << "`.\n// Do not edit: regenerate with the same command.\n//\n"
        << "// The model's weights and its graph object; the types are in " << types_file << ".\n"
        << "#pragma once\n\n#include \"" << types_file << "\"\n\n"
        << "namespace " << o_.name << " {\n\n";
  }

  void types(std::ostringstream& out) {
    out << "// ---- tensor types ------------------------------------------------------------\n"
        << "namespace types {\n";
    std::set<int> needed;
    for (const auto& plan : plans_)
      for (const auto& n : plan.nodes)
        if (n.tensor >= 0) needed.insert(n.tensor);
    for (int t : used_constants_) needed.insert(t);
    typed_ = needed;
    for (int t : needed) {
      const tensor& x = at(t);
      std::string quant = "qf::no_quant";
      const bool bias_only = bias_types_.contains(t) && !used_as_non_bias(t) && !weight_use_.contains(t);
      if (x.quant.per_channel() && !bias_only) {
        out << "inline constexpr std::array<float, " << x.quant.scales.size() << "> t" << t << "_scales{";
        for (std::size_t i = 0; i < x.quant.scales.size(); ++i) out << (i ? ", " : "") << float_literal(x.quant.scales[i]);
        out << "};\ninline constexpr std::array<int, " << x.quant.zero_points.size() << "> t" << t << "_zero_points{";
        for (std::size_t i = 0; i < x.quant.zero_points.size(); ++i) out << (i ? ", " : "") << x.quant.zero_points[i];
        out << "};\n";
        quant = "qf::per_channel<t" + std::to_string(t) + "_scales, t" + std::to_string(t) + "_zero_points, " +
                std::to_string(x.quant.axis) + ">";
      } else if (x.quant.quantized() && !bias_types_.contains(t)) {
        quant = "qf::per_tensor<" + float_literal(x.quant.scale()) + ", " + std::to_string(x.quant.zero_point()) + ">";
      }
      if (!bias_only)
        out << "using t" << t << " = qf::tensor<" << dtype_token(x.type) << ", " << shape_token(x.shape)
            << (quant == "qf::no_quant" ? std::string() : ", " + quant) << ">;  // " << comment_name(x.name) << "\n";
      if (bias_types_.contains(t))  // biases are typed by the layer (scale = input scale * weight scale)
        out << "using b" << t << " = qf::tensor<" << dtype_token(x.type) << ", qf::shape<" << x.elements()
            << ">>;  // " << comment_name(x.name) << "\n";
    }
    out << "}  // namespace types\n\n";
  }

  bool used_as_non_bias(int t) const {
    for (const auto& plan : plans_)
      for (const auto& n : plan.nodes)
        if (n.tensor == t) return true;
    return false;
  }

  /// The element type and the C++ spelling of constant t's data.
  std::string weight_decl(int t) const {
    const tensor& x = at(t);
    const bool bytes = x.type == dtype::i8 || x.type == dtype::u8;
    // A string literal carries a terminating NUL: one element more.
    return std::string(element_token(x.type)) + " t" + std::to_string(t) + "[" +
           std::to_string(x.elements() + (bytes ? 1 : 0)) + "]";
  }

  void no_weights(std::ostringstream& out) {
    out << "// ---- the graph, built over any source of weights ------------------------------\n"
        << "/// Null weights: enough to name the model's type (the graph's type does not\n"
        << "/// depend on the weights' values), never to run it.\n"
        << "struct no_weights {\n";
    for (int t : used_constants_)
      out << "  static constexpr const " << element_token(at(t).type) << "* t" << t << " = nullptr;\n";
    for (const auto& p : packed_) out << "  static constexpr const " << p.element << "* " << p.name << " = nullptr;\n";
    out << "};\n\n";
  }

  void weights(std::ostringstream& out) {
    out << "// ---- weights (read-only, typed, constexpr) -------------------------------------\n"
        << "// int8/uint8 weights are string literals (GCC and Clang parse them at hundreds\n"
        << "// of MB/s, unlike brace initialisers; a literal initialises a (un)signed char\n"
        << "// array, hence one element more for its NUL). Literals longer than 64 KiB are\n"
        << "// fine for GCC and Clang; -Wpedantic warns (-Woverlength-strings): not here.\n"
        << "#if defined(__GNUC__)\n#pragma GCC diagnostic push\n#pragma GCC diagnostic ignored \"-Woverlength-strings\"\n"
        << "#endif\nstruct weights {\n";
    for (int t : used_constants_) {
      const tensor& x = at(t);
      const auto* bytes = reinterpret_cast<const unsigned char*>(x.data.data());
      out << "  alignas(64) static constexpr " << weight_decl(t) << " =";
      if (x.type == dtype::i8 || x.type == dtype::u8) {
        write_bytes(out, bytes, x.data.size());
        out << ";  // " << comment_name(x.name) << "\n";
      } else {
        out << " {";
        for (std::int64_t i = 0; i < x.elements(); ++i) {
          if (i % 12 == 0) out << "\n      ";
          switch (x.type) {
            case dtype::f32: out << hex_float_literal(x.constant_data<float>()[i]); break;
            case dtype::i16: out << x.constant_data<std::int16_t>()[i]; break;
            case dtype::i32: out << x.constant_data<std::int32_t>()[i]; break;
            case dtype::i64: out << x.constant_data<std::int64_t>()[i] << "LL"; break;
            case dtype::u16: out << x.constant_data<std::uint16_t>()[i] << "u"; break;
            case dtype::u32: out << x.constant_data<std::uint32_t>()[i] << "u"; break;
            case dtype::u64: out << x.constant_data<std::uint64_t>()[i] << "ULL"; break;
            // A bool's byte, read as a byte: a model's bytes need not be 0 or 1.
            case dtype::boolean: out << (x.constant_data<std::uint8_t>()[i] != 0 ? "true" : "false"); break;
            case dtype::f16: out << "{" << x.constant_data<std::uint16_t>()[i] << "}"; break;  // qfence::half's bits
            case dtype::i8:
            case dtype::u8: break;  // written as bytes above
          }
          out << ",";
        }
        out << "};  // " << comment_name(x.name) << "\n";
      }
    }
    packed_section(out);
    out << "};\n#if defined(__GNUC__)\n#pragma GCC diagnostic pop\n#endif\n\n";
  }

  /// `bytes` as a string literal, in lines of about 100 columns.
  static void write_bytes(std::ostringstream& out, const unsigned char* bytes, std::size_t size) {
    out << "\n      \"";
    std::size_t column = 0;
    bool last_was_hex = false;
    for (std::size_t i = 0; i < size; ++i) {
      const unsigned char c = bytes[i];
      char buf[8];
      const bool printable =
          c >= 32 && c < 127 && c != '"' && c != '\\' && c != '?' && !(last_was_hex && std::isxdigit(c));
      if (printable) {
        buf[0] = static_cast<char>(c);
        buf[1] = 0;
        last_was_hex = false;
      } else {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        last_was_hex = true;
      }
      out << buf;
      column += std::strlen(buf);
      if (column >= 100 && i + 1 < size) {
        out << "\"\n      \"";
        column = 0;
        last_was_hex = false;
      }
    }
    out << "\"";
  }

  /// The packed SIMD data of the layers (kernels/packed_conv.hpp), named
  /// pk<operator> (weights) and ep<operator> (per-channel constants).
  void packed_section(std::ostringstream& out) {
    for (const auto& p : packed_) {
      out << "  alignas(64) static constexpr " << p.element << " " << p.name << "[" << p.count + (p.bytes.empty() ? 0 : 1)
          << "] =";
      if (!p.bytes.empty()) {
        write_bytes(out, p.bytes.data(), p.bytes.size());
      } else if (!p.floats.empty()) {
        out << " {";
        for (std::size_t i = 0; i < p.floats.size(); ++i)
          out << (i % 8 == 0 ? "\n      " : "") << hex_float_literal(p.floats[i]) << ",";
        out << "}";
      } else {
        out << " {";
        for (std::size_t i = 0; i < p.words.size(); ++i) out << (i % 12 == 0 ? "\n      " : "") << p.words[i] << ",";
        out << "}";
      }
      out << ";  // operator " << p.op << ", packed for the SIMD kernels\n";
    }
  }

  /// `, qf::prepacked(...)` for a layer the Highway kernels run (the runtime
  /// path's own decision and packing, runtime/ops/conv.hpp), recording its
  /// arrays; "" otherwise.
  std::string prepacked_option(const operation& op) {
    const runtime::op_context ctx(m_, op, o_.arithmetic);
    const std::string id = (op.subgraph > 0 ? "s" + std::to_string(op.subgraph) + "_" : std::string()) + std::to_string(op.index);
    packed_array weights_array{"pk" + id, "", op.index, 0, {}, {}, {}};
    packed_array epilogue{"ep" + id, "std::int32_t", op.index, 0, {}, {}, {}};
    auto words = [](const std::int32_t* data, std::size_t n) { return std::vector<std::int64_t>(data, data + n); };
    if (const auto p = runtime::ops::packed_conv_float_layer(ctx)) {  // weights and bias in one array
      weights_array.element = "float";
      weights_array.count = p->packing.count();
      weights_array.floats.assign(p->data.get(), p->data.get() + weights_array.count);
      packed_.push_back(std::move(weights_array));
      return ", qf::prepacked(W::pk" + id + ", nullptr)";
    }
    // int16x8: weights in pairs (the typed layer widens its bias itself).
    if (const auto p = runtime::ops::packed_conv_int16x8_layer(ctx)) {
      weights_array.element = "std::int8_t";
      weights_array.count = p->packing.weight_bytes();
      const auto* bytes = reinterpret_cast<const unsigned char*>(p->weights.get());
      weights_array.bytes.assign(bytes, bytes + weights_array.count);
      packed_.push_back(std::move(weights_array));
      return ", qf::prepacked(W::pk" + id + ", nullptr)";
    }
    // A hybrid layer (float input, int8 weights): its packed weights, and
    // each channel's weight sum as the epilogue (kernels/hybrid_conv.hpp).
    const bool conv_like = op.code == op_code::conv_2d || op.code == op_code::depthwise_conv_2d ||
                           op.code == op_code::fully_connected;
    if (conv_like && ctx.input(0).type == dtype::f32 && ctx.input(1).type == dtype::i8) {
      return runtime::ops::detail::with_packed_hybrid_layer(
          ctx,
          [&](const auto& p) -> std::string {
            const std::size_t count = kernels::hybrid_weight_count(p->packing);
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(p->weights[0])>, std::int16_t>) {
              weights_array.element = "std::int16_t";
              weights_array.words.assign(p->weights.get(), p->weights.get() + count);
            } else {
              weights_array.element = "std::int8_t";
              const auto* bytes = reinterpret_cast<const unsigned char*>(p->weights.get());
              weights_array.bytes.assign(bytes, bytes + count);
            }
            weights_array.count = count;
            epilogue.count = static_cast<std::size_t>(kernels::hybrid_channels(p->packing));
            epilogue.words = words(p->weight_sums.get(), epilogue.count);
            packed_.push_back(std::move(weights_array));
            packed_.push_back(std::move(epilogue));
            return ", qf::prepacked(W::pk" + id + ", W::ep" + id + ")";
          },
          [] { return std::string(); });
    }
    // int8 and legacy uint8 pack into the same element types.
    const auto record_depthwise = [&](const auto& p) {
      weights_array.element = "std::int16_t";
      weights_array.count = p->packing.weight_count();
      weights_array.words.assign(p->weights.get(), p->weights.get() + weights_array.count);
      epilogue.count = p->packing.epilogue_words();
      epilogue.words = words(p->epilogue.get(), epilogue.count);
    };
    const auto record_conv = [&](const auto& p) {
      weights_array.element = "std::int8_t";
      weights_array.count = p->packing.weight_bytes();
      const auto* bytes = reinterpret_cast<const unsigned char*>(p->weights.get());
      weights_array.bytes.assign(bytes, bytes + weights_array.count);
      epilogue.count = p->packing.epilogue_words();
      epilogue.words = words(p->epilogue.get(), epilogue.count);
    };
    if (op.code == op_code::depthwise_conv_2d) {
      if (const auto p = runtime::ops::packed_depthwise_layer<std::int8_t>(ctx)) record_depthwise(p);
      else if (const auto q = runtime::ops::packed_depthwise_layer<std::uint8_t>(ctx)) record_depthwise(q);
      else return "";
    } else {
      if (const auto p = runtime::ops::packed_conv_layer<std::int8_t>(ctx)) record_conv(p);
      else if (const auto q = runtime::ops::packed_conv_layer<std::uint8_t>(ctx)) record_conv(q);
      else return "";
    }
    packed_.push_back(std::move(weights_array));
    packed_.push_back(std::move(epilogue));
    return ", qf::prepacked(W::pk" + id + ", W::ep" + id + ")";
  }

  void custom_ops_section(std::ostringstream& out) {
    if (custom_ops_.empty()) return;
    out << "// ---- custom ops this model needs ------------------------------------------\n"
        << "// graph<Ops>() requires Ops to implement each of them (see the static_assert in\n"
        << "// custom_ops::checked for the signature to write).\nnamespace custom_ops {\n";
    for (const auto& c : custom_ops_) {
      std::string inputs_doc, run_args, fallback_args, outputs_doc;
      for (std::size_t i = 0; i < c.inputs.size(); ++i) {
        const tensor& t = at(c.inputs[i]);
        const bool q = t.quant.quantized();
        const std::string elem = q ? "float" : element_token(t.type);
        run_args += (i ? ", " : "") + std::string("const ") + elem + "* in" + std::to_string(i) + " /* " +
                    shape_text_of(t) + (q ? ", dequantized" : "") + " */";
        fallback_args += std::string(i ? ", " : "") + "const " + elem + "*";
      }
      std::string outs, out_args;
      for (std::size_t k = 0; k < c.outputs.size(); ++k) {
        const tensor& t = at(c.outputs[k]);
        outs += std::string(k ? ", " : "") + "qfence::tensor<qfence::" + std::string(dtype_token(t.type)).substr(4) +
                ", qfence::shape<" +
                (t.shape.empty() ? std::string("...") : shape_text_of(t).substr(1, shape_text_of(t).size() - 2)) + ">>";
        out_args += std::string(", ") + element_token(t.type) + "* out" + std::to_string(k);
        fallback_args += std::string(", ") + element_token(t.type) + "*";
      }
      out << "struct " << c.id << "_name {\n  static constexpr const char* name = \"" << escape(c.name) << "\";\n};\n"
          << "template <class Ops>\nconcept provides_" << c.id << " = requires { typename Ops::" << c.id
          << "::outputs; &Ops::" << c.id << "::run; };\n"
          << "/// Stands in for a missing implementation, so that the one error is the static_assert below.\n"
          << "struct missing_" << c.id << " {\n  using outputs = std::tuple<";
      for (std::size_t k = 0; k < c.outputs.size(); ++k)
        out << (k ? ", " : "") << "qf::tensor<" << dtype_token(at(c.outputs[k]).type) << ", qf::shape<1>>";
      out << ">;\n  static void run(" << fallback_args << ") {}\n};\n";
      custom_checks_ += "  static_assert(provides_" + c.id + "<Ops>,\n" +
                        "                \"qfence: this model needs custom op '" + escape(c.name) +
                        "'. fix: give graph<Ops>() an Ops with\\n\"\n" +
                        "                \"  struct " + c.id + " {\\n\"\n" +
                        "                \"    using outputs = std::tuple<" + outs +
                        ">;  // shapes the model leaves to the op: fill them in\\n\"\n" +
                        "                \"    static void run(" + run_args + out_args + ");\\n\"\n" +
                        "                \"  };\");\n";
      custom_members_ += "  using " + c.id + " = typename std::conditional_t<provides_" + c.id + "<Ops>, Ops, fallback>::" +
                         c.id + ";\n";
      fallback_members_ += "    using " + c.id + " = missing_" + c.id + ";\n";
    }
    out << "template <class Ops>\nstruct checked {\n  struct fallback {\n" << fallback_members_ << "  };\n"
        << custom_checks_ << custom_members_ << "};\n}  // namespace custom_ops\n\n";
  }

  std::string shape_text_of(const tensor& t) const { return runtime::shape_text(t.shape); }

  bool templated() const { return !custom_ops_.empty(); }

  void graph_builder(std::ostringstream& out) {
    for (const int k : emit_order_) {
      out << "/// Subgraph " << k << " (which IF, WHILE or CALL_ONCE calls) over weights W, with custom ops Ops.\n"
          << "template <class W, class Ops>\nconstexpr auto build_subgraph_" << k << "() {\n";
      graph_body(out, k);
      out << "}\n\n";
    }
    out << "/// The typed graph over weights W (`no_weights` or `weights`), with custom ops Ops.\n"
        << "template <class W, class Ops>\nconstexpr auto build_graph() {\n";
    graph_body(out, 0);
    out << "}\n";
    if (templated()) {
      out << "/// The model's type, with the application's implementations Ops of the custom ops.\n"
          << "template <class Ops>\nusing model = std::remove_cvref_t<decltype(build_graph<no_weights, Ops>())>;\n\n";
    } else {
      out << "/// The model's type.\nusing model = std::remove_cvref_t<decltype(build_graph<no_weights, void>())>;\n\n";
    }
  }

  /// The body of subgraph k's builder: its graph, checked node by node.
  void graph_body(std::ostringstream& out, int k) {
    const graph_plan& plan = plans_[static_cast<std::size_t>(k)];
    // The outputs declared first: graph(nodes...).outputs(...) would also
    // build the model of inferred outputs, a second type of every node's
    // member functions, whose names GCC mangles even when nothing calls
    // them (traffic_backbone, GCC 12 -O2, one target: its types header
    // alone 71 -> 24 s, the header with invoke 102 -> 75 s).
    out << "  constexpr auto g = qf::graph(qf::declare_outputs<";
    for (std::size_t i = 0; i < plan.outputs.size(); ++i) out << (i ? ", " : "") << plan.node_of.at(plan.outputs[i]);
    out << ">,\n";
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
      const auto& n = plan.nodes[i];
      const int t = n.tensor >= 0 ? n.tensor : (n.tensor <= -2 ? -2 - n.tensor : -1);
      if (t >= 0)
        out << "      /* n" << i << " " << n.op << " -> t" << t << " " << comment_name(at(t).name) << " */\n";
      else
        out << "      /* n" << i << " " << n.op << " */\n";
      out << "      " << (n.fenced ? "qf::fence(" + n.expression + ")" : n.expression)
          << (i + 1 < plan.nodes.size() ? "," : "") << "\n";
    }
    out << "  );\n";
    out << "  // Every node infers exactly the type the model declares (checked once the\n"
        << "  // graph itself is valid, so that a graph error stays the only error).\n"
        << "  using M = std::remove_cvref_t<decltype(g)>;\n";
    const std::string where = k > 0 ? " of subgraph " + std::to_string(k) : "";
    for (std::size_t i = 0; i < plan.nodes.size(); ++i)
      if (plan.nodes[i].tensor >= 0)
        out << "  static_assert(!M::valid || std::is_same_v<typename M::template node_output_type<" << i << ">, "
            << type_name(plan.nodes[i].tensor) << ">, \"qfence embed: node n" << i << where << " (" << plan.nodes[i].op
            << ") infers a type other than the model's; regenerate the header with this qfence version\");\n";
    out << "  return g;\n";
  }

  void graph_object(std::ostringstream& out) const {
    out << "// ---- the graph object ------------------------------------------------------------\n";
    if (templated()) {
      out << "/// The typed graph with its weights, with the application's implementations of the custom ops.\n"
          << "template <class Ops>\ninline constexpr auto graph_v = build_graph<weights, Ops>();\n"
          << "template <class Ops>\nconstexpr const auto& graph() { return graph_v<Ops>; }\n\n";
    } else {
      out << "/// The typed graph with its weights.\ninline constexpr auto graph_v = build_graph<weights, void>();\n"
          << "constexpr const auto& graph() { return graph_v; }\n"
          << "static_assert(std::is_same_v<std::remove_cv_t<decltype(graph_v)>, model>);\n\n";
    }
    out << "/// Everything a generic driver needs, as one type (tools/qfence/embed_driver.cpp).\n"
        << (templated() ? "template <class Ops>\n" : "") << "struct info {\n  using model = " << o_.name
        << (templated() ? "::model<Ops>;\n" : "::model;\n") << "  static constexpr const auto& graph() { return "
        << o_.name << (templated() ? "::graph<Ops>(); }\n" : "::graph(); }\n")
        << "  static constexpr const auto& input_names = " << o_.name << "::input_names;\n"
        << "  static constexpr const auto& output_names = " << o_.name << "::output_names;\n"
        << "  static constexpr const char* source_model = " << o_.name << "::source_model;\n"
        << "  static constexpr int output_count = " << o_.name << "::output_count;\n};\n\n";
  }

  void io(std::ostringstream& out) {
    out << "// ---- inputs and outputs, in the model's order -------------------------------\n";
    out << "inline constexpr const char* input_names[] = {";
    for (std::size_t i = 0; i < m_.inputs.size(); ++i)
      out << (i ? ", " : "") << "\"" << escape(at(m_.inputs[i]).name) << "\"";
    out << "};\ninline constexpr const char* output_names[] = {";
    for (std::size_t i = 0; i < m_.outputs.size(); ++i)
      out << (i ? ", " : "") << "\"" << escape(at(m_.outputs[i]).name) << "\"";
    out << "};\ninline constexpr const char* source_model = \"" << escape(o_.source_path) << "\";\n";
    out << "inline constexpr int input_count = " << m_.inputs.size()
        << ";\ninline constexpr int output_count = " << m_.outputs.size() << ";\n";
    if (!templated())
      out << "static_assert(model::input_count == input_count && model::output_count == output_count);\n";
    // Named aliases: input_K / output_K, and every tensor of the graph by its
    // name in the model (made an identifier; a repeated name gets _2, _3...).
    for (std::size_t i = 0; i < m_.inputs.size(); ++i)
      out << "using input_" << i << " = " << type_name(m_.inputs[i]) << ";  // " << comment_name(at(m_.inputs[i]).name)
          << "\n";
    for (std::size_t i = 0; i < m_.outputs.size(); ++i) {
      // An output a custom op writes has no tensor type of its own: the model names it.
      const std::string type = typed_.contains(m_.outputs[i]) ? type_name(m_.outputs[i])
                               : templated() ? "typename model<Ops>::template output_type<" + std::to_string(i) + ">"
                                             : "model::output_type<" + std::to_string(i) + ">";
      out << (templated() && !typed_.contains(m_.outputs[i]) ? "template <class Ops>\n" : "") << "using output_" << i
          << " = " << type << ";  // " << comment_name(at(m_.outputs[i]).name) << "\n";
    }
    out << "/// Every tensor the graph computes, by its name in the model.\nnamespace tensors {\n";
    std::map<std::string, int> seen;
    for (const auto& n : nodes_) {
      if (n.tensor < 0 || at(n.tensor).name.empty()) continue;
      std::string id = identifier(at(n.tensor).name);
      if (const int k = ++seen[id]; k > 1) id += "_" + std::to_string(k);
      out << "using " << id << " = " << type_name(n.tensor) << ";\n";
    }
    out << "}  // namespace tensors\n\n";
  }

  static std::string escape(const std::string& s) {
    std::string r;
    for (char c : runtime::printable(s, 4096)) {
      if (c == '"' || c == '\\') r += '\\';
      r += c;
    }
    return r;
  }

  const model& m_;
  std::vector<std::vector<operation>> graph_ops_;  // by subgraph, as the interpreter runs them
  const embed_options& o_;
  // The graph being planned (0: the main graph), its nodes and which node
  // produces each tensor; plans_[k] holds subgraph k's once planned.
  int graph_ = 0;
  std::vector<node_line> nodes_;
  std::map<int, int> node_of_;
  struct graph_plan {
    std::vector<node_line> nodes;
    std::map<int, int> node_of;
    std::vector<int> outputs;  // the tensors the graph's model gives, in order
  };
  std::vector<graph_plan> plans_;
  std::vector<int> emit_order_;  // the subgraphs called, each after those it calls
  runtime::resource_variables variables_;      // by id, as the interpreter numbers them
  std::map<int, int> handle_variable_;         // VAR_HANDLE's output tensor -> variable id
  std::map<int, int> variable_type_;           // id -> the tensor its first ASSIGN_VARIABLE writes
  std::map<int, int> variable_node_;           // id -> its node in the main graph
  std::map<int, std::map<int, int>> init_assigns_;  // CALL_ONCE's init subgraph -> variable id -> value tensor
  std::set<int> variables_refused_in_;               // subgraphs whose variable ops were reported
  struct packed_array {
    std::string name, element;
    int op;
    std::size_t count;
    std::vector<unsigned char> bytes;  // 8-bit arrays, written as a literal
    std::vector<std::int64_t> words;   // integer arrays of wider elements
    std::vector<float> floats;         // float arrays, written exactly (hexadecimal)
  };
  std::vector<packed_array> packed_;
  std::set<int> used_constants_;
  std::set<int> typed_;  // tensors with a types::tN alias
  std::set<int> bias_types_;
  std::set<int> weight_use_;
  std::vector<std::string> unsupported_;
  std::vector<std::string> specs_;
  std::vector<custom_op_info> custom_ops_;
  std::string custom_checks_, custom_members_, fallback_members_;
};

}  // namespace detail

/// The header `qfence embed` writes for `m`.
/// The two headers `qfence embed` writes for `m`; `types_file` is the name
/// under which NAME.hpp includes the types header (see types_file_name).
inline generated_headers write_headers(const runtime::model& m, const embed_options& options,
                                       const std::string& types_file) {
  // DEQUANTIZEs of constants (float16 weights) are computed here, as the
  // interpreter computes them at load: the header embeds their f32 values.
  const std::optional<runtime::model> folded = runtime::with_constants_folded(m);
  return detail::writer(folded ? *folded : m, options).write(types_file);
}

/// The nodes of the typed graph `qfence embed` writes for `m`, subgraph by
/// subgraph (0: the main graph), node index by node index: which tensor
/// each computes, which subgraphs it runs. Throws runtime::model_error
/// where embed would refuse the model.
inline std::vector<std::vector<embedded_node>> embedded_nodes(const runtime::model& m) {
  const std::optional<runtime::model> folded = runtime::with_constants_folded(m);
  const embed_options options{"model", "", runtime::numerics::tflm};
  return detail::writer(folded ? *folded : m, options).nodes();
}

}  // namespace qfence::codegen

QFENCE_EXACT_FLOAT_END
