#!/usr/bin/python3
"""Checks every examples/*.dl model against PyTorch with the same weights.

    dl_examples.py --dlcc build/dlcc [--work DIR] [--cc CC] [-v] [NAME ...]

For each example scripts/dl_examples_ref.py writes the .dl (as is and without
its train block), its weight files, inputs and targets into WORK.  Then two
stages run, each compiled with `dlcc --dim N=2 --name net`, built with CC
together with tests/models/dl_driver.c (which uses only the API of
../shared/API.md) and run on the inputs:

  infer  the model without its train block (an inference build): every output
         must match PyTorch (rtol 1e-3, atol 1e-4).
  train  the whole file (a training build): the outputs of net_run must match
         too, the parameters that net_param() reports after net_init must
         equal the weight files, and the loss that one net_train_step returns
         must match PyTorch's loss (PyTorch in train mode: batch-norm with
         batch statistics; not checked where dropout makes it random).

examples/mlp.dl keeps its random initializers: its train stage runs first and
PyTorch then uses the parameter values the generated code reports.

A stage listed in EXPECTED_FAILURES (with the reason: an operator or feature
dlcc lacks) may fail without failing the test; if it passes it is reported
as XPASS so the entry can be removed.  Exit status 0 when every other stage
passes, 77 (skipped) when torch or numpy cannot be imported.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
try:
    import dl_examples_ref as ref  # noqa: E402  (imports numpy and torch)
except ImportError as exc:
    print("dl_examples: skipped, %s (Debian's python3-torch is seen only by /usr/bin/python3)" % exc)
    sys.exit(77)

np = ref.np
RTOL, ATOL = 1e-3, 1e-4

# (example, stage) -> why it is expected to fail.  Keep the reasons short and
# name the missing piece.
EXPECTED_FAILURES = {
}



class StageFailed(Exception):
    pass


def run(cmd, cwd=None, timeout=300):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=timeout)
    return p.returncode, p.stdout


def first_lines(text, n=4):
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n      ".join(lines[:n])


def build(args, dl_path, out_dir):
    """Compiles DL_PATH with dlcc and the C compiler; returns (driver path, warnings)."""
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    net_c = os.path.join(out_dir, "net.c")
    rc, out = run([args.dlcc, dl_path, "-o", net_c, "--name", "net", "--dim", "N=2"])
    if rc != 0 or not os.path.exists(net_c):
        raise StageFailed("dlcc failed (exit %d):\n      %s" % (rc, first_lines(out)))
    exe = os.path.join(out_dir, "driver")
    rc, cc_out = run([args.cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-I", out_dir, net_c,
                      os.path.join(HERE, "dl_driver.c"), "-lm", "-o", exe])
    if rc != 0:
        raise StageFailed("%s failed on the generated code:\n      %s" % (args.cc, first_lines(cc_out)))
    warnings = [ln for ln in cc_out.splitlines() if "warning:" in ln and "net.c" in ln]
    return exe, warnings


def header_count(out_dir, macro):
    with open(os.path.join(out_dir, "net.h")) as f:
        m = re.search(r"#define\s+NET_%s\s+(\d+)" % macro, f.read())
    return int(m.group(1)) if m else None


def compare(what, got, want):
    if got.size != want.size:
        return "%s: %d elements, expected %d" % (what, got.size, want.size)
    got = got.reshape(want.shape)
    bad = ~np.isclose(got, want, rtol=RTOL, atol=ATOL)
    if np.isnan(got).any() and not np.isnan(want).any():
        return "%s: NaN in the output" % what
    if bad.any():
        i = np.unravel_index(np.argmax(np.abs(got - want) * bad), want.shape)
        return "%s: %d of %d elements differ, worst at %s: got %g, expected %g" % (
            what, int(bad.sum()), want.size, list(i), float(got[i]), float(want[i]))
    return None


def run_stage(args, ex, stage, params_box):
    """Compiles and runs one stage; raises StageFailed.  Returns warnings."""
    dl = os.path.join(args.work, ex.name + ("_infer.dl" if stage == "infer" else ".dl"))
    out_dir = os.path.join(args.work, ex.name, stage)
    exe, warnings = build(args, dl, out_dir)
    n_in = header_count(out_dir, "NUM_INPUTS")
    n_out = header_count(out_dir, "NUM_OUTPUTS")
    if n_in != len(ex.inputs):
        raise StageFailed("net.h says %s inputs, the example has %d" % (n_in, len(ex.inputs)))
    for k, arr in enumerate(ex.inputs):
        arr.tofile(os.path.join(out_dir, "in_%d.bin" % k))
    if stage == "train":
        n_tgt = header_count(out_dir, "NUM_TARGETS")
        if n_tgt != len(ex.targets):
            raise StageFailed("net.h says %s targets, the example has %d" % (n_tgt, len(ex.targets)))
        for k, arr in enumerate(ex.targets):
            arr.tofile(os.path.join(out_dir, "target_%d.bin" % k))
    rc, out = run([exe, out_dir], timeout=120)
    if rc != 0:
        raise StageFailed("generated code failed (exit %d):\n      %s" % (rc, first_lines(out)))

    problems = []
    if stage == "train":
        params = {}
        for k, (pname, dtype, dims) in enumerate(ex.param_decls):
            a = np.fromfile(os.path.join(out_dir, "param_%d.bin" % k), dtype=ref.DTYPES[dtype])
            params[pname] = a.reshape(dims)
            if pname in ex.weights and not np.array_equal(params[pname], ex.weights[pname]):
                problems.append("param %s after net_init differs from its weight file" % pname)
        params_box["params"] = params
    outs, loss = ex.reference(params_box.get("params"))
    if n_out != len(outs):
        raise StageFailed("net.h says %s outputs, the reference has %d" % (n_out, len(outs)))
    for k, want in enumerate(outs):
        got = np.fromfile(os.path.join(out_dir, "out_%d.bin" % k), dtype=np.float32)
        msg = compare("output %d" % k, got, want)
        if msg:
            problems.append(msg)
    if stage == "train" and loss is not None and ex.name not in ref.LOSS_UNCHECKED:
        got = np.fromfile(os.path.join(out_dir, "loss_0.bin"), dtype=np.float32)
        msg = compare("loss", got, np.array([loss], np.float32))
        if msg:
            problems.append(msg)
    if problems:
        raise StageFailed("\n      ".join(problems))
    return warnings


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--work", default=os.path.join(ROOT, "tests", "models", "data", "dl_examples"))
    ap.add_argument("--cc", default=shutil.which("clang") or shutil.which("cc") or "cc")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the reason of expected failures")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    args.dlcc = os.path.abspath(args.dlcc)
    os.makedirs(args.work, exist_ok=True)

    names = args.names or sorted(ref.EXAMPLES)
    unknown = [n for n in names if n not in ref.EXAMPLES]
    if unknown:
        print("dl_examples: unknown example(s): %s" % ", ".join(unknown))
        return 2
    on_disk = sorted(f[:-3] for f in os.listdir(ref.EXAMPLES_DIR) if f.endswith(".dl"))
    unchecked = [n for n in on_disk if n not in ref.EXAMPLES]

    counts = {"PASS": 0, "FAIL": 0, "XFAIL": 0, "XPASS": 0, "SKIP": 0}
    for name in names:
        ex = ref.Example(name)
        ex.write(args.work)
        stages = (["train"] if ex.has_train else []) + ["infer"]
        params_box = {}
        for stage in stages:
            expected = EXPECTED_FAILURES.get((name, stage))
            if stage == "infer" and ex.weights_from == "params" and "params" not in params_box:
                status, detail = "SKIP", "no parameter values (the train stage failed)"
            else:
                try:
                    warnings = run_stage(args, ex, stage, params_box)
                    status = "XPASS" if expected else "PASS"
                    detail = ("%d warnings from %s in the generated code, e.g. %s" %
                              (len(warnings), os.path.basename(args.cc), warnings[0])
                              if warnings else "")
                    if expected:
                        detail = "listed as expected to fail (%s); remove the entry" % expected
                except StageFailed as e:
                    status = "XFAIL" if expected else "FAIL"
                    detail = str(e) if not expected or args.verbose else expected
                except subprocess.TimeoutExpired:
                    status = "XFAIL" if expected else "FAIL"
                    detail = "timed out"
            counts[status] += 1
            print("%-5s %s/%s%s" % (status, name, stage, ("\n      " + detail) if detail else ""))
            sys.stdout.flush()
    for n in unchecked:
        print("NOTE  examples/%s.dl has no reference in scripts/dl_examples_ref.py" % n)
    print("dl_examples: " + ", ".join("%d %s" % (v, k) for k, v in counts.items() if v))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
