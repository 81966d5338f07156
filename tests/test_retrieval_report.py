"""Chapter *Retrieval quality*: its tables never wrap, its sentences quote all three metrics and
follow the numbers, and SiGAH's rows are named for the model they are."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sigah.studies import retrieval_report as report
from sigah.studies.book_defaults import PRINTED_ROW, SIGAH_ROW, departures_note, row_label
from sigah.studies.experiments import summarize
from sigah.studies.retrieval import Study, compare_with_paper
from sigah.studies.wording import NBSP

SCORES = {  # method: (Pre@100, PR-area mAP, ranking mAP) at 32 bits; 64 bits adds 0.1
    "lsh": (0.30, 0.20, 0.25), "itq": (0.50, 0.40, 0.45), "sgh": (0.45, 0.35, 0.40),
    "sgh[neuron=stochastic]": (0.48, 0.30, 0.50), "sigah": (0.49, 0.45, 0.42),
    "sigah[generator_input=relaxed, decorrelation=0.0]": (0.35, 0.30, 0.28),
}


def make_study(seeds=2, paper=("MNIST", 2), spread=0.01, notes=()):
    rows = []
    for method, (pre, pr, rank) in SCORES.items():
        for bits, shift in ((32, 0.0), (64, 0.1)):
            for s in range(seeds):
                noise = spread * (s - (seeds - 1) / 2)
                rows.append({"method": method, "bits": bits, "seed": s, "precision_at_100": pre + shift + noise,
                             "map_pr_area": pr + shift + noise, "map": rank + shift + noise})
    records = pd.DataFrame(rows)
    table = compare_with_paper(summarize(records, metrics=["precision_at_100", "map_pr_area", "map"]), paper)
    protocol = SimpleNamespace(description="MNIST: 200 queries, 2,000 database", dim=784, n_database=2000)
    return Study(protocol, np.zeros((200, 100), dtype=np.int64), records, {}, paper, table, list(notes))


def test_sigah_rows_are_named_book_defaults_with_a_note_of_the_departures():
    assert row_label("SiGAH") == SIGAH_ROW == "SiGAH (book defaults)"
    assert row_label("ITQ") == "ITQ"
    assert row_label("SiGAH (generator_input=relaxed, decorrelation=0.0)") == PRINTED_ROW
    note = departures_note()
    assert note.startswith(f"*{SIGAH_ROW}* departs from the paper's Eq. 20 as printed in 2 ways")
    assert "stochastic binary codes" in note and "λ_bd = 1" in note
    assert "in one way" in departures_note(generator_input="relaxed")
    assert "Eq. 20 as printed" in departures_note(generator_input="relaxed", decorrelation=0.0)
    assert "departs" not in departures_note(generator_input="relaxed", decorrelation=0.0)


def test_results_table_keeps_mean_and_spread_on_one_line_and_renames_sigah():
    html = report.results_table(make_study().table).to_html()
    assert f"0.4900{NBSP}±{NBSP}0.0071" in html
    assert SIGAH_ROW in html and PRINTED_ROW in html and "white-space: nowrap" in html
    single = report.results_table(make_study(seeds=1).table).to_html()
    assert "±" not in single  # one seed: no spread to show


def test_headline_agrees_with_the_counts():
    assert "1 seed per cell" in report.study_headline(make_study(seeds=1))
    text = report.study_headline(make_study(notes=["k lowered to 100"]))
    assert "2 seeds per cell, 24 fitted models; beside the paper's Table 2 (MNIST)" in text
    assert text.endswith("- Size preset lowered: k lowered to 100")
    assert "without paper columns" in report.study_headline(make_study(paper=None))


def test_verdicts_name_a_leader_only_beyond_the_interval():
    # small spread, 4 seeds: every gap of 0.01 or more is beyond the interval
    text = report.verdicts(make_study(seeds=4, spread=0.0005), [32])
    assert "- Pre@100, 32 bits: **ITQ** leads (0.5000), ahead of each of the 5 other rows beyond the interval (paired over 4 seeds, Holm over 5)" in text
    assert "- mAP (PR area), 32 bits: **SiGAH (book defaults)** leads" in text
    assert "- ranking mAP, 32 bits: **SGH (stochastic neuron)** leads" in text
    assert "SiGAH (book defaults) ranks 2 of 6 by mean; in the paper" in text


def test_verdicts_say_tied_when_the_lead_is_within_the_interval():
    study = make_study(seeds=3, spread=0.0)
    noisy = study.records.copy()
    rng = np.random.default_rng(0)
    noisy[["precision_at_100", "map_pr_area", "map"]] += rng.normal(0, 0.05, (len(noisy), 3))
    study.records = noisy
    text = report.verdicts(study, [32])
    assert "no leader: the highest mean" in text and "is not separated from" in text
    assert "paired over 3 seeds, Holm over 5)" in text
    assert "leads (" not in text.split("in the paper")[0]


def test_verdicts_with_one_seed_give_no_interval():
    text = report.verdicts(make_study(seeds=1), [32])
    assert "highest mean **ITQ** (0.5000; one seed, so no interval)" in text
    assert report.column_leaders(make_study(seeds=1), 32, "Pre@100") is None
    assert "No paper column" in report.verdicts(make_study(paper=None), [32])


def test_against_paper_sets_every_cell_beside_our_interval():
    study = make_study(seeds=3, spread=0.01)
    html = report.against_paper(study).to_html()
    assert "our 99.79 % interval" in html  # Bonferroni over 24 cells
    assert html.count(">inside<") + html.count("above by") + html.count("below by") == 24
    single = report.against_paper(make_study(seeds=1)).to_html()
    assert single.count("no interval (1 seed)") == 24
    assert "No paper column" in report.against_paper(make_study(paper=None))


def test_against_paper_agrees_with_the_interval_it_prints():
    study = make_study(seeds=3, spread=0.01)
    scores = report.seed_scores(study, "itq", 32, "Pre@100")
    assert scores.tolist() == pytest.approx([0.49, 0.50, 0.51])
    from sigah import stats
    inside = stats.compare_to_published(scores, 0.5, family_size=20)
    outside = stats.compare_to_published(scores, 0.9, family_size=20)
    assert inside.verdict == "inside our interval" and outside.verdict == "outside our interval"


def test_sgh_sentence_quotes_all_three_metrics():
    text = report.sgh_sentence(make_study().table, [32, 64])
    assert text.count("\n") == 1
    assert "the stochastic neuron gives Pre@100 0.4800, PR-area mAP 0.3000 and ranking mAP 0.5000" in text
    assert "is above the better SGH row on Pre@100 and PR-area mAP." in text
    table = make_study().table
    assert "not run with both neurons" in report.sgh_sentence(table[table["method"] != "sgh"], [32])


def test_bar_verdicts_quote_all_three_metrics_with_their_verdicts():
    text = report.bar_verdicts([make_study(seeds=4, spread=0.0005)], [32])
    assert "Holm-corrected together; Pre@100 counts as matching ITQ's when the interval lies within ±0.01" in text
    assert "Pre@100 0.4900 against 0.5000 (lower)" in text  # a clear difference, however small
    close = make_study(seeds=4, spread=0.0005)
    sigah = (close.records["method"] == "sigah") & (close.records["bits"] == 32)
    itq = close.records[(close.records["method"] == "itq") & (close.records["bits"] == 32)]
    close.records.loc[sigah, "precision_at_100"] = itq["precision_at_100"].to_numpy() + [0.001, -0.001, 0.002, -0.002]
    assert "(equivalent within ±0.0100)" in report.bar_verdicts([close], [32])
    assert "mAP (PR area) 0.4500 against 0.4000 (higher)" in text
    assert "ranking mAP 0.4200 against 0.4500 (lower)" in text
    assert "SGH's Pre@100 0.4500 (ITQ 0.5000, chance 0.0500)" in text
    study = make_study(seeds=3, spread=0.0)
    rng = np.random.default_rng(1)
    study.records[["precision_at_100", "map_pr_area", "map"]] += rng.normal(0, 0.1, (len(study.records), 3))
    noisy = report.bar_verdicts([study], [32])
    assert "inconclusive (the design detects" in noisy
    single = report.bar_verdicts([make_study(seeds=1)], [32])
    assert single.startswith("With one seed per row there is no interval") and "(higher)" not in single


def test_a_pair_the_column_verdicts_decide_and_the_itq_family_does_not_is_named(monkeypatch):
    clear = make_study(seeds=4, spread=0.0005)  # paired differences without noise: every family decides
    assert report.family_disagreements([clear], [32], report.itq_comparisons([clear], [32])) == ([], 2)
    assert "in one family and not in the other" not in report.bar_verdicts([clear], [32])
    noisy = make_study(seeds=4, spread=0.0)
    rng = np.random.default_rng(1)
    noisy.records[["precision_at_100", "map_pr_area", "map"]] += rng.normal(0, 0.1, (len(noisy.records), 3))
    undecided = report.itq_comparisons([noisy], [32])
    assert all(c.verdict == "inconclusive" for c in undecided.comparisons)
    # ITQ leads Pre@100 and SiGAH leads the PR area beyond the interval; SGH (stochastic) leads ranking mAP
    assert report.family_disagreements([clear], [32], undecided) == (
        [("MNIST", 32, "Pre@100"), ("MNIST", 32, "mAP (PR area)")], 2)
    monkeypatch.setattr(report, "itq_comparisons", lambda studies, bits: undecided)
    text = report.bar_verdicts([clear], [32])
    assert ("2 of 2 pairs that both families test (Pre@100 at 32 bits on MNIST and mAP (PR area) at 32 bits on "
            "MNIST) are separated (higher or lower) in one family and not in the other") in text
    one = report.family_disagreements([clear], [32], undecided)
    monkeypatch.setattr(report, "family_disagreements", lambda *args: (one[0][:1], one[1]))
    assert "1 of 2 pairs that both families test (Pre@100 at 32 bits on MNIST) is separated" in (
        report.bar_verdicts([clear], [32]))


def test_three_methods_table_has_one_row_per_study_method_and_bits():
    html = report.three_methods([make_study(), make_study(seeds=1)]).to_html()
    assert html.count(SIGAH_ROW) == 4 and html.count(">ITQ<") == 4 and html.count(PRINTED_ROW) == 4


def test_recall_leaders_name_the_best_method_per_k_and_bits():
    curves = pd.DataFrame({"method": ["itq", "sigah", "itq", "sigah"], "bits": [32] * 4, "K": [1, 1, 10, 10],
                           "N": [100] * 4, "recall": [0.5, 0.6, 0.4, 0.3]})
    text = report.recall_leaders(curves, make_study(), [32])
    assert "R-1 at N = 100, 32 bits: SiGAH (book defaults) (0.600)" in text
    assert "R-10 at N = 100, 32 bits: ITQ (0.400)" in text
    assert "No recall curve" in report.recall_leaders(curves, make_study(), [64])


def test_published_cell_says_where_the_paper_lies():
    scores = np.array([0.49, 0.50, 0.51])
    inside = report.published_cell(scores, 0.5, 1)
    assert inside["paper's number"] == "inside" and inside["level"] == pytest.approx(95.0)
    above = report.published_cell(scores, 0.9, 1)
    low, high = (float(x.replace("\u2212", "-")) for x in above["our interval"].split("\u00a0to\u00a0"))
    assert above["paper's number"] == f"above by {0.9 - high:.4f}" and low < 0.5 < high
    assert report.published_cell(scores[:1], 0.9, 1)["our interval"] == "—"


def test_per_query_scores_put_the_queries_into_the_intervals():
    study = make_study(seeds=2, spread=0.01)
    rng = np.random.default_rng(2)
    for r in study.records.to_dict("records"):
        study.scores[(r["method"], r["bits"], r["seed"])] = {
            column: r[column] + rng.normal(0, 0.05, 50) for column in ("precision_at_100", "map_pr_area", "map")}
    grid = report.seed_scores(study, "itq", 32, "Pre@100")
    assert grid.shape == (2, 50)
    assert "paired over 2 seeds\u00a0×\u00a050 queries" in report.verdicts(study, [32])
    one = make_study(seeds=1)
    for r in one.records.to_dict("records"):
        one.scores[(r["method"], r["bits"], r["seed"])] = {
            column: r[column] + rng.normal(0, 0.05, 50) for column in ("precision_at_100", "map_pr_area", "map")}
    cell = report.published_cell(report.seed_scores(one, "itq", 32, "Pre@100"), 0.5, 1)
    assert cell["our interval"] == "—"  # one seed: its queries say nothing about another model
