"""Ablation verdicts and variant runs: paired comparisons from sigah.stats, corrected over each table."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sigah import stats
from sigah.studies.ablation import (
    NO_INTERVAL, VERDICTS, compare_to_baseline, effect, effect_sentence, log_grid, run_on_datasets, run_variants,
)
from sigah.data import Dataset, make_protocol
from sigah.studies.experiments import run_grid


def test_effect_is_the_paired_t_test_over_seeds():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(2, 6))
        a = rng.normal(0.5, rng.uniform(0.001, 0.05), size=n)
        b = a + rng.normal(rng.uniform(-0.05, 0.05), rng.uniform(0.001, 0.05), size=n)
        result = effect(a, b)
        assert result["difference"] == pytest.approx(b.mean() - a.mean())
        assert result["p_value"] == pytest.approx(sps.ttest_rel(b, a).pvalue, rel=1e-9)
        excludes_zero = result["low"] > 0 or result["high"] < 0
        assert result["verdict"] == (("higher" if result["difference"] > 0 else "lower") if excludes_zero
                                     else "inconclusive")
        swapped = effect(b, a)
        assert swapped["difference"] == pytest.approx(-result["difference"])
        assert swapped["p_value"] == pytest.approx(result["p_value"])


def test_effect_one_seed_equivalence_and_bad_input():
    one = effect([0.4], [0.9])
    assert one["verdict"] == NO_INTERVAL and np.isnan(one["low"]) and np.isnan(one["baseline_std"])
    base, variant = [0.50, 0.52, 0.51, 0.53], [0.502, 0.519, 0.5105, 0.5285]
    close = effect(base, variant, margin=0.01)
    assert close["verdict"] == "equivalent" and -0.01 < close["low"] and close["high"] < 0.01
    assert effect(base, variant)["verdict"] == "inconclusive"  # no margin stated, no equivalence
    assert "**equivalent within ±0.0100**" in effect_sentence(close, what="variant")
    assert set(VERDICTS) == {*stats.VERDICTS, NO_INTERVAL}
    with pytest.raises(ValueError, match="baseline"):
        effect([], [1.0])
    with pytest.raises(ValueError, match="finite"):
        effect([1.0, np.nan], [1.0, 1.0])
    with pytest.raises(ValueError, match="one score per seed"):
        effect([1.0, 1.1], [1.0])


def test_compare_to_baseline_pairs_seeds_and_corrects_the_table_together():
    records = pd.DataFrame({
        "variant": ["base", "base", "base", "off", "off", "off"] * 2,
        "bits": [32] * 6 + [64] * 6,
        "seed": [0, 1, 2] * 4,
        "map_pr_area": [0.40, 0.41, 0.42, 0.30, 0.312, 0.318, 0.50, 0.52, 0.51, 0.51, 0.50, 0.52],
    })
    table = compare_to_baseline(records, "base")
    assert list(table["bits"]) == [32, 64] and list(table["variant"]) == ["off", "off"]
    pairs = [(records[(records.bits == b) & (records.variant == "off")].map_pr_area.to_numpy(),
              records[(records.bits == b) & (records.variant == "base")].map_pr_area.to_numpy()) for b in (32, 64)]
    family = stats.compare_family(pairs)
    for row, c in zip(table.to_dict("records"), family.comparisons):
        assert (row["low"], row["high"], row["p_adjusted"], row["verdict"]) == pytest.approx(
            (c.low, c.high, c.p_adjusted, c.verdict))
    assert list(table["verdict"]) == ["lower", "inconclusive"]
    assert list(table["method"]) == ["holm", "holm"]
    lower, unclear = (effect_sentence(row, what=f"off at {row['bits']} bits") for row in table.to_dict("records"))
    assert "**lower**" in lower and "3 seeds" in lower and "Holm-corrected" in lower
    assert "**inconclusive**" in unclear and f"{table['mde'].iloc[1]:.4f} or more" in unclear
    assert "no real effect" not in unclear + lower
    with pytest.raises(ValueError, match="no variant = 'nope'"):
        compare_to_baseline(records, "nope")
    with pytest.raises(ValueError, match="no column"):
        compare_to_baseline(records, "base", metric="map")


def test_compare_to_baseline_uses_per_query_scores_when_the_records_carry_them():
    rng = np.random.default_rng(3)
    base = [rng.normal(0.5, 0.05, 30) for _ in range(2)]
    off = [b - 0.02 + rng.normal(0, 0.01, 30) for b in base]
    records = pd.DataFrame({"variant": ["base", "base", "off", "off"], "bits": 32, "seed": [0, 1, 0, 1],
                            "map": [v.mean() for v in base + off], "map_per_query": base + off})
    row = compare_to_baseline(records, "base", metric="map").iloc[0]
    expected = stats.compare_paired(np.stack(off), np.stack(base))
    assert row["n_queries"] == 30 and row["verdict"] == expected.verdict == "lower"
    assert (row["low"], row["high"]) == pytest.approx((expected.low, expected.high))
    one_seed = records[records.seed == 0]
    assert compare_to_baseline(one_seed, "base", metric="map").iloc[0]["verdict"] == "lower"
    assert compare_to_baseline(one_seed.drop(columns="map_per_query"), "base", metric="map").iloc[0][
        "verdict"] == NO_INTERVAL


def test_run_variants_equals_run_grid_and_keeps_models(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the ground-truth cache goes to a scratch folder
    rng = np.random.default_rng(1)
    features = (rng.standard_normal((400, 24)) @ rng.standard_normal((24, 24))).astype(np.float32)
    protocol = make_protocol(Dataset(name="toy", features=features, labels=None, queries=None, groundtruth=None,
                                     source="test"), n_queries=20, seed=0)
    variants = {"five iterations": {"n_iter": 5}, "none": {"n_iter": 0}}
    records, models = run_variants(protocol, variants, [8, 16], method="itq", repeats=2, k=25, keep_models=True)
    assert len(records) == 8 and set(records["variant"]) == set(variants)
    assert set(models) == {(v, b, s) for v in variants for b in (8, 16) for s in (0, 1)}
    assert all(models[("none", b, s)].n_iter == 0 for b in (8, 16) for s in (0, 1))
    direct = run_grid(protocol, ["itq"], [8, 16], repeats=2, k=25, params={"itq": {"n_iter": 5}}, progress=False)
    mine = records[records["variant"] == "five iterations"].reset_index(drop=True)
    np.testing.assert_allclose(mine["map_pr_area"], direct["map_pr_area"])
    with_queries = run_on_datasets({"toy": protocol}, {"none": {"n_iter": 0}}, [8], method="itq", k=25, repeats=2,
                                   per_query=True)
    assert with_queries["map_per_query"].map(len).eq(20).all()
    np.testing.assert_allclose(with_queries["map_per_query"].map(np.mean), with_queries["map"], atol=1e-12)
    only_records = run_variants(protocol, {"none": {"n_iter": 0}}, [8], method="itq", k=25)
    assert isinstance(only_records, pd.DataFrame) and len(only_records) == 1
    with pytest.raises(ValueError, match="at least one variant"):
        run_variants(protocol, {}, [8])


def test_log_grid():
    assert log_grid(1e-3, [0.1, 1, 10]) == pytest.approx([1e-4, 1e-3, 1e-2])
    with pytest.raises(ValueError, match="positive centre"):
        log_grid(0.0, [1])
    with pytest.raises(ValueError, match="factors"):
        log_grid(1.0, [0, 1])


def test_run_on_datasets_adds_the_dataset(tmp_path, monkeypatch):
    from sigah.studies.ablation import run_on_datasets

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(2)
    protocols = {
        name: make_protocol(Dataset(name=name, features=rng.standard_normal((300, 20)).astype(np.float32),
                                    labels=None, queries=None, groundtruth=None, source="test"), n_queries=10, seed=0)
        for name in ("one", "two")
    }
    records, models = run_on_datasets(protocols, {"lsh": {}}, [8], method="lsh", repeats=2,
                                      k={"one": 20, "two": 30}, keep_models=True)
    assert list(records.groupby("dataset")["k"].first()) == [20, 30]
    assert set(models) == {(d, "lsh", 8, s) for d in protocols for s in (0, 1)}


def test_mean_std_table_cells_and_order():
    from sigah.studies.ablation import mean_std_table

    records = pd.DataFrame({"variant": ["b", "b", "a", "a", "b"], "bits": [64, 64, 64, 64, 32],
                            "map_pr_area": [0.5, 0.7, 0.1, 0.3, 0.25]})
    table = mean_std_table(records, "variant", "bits", digits=2)
    assert list(table.index) == ["b", "a"] and list(table.columns) == [64, 32]
    assert table.loc["b", 64] == f"0.60\u00a0±\u00a0{np.std([0.5, 0.7], ddof=1):.2f}"  # a cell never wraps
    assert table.loc["b", 32] == "0.25"  # one run: the value alone
    assert pd.isna(table.loc["a", 32])


def test_memo_reuses_identical_settings(tmp_path, monkeypatch):
    from sigah.studies import ablation

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    protocol = make_protocol(Dataset(name="toy", features=rng.standard_normal((200, 16)).astype(np.float32),
                                     labels=None, queries=None, groundtruth=None, source="test"), n_queries=10, seed=0)
    calls = []
    real = ablation.run_variants
    monkeypatch.setattr(ablation, "run_variants", lambda *a, **kw: calls.append(a[1]) or real(*a, **kw))
    memo = {}
    first = ablation.run_on_datasets({"toy": protocol}, {"default": {}, "ten": {"n_iter": 10}}, [8], method="itq",
                                     base_params={"n_iter": 5}, k=20, memo=memo)
    second = ablation.run_on_datasets({"toy": protocol}, {"again": {"n_iter": 5}}, [8], method="itq",
                                      base_params={"n_iter": 5}, k=20, memo=memo)
    assert len(calls) == 2  # "again" equals "default": taken from the memo
    assert list(second["variant"]) == ["again"]
    assert second["map_pr_area"].iloc[0] == first[first["variant"] == "default"]["map_pr_area"].iloc[0]
