#!/usr/bin/python3
"""PyTorch references for the hand-written models of examples/*.dl.

Each example's parameters are read by the .dl file from raw f32 files,
`file("weights/NAME/PARAM.bin")`, relative to the .dl file.  This script
makes those files (random, fixed seed, shapes taken from the .dl
declarations), the inputs and training targets, and the outputs (and training
loss) that PyTorch computes with the very same arrays.  examples/mlp.dl is the
exception: it keeps its random initializers (he_normal(seed=1) ...), and its
reference uses the parameter values that the generated code reports through
net_param() in a training build.

Used by tests/models/dl_examples.py (the ctest runner), or by hand:

    /usr/bin/python3 scripts/dl_examples_ref.py --out DIR [NAME ...]

writes DIR/NAME.dl (a copy), DIR/weights/NAME/*.bin, and DIR/NAME/in_K.bin,
target_K.bin, expected_K.bin, expected_loss.bin; then
`dlcc DIR/NAME.dl --dim N=2 -o net.c --name net` compiles the example.
Needs Debian's python3-torch and python3-numpy (only /usr/bin/python3 sees
them).  The symbolic batch dimension N is 2 in every example.
"""
import argparse
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
BATCH = 2

DTYPES = {"f32": np.float32, "f64": np.float64, "i64": np.int64, "i32": np.int32,
          "u8": np.uint8, "bool": np.uint8}

DECL_RE = re.compile(r"^\s*(param|const|input)\s+(\w+)\s*:\s*(\w+)\s*\[([^\]]*)\]\s*(?:=\s*(.*))?$")


def parse_decls(text):
    """[(kind, name, dtype, dims, init, block)] for the declarations of a .dl
    file, block being 'model' or 'train'.  Symbolic dims become BATCH."""
    decls, block = [], None
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        m = re.match(r"^\s*(model|train)\s+\w+\s*\{", line)
        if m:
            block = m.group(1)
            continue
        m = DECL_RE.match(line)
        if not m:
            continue
        dims = []
        for d in m.group(4).split(","):
            d = d.strip()
            if d:
                dims.append(int(d) if d.lstrip("-").isdigit() else BATCH)
        decls.append((m.group(1), m.group(2), m.group(3), dims, (m.group(5) or "").strip(), block))
    return decls


def strip_train(text):
    """The .dl text without its train blocks: an inference-only model."""
    return re.sub(r"(?ms)^train\s+\w+\s*\{.*?^\}\s*$", "", text)


def make_weight(rng, name, shape):
    """A well-scaled random array for a parameter, chosen by its name:
    batch-norm scale (*_g) and variance (*_v) near 1, mean (*_m) and rank-1
    biases small, matrices and kernels Xavier-normal."""
    shape = tuple(shape)
    if name.endswith("_g"):
        return rng.uniform(0.5, 1.5, shape)
    if name.endswith("_v"):
        return rng.uniform(0.5, 1.5, shape)
    if name.endswith("_m"):
        return rng.normal(0.0, 0.1, shape)
    if len(shape) <= 1:
        return rng.uniform(-0.2, 0.2, shape)
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    std = math.sqrt(2.0 / ((shape[0] + shape[1]) * receptive))
    return rng.normal(0.0, std, shape)


# ---------------------------------------------------------------- references
# Each reference gets W (name -> torch tensor, parameters and consts), the
# inputs and the targets (torch tensors, in declaration order) and returns the
# outputs in the order of the `output` statements and the training loss (None
# when the example has no train block).

def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


# In a training build BatchNormalization normalizes with the batch statistics
# (PyTorch's train mode); the loss reference is computed that way, the
# outputs of net_run with the running statistics (eval mode).
BN_TRAINING = [False]


def bn(x, W, p):
    return F.batch_norm(x, W[p + "_m"].clone(), W[p + "_v"].clone(), W[p + "_g"], W[p + "_b"],
                        training=BN_TRAINING[0], eps=1e-5)


def ref_mlp(W, x, label):
    h = torch.relu(x @ W["w1"] + W["b1"])
    logits = h @ W["w2"] + W["b2"]
    return [torch.softmax(logits, -1)], F.cross_entropy(logits, label)


def ref_lenet5(W, x, label):
    c1 = torch.relu(F.conv2d(x, W["c1_w"], W["c1_b"], padding=2))
    s2 = F.avg_pool2d(c1, 2)
    c3 = torch.relu(F.conv2d(s2, W["c3_w"], W["c3_b"]))
    s4 = F.avg_pool2d(c3, 2).flatten(1)
    f5 = torch.relu(F.linear(s4, W["f5_w"], W["f5_b"]))
    f6 = torch.relu(F.linear(f5, W["f6_w"], W["f6_b"]))
    logits = F.linear(f6, W["out_w"], W["out_b"])
    return [logits], F.cross_entropy(logits, label)


def ref_alexnet(W, x, label):
    h = F.max_pool2d(torch.relu(F.conv2d(x, W["c1_w"], W["c1_b"], padding=2)), 3, 2)
    h = F.max_pool2d(torch.relu(F.conv2d(h, W["c2_w"], W["c2_b"], padding=1)), 3, 2)
    h = torch.relu(F.conv2d(h, W["c3_w"], W["c3_b"], padding=1))
    h = torch.relu(F.conv2d(h, W["c4_w"], W["c4_b"], padding=1))
    h = F.max_pool2d(torch.relu(F.conv2d(h, W["c5_w"], W["c5_b"], padding=1)), 3, 2)
    h = torch.relu(h.flatten(1) @ W["f6_w"] + W["f6_b"])
    h = torch.relu(h @ W["f7_w"] + W["f7_b"])
    logits = h @ W["f8_w"] + W["f8_b"]
    return [logits], F.cross_entropy(logits, label)


def ref_vgg_block(W, x, label):
    h = torch.relu(F.conv2d(x, W["c1_w"], W["c1_b"], padding=1))
    h = F.max_pool2d(torch.relu(F.conv2d(h, W["c2_w"], W["c2_b"], padding=1)), 2)
    h = torch.relu(bn(F.conv2d(h, W["c3_w"], padding=1), W, "bn3"))
    h = F.max_pool2d(torch.relu(bn(F.conv2d(h, W["c4_w"], padding=1), W, "bn4")), 2)
    logits = h.mean((2, 3)) @ W["fc_w"] + W["fc_b"]
    return [logits], F.cross_entropy(logits, label)


def ref_inception(W, x, label):
    def c(h, p, pad=0):
        return torch.relu(F.conv2d(h, W[p + "_w"], W[p + "_b"], padding=pad))
    br1 = c(x, "b1")
    br2 = c(c(x, "b2a"), "b2b", 1)
    br3 = c(c(x, "b3a"), "b3b", 2)
    br4 = c(F.max_pool2d(x, 3, 1, 1), "b4")
    y = torch.cat([br1, br2, br3, br4], 1)
    logits = y.mean((2, 3)) @ W["fc_w"] + W["fc_b"]
    return [y, logits], F.cross_entropy(logits, label)


def ref_resnet_block(W, x, label):
    ha = torch.relu(bn(F.conv2d(x, W["a1_w"], padding=1), W, "a1"))
    ya = torch.relu(bn(F.conv2d(ha, W["a2_w"], padding=1), W, "a2") + x)
    hb = torch.relu(bn(F.conv2d(ya, W["b1_w"], stride=2, padding=1), W, "b1"))
    rb = bn(F.conv2d(hb, W["b2_w"], padding=1), W, "b2")
    sb = bn(F.conv2d(ya, W["bs_w"], stride=2), W, "bs")
    y = torch.relu(rb + sb)
    logits = F.linear(y.mean((2, 3)), W["fc_w"], W["fc_b"])
    return [y, logits], F.cross_entropy(logits, label)


def ref_se_block(W, x, target):
    u = torch.relu(F.conv2d(x, W["c_w"], W["c_b"], padding=1))
    s = u.mean((2, 3))
    e = torch.relu(F.linear(s, W["fc1_w"], W["fc1_b"]))
    w = torch.sigmoid(F.linear(e, W["fc2_w"], W["fc2_b"]))
    y = torch.relu(u * w[:, :, None, None] + x)
    return [w, y], F.mse_loss(y, target)


def ref_densenet_block(W, x, target):
    feats = x
    for p in ("l1", "l2", "l3"):
        n = F.conv2d(torch.relu(bn(feats, W, p)), W[p + "_w"], padding=1)
        feats = torch.cat([feats, n], 1)
    tr = F.conv2d(torch.relu(bn(feats, W, "t")), W["t_w"])
    y = F.avg_pool2d(tr, 2)
    return [y], F.mse_loss(y, target)


def ref_unet(W, x, target):
    def c(h, p):
        return torch.relu(F.conv2d(h, W[p + "_w"], W[p + "_b"], padding=1))
    e1 = c(x, "e1")
    e2 = c(F.max_pool2d(e1, 2), "e2")
    m = c(F.max_pool2d(e2, 2), "m")
    u2 = F.conv_transpose2d(m, W["u2_w"], W["u2_b"], stride=2)
    d2 = c(torch.cat([u2, e2], 1), "d2")
    u1 = F.conv_transpose2d(d2, W["u1_w"], W["u1_b"], stride=2)
    d1 = c(torch.cat([u1, e1], 1), "d1")
    mask = torch.sigmoid(F.conv2d(d1, W["o_w"], W["o_b"]))
    return [mask], F.binary_cross_entropy(mask, target)


def ref_dilated_conv(W, x, s, target):
    h = torch.relu(F.conv2d(x, W["d1_w"], W["d1_b"], padding=1))
    h = torch.relu(F.conv2d(h, W["d2_w"], W["d2_b"], padding=2, dilation=2))
    h = torch.relu(F.conv2d(h, W["d4_w"], W["d4_b"], padding=4, dilation=4))
    y = F.conv2d(h, W["o_w"], W["o_b"])
    a = s
    for p, d in (("w1", 1), ("w2", 2), ("w4", 4)):
        a = torch.tanh(F.conv1d(F.pad(a, (d, 0)), W[p + "_w"], W[p + "_b"], dilation=d))
    return [y, a], F.mse_loss(y, target)


def ref_rnn(W, x, target):
    cell = torch.nn.RNN(3, 8)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(W["w"][0])
        cell.weight_hh_l0.copy_(W["r"][0])
        cell.bias_ih_l0.copy_(W["b"][0, :8])
        cell.bias_hh_l0.copy_(W["b"][0, 8:])
    seq, last = cell(x)
    y = last[0] @ W["fc_w"] + W["fc_b"]
    return [seq.unsqueeze(1), y], F.mse_loss(y, target)


def onnx_to_torch_gates(m, onnx_order, torch_order, hidden):
    """Rows of an ONNX gate-stacked matrix reordered into PyTorch's order."""
    blocks = {g: m[i * hidden:(i + 1) * hidden] for i, g in enumerate(onnx_order)}
    return torch.cat([blocks[g] for g in torch_order], 0)


def ref_lstm(W, x, h0, c0, label):
    H = 5
    cell = torch.nn.LSTM(4, H)
    order = ("i", "o", "f", "c"), ("i", "f", "c", "o")
    with torch.no_grad():
        cell.weight_ih_l0.copy_(onnx_to_torch_gates(W["w"][0], *order, H))
        cell.weight_hh_l0.copy_(onnx_to_torch_gates(W["r"][0], *order, H))
        cell.bias_ih_l0.copy_(onnx_to_torch_gates(W["b"][0, :4 * H], *order, H))
        cell.bias_hh_l0.copy_(onnx_to_torch_gates(W["b"][0, 4 * H:], *order, H))
    seq, (hT, cT) = cell(x, (h0, c0))
    logits = F.linear(hT[0], W["fc_w"], W["fc_b"])
    return [seq.unsqueeze(1), hT, cT, logits], F.cross_entropy(logits, label)


def ref_gru(W, x, target):
    H = 4
    cell = torch.nn.GRU(3, H, bidirectional=True)
    order = ("z", "r", "h"), ("r", "z", "h")
    with torch.no_grad():
        for d, sfx in ((0, ""), (1, "_reverse")):
            getattr(cell, "weight_ih_l0" + sfx).copy_(onnx_to_torch_gates(W["w"][d], *order, H))
            getattr(cell, "weight_hh_l0" + sfx).copy_(onnx_to_torch_gates(W["r"][d], *order, H))
            getattr(cell, "bias_ih_l0" + sfx).copy_(onnx_to_torch_gates(W["b"][d, :3 * H], *order, H))
            getattr(cell, "bias_hh_l0" + sfx).copy_(onnx_to_torch_gates(W["b"][d, 3 * H:], *order, H))
    seq, last = cell(x)                                  # seq [T, N, 2H], last [2, N, H]
    T, N = x.shape[0], x.shape[1]
    seq_onnx = seq.reshape(T, N, 2, H).permute(0, 2, 1, 3)
    y = last.permute(1, 0, 2).reshape(N, 2 * H) @ W["fc_w"] + W["fc_b"]
    return [seq_onnx, last, y], F.mse_loss(y, target)


def ref_transformer(W, tokens, next_tokens):
    T, D = 6, 8
    layer = torch.nn.TransformerEncoderLayer(D, 2, dim_feedforward=16, dropout=0.0,
                                             activation="gelu", batch_first=True)
    layer.eval()
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(torch.cat([W["wq"].T, W["wk"].T, W["wv"].T], 0))
        layer.self_attn.in_proj_bias.copy_(torch.cat([W["bq"], W["bk"], W["bv"]], 0))
        layer.self_attn.out_proj.weight.copy_(W["wo"].T)
        layer.self_attn.out_proj.bias.copy_(W["bo"])
        layer.linear1.weight.copy_(W["w1"].T)
        layer.linear1.bias.copy_(W["b1"])
        layer.linear2.weight.copy_(W["w2"].T)
        layer.linear2.bias.copy_(W["b2"])
        layer.norm1.weight.copy_(W["ln1_g"])
        layer.norm1.bias.copy_(W["ln1_b"])
        layer.norm2.weight.copy_(W["ln2_g"])
        layer.norm2.bias.copy_(W["ln2_b"])
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, D, 2, dtype=torch.float64) * (-math.log(10000.0) / D))
    pe = torch.zeros(T, D, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    pe = pe.float()
    causal = torch.triu(torch.full((T, T), -1e9), diagonal=1)
    x = F.embedding(tokens, W["emb"]) * math.sqrt(D) + pe
    # the attention weights, for the `attn` output, from the same projections
    N = x.shape[0]
    q = (x @ W["wq"] + W["bq"]).reshape(N, T, 2, 4).transpose(1, 2)
    k = (x @ W["wk"] + W["bk"]).reshape(N, T, 2, 4).transpose(1, 2)
    attn = torch.softmax(q @ k.transpose(2, 3) / 2.0 + causal, -1)
    with torch.no_grad():
        h = layer(x, src_mask=causal)
    logits = h @ W["wout"] + W["bout"]
    return [attn, h, logits], F.cross_entropy(logits.reshape(-1, 11), next_tokens.reshape(-1))


def ref_autoencoder(W, x):
    code = torch.relu(x @ W["e1_w"] + W["e1_b"]) @ W["e2_w"] + W["e2_b"]
    recon = torch.sigmoid(torch.relu(code @ W["d1_w"] + W["d1_b"]) @ W["d2_w"] + W["d2_b"])
    return [code, recon], F.mse_loss(recon, x)


def ref_vae(W, x, eps):
    h = torch.relu(x @ W["e_w"] + W["e_b"])
    mu = h @ W["mu_w"] + W["mu_b"]
    logvar = h @ W["lv_w"] + W["lv_b"]
    z = mu + torch.exp(0.5 * logvar) * eps
    recon = torch.sigmoid(torch.relu(z @ W["d1_w"] + W["d1_b"]) @ W["d2_w"] + W["d2_b"])
    kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar), 1)
    return [mu, logvar, recon, kl], F.binary_cross_entropy(recon, x) + kl.mean()


def ref_gan_generator(W, z):
    p = (z @ W["fc_w"] + W["fc_b"]).reshape(-1, 16, 4, 4)
    a0 = torch.relu(bn(p, W, "bn0"))
    u1 = F.conv_transpose2d(a0, W["t1_w"], stride=2, padding=1)
    a1 = torch.relu(bn(u1, W, "bn1"))
    image = torch.tanh(F.conv_transpose2d(a1, W["t2_w"], W["t2_b"], stride=2, padding=1))
    return [image], None


def ref_gan_discriminator(W, image, real):
    h1 = F.leaky_relu(F.conv2d(image, W["c1_w"], W["c1_b"], stride=2, padding=1), 0.2)
    h2 = F.leaky_relu(bn(F.conv2d(h1, W["c2_w"], stride=2, padding=1), W, "bn2"), 0.2)
    logit = F.linear(h2.flatten(1), W["fc_w"], W["fc_b"])
    return [logit, torch.sigmoid(logit)], F.binary_cross_entropy_with_logits(logit, real)


def ref_word2vec(W, center, context, negatives):
    c = F.embedding(center, W["emb_in"])
    o = F.embedding(context, W["emb_out"])
    ng = F.embedding(negatives, W["emb_out"])
    pos = (c * o).sum(1)
    neg = (ng * c[:, None, :]).sum(2)
    nll = -F.logsigmoid(pos) - F.logsigmoid(-neg).sum(1)
    return [pos, neg, nll], nll.mean()


def f32(rng, *shape, lo=None, hi=None):
    if lo is not None:
        return rng.uniform(lo, hi, shape).astype(np.float32)
    return rng.normal(0.0, 1.0, shape).astype(np.float32)


def i64(rng, hi, *shape):
    return rng.integers(0, hi, shape).astype(np.int64)


# Examples whose training loss is random (dropout is active in a training
# build): the train stage checks everything but the loss.
LOSS_UNCHECKED = {"alexnet": "dropout is active in training"}

N = BATCH
# name -> (reference, inputs(rng), targets(rng), weights): weights is "file"
# (this script writes them) or "params" (the .dl initializers; values read back
# from the training build).
EXAMPLES = {
    "mlp": (ref_mlp, lambda r: [f32(r, N, 784, lo=0, hi=1)], lambda r: [i64(r, 10, N)], "params"),
    "lenet5": (ref_lenet5, lambda r: [f32(r, N, 1, 28, 28)], lambda r: [i64(r, 10, N)], "file"),
    "alexnet": (ref_alexnet, lambda r: [f32(r, N, 3, 32, 32)], lambda r: [i64(r, 10, N)], "file"),
    "vgg_block": (ref_vgg_block, lambda r: [f32(r, N, 3, 16, 16)], lambda r: [i64(r, 10, N)], "file"),
    "inception": (ref_inception, lambda r: [f32(r, N, 16, 8, 8)], lambda r: [i64(r, 5, N)], "file"),
    "resnet_block": (ref_resnet_block, lambda r: [f32(r, N, 8, 8, 8)], lambda r: [i64(r, 10, N)],
                     "file"),
    "se_block": (ref_se_block, lambda r: [f32(r, N, 16, 8, 8)], lambda r: [f32(r, N, 16, 8, 8)],
                 "file"),
    "densenet_block": (ref_densenet_block, lambda r: [f32(r, N, 8, 8, 8)],
                       lambda r: [f32(r, N, 10, 4, 4)], "file"),
    "unet": (ref_unet, lambda r: [f32(r, N, 1, 16, 16)], lambda r: [f32(r, N, 1, 16, 16, lo=0, hi=1)],
             "file"),
    "dilated_conv": (ref_dilated_conv, lambda r: [f32(r, N, 4, 16, 16), f32(r, N, 2, 20)],
                     lambda r: [f32(r, N, 3, 16, 16)], "file"),
    "rnn": (ref_rnn, lambda r: [f32(r, 5, N, 3)], lambda r: [f32(r, N, 2)], "file"),
    "lstm": (ref_lstm, lambda r: [f32(r, 6, N, 4), f32(r, 1, N, 5), f32(r, 1, N, 5)],
             lambda r: [i64(r, 3, N)], "file"),
    "gru": (ref_gru, lambda r: [f32(r, 5, N, 3)], lambda r: [f32(r, N, 1)], "file"),
    "transformer": (ref_transformer, lambda r: [i64(r, 11, N, 6)], lambda r: [i64(r, 11, N, 6)],
                    "file"),
    "autoencoder": (ref_autoencoder, lambda r: [f32(r, N, 16, lo=0, hi=1)], lambda r: [], "file"),
    "vae": (ref_vae, lambda r: [f32(r, N, 16, lo=0, hi=1), f32(r, N, 2)], lambda r: [], "file"),
    "gan_generator": (ref_gan_generator, lambda r: [f32(r, N, 16)], lambda r: [], "file"),
    "gan_discriminator": (ref_gan_discriminator, lambda r: [f32(r, N, 1, 16, 16, lo=-1, hi=1)],
                          lambda r: [f32(r, N, 1, lo=0, hi=1).round()], "file"),
    "word2vec": (ref_word2vec, lambda r: [i64(r, 20, N), i64(r, 20, N), i64(r, 20, N, 4)],
                 lambda r: [], "file"),
}


class Example:
    """One example: its .dl text and declarations, inputs, targets and weights."""

    def __init__(self, name, examples_dir=EXAMPLES_DIR):
        self.name = name
        self.path = os.path.join(examples_dir, name + ".dl")
        with open(self.path) as f:
            self.text = f.read()
        self.decls = parse_decls(self.text)
        self.ref, make_in, make_tgt, self.weights_from = EXAMPLES[name]
        self.has_train = re.search(r"(?m)^train\s+\w+\s*\{", self.text) is not None
        seed = sum(ord(ch) * (i + 1) for i, ch in enumerate(name))
        rng = np.random.default_rng(seed)
        self.inputs = make_in(rng)
        self.targets = make_tgt(rng)
        self.weights = {}      # name -> np array, the file(...) initializers
        self.files = {}        # name -> path relative to the .dl
        for kind, pname, dtype, dims, init, _ in self.decls:
            m = re.match(r'file\(\s*"([^"]+)"\s*\)', init)
            if kind in ("param", "const") and m:
                self.weights[pname] = make_weight(rng, pname, dims).astype(DTYPES[dtype])
                self.files[pname] = m.group(1)
        self.param_decls = [(n, dt, d) for k, n, dt, d, _, _ in self.decls if k == "param"]

    def write(self, root):
        """Writes ROOT/NAME.dl, ROOT/NAME_infer.dl (without the train block) and
        the weight files they read."""
        with open(os.path.join(root, self.name + ".dl"), "w") as f:
            f.write(self.text)
        with open(os.path.join(root, self.name + "_infer.dl"), "w") as f:
            f.write(strip_train(self.text))
        for pname, rel in self.files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.weights[pname].tofile(path)

    def reference(self, params=None):
        """(outputs, loss) from PyTorch: the outputs in eval mode, the loss of
        a training step (batch-norm with batch statistics; dropout is left
        out, see LOSS_UNCHECKED).  params: name -> np array read back from
        the generated code; used (and required) when weights_from is 'params'."""
        W = dict(self.weights)
        if self.weights_from == "params":
            if params is None:
                raise ValueError("%s: needs the parameters of a training build" % self.name)
            W.update(params)
        Wt = {k: t(v) for k, v in W.items()}
        args = [t(a) for a in self.inputs] + [t(a) for a in self.targets]
        with torch.no_grad():
            BN_TRAINING[0] = False
            outs, loss = self.ref(Wt, *args)
            if loss is not None:
                BN_TRAINING[0] = True
                loss = self.ref(Wt, *args)[1]
                BN_TRAINING[0] = False
        outs = [o.detach().numpy().astype(np.float32) for o in outs]
        loss = None if loss is None else np.float32(loss.item())
        return outs, loss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.names or sorted(EXAMPLES):
        ex = Example(name)
        ex.write(a.out)
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        for k, arr in enumerate(ex.inputs):
            arr.tofile(os.path.join(d, "in_%d.bin" % k))
        for k, arr in enumerate(ex.targets):
            arr.tofile(os.path.join(d, "target_%d.bin" % k))
        if ex.weights_from == "params":
            print("%s: its reference needs the parameter values of a training build "
                  "(tests/models/dl_examples.py)" % name)
            continue
        outs, loss = ex.reference()
        for k, o in enumerate(outs):
            o.tofile(os.path.join(d, "expected_%d.bin" % k))
        if loss is not None:
            np.array([loss], np.float32).tofile(os.path.join(d, "expected_loss.bin"))
        print("%s: %d inputs, %d outputs, loss %s" % (name, len(ex.inputs), len(outs), loss))
    return 0


if __name__ == "__main__":
    sys.exit(main())
