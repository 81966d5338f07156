"""Searching with the codes: hashing against product quantisation at equal memory, recall against speed.

The chapter *Searching with the codes* asks what the paper leaves open: at the same bytes per
vector, do binary codes searched by Hamming distance (through any index of :mod:`sigah.search`,
with or without exact re-ranking) find the Euclidean neighbours better or worse than product
quantisation, and how fast? This module holds its machinery:

- :func:`hashing_codes` fits (or reads from the store of runs) each hashing method at each code
  size and encodes the protocol;
- :func:`search_grid` searches with every configuration, timed with one and with all threads, and
  scores recall@R against the exact Euclidean neighbours; it keeps each configuration's per-query
  recall@10 for the paired comparisons;
- :func:`pareto_front`, :func:`plot_fronts` draw recall against queries per second as
  ANN-benchmarks does (one line per algorithm: the Pareto front of its settings);
- :func:`search_verdicts` writes the computed sentences;
- :func:`scan_throughput`, :func:`extrapolate_scan` and :func:`scan_limits` measure the exhaustive
  scan as the database grows and against the machine's measured limits.
"""

from __future__ import annotations

import functools
import resource
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sigah.studies.timing import random_codes
from sigah.studies.wording import Prose

__all__ = [
    "FAMILIES", "SearchResult", "hashing_codes", "recall_at", "search_grid", "pareto_front",
    "plot_fronts", "compare_paired", "best_per_family", "search_verdicts", "recall_table",
    "memory_table", "scan_throughput", "extrapolate_scan", "scan_limits", "peak_memory_gb",
    "verdict_lines", "SearchStudy", "run_search_study", "throughput_sentence", "scan_sentence",
    "file_codes", "same_scan_results", "random_codes", "study_header", "scan_table",
    "memory_sentence",
]

#: the families compared at each memory budget, in the order they are reported
FAMILIES = ("hashing", "hashing + re-ranking", "product quantisation", "exact")

#: recall@R cut-offs scored for every configuration
RECALLS = (1, 10, 100)

# searches shorter than this (seconds) are timed several times, the best run kept
_SHORT = 0.1

_PQ_COLORS = {"PQ": "#17becf", "OPQ": "#bcbd22", "IVF-PQ": "#e377c2", "exact (IndexFlatL2)": "#000000"}


def _as_prose(sentence: Callable[..., str]) -> Callable[..., Prose]:
    """A sentence a notebook cell shows as Markdown when it is the cell's value (no ``Markdown(…)``
    in the chapter)."""
    @functools.wraps(sentence)
    def wrapped(*args: Any, **kwargs: Any) -> Prose:
        return Prose(sentence(*args, **kwargs))
    return wrapped


@dataclass
class SearchResult:
    """Every configuration searched on one dataset.

    Attributes
    ----------
    dataset : str
    records : pandas.DataFrame
        One row per configuration: ``family``, ``algorithm`` (the line of a Pareto plot),
        ``method``, ``bytes``, ``index``, ``rerank`` (L, 0 for none), ``recall@1``, ``recall@10``,
        ``recall@100``, ``qps (1 thread)``, ``qps (all threads)``, ``build seconds``,
        ``index bytes/vector`` and ``extra bytes/vector`` (the float vectors re-ranking reads).
    per_query : dict
        ``{row position in records: per-query recall@10, shape (n_queries,)}``.
    threads : int
        What "all threads" was on this machine.
    notes : list of str
    """

    dataset: str
    records: pd.DataFrame
    per_query: dict[int, np.ndarray]
    threads: int
    notes: list[str] = field(default_factory=list)


# -- codes ------------------------------------------------------------------------------------
def hashing_codes(
    protocol: Any,
    methods: Iterable[str],
    bytes_per_vector: Iterable[int],
    *,
    params: Mapping[str, Mapping[str, Any]],
    seed: int = 0,
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray, float]]:
    """Fit each method at ``8 · bytes`` bits on the protocol's training set (through the store) and encode.

    The fits are those of the chapter *Retrieval quality* whenever the protocol, the seed and the
    parameters are the same: the store of runs returns them instead of fitting again.

    Returns
    -------
    dict
        ``{(method, bytes): (query_codes (nq, bytes), database_codes (n, bytes), fit_seconds)}``.
    """
    from sigah.hashers import make_hasher
    from sigah.store import DEFAULT
    from sigah.studies.experiments import fit_and_encode

    out = {}
    for method in methods:
        for n_bytes in bytes_per_vector:
            hasher = make_hasher(method, 8 * int(n_bytes), seed=seed, **dict(params.get(method, {})))
            q, db, fit_seconds, _ = fit_and_encode(hasher, protocol, store=DEFAULT)
            out[(method, int(n_bytes))] = (q, db, fit_seconds)
    return out


def recall_at(ids: np.ndarray, groundtruth: np.ndarray, r: int) -> np.ndarray:
    """Per-query recall@R: the share of the ``R`` true nearest neighbours among the first ``R`` returned.

    Parameters
    ----------
    ids : numpy.ndarray, shape (nq, >= R), int
        Returned database ids, nearest first (``-1`` for none).
    groundtruth : numpy.ndarray, shape (nq, >= R), int
        Exact Euclidean neighbours, nearest first.
    r : int

    Returns
    -------
    numpy.ndarray, shape (nq,), float64
    """
    ids, groundtruth = np.asarray(ids), np.asarray(groundtruth)
    if ids.shape[0] != groundtruth.shape[0] or min(ids.shape[1], groundtruth.shape[1]) < r:
        raise ValueError(f"recall@{r} needs ids and ground truth of {ids.shape[0]} rows and at least {r} "
                         f"columns, got shapes {ids.shape} and {groundtruth.shape}")
    found, truth = np.sort(ids[:, :r], axis=1), np.sort(groundtruth[:, :r], axis=1)
    hits = [np.intersect1d(f, t, assume_unique=False).size for f, t in zip(found, truth)]
    return np.asarray(hits, dtype=np.float64) / r


# -- the grid ---------------------------------------------------------------------------------
def _with_threads(threads: int, run: Callable[..., Any], *args: Any, repeat: bool = True) -> tuple[Any, float]:
    """``run(*args)`` with faiss's OpenMP pool at ``threads``, and its wall-clock seconds.

    With ``repeat`` (searches, not builds), a run shorter than :data:`_SHORT` seconds is repeated
    (up to five runs in all) and the best time kept: on a machine shared with other jobs, one run of a few milliseconds is mostly
    scheduling noise, and the fastest run is the one least disturbed.
    """
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(int(threads))
    try:
        out, seconds = _timed(run, *args)
        for _ in range(4 if repeat and seconds < _SHORT else 0):
            seconds = min(seconds, _timed(run, *args)[1])
        return out, seconds
    finally:
        faiss.omp_set_num_threads(before)


def _timed(run: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``run(*args)`` and its wall-clock seconds."""
    start = time.perf_counter()
    out = run(*args)
    return out, time.perf_counter() - start


def search_grid(
    protocol: Any,
    groundtruth: np.ndarray,
    codes: Mapping[tuple[str, int], tuple[np.ndarray, np.ndarray, float]],
    *,
    dataset: str,
    kinds: Sequence[str] = ("flat", "mih", "ivf", "hnsw"),
    reranks: Sequence[int] = (100, 1000),
    quantisers: Sequence[str] = ("PQ", "OPQ", "IVF-PQ"),
    k: int = 100,
    pq_train_size: int = 10_000,
    threads: int | None = None,
    seed: int = 0,
) -> SearchResult:
    """Search the protocol's queries with every configuration and score it against the exact neighbours.

    Per code size (bytes per vector): every hashing method's codes in every index kind, searched
    for the 100 nearest codes (recall@1, @10, @100 of the Hamming order) and, for each ``L`` of
    ``reranks``, for the ``L`` nearest codes re-ranked by exact Euclidean distance; faiss's PQ,
    OPQ and IVF-PQ with ``bytes`` one-byte sub-quantisers (asymmetric distances); and once, exact
    search (``IndexFlatL2``). Each search is timed with one faiss thread and with ``threads``;
    re-ranking runs in NumPy, one thread, in both timings. Every index is built (trained and
    filled) with one thread: on a machine shared with other jobs, faiss's OpenMP threads wait
    for each other at every parallel loop, which can make training many times slower.

    Parameters
    ----------
    protocol : sigah.data.Protocol
    groundtruth : numpy.ndarray, shape (nq, >= 100), int
        Exact Euclidean neighbours of the queries in the database.
    codes : mapping
        :func:`hashing_codes` output.
    dataset : str
        Name for the tables.
    kinds : sequence of str
        Index kinds of :class:`sigah.search.CodeIndex`.
    reranks : sequence of int
        Candidate counts ``L``; those above the database size are skipped.
    quantisers : sequence of str
        Among ``"PQ"``, ``"OPQ"``, ``"IVF-PQ"``.
    k : int
        Neighbours returned per query (after re-ranking); recall@R is scored for R in 1, 10, 100
        up to ``k`` (lowered to the database size and the ground truth's width).
    pq_train_size : int
        Training vectors of the quantisers (a random sample of the training set; faiss itself
        samples at most 256 per centroid).
    threads : int, optional
        "All threads" (default: faiss's maximum).
    seed : int

    Returns
    -------
    SearchResult
    """
    import faiss

    from sigah.search import CodeIndex, rerank

    threads = int(threads or faiss.omp_get_max_threads())
    n, dim = protocol.database.shape
    k = min(int(k), n, groundtruth.shape[1])
    reranks = [int(L) for L in reranks if k <= int(L) <= n]
    rows, per_query, notes = [], {}, []

    def score(row: dict, ids: np.ndarray) -> None:
        for r in RECALLS:
            row[f"recall@{r}"] = float(recall_at(ids, groundtruth, r).mean()) if r <= k else np.nan
        per_query[len(rows)] = recall_at(ids, groundtruth, min(10, k))  # the verdicts' paired values
        rows.append(row)

    for (method, n_bytes), (q_codes, db_codes, _) in codes.items():
        from sigah.studies.plotting import method_label

        for kind in kinds:
            index, build = _with_threads(1, CodeIndex(8 * n_bytes, kind).add, db_codes, repeat=False)
            memory = index.memory_bytes() / n
            for L in [0, *reranks]:
                (_, ids), t1 = _with_threads(1, index.search, q_codes, L or k)
                _, t_all = _with_threads(threads, index.search, q_codes, L or k)
                t_rerank = 0.0
                if L:
                    (_, ids), t_rerank = _timed(rerank, protocol.queries, protocol.database, ids, k)
                label = method_label(method) + (" + re-ranking" if L else "")
                score({"dataset": dataset, "family": "hashing + re-ranking" if L else "hashing",
                       "algorithm": label, "method": method_label(method), "bytes": n_bytes, "index": kind,
                       "rerank": L, "qps (1 thread)": len(q_codes) / (t1 + t_rerank),
                       "qps (all threads)": len(q_codes) / (t_all + t_rerank), "build seconds": build,
                       "index bytes/vector": memory, "extra bytes/vector": 4 * dim if L else 0}, ids)
    queries32 = np.ascontiguousarray(protocol.queries, dtype=np.float32)
    for n_bytes in sorted({b for _, b in codes}):
        for name in quantisers:
            built = _quantiser(name, n_bytes, protocol, pq_train_size, seed)
            if isinstance(built, str):
                notes.append(built)
                continue
            index, build = built
            (_, ids), t1 = _with_threads(1, index.search, queries32, k)
            _, t_all = _with_threads(threads, index.search, queries32, k)
            score({"dataset": dataset, "family": "product quantisation", "algorithm": name, "method": name,
                   "bytes": n_bytes, "index": name, "rerank": 0, "qps (1 thread)": len(ids) / t1,
                   "qps (all threads)": len(ids) / t_all, "build seconds": build,
                   "index bytes/vector": _index_bytes(index) / n, "extra bytes/vector": 0}, ids)
    index, build = _with_threads(1, _flat_l2, protocol.database, repeat=False)
    (_, ids), t1 = _with_threads(1, index.search, queries32, k)
    _, t_all = _with_threads(threads, index.search, queries32, k)
    score({"dataset": dataset, "family": "exact", "algorithm": "exact (IndexFlatL2)", "method": "exact",
           "bytes": 4 * dim, "index": "IndexFlatL2", "rerank": 0, "qps (1 thread)": len(ids) / t1,
           "qps (all threads)": len(ids) / t_all, "build seconds": build,
           "index bytes/vector": _index_bytes(index) / n, "extra bytes/vector": 0}, ids)
    return SearchResult(dataset, pd.DataFrame(rows), per_query, threads, notes)


def _index_bytes(index: Any) -> int:
    from sigah.search import index_bytes

    return index_bytes(index)


def _flat_l2(database: np.ndarray):
    import faiss

    index = faiss.IndexFlatL2(database.shape[1])
    for start in range(0, len(database), 65536):  # a memory-mapped base is copied a block at a time
        index.add(np.ascontiguousarray(database[start : start + 65536], dtype=np.float32))
    return index


def _quantiser(name: str, n_bytes: int, protocol: Any, train_size: int, seed: int):
    """(faiss index trained and filled, build seconds), or a note saying why it was left out."""
    import faiss

    n, dim = protocol.database.shape
    m = int(n_bytes)  # one byte (256 centroids) per sub-quantiser: m bytes per vector
    if name in ("PQ", "IVF-PQ") and dim % m:
        return f"{name} at {n_bytes} bytes left out: the dimension {dim} is not a multiple of {m} sub-vectors."
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(protocol.train), size=min(train_size, len(protocol.train)), replace=False))
    train = np.ascontiguousarray(protocol.train[sample], dtype=np.float32)
    if len(train) < 256:
        return f"{name} at {n_bytes} bytes left out: {len(train)} training vectors, fewer than 256 centroids."
    if name == "PQ":
        factory = f"PQ{m}"
    elif name == "OPQ":
        factory = f"OPQ{m}_{m * -(-dim // m)},PQ{m}"
    else:
        nlist = max(1, min(int(round(np.sqrt(n))), len(train) // 39))
        factory = f"IVF{nlist},PQ{m}"

    def build():
        index = faiss.index_factory(dim, factory)
        # The factory turns on polysemous training (reordering centroid ids so that Hamming distances
        # between codes mean something); asymmetric search does not use it, and it costs seconds.
        inner = faiss.downcast_index(index.index) if name == "OPQ" else index
        inner.do_polysemous_training = False
        if name == "IVF-PQ":
            index.nprobe = max(1, index.nlist // 16)
        if name == "OPQ":
            faiss.downcast_VectorTransform(index.chain.at(0)).niter = 20  # faiss's 50 is slow at d = 784
        index.train(train)
        for start in range(0, n, 65536):
            index.add(np.ascontiguousarray(protocol.database[start : start + 65536], dtype=np.float32))
        return index

    return _with_threads(1, build, repeat=False)


@dataclass
class SearchStudy:
    """One dataset's search study: its protocol, exact neighbours and every configuration's scores."""

    protocol: Any
    groundtruth: np.ndarray
    result: SearchResult
    notes: list[str]


def run_search_study(
    dataset: Any,
    *,
    methods: Iterable[str],
    bytes_per_vector: Iterable[int],
    params: Mapping[str, Mapping[str, Any]],
    n_queries: int = 1000,
    n_database: int | None = None,
    k: int = 100,
    seed: int = 0,
    **grid: Any,
) -> SearchStudy:
    """Split ``dataset`` as the chapter *Retrieval quality* does, fit the codes, search them all.

    Sizes larger than the data are lowered (:func:`sigah.studies.sizes.cap_sizes`, with a note);
    the exact ground truth comes from :func:`sigah.studies.experiments.ground_truth_for` (cached).
    ``grid`` goes to :func:`search_grid`.
    """
    from sigah.data import make_protocol
    from sigah.studies.experiments import ground_truth_for
    from sigah.studies.sizes import cap_sizes

    sizes, notes = cap_sizes(dataset, n_queries=n_queries, n_database=n_database, k=k)
    protocol = make_protocol(dataset, n_queries=sizes["n_queries"], seed=seed, n_database=sizes["n_database"])
    groundtruth = ground_truth_for(protocol, sizes["k"])
    codes = hashing_codes(protocol, methods, bytes_per_vector, params=params, seed=seed)
    name = protocol.description.split(":")[0]
    result = search_grid(protocol, groundtruth, codes, dataset=name, k=sizes["k"], seed=seed, **grid)
    return SearchStudy(protocol, groundtruth, result, notes + result.notes)


# -- fronts and tables ------------------------------------------------------------------------
def pareto_front(recall: Sequence[float], qps: Sequence[float]) -> np.ndarray:
    """Positions of the points no other point beats in both recall and speed, by increasing recall.

    Returns
    -------
    numpy.ndarray of int
        The front as ANN-benchmarks draws it: from the most recall-for-speed point at low recall
        to the highest recall, each point faster than every point of higher recall.
    """
    recall, qps = np.asarray(recall, dtype=float), np.asarray(qps, dtype=float)
    order = np.lexsort((-qps, -recall))  # highest recall first, fastest first among equals
    front, best_qps = [], -np.inf
    for i in order:
        if qps[i] > best_qps:
            front.append(i)
            best_qps = qps[i]
    return np.asarray(front[::-1], dtype=np.int64)


def plot_fronts(result: SearchResult, *, recall: str = "recall@10", speed: str = "qps (1 thread)"):
    """One panel per memory budget: recall against queries per second, one Pareto line per algorithm.

    Exact search is drawn in every panel as the limit (a star). Returns the figure.
    """
    import matplotlib.pyplot as plt

    from sigah.studies.plotting import method_color

    frame = result.records
    budgets = sorted(frame.loc[frame["family"] != "exact", "bytes"].unique())
    fig, axes = plt.subplots(1, len(budgets), figsize=(4.2 * len(budgets), 3.8), sharey=True, squeeze=False)
    exact = frame[frame["family"] == "exact"]
    for ax, n_bytes in zip(axes[0], budgets):
        at = frame[frame["bytes"] == n_bytes]
        for algorithm, group in at.groupby("algorithm", sort=False):
            front = group.iloc[pareto_front(group[recall], group[speed])]
            color = _PQ_COLORS.get(algorithm) or method_color(group["method"].iloc[0].lower())
            style = "--" if "re-ranking" in algorithm else "-"
            ax.plot(front[recall], front[speed], style, marker="o", ms=3.5, color=color, label=algorithm)
        ax.plot(exact[recall], exact[speed], "*", ms=11, color="black", label="exact (IndexFlatL2)")
        ax.set(yscale="log", xlabel=recall, title=f"{n_bytes} bytes per vector ({8 * n_bytes} bits)")
        ax.set_xlim(0, 1.02)
    axes[0, 0].set_ylabel(f"queries per second, {speed[5:-1]}")
    handles, labels = axes[0, -1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8,
               bbox_to_anchor=(0.5, -0.02 - 0.045 * (len(labels) // 6)))
    fig.suptitle(result.dataset, y=1.0)
    fig.tight_layout(rect=(0, 0.08 + 0.04 * (len(labels) // 6), 1, 1))
    return fig


def recall_table(result: SearchResult, n_bytes: int, recall: str = "recall@10"):
    """Best ``recall`` per method at one budget: Hamming only, and with each re-ranking ``L``.

    Each cell is the best over index kinds (flat is exact, so it is the Hamming order's recall);
    the quantisers and exact search have one value. Returns a styled HTML table.
    """
    frame = result.records
    at = frame[(frame["bytes"] == n_bytes) | (frame["family"] == "exact")]
    col = np.where(at["rerank"] > 0, "re-ranked, L = " + at["rerank"].astype(str), "Hamming / own distance")
    table = at.assign(column=col).pivot_table(index="method", columns="column", values=recall, aggfunc="max",
                                              sort=False)
    return table.style.format("{:.3f}", na_rep="—").set_caption(
        f"{result.dataset}: {recall} at {n_bytes} bytes per vector (best index kind per cell)")


def memory_table(result: SearchResult, n_bytes: int):
    """Memory per vector, build time and single-thread speed of each index at one budget (styled HTML)."""
    frame = result.records
    at = frame[((frame["bytes"] == n_bytes) & (frame["rerank"] == 0)) | (frame["family"] == "exact")]
    table = at.groupby("index", sort=False).agg(
        {"index bytes/vector": "mean", "build seconds": "mean", "qps (1 thread)": "median",
         "qps (all threads)": "median", "recall@10": "max"})
    table.columns = ["bytes/vector (mean over methods)", "build s (mean)", "qps, 1 thread (median)",
                     f"qps, {result.threads} threads (median)", "best recall@10"]
    return table.style.format("{:,.1f}").format("{:.3f}", subset=["best recall@10"]).set_caption(
        f"{result.dataset}, {n_bytes} bytes of code per vector: what each index holds and costs")


# -- verdicts ---------------------------------------------------------------------------------
def compare_paired(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Paired comparison of two configurations' per-query scores on the same queries (one seed).

    :func:`sigah.stats.compare_paired` with the queries as the paired observations: the mean of
    ``a − b``, its 95 % interval (Student's *t* over the queries) and the verdict.

    Parameters
    ----------
    a, b : numpy.ndarray, shape (n_queries,)

    Returns
    -------
    dict
        ``difference``, ``low``, ``high``, ``verdict`` (``"higher"`` when the interval lies above
        0, ``"lower"`` below, else ``"inconclusive"``) and ``phrase`` (the verdict in words, with
        the smallest difference the design detects when inconclusive).
    """
    from sigah.stats import compare_paired as paired, verdict_phrase

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(f"paired values must be two 1-D arrays of the same length (at least 2), got "
                         f"{a.shape} and {b.shape}")
    c = paired(a[None, :], b[None, :])
    return {"difference": c.effect, "low": c.low, "high": c.high, "verdict": c.verdict,
            "phrase": verdict_phrase(c)}


def best_per_family(result: SearchResult, n_bytes: int, recall: str = "recall@10") -> pd.DataFrame:
    """The configuration of highest ``recall`` in each family at one budget (fastest among equals)."""
    frame = result.records.assign(position=np.arange(len(result.records)))
    at = frame[frame["bytes"] == n_bytes]
    ordered = at.sort_values([recall, "qps (1 thread)"], ascending=False, kind="stable")
    return ordered.groupby("family", sort=False).head(1).set_index("family", drop=False)


def _describe(row: pd.Series) -> str:
    how = row["algorithm"] if row["family"] == "product quantisation" else f"{row['method']} ({row['index']}"
    if row["family"] != "product quantisation":
        how += f", L = {row['rerank']:,})" if row["rerank"] else ")"
    return how


def verdict_lines(result: SearchResult, n_bytes: int, recall: str = "recall@10") -> list[str]:
    """The computed sentences of one budget (:func:`search_verdicts` joins them)."""
    best = best_per_family(result, n_bytes, recall)
    lines = []
    ranked = best.sort_values(recall, ascending=False)
    leader, runner = ranked.iloc[0], ranked.iloc[1] if len(ranked) > 1 else None
    line = (f"**{n_bytes} bytes per vector**: the best {recall} comes from **{ranked.index[0]}**, "
            f"{_describe(leader)}, {leader[recall]:.3f} at {leader['qps (1 thread)']:,.0f} queries/s on one thread")
    if runner is not None:
        cmp = compare_paired(result.per_query[int(leader["position"])], result.per_query[int(runner["position"])])
        line += (f"; next is {ranked.index[1]}, {_describe(runner)}, {runner[recall]:.3f} at "
                 f"{runner['qps (1 thread)']:,.0f} queries/s: a difference of {cmp['difference']:+.3f} "
                 f"(95 % interval over the queries {cmp['low']:+.3f} to {cmp['high']:+.3f}: {cmp['phrase']})")
    lines.append(line + ".")
    if {"hashing + re-ranking", "product quantisation"} <= set(best.index):
        h, p = best.loc["hashing + re-ranking"], best.loc["product quantisation"]
        cmp = compare_paired(result.per_query[int(h["position"])], result.per_query[int(p["position"])])
        if cmp["verdict"] == "higher":
            faster = h["qps (1 thread)"] >= p["qps (1 thread)"]
            lines.append(f"Hashing plus re-ranking overtakes product quantisation here ({cmp['difference']:+.3f} "
                         f"{recall}), {'and' if faster else 'but'} it is {'faster' if faster else 'slower'} "
                         f"({h['qps (1 thread)']:,.0f} against {p['qps (1 thread)']:,.0f} queries/s) and reads "
                         f"the {int(h['extra bytes/vector']):,} bytes of each candidate's float vector.")
        else:
            lines.append(f"Hashing plus re-ranking does not overtake product quantisation here "
                         f"({cmp['difference']:+.3f} {recall}: {cmp['phrase']}).")
    if {"hashing", "product quantisation"} <= set(best.index):
        h, p = best.loc["hashing"], best.loc["product quantisation"]
        cmp = compare_paired(result.per_query[int(h["position"])], result.per_query[int(p["position"])])
        lines.append(f"Hamming ranking alone against product quantisation: {cmp['difference']:+.3f} {recall} "
                     f"({cmp['phrase']}; {h['qps (1 thread)']:,.0f} against {p['qps (1 thread)']:,.0f} queries/s).")
    return lines


@_as_prose
def search_verdicts(result: SearchResult, recall: str = "recall@10") -> Prose:
    """Markdown: per budget, which family leads, by how much (paired over queries) and at what speed."""
    budgets = sorted(result.records.loc[result.records["family"] != "exact", "bytes"].unique())
    lines = [f"- {' '.join(verdict_lines(result, int(b), recall))}" for b in budgets]
    return f"**{result.dataset}.**\n\n" + "\n".join(lines)


# -- the exhaustive scan ----------------------------------------------------------------------
def peak_memory_gb() -> float:
    """Peak resident memory of this process so far, in GB (``getrusage``; kilobytes on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def scan_throughput(
    sizes: Iterable[int],
    *,
    n_bits: int = 64,
    k: int = 100,
    n_queries: int = 100,
    database: np.ndarray | None = None,
    queries: np.ndarray | None = None,
    engines: Sequence[str] = ("faiss", "ours"),
    seed: int = 0,
) -> pd.DataFrame:
    """Exhaustive k-NN scan time per code as the database grows, one thread.

    Parameters
    ----------
    sizes : iterable of int
        Database sizes (prefixes of ``database``, or of random codes).
    database, queries : numpy.ndarray, optional
        Packed codes (for example a large file encoded by a fitted method); default: uniformly
        random codes (:func:`sigah.studies.timing.random_codes`), which is what the table says.
    engines : sequence of str
        ``"faiss"`` (``IndexBinaryFlat``) and ``"ours"`` (:func:`sigah.search.scan_knn`).

    Returns
    -------
    pandas.DataFrame
        ``engine``, ``n_database``, ``seconds per query``, ``ns per code``, ``queries per second``.
    """
    from sigah.search import CodeIndex, scan_knn
    from sigah.studies.timing import random_codes

    sizes = sorted(int(s) for s in sizes)
    if database is None:
        database = random_codes(max(sizes), n_bits, seed)
    if queries is None:
        queries = random_codes(n_queries, 8 * database.shape[1], seed + 1)
    if max(sizes) > len(database):
        raise ValueError(f"sizes go up to {max(sizes):,} but the database holds {len(database):,} codes")
    rows = []
    for size in sizes:
        part = database[:size]
        for engine in engines:
            if engine == "faiss":
                index = CodeIndex(8 * database.shape[1]).add(part)
                _, seconds = _with_threads(1, index.search, queries, min(k, size))
                del index
            else:
                _, seconds = _timed(scan_knn, queries, part, min(k, size))
            per_query = seconds / len(queries)
            rows.append({"engine": engine, "n_database": size, "seconds per query": per_query,
                         "ns per code": 1e9 * per_query / size, "queries per second": 1 / per_query})
    return pd.DataFrame(rows)


def extrapolate_scan(frame: pd.DataFrame, engine: str = "faiss", n_target: float = 1e9) -> dict[str, float]:
    """Least-squares line ``t(n) = a + b n`` of seconds per query, read at ``n_target`` codes.

    Returns
    -------
    dict
        ``intercept`` (s), ``ns per code`` (the slope), ``seconds per query at target``, ``target``.
    """
    at = frame[frame["engine"] == engine]
    if at["n_database"].nunique() < 2:
        raise ValueError(f"extrapolation needs {engine} timed at two database sizes at least")
    slope, intercept = np.polyfit(at["n_database"].astype(float), at["seconds per query"], 1)
    return {"intercept": float(intercept), "ns per code": 1e9 * float(slope),
            "seconds per query at target": float(intercept + slope * n_target), "target": float(n_target)}


def scan_limits(*, n_words: int = 1 << 25, cache_words: int = 1 << 15, repeats: int = 5) -> dict[str, float]:
    """The machine's limits for a 64-bit code scan, measured in NumPy on this machine, one thread.

    - **memory bandwidth**: the best of ``repeats`` sums of a ``n_words`` × 8-byte array (256 MiB by
      default, far beyond any cache), in GB/s; a scan that reads each 8-byte code from memory
      once per query needs at least ``8 / bandwidth`` ns per code;
    - **popcount**: ``numpy.bitwise_count`` of an in-cache block of ``cache_words`` words, XORed
      with a query first (256 KiB, in the L2 cache), repeated over an eighth of the big array's words: the
      cost per code of XOR plus popcount when memory is not the limit (NumPy's vectorised loops,
      with their call overhead amortised).

    Returns
    -------
    dict
        ``bandwidth GB/s``, ``bandwidth ns per code``, ``xor+popcount ns per code``.
    """
    big = np.random.default_rng(0).integers(0, 2**63, size=n_words, dtype=np.uint64)
    best = min(_timed(big.sum)[1] for _ in range(repeats))
    bandwidth = big.nbytes / best / 1e9
    block = np.random.default_rng(1).integers(0, 2**63, size=cache_words, dtype=np.uint64)
    xor, counts = np.empty_like(block), np.empty(cache_words, dtype=np.uint8)
    rounds = max(1, n_words // cache_words // 8)

    def popcount_rounds():
        for q in range(rounds):
            np.bitwise_count(np.bitwise_xor(block, np.uint64(q), out=xor), out=counts)

    popcount = min(_timed(popcount_rounds)[1] for _ in range(repeats)) / (rounds * cache_words)
    return {"bandwidth GB/s": bandwidth, "bandwidth ns per code": 8 / bandwidth,
            "xor+popcount ns per code": 1e9 * popcount}


def file_codes(path: Any, n: int, *, n_bits: int = 64, n_queries: int = 1000, seed: int = 0):
    """LSH codes of the first ``n`` vectors of a large file (SIFT1M, GIST1M) and of ``n_queries`` others.

    The file is memory-mapped and encoded a block at a time; LSH (random projections of centred
    data) is fitted on the first 10,000 vectors. The queries are the ``n_queries`` vectors after
    the first ``n`` (or the last ones of a smaller file).

    Returns
    -------
    database : numpy.ndarray, shape (min(n, rows), n_bits // 8), uint8
    queries : numpy.ndarray, shape (n_queries, n_bits // 8), uint8
    """
    from sigah.hashers import make_hasher
    from sigah.readers import load_array
    from sigah.studies.experiments import encode_batched

    vectors = load_array(path)
    if vectors.ndim != 2 or len(vectors) < 2:
        raise ValueError(f"{path}: expected a matrix of at least 2 vectors, got shape {vectors.shape}")
    n = min(int(n), len(vectors) - 1)
    lsh = make_hasher("lsh", n_bits, seed=seed).fit(np.asarray(vectors[:10_000], dtype=np.float32))
    database = encode_batched(lsh, vectors[:n])
    rest = vectors[n : n + n_queries] if len(vectors) > n + 1 else vectors[-n_queries:]
    return database, lsh.encode(np.asarray(rest, dtype=np.float32))


def same_scan_results(queries: np.ndarray, database: np.ndarray, k: int = 100) -> bool:
    """Whether our scan and faiss's ``IndexBinaryFlat`` agree: equal distances, and equal ids
    strictly below each query's ``k``-th distance (which of several tied codes is returned at the
    ``k``-th distance is each engine's choice)."""
    from sigah.search import CodeIndex, scan_knn

    ours_d, ours_i = scan_knn(queries, database, k)
    theirs_d, theirs_i = CodeIndex(8 * database.shape[1]).add(database).search(queries, k)
    if not np.array_equal(ours_d, theirs_d):
        return False
    return all(set(o[d < d[-1]]) == set(t[d < d[-1]]) for o, t, d in zip(ours_i, theirs_i, ours_d))


@_as_prose
def memory_sentence() -> Prose:
    """Markdown: the peak resident memory of this process so far (the 10^6-code study included)."""
    return (f"Peak resident memory of this process so far, every study above included: "
            f"{peak_memory_gb():.2f} GB.")


@_as_prose
def study_header(study: SearchStudy) -> Prose:
    """Markdown: the protocol of a study, its number of true neighbours and any lowered size."""
    return (f"**{study.protocol.description}**, k = {study.groundtruth.shape[1]} exact neighbours."
            + "".join(f"\n- {note}" for note in study.notes))


def scan_table(frame: pd.DataFrame, *, source: str):
    """ns per code of each engine (columns) at each database size (rows), as a styled HTML table."""
    table = frame.pivot_table(index="n_database", columns="engine", values="ns per code")
    return table.style.format("{:.3f}").format_index("{:,}").set_caption(
        f"ns per code, one thread, {source}")


@_as_prose
def throughput_sentence(frame: pd.DataFrame, fit: Mapping[str, float], *, source: str) -> Prose:
    """Markdown: the measured scan rate at the largest size and the time for ``fit['target']`` codes."""
    largest = frame["n_database"].max()
    at = frame[(frame["n_database"] == largest) & (frame["engine"] == "faiss")].iloc[0]
    target, seconds = fit["target"], fit["seconds per query at target"]
    return (f"On {source}, faiss's exhaustive scan of {largest:,} codes takes "
            f"{1e3 * at['seconds per query']:.2f} ms per query on one thread ({at['ns per code']:.2f} ns per "
            f"code). A straight line through every size measured, {fit['ns per code']:.2f} ns per code plus "
            f"{1e3 * fit['intercept']:.2f} ms, puts one query against {target:,.0f} codes at "
            f"**{seconds:,.1f} s** on one thread of this machine, if the codes were all in memory "
            f"({target * 8 / 1e9:,.0f} GB at 64 bits): an extrapolation over "
            f"{target / largest:,.0f} times the largest size measured, not a measurement.")


@_as_prose
def scan_sentence(frame: pd.DataFrame, limits: Mapping[str, float], *, identical: bool) -> Prose:
    """Markdown: faiss against our scan at the largest size, beside the measured limits, and the decision."""
    largest = frame["n_database"].max()
    at = frame[frame["n_database"] == largest].set_index("engine")["ns per code"]
    faiss_ns, ours_ns = float(at["faiss"]), float(at["ours"])
    speedup = faiss_ns / ours_ns
    decision = ("at least 1.5 times faster with identical results, so `sigah.search` would switch to it"
                if speedup >= 1.5 and identical else
                "not 1.5 times faster" + ("" if identical else ", nor identical") +
                ", so faiss's `IndexBinaryFlat` stays the exhaustive index of `sigah.search`")
    floor = max(limits["xor+popcount ns per code"], 0.0)
    return (f"At {largest:,} codes, one thread: faiss {faiss_ns:.2f} ns per code, our NumPy scan "
            f"{ours_ns:.2f} ns ({speedup:.2f}× faiss's speed; results "
            f"{'identical' if identical else 'NOT identical'}). Measured limits: reading a code from "
            f"memory at {limits['bandwidth GB/s']:.1f} GB/s costs {limits['bandwidth ns per code']:.2f} ns, "
            f"XOR and popcount of an in-cache code in NumPy {floor:.2f} ns. Ours is {decision}. "
            f"Our scan pays the NumPy passes over the block (XOR, popcount, comparisons, each writing an "
            f"array) that faiss fuses into one loop keeping a heap of the {100} best.")
