"""Tests of :mod:`sigah.distances` against SciPy."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from sigah.distances import squared_euclidean


def test_squared_euclidean_matches_scipy_between_and_within_matrices():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((7, 5)), rng.standard_normal((4, 5))
    assert np.allclose(squared_euclidean(A, B), cdist(A, B, "sqeuclidean"), atol=1e-12)
    within = squared_euclidean(A)
    assert within.shape == (7, 7) and np.allclose(within, cdist(A, A, "sqeuclidean"), atol=1e-12)


def test_squared_euclidean_is_never_negative_and_keeps_float32():
    # identical large rows: the expansion cancels to round-off, which must not go below zero
    A = np.full((3, 50), 1e3, np.float32)
    d2 = squared_euclidean(A)
    assert d2.dtype == np.float32 and np.all(d2 >= 0)
