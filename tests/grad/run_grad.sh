#!/bin/sh
# run_grad.sh: the `grad` ctest label.  Runs the f64 finite-difference check
# of every gradient rule (gradcheck.py) and the PyTorch training
# trajectories of every optimizer and loss (scripts/train_ref.py), and the
# dropout mask-injection hook against numpy (dropout_hook.py).
#   tests/grad/run_grad.sh --dlcc PATH/TO/dlcc
set -u
here=$(cd "$(dirname "$0")" && pwd)
dlcc=""
while [ $# -gt 0 ]; do
    case "$1" in
    --dlcc) dlcc=$2; shift 2 ;;
    *) echo "usage: $0 --dlcc DLCC" >&2; exit 2 ;;
    esac
done
[ -n "$dlcc" ] || { echo "usage: $0 --dlcc DLCC" >&2; exit 2; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
work=${DLCC_BUILD_DIR:-/tmp}/grad-work
mkdir -p "$work"
status=0
"$py" "$here/gradcheck.py" --dlcc "$dlcc" --work "$work/gradcheck" || status=1
"$py" "$here/dropout_hook.py" --dlcc "$dlcc" --work "$work/dropout_hook" || status=1
"$py" "$here/../../scripts/train_ref.py" --dlcc "$dlcc" --work "$work/train" || status=1
exit $status
