#!/usr/bin/python3
"""Makes the bundled example model examples/mlp.onnx (about 20 KB).

    /usr/bin/python3 scripts/make_example.py [--print-samples]

An MLP 64-64-10 (ReLU, softmax output) trained for a few seconds, with a fixed
seed, on the scikit-learn 8x8 digits.  The model takes the raw pixel values
(0..16) as `image` f32[1,64], scales them itself, and returns `probs` f32[1,10].
--print-samples prints test-split images as C initializers (the ones pasted
into examples/run_mlp.c).  Needs Debian's python3-torch, python3-sklearn and
python3-onnx.
"""

import os
import sys

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "mlp.onnx")


class DigitsMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        h = torch.relu(self.fc1(x / 16.0))
        return torch.softmax(self.fc2(h), dim=1)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    digits = load_digits()
    x = digits.data.astype(np.float32)
    y = digits.target.astype(np.int64)
    perm = np.random.RandomState(0).permutation(len(x))
    train, test = perm[:1500], perm[1500:]
    model = DigitsMLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    for _ in range(300):
        opt.zero_grad()
        loss = nn.functional.nll_loss(torch.log(model(xt) + 1e-9), yt)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(torch.from_numpy(x[test])).argmax(1).numpy() == y[test]).mean()
    torch.onnx.export(model, torch.zeros(1, 64), OUT, opset_version=13, input_names=["image"],
                      output_names=["probs"], do_constant_folding=True)
    print("wrote %s (%d bytes), test accuracy %.3f" % (os.path.abspath(OUT), os.path.getsize(OUT), acc))
    if "--print-samples" in sys.argv:
        for i in test[:3]:
            print("    {%d, {%s}}," % (y[i], ", ".join("%d" % v for v in x[i])))


if __name__ == "__main__":
    main()
