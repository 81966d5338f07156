"""Ablation runs and their verdicts: is an effect larger than the seed-to-seed noise?

An ablation trains the same method under several *variants* (a switch off, a weight scaled, another
activation), each with the same seeds, and asks whether a variant's score differs from the
baseline's. With a handful of seeds that question is answered by a fixed rule, used by every
chapter: a difference of means is called **real** only when it exceeds ``n_sigmas`` (2) times the
larger of the two standard deviations over seeds,

``|mean_v − mean_0| > 2 · max(std_v, std_0)``,

i.e. when it is larger than the spread of either variant's runs twice over. With one seed per
variant there is no spread to compare with and no verdict is given. The rule is deliberately
conservative: with 2 or 3 seeds a standard deviation is itself uncertain, and a difference that
passes it is visible run by run, not only on average.

Runs go through :func:`sigah.studies.experiments.run_grid`, so a variant equal to a configuration fitted
elsewhere in the book can be read back from the store of runs instead of being refitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah.studies.experiments import run_grid

__all__ = [
    "N_SIGMAS", "VERDICTS", "effect", "compare_to_baseline", "run_variants", "run_on_datasets", "effect_sentence",
    "log_grid", "mean_std_table",
]

#: a difference is real when it exceeds this many standard deviations over seeds
N_SIGMAS = 2.0

#: the verdicts :func:`effect` returns
VERDICTS = ("real", "within noise", "one seed: no verdict")


def effect(baseline: Iterable[float], variant: Iterable[float], *, n_sigmas: float = N_SIGMAS) -> dict[str, Any]:
    """Mean ± standard deviation of two sets of runs and the verdict on their difference.

    Parameters
    ----------
    baseline, variant : iterable of float
        One score per seed (the seeds need not be paired), at least one each.
    n_sigmas : float
        How many standard deviations a real difference exceeds.

    Returns
    -------
    dict
        ``baseline_mean``, ``baseline_std``, ``variant_mean``, ``variant_std`` (sample standard
        deviations, ``ddof=1``; NaN for one run), ``n_baseline``, ``n_variant``, ``difference``
        (variant minus baseline), ``threshold`` (``n_sigmas`` times the larger std; NaN without a
        spread) and ``verdict``, one of :data:`VERDICTS`.

    Raises
    ------
    ValueError
        If either set is empty or holds a non-finite score, or ``n_sigmas`` is not positive.
    """
    a = np.asarray(list(baseline), dtype=np.float64)
    b = np.asarray(list(variant), dtype=np.float64)
    for name, values in (("baseline", a), ("variant", b)):
        if values.size == 0:
            raise ValueError(f"{name} needs at least one score, got none")
        if not np.isfinite(values).all():
            raise ValueError(f"{name} scores must be finite, got {values.tolist()}")
    if not np.isfinite(n_sigmas) or n_sigmas <= 0:
        raise ValueError(f"n_sigmas must be a positive number, got {n_sigmas!r}")
    std_a = float(a.std(ddof=1)) if a.size > 1 else float("nan")
    std_b = float(b.std(ddof=1)) if b.size > 1 else float("nan")
    difference = float(b.mean() - a.mean())
    if a.size < 2 or b.size < 2:
        threshold, verdict = float("nan"), VERDICTS[2]
    else:
        threshold = float(n_sigmas * max(std_a, std_b))
        verdict = VERDICTS[0] if abs(difference) > threshold else VERDICTS[1]
    return {
        "baseline_mean": float(a.mean()), "baseline_std": std_a, "n_baseline": int(a.size),
        "variant_mean": float(b.mean()), "variant_std": std_b, "n_variant": int(b.size),
        "difference": difference, "threshold": threshold, "verdict": verdict,
    }


def compare_to_baseline(
    records: pd.DataFrame,
    baseline: str,
    *,
    metric: str = "map_pr_area",
    by: str = "variant",
    groups: Iterable[str] = ("bits",),
    n_sigmas: float = N_SIGMAS,
) -> pd.DataFrame:
    """Every variant against the baseline, within each group (code length, dataset): :func:`effect` per row.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per run, with the columns ``by``, ``metric`` and ``groups``.
    baseline : str
        The value of ``by`` every other variant is compared with.
    metric : str
        Score column.
    by : str
        Column naming the variant.
    groups : iterable of str
        Columns inside whose values the comparison is made.
    n_sigmas : float

    Returns
    -------
    pandas.DataFrame
        One row per (group, variant other than ``baseline``) in the order of first appearance, with the
        group columns, ``by`` and the keys of :func:`effect`.

    Raises
    ------
    ValueError
        A missing column, or a group without a baseline run.
    """
    groups = list(groups)
    missing = [c for c in (by, metric, *groups) if c not in records.columns]
    if missing:
        raise ValueError(f"records have no column(s) {missing}; they have {list(records.columns)}")
    rows = []
    for key, part in records.groupby(groups, sort=False) if groups else [((), records)]:
        key = key if isinstance(key, tuple) else (key,)
        base = part.loc[part[by] == baseline, metric]
        if base.empty:
            raise ValueError(f"no {by} = {baseline!r} run in group {dict(zip(groups, key))}")
        for name, runs in part[part[by] != baseline].groupby(by, sort=False):
            rows.append({**dict(zip(groups, key)), by: name, **effect(base, runs[metric], n_sigmas=n_sigmas)})
    return pd.DataFrame(rows)


def _fit_grid(protocol: Any, method: str, bits: list[int], params: dict[str, Any], *, repeats: int, seed: int,
              k: int, keep_models: bool) -> tuple[pd.DataFrame, dict]:
    """One variant through ``run_grid`` and the store of runs (its fitted models too when asked)."""
    result = run_grid(protocol, [method], bits, repeats=repeats, seed=seed, k=k, params={method: params},
                      progress=False, return_models=keep_models)
    return result if keep_models else (result, {})


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
                                    keep_models=keep_models)
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
        ``method``, ``base_params``, ``repeats``, ``seed`` of :func:`run_variants`.

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
                       options.get("repeats", 1), options.get("seed", 0), k_here)
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
    f = f"{{:.{digits}f}}"

    def spread(mean: float, std: float) -> str:
        return f.format(mean) + ("" if np.isnan(std) else " ± " + f.format(std))

    text = (f"{what}: {metric_label} {spread(row['variant_mean'], row['variant_std'])} against "
            f"{spread(row['baseline_mean'], row['baseline_std'])} ({row['n_variant']} and {row['n_baseline']} "
            f"seed(s)), a difference of {row['difference']:+.{digits}f}")
    if row["verdict"] == VERDICTS[0]:
        direction = "higher" if row["difference"] > 0 else "lower"
        return text + f", beyond two standard deviations ({f.format(row['threshold'])}): **really {direction}**."
    if row["verdict"] == VERDICTS[1]:
        return text + f", within two standard deviations ({f.format(row['threshold'])}): **no real effect**."
    return text + ": one seed, **no verdict**."


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
        ``"0.4512 ± 0.0031"``; one run gives the value alone.
    """
    index = [index] if isinstance(index, str) else list(index)
    columns = [columns] if isinstance(columns, str) else list(columns)

    def cell(values: pd.Series) -> str:
        mean = f"{values.mean():.{digits}f}"
        return mean if len(values) < 2 else f"{mean}\u00a0±\u00a0{values.std(ddof=1):.{digits}f}"

    table = records.groupby(index + columns, sort=False)[metric].agg(cell).unstack(columns)
    row_order = list(dict.fromkeys(map(tuple, records[index].to_numpy())))
    col_order = list(dict.fromkeys(map(tuple, records[columns].to_numpy())))
    if len(index) == 1:
        row_order = [r[0] for r in row_order]
    if len(columns) == 1:
        col_order = [c[0] for c in col_order]
    return table.loc[row_order, col_order]
