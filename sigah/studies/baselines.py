"""The sentences and tables of chapter *The baselines*, computed from its run.

Each function takes what the chapter fitted or measured and returns one Markdown paragraph
(:class:`IPython.display.Markdown`) or one display table, so that the chapter's visible cells keep
to fitting and scoring the methods, and one folded cell per result states it. The comparison of
LSH and ITQ with the paper's Table 2 goes through :func:`sigah.stats.compare_to_published`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown

from sigah.stats import PUBLISHED_VERDICTS, compare_to_published, count_of, design_phrase, plural
from sigah.studies.evaluation import has_paper_columns, query_grid, value_range
from sigah.studies.paper import PAPER_PROTOCOLS, comparability_note, paper_value
from sigah.studies.plotting import method_label, method_labels, styled

__all__ = [
    "run_headline", "sph_sentence", "ba_sentence", "sgh_neuron_table", "och_sentence",
    "qolsh_sentence", "with_timings", "method_table", "ranking_row", "paper_gaps", "gap_sentence",
    "distance_choice_sentence", "seed_scores", "query_scores", "paper_check", "paper_check_sentence",
]

_METRIC_NAMES = {"precision_at_100": "Pre@100", "map_pr_area": "mAP"}


def run_headline(protocol: Any, k: int, notes: Sequence[str], n_features: int) -> Markdown:
    """**This run:** the protocol, the ground truth and the training set, one bullet per lowered size."""
    lines = [f"**This run:** {protocol.description}; ground truth = the {k:,} nearest database points; "
             f"training set of {protocol.n_train:,} points in {n_features} dimensions."]
    lines += [f"- Size preset lowered: {note}" for note in notes]
    return Markdown("\n".join(lines))


def sph_sentence(sph: Any, X: np.ndarray) -> Markdown:
    """How SpH's training ended and how balanced its spheres are on the whole training set.

    Parameters
    ----------
    sph : sigah.hashers.sph.SphericalHashing
        Fitted.
    X : numpy.ndarray, shape (n, d)
        The training set.
    """
    from sigah.hashers.sph import sphere_overlaps

    inside = sph.encode_bits(X)
    n_bits = inside.shape[1]
    off_diagonal = ~np.eye(n_bits, dtype=bool)
    deviation = np.abs(sphere_overlaps(inside)[off_diagonal] / len(X) - 0.25).mean() * 4
    share = inside.mean(0)
    holds = value_range(share.min(), share.max(), digits=3)
    return Markdown(
        f"Stopped after **{plural(int(sph.n_iter_), 'iteration')}** (rule met: {sph.converged_}). On the "
        f"whole training set of {len(X):,} points the share of the points inside each sphere is "
        f"{holds}, and the mean |o_ij − N/4| is {deviation:.3f} N/4.")


def ba_sentence(ba: Any, history: pd.DataFrame) -> Markdown:
    """BA's stop reason and whether every Z-step lowered (or kept) the MAC objective."""
    zstep_ok = bool((history.objective_after_z <= history.objective_after_hf + 1e-6).all())
    return Markdown(f"Stop reason: **{ba.stop_reason_}** after {plural(len(history), 'iteration')}. "
                    f"Every Z-step lowered or kept $E_Q$: {zstep_ok}.")


def sgh_neuron_table(runs: Mapping[str, tuple[Any, Mapping[str, float]]], window: int) -> Any:
    """SGH with each neuron: final reconstruction (mean of the last ``window`` steps) and scores.

    Parameters
    ----------
    runs : mapping
        ``{neuron: (fitted SGH, record of evaluate_hasher)}``.
    window : int
        Steps averaged for the final reconstruction loss.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    rows = [{"neuron": neuron, "final ½‖x̂−x‖²": model.reconstruction_history_[-window:].mean(),
             "Pre@100": record["precision_at_100"], "mAP (PR area)": record["map_pr_area"],
             "train s": record["fit_seconds"]} for neuron, (model, record) in runs.items()]
    return styled(pd.DataFrame(rows))


def och_sentence(history: pd.DataFrame, projection: np.ndarray) -> Markdown:
    """How far OCH lowered its violated constraints, and how orthonormal its projection stayed."""
    W = np.asarray(projection, dtype=np.float64)
    drift = np.abs(W.T @ W - np.eye(W.shape[1])).max()
    return Markdown(
        f"Violated constraints fall from {history.violated.iloc[0]:.3f} (principal directions) to "
        f"{history.violated.iloc[-1]:.3f}; after training $\\max|W^\\top W - I|$ = {drift:.1e}.")


def qolsh_sentence(same: bool, n_bits: int, n_points: int, trace: np.ndarray) -> Markdown:
    """Greedy QoLSH codes of a tight frame against sign codes, and what flips do on a Gaussian frame.

    Parameters
    ----------
    same : bool
        Whether the greedy codes of the tight frame equal the sign-of-projection codes.
    n_bits : int
        Code length (= the dimension).
    n_points : int
        Points checked.
    trace : numpy.ndarray, shape (n_points, 1 + max_flips)
        The objective J after each flip on the Gaussian frame, NaN after the last
        (:func:`sigah.hashers.qolsh.greedy_flip_encode`).
    """
    flips = (~np.isnan(trace[:, 1:])).sum(1)
    final = np.array([row[~np.isnan(row)][-1] for row in trace])
    points = plural(n_points, "test query", "test queries")
    return Markdown(
        f"Tight frame, L = d = {n_bits}: greedy codes equal sign-of-projection codes for all {points}: "
        f"**{same}**. Gaussian frame of the same size: {flips.mean():.1f} flips per point on average, "
        f"raising the cosine J from {trace[:, 0].mean():.4f} to {final.mean():.4f}.")


def with_timings(comparison: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """``comparison`` with our training and encoding seconds and the paper's Table 3 times.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`sigah.studies.paper.beside_paper`.
    records : pandas.DataFrame
        From :func:`sigah.studies.experiments.run_grid` (one seed: the times of that seed; several:
        their mean).
    """
    timing = (records.groupby(["method", "bits"])[["fit_seconds", "encode_seconds"]].mean()
              .rename(columns={"fit_seconds": "train s", "encode_seconds": "encode s"}))
    out = comparison.join(timing, on=["method", "bits"])
    for dataset in ("Deep1M", "GIST1M"):
        out[f"train s, {dataset} (paper)"] = [
            paper_value(m, b, "train_seconds", table=3, dataset=dataset)
            for m, b in zip(out.method, out.bits)]
    return out


def method_table(comparison: pd.DataFrame, protocol: Any = None, part: str = "quality") -> Any:
    """The table of all methods for display (one seed each: no seed or spread columns).

    ``part="quality"`` shows the retrieval scores, ``part="time"`` the training and encoding
    seconds (ours and the paper's Table 3): together they would not fit the page's width. The
    paper's columns are left out when ``protocol`` is on data other than MNIST.
    """
    if part not in ("quality", "time"):
        raise ValueError(f"part must be 'quality' or 'time', got {part!r}")
    drop = ["seeds", "Pre@100 ±", "mAP (PR area) ±"]
    if protocol is not None and not has_paper_columns(protocol):
        drop += ["Pre@100 (paper)", "mAP (paper)"]
    times = [c for c in comparison.columns if c.startswith(("train s", "encode s"))]
    keys = [c for c in ("method", "bits") if c in comparison.columns]
    shown = keys + times if part == "time" else [c for c in comparison.columns if c not in times]
    return styled(comparison[[c for c in shown if c not in drop]])


def ranking_row(name: str, bits: int, scores: Mapping[str, float]) -> dict[str, Any]:
    """One row of the table of alternative rankings, from :mod:`sigah.studies.ranking` scores.

    A ranking without ties (real-valued similarities) has no PR area over radii, and its stable
    mAP is its mAP.
    """
    return {"method": name, "bits": int(bits), "Pre@100": scores["precision_at_100"],
            "mAP (PR area)": scores.get("map_pr_area", np.nan), "ranking mAP": scores["map"],
            "stable mAP": scores.get("map_stable", scores["map"])}


def paper_gaps(comparison: pd.DataFrame, protocol: Any = None) -> pd.DataFrame:
    """Our Pre@100 and PR-area mAP beside the paper's, with the differences, where the paper has them.

    Empty when ``protocol`` is on data other than MNIST, the only dataset of the paper's Table 2.
    """
    scored = comparison.dropna(subset=["Pre@100 (paper)"])
    if protocol is not None and not has_paper_columns(protocol):
        scored = scored.iloc[:0]
    out = scored[["method", "bits", "Pre@100", "Pre@100 (paper)"]].copy()
    out["ΔPre@100"] = scored["Pre@100"] - scored["Pre@100 (paper)"]
    out["mAP (PR area)"] = scored["mAP (PR area)"]
    out["mAP (paper)"] = scored["mAP (paper)"]
    out["ΔmAP"] = scored["mAP (PR area)"] - scored["mAP (paper)"]
    return out.reset_index(drop=True)


def gap_sentence(gaps: pd.DataFrame, protocol: Any, settings: str) -> Markdown:
    """How comparable the run is, the methods' settings, and the largest and smallest gaps.

    No gap is called large or small by a threshold: with one seed per cell the differences carry
    no interval, and the sentence says so.

    Parameters
    ----------
    gaps : pandas.DataFrame
        From :func:`paper_gaps`.
    protocol : sigah.data.Protocol
    settings : str
        One sentence on the iterative methods' schedules.
    """
    lines = [f"{comparability_note(protocol)} {settings}"]
    if gaps.empty:
        return Markdown(lines[0] + " The paper has no numbers for this run's methods and data.")
    size = gaps["ΔPre@100"].abs() + gaps["ΔmAP"].abs()
    largest, smallest = gaps.loc[size.idxmax()], gaps.loc[size.idxmin()]

    def cell(r: pd.Series) -> str:
        return (f"{method_label(r['method'])} at {r['bits']} bits (Pre@100 {r['ΔPre@100']:+.4f}, "
                f"mAP {r['ΔmAP']:+.4f})")

    text = f"Largest gap from the paper: {cell(largest)}"
    text += f"; smallest: {cell(smallest)}." if len(gaps) > 1 else "."
    lines += ["", text + " Each cell is one seed, so these differences carry no interval; LSH and ITQ "
              "are repeated over seeds below, and chapter *Retrieval quality* repeats every method."]
    return Markdown("\n".join(lines))


def distance_choice_sentence(comparison: pd.DataFrame, extra: pd.DataFrame, asymmetric: Mapping[str, float],
                             bits: Sequence[int], protocol: Any = None) -> Markdown:
    """SpH by spherical against plain Hamming distance, QoLSH's two rankings, and the mean orderings.

    Parameters
    ----------
    comparison : pandas.DataFrame
        All methods beside the paper (one seed each).
    extra : pandas.DataFrame
        Rows of :func:`ranking_row`, those of SpH named ``"SpH, ..."``.
    asymmetric : mapping
        QoLSH's scores under the asymmetric cosine.
    bits : sequence of int
    protocol : sigah.data.Protocol, optional
        On data other than MNIST the paper's order is left out.
    """
    sph = comparison[comparison.method == "sph"].set_index("bits")
    shd = extra[extra.method.str.startswith("SpH")].set_index("bits")
    lines = ["SpH, spherical against plain Hamming distance: " + "; ".join(
        f"{b} bits Pre@100 {shd.loc[b, 'Pre@100']:.4f} vs {sph.loc[b, 'Pre@100']:.4f}, mAP (PR area) "
        f"{shd.loc[b, 'mAP (PR area)']:.4f} vs {sph.loc[b, 'mAP (PR area)']:.4f}" for b in bits) + "."]
    qolsh = comparison[comparison.method == "qolsh"].iloc[0]
    longest = comparison[(comparison.bits == max(bits)) & (comparison.method != "qolsh")]
    best = longest.sort_values("Pre@100").iloc[-1]
    lines.append(f"\nQoLSH at {qolsh['bits']} bits: Pre@100 {qolsh['Pre@100']:.4f} (Hamming), "
                 f"{asymmetric['precision_at_100']:.4f} (asymmetric); the highest mean at {max(bits)} bits, "
                 f"{method_label(best['method'])}'s, is {best['Pre@100']:.4f}.")
    on_paper_data = protocol is None or has_paper_columns(protocol)
    scored = comparison.dropna(subset=["Pre@100 (paper)"]) if on_paper_data else comparison.iloc[:0]
    for b in bits:
        at = scored[scored.bits == b]
        if at.empty:
            continue
        ours = method_labels(at.sort_values("Pre@100", ascending=False).method)
        theirs = method_labels(at.sort_values("Pre@100 (paper)", ascending=False).method)
        lines.append(f"\nOrder of the mean Pre@100 at {b} bits, highest first (one seed each, so not "
                     f"a ranking this run can defend): ours {', '.join(ours)}; the paper's "
                     f"{', '.join(theirs)}.")
    return Markdown("\n".join(lines))


def seed_scores(records: pd.DataFrame, metrics: Sequence[str] = ("precision_at_100", "map_pr_area"),
                ) -> dict[tuple[str, int, str], np.ndarray]:
    """Each (method, bits, metric)'s scores, one per seed in seed order, from ``run_grid`` records."""
    out = {}
    for (method, bits), rows in records.sort_values("seed").groupby(["method", "bits"], sort=False):
        for metric in metrics:
            out[(method, int(bits), metric)] = rows[metric].to_numpy(dtype=np.float64)
    return out


def query_scores(scores: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]],
                 metrics: Sequence[str] = ("precision_at_100", "map_pr_area"),
                 ) -> dict[tuple[str, int, str], np.ndarray]:
    """Each (method, bits, metric)'s per-query scores as a (seeds × queries) grid.

    Parameters
    ----------
    scores : mapping
        ``{(method, bits, seed): {metric: array (n_queries,)}}``, the per-query scores of a grid.
    metrics : sequence of str
    """
    cells = sorted({(m, b) for (m, b, _) in scores})
    return {(m, b, metric): query_grid(scores, m, b, metric) for m, b in cells for metric in metrics}


def paper_check(scores: Mapping[tuple[str, int, str], np.ndarray], *, table: int = 2,
                dataset: str = "MNIST") -> pd.DataFrame:
    """Is each published number inside the interval of our mean? One row per cell the paper has.

    The cells are one family: every interval is at the Bonferroni level over them
    (:func:`sigah.stats.compare_to_published`).

    Parameters
    ----------
    scores : mapping
        ``{(method, bits, metric): scores}``, each of shape (n_seeds,) or (n_seeds, n_queries),
        at least two seeds for seed-level scores.
    table, dataset
        The paper's table.

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``bits``, ``metric``, ``result`` (a
        :class:`sigah.stats.PublishedComparison`); empty when the paper has none of the cells.
    """
    published = {}
    for (method, bits, metric), values in scores.items():
        if np.ndim(values) == 1 and len(values) < 2:  # one seed-level value: no interval
            continue
        try:
            published[(method, bits, metric)] = paper_value(
                method, bits, "map" if metric == "map_pr_area" else metric, table=table, dataset=dataset)
        except (KeyError, ValueError):
            continue
    published = {cell: value for cell, value in published.items() if np.isfinite(value)}
    rows = [{"method": m, "bits": b, "metric": metric,
             "result": compare_to_published(scores[(m, b, metric)], value, family_size=len(published))}
            for (m, b, metric), value in published.items()]
    return pd.DataFrame(rows, columns=["method", "bits", "metric", "result"])


def paper_check_sentence(check: pd.DataFrame, n_seeds: int, protocol: Any = None) -> Markdown:
    """Whether the seeds of our LSH and ITQ runs account for their gaps from the paper.

    Parameters
    ----------
    check : pandas.DataFrame
        From :func:`paper_check`.
    n_seeds : int
        Seeds per cell (one seed with seed-level scores gives no interval, and no check).
    protocol : sigah.data.Protocol, optional
        When its split is not the paper's (:data:`sigah.studies.paper.PAPER_PROTOCOLS`), the size of
        the run heads the candidate causes of a gap.
    """
    no_numbers = Markdown("The paper has no numbers for this run's data, so no gap can be tested.")
    if protocol is not None and not has_paper_columns(protocol):
        return no_numbers
    if check.empty:
        if n_seeds < 2:
            return Markdown(f"This run has {plural(n_seeds, 'seed')} per cell, too few for an interval "
                            "over seeds: whether the seeds explain the gaps is not tested here.")
        return no_numbers
    results = list(check.result)
    outside = check[[r.verdict != PUBLISHED_VERDICTS[0] for r in results]]
    first = results[0]
    design = design_phrase(first.n_seeds, first.n_queries)
    text = (f"The paper's number lies inside our interval in "
            f"{count_of(len(check) - len(outside), len(check), 'cell')} (intervals at "
            f"{100 * first.confidence:.1f} %, Bonferroni over the cells, {design}).")
    sources = "seeds" if first.n_queries is None else "seeds and query samples"
    if outside.empty:
        return Markdown(text + f" The variation between {sources} accounts for every gap in this run.")
    details = "; ".join(
        f"{method_label(r.method)} {r.bits} bits {_METRIC_NAMES.get(r.metric, r.metric)}: paper "
        f"{r.result.published:.4f}, {abs(r.result.distance):.4f} {'above' if r.result.distance > 0 else 'below'} "
        f"our {r.result.low:.4f} to {r.result.high:.4f}" for r in outside.itertuples())
    query_note = (" The queries are the same for every seed, so another query sample is not covered."
                  if first.n_queries is None else "")
    candidates = "$K$ or the definition of mAP (chapter *Binary codes and their evaluation*)"
    if first.n_queries is None:
        candidates = "the query sample, " + candidates
    if protocol is not None and not _paper_split(protocol):
        candidates = "the smaller split of this run (the caution above), " + candidates
    return Markdown(f"{text} Outside: {details}.{query_note} Where the paper's number lies outside, "
                    f"the {sources} alone do not explain the gap: {candidates} are the candidates.")


def _paper_split(protocol: Any) -> bool:
    """Whether the run used the paper's own split of its dataset."""
    paper = PAPER_PROTOCOLS.get(str(protocol.name).lower())
    return paper is not None and (protocol.n_queries, protocol.n_database, protocol.n_train) == paper
