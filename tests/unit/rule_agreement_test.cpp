// Both paths accept and reject the same operands, with the same output
// types and the same error, for every op whose rule lives in qfence/rules/.
//
// Cases are generated at compile time (a seeded xorshift over dtypes, ranks,
// shapes, quantization, options and out<...>, plus hand-picked edge cases).
// Each case becomes, on the compile-time path, the typed node built from
// tensor types and options (its `rule<Input>` is what validate() asserts and
// its typed<>::output what the graph uses) and, on the runtime path, a
// runtime model whose operation goes through the op's prepare. The test
// requires: the same verdict; the runtime error text contains the
// compile-time error's text; an accepted case's output type is the one the
// runtime path accepts, and a different output shape is rejected.
#include <array>
#include <bit>
#include <cstring>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "qfence.hpp"
#include "qfence/runtime/op_registry.hpp"
#include "qfence/tflite/op_map.hpp"

namespace qf = qfence;
using qf::dtype;
using qf::tensor_desc;

namespace {

// ---- generating descriptions -------------------------------------------------

struct rng {
  std::uint32_t s;
  constexpr std::uint32_t next() noexcept {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
  constexpr int below(int n) noexcept { return static_cast<int>(next() % static_cast<std::uint32_t>(n)); }
  constexpr bool chance(int percent) noexcept { return below(100) < percent; }
};

constexpr float scale_of(rng& r) { return 0.001f * static_cast<float>(1 + r.below(400)); }

/// An activation-like operand: mostly valid for the op, sometimes not.
constexpr tensor_desc activation(rng& r, int rank) {
  tensor_desc t;
  constexpr dtype kinds[] = {dtype::f32, dtype::f32, dtype::i8, dtype::i8, dtype::u8, dtype::i16, dtype::i32};
  t.type = kinds[r.below(7)];
  t.rank = rank;
  for (int d = 0; d < rank; ++d) t.dims[static_cast<std::size_t>(d)] = 1 + r.below(6);
  if (t.type == dtype::i8 || t.type == dtype::u8)
    t.quant = qf::quant_desc::tensor(scale_of(r), t.type == dtype::i8 ? r.below(256) - 128 : r.below(256));
  if (t.type == dtype::i16) t.quant = qf::quant_desc::tensor(scale_of(r), r.chance(85) ? 0 : 5);
  return t;
}

/// Weights for input `in`: the matching dtype most of the time.
constexpr tensor_desc weights(rng& r, const tensor_desc& in, int rank, const std::int64_t* dims, int channel_axis) {
  tensor_desc w;
  w = w.reshaped(rank, dims);
  const bool matching = r.chance(85);
  if (in.type == dtype::f32) {
    w.type = matching ? dtype::f32 : dtype::i8;
  } else if (in.type == dtype::u8) {
    w.type = matching ? dtype::u8 : dtype::i8;
  } else {
    w.type = matching ? dtype::i8 : dtype::u8;
  }
  if (w.type == dtype::f32) return w;
  const std::int64_t channels = w.dim(channel_axis);
  if (w.type == dtype::i8 && r.chance(50) && channels > 1) {
    w.quant = {qf::quant_kind::per_channel, scale_of(r), 0, r.chance(85) ? channels : channels + 1,
               r.chance(90) ? channel_axis : 1 - (channel_axis > 0 ? 1 : 0), r.chance(90)};
    w.quant.zero_point = w.quant.symmetric ? 0 : 1;
  } else {
    w.quant = qf::quant_desc::tensor(scale_of(r), w.type == dtype::u8 ? r.below(256) : (r.chance(85) ? 0 : 9));
  }
  return w;
}

constexpr tensor_desc bias_for(rng& r, const tensor_desc& in, std::int64_t channels) {
  tensor_desc b;
  b.rank = 1;
  b.dims[0] = r.chance(90) ? channels : channels + 1;
  b.type = in.type == dtype::f32 ? dtype::f32 : in.type == dtype::i16 ? (r.chance(50) ? dtype::i64 : dtype::i32) : dtype::i32;
  if (r.chance(10)) b.type = b.type == dtype::f32 ? dtype::i32 : dtype::f32;
  return b;
}

constexpr qf::output_request request_for_input(rng& r, const tensor_desc& in) {
  qf::output_request q;
  if (in.type == dtype::f32) {
    if (r.chance(10)) q = {true, false, dtype::i8, qf::quant_desc::tensor(0.1f, 0), false, {}};
    return q;
  }
  if (r.chance(8)) return q;  // no out<...>
  q.given = true;
  q.dtype_given = r.chance(30);
  q.type = q.dtype_given ? (r.chance(70) ? in.type : dtype::i16) : in.type;
  q.quant = qf::quant_desc::tensor(scale_of(r), q.type == dtype::i16 ? (r.chance(90) ? 0 : 3)
                                                 : q.type == dtype::u8 ? r.below(256) : r.below(256) - 128);
  return q;
}

// ---- describing the cases as types ----------------------------------------------

template <class Holder>
struct per_channel_arrays {
  static constexpr std::size_t n = static_cast<std::size_t>(Holder::value.quant.channels);
  static constexpr std::array<float, n> scales = [] {
    std::array<float, n> a{};
    for (auto& s : a) s = Holder::value.quant.scale;
    return a;
  }();
  static constexpr std::array<int, n> zeros = [] {
    std::array<int, n> a{};
    if (!Holder::value.quant.symmetric) a[0] = 1;
    return a;
  }();
};

/// The tensor type of a description (per-channel ones with generated arrays).
template <class Holder, class Seq = std::make_index_sequence<static_cast<std::size_t>(Holder::value.rank)>>
struct type_of;
template <class Holder, std::size_t... I>
struct type_of<Holder, std::index_sequence<I...>> {
  static constexpr const tensor_desc& d = Holder::value;
  using quant = std::conditional_t<
      d.quant.per_channel(),
      qf::per_channel<per_channel_arrays<Holder>::scales, per_channel_arrays<Holder>::zeros, d.quant.axis>,
      typename qf::desc_type<Holder>::quant>;
  using type = qf::tensor<d.type, qf::shape<static_cast<int>(d.dims[I])...>, quant>;
};
template <class Holder> using type_of_t = typename type_of<Holder>::type;

template <class T>
struct zeros_of {
  static constexpr std::array<typename T::element, static_cast<std::size_t>(T::elements > 0 ? T::elements : 1)> value{};
};
template <class Holder, class T>
constexpr auto make_constant_of() {
  return qf::make_constant<T>(zeros_of<T>::value.data());
}

/// out<...> for the request `Holder::value`, or nothing.
template <class Holder>
constexpr auto out_options() {
  constexpr qf::output_request R = Holder::value;
  if constexpr (!R.given) {
    return std::tuple<>{};
  } else {
    using Q = qf::per_tensor<qf::qscale(R.quant.scale), R.quant.zero_point>;
    if constexpr (R.dtype_given) return std::tuple<qf::out_t<Q, R.type>>{};
    else return std::tuple<qf::out_t<Q>>{};
  }
}

// ---- the runtime side -------------------------------------------------------

qf::runtime::tensor runtime_tensor(const tensor_desc& d, bool constant, std::vector<std::vector<std::byte>>& store) {
  qf::runtime::tensor t;
  t.type = d.type;
  for (int i = 0; i < d.rank; ++i) t.shape.push_back(static_cast<int>(d.dims[static_cast<std::size_t>(i)]));
  if (d.quant.per_tensor()) {
    t.quant.scales = {d.quant.scale};
    t.quant.zero_points = {d.quant.zero_point};
  } else if (d.quant.per_channel()) {
    t.quant.scales.assign(static_cast<std::size_t>(d.quant.channels), d.quant.scale);
    t.quant.zero_points.assign(static_cast<std::size_t>(d.quant.channels), 0);
    if (!d.quant.symmetric) t.quant.zero_points[0] = 1;
    t.quant.axis = d.quant.axis;
  }
  if (constant) {
    store.emplace_back(t.bytes() + 8);
    t.data = std::span<const std::byte>(store.back().data(), t.bytes());
    t.constant = true;
  }
  return t;
}

struct runtime_case {
  qf::runtime::model m;
  std::vector<std::vector<std::byte>> store;
};

/// Prepares the model's one operation; returns "" when accepted, the error
/// otherwise.
std::string prepare(runtime_case& rc) {
  const auto& op = rc.m.operations.at(0);
  const auto* reg = qf::runtime::find_registration(op.code);
  REQUIRE(reg != nullptr);
  try {
    (void)reg->prepare(qf::runtime::op_context(rc.m, op, qf::runtime::numerics::tflm));
    return "";
  } catch (const qf::runtime::model_error& e) {
    return e.what();
  }
}

/// The runtime output tensor for a request the compile-time node was given
/// (`fixed`: what the op writes when no out<...> is given, if it decides,
/// and the shape the runtime operation states).
tensor_desc runtime_output(const tensor_desc& in, const qf::output_request& req, const qf::rule_result& ct,
                           const tensor_desc* fixed) {
  if (ct.ok()) return ct.output;
  const tensor_desc out = fixed != nullptr ? *fixed : in;
  if (req.given) return out.retyped(req.dtype_given ? req.type : in.type, req.quant);
  if (fixed != nullptr) return out;
  return out.retyped(dtype::f32);
}

struct tally {
  int accepted = 0, rejected = 0, compile_time_only = 0;
};

/// The agreement checks for one case.
void agree(const char* op, int index, const qf::rule_result& ct, runtime_case& rc, bool comparable, tally& t) {
  CAPTURE(op);
  CAPTURE(index);
  if (!comparable) {
    ++t.compile_time_only;
    return;
  }
  const std::string rt = prepare(rc);
  CAPTURE(rt);
  CAPTURE(qf::rule_error_text(ct.error));
  CHECK(ct.ok() == rt.empty());
  if (!ct.ok()) {
    ++t.rejected;
    CHECK(rt.find(std::string(qf::rule_error_text(ct.error))) != std::string::npos);
    return;
  }
  ++t.accepted;
  // Another output shape is not this op's output (a scalar output gets a
  // dimension, others a larger first one).
  auto& out = rc.m.tensors.back();
  const auto shape = out.shape;
  if (out.shape.empty()) out.shape.push_back(2);
  else out.shape[0] += 1;
  const std::string wrong = prepare(rc);
  CHECK(wrong.find(std::string(qf::rule_error_text(qf::rule_error::output_shape))) != std::string::npos);
  out.shape = shape;
}

// ---- conv2d, depthwise_conv2d, fully_connected ----------------------------------

enum class family { conv2d, depthwise, fully_connected };

struct layer_case {
  tensor_desc in, w, bias;
  bool has_bias;
  qf::conv_attrs attrs;
  qf::output_request req;
};

template <family F>
constexpr layer_case make_layer_case(std::uint32_t seed) {
  rng r{seed * 2654435761u + 12345u};
  layer_case c{};
  const int rank = F == family::fully_connected ? 2 + r.below(2) : (r.chance(92) ? 4 : 3);
  c.in = activation(r, rank);
  if (F == family::conv2d) {
    const std::int64_t in_c = c.in.dim(3);
    const std::int64_t groups = (in_c % 2 == 0 && r.chance(15)) ? 2 : 1;
    const std::int64_t dims[4] = {(1 + r.below(4)) * groups, 1 + r.below(3), 1 + r.below(3),
                                  r.chance(90) ? in_c / groups : in_c + 1};
    c.w = weights(r, c.in, r.chance(95) ? 4 : 3, dims, 0);
  } else if (F == family::depthwise) {
    const std::int64_t in_c = c.in.dim(3);
    const std::int64_t dims[4] = {r.chance(95) ? 1 : 2, 1 + r.below(3), 1 + r.below(3),
                                  r.chance(90) ? in_c * (1 + r.below(2)) : in_c + 1};
    c.w = weights(r, c.in, 4, dims, 3);
  } else {
    const std::int64_t depth = r.chance(90) ? c.in.dim(-1) : c.in.dim(-1) + 1;
    const std::int64_t dims[4] = {1 + r.below(5), depth, 1, 1};
    c.w = weights(r, c.in, r.chance(95) ? 2 : 3, dims, 0);
  }
  const std::int64_t channels = F == family::depthwise ? c.w.dim(3) : c.w.dim(0);
  c.has_bias = r.chance(70);
  if (c.has_bias) c.bias = bias_for(r, c.in, channels);
  if (F != family::fully_connected) {
    c.attrs.stride_h = 1 + r.below(2);
    c.attrs.stride_w = 1 + r.below(2);
    c.attrs.dilation_h = r.chance(80) ? 1 : 2;
    c.attrs.dilation_w = r.chance(80) ? 1 : 2;
    c.attrs.pad = r.chance(50) ? qf::padding::same : qf::padding::valid;
  }
  constexpr qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6,
                                     qf::activation::relu_n1_to_1};
  c.attrs.fused = acts[r.below(4)];
  c.req = request_for_input(r, c.in);
  return c;
}

constexpr int layer_cases = 64;
template <family F>
constexpr auto all_layer_cases = [] {
  std::array<layer_case, layer_cases> a{};
  for (int i = 0; i < layer_cases; ++i) a[static_cast<std::size_t>(i)] = make_layer_case<F>(static_cast<std::uint32_t>(i + 1));
  return a;
}();

template <family F, int I>
struct layer_types {
  static constexpr const layer_case& c = all_layer_cases<F>[I];
  struct in_h { static constexpr tensor_desc value = c.in; };
  struct w_h { static constexpr tensor_desc value = c.w; };
  struct b_h { static constexpr tensor_desc value = c.bias; };
  using In = type_of_t<in_h>;
  using W = type_of_t<w_h>;
  using B = type_of_t<b_h>;
  struct req_h { static constexpr qf::output_request value = c.req; };

  template <class... Out>
  static constexpr auto node(std::tuple<Out...>) {
    const auto w = make_constant_of<w_h, W>();
    if constexpr (F == family::fully_connected) {
      using Fused = qf::fused_t<c.attrs.fused>;
      if constexpr (c.has_bias) return qf::fully_connected_node<0, W, qf::constant<B>, Fused, Out...>{w, make_constant_of<b_h, B>()};
      else return qf::fully_connected_node<0, W, qf::no_bias_t, Fused, Out...>{w, qf::no_bias};
    } else {
      using S = qf::stride_t<c.attrs.stride_h, c.attrs.stride_w>;
      using D = qf::dilation_t<c.attrs.dilation_h, c.attrs.dilation_w>;
      using P = qf::padding_t<c.attrs.pad>;
      using Fused = qf::fused_t<c.attrs.fused>;
      if constexpr (F == family::conv2d) {
        if constexpr (c.has_bias) return qf::conv2d_node<0, W, qf::constant<B>, S, D, P, Fused, Out...>{w, make_constant_of<b_h, B>()};
        else return qf::conv2d_node<0, W, qf::no_bias_t, S, D, P, Fused, Out...>{w, qf::no_bias};
      } else {
        if constexpr (c.has_bias)
          return qf::depthwise_conv2d_node<0, W, qf::constant<B>, S, D, P, Fused, Out...>{w, make_constant_of<b_h, B>()};
        else return qf::depthwise_conv2d_node<0, W, qf::no_bias_t, S, D, P, Fused, Out...>{w, qf::no_bias};
      }
    }
  }
  using Node = decltype(node(out_options<req_h>()));
  using rule = typename Node::template rule<In>;
};

template <family F, int I>
void check_layer_case(tally& t) {
  using L = layer_types<F, I>;
  const layer_case& c = L::c;
  constexpr qf::rule_result ct = L::rule::value;
  if constexpr (ct.ok()) {
    // What the graph uses as the node's output type is what the rule said.
    using out_type = typename L::Node::template typed<1, typename L::In>::output;
    CHECK(qf::describe<out_type>() == ct.output);
  }
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.w, true, rc.store));
  if (c.has_bias) rc.m.tensors.push_back(runtime_tensor(c.bias, true, rc.store));
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, c.req, ct, nullptr), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(F == family::conv2d ? 3 : F == family::depthwise ? 4 : 9);
  op.inputs = {0, 1};
  if (c.has_bias) op.inputs.push_back(2);
  op.outputs = {static_cast<int>(rc.m.tensors.size()) - 1};
  op.options.stride_h = c.attrs.stride_h;
  op.options.stride_w = c.attrs.stride_w;
  op.options.dilation_h = c.attrs.dilation_h;
  op.options.dilation_w = c.attrs.dilation_w;
  op.options.pad = c.attrs.pad;
  op.options.fused = c.attrs.fused;
  op.options.raw_activation = static_cast<std::int8_t>(c.attrs.fused == qf::activation::none   ? 0
                                                        : c.attrs.fused == qf::activation::relu ? 1
                                                        : c.attrs.fused == qf::activation::relu_n1_to_1 ? 2
                                                                                                         : 3);
  rc.m.operations.push_back(op);
  // A quantized input without out<...> has no runtime counterpart (a model's
  // output tensor always has a type).
  const bool comparable = c.req.given || c.in.type == dtype::f32 || !c.in.quant.quantized();
  agree(F == family::conv2d ? "conv2d" : F == family::depthwise ? "depthwise_conv2d" : "fully_connected", I, ct, rc,
        comparable, t);
}

template <family F>
tally check_layer_family() {
  tally t;
  [&]<int... I>(std::integer_sequence<int, I...>) { (check_layer_case<F, I>(t), ...); }(
      std::make_integer_sequence<int, layer_cases>{});
  return t;
}

// ---- softmax ----------------------------------------------------------------

struct softmax_case {
  tensor_desc in;
  qf::output_request req;
};
constexpr int softmax_cases = 48;
constexpr auto all_softmax_cases = [] {
  std::array<softmax_case, softmax_cases> a{};
  for (int i = 0; i < softmax_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 2246822519u + 7u};
    softmax_case& c = a[static_cast<std::size_t>(i)];
    c.in = activation(r, 1 + r.below(4));
    if (c.in.quant.quantized() && r.chance(50)) {
      // Mostly the parameters the kernel writes, sometimes not.
      const dtype out = r.chance(70) ? c.in.type : dtype::i16;
      c.req = {true, out != c.in.type || r.chance(50), out, qf::softmax_output_quant(c.in.type, out), false, {}};
      if (r.chance(30)) c.req.quant.zero_point += 1;
    } else {
      c.req = request_for_input(r, c.in);
    }
  }
  return a;
}();

template <int I> struct softmax_in {
  static constexpr tensor_desc value = all_softmax_cases[I].in;
};
template <int I> struct softmax_req {
  static constexpr qf::output_request value = all_softmax_cases[I].req;
};

template <int I>
void check_softmax_case(tally& t) {
  static constexpr const softmax_case& c = all_softmax_cases[I];
  using In = type_of_t<softmax_in<I>>;
  using Node = decltype([]<class... Out>(std::tuple<Out...>) { return qf::softmax_node<0, Out...>{}; }(
      out_options<softmax_req<I>>()));
  constexpr qf::rule_result ct = Node::template rule<In>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<1, In>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  const tensor_desc fixed = c.in.retyped(c.in.type, qf::softmax_output_quant(c.in.type, c.in.type));
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, c.req, ct, c.in.quant.quantized() ? &fixed : nullptr),
                                        false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(25);
  op.inputs = {0};
  op.outputs = {1};
  rc.m.operations.push_back(op);
  agree("softmax", I, ct, rc, true, t);
}

// ---- strided_slice -------------------------------------------------------------

struct slice_case {
  tensor_desc in;
  qf::slice_spec<4> spec;
  int rank;
};
constexpr int slice_cases = 48;
constexpr auto all_slice_cases = [] {
  std::array<slice_case, slice_cases> a{};
  for (int i = 0; i < slice_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 3266489917u + 11u};
    slice_case& c = a[static_cast<std::size_t>(i)];
    c.rank = 1 + r.below(4);
    c.in = activation(r, r.chance(92) ? c.rank : c.rank + 1 > 4 ? 3 : c.rank + 1);
    for (int d = 0; d < 4; ++d) {
      const auto k = static_cast<std::size_t>(d);
      c.spec.begin[k] = r.below(9) - 4;
      c.spec.end[k] = r.below(11) - 4;
      c.spec.strides[k] = r.chance(95) ? (r.chance(75) ? 1 + r.below(2) : -1 - r.below(2)) : 0;
    }
    c.spec.begin_mask = r.below(16);
    c.spec.end_mask = r.below(16);
    c.spec.shrink_axis_mask = r.chance(40) ? r.below(16) : 0;
  }
  return a;
}();

template <int I> struct slice_in {
  static constexpr tensor_desc value = all_slice_cases[I].in;
};
template <int I> struct slice_spec_of {
  static constexpr const slice_case& c = all_slice_cases[I];
  static constexpr auto value = [] {
    qf::slice_spec<static_cast<std::size_t>(c.rank)> s;
    for (int d = 0; d < c.rank; ++d) {
      s.begin[static_cast<std::size_t>(d)] = c.spec.begin[static_cast<std::size_t>(d)];
      s.end[static_cast<std::size_t>(d)] = c.spec.end[static_cast<std::size_t>(d)];
      s.strides[static_cast<std::size_t>(d)] = c.spec.strides[static_cast<std::size_t>(d)];
    }
    s.begin_mask = c.spec.begin_mask;
    s.end_mask = c.spec.end_mask;
    s.shrink_axis_mask = c.spec.shrink_axis_mask;
    return s;
  }();
};

template <int I>
void check_slice_case(tally& t) {
  static constexpr const slice_case& c = all_slice_cases[I];
  static constexpr const auto& spec = slice_spec_of<I>::value;
  using In = type_of_t<slice_in<I>>;
  using Node = qf::strided_slice_node<0, slice_spec_of<I>::value>;
  constexpr qf::rule_result ct = Node::template rule<In>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<1, In>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  for (const auto* values : {&spec.begin, &spec.end, &spec.strides}) {
    tensor_desc d;
    d.type = dtype::i32;
    d.rank = 1;
    d.dims[0] = c.rank;
    rc.m.tensors.push_back(runtime_tensor(d, true, rc.store));
    std::memcpy(rc.store.back().data(), values->data(), sizeof(int) * static_cast<std::size_t>(c.rank));
  }
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, {}, ct, &c.in), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(45);
  op.inputs = {0, 1, 2, 3};
  op.outputs = {4};
  op.options.begin_mask = spec.begin_mask;
  op.options.end_mask = spec.end_mask;
  op.options.shrink_axis_mask = spec.shrink_axis_mask;
  rc.m.operations.push_back(op);
  // A rank-0 output has no dimension to perturb.
  agree("strided_slice", I, ct, rc, !ct.ok() || ct.output.rank > 0, t);
}

// ---- pooling and the activations: one input, options, out<...> ---------------------

enum class unary_family { max_pool, average_pool, relu, relu6, logistic, leaky_relu };

struct unary_case {
  tensor_desc in;
  qf::pool_attrs pool;
  qf::output_request req;
};
constexpr int unary_cases = 40;

template <unary_family F>
constexpr auto all_unary_cases = [] {
  std::array<unary_case, unary_cases> a{};
  for (int i = 0; i < unary_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 668265263u + static_cast<std::uint32_t>(F) * 374761393u};
    unary_case& c = a[static_cast<std::size_t>(i)];
    const bool pool = F == unary_family::max_pool || F == unary_family::average_pool;
    c.in = activation(r, pool ? (r.chance(92) ? 4 : 3) : 1 + r.below(4));
    if (pool) {
      c.pool = {F == unary_family::max_pool, 1 + r.below(3), 1 + r.below(3), 1 + r.below(2), 1 + r.below(2),
                r.chance(50) ? qf::padding::same : qf::padding::valid, qf::activation::none, true};
      c.req = {};  // pooling takes no out<...>; the runtime output mirrors the input
    } else if (F == unary_family::logistic && c.in.quant.quantized() && r.chance(60)) {
      c.req = {true, true, c.in.type, qf::fixed_activation_quant(qf::activation_fn::logistic, c.in.type), false, {}};
      if (r.chance(30)) c.req.quant.zero_point += 1;
    } else if (F == unary_family::logistic) {
      c.req = {};
    } else {
      c.req = request_for_input(r, c.in);
    }
  }
  return a;
}();

template <unary_family F, int I> struct unary_in {
  static constexpr tensor_desc value = all_unary_cases<F>[I].in;
};
template <unary_family F, int I> struct unary_req {
  static constexpr qf::output_request value = all_unary_cases<F>[I].req;
};

template <unary_family F, int I>
void check_unary_case(tally& t) {
  static constexpr const unary_case& c = all_unary_cases<F>[I];
  using In = type_of_t<unary_in<F, I>>;
  auto make = []<class... Out>(std::tuple<Out...>) {
    if constexpr (F == unary_family::max_pool || F == unary_family::average_pool) {
      using Op = std::conditional_t<F == unary_family::max_pool, qf::op::max_pool2d, qf::op::average_pool2d>;
      return qf::pool2d_node<Op, 0, qf::filter_t<c.pool.filter_h, c.pool.filter_w>,
                             qf::stride_t<c.pool.stride_h, c.pool.stride_w>, qf::padding_t<c.pool.pad>>{};
    } else if constexpr (F == unary_family::relu) {
      return qf::activation_node<qf::op::relu, 0, Out...>{};
    } else if constexpr (F == unary_family::relu6) {
      return qf::activation_node<qf::op::relu6, 0, Out...>{};
    } else if constexpr (F == unary_family::logistic) {
      return qf::activation_node<qf::op::logistic, 0>{};
    } else {
      return qf::leaky_relu_node<0, std::bit_cast<std::uint32_t>(0.2f), Out...>{};
    }
  };
  using Node = decltype(make(out_options<unary_req<F, I>>()));
  constexpr qf::rule_result ct = Node::template rule<In>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<1, In>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  const bool pool = F == unary_family::max_pool || F == unary_family::average_pool;
  const tensor_desc fixed = c.in.retyped(c.in.type, qf::fixed_activation_quant(qf::activation_fn::logistic, c.in.type));
  const tensor_desc* decided = pool || F == unary_family::relu || F == unary_family::relu6 ? &c.in
                               : F == unary_family::logistic && c.in.quant.quantized()    ? &fixed
                                                                                           : nullptr;
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, c.req, ct, decided), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(F == unary_family::max_pool       ? 17
                    : F == unary_family::average_pool ? 1
                    : F == unary_family::relu         ? 19
                    : F == unary_family::relu6        ? 21
                    : F == unary_family::logistic     ? 14
                                                      : 98);
  op.inputs = {0};
  op.outputs = {1};
  op.options.filter_h = c.pool.filter_h;
  op.options.filter_w = c.pool.filter_w;
  op.options.stride_h = c.pool.stride_h;
  op.options.stride_w = c.pool.stride_w;
  op.options.pad = c.pool.pad;
  op.options.alpha = 0.2f;
  rc.m.operations.push_back(op);
  // Ops with one input whose out<...> is optional: a quantized relu without
  // out<...> keeps its input's quantization, which the runtime output mirrors.
  agree(F == unary_family::max_pool       ? "max_pool2d"
        : F == unary_family::average_pool ? "average_pool2d"
        : F == unary_family::relu         ? "relu"
        : F == unary_family::relu6        ? "relu6"
        : F == unary_family::logistic     ? "logistic"
                                          : "leaky_relu",
        I, ct, rc, c.req.given || !c.in.quant.quantized() || F != unary_family::leaky_relu, t);
}

// ---- add, sub, mul: two inputs that broadcast -------------------------------------

struct binary_case {
  tensor_desc a, b;
  qf::output_request req;
};
constexpr int binary_cases = 48;
template <qf::binary_fn F>
constexpr auto all_binary_cases = [] {
  std::array<binary_case, binary_cases> all{};
  for (int i = 0; i < binary_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 2654435761u + static_cast<std::uint32_t>(F) * 97u + 3u};
    binary_case& c = all[static_cast<std::size_t>(i)];
    c.a = activation(r, 1 + r.below(4));
    c.b = r.chance(80) ? c.a : activation(r, c.a.rank);
    if (r.chance(80)) c.b.type = c.a.type;
    c.b.quant = c.a.quant;
    if (c.b.quant.per_tensor() && r.chance(50)) c.b.quant.scale *= 2.0f;
    for (int d = 0; d < c.b.rank; ++d)
      if (r.chance(25)) c.b.dims[static_cast<std::size_t>(d)] = r.chance(70) ? 1 : c.b.dims[static_cast<std::size_t>(d)] + 1;
    if (r.chance(20)) {  // a lower-rank second operand
      c.b.rank = c.b.rank > 1 ? c.b.rank - 1 : 1;
      for (int d = 0; d < c.b.rank; ++d) c.b.dims[static_cast<std::size_t>(d)] = c.a.dims[static_cast<std::size_t>(c.a.rank - c.b.rank + d)];
      for (int d = c.b.rank; d < qf::max_rank; ++d) c.b.dims[static_cast<std::size_t>(d)] = 0;
    }
    c.req = request_for_input(r, c.a);
  }
  return all;
}();
template <qf::binary_fn F, int I> struct binary_a { static constexpr tensor_desc value = all_binary_cases<F>[I].a; };
template <qf::binary_fn F, int I> struct binary_b { static constexpr tensor_desc value = all_binary_cases<F>[I].b; };
template <qf::binary_fn F, int I> struct binary_req {
  static constexpr qf::output_request value = all_binary_cases<F>[I].req;
};

template <qf::binary_fn F, int I>
void check_binary_case(tally& t) {
  static constexpr const binary_case& c = all_binary_cases<F>[I];
  using A = type_of_t<binary_a<F, I>>;
  using B = type_of_t<binary_b<F, I>>;
  using Op = std::conditional_t<F == qf::binary_fn::add, qf::op::add,
                                std::conditional_t<F == qf::binary_fn::sub, qf::op::sub, qf::op::mul>>;
  using Node = decltype([]<class... Out>(std::tuple<Out...>) { return qf::binary_node<Op, 0, 1, Out...>{}; }(
      out_options<binary_req<F, I>>()));
  constexpr qf::rule_result ct = Node::template rule<A, B>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<2, A, B>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.a, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.b, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.a, c.req, ct, nullptr), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(F == qf::binary_fn::add ? 0 : F == qf::binary_fn::sub ? 41 : 18);
  op.inputs = {0, 1};
  op.outputs = {2};
  rc.m.operations.push_back(op);
  // The runtime path runs int32 ADD/SUB/MUL as the int_* nodes; a quantized
  // input without out<...> has no runtime counterpart.
  const bool comparable = c.a.type != dtype::i32 && (c.req.given || !c.a.quant.quantized());
  agree(F == qf::binary_fn::add ? "add" : F == qf::binary_fn::sub ? "sub" : "mul", I, ct, rc, comparable, t);
}

/// SQUARED_DIFFERENCE on the same operands: i8/i16 rescaled, f32/i32 plain.
template <int I>
void check_squared_difference_case(tally& t) {
  static constexpr const binary_case& c = all_binary_cases<qf::binary_fn::add>[I];
  using A = type_of_t<binary_a<qf::binary_fn::add, I>>;
  using B = type_of_t<binary_b<qf::binary_fn::add, I>>;
  using Node = decltype([]<class... Out>(std::tuple<Out...>) { return qf::squared_difference_node<0, 1, Out...>{}; }(
      out_options<binary_req<qf::binary_fn::add, I>>()));
  constexpr qf::rule_result ct = Node::template rule<A, B>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<2, A, B>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.a, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.b, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.a, c.req, ct, nullptr), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(99);
  op.inputs = {0, 1};
  op.outputs = {2};
  rc.m.operations.push_back(op);
  agree("squared_difference", I, ct, rc, c.req.given || !c.a.quant.quantized(), t);
}

// ---- quantize, dequantize ---------------------------------------------------------

struct convert_case {
  tensor_desc in;
  qf::output_request req;  // quantize: the target (always given, with a dtype)
};
constexpr int convert_cases = 48;
constexpr auto all_convert_cases = [] {
  std::array<convert_case, convert_cases> a{};
  for (int i = 0; i < convert_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 1597334677u + 5u};
    convert_case& c = a[static_cast<std::size_t>(i)];
    c.in = activation(r, 1 + r.below(3));
    if (c.in.type == dtype::i32 && r.chance(50)) c.in.quant = qf::quant_desc::tensor(scale_of(r), r.below(20) - 10);
    constexpr dtype targets[] = {dtype::i8, dtype::u8, dtype::i16, dtype::i32, dtype::f32};
    const dtype to = targets[r.below(5)];
    c.req = {true, true, to, qf::quant_desc::tensor(scale_of(r), to == dtype::u8 ? r.below(256) : r.below(64) - 32), false, {}};
  }
  return a;
}();
template <int I> struct convert_in { static constexpr tensor_desc value = all_convert_cases[I].in; };

template <bool Quantize, int I>
void check_convert_case(tally& t) {
  static constexpr const convert_case& c = all_convert_cases[I];
  using In = type_of_t<convert_in<I>>;
  auto make = [] {
    if constexpr (Quantize) {
      if constexpr (c.req.type == dtype::f32) {
        return qf::quantize_node<qf::out_t<qf::per_tensor<qf::qscale(c.req.quant.scale), c.req.quant.zero_point>>, 0>{};
      } else {
        return qf::quantize_node<
            qf::out_t<qf::per_tensor<qf::qscale(c.req.quant.scale), c.req.quant.zero_point>, c.req.type>, 0>{};
      }
    } else {
      return qf::dequantize_node<0>{};
    }
  };
  using Node = decltype(make());
  constexpr qf::rule_result ct = Node::template rule<In>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<1, In>::output>() == ct.output);
  // A quantize node always names its target (f32 stands for "no dtype": i8).
  qf::output_request req = c.req;
  if (req.type == dtype::f32) req.type = dtype::i8;
  if (!Quantize) req = {};
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  const tensor_desc f32 = c.in.retyped(dtype::f32);
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, req, ct, Quantize ? nullptr : &f32), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(Quantize ? 114 : 6);
  op.inputs = {0};
  op.outputs = {1};
  rc.m.operations.push_back(op);
  agree(Quantize ? "quantize" : "dequantize", I, ct, rc, true, t);
}

// ---- maximum, minimum, div, floor_div: two inputs of one type -----------------------

template <qf::arithmetic_fn F, int I> struct arith_a { static constexpr tensor_desc value = all_binary_cases<qf::binary_fn::add>[I].a; };
template <qf::arithmetic_fn F, int I> struct arith_b {
  static constexpr tensor_desc value = [] {
    tensor_desc b = all_binary_cases<qf::binary_fn::add>[I].b;
    if (I % 3 == 0) b.quant = all_binary_cases<qf::binary_fn::add>[I].a.quant;  // often the same quantization
    return b;
  }();
};

template <qf::arithmetic_fn F, int I>
void check_arithmetic_case(tally& t) {
  using A = type_of_t<arith_a<F, I>>;
  using B = type_of_t<arith_b<F, I>>;
  using Op = std::conditional_t<
      F == qf::arithmetic_fn::maximum, qf::op::maximum,
      std::conditional_t<F == qf::arithmetic_fn::minimum, qf::op::minimum,
                         std::conditional_t<F == qf::arithmetic_fn::div, qf::op::div, qf::op::floor_div>>>;
  using Node = qf::arithmetic_node<Op, 0, 1>;
  constexpr qf::rule_result ct = Node::template rule<A, B>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<2, A, B>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(arith_a<F, I>::value, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(arith_b<F, I>::value, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(runtime_output(arith_a<F, I>::value, {}, ct, &arith_a<F, I>::value), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(F == qf::arithmetic_fn::maximum ? 55 : F == qf::arithmetic_fn::minimum ? 57
                    : F == qf::arithmetic_fn::div   ? 42 : 90);
  op.inputs = {0, 1};
  op.outputs = {2};
  rc.m.operations.push_back(op);
  agree(F == qf::arithmetic_fn::maximum ? "maximum" : F == qf::arithmetic_fn::minimum ? "minimum"
        : F == qf::arithmetic_fn::div   ? "div" : "floor_div",
        I, ct, rc, true, t);
}

// ---- transpose, pad: one input and a constant int operand ---------------------------

struct layout_case {
  tensor_desc in;
  int count;                            // permutation entries / padding pairs
  std::array<int, 2 * qf::max_rank> v;  // permutation, or (before, after) pairs
};
constexpr int layout_cases = 40;
template <bool Pad>
constexpr auto all_layout_cases = [] {
  std::array<layout_case, layout_cases> a{};
  for (int i = 0; i < layout_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 3266489917u + (Pad ? 17u : 29u)};
    layout_case& c = a[static_cast<std::size_t>(i)];
    c.in = activation(r, 1 + r.below(4));
    if (r.chance(10)) c.in.type = dtype::i64;
    c.count = r.chance(90) ? c.in.rank : c.in.rank + 1;
    if (Pad) {
      for (int k = 0; k < 2 * c.count; ++k) c.v[static_cast<std::size_t>(k)] = r.chance(95) ? r.below(3) : -1;
    } else {
      for (int k = 0; k < c.count; ++k) c.v[static_cast<std::size_t>(k)] = k;
      for (int k = c.count - 1; k > 0; --k) {  // a shuffle, sometimes broken
        const int j = r.below(k + 1);
        const int tmp = c.v[static_cast<std::size_t>(k)];
        c.v[static_cast<std::size_t>(k)] = c.v[static_cast<std::size_t>(j)];
        c.v[static_cast<std::size_t>(j)] = tmp;
      }
      if (r.chance(10)) c.v[0] = c.v[c.count > 1 ? 1 : 0] + (c.count > 1 ? 0 : 5);
    }
  }
  return a;
}();
template <bool Pad, int I> struct layout_in { static constexpr tensor_desc value = all_layout_cases<Pad>[I].in; };

template <bool Pad, int I, std::size_t... K>
constexpr auto layout_node(std::index_sequence<K...>) {
  if constexpr (Pad) return qf::pad_node<0, all_layout_cases<Pad>[I].v[K]...>{};
  else return qf::transpose_node<0, all_layout_cases<Pad>[I].v[K]...>{};
}

template <bool Pad, int I>
void check_layout_case(tally& t) {
  static constexpr const layout_case& c = all_layout_cases<Pad>[I];
  using In = type_of_t<layout_in<Pad, I>>;
  using Node = decltype(layout_node<Pad, I>(std::make_index_sequence<static_cast<std::size_t>(Pad ? 2 * c.count : c.count)>{}));
  constexpr qf::rule_result ct = Node::template rule<In>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<1, In>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  tensor_desc ints;
  ints.type = dtype::i32;
  ints.rank = Pad ? 2 : 1;
  ints.dims = {c.count, 2};
  rc.m.tensors.push_back(runtime_tensor(ints, true, rc.store));
  std::memcpy(rc.store.back().data(), c.v.data(), sizeof(int) * static_cast<std::size_t>(Pad ? 2 * c.count : c.count));
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, {}, ct, &c.in), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(Pad ? 34 : 39);
  op.inputs = {0, 1};
  op.outputs = {2};
  rc.m.operations.push_back(op);
  agree(Pad ? "pad" : "transpose", I, ct, rc, true, t);
}

// ---- mean, arg_max, reshape, resize: one input, attributes, constant operands --------

// New families go last: a family's value seeds its random cases.
enum class shape_family { mean, arg_max, reshape, resize_bilinear, resize_nearest, sqrt, cast, tanh, sum, reduce_max };

constexpr bool is_reduction(shape_family f) {
  return f == shape_family::mean || f == shape_family::sum || f == shape_family::reduce_max;
}

struct shape_case {
  tensor_desc in;
  int count;                       // axes / new dims
  std::array<int, qf::max_rank> v;  // the axes, the new dims, or the resize size
  bool flag;                       // keep_dims, arg_max's i64 index, cast's target choice
  qf::output_request req;
};
constexpr int shape_cases = 40;
template <shape_family F>
constexpr auto all_shape_cases = [] {
  std::array<shape_case, shape_cases> a{};
  for (int i = 0; i < shape_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 2246822519u + static_cast<std::uint32_t>(F) * 131u + 7u};
    shape_case& c = a[static_cast<std::size_t>(i)];
    const bool image = F == shape_family::resize_bilinear || F == shape_family::resize_nearest;
    c.in = activation(r, image ? (r.chance(90) ? 4 : 3) : 1 + r.below(4));
    c.flag = r.chance(50);
    if (is_reduction(F) || F == shape_family::arg_max) {
      c.count = F == shape_family::arg_max ? 1 : 1 + r.below(2);
      for (int k = 0; k < c.count; ++k) c.v[static_cast<std::size_t>(k)] = r.below(2 * c.in.rank + 1) - c.in.rank;
      // REDUCE_MAX keeps its input's parameters: asked for others, it refuses.
      const bool ask = F == shape_family::mean || F == shape_family::sum || (F == shape_family::reduce_max && r.chance(30));
      c.req = ask ? request_for_input(r, c.in) : qf::output_request{};
    } else if (F == shape_family::reshape) {
      // The input's elements as [elements / d, d], sometimes off by one.
      const std::int64_t n = c.in.elements();
      const int d = n % 2 == 0 && r.chance(60) ? 2 : 1;
      c.count = 2;
      c.v[0] = static_cast<int>(n / d) + (r.chance(15) ? 1 : 0);
      c.v[1] = d;
    } else if (image) {
      c.count = 2;
      c.v[0] = r.chance(95) ? 1 + r.below(6) : 0;
      c.v[1] = 1 + r.below(6);
    } else if (F == shape_family::sqrt || F == shape_family::tanh) {
      c.count = 0;
    } else {  // cast
      c.count = 0;
    }
  }
  return a;
}();
template <shape_family F, int I> struct shape_in { static constexpr tensor_desc value = all_shape_cases<F>[I].in; };
template <shape_family F, int I> struct shape_req { static constexpr qf::output_request value = all_shape_cases<F>[I].req; };

template <shape_family F, int I> inline constexpr const shape_case& shape_c = all_shape_cases<F>[I];

template <shape_family F, int I, std::size_t... K>
constexpr auto shape_node(std::index_sequence<K...>) {
  if constexpr (is_reduction(F)) {
    using Op = std::conditional_t<F == shape_family::mean, qf::op::mean,
                                  std::conditional_t<F == shape_family::sum, qf::op::sum, qf::op::reduce_max>>;
    return []<class... Out>(std::tuple<Out...>) {
      using Axes = std::integer_sequence<int, shape_c<F, I>.v[K]...>;
      if constexpr (shape_c<F, I>.flag) return qf::reduce_node<Op, Axes, 0, qf::keep_dims_t, Out...>{};
      else return qf::reduce_node<Op, Axes, 0, Out...>{};
    }(out_options<shape_req<F, I>>());
  } else if constexpr (F == shape_family::arg_max) {
    return qf::arg_max_node<shape_c<F, I>.v[0], shape_c<F, I>.flag ? dtype::i64 : dtype::i32, 0>{};
  } else if constexpr (F == shape_family::reshape) {
    return qf::reshape_node<0, shape_c<F, I>.v[K]...>{};
  } else if constexpr (F == shape_family::resize_bilinear) {
    return qf::resize_node<qf::op::resize_bilinear, shape_c<F, I>.v[0], shape_c<F, I>.v[1], qf::resize_mode::plain, 0>{};
  } else if constexpr (F == shape_family::resize_nearest) {
    return qf::resize_node<qf::op::resize_nearest_neighbor, shape_c<F, I>.v[0], shape_c<F, I>.v[1], qf::resize_mode::plain, 0>{};
  } else if constexpr (F == shape_family::sqrt) {
    return qf::unary_node<qf::op::sqrt, dtype::f32, 0>{};
  } else if constexpr (F == shape_family::cast) {
    return qf::unary_node<qf::op::cast, shape_c<F, I>.flag ? dtype::i32 : dtype::f32, 0>{};
  } else {
    return qf::activation_node<qf::op::tanh, 0>{};
  }
}

template <shape_family F, int I>
void check_shape_case(tally& t) {
  static constexpr const shape_case& c = all_shape_cases<F>[I];
  using In = type_of_t<shape_in<F, I>>;
  using Node = decltype(shape_node<F, I>(std::make_index_sequence<static_cast<std::size_t>(c.count)>{}));
  constexpr qf::rule_result ct = Node::template rule<In>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<1, In>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  qf::runtime::operation op;
  op.inputs = {0};
  auto constant_ints = [&](int n, const int* values) {
    tensor_desc ints;
    ints.type = dtype::i32;
    ints.rank = 1;
    ints.dims[0] = n;
    rc.m.tensors.push_back(runtime_tensor(ints, true, rc.store));
    std::memcpy(rc.store.back().data(), values, sizeof(int) * static_cast<std::size_t>(n));
    op.inputs.push_back(static_cast<int>(rc.m.tensors.size()) - 1);
  };
  // What the op writes when the compile-time node asks nothing of its output.
  tensor_desc decided = c.in;
  qf::output_request req = c.req;
  bool comparable = true;
  const char* name = "";
  switch (F) {
    case shape_family::mean:
    case shape_family::sum:
    case shape_family::reduce_max:
      name = F == shape_family::mean ? "mean" : F == shape_family::sum ? "sum" : "reduce_max";
      op.code = qf::tflite::to_op_code(F == shape_family::mean ? 40 : F == shape_family::sum ? 74 : 82);
      op.options.keep_dims = c.flag;
      constant_ints(c.count, c.v.data());
      comparable = c.req.given || !c.in.quant.quantized() || F == shape_family::reduce_max;
      break;
    case shape_family::arg_max:
      name = "arg_max";
      op.code = qf::tflite::to_op_code(56);
      constant_ints(1, c.v.data());
      req = {true, true, c.flag ? dtype::i64 : dtype::i32, {}, false, {}};
      break;
    case shape_family::reshape: {
      name = "reshape";
      op.code = qf::tflite::to_op_code(22);
      // The runtime path takes the new shape from the output tensor.
      decided = c.in.reshaped(2, std::array<std::int64_t, 2>{c.v[0], c.v[1]});
      break;
    }
    case shape_family::resize_bilinear:
    case shape_family::resize_nearest:
      name = F == shape_family::resize_bilinear ? "resize_bilinear" : "resize_nearest_neighbor";
      op.code = qf::tflite::to_op_code(F == shape_family::resize_bilinear ? 23 : 97);
      constant_ints(2, c.v.data());
      if (c.in.rank == 4) decided = c.in.reshaped(4, std::array<std::int64_t, 4>{c.in.dims[0], c.v[0], c.v[1], c.in.dims[3]});
      break;
    case shape_family::sqrt:
      name = "sqrt";
      op.code = qf::tflite::to_op_code(75);
      decided = c.in.retyped(dtype::f32);
      break;
    case shape_family::cast:
      name = "cast";
      op.code = qf::tflite::to_op_code(53);
      req = {true, true, c.flag ? dtype::i32 : dtype::f32, {}, false, {}};
      break;
    case shape_family::tanh:
      name = "tanh";
      op.code = qf::tflite::to_op_code(28);
      if (c.in.quant.quantized()) decided = c.in.retyped(c.in.type, qf::fixed_activation_quant(qf::activation_fn::tanh, c.in.type));
      break;
  }
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, req, ct, &decided), false, rc.store));
  op.outputs = {static_cast<int>(rc.m.tensors.size()) - 1};
  rc.m.operations.push_back(op);
  // A reshape's runtime shape is its output's: a changed output shape is a
  // different reshape, not an error.
  if (F == shape_family::reshape && ct.ok()) {
    ++t.accepted;
    CHECK(prepare(rc).empty());
    return;
  }
  agree(name, I, ct, rc, comparable && (!ct.ok() || ct.output.rank > 0), t);
}

// ---- concatenation, gather_nd: two activation inputs ------------------------------

struct pair_case {
  tensor_desc a, b;
  int axis;  // concatenation
};
constexpr int pair_cases = 40;
template <bool Gather>
constexpr auto all_pair_cases = [] {
  std::array<pair_case, pair_cases> all{};
  for (int i = 0; i < pair_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 374761393u + (Gather ? 11u : 23u)};
    pair_case& c = all[static_cast<std::size_t>(i)];
    c.a = activation(r, 1 + r.below(4));
    if (Gather) {
      // Indices: int32/int64 rows of k coordinates, sometimes of a wrong
      // dtype or with k beyond the params' rank.
      c.b = tensor_desc{};
      c.b.type = r.chance(85) ? (r.chance(50) ? dtype::i32 : dtype::i64) : dtype::f32;
      c.b.rank = 1 + r.below(2);
      for (int d = 0; d + 1 < c.b.rank; ++d) c.b.dims[static_cast<std::size_t>(d)] = 1 + r.below(3);
      c.b.dims[static_cast<std::size_t>(c.b.rank - 1)] = r.chance(85) ? 1 + r.below(c.a.rank) : c.a.rank + 1;
    } else {
      c.axis = r.chance(90) ? r.below(2 * c.a.rank) - c.a.rank : c.a.rank;
      c.b = c.a;
      const int axis = c.axis < 0 ? c.axis + c.a.rank : c.axis;
      if (axis >= 0 && axis < c.a.rank) c.b.dims[static_cast<std::size_t>(axis)] = 1 + r.below(4);
      if (r.chance(15)) {  // a dtype mismatch, mostly
        const bool to_float = r.chance(50);
        c.b.type = to_float ? dtype::f32 : dtype::i8;
        c.b.quant = to_float ? qf::quant_desc{} : qf::quant_desc::tensor(0.05f, 0);
      }
      if (c.b.quant.per_tensor() && r.chance(25)) c.b.quant.scale *= 2.0f;  // rescaling: uint8 only
      if (r.chance(10) && c.a.rank > 1) c.b.dims[static_cast<std::size_t>(axis == 0 ? 1 : 0)] += 1;
    }
  }
  return all;
}();
template <bool Gather, int I> struct pair_a { static constexpr tensor_desc value = all_pair_cases<Gather>[I].a; };
template <bool Gather, int I> struct pair_b { static constexpr tensor_desc value = all_pair_cases<Gather>[I].b; };

template <bool Gather, int I>
void check_pair_case(tally& t) {
  static constexpr const pair_case& c = all_pair_cases<Gather>[I];
  using A = type_of_t<pair_a<Gather, I>>;
  using B = type_of_t<pair_b<Gather, I>>;
  using Node = std::conditional_t<Gather, qf::gather_nd_node<0, 1>, qf::concatenation_node<c.axis, qf::same_quantization, 0, 1>>;
  constexpr qf::rule_result ct = Node::template rule<A, B>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename Node::template typed<2, A, B>::output>() == ct.output);
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.a, false, rc.store));
  // GATHER_ND's indices are a constant of zeros (in range); CONCATENATION's
  // second input an activation.
  rc.m.tensors.push_back(runtime_tensor(c.b, Gather, rc.store));
  if (Gather) std::memset(rc.store.back().data(), 0, rc.store.back().size());
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.a, {}, ct, &c.a), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(Gather ? 107 : 2);
  op.options.axis = c.axis;
  op.inputs = {0, 1};
  op.outputs = {2};
  rc.m.operations.push_back(op);
  agree(Gather ? "gather_nd" : "concatenation", I, ct, rc, true, t);
}

// ---- transpose_conv: the output shape is the op's parameter ----------------------

struct transpose_conv_case {
  tensor_desc in, w, bias;
  bool has_bias;
  qf::transpose_conv_attrs attrs;
  qf::output_request req;
};
constexpr int transpose_conv_cases = 48;
constexpr auto all_transpose_conv_cases = [] {
  std::array<transpose_conv_case, transpose_conv_cases> a{};
  for (int i = 0; i < transpose_conv_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 3266489917u + 5u};
    transpose_conv_case& c = a[static_cast<std::size_t>(i)];
    c.in = activation(r, r.chance(92) ? 4 : 3);
    c.attrs.conv.stride_h = 1 + r.below(2);
    c.attrs.conv.stride_w = 1 + r.below(2);
    c.attrs.conv.pad = r.chance(50) ? qf::padding::same : qf::padding::valid;
    constexpr qf::activation acts[] = {qf::activation::none, qf::activation::relu, qf::activation::relu6};
    c.attrs.conv.fused = acts[r.below(3)];
    const std::int64_t out_c = 1 + r.below(4);
    const std::int64_t kh = 1 + r.below(3), kw = 1 + r.below(3);
    // The output size TFLite's converter would state, sometimes another
    // batch or a channel count the weights do not have.
    const auto grown = [&](std::int64_t in, std::int64_t stride, std::int64_t k) {
      return c.attrs.conv.pad == qf::padding::same ? in * stride : (in - 1) * stride + k;
    };
    c.attrs.output_shape = {r.chance(92) ? c.in.dim(0) : c.in.dim(0) + 1, grown(c.in.dim(1), c.attrs.conv.stride_h, kh),
                            grown(c.in.dim(2), c.attrs.conv.stride_w, kw), out_c};
    const std::int64_t dims[4] = {r.chance(92) ? out_c : out_c + 1, kh, kw, r.chance(90) ? c.in.dim(3) : c.in.dim(3) + 1};
    c.w = weights(r, c.in, r.chance(95) ? 4 : 3, dims, 0);
    c.has_bias = r.chance(70);
    if (c.has_bias) c.bias = bias_for(r, c.in, out_c);
    c.req = request_for_input(r, c.in);
  }
  return a;
}();

template <int I>
struct transpose_conv_types {
  static constexpr const transpose_conv_case& c = all_transpose_conv_cases[I];
  struct in_h { static constexpr tensor_desc value = c.in; };
  struct w_h { static constexpr tensor_desc value = c.w; };
  struct b_h { static constexpr tensor_desc value = c.bias; };
  struct req_h { static constexpr qf::output_request value = c.req; };
  using In = type_of_t<in_h>;
  using W = type_of_t<w_h>;
  using B = type_of_t<b_h>;
  using OutShape = qf::shape<static_cast<int>(c.attrs.output_shape[0]), static_cast<int>(c.attrs.output_shape[1]),
                             static_cast<int>(c.attrs.output_shape[2]), static_cast<int>(c.attrs.output_shape[3])>;
  template <class... Out>
  static constexpr auto node(std::tuple<Out...>) {
    const auto w = make_constant_of<w_h, W>();
    using S = qf::stride_t<c.attrs.conv.stride_h, c.attrs.conv.stride_w>;
    using P = qf::padding_t<c.attrs.conv.pad>;
    using Fused = qf::fused_t<c.attrs.conv.fused>;
    if constexpr (c.has_bias)
      return qf::transpose_conv_node<OutShape, 0, W, qf::constant<B>, S, P, Fused, Out...>{w, make_constant_of<b_h, B>()};
    else return qf::transpose_conv_node<OutShape, 0, W, qf::no_bias_t, S, P, Fused, Out...>{w, qf::no_bias};
  }
  using Node = decltype(node(out_options<req_h>()));
};

template <int I>
void check_transpose_conv_case(tally& t) {
  using L = transpose_conv_types<I>;
  const transpose_conv_case& c = L::c;
  constexpr qf::rule_result ct = L::Node::template rule<typename L::In>::value;
  if constexpr (ct.ok()) CHECK(qf::describe<typename L::Node::template typed<1, typename L::In>::output>() == ct.output);
  // TFLite's operand order: output_shape (a constant), weights, input, bias.
  runtime_case rc;
  tensor_desc shape_d;
  shape_d.type = dtype::i32;
  shape_d.rank = 1;
  shape_d.dims[0] = 4;
  rc.m.tensors.push_back(runtime_tensor(shape_d, true, rc.store));
  for (std::size_t d = 0; d < 4; ++d) {
    const auto v = static_cast<std::int32_t>(c.attrs.output_shape[d]);
    std::memcpy(rc.store.back().data() + d * sizeof v, &v, sizeof v);
  }
  rc.m.tensors.push_back(runtime_tensor(c.w, true, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  if (c.has_bias) rc.m.tensors.push_back(runtime_tensor(c.bias, true, rc.store));
  const tensor_desc stated = c.in.reshaped(4, c.attrs.output_shape.data());
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, c.req, ct, &stated), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(67);
  op.inputs = {0, 1, 2};
  if (c.has_bias) op.inputs.push_back(3);
  op.outputs = {static_cast<int>(rc.m.tensors.size()) - 1};
  op.options.stride_h = c.attrs.conv.stride_h;
  op.options.stride_w = c.attrs.conv.stride_w;
  op.options.pad = c.attrs.conv.pad;
  op.options.fused = c.attrs.conv.fused;
  op.options.raw_activation = static_cast<std::int8_t>(c.attrs.conv.fused == qf::activation::none   ? 0
                                                       : c.attrs.conv.fused == qf::activation::relu ? 1
                                                                                                    : 3);
  rc.m.operations.push_back(op);
  const bool comparable = c.req.given || !c.in.quant.quantized();
  if (!comparable || !ct.ok()) {
    agree("transpose_conv", I, ct, rc, comparable, t);
    return;
  }
  // Accepted: the output's shape is the op's parameter, so another output
  // shape is not a rule error but a disagreement with the output_shape input.
  CAPTURE(I);
  CHECK(prepare(rc).empty());
  ++t.accepted;
  rc.m.tensors.back().shape[1] += 1;
  CHECK(prepare(rc).find("differs from the output tensor's shape") != std::string::npos);
}

// ---- svdf: a state operand ---------------------------------------------------------

struct svdf_case {
  tensor_desc in, feature, time, bias, state;
  bool has_bias;
  int rank;
  qf::output_request req;
};
constexpr int svdf_cases = 48;
constexpr auto all_svdf_cases = [] {
  std::array<svdf_case, svdf_cases> a{};
  for (int i = 0; i < svdf_cases; ++i) {
    rng r{static_cast<std::uint32_t>(i + 1) * 668265263u + 3u};
    svdf_case& c = a[static_cast<std::size_t>(i)];
    // Mostly int8 inputs: the only dtype the op takes.
    c.in = activation(r, r.chance(92) ? 2 : 3);
    if (r.chance(60)) {
      c.in.type = dtype::i8;
      c.in.quant = qf::quant_desc::tensor(scale_of(r), r.below(256) - 128);
    }
    c.rank = 1 + r.below(2);
    const std::int64_t units = 1 + r.below(4), memory = 1 + r.below(4);
    const std::int64_t filters = units * c.rank + (r.chance(8) ? 1 : 0);
    const std::int64_t feature_dims[2] = {filters, r.chance(92) ? c.in.dim(1) : c.in.dim(1) + 1};
    c.feature = weights(r, c.in, 2, feature_dims, 0);
    if (c.in.type == dtype::i8 && r.chance(85)) c.feature.quant = qf::quant_desc::tensor(scale_of(r), 0);
    const dtype state_type = r.chance(80) ? dtype::i16 : (r.chance(80) ? dtype::i8 : dtype::u8);
    c.state.type = state_type;
    c.state.rank = 2;
    c.state.dims[0] = c.in.dim(0);
    c.state.dims[1] = r.chance(92) ? filters * memory : filters * memory + 1;
    c.state.quant = qf::quant_desc::tensor(scale_of(r), 0);
    c.time.type = r.chance(92) ? state_type : dtype::f32;
    c.time.rank = 2;
    c.time.dims[0] = filters;
    c.time.dims[1] = memory;
    if (c.time.type != dtype::f32) c.time.quant = qf::quant_desc::tensor(scale_of(r), 0);
    c.has_bias = r.chance(70);
    if (c.has_bias) c.bias = bias_for(r, c.in, units);
    c.req = request_for_input(r, c.in);
  }
  return a;
}();

template <int I>
struct svdf_types {
  static constexpr const svdf_case& c = all_svdf_cases[I];
  struct in_h { static constexpr tensor_desc value = c.in; };
  struct f_h { static constexpr tensor_desc value = c.feature; };
  struct t_h { static constexpr tensor_desc value = c.time; };
  struct b_h { static constexpr tensor_desc value = c.bias; };
  struct s_h { static constexpr tensor_desc value = c.state; };
  struct req_h { static constexpr qf::output_request value = c.req; };
  using In = type_of_t<in_h>;
  using WF = type_of_t<f_h>;
  using WT = type_of_t<t_h>;
  using B = type_of_t<b_h>;
  using S = type_of_t<s_h>;
  template <class... Out>
  static constexpr auto node(std::tuple<Out...>) {
    const auto f = make_constant_of<f_h, WF>();
    const auto tw = make_constant_of<t_h, WT>();
    if constexpr (c.has_bias)
      return qf::svdf_node<0, 1, c.rank, WF, WT, qf::constant<B>, Out...>{f, tw, make_constant_of<b_h, B>()};
    else return qf::svdf_node<0, 1, c.rank, WF, WT, qf::no_bias_t, Out...>{f, tw, qf::no_bias};
  }
  using Node = decltype(node(out_options<req_h>()));
};

template <int I>
void check_svdf_case(tally& t) {
  using L = svdf_types<I>;
  const svdf_case& c = L::c;
  constexpr qf::rule_result ct = L::Node::template rule<typename L::In, typename L::S>::value;
  if constexpr (ct.ok())
    CHECK(qf::describe<typename L::Node::template typed<2, typename L::In, typename L::S>::output>() == ct.output);
  // TFLite's operand order: input, weights_feature, weights_time, bias
  // (optional), state (a variable).
  runtime_case rc;
  rc.m.tensors.push_back(runtime_tensor(c.in, false, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.feature, true, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.time, true, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.has_bias ? c.bias : c.in, c.has_bias, rc.store));
  rc.m.tensors.push_back(runtime_tensor(c.state, false, rc.store));
  rc.m.tensors.back().variable = true;
  tensor_desc stated = c.in;
  stated.dims[1] = c.feature.dim(0) / c.rank;
  rc.m.tensors.push_back(runtime_tensor(runtime_output(c.in, c.req, ct, &stated), false, rc.store));
  qf::runtime::operation op;
  op.code = qf::tflite::to_op_code(27);
  op.inputs = {0, 1, 2, c.has_bias ? 3 : -1, 4};
  op.outputs = {5};
  op.options.rank = c.rank;
  rc.m.operations.push_back(op);
  agree("svdf", I, ct, rc, c.req.given || !c.in.quant.quantized(), t);
}

template <int N, class F>
void each(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) { (f.template operator()<I>(), ...); }(std::make_integer_sequence<int, N>{});
}

void report(const char* op, const tally& t) {
  MESSAGE(std::string(op) << ": " << t.accepted << " accepted and " << t.rejected << " rejected alike, " << t.compile_time_only
             << " compile-time only");
  // The generator must exercise both verdicts.
  CHECK(t.accepted >= 5);
  CHECK(t.rejected >= 5);
}

}  // namespace

TEST_CASE("conv2d: both paths accept, reject and type alike") { report("conv2d", check_layer_family<family::conv2d>()); }

TEST_CASE("depthwise_conv2d: both paths accept, reject and type alike") {
  report("depthwise_conv2d", check_layer_family<family::depthwise>());
}

TEST_CASE("fully_connected: both paths accept, reject and type alike") {
  report("fully_connected", check_layer_family<family::fully_connected>());
}

TEST_CASE("softmax: both paths accept, reject and type alike") {
  tally t;
  each<softmax_cases>([&]<int I>() { check_softmax_case<I>(t); });
  report("softmax", t);
}

template <unary_family F>
void unary_family_test(const char* name) {
  tally t;
  each<unary_cases>([&]<int I>() { check_unary_case<F, I>(t); });
  report(name, t);
}

TEST_CASE("max_pool2d, average_pool2d: both paths accept, reject and type alike") {
  unary_family_test<unary_family::max_pool>("max_pool2d");
  unary_family_test<unary_family::average_pool>("average_pool2d");
}

TEST_CASE("relu, relu6, logistic, leaky_relu: both paths accept, reject and type alike") {
  unary_family_test<unary_family::relu>("relu");
  unary_family_test<unary_family::relu6>("relu6");
  unary_family_test<unary_family::logistic>("logistic");
  unary_family_test<unary_family::leaky_relu>("leaky_relu");
}

TEST_CASE("add, sub, mul, squared_difference: both paths accept, reject and type alike") {
  auto family = [&]<qf::binary_fn F>(const char* name) {
    tally t;
    each<binary_cases>([&]<int I>() { check_binary_case<F, I>(t); });
    report(name, t);
  };
  family.template operator()<qf::binary_fn::add>("add");
  family.template operator()<qf::binary_fn::sub>("sub");
  family.template operator()<qf::binary_fn::mul>("mul");
  tally sd;
  each<binary_cases>([&]<int I>() { check_squared_difference_case<I>(sd); });
  report("squared_difference", sd);
}

TEST_CASE("quantize, dequantize: both paths accept, reject and type alike") {
  tally q, d;
  each<convert_cases>([&]<int I>() { check_convert_case<true, I>(q); });
  each<convert_cases>([&]<int I>() { check_convert_case<false, I>(d); });
  report("quantize", q);
  report("dequantize", d);
}

TEST_CASE("maximum, minimum, div, floor_div: both paths accept, reject and type alike") {
  auto family = [&]<qf::arithmetic_fn F>(const char* name) {
    tally t;
    each<binary_cases>([&]<int I>() { check_arithmetic_case<F, I>(t); });
    report(name, t);
  };
  family.template operator()<qf::arithmetic_fn::maximum>("maximum");
  family.template operator()<qf::arithmetic_fn::minimum>("minimum");
  family.template operator()<qf::arithmetic_fn::div>("div");
  family.template operator()<qf::arithmetic_fn::floor_div>("floor_div");
}

TEST_CASE("transpose, pad: both paths accept, reject and type alike") {
  tally tr, pd;
  each<layout_cases>([&]<int I>() { check_layout_case<false, I>(tr); });
  each<layout_cases>([&]<int I>() { check_layout_case<true, I>(pd); });
  report("transpose", tr);
  report("pad", pd);
}

TEST_CASE("mean, sum, reduce_max, arg_max, reshape, resize, sqrt, cast, tanh: both paths accept, reject and type alike") {
  auto family = [&]<shape_family F>(const char* name) {
    tally t;
    each<shape_cases>([&]<int I>() { check_shape_case<F, I>(t); });
    MESSAGE(std::string(name) << ": " << t.accepted << " accepted and " << t.rejected << " rejected alike");
    CHECK(t.accepted >= 5);
    return t;
  };
  // Ops that take nearly every operand still must reject some.
  CHECK(family.template operator()<shape_family::mean>("mean").rejected >= 5);
  CHECK(family.template operator()<shape_family::sum>("sum").rejected >= 5);
  CHECK(family.template operator()<shape_family::reduce_max>("reduce_max").rejected >= 5);
  CHECK(family.template operator()<shape_family::arg_max>("arg_max").rejected >= 5);
  CHECK(family.template operator()<shape_family::reshape>("reshape").rejected >= 1);
  CHECK(family.template operator()<shape_family::resize_bilinear>("resize_bilinear").rejected >= 1);
  CHECK(family.template operator()<shape_family::resize_nearest>("resize_nearest_neighbor").rejected >= 1);
  CHECK(family.template operator()<shape_family::sqrt>("sqrt").rejected >= 5);
  family.template operator()<shape_family::cast>("cast");
  CHECK(family.template operator()<shape_family::tanh>("tanh").rejected >= 5);
}

TEST_CASE("strided_slice: both paths accept, reject and type alike") {
  tally t;
  each<slice_cases>([&]<int I>() { check_slice_case<I>(t); });
  report("strided_slice", t);
}

TEST_CASE("concatenation, gather_nd: both paths accept, reject and type alike") {
  tally concat, gather;
  each<pair_cases>([&]<int I>() { check_pair_case<false, I>(concat); });
  each<pair_cases>([&]<int I>() { check_pair_case<true, I>(gather); });
  report("concatenation", concat);
  report("gather_nd", gather);
}

TEST_CASE("transpose_conv, svdf: both paths accept, reject and type alike") {
  tally tc, sv;
  each<transpose_conv_cases>([&]<int I>() { check_transpose_conv_case<I>(tc); });
  each<svdf_cases>([&]<int I>() { check_svdf_case<I>(sv); });
  report("transpose_conv", tc);
  report("svdf", sv);
}
