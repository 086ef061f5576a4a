// qfence/ops/signal/filter_bank.hpp: the filter-bank stage of TFLM's signal
// library as typed nodes (rules/signal/filter_bank.hpp;
// kernels/reference/signal/filter_bank.hpp).
//
//   qf::signal_filter_bank<NumChannels>(qf::ref<energies>, qf::ref<weights>, qf::ref<unweights>,
//                                       qf::ref<first_bins>, qf::ref<first_weights>, qf::ref<widths>)
//   qf::signal_filter_bank_square_root(qf::ref<sums>, qf::ref<shift>)
//   qf::signal_filter_bank_log<InputCorrectionBits, OutputScale>(qf::ref<x>)
//
//   using spec = qf::signal_spectral_subtraction_spec<NumChannels, Smoothing, OneMinusSmoothing,
//       AlternateSmoothing, AlternateOneMinusSmoothing, MinSignalRemaining, SmoothingBits,
//       SpectralSubtractionBits, Clamping>;
//   auto noise = qf::state<typename spec::noise_estimate>();                        // node e
//   qf::signal_spectral_subtraction<spec>(qf::ref<x>, qf::ref<e>)                   // node s
//   qf::signal_spectral_subtraction_output<spec, K>(qf::ref<s>)   // K: 0 the signal, 1 the noise estimate
//
// An invoke whose channel tables point outside the energies or the weights
// ends at the filter bank (invoke returns invoke_status::ended_early); the
// runtime path refuses constant tables that do so when it prepares. The
// spectral subtraction's noise estimate is a state node: model::reset_state
// zeroes it, as TFLM's reset does.
#pragma once

#include <cstdint>
#include <cstring>
#include <tuple>

#include "qfence/core/exact_float.hpp"
#include "qfence/graph/custom_op.hpp"
#include "qfence/kernels/reference/signal/filter_bank.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/signal/filter_bank.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct signal_filter_bank {
  static constexpr const char* name = "signal_filter_bank";  // TFLM custom ops: no builtin code
};
struct signal_filter_bank_square_root {
  static constexpr const char* name = "signal_filter_bank_square_root";
};
struct signal_filter_bank_log {
  static constexpr const char* name = "signal_filter_bank_log";
};
struct signal_spectral_subtraction {
  static constexpr const char* name = "signal_filter_bank_spectral_subtraction";
};
}  // namespace op

template <int NumChannels, int X, int W, int U, int F, int S, int N>
struct signal_filter_bank_node {
  using op = op::signal_filter_bank;
  using inputs = refs<X, W, U, F, S, N>;
  static constexpr signal_filter_bank_attrs attrs{NumChannels};

  template <class... In>
  struct rule {
    static constexpr tensor_desc operands[6] = {describe<In>()...};
    static constexpr rule_result value = signal_filter_bank_rule(attrs, operands, requested_output<>());
  };

  template <int Index, class... In>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In...>, producer<In>...>()))
    return true;
  }

  template <int Index, class In, class Wt, class Ut, class Ft, class St, class Nt>
  struct typed {
    using output = rule_output_type<rule<In, Wt, Ut, Ft, St, Nt>>;
    /// false: the tables point outside the energies or the weights.
    static bool run(const signal_filter_bank_node&, const std::uint32_t* x, const std::int16_t* weights,
                    const std::int16_t* unweights, const std::int16_t* first_bins, const std::int16_t* first_weights,
                    const std::int16_t* widths, std::uint64_t* out) noexcept {
      const reference::signal::filter_bank_tables t{weights,       unweights, Wt::elements, first_bins,
                                                    first_weights, widths,    NumChannels + 1};
      return reference::signal::filter_bank(x, In::elements, t, out);
    }
  };
};

/// The weighted energy of each of NumChannels channels.
template <int NumChannels, int X, int W, int U, int F, int S, int N>
constexpr auto signal_filter_bank(node_ref<X>, node_ref<W>, node_ref<U>, node_ref<F>, node_ref<S>, node_ref<N>) {
  return signal_filter_bank_node<NumChannels, X, W, U, F, S, N>{};
}

template <int X, int Shift>
struct signal_filter_bank_square_root_node {
  using op = op::signal_filter_bank_square_root;
  using inputs = refs<X, Shift>;

  template <class In, class Sh>
  struct rule {
    static constexpr rule_result value =
        signal_filter_bank_square_root_rule(describe<In>(), describe<Sh>(), requested_output<>());
  };

  template <int Index, class In, class Sh>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In, Sh>, producer<In>, producer<Sh>>()))
    return true;
  }

  template <int Index, class In, class Sh>
  struct typed {
    using output = rule_output_type<rule<In, Sh>>;
    static void run(const signal_filter_bank_square_root_node&, const std::uint64_t* x, const std::int32_t* shift,
                    std::uint32_t* out) {
      reference::signal::filter_bank_square_root(x, In::elements, *shift, out);
    }
  };
};

/// sqrt(x) >> shift (an i32 scalar node).
template <int X, int Shift>
constexpr auto signal_filter_bank_square_root(node_ref<X>, node_ref<Shift>) {
  return signal_filter_bank_square_root_node<X, Shift>{};
}

template <int InputCorrectionBits, int OutputScale, int X>
struct signal_filter_bank_log_node {
  using op = op::signal_filter_bank_log;
  using inputs = refs<X>;
  static constexpr signal_filter_bank_log_attrs attrs{InputCorrectionBits, OutputScale};

  template <class In>
  struct rule {
    static constexpr rule_result value = signal_filter_bank_log_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    return true;
  }

  template <int Index, class In>
  struct typed {
    using output = rule_output_type<rule<In>>;
    static void run(const signal_filter_bank_log_node&, const std::uint32_t* x, std::int16_t* out) {
      reference::signal::filter_bank_log(x, In::elements, static_cast<std::uint32_t>(OutputScale),
                                         static_cast<std::uint32_t>(InputCorrectionBits), out);
    }
  };
};

/// ln(x << InputCorrectionBits) * OutputScale / 65536, saturated to i16.
template <int InputCorrectionBits, int OutputScale, int X>
constexpr auto signal_filter_bank_log(node_ref<X>) {
  return signal_filter_bank_log_node<InputCorrectionBits, OutputScale, X>{};
}

/// The spectral subtraction's options as template arguments.
template <int NumChannels, std::uint32_t Smoothing, std::uint32_t OneMinusSmoothing, std::uint32_t AlternateSmoothing,
          std::uint32_t AlternateOneMinusSmoothing, std::uint32_t MinSignalRemaining, std::uint32_t SmoothingBits,
          std::uint32_t SpectralSubtractionBits, bool Clamping>
struct signal_spectral_subtraction_spec {
  static constexpr signal_spectral_subtraction_attrs attrs{
      NumChannels,
      {Smoothing, OneMinusSmoothing, AlternateSmoothing, AlternateOneMinusSmoothing, MinSignalRemaining, SmoothingBits,
       SpectralSubtractionBits, Clamping}};
  /// The type of the noise estimate's state node.
  using noise_estimate = tensor<dtype::u32, shape<NumChannels>>;
  /// The two outputs, packed in the op node's output in this order.
  using outputs = std::tuple<noise_estimate, noise_estimate>;
};

template <class Spec, int X, int Noise>
struct signal_spectral_subtraction_node {
  using op = op::signal_spectral_subtraction;
  using inputs = refs<X, Noise>;
  using packing = detail::packed_outputs<typename Spec::outputs>;
  static constexpr signal_spectral_subtraction_attrs attrs = Spec::attrs;

  template <class In>
  struct rule {
    static constexpr rule_result value = signal_spectral_subtraction_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In, class E>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    QFENCE_REQUIRE((std::is_same_v<E, typename Spec::noise_estimate>), (at_node<Index, op>, operand<1>, producer<E>),
                   "qfence: signal_spectral_subtraction's operand 1 is its noise estimate, a state node of its own. "
                   "fix: qfence::state<typename Spec::noise_estimate>() as a node of its own, passed by ref")
    return true;
  }

  template <int Index, class In, class E>
  struct typed {
    using output = tensor<dtype::u32, shape<2 * Spec::attrs.num_channels>>;
    static void run(const signal_spectral_subtraction_node&, const std::uint32_t* x, const std::uint32_t* noise,
                    std::uint32_t* out) noexcept {
      // The estimate belongs to its state node; this is the op that updates it.
      auto* estimate = const_cast<std::uint32_t*>(noise);
      constexpr std::int64_t n = Spec::attrs.num_channels;
      reference::signal::spectral_subtraction(attrs.config, x, n, estimate, out);
      std::memcpy(out + n, estimate, n * sizeof(std::uint32_t));
    }
  };
};

/// The op's node (its two outputs packed).
template <class Spec, int X, int Noise>
constexpr auto signal_spectral_subtraction(node_ref<X>, node_ref<Noise>) {
  return signal_spectral_subtraction_node<Spec, X, Noise>{};
}
/// Output K of the op's node `P`: 0 the signal less its noise, 1 the noise
/// estimate.
template <class Spec, std::size_t K, int P>
constexpr auto signal_spectral_subtraction_output(node_ref<P>) {
  return model_custom_output_node<op::signal_spectral_subtraction, Spec, K, P>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
