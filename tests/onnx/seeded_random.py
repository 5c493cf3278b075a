#!/usr/bin/python3
"""Seeded ONNX random operators reproduce the ONNX reference implementation.

    seeded_random.py --dlcc BUILD/dlcc

ONNX's reference implementation (onnx/reference/ops) draws RandomUniform,
RandomNormal, their *Like forms, Bernoulli and training-mode Dropout from
numpy's RandomState(seed) when the node has a `seed` attribute.  dlcc's
generated code does the same (runtime/mt19937.h).  Each case here builds a
one-node model, runs it with `dlcc run` (twice, to see the stream restart),
and compares with the reference's numpy computation, written out below:
exactly for the uniform, Bernoulli and Dropout values, within 1 ulp for the
normal ones (log and sqrt of the C library).  Sizes cross MT19937's
624-word refill.  Prints "N passed, N failed".
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def ref_uniform(shape, dtype, low, high, seed):
    res = np.random.RandomState(seed=int(seed)).rand(*shape).astype(dtype)
    res *= high - low
    res += low
    return res.astype(dtype)


def ref_normal(shape, dtype, mean, scale, seed):
    res = np.random.RandomState(seed=int(seed)).randn(*shape).astype(dtype)
    res *= scale
    res += mean
    return res.astype(dtype)


def ref_bernoulli(p, dtype, seed):
    return np.random.RandomState(seed=int(seed)).binomial(1, p=p).astype(dtype)


def ref_dropout(x, ratio, seed):
    mask = np.random.RandomState(seed).uniform(0, 1.0, x.shape) >= ratio
    scale = 1.0 / (1.0 - ratio)
    return (mask * x * scale).astype(x.dtype), mask


def cases():
    """(name, node, inputs {name: array}, input types, outputs [(name, want, tol_ulp)])."""
    rng = np.random.RandomState(1234)
    out = []
    for dt, tp in ((np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE)):
        shape = [3, 500]
        n = helper.make_node("RandomUniform", [], ["y"], shape=shape, low=-2.0, high=5.0, seed=3.0, dtype=tp)
        out.append(("uniform_%s" % dt.__name__, n, {}, [], [("y", ref_uniform(shape, dt, -2.0, 5.0, 3.0), 0)]))
        shape = [1001]
        n = helper.make_node("RandomNormal", [], ["y"], shape=shape, mean=1.0, scale=2.5, seed=11.0, dtype=tp)
        out.append(("normal_%s" % dt.__name__, n, {}, [], [("y", ref_normal(shape, dt, 1.0, 2.5, 11.0), 1)]))
    like = rng.rand(2, 700).astype(np.float32)
    n = helper.make_node("RandomUniformLike", ["x"], ["y"], seed=42.0)
    out.append(("uniform_like", n, {"x": like}, [TensorProto.FLOAT],
                [("y", ref_uniform(like.shape, np.float32, 0.0, 1.0, 42.0), 0)]))
    n = helper.make_node("RandomNormalLike", ["x"], ["y"], seed=0.0, dtype=TensorProto.DOUBLE)
    out.append(("normal_like", n, {"x": like}, [TensorProto.FLOAT],
                [("y", ref_normal(like.shape, np.float64, 0.0, 1.0, 0.0), 1)]))
    p = rng.rand(1300)
    p[:6] = [0.0, 1.0, 0.5, 0.25, 0.75, 1e-9]
    for dt, tp, dtp in ((np.float32, TensorProto.FLOAT, None), (np.float64, TensorProto.DOUBLE, TensorProto.INT64)):
        kw = {"seed": 5.0}
        if dtp is not None:
            kw["dtype"] = dtp
        n = helper.make_node("Bernoulli", ["p"], ["y"], **kw)
        want = ref_bernoulli(p.astype(dt), np.int64 if dtp else dt, 5.0)
        out.append(("bernoulli_%s" % dt.__name__, n, {"p": p.astype(dt)}, [tp], [("y", want, 0)]))
    x = rng.randn(4, 400).astype(np.float32)
    for ratio in (0.3, 0.75):
        n = helper.make_node("Dropout", ["x", "r", "t"], ["y", "m"], seed=9)
        y, m = ref_dropout(x, np.float32(ratio), 9)
        out.append(("dropout_%g" % ratio, n,
                    {"x": x, "r": np.array(ratio, dtype=np.float32), "t": np.array(True)},
                    [TensorProto.FLOAT, TensorProto.FLOAT, TensorProto.BOOL], [("y", y, 1), ("m", m, 0)]))
    return out


def ulp_diff(got, want):
    if got.dtype == np.bool_ or np.issubdtype(got.dtype, np.integer):
        return 0 if np.array_equal(got, want) else 1 << 30
    spacing = np.spacing(np.abs(want).astype(want.dtype))
    return float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing)) if got.size else 0.0


def run_case(dlcc, work, name, node, inputs, in_types, outputs):
    graph_in = [helper.make_tensor_value_info(k, t, list(v.shape)) for (k, v), t in zip(inputs.items(), in_types)]
    graph_out = [helper.make_tensor_value_info(k, numpy_helper.from_array(w).data_type, list(w.shape))
                 for k, w, _ in outputs]
    model = helper.make_model(helper.make_graph([node], name, graph_in, graph_out),
                              opset_imports=[helper.make_opsetid("", 15)])
    d = os.path.join(work, name)
    os.makedirs(d)
    path = os.path.join(d, "model.onnx")
    onnx.save(model, path)
    cmd = [dlcc, "run", path, "--output-dir", d]
    for k, v in inputs.items():
        pb = os.path.join(d, k + ".pb")
        with open(pb, "wb") as f:
            f.write(numpy_helper.from_array(v, k).SerializeToString())
        cmd += ["--input", "%s=%s" % (k, pb)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        return "dlcc run: exit %d: %s" % (p.returncode, p.stdout[-800:])
    for i, (k, want, tol) in enumerate(outputs):
        t = onnx.TensorProto()
        with open(os.path.join(d, "output_%d.pb" % i), "rb") as f:
            t.ParseFromString(f.read())
        got = numpy_helper.to_array(t)
        if got.shape != want.shape or got.dtype != want.dtype:
            return "%s: got %s %s, want %s %s" % (k, got.dtype, got.shape, want.dtype, want.shape)
        u = ulp_diff(got, want)
        if u > tol:
            bad = np.flatnonzero(got.ravel() != want.ravel())
            return "%s: %d of %d values differ (%.3g ulp), first at %d: got %r, want %r" % (
                k, bad.size, got.size, u, bad[0], got.ravel()[bad[0]], want.ravel()[bad[0]])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    args = ap.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name, node, inputs, in_types, outputs in cases():
            err = run_case(args.dlcc, work, name, node, inputs, in_types, outputs)
            if err:
                failed += 1
                print("FAILED %s: %s" % (name, err))
            else:
                passed += 1
                print("ok     %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
