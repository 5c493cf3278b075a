#!/usr/bin/python3
"""model_grads.py: whole-model parameter gradients of dlcc against PyTorch.

For each model below, the .dl text (an example of examples/, or one written
here) is compiled as a training build with its optimizer replaced by
sgd(lr=1); tests/grad/model_grads_harness.c runs one net_train_step on fixed
inputs and writes every parameter's gradient (p_before - p_after) and the
parameter values before the step.  torch.autograd computes the gradients of
the same loss with the same arrays (f32); they must agree within
|dlcc - torch| <= 1e-4 + 1e-3 |torch| everywhere, and the losses too.

A model that dlcc cannot compile yet because a forward operator or a
gradient rule is missing is reported XFAIL with dlcc's exact message, only
when it is listed in XFAIL_ALLOWED (what it waits for); any other failure
fails the run.  A listed model that passes is reported as ok.

    tests/grad/model_grads.py --dlcc build/dlcc [--work DIR] [-k NAME] [-v]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import dl_examples_ref as ex  # noqa: E402

ATOL, RTOL = 1e-4, 1e-3
N = ex.BATCH

# model -> what its failure to compile may legitimately be waiting for
XFAIL_ALLOWED = {
}


def sgd1(text):
    return re.sub(r"(?m)^(\s*optimizer\s*=\s*).*$", r"\1sgd(lr=1)", text)


# ---------------------------------------------------------------- recurrent models (16 steps)

T16 = 16


def lstm16_text(train_form):
    call = ("seq, hT, cT, saved = dlcc.lstmtrain(x, w, r, b, _, h0, c0, hidden_size=5)" if train_form else
            "seq, hT, cT = lstm(x, w, r, b, _, h0, c0, hidden_size=5)")
    return """# LSTM over %d steps, then a classifier on the last hidden state.
model lstm16 {
  input  x: f32[%d, N, 4]
  input  h0: f32[1, N, 5]
  input  c0: f32[1, N, 5]
  param  w: f32[1, 20, 4]  = file("weights/lstm16/w.bin")
  param  r: f32[1, 20, 5]  = file("weights/lstm16/r.bin")
  param  b: f32[1, 40]     = file("weights/lstm16/b.bin")
  param  fc_w: f32[3, 5]   = file("weights/lstm16/fc_w.bin")
  param  fc_b: f32[3]      = file("weights/lstm16/fc_b.bin")
  %s
  output logits = gemm(squeeze(hT, [0]), fc_w, fc_b, transB=1)
}
train lstm16 {
  input label: i64[N]
  loss = cross_entropy(logits, label) + reducemean(cT * cT, keepdims=0) + reducemean(seq, keepdims=0)
  optimizer = sgd(lr=1)
}
""" % (T16, T16, call)


def gru16_text(train_form):
    call = ("seq, last, saved = dlcc.grutrain(x, w, r, b, hidden_size=4, direction=\"bidirectional\", "
            "linear_before_reset=1)" if train_form else
            "seq, last = gru(x, w, r, b, hidden_size=4, direction=\"bidirectional\", linear_before_reset=1)")
    return """# Bidirectional GRU (PyTorch's: linear_before_reset=1) over %d steps.
model gru16 {
  input  x: f32[%d, N, 3]
  param  w: f32[2, 12, 3]  = file("weights/gru16/w.bin")
  param  r: f32[2, 12, 4]  = file("weights/gru16/r.bin")
  param  b: f32[2, 24]     = file("weights/gru16/b.bin")
  param  fc_w: f32[8, 1]   = file("weights/gru16/fc_w.bin")
  param  fc_b: f32[1]      = file("weights/gru16/fc_b.bin")
  %s
  feat = flatten(transpose(last, perm=[1, 0, 2]), axis=1)
  output y = feat @ fc_w + fc_b
}
train gru16 {
  input target: f32[N, 1]
  loss = mse(y, target) + reducemean(seq * seq, keepdims=0)
  optimizer = sgd(lr=1)
}
""" % (T16, T16, call)


def gates(m, onnx_order, torch_order, hidden):
    blocks = {g: m[i * hidden:(i + 1) * hidden] for i, g in enumerate(onnx_order)}
    return torch.cat([blocks[g] for g in torch_order], 0)


def torch_lstm16(W, x, h0, c0, label):
    H, order = 5, (("i", "o", "f", "c"), ("i", "f", "c", "o"))
    flat = [gates(W["w"][0], *order, H), gates(W["r"][0], *order, H),
            gates(W["b"][0, :4 * H], *order, H), gates(W["b"][0, 4 * H:], *order, H)]
    seq, hT, cT = torch._VF.lstm(x, (h0, c0), flat, True, 1, 0.0, True, False, False)
    logits = F.linear(hT[0], W["fc_w"], W["fc_b"])
    return F.cross_entropy(logits, label) + (cT * cT).mean() + seq.mean()


def torch_gru16(W, x, target):
    H, order = 4, (("z", "r", "h"), ("r", "z", "h"))
    flat = []
    for d in range(2):
        flat += [gates(W["w"][d], *order, H), gates(W["r"][d], *order, H),
                 gates(W["b"][d, :3 * H], *order, H), gates(W["b"][d, 3 * H:], *order, H)]
    h0 = torch.zeros(2, x.shape[1], H)
    seq, last = torch._VF.gru(x, h0, flat, True, 1, 0.0, True, True, False)
    y = last.permute(1, 0, 2).reshape(x.shape[1], 2 * H) @ W["fc_w"] + W["fc_b"]
    return F.mse_loss(y, target) + (seq * seq).mean()


# ---------------------------------------------------------------- other references

def torch_transformer(W, tokens, next_tokens):
    T, D = 6, 8
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, D, 2, dtype=torch.float64) * (-np.log(10000.0) / D))
    pe = torch.zeros(T, D, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    causal = torch.triu(torch.full((T, T), -1e9), diagonal=1)
    x = F.embedding(tokens, W["emb"]) * 2.8284271247461903 + pe.float()
    n = x.shape[0]
    q = (x @ W["wq"] + W["bq"]).reshape(n, T, 2, 4).transpose(1, 2)
    k = (x @ W["wk"] + W["bk"]).reshape(n, T, 2, 4).permute(0, 2, 3, 1)
    v = (x @ W["wv"] + W["bv"]).reshape(n, T, 2, 4).transpose(1, 2)
    attn = torch.softmax(q @ k * 0.5 + causal, -1)
    ctx = (attn @ v).transpose(1, 2).reshape(n, T, 8)
    h1 = F.layer_norm(x + ctx @ W["wo"] + W["bo"], (8,), W["ln1_g"], W["ln1_b"], 1e-5)
    f = F.gelu(h1 @ W["w1"] + W["b1"]) @ W["w2"] + W["b2"]
    h = F.layer_norm(h1 + f, (8,), W["ln2_g"], W["ln2_b"], 1e-5)
    logits = h @ W["wout"] + W["bout"]
    return F.cross_entropy(logits.reshape(-1, 11), next_tokens.reshape(-1))


def with_bn_training(ref):
    def f(W, *args):
        ex.BN_TRAINING[0] = True
        try:
            return ref(W, *args)[1]
        finally:
            ex.BN_TRAINING[0] = False
    return f


def dcgan_generator_text():
    g = ex.Example("gan_generator").text
    d = ex.Example("gan_discriminator").text
    body_g = re.search(r"(?s)model gan_generator \{(.*?)\n\}", g).group(1)
    body_d = re.search(r"(?s)model gan_discriminator \{(.*?)\n\}", d).group(1)
    body_d = body_d.replace("input  image: f32[N, 1, 16, 16]", "")
    body_d = re.sub(r"\bfc_([wb])\b", r"dfc_\1", body_d)
    body_d = body_d.replace("output logit", "logit")
    body_g = body_g.replace("output image", "image")
    return ("# DCGAN generator step: the generator's loss through the discriminator.\nmodel dcgan_g {"
            + body_g + "\n" + body_d + "\n}\n"
            "train dcgan_g {\n  input real: f32[N, 1]\n  loss = bce_with_logits(logit, real)\n"
            "  optimizer = sgd(lr=1)\n}\n")


def torch_dcgan_generator(W, z, real):
    ex.BN_TRAINING[0] = True
    try:
        image = ex.ref_gan_generator(W, z)[0][0]
        Wd = dict(W)
        Wd["fc_w"], Wd["fc_b"] = W["dfc_w"], W["dfc_b"]
        return ex.ref_gan_discriminator(Wd, image, real)[1]
    finally:
        ex.BN_TRAINING[0] = False


# ---------------------------------------------------------------- class weights, tied extrema

WCE_TEXT = """# Weighted cross-entropy (ignore_index, mean over the weights used) and
# weighted NLL (sum) through the ONNX losses.
model wce {
  input  x: f32[N, 6]
  param  w: f32[6, 4]   = file("weights/wce/w.bin")
  param  b: f32[4]      = file("weights/wce/b.bin")
  const  cw_g: f32[4]   = file("weights/wce/cw_g.bin")
  output logits = x @ w + b
}
train wce {
  input label: i64[N]
  loss = softmaxcrossentropyloss(logits, label, cw_g, ignore_index=1) + negativeloglikelihoodloss(logsoftmax(logits, axis=1), label, cw_g, reduction="sum") * 0.1
  optimizer = sgd(lr=1)
}
"""


def torch_wce(W, x, label):
    logits = x @ W["w"] + W["b"]
    return (F.cross_entropy(logits, label, weight=W["cw_g"], ignore_index=1)
            + 0.1 * F.nll_loss(F.log_softmax(logits, 1), label, weight=W["cw_g"], reduction="sum"))


# Every row of h holds its maximum and minimum three times (torch.amax /
# amin split the gradient evenly among ties).
AMAX_TEXT = """# Tied extrema: ReduceMax / ReduceMin over three copies of the same values.
model amax_ties {
  input  x: f32[N, 5]
  param  w: f32[5, 3]   = file("weights/amax_ties/w.bin")
  z = x @ w
  h = concat(z, z, z, axis=1)
  output m = reducemax(h, [1], keepdims=0)
  output n = reducemin(h, axes=[1], keepdims=1)
}
train amax_ties {
  loss = reducemean(m * m, keepdims=0) + reducesum(n, keepdims=0) + reducemax(h, keepdims=0)
  optimizer = sgd(lr=1)
}
"""


def torch_amax_ties(W, x):
    z = x @ W["w"]
    h = torch.cat([z, z, z], 1)
    m = h.amax(1)
    return (m * m).mean() + h.amin(1, keepdim=True).sum() + h.amax()


# ---------------------------------------------------------------- the models

class Model:
    def __init__(self, name, text, weights, files, inputs, targets, loss_fn, xfail_key=None):
        self.name, self.text, self.weights, self.files = name, text, weights, files
        self.inputs, self.targets, self.loss_fn = inputs, targets, loss_fn
        self.xfail_key = xfail_key or name


def from_example(name, exname, loss_fn=None, text=None, xfail_key=None):
    e = ex.Example(exname)
    fn = loss_fn or (lambda W, *a: e.ref(W, *a)[1])
    return Model(name, text or sgd1(e.text), e.weights, e.files, e.inputs, e.targets, fn, xfail_key)


def own_model(name, text, inputs, targets, loss_fn, xfail_key=None):
    rng = np.random.default_rng(sum(ord(ch) * (i + 1) for i, ch in enumerate(name)))
    weights, files = {}, {}
    for kind, pname, dtype, dims, init, _ in ex.parse_decls(text):
        m = re.match(r'file\(\s*"([^"]+)"\s*\)', init)
        if kind in ("param", "const") and m:
            weights[pname] = ex.make_weight(rng, pname, dims).astype(ex.DTYPES[dtype])
            files[pname] = m.group(1)
    return Model(name, text, weights, files, inputs(rng), targets(rng), loss_fn, xfail_key)


def models():
    r = np.random.default_rng(5)
    f32, i64 = ex.f32, ex.i64
    ms = [
        from_example("mlp", "mlp"),
        from_example("cnn_bn", "vgg_block", with_bn_training(ex.ref_vgg_block)),
        own_model("lstm16", lstm16_text(False), lambda g: [f32(g, T16, N, 4), f32(g, 1, N, 5), f32(g, 1, N, 5)],
                  lambda g: [i64(g, 3, N)], torch_lstm16),
        own_model("lstm16_trainform", lstm16_text(True),
                  lambda g: [f32(g, T16, N, 4), f32(g, 1, N, 5), f32(g, 1, N, 5)],
                  lambda g: [i64(g, 3, N)], torch_lstm16),
        own_model("gru16", gru16_text(False), lambda g: [f32(g, T16, N, 3)], lambda g: [f32(g, N, 1)], torch_gru16),
        own_model("gru16_trainform", gru16_text(True), lambda g: [f32(g, T16, N, 3)], lambda g: [f32(g, N, 1)],
                  torch_gru16),
        from_example("transformer", "transformer", torch_transformer),
        from_example("vae", "vae"),
        from_example("dcgan_discriminator", "gan_discriminator", with_bn_training(ex.ref_gan_discriminator)),
        from_example("word2vec", "word2vec"),
        own_model("weighted_ce", WCE_TEXT, lambda g: [f32(g, N, 6)], lambda g: [i64(g, 4, N)], torch_wce),
        own_model("amax_ties", AMAX_TEXT, lambda g: [f32(g, N, 5)], lambda g: [], torch_amax_ties),
    ]
    # generator step: weights of both examples, discriminator's fc renamed
    gen, dis = ex.Example("gan_generator"), ex.Example("gan_discriminator")
    w = dict(gen.weights)
    files = dict(gen.files)
    for k, v in dis.weights.items():
        kk = "d" + k if k.startswith("fc_") else k
        w[kk] = v
        files[kk] = dis.files[k].replace("/fc_", "/dfc_")
    ms.append(Model("dcgan_generator", dcgan_generator_text(), w, files, [f32(r, N, 16)],
                    [np.ones((N, 1), np.float32)], torch_dcgan_generator))
    return ms


# ---------------------------------------------------------------- running

def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    return p.returncode, p.stdout


def check(m, dlcc, work, verbose):
    """None when the gradients match; ('xfail', msg) or ('fail', msg)."""
    d = os.path.join(work, m.name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, m.name + ".dl"), "w") as f:
        f.write(m.text)
    for pname, rel in m.files.items():
        path = os.path.join(d, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        m.weights[pname].tofile(path)
    for k, a in enumerate(m.inputs):
        a.tofile(os.path.join(d, "in_%d.bin" % k))
    for k, a in enumerate(m.targets):
        a.tofile(os.path.join(d, "target_%d.bin" % k))
    rc, out = run([dlcc, os.path.join(d, m.name + ".dl"), "--dim", "N=%d" % N, "-o", os.path.join(d, "net.c"),
                   "--name", "net"])
    if rc:
        msg = out.strip()
        if m.xfail_key in XFAIL_ALLOWED and ("no gradient rule" in msg or "unknown operator" in msg.lower()
                                             or "not supported" in msg):
            return ("xfail", "waits for %s; dlcc says:\n%s" % (XFAIL_ALLOWED[m.xfail_key], msg[-1200:]))
        return ("fail", "dlcc: " + msg[-1500:])
    exe = os.path.join(d, "harness")
    rc, out = run(["cc", "-std=c11", "-O1", "-I", d, os.path.join(d, "net.c"),
                   os.path.join(HERE, "model_grads_harness.c"), "-lm", "-o", exe])
    if rc:
        return ("fail", "cc: " + out.strip()[-1500:])
    rc, out = run([exe, d])
    if rc:
        return ("fail", "harness: " + out.strip()[-1500:])
    names = [ln.split()[2] for ln in out.splitlines() if ln.startswith("param ")]
    decl = {n: (dt, dims) for k, n, dt, dims, _, _ in ex.parse_decls(m.text) if k == "param"}
    W, grads = {}, {}
    for n, a in m.weights.items():
        W[n] = torch.from_numpy(a.copy())
    for k, n in enumerate(names):
        dt, dims = decl[n]
        W[n] = torch.from_numpy(np.fromfile(os.path.join(d, "param_%d.bin" % k), ex.DTYPES[dt]).reshape(dims))
        grads[n] = np.fromfile(os.path.join(d, "grad_%d.bin" % k), ex.DTYPES[dt]).reshape(dims)
    for n in names:
        W[n].requires_grad_(True)
    args = [torch.from_numpy(a) for a in m.inputs + m.targets]
    loss = m.loss_fn(W, *args)
    loss.backward()
    errs = []
    dl_loss = float(np.fromfile(os.path.join(d, "loss_0.bin"), np.float32)[0])
    if not abs(dl_loss - loss.item()) <= ATOL + RTOL * abs(loss.item()):
        errs.append("loss: dlcc %.8g torch %.8g" % (dl_loss, loss.item()))
    worst = 0.0
    for n in names:
        tg = W[n].grad
        tg = np.zeros(grads[n].shape, np.float32) if tg is None else tg.numpy()
        diff = np.abs(grads[n].astype(np.float64) - tg)
        bad = diff > ATOL + RTOL * np.abs(tg)
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
        if bad.any():
            i = np.unravel_index(np.argmax(diff - (ATOL + RTOL * np.abs(tg))), diff.shape)
            errs.append("d%s: %d of %d elements differ; worst at %s: dlcc %.8g torch %.8g" %
                        (n, int(bad.sum()), bad.size, list(i), grads[n][i], tg[i]))
    if verbose:
        print("     %d params, loss %.6g, max |diff| %.3g" % (len(names), dl_loss, worst))
    return ("fail", "\n".join(errs)) if errs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("-k", default=None, help="only models whose name contains this")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    torch.manual_seed(0)
    work = a.work or tempfile.mkdtemp(prefix="dlcc-model-grads-")
    dlcc = os.path.abspath(a.dlcc)
    counts = {"ok": 0, "XFAIL": 0, "FAIL": 0}
    for m in models():
        if a.k and a.k not in m.name:
            continue
        res = check(m, dlcc, work, a.v)
        tag = "ok" if res is None else "XFAIL" if res[0] == "xfail" else "FAIL"
        counts[tag] += 1
        print("%-5s %s" % (tag, m.name))
        if res:
            print("      " + res[1].replace("\n", "\n      "))
    print("model_grads: %d ok, %d xfail, %d failed" % (counts["ok"], counts["XFAIL"], counts["FAIL"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
