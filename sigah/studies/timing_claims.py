"""Verdicts on the paper's efficiency claims (E01-E04, E06), from fit times measured together in one run.

A fit read from the store of runs one by one keeps the time of the run that made it (another build,
machine or load), so every time verdict here rests on fits **timed together, one study in one run**:
the scaling study's fits of chapter *Training time*, repeated over a few seeds
(:func:`sigah.studies.fit_timing.scaling_study`). The chapter may read the whole study back from the
store when nothing it depends on changed, and then names the run, its date and its CPU under the
study's table. Two methods run a
short schedule there (a share of SGH's iterations and SiGAH's epochs), and are timed at two
schedule lengths (:func:`longer_schedules`): the difference of the two times over the difference
of their optimiser steps is the time per step, free of the fixed cost of a fit (building the
model, the first pass), and the full schedule's time is modelled as that fixed cost plus the time
per step times the full schedule's steps (:func:`full_schedule_seconds`). That time is derived
from two timed schedules, not timed itself, and the notes say so.

E05 (every method searched "with the same search time") is not tested: an exhaustive Hamming scan
of codes of one length costs the same whatever method made them, so the sentence states the
protocol of the paper's Fig. 3, not a result (``data/claims.csv`` gives the reason).

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

from sigah.studies.claims import below_tolerance, reading_of
from sigah.studies.fit_timing import repeated_fit_times  # re-exported: measured there, read here

__all__ = [
    "ORDERING",
    "FASTER_THAN",
    "STEP_TOLERANCE",
    "SCHEDULE_FACTOR",
    "longer_schedules",
    "repeated_fit_times",
    "full_schedule_seconds",
    "log_times",
    "time_family",
    "retrieval_family",
    "chapter_verdicts",
    "rescaled_note",
]

#: Table 3's ordering of fit times, as pairs (slower, faster): ITQ < OCH < SiGAH < SGH, BA
ORDERING = (("och", "itq"), ("sigah", "och"), ("sgh", "sigah"), ("ba", "sigah"))
#: the methods Table 3 shows slower than SiGAH ("even less training time")
FASTER_THAN = ("ba", "sgh")
#: tolerance of "scales" (E06) on the log time per optimiser step: at most a factor 1.25 more per
#: step on the larger training set
STEP_TOLERANCE = float(np.log(1.25))
#: the second timed schedule is this many times the first one's steps
SCHEDULE_FACTOR = 2
#: what the full-schedule times of SGH and SiGAH are, for the notes
_DERIVED = ("derived from two timed schedule lengths: fixed cost plus time per step times the full "
            "schedule's steps")

_LABELS = {"itq": "ITQ", "och": "OCH", "sigah": "SiGAH", "sgh": "SGH", "ba": "BA", "lsh": "LSH", "sph": "SpH",
           "qolsh": "QoLSH"}


def _label(method: str) -> str:
    return _LABELS.get(method, method)


def longer_schedules(params: Mapping[str, Mapping[str, Any]], factor: int = SCHEDULE_FACTOR) -> dict[str, dict[str, Any]]:
    """``params`` with SGH's iterations and SiGAH's epochs multiplied by ``factor``: the second timed schedule.

    Parameters
    ----------
    params : mapping
        ``{method: {argument: value}}`` of the short schedules
        (:func:`sigah.studies.timing.short_schedules`); missing arguments take the class defaults.
    factor : int
        At least 2.

    Returns
    -------
    dict
        A copy of ``params`` with ``sgh`` and ``sigah`` lengthened (both present in the result).
    """
    from sigah.hashers import make_hasher

    if int(factor) != factor or factor < 2:
        raise ValueError(f"factor must be an integer of at least 2, got {factor}")
    out = {method: dict(p) for method, p in params.items()}
    for method, name in (("sgh", "n_iter"), ("sigah", "epochs")):
        short = getattr(make_hasher(method, 8, **out.get(method, {})), name)
        out[method] = out.get(method, {}) | {name: int(short) * int(factor)}
    return out


def full_schedule_seconds(times: pd.DataFrame, run_params: Mapping[str, Mapping[str, Any]],
                          full_params: Mapping[str, Mapping[str, Any]], *, longer: pd.DataFrame,
                          longer_params: Mapping[str, Mapping[str, Any]], at: int | None = None) -> pd.DataFrame:
    """Each fit's time with the full schedule, at the measured ``n`` or extrapolated to ``at``.

    A method with a step schedule (:func:`sigah.studies.timing.optimiser_steps`) is timed at two
    schedule lengths, ``times`` (``run_params``) and ``longer`` (``longer_params``), on the same
    seed and ``n``: its time per step is ``(t_long − t_short) / (s_long − s_short)``, its fixed
    cost ``t_short − per_step · s_short``, and its full time ``fixed + per_step · s_full`` with the
    full schedule's steps at ``n`` (or at ``at``). Without ``at`` the other methods keep their
    measured time (they ran their full settings); with ``at`` they are extrapolated along the
    power law ``t ∝ n^b`` fitted to the first seed's sizes.

    Returns
    -------
    pandas.DataFrame
        ``times`` with ``full_seconds`` and ``seconds_per_step`` (NaN for a method without a step
        schedule, and where the longer schedule did not take longer: that fit's full time is then
        the longer schedule's time rescaled by the ratio of steps); with ``at``, one row per method
        and seed, from its largest ``n``.

    Raises
    ------
    ValueError
        When a fit with a step schedule has no longer twin in ``longer``, or the two schedules
        have the same number of steps.
    """
    from sigah.studies.timing import loglog_slope, optimiser_steps

    times = times.copy()
    twins = {(r.method, int(r.seed), int(r.n)): float(r.fit_seconds) for r in longer.itertuples()}
    if at is not None:
        first = times[times["seed"] == times["seed"].min()]
        exponents = {m: loglog_slope(g["n"], g["fit_seconds"])[0] if g["n"].nunique() > 1 else 1.0
                     for m, g in first.groupby("method")}
        times = times.loc[times.groupby(["method", "seed"])["n"].idxmax()].reset_index(drop=True)
    full, per_step = [], []
    for r in times.itertuples():
        target = int(r.n) if at is None else int(at)
        steps_full = optimiser_steps(r.method, target, full_params.get(r.method))
        if steps_full is None:
            per_step.append(float("nan"))
            full.append(r.fit_seconds * (1.0 if at is None else (target / r.n) ** exponents[r.method]))
            continue
        key = (r.method, int(r.seed), int(r.n))
        if key not in twins:
            raise ValueError(f"no fit of {r.method!r} with the longer schedule at seed {r.seed}, n = {r.n}")
        short = optimiser_steps(r.method, int(r.n), run_params.get(r.method))
        long = optimiser_steps(r.method, int(r.n), longer_params.get(r.method))
        if long <= short:
            raise ValueError(f"the longer schedule of {r.method!r} must take more steps than the short one, "
                             f"got {long} and {short}")
        step = (twins[key] - r.fit_seconds) / (long - short)
        if step > 0:
            per_step.append(step)
            full.append(r.fit_seconds + step * (steps_full - short))
        else:  # load noise larger than the extra steps' cost: no time per step to read
            per_step.append(float("nan"))
            full.append(twins[key] * steps_full / long)
    return times.assign(full_seconds=full, seconds_per_step=per_step)


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


def rescaled_note(times: pd.DataFrame) -> str:
    """How many full times :func:`full_schedule_seconds` rescaled because the longer schedule did not take longer.

    Parameters
    ----------
    times : pandas.DataFrame
        :func:`full_schedule_seconds` output (``method``, ``seconds_per_step``).

    Returns
    -------
    str
        ``"; for 1 of 6 fits with a step schedule ..."`` to append to a note, empty when none.
    """
    if "seconds_per_step" not in times:  # times not modelled by full_schedule_seconds: nothing rescaled
        return ""
    stepped = times[times["method"].isin(["sgh", "sigah"])]
    rescaled = int(stepped["seconds_per_step"].isna().sum())
    if not rescaled:
        return ""
    return (f"; for {rescaled} of {len(stepped)} fits with a step schedule the longer schedule did not take "
            "longer (load noise above the extra steps' cost), and the full time is the longer schedule's "
            "rescaled by the ratio of steps")


def chapter_verdicts(times: pd.DataFrame, at_scale: pd.DataFrame, retrieval: Any, *,
                     n: int, n_star: int, n_small: int, margin: float) -> dict[str, dict[str, Any]]:
    """Chapter *Training time*'s verdict on each efficiency claim it tests, as ``record_verdict`` arguments.

    Parameters
    ----------
    times : pandas.DataFrame
        :func:`full_schedule_seconds` of :func:`repeated_fit_times` (``method``, ``seed``, ``n``,
        ``full_seconds``, ``seconds_per_step``), at ``n`` and ``n_small``, every method of
        :data:`ORDERING`.
    at_scale : pandas.DataFrame
        The same fits extrapolated to ``n_star`` (:func:`full_schedule_seconds` with ``at``).
    retrieval : sigah.stats.Family
        PR-area mAP, ``"SiGAH − BA, <b> bits"`` and ``"SiGAH − SGH, <b> bits"`` (margin ``margin``).
    n, n_star, n_small : int
        The training-set size timed, the size extrapolated to, the smallest size timed.
    margin : float
        The retrieval equivalence margin (PR-area mAP).

    Returns
    -------
    dict
        Claim id → keyword arguments of :func:`sigah.studies.claims.record_verdict` after the id
        (E01-E04, E06).
    """

    order = time_family(times, ORDERING, n=n)
    slower = [f"{_label(m)} − SiGAH" for m in FASTER_THAN]
    ratios = {f"{label}, time ratio": float(np.exp(order[label].effect)) for label in order.labels}
    timed = (f"SGH's and SiGAH's full schedules {_DERIVED}; the others timed together in one run"
             + rescaled_note(times[times["n"] == n]))
    out = {}
    out["E01"] = reading_of(
        {label: order[label] for label in slower} | dict(zip(retrieval.labels, retrieval.comparisons)),
        ["higher"] * len(slower) + ["competitive"] * len(retrieval), measured=ratios,
        note=f"log fit time (n = {n:,}; {timed}) of BA and SGH minus SiGAH's must be higher, and SiGAH's "
             f"PR-area mAP minus theirs equivalent within ±{margin:g} or higher, at every code length "
             "(paired over seeds, and queries for mAP; Holm per family)")
    out["E02"] = reading_of(
        order, "higher", measured=ratios,
        note=f"Table 3's ordering ITQ < OCH < SiGAH < SGH, BA read as four paired comparisons of log fit "
             f"time (n = {n:,}; {timed}), Holm together; held when every one is higher")
    out["E03"] = reading_of(
        {"BA − SiGAH": order["BA − SiGAH"]}, "higher", measured=ratios,
        note=f"log fit time of BA (timed in the same study) minus SiGAH's (full schedule {_DERIVED}), n = {n:,}, "
             "paired over seeds, within the family of Table 3's ordering; held when higher (only time is "
             f"measured, not memory){rescaled_note(times[times['n'] == n])}")
    big = time_family(at_scale, [(m, "sigah") for m in FASTER_THAN])
    out["E04"] = reading_of(
        big, "higher",
        measured={f"{label}, time ratio at n*": float(np.exp(c.effect))
                  for label, c in zip(big.labels, big.comparisons)},
        note=f"log fit time extrapolated to n* = {n_star:,} (SGH and SiGAH: fixed cost plus time per step, "
             "from two timed schedule lengths, times the full steps at n*; BA along its fitted power law) "
             "of BA and SGH minus SiGAH's, paired over seeds, Holm; held when both higher (storage is not "
             f"compared: every method stores k bits a vector){rescaled_note(at_scale)}")
    out["E06"] = _step_time_reading(times, n=n, n_small=n_small)
    return out


def _step_time_reading(times: pd.DataFrame, *, n: int, n_small: int) -> dict[str, Any]:
    """E06: SiGAH's time per optimiser step does not grow with ``n`` beyond :data:`STEP_TOLERANCE`.

    The log ratio of the time per step at ``n`` over ``n_small``, paired over seeds, read against
    the tolerance by :func:`sigah.stats.against_tolerance`: held when its interval lies below (a
    step that costs less on more data scales too), not held when above, inconclusive otherwise.
    """
    from sigah.stats import estimate_mean

    small, large = (times[(times["method"] == "sigah") & (times["n"] == size)].sort_values("seed")
                    for size in (n_small, n))
    per_step = {size: part["seconds_per_step"].to_numpy(dtype=float) for size, part in ((n_small, small), (n, large))}
    rule = (f"SiGAH's time per optimiser step (from two timed schedule lengths, so without a fit's fixed cost) "
            f"at n = {n:,} over n = {n_small:,}, log ratio paired over seeds; held when its interval lies below "
            f"log {np.exp(STEP_TOLERANCE):.2f} = {STEP_TOLERANCE:.2f} (the step grows by less than a factor "
            f"{np.exp(STEP_TOLERANCE):.2f}), not held when above")
    measured = {f"seconds per step, n = {size:,}": values.tolist() for size, values in per_step.items()}
    usable = np.isfinite(per_step[n]) & np.isfinite(per_step[n_small])
    if usable.sum() < 2:
        return dict(verdict="inconclusive", smallest_detectable=STEP_TOLERANCE, measured=measured,
                    note=f"{rule}; fewer than two seeds had a longer schedule that took longer at both sizes, "
                         "so no time per step compares")
    growth = estimate_mean(np.log(per_step[n][usable]) - np.log(per_step[n_small][usable]))
    return dict(**below_tolerance(growth, STEP_TOLERANCE, n=usable.sum()),
                measured=measured | {"tolerance (log ratio)": STEP_TOLERANCE},
                note=f"{rule}; effect: log step time at the larger n minus at the smaller, "
                     f"{np.exp(growth.mean):.2f} times per step")
