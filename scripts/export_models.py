#!/usr/bin/python3
"""Exports the whole-model test networks from PyTorch to ONNX.

    /usr/bin/python3 scripts/export_models.py [--out tests/models/data] [NAME ...]

Needs Debian's python3-torch, python3-torchvision and python3-onnx (visible to
/usr/bin/python3 only).  Every network gets random weights from a fixed seed,
and its batch-norm layers get random running statistics and affine
parameters, so that inference-mode batch norm (and its folding) is actually
exercised.  For each NAME it writes

    OUT/NAME/model.onnx                       (opset 13)
    OUT/NAME/test_data_set_0/input_0.pb       a random input (fixed seed)
    OUT/NAME/torch_output_0.pb                PyTorch's output, a fallback reference
    OUT/NAME/stamp                            what produced the files

The reference for the tests is ONNX Runtime's output, written as
test_data_set_0/output_0.pb by tests/models/ort_ref.js.  A model whose stamp
matches this script and the torch version is not exported again.
"""

import argparse
import hashlib
import os
import sys

NAMES = ("mlp", "lenet5", "squeezenet1_1", "resnet18")
OPSET = 13


def build(name, torch, nn, torchvision):
    if name == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                              nn.Linear(256, 10))
        shape = (1, 784)
    elif name == "lenet5":
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10), nn.LogSoftmax(dim=1))
        shape = (1, 1, 28, 28)
    elif name == "squeezenet1_1":
        model = torchvision.models.squeezenet1_1(weights=None)
        shape = (1, 3, 224, 224)
    elif name == "resnet18":
        model = torchvision.models.resnet18(weights=None)
        shape = (1, 3, 224, 224)
    else:
        raise SystemExit("unknown model %s (known: %s)" % (name, ", ".join(NAMES)))
    return model, shape


def randomize_batchnorm(model, torch, nn):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c) * 0.1)
                m.running_var.copy_(torch.rand(c) + 0.5)
                m.weight.copy_(torch.rand(c) + 0.5)
                m.bias.copy_(torch.randn(c) * 0.1)


def stamp_text(torch):
    with open(os.path.abspath(__file__), "rb") as f:
        h = hashlib.sha256(f.read()).hexdigest()[:16]
    return "export_models.py %s torch %s opset %d\n" % (h, torch.__version__, OPSET)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "models", "data"))
    p.add_argument("--force", action="store_true", help="export even if up to date")
    p.add_argument("names", nargs="*", default=list(NAMES))
    args = p.parse_args()

    import warnings
    warnings.filterwarnings("ignore")
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn as nn
    import torchvision

    torch.set_num_threads(1)
    stamp = stamp_text(torch)
    for name in args.names:
        d = os.path.join(args.out, name)
        stamp_path = os.path.join(d, "stamp")
        if not args.force and os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
            print("export_models: %s is up to date" % name)
            continue
        os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
        seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
        torch.manual_seed(seed)
        model, shape = build(name, torch, nn, torchvision)
        randomize_batchnorm(model, torch, nn)
        model.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(d, "model.onnx")
        torch.onnx.export(model, x, path, opset_version=OPSET, input_names=["input"],
                          output_names=["output"], do_constant_folding=True)
        onnx.checker.check_model(onnx.load(path))
        with open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb") as f:
            f.write(onnx.numpy_helper.from_array(x.numpy().astype(np.float32), "input")
                    .SerializeToString())
        with open(os.path.join(d, "torch_output_0.pb"), "wb") as f:
            f.write(onnx.numpy_helper.from_array(y.numpy().astype(np.float32), "output")
                    .SerializeToString())
        # A stale ONNX Runtime reference must not survive a new export.
        ref = os.path.join(d, "test_data_set_0", "output_0.pb")
        if os.path.exists(ref):
            os.unlink(ref)
        with open(stamp_path, "w") as f:
            f.write(stamp)
        print("export_models: %s: %s, %.1f MB, input %s, output %s" % (
            name, path, os.path.getsize(path) / 1e6, list(shape), list(y.shape)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
