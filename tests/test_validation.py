"""The shared validator of incoming matrices."""

import numpy as np
import pytest

from sigah.validation import check_choice, check_finite, check_matrix, check_scalar


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


# -- scalar hyper-parameters ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind", "kwargs", "message"),
    [
        (True, float, {}, "must be a real number"),
        (True, int, {}, "must be an integer"),
        (1.5, int, {}, "must be an integer"),
        ("3", float, {}, "must be a real number"),
        (float("nan"), float, {}, "must be finite"),
        (float("inf"), float, {"min_val": 0}, "must be finite"),
        (0, bool, {}, "must be True or False"),
        (0.0, float, {"min_val": 0, "include_boundaries": "right"}, r"must be in \(0, inf\]"),
        (-1, int, {"min_val": 0}, r"must be in \[0, inf\]"),
        (1.0, float, {"max_val": 1, "include_boundaries": "left"}, r"must be in \[-inf, 1\)"),
        (None, int, {}, "must be an integer, got None"),
    ],
)
def test_check_scalar_rejects_with_the_name_and_the_value(value, kind, kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        check_scalar(value, "learning_rate", kind, **kwargs)
    assert "learning_rate" in str(info.value) and repr(value) in str(info.value)


def test_check_scalar_accepts_numpy_scalars_and_returns_python_types():
    assert type(check_scalar(np.int64(3), "n", int, min_val=1)) is int
    assert type(check_scalar(np.float32(0.5), "lr", float, min_val=0)) is float
    assert type(check_scalar(3, "lr", float)) is float
    assert check_scalar(np.bool_(True), "flag", bool) is True
    assert check_scalar(None, "sigma", float, allow_none=True) is None
    assert check_scalar(0.0, "alpha", float, min_val=0) == 0.0
    assert check_scalar(1.0, "rate", float, min_val=0, max_val=1, include_boundaries="right") == 1.0


def test_check_choice():
    assert check_choice("tanh", "activation", ("tanh", "relu")) == "tanh"
    with pytest.raises(ValueError, match=r"activation must be one of 'tanh', 'relu', got 'elu'"):
        check_choice("elu", "activation", ("tanh", "relu"))
    with pytest.raises(ValueError, match="must be one of"):
        check_choice(["x"], "activation", {"tanh"})
