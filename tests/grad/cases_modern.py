#!/usr/bin/python3
"""cases_modern.py: gradient-check cases of the operators of ir/ops_modern.def
(RMSNormalization, rule in passes/grad_modern.c), in the format of
gradcheck.py's CASES.

gradcheck.py can merge them:

    from cases_modern import CASES as MODERN_CASES
    CASES.update(MODERN_CASES)

Run alone it checks them itself with gradcheck.check:

    tests/grad/cases_modern.py --dlcc build/dlcc [--work DIR] [-k RMSNormalization] [-v]
"""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def P(name, dims, lo=-1.0, hi=1.0):
    return (name, dims, lo, hi)


# op name -> list of (params, extra declarations, expression for y)
CASES = {
    "RMSNormalization": [
        # last axis, scale over it
        ([P("a", [3, 4]), P("s", [4], 0.5, 1.5)], [], "rmsnormalization(a, s)"),
        # two normalised dims, scale broadcast over the first of them, large epsilon
        ([P("a", [2, 3, 4]), P("s", [1, 4], 0.5, 1.5)], [], "rmsnormalization(a, s, axis=1, epsilon=0.1)"),
        # whole tensor, full-shape scale
        ([P("a", [2, 3]), P("s", [2, 3], 0.5, 1.5)], [], "rmsnormalization(a, s, axis=0)"),
        # only X trainable (constant scale), negative axis
        ([P("a", [2, 3, 4])], ["const s: f64[3, 4] = uniform(0.5, 1.5, seed=81)"],
         "rmsnormalization(a, s, axis=-2)"),
    ],
}


def main():
    import gradcheck
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("-k", default=None)
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="dlcc-modern-gradcheck-")
    dlcc = os.path.abspath(a.dlcc)
    n_ok = n_fail = 0
    for op, cases in CASES.items():
        if a.k and a.k.lower() != op.lower():
            continue
        for i, case in enumerate(cases):
            err = gradcheck.check(op, i, case, dlcc, work, a.v)
            print("%-4s %s #%d %s" % ("ok" if not err else "FAIL", op, i, case[2]))
            if err:
                print("     " + err.replace("\n", "\n     "))
                n_fail += 1
            else:
                n_ok += 1
    print("cases_modern: %d passed, %d failed" % (n_ok, n_fail))
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
