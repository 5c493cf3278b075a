#!/usr/bin/env bash
# update_expected.sh: rewrite tests/onnx/expected_failures.txt from the last results.
#
#   ./test.sh -L onnx            # run the conformance suites (writes tests/onnx/results/)
#   scripts/update_expected.sh   # then list every test that did not pass, with its reason
#
# Only suites with a results file are rewritten; review `git diff` before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for f in tests/onnx/results/*.txt; do
  # the round-trip suites are checked against their plain suite's lines
  case "$(basename "$f")" in roundtrip-*) continue ;; esac
  /usr/bin/python3 tests/onnx/run_suite.py --suite "$(basename "$f" .txt)" --from-results --update-expected
done
