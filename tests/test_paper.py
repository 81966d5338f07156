"""Tests of sigah.studies.paper: the transcription of the paper's Tables 1-7."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sigah.studies.paper import paper_results, paper_table2

KEY = ["table", "dataset", "method", "metric", "bits"]


def value(frame: pd.DataFrame, **where) -> float:
    mask = pd.Series(True, index=frame.index)
    for column, wanted in where.items():
        mask &= frame[column] == wanted
    assert mask.sum() == 1, where
    return float(frame.loc[mask, "value"].iloc[0])


def test_csv_parses_with_unique_keys():
    frame = paper_results()
    assert list(frame.columns) == KEY + ["value"]
    assert frame["value"].notna().all() and (frame["value"] > 0).all()
    assert not frame.duplicated(KEY).any()
    assert set(frame["metric"]) == {"map", "precision_at_100", "train_seconds", "map_at_1000"}
    # every number of Tables 1-7 (Table 5 has no sigmoid/MNIST entry, Table 6 no dashes)
    assert frame.groupby("table").size().to_dict() == {1: 90, 2: 28, 3: 30, 4: 12, 5: 14, 6: 54, 7: 6}


def test_spot_values_against_tables():
    frame = paper_results()
    assert value(frame, table=2, method="ITQ", metric="map", bits=32) == 0.4223
    assert value(frame, table=2, method="SiGAH", metric="precision_at_100", bits=64) == 0.9294
    assert value(frame, table=1, dataset="Deep1M", method="SGH", metric="precision_at_100", bits=32) == 0.4438
    assert value(frame, table=1, dataset="GIST1M", method="QoLSH", metric="map", bits=960) == 0.2691
    assert value(frame, table=1, dataset="Tiny100K", method="QoLSH", metric="precision_at_100", bits=384) == 0.3313
    assert value(frame, table=3, dataset="Deep1M", method="ITQ", metric="train_seconds", bits=64) == 0.982
    assert value(frame, table=3, dataset="GIST1M", method="BA", metric="train_seconds", bits=64) == 1120
    assert value(frame, table=4, dataset="Deep1M", method="SiGAH (without discriminator)", bits=64) == 0.3118
    assert value(frame, table=5, dataset="MNIST", method="SiGAH (LeakyReLU)", bits=64) == 0.5060
    assert value(frame, table=6, dataset="ImageNet-100", method="GreedyHash", bits=64) == 0.698
    assert value(frame, table=6, dataset="CIFAR-10", method="DeepBit (GIST input)", bits=16) == 0.162
    assert value(frame, table=7, method="SiGAH (ResNet152)") == 0.717


def test_filters():
    mnist = paper_results(dataset="mnist")
    assert set(mnist["dataset"]) == {"MNIST"} and set(mnist["table"]) == {2, 5}
    assert set(paper_results(table=3)["metric"]) == {"train_seconds"}
    with pytest.raises(ValueError, match="table must be one of"):
        paper_results(table=8)
    with pytest.raises(ValueError, match="dataset must be one of"):
        paper_results(dataset="SIFT1B")


def test_table2_pivot():
    table = paper_table2()
    assert list(table.columns) == ["mAP 32", "mAP 64", "P@100 32", "P@100 64"]
    assert list(table.index) == ["LSH", "ITQ", "SpH", "BA", "SGH", "OCH", "SiGAH"]
    assert table.loc["OCH", "P@100 32"] == 0.7649
    assert table.loc["SpH", "mAP 64"] == 0.4894


def test_beside_paper_matches_methods_and_bits():
    import pandas as pd

    from sigah.studies.experiments import summarize
    from sigah.studies.paper import beside_paper

    records = pd.DataFrame({
        "method": ["itq", "itq", "lsh", "qolsh"], "bits": [32, 32, 64, 784], "seed": [0, 1, 0, 0],
        "map": [0.5, 0.6, 0.4, 0.3], "map_stable": [0.5, 0.6, 0.4, 0.3], "map_pr_area": [0.40, 0.42, 0.38, 0.2],
        "precision_at_100": [0.8, 0.9, 0.7, 0.6], "fit_seconds": [1.0, 1.0, 0.1, 0.1],
    })
    table = beside_paper(summarize(records), table=2, dataset="MNIST")
    assert list(table.method) == ["itq", "lsh", "qolsh"]  # ids, unchanged
    itq = table[(table.method == "itq") & (table.bits == 32)].iloc[0]
    assert itq["seeds"] == 2
    assert abs(itq["Pre@100"] - 0.85) < 1e-12 and abs(itq["mAP (PR area)"] - 0.41) < 1e-12
    assert itq["Pre@100 (paper)"] == 0.8255 and itq["mAP (paper)"] == 0.4223
    lsh = table[table.method == "lsh"].iloc[0]
    assert lsh["mAP (paper)"] == 0.3598
    assert table[table.method == "qolsh"]["mAP (paper)"].isna().all()  # not in Table 2


def test_beside_paper_matches_by_id_not_by_display_label(monkeypatch):
    """Renaming a display label must not lose the paper's numbers; a variant gets its method's numbers."""
    from sigah.studies import plotting
    from sigah.studies.experiments import summarize
    from sigah.studies.paper import beside_paper, paper_value

    monkeypatch.setitem(plotting.METHOD_LABELS, "sph", "Spherical Hashing")
    records = pd.DataFrame({
        "method": ["sph", "sgh-stochastic", "sigah"], "bits": [64, 32, 64], "seed": [0, 0, 0],
        "map": [0.5] * 3, "map_stable": [0.5] * 3, "map_pr_area": [0.4] * 3, "precision_at_100": [0.8] * 3,
        "fit_seconds": [1.0] * 3,
    })
    table = beside_paper(summarize(records)).set_index("method")
    paper = paper_results(table=2)
    for method, name, bits in (("sph", "SpH", 64), ("sgh-stochastic", "SGH", 32), ("sigah", "SiGAH", 64)):
        for metric, column in (("map", "mAP (paper)"), ("precision_at_100", "Pre@100 (paper)")):
            expected = value(paper, method=name, metric=metric, bits=bits)
            assert table.loc[method, column] == expected == paper_value(method, bits, metric)
    assert np.isnan(paper_value("qolsh", 784, "map")) and np.isnan(paper_value("itq", 16, "map"))
    assert paper_value("sgh", 64, "map", table=1, dataset="Deep1M") == value(
        paper_results(table=1), dataset="Deep1M", method="SGH", metric="map", bits=64)


def test_beside_paper_accepts_a_summary_without_ranking_columns():
    from sigah.studies.experiments import summarize
    from sigah.studies.paper import beside_paper

    records = pd.DataFrame({"method": ["itq"], "bits": [32], "seed": [0], "map_pr_area": [0.4],
                            "precision_at_100": [0.8], "map": [0.5]})
    table = beside_paper(summarize(records, metrics=("precision_at_100", "map_pr_area", "map")))
    assert table.loc[0, "ranking mAP"] == 0.5 and np.isnan(table.loc[0, "stable mAP"])


def test_comparability_note_tells_the_three_cases_apart():
    from types import SimpleNamespace

    from sigah.studies.paper import comparability_note

    def protocol(name, nq, nd, nt):
        return SimpleNamespace(name=name, n_queries=nq, n_database=nd, n_train=nt)

    assert "own MNIST protocol: comparable with Table 2." in comparability_note(protocol("mnist", 1000, 69000, 69000))
    smaller = comparability_note(protocol("mnist", 300, 69700, 10000))
    assert "up to the sampling noise" in smaller and "300" in smaller and "10,000" in smaller
    for other in (protocol("mnist", 300, 10000, 10000), protocol("siftsmall", 100, 10000, 10000)):
        assert comparability_note(other).startswith("**Caution:**")
    assert "of SIFT10K, not a dataset of the paper" in comparability_note(protocol("siftsmall", 100, 10000, 10000))
    assert "Table 1" in comparability_note(protocol("gist", 10, 100, 100), table=1)
