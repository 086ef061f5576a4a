# Shared set-up for scripts/test and scripts/demo (sourced, not run).
# Installs the Debian packages qfence needs, only those that are missing,
# through sudo when not root, then configures a build directory per compiler.

QFENCE_PACKAGES=(g++ clang libhwy-dev libboost-dev doctest-dev libflatbuffers-dev flatbuffers-compiler
                 meson ninja-build pkg-config python3)

qfence_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

ensure_packages() {
  local missing=()
  for p in "${QFENCE_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The C++ compiler for a build name: gcc, clang, sanitize (GCC with
# AddressSanitizer and UndefinedBehaviorSanitizer) or bench (GCC, release). Debian 12 ships GCC 12 and Clang 14.
compiler_for() {
  case "$1" in
    gcc | sanitize | bench) command -v g++-12 || command -v g++ ;;
    clang) command -v clang++-14 || command -v clang++ ;;
  esac
}

# configure_build NAME: build/NAME configured for that compiler and options
# (set up afresh when either changed since the last set-up).
configure_build() {
  local name=$1 root cxx dir
  root=$(qfence_root)
  cxx=$(compiler_for "$name") || { echo "error: no $name C++ compiler found" >&2; return 1; }
  dir="$root/build/$name"
  local options=()
  case $name in
    # GCC's stage builds at -O2 (the kernel sweeps and rule tests set their
    # own levels, tests/meson.build): its CLI, every target compiled, is the
    # longest step of CI (alone here: 411 s at -O3, 318 s at -O2), and its
    # bytes are the same at any level (exact float regions, integer kernels);
    # the SIMD paths run as fast (person_detect, MobileNetV2: within 2 %).
    # -O3 vectorizes the reference kernels' scalar loops, so scripts/bench,
    # which reports them, builds its own release CLI (bench: meson's
    # defaults, -O3).
    gcc) options=(-Doptimization=2 -Db_ndebug=true) ;;
    # Clang builds as the single-target build the README offers users
    # (-march=native -DHWY_COMPILE_ONLY_STATIC: the CPU's own target, and
    # AVX3_DL beside AVX3 on CPUs with AVX-512 VNNI, kernels/highway.hpp):
    # every source is compiled and every test run by both compilers, every
    # dispatch target by GCC (its stage and the sanitizers'). With every
    # target compiled, Clang's stage took 22 of CI's 68 minutes; the CLI and
    # the kernel sweeps alone were 10-16 CPU-minutes each.
    clang) [ "$(uname -m)" = x86_64 ] && options=("-Dcpp_args=-march=native -DHWY_COMPILE_ONLY_STATIC") ;;
    # Under the sanitizers: the widest and the narrowest x86 vectors
    # (AVX3_DL, SSE4, and GCC's one-lane baseline), every kernel's tails and
    # borders at both ends of the vector width, in half the compile time of
    # all targets (the gcc build checks every target's results); -O0 and
    # line tables only (-g1), which is all a sanitizer report needs. The
    # optimizer is what costs here: at -O1 this stage built in 7-9 minutes
    # of CI time, at -O0 in under 3, and its tests still run in under a
    # minute. -fno-sanitize=null,nonnull-attribute,returns-nonnull-attribute:
    # GCC 12's null checks make `p != nullptr` on the address of a templated
    # static object (the constants qfence::quantize computes) not a constant
    # expression, so constexpr models would not compile; a null dereference
    # still faults and ASan reports it. -no-pie: an instrumented CLI as a
    # position-independent executable carries 900,000 relative relocations
    # (ASan's global descriptors), which the loader applied, page by page,
    # at every start: 212 ms of each `qfence` process against 111 without,
    # and the command-line tests start about 300 of them.
    # -fsanitize=float-cast-overflow: not in GCC's `undefined` (it is in
    # Clang's), and a float-to-integer conversion out of range (a NaN zero
    # point from an infinite input) is exactly the undefined behaviour a
    # quantizer can hide; Clang's UBSan found one that GCC's had not.
    # Why GCC and not Clang here: Clang's -O0 ASan code for the kernel
    # sweeps runs 3x slower (simd_kernels: over 5 minutes against 108 s),
    # and at -O1 its compile of them alone took over 5 minutes.
    sanitize) options=(-Db_sanitize=address,undefined -Dbuildtype=plain -Doptimization=0 -Db_ndebug=false
                       "-Dcpp_args=-g1 -fsanitize=float-cast-overflow -fno-sanitize=null,nonnull-attribute,returns-nonnull-attribute -DHWY_DISABLED_TARGETS=(HWY_SSSE3|HWY_AVX3|HWY_AVX2)"
                       -Dcpp_link_args=-no-pie) ;;
  esac
  local config="$cxx ${options[*]}"
  if [ -f "$dir/build.ninja" ] && [ "$(cat "$dir/qfence-config" 2>/dev/null)" = "$config" ]; then
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$root/build"
  CXX="$cxx" meson setup "${options[@]}" "$dir" "$root" >"$root/build/$name-setup.log" 2>&1 ||
    { cat "$root/build/$name-setup.log" >&2; return 1; }
  echo "$config" >"$dir/qfence-config"
}

# suite_targets BUILD_DIR [--suite S]... [--no-suite S]...: the build targets
# that the tests of those suites run (of every suite when no --suite is
# given), but not those of the --no-suite ones; nothing when no argument is
# given (meson compile then builds all).
suite_targets() {
  local dir=$1; shift
  [ $# -eq 0 ] && return 0
  meson introspect "$dir" --tests --targets | python3 -c '
import json, os, sys
info = json.load(sys.stdin)
build, args = sys.argv[1], sys.argv[2:]
wanted = {v for k, v in zip(args[::2], args[1::2]) if k == "--suite"}
unwanted = {v for k, v in zip(args[::2], args[1::2]) if k == "--no-suite"}
def selected(test):
    suites = {s.split(":")[-1] for s in test["suite"]}
    return (not wanted or suites & wanted) and not suites & unwanted
ids = {d for t in info["tests"] if selected(t) for d in t["depends"]}
# meson compile names a target by its folder in the build tree and its name.
print(" ".join(os.path.join(os.path.dirname(os.path.relpath(t["filename"][0], build)), t["name"])
               for t in info["targets"] if t["id"] in ids))
' "$dir" "$@"
}
