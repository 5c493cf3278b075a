#!/usr/bin/python3
"""Inference speed of dlcc-generated C against ONNX Runtime, side by side.

    /usr/bin/python3 bench/vs_ort.py [--runs N] [--rounds R] [--cflags FLAGS] [NAME ...]

For each network of the test zoo (tests/models/data/networks/NAME, exported
by scripts/export_networks.py when missing) it compiles the model with dlcc
(-O2, symbolic dims bound from the input files), builds it with
`clang -O3 -march=native` (--cflags to change) and bench/infer_time.c, and
times net_run; ONNX Runtime (onnxruntime-node, one thread, all graph
optimizations) is timed on the same inputs by bench/ort_time.js.  The two
alternate for R rounds of N runs each (so both see the same machine load),
and the table gives the median over rounds of each round's median, in ms per
inference, and the ratio ORT / dlcc (above 1: dlcc is faster).  Uses
build/dlcc and build/proto (./setup.sh); DLCC=path overrides the compiler.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "onnx"))
import run_suite  # noqa: E402  (build_tools, model_info, Deadline)

DEFAULT = ["kws", "crnn_ocr", "speech_ctc", "lstm2", "transformer", "squeezenet1_0", "mobilenet_v2",
           "resnet50"]


def timed(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s" % (os.path.basename(cmd[0]), p.returncode, p.stdout[-2000:]))
    parts = p.stdout.split()
    return float(parts[parts.index("median_ms") + 1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="timed runs per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cflags", default="-O3 -march=native")
    ap.add_argument("--cc", default=os.environ.get("CC", "clang"))
    ap.add_argument("--work", default="/tmp/dlcc-bench-vs-ort")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    names = args.names or DEFAULT
    dlcc = os.environ.get("DLCC", os.path.join(ROOT, "build", "dlcc"))
    proto = os.path.join(os.path.dirname(dlcc), "proto")
    data = os.path.join(ROOT, "tests", "models", "data", "networks")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "export_networks.py"), "--out", data]
                   + names, check=True, stdout=subprocess.DEVNULL)
    os.makedirs(args.work, exist_ok=True)
    tools = run_suite.build_tools(argparse.Namespace(work=args.work, proto_dir=proto, cc=args.cc))
    pb_objs = [o for o in tools["objs"] if not o.endswith("harness.o")]  # tensor_io + onnx.pb-c
    rows = []
    for name in names:
        model = os.path.join(data, name, "model.onnx")
        tset = os.path.join(data, name, "test_data_set_0")
        inputs = sorted((os.path.join(tset, f) for f in os.listdir(tset) if f.startswith("input_")),
                        key=lambda f: int(f.rsplit("_", 1)[1].split(".")[0]))
        info = run_suite.model_info(tools, model, inputs, run_suite.Deadline(120))
        w = os.path.join(args.work, name)
        shutil.rmtree(w, ignore_errors=True)
        os.makedirs(w)
        cmd = [dlcc, model, "-o", os.path.join(w, "net.c"), "--name", "net"]
        for flag, d in (info[1] if info else []):  # ("--dim", "N=1"), ("--sequence", ...)
            cmd += [flag, d]
        subprocess.run(cmd, check=True)
        exe = os.path.join(w, "infer_time")
        subprocess.run([args.cc, "-std=c11"] + args.cflags.split() + ["-I", w, "-I", os.path.join(ROOT, "tests", "onnx"),
                        os.path.join(w, "net.c"), os.path.join(HERE, "infer_time.c")] + pb_objs
                       + ["-lprotobuf-c", "-lm", "-o", exe],
                       check=True)
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(timed([exe, str(args.runs)] + inputs))
            theirs.append(timed(["node", os.path.join(HERE, "ort_time.js"), model, str(args.runs)] + inputs))
        a, b = statistics.median(ours), statistics.median(theirs)
        rows.append((name, a, b))
        print("%-16s dlcc %9.3f ms   onnxruntime %9.3f ms   ratio %5.2f" % (name, a, b, b / a), flush=True)
    print("\nmedians of %d rounds x %d runs, one thread, dlcc built with %s %s" % (
        args.rounds, args.runs, args.cc, args.cflags))
    print("%-16s %12s %12s %8s" % ("network", "dlcc ms", "ORT ms", "ORT/dlcc"))
    for name, a, b in rows:
        print("%-16s %12.3f %12.3f %8.2f" % (name, a, b, b / a))
    if rows:
        print("geometric mean ORT/dlcc: %.2f" % statistics.geometric_mean([b / a for _, a, b in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
