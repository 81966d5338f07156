"""The computed sentences and tables of chapter *The baselines*."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sigah.stats import PUBLISHED_VERDICTS
from sigah.studies import baselines as report
from sigah.studies.paper import paper_value

MNIST = SimpleNamespace(name="mnist", description="MNIST: 1,000 random queries, seed 0",
                        n_queries=1000, n_database=69000, n_train=69000)


def records(offsets, seeds=(0, 1, 2), jitter=0.001):
    """``run_grid``-shaped records of LSH and ITQ at the paper's numbers plus ``offsets[method]``."""
    rows = []
    for method, offset in offsets.items():
        for b in (32, 64):
            for s in seeds:
                noise = jitter * (s - np.mean(seeds))
                rows.append({"method": method, "bits": b, "seed": s,
                             "precision_at_100": paper_value(method, b, "precision_at_100") + offset + noise,
                             "map_pr_area": paper_value(method, b, "map") + offset + noise,
                             "fit_seconds": 1.0 + s, "encode_seconds": 0.1})
    return pd.DataFrame(rows)


def test_run_headline_names_the_training_set():
    text = report.run_headline(MNIST, 1000, [], 784).data
    assert "training set of 69,000 points in 784 dimensions" in text
    assert report.run_headline(MNIST, 1000, ["k lowered"], 784).data.endswith("- Size preset lowered: k lowered")


def test_ba_sentence_singular_iteration_and_z_step_check():
    ba = SimpleNamespace(stop_reason_="codes equal the encoder")
    one = pd.DataFrame({"objective_after_hf": [2.0], "objective_after_z": [1.0]})
    assert "after 1 iteration." in report.ba_sentence(ba, one).data
    two = pd.DataFrame({"objective_after_hf": [2.0, 2.0], "objective_after_z": [1.0, 3.0]})
    text = report.ba_sentence(ba, two).data
    assert "after 2 iterations" in text and text.endswith("$E_Q$: False.")


def test_qolsh_sentence_counts_flips_and_the_objective():
    trace = np.array([[0.5, 0.6, np.nan], [0.4, 0.5, 0.7]])
    text = report.qolsh_sentence(True, 784, 2, trace).data
    assert "all 2 test queries: **True**" in text
    assert "1.5 flips per point" in text and "from 0.4500 to 0.6500" in text
    assert "1 test query:" in report.qolsh_sentence(False, 8, 1, trace[:1]).data


def test_och_sentence_measures_orthonormality():
    history = pd.DataFrame({"violated": [0.3, 0.1]})
    text = report.och_sentence(history, np.eye(4)[:, :2]).data
    assert "from 0.300 (principal directions) to 0.100" in text and "= 0.0e+00" in text


def test_with_timings_adds_ours_and_the_papers():
    recs = records({"lsh": 0.0, "itq": 0.0})
    comparison = pd.DataFrame({"method": ["lsh", "itq"], "bits": [32, 32]})
    out = report.with_timings(comparison, recs)
    assert list(out["train s"]) == [2.0, 2.0]  # mean over the seeds 0, 1, 2 of 1 + seed
    assert np.isnan(out.loc[0, "train s, Deep1M (paper)"])  # the paper times no LSH
    assert out.loc[1, "train s, Deep1M (paper)"] == paper_value("itq", 32, "train_seconds", table=3,
                                                                 dataset="Deep1M")


def test_ranking_row_without_ties_has_no_pr_area():
    row = report.ranking_row("QoLSH, asymmetric cosine", 784, {"precision_at_100": 0.5, "map": 0.4})
    assert np.isnan(row["mAP (PR area)"]) and row["stable mAP"] == 0.4


def comparison_frame(offset=0.0):
    rows = []
    for method in ("lsh", "itq"):
        for b in (32, 64):
            pre, mAP = paper_value(method, b, "precision_at_100"), paper_value(method, b, "map")
            extra = offset if (method, b) == ("itq", 64) else 0.0
            rows.append({"method": method, "bits": b, "Pre@100": pre + extra, "Pre@100 (paper)": pre,
                         "mAP (PR area)": mAP + extra, "mAP (paper)": mAP})
    return pd.DataFrame(rows)


def test_gap_sentence_names_the_largest_and_smallest_gap_without_a_threshold():
    gaps = report.paper_gaps(comparison_frame(offset=0.05))
    assert gaps.loc[(gaps.method == "itq") & (gaps.bits == 64), "ΔmAP"].item() == pytest.approx(0.05)
    text = report.gap_sentence(gaps, MNIST, "SGH ran 5,000 iterations.").data
    assert "Largest gap from the paper: ITQ at 64 bits (Pre@100 +0.0500, mAP +0.0500)" in text
    assert "; smallest: LSH at 32 bits" in text and "no interval" in text
    one = report.gap_sentence(gaps.iloc[:1], MNIST, "").data
    assert "smallest" not in one
    empty = report.gap_sentence(gaps.iloc[:0], MNIST, "").data
    assert "no numbers" in empty


def test_paper_check_inside_when_our_seeds_straddle_the_paper():
    check = report.paper_check(report.seed_scores(records({"lsh": 0.0, "itq": 0.0})))
    assert len(check) == 8
    assert all(r.verdict == PUBLISHED_VERDICTS[0] for r in check.result)
    text = report.paper_check_sentence(check, 3).data
    assert "inside our interval in 8 of 8 cells" in text and "accounts for every gap" in text
    assert "3 seeds" in text


def test_paper_check_outside_names_the_cell_and_the_side():
    check = report.paper_check(report.seed_scores(records({"lsh": 0.0, "itq": -0.2})))
    outside = [r for r in check.itertuples() if r.result.verdict != PUBLISHED_VERDICTS[0]]
    assert {r.method for r in outside} == {"itq"}
    text = report.paper_check_sentence(check, 3).data
    assert "in 4 of 8 cells" in text and "ITQ 32 bits Pre@100" in text and "above our" in text
    assert "the seeds alone do not explain" in text and "smaller split" not in text
    assert "not covered. Where" in text
    small = SimpleNamespace(name="mnist", n_queries=300, n_database=10000, n_train=10000)
    assert "the smaller split of this run" in report.paper_check_sentence(check, 3, small).data
    assert "smaller split" not in report.paper_check_sentence(check, 3, MNIST).data


def test_paper_check_needs_two_seeds_and_paper_numbers():
    one = report.paper_check(report.seed_scores(records({"lsh": 0.0, "itq": 0.0}, seeds=(0,))))
    assert one.empty
    assert "1 seed per cell, too few" in report.paper_check_sentence(one, 1, MNIST).data
    assert "no numbers" in report.paper_check_sentence(report.paper_check({}), 3).data
    assert report.paper_check({("qolsh", 784, "precision_at_100"): np.ones(3)}).empty


def test_sph_sentence_on_a_fitted_model():
    from sigah.hashers import make_hasher

    X = np.random.default_rng(0).standard_normal((400, 8)).astype(np.float32)
    sph = make_hasher("sph", 8, seed=0).fit(X)
    text = report.sph_sentence(sph, X).data
    assert f"**{sph.n_iter_} iteration" in text and "of 400 points" in text
    share = sph.encode_bits(X).mean(0)
    assert f"{share.min():.3f}" in text


def test_sgh_neuron_table_averages_the_last_window():
    model = SimpleNamespace(reconstruction_history_=np.array([9.0, 1.0, 3.0]))
    record = {"precision_at_100": 0.5, "map_pr_area": 0.3, "fit_seconds": 2.0}
    frame = report.sgh_neuron_table({"deterministic": (model, record)}, window=2).data
    assert frame.loc[0, "final ½‖x̂−x‖²"] == 2.0 and frame.loc[0, "Pre@100"] == 0.5


def test_distance_choice_sentence_orders_means_without_claiming_a_ranking():
    comparison = pd.DataFrame({
        "method": ["sph", "sph", "itq", "itq", "qolsh"], "bits": [32, 64, 32, 64, 784],
        "Pre@100": [0.6, 0.7, 0.8, 0.9, 0.95], "Pre@100 (paper)": [0.68, 0.85, 0.83, 0.93, np.nan],
        "mAP (PR area)": [0.3, 0.4, 0.4, 0.5, 0.6]})
    extra = pd.DataFrame([report.ranking_row("SpH, spherical Hamming distance", b,
                                             {"precision_at_100": 0.65, "map": 0.2, "map_pr_area": 0.25})
                          for b in (32, 64)])
    text = report.distance_choice_sentence(comparison, extra, {"precision_at_100": 0.97}, [32, 64]).data
    assert "32 bits Pre@100 0.6500 vs 0.6000" in text
    assert "QoLSH at 784 bits: Pre@100 0.9500 (Hamming), 0.9700 (asymmetric)" in text
    assert "ITQ's, is 0.9000" in text
    assert "not a ranking this run can defend): ours ITQ, SpH; the paper's ITQ, SpH." in text
    assert ">" not in text


def test_other_data_gets_no_paper_columns_gaps_or_check():
    own = SimpleNamespace(name="base.fvecs", description="base.fvecs", n_queries=100, n_database=900,
                          n_train=900)
    frame = comparison_frame().assign(seeds=1)
    assert "(paper)" not in report.method_table(frame, own).to_html()
    assert "(paper)" in report.method_table(frame, MNIST).to_html()
    assert report.paper_gaps(frame, own).empty and len(report.paper_gaps(frame, MNIST)) == 4
    check = report.paper_check(report.seed_scores(records({"lsh": 0.0, "itq": 0.0})))
    assert "no numbers" in report.paper_check_sentence(check, 3, own).data


def test_paper_check_on_per_query_grids_covers_the_query_sample():
    rng = np.random.default_rng(0)
    scores = {}
    for method in ("lsh", "itq"):
        for b in (32, 64):
            for s in (0, 1):
                pre, mAP = paper_value(method, b, "precision_at_100"), paper_value(method, b, "map")
                noise = 0.05 * rng.standard_normal(300)
                scores[(method, b, s)] = {"precision_at_100": pre + noise, "map_pr_area": mAP + noise}
    grids = report.query_scores(scores)
    assert grids[("itq", 64, "map_pr_area")].shape == (2, 300)
    check = report.paper_check(grids)
    assert len(check) == 8 and check.result.iloc[0].n_queries == 300
    text = report.paper_check_sentence(check, 2, MNIST).data
    assert "2 seeds\u00a0×\u00a0300 queries" in text and "another query sample is not covered" not in text
    assert "between seeds and query samples accounts for every gap" in text


def test_the_method_table_splits_scores_from_times():
    frame = pd.DataFrame({"method": ["itq"], "bits": [32], "Pre@100": [0.5], "mAP (PR area)": [0.3],
                          "train s": [1.0], "encode s": [0.1], "train s, GIST1M (paper)": [2.0]})
    quality = report.method_table(frame).to_html()
    time = report.method_table(frame, part="time").to_html()
    assert "Pre@100" in quality and "train s" not in quality and "encode s" not in quality
    assert "train s" in time and "encode s" in time and "Pre@100" not in time and "ITQ" in time
    with pytest.raises(ValueError, match="part must be"):
        report.method_table(frame, part="speed")
