"""Tables of the SiGAH sweep log (``data/sigah_sweeps.csv``), as the appendix on SiGAH's defaults lays them out.

``tests/benchmarks/sweep_sigah.py`` appends one row per (stage, dataset, split, code length, seed or
pooled seeds, setting, method). :func:`stage_table` shows one stage with ``mean ± std`` cells,
:func:`pool_seeds` averages single-seed rows of one setting, :func:`against_itq` sets each SiGAH
setting beside ITQ run on the same split and code length, and :func:`seed_spread` measures how much
one seed's result varies, the noise behind the smallest single-seed difference that can be detected.

The sentences the appendix states are computed here too (:func:`seed_noise_sentence`,
:func:`stage1_sentence`, :func:`stage4_sentence`, :func:`targets_sentence`); how large a
single-seed difference must be to be detected is :func:`sigah.stats.minimum_detectable_effect`
of the log's own seed-to-seed spread.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sigah import stats

__all__ = ["SWEEP_METRICS", "read_sweeps", "mean_with_std", "pool_seeds", "stage_table", "against_itq", "seed_spread",
           "stage_styler", "single_seed_detectable", "seed_noise_sentence", "stage1_sentence", "stage4_sentence",
           "targets_styler", "targets_sentence"]

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


def stage_styler(sweeps: pd.DataFrame, stage: str, *, split: str = "validation", pooled: bool = False,
                 digits: int = 3, caption: str | None = None) -> Any:
    """:func:`stage_table` as an HTML table without its index, with an optional caption.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    style = stage_table(sweeps, stage, split=split, pooled=pooled, digits=digits).style.hide(axis="index")
    return style.set_caption(caption) if caption else style


def single_seed_detectable(spread: pd.DataFrame) -> pd.Series:
    """The smallest true difference two single-seed results detect 80 % of the time (5 % level).

    Two single-seed results differ by chance with standard deviation ``√2 σ``, σ the typical (median)
    seed-to-seed standard deviation of :func:`seed_spread`; its degrees of freedom are taken as the
    number of settings it pools (one per setting, a lower bound). The minimum detectable effect is
    :func:`sigah.stats.minimum_detectable_effect` of that standard error.

    Returns
    -------
    pandas.Series
        Indexed by metric display name.
    """
    from sigah.stats import minimum_detectable_effect

    return pd.Series({row["metric"]: minimum_detectable_effect(float(np.sqrt(2) * row["median std"]),
                                                               float(max(int(row["settings"]), 1)))
                      for _, row in spread.iterrows()}, dtype=float)


def seed_noise_sentence(spread: pd.DataFrame) -> str:
    """How much one seed's result moves, and the smallest single-seed difference that can be detected."""
    from sigah.stats import plural

    if spread.empty:
        return "The log holds no setting run with several seeds: the seed-to-seed noise is not measured."
    detectable = single_seed_detectable(spread)
    moves = ", ".join(f"{row['metric']} by {row['median std']:.3f} (at most {row['largest std']:.3f})"
                      for _, row in spread.iterrows())
    return (f"Over the {plural(int(spread['settings'].max()), 'SiGAH setting')} of the log run with several seeds, "
            f"one seed's result moves with a standard deviation of {moves}. Two single-seed results then differ "
            "by chance with √2 times that spread: the smallest true difference a one-seed comparison detects "
            "80 % of the time at the 5 % level is "
            + ", ".join(f"{value:.3f} in {metric}" for metric, value in detectable.items())
            + " (`sigah.stats.minimum_detectable_effect`). A single-seed difference below it is inconclusive.")


def stage1_sentence(sweeps: pd.DataFrame, detectable: float) -> str:
    """Stage 1 in words: its highest PR-area mAP, the best margin, and what raising β or γ does to Pre@100.

    Parameters
    ----------
    sweeps : pandas.DataFrame
    detectable : float
        The single-seed PR-area detectable difference (:func:`single_seed_detectable`).
    """
    s1 = sweeps[(sweeps["stage"] == "1 loss weights") & (sweeps["method"] == "sigah")].set_index("setting")
    base, best = s1.iloc[0], s1["map_pr_area"].idxmax()
    gap = s1.loc[best, "map_pr_area"] - base["map_pr_area"]
    margins = s1[s1.index.str.startswith("margin")]["map_pr_area"]
    return (f"The highest single-seed PR-area mAP of this stage is *{best}* ({s1.loc[best, 'map_pr_area']:.3f} "
            f"against {base['map_pr_area']:.3f} for the starting point, {stats.format_signed(gap)}, where a one-seed comparison "
            f"detects {detectable:.3f}); among the margins, *{margins.idxmax()}* scores highest. Raising β or γ to 0.1 "
            f"lowers Pre@100 to {s1.loc['beta 1e-1', 'precision_at_100']:.3f} and "
            f"{s1.loc['gamma 1e-1', 'precision_at_100']:.3f} (from {base['precision_at_100']:.3f}).")


def stage4_sentence(sweeps: pd.DataFrame) -> str:
    """Stage 4 in words: what the balance/decorrelation weight changes with stochastic codes, per length."""
    s4 = sweeps[(sweeps["stage"] == "4 stochastic codes") & (sweeps["n_seeds"] == 3)
                & (sweeps["split"] == "validation")].set_index(["bits", "setting"])
    parts = []
    for bits in sorted(s4.index.get_level_values("bits").unique()):
        rows = s4.loc[bits]
        dec = rows[rows.index.str.startswith("stochastic, decorrelation")]
        gain = dec["map_pr_area"].iloc[-1] - dec["map_pr_area"].iloc[0]
        change = dec["precision_at_100"].iloc[-1] - dec["precision_at_100"].iloc[0]
        parts.append(f"at {bits} bits, going from *{dec.index[0]}* to *{dec.index[-1]}* changes the mean "
                     f"PR-area mAP by {stats.format_signed(gain)} and Pre@100 by {stats.format_signed(change)}")
    return "With stochastic codes (three seeds each), " + "; ".join(parts) + "."


def targets_styler(verdicts: pd.DataFrame, digits: int = 3) -> Any:
    """:func:`against_itq` as an HTML table."""
    return verdicts.style.hide(axis="index").format(precision=digits)


def targets_sentence(verdicts: pd.DataFrame) -> str:
    """The settings whose means meet both targets on every dataset and code length they were run on."""
    everywhere = verdicts.groupby("setting", sort=False)["meets the targets"].all()
    good = [f"*{setting}*" for setting, ok in everywhere.items() if ok]
    return ("Settings whose means meet both targets on every dataset and code length they were run on: "
            + (", ".join(good) if good else "none") + ".")
