"""Verdicts on the paper's theory claims (§3), from quantities chapters 03 and 04 measure.

Each function takes what a chapter already computed and returns the keyword arguments of
:func:`sigah.studies.claims.record_verdict` after the claim id (verdict, effect, n, measured
quantities and the rule, in one sentence): the chapter calls ``record_verdict("T05",
**theorem1(theorem))``, so that its source names every claim it records. The rules are
deterministic reads of the measurements, not significance tests:

- an inequality (Theorem 1, Eqs. 8-10, Eq. 12) is **held** when it holds in at least
  :data:`HOLDS_SHARE` of the draws where it is *informative*, that is where its right side is
  below the error of the trivial estimator (predicting zero, or the mean); a bound that is vacuous
  in every draw cannot be seen to fail, and the verdict is **inconclusive**, with the smallest
  right side the run reached (relative to the trivial error) as what it could have detected;
- a deterministic inequality (Eq. 9, the Lipschitz bound) is held when it holds for every point;
- a recovery claim is held when recovery succeeds with fewer measurements than the signal has
  dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats
from sigah.stats import ALPHA

__all__ = [
    "KS_BOUND",
    "HOLDS_SHARE",
    "RECOVERY_ERROR",
    "bound_informative",
    "bound_verdict",
    "discrete_bound",
    "gaussian_composition",
    "generator_recovery",
    "lipschitz",
    "optimisation_gap",
    "reconstruction_bound",
    "relaxation",
    "sparse_recovery",
    "theorem1",
    "underdetermined",
]

#: share of informative draws in which a probabilistic bound must hold to count as held
HOLDS_SHARE = 0.95
#: equivalence bound on the KS distance of UᵀA's entries from N(0, 1/d) (T03): two percentage
#: points of probability anywhere on the distribution function
KS_BOUND = 0.02
#: relative error below which a signal counts as recovered (chapter 03's 1 %)
RECOVERY_ERROR = 1e-2


def bound_verdict(lhs: Sequence[float], rhs: Sequence[float], trivial: Sequence[float] | float,
                  *, what: str) -> dict[str, Any]:
    """The verdict on an inequality ``lhs ≤ rhs`` measured over draws, read against a trivial error.

    Parameters
    ----------
    lhs, rhs : array_like, shape (n_draws,)
        Both sides of the inequality per draw.
    trivial : array_like, shape (n_draws,), or float
        The error of the trivial estimator per draw; where ``rhs ≥ trivial`` the bound is vacuous.
    what : str
        What the draws are, for the sentence (``"random ReLU generators"``).

    Returns
    -------
    dict
        Keyword arguments of :func:`sigah.studies.claims.record_verdict` after the claim id.
    """
    lhs, rhs = np.asarray(lhs, dtype=float), np.asarray(rhs, dtype=float)
    trivial = np.broadcast_to(np.asarray(trivial, dtype=float), rhs.shape)
    if lhs.shape != rhs.shape or lhs.ndim != 1 or lhs.size == 0:
        raise ValueError(f"lhs and rhs must be equal non-empty 1-d arrays, got shapes {lhs.shape} and {rhs.shape}")
    holds, informative = lhs <= rhs, rhs < trivial
    measured = {"holds, all draws": holds.mean(), "vacuous share": 1 - informative.mean(),
                "median right side / trivial error": np.median(rhs / trivial),
                "median left side / trivial error": np.median(lhs / trivial)}
    if not informative.any():
        return dict(verdict="inconclusive", n=int(lhs.size), measured=measured,
                    smallest_detectable=float(np.min(rhs / trivial)),
                    note=f"the bound is vacuous in every one of the {lhs.size} {what} (right side at least "
                         "the trivial error), so no failure could show; smallest detectable: the smallest "
                         "right side reached, relative to the trivial error")
    share = float(holds[informative].mean())
    verdict = "held" if share >= HOLDS_SHARE else "not held"
    return dict(verdict=verdict, effect=share, n=int(informative.sum()), measured=measured,
                note=f"the bound holds in {share:.0%} of the {informative.sum()} {what} where it is "
                     f"informative (held from {HOLDS_SHARE:.0%}); vacuous in {1 - informative.mean():.0%} of all")


def underdetermined(code_gap: float, twin_distance: float, unexplained: float, n_images: int) -> dict[str, Any]:
    """T01, Eq. 4: two different images share one code, and the best short code leaves much unexplained.

    ``code_gap`` is the largest difference of the two codes relative to the code's norm,
    ``twin_distance`` the distance of the two images relative to the first, ``unexplained`` the
    smallest median share of a centred image that the minimum-norm solution leaves unexplained.
    """
    verdict = "held" if code_gap <= 1e-8 and twin_distance >= 0.01 else "not held"
    return dict(verdict=verdict, effect=float(unexplained), n=int(n_images),
                measured={"code difference (relative)": code_gap, "distance of the twin image": twin_distance},
                note=f"an image and another {twin_distance:.0%} away give the same measurements; "
                     f"the best orthonormal U leaves a median {unexplained:.0%} of the centred image unexplained")


def sparse_recovery(sparsities: Sequence[float], p90: Sequence[float], n_signal: int, n_trials: int) -> dict[str, Any]:
    """T02, Eq. 5: basis pursuit recovers κ-sparse signals from fewer measurements than their dimension.

    Read for the sparse regime κ ≤ n/10: held when every such κ reaches 90 % recovery at some
    ``p < n`` (``p90`` is NaN where the grid never reaches it).
    """
    kappa, p90 = np.asarray(sparsities, dtype=float), np.asarray(p90, dtype=float)
    sparse = kappa <= n_signal / 10
    if not sparse.any():
        raise ValueError(f"no sparsity of the grid is at most n/10 = {n_signal / 10:g}: {kappa.tolist()}")
    needed = p90[sparse]
    ok = bool(np.all(np.isfinite(needed) & (needed < n_signal)))
    worst = float(np.nanmax(needed)) / n_signal if np.isfinite(needed).any() else float("nan")
    verdict = "held" if ok else "not held"
    return dict(verdict=verdict, effect=None if np.isnan(worst) else worst, n=int(n_trials),
                measured={"κ ≤ n/10": kappa[sparse].tolist(), "p for 90 % recovery": needed.tolist(),
                          "signal dimension n": n_signal},
                note=f"for every sparsity κ ≤ n/10 basis pursuit recovers 90 % of the signals "
                     f"with p < n = {n_signal} measurements (effect: the largest such p / n)" if ok else
                     f"some sparsity κ ≤ n/10 needs n = {n_signal} measurements or more for 90 % recovery")


def gaussian_composition(entries: np.ndarray, d: int, independent_range: Sequence[float],
                         chosen_range: Sequence[float], *, bound: float = KS_BOUND,
                         alpha: float = ALPHA) -> dict[str, Any]:
    """T03, Eq. 6: ``UᵀA`` has i.i.d. N(0, 1/d) entries when U has orthonormal rows independent of A.

    A test that fails to reject N(0, 1/d) is no evidence for it, so the claim is read as an
    equivalence: the Kolmogorov-Smirnov distance between the entries' distribution and N(0, 1/d)
    is below ``bound``. The distance of the sample, ``D``, is within ``ε = √(ln(2/α) / 2n)`` of the
    true distance with probability at least ``1 − α`` (the Dvoretzky-Kiefer-Wolfowitz inequality, by
    the triangle inequality), so ``[D − ε, D + ε]`` is its interval: **held** when ``D + ε`` is
    below ``bound``, **not held** when ``D − ε`` is above it, **inconclusive** otherwise.

    Parameters
    ----------
    entries : numpy.ndarray
        The entries of ``UᵀA`` for U with orthonormal rows drawn independently of A (any shape).
    d : int
        Rows of A (the entries' predicted variance is 1/d).
    independent_range, chosen_range : sequence of float
        ``(min, max)`` of the row variances × d, for U independent of A and chosen from A.
    bound : float
        Equivalence bound on the KS distance, in (0, 1).
    alpha : float
        Level of the interval.
    """
    from scipy.stats import kstest

    values = np.asarray(entries, dtype=np.float64).ravel()
    if values.size < 2 or not np.isfinite(values).all():
        raise ValueError(f"at least 2 finite entries of UᵀA expected, got {values.size} "
                         f"({int((~np.isfinite(values)).sum())} non-finite)")
    if d < 1:
        raise ValueError(f"d (the rows of A) must be at least 1, got {d}")
    if not 0 < bound < 1:
        raise ValueError(f"bound on the KS distance must lie in (0, 1), got {bound}")
    distance = float(kstest(values, "norm", args=(0.0, 1.0 / np.sqrt(d))).statistic)
    low, high = stats.dkw_interval(distance, values.size, alpha=alpha)
    side = stats.interval_against((low, high), bound)
    verdict = {"below": "held", "above": "not held"}.get(side, "inconclusive")
    return dict(verdict=verdict, effect=distance, interval=(low, high), n=int(values.size),
                smallest_detectable=high - distance if verdict == "inconclusive" else None,
                measured={"KS distance against N(0, 1/d)": distance, "equivalence bound": bound,
                          "row variance × d, U independent of A": list(independent_range),
                          "row variance × d, U chosen from A": list(chosen_range)},
                note=f"for orthonormal rows drawn independently of A, the KS distance of the {values.size:,} "
                     f"entries of UᵀA from N(0, 1/d) (effect; its {1 - alpha:.0%} interval by the "
                     f"Dvoretzky-Kiefer-Wolfowitz inequality) must lie below {bound:g}: held when the interval "
                     f"does, not held when it lies above; rows chosen from A give row variances × d of "
                     f"{chosen_range[0]:.2f} to {chosen_range[1]:.2f}, so a U learned through A has no such "
                     "guarantee")


def generator_recovery(p_generator: int | None, p_basis_pursuit: int | None, failed_share: float,
                       n_signals: int, sparse_dim: int) -> dict[str, Any]:
    """T04: a signal from a sparse generator is recovered through it from few Gaussian measurements.

    ``p_generator`` (``p_basis_pursuit``) is the smallest p of the grid with a median relative error
    below :data:`RECOVERY_ERROR` (None if none); ``failed_share`` the share of latent searches that
    failed with more measurements than the latent has dimensions.
    """
    ok = p_generator is not None and p_generator < sparse_dim
    verdict = "held" if ok else "not held"
    return dict(verdict=verdict, effect=None if p_generator is None else float(p_generator),
                n=int(n_signals), measured={"p through the generator": p_generator,
                                            "p by basis pursuit": p_basis_pursuit,
                                            "failed searches with p > k": failed_share, "signal dimension": sparse_dim},
                note=f"median relative error below 1 % with p < {sparse_dim} measurements through the "
                     "generator (effect: that p), on signals drawn from a sparse ReLU generator")


def theorem1(theorem: pd.DataFrame, p_min: float) -> dict[str, Any]:
    """T05, Theorem 1 (Eq. 7), from chapter 04's draws (columns ``p``, ``lhs``, ``rhs``, ``norm``).

    The theorem speaks only of ``p = O(kℓ log n)`` measurements: the verdict reads the draws with
    ``p ≥ p_min`` (the chapter passes ``kℓ ln n``, the order with constant 1); the share of draws
    below it where the bound holds is reported beside it.
    """
    enough = np.asarray(theorem["p"], dtype=float) >= p_min
    below = theorem[~enough]
    below_share = float(np.mean(below["lhs"] <= below["rhs"])) if len(below) else None
    if not enough.any():
        return dict(verdict="inconclusive", smallest_detectable=float(p_min), n=int(len(theorem)),
                    measured={"kℓ ln n": p_min, "holds, p below kℓ ln n": below_share},
                    note=f"no p of the grid reaches kℓ ln n = {p_min:.0f}, where the theorem applies; "
                         "smallest detectable: a run needs at least that many measurements")
    part = theorem[enough]
    out = bound_verdict(part["lhs"], part["rhs"], part["norm"], what=f"(generator, p ≥ {p_min:.0f}) draws")
    out["measured"] |= {"kℓ ln n": p_min, "holds, p below kℓ ln n": below_share}
    return out


def relaxation(hamming: Sequence[float], squared: Sequence[float], eq8_gap: Sequence[float]) -> dict[str, Any]:
    """T06, Eqs. 8-9: the sign's Hamming distance is at most the squared distance, and the binary
    minimum is at least the relaxed one (``eq8_gap`` ≥ 0), in every draw."""
    hamming, squared, gap = (np.asarray(v, dtype=float) for v in (hamming, squared, eq8_gap))
    eq9, eq8 = float(np.mean(hamming <= squared + 1e-12)), float(np.mean(gap >= -1e-9))
    verdict = "held" if eq9 == 1.0 and eq8 == 1.0 else "not held"
    return dict(verdict=verdict, effect=min(eq9, eq8), n=int(hamming.size),
                measured={"Eq. 9 holds": eq9, "Eq. 8 holds": eq8, "Eq. 8 draws": int(gap.size)},
                note="both inequalities are deterministic and must hold for every point "
                     "(effect: the smaller share that holds)")


def lipschitz(ratios: Sequence[float], lipschitz_upper: float) -> dict[str, Any]:
    """T07: the generator is L-Lipschitz: every ratio ‖G(u) − G(v)‖ / ‖u − v‖ is at most the bound L."""
    ratios = np.asarray(ratios, dtype=float)
    largest = float(ratios.max())
    verdict = "held" if largest <= lipschitz_upper * (1 + 1e-9) else "not held"
    return dict(verdict=verdict, effect=largest / lipschitz_upper, n=int(ratios.size),
                measured={"largest ratio": largest, "median ratio": float(np.median(ratios)), "L (upper)": lipschitz_upper},
                note=f"the largest observed ratio is {largest / lipschitz_upper:.0%} of the upper bound "
                     "on L (the product of the layers' spectral norms)")


def discrete_bound(discrete: pd.DataFrame) -> dict[str, Any]:
    """T08, Eq. 10, from chapter 04's exhaustive-decoder draws (columns ``lhs``, ``rhs``, ``norm``)."""
    return bound_verdict(discrete["lhs"], discrete["rhs"], discrete["norm"], what="(signal, p) draws")


def reconstruction_bound(images: pd.DataFrame) -> dict[str, Any]:
    """T09, Eq. 12 on MNIST (columns ``observed``, ``predicted``, relative to ‖x‖: the mean predicts 1)."""
    return bound_verdict(images["observed"], images["predicted"], 1.0, what="(image, m) pairs")


def bound_informative(images: pd.DataFrame) -> dict[str, Any]:
    """T10: the reconstruction bound constrains the error, that is beats predicting the mean, for most images."""
    predicted = np.asarray(images["predicted"], dtype=float)
    share = float(np.mean(predicted < 1.0))
    verdict = "held" if share > 0.5 else "not held"
    return dict(verdict=verdict, effect=share, n=int(predicted.size),
                measured={"median right side / ‖x‖": float(np.median(predicted)),
                          "median observed error / ‖x‖": float(np.median(images["observed"]))},
                note=f"the right side of Eq. 12 is below the error of predicting the mean for {share:.0%} "
                     "of the (image, m) pairs (held above half; effect: that share)")


def optimisation_gap(theorem: pd.DataFrame, *, tolerance: float = 0.01) -> dict[str, Any]:
    """T11: the search's optimisation gap ε is negligible: median ε / ‖x*‖ at most ``tolerance``.

    ε is the excess of the search's residual over the best residual any search found, so it can
    only under-state the true gap.
    """
    relative = np.asarray(theorem["epsilon"], dtype=float) / np.asarray(theorem["norm"], dtype=float)
    median = float(np.median(relative))
    verdict = "held" if median <= tolerance else "not held"
    return dict(verdict=verdict, effect=median, n=int(relative.size),
                measured={"90th percentile of ε / ‖x*‖": float(np.quantile(relative, 0.9))},
                note=f"median ε / ‖x*‖ = {median:.2g} over the Theorem 1 draws (held up to "
                     f"{tolerance:g}); ε is measured against the best residual found, a lower bound on the true gap")
