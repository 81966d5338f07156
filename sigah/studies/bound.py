"""The sentences and tables of chapter *The generator bound*, computed from its run.

The chapter's visible cells draw generators and signals, run the latent searches and train SiGAH;
the functions here summarise what they measured (both sides of each inequality, per number of
measurements or per dictionary size) as display tables and one Markdown paragraph per result
(:class:`IPython.display.Markdown`), shown by folded cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown

from sigah.stats import plural
from sigah.studies.scale import chapter_scale

__all__ = [
    "size_paragraph", "constants_sentence", "theorem_summary", "rate_table",
    "theorem_sentence", "lipschitz_sentence", "discrete_summary", "discrete_sentence", "mnist_headline",
    "bound_summary", "bound_table", "bound_sentence", "sweep_time_phrase",
]

def size_paragraph(n_train: int | None, epochs: int) -> Markdown:
    """The size of the chapter's SiGAH fits against the paper's protocol, computed from its parameters.

    The sizes come from :func:`sigah.studies.scale.chapter_scale`, the one place that also writes
    them on the *Build status* page: the protocol (chapter *Retrieval quality*) trains SiGAH on all
    69,000 MNIST training images with the class defaults; this chapter trains for exactly ``epochs``
    passes (``min_steps = 0``) on ``n_train`` of them.

    Parameters
    ----------
    n_train : int or None
        Training images (None: all 69,000).
    epochs : int
        Passes over them.
    """
    scale = chapter_scale("04_generator_bound", {"n_train": n_train, "epochs": int(epochs)})
    if not scale.reduced:
        return Markdown("**Size of this run: the paper's protocol** for the SiGAH fits of the MNIST "
                        "section (every training image, at least the optimiser steps of SiGAH's defaults).")
    return Markdown("**Size of this run: reduced** against the paper's protocol (that of chapter "
                    "*Retrieval quality*), to keep the sweep over dictionary sizes short: the SiGAH fits of "
                    "the MNIST section, one per dictionary size, use " + "; ".join(scale.differences)
                    + f" ({plural(int(epochs), 'epoch', 'epochs')}). A model trained this briefly need not "
                    "reach the reconstruction error of the protocol's; both sides of the bound are measured "
                    "on the same model.")


def constants_sentence(constants: Sequence[float]) -> Markdown:
    """The three constants of Theorem 1 as this run uses them."""
    c_approx, c_noise, c_opt = constants
    return Markdown(f"Constants used in this run: approximation {c_approx:g}, noise {c_noise:g}, "
                    f"optimisation {c_opt:g}.")


def _share(mask: pd.Series) -> float:
    return float(np.mean(mask)) if len(mask) else float("nan")


def theorem_summary(theorem: pd.DataFrame) -> pd.DataFrame:
    """Per number of measurements ``p``: how often Theorem 1 holds or is vacuous, and the medians.

    Parameters
    ----------
    theorem : pandas.DataFrame
        One row per (draw, p): ``p``, ``lhs``, ``rhs``, ``norm`` (‖x*‖), ``epsilon``, ``ratio`` (lhs / rhs).
    """
    frame = theorem.assign(vacuous=theorem["rhs"] >= theorem["norm"], holds=theorem["ratio"] <= 1,
                           lhs_rel=theorem["lhs"] / theorem["norm"], rhs_rel=theorem["rhs"] / theorem["norm"])
    return frame.groupby("p").agg(**{
        "bound holds": ("holds", "mean"), "vacuous (right side ≥ ‖x*‖)": ("vacuous", "mean"),
        "median ‖G(ẑ) − x*‖ / ‖x*‖": ("lhs_rel", "median"), "median right side / ‖x*‖": ("rhs_rel", "median"),
        "median left / right": ("ratio", "median"), "median ε": ("epsilon", "median")})


def rate_table(per_p: pd.DataFrame) -> Any:
    """A per-``p`` table whose first two columns are rates (shown as percentages)."""
    formats = {c: "{:.0%}" for c in per_p.columns[:2]} | {c: "{:.3g}" for c in per_p.columns[2:]}
    return per_p.style.format(formats)


def theorem_sentence(theorem: pd.DataFrame, per_p: pd.DataFrame, latent_dim: int, n_draws: int,
                     seconds: float) -> Markdown:
    """How often the bound holds, how often vacuously, and from which ``p`` it says something."""
    vacuous_col = "vacuous (right side ≥ ‖x*‖)"
    below_k = theorem[theorem["p"] < latent_dim]
    text = (f"Over {plural(n_draws, 'draw')} per $p$ ({seconds:.0f} s): the bound holds in "
            f"{_share(theorem['ratio'] <= 1):.0%} of all draws and is vacuous (right side ≥ ‖x*‖, the "
            f"error of x̂ = 0) in {_share(theorem['rhs'] >= theorem['norm']):.0%} of them.")
    if len(below_k):
        text += (f" With $p < k = {latent_dim}$ the recovered signal is a median "
                 f"{(below_k['lhs'] / below_k['norm']).median():.2f}‖x*‖ from the truth (the zero "
                 "estimator: 1.00).")
    informative = per_p.index[(per_p[vacuous_col] < 0.5).to_numpy()]
    if len(informative):
        part = theorem[theorem["p"] >= informative[0]]
        text += (f" From $p = {informative[0]}$ on the bound is informative in most draws; there it holds "
                 f"in {_share(part['ratio'] <= 1):.0%} of them, with the left side a median "
                 f"{part['ratio'].median():.2f} of the right side.")
    else:
        text += " No $p$ of the grid makes the bound informative in most draws."
    return Markdown(text)


def lipschitz_sentence(hamming: np.ndarray, squared: np.ndarray, ratios: np.ndarray,
                       lipschitz_upper: float) -> Markdown:
    """The check of Eq. (9), and the observed Lipschitz ratios against the bound that enters λ = 6L."""
    return Markdown(
        f"Implementation check of Eq. (9): it holds for all {len(hamming):,} random pairs "
        f"({np.mean(hamming <= squared + 1e-12):.0%}). Lipschitz term: the largest observed ratio is "
        f"{ratios.max():.2f}, against the upper bound L ≤ {lipschitz_upper:.2f}; the typical ratio "
        f"({np.median(ratios):.2f}) is {lipschitz_upper / np.median(ratios):.1f}× smaller than the bound "
        "that enters λ = 6L.")


def discrete_summary(discrete: pd.DataFrame) -> pd.DataFrame:
    """Per ``p``: how often Eq. (10) holds or is vacuous, and the median sides relative to ‖s*‖.

    Parameters
    ----------
    discrete : pandas.DataFrame
        One row per (draw, p): ``p``, ``lhs``, ``rhs``, ``norm`` (‖s*‖).
    """
    frame = discrete.assign(holds=discrete["lhs"] <= discrete["rhs"],
                            vacuous=discrete["rhs"] >= discrete["norm"],
                            lhs_rel=discrete["lhs"] / discrete["norm"], rhs_rel=discrete["rhs"] / discrete["norm"])
    return frame.groupby("p").agg(**{
        "bound holds": ("holds", "mean"), "vacuous (right side ≥ ‖s*‖)": ("vacuous", "mean"),
        "median ‖G(b̂) − s*‖ / ‖s*‖": ("lhs_rel", "median"), "median right side / ‖s*‖": ("rhs_rel", "median")})


def discrete_sentence(discrete: pd.DataFrame) -> Markdown:
    """Eq. (8) on every draw, and how often Eq. (10) holds, how vacuously, and its quantisation share.

    Parameters
    ----------
    discrete : pandas.DataFrame
        As in :func:`discrete_summary`, with ``Eq. 8 gap`` and ``quantisation term`` per row.
    """
    rel_rhs, rel_lhs = discrete["rhs"] / discrete["norm"], discrete["lhs"] / discrete["norm"]
    share = discrete["quantisation term"] / discrete["rhs"]
    return Markdown(
        f"Eq. (8): the binary minimum is at least the relaxed one in "
        f"{_share(discrete['Eq. 8 gap'] >= -1e-9):.0%} of draws (median gap {discrete['Eq. 8 gap'].median():.3f} "
        f"for a median ‖s*‖ of {discrete['norm'].median():.2f}). Eq. (10) holds in "
        f"{_share(discrete['lhs'] <= discrete['rhs']):.0%} of all draws and is vacuous in "
        f"{_share(discrete['rhs'] >= discrete['norm']):.0%} of them: its right side is a median "
        f"{rel_rhs.median():.1f}‖s*‖, while the exhaustive decoder's error is a median {rel_lhs.median():.2f}‖s*‖ "
        f"(the zero estimator: 1.00). The quantisation term λ‖b* − z*‖ makes up a median "
        f"{np.median(share):.0%} of the right side.")


def mnist_headline(bits: int, n_train: int, epochs: int, n_eval: int, description: str) -> Markdown:
    """**This run:** the SiGAH fits of the MNIST section and the images the bound is measured on."""
    return Markdown(
        f"**This run:** SiGAH (relaxed codes fed to the generator), {bits} bits, trained on {n_train:,} "
        f"MNIST images for {plural(int(epochs), 'epoch', 'epochs')}; bound measured on "
        f"{plural(int(n_eval), 'held-out image')} ({description}).")


OBSERVED = "observed ‖x − AG(b̂)‖ / ‖x‖ (median)"
RELAXED = "relaxed code ‖x − AG(tanh Wᵀx)‖ / ‖x‖ (median)"
RESIDUAL = "‖e‖ / ‖x‖ (median)"


def bound_summary(images: pd.DataFrame) -> pd.DataFrame:
    """Per dictionary size ``m / d``: the medians of both sides of Eq. (12) and the rates.

    Parameters
    ----------
    images : pandas.DataFrame
        One row per (held-out image, m): ``m / d``, ``observed``, ``predicted``,
        ``predicted, range isometry``, ``relaxed``, ``e``, ``range ratio``, ``‖A‖₂``, ``L``.
    """
    frame = images.assign(holds=images["observed"] <= images["predicted"], vacuous=images["predicted"] >= 1)
    return frame.groupby("m / d").agg(**{
        OBSERVED: ("observed", "median"), RELAXED: ("relaxed", "median"),
        "Eq. 12 right side / ‖x‖ (median)": ("predicted", "median"),
        "same, ‖A‖₂ → range isometry (median)": ("predicted, range isometry", "median"),
        "bound holds": ("holds", "mean"), "vacuous (right side ≥ ‖x‖)": ("vacuous", "mean"),
        RESIDUAL: ("e", "median"), "‖A‖₂": ("‖A‖₂", "first"),
        "max ‖Av‖/‖v‖ on the range": ("range ratio", "max"), "L (upper)": ("L", "first")})


def bound_table(summary: pd.DataFrame) -> Any:
    """:func:`bound_summary` transposed for display, one column per dictionary size."""
    return summary.T.style.format("{:.3g}").format_index("m = {:g} d", axis=1)


def _trend(first: float, last: float) -> str:
    return "decreases" if last < first else "does not decrease"


def sweep_time_phrase(seconds: float, n_fits: int, n_stored: int = 0) -> str:
    """How long the sweep's fits took, and how many of them were read from the store of runs.

    Parameters
    ----------
    seconds : float
        The fits' wall-clock seconds; a stored fit contributes the time measured when it was first
        fitted (perhaps on another machine), which the phrase says.
    n_fits : int
        Fits in the sweep (at least 1).
    n_stored : int
        How many of them were read from the store.

    Returns
    -------
    str
        A lower-case clause, e.g. ``"the sweep's 4 fits took 251 s"``.

    Raises
    ------
    ValueError
        ``n_fits`` below 1, or ``n_stored`` outside ``0 … n_fits``.
    """
    if n_fits < 1 or not 0 <= n_stored <= n_fits:
        raise ValueError(f"n_stored must be between 0 and n_fits={n_fits} (n_fits at least 1), got {n_stored}")
    fits = "fit" if n_fits == 1 else f"{n_fits} fits"
    if n_stored == 0:
        return f"the sweep's {fits} took {seconds:.0f} s"
    if n_stored == n_fits:
        return f"the sweep's {fits} {'was' if n_fits == 1 else 'were'} read from the store of runs " \
               f"({seconds:.0f} s when first fitted)"
    return (f"the sweep's {fits} took {seconds:.0f} s, {n_stored} of them read from the store and timed "
            "when first fitted")


def bound_sentence(images: pd.DataFrame, summary: pd.DataFrame, *, epochs: int, n_train: int,
                   seconds: float, n_stored: int = 0) -> Markdown:
    """Eq. (12) on MNIST: how often it holds and vacuously, its dominant term, and the trend with m.

    ``seconds`` is the fit time of the sweep's models (one per dictionary size), ``n_stored`` how
    many of them were read from the store of runs."""
    timing = sweep_time_phrase(seconds, len(summary), n_stored)
    first, last = summary.iloc[0], summary.iloc[-1]
    text = (
        f"Eq. (12) with ε = 0 holds for {_share(images['observed'] <= images['predicted']):.0%} of the "
        f"{plural(len(images), '(image, m) pair')} and is vacuous for {_share(images['predicted'] >= 1):.0%} "
        f"of them: its right side is a median {images['predicted'].median():.1f}‖x‖, while predicting the "
        f"mean has error ‖x‖ and the binary code a median {images['observed'].median():.2f}‖x‖"
        + (f" ({_range(summary[OBSERVED])} across m)" if len(summary) > 1 else "") + ". "
        f"Inside the bracket the quantisation term λ‖b* − z*‖ (λ = 6L, L up to "
        f"{summary['L (upper)'].max():.1f}) is a median {images['quantisation share'].median():.0%}. ")
    if len(summary) < 2:
        return Markdown(text + timing[0].upper() + timing[1:] + ".")
    text += (
        f"‖A‖₂ grows from {first['‖A‖₂']:.2f} to {last['‖A‖₂']:.2f} with m, but on differences of points of "
        f"the generator's range A stretches by at most {summary['max ‖Av‖/‖v‖ on the range'].max():.2f}; with "
        f"that factor the right side is still a median {images['predicted, range isometry'].median():.1f}‖x‖. "
        f"From m = {first.name:g}d to m = {last.name:g}d, after {plural(int(epochs), 'epoch', 'epochs')} on "
        f"{n_train:,} images, the error from the binary codes {_trend(first[OBSERVED], last[OBSERVED])} "
        f"({first[OBSERVED]:.3f} → {last[OBSERVED]:.3f}) and the error from the relaxed codes tanh(Wᵀx), "
        f"which training minimises, {_trend(first[RELAXED], last[RELAXED])} ({first[RELAXED]:.3f} → "
        f"{last[RELAXED]:.3f}); {timing}.")
    return Markdown(text)


def _range(values: pd.Series) -> str:
    low, high = f"{values.min():.2f}", f"{values.max():.2f}"
    return f"{low} at every m" if low == high else f"between {low} and {high}"
