#!/usr/bin/python3
"""Depthwise 2-D convolutions (codegen/emit_conv.c's row kernel) against numpy.

    depthwise.py --dlcc BUILD/dlcc

The backend suites hold only a few depthwise shapes; this runs one ONNX Conv
(group = input channels) per configuration -- kernel sizes 1x1 to 5x7,
strides 1-3, dilations 1-3, asymmetric pads (also pads wider than a
dilated tap reaches), channel multipliers 1 and 2, with and without bias,
with a Relu or Clip after it (fused into the kernel by passes/fuse.c at -O2)
-- through `dlcc run`, and compares with a direct numpy convolution in f64
(|got - want| <= 1e-5 + 1e-5 |want|).  Prints "N passed, N failed".
"""

import argparse
import itertools
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def ref_conv(x, w, b, strides, dils, pads):
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    mult = m // c
    xp = np.zeros((n, c, h + pads[0] + pads[2], wd + pads[1] + pads[3]))
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd] = x
    oh = (xp.shape[2] - (kh - 1) * dils[0] - 1) // strides[0] + 1
    ow = (xp.shape[3] - (kw - 1) * dils[1] - 1) // strides[1] + 1
    y = np.zeros((n, m, oh, ow))
    for o in range(m):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, o // mult, i * dils[0]:i * dils[0] + (oh - 1) * strides[0] + 1:strides[0],
                           j * dils[1]:j * dils[1] + (ow - 1) * strides[1] + 1:strides[1]]
                y[:, o] += w[o, 0, i, j] * patch
        if b is not None:
            y[:, o] += b[o]
    return y


def configs():
    rng = np.random.RandomState(7)
    shapes = [(1, 3, 9, 11), (2, 4, 16, 13), (1, 8, 7, 7)]
    kernels = [(1, 1), (3, 3), (5, 5), (3, 5), (5, 7)]
    for k, ((n, c, h, w), (kh, kw)) in enumerate(itertools.product(shapes, kernels)):
        strides = [(1, 1), (2, 2), (1, 3), (3, 2)][k % 4]
        dils = [(1, 1), (2, 1), (1, 2), (3, 3)][(k // 2) % 4]
        pads = [(0, 0, 0, 0), (1, 1, 1, 1), (kh // 2, kw // 2, kh // 2, kw // 2), (2, 0, 1, 3),
                (6, 6, 6, 6)][k % 5]
        if (h + pads[0] + pads[2] - (kh - 1) * dils[0] - 1) < 0 or \
                (w + pads[1] + pads[3] - (kw - 1) * dils[1] - 1) < 0:
            continue
        mult = 2 if k % 3 == 0 else 1
        bias = k % 2 == 0
        act = [None, "Relu", "Clip"][k % 3]
        x = rng.randn(n, c, h, w).astype(np.float32)
        wt = rng.randn(c * mult, 1, kh, kw).astype(np.float32)
        b = rng.randn(c * mult).astype(np.float32) if bias else None
        yield "dw%02d_%dx%d_s%d%d_d%d%d_m%d_%s" % (k, kh, kw, strides[0], strides[1], dils[0], dils[1], mult,
                                                act or "none"), x, wt, b, strides, dils, pads, act


def run_case(dlcc, work, name, x, wt, b, strides, dils, pads, act):
    want = ref_conv(x.astype(np.float64), wt.astype(np.float64), None if b is None else b.astype(np.float64),
                    strides, dils, pads)
    if act == "Relu":
        want = np.maximum(want, 0)
    elif act == "Clip":
        want = np.clip(want, -0.5, 1.5)
    inits = [numpy_helper.from_array(wt, "w")]
    ins = ["x", "w"]
    if b is not None:
        inits.append(numpy_helper.from_array(b, "b"))
        ins.append("b")
    nodes = [helper.make_node("Conv", ins, ["c" if act else "y"], group=x.shape[1], kernel_shape=list(wt.shape[2:]),
                              strides=list(strides), dilations=list(dils), pads=[pads[0], pads[1], pads[2], pads[3]])]
    if act == "Relu":
        nodes.append(helper.make_node("Relu", ["c"], ["y"]))
    elif act == "Clip":
        inits += [numpy_helper.from_array(np.array(-0.5, np.float32), "lo"),
                  numpy_helper.from_array(np.array(1.5, np.float32), "hi")]
        nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["y"]))
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(want.shape))], inits)
    d = os.path.join(work, name)
    os.makedirs(d)
    path = os.path.join(d, "model.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    with open(os.path.join(d, "x.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    p = subprocess.run([dlcc, "run", path, "--input", "x=" + os.path.join(d, "x.pb"), "--output-dir", d],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        return "dlcc run: exit %d: %s" % (p.returncode, p.stdout[-600:])
    t = onnx.TensorProto()
    with open(os.path.join(d, "output_0.pb"), "rb") as f:
        t.ParseFromString(f.read())
    got = numpy_helper.to_array(t).astype(np.float64)
    if got.shape != want.shape:
        return "shape %s, want %s" % (got.shape, want.shape)
    bad = np.abs(got - want) > 1e-5 + 1e-5 * np.abs(want)
    if bad.any():
        i = np.argwhere(bad)[0]
        return "%d of %d values differ; first at %s: got %r, want %r" % (bad.sum(), got.size, list(i), got[tuple(i)],
                                                                       want[tuple(i)])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    args = ap.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name, *rest in configs():
            err = run_case(args.dlcc, work, name, *rest)
            if err:
                failed += 1
                print("FAILED %s: %s" % (name, err))
            else:
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
