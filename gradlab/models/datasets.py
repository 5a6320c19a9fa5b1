"""Small real data for the experiments: scikit-learn's 8×8 handwritten digits, ready to train on.

    from gradlab.models.datasets import load_digits_split
    data = load_digits_split(seed=0)          # standardised, seeded train/test split
    data.X_train.shape, data.Y_train.shape    # (1347, 64), (1347, 10) one-hot
    for idx in minibatches(rng, data.n_train, 64): ...

The digits (1797 images of 8×8 pixels, 10 classes) ship inside scikit-learn, so nothing is
downloaded. They stand in for MNIST (28×28) in every notebook of this course: the same task,
small enough to train in seconds on one CPU.

Standardisation uses the *training* set's mean and standard deviation only (the test set must
not leak into training); pixels that are constant in the training set (the corners are always
0) are left at 0 instead of being divided by 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

N_CLASSES = 10


@lru_cache(maxsize=1)
def _raw_digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_digits_raw():
    """All 1797 digits: X (1797, 64) pixel intensities 0..16 as floats, y (1797,) labels 0..9.

    The arrays are read-only (they are cached and shared); copy them before changing them.
    """
    return _raw_digits()


def one_hot(y, n_classes=N_CLASSES):
    """Labels (n,) of ints in [0, n_classes) → one-hot rows (n, n_classes) of floats."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot expects a 1-D array of labels, got shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got {y.min()}..{y.max()}")
    out = np.zeros((y.size, n_classes))
    out[np.arange(y.size), y] = 1.0
    return out


def standardize(X_train, X_test=None):
    """Centre and scale features with the training set's statistics.

    Returns (X_train_std, X_test_std, mean, std); features with zero training variance get
    std = 1 (so they stay at 0 after centring). X_test may be None.
    """
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    Xtr = (X_train - mean) / std
    Xte = None if X_test is None else (X_test - mean) / std
    return Xtr, Xte, mean, std


def train_test_split(n, test_fraction, rng, stratify=None):
    """Index arrays (train, test) for n examples, shuffled by `rng` (a numpy Generator).

    With `stratify` (labels), each class is split in the same proportion.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if stratify is None:
        perm = rng.permutation(n)
        n_test = int(round(test_fraction * n))
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    stratify = np.asarray(stratify)
    train, test = [], []
    for c in np.unique(stratify):
        idx = rng.permutation(np.flatnonzero(stratify == c))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


@dataclass(frozen=True)
class Dataset:
    """A train/test split: X (n, features) standardised, y (n,) labels, Y (n, classes) one-hot."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    seed: int
    name: str = "digits"

    @property
    def Y_train(self):
        return one_hot(self.y_train, self.n_classes)

    @property
    def Y_test(self):
        return one_hot(self.y_test, self.n_classes)

    @property
    def n_train(self):
        return self.X_train.shape[0]

    @property
    def n_test(self):
        return self.X_test.shape[0]

    @property
    def n_features(self):
        return self.X_train.shape[1]

    @property
    def n_classes(self):
        return N_CLASSES


@lru_cache(maxsize=16)
def load_digits_split(seed=0, test_fraction=0.25, standardise=True, n_train=None):
    """The digits split into train and test sets, stratified by class, shuffled by `seed`.

    standardise: centre/scale with the training statistics (recommended for gradient descent);
    otherwise pixels are divided by 16 to lie in [0, 1].
    n_train: keep only the first n_train training examples (for small-data experiments).
    The result is cached: the same arguments return the same (read-only) arrays.
    """
    X, y = load_digits_raw()
    rng = np.random.default_rng(seed)
    tr, te = train_test_split(len(y), test_fraction, rng, stratify=y)
    tr = rng.permutation(tr)  # a shuffled order, so a prefix is a random subset
    if n_train is not None:
        tr = tr[:n_train]
    if standardise:
        Xtr, Xte, mean, std = standardize(X[tr], X[te])
    else:
        Xtr, Xte = X[tr] / 16.0, X[te] / 16.0
        mean, std = np.zeros(X.shape[1]), np.full(X.shape[1], 16.0)
    arrays = [Xtr, y[tr].copy(), Xte, y[te].copy(), mean, std]
    for a in arrays:
        a.setflags(write=False)
    return Dataset(*arrays, seed=seed)


def minibatches(rng, n, batch_size, drop_last=True):
    """Yield index arrays covering range(n) once, in an order shuffled by `rng` (one epoch)."""
    perm = rng.permutation(n)
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    for start in range(0, stop, batch_size):
        yield perm[start:start + batch_size]


def batch_stream(rng, n, batch_size):
    """Yield index arrays forever: epoch after epoch of shuffled minibatches."""
    while True:
        yield from minibatches(rng, n, batch_size)
