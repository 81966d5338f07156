"""The tables, figures and sentences of the chapter *Retrieval quality*, computed from its studies.

A :class:`sigah.studies.retrieval.Study` holds one dataset's grid (every method, code length and
seed) with the paper's numbers beside it. The helpers here turn it into what the chapter shows: the
results table (mean ± std per metric that never wraps, the paper's number and the difference), the
verdicts per column, the comparison of SGH's two neurons, the recall curves of the paper's Fig. 3
and the three-method summary across datasets. Every sentence quotes all three metrics of the
chapter *Binary codes and their evaluation*: Pre@100, the PR-area mAP (the paper's "mAP") and
the ranking mAP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah.studies.book_defaults import row_label
from sigah.studies.retrieval import METRICS, Study, beyond_two_sigma, column_verdicts, recall_curves
from sigah.studies.wording import Prose, count_of, headline, html_table, join_words, plural, pm

__all__ = [
    "data_name", "study_headline", "results_table", "verdicts", "differences_from_paper", "sgh_sentence",
    "plot_recall", "recall_leaders", "three_methods", "bar_verdicts",
]

_STOCHASTIC_SGH = "sgh[neuron=stochastic]"


def data_name(study: Study) -> str:
    """The dataset's short name (the protocol description before its colon)."""
    return study.protocol.description.split(":")[0]


def study_headline(study: Study) -> Prose:
    """The protocol, K, seeds, fitted models and the paper's table set beside it, in bold, plus the
    size notes."""
    seeds = int(study.records["seed"].nunique())
    paper = (f"beside the paper's Table {study.paper[1]} ({study.paper[0]})" if study.paper else
             "without paper columns: the paper reports no numbers for this data")
    text = (f"{study.protocol.description}; K = {study.groundtruth.shape[1]:,} true neighbours, "
            f"{plural(seeds, 'seed')} per cell, {plural(len(study.records), 'fitted model')}; {paper}")
    return headline(text, study.notes)


def results_table(table: pd.DataFrame) -> Any:
    """Mean ± std per metric (one seed: the mean), the paper's number and the difference, per row.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`Study.table` (from :func:`sigah.studies.retrieval.compare_with_paper`).

    Returns
    -------
    pandas.io.formats.style.Styler
        Sorted by bits then method; SiGAH's row named :data:`sigah.studies.book_defaults.SIGAH_ROW`;
        cells that never wrap; "—" where the paper has no number.
    """
    out = pd.DataFrame({"method": [row_label(x) for x in table["label"]], "bits": table["bits"].to_numpy()})
    for name in METRICS.values():
        out[name] = [pm(m, s if n > 1 else np.nan) for m, s, n in zip(table[name], table[f"{name} ±"],
                                                                         table["seeds"])]
        if f"{name} (paper)" in table:
            out[f"{name} paper"] = table[f"{name} (paper)"].to_numpy()
            out[f"{name} Δ"] = table[f"{name} Δ"].to_numpy()
    out = out.sort_values(["bits", "method"], kind="stable").reset_index(drop=True)
    formats = {c: "{:+.4f}" if c.endswith("Δ") else "{:.4f}" for c in out.columns if "paper" in c or "Δ" in c}
    return html_table(out, formats)


def verdicts(study: Study, bits: Iterable[int], *, focus: str = "sigah") -> Prose:
    """Per metric and code length: the leader, its lead, SiGAH's rank, and the paper's leader.

    Ends with the count of cells whose difference from the paper exceeds two of our standard
    deviations (or says that there is no paper column).
    """
    bits = [int(b) for b in bits]
    lines = [f"**Verdicts on {data_name(study)}.**"]
    for r in column_verdicts(study.table, bits, focus=focus).to_dict("records"):
        leader, runner = row_label(r["leader"]), row_label(r["runner-up"])
        line = f"- {r['metric']}, {r['bits']} bits: **{leader}** leads with {r['value']:.4f}"
        if runner:
            line += f" ({r['lead']:+.4f} over {runner})"
        line += f"; SiGAH ranks {r['SiGAH rank']}"
        if isinstance(r.get("paper leader"), str):
            line += f"; in the paper {r['paper leader']} leads and SiGAH ranks {r['SiGAH paper rank']}"
        lines.append(line + ".")
    if study.paper is None:
        lines.append("- No paper column for this data, so no difference from the paper is computed.")
    else:
        flagged = beyond_two_sigma(study.table)
        compared = int(study.table.filter(like=" Δ").notna().sum().sum())
        lines.append(f"- {count_of(len(flagged), compared, 'cell')} with a paper number "
                     f"{'differs' if len(flagged) == 1 else 'differ'} from it by more than two of our "
                     "standard deviations (eq. {eq}`eq-two-sigma`).")
    return Prose("\n".join(lines))


def differences_from_paper(study: Study) -> Any:
    """The cells beyond two standard deviations of the paper's number, largest first, as a table
    (or a sentence when there are none, or no paper column)."""
    if study.paper is None:
        return Prose("*No paper column for this data.*")
    flagged = beyond_two_sigma(study.table)
    if flagged.empty:
        return Prose("*No cell differs from the paper by more than two standard deviations.*")
    flagged = flagged.assign(method=[row_label(m) for m in flagged["method"]])
    return html_table(flagged, {"ours": "{:.4f}", "paper": "{:.4f}", "Δ": "{:+.4f}", "σ": "{:.4f}",
                                "Δ/σ": "{:+.1f}"})


def _three(row: pd.Series) -> str:
    return (f"Pre@100 {row['Pre@100']:.4f}, PR-area mAP {row['mAP (PR area)']:.4f} and ranking mAP "
            f"{row['ranking mAP']:.4f}")


def sgh_sentence(table: pd.DataFrame, bits: Iterable[int]) -> Prose:
    """SGH's two neurons against each other, and SiGAH against the better of them, on every metric."""
    lines = []
    for b in bits:
        at = table[table["bits"] == int(b)].set_index("method")
        if not {"sgh", _STOCHASTIC_SGH} <= set(at.index):
            continue
        base, strong = at.loc["sgh"], at.loc[_STOCHASTIC_SGH]
        line = (f"- {b} bits: the stochastic neuron gives {_three(strong)}, against {_three(base)} with the "
                "deterministic one")
        if "sigah" in at.index:
            above = [label for name, label in (("Pre@100", "Pre@100"), ("mAP (PR area)", "PR-area mAP"),
                                               ("ranking mAP", "ranking mAP"))
                     if at.loc["sigah", name] > max(base[name], strong[name])]
            line += (f"; SiGAH (book defaults) is above the better SGH row on "
                     f"{join_words(above) if above else 'none of the three'}")
        lines.append(line + ".")
    return Prose("\n".join(lines) or "*SGH was not run with both neurons.*")


def plot_recall(study: Study, bits: Sequence[int], seed: int) -> pd.DataFrame:
    """The paper's Fig. 3: one row of panels per code length, one panel per K, log axis for N.

    Returns
    -------
    pandas.DataFrame
        The curves (:func:`sigah.studies.retrieval.recall_curves`) of the models of ``seed``.
    """
    import matplotlib.pyplot as plt

    from sigah.studies.plotting import method_color, method_label

    curves = recall_curves(study.models, study.protocol, study.groundtruth, seed=seed)
    ks = sorted(curves["K"].unique())
    own_bits = 8 * -(-study.protocol.dim // 8)  # QoLSH's code length, drawn in every row
    fig, axes = plt.subplots(len(bits), len(ks), figsize=(3.0 * len(ks), 2.7 * len(bits)),
                             sharex=True, sharey=True, squeeze=False)
    for row, b in enumerate(bits):
        for col, k in enumerate(ks):
            ax = axes[row, col]
            shown = curves[(curves["K"] == k) & curves["bits"].isin([b, own_bits])]
            for (method, _), group in shown.groupby(["method", "bits"], sort=False):
                base, variant = method.split("[")[0], "[" in method
                label = row_label(method_label(base)) + (" (stoch.)" if variant else "")
                ax.plot(group["N"], group["recall"], "--" if variant else "-", color=method_color(base), label=label)
            ax.set(xscale="log", title=f"R-{k:,}, {b} bits (QoLSH: d bits)", xlabel="N retrieved" if row else "")
        axes[row, 0].set_ylabel("recall")
    axes[0, -1].legend(loc="lower right", fontsize=7)
    fig.suptitle(study.protocol.description, y=1.0)
    fig.tight_layout()
    return curves


def recall_leaders(curves: pd.DataFrame, study: Study, bits: Iterable[int]) -> Prose:
    """Which method has the highest recall at N = 100 (or the database size) per K and code length."""
    from sigah.studies.plotting import method_label

    cut = curves["N"].where(curves["N"] >= min(100, study.protocol.n_database)).min()
    at = curves[(curves["N"] == cut) & curves["bits"].isin([int(b) for b in bits])]
    lines = []
    for (k, b), group in at.groupby(["K", "bits"]):
        best = group.sort_values("recall", ascending=False).iloc[0]
        name = row_label(method_label(best["method"].split("[")[0]))
        name += " (stochastic neuron)" if "[" in best["method"] else ""
        lines.append(f"R-{k:,} at N = {int(best['N'])}, {b} bits: {name} ({best['recall']:.3f})")
    if not lines:
        return Prose("*No recall curve at these code lengths.*")
    return Prose("Highest recall among the methods at the code length: " + "; ".join(lines) + ".")


def three_methods(studies: Iterable[Study]) -> Any:
    """SiGAH, ITQ and SGH on every study: mean ± std of the three metrics, one row per study,
    method and code length."""
    rows = []
    for study in studies:
        at = study.table[study.table["method"].isin(["sigah", "itq", "sgh"])]
        for r in at.to_dict("records"):
            cells = {n: pm(r[n], r[f"{n} ±"] if r["seeds"] > 1 else np.nan) for n in METRICS.values()}
            rows.append({"data": data_name(study), "method": row_label(r["label"]), "bits": r["bits"]} | cells)
    return html_table(pd.DataFrame(rows, columns=["data", "method", "bits", *METRICS.values()]))


def bar_verdicts(studies: Iterable[Study], bits: Iterable[int]) -> Prose:
    """The chapter's three bars, per study and code length, quoting all three metrics.

    SiGAH against ITQ on the PR-area mAP (at or above) and the ranking mAP (at or above), SiGAH's
    Pre@100 within 0.02 of ITQ's or above, and SGH's Pre@100 at least ITQ's minus 0.05.
    """
    lines = []
    for study in studies:
        at = study.table.set_index(["method", "bits"])
        for b in bits:
            if not {("sigah", b), ("itq", b), ("sgh", b)} <= set(at.index):
                continue
            s, i, g = at.loc[("sigah", b)], at.loc[("itq", b)], at.loc[("sgh", b)]
            pr_area, ranking = (_versus_itq(s, i, name, label) for name, label in
                                (("mAP (PR area)", "PR-area mAP"), ("ranking mAP", "ranking mAP")))
            near = "within 0.02 of or above" if s["Pre@100"] >= i["Pre@100"] - 0.02 else "more than 0.02 below"
            sgh_ok = "at least" if g["Pre@100"] >= i["Pre@100"] - 0.05 else "below"
            chance = 100 / study.protocol.n_database
            lines.append(
                f"- {data_name(study)}, {b} bits: SiGAH (book defaults)'s {pr_area}; "
                f"its {ranking}; its Pre@100 {s['Pre@100']:.4f} is {near} ITQ's "
                f"{i['Pre@100']:.4f}; SGH's Pre@100 {g['Pre@100']:.4f} is {sgh_ok} ITQ's minus 0.05 "
                f"(chance: {chance:.4f}).")
    return Prose("\n".join(lines) or "*SiGAH, ITQ and SGH were not all run.*")


def _versus_itq(sigah: pd.Series, itq: pd.Series, name: str, label: str) -> str:
    word = "at or above" if sigah[name] >= itq[name] else "below"
    return f"{label} {sigah[name]:.4f} is {word} ITQ's {itq[name]:.4f}"
