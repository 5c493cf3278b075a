#!/bin/sh
# run.sh: builds and runs the digits training example (the `models` ctest
# examples/train_digits).  Exports the data with scripts/export_digits.py,
# compiles digits.dl with dlcc, builds train_digits.c with the generated
# file and trains; fails below 97% test accuracy, skips (77) without
# scikit-learn.
#   examples/train_digits/run.sh --dlcc PATH/TO/dlcc [--work DIR] [--cc CC]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dlcc="" work=${DLCC_BUILD_DIR:-/tmp}/train-digits cc=${CC:-cc}
while [ $# -gt 0 ]; do
    case "$1" in
    --dlcc) dlcc=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --cc) cc=$2; shift 2 ;;
    *) echo "usage: $0 --dlcc DLCC [--work DIR] [--cc CC]" >&2; exit 2 ;;
    esac
done
[ -n "$dlcc" ] || { echo "usage: $0 --dlcc DLCC [--work DIR] [--cc CC]" >&2; exit 2; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
mkdir -p "$work"
rc=0
"$py" "$root/scripts/export_digits.py" "$work/digits.bin" || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
"$dlcc" "$here/digits.dl" --dim N=32 -o "$work/digits_net.c" --name digits
"$cc" -std=c11 -O2 -Wall -Wextra -I "$work" "$here/train_digits.c" "$work/digits_net.c" -lm -o "$work/train_digits"
"$work/train_digits" "$work/digits.bin" 30 0.97
