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

# The C++ compiler for a build name: gcc, clang or sanitize (GCC with
# AddressSanitizer and UndefinedBehaviorSanitizer). Debian 12 ships GCC 12 and Clang 14.
compiler_for() {
  case "$1" in
    gcc | sanitize) command -v g++-12 || command -v g++ ;;
    clang) command -v clang++-14 || command -v clang++ ;;
  esac
}

# configure_build NAME: build/NAME configured for that compiler (reconfigured if it changed).
configure_build() {
  local name=$1 root cxx dir
  root=$(qfence_root)
  cxx=$(compiler_for "$name") || { echo "error: no $name C++ compiler found" >&2; return 1; }
  dir="$root/build/$name"
  if [ -f "$dir/build.ninja" ] && grep -qF "$cxx" "$dir/meson-logs/meson-log.txt" 2>/dev/null; then
    return 0
  fi
  rm -rf "$dir"
  local options=()
  [ "$name" = sanitize ] && options=(-Db_sanitize=address,undefined -Dbuildtype=debugoptimized)
  CXX="$cxx" meson setup "${options[@]}" "$dir" "$root" >"$root/build/$name-setup.log" 2>&1 ||
    { cat "$root/build/$name-setup.log" >&2; return 1; }
}
