"""Run methods × code lengths × repeats on a protocol and collect tidy tables.

One record per (method, bits, seed) with the metrics of :func:`sigah.metrics.evaluate_codes`
and the timings. The ground truth is computed once per protocol (and cached on disk), so a
grid costs one exact k-NN search plus one ``fit``/``encode`` per record. Fits, codes and records
go through the store of runs (:mod:`sigah.store`): a fit stored by an earlier run, in this or
another chapter, is read back instead of recomputed, and its record says so (``from_store``).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sigah.hashers import make_hasher
from sigah.store import (DEFAULT, cache_root, data_fingerprint, fit_cached, fit_key, load_or_fit, load_stored_fit,
                         method_source_hash, resolve_store)

__all__ = [
    "RECORD_COLUMNS", "DEFAULT_CACHE_DIR", "ENCODE_BATCH", "ground_truth_cache_dir", "ground_truth_for",
    "fit_and_encode", "encode_batched", "encoded_split", "evaluate_hasher", "evaluate_method", "run_grid", "summarize",
    "label_scores", "label_columns", "record_columns", "score_grid", "LABEL_MAP_K", "LABEL_PRECISION_N",
    "fit_cached", "load_or_fit",  # re-exported from sigah.store: one import line for chapters that fit
]

#: columns of every record, in order (the ``sigah evaluate`` contract)
RECORD_COLUMNS = (
    "method", "bits", "seed", "map", "map_stable", "map_pr_area", "precision_at_100",
    "fit_seconds", "encode_seconds", "k", "n_queries", "n_database", "n_train", "from_store",
)

#: rows encoded at once: bounds the memory of encoding a large database (1M rows)
ENCODE_BATCH = 100_000


class _DefaultCacheDir:
    """Marker: the ground-truth cache under the store's root, resolved when a function runs."""

    def __repr__(self) -> str:
        return "DEFAULT_CACHE_DIR"


#: the ground-truth cache: ``$SIGAH_CACHE_DIR`` if set, else ``groundtruth/`` under :func:`sigah.store.cache_root`
DEFAULT_CACHE_DIR = _DefaultCacheDir()


def ground_truth_cache_dir() -> Path:
    """Where exact ground truth is cached (git-ignored): beside the store of runs."""
    return Path(os.environ.get("SIGAH_CACHE_DIR") or cache_root() / "groundtruth")


def ground_truth_for(protocol: Any, k: int = 1000, *, cache_dir: Any = DEFAULT_CACHE_DIR) -> np.ndarray:
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

    if isinstance(cache_dir, _DefaultCacheDir):
        cache_dir = ground_truth_cache_dir()
    n_db = len(protocol.database)
    if not 1 <= k <= n_db:
        raise ValueError(f"k must be between 1 and the database size {n_db}, got {k}")
    return euclidean_ground_truth(protocol.queries, protocol.database, k=k, cache_dir=cache_dir)


def encode_batched(hasher: Any, X: np.ndarray, *, batch: int = ENCODE_BATCH, progress: bool = False,
                   desc: str = "encoding") -> np.ndarray:
    """``hasher.encode(X)`` in blocks of ``batch`` rows, so a large database never needs a float copy at once.

    Parameters
    ----------
    hasher : sigah.hashers.Hasher
        Fitted.
    X : numpy.ndarray, shape (n, d)
    batch : int
        Rows per block.
    progress : bool
        Show a progress bar (only when there is more than one block).

    Returns
    -------
    numpy.ndarray, shape (n, n_bits // 8), uint8
    """
    from sigah.progress import progress_bar

    n = len(X)
    if n <= batch:
        return hasher.encode(X)
    out = np.empty((n, int(hasher.n_bits) // 8), dtype=np.uint8)
    for start in progress_bar(range(0, n, batch), desc=desc, unit="block", enabled=progress, leave=False):
        out[start : start + batch] = hasher.encode(X[start : start + batch])
    return out


def fit_and_encode(
    hasher: Any, protocol: Any, *, store: Any = None, train_fingerprint: str | None = None, progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Fit ``hasher`` on the protocol's training set and encode its queries and database.

    Parameters
    ----------
    hasher : sigah.hashers.Hasher
        Not yet fitted.
    protocol : sigah.data.Protocol
    store : RunStore, DEFAULT or None
        Read the fit (and the codes) from the store of runs, or fit and store them; ``None``: no store.
    train_fingerprint : str, optional
        :func:`sigah.store.data_fingerprint` of ``protocol.train``, if the caller already has it.
    progress : bool
        Show a bar while encoding a database of more than :data:`ENCODE_BATCH` rows.

    Returns
    -------
    query_codes : numpy.ndarray, shape (n_queries, n_bits // 8), uint8
    database_codes : numpy.ndarray, shape (n_database, n_bits // 8), uint8
    fit_seconds, encode_seconds : float
        Wall-clock time of ``fit`` and of encoding queries and database (of the original run when
        read from the store).
    """
    q_codes, db_codes, fit_seconds, encode_seconds, _ = _fit_and_encode(hasher, protocol, resolve_store(store),
                                                                        train_fingerprint, progress)
    return q_codes, db_codes, fit_seconds, encode_seconds


def _fit_and_encode(hasher, protocol, store, train_fingerprint, progress):
    """:func:`fit_and_encode`, also returning ``(key, from_store)``."""
    hasher, key, fit_seconds, from_store = load_or_fit(hasher, protocol.train, store=store,
                                                       train_fingerprint=train_fingerprint)
    split = _split_key(protocol)
    codes = store.get_codes(key, split) if store is not None and from_store else None
    if codes is not None:
        query_codes, database_codes, encode_seconds = codes
        return query_codes, database_codes, fit_seconds, encode_seconds, (key, True)
    start = time.perf_counter()
    database_codes = encode_batched(hasher, protocol.database, progress=progress, desc=f"encoding ({hasher.name})")
    query_codes = encode_batched(hasher, protocol.queries)
    encode_seconds = time.perf_counter() - start
    if store is not None:
        store.put_codes(key, split, query_codes, database_codes, encode_seconds)
    return query_codes, database_codes, fit_seconds, encode_seconds, (key, from_store)


#: queries :func:`encoded_split` encodes to check that stored codes are this model's
CODE_CHECK_ROWS = 64


def encoded_split(hasher: Any, protocol: Any, *, store: Any = DEFAULT,
                  train_fingerprint: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The codes of a fitted hasher on the protocol's queries and database: those the store of runs
    holds for this fit and split when the hasher reproduces them, else encoded here.

    The stored codes are checked against the hasher's own codes of the first queries (at most
    :data:`CODE_CHECK_ROWS`), so a model that is not the stored fit (refitted, or fitted
    without the store) is encoded afresh; nothing is written.

    Parameters
    ----------
    hasher : sigah.hashers.Hasher
        Fitted on ``protocol.train`` (its parameters and seed name the stored fit).
    protocol : sigah.data.Protocol
    store : RunStore, DEFAULT or None
    train_fingerprint : str, optional
        :func:`sigah.store.data_fingerprint` of ``protocol.train``, when the caller already has it
        (hashing a large training set is not free).

    Returns
    -------
    query_codes : numpy.ndarray, shape (n_queries, n_bits // 8), uint8
    database_codes : numpy.ndarray, shape (n_database, n_bits // 8), uint8
    """
    store = resolve_store(store)
    if store is not None:
        key = fit_key(hasher, train_fingerprint or data_fingerprint(protocol.train))[0]
        codes = store.get_codes(key, _split_key(protocol))
        rows = min(CODE_CHECK_ROWS, len(protocol.queries))
        if codes is not None and np.array_equal(codes[0][:rows], hasher.encode(protocol.queries[:rows])):
            return codes[0], codes[1]
    return encode_batched(hasher, protocol.queries), encode_batched(hasher, protocol.database)


def _split_key(protocol: Any) -> str:
    """What the codes depend on besides the model: the query and database vectors."""
    return f"{protocol.fingerprint()}/{data_fingerprint(protocol.queries)}/{len(protocol.database)}"


def _evaluation_key(protocol: Any, groundtruth: np.ndarray) -> str:
    """What a record depends on besides the model: split, ground truth and the evaluation code."""
    gt = np.ascontiguousarray(groundtruth)
    digest = hashlib.blake2b(memoryview(gt).cast("B"), digest_size=16).hexdigest()
    key = f"{_split_key(protocol)}/gt{gt.shape}:{digest}/{method_source_hash('sigah.metrics')}"
    if label_columns(protocol):  # label scores depend on the labels too (an unlabelled key is unchanged)
        key += (f"/labels:{data_fingerprint(np.asarray(protocol.query_labels))}"
                f":{data_fingerprint(np.asarray(protocol.database_labels))}")
    return key


def evaluate_hasher(hasher: Any, protocol: Any, groundtruth: np.ndarray, *, store: Any = DEFAULT,
                    progress: bool = False, per_query: bool = False,
                    _train_fingerprint: str | None = None) -> dict[str, Any] | tuple[dict[str, Any], dict]:
    """Fit a hasher instance (or read its fit from the store), encode, and score its Hamming ranking: one record.

    The instance stays fitted, so a caller can still read its training history.
    Every method is ranked by Hamming distance between packed codes, so all records are
    comparable; method-specific scores (Spherical Hashing's spherical Hamming distance, QoLSH's
    asymmetric cosine) are evaluated with :mod:`sigah.studies.ranking`.

    Parameters
    ----------
    hasher : sigah.hashers.Hasher
        Not yet fitted (it is fitted on ``protocol.train``).
    protocol : sigah.data.Protocol
    groundtruth : numpy.ndarray, shape (n_queries, k)
        From :func:`ground_truth_for`.
    store : RunStore, DEFAULT or None
        The store of runs (``DEFAULT``: the shared one; ``None``: always fit).
    progress : bool
        Show a bar while encoding a large database.
    per_query : bool
        Also return every score query by query (for :mod:`sigah.stats`).

    Returns
    -------
    record : dict
        The keys of :data:`RECORD_COLUMNS`, and those of :func:`label_scores` when the protocol
        has query and database labels; ``from_store`` tells whether the fit was read from the
        store (its ``fit_seconds`` is then the original fit's).
    per_query_scores : dict, only if ``per_query``
        ``{score name: numpy.ndarray of shape (n_queries,)}`` for every score of the record, each
        averaging to the record's value (:func:`sigah.metrics.evaluate_codes`). With a store, they
        are stored beside the record whether asked for or not.
    """
    from sigah.metrics import evaluate_codes

    store = resolve_store(store)
    q_codes, db_codes, fit_seconds, encode_seconds, (key, from_store) = _fit_and_encode(
        hasher, protocol, store, _train_fingerprint, progress)
    # P@100 of a database under 100 points is its precision at the whole database (the CLI says so)
    n_precision = min(100, len(db_codes))
    scores, query_scores = evaluate_codes(q_codes, db_codes, groundtruth, ns=(n_precision,), per_query=True)
    for table in (scores, query_scores):  # the column keeps its name
        table["precision_at_100"] = table.pop(f"precision_at_{n_precision}")
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
        "n_train": int(len(protocol.train)),
        "from_store": bool(from_store),
    }
    labels, label_query_scores = label_scores(protocol, q_codes, db_codes, per_query=True)
    record |= labels
    query_scores = {name: query_scores[name] for name in _PER_QUERY_SCORES} | label_query_scores
    if store is not None:
        evaluation = _evaluation_key(protocol, groundtruth)
        store.put_record(key, evaluation, {**record, "from_store": False})
        store.put_scores(key, evaluation, query_scores)
    return (record, query_scores) if per_query else record


#: the record's scores that :func:`evaluate_hasher` also keeps query by query
_PER_QUERY_SCORES = ("map", "map_stable", "map_pr_area", "precision_at_100")


#: cut-offs of the label-based scores (the paper's mAP@1000 of Tables 6-7, and P@100)
LABEL_MAP_K, LABEL_PRECISION_N = 1000, 100


def label_scores(protocol: Any, query_codes: np.ndarray, database_codes: np.ndarray, *,
                 per_query: bool = False) -> dict[str, float] | tuple[dict[str, float], dict[str, np.ndarray]]:
    """Label-based mAP@1000 and P@100 of the codes when the protocol carries labels, else ``{}``.

    Relevant = same label (the paper's §5.6, :func:`sigah.metrics.evaluate_label_codes`). A
    database smaller than a cut-off is scored at its size, and the key says so
    (``label_map_at_500`` for 500 database items).

    Returns
    -------
    scores : dict
        ``label_map_at_1000`` and ``label_precision_at_100`` (or the smaller cut-offs).
    per_query_scores : dict, only if ``per_query``
        The same keys, one array of shape (n_queries,) each (empty without labels).
    """
    if getattr(protocol, "query_labels", None) is None or getattr(protocol, "database_labels", None) is None:
        return ({}, {}) if per_query else {}
    from sigah.metrics import evaluate_label_codes

    k, n = _label_cutoffs(database_codes.shape[0])
    return evaluate_label_codes(query_codes, database_codes, protocol.query_labels, protocol.database_labels,
                                k=k, ns=(n,), per_query=per_query)


def _label_cutoffs(n_database: int) -> tuple[int, int]:
    """mAP@k and P@n cut-offs of the label scores, lowered to the database size."""
    return min(LABEL_MAP_K, n_database), min(LABEL_PRECISION_N, n_database)


def label_columns(protocol: Any) -> set[str]:
    """The keys :func:`label_scores` adds to a record of ``protocol`` (none without labels).

    A stored record is complete only with them: it is read back when its keys are
    :data:`RECORD_COLUMNS` and these, and scored again otherwise.

    Parameters
    ----------
    protocol : sigah.data.Protocol
        Labelled when it has ``query_labels`` and ``database_labels``.

    Returns
    -------
    set of str
        ``{"label_map_at_<k>", "label_precision_at_<n>"}`` with the cut-offs lowered to the
        database size, or the empty set.
    """
    if getattr(protocol, "query_labels", None) is None or getattr(protocol, "database_labels", None) is None:
        return set()
    k, n = _label_cutoffs(len(protocol.database))
    return {f"label_map_at_{k}", f"label_precision_at_{n}"}


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
    store: Any = DEFAULT,
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
    store : RunStore, DEFAULT or None

    Returns
    -------
    dict
        One record with the keys of :data:`RECORD_COLUMNS`.
    """
    hasher = make_hasher(method, n_bits, seed=seed, **dict(params or {}))
    return evaluate_hasher(hasher, protocol, groundtruth, store=store)


def _stored_record(store, hasher, protocol, groundtruth, train_fingerprint, *, count=True):
    """The record of this exact fit and evaluation from the store, or None; counted as a hit unless
    ``count`` is false (the caller then reads the model too, which counts it)."""
    from sigah.store import _count

    key, _ = fit_key(hasher, train_fingerprint)
    record = store.get_record(key, _evaluation_key(protocol, groundtruth))
    if record is None or set(record) != set(RECORD_COLUMNS) | label_columns(protocol):
        return None
    if count:
        _count("hit", hasher, key, record["fit_seconds"])
    return {**record, "from_store": True}


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
    cache_dir: Any = DEFAULT_CACHE_DIR,
    progress: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    store: Any = DEFAULT,
    return_models: bool = False,
    per_query: bool = False,
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
        Ground-truth cache (default: beside the store of runs).
    progress : bool
        Show a progress bar.
    on_record : callable, optional
        Called with each record as soon as it is computed (e.g. to print it).
    store : RunStore, path, DEFAULT or None
        The store of runs: fits (and records) stored before are read back, new ones are stored.
        ``DEFAULT`` is the shared store (``SIGAH_CACHE``); ``None`` fits everything afresh.
    return_models : bool
        Also return the fitted models.
    per_query : bool
        Also return every record's scores query by query (read from the store when stored).

    Returns
    -------
    records : pandas.DataFrame
        One row per record, columns :data:`RECORD_COLUMNS`.
    models : dict, only if ``return_models``
        ``{(method, bits, seed): fitted hasher}``.
    per_query_scores : dict, only if ``per_query`` (last)
        ``{(method, bits, seed): {score name: numpy.ndarray of shape (n_queries,)}}``; turn it into
        the (seeds × queries) grids of :mod:`sigah.stats` with :func:`score_grid`.
    """
    import pandas as pd
    from sigah.progress import progress_bar

    methods = [m.strip().lower() for m in methods]
    bits = [int(b) for b in bits]
    if not methods or not bits:
        raise ValueError("run_grid needs at least one method and one code length")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    params = dict(params or {})
    overrides = dict(bits_override or {})
    store = resolve_store(store)
    groundtruth = ground_truth_for(protocol, k, cache_dir=cache_dir)
    train_fingerprint = data_fingerprint(protocol.train) if store is not None else None
    jobs = []
    for method in methods:
        method_bits = [overrides[method]] if method in overrides else bits
        for b in method_bits:
            for r in range(repeats):
                jobs.append((method, b, seed + r))
    records, models, query_scores = [], {}, {}
    bar = progress_bar(jobs, enabled=progress, desc="methods × bits × seeds", leave=False)
    for method, b, s in bar:
        bar.set_postfix_str(f"{method} {b} bits seed {s}")
        hasher = make_hasher(method, b, seed=s, **dict(params.get(method) or {}))
        record = scores = None
        if store is not None:  # a stored record is not scored again (the model is read only when asked for)
            record = _stored_record(store, hasher, protocol, groundtruth, train_fingerprint, count=not return_models)
            if record is not None and per_query:
                scores = _stored_scores(store, hasher, protocol, groundtruth, train_fingerprint)
                record = None if scores is None else record
            if record is not None and return_models and not load_stored_fit(hasher, train_fingerprint, store=store):
                record = None  # the record outlived its model: fit, encode and score afresh below
        if record is None:
            record, scores = evaluate_hasher(hasher, protocol, groundtruth, store=store, progress=progress,
                                             per_query=True, _train_fingerprint=train_fingerprint)
        if return_models:
            models[(method, b, s)] = hasher
        records.append(record)
        query_scores[(method, b, s)] = scores
        if on_record is not None:
            on_record(record)
    frame = pd.DataFrame.from_records(records, columns=record_columns(records))
    out = (frame, models) if return_models else (frame,)
    out = (*out, query_scores) if per_query else out
    return out if len(out) > 1 else frame


def _stored_scores(store, hasher, protocol, groundtruth, train_fingerprint):
    """The per-query scores of this exact fit and evaluation from the store, or None."""
    key, _ = fit_key(hasher, train_fingerprint)
    return store.get_scores(key, _evaluation_key(protocol, groundtruth))


def score_grid(per_query_scores: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]], method: str, bits: int,
               metric: str, seeds: Iterable[int] | None = None) -> np.ndarray:
    """One method's per-query scores as a (seeds × queries) grid, the input of :mod:`sigah.stats`.

    Parameters
    ----------
    per_query_scores : mapping
        ``{(method, bits, seed): {metric: array (n_queries,)}}`` from :func:`run_grid` with
        ``per_query=True``.
    method : str
    bits : int
    metric : str
        A score name, e.g. ``"map_pr_area"``.
    seeds : iterable of int, optional
        Rows in this order (pair two methods by passing the same seeds); default every seed of
        ``(method, bits)`` in increasing order.

    Returns
    -------
    numpy.ndarray, shape (n_seeds, n_queries)
    """
    available = sorted(s for (m, b, s) in per_query_scores if m == method and b == bits)
    seeds = available if seeds is None else [int(s) for s in seeds]
    missing = [s for s in seeds if s not in available]
    if not seeds or missing:
        raise ValueError(f"no per-query scores of {method} at {bits} bits for seed(s) {missing or seeds}; "
                         f"available seeds: {available}")
    rows = [per_query_scores[(method, bits, s)] for s in seeds]
    if metric not in rows[0]:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(rows[0])}")
    return np.stack([np.asarray(row[metric], dtype=np.float64) for row in rows])


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
