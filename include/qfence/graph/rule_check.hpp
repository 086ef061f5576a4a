// qfence/graph/rule_check.hpp: how the typed graph asks an op rule, and
// turns its error into one static_assert.
//
// A typed node describes its operand types (describe<T>()), its options
// (an attrs struct) and its out<...> (output_request), asks the op's rule
// (qfence/rules/) inside a holder type, and calls check_rule. The message
// is the rule error's text, the same the runtime path prints; the
// check<...> beside it names the node, the operand, the operand's type and
// the expected type.
#pragma once

#include <tuple>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/tensor_desc.hpp"
#include "qfence/graph/options.hpp"
#include "qfence/rules/rule.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Diagnostic context: the error is about the node's output (its out<...>,
/// or its options).
struct node_output {};

namespace detail {

/// One static_assert per rule error, with that error's text.
template <rule_error E, class... Context>
struct rule_report {
  static constexpr bool value = true;
};
#define QFENCE_DETAIL_REPORT(id, text)                                            \
  template <class... Context>                                                     \
  struct rule_report<rule_error::id, Context...> {                                \
    static_assert(check<false, Context...>, "qfence: " text);                     \
    static constexpr bool value = false;                                          \
  };
QFENCE_RULE_ERRORS(QFENCE_DETAIL_REPORT)
#undef QFENCE_DETAIL_REPORT

template <class Result> struct rule_expected {
  static constexpr tensor_desc value = Result::value.expected;
};
template <class Result> struct rule_output {
  static constexpr tensor_desc value = Result::value.output;
};

template <class Result>
constexpr auto expected_context() {
  if constexpr (!Result::value.has_expected) return std::tuple<>{};
  else return std::tuple<expected<desc_type<rule_expected<Result>>>>{};
}

/// The tensor inside producer<T>, weights<T>, bias<T>.
template <class Wrapped> struct operand_tensor { using type = void; };
template <template <class> class Role, class T> struct operand_tensor<Role<T>> { using type = T; };

/// How many scales a per-channel operand has, shown beside its type (the
/// type names the scale array, not its length).
template <class Wrapped>
constexpr auto scale_count_context() {
  using T = typename operand_tensor<Wrapped>::type;
  if constexpr (std::is_void_v<T>) return std::tuple<>{};
  else if constexpr (!T::quant::is_per_channel) return std::tuple<>{};
  else return std::tuple<scales_given<static_cast<long long>(T::quant::channels)>>{};
}

template <int Operand, class... Operands>
constexpr auto operand_context() {
  if constexpr (Operand < 0 || Operand >= static_cast<int>(sizeof...(Operands))) {
    return std::tuple<node_output>{};
  } else {
    using wrapped = std::tuple_element_t<static_cast<std::size_t>(Operand), std::tuple<Operands...>>;
    return std::tuple_cat(std::tuple<operand<Operand>, wrapped>{}, scale_count_context<wrapped>());
  }
}

template <rule_error E, class... Context>
constexpr bool report_tuple(std::tuple<Context...>) {
  return rule_report<E, Context...>::value;
}

}  // namespace detail

/// The output request a node's options make: out<Q> or out<Q, dtype> when
/// given.
template <class... Opts>
constexpr output_request requested_output() noexcept {
  if constexpr (has_option<option_kind::output_quantization, Opts...>) {
    using O = option_or<option_kind::output_quantization, detail::no_option, Opts...>;
    return {true, O::dtype_given, O::type, describe_quant<typename O::quant>(), false, {}};
  } else {
    return {};
  }
}

/// True when the rule result held by `Result` (a type with a
/// `static constexpr rule_result value`) is ok; otherwise one static_assert
/// with the error's text, in context: the node, the operand at fault and its
/// type (`Operands` are the node's operands in the rule's order, wrapped as
/// producer<T>, weights<T>, bias<T>), and the expected type.
template <int Index, class Op, class Result, class... Operands>
constexpr bool check_rule() {
  constexpr rule_result r = Result::value;
  if constexpr (r.ok()) {
    return true;
  } else {
    return detail::report_tuple<r.error>(std::tuple_cat(std::tuple<at_node<Index, Op>>{},
                                                         detail::operand_context<r.operand, Operands...>(),
                                                         detail::expected_context<Result>()));
  }
}

/// The output type a successful rule result describes.
template <class Result>
using rule_output_type = desc_type<detail::rule_output<Result>>;

/// The same, for ops whose output keeps `Input`'s quantization: where it
/// does, the output names Input's attribute itself (a per-channel attribute
/// cannot be rebuilt from a description, which counts its scales only).
template <class Result, class Input>
using rule_output_keeping =
    std::conditional_t<Result::value.output.quant == describe_quant<typename Input::quant>(),
                       retyped<rule_output_type<Result>, Result::value.output.type, typename Input::quant>,
                       rule_output_type<Result>>;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
