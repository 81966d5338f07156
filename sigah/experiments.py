"""Run methods × code lengths × repeats on a protocol and collect tidy tables.

One record per (method, bits, seed) with the metrics of :func:`sigah.metrics.evaluate_codes`
and the timings. The ground truth is computed once per protocol (and cached on disk), so a
grid costs one exact k-NN search plus one ``fit``/``encode`` per record.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sigah.hashers import make_hasher

__all__ = [
    "RECORD_COLUMNS", "DEFAULT_CACHE_DIR", "ground_truth_for", "fit_and_encode", "evaluate_hasher", "evaluate_method",
    "run_grid", "summarize", "label_scores", "record_columns", "LABEL_MAP_K", "LABEL_PRECISION_N",
]

#: columns of every record, in order (the ``sigah evaluate`` contract)
RECORD_COLUMNS = (
    "method", "bits", "seed", "map", "map_stable", "map_pr_area", "precision_at_100",
    "fit_seconds", "encode_seconds", "k", "n_queries", "n_database",
)

#: where exact ground truth is cached (git-ignored); override with env ``SIGAH_CACHE_DIR``
DEFAULT_CACHE_DIR = Path(os.environ.get("SIGAH_CACHE_DIR", "runs/cache"))


def ground_truth_for(protocol: Any, k: int = 1000, *, cache_dir: str | os.PathLike | None = DEFAULT_CACHE_DIR) -> np.ndarray:
    """Exact Euclidean top-``k`` database neighbours of the protocol's queries (cached).

    Parameters
    ----------
    protocol : sigah.data.Protocol
    k : int
        Number of true neighbours per query; at most the database size.
    cache_dir : path or None
        Folder of the on-disk cache; ``None`` disables it.

    Returns
    -------
    numpy.ndarray, shape (n_queries, k), int64
    """
    from sigah.metrics import euclidean_ground_truth

    n_db = len(protocol.database)
    if not 1 <= k <= n_db:
        raise ValueError(f"k must be between 1 and the database size {n_db}, got {k}")
    return euclidean_ground_truth(protocol.queries, protocol.database, k=k, cache_dir=cache_dir)


def fit_and_encode(hasher: Any, protocol: Any) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Fit ``hasher`` on the protocol's training set and encode its queries and database.

    Returns
    -------
    query_codes : numpy.ndarray, shape (n_queries, n_bits // 8), uint8
    database_codes : numpy.ndarray, shape (n_database, n_bits // 8), uint8
    fit_seconds, encode_seconds : float
        Wall-clock time of ``fit`` and of encoding queries and database.
    """
    start = time.perf_counter()
    hasher.fit(protocol.train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    database_codes = hasher.encode(protocol.database)
    query_codes = hasher.encode(protocol.queries)
    return query_codes, database_codes, fit_seconds, time.perf_counter() - start


def evaluate_hasher(hasher: Any, protocol: Any, groundtruth: np.ndarray) -> dict[str, Any]:
    """Fit a hasher instance, encode, and score its Hamming ranking: one record.

    The instance stays fitted, so a caller can still read its training history.
    Every method is ranked by Hamming distance between packed codes, so all records are
    comparable; method-specific scores (Spherical Hashing's spherical Hamming distance, QoLSH's
    asymmetric cosine) are evaluated with :mod:`sigah.ranking`.

    Parameters
    ----------
    hasher : sigah.hashers.Hasher
        Not yet fitted (it is fitted on ``protocol.train``).
    protocol : sigah.data.Protocol
    groundtruth : numpy.ndarray, shape (n_queries, k)
        From :func:`ground_truth_for`.

    Returns
    -------
    dict
        The keys of :data:`RECORD_COLUMNS`, and those of :func:`label_scores` when the protocol
        has query and database labels.
    """
    from sigah.metrics import evaluate_codes

    q_codes, db_codes, fit_seconds, encode_seconds = fit_and_encode(hasher, protocol)
    scores = evaluate_codes(q_codes, db_codes, groundtruth)
    record = {
        "method": hasher.name,
        "bits": int(hasher.n_bits),
        "seed": int(hasher.seed),
        "map": scores["map"],
        "map_stable": scores["map_stable"],
        "map_pr_area": scores["map_pr_area"],
        "precision_at_100": scores["precision_at_100"],
        "fit_seconds": fit_seconds,
        "encode_seconds": encode_seconds,
        "k": int(groundtruth.shape[1]),
        "n_queries": int(len(protocol.queries)),
        "n_database": int(len(protocol.database)),
    }
    return record | label_scores(protocol, q_codes, db_codes)


#: cut-offs of the label-based scores (the paper's mAP@1000 of Tables 6-7, and P@100)
LABEL_MAP_K, LABEL_PRECISION_N = 1000, 100


def label_scores(protocol: Any, query_codes: np.ndarray, database_codes: np.ndarray) -> dict[str, float]:
    """Label-based mAP@1000 and P@100 of the codes when the protocol carries labels, else ``{}``.

    Relevant = same label (the paper's §5.6, :func:`sigah.metrics.evaluate_label_codes`). A
    database smaller than a cut-off is scored at its size, and the key says so
    (``label_map_at_500`` for 500 database items).

    Returns
    -------
    dict
        ``label_map_at_1000`` and ``label_precision_at_100`` (or the smaller cut-offs).
    """
    if getattr(protocol, "query_labels", None) is None or getattr(protocol, "database_labels", None) is None:
        return {}
    from sigah.metrics import evaluate_label_codes

    n_database = database_codes.shape[0]
    return evaluate_label_codes(
        query_codes, database_codes, protocol.query_labels, protocol.database_labels,
        k=min(LABEL_MAP_K, n_database), ns=(min(LABEL_PRECISION_N, n_database),),
    )


def record_columns(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """:data:`RECORD_COLUMNS`, then any further keys of the records (label scores) in first-seen order."""
    extra = dict.fromkeys(key for record in records for key in record if key not in RECORD_COLUMNS)
    return [*RECORD_COLUMNS, *extra]


def evaluate_method(
    protocol: Any,
    method: str,
    n_bits: int,
    *,
    groundtruth: np.ndarray,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build ``method`` with ``n_bits`` bits, ``seed`` and ``params``, then :func:`evaluate_hasher`.

    Parameters
    ----------
    protocol : sigah.data.Protocol
    method : str
        A name of :data:`sigah.hashers.METHODS`.
    n_bits : int
    groundtruth : numpy.ndarray, shape (n_queries, k)
    seed : int
    params : mapping, optional
        Method-specific constructor arguments.

    Returns
    -------
    dict
        One record with the keys of :data:`RECORD_COLUMNS`.
    """
    return evaluate_hasher(make_hasher(method, n_bits, seed=seed, **dict(params or {})), protocol, groundtruth)


def run_grid(
    protocol: Any,
    methods: Iterable[str],
    bits: Iterable[int],
    *,
    repeats: int = 1,
    seed: int = 0,
    k: int = 1000,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    bits_override: Mapping[str, int] | None = None,
    cache_dir: str | os.PathLike | None = DEFAULT_CACHE_DIR,
    progress: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
):
    """Evaluate every method at every code length, ``repeats`` times with seeds ``seed, seed+1, …``.

    Parameters
    ----------
    protocol : sigah.data.Protocol
    methods : iterable of str
    bits : iterable of int
    repeats : int
        Number of seeds per (method, bits).
    seed : int
        First seed.
    k : int
        Ground-truth neighbours per query.
    params : mapping, optional
        ``{method: {argument: value}}`` constructor arguments per method.
    bits_override : mapping, optional
        ``{method: n_bits}`` for methods that run at one code length of their own
        (QoLSH uses as many bits as dimensions); such a method runs once per seed.
    cache_dir : path or None
        Ground-truth cache.
    progress : bool
        Show a progress bar.
    on_record : callable, optional
        Called with each record as soon as it is computed (e.g. to print it).

    Returns
    -------
    pandas.DataFrame
        One row per record, columns :data:`RECORD_COLUMNS`.
    """
    import pandas as pd
    from tqdm import tqdm

    methods = [m.strip().lower() for m in methods]
    bits = [int(b) for b in bits]
    if not methods or not bits:
        raise ValueError("run_grid needs at least one method and one code length")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    params = dict(params or {})
    overrides = dict(bits_override or {})
    groundtruth = ground_truth_for(protocol, k, cache_dir=cache_dir)
    jobs = []
    for method in methods:
        method_bits = [overrides[method]] if method in overrides else bits
        for b in method_bits:
            for r in range(repeats):
                jobs.append((method, b, seed + r))
    records = []
    bar = tqdm(jobs, disable=not progress, desc="methods × bits × seeds", leave=False)
    for method, b, s in bar:
        bar.set_postfix_str(f"{method} {b} bits seed {s}")
        record = evaluate_method(protocol, method, b, groundtruth=groundtruth, seed=s, params=params.get(method))
        records.append(record)
        if on_record is not None:
            on_record(record)
    return pd.DataFrame.from_records(records, columns=record_columns(records))


def summarize(records, metrics: Iterable[str] = ("precision_at_100", "map_pr_area", "map", "map_stable", "fit_seconds")):
    """Mean ± standard deviation over seeds of each metric, one row per (method, bits).

    Parameters
    ----------
    records : pandas.DataFrame
        Output of :func:`run_grid`.
    metrics : iterable of str

    Returns
    -------
    pandas.DataFrame
        Columns ``method, bits, n_seeds`` and ``<metric>_mean``, ``<metric>_std`` (std is 0 for one seed).
    """
    metrics = list(metrics)
    grouped = records.groupby(["method", "bits"], sort=False)
    out = grouped[metrics].agg(["mean", "std"])
    out.columns = [f"{m}_{stat}" for m, stat in out.columns]
    out = out.fillna({c: 0.0 for c in out.columns if c.endswith("_std")})
    out.insert(0, "n_seeds", grouped.size())
    return out.reset_index()
