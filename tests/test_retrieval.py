"""sigah.retrieval (tables, verdicts, recall curves) and sigah.timing (hardware, scaling, throughput)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sigah.codes import hamming_distances
from sigah.data import Dataset, make_protocol
from sigah.experiments import ground_truth_for, summarize
from sigah.metrics import evaluate_codes, recall_at_n
from sigah.paper import paper_results
from sigah.retrieval import (
    METRICS, beyond_two_sigma, cap_count, column_verdicts, compare_with_paper, grid_with_models, paper_table_for,
    recall_curves, run_study, variant_name,
)
from sigah.timing import fit_time_scaling, hardware_summary, loglog_slope, search_throughput


@pytest.fixture(scope="module")
def protocol():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((8, 16)) * 3
    X = (centres[rng.integers(0, 8, 400)] + rng.standard_normal((400, 16))).astype(np.float32)
    return make_protocol(Dataset("toy", X, None, None, None, "test"), n_queries=30, seed=0)


def test_cap_count_caps_with_a_note(capsys):
    assert cap_count(None, 10, "n_train") is None
    assert cap_count(7, 10, "n_train") == 7
    assert cap_count(12, 10, "n_train") == 10
    assert "n_train = 12 exceeds the 10 available" in capsys.readouterr().out


def test_paper_table_for():
    assert paper_table_for("auto", "mnist") == ("MNIST", 2)
    assert paper_table_for("auto", "siftsmall") is None
    assert paper_table_for(None, "mnist") is None
    assert paper_table_for("gist1m", "base") == ("GIST1M", 1)
    with pytest.raises(ValueError, match="paper_dataset must be"):
        paper_table_for("sift1m", "base")


def test_grid_models_reproduce_their_records_and_variants_are_named(protocol):
    records, models = grid_with_models(protocol, ["lsh", "itq"], [8, 16], repeats=2, seed=3, k=20,
                                       params={"itq": {"n_iter": 5}}, variants={"lsh": {"center": False}})
    name = variant_name("lsh", {"center": False})
    assert name == "lsh[center=False]"
    assert set(records["method"]) == {"lsh", "itq", name}
    assert set(models) == {(m, b, s) for m in ("lsh", "itq", name) for b in (8, 16) for s in (3, 4)}
    assert models[(name, 8, 3)].center is False
    groundtruth = ground_truth_for(protocol, 20, cache_dir=None)
    for r in records.to_dict("records"):
        model = models[(r["method"], r["bits"], r["seed"])]
        scores = evaluate_codes(model.encode(protocol.queries), model.encode(protocol.database), groundtruth)
        assert scores["map_pr_area"] == pytest.approx(r["map_pr_area"])


def _summary(rows):
    records = pd.DataFrame(rows)
    for column in ("map_stable", "fit_seconds"):
        records[column] = 0.0
    return summarize(records, metrics=list(METRICS))


def test_compare_with_paper_differences_and_two_sigma_flags():
    paper = paper_results(table=2, dataset="MNIST")
    itq32 = paper.query("method == 'ITQ' and bits == 32").set_index("metric")["value"]
    rows = [{"method": m, "bits": 32, "seed": s, "precision_at_100": p + d, "map_pr_area": a + d, "map": 0.5}
            for m, p, a in (("itq", itq32["precision_at_100"], itq32["map"]), ("sigah", 0.9, 0.6))
            for s, d in ((0, -0.001), (1, 0.001))]
    rows += [{"method": "sgh[neuron=stochastic]", "bits": 32, "seed": 0, "precision_at_100": 0.1,
              "map_pr_area": 0.1, "map": 0.1}]
    table = compare_with_paper(_summary(rows), ("MNIST", 2))
    itq = table.set_index("method").loc["itq"]
    assert itq["Pre@100 (paper)"] == itq32["precision_at_100"]
    assert itq["Pre@100 Δ"] == pytest.approx(0.0, abs=1e-12)
    sgh = table.set_index("method").loc["sgh[neuron=stochastic]"]
    assert sgh["label"] == "SGH (neuron=stochastic)" and np.isfinite(sgh["Pre@100 (paper)"])
    flagged = beyond_two_sigma(table)
    expected = {(r["label"], name) for r in table.to_dict("records") for name in ("Pre@100", "mAP (PR area)")
                if abs(r[f"{name} Δ"]) > 2 * r[f"{name} ±"]}
    assert set(zip(flagged["method"], flagged["metric"])) == expected
    assert ("ITQ", "Pre@100") not in expected and ("SiGAH", "Pre@100") in expected


def test_column_verdicts_leader_and_rank():
    rows = [{"method": m, "bits": b, "seed": 0, "precision_at_100": v, "map_pr_area": v, "map": v}
            for m, b, v in (("lsh", 32, 0.2), ("itq", 32, 0.5), ("sigah", 32, 0.4), ("qolsh", 784, 0.9))]
    verdicts = column_verdicts(compare_with_paper(_summary(rows), None), [32], focus="sigah")
    assert list(verdicts["leader"]) == ["ITQ"] * 3  # QoLSH runs at 784 bits: not in the 32-bit column
    assert list(verdicts["SiGAH rank"]) == ["2 of 3"] * 3
    assert verdicts["lead"].iloc[0] == pytest.approx(0.1)


def test_recall_curves_agree_with_recall_at_n(protocol):
    records, models = grid_with_models(protocol, ["lsh"], [16], repeats=1, seed=0, k=50)
    groundtruth = ground_truth_for(protocol, 50, cache_dir=None)
    curves = recall_curves(models, protocol, groundtruth, seed=0, ks=(1, 10, 50, 1000), n_points=8)
    assert sorted(curves["K"].unique()) == [1, 10, 50]  # K above the ground truth's length is skipped
    model = models[("lsh", 16, 0)]
    distances = hamming_distances(model.encode(protocol.queries), model.encode(protocol.database))
    for k, group in curves.groupby("K"):
        assert {k, 100} <= set(group["N"]) and group["N"].max() == protocol.n_database
        np.testing.assert_allclose(group["recall"], recall_at_n(distances, groundtruth[:, :k], group["N"]))
        assert np.all(np.diff(group["recall"]) >= -1e-12) and group["recall"].iloc[-1] == pytest.approx(1.0)


def test_run_study_caps_and_names_qolsh_bits(capsys):
    rng = np.random.default_rng(1)
    data = Dataset("small", rng.standard_normal((120, 10)).astype(np.float32), None, None, None, "test")
    study = run_study(data, methods=["lsh", "qolsh"], bits=[8], repeats=1, k=500, n_queries=20, n_database=5000)
    assert "n_database = 5,000 exceeds the 100 available" in capsys.readouterr().out
    assert study.groundtruth.shape == (20, 100) and study.paper is None
    assert set(zip(study.table["method"], study.table["bits"])) == {("lsh", 8), ("qolsh", 16)}


def test_loglog_slope_recovers_a_power_law():
    n = np.array([1e3, 4e3, 2e4, 7e4])
    slope, intercept = loglog_slope(n, 3.0 * n**1.5)
    assert slope == pytest.approx(1.5) and np.exp(intercept) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="two distinct"):
        loglog_slope([5, 5], [1, 2])
    with pytest.raises(ValueError, match="positive"):
        loglog_slope([1, 2], [0, 1])


def test_fit_time_scaling_rows_and_validation(protocol):
    frame = fit_time_scaling(protocol.train, ["lsh", "itq"], [50, 100], n_bits=8, params={"itq": {"n_iter": 3}})
    assert list(frame.columns) == ["method", "bits", "n", "d", "fit_seconds"]
    assert set(zip(frame["method"], frame["n"])) == {(m, n) for m in ("lsh", "itq") for n in (50, 100)}
    with pytest.raises(ValueError, match="sizes must lie in"):
        fit_time_scaling(protocol.train, ["lsh"], [10**6], n_bits=8)


def test_search_throughput_and_hardware_summary():
    frame = search_throughput([500, 2000], n_bits=64, k=10, n_queries={"faiss": 20, "numpy": 5}, threads=1)
    assert set(zip(frame["engine"], frame["n_database"])) == {(e, n) for e in ("faiss", "numpy") for n in (500, 2000)}
    assert np.allclose(frame["queries_per_second"], frame["n_queries"] / frame["seconds"])
    info = hardware_summary()
    assert {"CPU", "cores", "BLAS", "NumPy", "TensorFlow", "faiss"} <= set(info) and info["CPU"]
