#!/usr/bin/python3
"""Whole-network zoo of issue 3 against ONNX Runtime (ctest label "models").

    networks.py --dlcc BUILD/dlcc --proto-dir BUILD/proto --work DIR
                [--suite networks] [--exclude REGEX] [--timeout S] [NAME ...]

1. scripts/export_networks.py exports the networks (torchvision's AlexNet,
   VGG-11, GoogLeNet, ResNet-50, SqueezeNet 1.0, MobileNet v2 / v3-small,
   DenseNet-121, and a U-Net, dilated-conv+SE net, 2-layer LSTM/GRU/RNN,
   Transformer encoder, VAE, DCGAN generator and skip-gram word2vec written
   there, and three networks shaped like deployed applications -- keyword
   spotting, a CRNN text recogniser, a CTC speech model -- exported with
   symbolic batch and length axes) from Debian's PyTorch with random weights and inputs (fixed seeds)
   into tests/models/data/networks/NAME/ (git-ignored, produced at test time,
   kept between runs, re-exported when the script or torch changes).
2. tests/models/ort_ref.js (onnxruntime-node, one thread) writes the reference
   outputs test_data_set_0/output_K.pb.  Without onnxruntime-node PyTorch's
   outputs are the reference, and the log says so.
3. tests/onnx/run_suite.py compiles each network with dlcc, builds the C with
   clang -O2 -Wall -Wextra -Werror, runs it through the API only
   (tests/onnx/harness.c) and compares with rtol 1e-3 / atol 1e-4; it prints
   dlcc's time and clang's time and peak memory.
4. For every network that passed, the harness is run once more with rtol 0 /
   atol 0 to learn the largest absolute error, and a table is printed.

Networks that are known not to work yet are listed with their reason in
tests/models/networks_expected.txt (lines "SUITE/NAME  reason", the format of
tests/onnx/expected_failures.txt): they do not fail the test, and the run says
when one of them passes now.  Exit status 77 (ctest: skipped) when PyTorch or
onnx are not installed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dlcc", required=True)
    p.add_argument("--proto-dir", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--suite", default="networks", help="name in the results and expected list")
    p.add_argument("--data", default=os.path.join(HERE, "data", "networks"))
    p.add_argument("--expected", default=os.path.join(HERE, "networks_expected.txt"))
    p.add_argument("--exclude", default=None, help="regex of network names not to run")
    p.add_argument("--timeout", type=float, default=900, help="seconds per network")
    p.add_argument("--opt", default="-O2")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("names", nargs="*")
    return p.parse_args()


def log(msg):
    print("networks: " + msg, flush=True)


def wanted_names(args):
    out = subprocess.run([args.python, os.path.join(ROOT, "scripts", "export_networks.py"),
                          "--list"], stdout=subprocess.PIPE, check=True, text=True).stdout
    names = args.names or out.split()
    if args.exclude:
        names = [n for n in names if not re.search(args.exclude, n)]
    return names


def make_reference(args, name):
    d = os.path.join(args.data, name)
    sd = os.path.join(d, "test_data_set_0")
    ref0 = os.path.join(sd, "output_0.pb")
    model = os.path.join(d, "model.onnx")
    kind_path = os.path.join(d, "ref")
    if (os.path.exists(ref0) and os.path.getmtime(ref0) >= os.path.getmtime(model)
            and os.path.exists(kind_path) and open(kind_path).read().strip() == "ort"):
        return "ort"
    t0 = time.monotonic()
    p = subprocess.run(["node", os.path.join(HERE, "ort_ref.js"), model, sd],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode == 0:
        kind = "ort"
        log("%s: ONNX Runtime reference (%.1f s)" % (name, time.monotonic() - t0))
    elif p.returncode == 3:
        kind = "torch"
        log("%s: onnxruntime-node is not installed; the reference is PyTorch's output" % name)
        k = 0
        while os.path.exists(os.path.join(d, "torch_output_%d.pb" % k)):
            shutil.copyfile(os.path.join(d, "torch_output_%d.pb" % k),
                            os.path.join(sd, "output_%d.pb" % k))
            k += 1
    else:
        sys.stdout.write(p.stdout)
        raise SystemExit("networks: %s: ONNX Runtime failed on the exported model" % name)
    with open(kind_path, "w") as f:
        f.write(kind + "\n")
    return kind


def header_macros(path):
    with open(path, errors="replace") as f:
        text = f.read()
    vals = []
    for m in ("NET_NUM_INPUTS", "NET_NUM_OUTPUTS", "NET_STATE_SIZE"):
        found = re.search(r"^\s*#\s*define\s+%s\s+\(?\s*(\d+)" % m, text, re.M)
        vals.append(found.group(1) if found else "0")
    return vals


def max_error(args, name):
    """Runs the kept harness with zero tolerances: (max abs error, want there) or None."""
    work = os.path.join(args.work, name)
    exe = os.path.join(work, "run")
    if not os.path.exists(exe):
        return None
    sd = os.path.join(args.data, name, "test_data_set_0")
    ins = sorted((f for f in os.listdir(sd) if re.fullmatch(r"input_\d+\.pb", f)),
                 key=lambda f: int(f[6:-3]))
    outs = sorted((f for f in os.listdir(sd) if re.fullmatch(r"output_\d+\.pb", f)),
                  key=lambda f: int(f[7:-3]))
    m = header_macros(os.path.join(work, "net.h"))
    cmd = [exe, "--rtol", "0", "--atol", "0", "--runs", "1", "--num-inputs", m[0],
           "--num-outputs", m[1], "--state-size", m[2]]
    for f in ins:
        cmd += ["-i", os.path.join(sd, f)]
    for f in outs:
        cmd += ["-o", os.path.join(sd, f)]
    p = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worst, want = 0.0, 0.0
    for line in p.stdout.splitlines():
        g = re.search(r"worst at \S+: got (\S+), want (\S+)", line)
        if g:
            e = abs(float(g.group(1)) - float(g.group(2)))
            if e > worst:
                worst, want = e, float(g.group(2))
    return worst, want


def read_expected(path, suite):
    exp = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, reason = line.partition(" ")
                if key.startswith(suite + "/"):
                    exp[key[len(suite) + 1:]] = reason.strip()
    return exp


def main():
    args = parse_args()
    if subprocess.run([args.python, "-c", "import torch, torchvision, onnx"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        log("%s cannot import torch, torchvision and onnx (run ./setup.sh); skipped" % args.python)
        return 77
    args.work = os.path.abspath(args.work)
    names = wanted_names(args)
    if not names:
        log("nothing to run")
        return 0
    t0 = time.monotonic()
    subprocess.run([args.python, os.path.join(ROOT, "scripts", "export_networks.py"),
                    "--out", args.data] + names, check=True)
    log("export: %.0f s" % (time.monotonic() - t0))
    refs = {n: make_reference(args, n) for n in names}

    results_dir = os.path.join(args.work, "results")
    cmd = [args.python, os.path.join(ROOT, "tests", "onnx", "run_suite.py"),
           "--suite", args.suite, "--dir", args.data, "--dlcc", args.dlcc,
           "--proto-dir", args.proto_dir, "--work", args.work, "--results", results_dir,
           "--expected", args.expected, "--opt=" + args.opt, "--time", "--keep",
           "--jobs", str(args.jobs), "--timeout", str(args.timeout), "-v",
           "--filter", "^(%s)$" % "|".join(re.escape(n) for n in names)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(p.stdout)
    times = {}
    for m in re.finditer(r"^  time (\S+): (.*)$", p.stdout, re.M):
        times[m.group(1)] = m.group(2)

    status = {}
    rpath = os.path.join(results_dir, args.suite + ".txt")
    if os.path.exists(rpath):
        for line in open(rpath):
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) >= 2:
                status[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    expected = read_expected(args.expected, args.suite)

    print("\n%-20s %-8s %-6s %s" % ("network", "status", "ref", "detail"))
    for n in names:
        st, reason = status.get(n, ("missing", "no result"))
        detail = reason
        if st == "passed":
            me = max_error(args, n)
            if me is not None:
                detail = "max abs error %.3g (reference value there %.4g)" % me
        elif n in expected:
            st = "xfail"
        print("%-20s %-8s %-6s %s" % (n, st, refs[n], detail))
        if n in times:
            print("%-20s %-8s %-6s %s" % ("", "", "", times[n]))
        shutil.rmtree(os.path.join(args.work, n), ignore_errors=True)
    log("total %.0f s" % (time.monotonic() - t0))
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
