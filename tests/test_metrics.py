"""Tests for :mod:`sigah.metrics`: every metric against a brute-force reference.

Expected (tie-aware) metrics are checked against the exact average over **all** orders
inside the Hamming shells, enumerated exhaustively with rational arithmetic on tiny cases.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sigah.metrics as metrics
from sigah.codes import hamming_distances, pack_bits
from sigah.metrics import (
    average_precision,
    evaluate_codes,
    evaluate_label_codes,
    label_average_precision_at_k,
    label_map_at_k,
    label_precision_at_n,
    label_shell_histograms,
    mean_average_precision,
    pr_area_over_radius,
    pr_curve_over_radius,
    precision_at_n,
    recall_at_n,
    shell_histograms,
)


# -- brute-force references ---------------------------------------------------------------------
def tie_orders(row):
    """Every ranking of the database consistent with the distances (all orders inside shells)."""
    row = np.asarray(row)
    groups = [np.flatnonzero(row == s).tolist() for s in sorted(set(row.tolist()))]
    for combination in itertools.product(*(itertools.permutations(g) for g in groups)):
        yield [i for group in combination for i in group]


def stable_order(row):
    return sorted(range(len(row)), key=lambda i: (row[i], i))


def ap_of_ranking(ranking, relevant, n_relevant):
    found, total = 0, Fraction(0)
    for t, item in enumerate(ranking, start=1):
        if item in relevant:
            found += 1
            total += Fraction(found, t)
    return total / n_relevant


def ap_at_k_of_ranking(ranking, relevant, k):
    found, total = 0, Fraction(0)
    for t, item in enumerate(ranking[:k], start=1):
        if item in relevant:
            found += 1
            total += Fraction(found, t)
    return total / found if found else Fraction(0)


def hits_of_ranking(ranking, relevant, n):
    return sum(item in relevant for item in ranking[:n])


def mean_over_orders(row, value):
    values = [value(order) for order in tie_orders(row)]
    return sum(values, Fraction(0)) / len(values), min(values), max(values)


def triple_sum_expected_ap(row, relevant):
    """The binomial triple-sum form of the expected AP (chapter *Binary codes and their evaluation*, eq-expected-ap), exactly."""
    row = np.asarray(row)
    total, before, relevant_before = Fraction(0), 0, 0
    for s in sorted(set(row.tolist())):
        members = np.flatnonzero(row == s)
        n_s, r_s = len(members), sum(int(i) in relevant for i in members)
        for j in range(1, r_s + 1):
            for p in range(j, n_s - r_s + j + 1):
                weight = Fraction(math.comb(p - 1, j - 1) * math.comb(n_s - p, r_s - j), math.comb(n_s, r_s))
                total += weight * Fraction(relevant_before + j, before + p)
        before, relevant_before = before + n_s, relevant_before + r_s
    return total / len(relevant)


def tiny_case(seed, n_queries=3, n_items=8, n_relevant=3, n_shells=3):
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, n_shells, size=(n_queries, n_items)).astype(np.uint8)
    groundtruth = np.stack([rng.permutation(n_items)[:n_relevant] for _ in range(n_queries)])
    return distances, groundtruth


# -- histograms ----------------------------------------------------------------------------------
def test_shell_histograms_count_items_and_relevant_items():
    distances, groundtruth = tiny_case(0, n_queries=4, n_items=30, n_relevant=7, n_shells=6)
    h = shell_histograms(distances, groundtruth, n_bits=8)
    assert h.items.shape == h.relevant.shape == (4, 9)
    for q in range(4):
        for s in range(9):
            assert h.items[q, s] == np.sum(distances[q] == s)
            assert h.relevant[q, s] == np.sum(distances[q, groundtruth[q]] == s)
    assert np.array_equal(h.n_relevant, [7] * 4)
    assert h.n_database == 30


# -- expected AP -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_expected_ap_equals_mean_over_all_tie_orders(seed):
    distances, groundtruth = tiny_case(seed)
    got = average_precision(distances, groundtruth, ties="expected")
    for q in range(distances.shape[0]):
        relevant = set(groundtruth[q].tolist())
        exact, _, _ = mean_over_orders(distances[q], lambda order: ap_of_ranking(order, relevant, len(relevant)))
        assert got[q] == pytest.approx(float(exact), abs=1e-12)
        assert float(triple_sum_expected_ap(distances[q], relevant)) == pytest.approx(float(exact), abs=1e-12)


def test_expected_ap_single_item_shells_and_one_big_shell():
    # all distinct distances: no ties, expected = stable; one shell: AP of a random order
    distances = np.array([[3, 0, 5, 1, 4, 2, 7, 6], [1] * 8], dtype=np.uint8)
    groundtruth = np.array([[2, 3, 6], [0, 1, 2]])
    expected = average_precision(distances, groundtruth, "expected")
    assert expected[0] == pytest.approx(average_precision(distances, groundtruth, "stable")[0], abs=1e-14)
    relevant = {0, 1, 2}
    exact, _, _ = mean_over_orders(distances[1], lambda order: ap_of_ranking(order, relevant, 3))
    assert expected[1] == pytest.approx(float(exact), abs=1e-12)


@pytest.mark.parametrize(("before", "n", "r", "relevant_before"), [(0, 1, 1, 0), (68998, 2, 2, 500), (5000, 3000, 40, 10), (0, 69000, 1000, 0)])
def test_closed_form_shell_term_matches_direct_sum_for_large_shells(before, n, r, relevant_before):
    # expected Σ rel_i precision_i over the shell, summed position by position
    pair = (r - 1) / (n - 1) if n > 1 else 0.0
    direct = math.fsum(r / n * (relevant_before + 1 + (i - 1) * pair) / (before + i) for i in range(1, n + 1))
    got = float(metrics._expected_precision_sums(n, r, before, relevant_before))
    assert got == pytest.approx(direct, rel=1e-9, abs=1e-14)


# -- stable AP ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_stable_ap_equals_naive_sort_and_scan(seed):
    distances, groundtruth = tiny_case(seed, n_queries=5, n_items=40, n_relevant=9, n_shells=7)
    got = average_precision(distances, groundtruth, ties="stable")
    for q in range(5):
        relevant = set(groundtruth[q].tolist())
        assert got[q] == pytest.approx(float(ap_of_ranking(stable_order(distances[q]), relevant, 9)), abs=1e-12)


def test_stable_positions_work_in_several_sort_blocks(monkeypatch):
    distances, groundtruth = tiny_case(9, n_queries=7, n_items=50, n_relevant=5, n_shells=4)
    whole = average_precision(distances, groundtruth, ties="stable")
    monkeypatch.setattr(metrics, "_SORT_ELEMENTS", 60)  # one row per block
    assert np.array_equal(average_precision(distances, groundtruth, ties="stable"), whole)


# -- properties ------------------------------------------------------------------------------------------
@st.composite
def small_cases(draw):
    n_items = draw(st.integers(2, 7))
    n_relevant = draw(st.integers(1, n_items))
    row = draw(st.lists(st.integers(0, 3), min_size=n_items, max_size=n_items))
    relevant = draw(st.permutations(range(n_items)))[:n_relevant]
    return np.array([row], dtype=np.uint8), np.array([relevant])


@given(small_cases())
@settings(max_examples=60, deadline=None)
def test_expected_ap_lies_between_best_and_worst_tie_order(case):
    distances, groundtruth = case
    relevant = set(groundtruth[0].tolist())
    mean, low, high = mean_over_orders(distances[0], lambda order: ap_of_ranking(order, relevant, len(relevant)))
    expected = mean_average_precision(distances, groundtruth, "expected")
    stable = mean_average_precision(distances, groundtruth, "stable")
    assert float(low) - 1e-12 <= expected <= float(high) + 1e-12
    assert float(low) - 1e-12 <= stable <= float(high) + 1e-12
    assert expected == pytest.approx(float(mean), abs=1e-12)
    assert 0.0 < expected <= 1.0 + 1e-12


@given(st.integers(1, 30), st.integers(0, 30), st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None)
def test_perfect_codes_give_map_one(n_relevant, n_other, random):
    # relevant items strictly closer than every other item: AP = 1 whatever the ties
    relevant_distance = [random.randint(0, 3) for _ in range(n_relevant)]
    other_distance = [random.randint(4, 8) for _ in range(n_other)]
    permutation = list(range(n_relevant + n_other))
    random.shuffle(permutation)  # item i of the lists goes to database index permutation[i]
    distances = np.empty((1, n_relevant + n_other), dtype=np.uint8)
    distances[0, permutation] = relevant_distance + other_distance
    groundtruth = np.array([permutation[:n_relevant]])
    for ties in ("expected", "stable"):
        assert mean_average_precision(distances, groundtruth, ties) == pytest.approx(1.0, abs=1e-12)
    assert pr_area_over_radius(distances, groundtruth) <= 1.0 + 1e-12


# -- P@N and R@N -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_expected_precision_and_recall_at_n_equal_mean_over_tie_orders(seed):
    distances, groundtruth = tiny_case(seed + 20)
    ns = [1, 2, 3, 5, 8]
    precision = precision_at_n(distances, groundtruth, ns, "expected")
    recall = recall_at_n(distances, groundtruth, ns, "expected")
    for j, n in enumerate(ns):
        per_query = []
        for q in range(distances.shape[0]):
            relevant = set(groundtruth[q].tolist())
            mean, _, _ = mean_over_orders(distances[q], lambda order: Fraction(hits_of_ranking(order, relevant, n)))
            per_query.append(mean)
        mean_hits = sum(per_query, Fraction(0)) / len(per_query)
        assert precision[j] == pytest.approx(float(mean_hits / n), abs=1e-12)
        assert recall[j] == pytest.approx(float(mean_hits / groundtruth.shape[1]), abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_stable_precision_and_recall_at_n_equal_naive_count(seed):
    distances, groundtruth = tiny_case(seed, n_queries=4, n_items=50, n_relevant=10, n_shells=6)
    ns = [1, 7, 10, 33, 50]
    precision = precision_at_n(distances, groundtruth, ns, "stable")
    recall = recall_at_n(distances, groundtruth, ns, "stable")
    for j, n in enumerate(ns):
        hits = [hits_of_ranking(stable_order(distances[q]), set(groundtruth[q].tolist()), n) for q in range(4)]
        assert precision[j] == pytest.approx(np.mean(hits) / n)
        assert recall[j] == pytest.approx(np.mean(hits) / 10)


def test_precision_at_whole_database_is_fraction_of_relevant_items():
    distances, groundtruth = tiny_case(3, n_items=20, n_relevant=5)
    for ties in ("expected", "stable"):
        assert precision_at_n(distances, groundtruth, 20, ties)[0] == pytest.approx(5 / 20)
        assert recall_at_n(distances, groundtruth, [20], ties)[0] == pytest.approx(1.0)


@pytest.mark.parametrize("ns", [0, [5, 21], [2.5], []])
def test_bad_cutoffs_are_rejected(ns):
    distances, groundtruth = tiny_case(0, n_items=20)
    with pytest.raises(ValueError, match="cut-offs"):
        precision_at_n(distances, groundtruth, ns)


# -- PR curve over Hamming radii --------------------------------------------------------------------------------
def naive_pr_area(distances, groundtruth, n_bits):
    """Loop construction of the documented curve: pooled counts per radius, skip empty radii,
    start at (0, first defined precision), trapezoids over recall."""
    points = []
    total_relevant = groundtruth.size
    for radius in range(n_bits + 1):
        retrieved = retrieved_relevant = 0
        for q in range(distances.shape[0]):
            relevant = set(groundtruth[q].tolist())
            for item in range(distances.shape[1]):
                if distances[q, item] <= radius:
                    retrieved += 1
                    retrieved_relevant += item in relevant
        if retrieved:
            points.append((retrieved_relevant / total_relevant, retrieved_relevant / retrieved))
    points.insert(0, (0.0, points[0][1]))
    area = 0.0
    for (r0, p0), (r1, p1) in zip(points, points[1:]):
        area += 0.5 * (r1 - r0) * (p1 + p0)
    return area, points


@pytest.mark.parametrize("seed", range(5))
def test_pr_area_equals_naive_loop_construction(seed):
    distances, groundtruth = tiny_case(seed, n_queries=4, n_items=25, n_relevant=6, n_shells=9)
    distances[:, :] = np.maximum(distances, 1 + seed % 2)  # odd seeds: radii 0 and 1 retrieve nothing
    area, points = naive_pr_area(distances, groundtruth, 8)
    assert pr_area_over_radius(distances, groundtruth) == pytest.approx(area, abs=1e-12)
    radii, precision, recall = pr_curve_over_radius(distances, groundtruth, n_bits=8)
    assert radii.tolist() == list(range(9))
    defined = ~np.isnan(precision)
    assert np.isnan(precision[: 1 + seed % 2]).all() and defined[2:].all()
    assert np.allclose(np.c_[recall[defined], precision[defined]], points[1:])


def test_pr_area_hand_worked_example():
    # one query, relevant {0, 1}; distances 0:[0], 1:[1, 2], 2:[3]
    distances = np.array([[0, 1, 1, 2]], dtype=np.uint8)
    groundtruth = np.array([[0, 1]])
    _, precision, recall = pr_curve_over_radius(distances, groundtruth)
    assert np.allclose(precision, [1.0, 2 / 3, 0.5]) and np.allclose(recall, [0.5, 1.0, 1.0])
    # (0,1) -> (.5,1) -> (1,2/3) -> (1,.5): 0.5 + 0.5 * 0.5 * (1 + 2/3)
    assert pr_area_over_radius(distances, groundtruth) == pytest.approx(0.5 + 0.25 * (5 / 3))


def test_pr_area_pools_counts_over_queries():
    # query 0 retrieves 1 relevant of 1 at radius 0, query 1 retrieves 0 of 3 at radius 0
    distances = np.array([[0, 1, 1, 1], [0, 0, 0, 1]], dtype=np.uint8)
    groundtruth = np.array([[0], [3]])
    _, precision, recall = pr_curve_over_radius(distances, groundtruth)
    assert precision[0] == pytest.approx(1 / 4)  # pooled 1/(1+3), not the mean of 1 and 0
    assert recall[0] == pytest.approx(1 / 2)


# -- label mAP@K -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_label_map_at_k_expected_equals_mean_over_tie_orders(seed, k):
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, 3, size=(3, 8)).astype(np.uint8)
    database_labels = rng.integers(0, 3, size=8)
    query_labels = rng.integers(0, 3, size=3)
    got = label_average_precision_at_k(distances, query_labels, database_labels, k, "expected")
    for q in range(3):
        relevant = set(np.flatnonzero(database_labels == query_labels[q]).tolist())
        exact, _, _ = mean_over_orders(distances[q], lambda order: ap_at_k_of_ranking(order, relevant, k))
        assert got[q] == pytest.approx(float(exact), abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_label_map_at_k_stable_equals_naive_and_counts_empty_queries_as_zero(seed):
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, 5, size=(6, 40)).astype(np.uint8)
    database_labels = rng.integers(0, 4, size=40)
    query_labels = np.array([0, 1, 2, 3, 0, 9])  # label 9 appears nowhere: AP 0
    got = label_average_precision_at_k(distances, query_labels, database_labels, 10, "stable")
    for q in range(6):
        relevant = set(np.flatnonzero(database_labels == query_labels[q]).tolist())
        assert got[q] == pytest.approx(float(ap_at_k_of_ranking(stable_order(distances[q]), relevant, 10)))
    assert got[5] == 0.0
    assert label_average_precision_at_k(distances, query_labels, database_labels, 10, "expected")[5] == 0.0
    assert label_map_at_k(distances, query_labels, database_labels, 10, "stable") == pytest.approx(got.mean())


def test_label_map_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels of shapes"):
        label_map_at_k(np.zeros((2, 5), np.uint8), np.zeros(3), np.zeros(5), k=2)


def test_label_ap_at_k_without_ties_equals_stable_on_a_large_case():
    # every row a permutation of distinct distances: no ties, so expected = stable, for k up to nd
    rng = np.random.default_rng(7)
    distances = np.stack([rng.permutation(3000) for _ in range(5)]).astype(np.uint16)
    database_labels, query_labels = rng.integers(0, 10, 3000), rng.integers(0, 10, 5)
    for k in (1, 100, 1000, 3000):
        expected = label_average_precision_at_k(distances, query_labels, database_labels, k, "expected")
        stable = label_average_precision_at_k(distances, query_labels, database_labels, k, "stable")
        assert np.allclose(expected, stable, atol=1e-12)


def test_label_ap_at_k_with_one_huge_shell_matches_a_simulation_of_random_orders():
    # one shell of 5,000 items (1,000 relevant) cut at k = 1000: far beyond exhaustive enumeration,
    # so the exact expectation is set against the mean over 2,000 random orders
    distances = np.zeros((1, 5000), dtype=np.uint8)
    database_labels = np.repeat(np.arange(5), 1000)
    got = label_average_precision_at_k(distances, np.array([2]), database_labels, 1000, "expected")
    rng = np.random.default_rng(0)
    relevant = database_labels == 2
    simulated = []
    for _ in range(2000):
        hits = relevant[rng.permutation(5000)[:1000]].astype(float)
        found = np.cumsum(hits)
        simulated.append((hits * found / np.arange(1, 1001)).sum() / found[-1])
    assert abs(got[0] - np.mean(simulated)) < 4 * np.std(simulated) / np.sqrt(len(simulated))


@pytest.mark.parametrize("seed", range(4))
def test_label_shell_histograms_count_same_label_items_per_shell(seed):
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, 6, size=(7, 50)).astype(np.uint8)
    database_labels = rng.integers(0, 4, size=50)
    query_labels = np.array([0, 1, 2, 3, 7, 1, 0])  # 7 is not in the database
    h = label_shell_histograms(distances, query_labels, database_labels, n_bits=8)
    for q in range(7):
        same = database_labels == query_labels[q]
        for s in range(9):
            assert h.items[q, s] == np.sum(distances[q] == s)
            assert h.relevant[q, s] == np.sum((distances[q] == s) & same)
        assert h.n_relevant[q] == same.sum()
    assert h.n_relevant[4] == 0 and h.relevant[4].sum() == 0


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [1, 3, 6])
def test_label_precision_at_n_equals_mean_over_tie_orders(seed, n):
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, 3, size=(3, 7)).astype(np.uint8)
    database_labels, query_labels = rng.integers(0, 3, size=7), rng.integers(0, 3, size=3)
    exact = []
    for q in range(3):
        relevant = set(np.flatnonzero(database_labels == query_labels[q]).tolist())
        mean, _, _ = mean_over_orders(distances[q], lambda order: Fraction(hits_of_ranking(order, relevant, n), n))
        exact.append(float(mean))
    got = label_precision_at_n(distances, query_labels, database_labels, n)
    assert got[0] == pytest.approx(np.mean(exact), abs=1e-12)


@pytest.mark.parametrize("n_bits", [8, 16, 64])
def test_evaluate_label_codes_agrees_with_the_distance_functions_across_blocks(monkeypatch, n_bits):
    query_codes, database_codes, _ = random_code_case(3, n_bits, n_queries=9, n_database=400)
    rng = np.random.default_rng(3)
    query_labels, database_labels = rng.integers(0, 5, 9), rng.integers(0, 5, 400)
    distances = hamming_distances(query_codes, database_codes)
    monkeypatch.setattr(metrics, "_DISTANCE_ELEMENTS", 1000)  # blocks of 2 queries
    got = evaluate_label_codes(query_codes, database_codes, query_labels, database_labels, k=50, ns=(10, 100))
    assert set(got) == {"label_map_at_50", "label_precision_at_10", "label_precision_at_100"}
    assert got["label_map_at_50"] == pytest.approx(label_map_at_k(distances, query_labels, database_labels, 50))
    assert [got["label_precision_at_10"], got["label_precision_at_100"]] == pytest.approx(
        label_precision_at_n(distances, query_labels, database_labels, [10, 100]).tolist()
    )


def test_evaluate_label_codes_on_tiny_codes_equals_brute_force_over_orders():
    rng = np.random.default_rng(11)
    query_bits, database_bits = rng.random((3, 8)) < 0.5, rng.random((6, 8)) < 0.5
    database_bits[3] = database_bits[1]  # a tie for sure
    query_labels, database_labels = rng.integers(0, 2, 3), rng.integers(0, 2, 6)
    got = evaluate_label_codes(pack_bits(query_bits), pack_bits(database_bits), query_labels, database_labels, k=4, ns=(3,))
    distances = hamming_distances(pack_bits(query_bits), pack_bits(database_bits))
    exact = []
    for q in range(3):
        relevant = set(np.flatnonzero(database_labels == query_labels[q]).tolist())
        mean, _, _ = mean_over_orders(distances[q], lambda order: ap_at_k_of_ranking(order, relevant, 4))
        exact.append(float(mean))
    assert got["label_map_at_4"] == pytest.approx(np.mean(exact), abs=1e-12)


def test_evaluate_label_codes_rejects_bad_labels_and_cutoffs():
    codes = np.zeros((4, 1), dtype=np.uint8)
    with pytest.raises(ValueError, match="labels of shapes"):
        evaluate_label_codes(codes, codes, np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="cut-offs must lie between 1 and the database size 4"):
        evaluate_label_codes(codes, codes, np.zeros(4), np.zeros(4), k=1000)


# -- evaluate_codes ---------------------------------------------------------------------------------------------
def random_code_case(seed, n_bits, n_queries=6, n_database=300, k=20):
    rng = np.random.default_rng(seed)
    # correlated codes: database items are noisy copies of a few prototypes, so shells are uneven
    prototypes = rng.random((5, n_bits)) < 0.5
    database_bits = prototypes[rng.integers(0, 5, n_database)] ^ (rng.random((n_database, n_bits)) < 0.2)
    query_bits = prototypes[rng.integers(0, 5, n_queries)] ^ (rng.random((n_queries, n_bits)) < 0.2)
    groundtruth = np.stack([rng.permutation(n_database)[:k] for _ in range(n_queries)])
    return pack_bits(query_bits), pack_bits(database_bits), groundtruth


@pytest.mark.parametrize("n_bits", [8, 32, 64, 784])
def test_evaluate_codes_equals_the_individual_metrics(n_bits):
    queries, database, groundtruth = random_code_case(n_bits, n_bits)
    result = evaluate_codes(queries, database, groundtruth, ns=(10, 100))
    distances = hamming_distances(queries, database)
    assert set(result) == {"map", "map_stable", "map_pr_area", "precision_at_10", "precision_at_100"}
    assert result["map"] == pytest.approx(mean_average_precision(distances, groundtruth, "expected"), abs=1e-14)
    assert result["map_stable"] == pytest.approx(mean_average_precision(distances, groundtruth, "stable"), abs=1e-14)
    assert result["map_pr_area"] == pytest.approx(pr_area_over_radius(distances, groundtruth), abs=1e-14)
    assert [result["precision_at_10"], result["precision_at_100"]] == pytest.approx(
        precision_at_n(distances, groundtruth, [10, 100]).tolist(), abs=1e-14
    )
    assert all(0.0 <= value <= 1.0 for value in result.values())


def test_evaluate_codes_in_query_blocks_gives_the_same_numbers(monkeypatch):
    queries, database, groundtruth = random_code_case(1, 32, n_queries=9)
    whole = evaluate_codes(queries, database, groundtruth)
    monkeypatch.setattr(metrics, "_DISTANCE_ELEMENTS", 2 * database.shape[0])  # two queries per block
    monkeypatch.setattr(metrics, "_SORT_ELEMENTS", database.shape[0])
    assert evaluate_codes(queries, database, groundtruth) == whole


def test_evaluate_codes_separates_good_from_random_codes():
    rng = np.random.default_rng(5)
    database_bits = rng.random((400, 64)) < 0.5
    query_bits = database_bits[:10] ^ (rng.random((10, 64)) < 0.05)
    true_distances = (query_bits[:, None, :] != database_bits[None]).sum(axis=2)
    groundtruth = np.argsort(true_distances, axis=1, kind="stable")[:, :20]
    good = evaluate_codes(pack_bits(query_bits), pack_bits(database_bits), groundtruth, ns=(20,))
    noise = evaluate_codes(pack_bits(rng.random((10, 64)) < 0.5), pack_bits(database_bits), groundtruth, ns=(20,))
    assert good["map_stable"] == pytest.approx(1.0) and good["precision_at_20"] > 0.8  # ties at the 20th cost a little
    assert noise["map"] < 0.3 and noise["precision_at_20"] < 0.3


@pytest.mark.parametrize(
    ("groundtruth", "message"),
    [
        (np.array([[0, 0]] * 6), "must not repeat an index; row 0"),
        (np.array([[0, 300]] * 6), r"must lie in \[0, 300\)"),
        (np.zeros((5, 2), int), r"shape \(6, K\)"),
        (np.zeros((6, 2)), "integer database indices"),
    ],
)
def test_evaluate_codes_rejects_bad_groundtruth(groundtruth, message):
    queries, database, _ = random_code_case(0, 16)
    with pytest.raises(ValueError, match=message):
        evaluate_codes(queries, database, groundtruth)


def test_metrics_reject_bad_distances_and_ties():
    groundtruth = np.array([[0]])
    with pytest.raises(ValueError, match="integer Hamming distances"):
        mean_average_precision(np.zeros((1, 3)), groundtruth)
    with pytest.raises(ValueError, match="non-negative"):
        mean_average_precision(np.array([[0, -1, 2]]), groundtruth)
    with pytest.raises(ValueError, match="ties must be"):
        mean_average_precision(np.zeros((1, 3), np.uint8), groundtruth, ties="random")
    with pytest.raises(ValueError, match="n_bits must be"):
        pr_curve_over_radius(np.array([[0, 5]], np.uint8), groundtruth, n_bits=4)


# -- per-query scores ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_bits", [8, 64])
def test_per_query_scores_average_to_the_record_and_agree_with_the_per_query_functions(n_bits):
    queries, database, groundtruth = random_code_case(n_bits + 1, n_bits, n_queries=7)
    result, scores = evaluate_codes(queries, database, groundtruth, ns=(10, 100), per_query=True)
    assert evaluate_codes(queries, database, groundtruth, ns=(10, 100)) == result  # the flag changes nothing else
    assert set(scores) == set(result) and all(v.shape == (7,) for v in scores.values())
    for name, values in scores.items():
        assert values.mean() == pytest.approx(result[name], abs=1e-14)
    distances = hamming_distances(queries, database)
    np.testing.assert_allclose(scores["map"], average_precision(distances, groundtruth, "expected"), atol=1e-14)
    np.testing.assert_allclose(scores["map_stable"], average_precision(distances, groundtruth, "stable"), atol=1e-14)
    for n in (10, 100):
        per_query_precision = [precision_at_n(distances[[q]], groundtruth[[q]], n)[0] for q in range(7)]
        np.testing.assert_allclose(scores[f"precision_at_{n}"], per_query_precision, atol=1e-14)


def test_pr_area_per_query_is_the_jackknife_of_the_pooled_area(monkeypatch):
    queries, database, groundtruth = random_code_case(11, 16, n_queries=6)
    distances = hamming_distances(queries, database)
    values = metrics.pr_area_per_query(distances, groundtruth)
    area = pr_area_over_radius(distances, groundtruth)
    # brute force: the pooled area of every leave-one-out query set
    leave_one_out = np.array([pr_area_over_radius(np.delete(distances, q, 0), np.delete(groundtruth, q, 0))
                              for q in range(6)])
    np.testing.assert_allclose(values, area + 5 * (leave_one_out.mean() - leave_one_out), atol=1e-13)
    assert values.mean() == pytest.approx(area, abs=1e-14)
    n_shells = shell_histograms(distances, groundtruth).items.shape[1]
    monkeypatch.setattr(metrics, "_SORT_ELEMENTS", 2 * n_shells)  # blocks of two queries
    np.testing.assert_allclose(metrics.pr_area_per_query(distances, groundtruth), values, atol=1e-15)
    single = metrics.pr_area_per_query(distances[:1], groundtruth[:1])
    assert single.tolist() == [pytest.approx(pr_area_over_radius(distances[:1], groundtruth[:1]))]


def test_label_scores_per_query_average_to_the_scores():
    rng = np.random.default_rng(12)
    query_bits, database_bits = rng.random((5, 32)) < 0.5, rng.random((60, 32)) < 0.5
    query_labels, database_labels = rng.integers(0, 3, 5), rng.integers(0, 3, 60)
    args = (pack_bits(query_bits), pack_bits(database_bits), query_labels, database_labels)
    result, scores = evaluate_label_codes(*args, k=20, ns=(10,), per_query=True)
    assert result == evaluate_label_codes(*args, k=20, ns=(10,))
    for name, values in scores.items():
        assert values.shape == (5,) and values.mean() == pytest.approx(result[name], abs=1e-14)
    distances = hamming_distances(*args[:2])
    np.testing.assert_allclose(scores["label_map_at_20"],
                               label_average_precision_at_k(distances, query_labels, database_labels, 20), atol=1e-14)
