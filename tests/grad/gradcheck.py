#!/usr/bin/python3
"""gradcheck.py: every gradient rule against central finite differences in f64.

Walks the operator table (the OP(...) rows of ir/ops_*.def) and, for every
operator whose gradient rule is not grad_none/grad_zero, runs each of its
cases below: a small f64 model whose parameters feed the operator, with the
loss sum(y*y + y) over its output(s).  The model is compiled with dlcc as a
training build (sgd(lr=1)) and tests/grad/gradcheck_harness.c compares the
analytic gradients (one train step) with central differences (eps 1e-6):
pass when |a - n| <= 1e-5 + 1e-3 |n|.  An operator with a rule but no case
here is a failure, so new rules must come with a check.  Cases may also
live in tests/grad/cases_*.py (a CASES dict each, merged in); cases in
MULTI_CASES put every output of the op in the loss.

    tests/grad/gradcheck.py --dlcc build/dlcc [--work DIR] [-k OPNAME] [-v]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def P(name, dims, lo=-1.0, hi=1.0):
    return (name, dims, lo, hi)


A34 = [P("a", [3, 4])]
POS = [P("a", [3, 4], 0.5, 2.0)]
UNIT = [P("a", [3, 4], -0.8, 0.8)]
# A parameter with ties of two (each row and column has a tied max and min).
TIES = "param t: f64[3, 4] = [[0.5, 0.9, 0.9, -0.3], [0.2, -0.7, 0.4, -0.7], [0.5, 0.1, 0.4, 0.3]]"
# A parameter with zeros: row 1 has one, row 2 two.
ZEROS = "param z: f64[3, 4] = [[0.5, 1.5, -0.8, 1.2], [0.7, 0.0, -1.3, 0.9], [0.0, 0.6, 0.0, -1.1]]"


def U(expr, params=None):
    return (params or A34, [], expr)


# op name -> list of (params, extra declarations, expression for y)
CASES = {
    "Add": [([P("a", [3, 4]), P("b", [4])], [], "a + b"), ([P("a", [2, 1, 4]), P("b", [3, 1])], [], "a + b")],
    "Sub": [([P("a", [3, 4]), P("b", [3, 1])], [], "a - b")],
    "Mul": [([P("a", [2, 3, 4]), P("b", [3, 1])], [], "a * b"), (A34, [], "a * a")],
    "Div": [([P("a", [3, 4]), P("b", [4], 0.5, 2.0)], [], "a / b")],
    "Pow": [([P("a", [3, 4], 0.5, 2.0), P("b", [4], -1.0, 2.0)], [], "pow(a, b)")],
    "PRelu": [([P("a", [2, 3, 4]), P("s", [3, 1])], [], "prelu(a, s)")],
    "Sum": [([P("a", [3, 4]), P("b", [4]), P("c", [3, 1])], [], "sum(a, b, c)")],
    "Mean": [([P("a", [3, 4]), P("b", [4])], [], "mean(a, b)")],
    "Max": [([P("a", [3, 4]), P("b", [4])], [], "max(a, b)")],
    "Min": [([P("a", [3, 4]), P("b", [4])], [], "min(a, b)")],
    "Where": [([P("a", [3, 4]), P("b", [4])],
               ["const c: f64[3, 4] = uniform(-1, 1, seed=77)", "const d: f64[3, 4] = uniform(-1, 1, seed=78)"],
               "where(greater(c, d), a, b)")],
    "Relu": [U("relu(a)")],
    "LeakyRelu": [U("leakyrelu(a, alpha=0.2)")],
    "Sigmoid": [U("sigmoid(a)")],
    "Tanh": [U("tanh(a)")],
    "Exp": [U("exp(a)")],
    "Log": [U("log(a)", POS)],
    "Sqrt": [U("sqrt(a)", POS)],
    "Neg": [U("-a")],
    "Abs": [U("abs(a)")],
    "Elu": [U("elu(a, alpha=0.7)")],
    "Selu": [U("selu(a)")],
    "Celu": [U("celu(a, alpha=1.3)")],
    "Softplus": [U("softplus(a)")],
    "Softsign": [U("softsign(a)")],
    "HardSigmoid": [U("hardsigmoid(a, alpha=0.3, beta=0.4)")],
    "HardSwish": [U("hardswish(a)", [P("a", [3, 4], -4.0, 4.0)])],
    "Mish": [U("mish(a)")],
    "Gelu": [U("gelu(a)"), U('gelu(a, approximate="tanh")')],
    "ThresholdedRelu": [U("thresholdedrelu(a, alpha=0.1)")],
    "Shrink": [U("shrink(a, lambd=0.3, bias=0.1)")],
    "Erf": [U("erf(a)")],
    "Sin": [U("sin(a)")],
    "Cos": [U("cos(a)")],
    "Tan": [U("tan(a)")],
    "Asin": [U("asin(a)", UNIT)],
    "Acos": [U("acos(a)", UNIT)],
    "Atan": [U("atan(a)")],
    "Sinh": [U("sinh(a)")],
    "Cosh": [U("cosh(a)")],
    "Asinh": [U("asinh(a)")],
    "Acosh": [U("acosh(a)", [P("a", [3, 4], 1.5, 3.0)])],
    "Atanh": [U("atanh(a)", UNIT)],
    "Reciprocal": [U("reciprocal(a)", POS)],
    "Clip": [([P("a", [3, 4], -2.0, 2.0)], ["const lo: f64[] = zeros", "const hi: f64[] = ones"], "clip(a, lo, hi)")],
    "Identity": [U("identity(a)")],
    "Dropout": [U("dropout(a, ratio=0.0)"), U("dropout(a, ratio=0.3, seed=5)", [P("a", [4, 7])])],
    "MatMul": [([P("a", [3, 4]), P("b", [4, 5])], [], "a @ b"),
               ([P("a", [2, 3, 4]), P("b", [4, 5])], [], "a @ b"),
               ([P("a", [4]), P("b", [2, 4, 3])], [], "a @ b"),
               ([P("a", [3, 4]), P("b", [4])], [], "a @ b")],
    "Gemm": [([P("a", [3, 4]), P("b", [4, 5]), P("c", [5])], [], "gemm(a, b, c)"),
             ([P("a", [4, 3]), P("b", [5, 4]), P("c", [3, 1])], [], "gemm(a, b, c, transA=1, transB=1, alpha=0.7, beta=1.3)"),
             ([P("a", [4, 3]), P("b", [4, 5])], [], "gemm(a, b, transA=1)"),
             ([P("a", [3, 4]), P("b", [5, 4])], [], "gemm(a, b, transB=1, alpha=2.0)")],
    "Softmax": [U("softmax(a, axis=1)", [P("a", [2, 3, 4])]), U("softmax(a, axis=-1)")],
    "LogSoftmax": [U("logsoftmax(a, axis=1)", [P("a", [2, 3, 4])]), U("logsoftmax(a)")],
    "Flatten": [U("flatten(a, axis=2)", [P("a", [2, 3, 2])])],
    "Reshape": [U("reshape(a, [2, -1])")],
    "Squeeze": [U("squeeze(a, [1])", [P("a", [3, 1, 4])])],
    "Unsqueeze": [U("unsqueeze(a, [0, 2])")],
    "Transpose": [U("transpose(a, perm=[2, 0, 1])", [P("a", [2, 3, 4])]), U("transpose(a)")],
    "Concat": [([P("a", [3, 4]), P("b", [3, 2])], [], "concat(a, b, a, axis=1)")],
    "Expand": [U("expand(a, [2, 3, 4])", [P("a", [3, 1])])],
    "Split": [U("split(a, [1, 3], axis=1)")],
    "Gather": [(A34, ["const idx: i64[5] = [2, 0, 1, 2, -1]"], "gather(a, idx, axis=0)"),
               (A34, ["const idx: i64[2, 2] = [[3, 0], [1, 3]]"], "gather(a, idx, axis=1)")],
    "GatherElements": [(A34, ["const idx: i64[3, 2] = [[3, 0], [1, 3], [2, 2]]"], "gatherelements(a, idx, axis=1)")],
    "Conv": [([P("a", [2, 3, 5, 5]), P("w", [4, 3, 3, 3]), P("b", [4])], [],
              "conv(a, w, b, strides=[2, 2], pads=[1, 1, 1, 1])"),
             ([P("a", [1, 4, 6, 5]), P("w", [4, 2, 2, 3])], [],
              "conv(a, w, group=2, dilations=[2, 1], pads=[0, 1, 1, 0])"),
             ([P("a", [2, 3, 4, 4]), P("w", [3, 1, 3, 3]), P("b", [3])], [], "conv(a, w, b, group=3, pads=[1, 1, 1, 1])"),
             ([P("a", [2, 2, 7]), P("w", [3, 2, 3]), P("b", [3])], [], "conv(a, w, b, strides=[2], pads=[1, 0])"),
             ([P("a", [1, 2, 5, 5]), P("w", [2, 2, 2, 2])], [], 'conv(a, w, auto_pad="SAME_UPPER", strides=[2, 2])'),
             ([P("a", [1, 2, 3, 3, 3]), P("w", [2, 2, 2, 2, 2])], [], "conv(a, w, pads=[1, 0, 0, 0, 1, 0])")],
    "ConvTranspose": [([P("a", [2, 3, 3, 3]), P("w", [3, 2, 3, 3]), P("b", [2])], [],
                       "convtranspose(a, w, b, strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 0])"),
                      ([P("a", [1, 4, 5]), P("w", [4, 1, 2])], [], "convtranspose(a, w, group=2, dilations=[2])"),
                      ([P("a", [1, 2, 3, 2]), P("w", [2, 2, 2, 2])], [],
                       'convtranspose(a, w, strides=[2, 2], auto_pad="SAME_UPPER")')],
    "MaxPool": [U("maxpool(a, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])", [P("a", [2, 2, 5, 5])]),
                U("maxpool(a, kernel_shape=[2], ceil_mode=1, strides=[2])", [P("a", [2, 3, 7])])],
    "AveragePool": [U("averagepool(a, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])", [P("a", [2, 2, 5, 5])]),
                    U("averagepool(a, kernel_shape=[2, 3], pads=[1, 1, 0, 1], count_include_pad=1)",
                      [P("a", [1, 2, 4, 5])])],
    "GlobalAveragePool": [U("globalaveragepool(a)", [P("a", [2, 3, 4, 4])])],
    "GlobalMaxPool": [U("globalmaxpool(a)", [P("a", [2, 3, 4, 4])])],
    "LayerNormalization": [([P("a", [3, 4]), P("s", [4]), P("b", [4])], ["const cw: f64[3, 4] = uniform(-1, 1, seed=79)"], "layernormalization(a, s, b) * cw"),
                           ([P("a", [2, 3, 4]), P("s", [3, 4])], [], "layernormalization(a, s, axis=1, epsilon=0.01)")],
    "InstanceNormalization": [([P("a", [2, 3, 4]), P("s", [3]), P("b", [3])],
                               ["const cw: f64[2, 3, 4] = uniform(-1, 1, seed=79)"],
                               "instancenormalization(a, s, b) * cw"),
                              ([P("a", [2, 2, 3, 3]), P("s", [2]), P("b", [2])],
                               ["const cw: f64[2, 2, 3, 3] = uniform(-1, 1, seed=79)"],
                               "instancenormalization(a, s, b, epsilon=0.01) * cw")],
    "LRN": [U("lrn(a, size=3)", [P("a", [2, 5, 3])]),
            U("lrn(a, size=2, alpha=0.5, beta=0.6, bias=2.0)", [P("a", [1, 4, 2, 3])]),
            U("lrn(a, size=5, alpha=0.3)", [P("a", [2, 3, 2])])],
    "Slice": [U("slice(a, [1, 0], [3, 4], [0, 1], [1, 2])"), U("slice(a, [-1], [-4], [1], [-2])")],
    "Pad": [U("pad(a, [1, 0, 2, 3])"), ([P("a", [2, 3])], ["const v: f64[] = [0.5]"], "pad(a, [0, 1, 1, 0], v)"),
            U('pad(a, [1, 2, 2, 3], mode="edge")'),
            U('pad(a, [2, 3, 1, 2], mode="reflect")'),
            U('pad(a, [0, 0, 1, 2, 2, 1], mode="reflect")', [P("a", [2, 3, 4])]),
            U('pad(a, [0, 1, 0, 0, 2, 0], mode="edge")', [P("a", [2, 1, 3])]),
            U('pad(a, [1, -1, 0, 2], mode="reflect")'),
            U('pad(a, [1, 2, 3, 1], mode="wrap")')],
    "Resize": [([P("a", [1, 2, 3, 4])], ["const sc: f32[4] = [1.0, 1.0, 2.0, 1.5]"],
                'resize(a, _, sc, mode="nearest")'),
               ([P("a", [1, 2, 3, 4])], ["const sc: f32[4] = [1.0, 1.0, 1.7, 2.5]"],
                'resize(a, _, sc, mode="linear")'),
               ([P("a", [2, 5])], ["const sz: i64[2] = [2, 3]"],
                'resize(a, _, _, sz, mode="linear", coordinate_transformation_mode="align_corners")'),
               ([P("a", [2, 3, 4])], ["const sc: f32[3] = [1.0, 2.0, 0.6]"],
                'resize(a, _, sc, mode="linear", coordinate_transformation_mode="asymmetric")'),
               ([P("a", [1, 1, 3, 3, 2])], ["const sz: i64[5] = [1, 1, 4, 5, 3]"],
                'resize(a, _, _, sz, mode="linear", coordinate_transformation_mode="pytorch_half_pixel")'),
               ([P("a", [1, 1, 4, 5])], ["const sz: i64[4] = [1, 1, 7, 3]"],
                'resize(a, _, _, sz, mode="nearest", coordinate_transformation_mode="align_corners", '
                'nearest_mode="round_prefer_ceil")'),
               ([P("a", [1, 1, 4, 5])], ["const sc: f32[4] = [1.0, 1.0, 1.5, 0.8]"],
                'resize(a, _, sc, mode="cubic")')],
    "Tile": [U("tile(a, [2, 3])"), U("tile(a, [1, 2, 1])", [P("a", [2, 1, 3])])],
    # f64 -> f64: a round trip through f32 would make the f64 finite
    # differences meaningless (eps 1e-6 is below f32 resolution).
    "Cast": [U("cast(a, to=11)")],
    "CastLike": [(A34, ["const f: f64[] = zeros"], "castlike(a, f)")],
    # Ties: central differences give each of two tied extrema half of dy,
    # which is what the even split (torch.amax / amin) gives; three or more
    # ties are compared with PyTorch in model_grads.py.
    "ReduceMax": [U("reducemax(a, [1], keepdims=0)"), U("reducemax(a)"),
                  ([], [TIES], "reducemax(t, [1], keepdims=0)"),
                  ([], [TIES], "reducemax(t, axes=[0])"),
                  ([], ["opset 18", TIES], "reducemax(t, [0, 1], keepdims=0)")],
    "ReduceMin": [U("reducemin(a, [0])"), ([], [TIES], "reducemin(t, [1])"),
                  ([], [TIES], "reducemin(t, axes=[0], keepdims=0)")],
    # Zeros: row 1 holds one zero (it gets the product of the others), row 2
    # two zeros (no gradient anywhere in the row).
    "ReduceProd": [U("reduceprod(a, axes=[1], keepdims=0)"),
                   U("reduceprod(a, axes=[0])"),
                   U("reduceprod(a, keepdims=0)", [P("a", [2, 3], 0.5, 1.5)]),
                   U("reduceprod(a, axes=[0, 2], keepdims=1)", [P("a", [2, 3, 2])]),
                   ([], ["opset 18", ZEROS], "reduceprod(z, [1], keepdims=0)"),
                   ([], ["opset 18", ZEROS], "reduceprod(z, [-2])"),
                   ([], [ZEROS], "reduceprod(z, axes=[1], keepdims=1)"),
                   ([], [ZEROS], "reduceprod(z, axes=[0, 1], keepdims=0)"),
                   ([], ["opset 18", "const no: i64[0] = zeros", ZEROS],
                    "reduceprod(z, no, noop_with_empty_axes=1)"),
                   ([], ["opset 18", "const no: i64[0] = zeros", ZEROS], "reduceprod(z, no, keepdims=0)")],
    "CumSum": [(A34, ["const ax: i64[] = [1]"], "cumsum(a, ax)"),
               (A34, ["const ax: i64[] = [0]"], "cumsum(a, ax, exclusive=1)"),
               (A34, ["const ax: i64[] = [1]"], "cumsum(a, ax, reverse=1)"),
               (A34, ["const ax: i64[] = [-1]"], "cumsum(a, ax, exclusive=1, reverse=1)"),
               ([P("a", [2, 3, 4])], ["const ax: i32[] = [1]"], "cumsum(a, ax, exclusive=1, reverse=1)")],
    "Upsample": [([P("a", [1, 2, 3, 4])], ["opset 9", "const sc: f32[4] = [1.0, 1.0, 2.0, 1.5]"],
                  'upsample(a, sc, mode="nearest")'),
                 ([P("a", [1, 2, 3, 4])], ["opset 9", "const sc: f32[4] = [1.0, 1.0, 2.0, 2.5]"],
                  'upsample(a, sc, mode="linear")'),
                 ([P("a", [2, 3, 4])], ["opset 7"], 'upsample(a, mode="linear", scales=[1.0, 2.0, 1.5])'),
                 ([P("a", [1, 1, 2, 3])], ["opset 7"], 'upsample(a, mode="nearest", scales=[1.0, 1.0, 3.0, 2.0])')],
    "Einsum": [([P("a", [3, 4]), P("b", [4, 5])], [], 'einsum(a, b, equation="ij,jk->ik")'),
               ([P("a", [2, 3, 4]), P("b", [2, 4, 5])], [], 'einsum(a, b, equation="bij,bjk->bik")'),
               (A34, [], 'einsum(a, equation="ij->ji")'),
               ([P("a", [3]), P("b", [4])], [], 'einsum(a, b, equation="i,j->ij")'),
               ([P("a", [3, 3])], [], 'einsum(a, equation="ii->")'),
               ([P("a", [3, 3])], [], 'einsum(a, equation="ii->i")'),
               ([P("a", [2, 3, 3]), P("b", [3])], [], 'einsum(a, b, equation="bii,i->b")'),
               ([P("a", [3, 4]), P("b", [4])], [], 'einsum(a, b, equation="ij,j")'),
               ([P("a", [3, 4])], [], 'einsum(a, equation="ij->i")'),
               ([P("a", [3, 4]), P("b", [3, 4])], [], 'einsum(a, b, equation="ij,ij->")'),
               ([P("a", [2, 3, 4]), P("b", [4, 5])], [], 'einsum(a, b, equation="...j,jk->...k")'),
               ([P("a", [2, 1, 3, 4]), P("b", [5, 4, 2])], [], 'einsum(a, b, equation="...ij,...jk->...ik")'),
               ([P("a", [2, 3]), P("b", [1, 3]), P("c", [3, 2])], [], 'einsum(a, b, c, equation="...i,...i,ij->...j")'),
               ([P("a", [2, 3, 4])], [], 'einsum(a, equation="b...->...")'),
               ([P("a", [3, 4]), P("b", [4, 2]), P("c", [2])], [], 'einsum(a, b, c, equation="ij, jk, k -> i")'),
               ([P("a", [3, 3, 3])], [], 'einsum(a, equation="iii->i")'),
               ([P("a", [3, 3]), P("b", [3, 2])], [], 'einsum(a, b, equation="ii,iJ->J")'),
               ([P("a", [2, 3, 3, 4])], [], 'einsum(a, equation="...iij->...ji")'),
               ([P("a", [2, 3]), P("b", [3, 2])], [], 'einsum(a, b, equation="Ab,bA")')],
    "GroupNormalization": [([P("a", [2, 4, 3]), P("s", [2]), P("b", [2])],
                            ["opset 18", "const cw: f64[2, 4, 3] = uniform(-1, 1, seed=79)"],
                            "groupnormalization(a, s, b, num_groups=2) * cw"),
                           ([P("a", [2, 6, 2, 2]), P("s", [3]), P("b", [3])],
                            ["opset 18", "const cw: f64[2, 6, 2, 2] = uniform(-1, 1, seed=79)"],
                            "groupnormalization(a, s, b, num_groups=3, epsilon=0.01) * cw"),
                           ([P("a", [2, 4, 3]), P("s", [4]), P("b", [4])],
                            ["opset 21", "const cw: f64[2, 4, 3] = uniform(-1, 1, seed=79)"],
                            "groupnormalization(a, s, b, num_groups=2) * cw"),
                           ([P("a", [2, 6, 2, 2]), P("s", [6]), P("b", [6])],
                            ["opset 21", "const cw: f64[2, 6, 2, 2] = uniform(-1, 1, seed=79)"],
                            "groupnormalization(a, s, b, num_groups=3, epsilon=0.01) * cw"),
                           ([P("a", [1, 4, 5]), P("s", [4]), P("b", [4])],
                            ["opset 21", "const cw: f64[1, 4, 5] = uniform(-1, 1, seed=79)"],
                            "groupnormalization(a, s, b, num_groups=1) * cw")],
    # Recurrent ops (rules in passes/grad_rnn.c): x [T, N, I], H = 3.
    "RNN": [([P("x", [3, 2, 4]), P("w", [1, 3, 4]), P("r", [1, 3, 3]), P("b", [1, 6])], [],
             "rnn(x, w, r, b, hidden_size=3)")],
    "LSTM": [([P("x", [3, 2, 4]), P("w", [1, 12, 4]), P("r", [1, 12, 3]), P("b", [1, 24])], [],
              "lstm(x, w, r, b, hidden_size=3)")],
    "GRU": [([P("x", [3, 2, 4]), P("w", [1, 9, 4]), P("r", [1, 9, 3]), P("b", [1, 18])], [],
             "gru(x, w, r, b, hidden_size=3)")],
    # Class weights wt: constants, or trainable params (their gradient too),
    # with ignore_index and every reduction ("mean" divides by the summed
    # weights of the positions not ignored).
    "SoftmaxCrossEntropyLoss": [(A34, ["const lbl: i64[3] = [1, 0, 3]"], "softmaxcrossentropyloss(a, lbl)"),
                                ([P("a", [2, 3, 2])], ["const lbl: i64[2, 2] = [[2, 0], [1, 1]]",
                                                      "const wt: f64[3] = [0.5, 1.0, 2.0]"],
                                 'softmaxcrossentropyloss(a, lbl, wt, reduction="sum")'),
                                (A34, ["const lbl: i64[3] = [1, 2, 3]"],
                                 "softmaxcrossentropyloss(a, lbl, ignore_index=2)")]
    + [([P("a", [3, 4, 2]), P("wt", [4], 0.5, 2.0)], ["const lbl: i64[3, 2] = [[1, 0], [3, 2], [2, 1]]"],
        'softmaxcrossentropyloss(a, lbl, wt, reduction="%s"%s)' % (red, ig))
       for red in ("mean", "sum", "none") for ig in ("", ", ignore_index=2")]
    + [([P("a", [3, 4]), P("wt", [4], 0.5, 2.0)], ["const lbl: i64[3] = [1, -1, 3]"],
        'softmaxcrossentropyloss(a, lbl, wt, ignore_index=-1)'),
       ([P("a", [3, 4])], ["const lbl: i64[3] = [1, 0, 3]", "const wt: f64[4] = [0.5, 1.0, 2.0, 1.5]"],
        'softmaxcrossentropyloss(a, lbl, wt, ignore_index=0)')],
    "NegativeLogLikelihoodLoss": [(A34, ["const lbl: i64[3] = [1, 0, 3]"], "negativeloglikelihoodloss(a, lbl)"),
                                  ([P("a", [2, 3, 2])], ["const lbl: i64[2, 2] = [[2, 0], [1, 1]]",
                                                        "const wt: f64[3] = [0.5, 1.0, 2.0]"],
                                   'negativeloglikelihoodloss(a, lbl, wt, reduction="none")')]
    + [([P("a", [3, 4, 2]), P("wt", [4], 0.5, 2.0)], ["const lbl: i64[3, 2] = [[1, 0], [3, 2], [2, 1]]"],
        'negativeloglikelihoodloss(a, lbl, wt, reduction="%s"%s)' % (red, ig))
       for red in ("mean", "sum", "none") for ig in ("", ", ignore_index=2")]
    + [([P("a", [3, 4])], ["const lbl: i64[3] = [1, 0, 3]", "const wt: f64[4] = [0.5, 1.0, 2.0, 1.5]"],
        'negativeloglikelihoodloss(a, lbl, wt, ignore_index=0)')],
    "ReduceMean": [U("reducemean(a, [1], keepdims=0)"), U("reducemean(a)")],
    "ReduceSum": [U("reducesum(a, [0], keepdims=1)"), U("reducesum(a, keepdims=0)")],
    "ReduceSumSquare": [U("reducesumsquare(a, [1])")],
    "ReduceL1": [U("reducel1(a, [1], keepdims=0)")],
    "ReduceL2": [U("reducel2(a, [0])")],
    "ReduceLogSum": [U("reducelogsum(a, [1])", POS)],
    "ReduceLogSumExp": [U("reducelogsumexp(a, [1], keepdims=0)")],
}

# Ops whose rule belongs to their training form (a dlcc helper op, which the
# walk over ops.def skips): checked always.
TRAIN_FORMS = {
    "BatchNormalization": [([P("a", [4, 3, 2, 2]), P("s", [3]), P("b", [3])],
                            ["const rm: f64[3] = zeros", "const rv: f64[3] = ones",
                             "const cw: f64[4, 3, 2, 2] = uniform(-1, 1, seed=79)"],
                            "batchnormalization(a, s, b, rm, rv) * cw"),
                           ([P("a", [5, 3]), P("s", [3]), P("b", [3])],
                            ["const rm: f64[3] = [0.1, 0.2, 0.3]", "const rv: f64[3] = [1.0, 2.0, 0.5]",
                             "const cw: f64[5, 3] = uniform(-1, 1, seed=79)"],
                            "batchnormalization(a, s, b, rm, rv, epsilon=0.001, momentum=0.8) * cw")],
}

# Ops whose outputs are several values: y is the sum of their squares.
MULTI = {"Split": 2}

# Cases of ops with several outputs, all of them in the loss.
MULTI_CASES = {
    # the log_prob output of SoftmaxCrossEntropyLoss carries gradient too
    "SoftmaxCrossEntropyLoss": [([P("a", [3, 4, 2]), P("wt", [4], 0.5, 2.0)],
                                 ["const lbl: i64[3, 2] = [[1, 0], [3, 2], [2, 1]]"],
                                 'softmaxcrossentropyloss(a, lbl, wt, ignore_index=3)')],
}


def merge_case_files():
    """Merges the CASES of every tests/grad/cases_*.py (cases kept with the
    operator families that own them) into CASES."""
    sys.path.insert(0, HERE)
    for fn in sorted(os.listdir(HERE)):
        if fn.startswith("cases_") and fn.endswith(".py"):
            mod = __import__(fn[:-3])
            for name, cases in getattr(mod, "CASES", {}).items():
                CASES.setdefault(name, []).extend(cases)


def op_rows():
    rows = []
    for fn in sorted(os.listdir(os.path.join(ROOT, "ir"))):
        if not (fn.startswith("ops_") and fn.endswith(".def")):
            continue
        text = open(os.path.join(ROOT, "ir", fn)).read()
        for m in re.finditer(r'^OP\(\s*(\w+)\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,([^\n]*)', text, re.M):
            fields = [f.strip() for f in m.group(4).split(",")]
            grad = fields[6] if len(fields) > 6 else "grad_none"
            rows.append((m.group(2), m.group(3), grad))
    return rows


def model_text(params, decls, expr, opname, seed0, k=None):
    lines = ["model g {"]
    for i, (name, dims, lo, hi) in enumerate(params):
        lines.append("  param %s: f64[%s] = uniform(%r, %r, seed=%d)" % (name, ", ".join(map(str, dims)), lo, hi,
                                                                        seed0 + i))
    lines += ["  " + d for d in decls]
    k = k or MULTI.get(opname, 1)
    if k == 1:
        lines.append("  y = %s" % expr)
        lines.append("  output l = reducesum(y * y + y, keepdims=0)")
    else:
        outs = ["y%d" % j for j in range(k)]
        lines.append("  %s = %s" % (", ".join(outs), expr))
        lines.append("  output l = " + " + ".join("reducesum(%s * %s + %s * %d, keepdims=0)" % (o, o, o, j + 1)
                                                   for j, o in enumerate(outs)))
    lines += ["}", "train g {", "  loss = l", "  optimizer = sgd(lr=1)", "}", ""]
    return "\n".join(lines)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def check(opname, idx, case, dlcc, work, verbose, k=None):
    d = os.path.join(work, "%s_%s%d" % (opname, "multi" if k else "", idx))
    os.makedirs(d, exist_ok=True)
    text = model_text(*case, opname, 10 + 7 * idx, k)
    with open(os.path.join(d, "g.dl"), "w") as f:
        f.write(text)
    rc, out = run([dlcc, os.path.join(d, "g.dl"), "-o", os.path.join(d, "net.c"), "--name", "net"])
    if rc:
        return "dlcc: " + out.strip()[-600:]
    exe = os.path.join(d, "check")
    rc, out = run(["cc", "-std=c11", "-O1", "-I", d, os.path.join(d, "net.c"),
                   os.path.join(HERE, "gradcheck_harness.c"), "-lm", "-o", exe])
    if rc:
        return "cc: " + out.strip()[-600:]
    rc, out = run([exe])
    if verbose:
        print(out.rstrip())
    return None if rc == 0 else out.strip()[-800:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("-k", default=None, help="only this op (ONNX name)")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    merge_case_files()
    work = args.work or tempfile.mkdtemp(prefix="dlcc-gradcheck-")
    dlcc = os.path.abspath(args.dlcc)
    n_ok = n_fail = 0
    rows = op_rows() + [(name, "", "(training form)") for name in TRAIN_FORMS]
    for name, domain, grad in rows:
        if grad in ("grad_none", "grad_zero") or domain == "dlcc":
            continue
        if args.k and args.k.lower() != name.lower():
            continue
        cases = CASES.get(name) or TRAIN_FORMS.get(name)
        if not cases:
            print("FAIL %s: has rule %s but no gradcheck case" % (name, grad))
            n_fail += 1
            continue
        for i, case in enumerate(cases):
            err = check(name, i, case, dlcc, work, args.v)
            print("%-4s %s #%d %s" % ("ok" if not err else "FAIL", name, i, case[2]))
            if err:
                print("     " + err.replace("\n", "\n     "))
                n_fail += 1
            else:
                n_ok += 1
        for i, case in enumerate(MULTI_CASES.get(name, [])):
            err = check(name, i, case, dlcc, work, args.v, 2)
            print("%-4s %s #m%d %s (all outputs)" % ("ok" if not err else "FAIL", name, i, case[2]))
            if err:
                print("     " + err.replace("\n", "\n     "))
                n_fail += 1
            else:
                n_ok += 1
    print("gradcheck: %d passed, %d failed" % (n_ok, n_fail))
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
