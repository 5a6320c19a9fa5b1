"""gradlab.models.datasets: the digits split, standardisation, one-hot labels and minibatches."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.models.datasets import (
    batch_stream,
    load_digits_raw,
    load_digits_split,
    minibatches,
    one_hot,
    standardize,
    train_test_split,
)


def test_raw_digits_are_the_sklearn_digits():
    X, y = load_digits_raw()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16
    assert set(np.unique(y)) == set(range(10))
    with pytest.raises(ValueError):
        X[0, 0] = 1.0  # cached arrays are read-only


def test_split_is_a_stratified_partition():
    d = load_digits_split(seed=0)
    assert d.n_train + d.n_test == 1797
    assert abs(d.n_test - 0.25 * 1797) < 10
    X, y = load_digits_raw()
    # Every class appears in the test set in (almost) the same proportion as overall.
    overall = np.bincount(y, minlength=10) / y.size
    test = np.bincount(d.y_test, minlength=10) / d.n_test
    assert np.max(np.abs(overall - test)) < 0.01
    assert d.X_train.shape == (d.n_train, 64) and d.n_features == 64 and d.n_classes == 10


def test_split_rows_are_disjoint_and_complete():
    d = load_digits_split(seed=3, standardise=False)
    X, _ = load_digits_raw()
    rows = np.concatenate([d.X_train, d.X_test]) * 16.0
    # Same multiset of rows as the raw data (compare sorted row tuples).
    key = lambda A: sorted(map(tuple, np.round(A, 6)))  # noqa: E731
    assert key(rows) == key(X)


def test_seeds_change_the_split_and_are_reproducible():
    a, b, c = load_digits_split(0), load_digits_split(0), load_digits_split(1)
    assert np.array_equal(a.y_train, b.y_train) and np.array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.y_train, c.y_train)


def test_standardisation_uses_training_statistics_only():
    d = load_digits_split(seed=0)
    m = d.X_train.mean(axis=0)
    s = d.X_train.std(axis=0)
    varying = d.std != 1.0
    assert np.allclose(m, 0.0, atol=1e-12)
    assert np.allclose(s[varying], 1.0)
    assert np.all(np.isfinite(d.X_test))
    # The test set is transformed with the training mean/std, so its mean is not exactly 0.
    assert not np.allclose(d.X_test.mean(axis=0)[varying], 0.0, atol=1e-3)


def test_standardize_leaves_constant_features_at_zero():
    Xtr = np.array([[1.0, 5.0], [3.0, 5.0]])
    Xte = np.array([[2.0, 5.0]])
    a, b, mean, std = standardize(Xtr, Xte)
    assert np.allclose(a, [[-1, 0], [1, 0]]) and np.allclose(b, [[0, 0]])
    assert np.allclose(std, [1.0, 1.0]) and np.allclose(mean, [2.0, 5.0])


def test_n_train_keeps_a_random_subset():
    small = load_digits_split(seed=0, n_train=100)
    assert small.n_train == 100 and small.n_test == load_digits_split(0).n_test


def test_one_hot():
    Y = one_hot(np.array([0, 2, 9]))
    assert Y.shape == (3, 10) and np.array_equal(Y.argmax(axis=1), [0, 2, 9])
    assert np.array_equal(Y.sum(axis=1), [1, 1, 1])
    with pytest.raises(ValueError):
        one_hot(np.array([10]))
    with pytest.raises(ValueError):
        one_hot(np.zeros((2, 2), dtype=int))
    d = load_digits_split(0)
    assert np.array_equal(d.Y_train.argmax(axis=1), d.y_train)


def test_train_test_split_validates_fraction():
    with pytest.raises(ValueError):
        train_test_split(10, 1.5, np.random.default_rng(0))
    tr, te = train_test_split(10, 0.3, np.random.default_rng(0))
    assert sorted(np.concatenate([tr, te])) == list(range(10)) and te.size == 3


def test_minibatches_cover_an_epoch_once():
    rng = np.random.default_rng(0)
    batches = list(minibatches(rng, 100, 32))
    assert [b.size for b in batches] == [32, 32, 32]  # the last partial batch is dropped
    seen = np.concatenate(batches)
    assert np.unique(seen).size == seen.size == 96
    full = np.concatenate(list(minibatches(rng, 100, 32, drop_last=False)))
    assert np.array_equal(np.sort(full), np.arange(100))


def test_batch_stream_runs_for_several_epochs():
    stream = batch_stream(np.random.default_rng(0), 10, 4)
    got = [next(stream) for _ in range(5)]  # 2 batches per epoch
    assert all(b.size == 4 for b in got)
