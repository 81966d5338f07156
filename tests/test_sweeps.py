"""sigah.studies.sweeps: the sweep log's tables agree with plain pandas/NumPy computations on the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sigah.data import data_dir
from sigah.studies.sweeps import SWEEP_METRICS, against_itq, mean_with_std, pool_seeds, read_sweeps, seed_spread, stage_table


def log() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for dataset in ("mnist", "siftsmall"):
        for method, setting in (("itq", "ITQ"), ("sigah", "defaults"), ("sigah", "min_steps 2000")):
            for seed in ("0", "1", "2"):
                rows.append({"stage": "5 min_steps", "dataset": dataset, "split": "validation", "bits": 32,
                             "seed": seed, "setting": setting, "method": method, "epochs": 20,
                             **{m: rng.uniform(0.2, 0.8) for m in SWEEP_METRICS},
                             "n_seeds": 1, **{f"{m}_std": np.nan for m in SWEEP_METRICS}})
    return pd.DataFrame(rows)


def test_pooled_rows_are_the_mean_and_sample_std_of_their_seeds():
    rows = log()
    pooled = pool_seeds(rows)
    assert len(pooled) == 6 and set(pooled["seed"]) == {"0, 1, 2"}
    for r in pooled.to_dict("records"):
        same = rows[(rows["dataset"] == r["dataset"]) & (rows["setting"] == r["setting"])]
        for m in SWEEP_METRICS:
            assert r[m] == pytest.approx(same[m].mean())
            assert r[f"{m}_std"] == pytest.approx(np.std(same[m], ddof=1))


def test_cells_show_the_std_only_where_there_is_one():
    frame = pd.DataFrame({"map": [0.5, 0.25, np.nan], "map_std": [0.01, np.nan, np.nan]})
    assert list(mean_with_std(frame, "map", 2)) == ["0.50\u00a0±\u00a00.01", "0.25", ""]  # never wraps
    assert list(mean_with_std(frame[["map"]], "map", 1)) == ["0.5", "0.2", ""]


def test_stage_table_pools_and_names_an_unknown_stage():
    table = stage_table(log(), "5 min_steps", pooled=True, digits=3)
    assert list(table.columns) == ["dataset", "bits", "seed", "setting", "epochs", *SWEEP_METRICS.values()]
    assert table["Pre@100"].str.contains("\u00a0±\u00a0").all()
    assert stage_table(log(), "5 min_steps", split="test").empty
    with pytest.raises(ValueError, match="stage 'no such' is not in the sweep log"):
        stage_table(log(), "no such")


def test_against_itq_subtracts_itq_of_the_same_dataset_and_length():
    rows = log()
    verdicts = against_itq(rows)
    assert len(verdicts) == 4
    means = rows.groupby(["dataset", "setting"])[["precision_at_100", "map_pr_area"]].mean()
    for r in verdicts.to_dict("records"):
        itq = means.loc[(r["dataset"], "ITQ")]
        ours = means.loc[(r["dataset"], r["setting"])]
        assert r["Δ Pre@100 vs ITQ"] == pytest.approx(ours["precision_at_100"] - itq["precision_at_100"])
        assert r["Δ mAP (PR area) vs ITQ"] == pytest.approx(ours["map_pr_area"] - itq["map_pr_area"])
        assert r["meets the targets"] == (r["Δ Pre@100 vs ITQ"] >= -0.02 and r["Δ mAP (PR area) vs ITQ"] >= 0)
    # without ITQ beside it, a setting has no verdict
    assert against_itq(rows[rows["method"] == "sigah"]).empty


def test_the_shipped_log_gives_a_table_per_stage():
    sweeps = read_sweeps(data_dir() / "sigah_sweeps.csv")
    for stage in sweeps["stage"].unique():
        rows = sweeps[(sweeps["stage"] == stage) & (sweeps["split"] == "validation")]
        assert len(stage_table(sweeps, stage)) == len(rows)


def test_seed_spread_takes_single_seed_groups_and_recorded_stds_of_the_method_only():
    frame = log().assign(n_seeds=1)
    pooled_row = frame.iloc[[3]].assign(n_seeds=3, seed="0, 1, 2", setting="pooled",
                                        precision_at_100_std=0.5)  # a sigah row with a recorded std
    frame = pd.concat([frame, pooled_row], ignore_index=True)
    got = seed_spread(frame).set_index("metric")
    sigah = frame[(frame["method"] == "sigah") & (frame["n_seeds"] == 1)]
    stds = sigah.groupby(["dataset", "setting"])["precision_at_100"].std(ddof=1).tolist() + [0.5]
    assert got.loc["Pre@100", "settings"] == len(stds) == 5  # 2 datasets x 2 settings, and the pooled row
    assert got.loc["Pre@100", "median std"] == pytest.approx(np.median(stds))
    assert got.loc["Pre@100", "largest std"] == pytest.approx(0.5)
    assert got.loc["mAP (PR area)", "settings"] == 4  # the pooled row recorded no mAP std
    itq_only = seed_spread(frame, method="itq").set_index("metric")
    assert itq_only.loc["Pre@100", "settings"] == 2
    assert seed_spread(frame.assign(n_seeds=1).iloc[:1]).empty  # one seed: no spread to measure


def test_stage_styler_and_its_caption():
    from sigah.studies.sweeps import stage_styler

    html = stage_styler(log(), "5 min_steps", pooled=True, caption="5 min_steps").to_html()
    assert "<caption>5 min_steps</caption>" in html and "\u00a0±\u00a0" in html


def test_single_seed_detectable_is_the_mde_of_two_single_seed_results():
    from sigah.stats import minimum_detectable_effect
    from sigah.studies.sweeps import seed_noise_sentence, single_seed_detectable

    spread = seed_spread(log())
    detectable = single_seed_detectable(spread)
    row = spread.iloc[0]
    assert detectable[row["metric"]] == pytest.approx(
        minimum_detectable_effect(np.sqrt(2) * row["median std"], float(row["settings"])))
    assert (detectable > np.sqrt(2) * spread.set_index("metric")["median std"]).all()  # wider than the noise
    text = seed_noise_sentence(spread)
    assert "A single-seed difference below it is inconclusive." in text and "twice" not in text
    assert "not measured" in seed_noise_sentence(spread.iloc[0:0])


def test_appendix_sentences_on_the_shipped_log():
    from sigah.studies.sweeps import (single_seed_detectable, stage1_sentence, stage4_sentence, targets_sentence)

    sweeps = read_sweeps(data_dir() / "sigah_sweeps.csv")
    detectable = single_seed_detectable(seed_spread(sweeps))["mAP (PR area)"]
    s1 = sweeps[(sweeps["stage"] == "1 loss weights") & (sweeps["method"] == "sigah")]
    text = stage1_sentence(sweeps, detectable)
    assert f"{s1['map_pr_area'].max():.3f} against" in text and f"detects {detectable:.3f}" in text
    assert stage4_sentence(sweeps).startswith("With stochastic codes (three seeds each), at 32 bits")
    verdicts = against_itq(log())
    expected = verdicts.groupby("setting")["meets the targets"].all()
    text = targets_sentence(verdicts)
    assert all((f"*{s}*" in text) == ok for s, ok in expected.items())
