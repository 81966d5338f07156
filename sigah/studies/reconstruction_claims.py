"""The verdicts of chapter *Reconstruction* on the paper's claims of Fig. 4, Fig. 6 and §3.5.

Every rule is a paired comparison of :mod:`sigah.stats`, on the same query images (and seeds):

* Fig. 4 (claims C02-C04), the size ``m`` of the random matrix: tables of
  :func:`sigah.studies.ablation.compare_to_baseline`, one row per (dataset, code length, m/d),
  Holm-corrected over the table;
* Fig. 6 and §3.5 (claims C05, C06, C08, C10, C11), the digits redrawn from their codes: one
  family (:func:`figure6_family`) of per-image errors, paired over the query images. Each method
  is fitted once (one seed), so the intervals cover the images, not another training run.

Each Fig. 6 claim has its own reading: C05 (SiGAH reconstructs better than BA and SGH) both
comparisons with SiGAH; C06 (SiGAH's error is below SGH's) SiGAH against SGH; C10 (BA's linear
regression "may achieve higher reconstruction error") SiGAH against BA; C11 (SGH's dictionary is
too small for the feature to be "sufficiently recovered") SGH against the trivial reconstruction
(the training mean for every image) and against SiGAH.

:func:`chapter_verdicts` returns, per claim id, the keyword arguments of
:func:`sigah.studies.claims.record_verdict`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats
from sigah.studies.claims import not_testable, reading_of

__all__ = ["FIGURE6", "figure6_family", "chapter_verdicts"]

#: the comparisons of Fig. 6: label → (what the paper claims of the difference, its unit)
FIGURE6 = {
    "SiGAH − BA": ("lower", "per-image relative error"),
    "SiGAH − SGH": ("lower", "per-image relative error"),
    "SGH − training mean": ("higher", "per-image relative error"),
    "QoLSH − training mean": ("lower", "per-image relative error"),
    "QoLSH − SiGAH, blank entries": ("higher", "mean squared value on the entries blank in the input"),
}


def figure6_family(X: Any, drawn: Mapping[str, Any], reference: Any, *, sigah: str, ba: str, sgh: str,
                   qolsh: str | None = None) -> stats.Family:
    """The comparisons of :data:`FIGURE6` on one seed's models, paired over the query images.

    Parameters
    ----------
    X : array_like, shape (n_images, d)
        The query images.
    drawn : mapping
        Row name → the images redrawn from their codes, shape (n_images, d).
    reference : array_like, shape (d,)
        The training mean: the trivial reconstruction, and the reference of the relative error.
    sigah, ba, sgh : str
        Rows of ``drawn``.
    qolsh : str, optional
        QoLSH's row; its two comparisons are left out without it, or when some image has no
        blank (zero) entry.

    Returns
    -------
    sigah.stats.Family
        Holm-corrected, labelled as :data:`FIGURE6` (the training mean's rows are the trivial
        reconstruction, the mean for every image): per-image relative errors
        (:func:`~sigah.studies.reconstruction.per_image_error`) and errors on the blank entries
        (:func:`~sigah.studies.reconstruction.blank_entry_error`), as one seed's (1, n_images) grids.
    """
    from sigah.studies.reconstruction import blank_entry_error, per_image_error

    X = np.asarray(X, dtype=np.float64)

    def error(name: str) -> np.ndarray:  # (1, n_images): one seed, the images as queries
        return per_image_error(X, drawn[name], reference)[None, :]

    trivial = per_image_error(X, np.broadcast_to(reference, X.shape), reference)[None, :]
    pairs = {"SiGAH − BA": (error(sigah), error(ba)), "SiGAH − SGH": (error(sigah), error(sgh)),
             "SGH − training mean": (error(sgh), trivial)}
    if qolsh is not None:
        blank_q, blank_s = blank_entry_error(X, drawn[qolsh]), blank_entry_error(X, drawn[sigah])
        if np.isfinite(blank_q).all():
            pairs["QoLSH − training mean"] = (error(qolsh), trivial)
            pairs["QoLSH − SiGAH, blank entries"] = (blank_q[None, :], blank_s[None, :])
    return stats.compare_family(pairs)


def _figure6_reading(family: stats.Family, labels: list[str], *, what: str) -> dict[str, Any]:
    """Held when every labelled comparison of ``family`` is the one :data:`FIGURE6` claims.

    :func:`~sigah.studies.claims.reading_of`; ``n`` counts the images the comparisons are paired over (one seed).
    """
    first = family[labels[0]]
    out = reading_of({name: family[name] for name in labels}, [FIGURE6[name][0] for name in labels], note=what,
                     measured={"images": first.n_queries, "seeds": first.n_seeds,
                               "units": {name: FIGURE6[name][1] for name in labels}})
    out["n"] = int(first.n_queries or first.n_seeds)
    return out


def chapter_verdicts(extremes_error: pd.DataFrame, extremes_map: pd.DataFrame, plateau: pd.DataFrame,
                     figure6: stats.Family, *, default_ratio: float, ratio_of: Callable[[str], float],
                     confound: str, handicap: str, figure6_sigah: str = "SiGAH",
                     figure6_seed: int = 0) -> dict[str, dict[str, Any]]:
    """The chapter's verdict on each claim it tests, as ``record_verdict`` keyword arguments.

    Parameters
    ----------
    extremes_error, extremes_map : pandas.DataFrame
        Relative error and PR-area mAP of the largest m/d against the smallest, per (dataset,
        code length): :func:`~sigah.studies.ablation.compare_to_baseline` with the smallest as
        the baseline, on runs of those two sizes only. C02 reads the error, C03 (retrieval *and*
        reconstruction improve) both.
    plateau : pandas.DataFrame
        PR-area mAP of every m/d against the default, with an equivalence margin.
    figure6 : sigah.stats.Family
        :func:`figure6_family`.
    default_ratio : float
        The default m/d (2: m twice the input dimension).
    ratio_of : callable
        The m/d of a variant label.
    confound, handicap : str
        :func:`~sigah.studies.ablation_report.schedule_confound` and
        :func:`~sigah.studies.ablation_report.schedule_handicap`, kept in ``measured``.
    figure6_sigah : str
        The SiGAH row of Fig. 6 the baselines are compared with, named in the notes.
    figure6_seed : int
        The seed of the one fit per method behind ``figure6``, named in the notes.

    Returns
    -------
    dict
        Claim id → keyword arguments of ``record_verdict`` after the id.
    """
    margin = plateau["margin"].dropna()
    margin_text = f"±{margin.iloc[0]:g}" if len(margin) else "no margin"

    def plateau_claim(row: Mapping[str, Any]) -> str:
        return "equivalent" if ratio_of(row["variant"]) > default_ratio else "lower"

    both_ends = pd.concat([extremes_map.assign(variant=extremes_map["variant"] + ", mAP"),
                           extremes_error.assign(variant=extremes_error["variant"] + ", relative error")],
                          ignore_index=True)
    out = {
        "C02": reading_of(extremes_error, "lower", note=(
            "relative error of query codes, largest m/d minus smallest, paired over seeds and images, "
            "Holm over (dataset, code length); held when lower in every cell")),
        "C03": reading_of(both_ends, ["higher" if v.endswith("mAP") else "lower" for v in both_ends["variant"]],
                          note=(
            "PR-area mAP and relative error, largest m/d minus smallest, paired over seeds and queries, Holm "
            "over (dataset, code length) per metric; held when mAP is higher and the error lower in every cell")),
        "C04": reading_of(plateau, [plateau_claim(r) for r in plateau.to_dict("records")], note=(
            f"PR-area mAP of each m/d minus m/d = {default_ratio:g}, paired, Holm per table; held when every "
            f"larger m is equivalent within {margin_text} and every smaller one lower, on a schedule shared "
            "by all sizes (not trained to convergence)")),
    }
    out["C04"]["measured"]["schedule"] = confound
    qolsh = "QoLSH − training mean" in figure6.labels
    both = ["SiGAH − BA", "SiGAH − SGH"]
    fig6 = (f"per-image relative error of the query codes, {figure6_sigah} against each method, Holm over "
            f"Fig. 6; one fit per method (seed {figure6_seed}): the interval covers the images, not another "
            "training run")
    out["C05"] = _figure6_reading(figure6, both, what=(
        f"{fig6}; read as SiGAH reconstructing better than both baselines: held when SiGAH's error is "
        "lower than BA's and than SGH's"))
    out["C06"] = _figure6_reading(figure6, ["SiGAH − SGH"], what=(
        f"{fig6}; read as the errors of SiGAH and SGH alone: held when SiGAH's error is lower than SGH's"))
    out["C10"] = _figure6_reading(figure6, ["SiGAH − BA"], what=(
        f"{fig6}; read as BA's linear regression decoder erring more than SiGAH's generator: held when "
        "BA's error is higher than SiGAH's"))
    out["C11"] = _figure6_reading(figure6, ["SGH − training mean", "SiGAH − SGH"], what=(
        f"{fig6}; read as SGH not recovering the feature: held when SGH's error is higher than that of "
        "the trivial reconstruction (the training mean for every image) and than SiGAH's"))
    if qolsh:
        out["C08"] = _figure6_reading(figure6, ["QoLSH − training mean", "QoLSH − SiGAH, blank entries"], what=(
            "QoLSH at d bits (the paper's bit count was lost from its text): held when its per-image error is "
            "below the trivial reconstruction's and its error on blank (background) entries above SiGAH's"))
    else:
        out["C08"] = not_testable(
            "no QoLSH row (its code needs d bits in whole bytes) or an input without blank entries, "
            "so neither its error nor its background can be compared")
    for claim in ("C05", "C06", "C10", "C11", "C08"):
        out[claim].setdefault("measured", {})["schedule"] = handicap
    return out
