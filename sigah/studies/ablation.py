"""Ablation runs and their verdicts: is a variant's score different from the baseline's?

An ablation trains the same method under several *variants* (a switch off, a weight scaled, another
activation), each with the same seeds, and asks whether a variant's score differs from the
baseline's. Every verdict comes from :mod:`sigah.stats`: the variant and the baseline are compared
**paired** on the seeds they share (and on the queries, when the records carry per-query scores,
``<metric>_per_query`` columns from ``run_variants(..., per_query=True)``), all the comparisons of
one table are corrected together (Holm), and a comparison is called **higher** or **lower** when its
corrected 95 % interval excludes zero, **equivalent** only within a margin the caller states, and
otherwise **inconclusive**, with the smallest effect the design could have detected. With one seed
and no per-query scores there is no interval and no verdict.

Runs go through :func:`sigah.studies.experiments.run_grid`, so a variant equal to a configuration
fitted elsewhere in the book can be read back from the store of runs instead of being refitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats
from sigah.studies.experiments import run_grid

__all__ = [
    "VERDICTS", "NO_INTERVAL", "effect", "compare_to_baseline", "run_variants", "run_on_datasets", "effect_sentence",
    "log_grid", "mean_std_table",
]

#: the verdict of a comparison that has no interval: one seed, no per-query scores
NO_INTERVAL = "no interval (one seed)"
#: the verdicts :func:`effect` and :func:`compare_to_baseline` return
VERDICTS = (*stats.VERDICTS, NO_INTERVAL)

#: suffix of a record column holding a run's per-query scores of a metric
PER_QUERY_SUFFIX = "_per_query"


def effect(baseline: Iterable[float], variant: Iterable[float], *, margin: float | None = None) -> dict[str, Any]:
    """Mean ± standard deviation of two paired sets of runs and the verdict on their difference.

    Parameters
    ----------
    baseline, variant : iterable of float
        One score per seed, the same seeds in the same order (paired).
    margin : float, optional
        Equivalence margin (:func:`sigah.stats.compare_paired`).

    Returns
    -------
    dict
        The columns of :func:`compare_to_baseline` (one comparison, uncorrected).

    Raises
    ------
    ValueError
        If either set is empty or holds a non-finite score, or the two sets differ in length.
    """
    a = np.asarray(list(baseline), dtype=np.float64)
    b = np.asarray(list(variant), dtype=np.float64)
    for name, values in (("baseline", a), ("variant", b)):
        if values.size == 0:
            raise ValueError(f"{name} needs at least one score, got none")
        if not np.isfinite(values).all():
            raise ValueError(f"{name} scores must be finite, got {values.tolist()}")
    if a.shape != b.shape:
        raise ValueError(f"paired runs need one score per seed on both sides, got {a.size} and {b.size}")
    comparison = stats.compare_paired(b, a, margin=margin) if a.size > 1 else None
    return _row(a, b, comparison)


def _row(baseline: np.ndarray, variant: np.ndarray, comparison: stats.Comparison | None) -> dict[str, Any]:
    """The summary of a baseline/variant pair (seed-level ``(S,)`` or ``(S, Q)`` scores)."""
    seed_base, seed_variant = _seed_means(baseline), _seed_means(variant)
    nan = float("nan")
    row = {
        "baseline_mean": float(seed_base.mean()), "baseline_std": _std(seed_base), "n_baseline": int(seed_base.size),
        "variant_mean": float(seed_variant.mean()), "variant_std": _std(seed_variant),
        "n_variant": int(seed_variant.size), "difference": float(seed_variant.mean() - seed_base.mean()),
    }
    if comparison is None:
        return row | {"low": nan, "high": nan, "confidence": nan, "p_value": nan, "p_adjusted": nan, "mde": nan,
                      "n_queries": None, "method": "none", "margin": None, "verdict": NO_INTERVAL}
    return row | {"low": comparison.low, "high": comparison.high, "confidence": comparison.confidence,
                  "p_value": comparison.p_value, "p_adjusted": comparison.p_adjusted, "mde": comparison.mde,
                  "n_queries": comparison.n_queries, "method": comparison.method, "margin": comparison.margin,
                  "verdict": comparison.verdict}


def _seed_means(scores: np.ndarray) -> np.ndarray:
    return scores if scores.ndim == 1 else scores.mean(axis=1)


def _std(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if values.size > 1 else float("nan")


def compare_to_baseline(
    records: pd.DataFrame,
    baseline: str,
    *,
    metric: str = "map_pr_area",
    by: str = "variant",
    groups: Iterable[str] = ("bits",),
    margin: float | None = None,
    method: stats.Method = "holm",
) -> pd.DataFrame:
    """Every variant against the baseline, within each group (code length, dataset), as one family.

    Each variant is paired with the baseline on the seeds both ran (the ``seed`` column) and, when
    ``records`` has a ``<metric>_per_query`` column, on the queries too; every row of the returned
    table is corrected together (:func:`sigah.stats.compare_family`).

    Parameters
    ----------
    records : pandas.DataFrame
        One row per run, with the columns ``seed``, ``by``, ``metric`` and ``groups``.
    baseline : str
        The value of ``by`` every other variant is compared with.
    metric : str
        Score column.
    by : str
        Column naming the variant.
    groups : iterable of str
        Columns inside whose values the comparison is made.
    margin : float, optional
        Equivalence margin ``δ`` (no equivalence is claimed without one).
    method : {"holm", "bonferroni", "none"}
        The family correction over the rows of the table.

    Returns
    -------
    pandas.DataFrame
        One row per (group, variant other than ``baseline``) in the order of first appearance: the group
        columns, ``by``, ``baseline_mean``, ``baseline_std``, ``n_baseline``, ``variant_mean``,
        ``variant_std``, ``n_variant`` (over the paired seeds), ``difference`` (variant − baseline),
        ``low``, ``high`` (its interval at level ``confidence``), ``p_value``, ``p_adjusted``, ``mde``
        (the minimum detectable effect at 80 % power), ``n_queries`` (None at seed level), ``method``,
        ``margin`` and ``verdict``, one of :data:`VERDICTS`.

    Raises
    ------
    ValueError
        A missing column, or a group without a baseline run.
    """
    groups = list(groups)
    missing = [c for c in ("seed", by, metric, *groups) if c not in records.columns]
    if missing:
        raise ValueError(f"records have no column(s) {missing}; they have {list(records.columns)}")
    keys, pairs = [], []
    for key, part in records.groupby(groups, sort=False) if groups else [((), records)]:
        key = key if isinstance(key, tuple) else (key,)
        base = part[part[by] == baseline]
        if base.empty:
            raise ValueError(f"no {by} = {baseline!r} run in group {dict(zip(groups, key))}")
        for name, runs in part[part[by] != baseline].groupby(by, sort=False):
            keys.append({**dict(zip(groups, key)), by: name})
            pairs.append(_paired_scores(base, runs, metric))
    testable = [i for i, (a, _) in enumerate(pairs) if a.size > 1]
    comparisons = {}
    if testable:
        family = stats.compare_family([(pairs[i][1], pairs[i][0]) for i in testable], method=method, margin=margin)
        comparisons = dict(zip(testable, family.comparisons))
    rows = [{**key, **_row(a, b, comparisons.get(i))} for i, (key, (a, b)) in enumerate(zip(keys, pairs))]
    return pd.DataFrame(rows)


def _paired_scores(base: pd.DataFrame, runs: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and variant scores on the seeds both ran: (S,), or (S, Q) with per-query scores."""
    seeds = sorted(set(base["seed"]) & set(runs["seed"]))
    if not seeds:
        raise ValueError(f"variant and baseline share no seed: {sorted(set(runs['seed']))} against "
                         f"{sorted(set(base['seed']))}")
    per_query = metric + PER_QUERY_SUFFIX
    column = per_query if per_query in base.columns and per_query in runs.columns else metric

    def scores(frame: pd.DataFrame) -> np.ndarray:
        by_seed = frame.drop_duplicates("seed").set_index("seed")[column]
        return np.stack([np.asarray(by_seed[s], dtype=np.float64) for s in seeds])

    return scores(base), scores(runs)


def _fit_grid(protocol: Any, method: str, bits: list[int], params: dict[str, Any], *, repeats: int, seed: int,
              k: int, keep_models: bool, per_query: bool = False) -> tuple[pd.DataFrame, dict]:
    """One variant through ``run_grid`` and the store of runs (its fitted models too when asked)."""
    result = run_grid(protocol, [method], bits, repeats=repeats, seed=seed, k=k, params={method: params},
                      progress=False, return_models=keep_models, per_query=per_query)
    if not per_query:
        return result if keep_models else (result, {})
    records, *models, scores = result
    records = records.copy()
    for name in next(iter(scores.values())):
        records[name + PER_QUERY_SUFFIX] = [scores[(r.method, r.bits, r.seed)][name] for r in records.itertuples()]
    return records, (models[0] if keep_models else {})


def run_variants(
    protocol: Any,
    variants: Mapping[str, Mapping[str, Any]],
    bits: Iterable[int],
    *,
    method: str = "sigah",
    base_params: Mapping[str, Any] | None = None,
    repeats: int = 1,
    seed: int = 0,
    k: int = 1000,
    keep_models: bool = False,
    per_query: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    """Run each variant of a method at every code length with seeds ``seed … seed + repeats − 1``.

    Parameters
    ----------
    protocol : sigah.data.Protocol
    variants : mapping
        ``{label: {argument: value}}``: constructor arguments of each variant on top of ``base_params``
        (``{}`` for the defaults).
    bits : iterable of int
    method : str
        A name of :data:`sigah.hashers.METHODS`.
    base_params : mapping, optional
        Arguments shared by every variant (e.g. ``{"progress": False}``).
    repeats, seed, k : int
        Seeds per variant and code length, the first seed, and ground-truth neighbours per query.
    keep_models : bool
        Also return the fitted models.
    per_query : bool
        Add a ``<score>_per_query`` column per score holding each run's per-query scores (an array of
        shape (n_queries,)), which :func:`compare_to_baseline` then pairs query by query.

    Returns
    -------
    records : pandas.DataFrame
        The columns of :data:`sigah.studies.experiments.RECORD_COLUMNS` plus ``variant``, one row per run.
    models : dict, only with ``keep_models``
        ``{(variant, bits, seed): fitted hasher}``.
    """
    if not variants:
        raise ValueError("run_variants needs at least one variant")
    bits = [int(b) for b in bits]
    base = dict(base_params or {})
    frames, models = [], {}
    for label, change in variants.items():
        records, fitted = _fit_grid(protocol, method, bits, base | dict(change), repeats=repeats, seed=seed, k=k,
                                    keep_models=keep_models, per_query=per_query)
        frames.append(records.assign(variant=label))
        models.update({(label, b, s): model for (_, b, s), model in fitted.items()})
    records = pd.concat(frames, ignore_index=True)
    return (records, models) if keep_models else records


def run_on_datasets(
    protocols: Mapping[str, Any],
    variants: Mapping[str, Mapping[str, Any]],
    bits: Iterable[int],
    *,
    k: int | Mapping[str, int] = 1000,
    keep_models: bool = False,
    memo: dict | None = None,
    **options: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    """:func:`run_variants` on several datasets, the records gaining a ``dataset`` column.

    A chapter that runs the defaults in several experiments passes one ``memo`` dict to every call:
    a (dataset, variant settings, code length) already run is then taken from it, under the new
    variant label, instead of being fitted again (the store of runs does the same across chapters).

    Parameters
    ----------
    protocols : mapping
        ``{dataset name: sigah.data.Protocol}``.
    variants, bits
        As in :func:`run_variants`.
    k : int or mapping
        Ground-truth neighbours per query, one for all or ``{dataset name: k}``.
    keep_models : bool
        Also return ``{(dataset, variant, bits, seed): fitted hasher}``.
    memo : dict, optional
        Runs already made, filled by this call; keyed by dataset, method, the variant's full
        settings, code length, seeds and ``k``.
    **options
        ``method``, ``base_params``, ``repeats``, ``seed``, ``per_query`` of :func:`run_variants`.

    Returns
    -------
    records : pandas.DataFrame
    models : dict, only with ``keep_models``
    """
    if not protocols:
        raise ValueError("run_on_datasets needs at least one protocol")
    memo = {} if memo is None else memo
    base = dict(options.pop("base_params", None) or {})
    frames, models = [], {}
    for name, protocol in protocols.items():
        k_here = int(k[name]) if isinstance(k, Mapping) else int(k)
        for label, change in variants.items():
            settings = base | dict(change)
            for b in [int(b) for b in bits]:
                key = (name, options.get("method", "sigah"), repr(sorted(settings.items())), b,
                       options.get("repeats", 1), options.get("seed", 0), k_here, options.get("per_query", False))
                if key not in memo or (keep_models and memo[key][1] is None):  # models kept only when asked
                    out = run_variants(protocol, {"run": settings}, [b], k=k_here, keep_models=keep_models, **options)
                    memo[key] = out if keep_models else (out, None)
                records, fitted = memo[key]
                fitted = fitted if keep_models else {}
                frames.append(records.assign(variant=label, dataset=name))
                models.update({(name, label, b, s): model for (_, b, s), model in fitted.items()})
    records = pd.concat(frames, ignore_index=True)
    return (records, models) if keep_models else records


def effect_sentence(row: Mapping[str, Any], *, what: str, metric_label: str = "mAP", digits: int = 4) -> str:
    """One Markdown sentence stating an effect of :func:`compare_to_baseline` and its verdict.

    Parameters
    ----------
    row : mapping
        A row of :func:`compare_to_baseline`.
    what : str
        How the comparison is named, e.g. ``"without the discriminator at 32 bits"``.
    metric_label : str
    digits : int
    """
    text = (f"{what}: {metric_label} {stats.mean_pm_std(row['variant_mean'], row['variant_std'], digits)} against "
            f"{stats.mean_pm_std(row['baseline_mean'], row['baseline_std'], digits)} over "
            f"{stats.design_phrase(int(row['n_variant']), _queries(row))}, a difference of "
            f"{stats.format_signed(row['difference'], digits)}")
    if row["verdict"] == NO_INTERVAL:
        return text + ": one seed, **no interval and no verdict**."
    interval = (f"{stats.format_interval(row['low'], row['high'], digits)} at "
                f"{100 * row['confidence']:.4g}\u00a0%" + _correction(row))
    if row["verdict"] in ("higher", "lower"):
        return text + f" ({interval}): **{row['verdict']}**."
    if row["verdict"] == "equivalent":
        return text + f" ({interval}): **equivalent within ±{row['margin']:.{digits}f}**."
    return (text + f" ({interval}): **inconclusive**; the design detects a difference of "
            f"{row['mde']:.{digits}f} or more {100 * stats.POWER:.0f}\u00a0% of the time.")


def _queries(row: Mapping[str, Any]) -> int | None:
    n = row.get("n_queries")
    return None if n is None or (isinstance(n, float) and np.isnan(n)) else int(n)


def _correction(row: Mapping[str, Any]) -> str:
    return {"holm": ", Holm-corrected", "bonferroni": ", Bonferroni-corrected"}.get(row.get("method"), "")


def log_grid(value: float, factors: Iterable[float]) -> list[float]:
    """``value`` times each factor (a logarithmic grid around a default when the factors are powers of 10).

    Raises
    ------
    ValueError
        If ``value`` or a factor is not a positive finite number (a log grid has no 0).
    """
    factors = [float(f) for f in factors]
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"a log grid needs a positive centre value, got {value!r}")
    bad = [f for f in factors if not np.isfinite(f) or f <= 0]
    if bad or not factors:
        raise ValueError(f"log-grid factors must be positive finite numbers, got {factors}")
    return [float(value) * f for f in factors]


def mean_std_table(
    records: pd.DataFrame,
    index: str | list[str],
    columns: str | list[str],
    *,
    metric: str = "map_pr_area",
    digits: int = 4,
) -> pd.DataFrame:
    """A table of ``"mean ± std (n)"`` strings over seeds, ``index`` down and ``columns`` across.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per run.
    index, columns : str or list of str
        Columns of ``records`` that label the rows and the columns of the table (kept in order of
        first appearance).
    metric : str
    digits : int

    Returns
    -------
    pandas.DataFrame of str
        ``"0.4512 ± 0.0031"`` (non-breaking spaces around ``±``); one run gives the value alone.
    """
    index = [index] if isinstance(index, str) else list(index)
    columns = [columns] if isinstance(columns, str) else list(columns)

    def cell(values: pd.Series) -> str:
        return stats.mean_pm_std(values.mean(), values.std(ddof=1) if len(values) > 1 else np.nan, digits)

    table = records.groupby(index + columns, sort=False)[metric].agg(cell).unstack(columns)
    row_order = list(dict.fromkeys(map(tuple, records[index].to_numpy())))
    col_order = list(dict.fromkeys(map(tuple, records[columns].to_numpy())))
    if len(index) == 1:
        row_order = [r[0] for r in row_order]
    if len(columns) == 1:
        col_order = [c[0] for c in col_order]
    return table.loc[row_order, col_order]
