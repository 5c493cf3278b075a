#!/usr/bin/python3
"""export_digits.py: the scikit-learn digits data as one binary file for
examples/train_digits (never committed; made at build/test time).

    scripts/export_digits.py OUT.bin

1797 images of 8x8 pixels (0..16) from sklearn.datasets.load_digits (Debian
python3-sklearn ships the data), shuffled with a fixed seed and split 80/20.
Layout, little-endian:
    char[4] "DGTS", uint32 n_train, uint32 n_test,
    f32 train_x[n_train][64] (pixels / 16), u8 train_y[n_train],
    f32 test_x[n_test][64], u8 test_y[n_test]
Exit status 77 when scikit-learn is not installed (a skipped test).
"""
import struct
import sys

try:
    import numpy as np
    from sklearn.datasets import load_digits
except ImportError:
    print("export_digits.py: scikit-learn is not installed (apt-get install python3-sklearn)", file=sys.stderr)
    sys.exit(77)


def main():
    if len(sys.argv) != 2:
        print("usage: export_digits.py OUT.bin", file=sys.stderr)
        return 2
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.uint8)
    perm = np.random.RandomState(0).permutation(len(x))
    n_train = int(round(0.8 * len(x)))
    tr, te = perm[:n_train], perm[n_train:]
    with open(sys.argv[1], "wb") as f:
        f.write(b"DGTS" + struct.pack("<II", len(tr), len(te)))
        f.write(x[tr].tobytes())
        f.write(y[tr].tobytes())
        f.write(x[te].tobytes())
        f.write(y[te].tobytes())
    print("export_digits.py: %d train, %d test images -> %s" % (len(tr), len(te), sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
