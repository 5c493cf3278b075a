#!/usr/bin/python3
"""Exports the whole-network test zoo of issue 3 from PyTorch to ONNX.

    /usr/bin/python3 scripts/export_networks.py [--out tests/models/data/networks]
                                                [--force] [--list] [NAME ...]

Needs Debian's python3-torch 1.13, python3-torchvision 0.14 and python3-onnx
(visible to /usr/bin/python3 only).  Every network gets random weights from a
fixed seed (derived from its name), batch-norm layers get random running
statistics and affine parameters (so inference-mode batch norm and its folding
are exercised), and the inputs are random with a fixed seed.  Nothing here is
committed: the weights of most of these networks are far over a few MB, so the
files are produced at test time (tests/models/networks.sh) and kept between
runs.  For each NAME it writes

    OUT/NAME/model.onnx                      (opset OPSET[NAME], default 13)
    OUT/NAME/test_data_set_0/input_K.pb      the inputs, in graph order
    OUT/NAME/torch_output_K.pb               PyTorch's outputs (a fallback reference)
    OUT/NAME/stamp                           what produced the files

The reference for the tests is ONNX Runtime's output, written as
test_data_set_0/output_K.pb by tests/models/ort_ref.js.  A network whose stamp
matches this script, its entry and the torch version is not exported again
(a new export deletes a stale reference).

Networks (batch 1; ImageNet models at 3x224x224):
  torchvision: alexnet vgg11 googlenet resnet50 squeezenet1_0 mobilenet_v2
               mobilenet_v3_small densenet121
  written here: unet (ConvTranspose + skip concatenation), dilated_se (dilated
               convolutions + squeeze-and-excitation), lstm2 / gru2 / rnn2
               (2-layer nn.LSTM / nn.GRU / nn.RNN -> ONNX LSTM / GRU / RNN),
               transformer (nn.Embedding + sinusoidal positions +
               nn.TransformerEncoder with a causal mask, GELU; opset 17 so that
               LayerNorm becomes LayerNormalization), vae (noise as an input),
               dcgan (the DCGAN generator of the PyTorch example, 64x64),
               word2vec (skip-gram: embeddings + dot products + sigmoid)
  shaped like deployed applications, exported with dynamic axes (symbolic
  batch and length: the model computes its shapes with Shape/Gather/Concat,
  which dlcc folds once the runner binds the dims with --dim):
               kws (keyword spotting: MFCC [batch, 1, 40, time] -> conv/BN/pool
               -> global pool -> 12 classes), crnn_ocr (text line [batch, 1, 32,
               width] -> conv stack -> columns -> 2-layer bidirectional LSTM ->
               37 classes log-softmax, CTC-style), speech_ctc (features [batch,
               time, 80] -> strided Conv1d -> bidirectional GRU -> 29 classes
               log-softmax)
  more torchvision (not in --list; ctest models/networks_more): shufflenet_v2_x0_5
               efficientnet_b0 mnasnet0_5 regnet_y_400mf mobilenet_v3_large
               resnext50_32x4d inception_v3 (299x299) convnext_tiny swin_t (opset 17)
               fcn_resnet50 (segmentation, 128x128, the "out" map)
"""

import argparse
import hashlib
import math
import os
import sys

IMAGENET = ("alexnet", "vgg11", "googlenet", "resnet50", "squeezenet1_0", "mobilenet_v2",
            "mobilenet_v3_small", "densenet121")
CUSTOM = ("unet", "dilated_se", "lstm2", "gru2", "rnn2", "transformer", "vae", "dcgan",
          "word2vec", "kws", "crnn_ocr", "speech_ctc")
NAMES = IMAGENET + CUSTOM
# More torchvision architectures (ctest models/networks_more; not in --list):
# grouped and channel-shuffle convolutions, SiLU/Hardswish and SE blocks,
# LayerNorm over channels-last permutes, shifted-window attention (torch.roll,
# opset 17), an asymmetric Inception, a segmentation head with upsampling.
MORE = ("shufflenet_v2_x0_5", "efficientnet_b0", "mnasnet0_5", "regnet_y_400mf",
        "mobilenet_v3_large", "resnext50_32x4d", "inception_v3", "convnext_tiny", "swin_t",
        "fcn_resnet50")
DEFAULT_OPSET = 13
OPSET = {"transformer": 17, "swin_t": 17}
# Symbolic axes of the exported inputs and outputs (torch.onnx dynamic_axes).
DYNAMIC = {
    "kws": {"mfcc": {0: "batch", 3: "time"}, "logits": {0: "batch"}},
    "crnn_ocr": {"image": {0: "batch", 3: "width"}, "log_probs": {0: "steps", 1: "batch"}},
    "speech_ctc": {"features": {0: "batch", 1: "time"}, "log_probs": {0: "batch", 1: "steps"}},
}


# ---------------------------------------------------------------- the networks written here

def custom_modules(torch, nn):
    F = nn.functional

    class DoubleConv(nn.Sequential):
        def __init__(self, cin, cout):
            super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True),
                             nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True))

    class UNet(nn.Module):
        """A three-level U-Net: max-pool down, ConvTranspose2d up, concatenated skips."""

        def __init__(self, cin=3, classes=2, w=16):
            super().__init__()
            self.d1, self.d2, self.d3 = DoubleConv(cin, w), DoubleConv(w, 2 * w), DoubleConv(2 * w, 4 * w)
            self.mid = DoubleConv(4 * w, 8 * w)
            self.u3 = nn.ConvTranspose2d(8 * w, 4 * w, 2, stride=2)
            self.c3 = DoubleConv(8 * w, 4 * w)
            self.u2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
            self.c2 = DoubleConv(4 * w, 2 * w)
            self.u1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
            self.c1 = DoubleConv(2 * w, w)
            self.head = nn.Conv2d(w, classes, 1)

        def forward(self, x):
            s1 = self.d1(x)
            s2 = self.d2(F.max_pool2d(s1, 2))
            s3 = self.d3(F.max_pool2d(s2, 2))
            m = self.mid(F.max_pool2d(s3, 2))
            y = self.c3(torch.cat([self.u3(m), s3], 1))
            y = self.c2(torch.cat([self.u2(y), s2], 1))
            y = self.c1(torch.cat([self.u1(y), s1], 1))
            return self.head(y)

    class SE(nn.Module):
        def __init__(self, c, r=4):
            super().__init__()
            self.fc1 = nn.Linear(c, c // r)
            self.fc2 = nn.Linear(c // r, c)

        def forward(self, x):
            s = F.adaptive_avg_pool2d(x, 1).flatten(1)
            s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
            return x * s[:, :, None, None]

    class DilatedSE(nn.Module):
        """Dilated 3x3 convolutions (rates 1, 2, 4, 8) with SE blocks and a residual."""

        def __init__(self, cin=3, w=32, classes=10):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(cin, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU())
            blocks = []
            for d in (1, 2, 4, 8):
                blocks.append(nn.Sequential(
                    nn.Conv2d(w, w, 3, padding=d, dilation=d, bias=False), nn.BatchNorm2d(w),
                    nn.ReLU(), SE(w)))
            self.blocks = nn.ModuleList(blocks)
            self.fc = nn.Linear(w, classes)

        def forward(self, x):
            x = self.stem(x)
            for b in self.blocks:
                x = x + b(x)
            return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))

    class Recurrent(nn.Module):
        def __init__(self, kind, n_in=16, hidden=32, layers=2, out=8):
            super().__init__()
            self.kind = kind
            cls = {"lstm2": nn.LSTM, "gru2": nn.GRU, "rnn2": nn.RNN}[kind]
            self.rnn = cls(n_in, hidden, num_layers=layers)
            self.fc = nn.Linear(hidden, out)

        def forward(self, x):               # x: [seq, batch, n_in]
            y, _ = self.rnn(x)
            return self.fc(y)

    class Transformer(nn.Module):
        def __init__(self, vocab=100, d=64, heads=4, ff=128, layers=2, seq=16, classes=100):
            super().__init__()
            self.d = d
            self.emb = nn.Embedding(vocab, d)
            pos = torch.arange(seq, dtype=torch.float32)[:, None]
            div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
            pe = torch.zeros(seq, d)
            pe[:, 0::2] = torch.sin(pos * div)
            pe[:, 1::2] = torch.cos(pos * div)
            self.register_buffer("pe", pe[None])
            layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu",
                                               batch_first=True)
            self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d)
            self.out = nn.Linear(d, classes)

        def forward(self, tokens):          # tokens: int64 [batch, seq]
            s = tokens.shape[1]
            x = self.emb(tokens) * math.sqrt(self.d) + self.pe[:, :s]
            mask = torch.triu(torch.full((s, s), float("-inf")), diagonal=1)
            return self.out(self.norm(self.enc(x, mask=mask)))

    class VAE(nn.Module):
        def __init__(self, n=784, h=400, z=20):
            super().__init__()
            self.e1, self.mu, self.lv = nn.Linear(n, h), nn.Linear(h, z), nn.Linear(h, z)
            self.d1, self.d2 = nn.Linear(z, h), nn.Linear(h, n)

        def forward(self, x, eps):
            h = F.relu(self.e1(x))
            mu, logvar = self.mu(h), self.lv(h)
            z = mu + eps * torch.exp(0.5 * logvar)
            return torch.sigmoid(self.d2(F.relu(self.d1(z)))), mu, logvar

    def dcgan(nz=100, ngf=64, nc=3):
        return nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    class SkipGram(nn.Module):
        """Skip-gram with negative sampling, inference: sigmoid(<v_center, u_context_k>)."""

        def __init__(self, vocab=1000, d=64):
            super().__init__()
            self.center = nn.Embedding(vocab, d)
            self.context = nn.Embedding(vocab, d)

        def forward(self, center, context):  # center: int64 [b], context: int64 [b, k]
            v = self.center(center)                      # [b, d]
            u = self.context(context)                    # [b, k, d]
            return torch.sigmoid(torch.bmm(u, v.unsqueeze(2)).squeeze(2))

    class KWS(nn.Module):
        def __init__(self, classes=12):
            super().__init__()
            def block(cin, cout):
                return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                        nn.ReLU(inplace=True)]
            self.body = nn.Sequential(*block(1, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2),
                                      *block(32, 64))
            self.fc = nn.Linear(64, classes)

        def forward(self, x):               # x: [batch, 1, 40 mfcc, time]
            return self.fc(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))

    class CRNN(nn.Module):
        def __init__(self, classes=37, hidden=48):
            super().__init__()
            self.cnn = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(True), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(True), nn.MaxPool2d((2, 1)),
                nn.Conv2d(64, 64, (4, 1)), nn.ReLU(True))
            self.rnn = nn.LSTM(64, hidden, num_layers=2, bidirectional=True)
            self.fc = nn.Linear(2 * hidden, classes)

        def forward(self, x):               # x: [batch, 1, 32, width]
            f = self.cnn(x).squeeze(2).permute(2, 0, 1)   # [width/4, batch, 64]
            y, _ = self.rnn(f)
            return F.log_softmax(self.fc(y), dim=2)

    class SpeechCTC(nn.Module):
        def __init__(self, feats=80, hidden=64, classes=29):
            super().__init__()
            self.conv = nn.Conv1d(feats, hidden, 5, stride=2, padding=2)
            self.bn = nn.BatchNorm1d(hidden)
            self.rnn = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(2 * hidden, classes)

        def forward(self, x):               # x: [batch, time, 80]
            h = F.relu(self.bn(self.conv(x.transpose(1, 2)))).transpose(1, 2)
            y, _ = self.rnn(h)
            return F.log_softmax(self.fc(y), dim=-1)

    return {"UNet": UNet, "DilatedSE": DilatedSE, "Recurrent": Recurrent,
            "Transformer": Transformer, "VAE": VAE, "dcgan": dcgan, "SkipGram": SkipGram,
            "KWS": KWS, "CRNN": CRNN, "SpeechCTC": SpeechCTC}


def build(name, torch, nn, torchvision):
    """Returns (model, [example inputs], [input names], [output names])."""
    tvm = torchvision.models
    if name in IMAGENET:
        if name == "googlenet":
            model = tvm.googlenet(weights=None, aux_logits=False, init_weights=True)
        else:
            model = getattr(tvm, name)(weights=None)
        return model, [torch.randn(1, 3, 224, 224)], ["input"], ["output"]
    if name in MORE:
        return build_more(name, torch, nn, tvm)
    m = custom_modules(torch, nn)
    if name == "unet":
        return m["UNet"](), [torch.randn(1, 3, 64, 64)], ["input"], ["output"]
    if name == "dilated_se":
        return m["DilatedSE"](), [torch.randn(1, 3, 64, 64)], ["input"], ["output"]
    if name in ("lstm2", "gru2", "rnn2"):
        return m["Recurrent"](name), [torch.randn(10, 1, 16)], ["input"], ["output"]
    if name == "transformer":
        return (m["Transformer"](), [torch.randint(0, 100, (1, 16), dtype=torch.int64)],
                ["tokens"], ["logits"])
    if name == "vae":
        return (m["VAE"](), [torch.rand(1, 784), torch.randn(1, 20)], ["x", "eps"],
                ["recon", "mu", "logvar"])
    if name == "dcgan":
        return m["dcgan"](), [torch.randn(1, 100, 1, 1)], ["noise"], ["image"]
    if name == "word2vec":
        return (m["SkipGram"](), [torch.randint(0, 1000, (1,), dtype=torch.int64),
                                  torch.randint(0, 1000, (1, 6), dtype=torch.int64)],
                ["center", "context"], ["score"])
    if name == "kws":
        return m["KWS"](), [torch.randn(2, 1, 40, 98)], ["mfcc"], ["logits"]
    if name == "crnn_ocr":
        return m["CRNN"](), [torch.randn(2, 1, 32, 100)], ["image"], ["log_probs"]
    if name == "speech_ctc":
        return m["SpeechCTC"](), [torch.randn(2, 50, 80)], ["features"], ["log_probs"]
    raise SystemExit("unknown network %s (known: %s)" % (name, ", ".join(NAMES + MORE)))


def build_more(name, torch, nn, tvm):
    if name == "inception_v3":
        # torch's default init: Inception's own (std 0.1) makes logits of 1e12.
        model = tvm.inception_v3(weights=None, aux_logits=False, init_weights=False)
        return model, [torch.randn(1, 3, 299, 299)], ["input"], ["output"]
    if name == "fcn_resnet50":
        class Out(nn.Module):          # the dict output's "out" entry
            def __init__(self):
                super().__init__()
                self.m = tvm.segmentation.fcn_resnet50(weights=None, weights_backbone=None,
                                                       aux_loss=False)
                # Random weights give class maps of std ~200, where fp32 sums of
                # 18432 terms differ between any two runtimes (PyTorch and ONNX
                # Runtime too) by more than atol 1e-4 near zero; scaled to std ~2.
                with torch.no_grad():
                    self.m.classifier[4].weight.mul_(0.01)
                    self.m.classifier[4].bias.mul_(0.01)

            def forward(self, x):
                return self.m(x)["out"]
        return Out(), [torch.randn(1, 3, 128, 128)], ["input"], ["output"]
    return getattr(tvm, name)(weights=None), [torch.randn(1, 3, 224, 224)], ["input"], ["output"]


def randomize_batchnorm(model, torch, nn):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c) * 0.1)
                m.running_var.copy_(torch.rand(c) + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(c) + 0.5)
                    m.bias.copy_(torch.randn(c) * 0.1)


def script_hash():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def stamp_text(name, torch):
    return "export_networks.py %s %s torch %s opset %d\n" % (
        script_hash(), name, torch.__version__, OPSET.get(name, DEFAULT_OPSET))


def write_pb(path, array, name, onnx, np):
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(array, name).SerializeToString())


def export_one(name, out, force, torch, nn, torchvision, onnx, np):
    d = os.path.join(out, name)
    stamp_path = os.path.join(d, "stamp")
    stamp = stamp_text(name, torch)
    if not force and os.path.exists(stamp_path) and open(stamp_path).read() == stamp \
            and os.path.exists(os.path.join(d, "model.onnx")):
        print("export_networks: %s is up to date" % name)
        return
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    if os.path.exists(stamp_path):
        os.unlink(stamp_path)
    for f in os.listdir(os.path.join(d, "test_data_set_0")):
        os.unlink(os.path.join(d, "test_data_set_0", f))
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    torch.manual_seed(seed)
    model, inputs, in_names, out_names = build(name, torch, nn, torchvision)
    randomize_batchnorm(model, torch, nn)
    model.eval()
    with torch.no_grad():
        outputs = model(*inputs)
    if not isinstance(outputs, (tuple, list)):
        outputs = (outputs,)
    path = os.path.join(d, "model.onnx")
    opset = OPSET.get(name, DEFAULT_OPSET)
    with torch.no_grad():
        torch.onnx.export(model, tuple(inputs), path, opset_version=opset, input_names=in_names,
                          output_names=out_names, do_constant_folding=True,
                          dynamic_axes=DYNAMIC.get(name))
    onnx.checker.check_model(path)
    for k, (x, n) in enumerate(zip(inputs, in_names)):
        write_pb(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), x.numpy(), n, onnx, np)
    for k, (y, n) in enumerate(zip(outputs, out_names)):
        write_pb(os.path.join(d, "torch_output_%d.pb" % k), y.numpy(), n, onnx, np)
    m = onnx.load(path, load_external_data=False)
    ops = sorted({n.op_type for n in m.graph.node})
    with open(os.path.join(d, "ops.txt"), "w") as f:
        f.write(" ".join(ops) + "\n")
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print("export_networks: %s: %.1f MB, opset %d, inputs %s, outputs %s, ops %s" % (
        name, os.path.getsize(path) / 1e6, opset, [list(x.shape) for x in inputs],
        [list(y.shape) for y in outputs], " ".join(ops)), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "models", "data", "networks"))
    p.add_argument("--force", action="store_true", help="export even if up to date")
    p.add_argument("--list", action="store_true", help="print the network names and exit")
    p.add_argument("names", nargs="*")
    args = p.parse_args()
    if args.list:
        print(" ".join(NAMES))
        return 0
    names = args.names or list(NAMES)

    import warnings
    warnings.filterwarnings("ignore")
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn as nn
    import torchvision

    torch.set_num_threads(1)
    for name in names:
        if name not in NAMES + MORE:
            raise SystemExit("unknown network %s (known: %s)" % (name, ", ".join(NAMES + MORE)))
        export_one(name, args.out, args.force, torch, nn, torchvision, onnx, np)
    return 0


if __name__ == "__main__":
    sys.exit(main())
