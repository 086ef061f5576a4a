// Calibration memory does not grow with the dataset (issue #10): measured
// with a counting allocator that replaces every operator new of this
// program, which is why this test is a program of its own (in the runtime
// areas' program, runtime_unit_tests.cpp, it would wrap every allocation of
// every area, and hide their heap overflows from ASan in its padding; under
// the sanitizers it is not built: tests/meson.build).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "qfence/quant/calibration.hpp"
#include "calibration_samples.hpp"

// ---- a counting allocator: every operator new of this program ------------
namespace {
std::atomic<std::size_t> live_bytes{0}, peak_bytes{0};
constexpr std::size_t header = 64;  // keeps any alignment up to 64

void* counted_alloc(std::size_t n, std::size_t align) {
  align = std::max(align, header);
  void* raw = std::aligned_alloc(align, (n + align + align - 1) / align * align);
  if (raw == nullptr) throw std::bad_alloc();
  auto* base = static_cast<unsigned char*>(raw);
  *reinterpret_cast<std::size_t*>(base + align - 2 * sizeof(std::size_t)) = n;
  *reinterpret_cast<std::size_t*>(base + align - sizeof(std::size_t)) = align;
  const std::size_t now = live_bytes += n;
  std::size_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return base + align;
}
void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  auto* user = static_cast<unsigned char*>(p);
  const std::size_t align = *reinterpret_cast<std::size_t*>(user - sizeof(std::size_t));
  live_bytes -= *reinterpret_cast<std::size_t*>(user - 2 * sizeof(std::size_t));
  std::free(user - align);
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n, 16); }
void* operator new[](std::size_t n) { return counted_alloc(n, 16); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n, 16); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return counted_alloc(n, 16); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

namespace quant = qfence::quant;
using qtest::add_model;
using qtest::generated_samples;

TEST_CASE("calibrate: memory does not grow with the dataset (10x the samples, same peak)") {
  const auto model = add_model();
  for (const auto method : {quant::calibrator::minmax, quant::calibrator::mse, quant::calibrator::entropy}) {
    quant::calibration_options options;
    options.observer.method = method;
    auto peak_of = [&](std::size_t samples) {
      const std::size_t before = live_bytes.load();
      peak_bytes = before;
      const auto report = quant::calibrate(model, generated_samples{samples, 1.0f}, options);
      CHECK(report.samples == samples);
      return peak_bytes.load() - before;
    };
    const std::size_t small = peak_of(200), large = peak_of(2000);
    MESSAGE(std::string(quant::calibrator_name(method)) << ": peak heap " << small << " bytes over 200 samples, "
                                                       << large << " over 2000");
    CHECK(small > 2 * 2048 * sizeof(std::uint64_t));  // two histograms of 2048 bins: it did measure something
    CHECK(large == small);
  }
}
