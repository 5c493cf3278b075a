#!/usr/bin/env bash
# train_step.sh: one training step of an MLP 784-500-10 at batch 500
# (bench/mlp_train.dl) in generated C, built with clang -O2 -march=native.
#
#   bench/train_step.sh [RUNS] [OPTIMIZER]     (defaults: 50, "sgd(lr=0.01)")
#
# Prints the median ms per step of RUNS steps (for comparison, ggml needs
# about 26 ms per step on a comparable machine).  Uses build/dlcc; DLCC=path
# and CC=compiler override.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dlcc=${DLCC:-$root/build/dlcc}
cc=${CC:-clang}
runs=${1:-50}
opt=${2:-sgd(lr=0.01)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/OPTIMIZER/$opt/" "$root/bench/mlp_train.dl" > "$tmp/mlp.dl"
"$dlcc" "$tmp/mlp.dl" -o "$tmp/net.c" --name net
"$cc" -std=c11 -O2 -march=native -I "$tmp" "$tmp/net.c" "$root/bench/train_step.c" -lm -o "$tmp/train_step"
printf 'MLP 784-500-10, batch 500, %s: ' "$opt"
"$tmp/train_step" "$runs"
