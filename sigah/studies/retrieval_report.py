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

from sigah import stats
from sigah.studies.claims import EQUIVALENCE_MARGIN
from sigah.studies.book_defaults import PRINTED_EQ20, row_label
from sigah.studies.retrieval import METRICS, Study, column_verdicts, recall_curves, variant_name
from sigah.studies.wording import Prose, headline, html_table, join_words, plural, pm

__all__ = [
    "data_name", "study_headline", "results_table", "seed_scores", "column_leaders", "verdicts",
    "published_cell", "published_table", "against_paper", "sgh_sentence",
    "plot_recall", "recall_leaders", "three_methods", "itq_comparisons", "bar_verdicts", "family_disagreements",
]

_STOCHASTIC_SGH = "sgh[neuron=stochastic]"
_PRINTED_SIGAH = variant_name("sigah", PRINTED_EQ20)


def _display(method: str) -> str:
    """A row name (``"sgh[neuron=stochastic]"``) as the tables show it (``"SGH (stochastic neuron)"``)."""
    from sigah.studies.plotting import method_label

    base = method.split("[", 1)[0]
    return row_label(method_label(base) + method[len(base):].replace("[", " (").replace("]", ")"))


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
    """Mean ± std per metric (one seed: the mean) and the paper's number, per row.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`Study.table` (from :func:`sigah.studies.retrieval.compare_with_paper`).

    Returns
    -------
    pandas.io.formats.style.Styler
        Sorted by bits then method; SiGAH's row named :data:`sigah.studies.book_defaults.SIGAH_ROW`;
        cells that never wrap; "—" where the paper has no number. (How far the paper's number lies
        from our interval is :func:`against_paper`'s.)
    """
    out = pd.DataFrame({"method": [row_label(x) for x in table["label"]], "bits": table["bits"].to_numpy()})
    for name in METRICS.values():
        out[name] = [pm(m, s if n > 1 else np.nan) for m, s, n in zip(table[name], table[f"{name} ±"],
                                                                         table["seeds"])]
        if f"{name} (paper)" in table:
            out[f"{name} paper"] = table[f"{name} (paper)"].to_numpy()
    out = out.sort_values(["bits", "method"], kind="stable").reset_index(drop=True)
    return html_table(out, {c: "{:.4f}" for c in out.columns if c.endswith("paper")}, wrap=["method"])


#: record column of each metric's display name
_COLUMN = {name: column for column, name in METRICS.items()}


def seed_scores(study: Study, method: str, bits: int, metric: str) -> np.ndarray:
    """A row's scores for :mod:`sigah.stats`: per seed and query when the study kept per-query
    scores (:attr:`Study.scores`), else one per seed.

    Parameters
    ----------
    study : Study
    method : str
        Row name (``"sigah"``, ``"sgh[neuron=stochastic]"``).
    bits : int
    metric : str
        A display name of :data:`sigah.studies.retrieval.METRICS`.

    Returns
    -------
    numpy.ndarray, shape (n_seeds, n_queries) or (n_seeds,)
        Seeds in increasing order.
    """
    from sigah.studies.experiments import score_grid

    at = study.records[(study.records["method"] == method) & (study.records["bits"] == int(bits))]
    seeds = sorted(at["seed"].unique())
    if study.scores and all((method, int(bits), int(s)) in study.scores for s in seeds):
        return score_grid(study.scores, method, int(bits), _COLUMN[metric], seeds)
    return at.sort_values("seed")[_COLUMN[metric]].to_numpy(dtype=np.float64)


def _testable(scores: np.ndarray) -> bool:
    """Enough values for an interval that speaks of another seed: two seeds at least (one seed's
    queries alone would say nothing about another model)."""
    return scores.shape[0] >= 2


def column_leaders(study: Study, bits: int, metric: str) -> stats.Leaders | None:
    """:func:`sigah.stats.find_leader` over the rows at ``bits`` (paired over seeds), or None with
    fewer than two seeds or two rows."""
    table = study.table[study.table["bits"] == int(bits)]
    scores = {row_label(r["label"]): seed_scores(study, r["method"], bits, metric) for r in table.to_dict("records")}
    if len(scores) < 2 or not all(_testable(v) for v in scores.values()):
        return None
    if len({v.shape for v in scores.values()}) > 1:  # rows on other seeds cannot be paired
        return None
    return stats.find_leader(scores)


def _leader_phrase(leaders: stats.Leaders | None, ranked: pd.DataFrame, metric: str) -> str:
    if leaders is None:
        best = row_label(ranked["label"].iloc[0])
        return f"highest mean **{best}** ({ranked[metric].iloc[0]:.4f}; one seed, so no interval)"
    others = len(leaders.means) - 1
    family = leaders.comparisons.comparisons[0]
    design = f"paired over {stats.design_phrase(family.n_seeds, family.n_queries)}, Holm over {others}"
    if leaders.leader is not None:
        return (f"**{leaders.leader}** leads ({leaders.means[leaders.leader]:.4f}), ahead of each of the "
                f"{plural(others, 'other row')} beyond the interval ({design})")
    best, rest = leaders.tied[0], list(leaders.tied[1:])
    which = "any other row" if len(rest) == others else join_words(rest)
    return (f"no leader: the highest mean, **{best}**'s ({leaders.means[best]:.4f}), is not separated from "
            f"{which} by the interval ({design})")


def verdicts(study: Study, bits: Iterable[int], *, focus: str = "sigah") -> Prose:
    """Per metric and code length: the leader (only when its lead over every other row is beyond
    the interval, :func:`sigah.stats.find_leader`), SiGAH's rank by mean, and the paper's leader."""
    bits = [int(b) for b in bits]
    lines = [f"**Verdicts on {data_name(study)}.**"]
    for r in column_verdicts(study.table, bits, focus=focus).to_dict("records"):
        at = study.table[study.table["bits"] == r["bits"]].sort_values(r["metric"], ascending=False)
        phrase = _leader_phrase(column_leaders(study, r["bits"], r["metric"]), at, r["metric"])
        line = f"- {r['metric']}, {r['bits']} bits: {phrase}; SiGAH (book defaults) ranks {r['SiGAH rank']} by mean"
        if isinstance(r.get("paper leader"), str):
            line += f"; in the paper {r['paper leader']} leads and SiGAH ranks {r['SiGAH paper rank']}"
        lines.append(line + ".")
    if study.paper is None:
        lines.append("- No paper column for this data, so no comparison with the paper is made.")
    return Prose("\n".join(lines))


def published_cell(scores: np.ndarray, published: float, family_size: int) -> dict[str, Any]:
    """Our mean, its interval (over seeds, and queries when ``scores`` is a seeds × queries grid;
    Bonferroni over ``family_size`` cells) and where the paper's number lies, as a table row's cells.

    Returns
    -------
    dict
        ``ours``, ``our interval`` (``"0.5972 to 0.6150"``, or ``"—"`` with one seed), ``paper`` and
        ``paper's number`` (``"inside"``, ``"above by 0.0190"``, ``"below by …"``, ``"no interval
        (1 seed)"``), and ``level`` (the interval's confidence in percent, NaN with one seed).
    """
    scores = np.asarray(scores, dtype=np.float64)
    row = {"ours": float(scores.mean()), "our interval": "—", "paper": float(published),
           "paper's number": "no interval (1 seed)", "level": np.nan}
    if not _testable(scores):
        return row
    c = stats.compare_to_published(scores, published, family_size=family_size)
    where = "inside" if c.distance == 0 else f"{'above' if c.distance > 0 else 'below'} by {abs(c.distance):.4f}"
    low, high = (f"{x:.4f}".replace("-", "\u2212") for x in (c.low, c.high))
    return row | {"our interval": f"{low}\u00a0to\u00a0{high}", "paper's number": where,
                  "level": 100 * c.confidence}


def published_table(rows: list[dict[str, Any]]) -> Any:
    """Rows of :func:`published_cell` (with their labels) as an HTML table, farthest from our
    interval first, the confidence level in the interval's header."""
    frame = pd.DataFrame(rows)
    levels = frame.pop("level").dropna().unique()
    if len(levels) == 1:
        frame = frame.rename(columns={"our interval": f"our {levels[0]:.2f} % interval"})
    distance = [float(w.split(" by ")[1]) if " by " in w else 0.0 for w in frame["paper's number"]]
    frame = frame.iloc[np.argsort(-np.asarray(distance), kind="stable")].reset_index(drop=True)
    return html_table(frame, {"ours": "{:.4f}", "paper": "{:.4f}"})


def against_paper(study: Study) -> Any:
    """Every cell with a paper number: our mean and interval beside it, and whether it lies inside.

    The intervals cover the seeds and, with per-query scores, the query sample
    (:func:`sigah.stats.compare_to_published`), at the Bonferroni level over all the cells shown, so
    that the whole table holds at 95 %. Sorted by how far the paper's
    number lies outside our interval.

    Returns
    -------
    pandas.io.formats.style.Styler or Prose
        The table, or a sentence when the study has no paper column.
    """
    if study.paper is None:
        return Prose("*No paper column for this data.*")
    cells = [(r, name) for r in study.table.to_dict("records") for name in METRICS.values()
             if np.isfinite(r.get(f"{name} (paper)", np.nan))]
    rows = [{"method": row_label(r["label"]), "bits": r["bits"], "metric": name}
            | published_cell(seed_scores(study, r["method"], r["bits"], name), r[f"{name} (paper)"], len(cells))
            for r, name in cells]
    return published_table(rows)


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

    from sigah.studies.plotting import method_color

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
                ax.plot(group["N"], group["recall"], "--" if variant else "-", color=method_color(base),
                        label=_display(method))
            ax.set(xscale="log", title=f"R-{k:,}, {b} bits (QoLSH: d bits)", xlabel="N retrieved" if row else "")
        axes[row, 0].set_ylabel("recall")
    axes[0, -1].legend(loc="lower right", fontsize=7)
    fig.suptitle(study.protocol.description, y=1.0)
    fig.tight_layout()
    return curves


def recall_leaders(curves: pd.DataFrame, study: Study, bits: Iterable[int]) -> Prose:
    """Which method has the highest recall at N = 100 (or the database size) per K and code length."""

    cut = curves["N"].where(curves["N"] >= min(100, study.protocol.n_database)).min()
    at = curves[(curves["N"] == cut) & curves["bits"].isin([int(b) for b in bits])]
    lines = []
    for (k, b), group in at.groupby(["K", "bits"]):
        best = group.sort_values("recall", ascending=False).iloc[0]
        name = _display(best["method"])
        lines.append(f"R-{k:,} at N = {int(best['N'])}, {b} bits: {name} ({best['recall']:.3f})")
    if not lines:
        return Prose("*No recall curve at these code lengths.*")
    return Prose("Highest recall among the methods at the code length: " + "; ".join(lines) + ".")


def three_methods(studies: Iterable[Study]) -> Any:
    """SiGAH (both rows, when run), ITQ and SGH on every study: mean ± std of the three metrics, one
    row per study, method and code length."""
    rows = []
    for study in studies:
        at = study.table[study.table["method"].isin(["sigah", "itq", "sgh", _PRINTED_SIGAH])]
        for r in at.to_dict("records"):
            cells = {n: pm(r[n], r[f"{n} ±"] if r["seeds"] > 1 else np.nan) for n in METRICS.values()}
            rows.append({"data": data_name(study), "method": row_label(r["label"]), "bits": r["bits"]} | cells)
    return html_table(pd.DataFrame(rows, columns=["data", "method", "bits", *METRICS.values()]))



def itq_comparisons(studies: Iterable[Study], bits: Iterable[int]) -> stats.Family | None:
    """SiGAH (book defaults) minus ITQ on the three metrics, per study and code length, paired over
    seeds and Holm-corrected together; Pre@100 with the equivalence margin
    :data:`EQUIVALENCE_MARGIN`. None when a row has fewer than two seeds."""
    pairs, margins = {}, []
    for study in studies:
        for b in bits:
            for name in METRICS.values():
                a, i = seed_scores(study, "sigah", b, name), seed_scores(study, "itq", b, name)
                if not _testable(a) or a.shape != i.shape:
                    return None
                pairs[f"{data_name(study)}, {b} bits, {name}"] = (a, i)
                margins.append(EQUIVALENCE_MARGIN if name == "Pre@100" else None)
    return stats.compare_family(pairs, margin=margins) if pairs else None


def bar_verdicts(studies: Iterable[Study], bits: Iterable[int]) -> Prose:
    """SiGAH (book defaults) against ITQ on every study, code length and metric, through
    :func:`itq_comparisons`, and SGH's Pre@100 beside ITQ's and chance.

    With one seed the differences of the means are given without a verdict.
    """
    studies, bits = list(studies), [int(b) for b in bits]
    family = itq_comparisons(studies, bits)
    lines = []
    for study in studies:
        at = study.table.set_index(["method", "bits"])
        for b in bits:
            if not {("sigah", b), ("itq", b), ("sgh", b)} <= set(at.index):
                continue
            s, i, g = at.loc[("sigah", b)], at.loc[("itq", b)], at.loc[("sgh", b)]
            parts = []
            for name in METRICS.values():
                part = f"{name} {s[name]:.4f} against {i[name]:.4f}"
                if family is not None:
                    part += f" ({stats.verdict_phrase(family[f'{data_name(study)}, {b} bits, {name}'], 4)})"
                parts.append(part)
            chance = 100 / study.protocol.n_database
            lines.append(f"- {data_name(study)}, {b} bits: SiGAH (book defaults) against ITQ: {'; '.join(parts)}. "
                         f"SGH's Pre@100 {g['Pre@100']:.4f} (ITQ {i['Pre@100']:.4f}, chance {chance:.4f}).")
    if not lines:
        return Prose("*SiGAH, ITQ and SGH were not all run.*")
    if family is None:
        head = "With one seed per row there is no interval, so the differences carry no verdict."
    else:
        c = family.comparisons[0]
        head = (f"Each difference is paired over {stats.design_phrase(c.n_seeds, c.n_queries)} and the "
                f"{plural(len(family), 'comparison')} are Holm-corrected together; Pre@100 counts as matching "
                f"ITQ's when the interval lies within ±{EQUIVALENCE_MARGIN}.")
    text = head + "\n\n" + "\n".join(lines)
    split, tested = family_disagreements(studies, bits, family) if family is not None else ([], 0)
    if split:
        where = join_words([f"{metric} at {b} bits on {data}" for data, b, metric in split])
        text += ("\n\n" + f"{stats.count_of(len(split), tested, 'pair')} that both families test ({where}) "
                 f"{'is' if len(split) == 1 else 'are'} separated (higher or lower) in one family and not in "
                 "the other: the column verdicts above test a leader against every other row of its column, "
                 "these comparisons test SiGAH against ITQ alone, and Holm's threshold for one comparison "
                 "depends on the others corrected with it. Neither family's verdict overrides the other's; a "
                 "pair not separated in either is not established.")
    return Prose(text)


def family_disagreements(studies: Iterable[Study], bits: Iterable[int],
                         family: stats.Family) -> tuple[list[tuple[str, int, str]], int]:
    """The pairs of SiGAH (book defaults) and ITQ that the column verdicts (:func:`column_leaders`)
    and :func:`itq_comparisons` separate differently: higher or lower in one family, not in the
    other. A column whose best row is neither of the two never compared them, so it cannot disagree.

    Parameters
    ----------
    studies : iterable of Study
    bits : iterable of int
    family : sigah.stats.Family
        :func:`itq_comparisons` of the same studies and code lengths.

    Returns
    -------
    pairs : list of (str, int, str)
        ``(dataset name, code length, metric)`` of each disagreement, in the order of the studies,
        code lengths and metrics.
    tested : int
        How many pairs both families compared.
    """
    split, tested = [], 0
    for study in studies:
        labels = {m: row_label(r["label"]) for r in study.table.to_dict("records")
                  for m in ("sigah", "itq") if r["method"] == m}
        for b in bits:
            for name in METRICS.values():
                key = f"{data_name(study)}, {b} bits, {name}"
                leaders = column_leaders(study, b, name)
                if leaders is None or key not in family.labels or len(labels) < 2:
                    continue
                pair = {labels["sigah"], labels["itq"]}
                if leaders.tied[0] not in pair:  # the column compared neither of the two with the other
                    continue
                tested += 1
                if (not pair <= set(leaders.tied)) != (family[key].verdict in ("higher", "lower")):
                    split.append((data_name(study), int(b), name))
    return split, tested
