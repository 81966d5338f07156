"""The sentences and tables of chapter *Compressed-sensing recovery*, computed from its run.

The chapter's visible cells draw signals, measure them and call the solvers of :mod:`sigah.cs`;
the functions here turn what they returned into tables (:class:`pandas.io.formats.style.Styler`)
and one Markdown paragraph per result (:class:`IPython.display.Markdown`), shown by folded cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown

from sigah import cs
from sigah.stats import plural
from sigah.studies.recovery_sweep import BP_ERR, GEN_ERR, generator_recovery  # re-exported for the chapter

__all__ = [
    "signed_range", "run_time_sentence", "underdetermined_table", "underdetermined_sentence",
    "twin_sentence", "phase_timing_sentence", "measurements_needed", "transition_summary",
    "transition_table", "transition_sentence", "lasso_sentence", "gaussianity_row", "gaussianity_table",
    "gaussianity_sentence", "generator_summary", "generator_table", "generator_sentence",
    "generator_recovery",
]


def signed_range(low: float, high: float, digits: int = 0) -> str:
    """``"between −3 and +5"``, or ``"+2 in every case"`` when both ends print alike."""
    a, b = f"{low:+.{digits}f}", f"{high:+.{digits}f}"
    return f"{a} in every case" if a == b else f"between {a} and {b}"


def run_time_sentence(start: float, now: float) -> Markdown:
    """*Chapter run time: N s.* from two ``time.perf_counter()`` readings."""
    return Markdown(f"*Chapter run time: {now - start:.0f} s.*")


def underdetermined_table(table: pd.DataFrame) -> Any:
    """The minimum-norm reconstruction errors of the section *A code is too few measurements*."""
    return table.style.format(precision=3).hide(axis="index")


def underdetermined_sentence(table: pd.DataFrame) -> Markdown:
    """What the best and a random orthonormal ``U`` leave unexplained at the longest code.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows in pairs (principal directions, then random) per code length, columns
        ``k (measurements)`` and ``median relative error of U b``.
    """
    best, rand = table.iloc[-2], table.iloc[-1]
    col = "median relative error of U b"
    return Markdown(
        f"With k = {best['k (measurements)']} measurements the best orthonormal U still leaves a median "
        f"{best[col]:.0%} of the centred image unexplained, a random one {rand[col]:.0%} (predicting the "
        "mean image leaves 100 %).")


def twin_sentence(U: np.ndarray, x: np.ndarray, twin: np.ndarray) -> Markdown:
    """How equal the codes of an image and its null-space twin are, and how far apart the images."""
    code_gap = np.abs(U.T @ x - U.T @ twin).max()
    distance = np.linalg.norm(twin - x) / np.linalg.norm(x)
    return Markdown(f"Largest difference of the two codes: {code_gap:.1e}; distance between the two "
                    f"images relative to the first: {distance:.2f}.")


def phase_timing_sentence(n_signal: int, n_trials: int, sparsities: Sequence[int],
                          measurements: Sequence[int], timing: Mapping[str, str]) -> Markdown:
    """The size of the phase-transition grid and where and how fast each solver ran on it.

    ``timing`` maps ``"bp"`` and ``"omp"`` to :func:`sigah.stored_results.provenance_phrase`.
    """
    cells = f"{len(sparsities)} × {plural(len(measurements), 'cell')}"
    return Markdown(
        f"Signal dimension n = {n_signal}, {plural(n_trials, 'signal')} per cell, {cells}: basis "
        f"pursuit (one HiGHS linear programme per signal) {timing['bp']}, OMP {timing['omp']}.")


def measurements_needed(rates: np.ndarray, measurements: Sequence[int], level: float = 0.9) -> np.ndarray:
    """Smallest ``p`` of the grid from which the success rate stays at or above ``level``, per sparsity.

    Parameters
    ----------
    rates : numpy.ndarray, shape (n_sparsities, n_measurements)
        Success rates (rows: sparsities, columns: ``measurements``).
    measurements : sequence of int
        The grid of ``p``.
    level : float

    Returns
    -------
    numpy.ndarray, shape (n_sparsities,)
        NaN where the rate is below ``level`` at the largest ``p``.
    """
    out = []
    for row in np.asarray(rates):
        bad = np.flatnonzero(row < level)
        first = 0 if bad.size == 0 else bad[-1] + 1
        out.append(measurements[first] if first < len(measurements) else np.nan)
    return np.array(out, dtype=float)


DELTA = "δ(n, κ), Eq. (eq-cs-statdim)"
ASYMPTOTE = "2κ ln(n/κ)"
BP90, OMP90 = "p for 90 % (basis pursuit)", "p for 90 % (OMP)"


def transition_summary(n_signal: int, sparsities: Sequence[int], measurements: Sequence[int],
                       rates: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Per sparsity: δ(n, κ), the asymptote 2κ ln(n/κ), and each solver's 90 % point on the grid."""
    ks = np.asarray(sparsities, dtype=float)
    return pd.DataFrame({
        "κ": list(sparsities),
        DELTA: cs.l1_statistical_dimension(n_signal, np.asarray(sparsities)),
        ASYMPTOTE: 2 * ks * np.log(n_signal / ks),
        BP90: measurements_needed(rates["bp"], measurements),
        OMP90: measurements_needed(rates["omp"], measurements),
    })


def transition_table(summary: pd.DataFrame) -> Any:
    """:func:`transition_summary` for display ("> grid" where the 90 % point is off the grid)."""
    return summary.style.format(precision=0, na_rep="> grid").hide(axis="index")


def transition_sentence(summary: pd.DataFrame, n_signal: int, measurement_step: int) -> Markdown:
    """Where basis pursuit's 90 % point lies against δ, how far the asymptote is off, and OMP's cost."""
    ok = summary[BP90].notna()
    offset = (summary[BP90] - summary[DELTA])[ok]
    over = summary[ASYMPTOTE] - summary[DELTA]
    omp_gap = (summary[OMP90] - summary[BP90]).dropna()
    kappa = summary["κ"]
    if offset.empty:
        where = "Basis pursuit reaches 90 % success nowhere on the grid."
    else:
        where = (f"Basis pursuit reaches 90 % success at a number of measurements "
                 f"{signed_range(offset.min(), offset.max())} of δ (median {offset.median():+.0f}; the grid "
                 f"step is {measurement_step} and the theorem's window is of order √n = "
                 f"{np.sqrt(n_signal):.0f}) for the {plural(int(ok.sum()), 'sparsity', 'sparsities')} whose "
                 "90 % point is on the grid.")
    asymptote = (f"The asymptote minus δ is {over.iloc[0]:+.0f} measurements at κ = {kappa.iloc[0]}, "
                 f"{over.max():+.0f} at most (κ = {kappa[over.idxmax()]}) and {over.iloc[-1]:+.0f} at "
                 f"κ = {kappa.iloc[-1]}" + (", where it has bent back below the transition."
                                            if over.iloc[-1] < 0 else "."))
    if omp_gap.empty:
        omp = "No sparsity has a 90 % point on the grid for both solvers."
    else:
        omp = (f"OMP needs {omp_gap.median():+.0f} measurements (median over "
               f"{plural(len(omp_gap), 'sparsity', 'sparsities')}) compared with basis pursuit for 90 % "
               "success.")
    return Markdown(f"{where} {asymptote} {omp}")


def lasso_sentence(n_signal: int, kappa: int, p: int, bp_ok: int, lasso_ok: int, n_signals: int) -> Markdown:
    """How many signals basis pursuit and the refitted Lasso recover near the transition."""
    delta = cs.l1_statistical_dimension(n_signal, kappa)
    return Markdown(
        f"κ = {kappa}, p = {p}, δ(n, κ) = {delta:.0f}: basis pursuit recovers {bp_ok} of "
        f"{plural(n_signals, 'signal')}, the Lasso with λ = 10⁻³ max|Aᵀy| and a refit {lasso_ok}.")


POOLED, PER_ROW = "pooled KS p, N(0, 1/d)", "median per-row KS p, N(0, (ΦΦᵀ)ᵢᵢ/d)"
VAR_MIN, VAR_MAX = "row variance × d, min", "row variance × d, max"
CORR = "largest |correlation| of two rows"


def gaussianity_row(name: str, Phi: np.ndarray, A: np.ndarray) -> dict[str, Any]:
    """Gaussianity of ``Φ A`` for the table of *What "the composed matrix is still Gaussian" means*.

    Pooled over all entries against N(0, 1/d), and row by row against each row's own variance
    ``(ΦΦᵀ)ᵢᵢ / d`` (``d`` = the rows of ``A``).
    """
    d = A.shape[0]
    M = Phi @ A
    pooled = cs.gaussianity_summary(M, 1 / d)
    row_var = d * M.var(axis=1)
    return {"Φ": name, POOLED: pooled["ks_pvalue"],
            PER_ROW: np.median(cs.row_ks_pvalues(M, np.diag(Phi @ Phi.T) / d)),
            VAR_MIN: row_var.min(), VAR_MAX: row_var.max(), CORR: pooled["max_offdiag_corr"]}


def gaussianity_table(gauss: pd.DataFrame) -> Any:
    """The rows of :func:`gaussianity_row` (indexed by ``Φ``) for display."""
    return gauss.style.format("{:.3g}")


def gaussianity_sentence(gauss: pd.DataFrame, k: int, m_dict: int) -> Markdown:
    """What the three code matrices show: independent orthonormal rows, scaled rows, rows chosen from A.

    Parameters
    ----------
    gauss : pandas.DataFrame
        Three rows of :func:`gaussianity_row` in that order, indexed by ``Φ``.
    k : int
        Rows of Φ (the code length).
    m_dict : int
        Columns of A.
    """
    orth, scaled, chosen = gauss.iloc[0], gauss.iloc[1], gauss.iloc[2]
    n_pairs = k * (k - 1) // 2
    expected = np.sqrt(2 * np.log(n_pairs) / m_dict) if n_pairs > 1 else float("nan")
    return Markdown(
        f"Orthonormal rows independent of A: pooled p = {orth[POOLED]:.2g}, row variances × d between "
        f"{orth[VAR_MIN]:.2f} and {orth[VAR_MAX]:.2f}, largest row correlation {orth[CORR]:.3f} (for "
        f"independent rows the largest of the {n_pairs} sample correlations is about "
        f"√(2 ln {n_pairs} / {m_dict:,}) ≈ {expected:.3f}). Scaled, correlated rows: the pooled test gives "
        f"p = {scaled[POOLED]:.2g}, but each row against its own variance a median p = "
        f"{scaled[PER_ROW]:.2g}: the entries are Gaussian, not identically distributed (row variances × d "
        f"from {scaled[VAR_MIN]:.2f} to {scaled[VAR_MAX]:.2f}), and two rows correlate at "
        f"{scaled[CORR]:.2f}. Orthonormal rows chosen from A: row variances × d from {chosen[VAR_MIN]:.2f} "
        f"to {chosen[VAR_MAX]:.2f} instead of 1 (median per-row p = {chosen[PER_ROW]:.2g}): "
        "orthonormality alone does not make ΦA a fresh Gaussian matrix.")




def generator_summary(errors: pd.DataFrame) -> pd.DataFrame:
    """Per number of measurements: median errors, failed searches, wrong signals, restarts used.

    Parameters
    ----------
    errors : pandas.DataFrame
        One row per (signal, p): ``p``, the two errors, ``search failed``, ``restarts used``.
    """
    return errors.groupby("p").agg(
        **{"median error, basis pursuit": (BP_ERR, "median"),
           "median error, generator": (GEN_ERR, "median"),
           "searches failed": ("search failed", "mean"),
           "wrong signal (error > 1 %)": (GEN_ERR, lambda e: (e > 1e-2).mean()),
           "mean restarts used": ("restarts used", "mean")})


def generator_table(per_p: pd.DataFrame) -> Any:
    """:func:`generator_summary` for display."""
    return per_p.style.format({"median error, basis pursuit": "{:.1e}", "median error, generator": "{:.1e}",
                               "searches failed": "{:.0%}", "wrong signal (error > 1 %)": "{:.0%}",
                               "mean restarts used": "{:.1f}"})


def first_p_below(median: pd.Series, level: float = 1e-2) -> int | None:
    """The first number of measurements whose median error is below ``level`` (None if none)."""
    ok = median.index[median < level]
    return int(ok[0]) if len(ok) else None


def generator_sentence(errors: pd.DataFrame, sparse_dim: int, latent_dim: int, timing: str) -> Markdown:
    """Measurements each method needs for a 1 % median error, and how often the latent search failed.

    Parameters
    ----------
    errors : pandas.DataFrame
        :func:`generator_recovery` (``signal`` and its ``non-zeros`` per row).
    sparse_dim, latent_dim : int
        Output and input sizes of the generator.
    timing : str
        Where the sweep was computed and how long it took (:func:`sigah.stored_results.provenance_phrase`).
    """
    nnz = errors.groupby("signal")["non-zeros"].first().to_numpy()
    median = errors.groupby("p")[[BP_ERR, GEN_ERR]].median()
    grid_max = int(median.index.max())
    p_bp, p_gen = first_p_below(median[BP_ERR]), first_p_below(median[GEN_ERR])

    def needed(p: int | None) -> str:
        return f"{p}" if p is not None else f"more than {grid_max}"

    text = (f"The signals have {_nonzero_range(nnz)} non-zeros out of {sparse_dim}. A median relative "
            f"error below 1 % needs **{needed(p_gen)} measurements through the generator** and "
            f"**{needed(p_bp)} with basis pursuit**; the sweep was {timing}.")
    above = errors[errors["p"] > latent_dim]
    if above.empty:
        return Markdown(text)
    text += (f" With p > k the latent search failed on {above['search failed'].mean():.1%} of "
             f"{plural(len(above), '(signal, p) pair')}")
    few = above["non-zeros"] <= latent_dim
    if few.any() and (~few).any():
        text += (f": on {above.loc[~few, 'search failed'].mean():.1%} of those whose signal has more than "
                 f"k = {latent_dim} non-zeros and on {above.loc[few, 'search failed'].mean():.0%} of the "
                 f"{int(few.sum())} whose signal has at most k (few active outputs leave a thin cone of "
                 "latents, hard to hit from random starts)")
    return Markdown(text + ".")


def _nonzero_range(nnz: np.ndarray) -> str:
    """``"between 3 and 9 (median 5)"``, or ``"7"`` when every signal has as many."""
    nnz = np.asarray(nnz)
    if nnz.min() == nnz.max():
        return f"{int(nnz.min())}"
    return f"between {int(nnz.min())} and {int(nnz.max())} (median {np.median(nnz):.0f})"
