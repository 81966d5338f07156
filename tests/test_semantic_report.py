"""The tables and sentences of chapter Deep features: computed, singular/plural, leaders only beyond the interval."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sigah.studies import semantic_report as report
from sigah.studies.paper import paper_results

LABEL = "label_map_at_1000"


def _records(means, seeds, *, bits=(16, 64), spread=0.002, inputs=("pixels",)):
    rng = np.random.default_rng(0)
    rows = []
    for name in inputs:
        for method, mean in means.items():
            for b in bits:
                for s in range(seeds):
                    value = mean + spread * rng.standard_normal()
                    rows.append({"input": name, "method": method, "bits": b, "seed": s, LABEL: value,
                                 "map_pr_area": value / 2, "precision_at_100": value,
                                 "label_precision_at_100": value})
    return pd.DataFrame(rows)


def test_chance_and_cnn_sentences():
    text = report.chance_sentence("MNIST pixels: 100 test queries", 500, 1000, 0.1)
    assert "trained on 500 points" in text and "label mAP@1,000 = **0.100**" in text
    assert "1 network took **3 s** in this run; 1 epoch each" in report.cnn_sentence(1, 3.2, 1, "wide", "x.npy")
    assert "4 networks took" in report.cnn_sentence(4, 3.2, 2, "wide", "x.npy")


def test_cnn_table_renders_html():
    features = {"tiny": SimpleNamespace(n_parameters=1234, dim=10, test_accuracy=0.9, train_seconds=1.0)}
    html = report.cnn_table(features, {"tiny": "one dense layer"}).to_html()
    assert "1,234" in html and "0.9000" in html


def test_table6_cells_are_mean_pm_std_without_wrapping():
    records = _records({"itq": 0.4, "sigah": 0.5}, 3)
    summary = report.label_summary(records, LABEL)
    html = report.table6(summary, LABEL, 1000, 3).to_html()
    assert "\u00a0±\u00a0" in html and "over 3 seeds" in html
    one = report.table6(report.label_summary(_records({"itq": 0.4}, 1), LABEL), LABEL, 1000, 1).to_html()
    assert "±" not in one.split("</caption>")[1] and "over 1 seed" in one


def test_paper_table6_marks_the_rows_run_here():
    table, quoted_only = report.paper_table6(paper_results(table=6))
    assert "HashGAN" in quoted_only and "SiGAH(D)" not in quoted_only
    assert "quoted only" in table.to_html()


def test_verdicts_name_a_leader_only_beyond_the_interval():
    paper6 = paper_results(table=6)
    clear = _records({"itq": 0.40, "sph": 0.35, "sgh": 0.38, "sigah": 0.50}, 3)
    text = report.table6_verdicts(clear, LABEL, [16, 64], 0.1, paper6, input_name="CNN")
    assert "SiGAH leads in label mAP" in text
    assert "SiGAH's label mAP is higher than ITQ's" in text and "Holm-corrected over 2 comparisons" in text
    close = _records({"itq": 0.40, "sph": 0.35, "sgh": 0.38, "sigah": 0.401}, 3, spread=0.01)
    text = report.table6_verdicts(close, LABEL, [16, 64], 0.1, paper6, input_name="CNN")
    assert "leads" not in text.split("The paper")[0] and "tied" in text and "inconclusive" in text
    assert "at 3 of 3 code lengths" in text  # the paper's SiGAH(D) is above the three at every length


def test_verdicts_with_one_seed_test_nothing():
    one = _records({"itq": 0.40, "sph": 0.35, "sgh": 0.38, "sigah": 0.50}, 1)
    text = report.table6_verdicts(one, LABEL, [16], 0.1, paper_results(table=6), input_name="CNN")
    assert "one seed, so no difference is tested" in text and "SiGAH's (0.50" in text
    assert text.count("Chance") == 1


def test_feature_gains_and_sentence():
    records = pd.concat([_records({"itq": 0.3, "sigah": 0.3}, 2, spread=0),
                         _records({"itq": 0.5, "sigah": 0.2}, 2, spread=0, inputs=("CNN",))])
    summary = report.label_summary(records, LABEL)
    gains = report.feature_gains(summary, LABEL, "CNN")
    assert gains.loc["ITQ", 16] == pytest.approx(0.2) and gains.loc["SiGAH", 64] == pytest.approx(-0.1)
    text = report.gains_sentence(gains, paper_results(table=6))
    assert "2 of 4 (method, code length) cells" in text and "at 16 bits" in text


def test_table7_and_trend_sentence():
    table7 = pd.DataFrame({"network": ["a", "b", "c"], "test accuracy": [0.9, 0.95, 0.99], "feature dim": [8, 8, 8],
                           "label mAP": [0.3, 0.4, 0.5], "std": [0.01, np.nan, 0.02]})
    html = report.table7_table(table7, 64).to_html()
    assert "0.300\u00a0±\u00a00.010" in html and "0.400<" in html.replace(" ", "")
    text = report.trend_sentence(table7, 1.0, 1 / 6, 6)
    assert "over 3 networks: **+1.00**" in text and "17%" in text and "(D07)" in text
    # no fixed p threshold decides a trend: the sentence reads the same at any probability
    assert report.trend_sentence(table7, 1.0, 0.01, 6).split("orders.")[1] == text.split("orders.")[1]
    assert "did not give better codes" in report.trend_sentence(table7, -0.5, 0.9, 6)


def test_ranking_agreement_and_sentence():
    records = _records({"itq": 0.4, "sph": 0.3, "sigah": 0.5}, 2, spread=0)
    agreement = report.ranking_agreement(report.label_summary(records, LABEL), LABEL)
    assert list(agreement["best (label mAP)"]) == ["SiGAH", "SiGAH"]
    assert (agreement["Kendall τ"] == 1.0).all()
    text = report.agreement_sentence(agreement)
    assert "**2 of 2 (input, code length) cells**" in text and "is +1.00" in text and "from" not in text


def test_verdicts_with_per_query_scores_test_one_seed_over_queries():
    rng = np.random.default_rng(1)
    means = {"itq": 0.40, "sph": 0.35, "sgh": 0.38, "sigah": 0.50}
    records = _records(means, 1, bits=(16,), spread=0)
    scores = {(m, 16, 0): {LABEL: np.clip(mean + 0.05 * rng.standard_normal(200), 0, 1)} for m, mean in means.items()}
    text = report.table6_verdicts(records, LABEL, [16], 0.1, paper_results(table=6), input_name="CNN", scores=scores)
    assert "SiGAH leads in label mAP" in text and "1 seed\u00a0×\u00a0200 queries" in text
    assert "not another seed" in text  # the one-seed interval says what it covers
