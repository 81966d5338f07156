"""The sentences and tables of chapter *Binary codes and their evaluation*, computed from its run.

Each function takes what the chapter computed (a protocol, ground truth, scores, the table of our
numbers beside the paper's) and returns one Markdown paragraph (:class:`IPython.display.Markdown`,
shown by the notebook as the cell's output) or one display table, so that the chapter's visible
cells keep to the experiment and one folded cell per result states it. Chapter *The baselines*
opens with the same run headline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown

from sigah.stats import (compare_family, compare_paired, count_of, design_phrase, format_interval,
                         format_signed, mean_pm_std, plural, verdict_phrase)
from sigah.studies.paper import comparability_note, paper_value
from sigah.studies.plotting import styled

__all__ = [
    "value_range", "run_headline", "ground_truth_sentence",
    "tie_order_sentence", "has_paper_columns", "paper_table", "definition_gaps", "definition_verdict",
    "query_grid", "itq_lsh_sentence",
]

#: our column and the paper's, for every pair of ``beside_paper`` columns shown as mean ± std
_PM_COLUMNS = {"Pre@100": "Pre@100 ±", "mAP (PR area)": "mAP (PR area) ±"}
_PAPER_COLUMNS = ["Pre@100 (paper)", "mAP (paper)"]


def value_range(low: float, high: float, digits: int = 4) -> str:
    """``"from 0.1000 to 0.2000"``, or ``"0.1000 in every case"`` when both ends print alike."""
    a, b = f"{low:.{digits}f}", f"{high:.{digits}f}"
    return f"{a} in every case" if a == b else f"from {a} to {b}"


def run_headline(protocol: Any, k: int, notes: Iterable[str] = ()) -> Markdown:
    """**This run:** the protocol and the ground truth, one bullet per size the data could not supply.

    Parameters
    ----------
    protocol : sigah.data.Protocol
        Needs ``description``.
    k : int
        True neighbours per query.
    notes : iterable of str
        The notes of :func:`sigah.studies.sizes.cap_sizes`.
    """
    lines = [f"**This run:** {protocol.description}; ground truth = the {k:,} nearest database points."]
    lines += [f"- Size preset lowered: {note}" for note in notes]
    return Markdown("\n".join(lines))


def ground_truth_sentence(groundtruth: np.ndarray, seconds: float, protocol: Any = None) -> Markdown:
    """Why K = 1,000 is the reading of the paper's protocol, and how long the ground truth took.

    Parameters
    ----------
    groundtruth : numpy.ndarray, shape (n_queries, K)
    seconds : float
        Time to compute (or read) it.
    protocol : sigah.data.Protocol, optional
        On data other than MNIST the sentence gives the size and time only.
    """
    size = (f"Ground truth of {plural(groundtruth.shape[0], 'query', 'queries')} × "
            f"{groundtruth.shape[1]:,} neighbours computed in {seconds:.1f} s (cached on disk after the "
            "first run).")
    if protocol is not None and not has_paper_columns(protocol):
        return Markdown(size)
    itq_pre = paper_value("itq", 64, "precision_at_100")
    return Markdown(
        f'Its recall curves go up to "R-1K", and its Table 2 gives 64-bit ITQ a Pre@100 of '
        f"{itq_pre:.4f}: with $K = 100$ that would mean ITQ's top 100 held {itq_pre:.0%} of the exact "
        f"100 nearest neighbours. With $K = 1{{,}}000$ it is the share of the top 100 among the 1,000 "
        f"nearest, which our own ITQ is set beside at the end of this chapter. {size}")


def tie_order_sentence(shuffled: Sequence[float], expected: float, stable: float) -> Markdown:
    """The stable-order mAP and the exact expectation beside the mAP of random tie orders.

    Parameters
    ----------
    shuffled : sequence of float
        The stable-order mAP after each random permutation of the database (at least one).
    expected : float
        The exact expectation under random ties.
    stable : float
        The stable-order mAP of the database as it is ordered.
    """
    shuffled = np.asarray(shuffled, dtype=float)
    if shuffled.size == 0:
        raise ValueError("shuffled must hold the mAP of at least one random tie order, got none")
    inside = shuffled.min() <= expected <= shuffled.max()
    if shuffled.size == 1:
        draws = f"One random tie order: **{shuffled[0]:.4f}**."
        where = f"{abs(shuffled[0] - expected):.4f} from it"
    elif f"{shuffled.min():.4f}" == f"{shuffled.max():.4f}":
        draws = f"{shuffled.size} random tie orders: {shuffled.min():.4f} in every case."
        where = (f"{'inside' if inside else 'outside'} the range of the random orders, "
                 f"{abs(shuffled.mean() - expected):.4f} from their mean")
    else:
        spread = shuffled.max() - shuffled.min()
        draws = (f"{shuffled.size} random tie orders: mean {shuffled.mean():.4f}, "
                 f"{value_range(shuffled.min(), shuffled.max())} (spread {spread:.4f}).")
        where = (f"{'inside' if inside else 'outside'} the range of the random orders, "
                 f"{abs(shuffled.mean() - expected):.4f} from their mean")
    return Markdown(f"Stable order (database index): **{stable:.4f}**. {draws} Exact expectation "
                    f"{{eq}}`eq-expected-ap`: **{expected:.4f}**, {where}.")


def has_paper_columns(protocol: Any) -> bool:
    """Whether the run is on MNIST, the only dataset of the paper's Table 2."""
    return str(protocol.name).lower() == "mnist"


def paper_table(comparison: pd.DataFrame, protocol: Any) -> Any:
    """The table of :func:`sigah.studies.paper.beside_paper` for display: mean ± std in one cell.

    The ``±`` columns are folded into their means with non-breaking spaces, so that no cell wraps
    (the mean alone for a cell of one seed); the paper's columns are left out on data other than MNIST, where the paper has no numbers.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    table = comparison.copy()
    seeds = table["seeds"] if "seeds" in table else pd.Series(2, index=table.index)
    for column, spread in _PM_COLUMNS.items():
        if spread in table:
            # one seed has no spread: its "± 0" would claim a precision the run did not measure
            stds = table[spread].where(seeds > 1)
            table[column] = [mean_pm_std(m, s, digits=4) for m, s in zip(table[column], stds)]
            table = table.drop(columns=spread)
    if not has_paper_columns(protocol):
        table = table.drop(columns=[c for c in _PAPER_COLUMNS if c in table])
    return styled(table)


#: our columns that could be what the paper calls "mAP", by the name the chapter gives them
DEFINITIONS = {
    "PR area over radii (eq-pr-area)": "mAP (PR area)",
    "ranking mAP, expected under ties (eq-expected-ap)": "ranking mAP",
    "ranking mAP, stable order": "stable mAP",
}


def definition_gaps(comparison: pd.DataFrame) -> pd.Series:
    """Mean absolute gap between each of our mAP definitions and the paper's "mAP".

    Returns
    -------
    pandas.Series
        Indexed by the names of :data:`DEFINITIONS`; empty when no row has a paper number.
    """
    scored = comparison.dropna(subset=["mAP (paper)"])
    if scored.empty:
        return pd.Series(dtype=float)
    return pd.Series({name: (scored[col] - scored["mAP (paper)"]).abs().mean()
                      for name, col in DEFINITIONS.items()})


def definition_verdict(comparison: pd.DataFrame, protocol: Any) -> Markdown:
    """Which of the three mAP definitions lies closest to the paper's, with the ITQ figures.

    On data other than MNIST the paper has no numbers and the sentence says so.
    """
    gaps = definition_gaps(comparison) if has_paper_columns(protocol) else pd.Series(dtype=float)
    if gaps.empty:
        name = protocol.description.split(":")[0]
        return Markdown(f"This run is on {name}, not MNIST: the paper has no numbers for it in Table 2, "
                        "so the definitions cannot be told apart here.")
    scored = comparison.dropna(subset=["mAP (paper)"])
    closest = gaps.idxmin()
    agrees = "agrees with" if DEFINITIONS[closest] == "mAP (PR area)" else "does not agree with"
    pre_gap = (scored["Pre@100"] - scored["Pre@100 (paper)"]).abs().mean()
    lines = [comparability_note(protocol), ""]
    lines += [f"- {name}: mean absolute gap **{gap:.3f}**" for name, gap in gaps.items()]
    text = (f"Closest to the paper's \"mAP\": **{closest}**, so this run {agrees} the book's choice of "
            f"the PR area. Our Pre@100 differs from the paper's by {pre_gap:.3f} on average.")
    itq = scored[scored.method == "itq"]
    if len(itq):
        text += " For ITQ, " + "; ".join(
            f"{r.bits} bits: ranking mAP {r['ranking mAP']:.3f}, PR area {r['mAP (PR area)']:.3f}, "
            f"paper {r['mAP (paper)']:.3f}" for _, r in itq.iterrows()) + "."
    return Markdown("\n".join([*lines, "", text]))


_LEAD_METRICS = {"precision_at_100": "Pre@100", "map_pr_area": "PR-area mAP"}


def _per_seed(records: pd.DataFrame, method: str, bits: int, metric: str) -> np.ndarray:
    rows = records[(records.method == method) & (records.bits == bits)].sort_values("seed")
    return rows[metric].to_numpy(dtype=np.float64)


def query_grid(scores: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]], method: str, bits: int,
               metric: str) -> np.ndarray:
    """One method's per-query scores as a (seeds × queries) grid, seeds in increasing order.

    Parameters
    ----------
    scores : mapping
        ``{(method, bits, seed): {metric: array (n_queries,)}}``, the per-query scores of a grid.
    method : str
    bits : int
    metric : str

    Returns
    -------
    numpy.ndarray, shape (n_seeds, n_queries)
    """
    seeds = sorted(s for (m, b, s) in scores if m == method and b == bits)
    if not seeds:
        raise ValueError(f"no per-query scores of {method} at {bits} bits; have {sorted(scores)}")
    return np.stack([np.asarray(scores[(method, bits, s)][metric], dtype=np.float64) for s in seeds])


def itq_lsh_sentence(records: pd.DataFrame, bits: Sequence[int],
                     scores: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]] | None = None,
                     ) -> Markdown:
    """ITQ against LSH at each code length, on Pre@100 and PR-area mAP, paired over seeds.

    The comparisons of one run form one family, Holm-corrected (:func:`sigah.stats.compare_family`);
    a verdict is "higher" or "lower" only when its interval excludes zero, otherwise inconclusive
    with the smallest difference the design detects. Whether the Pre@100 gap narrows from the
    shortest to the longest code is one more paired comparison. With one seed there is no interval
    over seeds and the sentence gives the differences of the means only.

    Parameters
    ----------
    records : pandas.DataFrame
        ``run_grid`` records with ``method``, ``bits``, ``seed`` and the two metrics; the same seeds
        for both methods.
    bits : sequence of int
    scores : mapping, optional
        Per-query scores ``{(method, bits, seed): {metric: array}}``: the comparisons are then paired
        on seeds and queries, and their intervals cover another query sample too (one seed suffices).
    """
    if not {"lsh", "itq"} <= set(records.method):
        return Markdown("")
    if scores is not None:
        pairs = {(b, m): (query_grid(scores, "itq", b, m), query_grid(scores, "lsh", b, m))
                 for b in bits for m in _LEAD_METRICS}
    else:
        pairs = {(b, m): (_per_seed(records, "itq", b, m), _per_seed(records, "lsh", b, m))
                 for b in bits for m in _LEAD_METRICS}
    n_seeds = min(len(a) for a, _ in pairs.values())
    if n_seeds < 2 and scores is None:
        means = "; ".join(f"{b} bits: {_LEAD_METRICS[m]} {float(np.mean(a - c)):+.4f}"
                          for (b, m), (a, c) in pairs.items())
        return Markdown(f"ITQ − LSH, mean of {plural(n_seeds, 'seed')} ({means}). With one seed there is "
                        "no interval over seeds, so this run names no leader.")
    family = compare_family({f"{b} bits, {_LEAD_METRICS[m]}": pair for (b, m), pair in pairs.items()})
    parts = [f"{label}: identical in every seed and query" if c.standard_error == 0 and c.effect == 0
             else f"{label}: {format_signed(c.effect, 4)} ({format_interval(c.low, c.high, 4)}), "
             f"{verdict_phrase(c, 4)}" for label, c in zip(family.labels, family.comparisons)]
    higher = family.count("higher")
    summary = ("ITQ scores higher than LSH in every comparison" if higher == len(family)
               else f"ITQ scores higher than LSH in {count_of(higher, len(family), 'comparison')}")
    first = family.comparisons[0]
    text = (f"{summary} (ITQ − LSH, paired over {design_phrase(first.n_seeds, first.n_queries)}, intervals "
            f"Holm-corrected over {plural(len(family), 'comparison')}): " + "; ".join(parts) + ".")
    if first.n_seeds == 1:
        text += " With one seed the intervals cover another sample of queries, not another seed."
    if len(bits) > 1:
        short, long = min(bits), max(bits)
        gap = {b: np.subtract(*pairs[(b, "precision_at_100")]) for b in (short, long)}  # paired by seed
        trend = compare_paired(gap[short], gap[long])
        word = {"higher": "narrows", "lower": "widens"}.get(trend.verdict)
        change = (f"{format_signed(-trend.effect, 4)}, interval {format_interval(-trend.high, -trend.low, 4)}")
        if trend.standard_error == 0 and trend.effect == 0:
            return Markdown(text + f" The Pre@100 gap is the same at {short} and {long} bits.")
        text += (f" The Pre@100 gap {word} from {short} to {long} bits ({change})." if word else
                 f" Whether the Pre@100 gap narrows from {short} to {long} bits is inconclusive ({change}; "
                 f"the design detects {trend.mde:.4f}).")
    return Markdown(text)
