// A counting replacement of every global operator new and delete, for the
// programs that measure the heap: graph_test (inference allocates nothing:
// the number of allocations) and calibration_memory_test (calibration's
// peak heap does not grow with the dataset: live and peak bytes).
//
// Replacing operator new is a property of the whole program, so include
// this header in exactly one translation unit of a program of its own.
// Every form is replaced, aligned and nothrow ones too: a count that missed
// `new` of an over-aligned type (an arena) would let it through unseen.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#include <malloc.h>  // malloc_usable_size (glibc)

namespace qtest::heap {

inline std::atomic<long> allocations{0};
inline std::atomic<std::size_t> live_bytes{0}, peak_bytes{0};

namespace detail {
// Blocks of exactly the size asked for, from malloc (aligned_alloc for
// over-aligned types), measured by malloc_usable_size at both ends: no
// header or padding of ours, so ASan still sees every byte past a block
// (graph_test also runs under the sanitizers).
inline void* allocate(std::size_t n, std::size_t align) {
  void* p = align <= alignof(std::max_align_t) ? std::malloc(n != 0 ? n : 1)
                                               : std::aligned_alloc(align, (n + align - 1) / align * align + (n == 0 ? align : 0));
  if (p == nullptr) throw std::bad_alloc();
  allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t now = live_bytes += malloc_usable_size(p);
  std::size_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return p;
}

inline void release(void* p) noexcept {
  if (p == nullptr) return;
  live_bytes -= malloc_usable_size(p);
  std::free(p);
}

inline void* allocate_nothrow(std::size_t n, std::size_t align) noexcept {
  try {
    return allocate(n, align);
  } catch (...) {
    return nullptr;
  }
}
}  // namespace detail
}  // namespace qtest::heap

// GCC 12 warns (-Wmismatched-new-delete) when it inlines a replaced new and
// delete into one function; replacing both is what the standard allows.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) { return qtest::heap::detail::allocate(n, 16); }
void* operator new[](std::size_t n) { return qtest::heap::detail::allocate(n, 16); }
void* operator new(std::size_t n, std::align_val_t a) {
  return qtest::heap::detail::allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return qtest::heap::detail::allocate(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return qtest::heap::detail::allocate_nothrow(n, 16); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return qtest::heap::detail::allocate_nothrow(n, 16);
}
void operator delete(void* p) noexcept { qtest::heap::detail::release(p); }
void operator delete[](void* p) noexcept { qtest::heap::detail::release(p); }
void operator delete(void* p, std::size_t) noexcept { qtest::heap::detail::release(p); }
void operator delete[](void* p, std::size_t) noexcept { qtest::heap::detail::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { qtest::heap::detail::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { qtest::heap::detail::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { qtest::heap::detail::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { qtest::heap::detail::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { qtest::heap::detail::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { qtest::heap::detail::release(p); }
