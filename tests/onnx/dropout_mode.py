#!/usr/bin/python3
"""ONNX Dropout with a training_mode input in an inference graph.

    dropout_mode.py --dlcc BUILD/dlcc [--cc clang]

The seeded masks are checked value by value against numpy in
seeded_random.py; this checks the semantics through the generated API, for a
node with a `seed` attribute (numpy's stream) and one without (Philox): with training_mode
false the output is the input and the mask all true; with training_mode true
and ratio r, about r of 20000 elements are zero, the others are x/(1-r), the
mask says which, two runs give the same mask (seeded), and a ratio outside
[0, 1) makes net_run return -1.  Prints "N passed, N failed".
"""

import argparse
import os
import subprocess
import sys
import tempfile

import onnx
from onnx import TensorProto, helper

DRIVER = r"""
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "net.h"

#define N 20000
static float x[N], y[N], y2[N];
static unsigned char m[N], m2[N];

int main(void) {
    static _Alignas(64) unsigned char state[NET_STATE_SIZE + 1];
    for (int i = 0; i < N; i++)
        x[i] = 1.0f + (float)(i % 7);
    if (net_init(state) != 0)
        return 10;
    float ratio = 0.3f;
    unsigned char off = 0, on = 1;
    const void *in_off[3] = {x, &ratio, &off}, *in_on[3] = {x, &ratio, &on};
    void *out[2] = {y, m}, *out2[2] = {y2, m2};
    if (net_run(state, in_off, out) != 0)
        return 11;
    for (int i = 0; i < N; i++)
        if (y[i] != x[i] || m[i] != 1)
            return printf("training_mode false: y[%d] = %g, mask %d\n", i, y[i], m[i]), 12;
    if (net_run(state, in_on, out) != 0 || net_run(state, in_on, out2) != 0)
        return 13;
    int zeros = 0;
    for (int i = 0; i < N; i++) {
        if (m[i] != m2[i] || y[i] != y2[i])
            return printf("two runs differ at %d\n", i), 14;
        if (!m[i]) {
            zeros++;
            if (y[i] != 0.0f)
                return printf("dropped y[%d] = %g\n", i, y[i]), 15;
        } else if (fabsf(y[i] - x[i] / 0.7f) > 1e-5f * x[i])
            return printf("kept y[%d] = %g, want %g\n", i, y[i], x[i] / 0.7f), 16;
    }
    double frac = (double)zeros / N; /* binomial: sd = sqrt(.3*.7/20000) = 0.0032 */
    if (fabs(frac - 0.3) > 0.02)
        return printf("dropped fraction %.4f, want 0.3\n", frac), 17;
    ratio = 1.5f;
    if (net_run(state, in_on, out) != -1)
        return printf("ratio 1.5 accepted\n"), 18;
    printf("ok: dropped fraction %.4f\n", frac);
    return 0;
}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--cc", default=os.environ.get("DLCC_TEST_CC", "clang"))
    args = ap.parse_args()
    for seed in (7, None):
        if run_one(args, seed):
            print("0 passed, 1 failed")
            return 1
    print("1 passed, 0 failed")
    return 0


def run_one(args, seed):
    with tempfile.TemporaryDirectory() as w:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [20000])
        r = helper.make_tensor_value_info("r", TensorProto.FLOAT, [])
        t = helper.make_tensor_value_info("t", TensorProto.BOOL, [])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [20000])
        m = helper.make_tensor_value_info("m", TensorProto.BOOL, [20000])
        kw = {} if seed is None else {"seed": seed}
        node = helper.make_node("Dropout", ["x", "r", "t"], ["y", "m"], **kw)
        model = helper.make_model(helper.make_graph([node], "dropout_mode", [x, r, t], [y, m]),
                                  opset_imports=[helper.make_opsetid("", 13)])
        path = os.path.join(w, "model.onnx")
        onnx.save(model, path)
        steps = [[args.dlcc, path, "-o", os.path.join(w, "net.c"), "--name", "net"]]
        with open(os.path.join(w, "main.c"), "w") as f:
            f.write(DRIVER)
        steps.append([args.cc, "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", w,
                      os.path.join(w, "main.c"), os.path.join(w, "net.c"), "-o", os.path.join(w, "prog"), "-lm"])
        steps.append([os.path.join(w, "prog")])
        for cmd in steps:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if p.returncode != 0:
                print("seed %s: %s: exit %d\n%s" % (seed, os.path.basename(cmd[0]), p.returncode, p.stdout[-3000:]))
                return 1
        print("seed %s: %s" % (seed, p.stdout.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
