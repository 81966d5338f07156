"""Chapter *Hash learning*: sentences follow the numbers, every difference goes through sigah.stats."""

import numpy as np
import pandas as pd

from sigah.studies import hash_learning_report as report
from sigah.studies.book_defaults import SIGAH_ROW
from sigah.studies.experiments import summarize
from sigah.studies.paper import beside_paper
from sigah.studies.wording import NBSP

BASE = {"sigah": (0.60, 0.50, 0.45), "itq": (0.55, 0.40, 0.50), "sgh": (0.50, 0.42, 0.40)}


def grid(seeds=3, noise=0.001, shift=None):
    rng = np.random.default_rng(1)
    rows = []
    for method, (pre, pr, rank) in BASE.items():
        for bits in (32, 64):
            for s in range(seeds):
                e = rng.normal(0, noise, 3)
                rows.append({"method": method, "bits": bits, "seed": s, "precision_at_100": pre + e[0],
                             "map_pr_area": pr + e[1], "map": rank + e[2], "fit_seconds": 1.0})
    records = pd.DataFrame(rows)
    summary = summarize(records, metrics=("precision_at_100", "map_pr_area", "map", "fit_seconds"))
    return records, beside_paper(summary, table=2, dataset="MNIST"), summary


def test_similarity_and_balance_sentences_follow_the_arrays():
    text = report.similarity_sentence(np.array([0.1, 0.6, 0.7, 0.9]))
    assert "median 0.650" in text and "75% of the pairs" in text
    signs = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
    assert "largest imbalance of a bit is 0.000" in report.balance_sentence(signs)
    assert "4 database codes of the trained 2-bit model" in report.balance_sentence(signs)


def test_taylor_bound_holds_on_any_pre_activations():
    u = np.random.default_rng(0).normal(0, 2, (100, 16))
    text = report.taylor_sentence(u)
    assert text.startswith("1,600 of 1,600 bits satisfy the two-sided Taylor bound above (100.00%)")
    assert "and 100.00% of the codes satisfy" in text


def test_training_sentence_says_which_side_of_the_margin():
    history = pd.DataFrame({"reconstruction_error": [1.0, 0.5], "energy_real": [0.2, 0.1], "energy_fake": [0.5, 2.0],
                            "quantization_error": [0.5, 0.2], "decorrelation": [0.1, 0.01]})
    assert "sits above the margin" in report.training_sentence(history, 1.0)
    assert "below the margin" in report.training_sentence(history, 3.0)
    assert "(2 epochs)" in report.training_sentence(history, 1.0)
    assert "(1 epoch)" in report.training_sentence(history.iloc[:1], 1.0)


def test_results_table_names_the_book_defaults_and_does_not_wrap():
    records, table, summary = grid()
    fit = summary.set_index(["method", "bits"])["fit_seconds_mean"]
    html = report.results_table(table, fit).to_html()
    assert SIGAH_ROW in html and f"{NBSP}±{NBSP}" in html and "white-space: nowrap" in html


def test_clear_differences_are_higher_or_lower_and_counted():
    records, _, _ = grid(seeds=4, noise=0.0005)
    family = report.rival_comparisons(records, [32, 64])
    assert len(family) == 12 and family.comparisons[0].method == "holm"
    assert family["Pre@100, 32 bits, SiGAH − ITQ"].verdict == "higher"
    assert family["ranking mAP, 64 bits, SiGAH − ITQ"].verdict == "lower"
    text = report.rivals_sentence(records, [32, 64])
    assert "Of the 12 comparisons" in text and "higher in 10, lower in 2 and inconclusive in 0" in text


def test_noisy_differences_are_inconclusive_with_the_detectable_effect():
    records, _, _ = grid(seeds=2, noise=0.2)
    text = report.rivals_sentence(records, [32])
    assert "inconclusive in" in text and "this design detects differences of" in text
    assert "no real effect" not in text


def test_one_seed_gives_no_verdict():
    records, table, _ = grid(seeds=1)
    assert report.rival_comparisons(records, [32]) is None
    text = report.rivals_sentence(records, [32])
    assert text.startswith("With one seed per method there is no interval, so no verdict")
    assert "- 32 bits: SiGAH − ITQ: Pre@100 +0.05" in text and "; SiGAH − SGH: Pre@100 +0.10" in text
    assert "no interval (1 seed)" in report.paper_cells(records, table, [32]).to_html()


def test_paper_cells_and_margins():
    records, table, _ = grid(seeds=3)
    html = report.paper_cells(records, table, [32, 64]).to_html()
    assert "our 99.58 % interval" in html  # Bonferroni over 12 cells: 1 - 0.05/12
    assert "above by" in html or "below by" in html
    text = report.paper_sentence(table, [32])
    itq = table[(table["method"] == "itq") & (table["bits"] == 32)].iloc[0]
    sig = table[(table["method"] == "sigah") & (table["bits"] == 32)].iloc[0]
    margin = sig["mAP (paper)"] - itq["mAP (paper)"]
    assert f"PR-area mAP {'+' if margin > 0 else '−'}{abs(margin):.4f} at 32 bits" in text
    assert "Pre@100 0.0000 at 32 bits" in text  # equal in the paper: no sign on zero


def test_history_table_shows_first_and_last_epoch():
    history = pd.DataFrame({"epoch": [1, 2, 3], "seconds": [1.0, 2.0, 3.0], "generator_loss": [3.0, 2.0, 1.0]})
    html = report.history_table(history).to_html()
    assert "epoch 1" in html and "epoch 3" in html and "epoch 2" not in html and "3.0000" in html
    assert "epoch 1" in report.history_table(history.iloc[:1]).to_html()


def test_per_query_scores_enter_the_comparisons():
    records, _, _ = grid(seeds=2, noise=0.0005)
    rng = np.random.default_rng(5)
    scores = {(r["method"], r["bits"], r["seed"]): {c: r[c] + rng.normal(0, 0.01, 40)
                                                   for c in ("precision_at_100", "map_pr_area", "map")}
              for r in records.to_dict("records")}
    family = report.rival_comparisons(records, [32], scores)
    assert {c.n_queries for c in family.comparisons} == {40}
    assert "2 seeds\u00a0×\u00a040 queries" in report.rivals_sentence(records, [32], scores)
