"""The sentences and tables of the chapter *Hash learning*, computed from its run.

The chapter trains SiGAH on MNIST, looks inside the trained model (in-batch similarities, the loss
terms per epoch, bit balance, the Taylor bound of Eqs. 18-19) and compares it with ITQ and SGH and
with the paper's Table 2. Every difference it states goes through :mod:`sigah.stats`: paired
comparisons over seeds, corrected together (Holm), and the paper's numbers set beside the interval
of our mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats
from sigah.studies.book_defaults import SIGAH_ROW, row_label
from sigah.studies.wording import Prose, html_table, join_words, plural, pm

__all__ = [
    "METRICS", "history_table", "similarity_sentence", "training_sentence", "balance_sentence", "taylor_sentence", "results_table",
    "rival_comparisons", "rivals_sentence", "paper_cells", "paper_sentence",
]

#: the metrics compared: display name -> (record column, column of the paper's number or None)
METRICS = {"Pre@100": ("precision_at_100", "Pre@100 (paper)"), "PR-area mAP": ("map_pr_area", "mAP (paper)"),
           "ranking mAP": ("map", None)}
_RIVALS = ("itq", "sgh")


def similarity_sentence(similarities: np.ndarray) -> Prose:
    """Median and tails of the in-batch similarities ``S_ij`` off the diagonal, and the share above 0.5."""
    s = np.asarray(similarities, dtype=np.float64)
    median, low, high = np.quantile(s, [0.5, 0.01, 0.99])
    return Prose(
        f"The in-batch similarities have median {median:.3f} (a pair at the median distance has "
        f"$e^{{-1/2}}\\approx0.61$), 1st percentile {low:.3f} and 99th percentile {high:.3f}: the term weighs "
        f"near pairs more, and {np.mean(s > 0.5):.0%} of the pairs have $S_{{ij}} > 0.5$, so it pulls those "
        "pairs' codes together with at least half the weight of a duplicate.")


def training_sentence(history: pd.DataFrame, margin: float) -> Prose:
    """What the per-epoch curves did: reconstruction, the energies against the margin, quantisation,
    the balance/decorrelation penalty (``history``: :attr:`SiGAH.history_` as a frame)."""
    first, last = history.iloc[0], history.iloc[-1]
    hinge = ("the synthetic energy sits above the margin, where the hinge of the margin loss no longer pushes "
             "it up, so the discriminator mostly lowers the real energy" if last["energy_fake"] > margin else
             "the synthetic energy is below the margin, so the hinge of the margin loss still pushes it up")
    return Prose(
        f"The curves are per-epoch means over the mini-batches of the training set "
        f"({plural(len(history), 'epoch')}). The reconstruction error goes from "
        f"{first['reconstruction_error']:.3f} to {last['reconstruction_error']:.3f}. In the last epoch the "
        f"discriminator gives real features an energy of {last['energy_real']:.3f} and synthetic ones "
        f"{last['energy_fake']:.3f} (margin μ = {margin:g}); {hinge}. The quantisation error per bit ends at "
        f"{last['quantization_error']:.3f} (it would be 0 for saturated pre-activations and is 1 for $u=0$), "
        f"and the balance/decorrelation penalty {{eq}}`eq-balance` at {last['decorrelation']:.4f}.")


def balance_sentence(signs: np.ndarray) -> Prose:
    """Largest bit imbalance and mean absolute correlation between bits of ±1 codes, shape (n, n_bits)."""
    signs = np.asarray(signs, dtype=np.float64)
    n, k = signs.shape
    imbalance = np.abs(signs.mean(axis=0)).max()
    correlation = np.abs(np.corrcoef(signs, rowvar=False)[~np.eye(k, dtype=bool)]).mean()
    return Prose(
        f"On the {n:,} database codes of the trained {k}-bit model, the largest imbalance of a bit is "
        f"{imbalance:.3f} (the mean of a bit in $\\pm1$; 0 is balanced) and the mean absolute correlation "
        f"between two bits is {correlation:.3f}.")


def taylor_sentence(u: np.ndarray) -> Prose:
    """Check the two-sided Taylor bound of Eq. ``eq-taylor`` on pre-activations ``u``, shape (n, n_bits),
    and say where they sit on ``tanh``."""
    u = np.asarray(u, dtype=np.float64)
    codes = np.where(u >= 0, 1.0, -1.0)
    gap, slope = np.abs(codes - np.tanh(u)), 1.0 - np.tanh(u) ** 2
    inside = (gap <= slope + 1e-12) & (gap >= 0.5 * slope - 1e-12)
    per_code = ((codes - np.tanh(u)) ** 2).sum(axis=1)
    holds = np.mean(per_code <= (slope**2).sum(axis=1) + 1e-9)
    return Prose(
        f"{int(inside.sum()):,} of {inside.size:,} bits satisfy the two-sided Taylor bound above "
        f"({inside.mean():.2%}), and {holds:.2%} of the codes satisfy "
        f"$\\lVert b-\\tilde b\\rVert^2\\le\\sum_j\\tanh'(u_j)^2$. On the trained model the mean "
        f"quantisation error per code is {per_code.mean():.2f} (of at most {u.shape[1]}), with median "
        f"$|u_j|$ = {np.median(np.abs(u)):.2f}: {np.mean(np.abs(u) < 1):.0%} of the pre-activations lie where "
        "$\\tanh' > 0.42$.")


#: the per-epoch quantities shown beside each other, first and last epoch
HISTORY_COLUMNS = ["seconds", "generator_loss", "reconstruction", "sparsity", "graph", "adversarial",
                   "decorrelation", "discriminator_loss", "energy_real", "energy_fake", "quantization_error"]


def history_table(history: pd.DataFrame) -> Any:
    """The training history's first and last epoch side by side, one row per quantity (the curves
    show every epoch)."""
    shown = [c for c in HISTORY_COLUMNS if c in history.columns]
    first, last = history.iloc[0], history.iloc[-1]
    frame = pd.DataFrame({"quantity": shown, f"epoch {int(first['epoch'])}": first[shown].to_numpy(float),
                          f"epoch {int(last['epoch'])}": last[shown].to_numpy(float)})
    if len(history) == 1:
        frame = frame.iloc[:, :2]
    return html_table(frame, "{:.4f}")


def results_table(table: pd.DataFrame, fit_seconds: pd.Series) -> Any:
    """:func:`sigah.studies.paper.beside_paper` with the mean fit time, mean ± std in cells that do not wrap.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`sigah.studies.paper.beside_paper`.
    fit_seconds : pandas.Series
        Mean fit seconds indexed by (method, bits).
    """
    from sigah.studies.plotting import method_label

    out = pd.DataFrame({"method": [row_label(method_label(m)) for m in table["method"]], "bits": table["bits"]})
    for name in ("Pre@100", "mAP (PR area)"):
        spread = [s if n > 1 else np.nan for s, n in zip(table[f"{name} ±"], table["seeds"])]
        out[name] = [pm(m, s) for m, s in zip(table[name], spread)]
        paper = "Pre@100 (paper)" if name == "Pre@100" else "mAP (paper)"
        out[paper] = table[paper].to_numpy()
    out["ranking mAP"] = table["ranking mAP"].to_numpy()
    out["train s"] = [fit_seconds.get((m, b), np.nan) for m, b in zip(table["method"], table["bits"])]
    formats = {"Pre@100 (paper)": "{:.4f}", "mAP (paper)": "{:.4f}", "ranking mAP": "{:.4f}", "train s": "{:,.1f}"}
    return html_table(out, formats)


def _scores(records: pd.DataFrame, method: str, bits: int, column: str, scores: Any = None) -> np.ndarray:
    """Seeds × queries from per-query ``scores`` when given (run_grid(per_query=True)), else per seed."""
    at = records[(records["method"] == method) & (records["bits"] == int(bits))]
    seeds = sorted(int(s) for s in at["seed"].unique())
    if scores and all((method, int(bits), s) in scores for s in seeds):
        from sigah.studies.experiments import score_grid

        return score_grid(scores, method, int(bits), column, seeds)
    return at.sort_values("seed")[column].to_numpy(dtype=np.float64)


def rival_comparisons(records: pd.DataFrame, bits: Iterable[int], scores: Any = None) -> stats.Family | None:
    """SiGAH minus ITQ and minus SGH, per code length and metric, paired over seeds (and queries,
    with the per-query ``scores`` of run_grid(per_query=True)), Holm-corrected.

    Returns
    -------
    sigah.stats.Family or None
        Labelled ``"<metric>, <b> bits, SiGAH − <rival>"``; None with fewer than two seeds.
    """
    from sigah.studies.plotting import method_label

    if records.groupby(["method", "bits"]).size().min() < 2:
        return None
    pairs = {f"{metric}, {b} bits, SiGAH − {method_label(rival)}":
             (_scores(records, "sigah", b, column, scores), _scores(records, rival, b, column, scores))
             for b in bits for rival in _RIVALS for metric, (column, _) in METRICS.items()}
    return stats.compare_family(pairs)


def rivals_sentence(records: pd.DataFrame, bits: Iterable[int], scores: Any = None) -> Prose:
    """The verdicts of :func:`rival_comparisons` counted, or the differences of means with one seed."""
    bits = [int(b) for b in bits]
    family = rival_comparisons(records, bits, scores)
    if family is None:
        from sigah.studies.plotting import method_label

        def diff(b: int, rival: str, column: str) -> str:
            d = _scores(records, "sigah", b, column).mean() - _scores(records, rival, b, column).mean()
            return stats.format_signed(d, 4)

        lines = [f"- {b} bits: " + "; ".join(
                 f"SiGAH − {method_label(rival)}: " + ", ".join(f"{metric} {diff(b, rival, column)}"
                                                              for metric, (column, _) in METRICS.items())
                 for rival in _RIVALS) for b in bits]
        return Prose("With one seed per method there is no interval, so no verdict; the differences of the "
                     "single runs:\n\n" + "\n".join(lines))
    counts = {v: family.count(v) for v in ("higher", "lower", "inconclusive")}
    parts = [f"higher in {counts['higher']}", f"lower in {counts['lower']}",
             f"inconclusive in {counts['inconclusive']}"]
    mdes = [c.mde for c in family.comparisons if c.verdict == "inconclusive"]
    design = stats.design_phrase(family.comparisons[0].n_seeds, family.comparisons[0].n_queries)
    text = (f"Of the {plural(len(family), 'comparison')} of {SIGAH_ROW} with ITQ and SGH above "
            f"(paired over {design}, Holm-corrected together), SiGAH is {join_words(parts)}.")
    if mdes:
        text += (f" An inconclusive comparison is not evidence of no difference: this design detects "
                 f"differences of {min(mdes):.4f} to {max(mdes):.4f} with 80 % power."
                 if f"{min(mdes):.4f}" != f"{max(mdes):.4f}" else
                 f" An inconclusive comparison is not evidence of no difference: this design detects "
                 f"differences of {min(mdes):.4f} with 80 % power.")
    return Prose(text)


def paper_cells(records: pd.DataFrame, table: pd.DataFrame, bits: Iterable[int],
                methods: Iterable[str] = ("sigah", "itq", "sgh"), scores: Any = None) -> Any:
    """Every (method, code length, metric) with a number in the paper: our mean, its interval over
    seeds (Bonferroni over the cells shown) and where the paper's number lies."""
    from sigah.studies.plotting import method_label
    from sigah.studies.retrieval_report import published_cell, published_table

    cells = [(m, int(b), metric, column, paper) for m in methods for b in bits
             for metric, (column, paper) in METRICS.items() if paper is not None]
    cells = [(m, b, metric, column, table[(table["method"] == m) & (table["bits"] == b)][paper].iloc[0])
             for m, b, metric, column, paper in cells]
    cells = [cell for cell in cells if np.isfinite(cell[-1])]
    rows = [{"method": row_label(method_label(m)), "bits": b, "metric": metric}
            | published_cell(_scores(records, m, b, column, scores), published, len(cells))
            for m, b, metric, column, published in cells]
    return published_table(rows)


def paper_sentence(table: pd.DataFrame, bits: Iterable[int]) -> Prose:
    """The paper's own margins of SiGAH over ITQ (Table 2), which a reproduction is measured against."""
    def at(method: str, b: int, column: str) -> float:
        return float(table[(table["method"] == method) & (table["bits"] == b)][column].iloc[0])

    margins = [f"{metric} {stats.format_signed(at('sigah', b, paper) - at('itq', b, paper), 4)} at {b} bits"
               for metric, (_, paper) in METRICS.items() if paper is not None for b in bits]
    return Prose(f"The paper's SiGAH minus its ITQ (Table 2): {join_words(margins)}.")
