// qfence/graph/arena.hpp: the working memory of one compile-time model.
//
//   qfence::arena<M>       owns M::arena_bytes of suitably aligned storage
//                          (static, automatic or std::make_unique'd);
//   qfence::arena_view<M>  the same over memory the application owns
//                          (size and alignment checked once, at construction).
//
// Both give typed access: `input<K>()` is a std::span<T, N> of input K's
// element type and element count, `output<K>()` a std::span<const T, N> of
// output K. `net.invoke(arena)` accepts only an arena of `net`'s own model
// type: another model's arena is a compile error, never an overflow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/graph/memory_plan.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// Raised by `arena_view` when the memory given to it is too small or
/// misaligned.
class arena_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {

/// Typed access to a model's inputs and outputs, shared by `arena` and
/// `arena_view` (`Derived::data()` gives the arena's first byte).
template <class Derived, class M>
class arena_access {
 public:
  using model_type = M;
  static constexpr std::size_t size_bytes = M::arena_bytes;

  /// Input K, to be written before `invoke`.
  template <int K>
  auto input() noexcept {
    constexpr bool exists = K >= 0 && K < M::input_count;
    static_assert(exists, "qfence: arena.input<K>(): K is not an input index of this model (see M::input_count)");
    if constexpr (exists) {
      using T = typename M::template input_type<K>;
      constexpr auto n = static_cast<std::size_t>(T::elements);
      std::byte* p = memory() + M::template input_offset<K>;
      // An overwritable input's bytes held other tensors during the last
      // invoke: writing it begins a new array there.
      auto* first = M::template input_overwritable<K> ? begin_lifetime<typename T::element>(p, n)
                                                      : object_at<typename T::element>(p);
      return std::span<typename T::element, n>(first, n);
    } else {
      return std::span<std::byte, 0>{};  // the static_assert above is the error
    }
  }

  /// Output K (in the order the model declares its outputs), valid after `invoke`.
  template <int K>
  auto output() const noexcept {
    constexpr bool exists = K >= 0 && K < M::output_count;
    static_assert(exists, "qfence: arena.output<K>(): K is not an output index of this model (see M::output_count)");
    if constexpr (exists) {
      using T = typename M::template output_type<K>;
      constexpr auto n = static_cast<std::size_t>(T::elements);
      return std::span<const typename T::element, n>(
          object_at<typename T::element>(memory() + M::template output_offset<K>), n);
    } else {
      return std::span<const std::byte, 0>{};
    }
  }

  /// Node I's output as stored (float inside a fence). The bytes are node
  /// I's from the moment it has run until its last reader has, after which
  /// the plan gives them to other tensors: read it in `invoke_observed`'s
  /// callback for node I (as calibration does), or after `invoke` for an
  /// output or input node.
  template <int I>
  auto node_output() const noexcept {
    static_assert(I >= 0 && I < M::node_count, "qfence: arena.node_output<I>(): the model has no node I");
    using T = typename M::template node_output_type<I>;
    constexpr auto n = static_cast<std::size_t>(T::elements);
    return std::span<const typename T::element, n>(
        object_at<typename T::element>(memory() + M::template node_output_offset<I>), n);
  }

  /// The arena's bytes (e.g. to save or restore a whole state).
  std::span<std::byte, size_bytes> bytes() noexcept { return std::span<std::byte, size_bytes>(memory(), size_bytes); }
  std::span<const std::byte, size_bytes> bytes() const noexcept {
    return std::span<const std::byte, size_bytes>(memory(), size_bytes);
  }

 private:
  std::byte* memory() noexcept { return static_cast<Derived&>(*this).data(); }
  const std::byte* memory() const noexcept { return static_cast<const Derived&>(*this).data(); }
};

}  // namespace detail

/// Working memory for model type M (`decltype(qfence::graph(...))`), aligned
/// to `arena_alignment`. It is `M::arena_bytes` large, so give it static
/// storage or put it on the heap (`std::make_unique<qfence::arena<M>>()`)
/// when that is more than the stack should hold.
template <class M>
class arena : public detail::arena_access<arena<M>, std::remove_cv_t<M>> {
 public:
  std::byte* data() noexcept { return storage_; }
  const std::byte* data() const noexcept { return storage_; }

 private:
  alignas(arena_alignment) std::byte storage_[M::arena_bytes > 0 ? M::arena_bytes : 1];
};

/// Model M's arena in memory the application owns. The memory must hold
/// `M::arena_bytes` bytes aligned to `qfence::arena_alignment`; otherwise the
/// constructor throws `arena_error` saying which (or, built without
/// exceptions, prints that and aborts).
template <class M>
class arena_view : public detail::arena_access<arena_view<M>, std::remove_cv_t<M>> {
 public:
  explicit arena_view(std::span<std::byte> memory) : data_(memory.data()) {
    const auto address = reinterpret_cast<std::uintptr_t>(memory.data());
    if (memory.size() < M::arena_bytes)
      fail("qfence::arena_view: the memory given has " + std::to_string(memory.size()) +
           " bytes; this model needs M::arena_bytes = " + std::to_string(M::arena_bytes));
    if (address % arena_alignment != 0)
      fail("qfence::arena_view: the memory given starts at an address that is not a multiple of " +
           std::to_string(arena_alignment) + " (qfence::arena_alignment): offset " +
           std::to_string(address % arena_alignment) + "; align it, e.g. alignas(qfence::arena_alignment)");
  }

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }

 private:
  [[noreturn]] static void fail(const std::string& what) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    throw arena_error(what);
#else
    std::fputs((what + "\n").c_str(), stderr);
    std::abort();
#endif
  }
  std::byte* data_;
};

namespace detail {
template <class A> struct arena_model { using type = void; };
template <class M> struct arena_model<arena<M>> { using type = std::remove_cv_t<M>; };
template <class M> struct arena_model<arena_view<M>> { using type = std::remove_cv_t<M>; };
}  // namespace detail

/// The model an arena type was made for (void for anything else).
template <class A>
using arena_model_t = typename detail::arena_model<std::remove_cvref_t<A>>::type;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END
