"""What things cost on this machine: the hardware, fit time against data size, encoding and search throughput.

Timings only mean something beside the machine that produced them, so :func:`hardware_summary`
names it: CPU model, cores, the BLAS library and its thread count (via :mod:`threadpoolctl`), and the
versions of NumPy, TensorFlow and faiss. :func:`fit_time_scaling` times one fit per training-set size
(or dimension) and :func:`loglog_slope` fits ``log t = a + b log n``, the exponent ``b`` a reader uses
to extrapolate. Two methods train for a number of optimiser steps rather than to convergence (SGH's
iterations, SiGAH's mini-batch steps, which grow with ``n`` above a floor of ``min_steps``);
:func:`optimiser_steps` counts them and :func:`fit_time_slopes` rescales a short schedule's
extrapolated time to the full one. :func:`search_throughput` measures Hamming k-NN queries per second
as the database grows.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah.machine import cpu_model  # re-exported: the studies and benchmarks read it here
from sigah.studies.fit_timing import fit_time_scaling, stored_timing  # re-exported: the chapters read them here

__all__ = [
    "cpu_model", "hardware_summary", "fit_time_scaling", "loglog_slope", "optimiser_steps", "short_schedules", "fit_time_slopes",
    "search_throughput", "random_codes", "stored_timing",
]


def _memory_gb() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return None


def hardware_summary() -> dict[str, str]:
    """The machine and libraries behind every timing.

    Returns
    -------
    dict of str to str
        ``CPU``, ``cores`` (usable by this process / logical), ``memory``, ``BLAS`` (library, version,
        threading layer and current thread count, as :func:`threadpoolctl.threadpool_info` reports
        them), ``OpenMP``, ``NumPy``, ``TensorFlow``, ``faiss``, ``Python``, ``OS``.
    """
    from threadpoolctl import threadpool_info

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = _memory_gb()
    pools = threadpool_info()
    blas = [p for p in pools if p.get("user_api") == "blas"]
    omp = [p for p in pools if p.get("user_api") == "openmp"]
    info = {
        "CPU": cpu_model(),
        "cores": f"{usable} usable of {os.cpu_count()} logical",
        "memory": f"{memory:.1f} GB" if memory else "unknown",
        "BLAS": "; ".join(f"{p['internal_api']} {p.get('version') or ''} ({p.get('threading_layer', '?')}), "
                          f"{p['num_threads']} thread(s)" for p in blas) or "none found",
        "OpenMP": "; ".join(f"{p['internal_api']}, {p['num_threads']} thread(s)" for p in omp) or "none loaded",
        "NumPy": np.__version__,
    }
    for name, module in (("TensorFlow", "tensorflow"), ("faiss", "faiss")):
        try:
            info[name] = __import__(module).__version__
        except ImportError:
            info[name] = "not installed"
    info["Python"] = platform.python_version()
    info["OS"] = f"{platform.system()} {platform.release()}"
    return info


def loglog_slope(x: Iterable[float], y: Iterable[float]) -> tuple[float, float]:
    """Least-squares fit of ``log y = a + b log x``.

    Returns
    -------
    (b, a) : tuple of float
        The exponent ``b`` (``y ∝ x^b``) and the intercept ``a`` (natural logarithms), so that
        ``exp(a) * x**b`` extrapolates ``y``.
    """
    x, y = np.asarray(list(x), dtype=float), np.asarray(list(y), dtype=float)
    if x.size < 2 or np.unique(x).size < 2:
        raise ValueError(f"a slope needs at least two distinct x values, got {x.tolist()}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("log-log fit needs positive x and y")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope), float(intercept)


def optimiser_steps(method: str, n: int, params: Mapping[str, Any] | None = None) -> int | None:
    """Optimiser steps a fit of ``make_hasher(method, ..., **params)`` takes on ``n`` training vectors.

    SGH makes ``n_iter`` mini-batch steps whatever ``n``; SiGAH makes
    :func:`sigah.hashers.sigah.training_epochs` passes of ``ceil(n / batch_size)`` steps, i.e.
    ``max(epochs · ceil(n / batch_size), min_steps)`` rounded up to whole epochs. The other methods
    iterate to a tolerance or a fixed count over the whole data and have no step schedule.

    Parameters
    ----------
    method : str
    n : int
        Training vectors.
    params : mapping, optional
        Constructor arguments; the class defaults fill the rest.

    Returns
    -------
    int or None
        ``None`` for a method without a step schedule.
    """
    from sigah.hashers import make_hasher
    from sigah.hashers.sigah import training_epochs

    method = method.lower()
    if method not in ("sgh", "sigah"):
        return None
    hasher = make_hasher(method, 8, **dict(params or {}))
    if method == "sgh":
        return int(hasher.n_iter)
    epochs = training_epochs(n, batch_size=hasher.batch_size, epochs=hasher.epochs, min_steps=hasher.min_steps)
    return epochs * -(-int(n) // int(hasher.batch_size))


def short_schedules(params: Mapping[str, Mapping[str, Any]], share: float) -> dict[str, dict[str, Any]]:
    """``params`` with SGH's iterations and SiGAH's epochs cut to ``share`` of them (at least 1), for timing.

    SiGAH's short schedule runs with ``min_steps = 0``, so its number of steps stays proportional to
    ``epochs · n``: with the floor, every small training set would take the same ``min_steps`` steps
    and the measured times would not show how the cost grows with ``n``. :func:`fit_time_slopes`
    multiplies the extrapolated time back to the full schedule, floor included.

    Parameters
    ----------
    params : mapping
        ``{method: {argument: value}}`` of the full schedules; missing arguments take the class defaults.
    share : float
        In (0, 1].

    Returns
    -------
    dict
        A copy of ``params`` with ``sgh`` and ``sigah`` shortened (both present in the result).
    """
    from sigah.hashers import make_hasher
    from sigah.validation import check_scalar

    check_scalar(share, "share", float, min_val=0.0, max_val=1.0, include_boundaries="right")
    out = {method: dict(p) for method, p in params.items()}
    for method, name in (("sgh", "n_iter"), ("sigah", "epochs")):
        full = getattr(make_hasher(method, 8, **out.get(method, {})), name)
        out[method] = out.get(method, {}) | {name: max(1, round(full * share))}
    out["sigah"]["min_steps"] = 0
    return out


def fit_time_slopes(
    frame: pd.DataFrame,
    x: str = "n",
    *,
    extrapolate_to: float | None = None,
    run_params: Mapping[str, Mapping[str, Any]] | None = None,
    full_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Exponent ``b`` of ``t ∝ x^b`` per method and, for ``x = "n"``, the fit time extrapolated to ``n*``.

    A method with a step schedule (:func:`optimiser_steps`) costs the time per optimiser step (one
    mini-batch, whatever ``n``) times the number of steps, and may have been timed with a shorter
    schedule (``run_params``) than the one it is used with (``full_params``). Its time at ``n*`` is the
    time per step measured at the largest ``n`` (where fixed costs such as graph tracing weigh least)
    times ``steps_full(n*)``, which for SiGAH includes the floor of ``min_steps``. Other methods are
    extrapolated along the fitted power law, ``exp(a) · n*^b``.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`fit_time_scaling` output (columns ``method``, ``n``, ``d``, ``fit_seconds``).
    x : {"n", "d"}
        The column the time is regressed on (:func:`loglog_slope`).
    extrapolate_to : float, optional
        ``n*``; only with ``x = "n"``.
    run_params, full_params : mapping, optional
        ``{method: {argument: value}}`` of the timed fits and of the schedule to extrapolate to.

    Returns
    -------
    pandas.DataFrame
        Indexed by the method's label: ``exponent b``, ``largest <x> measured``, ``t at largest (s), as
        run``; with ``extrapolate_to`` also ``time per step (s)`` and ``steps at n*, full schedule``
        (NaN without a schedule) and ``t at n* (s), full schedule, extrapolated``.

    Raises
    ------
    ValueError
        No method was measured at two values of ``x``, or ``extrapolate_to`` with ``x != "n"``.
    """
    from sigah.studies.plotting import method_label

    if extrapolate_to is not None and x != "n":
        raise ValueError(f"fit times are extrapolated in the number of training vectors n, not in {x!r}")
    rows = []
    for method, group in frame.groupby("method", sort=False):
        if group[x].nunique() < 2:
            continue
        b, a = loglog_slope(group[x], group["fit_seconds"])
        row = {"method": method_label(method), "exponent b": b, f"largest {x} measured": int(group[x].max()),
               "t at largest (s), as run": float(group.loc[group[x].idxmax(), "fit_seconds"])}
        if extrapolate_to is not None:
            n_star, n_max = int(extrapolate_to), int(group[x].max())
            full = optimiser_steps(method, n_star, (full_params or {}).get(method))
            if full is None:
                per_step, t_star = np.nan, float(np.exp(a) * n_star**b)
            else:
                per_step = row["t at largest (s), as run"] / optimiser_steps(method, n_max, (run_params or {}).get(method))
                t_star = per_step * full
            row |= {"time per step (s)": per_step, "steps at n*, full schedule": np.nan if full is None else full,
                    "t at n* (s), full schedule, extrapolated": t_star}
        rows.append(row)
    if not rows:
        raise ValueError(f"a slope needs at least two values of {x}; widen the sizes measured")
    return pd.DataFrame(rows).set_index("method")


def random_codes(n: int, n_bits: int, seed: int = 0) -> np.ndarray:
    """``n`` uniformly random packed codes, shape (n, n_bits // 8), uint8 (for throughput only)."""
    return np.random.default_rng(seed).integers(0, 256, size=(int(n), int(n_bits) // 8), dtype=np.uint8)


def search_throughput(
    database_sizes: Iterable[int],
    *,
    n_bits: int = 64,
    k: int = 100,
    n_queries: Mapping[str, int] | None = None,
    seed: int = 0,
    threads: int | None = None,
) -> pd.DataFrame:
    """Hamming k-NN queries per second on random codes, faiss ``IndexBinaryFlat`` against the NumPy scan.

    Both engines are :func:`sigah.codes.hamming_knn`; the timed part excludes drawing the codes.
    The NumPy engine computes every distance and sorts them, so it gets fewer queries.

    Parameters
    ----------
    database_sizes : iterable of int
    n_bits : int
    k : int
        Neighbours per query (at most the smallest database).
    n_queries : mapping, optional
        Queries per engine (default ``{"faiss": 1000, "numpy": 20}``).
    seed : int
    threads : int, optional
        faiss's OpenMP threads during the measurement (``None``: faiss's default). On a machine shared
        with other jobs, more than one thread can make faiss many times slower, not faster.

    Returns
    -------
    pandas.DataFrame
        Columns ``engine``, ``n_database``, ``n_queries``, ``seconds``, ``queries_per_second``.
    """
    from sigah.codes import hamming_knn

    import faiss

    n_queries = dict(n_queries or {"faiss": 1000, "numpy": 20})
    warm = random_codes(64, n_bits, seed)
    for engine in n_queries:  # touch every code path before timing
        hamming_knn(warm[:2], warm, 4, engine=engine)
    default_threads = faiss.omp_get_max_threads()
    if threads is not None:
        faiss.omp_set_num_threads(int(threads))
    try:
        return _search_rows(database_sizes, n_bits, k, n_queries, seed)
    finally:
        faiss.omp_set_num_threads(default_threads)


def _search_rows(database_sizes, n_bits, k, n_queries, seed) -> pd.DataFrame:
    from sigah.codes import hamming_knn

    rows = []
    for n_db in database_sizes:
        database = random_codes(n_db, n_bits, seed)
        for engine, nq in n_queries.items():
            queries = random_codes(nq, n_bits, seed + 1)
            start = time.perf_counter()
            hamming_knn(queries, database, min(k, int(n_db)), engine=engine)
            seconds = time.perf_counter() - start
            rows.append({"engine": engine, "n_database": int(n_db), "n_queries": nq, "seconds": seconds,
                         "queries_per_second": nq / seconds})
    return pd.DataFrame(rows)

