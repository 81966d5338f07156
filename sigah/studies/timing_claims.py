"""Verdicts on the paper's efficiency claims (E01-E06), from fit and search times measured in this run.

Times read from the store of runs belong to the run that stored them (another build, machine or
load), so every time verdict here rests on fits timed **in this run**: the scaling study's fits of
chapter *Training time*, repeated over a few seeds (:func:`repeated_fit_times`). Two methods run a
short schedule there (a share of SGH's iterations and SiGAH's epochs); their time with the full
schedule is the time per optimiser step times the full schedule's steps
(:func:`full_schedule_seconds`), the cost model the chapter extrapolates with.

Times are compared on the log scale, paired over seeds (:func:`sigah.stats.compare_family`, Holm
over the comparisons shown together), so that an effect is a ratio of times: ``+0.69`` is twice as
long. Retrieval is compared paired over seeds and queries on PR-area mAP, with an equivalence
margin for "competitive". A claim made of several comparisons is read by
:func:`sigah.studies.claims.reading_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah.studies.claims import reading_of

__all__ = [
    "ORDERING",
    "FASTER_THAN",
    "SEARCH_MARGIN",
    "repeated_fit_times",
    "full_schedule_seconds",
    "log_times",
    "time_family",
    "retrieval_family",
    "search_times",
    "search_family",
    "chapter_verdicts",
]

#: Table 3's ordering of fit times, as pairs (slower, faster): ITQ < OCH < SiGAH < SGH, BA
ORDERING = (("och", "itq"), ("sigah", "och"), ("sgh", "sigah"), ("ba", "sigah"))
#: the methods Table 3 shows slower than SiGAH ("even less training time")
FASTER_THAN = ("ba", "sgh")
#: equivalence margin of "the same search time", on the log scale (±0.18: within a factor 1.2)
SEARCH_MARGIN = float(np.log(1.2))

_LABELS = {"itq": "ITQ", "och": "OCH", "sigah": "SiGAH", "sgh": "SGH", "ba": "BA", "lsh": "LSH", "sph": "SpH",
           "qolsh": "QoLSH"}


def _label(method: str) -> str:
    return _LABELS.get(method, method)


def repeated_fit_times(X: np.ndarray, methods: Sequence[str], sizes: Sequence[int], *, seeds: Sequence[int],
                       n_bits: int, params: Mapping[str, Mapping[str, Any]],
                       first: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fit times of ``methods`` at ``sizes``, one fit per seed, all timed in this run.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
        Training vectors (:func:`sigah.studies.timing.fit_time_scaling` draws the subsets).
    methods : sequence of str
    sizes : sequence of int
        Training-set sizes.
    seeds : sequence of int
        Seeds of the subsets and the methods.
    n_bits : int
    params : mapping
        ``{method: {argument: value}}`` the fits run with (the scaling study's short schedules).
    first : pandas.DataFrame, optional
        :func:`~sigah.studies.timing.fit_time_scaling` rows already measured in this run with
        ``seeds[0]``; those fits are not repeated (a method they lack is measured).

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``seed``, ``n``, ``fit_seconds``.
    """
    from sigah.studies.timing import fit_time_scaling

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


def full_schedule_seconds(times: pd.DataFrame, run_params: Mapping[str, Mapping[str, Any]],
                          full_params: Mapping[str, Mapping[str, Any]], *, at: int | None = None) -> pd.DataFrame:
    """Each fit time rescaled to the full schedule, at the measured ``n`` or extrapolated to ``at``.

    A method with a step schedule (:func:`sigah.studies.timing.optimiser_steps`) costs its time per
    step, measured, times the full schedule's steps at ``n`` (or at ``at``). Without ``at`` the
    other methods keep their measured time (they already ran their full settings); with ``at`` they
    are extrapolated along the power law ``t ∝ n^b`` fitted to the first seed's sizes.

    Returns
    -------
    pandas.DataFrame
        ``times`` with ``full_seconds`` (and, with ``at``, one row per method and seed, from its
        largest ``n``).
    """
    from sigah.studies.timing import loglog_slope, optimiser_steps

    times = times.copy()
    if at is not None:
        first = times[times["seed"] == times["seed"].min()]
        exponents = {m: loglog_slope(g["n"], g["fit_seconds"])[0] if g["n"].nunique() > 1 else 1.0
                     for m, g in first.groupby("method")}
        times = times.loc[times.groupby(["method", "seed"])["n"].idxmax()].reset_index(drop=True)
    full = []
    for r in times.itertuples():
        target = int(r.n) if at is None else int(at)
        steps_full = optimiser_steps(r.method, target, full_params.get(r.method))
        if steps_full is None:
            scale = 1.0 if at is None else (target / r.n) ** exponents[r.method]
        else:
            scale = steps_full / optimiser_steps(r.method, int(r.n), run_params.get(r.method))
        full.append(r.fit_seconds * scale)
    return times.assign(full_seconds=full)


def log_times(times: pd.DataFrame, method: str, *, n: int | None = None) -> np.ndarray:
    """``log(full_seconds)`` of one method, shape (n_seeds,), in increasing seed order (at ``n`` if given)."""
    rows = times[(times["method"] == method) & ((times["n"] == n) if n is not None else True)]
    if rows.empty:
        raise ValueError(f"no times of {method!r}" + (f" at n = {n}" if n is not None else ""))
    rows = rows.sort_values("seed")
    if rows["seed"].duplicated().any():
        raise ValueError(f"several times of {method!r} per seed: give n")
    return np.log(rows["full_seconds"].to_numpy(dtype=float))


def time_family(times: pd.DataFrame, pairs: Iterable[tuple[str, str]], *, n: int | None = None) -> Any:
    """Paired comparisons of log full-schedule fit times, ``a − b`` per pair, Holm over the pairs.

    Labels read ``"SGH − SiGAH"``; a positive effect means ``a`` takes longer (``exp(effect)`` times).
    """
    from sigah.stats import compare_family

    return compare_family({f"{_label(a)} − {_label(b)}": (log_times(times, a, n=n), log_times(times, b, n=n))
                           for a, b in pairs})


def retrieval_family(per_query: Mapping, bits: Sequence[int], seeds: Sequence[int], *, margin: float,
                     rivals: Sequence[str] = FASTER_THAN, metric: str = "map_pr_area") -> Any:
    """SiGAH's retrieval score minus each rival's at each code length, paired over seeds and queries.

    Parameters
    ----------
    per_query : mapping
        ``{(method, bits, seed): {metric: array (n_queries,)}}``
        (:func:`sigah.studies.retrieval.grid_with_models` with ``per_query=True``).
    bits, seeds : sequence of int
    margin : float
        Equivalence margin of "competitive", in the metric's units.
    rivals : sequence of str
    metric : str

    Returns
    -------
    sigah.stats.Family
        Labelled ``"SiGAH − BA, 32 bits"``, Holm over the family.
    """
    from sigah.stats import compare_family
    from sigah.studies.experiments import score_grid

    return compare_family({f"SiGAH − {_label(m)}, {b} bits": (score_grid(per_query, "sigah", b, metric, seeds),
                                                               score_grid(per_query, m, b, metric, seeds))
                           for m in rivals for b in bits}, margin=margin)


def search_times(codes: Mapping[str, tuple[np.ndarray, np.ndarray]], k: int, *, repeats: int,
                 best_of: int = 3, engine: str = "faiss") -> dict[str, np.ndarray]:
    """Seconds of one exhaustive Hamming k-NN search per method's codes, repeated, methods interleaved.

    ``repeats`` rounds of ``best_of`` searches per method; the fastest of each round is kept.

    Parameters
    ----------
    codes : mapping
        ``{method: (query codes, database codes)}``, packed uint8, every method at one code length.
    k : int
        Neighbours per query.
    repeats : int
        Timings per method; round ``r`` times every method once, so that a change of load during
        the measurement falls on every method alike (the rounds pair the methods).
    best_of : int
        Within a round, each method's search runs this many times and the fastest counts: a stall
        caused by another job on the machine only ever adds time.
    engine : {"faiss", "numpy"}

    Returns
    -------
    dict
        ``{method: array (repeats,)}`` of seconds.
    """
    import time

    from sigah.codes import hamming_knn

    if repeats < 2:
        raise ValueError(f"repeats must be at least 2 to pair the methods, got {repeats}")
    if best_of < 1:
        raise ValueError(f"best_of must be at least 1, got {best_of}")
    widths = {q.shape[1] for q, _ in codes.values()} | {d.shape[1] for _, d in codes.values()}
    if len(widths) != 1:
        raise ValueError(f"every method's codes must have one length, got {sorted(widths)} bytes")
    for queries, database in codes.values():  # warm every code path before timing
        hamming_knn(queries[:2], database, min(k, len(database)), engine=engine)
    out: dict[str, list[float]] = {m: [] for m in codes}
    for _ in range(repeats):
        for method, (queries, database) in codes.items():
            fastest = np.inf
            for _ in range(best_of):
                start = time.perf_counter()
                hamming_knn(queries, database, min(k, len(database)), engine=engine)
                fastest = min(fastest, time.perf_counter() - start)
            out[method].append(fastest)
    return {m: np.asarray(v) for m, v in out.items()}


def search_family(seconds: Mapping[str, np.ndarray], reference: str = "sigah", *,
                  margin: float = SEARCH_MARGIN) -> Any:
    """Every method's log search time minus the reference's, paired over rounds, with an equivalence margin."""
    from sigah.stats import compare_family

    if reference not in seconds:
        raise ValueError(f"the reference {reference!r} has no search times; got {sorted(seconds)}")
    pairs = {f"{_label(m)} − {_label(reference)}": (np.log(v), np.log(seconds[reference]))
             for m, v in seconds.items() if m != reference}
    return compare_family(pairs, margin=margin)


def chapter_verdicts(times: pd.DataFrame, at_scale: pd.DataFrame, retrieval: Any, search: Any, *,
                     n: int, n_star: int, n_small: int, margin: float) -> dict[str, dict[str, Any]]:
    """Chapter *Training time*'s verdict on each efficiency claim, as ``record_verdict`` arguments.

    Parameters
    ----------
    times : pandas.DataFrame
        :func:`full_schedule_seconds` of :func:`repeated_fit_times` (``method``, ``seed``, ``n``,
        ``full_seconds``), at ``n`` and ``n_small``, every method of :data:`ORDERING`.
    at_scale : pandas.DataFrame
        The same fits extrapolated to ``n_star`` (:func:`full_schedule_seconds` with ``at``).
    retrieval : sigah.stats.Family
        PR-area mAP, ``"SiGAH − BA, <b> bits"`` and ``"SiGAH − SGH, <b> bits"`` (margin ``margin``).
    search : sigah.stats.Family or None
        :func:`search_family` (None when fewer than two methods were searched).
    n, n_star, n_small : int
        The training-set size timed, the size extrapolated to, the smallest size timed.
    margin : float
        The retrieval equivalence margin (PR-area mAP).

    Returns
    -------
    dict
        Claim id → keyword arguments of :func:`sigah.studies.claims.record_verdict` after the id.
    """
    from sigah.stats import compare_paired

    order = time_family(times, ORDERING, n=n)
    slower = [f"{_label(m)} − SiGAH" for m in FASTER_THAN]
    ratios = {f"{label}, time ratio": float(np.exp(order[label].effect)) for label in order.labels}
    out = {}
    out["E01"] = reading_of(
        {label: order[label] for label in slower} | dict(zip(retrieval.labels, retrieval.comparisons)),
        ["higher"] * len(slower) + ["competitive"] * len(retrieval), measured=ratios,
        note=f"log fit time (full schedule, timed in this run, n = {n:,}) of BA and SGH minus SiGAH's must be "
             f"higher, and SiGAH's PR-area mAP minus theirs equivalent within ±{margin:g} or higher, at every "
             "code length (paired over seeds, and queries for mAP; Holm per family)")
    out["E02"] = reading_of(order, "higher", measured=ratios,
        note=f"Table 3's ordering ITQ < OCH < SiGAH < SGH, BA read as four paired comparisons of log fit time "
             f"(full schedule, timed in this run, n = {n:,}), Holm together; held when every one is higher")
    out["E03"] = reading_of(
        {"BA − SiGAH": order["BA − SiGAH"]}, "higher", measured=ratios,
        note=f"log fit time of BA minus SiGAH's (timed in this run, n = {n:,}), paired over seeds, within "
             "the family of Table 3's ordering; held when higher (only time is measured, not memory)")
    big = time_family(at_scale, [(m, "sigah") for m in FASTER_THAN])
    out["E04"] = reading_of(
        big, "higher",
        measured={f"{label}, time ratio at n*": float(np.exp(c.effect)) for label, c in zip(big.labels, big.comparisons)},
        note=f"log fit time extrapolated to n* = {n_star:,} (time per step × full steps; BA along its fitted "
             "power law) of BA and SGH minus SiGAH's, paired over seeds, Holm; held when both higher "
             "(storage is not compared: every method stores k bits a vector)")
    small, large = (times[(times["method"] == "sigah") & (times["n"] == size)].sort_values("seed")
                    for size in (n_small, n))
    exponent = (np.log(large["fit_seconds"].to_numpy()) - np.log(small["fit_seconds"].to_numpy())) / np.log(n / n_small)
    steps = compare_paired(np.ones_like(exponent), exponent, margin=0.1)
    out["E06"] = reading_of(
        {"1 − SiGAH exponent": steps}, "competitive",
        measured={"exponent per seed": exponent.tolist()},
        note=f"SiGAH's fit-time exponent b between n = {n_small:,} and {n:,} with steps proportional to n, "
             "per seed, against 1 (linear growth); held when b is lower than 1 or equivalent within ±0.1, "
             "not held when higher")
    if search is None:
        out["E05"] = dict(verdict="inconclusive", smallest_detectable=SEARCH_MARGIN,
                          note="fewer than two methods were searched, so no search times compare")
    else:
        out["E05"] = reading_of(
            search, "same",
            measured={f"{label}, time ratio": float(np.exp(c.effect)) for label, c in zip(search.labels, search.comparisons)},
            note=f"log seconds of one exhaustive Hamming k-NN search (faiss, the fastest of 3 per round) on each "
                 f"method's codes minus on SiGAH's, paired over interleaved rounds, Holm; held when every interval lies within "
                 f"±{SEARCH_MARGIN:.2f} (a factor 1.2)")
    return out
