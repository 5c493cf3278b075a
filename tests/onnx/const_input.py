#!/usr/bin/python3
"""--const-input: compile-time specialisation of an input, checked at run time.

    const_input.py --dlcc BUILD/dlcc [--cc clang]

A Reshape whose shape is a graph input can only be compiled when the shape is
known, because the generated API has fixed output sizes.  `--const-input
shape=FILE.pb` bakes the value in; the input keeps its slot and net_run must
refuse (return -DLCC_ERR_ARG) any call that passes another value, since the
code was compiled for that one value.  Checks:
  1. the specialised model builds warning-free and gives Reshape's result;
  2. net_run returns -1 (DLCC_ERR_ARG) when the shape input differs, and
     leaves the output untouched;
  3. misuse is a clear error with exit status 1: unknown input name, a value
     of the wrong type, and the plain compile without --const-input.
Prints "N passed, N failed" and exits non-zero on any failure.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net.h"

int main(void) {
    static _Alignas(64) unsigned char state[NET_STATE_SIZE + 1];
    float x[24], y[24];
    int64_t good[4] = {2, 3, 2, 2}, bad[4] = {3, 2, 2, 2};
    for (int i = 0; i < 24; i++)
        x[i] = (float)i * 0.5f;
    if (net_init(state) != 0)
        return 10;
    const void *in_good[2] = {x, good}, *in_bad[2] = {x, bad};
    void *out[1] = {y};
    memset(y, 0, sizeof y);
    int rc = net_run(state, in_good, out);
    if (rc != 0)
        return printf("good value: rc %d\n", rc), 11;
    for (int i = 0; i < 24; i++)
        if (y[i] != x[i])
            return printf("good value: y[%d] = %g\n", i, y[i]), 12;
    if (net_outputs[0].rank != 4 || net_outputs[0].dims[0] != 2 || net_outputs[0].dims[3] != 2)
        return printf("output desc: rank %d\n", net_outputs[0].rank), 13;
    memset(y, 0, sizeof y);
    rc = net_run(state, in_bad, out);
    if (rc != -1)
        return printf("other value: rc %d, want -1\n", rc), 14;
    for (int i = 0; i < 24; i++)
        if (y[i] != 0.0f)
            return printf("other value wrote the output\n"), 15;
    puts("ok");
    return 0;
}
"""


def write_model(folder):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])
    s = helper.make_tensor_value_info("shape", TensorProto.INT64, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")
    graph = helper.make_graph([node], "reshape_runtime_shape", [x, s], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    path = os.path.join(folder, "model.onnx")
    onnx.save(model, path)
    for name, arr in (("shape.pb", np.array([2, 3, 2, 2], np.int64)),
                      ("wrong_type.pb", np.array([2.0, 3.0, 2.0, 2.0], np.float32))):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(numpy_helper.from_array(arr, "shape").SerializeToString())
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--cc", default=os.environ.get("DLCC_TEST_CC", "clang"))
    args = ap.parse_args()
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print("%-40s %s%s" % (name, "ok" if ok else "FAILED", "" if ok else ": " + detail))
        if ok:
            passed += 1
        else:
            failed += 1

    with tempfile.TemporaryDirectory() as w:
        model = write_model(w)
        out_c = os.path.join(w, "net.c")

        def dlcc(*extra):
            return subprocess.run([args.dlcc, model, "-o", out_c, "--name", "net"] + list(extra),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        p = dlcc()
        check("plain compile is a clear error", p.returncode == 1 and "compile-time constant" in p.stderr
              and not os.path.exists(out_c), p.stderr.strip())
        p = dlcc("--const-input", "nosuch=" + os.path.join(w, "shape.pb"))
        check("unknown input name", p.returncode == 1 and "no input of that name" in p.stderr
              and not os.path.exists(out_c), p.stderr.strip())
        p = dlcc("--const-input", "shape=" + os.path.join(w, "wrong_type.pb"))
        check("value of the wrong type", p.returncode == 1 and "does not fit" in p.stderr
              and not os.path.exists(out_c), p.stderr.strip())
        p = dlcc("--const-input", "shape=" + os.path.join(w, "shape.pb"))
        check("specialised compile", p.returncode == 0, p.stderr.strip())
        if p.returncode == 0:
            with open(os.path.join(w, "main.c"), "w") as f:
                f.write(DRIVER)
            exe = os.path.join(w, "prog")
            b = subprocess.run([args.cc, "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", w,
                                os.path.join(w, "main.c"), out_c, "-o", exe, "-lm"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            check("generated code builds warning-free", b.returncode == 0, b.stdout[-2000:])
            if b.returncode == 0:
                r = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                check("runs with the value, refuses others", r.returncode == 0,
                      "exit %d: %s" % (r.returncode, r.stdout.strip()))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
