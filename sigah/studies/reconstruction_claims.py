"""The verdicts of chapter *Reconstruction* on the paper's claims of Fig. 4, Fig. 6 and §3.5.

Every rule is a paired comparison of :mod:`sigah.stats`, on the same query images (and seeds):

* Fig. 4 (claims C02-C04), the size ``m`` of the random matrix: tables of
  :func:`sigah.studies.ablation.compare_to_baseline`, one row per (dataset, code length, m/d),
  Holm-corrected over the table, read by :func:`table_verdict`;
* Fig. 6 and §3.5 (claims C05, C06, C08, C10, C11), the digits redrawn from their codes: one
  family (:func:`figure6_family`) of per-image errors, one seed, paired over the query images.

:func:`chapter_verdicts` returns, per claim id, the keyword arguments of
:func:`sigah.studies.claims.record_verdict`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats

__all__ = ["FIGURE6", "table_verdict", "figure6_family", "family_verdict", "chapter_verdicts"]

#: the comparisons of Fig. 6: label → (what the paper claims of the difference, its unit)
FIGURE6 = {
    "SiGAH − BA": ("lower", "per-image relative error"),
    "SiGAH − SGH": ("lower", "per-image relative error"),
    "QoLSH − training mean": ("lower", "per-image relative error"),
    "QoLSH − SiGAH, blank entries": ("higher", "mean squared value on the entries blank in the input"),
}


def _reading(decided: str, expects: str) -> str:
    """held / not held / inconclusive from one comparison's verdict and the claimed one."""
    if decided == expects:
        return "held"
    return "not held" if decided in ("higher", "lower", "equivalent") else "inconclusive"


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def table_verdict(table: pd.DataFrame, expects: str | Callable[[Mapping[str, Any]], str], *, what: str,
                  label: Callable[[Mapping[str, Any]], str] | None = None) -> dict[str, Any]:
    """One verdict from a table of comparisons: held when every row is the claimed one.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`sigah.studies.ablation.compare_to_baseline` output (columns ``difference``, ``low``,
        ``high``, ``mde``, ``verdict``, ``n_variant``, ``n_queries``), corrected as one family.
    expects : str or callable
        The claimed verdict of every row (``"higher"``, ``"lower"``, ``"equivalent"``), or a
        function of the row giving it.
    what : str
        The rule in words; the note is this followed by what was found.
    label : callable, optional
        A row's name in ``measured`` (default: its dataset, code length and variant).

    Returns
    -------
    dict
        Keyword arguments of ``record_verdict``: **not held** when any row is decided against
        the claim, **held** when every row is the claimed verdict, otherwise **inconclusive** with
        the largest minimum detectable effect of the undecided rows; **not testable** when no row
        has an interval (one seed and no per-image or per-query scores). The effect and interval
        are those of the deciding row (the first against the claim, the least certain undecided
        one, or the first row).
    """
    if table.empty:
        raise ValueError("table_verdict needs at least one comparison, got an empty table")
    label = label or (lambda r: f"{r['dataset']}, {r['bits']} bits, {r['variant']}")
    rows = table.to_dict("records")
    claimed = [expects(r) if callable(expects) else expects for r in rows]
    tested = [np.isfinite(r["low"]) for r in rows]
    readings = [_reading(r["verdict"], c) if t else "no interval" for r, c, t in zip(rows, claimed, tested)]
    measured = {label(r): f"{reading} ({r['verdict']}; claimed {c}): {r['difference']:+.4f}"
                + (f" [{r['low']:+.4f}, {r['high']:+.4f}]" if t else "")
                for r, c, t, reading in zip(rows, claimed, tested, readings)}
    if not any(tested):
        return dict(verdict="not testable", measured=measured,
                    note=f"{what}: one seed and no per-image scores, so no comparison has an interval")
    if "not held" in readings:
        verdict, at = "not held", readings.index("not held")
    elif all(r == "held" for r in readings):
        verdict, at = "held", 0
    else:
        verdict = "inconclusive"
        undecided = [i for i, r in enumerate(readings) if r != "held" and tested[i]]
        at = max(undecided, key=lambda i: rows[i]["mde"]) if undecided else readings.index("no interval")
    mdes = [r["mde"] for r, t in zip(rows, tested) if t]
    row = rows[at]
    found = ", ".join(f"{readings.count(w)} {w}" for w in ("held", "not held", "inconclusive", "no interval")
                      if readings.count(w))
    return dict(verdict=verdict, effect=row["difference"],
                interval=(row["low"], row["high"]) if tested[at] else None,
                n=int(row["n_variant"]), smallest_detectable=max(mdes),
                measured={"queries": None if _finite(row.get("n_queries")) is None else int(row["n_queries"]), **measured},
                note=f"{what}: {found} of {stats.plural(len(rows), 'comparison')}")


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
        Holm-corrected, labelled as :data:`FIGURE6`: per-image relative errors
        (:func:`~sigah.studies.reconstruction.per_image_error`) and errors on the blank entries
        (:func:`~sigah.studies.reconstruction.blank_entry_error`), as one seed's (1, n_images) grids.
    """
    from sigah.studies.reconstruction import blank_entry_error, per_image_error

    X = np.asarray(X, dtype=np.float64)

    def error(name: str) -> np.ndarray:  # (1, n_images): one seed, the images as queries
        return per_image_error(X, drawn[name], reference)[None, :]

    pairs = {"SiGAH − BA": (error(sigah), error(ba)), "SiGAH − SGH": (error(sigah), error(sgh))}
    if qolsh is not None:
        blank_q, blank_s = blank_entry_error(X, drawn[qolsh]), blank_entry_error(X, drawn[sigah])
        if np.isfinite(blank_q).all():
            trivial = per_image_error(X, np.broadcast_to(reference, X.shape), reference)[None, :]
            pairs["QoLSH − training mean"] = (error(qolsh), trivial)
            pairs["QoLSH − SiGAH, blank entries"] = (blank_q[None, :], blank_s[None, :])
    return stats.compare_family(pairs)


def family_verdict(family: stats.Family, labels: list[str], *, what: str) -> dict[str, Any]:
    """Held when every labelled comparison of ``family`` is the one :data:`FIGURE6` claims.

    Not held when any is decided otherwise, inconclusive otherwise with the largest MDE; the
    effect and interval are those of the first comparison against the claim (or the first).
    """
    from sigah.studies.claims import comparison_verdict

    readings = {name: comparison_verdict(family[name], expects=FIGURE6[name][0]) for name in labels}
    verdicts = [r["verdict"] for r in readings.values()]
    verdict = ("not held" if "not held" in verdicts else "held" if all(v == "held" for v in verdicts)
               else "inconclusive")
    at = next((name for name, r in readings.items() if r["verdict"] == verdict), labels[0])
    first = readings[at]
    measured = {"images": family[labels[0]].n_queries, "seeds": family[labels[0]].n_seeds,
                "family": f"{family.method}, {len(family)}"}
    for name, r in readings.items():
        c = family[name]
        measured[name] = (f"{c.verdict} (claimed {FIGURE6[name][0]}): {c.effect:+.4f} "
                          f"[{c.low:+.4f}, {c.high:+.4f}], {FIGURE6[name][1]}")
    found = "; ".join(f"{name} {family[name].verdict}" for name in labels)
    return dict(verdict=verdict, effect=first["effect"], interval=first["interval"],
                n=int(family[labels[0]].n_queries or family[labels[0]].n_seeds),
                smallest_detectable=max(r["smallest_detectable"] for r in readings.values()),
                measured=measured, note=f"{what}: {found}")


def chapter_verdicts(extremes_error: pd.DataFrame, extremes_map: pd.DataFrame, plateau: pd.DataFrame,
                     figure6: stats.Family, *, default_ratio: float, ratio_of: Callable[[str], float],
                     confound: str, handicap: str) -> dict[str, dict[str, Any]]:
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
        "C02": table_verdict(extremes_error, "lower", what=(
            "relative error of query codes, largest m/d minus smallest, paired over seeds and images, "
            "Holm over (dataset, code length); held when lower in every cell")),
        "C03": table_verdict(both_ends, lambda r: "higher" if r["variant"].endswith("mAP") else "lower", what=(
            "PR-area mAP and relative error, largest m/d minus smallest, paired over seeds and queries, Holm "
            "over (dataset, code length) per metric; held when mAP is higher and the error lower in every cell")),
        "C04": table_verdict(plateau, plateau_claim, what=(
            f"PR-area mAP of each m/d minus m/d = {default_ratio:g}, paired, Holm per table; held when every "
            f"larger m is equivalent within {margin_text} and every smaller one lower, on a schedule shared "
            "by all sizes (not trained to convergence)")),
    }
    out["C04"]["measured"]["schedule"] = confound
    qolsh = "QoLSH − training mean" in figure6.labels
    both = ["SiGAH − BA", "SiGAH − SGH"]
    fig6 = "per-image relative error of one seed's query codes at m/d = " f"{default_ratio:g}, Holm over Fig. 6"
    out["C05"] = family_verdict(figure6, both, what=f"{fig6}; held when SiGAH is lower than BA and than SGH")
    out["C06"] = family_verdict(figure6, ["SiGAH − SGH"], what=f"{fig6}; held when SiGAH is lower than SGH")
    out["C10"] = family_verdict(figure6, ["SiGAH − BA"], what=(
        f"{fig6}; held when BA's linear decoder errs more than SiGAH"))
    out["C11"] = family_verdict(figure6, ["SiGAH − SGH"], what=(
        f"{fig6}; held when SGH's linear generative model errs more than SiGAH"))
    if qolsh:
        out["C08"] = family_verdict(figure6, ["QoLSH − training mean", "QoLSH − SiGAH, blank entries"], what=(
            "QoLSH at d bits (the paper's bit count was lost from its text): held when its per-image error is "
            "below the trivial reconstruction's and its error on blank (background) entries above SiGAH's"))
    else:
        out["C08"] = dict(verdict="not testable", note=(
            "no QoLSH row (its code needs d bits in whole bytes) or an input without blank entries, "
            "so neither its error nor its background can be compared"))
    for claim in ("C05", "C06", "C10", "C11", "C08"):
        out[claim].setdefault("measured", {})["schedule"] = handicap
    return out
