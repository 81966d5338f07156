"""The computed sentences and tables of chapter *Binary codes and their evaluation*."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sigah.studies import evaluation as report
from sigah.studies.paper import paper_value

MNIST = SimpleNamespace(name="mnist", description="MNIST: 1,000 random queries, seed 0",
                        n_queries=1000, n_database=69000, n_train=69000)
OWN = SimpleNamespace(name="base.fvecs", description="base.fvecs: 100 random queries, seed 0",
                      n_queries=100, n_database=900, n_train=900)


def comparison(itq_offset=0.0, lsh_offset=0.0, bits=(32, 64), seeds=3):
    """A table shaped like ``beside_paper``'s, with our numbers at the paper's plus an offset."""
    rows = []
    for method, offset in (("lsh", lsh_offset), ("itq", itq_offset)):
        for b in bits:
            pre, mAP = paper_value(method, b, "precision_at_100"), paper_value(method, b, "map")
            rows.append({"method": method, "bits": b, "seeds": seeds, "Pre@100": pre + offset,
                         "Pre@100 ±": 0.001 if seeds > 1 else 0.0, "Pre@100 (paper)": pre,
                         "mAP (PR area)": mAP + offset, "mAP (PR area) ±": 0.002 if seeds > 1 else 0.0,
                         "mAP (paper)": mAP, "ranking mAP": mAP + 0.1, "stable mAP": mAP + 0.2})
    return pd.DataFrame(rows)


def test_value_range_of_equal_ends_is_one_value():
    assert report.value_range(0.1, 0.2) == "from 0.1000 to 0.2000"
    assert report.value_range(-0.00221, -0.00219) == "-0.0022 in every case"


def test_run_headline_lists_each_lowered_size():
    text = report.run_headline(MNIST, 1000, ["k lowered to 500"]).data
    assert text.startswith("**This run:** MNIST: 1,000 random queries")
    assert "the 1,000 nearest database points" in text
    assert text.splitlines()[1] == "- Size preset lowered: k lowered to 500"
    assert len(report.run_headline(MNIST, 1000).data.splitlines()) == 1


def test_ground_truth_sentence_names_the_size_and_the_paper_number():
    text = report.ground_truth_sentence(np.zeros((1, 1000), int), 2.0).data
    assert "1 query × 1,000 neighbours" in text
    assert f"{paper_value('itq', 64, 'precision_at_100'):.4f}" in text
    assert "2 queries" in report.ground_truth_sentence(np.zeros((2, 5), int), 0.1).data
    own = report.ground_truth_sentence(np.zeros((2, 5), int), 0.1, OWN).data
    assert own.startswith("Ground truth of 2 queries × 5 neighbours") and "paper" not in own


def test_tie_order_sentence_inside_outside_and_single_draw():
    inside = report.tie_order_sentence([0.40, 0.42], 0.41, 0.43).data
    assert "inside the range" in inside and "from 0.4000 to 0.4200" in inside
    outside = report.tie_order_sentence([0.40, 0.42], 0.45, 0.43).data
    assert "outside the range" in outside
    equal = report.tie_order_sentence([0.40, 0.40], 0.40, 0.40).data
    assert "2 random tie orders: 0.4000 in every case." in equal
    assert "from 0.4000 to 0.4000" not in equal and "spread" not in equal
    single = report.tie_order_sentence([0.40], 0.41, 0.43).data
    assert "One random tie order" in single and "1 random tie orders" not in single
    with pytest.raises(ValueError, match="at least one"):
        report.tie_order_sentence([], 0.4, 0.4)


def test_paper_table_folds_spreads_with_non_breaking_spaces():
    html = report.paper_table(comparison(), MNIST).to_html()
    assert "Pre@100 ±" not in html and "mAP (PR area) ±" not in html
    assert "\u00a0±\u00a0" in html and "Pre@100 (paper)" in html
    own = report.paper_table(comparison(seeds=1), OWN).to_html()
    assert "(paper)" not in own and "±" not in own


def test_definition_verdict_picks_the_closest_definition():
    text = report.definition_verdict(comparison(), MNIST).data
    assert "Closest to the paper's \"mAP\": **PR area over radii (eq-pr-area)**" in text
    assert "agrees with the book's choice" in text and "For ITQ, 32 bits" in text
    table = comparison(itq_offset=0.3, lsh_offset=0.3)
    table["ranking mAP"] = table["mAP (paper)"]
    other = report.definition_verdict(table, MNIST).data
    assert "**ranking mAP, expected under ties (eq-expected-ap)**" in other
    assert "does not agree with" in other
    gaps = report.definition_gaps(table)
    assert gaps.idxmin() == "ranking mAP, expected under ties (eq-expected-ap)"
    assert gaps.min() == pytest.approx(0.0)


def test_definition_verdict_without_paper_numbers():
    text = report.definition_verdict(comparison(), OWN).data
    assert text.startswith("This run is on base.fvecs, not MNIST")


def grid_records(itq_lead, seeds=(0, 1, 2), bits=(32, 64), noise=0.01):
    """``run_grid``-shaped records: LSH near 0.5, ITQ ahead by ``itq_lead[b]`` plus seed noise."""
    rng = np.random.default_rng(0)
    rows = []
    for b in bits:
        for s in seeds:
            base = 0.5 + noise * rng.standard_normal()
            for method, lead in (("lsh", 0.0), ("itq", itq_lead[b])):
                value = base + lead + noise * rng.standard_normal()
                rows.append({"method": method, "bits": b, "seed": s, "precision_at_100": value,
                             "map_pr_area": value - 0.2})
    return pd.DataFrame(rows)


def test_itq_lsh_sentence_calls_higher_only_beyond_the_interval():
    clear = report.itq_lsh_sentence(grid_records({32: 0.3, 64: 0.1}, seeds=range(6)), [32, 64]).data
    assert clear.startswith("ITQ scores higher than LSH in every comparison")
    assert "paired over 6 seeds" in clear and "Holm-corrected over 4 comparisons" in clear
    assert "The Pre@100 gap narrows from 32 to 64 bits" in clear
    tied = report.itq_lsh_sentence(grid_records({32: 0.0, 64: 0.0}), [32, 64]).data
    assert "inconclusive" in tied and "every comparison" not in tied and "leads" not in tied
    assert "Whether the Pre@100 gap narrows from 32 to 64 bits is inconclusive" in tied


def test_itq_lsh_sentence_with_one_seed_or_one_code_length():
    one_seed = report.itq_lsh_sentence(grid_records({32: 0.3, 64: 0.1}, seeds=(0,)), [32, 64]).data
    assert "mean of 1 seed" in one_seed and "names no leader" in one_seed
    one_bits = report.itq_lsh_sentence(grid_records({32: 0.3}, bits=(32,)), [32]).data
    assert "narrow" not in one_bits and "over 2 comparisons" in one_bits
    only_itq = grid_records({32: 0.3}, bits=(32,))
    assert report.itq_lsh_sentence(only_itq[only_itq.method == "itq"], [32]).data == ""


def query_scores(itq_lead, seeds=(0,), n_queries=200, bits=(32, 64)):
    """Per-query scores ``{(method, bits, seed): {metric: array}}`` with ITQ ahead by ``itq_lead[b]``."""
    rng = np.random.default_rng(1)
    out = {}
    for b in bits:
        query_effect = rng.uniform(0.2, 0.8, n_queries)
        for s in seeds:
            for method, lead in (("lsh", 0.0), ("itq", itq_lead[b])):
                values = np.clip(query_effect + lead + 0.05 * rng.standard_normal(n_queries), 0, 1)
                out[(method, b, s)] = {"precision_at_100": values, "map_pr_area": values / 2}
    return out


def test_query_grid_stacks_seeds_in_order():
    scores = query_scores({32: 0.1}, seeds=(2, 0), bits=(32,), n_queries=5)
    grid = report.query_grid(scores, "itq", 32, "map_pr_area")
    assert grid.shape == (2, 5)
    assert np.array_equal(grid[0], scores[("itq", 32, 0)]["map_pr_area"])
    with pytest.raises(ValueError, match="no per-query scores of sph"):
        report.query_grid(scores, "sph", 32, "map_pr_area")


def test_itq_lsh_sentence_with_per_query_scores_and_one_seed():
    recs = grid_records({32: 0.1, 64: 0.1}, seeds=(0,))
    text = report.itq_lsh_sentence(recs, [32, 64], query_scores({32: 0.1, 64: 0.1})).data
    assert text.startswith("ITQ scores higher than LSH in every comparison")
    assert "paired over 1 seed\u00a0×\u00a0200 queries" in text
    assert "cover another sample of queries, not another seed" in text
    null = report.itq_lsh_sentence(recs, [32, 64], query_scores({32: 0.0, 64: 0.0})).data
    assert "in every comparison" not in null


def test_itq_lsh_sentence_when_both_methods_score_alike_everywhere():
    scores = {(m, 8, s): {"precision_at_100": np.ones(4), "map_pr_area": np.ones(4)}
              for m in ("lsh", "itq") for s in (0, 1)}
    recs = grid_records({8: 0.0}, seeds=(0, 1), bits=(8,))
    text = report.itq_lsh_sentence(recs, [8], scores).data
    assert "8 bits, Pre@100: identical in every seed and query" in text
    assert "detects 0.0000" not in text
