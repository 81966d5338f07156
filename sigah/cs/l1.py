"""Exact ℓ1 recovery and where it succeeds (chapter *Compressed-sensing recovery*).

* :func:`basis_pursuit`: ``min ‖s‖₁ subject to A s = y`` (Chen, Donoho & Saunders 1998), solved
  exactly as a linear programme by HiGHS (``scipy.optimize.linprog``), chapter equation
  ``eq-cs-bp``;
* :func:`l1_statistical_dimension`: the statistical dimension of the ℓ1 descent cone at a
  ``k``-sparse vector of ``R^n`` (Amelunxen, Lotz, McCoy & Tropp 2014), the number of Gaussian
  measurements at which basis pursuit goes from failing to succeeding, chapter equation
  ``eq-cs-statdim``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["basis_pursuit", "l1_statistical_dimension"]


def basis_pursuit(A: np.ndarray, y: np.ndarray, *, tol: float = 1e-9) -> np.ndarray:
    """Basis pursuit: the minimum-ℓ1 solution of ``A s = y``, one linear programme per signal.

    Writing ``s = u − v`` with ``u, v ≥ 0`` turns ``min ‖s‖₁ s.t. A s = y`` into the linear
    programme ``min 1ᵀ(u + v) s.t. [A, −A] [u; v] = y, u, v ≥ 0``, which HiGHS solves to
    optimality (no step size, no penalty weight, no refit: the exact ℓ1 solution).

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n)
        Measurement matrix, finite.
    y : numpy.ndarray, shape (m,) or (m, t)
        One signal's measurements, or one signal per column.
    tol : float
        Primal and dual feasibility tolerance handed to HiGHS.

    Returns
    -------
    numpy.ndarray, shape (n,) or (n, t)
        The minimum-ℓ1 solution of each system.

    Raises
    ------
    ValueError
        On shapes that do not match, non-finite input, or a system ``A s = y`` that has no
        solution (``y`` outside the range of ``A``).
    """
    from scipy.optimize import linprog

    from sigah.cs.sparse import _check_system

    A, Y, single = _check_system(A, y)
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    m, n = A.shape
    A_eq = np.hstack([A, -A])
    cost = np.ones(2 * n)
    # presolve only costs time on these small dense systems (about half the solve time)
    options = {"primal_feasibility_tolerance": tol, "dual_feasibility_tolerance": tol, "presolve": False}
    S = np.zeros((n, Y.shape[1]))
    for j in range(Y.shape[1]):
        res = linprog(cost, A_eq=A_eq, b_eq=Y[:, j], bounds=(0, None), method="highs", options=options)
        if res.status != 0:
            raise ValueError(f"basis pursuit failed on signal {j}: {res.message} "
                             f"(is y in the range of the {m} × {n} matrix A?)")
        S[:, j] = res.x[:n] - res.x[n:]
    return S[:, 0] if single else S


def l1_statistical_dimension(n: int, k: int | np.ndarray) -> float | np.ndarray:
    """Statistical dimension of the ℓ1 descent cone at a ``k``-sparse vector of ``R^n``.

    Amelunxen, Lotz, McCoy & Tropp (2014, Prop. 4.5 and Eq. 4.9)::

        δ(n, k) ≈ min_{τ ≥ 0}  k (1 + τ²) + (n − k) · E[(|g| − τ)₊²],    g ~ N(0, 1),
        E[(|g| − τ)₊²] = 2 [(1 + τ²) Q(τ) − τ φ(τ)],

    with ``φ`` the standard normal density and ``Q`` its upper tail. The formula is an upper
    bound on the statistical dimension, off by at most ``2 / sqrt(k)`` (ibid.). Basis pursuit
    with an ``m × n`` Gaussian matrix recovers a fixed ``k``-sparse vector with high probability
    when ``m ≥ δ + O(sqrt(n))`` and fails with high probability when ``m ≤ δ − O(sqrt(n))``
    (their Theorem II): ``δ`` is where the phase transition sits, for every ``k / n`` (unlike the
    small-``k`` asymptote ``2k ln(n/k)``).

    Parameters
    ----------
    n : int
        Dimension, ``n ≥ 1``.
    k : int or numpy.ndarray of int
        Sparsity (or sparsities), ``0 ≤ k ≤ n``.

    Returns
    -------
    float or numpy.ndarray of float (same shape as ``k``)
        ``δ`` in units of measurements, between ``k`` and ``n``.
    """
    from scipy.optimize import minimize_scalar
    from scipy.stats import norm

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    ks = np.asarray(k)
    if ks.dtype == bool or not np.issubdtype(ks.dtype, np.integer) or np.any((ks < 0) | (ks > n)):
        raise ValueError(f"k must be integers in [0, {n}], got {k!r}")

    def psi(tau: float, kk: int) -> float:
        tail = 2.0 * ((1.0 + tau * tau) * norm.sf(tau) - tau * norm.pdf(tau))
        return kk * (1.0 + tau * tau) + (n - kk) * tail

    def one(kk: int) -> float:
        if kk == 0:
            return 0.0
        if kk == n:
            return float(n)
        # ψ is convex in τ and its minimiser lies in [0, sqrt(2 ln(n/k)) + 2]
        hi = np.sqrt(2.0 * np.log(n / kk)) + 2.0
        best = minimize_scalar(psi, bounds=(0.0, hi), args=(kk,), method="bounded", options={"xatol": 1e-10})
        return float(min(best.fun, psi(0.0, kk)))

    out = np.array([one(int(kk)) for kk in ks.ravel()]).reshape(ks.shape)
    return float(out) if out.ndim == 0 else out
