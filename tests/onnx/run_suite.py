#!/usr/bin/python3
"""ONNX backend conformance runner for dlcc (Python 3 standard library only).

For every test of a suite it compiles the model with dlcc, builds the
generated C together with tests/onnx/harness.c (which uses only the API of
API.md), runs it on each test_data_set_N and compares the outputs.

Layouts:
  node   DIR/TEST/model.onnx + DIR/TEST/test_data_set_N/{input,output}_K.pb
         (onnx-backend node, pytorch-*, simple; Debian's libonnx-testdata;
         the whole-model tests of tests/models)
  light  DIR/light_NAME.onnx + DIR/light_NAME_output_K.pb; the inputs are
         zero tensors of the declared shape

Each test ends as one of
  passed   every output matched
  failed   wrong values, wrong dtype/shape, generated C did not build,
           net_run returned an error, or an API contract violation
  error    dlcc exited with 1: the model is unsupported (reason: dlcc's message)
  crash    dlcc or the generated program died from a signal (or dlcc exited
           with another status)
  timeout  the test took longer than --timeout seconds
  skipped  out of scope: an input or output that is not a tensor, sequence
           or optional (a map, a sparse tensor), or a complex tensor

Symbolic input dimensions are bound with --dim SYM=N from the shapes of the
test's input_K.pb files (read by onnx_info.c, built here from the protobuf-c
bindings of the dlcc build), so dlcc never has to guess them; a sequence
input's items likewise give --sequence NAME=SHAPE,..., an empty optional
--absent NAME.

The results go to RESULTS/SUITE.txt (one line per test: name, status,
reason).  With --via-ir each model goes through the IR's text form first:
dlcc MODEL --emit=ir -o W/net.dl (large weights in W/net.weights/), then
dlcc W/net.dl --emit=ir -o W/net2.dl must print the same text ("round trip:
text differs at line N" otherwise), and W/net.dl is what is compiled to C.
The run fails when a test that is not listed in the expected
failures file (lines "suite/test_name  reason") did not pass; listed tests
that pass now are printed so the list can be trimmed.  --update-expected
rewrites this suite's lines of that file from the current results.
"""

import argparse
import concurrent.futures
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

FAIL_STATUSES = ("failed", "error", "crash", "timeout")
HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--suite", required=True, help="suite name used in results and expected list")
    p.add_argument("--dir", help="suite directory")
    p.add_argument("--layout", choices=("node", "light"), default="node")
    p.add_argument("--dlcc", help="the dlcc executable")
    p.add_argument("--proto-dir", help="folder with onnx.pb-c.c/.h (build/proto)")
    p.add_argument("--work", help="scratch folder for generated files")
    p.add_argument("--results", default=os.path.join(HERE, "results"))
    p.add_argument("--expected", default=os.path.join(HERE, "expected_failures.txt"))
    p.add_argument("--update-expected", action="store_true",
                   help="rewrite this suite's lines of the expected-failures file")
    p.add_argument("--from-results", action="store_true",
                   help="run nothing: take the results of the last run from RESULTS/SUITE.txt")
    p.add_argument("--cc", default=os.environ.get("DLCC_TEST_CC", "clang"))
    p.add_argument("--opt", default="-O1", help="optimization flag for the generated C")
    p.add_argument("--warn", default="-Wall -Wextra -Werror",
                   help="warning flags for the generated C ('' to disable)")
    p.add_argument("--dlcc-flags", default="", help="extra dlcc options, e.g. -O0")
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--jobs", "-j", type=int, default=2)
    p.add_argument("--timeout", type=float, default=120, help="seconds per test")
    p.add_argument("--filter", default=None, help="regex on test names")
    p.add_argument("--every", type=int, default=1,
                   help="run every Nth test (by name) after --filter: a fixed sample")
    p.add_argument("--keep", action="store_true", help="keep the work folders of passed tests")
    p.add_argument("--time", action="store_true",
                   help="print dlcc and cc times and cc peak memory for each test")
    p.add_argument("--verbose", "-v", action="store_true", help="print every test's status")
    p.add_argument("--via-ir", action="store_true",
                   help="round trip: print the IR as .dl (--emit=ir), print that again and "
                   "require the same text, then compile the .dl (not the model) to C")
    p.add_argument("--expected-suite", default=None,
                   help="read the expected failures of this suite instead of --suite's "
                   "(e.g. --suite roundtrip-node --expected-suite node)")
    return p.parse_args()


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.5, self.end - time.monotonic())

    def over(self):
        return time.monotonic() >= self.end


class TestTimeout(Exception):
    pass


def run(cmd, deadline, cwd=None):
    """Runs cmd; returns (returncode, combined output).  Raises TestTimeout."""
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as e:
        return 127, str(e)
    try:
        out, _ = proc.communicate(timeout=deadline.left())
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise TestTimeout()
    return proc.returncode, out.decode("utf-8", "replace")


def signame(rc):
    try:
        return signal.Signals(-rc).name
    except (ValueError, AttributeError):
        return "signal %d" % -rc


def first_line(text, pattern=None):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if pattern:
        for l in lines:
            if re.search(pattern, l):
                return l
    return lines[0] if lines else ""


def short(text, n=160):
    text = re.sub(r"\S*/(net\.[ch]|harness\.c):", r"\1:", " ".join(text.split()))
    return text if len(text) <= n else text[: n - 3] + "..."


def dlcc_reason(stderr):
    """The reason column for a model dlcc refused: its (first) error message."""
    m = re.search(r"node '[^']*' \(([^)]*)\): error: (.*)", stderr)
    if m:
        msg = m.group(2).strip()
        return msg if msg.startswith(m.group(1)) else "%s: %s" % (m.group(1), msg)
    line = first_line(stderr, r"error:")
    if "error:" in line:
        line = line.split("error:", 1)[1].strip()
    return line or "dlcc exited with status 1 and no message"


# ---------------------------------------------------------------- discovery

def discover(args):
    """Returns a sorted list of (name, model path, [(inputs, outputs)])."""
    tests = []
    d = args.dir
    if args.layout == "light":
        for f in sorted(os.listdir(d)):
            if not f.endswith(".onnx"):
                continue
            stem = f[:-5]
            outs = []
            k = 0
            while os.path.exists(os.path.join(d, "%s_output_%d.pb" % (stem, k))):
                outs.append(os.path.join(d, "%s_output_%d.pb" % (stem, k)))
                k += 1
            tests.append((stem, os.path.join(d, f), [(None, outs)]))
    else:
        for t in sorted(os.listdir(d)):
            model = os.path.join(d, t, "model.onnx")
            if not os.path.isfile(model):
                continue
            sets = []
            for s in sorted(os.listdir(os.path.join(d, t))):
                sd = os.path.join(d, t, s)
                if not (s.startswith("test_data_set_") and os.path.isdir(sd)):
                    continue
                files = os.listdir(sd)
                ins = sorted((f for f in files if re.fullmatch(r"input_\d+\.pb", f)),
                             key=lambda f: int(f[6:-3]))
                outs = sorted((f for f in files if re.fullmatch(r"output_\d+\.pb", f)),
                              key=lambda f: int(f[7:-3]))
                sets.append(([os.path.join(sd, f) for f in ins],
                             [os.path.join(sd, f) for f in outs]))
            tests.append((t, model, sets))
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, t[0])]
    if args.every > 1:
        tests = sorted(tests, key=lambda t: t[0])[::args.every]
    return tests


# ---------------------------------------------------------------- one test

NON_NUMERIC = {14: "complex64 tensors", 15: "complex128 tensors"}  # strings (8) run since the string API


def model_info(tools, model, inputs, deadline):
    """Parses onnx_info's output: (values, dims, opset) or None."""
    rc, out = run([tools["onnx_info"], model] + list(inputs or []), deadline)
    if rc != 0:
        return None
    values, dims, opset = [], [], None
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] in ("input", "output") and len(parts) == 5:
            values.append((parts[0], parts[1], parts[2], int(parts[3]), parts[4]))
        elif parts[0] == "dim" and len(parts) == 2:
            dims.append(("--dim", parts[1]))
        elif parts[0] == "sequence" and len(parts) == 2:
            dims.append(("--sequence", parts[1]))
        elif parts[0] == "absent" and len(parts) == 2:
            dims.append(("--absent", parts[1]))
        elif parts[0] == "opset" and len(parts) == 2:
            opset = int(parts[1])
    return values, dims, opset


def skip_reason(values):
    for what, name, kind, elem, _ in values:
        if kind not in ("tensor", "sequence", "optional"):
            return "%s '%s' is a%s %s" % (what, name, "n" if kind[0] in "aeiou" else "", kind)
        if elem in NON_NUMERIC:
            return "%s '%s': %s" % (what, name, NON_NUMERIC[elem])
    return None


def header_macros(path):
    """(NET_NUM_INPUTS, NET_NUM_OUTPUTS, NET_STATE_SIZE) as strings from net.h, or None."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    vals = []
    for m in ("NET_NUM_INPUTS", "NET_NUM_OUTPUTS", "NET_STATE_SIZE"):
        found = re.search(r"^\s*#\s*define\s+%s\s+\(?\s*(\d+)" % m, text, re.M)
        if not found:
            return None
        vals.append(found.group(1))
    return vals


def peak_rss_mb(time_output):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_output)
    return int(m.group(1)) / 1024.0 if m else None


# dlcc's message when a shape depends on an input's value.
CONST_NEEDED = re.compile(r"compile-time constant|must be a constant|must be constant|data-dependent")
SMALL_INPUT_BYTES = 256


def text_diff_line(a, b):
    """The first line number (1-based) where texts a and b differ, or None."""
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return i + 1
    if len(la) != len(lb):
        return min(len(la), len(lb)) + 1
    return None


def via_ir(args, cmd, model, net_dl, net_c, work, res, deadline):
    """The round trip after cmd (dlcc MODEL --emit=ir -o net.dl ...) succeeded.

    Prints net.dl again to net2.dl in the same folder (so file(...) paths,
    relative to the .dl, read the same), compares the texts, then compiles
    net.dl to net.c with cmd's other flags (--dim, --const-input, --dlcc-flags).
    Returns (rc, output) of the last dlcc call as run_one expects; a round-trip
    failure sets res's status to failed and returns (0, "")."""
    flags = [a for a in cmd[1:] if a not in (model, "--emit=ir", "-o", net_dl)]
    net2 = os.path.join(work, "net2.dl")
    rc, out = run([args.dlcc, net_dl, "--emit=ir", "-o", net2] + flags, deadline)
    if rc == 1:
        res.update(status="failed", reason="round trip: net.dl does not compile: " +
                   short(dlcc_reason(out), 140))
        return 0, ""
    if rc != 0:
        what = signame(rc) if rc < 0 else "exit status %d" % rc
        res.update(status="crash", reason="round trip: dlcc on net.dl %s: %s" % (
            what, short(first_line(out, "error"), 100)))
        return 0, ""
    with open(net_dl, errors="replace") as f:
        text1 = f.read()
    with open(net2, errors="replace") as f:
        text2 = f.read()
    line = text_diff_line(text1, text2)
    if line is not None:
        res.update(status="failed", reason="round trip: text differs at line %d" % line)
        return 0, ""
    rc, out = run([args.dlcc, net_dl, "-o", net_c, "--name", "net"] + flags, deadline)
    if rc == 1:
        # the model printed and re-read fine, so this is a round-trip bug
        # unless dlcc rejects the original model the same way
        rc0, out0 = run([args.dlcc, model, "-o", os.path.join(work, "orig.c"), "--name", "net"]
                        + flags, deadline)
        if rc0 == 1:
            return 1, out0
        res.update(status="failed", reason="round trip: net.dl does not compile to C: " +
                   short(dlcc_reason(out), 140))
        return 0, ""
    return rc, out


def run_one(args, tools, test):
    """Returns a dict: name, status, reason, times."""
    name, model, sets = test
    res = {"name": name, "status": "passed", "reason": "", "times": {}}
    work = os.path.join(args.work, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    deadline = Deadline(args.timeout)
    try:
        if not sets or not sets[0][1]:
            res.update(status="skipped", reason="no test data")
            return res
        info = model_info(tools, model, sets[0][0], deadline)
        dims = []
        if info:
            values, dims, _ = info
            why = skip_reason(values)
            if why:
                res.update(status="skipped", reason=why)
                return res

        # 1. dlcc (with --via-ir: the model to .dl text; see via_ir below)
        net_c = os.path.join(work, "net.c")
        net_dl = os.path.join(work, "net.dl")
        if args.via_ir:
            cmd = [args.dlcc, model, "--emit=ir", "-o", net_dl] + args.dlcc_flags.split()
        else:
            cmd = [args.dlcc, model, "-o", net_c, "--name", "net"] + args.dlcc_flags.split()
        for flag, d in dims:
            cmd += [flag, d]
        t0 = time.monotonic()
        rc, out = run(cmd, deadline)
        if rc == 1 and CONST_NEEDED.search(out) and info:
            # The test feeds a value that fixes a shape (Reshape's shape,
            # Resize's scales, TopK's k...) as a graph input: specialise the
            # small inputs with --const-input, as a user of a static compiler
            # would, and say so in the reason column.
            names = [(v[1], v[2]) for v in info[0] if v[0] == "input"]
            bound = []
            for (nm, kind), pb in zip(names, sets[0][0]):
                if kind == "tensor" and os.path.getsize(pb) <= SMALL_INPUT_BYTES:
                    cmd += ["--const-input", "%s=%s" % (nm, pb)]
                    bound.append(nm)
            if bound:
                rc, out = run(cmd, deadline)
                res["reason"] = "with --const-input " + ",".join(bound)
        if rc == 0 and args.via_ir:
            rc, out = via_ir(args, cmd, model, net_dl, net_c, work, res, deadline)
        res["times"]["dlcc"] = time.monotonic() - t0
        if rc == 1:
            if os.path.exists(net_c) or os.path.exists(os.path.join(work, "net.h")):
                res.update(status="failed", reason="dlcc exited with 1 but wrote an output file")
            else:
                res.update(status="error", reason=dlcc_reason(out))
            return res
        if rc != 0:
            what = signame(rc) if rc < 0 else "exit status %d" % rc
            res.update(status="crash", reason="dlcc %s: %s" % (what, short(first_line(out, "error"), 100)))
            return res
        if res["status"] != "passed":  # a round-trip failure
            return res

        warning = None
        # 2. build the generated C (warnings are errors; with net.h force-included,
        #    so the header must agree with the definitions) and link the harness
        macros = header_macros(os.path.join(work, "net.h"))
        if macros is None:
            res.update(status="failed", reason="net.h lacks NET_NUM_INPUTS, NET_NUM_OUTPUTS "
                       "or NET_STATE_SIZE")
            return res
        obj = os.path.join(work, "net.o")
        exe = os.path.join(work, "run")
        base = [args.cc, "-std=c11", args.opt, "-include", os.path.join(work, "net.h")]
        link = tools["objs"] + ["-lprotobuf-c", "-lm", "-o", exe]
        if args.time:
            # compile alone, so that its time and peak memory can be measured
            cc = base + args.warn.split() + ["-c", net_c, "-o", obj]
            t0 = time.monotonic()
            if os.path.exists("/usr/bin/time"):
                rc, out = run(["/usr/bin/time", "-v"] + cc, deadline)
                res["times"]["cc_mb"] = peak_rss_mb(out)
            else:
                rc, out = run(cc, deadline)
            res["times"]["cc"] = time.monotonic() - t0
            if rc == 0:
                rc, out = run([args.cc, obj] + link, deadline)
        else:
            t0 = time.monotonic()
            rc, out = run(base + args.warn.split() + [net_c] + link, deadline)
            res["times"]["cc"] = time.monotonic() - t0
        if rc != 0 and args.warn.strip():
            # Tell warnings apart from errors: does it build without them?
            # If so, run it anyway: the values are worth knowing.
            rc2, _ = run(base + ["-w", "-c", net_c, "-o", obj], deadline)
            if rc2 == 0:
                warning = short(first_line(out, r"(warning|error):"), 120)
                rc, out = run([args.cc, obj] + link, deadline)
        if rc != 0:
            res.update(status="failed", reason="cc: " + short(first_line(out, r"error"), 140))
            return res

        # 3. run every data set
        t0 = time.monotonic()
        for ins, outs in sets:
            if ins is None:
                ins = ["zeros"] * sum(1 for v in (info[0] if info else []) if v[0] == "input")
            cmd = [exe, "--rtol", str(args.rtol), "--atol", str(args.atol),
                   "--num-inputs", macros[0], "--num-outputs", macros[1], "--state-size", macros[2]]
            for f in ins:
                cmd += ["-i", f]
            for f in outs:
                cmd += ["-o", f]
            rc, out = run(cmd, deadline, cwd=work)
            if rc < 0:
                res.update(status="crash", reason="generated code: %s" % signame(rc))
                return res
            if rc != 0:
                msg = short(first_line(out), 200)
                if rc == 3:
                    msg = "runtime error: " + msg
                if warning:
                    msg += " (and cc warnings)"
                res.update(status="failed", reason=msg)
                return res
        res["times"]["run"] = time.monotonic() - t0
        if warning:
            res.update(status="failed", reason="cc warning (values correct): " + warning)
        return res
    except TestTimeout:
        res.update(status="timeout", reason="over %gs" % args.timeout)
        return res
    finally:
        if res["status"] in ("passed", "skipped") and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- bookkeeping

def build_tools(args):
    """Compiles onnx_info and the .pb reader once per run."""
    tdir = os.path.join(args.work, "_tools")
    os.makedirs(tdir, exist_ok=True)
    deadline = Deadline(600)
    inc = ["-I", args.proto_dir, "-I", HERE]
    objs = []
    for src in (os.path.join(args.proto_dir, "onnx.pb-c.c"), os.path.join(HERE, "tensor_io.c"),
                os.path.join(HERE, "harness.c")):
        obj = os.path.join(tdir, os.path.basename(src)[:-2] + ".o")
        rc, out = run([args.cc, "-std=c11", "-O1", "-w"] + inc + ["-c", src, "-o", obj], deadline)
        if rc != 0:
            sys.exit("cannot build %s:\n%s" % (src, out))
        objs.append(obj)
    info = os.path.join(tdir, "onnx_info")
    rc, out = run([args.cc, "-std=c11", "-O1", "-w"] + inc + [os.path.join(HERE, "onnx_info.c"),
                   objs[1], objs[0], "-lprotobuf-c", "-lm", "-o", info], deadline)
    if rc != 0:
        sys.exit("cannot build onnx_info:\n" + out)
    # harness.o first: it holds main
    return {"onnx_info": info, "objs": [objs[2], objs[1], objs[0]]}


def read_expected(path, suite):
    expected = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                key, _, reason = line.partition(" ")
                s, _, t = key.partition("/")
                if s == suite:
                    expected[t] = reason.strip()
    return expected


def update_expected(path, suite, results, lock_dir):
    """Replaces this suite's lines of the expected-failures file (under a lock)."""
    lock = open(os.path.join(lock_dir, "expected.lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        lines = []
        if os.path.exists(path):
            with open(path) as f:
                lines = [l.rstrip("\n") for l in f]
        keep = [l for l in lines if not l.strip().startswith(suite + "/")]
        header = [l for l in keep if l.startswith("#")]
        body = [l for l in keep if l.strip() and not l.startswith("#")]
        for r in results:
            if r["status"] in FAIL_STATUSES + ("skipped",):
                body.append("%s/%s  %s: %s" % (suite, r["name"], r["status"], r["reason"]))
        body.sort()
        with open(path, "w") as f:
            for l in header:
                f.write(l + "\n")
            for l in body:
                f.write(l + "\n")
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def main():
    args = parse_args()
    if args.from_results:
        return report_results(args, load_results(args), 0)
    for opt in ("dir", "dlcc", "proto_dir", "work"):
        if not getattr(args, opt):
            sys.exit("run_suite.py: --%s is required" % opt.replace("_", "-"))
    args.work = os.path.abspath(args.work)
    args.dlcc = os.path.abspath(args.dlcc)
    args.proto_dir = os.path.abspath(args.proto_dir)
    if not os.path.isdir(args.dir):
        print("%s: suite folder %s not found; nothing to run" % (args.suite, args.dir))
        return 0
    if not os.access(args.dlcc, os.X_OK):
        sys.exit("dlcc not found at %s (build it first)" % args.dlcc)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.results, exist_ok=True)
    tools = build_tools(args)
    tests = discover(args)
    expected = read_expected(args.expected, args.expected_suite or args.suite)
    if not tests:
        print("%s: no tests found in %s" % (args.suite, args.dir))

    start = time.monotonic()
    results = []
    lock = threading.Lock()

    step = max(50, len(tests) // 10)

    def report(r):
        with lock:
            results.append(r)
            if len(results) % step == 0 and len(results) < len(tests):
                print("%s: %d of %d done, %d passed, %.0f s" % (
                    args.suite, len(results), len(tests),
                    sum(1 for x in results if x["status"] == "passed"), time.monotonic() - start),
                    flush=True)
            unexpected = r["status"] in FAIL_STATUSES and r["name"] not in expected
            if args.verbose or unexpected:
                print("%-8s %s/%s  %s" % (r["status"].upper(), args.suite, r["name"], r["reason"]),
                      flush=True)
            if args.time and r["status"] != "skipped":
                t = r["times"]
                print("  time %s: dlcc %.2f s, cc %s %.2f s%s, run %.2f s" % (
                    r["name"], t.get("dlcc", 0), args.opt, t.get("cc", 0),
                    ", cc peak %.0f MB" % t["cc_mb"] if t.get("cc_mb") else "",
                    t.get("run", 0)), flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, args, tools, t) for t in tests]
        for fut in concurrent.futures.as_completed(futures):
            report(fut.result())
    results.sort(key=lambda r: r["name"])
    elapsed = time.monotonic() - start
    with open(os.path.join(args.results, args.suite + ".txt"), "w") as f:
        for r in results:
            f.write("%s %s %s\n" % (r["name"], r["status"], r["reason"]))
    return report_results(args, results, elapsed)


def load_results(args):
    path = os.path.join(args.results, args.suite + ".txt")
    if not os.path.exists(path):
        sys.exit("run_suite.py: no results in %s" % path)
    results = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) >= 2:
                results.append({"name": parts[0], "status": parts[1],
                                "reason": parts[2] if len(parts) > 2 else "", "times": {}})
    return results


def report_results(args, results, elapsed):
    """Prints the summary, updates the expected list if asked; returns the exit status."""
    expected = read_expected(args.expected, args.expected_suite or args.suite)
    count = {s: 0 for s in ("passed",) + FAIL_STATUSES + ("skipped",)}
    for r in results:
        count[r["status"]] += 1
    # A skipped (out-of-scope) test must be listed too, so the checked-in
    # list names everything that is left out, with its reason.
    unexpected = [r for r in results if r["status"] in FAIL_STATUSES + ("skipped",) and r["name"] not in expected]
    fixed = [r for r in results if r["status"] == "passed" and r["name"] in expected]

    if args.update_expected:
        os.makedirs(args.results, exist_ok=True)
        update_expected(args.expected, args.suite, results, args.results)
        print("%s: rewrote this suite's lines of %s" % (args.suite, args.expected))
    if fixed:
        print("%d test(s) in the expected-failures list pass now (trim the list, or run with "
              "--update-expected):" % len(fixed))
        for r in fixed:
            print("  %s/%s" % (args.suite, r["name"]))
    nfail = sum(count[s] for s in FAIL_STATUSES)
    print("%s: %d passed, %d failed, %d skipped  (of %d; failed = %d wrong, %d unsupported, "
          "%d crash, %d timeout; %d not in the expected list; %.0f s)" % (
              args.suite, count["passed"], nfail, count["skipped"], len(results), count["failed"],
              count["error"], count["crash"], count["timeout"], len(unexpected), elapsed))
    print("per-test status: %s" % os.path.join(args.results, args.suite + ".txt"))
    if unexpected and not args.update_expected:
        for r in unexpected[:20]:
            print("  not listed: %s/%s  %s: %s" % (args.suite, r["name"], r["status"], r["reason"]))
        print("FAIL: %d test(s) failed or were skipped that are not in %s" % (len(unexpected), args.expected))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
