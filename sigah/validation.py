"""Validation of the arrays that enter the package: one set of checks and messages everywhere.

Readers, hashers and the evaluator all take ``(n, d)`` matrices of real vectors; they validate
them here, at the boundary, so that bad input fails early with a message that names the array,
the offending value and what was expected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["check_finite", "check_matrix"]


def check_finite(array: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``array`` holds NaN or infinite values, saying how many and where the first is."""
    bad = ~np.isfinite(array)
    count = int(np.count_nonzero(bad))
    if count:
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} contains NaN or infinite values: {count} of them, first at index {first}")


def check_matrix(
    array: Any,
    name: str,
    *,
    dtype: DTypeLike | None = np.float32,
    n_features: int | None = None,
) -> np.ndarray:
    """Validate a matrix of real vectors, one per row.

    Parameters
    ----------
    array : array_like, shape (n, d)
    name : str
        What the array is, for error messages ("queries", "X", "MNIST features").
    dtype : numpy dtype or None
        Convert to this dtype (C-contiguous; no copy if it already is); ``None`` keeps the dtype.
    n_features : int, optional
        Required number of columns ``d``.

    Returns
    -------
    numpy.ndarray, shape (n, d)

    Raises
    ------
    ValueError
        Not 2-D, empty, not real numbers, NaN or infinite values (checked after the conversion,
        since float64 values beyond float32's range become infinite), or the wrong width.
    """
    array = np.asarray(array)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (n, d), got shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must be non-empty: expected at least one row and one column, got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) or np.iscomplexobj(array):
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if dtype is not None:
        with np.errstate(over="ignore"):  # out-of-range values become inf and are reported below
            array = np.ascontiguousarray(array, dtype=dtype)
    if not np.issubdtype(array.dtype, np.integer) and array.dtype != bool:
        check_finite(array, name)
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(f"{name} has {array.shape[1]} features per row, expected {n_features}")
    return array
