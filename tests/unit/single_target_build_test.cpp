// The single-target build (-march=native -DHWY_COMPILE_ONLY_STATIC) runs
// vpdpbusd where the CPU has it: on a CPU with AVX-512 VNNI but not AVX-VNNI
// (Zen 4, Ice Lake) Highway 1.0.3 alone would make AVX3 the one target, so
// kernels/highway.hpp compiles AVX3_DL beside it; elsewhere the build keeps
// its one static target. Built with those flags only (tests/meson.build).
#include <cstdio>
#include <string>

#include "qfence/kernels/target.hpp"

namespace kn = qfence::kernels;

int main() {
  std::string compiled;
  for (const kn::target t : kn::compiled_targets()) compiled += std::string(" ") + t.name();
  const kn::target best = kn::best_target();
  std::printf("compiled:%s; best here: %s\n", compiled.c_str(), best.name());
#if QFENCE_STATIC_BUILD_ADDS_AVX3_DL
  const bool ok = kn::compiled_targets().size() == 2 && std::string(best.name()) == "AVX3_DL";
  if (!ok) std::printf("FAIL: a CPU with AVX-512 VNNI (the compiler's -march=native says so) should run AVX3_DL\n");
#else
  const bool ok = kn::compiled_targets().size() == 1;
  if (!ok) std::printf("FAIL: a single-target build compiled more than one target\n");
#endif
  return ok ? 0 : 1;
}
