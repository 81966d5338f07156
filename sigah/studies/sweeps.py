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

A stage that re-checks the defaults (:func:`recheck_report`) is analysed with :mod:`sigah.stats`:
every setting against the defaults and the defaults against ITQ, paired over the seeds every
setting completed and over the validation queries whose scores ``sigah_sweeps_scores.npz`` keeps
(:func:`scores_key`), Holm-corrected per dataset; the setting chosen on one dataset is ranked on
the other (:func:`selection_table`), and the test-protocol rows of the earlier stages are set
beside the re-check (:func:`earlier_checks_table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats

__all__ = ["SWEEP_METRICS", "read_sweeps", "mean_with_std", "pool_seeds", "stage_table", "against_itq", "seed_spread",
           "stage_styler", "single_seed_detectable", "seed_noise_sentence", "stage1_sentence", "stage4_sentence",
           "targets_styler", "targets_sentence",
           "DATASET_NAMES", "REFERENCE", "EARLIER_TEST_CHECKS", "scores_key", "read_sweep_scores", "complete_seeds",
           "run_scores", "recheck_family", "recheck_table", "recheck_means", "selection_table", "earlier_checks_table",
           "recheck_summary", "selection_summary", "earlier_checks_summary", "coverage_summary", "RecheckReport",
           "recheck_report"]

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


# -- a stage re-checked with statistics: paired comparisons over seeds (and queries) -----------------
#: display names of the datasets of the sweeps
DATASET_NAMES = {"mnist": "MNIST", "siftsmall": "SIFT10K"}
#: the setting every other one of a re-check is compared with
REFERENCE = "defaults"


def scores_key(stage: str, dataset: str, bits: int, setting: str, seed: int | str, metric: str) -> str:
    """The name of one run's per-query scores in the companion file of the log (``sigah_sweeps_scores.npz``)."""
    return "|".join([stage, dataset, str(int(bits)), setting, str(seed), metric])


def read_sweep_scores(path) -> dict[str, np.ndarray]:
    """The per-query scores of the log, ``{}`` when the companion file does not exist.

    Returns
    -------
    dict
        :func:`scores_key` -> numpy.ndarray of shape (n_queries,).
    """
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return {}
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def _dataset_name(dataset: str) -> str:
    return DATASET_NAMES.get(dataset, dataset)


def _stage_rows(sweeps: pd.DataFrame, stage: str, bits: int) -> pd.DataFrame:
    if stage not in set(sweeps["stage"]):
        raise ValueError(f"stage {stage!r} is not in the sweep log; it has {list(sweeps['stage'].unique())}")
    rows = sweeps[(sweeps["stage"] == stage) & (sweeps["split"] == "validation") & (sweeps["bits"] == bits)]
    if rows.empty:
        raise ValueError(f"stage {stage!r} has no validation rows at {bits} bits")
    return rows


def complete_seeds(rows: pd.DataFrame) -> list[str]:
    """The seeds at which every setting of ``rows`` (one dataset) was measured, in increasing order.

    Only these seeds enter a paired comparison: a sweep stopped early leaves the last seed partial.
    """
    settings = rows["setting"].unique()
    by_setting = [set(rows.loc[rows["setting"] == s, "seed"]) for s in settings]
    return sorted(set.intersection(*by_setting), key=int) if by_setting else []


def run_scores(rows: pd.DataFrame, scores: dict[str, np.ndarray], setting: str, metric: str,
               seeds: list[str], *, per_query: bool = True) -> np.ndarray:
    """One setting's scores of one metric over ``seeds``: per query when stored, else one per seed.

    Parameters
    ----------
    rows : pandas.DataFrame
        Single-seed rows of one stage, dataset and code length.
    scores : dict
        From :func:`read_sweep_scores` (may be empty).
    setting, metric : str
    seeds : list of str
    per_query : bool
        Use the per-query scores when every seed has them.

    Returns
    -------
    numpy.ndarray, shape (n_seeds, n_queries) or (n_seeds,)
    """
    row = rows[rows["setting"] == setting].set_index("seed")
    stage, dataset, bits = (rows[c].iloc[0] for c in ("stage", "dataset", "bits"))
    keys = [scores_key(stage, dataset, bits, setting, seed, metric) for seed in seeds]
    if per_query and all(key in scores for key in keys):
        return np.stack([np.asarray(scores[key], dtype=np.float64) for key in keys])
    return row.loc[seeds, metric].to_numpy(dtype=np.float64)


def _paired(rows: pd.DataFrame, scores: dict, a: str, b: str, metric: str, seeds: list[str]):
    """Scores of settings ``a`` and ``b`` of the same shape: per query only if both have them."""
    both = all(scores_key(rows["stage"].iloc[0], rows["dataset"].iloc[0], rows["bits"].iloc[0], s, seed, metric)
               in scores for s in (a, b) for seed in seeds)
    return run_scores(rows, scores, a, metric, seeds, per_query=both), run_scores(
        rows, scores, b, metric, seeds, per_query=both)


def recheck_family(sweeps: pd.DataFrame, scores: dict[str, np.ndarray], stage: str, dataset: str, *,
                   bits: int = 32, reference: str = REFERENCE, margin: float | None = None) -> stats.Family:
    """Every setting of a stage against ``reference``, and ``reference`` against ITQ, on one dataset.

    One family per dataset (one table): each SiGAH setting minus the reference, and the reference
    minus ITQ, on every metric of :data:`SWEEP_METRICS`, paired over the seeds that every setting
    completed (and over the validation queries when their scores are stored), Holm-corrected
    together (:func:`sigah.stats.compare_family`).

    Parameters
    ----------
    sweeps : pandas.DataFrame
        The log (:func:`read_sweeps`).
    scores : dict
        Per-query scores (:func:`read_sweep_scores`); a pair without them is compared over seeds.
    stage, dataset : str
    bits : int
    reference : str
        The setting every other one is compared with.
    margin : float, optional
        Equivalence margin of every comparison (none: no equivalence is claimed).

    Returns
    -------
    sigah.stats.Family
        Labels ``"<setting> − defaults|<metric column>"`` and ``"defaults − ITQ|<metric column>"``.

    Raises
    ------
    ValueError
        When the stage has no rows at ``bits``, no ``reference`` on ``dataset``, or a single
        complete seed and no per-query scores.
    """
    rows = _stage_rows(sweeps, stage, bits)
    rows = rows[(rows["dataset"] == dataset) & (rows["n_seeds"] == 1)]
    if reference not in set(rows["setting"]):
        raise ValueError(f"stage {stage!r} has no {reference!r} rows on {dataset!r}")
    seeds = complete_seeds(rows)
    others = [s for s in rows.loc[rows["method"] == "sigah", "setting"].unique() if s != reference]
    pairs = {}
    for metric in SWEEP_METRICS:
        for setting in others:
            pairs[f"{setting} − {reference}|{metric}"] = _paired(rows, scores, setting, reference, metric, seeds)
        if "ITQ" in set(rows["setting"]):
            pairs[f"{reference} − ITQ|{metric}"] = _paired(rows, scores, reference, "ITQ", metric, seeds)
    return stats.compare_family(pairs, margin=margin)


def recheck_table(family: stats.Family, *, digits: int = 3) -> pd.DataFrame:
    """A re-check family (:func:`recheck_family`) as a display table, one row per comparison and metric.

    Returns
    -------
    pandas.DataFrame
        ``comparison``, ``metric`` (display name), then the columns of :func:`sigah.stats.comparison_table`.
    """
    table = stats.comparison_table(family, digits=digits)
    split = table["comparison"].str.rsplit("|", n=1, expand=True)
    table.insert(1, "metric", split[1].map(SWEEP_METRICS))
    table["comparison"] = split[0]
    return table


def recheck_means(sweeps: pd.DataFrame, stage: str, *, bits: int = 32, digits: int = 3) -> pd.DataFrame:
    """Mean ± std over the complete seeds of every setting of a stage, per dataset and metric.

    Returns
    -------
    pandas.DataFrame
        One row per dataset and setting (settings in the order of the log, ITQ last); columns
        ``dataset``, ``setting``, one ``mean ± std`` text per metric, and ``seeds``. The datasets
        are stacked, not side by side, so the table fits the page.
    """
    rows = _stage_rows(sweeps, stage, bits)
    rows = rows[rows["n_seeds"] == 1]
    settings = [s for s in rows["setting"].unique() if s != "ITQ"] + (["ITQ"] if "ITQ" in set(rows["setting"]) else [])
    parts = []
    for dataset in rows["dataset"].unique():
        here = rows[rows["dataset"] == dataset]
        seeds = complete_seeds(here)
        here = here[here["seed"].isin(seeds)]
        part = pd.DataFrame({"dataset": _dataset_name(dataset), "setting": settings})
        for metric, label in SWEEP_METRICS.items():
            grouped = here.groupby("setting")[metric]
            mean, std = grouped.mean(), grouped.std(ddof=1)
            part[label] = [stats.mean_pm_std(mean[s], std[s], digits) if s in mean else "" for s in settings]
        part["seeds"] = len(seeds)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["dataset", "setting"])


def selection_table(sweeps: pd.DataFrame, scores: dict[str, np.ndarray], stage: str, *, bits: int = 32,
                    digits: int = 3) -> pd.DataFrame:
    """Settings chosen on one dataset's validation split (best mean, metric by metric), ranked on the other.

    For every metric and every ordered pair of datasets (chosen on, confirmed on), the SiGAH setting
    with the best mean on the first is ranked among the settings on the second; where it is not
    the best there, it is compared (paired, Holm over the table) with the best there. With one
    dataset only, each metric's choice is listed with ``confirmed on`` "none".

    Returns
    -------
    pandas.DataFrame
        ``metric``, ``chosen on``, ``choice``, ``confirmed on``, ``rank`` (``"2 of 4"``), ``mean``
        (of the choice there), ``best there``, ``difference`` (choice − best) and ``verdict``
        (``"highest mean"`` where it has the highest mean there, not compared: a lead is claimed only
        through a comparison; ``"not confirmed"`` without a second dataset).
    """
    rows = _stage_rows(sweeps, stage, bits)
    rows = rows[(rows["n_seeds"] == 1) & (rows["method"] == "sigah")]
    seeds = {d: complete_seeds(rows[rows["dataset"] == d]) for d in rows["dataset"].unique()}
    datasets = [d for d in seeds if seeds[d]]
    means = {d: rows[(rows["dataset"] == d) & rows["seed"].isin(seeds[d])].groupby("setting", sort=False)[
        list(SWEEP_METRICS)].mean() for d in datasets}
    out, pairs = [], {}
    for metric, label in SWEEP_METRICS.items():
        for chosen_on in datasets:
            for confirmed_on in (d for d in datasets if d != chosen_on):
                choice = means[chosen_on][metric].idxmax()
                there = means[confirmed_on][metric].sort_values(ascending=False)
                best = there.index[0]
                if choice not in there.index:
                    continue
                key = f"{label}|{chosen_on}|{confirmed_on}"
                out.append({"key": key, "metric": label, "chosen on": _dataset_name(chosen_on), "choice": choice,
                            "confirmed on": _dataset_name(confirmed_on),
                            "rank": f"{list(there.index).index(choice) + 1} of {len(there)}",
                            "mean": f"{there[choice]:.{digits}f}", "best there": best,
                            "difference": stats.format_signed(there[choice] - there[best], digits)})
                if choice != best:
                    here = rows[rows["dataset"] == confirmed_on]
                    pairs[key] = _paired(here, scores, choice, best, metric, seeds[confirmed_on])
    if len(datasets) == 1:
        for metric, label in SWEEP_METRICS.items():
            out.append({"key": "", "metric": label, "chosen on": _dataset_name(datasets[0]),
                        "choice": means[datasets[0]][metric].idxmax(), "confirmed on": "none", "rank": "",
                        "mean": "", "best there": "", "difference": ""})
    family = stats.compare_family(pairs) if pairs else None
    for row in out:
        row["verdict"] = (stats.verdict_phrase(family[row["key"]], digits) if row["key"] in pairs
                          else "not confirmed" if row["confirmed on"] == "none" else "highest mean")
    columns = ["metric", "chosen on", "choice", "confirmed on", "rank", "mean", "best there", "difference", "verdict"]
    return pd.DataFrame(out, columns=["key", *columns])[columns]


#: stage-6 setting -> the test-protocol rows that first judged it: (stage, setting) with it, and
#: (stage, setting) of the defaults it was judged against; both at the same code length
EARLIER_TEST_CHECKS = {
    "no L_bd": (("2 continuation", "SiGAH s 1 -> 100"), ("3 balance and decorrelation", "SiGAH decorrelation 1")),
    "relaxed input (Eq. 20)": (("3 balance and decorrelation", "SiGAH decorrelation 1"),
                               ("4 stochastic codes", "SiGAH stochastic, 20 epochs (the defaults)")),
    "continuation s 1 -> 100": (("2 continuation", "SiGAH s 1 -> 100"), ("2 continuation", "SiGAH defaults of stage 1")),
}


def _test_protocol_row(sweeps: pd.DataFrame, stage: str, setting: str, bits: int) -> pd.Series:
    rows = sweeps[(sweeps["stage"] == stage) & (sweeps["setting"] == setting) & (sweeps["split"] == "test")
                  & (sweeps["bits"] == bits)]
    if len(rows) != 1:
        raise ValueError(f"expected one test row of {setting!r} in stage {stage!r} at {bits} bits, got {len(rows)}")
    return rows.iloc[0]


def earlier_checks_table(sweeps: pd.DataFrame, families: dict[str, stats.Family], *, bits: int = 32,
                     checks: dict = EARLIER_TEST_CHECKS, reference: str = REFERENCE, digits: int = 3) -> pd.DataFrame:
    """What the test-protocol rows of the earlier stages said of a setting, beside the validation re-check.

    Parameters
    ----------
    sweeps : pandas.DataFrame
        The log.
    families : dict
        Dataset -> :func:`recheck_family` of the re-check stage.
    bits : int
    checks : dict
        Setting -> ((stage, setting with it), (stage, setting of the defaults then)), test rows.

    Returns
    -------
    pandas.DataFrame
        One row per setting and metric: ``setting``, ``metric``, ``test rows`` (the difference of the
        two test rows, MNIST test queries), ``epochs then`` (of the two rows) and, per dataset,
        ``"<dataset> now"`` (effect and verdict of the re-check) and ``"<dataset> agrees"``
        (``same direction``, ``opposite direction`` or ``not confirmed``).
    """
    out = []
    for setting, ((stage_a, with_a), (stage_b, with_b)) in checks.items():
        a, b = _test_protocol_row(sweeps, stage_a, with_a, bits), _test_protocol_row(sweeps, stage_b, with_b, bits)
        for metric, label in SWEEP_METRICS.items():
            then = float(a[metric] - b[metric])
            row = {"setting": setting, "metric": label, "test rows": stats.format_signed(then, digits),
                   "epochs then": f"{_whole(a['epochs'])} vs {_whole(b['epochs'])}"}
            for dataset, family in families.items():
                key = f"{setting} − {reference}|{metric}"
                if key not in family.labels:
                    continue
                c = family[key]
                name = _dataset_name(dataset)
                row[f"{name} now"] = f"{stats.format_signed(c.effect, digits)}, {stats.verdict_phrase(c, digits)}"
                row[f"{name} agrees"] = _agreement(then, c)
            out.append(row)
    return pd.DataFrame(out)


def _whole(value) -> str:
    return "–" if pd.isna(value) else f"{int(value)}"


def _agreement(then: float, c: stats.Comparison) -> str:
    if c.verdict not in ("higher", "lower"):
        return "not confirmed"
    return "same direction" if (then > 0) == (c.verdict == "higher") else "opposite direction"


# -- sentences -------------------------------------------------------------------------------------
def coverage_summary(sweeps: pd.DataFrame, stage: str, *, bits: int = 32, reference: str = REFERENCE) -> str:
    """Which runs of a stage finished: seeds per setting and dataset, and the seeds the comparisons pair.

    Returns
    -------
    str
        One sentence per dataset, e.g. "On MNIST, *defaults* finished 1 seed, *no L_bd* 0 seeds and
        *ITQ* 3 seeds; no configuration is compared there, since *defaults* has no seed."
    """
    rows = _stage_rows(sweeps, stage, bits)
    rows = rows[rows["n_seeds"] == 1]
    settings = list(rows["setting"].unique())
    sentences = []
    for dataset in rows["dataset"].unique():
        here = rows[rows["dataset"] == dataset]
        counts = [f"*{s}* {stats.plural(int((here['setting'] == s).sum()), 'seed')}" for s in settings]
        text = f"On {_dataset_name(dataset)}, {_metric_list(counts)} finished"
        if reference not in set(here["setting"]):
            text += f"; nothing is compared there, since *{reference}* has no seed"
        else:
            compared = here["setting"].nunique()
            text += (f"; the comparisons there pair the {stats.plural(len(complete_seeds(here)), 'seed')} that "
                     f"all {compared} configurations finished")
        sentences.append(text + ".")
    return " ".join(sentences)


def _metric_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def recheck_summary(families: dict[str, stats.Family], *, reference: str = REFERENCE, digits: int = 3) -> str:
    """Sentences stating, per dataset, which settings differ from ``reference`` and where it stands to ITQ.

    Parameters
    ----------
    families : dict
        Dataset -> :func:`recheck_family`.

    Returns
    -------
    str
        Markdown, one paragraph per dataset: the design, the settings that differ from ``reference``
        beyond their interval (the others inconclusive or equivalent, with what the design detects),
        and the reference against ITQ on every metric.
    """
    paragraphs = []
    for dataset, family in families.items():
        first = family.comparisons[0]
        design = stats.design_phrase(first.n_seeds, first.n_queries)
        one_seed = "; with one seed the intervals cover the query sample, not another seed" if first.n_seeds == 1 else ""
        margin = f"; equivalence margin ±{first.margin:.{digits}f}" if first.margin is not None else ""
        text = (f"**{_dataset_name(dataset)}** ({design}{one_seed}; Holm over the {len(family)} comparisons "
                f"of its table{margin}).")
        split = [(*label.rsplit("|", 1), c) for label, c in zip(family.labels, family.comparisons)]
        settings = [(name, metric, c) for name, metric, c in split if name != f"{reference} − ITQ"]
        if settings:
            text += " " + _decision_sentence(settings, reference, digits)
        itq = [(SWEEP_METRICS[metric], c) for name, metric, c in split if name == f"{reference} − ITQ"]
        if itq:
            trails = [m for m, c in itq if c.verdict == "lower"]
            leads = [m for m, c in itq if c.verdict == "higher"]
            open_ = [m for m, c in itq if c.verdict not in ("higher", "lower")]
            parts = ([f"trail ITQ in {_metric_list(trails)}"] if trails else []) + (
                [f"lead ITQ in {_metric_list(leads)}"] if leads else []) + (
                [f"cannot be told from ITQ in {_metric_list(open_)}"] if open_ else [])
            gaps = ", ".join(f"{m} {stats.format_signed(c.effect, digits)}" for m, c in itq)
            text += f" SiGAH's {reference} {_metric_list(parts)} ({reference} − ITQ: {gaps})."
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _decision_sentence(settings: list, reference: str, digits: int) -> str:
    """Which settings differ from ``reference`` beyond their interval, and what the others could detect."""
    moves: dict[str, dict[str, list[str]]] = {}
    undecided = []
    for comparison, metric, c in settings:
        name = comparison.removesuffix(f" − {reference}")
        if c.verdict in ("higher", "lower"):
            words = f"{SWEEP_METRICS[metric]} ({stats.format_signed(c.effect, digits)})"
            moves.setdefault(name, {}).setdefault(c.verdict, []).append(words)
        else:
            undecided.append(c)
    parts = [f"*{name}* is " + " and ".join(f"{verdict} in {_metric_list(m)}" for verdict, m in by_verdict.items())
             for name, by_verdict in moves.items()]
    text = (f"Against the {reference}, {'; '.join(parts)}." if parts
            else f"No configuration differs from the {reference} beyond its interval on any metric.")
    if undecided:
        low, high = f"{min(c.mde for c in undecided):.{digits}f}", f"{max(c.mde for c in undecided):.{digits}f}"
        span = low if low == high else f"{low} to {high}"
        equivalent = sum(c.verdict == "equivalent" for c in undecided)
        rest = "The other" if parts else "All"
        text += (f" {rest} {stats.plural(len(undecided), 'comparison')} against the {reference}: {equivalent} "
                 f"equivalent within the margin, {len(undecided) - equivalent} inconclusive (the design detects "
                 f"differences of {span}).")
    return text


def selection_summary(table: pd.DataFrame) -> str:
    """Sentences from :func:`selection_table`: how each dataset's choice fares on the other dataset."""
    sentences = []
    for r in table.to_dict("records"):
        if r["verdict"] == "not confirmed":
            fate = "has the highest mean, with no second dataset to confirm it on"
        elif r["verdict"] == "highest mean":
            fate = f"also has the highest mean on {r['confirmed on']}"
        else:
            fate = (f"ranks {r['rank']} on {r['confirmed on']}, {r['difference']} against *{r['best there']}* "
                    f"({r['verdict']})")
        sentences.append(f"chosen on {r['chosen on']} by {r['metric']}, *{r['choice']}* {fate}")
    if not sentences:
        return "The stage has no second dataset to confirm a choice on."
    text = "; ".join(sentences)
    return text[0].upper() + text[1:] + "."


def earlier_checks_summary(table: pd.DataFrame) -> str:
    """One sentence per dataset: how many test-row differences the validation re-check confirms."""
    parts = []
    for column in [c for c in table.columns if c.endswith(" agrees")]:
        counts = table[column].value_counts()
        n = len(table[column].dropna())
        kept, reversed_ = int(counts.get("same direction", 0)), int(counts.get("opposite direction", 0))
        parts.append(f"on {column.removesuffix(' agrees')}, the re-check confirms the direction of "
                     f"{stats.count_of(kept, n, 'test-row difference')}, reverses {reversed_} and "
                     f"leaves {n - kept - reversed_} unconfirmed")
    if not parts:
        return "The re-check has no setting that the test rows judged."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


# -- the whole re-check, as the appendix shows it --------------------------------------------------------
@dataclass(frozen=True)
class RecheckReport:
    """Everything the appendix shows of a re-check stage (:func:`recheck_report`).

    Attributes
    ----------
    means : pandas.DataFrame
        :func:`recheck_means`.
    families : dict
        Dataset -> :func:`recheck_family`.
    tables : dict
        Dataset display name -> :func:`recheck_table`.
    selection : pandas.DataFrame
        :func:`selection_table`.
    earlier : pandas.DataFrame
        :func:`earlier_checks_table`.
    summary, selection_text, earlier_text, coverage_text : str
        :func:`recheck_summary`, :func:`selection_summary`, :func:`earlier_checks_summary`,
        :func:`coverage_summary`.
    """

    means: pd.DataFrame
    families: dict
    tables: dict
    selection: pd.DataFrame
    earlier: pd.DataFrame
    summary: str
    selection_text: str
    earlier_text: str
    coverage_text: str


def recheck_report(sweeps: pd.DataFrame, scores: dict[str, np.ndarray], stage: str, *, bits: int = 32,
                   margin: float | None = None, reference: str = REFERENCE, checks: dict = EARLIER_TEST_CHECKS,
                   digits: int = 3) -> RecheckReport:
    """The tables and sentences of a re-check stage, for every dataset on which ``reference`` was run.

    Parameters
    ----------
    sweeps : pandas.DataFrame
        The log (:func:`read_sweeps`).
    scores : dict
        Per-query scores (:func:`read_sweep_scores`; may be empty: seed-level comparisons then).
    stage : str
    bits : int
    margin : float, optional
        Equivalence margin of every comparison (none: no equivalence is claimed).
    reference : str
    checks : dict
        The earlier test-protocol rows of each setting (:data:`EARLIER_TEST_CHECKS`).
    digits : int

    Returns
    -------
    RecheckReport
    """
    rows = _stage_rows(sweeps, stage, bits)
    datasets = [d for d in rows["dataset"].unique()
                if reference in set(rows.loc[rows["dataset"] == d, "setting"])
                and len(complete_seeds(rows[rows["dataset"] == d])) > 0]
    families = {d: recheck_family(sweeps, scores, stage, d, bits=bits, reference=reference, margin=margin)
                for d in datasets}
    tables = {_dataset_name(d): recheck_table(f, digits=digits) for d, f in families.items()}
    selection = selection_table(sweeps, scores, stage, bits=bits, digits=digits)
    earlier = earlier_checks_table(sweeps, families, bits=bits, checks=checks, reference=reference, digits=digits)
    return RecheckReport(
        means=recheck_means(sweeps, stage, bits=bits, digits=digits), families=families, tables=tables,
        selection=selection, earlier=earlier, summary=recheck_summary(families, reference=reference, digits=digits),
        selection_text=selection_summary(selection), earlier_text=earlier_checks_summary(earlier),
        coverage_text=coverage_summary(sweeps, stage, bits=bits, reference=reference),
    )
