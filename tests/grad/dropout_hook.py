#!/usr/bin/python3
"""dropout_hook.py: the dropout test hook of generated training builds.

Compiles a small .dl model with dropout as a training build, builds it with
-DNET_DROPOUT_HOOK=test_dropout_mask (tests/grad/dropout_hook_harness.c: keep
element i at step s when (5 i + 3 s) mod 7 < 4), runs a few SGD steps and
compares every loss and the final parameters with a numpy f64 computation of
the same steps under that mask (rtol 1e-4, atol 1e-5).  Also checks that the
hook was called for forward and backward, at every step, and that a build
without the hook gives different losses (Philox draws another mask).

    tests/grad/dropout_hook.py --dlcc build/dlcc [--work DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 3
N, I, H, O = 4, 6, 5, 3
RATIO, LR = 0.4, 0.1

MODEL = """
model dh {
  input x: f32[%d, %d]
  param w: f32[%d, %d] = uniform(-1, 1, seed=3)
  param b: f32[%d] = uniform(-0.5, 0.5, seed=4)
  param v: f32[%d, %d] = uniform(-1, 1, seed=5)
  h = tanh(x @ w + b)
  d = dropout(h, ratio=%r, seed=9)
  output y = d @ v
}
train dh {
  input t: f32[%d, %d]
  loss = reducemean((y - t) * (y - t), keepdims=0)
  optimizer = sgd(lr=%r)
}
""" % (N, I, I, H, H, H, O, RATIO, N, O, LR)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        raise SystemExit("FAIL dropout hook: %s\n%s" % (" ".join(cmd), r.stdout[-2000:]))
    return r.stdout


def mask(step):
    i = np.arange(N * H).reshape(N, H)
    return ((i * 5 + step * 3) % 7 < 4).astype(np.float64)


def reference(x, t, w, b, v, step0):
    losses = []
    for k in range(STEPS):
        m = mask(step0 + k) / (1 - RATIO)
        z = x @ w + b
        h = np.tanh(z)
        d = h * m
        y = d @ v
        r = y - t
        losses.append(np.mean(r * r))
        dy = 2 * r / r.size
        dv = d.T @ dy
        dd = dy @ v.T
        dz = dd * m * (1 - h * h)
        dw = x.T @ dz
        db = dz.sum(0)
        w, b, v = w - LR * dw, b - LR * db, v - LR * dv
    return np.array(losses), [w, b, v]


def build(dlcc, work, hook):
    d = os.path.join(work, "hook" if hook else "nohook")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "dh.dl"), "w") as f:
        f.write(MODEL)
    run([dlcc, os.path.join(d, "dh.dl"), "-o", os.path.join(d, "net.c"), "--name", "net"])
    exe = os.path.join(d, "run")
    flags = ["-DNET_DROPOUT_HOOK=test_dropout_mask"] if hook else []
    run(["cc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror"] + flags + ["-I", d, os.path.join(d, "net.c"),
         os.path.join(HERE, "dropout_hook_harness.c"), "-lm", "-o", exe])
    return exe


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="dlcc-dropout-hook-")
    os.makedirs(work, exist_ok=True)
    dlcc = os.path.abspath(args.dlcc)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (N, I)).astype(np.float32)
    t = rng.uniform(-1, 1, (N, O)).astype(np.float32)
    xp, tp, op = (os.path.join(work, f) for f in ("x.bin", "t.bin", "out.bin"))
    x.tofile(xp)
    t.tofile(tp)
    sizes = [I * H, H, H * O]
    shapes = [(I, H), (H,), (H, O)]

    def go(exe):
        msg = run([exe, str(STEPS), xp, tp, op])
        raw = np.fromfile(op, dtype=np.float32)
        p0, off = [], 0
        for s, sh in zip(sizes, shapes):
            p0.append(raw[off:off + s].astype(np.float64).reshape(sh))
            off += s
        losses = raw[off:off + STEPS].astype(np.float64)
        off += STEPS
        p1 = []
        for s, sh in zip(sizes, shapes):
            p1.append(raw[off:off + s].astype(np.float64).reshape(sh))
            off += s
        return msg, p0, losses, p1

    msg, p0, losses, p1 = go(build(dlcc, work, True))
    f = msg.split()
    calls, steps = int(f[1]), (int(f[6]), int(f[7]))
    errs = []
    if steps[1] - steps[0] != STEPS - 1:
        errs.append("hook saw steps %d..%d, expected %d consecutive steps" % (steps[0], steps[1], STEPS))
    if calls < 2 * STEPS * N * H:
        errs.append("hook called %d times, expected at least %d (forward and backward, every step)" %
                    (calls, 2 * STEPS * N * H))
    ref_l, ref_p = reference(x.astype(np.float64), t.astype(np.float64), *p0, steps[0])
    if not np.allclose(losses, ref_l, rtol=1e-4, atol=1e-5):
        errs.append("losses %s, numpy with the injected mask %s" % (losses, ref_l))
    for name, a, r in zip("wbv", p1, ref_p):
        if not np.allclose(a, r, rtol=1e-4, atol=1e-5):
            errs.append("parameter %s after %d steps differs: max |diff| %g" % (name, STEPS, np.abs(a - r).max()))
    _, _, losses2, _ = go(build(dlcc, work, False))
    if np.allclose(losses2, losses, rtol=1e-6, atol=0):
        errs.append("a build without the hook gives the same losses: the hook had no effect")
    for e in errs:
        print("FAIL dropout hook: " + e)
    if not errs:
        print("ok   dropout hook: %d steps, losses %s match numpy with the injected mask (%s)" %
              (STEPS, " ".join("%.6f" % v for v in losses), msg.strip()))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
