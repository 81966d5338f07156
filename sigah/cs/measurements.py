"""Random measurement matrices and sparse test signals (chapter *Compressed-sensing recovery*).

Scalings follow the text:

* Bora et al. (2017) draw ``A ∈ R^{m×n}`` with entries ``N(0, 1/m)``, ``m`` the number of
  measurements, so that ``E‖Ax‖² = ‖x‖²``;
* SiGAH's dictionary ``A ∈ R^{d×m}`` (Eq. 5, ``m = 2d``) uses ``N(0, 1/d)``: the same rule, as
  the ``d`` feature values are the measurements of the ``m``-dimensional sparse code.

Both are :func:`gaussian_matrix` with ``variance="rows"`` (1 / number of rows).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "gaussian_matrix",
    "orthonormal_rows",
    "sparse_vectors",
    "measure",
    "column_covariance",
    "gaussianity_summary",
    "row_ks_pvalues",
]


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def gaussian_matrix(
    n_rows: int, n_cols: int, *, variance: str | float = "rows", seed: int | np.random.Generator = 0
) -> np.ndarray:
    """A matrix of i.i.d. centred Gaussian entries (Eq. 5's ``A``; Bora et al.'s measurement matrix).

    Parameters
    ----------
    n_rows, n_cols : int
        Shape. For measurements ``y = A x``, ``n_rows`` is the number of measurements.
    variance : {"rows", "cols", "unit"} or float
        Entry variance: ``1/n_rows`` (the text's scaling; book chapter *Compressed-sensing
        recovery*, equation ``eq-cs-sparse-prior``), ``1/n_cols``, ``1``, or a given number.
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n_rows, n_cols), float64
    """
    n_rows = _check_positive_int(n_rows, "n_rows")
    n_cols = _check_positive_int(n_cols, "n_cols")
    if isinstance(variance, str):
        table = {"rows": 1.0 / n_rows, "cols": 1.0 / n_cols, "unit": 1.0}
        if variance not in table:
            raise ValueError(f"variance must be 'rows', 'cols', 'unit' or a positive number, got {variance!r}")
        var = table[variance]
    else:
        var = float(variance)
        if not var > 0:
            raise ValueError(f"variance must be positive, got {variance!r}")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_rows, n_cols)) * np.sqrt(var)


def orthonormal_rows(n_rows: int, n_cols: int, *, seed: int | np.random.Generator = 0) -> np.ndarray:
    """A random ``n_rows × n_cols`` matrix with orthonormal rows (``Φ Φᵀ = I``), Haar-distributed.

    This is ``Uᵀ`` of SiGAH's Eq. 4 (``U ∈ R^{d×k}`` with ``UᵀU = I_k``; chapter *Compressed-sensing
    recovery*, equations ``eq-cs-codes`` and ``eq-cs-gaussian-projection``); needs ``n_rows ≤ n_cols``.

    Returns
    -------
    numpy.ndarray, shape (n_rows, n_cols), float64
    """
    n_rows = _check_positive_int(n_rows, "n_rows")
    n_cols = _check_positive_int(n_cols, "n_cols")
    if n_rows > n_cols:
        raise ValueError(f"cannot have {n_rows} orthonormal rows of length {n_cols}; need n_rows <= n_cols")
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((n_cols, n_rows)))
    # Fixing the signs of diag(R) makes Q Haar-distributed rather than biased by the QR convention.
    Q = Q * np.sign(np.diag(R))
    return Q.T


def sparse_vectors(
    n: int, n_nonzero: int, n_vectors: int = 1, *, seed: int | np.random.Generator = 0, values: str = "gaussian"
) -> np.ndarray:
    """Random ``n_nonzero``-sparse vectors, one per column.

    Parameters
    ----------
    n : int
        Dimension.
    n_nonzero : int
        Number of non-zeros ``k`` (support drawn uniformly, without replacement), ``0 ≤ k ≤ n``.
    n_vectors : int
        Number of vectors (columns).
    values : {"gaussian", "signs"}
        Non-zero values ``N(0, 1)`` or random ``±1`` (the harder case for ℓ1 recovery).

    Returns
    -------
    numpy.ndarray, shape (n, n_vectors), float64
    """
    n = _check_positive_int(n, "n")
    n_vectors = _check_positive_int(n_vectors, "n_vectors")
    if isinstance(n_nonzero, bool) or not isinstance(n_nonzero, (int, np.integer)) or not 0 <= n_nonzero <= n:
        raise ValueError(f"n_nonzero must be an integer in [0, {n}], got {n_nonzero!r}")
    if values not in ("gaussian", "signs"):
        raise ValueError(f"values must be 'gaussian' or 'signs', got {values!r}")
    rng = np.random.default_rng(seed)
    X = np.zeros((n, n_vectors))
    if n_nonzero == 0:
        return X
    support = np.argsort(rng.random((n, n_vectors)), axis=0)[:n_nonzero]
    if values == "gaussian":
        vals = rng.standard_normal((n_nonzero, n_vectors))
    else:
        vals = rng.choice([-1.0, 1.0], size=(n_nonzero, n_vectors))
    np.put_along_axis(X, support, vals, axis=0)
    return X


def measure(
    A: np.ndarray, X: np.ndarray, *, noise_std: float = 0.0, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Measurements ``Y = A X + η`` with i.i.d. ``N(0, noise_std²)`` noise.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n)
    X : numpy.ndarray, shape (n,) or (n, t)

    Returns
    -------
    numpy.ndarray, shape (m,) or (m, t)
    """
    A = np.asarray(A, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"A must be a 2-D matrix, got shape {A.shape}")
    if X.ndim not in (1, 2) or X.shape[0] != A.shape[1]:
        raise ValueError(f"X must have {A.shape[1]} rows to be measured by A of shape {A.shape}, got {X.shape}")
    if noise_std < 0:
        raise ValueError(f"noise_std must be non-negative, got {noise_std}")
    Y = A @ X
    if noise_std:
        Y = Y + np.random.default_rng(seed).standard_normal(Y.shape) * noise_std
    return Y


def column_covariance(M: np.ndarray) -> np.ndarray:
    """Empirical covariance ``(1/n) Σ_j m_j m_jᵀ`` of the columns of a zero-mean matrix ``M``.

    Chapter *Compressed-sensing recovery*, equation ``eq-cs-gaussian-projection``: for ``Ã = Φ A`` (Eq. 6) with ``A`` ``N(0, σ²)`` and ``Φ`` with orthonormal rows this is
    close to ``σ² I``; for a general ``Φ`` it is close to ``σ² Φ Φᵀ``.

    Parameters
    ----------
    M : numpy.ndarray, shape (k, n)

    Returns
    -------
    numpy.ndarray, shape (k, k)
    """
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2:
        raise ValueError(f"M must be 2-D, got shape {M.shape}")
    return M @ M.T / M.shape[1]


def gaussianity_summary(M: np.ndarray, variance: float) -> dict[str, float]:
    """How close the entries of ``M`` are to i.i.d. ``N(0, variance)``.

    Returns
    -------
    dict
        ``mean``, ``variance_ratio`` (empirical / expected variance), ``ks_statistic`` and
        ``ks_pvalue`` of a Kolmogorov–Smirnov test of the standardised entries against
        ``N(0, 1)``, ``max_offdiag_corr`` (largest absolute correlation between two rows) and
        ``excess_kurtosis`` (0 for a Gaussian).
    """
    from scipy import stats

    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or min(M.shape) < 2:
        raise ValueError(f"M must be a 2-D matrix with at least 2 rows and columns, got shape {M.shape}")
    if not variance > 0:
        raise ValueError(f"variance must be positive, got {variance}")
    z = M.ravel() / np.sqrt(variance)
    ks = stats.kstest(z, "norm")
    corr = np.corrcoef(M)
    np.fill_diagonal(corr, 0.0)
    return {
        "mean": float(M.mean()),
        "variance_ratio": float(M.var() / variance),
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "max_offdiag_corr": float(np.abs(corr).max()),
        "excess_kurtosis": float(stats.kurtosis(z)),
    }


def row_ks_pvalues(M: np.ndarray, variances: np.ndarray | float) -> np.ndarray:
    """Kolmogorov–Smirnov p-value of each row of ``M`` against ``N(0, variances[i])``.

    Pooling rows of different variances into one test (as :func:`gaussianity_summary` does)
    rejects Gaussianity even when every row is Gaussian; testing each row at its own variance
    separates "not Gaussian" from "not identically distributed".

    Parameters
    ----------
    M : numpy.ndarray, shape (k, n)
    variances : float or numpy.ndarray, shape (k,)
        Expected variance of each row (e.g. ``diag(Φ Φᵀ) / d`` for ``M = Φ A``).

    Returns
    -------
    numpy.ndarray, shape (k,)
    """
    from scipy import stats

    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2:
        raise ValueError(f"M must be 2-D, got shape {M.shape}")
    var = np.broadcast_to(np.asarray(variances, dtype=np.float64), (M.shape[0],))
    if not np.all(var > 0):
        raise ValueError("every row variance must be positive")
    return np.array([stats.kstest(row / np.sqrt(v), "norm").pvalue for row, v in zip(M, var)])
