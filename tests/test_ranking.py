"""Metrics of real-valued distances and similarities against brute-force rankings."""

import numpy as np
import pytest

from sigah.codes import hamming_distances, pack_bits
from sigah.metrics import evaluate_codes
from sigah.studies.ranking import distance_levels, evaluate_distances, evaluate_similarities


def _stable_ap(order, relevant):
    hits = np.isin(order, relevant)
    ranks = np.flatnonzero(hits) + 1
    return np.mean(np.arange(1, len(ranks) + 1) / ranks)


def test_levels_preserve_order_and_ties():
    d = np.array([[0.5, 2.0, 0.5], [1.0 / 3.0, 2.0, 7.0]])
    levels = distance_levels(d)
    np.testing.assert_array_equal(levels, [[1, 2, 1], [0, 2, 3]])


def test_integer_distances_give_the_hamming_evaluator_numbers():
    rng = np.random.default_rng(0)
    q = pack_bits(rng.random((20, 16)) < 0.5)
    db = pack_bits(rng.random((300, 16)) < 0.5)
    gt = np.argsort(rng.random((20, 300)), axis=1)[:, :30]
    want = evaluate_codes(q, db, gt)
    got = evaluate_distances(hamming_distances(q, db).astype(np.float32) / 3.0, gt)  # a monotone rescaling
    for key in ("map", "map_stable", "map_pr_area", "precision_at_100"):
        assert got[key] == pytest.approx(want[key], rel=1e-12)


def test_real_distances_stable_map_matches_brute_force():
    rng = np.random.default_rng(1)
    d = rng.integers(0, 40, (10, 80)) / rng.integers(1, 9, (10, 80))  # ratios: many ties
    gt = np.argsort(rng.random((10, 80)), axis=1)[:, :12]
    want = np.mean([_stable_ap(np.argsort(d[i], kind="stable"), gt[i]) for i in range(10)])
    assert evaluate_distances(d, gt, ns=(10,))["map_stable"] == pytest.approx(want)


def test_similarities_rank_by_decreasing_score():
    rng = np.random.default_rng(2)
    s = rng.normal(size=(15, 120))
    gt = np.argsort(rng.random((15, 120)), axis=1)[:, :10]
    result = evaluate_similarities(s, gt, ns=(5, 20), block_rows=4)
    orders = [np.argsort(-s[i], kind="stable") for i in range(15)]
    assert result["map"] == pytest.approx(np.mean([_stable_ap(o, g) for o, g in zip(orders, gt)]))
    for n in (5, 20):
        want = np.mean([np.isin(o[:n], g).mean() for o, g in zip(orders, gt)])
        assert result[f"precision_at_{n}"] == pytest.approx(want)


def test_too_many_levels_and_bad_input_are_refused():
    with pytest.raises(ValueError, match="max_levels"):
        distance_levels(np.random.default_rng(3).random((4, 50)), max_levels=10)
    with pytest.raises(ValueError, match="finite"):
        distance_levels(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="2-D"):
        evaluate_similarities(np.zeros(5), np.zeros((1, 1), int))
