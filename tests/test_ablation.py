"""Ablation verdicts and variant runs: the two-standard-deviation rule against a direct computation."""

import numpy as np
import pandas as pd
import pytest

from sigah.studies.ablation import VERDICTS, compare_to_baseline, effect, effect_sentence, log_grid, run_variants
from sigah.data import Dataset, make_protocol
from sigah.studies.experiments import run_grid


def test_effect_matches_the_rule_on_random_sets():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a = rng.normal(0.5, rng.uniform(0.001, 0.05), size=rng.integers(2, 5))
        b = rng.normal(0.5 + rng.uniform(-0.1, 0.1), rng.uniform(0.001, 0.05), size=rng.integers(2, 5))
        result = effect(a, b)
        threshold = 2 * max(np.std(a, ddof=1), np.std(b, ddof=1))
        assert result["difference"] == pytest.approx(b.mean() - a.mean())
        assert result["threshold"] == pytest.approx(threshold)
        assert result["verdict"] == ("real" if abs(b.mean() - a.mean()) > threshold else "within noise")
        assert effect(b, a)["verdict"] == result["verdict"]  # symmetric in the two sets
        assert effect(b, a)["difference"] == pytest.approx(-result["difference"])


def test_effect_boundary_one_seed_and_bad_input():
    # difference 0.3, stds 0.1 and 0.05: the threshold is 0.2, so real; with a wider spread not
    assert effect([1.0, 1.2], [1.4, 1.5])["verdict"] == "real"
    assert effect([1.0, 1.4], [1.45, 1.55])["verdict"] == "within noise"
    assert effect([1.0, 1.0], [1.0, 1.0])["verdict"] == "within noise"  # no difference is never real
    one = effect([0.4], [0.9, 0.91])
    assert one["verdict"] == VERDICTS[2] and np.isnan(one["threshold"]) and np.isnan(one["baseline_std"])
    with pytest.raises(ValueError, match="baseline"):
        effect([], [1.0])
    with pytest.raises(ValueError, match="finite"):
        effect([1.0, np.nan], [1.0])
    with pytest.raises(ValueError, match="n_sigmas"):
        effect([1.0], [1.0], n_sigmas=0)


def test_compare_to_baseline_groups_and_rows():
    records = pd.DataFrame({
        "variant": ["base", "base", "off", "off", "base", "base", "off", "off"],
        "bits": [32, 32, 32, 32, 64, 64, 64, 64],
        "map_pr_area": [0.40, 0.41, 0.30, 0.31, 0.50, 0.52, 0.51, 0.50],
    })
    table = compare_to_baseline(records, "base")
    assert list(table["bits"]) == [32, 64] and list(table["variant"]) == ["off", "off"]
    for _, row in table.iterrows():
        part = records[records.bits == row.bits]
        expected = effect(part[part.variant == "base"].map_pr_area, part[part.variant == "off"].map_pr_area)
        assert row["verdict"] == expected["verdict"]
        assert row["difference"] == pytest.approx(expected["difference"])
    assert list(table["verdict"]) == ["real", "within noise"]
    assert "really lower" in effect_sentence(table.iloc[0], what="off at 32 bits")
    assert "no real effect" in effect_sentence(table.iloc[1], what="off at 64 bits")
    with pytest.raises(ValueError, match="no variant = 'nope'"):
        compare_to_baseline(records, "nope")
    with pytest.raises(ValueError, match="no column"):
        compare_to_baseline(records, "base", metric="map")


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
    assert table.loc["b", 64] == f"0.60\u00a0±\u00a0{np.std([0.5, 0.7], ddof=1):.2f}"  # no wrap inside a cell
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
