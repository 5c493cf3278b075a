#!/usr/bin/env bash
# compile_large.sh: dlcc and clang on the largest networks (VGG-11: 133 M
# parameters, 507 MB of weights), with time and peak memory.
#
#   bench/compile_large.sh [--run] [NAME ...]   (default: vgg11; names from
#                                                scripts/export_networks.py)
#
# Exports the network if needed (tests/models/data/networks/, at test time),
# then measures with /usr/bin/time -v
#   dlcc model.onnx -o net.c --name net
#   clang -std=c11 -O2 -Wall -Wextra -c net.c     (also -O0 with BENCH_O0=1)
# and prints one line per network: model size, dlcc wall/CPU time and peak RSS,
# the size of net.c and of its weights literal, clang's wall/CPU time and peak
# RSS, and the object size.  With --run it also links tests/onnx/harness.c and
# checks the output against ONNX Runtime (tests/models/ort_ref.js), reporting
# the run time.  Uses build/dlcc; DLCC=path overrides, CC=gcc measures gcc,
# BENCH_DIR=DIR keeps the generated files there (default: a temporary folder,
# removed at exit; net.c of VGG-11 is about 1.4 GB, so it needs the disk).
# It only measures: the exit status is 0 unless a step fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dlcc=${DLCC:-$root/build/dlcc}
cc=${CC:-clang}
run=0
names=()
for a in "$@"; do
  case $a in
    --run) run=1 ;;
    *) names+=("$a") ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(vgg11)
data=$root/tests/models/data/networks
/usr/bin/python3 "$root/scripts/export_networks.py" --out "$data" "${names[@]}" >/dev/null
if [ -n "${BENCH_DIR:-}" ]; then
  tmp=$BENCH_DIR; mkdir -p "$tmp"
else
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fi

measure() { # runs the command; writes "wall_s peak_MB cpu_s" to $tmp/m
  /usr/bin/time -v -o "$tmp/time" "$@" > "$tmp/log" 2>&1 || { cat "$tmp/log" "$tmp/time" >&2; return 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i] }
              /Maximum resident set size/ { m = $2 / 1024 }
              /User time/ { u = $2 } /System time/ { s = $2 }
              END { printf "%.1f %.0f %.1f\n", w, m, u + s }' "$tmp/time" > "$tmp/m"
}

for m in "${names[@]}"; do
  model=$data/$m/model.onnx
  model_mb=$(du -m "$model" | cut -f1)
  measure "$dlcc" "$model" -o "$tmp/net.c" --name net
  read -r d_s d_mb d_cpu < "$tmp/m"
  c_mb=$(du -m "$tmp/net.c" | cut -f1)
  # bytes of the weights array (its declared size) and lines of code outside the literal
  w_mb=$(grep -m1 -o 'net_weights\[[0-9]*\]' "$tmp/net.c" | tr -dc 0-9 | awk '{ printf "%.0f", $1 / 1048576 }')
  measure "$cc" -std=c11 -O2 -Wall -Wextra -c "$tmp/net.c" -o "$tmp/net.o"
  read -r c_s c_mem c_cpu < "$tmp/m"
  o_mb=$(du -m "$tmp/net.o" | cut -f1)
  printf '%-12s model %4d MB | dlcc %6.1f s (cpu %6.1f s) %6d MB | net.c %5d MB (weights %4s MB) | %s -O2 %6.1f s (cpu %6.1f s) %6d MB | net.o %4d MB\n' \
    "$m" "$model_mb" "$d_s" "$d_cpu" "$d_mb" "$c_mb" "${w_mb:-?}" "$cc" "$c_s" "$c_cpu" "$c_mem" "$o_mb"
  if [ "${BENCH_O0:-0}" = 1 ]; then
    measure "$cc" -std=c11 -O0 -c "$tmp/net.c" -o "$tmp/net0.o"
    read -r c_s c_mem c_cpu < "$tmp/m"
    printf '%-12s %s -O0 %6.1f s (cpu %6.1f s) %6d MB\n' "$m" "$cc" "$c_s" "$c_cpu" "$c_mem"
    rm -f "$tmp/net0.o"
  fi
  if [ $run = 1 ]; then
    sd=$data/$m/test_data_set_0
    [ -f "$sd/output_0.pb" ] || node "$root/tests/models/ort_ref.js" "$model" "$sd" >/dev/null
    proto=$(dirname "$dlcc")/proto
    "$cc" -std=c11 -O1 -w -DHARNESS_INCLUDE_NET_H -I "$tmp" -I "$proto" -I "$root/tests/onnx" \
      "$root/tests/onnx/harness.c" "$root/tests/onnx/tensor_io.c" "$proto/onnx.pb-c.c" "$tmp/net.o" \
      -lprotobuf-c -lm -o "$tmp/run"
    args=()
    for f in "$sd"/input_*.pb; do args+=(-i "$f"); done
    for f in "$sd"/output_*.pb; do args+=(-o "$f"); done
    measure "$tmp/run" --runs 1 "${args[@]}"
    read -r r_s r_mb _ < "$tmp/m"
    printf '%-12s run %.1f s, %d MB: %s\n' "$m" "$r_s" "$r_mb" "$(tail -1 "$tmp/log")"
  fi
  rm -f "$tmp/net.c" "$tmp/net.o" "$tmp/net.h" "$tmp/run"
done
