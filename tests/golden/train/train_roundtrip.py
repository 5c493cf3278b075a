#!/usr/bin/python3
"""IR text round trip of training programs (issue 4; ctest golden/train-roundtrip).

    train_roundtrip.py --dlcc BUILD/dlcc [--cc CC] [--work DIR]

For every training program (examples/*.dl and examples/*/*.dl with a `train`
block, tests/golden/dsl/train_*.dl with their .flags), whose file(...)
initializers are replaced by uniform(-0.1, 0.1, seed=1) in a copy (the
examples' weight files need not exist):

  1. A = `dlcc --emit=ir PROG.dl -o a/ir.dl` (the joint training graph with
     its state statements), B = `dlcc --emit=ir a/ir.dl -o b/ir.dl`: the two
     texts and their weights folders must be identical, so print -> parse ->
     print is the identity and autodiff does not run a second time.
  2. For the programs in BEHAVIOUR: PROG.dl and a/ir.dl are compiled to C,
     each built with train_driver.c (three net_train_step calls, then
     net_params and net_run through the API), and the printed losses, params
     and outputs (exact hexadecimal floats) must be equal.

Python 3 standard library only.  Exit status 0 when everything agrees.
"""

import argparse
import filecmp
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

# Optimizers, clipping, dropout, batch norm and recurrent layers between them.
BEHAVIOUR = {"train_mlp", "train_state", "digits", "rnn", "lstm", "gru", "lenet5"}


def programs():
    found = []
    for pat in ("examples/*.dl", "examples/*/*.dl", "tests/golden/dsl/train_*.dl"):
        for path in sorted(glob.glob(os.path.join(ROOT, pat))):
            with open(path) as f:
                text = f.read()
            if re.search(r"^\s*train\s", text, re.M):
                found.append((path, text))
    return found


def run(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def dirs_equal(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(dirs_equal(os.path.join(a, d), os.path.join(b, d)) for d in cmp.common_dirs)


def train_run(args, work, tag, dl, flags):
    out = os.path.join(work, tag)
    os.makedirs(out, exist_ok=True)
    rc, _, err = run([args.dlcc, dl, "-o", os.path.join(out, "net.c"), "--name", "net"] + flags)
    if rc != 0:
        return None, "dlcc %s failed:\n%s" % (dl, err)
    exe = os.path.join(out, "train")
    rc, _, err = run(shlex.split(args.cc) + ["-std=c11", "-O1", "-I", out, os.path.join(HERE, "train_driver.c"),
                                             os.path.join(out, "net.c"), "-o", exe, "-lm", "-lpthread"])
    if rc != 0:
        return None, "cc failed:\n%s" % err
    rc, stdout, err = run([exe])
    if rc != 0:
        return None, "driver failed (%d):\n%s" % (rc, err)
    return stdout, None


def check(args, path, text, work):
    name = os.path.splitext(os.path.basename(path))[0]
    flags = []
    fl = os.path.splitext(path)[0] + ".flags"
    if os.path.exists(fl):
        with open(fl) as f:
            flags = shlex.split(f.read())
    prog = os.path.join(work, name + ".dl")
    with open(prog, "w") as f:
        f.write(re.sub(r'file\("[^"]*"\)', "uniform(-0.1, 0.1, seed=1)", text))
    a = os.path.join(work, "a")
    b = os.path.join(work, "b")
    os.makedirs(a)
    os.makedirs(b)
    rc, _, err = run([args.dlcc, "--emit=ir", prog, "-o", os.path.join(a, "ir.dl")] + flags)
    if rc != 0:
        return "first --emit=ir failed:\n" + err
    with open(os.path.join(a, "ir.dl")) as f:
        first = f.read()
    if not re.search(r"^  step ", first, re.M):
        return "the printed IR has no state statements (step ...)"
    rc, _, err = run([args.dlcc, "--emit=ir", os.path.join(a, "ir.dl"), "-o", os.path.join(b, "ir.dl")])
    if rc != 0:
        return "--emit=ir of the printed IR failed:\n" + err
    if not dirs_equal(a, b):
        with open(os.path.join(b, "ir.dl")) as f:
            second = f.read()
        import difflib
        diff = "".join(difflib.unified_diff(first.splitlines(True), second.splitlines(True), "print", "reprint", n=1))
        return "print -> parse -> print differs:\n" + (diff[:4000] if diff else "(weights folders differ)\n")
    if name not in BEHAVIOUR:
        return None
    want, err = train_run(args, work, "c_orig", prog, flags)
    if err:
        return "original: " + err
    got, err = train_run(args, work, "c_ir", os.path.join(a, "ir.dl"), [])
    if err:
        return "printed IR: " + err
    if want != got:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "original", "printed IR", n=1))
        return "training results differ:\n" + diff[:4000]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--work", help="keep the files here (default: a temporary folder)")
    args = ap.parse_args()
    args.dlcc = os.path.abspath(args.dlcc)
    top = args.work or tempfile.mkdtemp(prefix="dlcc-train-rt-")
    failures = 0
    progs = programs()
    for path, text in progs:
        rel = os.path.relpath(path, ROOT)
        work = os.path.join(top, re.sub(r"[^A-Za-z0-9_]", "_", rel))
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        msg = check(args, path, text, work)
        tag = "behaviour" if os.path.splitext(os.path.basename(path))[0] in BEHAVIOUR else "text"
        if msg:
            failures += 1
            print("FAIL %s\n%s" % (rel, msg))
        else:
            print("ok   %s (%s)" % (rel, tag))
    if not args.work:
        shutil.rmtree(top, ignore_errors=True)
    print("%d programs, %d failed" % (len(progs), failures))
    return 1 if failures or not progs else 0


if __name__ == "__main__":
    sys.exit(main())
