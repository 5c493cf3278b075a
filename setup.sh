#!/usr/bin/env bash
# setup.sh: install what is missing, build dlcc, and compile and run the bundled example.
#
#   ./setup.sh [--no-deps] [--no-example] [--quiet]
#
# Idempotent; every step is skipped when its result is already there.
#   1. Debian packages (checked with dpkg-query; apt-get only for missing ones,
#      with sudo when not root).
#   2. ONNX Runtime for Node (the reference runtime of the whole-model tests),
#      into .deps/node_modules with `npm install --ignore-scripts`.  If that
#      fails (no network), the model tests fall back to PyTorch's outputs.
#   3. dlcc, built into build/ (Release, warnings as errors).
#   4. examples/mlp.onnx compiled to C with dlcc, built with clang together with
#      examples/run_mlp.c (which uses only the generated API) and run.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

deps=1 example=1 quiet=0
for arg in "$@"; do
  case $arg in
    --no-deps) deps=0 ;;
    --no-example) example=0 ;;
    --quiet|-q) quiet=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
quietly() { if [ "$quiet" = 1 ]; then "$@" > "$log" 2>&1 || { cat "$log"; return 1; }; else "$@"; fi; }

PACKAGES="clang cmake make protobuf-c-compiler libprotobuf-c-dev libonnx-dev libcmocka-dev
  libonnx-testdata python3 python3-onnx python3-numpy python3-torch python3-torchvision
  python3-sklearn nodejs pkg-config time"

# ---- 1. Debian packages
if [ "$deps" = 1 ]; then
  missing=()
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # npm comes with some nodejs builds (NodeSource) and separately on Debian.
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    SUDO=
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    say "Debian packages: all present"
  fi

  # ---- 2. onnxruntime-node
  if [ -f .deps/node_modules/onnxruntime-node/package.json ]; then
    say "onnxruntime-node: present in .deps/"
  elif command -v npm >/dev/null 2>&1; then
    say "installing onnxruntime-node into .deps/ (npm --ignore-scripts)"
    mkdir -p .deps
    [ -f .deps/package.json ] || echo '{ "private": true }' > .deps/package.json
    if ! (cd .deps && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
            onnxruntime-node < /dev/null > "$root/.deps/npm.log" 2>&1); then
      echo "setup: warning: npm install onnxruntime-node failed (see .deps/npm.log);" \
           "the model tests will compare with PyTorch instead of ONNX Runtime" >&2
    fi
  else
    echo "setup: warning: npm not found; the model tests will compare with PyTorch" >&2
  fi
fi

# ---- 3. build dlcc
jobs=$(nproc 2>/dev/null || echo 2)
say "configuring build/ (Release, -DDLCC_WERROR=ON)"
quietly cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDLCC_WERROR=ON
say "building dlcc"
quietly cmake --build build -j"$jobs"
say "built $(build/dlcc --version 2>/dev/null | head -n1 || echo build/dlcc)"

# ---- 4. the bundled example
if [ "$example" = 1 ]; then
  out=build/example
  mkdir -p "$out"
  echo "setup: build/dlcc examples/mlp.onnx -o $out/mlp.c --name mlp"
  build/dlcc examples/mlp.onnx -o "$out/mlp.c" --name mlp
  echo "setup: clang -std=c11 -O2 $out/mlp.c examples/run_mlp.c -lm -o $out/run_mlp"
  clang -std=c11 -O2 -Wall -Wextra -I"$out" "$out/mlp.c" examples/run_mlp.c -lm -o "$out/run_mlp"
  echo "setup: $out/run_mlp"
  "$out/run_mlp"
fi
