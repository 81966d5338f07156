r"""Verdicts on the paper's claims about the method's parts: orthogonal measurements (T18), the
dropped noise term of the relaxation (T12), and the energy discriminator (T13, T14, A03).

Each function takes what a chapter computed and returns the keyword arguments of
:func:`sigah.studies.claims.record_verdict` after the claim id. Differences go through
:mod:`sigah.stats` (paired comparisons, Holm over the comparisons of one claim) and are read by
:func:`sigah.studies.claims.reading_of`; a quantity said to be negligible is read against a
trivial baseline, never against a bound that could be looser than predicting zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah.stats import format_signed
from sigah.studies.claims import below_tolerance, reading_of
from sigah.studies.wording import join_words

__all__ = [
    "NEGLIGIBLE_SHARE",
    "EARLY_SHARE",
    "ORTHOGONAL_MARGIN",
    "orthogonal_reconstruction",
    "orthogonal_verdict",
    "orthogonal_sentence",
    "noise_term_verdict",
    "loss_and_match",
    "loss_match_verdict",
    "early_distance",
    "margin_gradient_verdict",
    "energy_toy_sentence",
    "energy_gap_verdict",
]

#: share of the trivial error (predicting zero for the relaxed code) below which a term is negligible
NEGLIGIBLE_SHARE = 0.05
#: share of the Gaussian matrix's mean error by which the orthonormal one must be lower (T18)
ORTHOGONAL_MARGIN = 0.01
#: share of a training run's records that count as "far from convergence"
EARLY_SHARE = 0.25


# -- T18: orthogonal measurement matrices ------------------------------------------------------------
def orthogonal_reconstruction(centred: np.ndarray, code_lengths: Sequence[int], *, n_draws: int = 10,
                              seed: int = 0) -> dict[int, dict[str, np.ndarray]]:
    """Per-image relative error of the recovered feature ``U b``, ``b = Uᵀx``, for three matrices.

    Parameters
    ----------
    centred : numpy.ndarray, shape (n_images, d)
        Centred features.
    code_lengths : sequence of int
        Measurements ``k`` (code lengths), each below ``d``.
    n_draws : int
        Random matrices of each kind per ``k`` (the "seeds" of :mod:`sigah.stats`, crossed with
        the images), so that an interval covers another draw of the matrices too.
    seed : int

    Returns
    -------
    dict
        ``{k: {name: array (n_draws, n_images)}}`` with names ``"Gaussian"`` (entries N(0, 1/d),
        columns of unit norm on average, decoded ``U Uᵀ x``), ``"orthonormal"`` (the same matrix
        orthonormalised by QR: the same span, ``UᵀU = I``, Haar-distributed, decoded alike) and
        ``"Gaussian, least squares"`` (the Gaussian U decoded by ``U (UᵀU)⁻¹ Uᵀ x``, the projection
        onto its span, which is the orthonormal one's).
    """
    X = np.asarray(centred, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"centred features of shape (n_images, d) expected, got {X.shape}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    d = X.shape[1]
    norms = np.linalg.norm(X, axis=1)
    norms[norms == 0] = 1.0
    rng = np.random.default_rng(seed)

    def error(U: np.ndarray, decode: np.ndarray) -> np.ndarray:
        return np.linalg.norm(X - (X @ U) @ decode, axis=1) / norms

    out = {}
    for k in code_lengths:
        if not 1 <= k < d:
            raise ValueError(f"a code length must lie in [1, {d - 1}] (below d = {d}), got {k}")
        grids: dict[str, list[np.ndarray]] = {"orthonormal": [], "Gaussian": [], "Gaussian, least squares": []}
        for _ in range(n_draws):
            gauss = rng.standard_normal((d, int(k))) / np.sqrt(d)
            orth = np.linalg.qr(gauss)[0]  # same span: only orthogonality differs
            grids["orthonormal"].append(error(orth, orth.T))
            grids["Gaussian"].append(error(gauss, gauss.T))
            grids["Gaussian, least squares"].append(error(gauss, np.linalg.solve(gauss.T @ gauss, gauss.T)))
        out[int(k)] = {name: np.stack(rows) for name, rows in grids.items()}
    return out


def orthogonal_verdict(errors: Mapping[int, Mapping[str, np.ndarray]], *,
                       margin_share: float = ORTHOGONAL_MARGIN) -> dict[str, Any]:
    """T18: the orthonormal matrix recovers with a lower error than a Gaussian one, at every ``k``.

    The claim concerns transpose decoding, ``U b`` with ``b = Uᵀx``: decoded by least squares the
    two matrices recover exactly alike (the same span, the same projection). The orthonormal
    matrix's ``U Uᵀ`` is that projection, so it is lower by construction by some amount; the claim
    is read as "lower by more than a stated margin", ``margin_share`` of the Gaussian matrix's mean
    relative error at that ``k``. Per ``k``, orthonormal minus Gaussian plus the margin, paired over
    matrix draws and images (crossed), Holm over the code lengths: **held** when every one is lower
    than zero (lower by more than the margin), **not held** when any is higher (lower by less).

    Parameters
    ----------
    errors : mapping
        :func:`orthogonal_reconstruction`'s ``{k: {name: array (n_draws, n_images)}}``.
    margin_share : float
        In (0, 1).
    """
    from sigah.stats import compare_family

    if not 0 < margin_share < 1:
        raise ValueError(f"margin_share must lie in (0, 1), got {margin_share}")
    margins = {k: margin_share * float(np.mean(e["Gaussian"])) for k, e in errors.items()}
    family = compare_family({f"orthonormal − Gaussian + margin, k = {k}":
                             (e["orthonormal"] + margins[k], e["Gaussian"]) for k, e in errors.items()})
    measured = {f"median error, {name}, k = {k}": float(np.median(e[name]))
                for k, e in errors.items() for name in e}
    measured |= {f"margin, k = {k}": m for k, m in margins.items()} | {"margin share": margin_share}
    return reading_of(family, "lower", measured=measured,
                      note="transpose decoding only (U b, b = Uᵀx; decoded by least squares the Gaussian U "
                           "recovers exactly as its orthonormalisation, see measured): relative error with the "
                           "Gaussian U orthonormalised (same span) minus with the Gaussian U itself, plus a "
                           f"margin of {100 * margin_share:g} % of the Gaussian's mean error, paired over matrix draws "
                           "and images, Holm over the code lengths; held when lower at every k (the orthonormal "
                           "error lower by more than the margin)")


def orthogonal_sentence(errors: Mapping[int, Mapping[str, np.ndarray]], reading: Mapping[str, Any]) -> str:
    """One sentence reading :func:`orthogonal_reconstruction`'s table with T18's verdict.

    Parameters
    ----------
    errors : mapping
        ``{k: {name: array (n_draws, n_images)}}``.
    reading : mapping
        :func:`orthogonal_verdict` of ``errors``.
    """
    gaps = {k: float(np.mean(e["orthonormal"] - e["Gaussian"]) / np.mean(e["Gaussian"])) for k, e in errors.items()}
    same = max((float(np.max(np.abs(e["Gaussian, least squares"] - e["orthonormal"]))) for e in errors.values()
                if "Gaussian, least squares" in e), default=None)
    low, high = min(gaps.values()), max(gaps.values())
    spread = f"{-high:.2%}" if np.isclose(low, high) else f"{-high:.2%} to {-low:.2%}"
    return (f"Decoded by the transpose, the orthonormal matrix's mean error is lower than the Gaussian "
            f"matrix's by {spread} of the latter over the code lengths; read as \"lower by more than "
            f"{100 * reading['measured']['margin share']:g} %\" (less is what any projection gains by construction), the claim is "
            f"**{reading['verdict']}**."
            + ("" if same is None else f" Decoded by least squares the two recover alike (largest difference "
               f"per image {same:.1e}): the claim concerns transpose decoding only."))


# -- T12: the noise term of the relaxation -------------------------------------------------------------
def noise_term_verdict(u: np.ndarray, *, tolerance: float = NEGLIGIBLE_SHARE) -> dict[str, Any]:
    """T12: the term ``‖b − tanh u‖²`` dropped by Eqs. 18-19 is negligible on the trained model.

    Per code, the term per bit, ``mean_j (b_j − tanh u_j)²``, is a share of the trivial error: a
    relaxed code of zeros leaves 1 per bit. The mean over codes, with its interval
    (:func:`sigah.stats.estimate_mean` over the codes), is read against ``tolerance``: **held** when
    the interval lies below it, **not held** when above, **inconclusive** otherwise. The Taylor
    bound ``mean_j tanh'(u_j)²`` is reported beside it (and where it is informative, below the
    trivial 1), but never confirms the claim by itself.

    Parameters
    ----------
    u : numpy.ndarray, shape (n_codes, n_bits)
        Pre-activations ``Wᵀx̃`` of the trained hash function.
    tolerance : float
        In (0, 1).
    """
    from sigah.stats import estimate_mean

    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] < 2:
        raise ValueError(f"pre-activations of shape (n_codes, n_bits) with at least 2 codes expected, got {u.shape}")
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must lie in (0, 1), got {tolerance}")
    codes = np.where(u >= 0, 1.0, -1.0)
    term = ((codes - np.tanh(u)) ** 2).mean(axis=1)
    bound = ((1.0 - np.tanh(u) ** 2) ** 2).mean(axis=1)
    estimate = estimate_mean(term[None, :])
    return dict(**below_tolerance(estimate, tolerance, n=term.size),
                measured={"tolerance (share of the trivial error)": tolerance,
                          "median Taylor bound per bit": float(np.median(bound)),
                          "share of codes where the bound is informative": float(np.mean(bound < 1.0)),
                          "share of codes where the bound is below the tolerance": float(np.mean(bound < tolerance)),
                          "median |u|": float(np.median(np.abs(u)))},
                note=f"on the trained model, the dropped term per bit, mean (b − tanh u)² over {term.size:,} codes, is "
                     f"{estimate.mean:.3f} of the trivial error (1: a relaxed code of zeros); held when its "
                     f"interval lies below {tolerance:g}, not held when above")


# -- T13, T14: the two-dimensional EBGAN -----------------------------------------------------------------
def loss_and_match(histories: Mapping[tuple[float, int], Any]) -> pd.DataFrame:
    """Per EBGAN run, Spearman's ρ between the record-to-record changes of the discriminator loss
    and of the generated points' distance to the data.

    Both series trend over training (the loss settles while the points approach the data), so ρ of
    the series themselves would mostly measure two trends; ρ of their first differences asks
    whether a step that lowered the loss also brought the points closer.

    Parameters
    ----------
    histories : mapping
        ``{(margin, repeat): sigah.energy.EBGANHistory}``.

    Returns
    -------
    pandas.DataFrame
        Columns ``margin``, ``repeat``, ``rho``.
    """
    from scipy.stats import spearmanr

    rows = []
    for (margin, repeat), h in histories.items():
        loss, distance = np.asarray(h.discriminator_loss), np.asarray(h.mean_distance_to_data)
        if loss.size < 4 or loss.size != distance.size:
            raise ValueError(f"run (μ = {margin}, repeat {repeat}) needs at least 4 paired records, got "
                             f"{loss.size} and {distance.size}")
        d_loss, d_distance = np.diff(loss), np.diff(distance)
        varies = np.ptp(d_loss) > 0 and np.ptp(d_distance) > 0
        rho = spearmanr(d_loss, d_distance).statistic if varies else 0.0
        rows.append({"margin": float(margin), "repeat": int(repeat), "rho": float(rho)})
    return pd.DataFrame(rows)


def loss_match_verdict(rhos: pd.DataFrame) -> dict[str, Any]:
    """T13: a lower discriminator loss goes with synthetic samples closer to the real ones.

    One ρ per run (:func:`loss_and_match`, of first differences). Margins of the grid may pull the
    two series in different directions, so the runs are not pooled across margins: per margin,
    the mean ρ against 0 by a *t* test over its runs, Holm over the margins (one family); held when
    positive at every margin, not held when negative at any.
    """
    from sigah.stats import compare_family

    pairs = {}
    for margin, part in rhos.groupby("margin"):
        rho = part.sort_values("repeat")["rho"].to_numpy(dtype=float)
        if rho.size < 2:
            raise ValueError(f"at least 2 runs per margin are needed, got {rho.size} at μ = {margin:g}")
        pairs[f"mean ρ, μ = {margin:g}"] = (rho, np.zeros_like(rho))
    return reading_of(compare_family(pairs), "higher",
                      note="Spearman ρ between the changes of the discriminator loss and of the generated points' "
                           "mean distance to the data from record to record (first differences, so that two "
                           f"trends do not count), one ρ per run, per margin against 0 by a t test over runs "
                           f"({rhos['repeat'].nunique()} per margin), Holm over the margins; held when positive "
                           "at every margin (a step that lowers the loss brings the samples closer)")


def early_distance(histories: Mapping[tuple[float, int], Any], *, share: float = EARLY_SHARE) -> pd.DataFrame:
    """Mean distance of the generated points to the data over the first ``share`` of each run's records.

    Returns
    -------
    pandas.DataFrame
        Columns ``margin``, ``repeat``, ``early distance``.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share}")
    rows = []
    for (margin, repeat), h in histories.items():
        distance = np.asarray(h.mean_distance_to_data, dtype=float)
        if distance.size == 0:
            raise ValueError(f"run (μ = {margin}, repeat {repeat}) has no records")
        early = distance[:max(1, int(np.ceil(share * distance.size)))]
        rows.append({"margin": float(margin), "repeat": int(repeat), "early distance": float(early.mean())})
    return pd.DataFrame(rows)


def margin_gradient_verdict(early: pd.DataFrame) -> dict[str, Any]:
    """T14: a positive margin gives the generator better gradients far from convergence.

    The smallest margin of the grid stands for (almost) no margin: the verdict depends on that
    value, which the note states (and whether it is 0). Every larger margin's log early distance
    (:func:`early_distance`) minus the smallest's, paired over repeats, Holm; held when every larger
    margin is lower (the generator gets closer to the data sooner), not held when any is higher.
    """
    from sigah.stats import compare_family

    margins = sorted(early["margin"].unique())
    if len(margins) < 2:
        raise ValueError(f"at least two margins are needed, got {margins}")

    def series(mu: float) -> np.ndarray:
        part = early[early["margin"] == mu].sort_values("repeat")
        return np.log(part["early distance"].to_numpy(dtype=float))

    smallest = margins[0]
    reference = "the grid has μ = 0" if smallest == 0 else f"the grid has no μ = 0; the verdict reads μ = {smallest:g}"
    family = compare_family({f"μ = {mu:g} − μ = {smallest:g}": (series(mu), series(smallest)) for mu in margins[1:]})
    return reading_of(family, "lower",
                      measured={f"median early distance, μ = {mu:g}": float(np.exp(np.median(series(mu))))
                                for mu in margins},
                      note=f"log mean distance of the generated points to the data over the first "
                           f"{EARLY_SHARE:.0%} of training, each margin minus the grid's smallest, μ = {smallest:g}, "
                           f"which stands for no margin ({reference}), paired over repeats, Holm; held when every "
                           "larger margin is lower")


def energy_toy_sentence(loss_match: Mapping[str, Any], margin_gradient: Mapping[str, Any],
                        rhos: pd.DataFrame) -> str:
    """One sentence reading the table of ρ and early distance per margin with T13's and T14's verdicts.

    Parameters
    ----------
    loss_match, margin_gradient : mapping
        :func:`loss_match_verdict` and :func:`margin_gradient_verdict`.
    rhos : pandas.DataFrame
        :func:`loss_and_match`.
    """
    by_margin = rhos.groupby("margin")["rho"].mean()
    negative = [f"{m:g}" for m, v in by_margin.items() if v < 0]
    signs = f", below zero at μ = {join_words(negative)}" if negative else ", none below zero"
    return (f"Over the runs, the mean ρ per margin lies between {format_signed(by_margin.min(), 2)} and "
            f"{format_signed(by_margin.max(), 2)}{signs}; read per "
            f"margin, that a lower loss means closer samples is **{loss_match['verdict']}**, and that a "
            f"margin brings the generator closer early in training is **{margin_gradient['verdict']}** "
            "(the claims table at the end of the chapter gives each rule).")


# -- A03: SiGAH's discriminator on MNIST ----------------------------------------------------------------
def energy_gap_verdict(table: pd.DataFrame, *, real: str = "D(real), last epoch",
                       synthetic: str = "D(synthetic), last epoch", weight: str = "γ") -> dict[str, Any]:
    """A03: the trained discriminator gives real features lower energy than synthetic ones.

    Per adversarial weight γ > 0, log D(real) minus log D(synthetic) of the last epoch, paired over
    seeds, Holm over the weights; held when lower at every weight.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (γ, seed) with the two energies (NaN or None where γ = 0).
    """
    from sigah.stats import compare_family

    active = table[table[weight] > 0]
    if active.empty:
        raise ValueError("no run with an adversarial weight γ > 0: the discriminator was never trained")
    pairs = {}
    for gamma, part in active.groupby(weight):
        part = part.sort_values("seed")
        pairs[f"log D(real) − log D(synthetic), γ = {gamma:g}"] = (
            np.log(part[real].to_numpy(dtype=float)), np.log(part[synthetic].to_numpy(dtype=float)))
    family = compare_family(pairs)
    return reading_of(family, "lower",
                      note="log energy of real minus synthetic features in the last epoch, per γ > 0, paired "
                           "over seeds, Holm; held when lower at every γ")
