#!/usr/bin/env bash
# test.sh: build dlcc if needed and run the tests.
#
#   ./test.sh                 every test (ctest -j2)
#   ./test.sh -L onnx         one slice: unit, golden, onnx, models, grad
#   ./test.sh -R node         any other ctest option
#
# Prints ctest's summary and the ONNX conformance counts; exits non-zero when a
# test failed.  Per-test conformance results: tests/onnx/results/SUITE.txt.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --no-example --quiet
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
log=$(mktemp)
trap 'rm -f "$marker" "$log"' EXIT
set +e
ctest --test-dir build --output-on-failure -j2 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
results=()
while IFS= read -r f; do results+=("$f"); done < <(find tests/onnx/results -name '*.txt' -newer "$marker" 2>/dev/null | sort)
if [ ${#results[@]} -gt 0 ]; then
  echo "conformance (tests/onnx/results/):"
  for f in "${results[@]}"; do
    awk -v s="$(basename "$f" .txt)" '
      { n[$2]++; total++ }
      END { printf "  %-18s %5d passed, %5d failed, %5d skipped  (of %d; %d wrong, %d unsupported, %d crash, %d timeout)\n",
              s, n["passed"], n["failed"]+n["error"]+n["crash"]+n["timeout"], n["skipped"], total,
              n["failed"], n["error"], n["crash"], n["timeout"] }' "$f"
  done
fi
# ctest's summary comes last, so it is the run's closing line.
grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true
exit $status
