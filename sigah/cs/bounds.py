"""The terms of the recovery bounds of SiGAH's Sec. 3.2 (chapter *The generator bound*).

* Theorem 1 (Bora et al. 2017, Theorem 1.1; SiGAH's Eq. 7), :func:`theorem1_rhs`;
* the Hamming relaxation of Eqs. 8-9, :func:`hamming_vs_squared_distance`,
  :func:`lipschitz_ratios`;
* the discrete bound of Eq. 10, :func:`discrete_bound_rhs`, and the reconstruction bound
  of Eqs. 11-12, :func:`reconstruction_bound_rhs`;
* exact search over all codes for small ``k``, :func:`all_sign_vectors`, :func:`best_code`.

The constants of Theorem 1 are kept in :data:`THEOREM1_CONSTANTS`.
"""

from __future__ import annotations

import numpy as np

from sigah.mlp import MLP

__all__ = [
    "THEOREM1_CONSTANTS",
    "sgn",
    "all_sign_vectors",
    "hamming_distance",
    "hamming_vs_squared_distance",
    "lipschitz_ratios",
    "best_code",
    "theorem1_rhs",
    "discrete_bound_rhs",
    "reconstruction_bound_rhs",
]

#: (approximation, noise, optimisation) constants of Bora et al. (2017, arXiv 1703.03208), Theorem 1.1
#: (restated as SiGAH's Theorem 1, Eq. 7): ‖G(ẑ) − x*‖ ≤ 6 min‖G(z) − x*‖ + 3‖η‖ + 2ε; their Theorem 1.2
#: (L-Lipschitz G on a ball) has the same constants plus 2δ.
THEOREM1_CONSTANTS = (6.0, 3.0, 2.0)


def sgn(Z: np.ndarray) -> np.ndarray:
    """Eq. 2's sign: ``+1`` for ``z ≥ 0``, ``−1`` otherwise (float array of ±1)."""
    return np.where(np.asarray(Z) >= 0, 1.0, -1.0)


def all_sign_vectors(k: int) -> np.ndarray:
    """All ``2^k`` vectors of ``{−1, +1}^k``, shape ``(2^k, k)``; ``k ≤ 20``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= 20:
        raise ValueError(f"k must be an integer in [1, 20] (2^k codes are enumerated), got {k!r}")
    idx = np.arange(2**k)[:, None]
    return np.where((idx >> np.arange(k)) & 1, 1.0, -1.0)


def hamming_distance(B1: np.ndarray, B2: np.ndarray) -> np.ndarray:
    """Number of differing signs along the last axis of two ``±1`` arrays."""
    B1, B2 = np.asarray(B1), np.asarray(B2)
    if B1.shape[-1] != B2.shape[-1]:
        raise ValueError(f"codes have {B1.shape[-1]} and {B2.shape[-1]} bits; they must match")
    return np.count_nonzero(np.sign(B1) != np.sign(B2), axis=-1)


def hamming_vs_squared_distance(Z: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of Eq. 9: ``d_H(sgn z, b)`` and ``‖z − b‖²`` for ``z ∈ [−1, 1]^k``, ``b ∈ {±1}^k``.

    Chapter *The generator bound*, equation ``eq-gb-hamming``. The inequality
    ``d_H(sgn z, b) ≤ ‖z − b‖²`` holds because every coordinate where the signs differ has
    ``|z_i − b_i| ≥ 1``.

    Parameters
    ----------
    Z : numpy.ndarray, shape (t, k)
        Relaxed codes in ``[−1, 1]^k``.
    B : numpy.ndarray, shape (t, k)
        Binary codes in ``{−1, +1}^k``.

    Returns
    -------
    hamming : numpy.ndarray, shape (t,), int
    squared : numpy.ndarray, shape (t,), float
    """
    Z = np.atleast_2d(np.asarray(Z, dtype=np.float64))
    B = np.atleast_2d(np.asarray(B, dtype=np.float64))
    if Z.shape != B.shape:
        raise ValueError(f"Z and B must have the same shape, got {Z.shape} and {B.shape}")
    if np.abs(Z).max() > 1 + 1e-12:
        raise ValueError(f"relaxed codes must lie in [-1, 1], got a value of {np.abs(Z).max():.3g}")
    if not np.all(np.abs(B) == 1):
        raise ValueError("binary codes must hold only -1 and +1")
    return hamming_distance(sgn(Z), B), ((Z - B) ** 2).sum(axis=1)


def lipschitz_ratios(generator: MLP, Z1: np.ndarray, Z2: np.ndarray) -> np.ndarray:
    """``‖G(z₁) − G(z₂)‖ / ‖z₁ − z₂‖`` row by row (pairs with ``z₁ = z₂`` give 0).

    Each ratio is a lower bound on the Lipschitz constant ``L`` of Eq. 9-10;
    :meth:`sigah.mlp.MLP.lipschitz_upper_bound` gives an upper bound.
    """
    Z1 = np.atleast_2d(np.asarray(Z1, dtype=np.float64))
    Z2 = np.atleast_2d(np.asarray(Z2, dtype=np.float64))
    if Z1.shape != Z2.shape or Z1.shape[1] != generator.n_inputs:
        raise ValueError(f"Z1, Z2 must both have shape (t, {generator.n_inputs}), got {Z1.shape} and {Z2.shape}")
    num = np.linalg.norm(generator(Z1) - generator(Z2), axis=1)
    den = np.linalg.norm(Z1 - Z2, axis=1)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def best_code(
    A: np.ndarray | None, y: np.ndarray, generator: MLP, *, codes: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Exact ``argmin_{b ∈ {±1}^k} ‖y − A G(b)‖₂`` by enumerating every code (``k ≤ 20``).

    With the exact minimiser the optimisation gap ``ε`` of Theorem 1 is zero.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n), or None (identity)
    y : numpy.ndarray, shape (m,)
    generator : sigah.mlp.MLP
    codes : numpy.ndarray, shape (2^k, k), optional
        Pre-computed :func:`all_sign_vectors` (saves time in loops).

    Returns
    -------
    b : numpy.ndarray, shape (k,)
    residual : float
    """
    if codes is None:
        codes = all_sign_vectors(generator.n_inputs)
    out = generator(codes)
    pred = out if A is None else out @ np.asarray(A, dtype=np.float64).T
    y = np.asarray(y, dtype=np.float64)
    if pred.shape[1:] != y.shape:
        raise ValueError(f"y has shape {y.shape} but the measured generator outputs have shape {pred.shape[1:]}")
    res = np.linalg.norm(pred - y, axis=1)
    i = int(np.argmin(res))
    return codes[i].copy(), float(res[i])


def _nonneg(name: str, value) -> np.ndarray:
    value = np.asarray(value, dtype=np.float64)
    if np.any(value < 0) or not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite and non-negative, got {value}")
    return value


def theorem1_rhs(approximation_error, noise_norm, epsilon=0.0, *, constants=THEOREM1_CONSTANTS) -> np.ndarray:
    """Right-hand side of Theorem 1 (Eq. 7): ``6·min_z‖G(z) − x*‖ + 3‖η‖ + 2ε``.

    Chapter *The generator bound*, equation ``eq-gb-theorem1``.

    Parameters
    ----------
    approximation_error : float or array
        ``min_z ‖G(z) − x*‖₂`` (distance of the signal to the range of ``G``).
    noise_norm : float or array
        ``‖η‖₂``.
    epsilon : float or array
        Optimisation gap: how far ``‖y − A G(ẑ)‖`` is above its minimum.
    constants : tuple of 3 floats
    """
    c_approx, c_noise, c_opt = constants
    return (c_approx * _nonneg("approximation_error", approximation_error)
            + c_noise * _nonneg("noise_norm", noise_norm) + c_opt * _nonneg("epsilon", epsilon))


def discrete_bound_rhs(
    approximation_error, quantisation_error, noise_norm, epsilon=0.0, *, lipschitz: float,
    constants=THEOREM1_CONSTANTS,
) -> np.ndarray:
    """Right-hand side of Eq. 10: ``6‖G(z*) − s*‖ + λ‖b* − z*‖ + 3‖e‖ + 2ε`` with ``λ = 6L``.

    Chapter *The generator bound*, equation ``eq-gb-discrete``. ``z*`` minimises
    ``‖G(z) − s*‖`` over the relaxed set ``[−1, 1]^k``, ``b* = sgn z*``.

    Parameters
    ----------
    approximation_error : ``‖G(z*) − s*‖``
    quantisation_error : ``‖b* − z*‖``
    noise_norm : ``‖e‖``
    epsilon : optimisation gap of the discrete search
    lipschitz : Lipschitz constant ``L`` of ``G`` (an upper bound keeps the bound valid)
    """
    c_approx, _, _ = constants
    lam = c_approx * float(lipschitz)
    return theorem1_rhs(approximation_error, noise_norm, epsilon, constants=constants) + lam * _nonneg(
        "quantisation_error", quantisation_error)


def reconstruction_bound_rhs(operator_norm: float, generator_bound, noise_norm) -> np.ndarray:
    """Right-hand side of Eq. 12: ``‖A‖₂ · (Eq. 10's right-hand side) + ‖e‖``.

    Chapter *The generator bound*, equation ``eq-gb-reconstruction``: from
    ``x − A G(b̂) = A (s* − G(b̂)) + e``.
    """
    if not operator_norm > 0:
        raise ValueError(f"operator_norm must be positive, got {operator_norm}")
    return operator_norm * _nonneg("generator_bound", generator_bound) + _nonneg("noise_norm", noise_norm)
