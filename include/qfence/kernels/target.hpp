// qfence/kernels/target.hpp: which SIMD target the Highway kernels run on.
//
// Every kernel is compiled once per Highway target in HWY_TARGETS (the
// *-inl.hpp files, re-included through hwy/foreach_target.h by
// kernels/dispatch.hpp) and reached through a per-kernel table indexed by a
// `target`. A model picks its target once (graph::invoke, the runtime
// interpreter's constructor), not per kernel call:
//   - default_target(): QFENCE_TARGET from the environment if set (Highway's
//     names as hwy::TargetName prints them: AVX3_DL, AVX3, AVX2, SSE4,
//     EMU128, ...), else the best target compiled in that this CPU supports;
//     read once per process;
//   - target_named("AVX2"): a chosen one, for tests and benchmarks; an
//     unknown name, a target not compiled in or one this CPU lacks is a
//     target_error that lists what is available;
//   - usable_targets(): every target compiled in that this CPU runs (tests
//     sweep them all, as Highway's own tests do);
//   - target::reference(): no SIMD at all, the reference kernels (the
//     specification, for comparisons and benchmarks: the runtime
//     interpreter's --reference-kernels). The dispatch functions of
//     kernels/dispatch.hpp route it to kernels/reference/; packed layers
//     (convolutions) have no reference form, so their preparation falls back
//     on the unpacked reference kernel for it.
// Every target gives the reference kernels' bits.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/highway.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// An unknown, not compiled or unsupported target name.
struct target_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The targets a kernel table has a slot for, best first (Highway's bit order:
/// a lower bit is a better target). Slot i of every table is target_bits[i].
inline constexpr std::int64_t target_bits[] = {
    HWY_AVX3_DL, HWY_AVX3, HWY_AVX2, HWY_SSE4, HWY_SSSE3, HWY_SVE2_128, HWY_SVE_256,
    HWY_SVE2,    HWY_SVE,  HWY_NEON, HWY_EMU128, HWY_SCALAR};
inline constexpr int target_slots = static_cast<int>(sizeof(target_bits) / sizeof(target_bits[0]));

/// The targets this translation unit compiles the kernels for.
inline constexpr std::int64_t compiled_target_bits = HWY_TARGETS;

/// One SIMD target: its slot in the kernel tables and its Highway bit.
class target {
 public:
  /// No target chosen yet (interpreter_options, op_context: then
  /// default_target()).
  constexpr target() noexcept = default;
  static constexpr target from_slot(int slot) noexcept { return target(slot); }
  /// The reference kernels, no SIMD (it has no slot in the kernel tables).
  static constexpr target reference() noexcept { return target(reference_slot); }
  /// The index into a kernel table; only for a SIMD target.
  constexpr int slot() const noexcept { return slot_; }
  constexpr std::int64_t bit() const noexcept { return is_reference() ? 0 : target_bits[slot_]; }
  /// Highway's name for it ("AVX3_DL", "AVX2", "EMU128", ...), or "reference".
  const char* name() const noexcept { return is_reference() ? "reference" : hwy::TargetName(bit()); }
  constexpr bool valid() const noexcept { return slot_ != unset_slot; }
  constexpr bool is_reference() const noexcept { return slot_ == reference_slot; }
  friend constexpr bool operator==(target, target) noexcept = default;

 private:
  static constexpr int unset_slot = -1, reference_slot = -2;
  constexpr explicit target(int slot) noexcept : slot_(slot) {}
  int slot_ = unset_slot;
};

/// The targets compiled in, best first (whether or not this CPU runs them).
inline std::vector<target> compiled_targets() {
  std::vector<target> all;
  for (int i = 0; i < target_slots; ++i)
    if ((compiled_target_bits & target_bits[i]) != 0) all.push_back(target::from_slot(i));
  return all;
}

/// The targets compiled in that this CPU runs, best first.
inline std::vector<target> usable_targets() {
  const std::int64_t cpu = hwy::SupportedTargets();
  std::vector<target> usable;
  for (const target t : compiled_targets())
    if ((cpu & t.bit()) != 0) usable.push_back(t);
  return usable;
}

/// The best target compiled in that this CPU runs.
inline target best_target() {
  const auto usable = usable_targets();
  if (usable.empty()) throw target_error("no compiled SIMD target runs on this CPU (HWY_TARGETS is empty?)");
  return usable.front();
}

namespace detail {
inline std::string target_list(const std::vector<target>& ts) {
  std::string s;
  for (const target t : ts) s += (s.empty() ? "" : ", ") + std::string(t.name());
  return s.empty() ? "none" : s;
}
}  // namespace detail

/// The target named `name` as hwy::TargetName prints it (case-sensitive).
inline target target_named(std::string_view name) {
  for (int i = 0; i < target_slots; ++i) {
    const target t = target::from_slot(i);
    if (name != t.name()) continue;
    if ((compiled_target_bits & t.bit()) == 0)
      throw target_error("SIMD target '" + std::string(name) +
                         "' is not compiled into this program; compiled: " + detail::target_list(compiled_targets()));
    if ((hwy::SupportedTargets() & t.bit()) == 0)
      throw target_error("SIMD target '" + std::string(name) +
                         "' is not supported by this CPU; usable here: " + detail::target_list(usable_targets()));
    return t;
  }
  throw target_error("unknown SIMD target '" + std::string(name) +
                     "' (Highway's names); usable here: " + detail::target_list(usable_targets()));
}

/// QFENCE_TARGET if set and not empty, else the best target; the variable is
/// read once per process (an invalid one throws on every call, so a
/// misspelt override is never silently ignored).
inline target default_target() {
  static const std::string forced = [] {
    const char* env = std::getenv("QFENCE_TARGET");
    return std::string(env != nullptr ? env : "");
  }();
  if (!forced.empty()) {
    static const target chosen = [] {
      try {
        return target_named(forced);
      } catch (const target_error& e) {
        throw target_error(std::string(e.what()) + " (from the environment variable QFENCE_TARGET)");
      }
    }();
    return chosen;
  }
  static const target best = best_target();
  return best;
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END
