#!/usr/bin/python3
"""train_ref.py: training trajectories of dlcc-generated C against PyTorch.

Each case is a .dl model with a train block and the same model written with
torch.  The case is compiled with dlcc (--name net), built with
tests/grad/train_harness.c, and run for STEPS steps on fixed data; the
harness writes the initial parameters (from net_init), the losses and the
final parameters.  PyTorch starts from the same initial parameters, runs
the same optimizer (torch.optim, same hyperparameters) and the results are
compared: loss relative error < 1e-4 at every step, parameters within
rtol 1e-3 / atol 1e-5, and net_run after training against the torch
forward with the trained parameters.

    scripts/train_ref.py --dlcc build/dlcc [--work DIR] [-k SUBSTRING] [-v]

Exit status 0 when every case passes.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

STEPS = 20
HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "..", "tests", "grad", "train_harness.c")

# ---------------------------------------------------------------- models

MLP = """
model m {
  input x: f32[8, 10]
  param w1: f32[10, 16] = uniform(-0.3, 0.3, seed=1)
  param b1: f32[16] = uniform(-0.1, 0.1, seed=2)
  param w2: f32[16, 4] = uniform(-0.3, 0.3, seed=3)
  param b2: f32[4] = uniform(-0.1, 0.1, seed=4)
  h = relu(x @ w1 + b1)
  output logits = h @ w2 + b2
}
train m {
  input label: i64[8]
  loss = cross_entropy(logits, label)
  optimizer = OPT
  CLIP
}
"""


def mlp_forward(p, x):
    return F.relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]


def mlp_loss(p, x, y):
    return F.cross_entropy(mlp_forward(p, x), y)


REG = """
model m {
  input x: f32[8, 5]
  param w1: f32[5, 7] = uniform(-0.5, 0.5, seed=1)
  param b1: f32[7] = zeros
  param w2: f32[7, 3] = uniform(-0.5, 0.5, seed=3)
  h = tanh(x @ w1 + b1)
  g = sigmoid(h @ w2)
  output y = g * 2 - 1
}
train m {
  input t: f32[8, 3]
  loss = LOSS(y, t)
  optimizer = sgd(lr=0.5)
}
"""


def reg_forward(p, x):
    h = torch.tanh(x @ p["w1"] + p["b1"])
    return torch.sigmoid(h @ p["w2"]) * 2 - 1


BIN = """
model m {
  input x: f32[8, 5]
  param w1: f32[5, 6] = uniform(-0.5, 0.5, seed=1)
  param b1: f32[6] = uniform(-0.1, 0.1, seed=2)
  param w2: f32[6, 2] = uniform(-0.5, 0.5, seed=3)
  h = leakyrelu(x @ w1 + b1, alpha=0.1)
  z = h @ w2
  output p = sigmoid(z)
}
train m {
  input t: f32[8, 2]
  loss = LOSS
  optimizer = adam(lr=0.05)
}
"""


def bin_forward(p, x):
    h = F.leaky_relu(x @ p["w1"] + p["b1"], 0.1)
    return h @ p["w2"]


# ---------------------------------------------------------------- cases

def opt_case(name, dl_opt, torch_opt, clip=None):
    dl = MLP.replace("OPT", dl_opt).replace("CLIP", "clip_grad_norm = %g" % clip if clip else "")
    return dict(name=name, dl=dl, params=["w1", "b1", "w2", "b2"], loss=mlp_loss, forward=mlp_forward,
                opt=torch_opt, clip=clip,
                data=lambda rng: ([rng.standard_normal((8, 10)).astype(np.float32)],
                                  [rng.integers(0, 4, 8).astype(np.int64)]))


O = torch.optim
CASES = [
    opt_case("sgd", "sgd(lr=0.1)", lambda ps: O.SGD(ps, lr=0.1)),
    opt_case("sgd_momentum", "sgd(lr=0.1, momentum=0.9)", lambda ps: O.SGD(ps, lr=0.1, momentum=0.9)),
    opt_case("sgd_momentum_dampening_wd", "sgd(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)",
             lambda ps: O.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    opt_case("momentum_default", "momentum(lr=0.05)", lambda ps: O.SGD(ps, lr=0.05, momentum=0.9)),
    opt_case("nesterov", "nesterov(lr=0.05, weight_decay=0.001)",
             lambda ps: O.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001)),
    opt_case("adagrad", "adagrad(lr=0.1)", lambda ps: O.Adagrad(ps, lr=0.1)),
    opt_case("adagrad_full", "adagrad(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1)",
             lambda ps: O.Adagrad(ps, lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1)),
    opt_case("rmsprop", "rmsprop(lr=0.01)", lambda ps: O.RMSprop(ps, lr=0.01)),
    opt_case("rmsprop_full", "rmsprop(lr=0.005, alpha=0.9, momentum=0.5, centered=true, weight_decay=0.01)",
             lambda ps: O.RMSprop(ps, lr=0.005, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
    opt_case("adadelta", "adadelta()", lambda ps: O.Adadelta(ps)),
    opt_case("adadelta_full", "adadelta(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01)",
             lambda ps: O.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.01)),
    opt_case("adam", "adam(lr=0.01)", lambda ps: O.Adam(ps, lr=0.01)),
    opt_case("adam_full", "adam(lr=0.01, betas=[0.8, 0.99], eps=1e-6, weight_decay=0.01, amsgrad=true)",
             lambda ps: O.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01, amsgrad=True)),
    opt_case("adamw", "adamw(lr=0.01)", lambda ps: O.AdamW(ps, lr=0.01)),
    opt_case("adamw_amsgrad", "adamw(lr=0.01, weight_decay=0.1, amsgrad=true)",
             lambda ps: O.AdamW(ps, lr=0.01, weight_decay=0.1, amsgrad=True)),
    opt_case("clip_sgd", "sgd(lr=0.5)", lambda ps: O.SGD(ps, lr=0.5), clip=0.3),
]


def reg_case(loss_name, torch_loss):
    return dict(name="loss_" + loss_name, dl=REG.replace("LOSS", loss_name), params=["w1", "b1", "w2"],
                loss=lambda p, x, t: torch_loss(reg_forward(p, x), t), forward=reg_forward,
                opt=lambda ps: O.SGD(ps, lr=0.5), clip=None,
                data=lambda rng: ([rng.standard_normal((8, 5)).astype(np.float32)],
                                  [rng.uniform(-1, 1, (8, 3)).astype(np.float32)]))


CASES += [reg_case("mse", F.mse_loss), reg_case("mae", F.l1_loss)]


def bin_case(name, dl_loss, torch_loss):
    return dict(name="loss_" + name, dl=BIN.replace("LOSS", dl_loss), params=["w1", "b1", "w2"],
                loss=lambda p, x, t: torch_loss(bin_forward(p, x), t),
                forward=lambda p, x: torch.sigmoid(bin_forward(p, x)),
                opt=lambda ps: O.Adam(ps, lr=0.05), clip=None,
                data=lambda rng: ([rng.standard_normal((8, 5)).astype(np.float32)],
                                  [(rng.uniform(0, 1, (8, 2)) > 0.5).astype(np.float32)]))


CASES += [
    bin_case("bce", "bce(p, t)", lambda z, t: F.binary_cross_entropy(torch.sigmoid(z), t)),
    bin_case("bce_with_logits", "bce_with_logits(z, t)", F.binary_cross_entropy_with_logits),
]

NLL = MLP.replace("loss = cross_entropy(logits, label)", "loss = nll(logsoftmax(logits, axis=1), label)")
CASES.append(dict(opt_case("loss_nll", "sgd(lr=0.1)", lambda ps: O.SGD(ps, lr=0.1)), dl=NLL.replace(
    "OPT", "sgd(lr=0.1)").replace("CLIP", "")))


def onnx_mlp_case():
    """ONNX: --train --loss cross_entropy --optimizer adam:... on a torch export."""
    def export(path):
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
        torch.onnx.export(m, torch.zeros(8, 10), path, input_names=["x"], output_names=["logits"], opset_version=13)
    params = {"0.weight": (16, 10), "0.bias": (16,), "2.weight": (4, 16), "2.bias": (4,)}

    def forward(p, x):
        return F.relu(x @ p["0.weight"].T + p["0.bias"]) @ p["2.weight"].T + p["2.bias"]
    return dict(name="onnx_mlp_adam_wd", onnx=export, shapes=params, params=list(params),
                flags=["--train", "--loss", "cross_entropy", "--optimizer", "adam:lr=0.01,weight_decay=0.01"],
                loss=lambda p, x, y: F.cross_entropy(forward(p, x), y), forward=forward,
                opt=lambda ps: O.Adam(ps, lr=0.01, weight_decay=0.01), clip=None,
                data=lambda rng: ([rng.standard_normal((8, 10)).astype(np.float32)],
                                  [rng.integers(0, 4, 8).astype(np.int64)]))


CASES.append(onnx_mlp_case())

CNN = """
model m {
  input x: f32[8, 1, 8, 8]
  param w1: f32[6, 1, 3, 3] = uniform(-0.3, 0.3, seed=1)
  param b1: f32[6] = uniform(-0.1, 0.1, seed=2)
  param g1: f32[6] = uniform(0.5, 1.5, seed=5)
  param be1: f32[6] = uniform(-0.1, 0.1, seed=6)
  const rm1: f32[6] = zeros
  const rv1: f32[6] = ones
  param w2: f32[8, 3, 3, 3] = uniform(-0.2, 0.2, seed=3)
  param w3: f32[32, 4] = uniform(-0.2, 0.2, seed=4)
  param b3: f32[4] = zeros
  h1 = relu(batchnormalization(conv(x, w1, b1, pads=[1, 1, 1, 1]), g1, be1, rm1, rv1))
  p1 = maxpool(h1, kernel_shape=[2, 2], strides=[2, 2])
  h2 = relu(conv(p1, w2, group=2, pads=[1, 1, 1, 1]))
  p2 = averagepool(h2, kernel_shape=[2, 2], strides=[2, 2])
  output logits = flatten(p2) @ w3 + b3
}
train m {
  input label: i64[8]
  loss = cross_entropy(logits, label)
  optimizer = sgd(lr=0.05, momentum=0.9)
}
"""


def cnn_case():
    """Conv (f32 GEMM kernels), batch norm with running statistics, pools."""
    st = {"rm": torch.zeros(6), "rv": torch.ones(6)}

    def forward(p, x, training=False):
        h = F.conv2d(x, p["w1"], p["b1"], padding=1)
        h = F.relu(F.batch_norm(h, st["rm"], st["rv"], p["g1"], p["be1"], training=training, momentum=0.1, eps=1e-5))
        h = F.max_pool2d(h, 2, 2)
        h = F.relu(F.conv2d(h, p["w2"], None, padding=1, groups=2))
        h = F.avg_pool2d(h, 2, 2)
        return h.flatten(1) @ p["w3"] + p["b3"]
    return dict(name="cnn_bn", dl=CNN, params=["w1", "b1", "g1", "be1", "w2", "w3", "b3"],
                loss=lambda p, x, y: F.cross_entropy(forward(p, x, True), y), forward=forward,
                opt=lambda ps: O.SGD(ps, lr=0.05, momentum=0.9), clip=None,
                data=lambda rng: ([rng.standard_normal((8, 1, 8, 8)).astype(np.float32)],
                                  [rng.integers(0, 4, 8).astype(np.int64)]))


CASES.append(cnn_case())

# ---------------------------------------------------------------- running


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stdout[-3000:]))
    return r.stdout


def run_case(case, dlcc, work, verbose):
    d = os.path.join(work, case["name"])
    os.makedirs(d, exist_ok=True)
    if "onnx" in case:
        case["onnx"](os.path.join(d, "m.onnx"))
        run([dlcc, os.path.join(d, "m.onnx"), "-o", os.path.join(d, "net.c"), "--name", "net"] + case["flags"])
    else:
        with open(os.path.join(d, "m.dl"), "w") as f:
            f.write(case["dl"])
        run([dlcc, os.path.join(d, "m.dl"), "-o", os.path.join(d, "net.c"), "--name", "net"])
    exe = os.path.join(d, "harness")
    run(["cc", "-std=c11", "-O1", "-I", d, os.path.join(d, "net.c"), HARNESS, "-lm", "-o", exe])
    rng = np.random.default_rng(1234)
    inputs, targets = case["data"](rng)
    files = []
    for i, a in enumerate(inputs + targets):
        fn = os.path.join(d, "t%d.bin" % i)
        a.tofile(fn)
        files.append(fn)
    out = os.path.join(d, "out.bin")
    run([exe, str(STEPS)] + files + [out])
    raw = np.fromfile(out, dtype=np.uint8)

    # Parse: initial params, losses, final params, output 0.
    names = case["params"]
    # shapes come from torch-side knowledge: read them from the .dl declarations
    shapes = dict(case.get("shapes", {}))
    for line in case.get("dl", "").splitlines():
        line = line.strip()
        if line.startswith("param "):
            nm = line.split()[1].rstrip(":")
            dims = line.split("[")[1].split("]")[0]
            shapes[nm] = tuple(int(s) for s in dims.split(",")) if dims.strip() else ()
    off = 0

    def take(n):
        nonlocal off
        a = raw[off:off + 4 * n].view(np.float32)
        off += 4 * n
        return a

    init = {n: take(int(np.prod(shapes[n]))).reshape(shapes[n]).copy() for n in names}
    losses = take(STEPS).copy()
    final = {n: take(int(np.prod(shapes[n]))).reshape(shapes[n]).copy() for n in names}
    out0 = raw[off:].view(np.float32).copy()

    p = {n: torch.tensor(init[n], requires_grad=True) for n in names}
    opt = case["opt"]([p[n] for n in names])
    xs = [torch.tensor(a) for a in inputs]
    ts = [torch.tensor(a) for a in targets]
    ref_losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = case["loss"](p, *xs, *ts)
        loss.backward()
        if case["clip"]:
            torch.nn.utils.clip_grad_norm_([p[n] for n in names], case["clip"])
        opt.step()
        ref_losses.append(loss.item())
    ref_losses = np.array(ref_losses, dtype=np.float64)
    errs = []
    rel = np.abs(losses - ref_losses) / np.maximum(np.abs(ref_losses), 1e-12)
    if rel.max() >= 1e-4:
        errs.append("loss rel err %.3g at step %d (dlcc %.8g torch %.8g)" % (
            rel.max(), rel.argmax(), losses[rel.argmax()], ref_losses[rel.argmax()]))
    for n in names:
        ref = p[n].detach().numpy()
        if not np.allclose(final[n], ref, rtol=1e-3, atol=1e-5):
            errs.append("param %s max abs diff %.3g" % (n, np.abs(final[n] - ref).max()))
    with torch.no_grad():
        ref_out = case["forward"](p, *xs).numpy().ravel()
    if out0.size != ref_out.size or not np.allclose(out0, ref_out, rtol=1e-3, atol=1e-4):
        errs.append("net_run after training differs from torch (max %.3g)" %
                    (np.abs(out0 - ref_out).max() if out0.size == ref_out.size else -1))
    if verbose:
        print("  losses dlcc  ", " ".join("%.6f" % v for v in losses[:5]), "...", "%.6f" % losses[-1])
        print("  losses torch ", " ".join("%.6f" % v for v in ref_losses[:5]), "...", "%.6f" % ref_losses[-1])
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("-k", default="")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="dlcc-train-")
    torch.set_num_threads(1)
    failed = 0
    n = 0
    for case in CASES:
        if args.k not in case["name"]:
            continue
        n += 1
        try:
            errs = run_case(case, os.path.abspath(args.dlcc), work, args.v)
        except Exception as ex:  # noqa: BLE001
            errs = [str(ex)]
        print("%-4s %s%s" % ("ok" if not errs else "FAIL", case["name"], "" if not errs else ": " + "; ".join(errs)))
        failed += bool(errs)
    print("train_ref: %d/%d cases match PyTorch over %d steps" % (n - failed, n, STEPS))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
