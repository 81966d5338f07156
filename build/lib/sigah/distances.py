"""Squared Euclidean distances between the rows of two matrices, in NumPy.

One helper for every place that needs a dense block of distances in memory (k-means and landmarks
of OCH, Spherical Hashing's spheres, the bandwidth heuristics of SiGAH's graph term). The exact,
chunked nearest-neighbour search of the evaluator lives in :mod:`sigah.groundtruth`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["squared_euclidean"]


def squared_euclidean(A: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """Squared distances ``‖a_i − b_j‖²`` by the expansion ``‖a‖² − 2aᵀb + ‖b‖²``.

    Round-off can make the expansion slightly negative; it is clipped at zero.

    Parameters
    ----------
    A : numpy.ndarray, shape (n, d)
    B : numpy.ndarray, shape (m, d), optional
        None: distances between the rows of ``A`` (shape (n, n)).

    Returns
    -------
    numpy.ndarray, shape (n, m), in the floating dtype of the inputs
    """
    if B is None:
        B = A
    d2 = (A * A).sum(axis=1, keepdims=True) - 2.0 * (A @ B.T) + (B * B).sum(axis=1)
    return np.maximum(d2, 0.0, out=d2)
