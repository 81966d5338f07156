"""sigah.studies.retrieval (tables, verdicts, recall curves) and sigah.studies.timing (hardware, scaling, throughput)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sigah import stats
from sigah.codes import hamming_distances
from sigah.data import Dataset, make_protocol
from sigah.studies.experiments import ground_truth_for, score_grid, summarize
from sigah.hashers import make_hasher
from sigah.metrics import evaluate_codes, recall_at_n
from sigah.studies.paper import paper_results
from sigah.hashers.sigah import training_epochs
from sigah.studies.retrieval import (
    METRICS, beyond_two_sigma, column_verdicts, compare_with_paper, published_verdicts, grid_with_models, method_params,
    paper_table_for, recall_curves, run_study, variant_name,
)
from sigah.studies.timing import (
    fit_time_scaling, fit_time_slopes, hardware_summary, loglog_slope, optimiser_steps, search_throughput,
    short_schedules,
)


@pytest.fixture(scope="module")
def protocol():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((8, 16)) * 3
    X = (centres[rng.integers(0, 8, 400)] + rng.standard_normal((400, 16))).astype(np.float32)
    return make_protocol(Dataset("toy", X, None, None, None, "test"), n_queries=30, seed=0)


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


def test_compare_with_paper_differences_and_paper_numbers_against_our_interval():
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
    verdicts = published_verdicts(table)
    cells = [(r, name) for r in table.to_dict("records") for name in ("Pre@100", "mAP (PR area)")
             if np.isfinite(r[f"{name} (paper)"])]
    assert len(verdicts) == len(cells)
    family = sum(r["seeds"] > 1 for r, _ in cells)
    for (r, name), v in zip(sorted(cells, key=lambda c: c[1] != "Pre@100"), verdicts.to_dict("records")):
        assert (v["method"], v["metric"]) == (r["label"], name)
        if r["seeds"] < 2:
            assert v["verdict"] == "no interval (one seed)"
            continue
        # a t interval over the seeds at the Bonferroni level of the table's cells
        half = sps.t.ppf(1 - 0.05 / family / 2, r["seeds"] - 1) * r[f"{name} ±"] / np.sqrt(r["seeds"])
        assert (v["low"], v["high"]) == pytest.approx((r[name] - half, r[name] + half))
        inside = r[name] - half <= r[f"{name} (paper)"] <= r[name] + half
        assert v["verdict"] == ("inside our interval" if inside else "outside our interval")
    flagged = beyond_two_sigma(table)
    assert set(zip(flagged["method"], flagged["metric"])) == {
        (v["method"], v["metric"]) for v in verdicts.to_dict("records") if v["verdict"] == "outside our interval"}
    assert ("ITQ", "Pre@100") not in set(zip(flagged["method"], flagged["metric"]))
    assert ("SiGAH", "Pre@100") in set(zip(flagged["method"], flagged["metric"]))  # 0.9 against the paper's


def test_published_verdicts_from_per_query_scores_cover_seeds_and_queries(protocol):
    variant = variant_name("lsh", {"center": False})
    records, _, scores = grid_with_models(protocol, ["lsh"], [32], repeats=2, seed=0, k=20,
                                          variants={"lsh": {"center": False}}, per_query=True)
    assert set(scores) == {(m, 32, s) for m in ("lsh", variant) for s in (0, 1)}
    table = compare_with_paper(summarize(records, metrics=list(METRICS)), ("MNIST", 2))
    verdicts = published_verdicts(table, scores=scores)
    assert len(verdicts) == 4  # two rows × (Pre@100, PR-area mAP) have a paper number at 32 bits
    for v in verdicts.to_dict("records"):
        method = {"LSH": "lsh", "LSH (center=False)": variant}[v["method"]]
        column = {name: key for key, name in METRICS.items()}[v["metric"]]
        expected = stats.compare_to_published(score_grid(scores, method, 32, column), v["paper"], family_size=4)
        assert (v["low"], v["high"], v["verdict"]) == pytest.approx((expected.low, expected.high, expected.verdict))
        assert v["ours"] == pytest.approx(expected.mean)
    flagged = beyond_two_sigma(table, scores=scores)
    assert set(flagged["method"] + flagged["metric"]) == set(
        verdicts.loc[verdicts["verdict"] == "outside our interval", "method"]
        + verdicts.loc[verdicts["verdict"] == "outside our interval", "metric"])
    leaders = column_verdicts(table, [32], records=records, scores=scores)
    assert set(leaders["leader"]) <= {"LSH", "LSH (center=False)", "tied"}


def test_column_verdicts_leader_and_rank():
    rows = [{"method": m, "bits": b, "seed": 0, "precision_at_100": v, "map_pr_area": v, "map": v}
            for m, b, v in (("lsh", 32, 0.2), ("itq", 32, 0.5), ("sigah", 32, 0.4), ("qolsh", 784, 0.9))]
    verdicts = column_verdicts(compare_with_paper(_summary(rows), None), [32], focus="sigah")
    assert list(verdicts["best"]) == ["ITQ"] * 3  # QoLSH runs at 784 bits: not in the 32-bit column
    assert list(verdicts["leader"]) == ["untested"] * 3  # no runs given: no leader is named
    assert list(verdicts["SiGAH rank"]) == ["2 of 3"] * 3
    assert verdicts["lead"].iloc[0] == pytest.approx(0.1)


def test_column_verdicts_name_a_leader_only_beyond_the_interval():
    rng = np.random.default_rng(4)
    # ITQ clearly ahead of LSH; SiGAH a hair behind ITQ with a seed spread larger than the gap
    means = {"lsh": 0.2, "itq": 0.5, "sigah": 0.499}
    spread = {"lsh": 0.001, "itq": 0.001, "sigah": 0.02}
    rows = [{"method": m, "bits": 32, "seed": s, **dict.fromkeys(METRICS, means[m] + rng.normal(0, spread[m]))}
            for m in means for s in range(4)]
    records = pd.DataFrame(rows)
    table = compare_with_paper(_summary(rows), None)
    verdicts = column_verdicts(table, [32], records=records)
    for r in verdicts.to_dict("records"):
        scores = {m: records[records.method == m].sort_values("seed")[METRICS_BY_NAME[r["metric"]]].to_numpy()
                  for m in means}
        expected = stats.find_leader({LABELS[m]: v for m, v in scores.items()})
        assert r["leader"] == (expected.leader or "tied") and r["tied"] == ", ".join(expected.tied)
    assert list(verdicts["leader"]) == ["tied"] * 3 and "LSH" not in verdicts["tied"].iloc[0]
    clear = {**means, "sigah": 0.3}
    rows = [{"method": m, "bits": 32, "seed": s, **dict.fromkeys(METRICS, clear[m] + rng.normal(0, 0.001))}
            for m in clear for s in range(3)]
    verdicts = column_verdicts(compare_with_paper(_summary(rows), None), [32], records=pd.DataFrame(rows))
    assert list(verdicts["leader"]) == ["ITQ"] * 3 and list(verdicts["tied"]) == ["ITQ"] * 3


METRICS_BY_NAME = {v: k for k, v in METRICS.items()}
LABELS = {"lsh": "LSH", "itq": "ITQ", "sigah": "SiGAH"}


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


def test_run_study_caps_and_names_qolsh_bits():
    rng = np.random.default_rng(1)
    data = Dataset("small", rng.standard_normal((120, 10)).astype(np.float32), None, None, None, "test")
    study = run_study(data, methods=["lsh", "qolsh"], bits=[8], repeats=1, k=500, n_queries=20, n_database=5000)
    assert [note.split(":")[0] for note in study.notes] == ["n_database = 5,000 capped to 100", "k = 500 capped to 100"]
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


def test_optimiser_steps_follow_the_fitted_schedule():
    X = np.random.default_rng(1).standard_normal((200, 12)).astype(np.float32)
    for epochs, min_steps in ((2, 30), (2, 10), (3, 0)):
        params = {"epochs": epochs, "min_steps": min_steps, "batch_size": 32, "progress": False}
        model = make_hasher("sigah", 8, **params).fit(X)
        # 200 rows in batches of 32: 7 steps per epoch, as many epochs as the fit made
        assert optimiser_steps("sigah", 200, params) == 7 * model.n_epochs_ == 7 * len(model.history_["epoch"])
    assert optimiser_steps("sgh", 10**6, {"n_iter": 123}) == 123
    assert optimiser_steps("itq", 1000) is None
    # the defaults' floor: flat below it, proportional to n above it
    default = make_hasher("sigah", 8)
    small, large = 1000, 10**6
    assert optimiser_steps("sigah", small) >= default.min_steps
    batches = -(-large // default.batch_size)
    assert optimiser_steps("sigah", large) == max(default.epochs, -(-default.min_steps // batches)) * batches
    assert training_epochs(large, batch_size=256, epochs=20, min_steps=5000) == 20


def test_short_schedules_scale_counts_and_drop_the_floor():
    params = method_params(sgh_iter=1000, ba_iter=5, och_steps=10)
    short = short_schedules(params, 0.1)
    assert short["sgh"]["n_iter"] == 100 and short["sigah"]["epochs"] == round(0.1 * make_hasher("sigah", 8).epochs)
    assert short["sigah"]["min_steps"] == 0 and short["ba"] == params["ba"] and "min_steps" not in params["sigah"]
    assert short_schedules(method_params(sgh_iter=3, ba_iter=5, och_steps=10, sigah_epochs=2), 0.01)["sigah"]["epochs"] == 1
    with pytest.raises(ValueError, match="share"):
        short_schedules(params, 0.0)


def test_fit_time_slopes_rescale_a_short_schedule_by_its_steps():
    n = np.array([1000, 2000, 4000, 8000])
    run = {"sigah": {"epochs": 1, "min_steps": 0, "batch_size": 100}, "sgh": {"n_iter": 10}}
    full = {"sigah": {"epochs": 4, "min_steps": 5000, "batch_size": 100}, "sgh": {"n_iter": 50}}
    # a cost of 1 ms per step: SiGAH's short run makes n / 100 steps, SGH's 10 whatever n, ITQ grows like n
    frame = pd.DataFrame({"method": ["sigah"] * 4 + ["sgh"] * 4 + ["itq"] * 4, "n": np.tile(n, 3), "d": 8,
                          "fit_seconds": np.concatenate([n / 100 * 1e-3, np.full(4, 10e-3), n * 1e-6])})
    slopes = fit_time_slopes(frame, "n", extrapolate_to=10**6, run_params=run, full_params=full)
    t = slopes["t at n* (s), full schedule, extrapolated"]
    assert slopes.loc["SiGAH", "exponent b"] == pytest.approx(1.0) and slopes.loc["SGH", "exponent b"] == pytest.approx(0.0)
    # time per step × the steps of the full settings at 10⁶: 4 epochs of 10⁴ batches (the floor does not bind)
    assert t["SiGAH"] == pytest.approx(1e-3 * 4 * 10**4) and t["SGH"] == pytest.approx(1e-3 * 50)
    assert t["ITQ"] == pytest.approx(1.0) and np.isnan(slopes.loc["ITQ", "steps at n*, full schedule"])
    assert slopes.loc["SiGAH", "time per step (s)"] == pytest.approx(1e-3) and np.isnan(slopes.loc["ITQ", "time per step (s)"])
    # a fixed cost (tracing) bends the short runs' power law; the time per step at the largest n keeps it once
    traced = frame.assign(fit_seconds=frame["fit_seconds"] + np.where(frame["method"] == "sigah", 2.0, 0.0))
    t_traced = fit_time_slopes(traced, "n", extrapolate_to=10**6, run_params=run, full_params=full).loc["SiGAH"]
    assert t_traced["exponent b"] < 0.5
    assert t_traced["t at n* (s), full schedule, extrapolated"] == pytest.approx((2.0 + 80e-3) / 80 * 4 * 10**4)
    # below the floor, the full schedule's steps are min_steps (rounded up to whole epochs)
    small = fit_time_slopes(frame, "n", extrapolate_to=2000, run_params=run, full_params=full)
    assert small.loc["SiGAH", "t at n* (s), full schedule, extrapolated"] == pytest.approx(1e-3 * 5000)
    with pytest.raises(ValueError, match="extrapolated in the number of training vectors"):
        fit_time_slopes(frame.assign(d=frame["n"]), "d", extrapolate_to=10**6)


def test_comparison_table_shows_mean_std_paper_and_difference_sorted_by_bits():
    import pandas as pd

    from sigah.studies.retrieval import METRICS, comparison_table

    names = list(METRICS.values())
    rows = []
    for label, bits, value in [("SiGAH", 64, 0.9), ("ITQ", 32, 0.8), ("LSH", 32, 0.5)]:
        row = {"label": label, "bits": bits}
        for name in names:
            row |= {name: value, f"{name} ±": 0.01, f"{name} (paper)": value - 0.1 if label != "LSH" else float("nan"),
                    f"{name} Δ": 0.1 if label != "LSH" else float("nan")}
        rows.append(row)
    styled = comparison_table(pd.DataFrame(rows))
    shown = styled.data
    assert shown[["method", "bits"]].values.tolist() == [["ITQ", 32], ["LSH", 32], ["SiGAH", 64]]
    assert shown[names[0]].tolist() == [f"{v}\u00a0±\u00a00.0100" for v in ("0.8000", "0.5000", "0.9000")]
    html = styled.to_html()
    assert "+0.1000" in html and "—" in html  # signed differences, a missing paper value as a dash
