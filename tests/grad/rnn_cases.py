#!/usr/bin/python3
"""rnn_cases.py: gradient-check cases of RNN, LSTM and GRU (backpropagation
through time, passes/grad_rnn.c), in the format of gradcheck.py's CASES.

gradcheck.py can merge them:

    from rnn_cases import CASES as RNN_CASES, MULTI as RNN_MULTI
    CASES.update(RNN_CASES); MULTI.update(RNN_MULTI)

Run alone it checks the same cases itself, through the ONNX operators when
their ir/ops_*.def rows name grad_rnn, else (or with --form train) through the
training forms dlcc.RNNTrain/LSTMTrain/GRUTrain directly (before the
ONNX rows name grad_rnn in their grad column):

    tests/grad/rnn_cases.py --dlcc build/dlcc [--work DIR] [-k LSTM] [--form onnx|train] [-v]

Every operand that can carry a gradient (X, W, R, B, initial states,
peepholes) is a parameter, so each gradient output is checked; the loss is
sum(y*y + k*y) over the op's outputs.
"""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def P(name, dims, lo=-1.0, hi=1.0):
    return (name, dims, lo, hi)


T, N, I, H = 4, 2, 3, 3
SL = ["const sl: i32[2] = [4, 2]"]


def rnn_params(G, D, bias=True, h0=False, c0=False, peep=False, layout=0, rng=0.6):
    ps = [P("x", [N, T, I] if layout else [T, N, I]),
          P("w", [D, G * H, I], -rng, rng), P("r", [D, G * H, H], -rng, rng)]
    if bias:
        ps.append(P("b", [D, 2 * G * H], -0.3, 0.3))
    st = [N, D, H] if layout else [D, N, H]
    if h0:
        ps.append(P("h0", st))
    if c0:
        ps.append(P("c0", st))
    if peep:
        ps.append(P("p", [D, 3 * H], -0.5, 0.5))
    return ps


CASES = {
    "RNN": [
        (rnn_params(1, 1, h0=True), [], "rnn(x, w, r, b, _, h0, hidden_size=3)"),
        (rnn_params(1, 2, bias=False), [], 'rnn(x, w, r, hidden_size=3, direction="bidirectional")'),
        (rnn_params(1, 1, h0=True, layout=1), [],
         'rnn(x, w, r, b, _, h0, hidden_size=3, direction="reverse", layout=1, '
         'activations=["ScaledTanh"], activation_alpha=[1.5], activation_beta=[0.7])'),
        (rnn_params(1, 2, h0=True), SL,
         'rnn(x, w, r, b, sl, h0, hidden_size=3, direction="bidirectional", activations=["Sigmoid", "Softsign"])'),
    ],
    "LSTM": [
        (rnn_params(4, 1, h0=True, c0=True, peep=True), [], "lstm(x, w, r, b, _, h0, c0, p, hidden_size=3)"),
        (rnn_params(4, 2, layout=1), [], 'lstm(x, w, r, b, hidden_size=3, direction="bidirectional", layout=1)'),
        (rnn_params(4, 1, h0=True, c0=True, peep=True), SL,
         'lstm(x, w, r, b, sl, h0, c0, p, hidden_size=3, direction="reverse", '
         'activations=["HardSigmoid", "Tanh", "Softsign"], activation_alpha=[0.3], activation_beta=[0.45])'),
        (rnn_params(4, 2, h0=True, c0=True, peep=True), SL,
         'lstm(x, w, r, b, sl, h0, c0, p, hidden_size=3, direction="bidirectional")'),
    ],
    "GRU": [
        (rnn_params(3, 1, h0=True), [], "gru(x, w, r, b, _, h0, hidden_size=3)"),
        (rnn_params(3, 2, h0=True), [], 'gru(x, w, r, b, _, h0, hidden_size=3, direction="bidirectional", '
                                         'linear_before_reset=1)'),
        (rnn_params(3, 1, h0=True, layout=1), SL,
         'gru(x, w, r, b, sl, h0, hidden_size=3, direction="reverse", layout=1, linear_before_reset=1)'),
        (rnn_params(3, 2, bias=False), SL, 'gru(x, w, r, _, sl, hidden_size=3, direction="bidirectional")'),
    ],
}

# outputs of each op (Y, Y_h[, Y_c])
MULTI = {"RNN": 2, "LSTM": 3, "GRU": 2}


def to_train_form(opname, expr):
    """The case's expression on the training form (dlcc.LSTMTrain ...)."""
    low = opname.lower()
    assert expr.startswith(low + "(")
    return "dlcc.%strain(" % low + expr[len(low) + 1:]


def model_text(params, decls, expr, k, seed0, extra_outputs=0):
    lines = ["model g {"]
    for i, (name, dims, lo, hi) in enumerate(params):
        lines.append("  param %s: f64[%s] = uniform(%r, %r, seed=%d)" % (name, ", ".join(map(str, dims)), lo, hi,
                                                                        seed0 + i))
    lines += ["  " + d for d in decls]
    outs = ["y%d" % j for j in range(k)] + ["saved%d" % j for j in range(extra_outputs)]
    lines.append("  %s = %s" % (", ".join(outs), expr))
    lines.append("  output l = " + " + ".join("reducesum(%s * %s + %s * %d, keepdims=0)" % (o, o, o, j + 1)
                                               for j, o in enumerate(outs[:k])))
    lines += ["}", "train g {", "  loss = l", "  optimizer = sgd(lr=1)", "}", ""]
    return "\n".join(lines)


def onnx_rows_present():
    import gradcheck
    wired = {name for name, domain, grad in gradcheck.op_rows() if domain == "" and grad == "grad_rnn"}
    return all(op in wired for op in CASES)


def main():
    import gradcheck
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("-k", default=None)
    ap.add_argument("--form", choices=["onnx", "train"], default=None)
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    form = a.form or ("onnx" if onnx_rows_present() else "train")
    work = a.work or tempfile.mkdtemp(prefix="dlcc-rnn-gradcheck-")
    dlcc = os.path.abspath(a.dlcc)
    n_ok = n_fail = 0
    for op, cases in CASES.items():
        if a.k and a.k.lower() != op.lower():
            continue
        for i, (params, decls, expr) in enumerate(cases):
            e = expr if form == "onnx" else to_train_form(op, expr)
            text = model_text(params, decls, e, MULTI[op], 10 + 7 * i, 0 if form == "onnx" else 1)
            d = os.path.join(work, "%s_%s_%d" % (form, op, i))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "g.dl"), "w") as f:
                f.write(text)
            rc, out = gradcheck.run([dlcc, os.path.join(d, "g.dl"), "-o", os.path.join(d, "net.c"), "--name", "net"])
            err = None
            if rc:
                err = "dlcc: " + out.strip()[-800:]
            else:
                exe = os.path.join(d, "check")
                rc, out = gradcheck.run(["cc", "-std=c11", "-O1", "-Wall", "-Wextra", "-I", d,
                                         os.path.join(d, "net.c"), os.path.join(HERE, "gradcheck_harness.c"),
                                         "-lm", "-o", exe])
                if rc or "warning" in out:
                    err = "cc: " + out.strip()[-800:]
                else:
                    rc, out = gradcheck.run([exe])
                    if a.v:
                        print(out.rstrip())
                    err = None if rc == 0 else out.strip()[-800:]
            print("%-4s %s #%d (%s) %s" % ("ok" if not err else "FAIL", op, i, form, e))
            if err:
                print("     " + err.replace("\n", "\n     "))
                n_fail += 1
            else:
                n_ok += 1
    print("rnn gradcheck (%s): %d passed, %d failed" % (form, n_ok, n_fail))
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
