"""The timed fits of chapter *Training time*: loops that measure, and their place in the store of runs.

This module only measures (no sentences, no verdicts), so that the source hash that keys a stored
study (:func:`stored_timing`, :mod:`sigah.stored_results`) names the code that timed it and the
hashers timed, not the wording around it: an edit of the chapter's prose or of the verdict rules
reads the studies back, an edit of a timed method measures them again.

:func:`fit_time_scaling` times one fit per method and training-set size; :func:`repeated_fit_times`
repeats it over seeds; :func:`scaling_study` runs, in one go, the size sweep, its repetition at the
smallest and largest sizes and the same fits on a longer schedule, so that every time a comparison
of chapter *Training time* pairs was measured in one run; :func:`dimension_study` times the fits on
random projections of a sample to fewer dimensions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah.store import DEFAULT
from sigah.stored_results import Provenance, computed_or_stored

__all__ = ["fit_time_scaling", "repeated_fit_times", "scaling_study", "dimension_study", "stored_timing"]


def fit_time_scaling(
    X: np.ndarray,
    methods: Iterable[str],
    sizes: Iterable[int],
    *,
    n_bits: int,
    seed: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    bits_override: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Wall-clock seconds of one ``fit`` per method on the first ``n`` rows of a shuffled ``X``, per size.

    Parameters
    ----------
    X : numpy.ndarray, shape (n_max, d), float32
        Training vectors; each size ``n`` uses a random subset of ``n`` rows (nested: the subset of a
        smaller size is contained in that of a larger one).
    methods : iterable of str
    sizes : iterable of int
        Training-set sizes, each at most ``n_max``.
    n_bits : int
    seed : int
        Seed of the subsets and of every method.
    params : mapping, optional
        ``{method: {argument: value}}``.
    bits_override : mapping, optional
        ``{method: n_bits}`` for methods with a code length of their own (QoLSH).

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``bits``, ``n``, ``d``, ``fit_seconds``.
    """
    from sigah.hashers import make_hasher

    sizes = [int(n) for n in sizes]
    if not sizes or min(sizes) < 1 or max(sizes) > len(X):
        raise ValueError(f"sizes must lie in [1, {len(X)}] (the rows of X), got {sizes}")
    order = np.random.default_rng(seed).permutation(len(X))
    rows = []
    for method in methods:
        b = (bits_override or {}).get(method, n_bits)
        for n in sizes:
            train = np.ascontiguousarray(X[np.sort(order[:n])])
            hasher = make_hasher(method, b, seed=seed, **dict((params or {}).get(method, {})))
            start = time.perf_counter()
            hasher.fit(train)
            rows.append({"method": method, "bits": b, "n": n, "d": X.shape[1],
                         "fit_seconds": time.perf_counter() - start})
    return pd.DataFrame(rows)


def repeated_fit_times(X: np.ndarray, methods: Sequence[str], sizes: Sequence[int], *, seeds: Sequence[int],
                       n_bits: int, params: Mapping[str, Mapping[str, Any]],
                       first: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fit times of ``methods`` at ``sizes``, one fit per seed, all timed in this call.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
        Training vectors (:func:`fit_time_scaling` draws the subsets).
    methods : sequence of str
    sizes : sequence of int
        Training-set sizes.
    seeds : sequence of int
        Seeds of the subsets and the methods.
    n_bits : int
    params : mapping
        ``{method: {argument: value}}`` the fits run with (the scaling study's short schedules).
    first : pandas.DataFrame, optional
        :func:`fit_time_scaling` rows measured in the same run with ``seeds[0]``; those fits are
        not repeated (a method they lack is measured).

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``seed``, ``n``, ``fit_seconds``.
    """
    frames = []
    for i, s in enumerate(seeds):
        todo = list(methods)
        if i == 0 and first is not None:  # reuse the first seed's fits, measure only what they lack
            rows = first[first["method"].isin(methods) & first["n"].isin(sizes)]
            complete = {m for m in methods if set(sizes) <= set(rows.loc[rows["method"] == m, "n"])}
            frames.append(rows[rows["method"].isin(complete)].assign(seed=int(s)))
            todo = [m for m in methods if m not in complete]
        if todo:
            frames.append(fit_time_scaling(X, todo, sizes, n_bits=n_bits, seed=int(s), params=params)
                          .assign(seed=int(s)))
    return pd.concat(frames, ignore_index=True)[["method", "seed", "n", "fit_seconds"]]


def scaling_study(X: np.ndarray, methods: Sequence[str], sizes: Sequence[int], *, n_bits: int, seeds: Sequence[int],
                  params: Mapping[str, Mapping[str, Any]], repeat_methods: Sequence[str],
                  longer_params: Mapping[str, Mapping[str, Any]], longer_methods: Sequence[str],
                  bits_override: Mapping[str, int] | None = None) -> dict[str, pd.DataFrame]:
    """Fit time against ``n``, repeated over seeds at the end sizes, and on a longer schedule, in one run.

    Parameters
    ----------
    X : numpy.ndarray, shape (n_max, d)
    methods : sequence of str
        Methods of the size sweep.
    sizes : sequence of int
        Training-set sizes of the sweep; the repetitions use the smallest and the largest.
    n_bits : int
    seeds : sequence of int
        The first seeds the sweep (and the subsets); all of them the repetitions.
    params : mapping
        ``{method: {argument: value}}`` of the sweep and the repetitions.
    repeat_methods : sequence of str
        Methods repeated over ``seeds``.
    longer_params : mapping
        The longer schedule's settings (:func:`sigah.studies.timing_claims.longer_schedules`).
    longer_methods : sequence of str
        Methods timed on it, with every seed at both end sizes.
    bits_override : mapping, optional
        ``{method: n_bits}`` of the sweep (QoLSH).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"by size"`` (:func:`fit_time_scaling`), ``"repeated"`` and ``"longer"``
        (:func:`repeated_fit_times`).
    """
    ends = [min(sizes), max(sizes)]
    by_size = fit_time_scaling(X, methods, sizes, n_bits=n_bits, seed=int(seeds[0]), params=params,
                               bits_override=bits_override)
    repeated = repeated_fit_times(X, repeat_methods, ends, seeds=seeds, n_bits=n_bits, params=params, first=by_size)
    longer = repeated_fit_times(X, longer_methods, ends, seeds=seeds, n_bits=n_bits, params=longer_params)
    return {"by size": by_size, "repeated": repeated, "longer": longer}


def dimension_study(sample: np.ndarray, methods: Sequence[str], dims: Iterable[int], *, n_bits: int, seed: int,
                    params: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Fit time against the dimension: ``sample`` projected to each of ``dims`` by a Gaussian matrix.

    The projections ``N(0, 1/d)`` keep the geometry approximately, so every method still has
    something to learn; the sample's own dimension is always timed, unprojected. QoLSH runs at as
    many bits as dimensions (rounded up to a multiple of 8).

    Parameters
    ----------
    sample : numpy.ndarray, shape (n, D)
    methods : sequence of str
    dims : iterable of int
        Dimensions below ``D`` (larger ones are left out).
    n_bits : int
    seed : int
        Seed of the projections and of every method.
    params : mapping

    Returns
    -------
    pandas.DataFrame
        :func:`fit_time_scaling`'s columns, one row per method and dimension.
    """
    rng = np.random.default_rng([int(seed), 2])
    D = sample.shape[1]
    frames = []
    for d in sorted({int(d) for d in dims if d < D} | {D}):
        X = sample if d == D else sample @ (rng.standard_normal((D, d)) / np.sqrt(d))
        frames.append(fit_time_scaling(np.asarray(X, np.float32), methods, [len(sample)], n_bits=n_bits, seed=seed,
                                       params=params, bits_override={"qolsh": 8 * -(-d // 8)}))
    return pd.concat(frames, ignore_index=True)


def stored_timing(name: str, measure: Callable[[], Any], *, methods: Iterable[str], reuse: bool = True,
                  store: Any = DEFAULT, **inputs: Any) -> tuple[Any, Provenance]:
    """A timing study measured now, or read back from the store of runs when nothing it depends on changed.

    The key (:func:`sigah.stored_results.result_key`) names ``name``, ``methods``, the ``inputs``
    (training arrays by their content) and the code of this module and of each method's hasher: a
    rebuild after an edit of the text reads the study back, an edit of a timed method measures it
    again. A time read back was measured by that earlier run, on its machine and under its load;
    the chapter says so (:func:`sigah.studies.timing_report.study_sources`).

    Parameters
    ----------
    name : str
        The study, e.g. ``"fit_time_scaling"``.
    measure : callable
        Runs the study and returns its frame (default index) or ``{name: frame}``.
    methods : iterable of str
        Registry names of the methods it times.
    reuse : bool
        False times the study again (and stores the new times).
    store : DEFAULT, path or None
        Results folder (:func:`sigah.stored_results.computed_or_stored`; None: keep nothing).
    **inputs
        Everything else the times depend on (sizes, seeds, settings, arrays, thread counts).

    Returns
    -------
    result
        What ``measure`` returned, or its stored copy.
    provenance : sigah.stored_results.Provenance
    """
    methods = list(methods)
    modules = [__name__, *(f"sigah.hashers.{m}" for m in sorted(set(methods)))]
    return computed_or_stored(name, {"methods": methods, **inputs}, measure, modules=modules, reuse=reuse,
                              store=store)
