"""Retrieval-quality tables: a grid of methods with its fitted models, the paper beside it, verdicts, recall curves.

The chapter *Retrieval quality* sets every method of the paper's Tables 1 and 2 on one protocol:
:func:`grid_with_models` runs the grid (one record per method, code length and seed) and keeps the
fitted hashers, :func:`compare_with_paper` puts the paper's numbers and the difference per cell
beside our mean ± standard deviation over seeds, :func:`column_verdicts` and :func:`published_verdicts`
turn the table into statements computed from it (the paper's number inside or outside the interval of
our mean, :mod:`sigah.stats`), and :func:`recall_curves` gives the paper's
Fig. 3 (recall of the ``K`` true neighbours against the number of items retrieved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats

__all__ = [
    "comparison_table",
    "PAPER_DATASETS", "METRICS", "method_params", "paper_table_for", "grid_with_models", "variant_name",
    "compare_with_paper", "column_verdicts", "published_verdicts", "beyond_two_sigma", "recall_curves", "Study",
    "run_study",
]

#: the paper's datasets of Tables 1 (descriptors) and 2 (MNIST), by lower-case name
PAPER_DATASETS = {"mnist": ("MNIST", 2), "gist1m": ("GIST1M", 1), "deep1m": ("Deep1M", 1), "tiny100k": ("Tiny100K", 1)}

#: our three metrics: record column -> display name; the paper's "mAP" is our PR-area mAP
METRICS = {"precision_at_100": "Pre@100", "map_pr_area": "mAP (PR area)", "map": "ranking mAP"}
_PAPER_METRIC = {"precision_at_100": "precision_at_100", "map_pr_area": "map"}


def method_params(
    *, sgh_iter: int, ba_iter: int, och_steps: int, sigah_epochs: int | None = None,
    sigah_min_steps: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Per-method settings of the chapters' grids, with progress bars off.

    Parameters
    ----------
    sgh_iter, ba_iter, och_steps : int
        SGH's iterations, BA's MAC iterations, OCH's gradient steps.
    sigah_epochs : int or None
        ``None``: SiGAH's defaults (``epochs`` and the ``min_steps`` floor). An integer: exactly that
        many epochs (``min_steps = 0``), so that a short CI setting is not raised to the floor's steps.
    sigah_min_steps : int or None
        SiGAH's floor of optimiser steps (None: its default, or 0 with ``sigah_epochs``).

    Returns
    -------
    dict
        ``{method: {argument: value}}`` for ``sph``, ``ba``, ``sgh``, ``och`` and ``sigah``.
    """
    sigah = {"progress": False} | ({} if sigah_epochs is None else {"epochs": sigah_epochs, "min_steps": 0})
    if sigah_min_steps is not None:
        sigah["min_steps"] = int(sigah_min_steps)
    return {"sgh": {"n_iter": sgh_iter, "progress": False}, "ba": {"n_iter": ba_iter, "progress": False},
            "och": {"n_steps": och_steps, "progress": False}, "sph": {"progress": False}, "sigah": sigah}


def paper_table_for(paper_dataset: str | None, dataset_name: str) -> tuple[str, int] | None:
    """Which of the paper's tables and columns to compare with.

    Parameters
    ----------
    paper_dataset : str or None
        ``"auto"`` (the paper's column if the dataset is the shipped MNIST, none otherwise), ``None``
        (no paper columns), or one of ``MNIST``, ``GIST1M``, ``Deep1M``, ``Tiny100K`` (case-insensitive).
    dataset_name : str
        The loaded dataset's name.

    Returns
    -------
    (str, int) or None
        The paper's dataset name and table number, or ``None``.
    """
    if paper_dataset is None:
        return None
    key = str(paper_dataset).lower()
    if key == "auto":
        return PAPER_DATASETS["mnist"] if dataset_name.lower() == "mnist" else None
    if key not in PAPER_DATASETS:
        raise ValueError(f"paper_dataset must be 'auto', None or one of {[v[0] for v in PAPER_DATASETS.values()]}, "
                         f"got {paper_dataset!r}")
    return PAPER_DATASETS[key]


def variant_name(method: str, params: Mapping[str, Any]) -> str:
    """Row name of a method run at a non-default setting, e.g. ``"sgh[neuron=stochastic]"``."""
    return f"{method}[{', '.join(f'{k}={v}' for k, v in params.items())}]"


def _base_method(name: str) -> str:
    return name.split("[", 1)[0]


def grid_with_models(
    protocol: Any,
    methods: Iterable[str],
    bits: Iterable[int],
    *,
    repeats: int,
    seed: int,
    k: int,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    bits_override: Mapping[str, int] | None = None,
    per_query: bool = False,
) -> tuple[pd.DataFrame, dict[tuple[str, int, int], Any]] | tuple[pd.DataFrame, dict, dict]:
    """:func:`sigah.studies.experiments.run_grid` over ``methods`` and their ``variants``, keeping the fitted models.

    Parameters
    ----------
    protocol : sigah.data.Protocol
    methods : iterable of str
    bits : iterable of int
    repeats, seed, k : int
        As in :func:`sigah.studies.experiments.run_grid`.
    params : mapping, optional
        ``{method: {argument: value}}`` for every run of that method.
    variants : mapping, optional
        ``{method: {argument: value}}``: a second row for that method at another setting; its records
        are named by :func:`variant_name`.
    bits_override : mapping, optional
        ``{method: n_bits}`` for methods with a code length of their own (QoLSH).
    per_query : bool
        Also return every record's per-query scores.

    Returns
    -------
    records : pandas.DataFrame
        The records of :data:`sigah.studies.experiments.RECORD_COLUMNS`.
    models : dict
        ``models[(method, bits, seed)]``: the fitted hasher of each record.
    scores : dict, only if ``per_query``
        ``scores[(method, bits, seed)]``: ``{metric: array of shape (n_queries,)}`` of each record
        (:func:`sigah.studies.experiments.score_grid` makes the grids of :mod:`sigah.stats`).
    """
    from sigah.studies.experiments import run_grid

    params = {m: dict(p) for m, p in (params or {}).items()}
    runs = [(m, m, params.get(m, {})) for m in methods]
    runs += [(variant_name(m, v), m, params.get(m, {}) | dict(v)) for m, v in (variants or {}).items() if m in methods]
    frames, models, scores = [], {}, {}
    for name, method, method_params in runs:
        records, fitted, per_query_scores = run_grid(
            protocol, [method], list(bits), repeats=repeats, seed=seed, k=k, params={method: method_params},
            bits_override=bits_override, progress=False, return_models=True, per_query=True)
        frames.append(records.assign(method=name))
        models.update({(name, b, s): model for (_, b, s), model in fitted.items()})
        scores.update({(name, b, s): values for (_, b, s), values in per_query_scores.items()})
    records = pd.concat(frames, ignore_index=True)
    return (records, models, scores) if per_query else (records, models)


def compare_with_paper(summary: pd.DataFrame, paper: tuple[str, int] | None) -> pd.DataFrame:
    """Our mean ± std per metric, the paper's number and the difference per cell.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`sigah.studies.experiments.summarize` output with ``<metric>_mean`` / ``<metric>_std`` for the
        keys of :data:`METRICS`.
    paper : (str, int) or None
        From :func:`paper_table_for`; ``None`` leaves the paper columns out.

    Returns
    -------
    pandas.DataFrame
        One row per (method, bits): ``method`` (row name), ``label``, ``bits``, ``seeds``, and per metric
        ``<name>`` and ``<name> ±``; with a paper, ``<name> (paper)`` and ``<name> Δ`` (ours − paper) for
        Pre@100 and the PR-area mAP (the definition the paper's "mAP" matches). A variant row gets the
        paper's number of its method.
    """
    from sigah.studies.paper import paper_results
    from sigah.studies.plotting import method_label

    lookup = {}
    if paper is not None:
        frame = paper_results(table=paper[1], dataset=paper[0])
        lookup = {(r.method, int(r.bits), r.metric): r.value for r in frame.itertuples()}
    rows = []
    for r in summary.to_dict("records"):
        base = _base_method(r["method"])
        label = method_label(base) + r["method"][len(base):].replace("[", " (").replace("]", ")")
        row = {"method": r["method"], "label": label, "bits": int(r["bits"]), "seeds": int(r["n_seeds"])}
        for column, name in METRICS.items():
            row[name] = r[f"{column}_mean"]
            row[f"{name} ±"] = r[f"{column}_std"]
            if paper is not None and column in _PAPER_METRIC:
                value = lookup.get((method_label(base), int(r["bits"]), _PAPER_METRIC[column]), np.nan)
                row[f"{name} (paper)"] = value
                row[f"{name} Δ"] = r[f"{column}_mean"] - value
        rows.append(row)
    return pd.DataFrame(rows)


def column_verdicts(table: pd.DataFrame, bits: Iterable[int], *, focus: str = "sigah",
                    records: pd.DataFrame | None = None, scores: Mapping | None = None) -> pd.DataFrame:
    """Who leads each (metric, bits) column, and where ``focus`` ranks, ours and the paper's.

    Only rows at exactly that code length compete (QoLSH, at ``d`` bits, has its own column). A
    leader is named only when its lead over every other method is beyond the interval: the best
    mean is compared, paired on the seeds, with each other method of the column
    (:func:`sigah.stats.find_leader`, Holm over the column); otherwise the column is ``tied``.
    That needs the runs themselves (``records``); without them no leader is named.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`compare_with_paper`.
    bits : iterable of int
    focus : str
        Row name whose rank is reported.
    records : pandas.DataFrame, optional
        The runs behind ``table`` (``method``, ``bits``, ``seed`` and the metric columns), e.g.
        :attr:`Study.records`.
    scores : mapping, optional
        Their per-query scores (:attr:`Study.scores`): the comparisons are then paired on the
        queries too, and their intervals include the query sample.

    Returns
    -------
    pandas.DataFrame
        One row per column: ``metric``, ``bits``, ``best`` (the best mean) and ``value``, ``runner-up``,
        ``lead`` (best − runner-up), ``leader`` (the best, when its lead is beyond the interval, else
        ``"tied"``; ``"untested"`` without records or with one seed), ``tied`` (the methods the
        comparisons cannot separate from the best, joined by commas), ``<focus> rank`` ("r of n");
        with paper columns also ``paper leader`` and ``<focus> paper rank``.
    """
    from sigah.studies.plotting import method_label

    rows = []
    for b in bits:
        at = table[table["bits"] == int(b)]
        for name in METRICS.values():
            ranked = at.sort_values(name, ascending=False)
            row = {"metric": name, "bits": int(b), "best": ranked["label"].iloc[0], "value": ranked[name].iloc[0],
                   **_leader(ranked, records, name, int(b), scores)}
            row["runner-up"] = ranked["label"].iloc[1] if len(ranked) > 1 else ""
            row["lead"] = ranked[name].iloc[0] - ranked[name].iloc[1] if len(ranked) > 1 else np.nan
            names = list(ranked["method"])
            row[f"{method_label(focus)} rank"] = f"{names.index(focus) + 1} of {len(names)}" if focus in names else "—"
            paper_col = f"{name} (paper)"
            if paper_col in at and at[paper_col].notna().any():
                known = at[at[paper_col].notna() & (at["method"] == at["method"].map(_base_method))]
                ranked_paper = known.sort_values(paper_col, ascending=False)
                row["paper leader"] = ranked_paper["label"].iloc[0]
                paper_names = list(ranked_paper["method"])
                row[f"{method_label(focus)} paper rank"] = (
                    f"{paper_names.index(focus) + 1} of {len(paper_names)}" if focus in paper_names else "—")
            rows.append(row)
    return pd.DataFrame(rows)


def _leader(ranked: pd.DataFrame, records: pd.DataFrame | None, name: str, bits: int,
            scores: Mapping | None = None) -> dict[str, str]:
    """``leader`` and ``tied`` of one column, from the paired runs (:func:`sigah.stats.find_leader`)."""
    from sigah.studies.experiments import score_grid

    column = {v: k for k, v in METRICS.items()}[name]
    if records is None or len(ranked) < 2:
        return {"leader": "untested", "tied": ""}
    runs = records[(records["bits"] == bits) & records["method"].isin(ranked["method"])]
    seeds = sorted(set.intersection(*(set(part["seed"]) for _, part in runs.groupby("method"))))
    if len(seeds) < 2 or runs["method"].nunique() < len(ranked):
        return {"leader": "untested", "tied": ""}
    labels = dict(zip(ranked["method"], ranked["label"]))
    if scores:
        grids = {labels[m]: score_grid(scores, m, bits, column, seeds) for m in runs["method"].unique()}
    else:
        grids = {labels[m]: part.drop_duplicates("seed").set_index("seed").loc[seeds, column].to_numpy(np.float64)
                 for m, part in runs.groupby("method", sort=False)}
    leaders = stats.find_leader(grids)
    return {"leader": leaders.leader or "tied", "tied": ", ".join(leaders.tied)}


def published_verdicts(table: pd.DataFrame, *, alpha: float = 0.05, scores: Mapping | None = None) -> pd.DataFrame:
    """Every cell with a paper number: our mean, its interval, the paper's number inside or outside it.

    The paper's numbers carry no spread, so the question is whether each lies inside the interval
    of our mean (:func:`sigah.stats.compare_to_published`); all the cells of the table form one
    family, so each interval is at the Bonferroni level ``1 − alpha / (number of cells)``. With the
    per-query ``scores`` the interval covers both the seeds and the query sample
    (:func:`sigah.stats.estimate_mean`); from the table alone (means and standard deviations over
    seeds) it covers the seeds only, a *t* interval on ``seeds − 1`` degrees of freedom.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`compare_with_paper`.
    alpha : float
        Family-wise level.
    scores : mapping, optional
        ``{(method, bits, seed): {metric: per-query scores}}``, e.g. :attr:`Study.scores`.

    Returns
    -------
    pandas.DataFrame
        ``method``, ``bits``, ``metric``, ``ours``, ``low``, ``high``, ``confidence``, ``paper``, ``Δ``
        (ours − paper), ``beyond`` (how far the paper's number lies above (+) or below (−) our interval,
        0 inside) and ``verdict`` (:data:`sigah.stats.PUBLISHED_VERDICTS`, or ``"no interval (one
        seed)"``); empty when the table has no paper columns.
    """

    cells = [(r, name) for name in METRICS.values() if f"{name} Δ" in table for r in table.to_dict("records")
             if np.isfinite(r[f"{name} (paper)"])]
    estimates = [_cell_estimate(r, name, scores) for r, name in cells]
    family = sum(e is not None for e in estimates)
    rows = []
    for (r, name), estimate in zip(cells, estimates):
        row = {"method": r["label"], "bits": r["bits"], "metric": name, "ours": r[name], "paper": r[f"{name} (paper)"],
               "Δ": r[f"{name} Δ"]}
        if estimate is not None:
            c = stats.compare_to_published(estimate, r[f"{name} (paper)"], alpha=alpha, family_size=family)
            row |= {"low": c.low, "high": c.high, "confidence": c.confidence, "beyond": c.distance,
                    "verdict": c.verdict}
        else:
            row |= {"low": np.nan, "high": np.nan, "confidence": np.nan, "beyond": np.nan,
                    "verdict": "no interval (one seed)"}
        rows.append(row)
    columns = ["method", "bits", "metric", "ours", "low", "high", "confidence", "paper", "Δ", "beyond", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def _cell_estimate(row: Mapping[str, Any], name: str, scores: Mapping | None):
    """Our estimate of one cell: from its per-query scores when given, else from mean ± std over seeds."""
    from sigah.studies.experiments import score_grid

    column = {v: k for k, v in METRICS.items()}[name]
    if scores:
        grid = score_grid(scores, row["method"], int(row["bits"]), column)
        return stats.estimate_mean(grid) if grid.size > 1 else None
    if int(row["seeds"]) < 2:
        return None
    return stats.estimate_from_summary(row[name], row[f"{name} ±"], int(row["seeds"]))


def beyond_two_sigma(table: pd.DataFrame, *, scores: Mapping | None = None) -> pd.DataFrame:
    """The cells whose paper number lies outside our interval (:func:`published_verdicts`), farthest first.

    The name is kept for the chapters that call it; the rule is :func:`published_verdicts`'s.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`compare_with_paper`.
    scores : mapping, optional
        Per-query scores, as in :func:`published_verdicts`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`published_verdicts`, only the cells outside our interval, sorted by
        ``|beyond|``.
    """
    verdicts = published_verdicts(table, scores=scores)
    out = verdicts[verdicts["verdict"] == "outside our interval"]
    return out.reindex(out["beyond"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def recall_curves(
    models: Mapping[tuple[str, int, int], Any],
    protocol: Any,
    groundtruth: np.ndarray,
    *,
    seed: int,
    ks: Iterable[int] = (1, 10, 100, 1000),
    n_points: int = 30,
) -> pd.DataFrame:
    """The paper's R-K curves (Fig. 3): recall of each query's ``K`` true neighbours in the top ``N``.

    Each model of seed ``seed`` encodes the protocol's queries and database; the Hamming ranking is
    scored with :func:`sigah.metrics.recall_at_n` (expected value under random order within ties).

    Parameters
    ----------
    models : mapping
        ``{(method, bits, seed): fitted hasher}``.
    protocol : sigah.data.Protocol
    groundtruth : numpy.ndarray, shape (n_queries, K_max), int
        Exact neighbours in increasing distance; ``groundtruth[:, :K]`` are the ``K`` nearest.
    seed : int
        Which seed's models to use.
    ks : iterable of int
        Values of ``K``; those above ``K_max`` are skipped.
    n_points : int
        Cut-offs ``N`` per curve, log-spaced from 1 to the database size.

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``bits``, ``K``, ``N``, ``recall``.
    """
    from sigah.codes import hamming_distances
    from sigah.metrics import recall_at_n
    from sigah.store import data_fingerprint
    from sigah.studies.experiments import encoded_split

    n_db = len(protocol.database)
    ks = [int(k) for k in ks if int(k) <= groundtruth.shape[1]]
    # log-spaced cut-offs, plus N = K and N = 100 so that a reader can quote those points exactly
    ns = np.concatenate([np.geomspace(1, n_db, n_points).round(), ks, [100]])
    ns = np.unique(ns[(ns >= 1) & (ns <= n_db)].astype(np.int64))
    rows, train_fingerprint = [], None
    for (method, b, s), model in models.items():
        if s != seed:
            continue
        train_fingerprint = train_fingerprint or data_fingerprint(protocol.train)
        distances = hamming_distances(*encoded_split(model, protocol, train_fingerprint=train_fingerprint))
        for k in ks:
            recall = recall_at_n(distances, groundtruth[:, :k], ns)
            rows += [{"method": method, "bits": b, "K": k, "N": int(n), "recall": float(r)} for n, r in zip(ns, recall)]
    return pd.DataFrame(rows, columns=["method", "bits", "K", "N", "recall"])


@dataclass
class Study:
    """One dataset's retrieval-quality study: its protocol, exact ground truth, records, models and tables.

    Attributes
    ----------
    protocol : sigah.data.Protocol
    groundtruth : numpy.ndarray, shape (n_queries, k), int64
    records : pandas.DataFrame
        One row per (method, bits, seed), :data:`sigah.studies.experiments.RECORD_COLUMNS`.
    models : dict
        ``{(method, bits, seed): fitted hasher}``.
    paper : (str, int) or None
        The paper's dataset and table set beside ours (:func:`paper_table_for`).
    table : pandas.DataFrame
        :func:`compare_with_paper` of the records' summary.
    notes : list of str
        One sentence per count of the size preset lowered to what the data holds (:func:`sigah.studies.sizes.cap_sizes`).
    scores : dict
        ``{(method, bits, seed): {metric: per-query scores}}`` of every record, for
        :func:`published_verdicts` and :func:`column_verdicts`.
    """

    protocol: Any
    groundtruth: np.ndarray
    records: pd.DataFrame
    models: dict
    paper: tuple[str, int] | None
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    scores: dict = field(default_factory=dict)


def run_study(
    dataset: Any,
    *,
    methods: Iterable[str],
    bits: Iterable[int],
    repeats: int,
    k: int,
    n_queries: int = 1000,
    n_database: int | None = None,
    n_train: int | None = None,
    seed: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    paper_dataset: str | None = "auto",
) -> Study:
    """Split ``dataset``, compute its exact ground truth, run every method and set the paper beside it.

    Counts larger than the data are lowered by :func:`sigah.studies.sizes.cap_sizes`, and code
    lengths longer than its dimension by :func:`sigah.studies.sizes.cap_bits`, with a note in
    :attr:`Study.notes`; QoLSH runs at as many bits as the data has dimensions (rounded up to whole
    bytes), as in the paper's Table 1.

    Parameters
    ----------
    dataset : sigah.data.Dataset
    methods, bits, repeats, k, seed, params, variants
        As in :func:`grid_with_models`.
    n_queries, n_database, n_train : int or None
        As in :func:`sigah.data.make_protocol`.
    paper_dataset : str or None
        As in :func:`paper_table_for`.

    Returns
    -------
    Study
    """
    from sigah.data import make_protocol
    from sigah.studies.experiments import ground_truth_for, summarize
    from sigah.studies.sizes import cap_bits, cap_sizes

    methods = [m.lower() for m in methods]
    sizes, notes = cap_sizes(dataset, n_queries=n_queries, n_database=n_database, n_train=n_train, k=k)
    bits, bit_notes = cap_bits(list(bits), dataset.dim, dataset.name)
    notes = notes + bit_notes
    protocol = make_protocol(dataset, n_queries=sizes["n_queries"], seed=seed, n_database=sizes["n_database"],
                             n_train=sizes["n_train"])
    k = sizes["k"]
    groundtruth = ground_truth_for(protocol, k)
    overrides = {"qolsh": 8 * -(-protocol.dim // 8)}
    records, models, scores = grid_with_models(protocol, methods, bits, repeats=repeats, seed=seed, k=k,
                                               params=params, variants=variants, bits_override=overrides,
                                               per_query=True)
    paper = paper_table_for(paper_dataset, dataset.name)
    table = compare_with_paper(summarize(records, metrics=list(METRICS)), paper)
    return Study(protocol, groundtruth, records, models, paper, table, notes, scores)


def comparison_table(table: pd.DataFrame):
    """Mean ± std per metric, the paper's number and the difference, as a styled HTML table.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`compare_with_paper`: ``label``, ``bits``, and for each name of :data:`METRICS`
        the columns ``name`` and ``"name ±"`` (and ``"name (paper)"``, ``"name Δ"`` when compared).

    Returns
    -------
    pandas.io.formats.style.Styler
        One row per (method, bits), sorted by bits then method; missing paper values shown as "—".
    """
    out = pd.DataFrame({"method": table["label"].to_numpy(), "bits": table["bits"].to_numpy()})
    for name in METRICS.values():
        out[name] = [stats.mean_pm_std(m, s, 4) for m, s in zip(table[name], table[f"{name} ±"])]
        if f"{name} (paper)" in table:
            out[f"{name} paper"] = table[f"{name} (paper)"].to_numpy()
            out[f"{name} Δ"] = table[f"{name} Δ"].to_numpy()
    out = out.sort_values(["bits", "method"], kind="stable").reset_index(drop=True)
    numeric = {c: "{:+.4f}" if c.endswith("Δ") else "{:.4f}" for c in out.columns if "paper" in c or "Δ" in c}
    return out.style.format(numeric, na_rep="—").hide(axis="index")
