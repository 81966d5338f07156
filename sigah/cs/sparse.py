"""Sparse recovery from underdetermined measurements ``y = A x`` (chapter *Compressed-sensing recovery*).

* :func:`lasso_ista` / :func:`lasso_fista`: proximal gradient for the Lasso
  ``min_x ½‖y − A x‖² + λ‖x‖₁`` (Tibshirani 1996; ISTA, and FISTA of Beck & Teboulle 2009),
  chapter equation ``eq-cs-lasso``;
* :func:`omp`: orthogonal matching pursuit (Pati, Rezaiifar & Krishnaprasad 1993), greedy
  support selection with a least-squares refit, chapter equation ``eq-cs-omp``;
* :func:`phase_transition`: success rate over a grid of sparsities and numbers of measurements,
  for basis pursuit (:mod:`sigah.cs.l1`), OMP or the Lasso.

All solvers take a batch of signals as the columns of ``Y`` (shape ``(m, t)``) and are
vectorised over the batch.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sigah.cs.measurements import gaussian_matrix, sparse_vectors

__all__ = [
    "soft_threshold",
    "lasso_ista",
    "lasso_fista",
    "debias",
    "omp",
    "relative_error",
    "recovery_success",
    "phase_transition",
]


def _check_system(A, Y) -> tuple[np.ndarray, np.ndarray, bool]:
    A = np.asarray(A, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"A must be a 2-D matrix of shape (m, n), got shape {A.shape}")
    single = Y.ndim == 1
    if single:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != A.shape[0]:
        raise ValueError(
            f"measurements must have shape ({A.shape[0]},) or ({A.shape[0]}, t) to match A of shape {A.shape}, "
            f"got {np.shape(Y)}"
        )
    if not (np.isfinite(A).all() and np.isfinite(Y).all()):
        raise ValueError("A and the measurements must be finite")
    return A, Y, single


def soft_threshold(V: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
    """Proximal operator of ``threshold·‖·‖₁``: ``sign(v)·max(|v| − threshold, 0)``."""
    return np.sign(V) * np.maximum(np.abs(V) - threshold, 0.0)


def _lasso_prox_grad(A, Y, lam, n_iter, tol, accelerated):
    A, Y, single = _check_system(A, Y)
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite non-negative number, got {lam}")
    if n_iter <= 0:
        raise ValueError(f"n_iter must be positive, got {n_iter}")
    lipschitz = np.linalg.norm(A, 2) ** 2
    step = 1.0 / lipschitz
    AtY = A.T @ Y
    m, n = A.shape
    # AᵀA Z costs n² per column, Aᵀ(A Z) costs 2mn: use whichever is cheaper
    AtA = A.T @ A if n <= 2 * m else None
    X = np.zeros((n, Y.shape[1]))
    Z, t = X.copy(), 1.0
    for _ in range(n_iter):
        grad = (AtA @ Z if AtA is not None else A.T @ (A @ Z)) - AtY
        X_new = soft_threshold(Z - step * grad, step * lam)
        if accelerated:
            t_new = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
            Z = X_new + ((t - 1.0) / t_new) * (X_new - X)
            t = t_new
        else:
            Z = X_new
        change = np.linalg.norm(X_new - X) / max(np.linalg.norm(X_new), 1e-12)
        X = X_new
        if change < tol:
            break
    return X[:, 0] if single else X


def lasso_ista(A: np.ndarray, Y: np.ndarray, lam: float, *, n_iter: int = 2000, tol: float = 1e-8) -> np.ndarray:
    """Lasso ``min_x ½‖y − A x‖₂² + λ‖x‖₁`` by ISTA (proximal gradient, step ``1/‖A‖₂²``).

    Chapter *Compressed-sensing recovery*, equation ``eq-cs-lasso``. Converges as ``O(1/t)``.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n)
    Y : numpy.ndarray, shape (m,) or (m, t)
        One signal's measurements, or one signal per column.
    lam : float
        Weight ``λ ≥ 0`` of the ℓ1 penalty.
    n_iter : int
        Maximum number of iterations.
    tol : float
        Stop when the relative change of the iterate falls below this.

    Returns
    -------
    numpy.ndarray, shape (n,) or (n, t)
    """
    return _lasso_prox_grad(A, Y, lam, n_iter, tol, accelerated=False)


def lasso_fista(A: np.ndarray, Y: np.ndarray, lam: float, *, n_iter: int = 2000, tol: float = 1e-8) -> np.ndarray:
    """Lasso by FISTA (Beck & Teboulle 2009): ISTA with Nesterov momentum, ``O(1/t²)``.

    Chapter *Compressed-sensing recovery*, equation ``eq-cs-lasso``. Same arguments as
    :func:`lasso_ista`.
    """
    return _lasso_prox_grad(A, Y, lam, n_iter, tol, accelerated=True)


def debias(A: np.ndarray, Y: np.ndarray, X: np.ndarray, *, threshold: float = 1e-4) -> np.ndarray:
    """Least-squares refit of ``Y ≈ A X`` on the support of ``X`` (entries above ``threshold·max|x|``).

    At most ``m − 1`` entries (the largest) are kept, so the refit stays overdetermined.

    The Lasso shrinks every non-zero by about ``λ``; refitting on the detected support
    removes that bias, so noiseless recovery can be exact.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n)
    Y : numpy.ndarray, shape (m,) or (m, t)
    X : numpy.ndarray, shape (n,) or (n, t)
        Estimates whose support is kept.

    Returns
    -------
    numpy.ndarray, same shape as ``X``
    """
    A, Y2, single = _check_system(A, Y)
    X2 = np.asarray(X, dtype=np.float64)
    X2 = X2[:, None] if X2.ndim == 1 else X2
    if X2.shape != (A.shape[1], Y2.shape[1]):
        raise ValueError(f"X must have shape ({A.shape[1]}, {Y2.shape[1]}), got {np.shape(X)}")
    out = np.zeros_like(X2)
    for j in range(X2.shape[1]):
        col = np.abs(X2[:, j])
        support = np.flatnonzero(col > threshold * max(col.max(), 1e-300))
        if support.size >= A.shape[0]:
            support = support[np.argsort(col[support])[::-1][: max(A.shape[0] - 1, 1)]]
        if support.size:
            coef, *_ = np.linalg.lstsq(A[:, support], Y2[:, j], rcond=None)
            out[support, j] = coef
    return out[:, 0] if single else out


def omp(A: np.ndarray, Y: np.ndarray, n_nonzero: int, *, tol: float = 1e-10) -> np.ndarray:
    """Orthogonal matching pursuit, vectorised over the columns of ``Y``.

    Chapter *Compressed-sensing recovery*, equation ``eq-cs-omp``: at each step add the
    column most correlated with the residual, ``j = argmax_j |a_jᵀ r| / ‖a_j‖``, then refit
    by least squares on the selected columns, ``r = y − A_S A_S⁺ y``. Stops after
    ``n_nonzero`` atoms (or when a residual is below ``tol·‖y‖``).

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n)
    Y : numpy.ndarray, shape (m,) or (m, t)
    n_nonzero : int
        Number of atoms to select, ``1 ≤ n_nonzero ≤ min(m, n)``.
    tol : float
        Relative residual at which a signal stops early.

    Returns
    -------
    numpy.ndarray, shape (n,) or (n, t)
    """
    A, Y, single = _check_system(A, Y)
    m, n = A.shape
    if isinstance(n_nonzero, bool) or not isinstance(n_nonzero, (int, np.integer)) or not 1 <= n_nonzero <= min(m, n):
        raise ValueError(f"n_nonzero must be an integer in [1, min(m, n) = {min(m, n)}], got {n_nonzero!r}")
    t = Y.shape[1]
    norms = np.linalg.norm(A, axis=0)
    if np.any(norms == 0):
        raise ValueError("A has an all-zero column; OMP needs every column to be non-zero")
    An = A / norms
    support = np.zeros((t, n_nonzero), dtype=np.int64)
    residual = Y.copy()
    y_norm = np.linalg.norm(Y, axis=0)
    active = np.ones(t, dtype=bool)
    n_selected = np.zeros(t, dtype=np.int64)
    cols = np.arange(t)
    for step in range(n_nonzero):
        corr = np.abs(An.T @ residual)  # (n, t)
        # never pick an atom twice (its residual correlation is ~0 after the refit, but ties exist)
        if step:
            corr[support[:, :step].T, cols] = -1.0
        support[:, step] = np.argmax(corr, axis=0)
        S = support[:, : step + 1]
        A_S = np.transpose(A[:, S], (1, 0, 2))  # (t, m, step+1)
        gram = np.einsum("tmi,tmj->tij", A_S, A_S)
        rhs = np.einsum("tmi,mt->ti", A_S, Y)
        coef = np.linalg.solve(gram + 1e-12 * np.eye(step + 1), rhs[..., None])[..., 0]
        new_res = Y - np.einsum("tmi,ti->mt", A_S, coef)
        # signals that already fit stay frozen: keep their residual and size
        residual = np.where(active, new_res, residual)
        n_selected = np.where(active, step + 1, n_selected)
        active &= np.linalg.norm(residual, axis=0) > tol * np.maximum(y_norm, 1e-300)
        if not active.any():
            break
    X = np.zeros((n, t))
    # refit with each signal's own number of atoms
    for size in np.unique(n_selected):
        which = np.flatnonzero(n_selected == size)
        S = support[which, :size]
        A_S = np.transpose(A[:, S], (1, 0, 2))
        gram = np.einsum("tmi,tmj->tij", A_S, A_S)
        rhs = np.einsum("tmi,mt->ti", A_S, Y[:, which])
        c = np.linalg.solve(gram + 1e-12 * np.eye(size), rhs[..., None])[..., 0]
        X[S, which[:, None]] = c
    return X[:, 0] if single else X


def relative_error(X_hat: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``‖x̂ − x‖₂ / ‖x‖₂`` per column (per vector for 1-D input)."""
    X_hat = np.asarray(X_hat, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if X_hat.shape != X.shape:
        raise ValueError(f"estimate has shape {X_hat.shape} but the truth has shape {X.shape}")
    return np.linalg.norm(X_hat - X, axis=0) / np.maximum(np.linalg.norm(X, axis=0), 1e-300)


def recovery_success(X_hat: np.ndarray, X: np.ndarray, *, tol: float = 1e-3) -> np.ndarray:
    """Boolean per column: relative error below ``tol`` (the usual exact-recovery criterion)."""
    return relative_error(X_hat, X) < tol


def _default_solver(name: str) -> Callable[[np.ndarray, np.ndarray, int], np.ndarray]:
    if name == "bp":
        from sigah.cs.l1 import basis_pursuit

        return lambda A, Y, k: basis_pursuit(A, Y)
    if name == "omp":
        return lambda A, Y, k: omp(A, Y, min(k, *A.shape))
    if name == "fista":
        # A Lasso with a small λ (relative to ‖Aᵀy‖∞ over the batch, so scale-free), then a refit
        # on the detected support. Not basis pursuit: near the ℓ1 transition it misses small
        # coefficients and keeps spurious ones (use "bp" for exact ℓ1 minimisation).
        def solve(A, Y, k):
            lam = 1e-3 * np.abs(A.T @ Y).max()
            return debias(A, Y, lasso_fista(A, Y, lam, n_iter=1000, tol=1e-7))

        return solve
    raise ValueError(f"unknown solver {name!r}; choose 'bp', 'omp' or 'fista', or pass a function")


def phase_transition(
    n: int,
    sparsities: list[int],
    measurements: list[int],
    *,
    n_trials: int = 20,
    solver: str | Callable = "omp",
    tol: float = 1e-3,
    values: str = "gaussian",
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """Empirical probability of exact recovery over a grid of ``(k, m)``.

    For each cell a fresh ``m × n`` Gaussian matrix (``N(0, 1/m)``) measures ``n_trials``
    random ``k``-sparse signals; success is a relative error below ``tol``.

    Parameters
    ----------
    n : int
        Signal dimension.
    sparsities : list of int
        Numbers of non-zeros ``k`` (rows of the result).
    measurements : list of int
        Numbers of measurements ``m`` (columns of the result).
    n_trials : int
        Signals per cell.
    solver : {"bp", "omp", "fista"} or callable ``(A, Y, k) -> X``
        ``"bp"``: exact basis pursuit (:func:`sigah.cs.basis_pursuit`); ``"omp"``: orthogonal
        matching pursuit told ``k``; ``"fista"``: Lasso with a small λ and a least-squares refit.
    tol : float
    values : {"gaussian", "signs"}
        Distribution of the non-zero values.
    seed : int
    progress : bool
        Show a progress bar over the grid (on a terminal only, :mod:`sigah.progress`).

    Returns
    -------
    numpy.ndarray, shape (len(sparsities), len(measurements)), float64
        Success rates in ``[0, 1]``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if any(not 1 <= k <= n for k in sparsities):
        raise ValueError(f"every sparsity must lie in [1, {n}], got {list(sparsities)}")
    if any(m < 1 for m in measurements):
        raise ValueError(f"every number of measurements must be >= 1, got {list(measurements)}")
    solve = _default_solver(solver) if isinstance(solver, str) else solver
    rng = np.random.default_rng(seed)
    rates = np.zeros((len(sparsities), len(measurements)))
    cells = [(i, j) for i in range(len(sparsities)) for j in range(len(measurements))]
    if progress:
        from sigah.progress import progress_bar

        cells = progress_bar(cells, desc=f"phase transition ({solver if isinstance(solver, str) else 'custom'})")
    for i, j in cells:
        k, m = int(sparsities[i]), int(measurements[j])
        A = gaussian_matrix(m, n, seed=rng)
        X = sparse_vectors(n, k, n_trials, seed=rng, values=values)
        X_hat = solve(A, A @ X, k)
        rates[i, j] = recovery_success(X_hat, X, tol=tol).mean()
    return rates
