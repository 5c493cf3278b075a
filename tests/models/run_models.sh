#!/usr/bin/env bash
# run_models.sh: whole-network tests (ctest label "models").
#
#   run_models.sh --dlcc BUILD/dlcc --proto-dir BUILD/proto --work DIR [--python PY] [NAME ...]
#
# 1. scripts/export_models.py exports MLP 784-512-256-10, LeNet-5, SqueezeNet 1.1
#    and ResNet-18 from Debian's PyTorch (random weights, fixed seeds) into
#    tests/models/data/NAME/ (git-ignored; kept between runs, re-exported when
#    the script or torch changes).
# 2. tests/models/ort_ref.js writes ONNX Runtime's outputs (onnxruntime-node,
#    one thread) as test_data_set_0/output_0.pb.  Without onnxruntime-node
#    (setup.sh installs it into .deps/) PyTorch's output is the reference, and
#    the log says so.
# 3. tests/onnx/run_suite.py compiles each model with dlcc, builds the C with
#    clang -O2 -Wall -Wextra -Werror, runs it through the API only (harness.c)
#    and compares with rtol 1e-3 / atol 1e-4.  It prints dlcc's time and the
#    clang time and peak memory for each model; only wrong results fail the test
#    (bench/compile_time.sh is the place for timing limits).
# Exit status 77 (ctest: skipped) when PyTorch or onnx are not installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dlcc= proto= work= py=/usr/bin/python3 names=()
while [ $# -gt 0 ]; do
  case $1 in
    --dlcc) dlcc=$2; shift 2 ;;
    --proto-dir) proto=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --python) py=$2; shift 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
: "${dlcc:?--dlcc missing}" "${proto:?--proto-dir missing}" "${work:?--work missing}"
data=$root/tests/models/data

if ! "$py" -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "models: $py cannot import torch, torchvision and onnx (run ./setup.sh); skipped"
  exit 77
fi
"$py" "$root/scripts/export_models.py" --out "$data" "${names[@]}"

filter=
if [ ${#names[@]} -gt 0 ]; then
  filter="^($(IFS='|'; echo "${names[*]}"))\$"
fi
for dir in "$data"/*; do
  m=$(basename "$dir")
  [ -f "$dir/model.onnx" ] || continue
  if [ -n "$filter" ] && ! [[ $m =~ $filter ]]; then continue; fi
  ref=$dir/test_data_set_0/output_0.pb
  if [ -f "$ref" ] && [ "$ref" -nt "$dir/model.onnx" ] && [ -f "$dir/ref" ] && [ "$(cat "$dir/ref")" = ort ]; then
    echo "models: $m: ONNX Runtime reference is up to date"
    continue
  fi
  set +e
  node "$root/tests/models/ort_ref.js" "$dir/model.onnx" "$dir/test_data_set_0" 2> "$work.ort.log"
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    echo ort > "$dir/ref"
  elif [ $rc -eq 3 ] || ! command -v node >/dev/null; then
    echo "models: $m: onnxruntime-node is not installed; the reference is PyTorch's output"
    cp "$dir/torch_output_0.pb" "$ref"
    echo torch > "$dir/ref"
  else
    cat "$work.ort.log"
    echo "models: $m: ONNX Runtime failed on the exported model"
    exit 1
  fi
done
rm -f "$work.ort.log"

echo "models: limits of issue 2 for ResNet-18: dlcc < 5 s; clang -O2 < 60 s and < 2048 MB"
args=(--suite models --dir "$data" --dlcc "$dlcc" --proto-dir "$proto" --work "$work"
      --opt=-O2 --time --jobs 1 --timeout 900)
[ -n "$filter" ] && args+=(--filter "$filter")
exec "$py" "$root/tests/onnx/run_suite.py" "${args[@]}"
