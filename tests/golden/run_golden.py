#!/usr/bin/python3
"""Golden-file runner for dlcc (ctest label "golden"; Python 3 standard library only).

    run_golden.py --dlcc BUILD/dlcc [DIR ...]          (default DIR: tests/golden)

Every input NAME.dl or NAME.onnx under DIR (recursively) is compared with the
expected files beside it, whichever exist:

    NAME.ir    dlcc --emit=ir NAME.x -o -      stdout, exit status 0
    NAME.c     dlcc NAME.x -o -                stdout, exit status 0
    NAME.err   dlcc NAME.x -o OUT.c            stderr, exit status 1, and
                                               neither OUT.c nor OUT.h written
    NAME.after dlcc --emit=ir NAME.x -o - FLAGS stderr, exit status 0: pass tests,
                                               .dl text in, text out (FLAGS holds
                                               --print-after=PASS, so stderr is the
                                               IR after that pass)
    NAME.flags (optional) extra dlcc options, one line, e.g. "--dim N=4"

dlcc runs in the input's folder with the bare file name, so messages do not
depend on where the repository lives.  An input without any expected file is
reported and ignored.  With DLCC_UPDATE_GOLDEN=1 the expected files that exist
are rewritten from dlcc's current output (review the diff before committing);
to start a new case, create an empty NAME.ir, NAME.c or NAME.err and update.
"""

import argparse
import difflib
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_dlcc(dlcc, cwd, args):
    try:
        p = subprocess.run([dlcc] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "", "timeout after 120 s"
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def show_diff(expected, actual, name):
    diff = list(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                     "expected/" + name, "actual/" + name))
    sys.stdout.write("".join(diff[:60]))
    if len(diff) > 60:
        print("... (%d more diff lines)" % (len(diff) - 60))
    if diff and not diff[-1].endswith("\n"):
        print()


def check_case(dlcc, path, kind, update):
    """Returns (ok, message)."""
    folder, fname = os.path.split(path)
    stem = os.path.splitext(fname)[0]
    expected_path = os.path.join(folder, stem + "." + kind)
    flags = []
    flags_path = os.path.join(folder, stem + ".flags")
    if os.path.exists(flags_path):
        with open(flags_path) as f:
            flags = shlex.split(f.read())
    with tempfile.TemporaryDirectory(prefix="dlcc-golden-") as tmp:
        out_c = os.path.join(tmp, "out.c")
        if kind == "ir":
            rc, out, err = run_dlcc(dlcc, folder, flags + ["--emit=ir", fname, "-o", "-"])
            actual, want_rc = out, 0
        elif kind == "after":
            rc, out, err = run_dlcc(dlcc, folder, flags + ["--emit=ir", fname, "-o", "-"])
            actual, want_rc = err, 0
        elif kind == "c":
            rc, out, err = run_dlcc(dlcc, folder, flags + [fname, "-o", "-"])
            actual, want_rc = out, 0
        else:
            rc, out, err = run_dlcc(dlcc, folder, flags + [fname, "-o", out_c])
            actual, want_rc = err, 1
            leftovers = [f for f in ("out.c", "out.h") if os.path.exists(os.path.join(tmp, f))]
            if rc == 1 and leftovers:
                return False, "exit status 1 but dlcc wrote %s" % ", ".join(leftovers)
    if rc is None:
        return False, err
    if rc != want_rc:
        what = "signal %d" % -rc if rc < 0 else "exit status %d" % rc
        return False, "%s, expected %d; stderr:\n%s" % (what, want_rc, err.rstrip()[:2000])
    with open(expected_path, encoding="utf-8", errors="replace") as f:
        expected = f.read()
    if actual == expected:
        return True, ""
    if update:
        with open(expected_path, "w") as f:
            f.write(actual)
        return True, "updated " + os.path.relpath(expected_path)
    show_diff(expected, actual, os.path.basename(expected_path))
    return False, "output differs from " + os.path.basename(expected_path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dlcc", default=os.environ.get("DLCC"), required="DLCC" not in os.environ)
    p.add_argument("dirs", nargs="*", default=[HERE])
    args = p.parse_args()
    update = os.environ.get("DLCC_UPDATE_GOLDEN") == "1"
    dlcc = os.path.abspath(args.dlcc)

    inputs = []
    for d in args.dirs:
        for root, _, files in os.walk(d):
            for f in files:
                if f.endswith((".dl", ".onnx")):
                    inputs.append(os.path.join(root, f))
    inputs.sort()
    passed = failed = 0
    for path in inputs:
        stem = os.path.splitext(path)[0]
        kinds = [k for k in ("ir", "c", "err", "after") if os.path.exists(stem + "." + k)]
        rel = os.path.relpath(path, args.dirs[0] if len(args.dirs) == 1 else os.getcwd())
        if not kinds:
            print("note: %s has no expected .ir, .c, .err or .after file" % rel)
            continue
        for kind in kinds:
            ok, msg = check_case(dlcc, path, kind, update)
            if ok:
                passed += 1
                if msg:
                    print("%s (%s): %s" % (rel, kind, msg))
            else:
                failed += 1
                print("FAIL %s (%s): %s" % (rel, kind, msg))
    print("golden: %d passed, %d failed%s" % (passed, failed,
                                             " (DLCC_UPDATE_GOLDEN=1)" if update else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
