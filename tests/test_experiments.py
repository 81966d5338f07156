"""The experiment runner: records, grids, summaries."""

import numpy as np
import pytest

from sigah.data import Dataset, make_protocol
from sigah import stats
from sigah.store import RunStore
from sigah.studies.experiments import (
    RECORD_COLUMNS, evaluate_hasher, ground_truth_for, run_grid, score_grid, summarize,
)
from sigah.hashers import make_hasher


@pytest.fixture(scope="module")
def protocol():
    rng = np.random.default_rng(0)
    features = (rng.standard_normal((500, 16)) @ rng.standard_normal((16, 16))).astype(np.float32)
    return make_protocol(Dataset(name="toy", features=features, labels=None, queries=None, groundtruth=None,
                                 source="test"), n_queries=20, seed=0)


def test_evaluate_hasher_record_and_fitted_instance(protocol):
    groundtruth = ground_truth_for(protocol, 30, cache_dir=None)
    itq = make_hasher("itq", 16, seed=3, n_iter=5)
    record = evaluate_hasher(itq, protocol, groundtruth)
    assert list(record) == list(RECORD_COLUMNS)
    assert (record["method"], record["bits"], record["seed"], record["k"]) == ("itq", 16, 3, 30)
    assert (record["n_queries"], record["n_database"]) == (20, 480)
    assert len(itq.loss_history_) == 6  # the instance stays fitted for the caller
    assert 0 < record["precision_at_100"] <= 1 and record["fit_seconds"] >= 0


def test_run_grid_repeats_overrides_and_summary(protocol):
    records = run_grid(protocol, ["lsh", "itq"], [8, 16], repeats=2, k=30, cache_dir=None, progress=False,
                       bits_override={"lsh": 24})
    assert sorted(zip(records.method, records.bits, records.seed)) == sorted(
        [("lsh", 24, 0), ("lsh", 24, 1), ("itq", 8, 0), ("itq", 8, 1), ("itq", 16, 0), ("itq", 16, 1)])
    summary = summarize(records)
    itq16 = summary[(summary.method == "itq") & (summary.bits == 16)].iloc[0]
    subset = records[(records.method == "itq") & (records.bits == 16)]
    assert itq16.n_seeds == 2
    assert itq16.map_mean == pytest.approx(subset["map"].mean())
    assert itq16.map_std == pytest.approx(subset["map"].std())
    # more bits rank Euclidean neighbours better for ITQ on this data
    itq8 = summary[(summary.method == "itq") & (summary.bits == 8)].iloc[0]
    assert itq16.map_mean > itq8.map_mean


def test_bad_grid_arguments(protocol):
    with pytest.raises(ValueError, match="k must be between 1 and the database size 480, got 481"):
        ground_truth_for(protocol, 481, cache_dir=None)
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        run_grid(protocol, ["lsh"], [8], repeats=0, cache_dir=None)
    with pytest.raises(ValueError, match="at least one method"):
        run_grid(protocol, [], [8], cache_dir=None)


def test_per_query_scores_average_to_the_records_and_come_back_from_the_store(protocol, tmp_path):
    store = RunStore(tmp_path / "fits")
    kw = dict(repeats=2, k=30, cache_dir=None, progress=False, store=store, params={"itq": {"n_iter": 5}})
    plain = run_grid(protocol, ["lsh", "itq"], [16], **kw)  # stores the scores without being asked
    records, scores = run_grid(protocol, ["lsh", "itq"], [16], per_query=True, **kw)
    assert records.from_store.all() and records.drop(columns="from_store").equals(plain.drop(columns="from_store"))
    assert set(scores) == {(m, 16, s) for m in ("lsh", "itq") for s in (0, 1)}
    for row in records.to_dict("records"):
        for metric in ("map", "map_stable", "map_pr_area", "precision_at_100"):
            values = scores[(row["method"], 16, row["seed"])][metric]
            assert values.shape == (20,) and values.mean() == pytest.approx(row[metric], abs=1e-12)
    fresh, fresh_scores = run_grid(protocol, ["lsh", "itq"], [16], per_query=True, **{**kw, "store": None})
    for key, values in fresh_scores.items():
        np.testing.assert_allclose(values["map_pr_area"], scores[key]["map_pr_area"], atol=1e-15)
    grid = score_grid(scores, "itq", 16, "map_pr_area")
    assert grid.shape == (2, 20) and grid.mean() == pytest.approx(records[records.method == "itq"].map_pr_area.mean())
    comparison = stats.compare_paired(grid, score_grid(scores, "lsh", 16, "map_pr_area", seeds=[0, 1]))
    assert (comparison.n_seeds, comparison.n_queries) == (2, 20)
    with pytest.raises(ValueError, match="seed"):
        score_grid(scores, "itq", 16, "map", seeds=[5])
    with pytest.raises(ValueError, match="unknown metric"):
        score_grid(scores, "itq", 16, "nope")


def test_evaluate_hasher_per_query_and_models_together(protocol):
    groundtruth = ground_truth_for(protocol, 30, cache_dir=None)
    record, scores = evaluate_hasher(make_hasher("lsh", 8, seed=1), protocol, groundtruth, store=None,
                                     per_query=True)
    assert list(record) == list(RECORD_COLUMNS)
    assert scores["map"].mean() == pytest.approx(record["map"])
    records, models, per_query = run_grid(protocol, ["lsh"], [8], k=30, cache_dir=None, progress=False, store=None,
                                          return_models=True, per_query=True)
    assert set(models) == set(per_query) == {("lsh", 8, 0)}
