"""sigah.studies.sweeps: the sweep log's tables agree with plain pandas/NumPy computations on the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sigah.data import data_dir
from sigah.stats import mean_pm_std
from sigah.studies.sweeps import (
    SWEEP_METRICS, against_itq, complete_seeds, mean_with_std, pool_seeds, read_sweep_scores, read_sweeps, recheck_family,
    recheck_means, recheck_summary, recheck_table, run_scores, scores_key, seed_spread, selection_summary,
    selection_table, stage_table, earlier_checks_summary, earlier_checks_table, recheck_report, coverage_summary,
)


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


# -- a stage re-checked with statistics ----------------------------------------------------------------
STAGE = "6 re-check"
SETTINGS = ("defaults", "A", "B")


def recheck_log(n_queries: int = 40, effects=None, seeds=("0", "1", "2")):
    """A stage of single-seed rows with per-query scores; ``effects[(dataset, setting)]`` shifts every query."""
    effects = effects or {}
    rng = np.random.default_rng(1)
    rows, scores = [], {}
    for dataset in ("mnist", "siftsmall"):
        base = {m: rng.uniform(0.2, 0.6, n_queries) for m in SWEEP_METRICS}
        for setting, method in [*((s, "sigah") for s in SETTINGS), ("ITQ", "itq")]:
            for seed in seeds:
                row = {"stage": STAGE, "dataset": dataset, "split": "validation", "bits": 32, "seed": seed,
                       "n_seeds": 1, "setting": setting, "method": method, "epochs": 20}
                for m in SWEEP_METRICS:
                    q = base[m] + effects.get((dataset, setting), 0.0) + rng.normal(0, 0.02, n_queries)
                    scores[scores_key(STAGE, dataset, 32, setting, seed, m)] = q.astype(np.float32)
                    row[m] = float(q.astype(np.float32).mean())
                rows.append(row)
    return pd.DataFrame(rows), scores


def test_run_scores_are_per_query_when_stored_and_average_to_the_row():
    rows, scores = recheck_log()
    here = rows[rows["dataset"] == "mnist"]
    grid = run_scores(here, scores, "A", "map", ["0", "1", "2"])
    assert grid.shape == (3, 40)
    expected = here[here["setting"] == "A"]["map"].to_numpy()
    np.testing.assert_allclose(grid.mean(axis=1), expected, rtol=1e-6)
    seed_level = run_scores(here, {}, "A", "map", ["0", "1", "2"])
    np.testing.assert_allclose(seed_level, expected)
    assert seed_level.shape == (3,)


def test_only_seeds_every_setting_completed_are_paired():
    rows, _ = recheck_log()
    partial = rows[~((rows["dataset"] == "mnist") & (rows["setting"] == "B") & (rows["seed"] == "2"))]
    assert complete_seeds(partial[partial["dataset"] == "mnist"]) == ["0", "1"]
    family = recheck_family(partial, {}, STAGE, "mnist")
    assert {c.n_seeds for c in family.comparisons} == {2}


def test_recheck_family_finds_a_planted_effect_and_not_a_null_one():
    rows, scores = recheck_log(effects={("mnist", "A"): 0.1, ("mnist", "ITQ"): 0.1})
    family = recheck_family(rows, scores, STAGE, "mnist")
    assert len(family) == 3 * 3 and family.method == "holm"  # (A, B, ITQ) x 3 metrics, one family
    for metric in SWEEP_METRICS:
        a = family[f"A − defaults|{metric}"]
        assert a.verdict == "higher" and a.n_queries == 40
        assert a.effect == pytest.approx(rows.query("dataset == 'mnist' and setting == 'A'")[metric].mean()
                                         - rows.query("dataset == 'mnist' and setting == 'defaults'")[metric].mean(),
                                         abs=1e-6)
        assert family[f"defaults − ITQ|{metric}"].verdict == "lower"
        assert family[f"B − defaults|{metric}"].verdict not in ("higher", "lower")
    table = recheck_table(family)
    assert set(table["metric"]) == set(SWEEP_METRICS.values()) and "A − defaults" in set(table["comparison"])
    text = recheck_summary({"mnist": family})
    assert text.startswith("**MNIST** (3 seeds") and "trail ITQ in Pre@100, mAP (PR area) and mAP (ranking)" in text
    with pytest.raises(ValueError, match="has no 'defaults' rows"):
        recheck_family(rows[rows["setting"] != "defaults"], scores, STAGE, "mnist")


def test_recheck_means_are_mean_and_std_over_the_seeds():
    rows, _ = recheck_log()
    table = recheck_means(rows, STAGE).set_index(["dataset", "setting"])
    assert list(table.loc["SIFT10K"].index) == ["defaults", "A", "B", "ITQ"]
    same = rows.query("dataset == 'siftsmall' and setting == 'B'")["map_pr_area"]
    assert table.loc[("SIFT10K", "B"), "mAP (PR area)"] == mean_pm_std(same.mean(), same.std(ddof=1), 3)
    assert (table.loc["MNIST", "seeds"] == 3).all()


def test_a_choice_on_one_dataset_is_ranked_on_the_other():
    rows, scores = recheck_log(effects={("mnist", "A"): 0.2, ("siftsmall", "B"): 0.2})
    table = selection_table(rows, scores, STAGE)
    assert len(table) == 3 * 2  # metrics x (chosen on, confirmed on)
    for r in table.to_dict("records"):
        assert r["choice"] == ("A" if r["chosen on"] == "MNIST" else "B")
        assert r["best there"] == ("B" if r["confirmed on"] == "SIFT10K" else "A")
        assert r["verdict"] == "lower"  # a planted 0.2 gap over 3 seeds x 40 queries
    alike, _ = recheck_log(effects={("mnist", "A"): 0.2, ("siftsmall", "A"): 0.2})
    assert (selection_table(alike, {}, STAGE)["verdict"] == "highest mean").all()
    assert "also has the highest mean on SIFT10K" in selection_summary(selection_table(alike, {}, STAGE))


def test_test_rows_are_set_beside_the_recheck():
    rows, scores = recheck_log(effects={("mnist", "A"): 0.1})
    test_rows = pd.DataFrame([
        {"stage": "s", "dataset": "mnist", "split": "test", "bits": 32, "setting": name, "epochs": e,
         "precision_at_100": v, "map_pr_area": v, "map": -v}
        for name, v, e in (("with A", 0.5, 10), ("defaults then", 0.4, 20))])
    log_ = pd.concat([rows, test_rows], ignore_index=True)
    families = {d: recheck_family(log_, scores, STAGE, d) for d in ("mnist", "siftsmall")}
    table = earlier_checks_table(log_, families, checks={"A": (("s", "with A"), ("s", "defaults then"))})
    assert list(table["test rows"]) == ["+0.100", "+0.100", "\u22120.100"]
    assert list(table["epochs then"]) == ["10 vs 20"] * 3
    assert list(table["MNIST agrees"]) == ["same direction", "same direction", "opposite direction"]
    assert set(table["SIFT10K agrees"]) == {"not confirmed"}
    text = earlier_checks_summary(table)
    assert text.startswith("On MNIST, the re-check confirms the direction of 2 of 3 test-row differences, reverses 1")
    with pytest.raises(ValueError, match="expected one test row"):
        earlier_checks_table(log_, families, checks={"A": (("s", "no such"), ("s", "defaults then"))})


def test_the_shipped_recheck_scores_average_to_their_rows():
    sweeps = read_sweeps(data_dir() / "sigah_sweeps.csv")
    scores = read_sweep_scores(data_dir() / "sigah_sweeps_scores.npz")
    rows = sweeps[sweeps["stage"] == "6 validation re-check"]
    if rows.empty:
        pytest.skip("the log has no stage 6 yet")
    for r in rows.to_dict("records"):
        for metric in SWEEP_METRICS:
            key = scores_key(r["stage"], r["dataset"], r["bits"], r["setting"], r["seed"], metric)
            assert scores[key].shape == (500,)
            assert scores[key].mean() == pytest.approx(r[metric], abs=1e-6)
    report = recheck_report(sweeps, scores, "6 validation re-check")
    assert report.families  # SIFT10K ran first
    for family in report.families.values():
        assert all(c.n_queries == 500 for c in family.comparisons)  # paired over the validation queries
    assert (sweeps.loc[sweeps["code_version"] != "before the trainer rewrite", "split"] == "validation").all()


# -- the sweep script records nothing but validation rows ----------------------------------------------
def sweep_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent / "benchmarks" / "sweep_sigah.py"
    spec = importlib.util.spec_from_file_location("sweep_sigah", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sweep_script_refuses_any_split_but_validation(tmp_path):
    script = sweep_script()
    row = {"stage": "x", "dataset": "siftsmall", "split": "test", "bits": 32, "seed": "0", "n_seeds": 1,
           "setting": "defaults", "method": "sigah", "map": 0.5}
    with pytest.raises(ValueError, match="split must be 'validation'.*got 'test'"):
        script.record([row], tmp_path / "log.csv")
    assert not (tmp_path / "log.csv").exists()
    script.record([{**row, "split": "validation"}], tmp_path / "log.csv")
    assert list(read_sweeps(tmp_path / "log.csv")["split"]) == ["validation"]
    key = scores_key("x", "siftsmall", 32, "defaults", 0, "map")
    script.record_scores({key: np.arange(3.0)}, tmp_path / "scores.npz")
    script.record_scores({key + "2": np.ones(2)}, tmp_path / "scores.npz")
    kept = read_sweep_scores(tmp_path / "scores.npz")
    assert set(kept) == {key, key + "2"} and kept[key].dtype == np.float32


def test_validation_queries_come_from_the_training_data_never_the_test_queries():
    from sigah.data import load_dataset

    protocol, k = sweep_script().validation_protocol("siftsmall")
    shipped = load_dataset("siftsmall")
    base = {row.tobytes() for row in shipped.features}
    assert k == 100 and len(protocol.queries) == 500 and len(protocol.database) == len(base) - 500
    assert all(q.tobytes() in base for q in protocol.queries)
    database = {row.tobytes() for row in protocol.database}
    assert not any(q.tobytes() in database for q in protocol.queries)
    assert not any(q.tobytes() in base for q in shipped.queries)  # the test queries are another set


def test_the_report_covers_the_datasets_where_the_defaults_ran():
    rows, scores = recheck_log()
    partial = rows[~((rows["dataset"] == "siftsmall") & (rows["setting"] == "defaults"))]
    test_rows = pd.DataFrame([
        {"stage": "s", "dataset": "mnist", "split": "test", "bits": 32, "setting": name, "epochs": 20,
         "precision_at_100": v, "map_pr_area": v, "map": v} for name, v in (("a", 0.5), ("b", 0.4))])
    report = recheck_report(pd.concat([partial, test_rows]), scores, STAGE, margin=0.01,
                            checks={"A": (("s", "a"), ("s", "b"))})
    assert list(report.families) == ["mnist"] and list(report.tables) == ["MNIST"]
    assert {c.margin for c in report.families["mnist"].comparisons} == {0.01}
    assert report.summary.startswith("**MNIST**") and "SIFT10K" not in report.summary
    assert "Holm over the 9 comparisons of its table; equivalence margin ±0.010)" in report.summary
    assert list(report.earlier["setting"]) == ["A"] * 3


def test_coverage_counts_the_seeds_each_run_finished():
    rows, _ = recheck_log()
    partial = rows[~((rows["dataset"] == "mnist") & (rows["setting"] != "ITQ") & (rows["seed"] != "0"))]
    partial = partial[~((partial["dataset"] == "siftsmall") & (partial["setting"] == "defaults"))]
    text = coverage_summary(partial, STAGE)
    assert text.startswith("On MNIST, *defaults* 1 seed, *A* 1 seed, *B* 1 seed and *ITQ* 3 seeds finished; "
                           "the comparisons there pair the 1 seed that all 4 configurations finished.")
    assert "On SIFT10K, *defaults* 0 seeds, *A* 3 seeds" in text
    assert text.endswith("nothing is compared there, since *defaults* has no seed.")


def test_with_one_dataset_the_choice_is_listed_unconfirmed_and_decisions_are_stated():
    rows, scores = recheck_log(effects={("siftsmall", "A"): -0.3})
    one = rows[rows["dataset"] == "siftsmall"]
    table = selection_table(one, scores, STAGE)
    assert list(table["confirmed on"]) == ["none"] * 3 and set(table["verdict"]) == {"not confirmed"}
    assert "A" not in set(table["choice"])
    assert "with no second dataset to confirm it on" in selection_summary(table)
    text = recheck_summary({"siftsmall": recheck_family(one, scores, STAGE, "siftsmall")})
    assert "Against the defaults, *A* is lower in Pre@100 (\u22120.3" in text
    assert "The other 3 comparisons against the defaults: 0 equivalent within the margin, 3 inconclusive" in text
    one_seed = rows[(rows["dataset"] == "siftsmall") & (rows["seed"] == "0")]
    text = recheck_summary({"siftsmall": recheck_family(one_seed, scores, STAGE, "siftsmall")})
    assert "(1 seed\u00a0×\u00a040 queries; with one seed the intervals cover the query sample, not another seed" in text
