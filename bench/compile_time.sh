#!/usr/bin/env bash
# compile_time.sh: how long dlcc and clang take on a whole model, and clang's peak memory.
#
#   bench/compile_time.sh [MODEL ...]      (default: resnet18; names from scripts/export_models.py)
#
# Exports the model if needed (tests/models/data/), then times
#   build/dlcc model.onnx -o net.c            (issue 2: < 5 s for ResNet-18)
#   clang -std=c11 -O2 -c net.c               (issue 2: < 60 s and < 2 GB peak RSS)
# with /usr/bin/time -v, and prints one line per model.  Exit status 1 when a
# limit is exceeded.  Uses build/dlcc (./setup.sh builds it); DLCC=path overrides.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dlcc=${DLCC:-$root/build/dlcc}
cc=${CC:-clang}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(resnet18)
/usr/bin/python3 "$root/scripts/export_models.py" --out "$root/tests/models/data" "${models[@]}" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
measure() { # prints "wall_seconds peak_MB cpu_seconds" of the command
  /usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$@" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; return 1; }
  awk '{ printf "%s %.0f %.2f\n", $1, $2 / 1024, $3 + $4 }' "$tmp/time"
}
for m in "${models[@]}"; do
  model=$root/tests/models/data/$m/model.onnx
  weights_mb=$(du -m "$model" | cut -f1)
  read -r dlcc_s dlcc_mb dlcc_cpu < <(measure "$dlcc" "$model" -o "$tmp/net.c" --name net)
  c_mb=$(du -m "$tmp/net.c" | cut -f1)
  read -r cc_s cc_mb cc_cpu < <(measure "$cc" -std=c11 -O2 -c "$tmp/net.c" -o "$tmp/net.o")
  printf '%-14s model %4d MB | dlcc %6.2f s (cpu %.2f s) %5d MB | net.c %4d MB | %s -O2 %6.2f s (cpu %.2f s) %5d MB\n' \
    "$m" "$weights_mb" "$dlcc_s" "$dlcc_cpu" "$dlcc_mb" "$c_mb" "$cc" "$cc_s" "$cc_cpu" "$cc_mb"
  if [ "$m" = resnet18 ]; then
    awk -v d="$dlcc_s" -v c="$cc_s" -v r="$cc_mb" 'BEGIN { exit !(d < 5 && c < 60 && r < 2048) }' ||
      { echo "  over the limits of issue 2 (dlcc < 5 s, clang -O2 < 60 s and < 2048 MB)"; status=1; }
  fi
done
exit $status
