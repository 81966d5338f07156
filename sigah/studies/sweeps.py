"""Tables of the SiGAH sweep log (``data/sigah_sweeps.csv``), as the appendix on SiGAH's defaults lays them out.

``tests/benchmarks/sweep_sigah.py`` appends one row per (stage, dataset, split, code length, seed or
pooled seeds, setting, method). :func:`stage_table` shows one stage with ``mean ± std`` cells,
:func:`pool_seeds` averages single-seed rows of one setting, :func:`against_itq` sets each SiGAH
setting beside ITQ run on the same split and code length, and :func:`seed_spread` measures how much
one seed's result varies, the noise a single-seed difference must exceed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sigah import stats

__all__ = ["SWEEP_METRICS", "read_sweeps", "mean_with_std", "pool_seeds", "stage_table", "against_itq", "seed_spread"]

#: metric column of the log -> display name
SWEEP_METRICS = {"precision_at_100": "Pre@100", "map_pr_area": "mAP (PR area)", "map": "mAP (ranking)"}
_KEYS = ["dataset", "bits", "setting", "method"]


def read_sweeps(path) -> pd.DataFrame:
    """The sweep log, seeds kept as text (a pooled row lists several, e.g. ``"0, 1, 2"``)."""
    return pd.read_csv(path, dtype={"seed": str})


def mean_with_std(frame: pd.DataFrame, column: str, digits: int = 3) -> pd.Series:
    """``"mean ± std"`` where the row has a ``<column>_std``, the value alone otherwise, ``""`` where missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``column`` and optionally ``<column>_std``.
    column : str
    digits : int
        Decimals.

    Returns
    -------
    pandas.Series of str, aligned with ``frame``.
    """
    std = frame[f"{column}_std"] if f"{column}_std" in frame else pd.Series(float("nan"), index=frame.index)
    return pd.Series([
        "" if pd.isna(v) else stats.mean_pm_std(v, np.nan if pd.isna(s) else s, digits)
        for v, s in zip(frame[column], std)
    ], index=frame.index, dtype=object)


def pool_seeds(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, bits, setting, method): mean and sample std over its single-seed rows.

    Returns
    -------
    pandas.DataFrame
        The keys, each metric of :data:`SWEEP_METRICS` and its ``_std`` (NaN for one seed), ``seed``
        (the seeds joined by ", ") and ``epochs`` (of the first row).
    """
    grouped = rows.groupby(_KEYS, sort=False)
    pooled = grouped[list(SWEEP_METRICS)].mean().join(_seed_std(rows, _KEYS))
    pooled["seed"] = grouped["seed"].agg(lambda s: ", ".join(s))
    pooled["epochs"] = grouped["epochs"].first()
    return pooled.reset_index()


def stage_table(
    sweeps: pd.DataFrame, stage: str, *, split: str = "validation", pooled: bool = False, digits: int = 3
) -> pd.DataFrame:
    """The rows of one stage and split, metrics as ``mean ± std`` text.

    Parameters
    ----------
    sweeps : pandas.DataFrame
        From :func:`read_sweeps`.
    stage, split : str
    pooled : bool
        Average the single-seed rows of each setting (:func:`pool_seeds`).
    digits : int

    Returns
    -------
    pandas.DataFrame
        ``dataset``, ``bits``, ``seed``, ``setting``, ``epochs`` and one column per metric display name.

    Raises
    ------
    ValueError
        ``stage`` is not in the log.
    """
    if stage not in set(sweeps["stage"]):
        raise ValueError(f"stage {stage!r} is not in the sweep log; it has {list(sweeps['stage'].unique())}")
    rows = sweeps[(sweeps["stage"] == stage) & (sweeps["split"] == split)]
    rows = pool_seeds(rows) if pooled else rows
    table = rows[["dataset", "bits", "seed", "setting", "epochs"]].copy()
    for column, label in SWEEP_METRICS.items():
        table[label] = mean_with_std(rows, column, digits)
    return table


def against_itq(rows: pd.DataFrame, *, precision_slack: float = 0.02) -> pd.DataFrame:
    """Each SiGAH setting's mean Pre@100 and PR-area mAP minus ITQ's on the same dataset, split and length.

    Parameters
    ----------
    rows : pandas.DataFrame
        Sweep rows of one split, SiGAH's and ITQ's.
    precision_slack : float
        How far below ITQ's Pre@100 a setting may stay and still meet the targets.

    Returns
    -------
    pandas.DataFrame
        One row per SiGAH (dataset, bits, setting) that has an ITQ row beside it: the mean metrics,
        ``Δ Pre@100 vs ITQ``, ``Δ mAP (PR area) vs ITQ`` and ``meets the targets`` (PR-area mAP at
        least ITQ's and Pre@100 at most ``precision_slack`` below).
    """
    means = rows.groupby(_KEYS, sort=False)[["precision_at_100", "map_pr_area"]].mean().reset_index()
    itq = means[means["method"] == "itq"].set_index(["dataset", "bits"])
    sigah = means[means["method"] == "sigah"]
    sigah = sigah[[key in itq.index for key in zip(sigah["dataset"], sigah["bits"])]].copy()
    keys = list(zip(sigah["dataset"], sigah["bits"]))
    sigah["Δ Pre@100 vs ITQ"] = sigah["precision_at_100"].to_numpy() - itq.loc[keys, "precision_at_100"].to_numpy()
    sigah["Δ mAP (PR area) vs ITQ"] = sigah["map_pr_area"].to_numpy() - itq.loc[keys, "map_pr_area"].to_numpy()
    sigah["meets the targets"] = (sigah["Δ Pre@100 vs ITQ"] >= -precision_slack) & (sigah["Δ mAP (PR area) vs ITQ"] >= 0)
    return sigah.drop(columns=["method"]).reset_index(drop=True)


def seed_spread(sweeps: pd.DataFrame, *, method: str = "sigah") -> pd.DataFrame:
    """How much a setting's result moves from seed to seed, over every setting run with several seeds.

    A setting counts when the log holds a pooled row of it (``n_seeds > 1``, its ``_std`` recorded)
    or at least two single-seed rows of it on the same stage, split, dataset and code length (their
    sample std is taken).

    Parameters
    ----------
    sweeps : pandas.DataFrame
        The log (:func:`read_sweeps`).
    method : str
        Only this method's rows.

    Returns
    -------
    pandas.DataFrame
        One row per metric of :data:`SWEEP_METRICS` with a recorded spread: ``metric`` (display
        name), ``settings`` (how many), ``median std`` and ``largest std``.
    """
    rows = sweeps[sweeps["method"] == method]
    keys = ["stage", "split", *_KEYS]
    single = rows[rows["n_seeds"] == 1]
    repeated = single.groupby(keys).filter(lambda g: len(g) > 1)
    pooled = _seed_std(repeated, keys)
    recorded = rows[rows["n_seeds"] > 1]
    out = []
    for column, name in SWEEP_METRICS.items():
        spread = pd.concat([pooled[f"{column}_std"], recorded[f"{column}_std"]]).dropna()
        if len(spread):
            out.append({"metric": name, "settings": len(spread), "median std": float(spread.median()),
                        "largest std": float(spread.max())})
    return pd.DataFrame(out, columns=["metric", "settings", "median std", "largest std"])


def _seed_std(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The sample std (``<metric>_std``) of each metric over the rows of each ``keys`` group, indexed by the keys."""
    return rows.groupby(keys, sort=False)[list(SWEEP_METRICS)].std(ddof=1).add_suffix("_std")
