"""Validation of the arrays that enter the package: one set of checks and messages everywhere.

Readers, hashers and the evaluator all take ``(n, d)`` matrices of real vectors; they validate
them here, at the boundary, so that bad input fails early with a message that names the array,
the offending value and what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["check_finite", "check_matrix", "check_scalar", "check_choice"]


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


def check_scalar(
    value: Any,
    name: str,
    kind: type,
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_boundaries: str = "both",
    allow_none: bool = False,
) -> Any:
    """Validate a scalar hyper-parameter and return it as a plain Python value.

    In the spirit of scikit-learn's ``check_scalar``: one check and one message for every
    hyper-parameter of every method, so that the rules cannot drift apart.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The parameter's name, for the error message.
    kind : {int, float, bool}
        ``int`` accepts Python and NumPy integers (not booleans); ``float`` accepts any real number
        (not booleans) and requires it to be finite; ``bool`` accepts Python and NumPy booleans.
    min_val, max_val : float, optional
        Bounds (ignored for ``bool``).
    include_boundaries : {"both", "left", "right", "neither"}
        Which bounds are allowed values.
    allow_none : bool
        Accept ``None`` (returned unchanged), for parameters whose ``None`` means "derive it".

    Returns
    -------
    int, float, bool or None
        ``value`` converted to the Python type ``kind``.

    Raises
    ------
    ValueError
        Naming the parameter, the value received and what was expected.
    """
    if include_boundaries not in ("both", "left", "right", "neither"):
        raise ValueError(f"include_boundaries must be 'both', 'left', 'right' or 'neither', got {include_boundaries!r}")
    if value is None and allow_none:
        return None
    or_none = " or None" if allow_none else ""
    is_bool = isinstance(value, (bool, np.bool_))
    if kind is bool:
        if not is_bool:
            raise ValueError(f"{name} must be True or False{or_none}, got {value!r}")
        return bool(value)
    if kind is int:
        if is_bool or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be an integer{or_none}, got {value!r}")
        value = int(value)
    elif kind is float:
        if is_bool or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be a real number{or_none}, got {value!r}")
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    else:
        raise TypeError(f"check_scalar supports int, float and bool, not {kind!r}")
    low_ok = min_val is None or (value >= min_val if include_boundaries in ("both", "left") else value > min_val)
    high_ok = max_val is None or (value <= max_val if include_boundaries in ("both", "right") else value < max_val)
    if not (low_ok and high_ok):
        left = "[" if include_boundaries in ("both", "left") else "("
        right = "]" if include_boundaries in ("both", "right") else ")"
        low = "-inf" if min_val is None else f"{min_val:g}"
        high = "inf" if max_val is None else f"{max_val:g}"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {value!r}")
    return value


def check_choice(value: Any, name: str, choices: Collection[Any]) -> Any:
    """Validate that ``value`` is one of ``choices`` and return it.

    Raises
    ------
    ValueError
        Naming the parameter, the value received and the allowed values.
    """
    try:
        ok = value in choices
    except TypeError:  # unhashable value tested against a set
        ok = False
    if not ok:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
