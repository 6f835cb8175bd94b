"""Data sets: IDX files (MNIST, Fashion-MNIST) and the spiral toy set."""
import os

import numpy as np

from ._lib import ffi, lib
from .errors import check


def read_idx(path):
    """An IDX file of unsigned bytes (plain or gzipped) as a uint8 array of
    its dimensions, e.g. (60000, 28, 28) for train-images-idx3-ubyte.gz."""
    idx = ffi.new("nnact_idx *")
    check(lib.nnact_idx_read(os.fsencode(path), idx))
    try:
        shape = tuple(int(idx.dims[i]) for i in range(idx.ndims))
        out = np.empty(int(idx.count), dtype=np.uint8)
        if idx.count:
            ffi.memmove(ffi.from_buffer(out, require_writable=True), idx.data, idx.count)
        return out.reshape(shape)
    finally:
        lib.nnact_idx_free(idx)


def load_fashion_mnist(directory="/usr/share/datasets/fashion-mnist"):
    """(X_train, y_train, X_test, y_test): images as float32 rows in [0, 1],
    labels as int64, from the directory nnact-train reads by default
    (Debian's dataset-fashion-mnist)."""
    def find(stem):
        for name in (stem, stem + ".gz"):
            p = os.path.join(directory, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError("%s[.gz] is not in %s" % (stem, directory))
    Xtr = read_idx(find("train-images-idx3-ubyte"))
    ytr = read_idx(find("train-labels-idx1-ubyte"))
    Xte = read_idx(find("t10k-images-idx3-ubyte"))
    yte = read_idx(find("t10k-labels-idx1-ubyte"))
    scale = np.float32(1.0 / 255.0)
    return (Xtr.reshape(len(Xtr), -1).astype(np.float32) * scale, ytr.astype(np.int64),
            Xte.reshape(len(Xte), -1).astype(np.float32) * scale, yte.astype(np.int64))


def spiral(samples, classes, seed=0, noise=0.2):
    """nnfs's spiral set: (X float32 (samples*classes, 2), y int64)."""
    rng = np.random.default_rng(seed)
    X = np.zeros((samples * classes, 2), dtype=np.float32)
    y = np.zeros(samples * classes, dtype=np.int64)
    for c in range(classes):
        r = np.linspace(0.0, 1.0, samples)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, samples) + rng.standard_normal(samples) * noise
        ix = slice(samples * c, samples * (c + 1))
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = c
    return X, y
