"""The shared validator of incoming matrices."""

import numpy as np
import pytest

from sigah.validation import check_finite, check_matrix


def test_valid_matrix_is_converted_without_copy_when_possible():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert check_matrix(x, "x") is x
    y = check_matrix(np.arange(6).reshape(2, 3), "y")
    assert y.dtype == np.float32 and y.flags.c_contiguous
    kept = check_matrix(np.arange(6).reshape(2, 3), "z", dtype=None)
    assert kept.dtype.kind == "i"


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros(5), r"x must be a 2-D array of shape \(n, d\), got shape \(5,\)"),
        (np.zeros((0, 3)), r"x must be non-empty.*\(0, 3\)"),
        (np.array([["a", "b"]]), "x must hold real numbers, got dtype <U1"),
        (np.ones((2, 2), dtype=complex), "real numbers"),
    ],
)
def test_malformed_matrices_are_rejected(array, message):
    with pytest.raises(ValueError, match=message):
        check_matrix(array, "x")


def test_non_finite_values_counted_and_located():
    x = np.zeros((3, 4))
    x[1, 2] = np.nan
    x[2, 0] = np.inf
    with pytest.raises(ValueError, match=r"x contains NaN or infinite values: 2 of them, first at index \(1, 2\)"):
        check_matrix(x, "x")


def test_float64_overflowing_float32_is_caught_after_the_cast():
    with pytest.raises(ValueError, match="1 of them"):
        check_matrix(np.array([[1e300, 0.0]]), "x")
    assert check_matrix(np.array([[1e300, 0.0]]), "x", dtype=None).dtype == np.float64


def test_width_is_checked():
    with pytest.raises(ValueError, match="x has 3 features per row, expected 4"):
        check_matrix(np.zeros((2, 3)), "x", n_features=4)
    check_finite(np.zeros(3), "fine")  # no error
