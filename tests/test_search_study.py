"""The search study's machinery: recall, Pareto fronts, paired verdicts, the grid and the scan study."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sigah.groundtruth import euclidean_ground_truth
from sigah.hashers import make_hasher
from sigah.readers import write_fvecs
from sigah.studies import search_study as ss


def test_recall_at_counts_the_true_neighbours_among_the_first_r():
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    ids = np.array([[3, 9, 1, 2], [8, 7, 6, 5]])
    np.testing.assert_array_equal(ss.recall_at(ids, truth, 1), [0.0, 0.0])
    np.testing.assert_array_equal(ss.recall_at(ids, truth, 2), [0.0, 0.0])
    np.testing.assert_array_equal(ss.recall_at(ids, truth, 4), [0.75, 1.0])
    np.testing.assert_array_equal(ss.recall_at(truth, truth, 3), [1.0, 1.0])
    with pytest.raises(ValueError, match="recall@5 needs"):
        ss.recall_at(ids, truth, 5)


def test_pareto_front_is_exactly_the_undominated_points():
    rng = np.random.default_rng(0)
    recall, qps = rng.random(60).round(2), rng.random(60).round(2)
    front = set(ss.pareto_front(recall, qps).tolist())
    for i in range(60):
        beaten = np.any((recall >= recall[i]) & (qps >= qps[i]) & ((recall > recall[i]) | (qps > qps[i])))
        if beaten:
            assert i not in front
    # among exact duplicates one stands for all; every undominated value pair is on the front
    undominated = {(recall[i], qps[i]) for i in range(60) if not np.any(
        (recall >= recall[i]) & (qps >= qps[i]) & ((recall > recall[i]) | (qps > qps[i])))}
    assert {(recall[i], qps[i]) for i in front} == undominated
    ordered = ss.pareto_front(recall, qps)
    assert np.all(np.diff(recall[ordered]) > 0) and np.all(np.diff(qps[ordered]) < 0)


def test_paired_comparison_verdicts():
    rng = np.random.default_rng(1)
    b = rng.random(300)
    assert ss.compare_paired(b + 0.1, b)["verdict"] == "higher"
    assert ss.compare_paired(b - 0.1, b)["verdict"] == "lower"
    noise = ss.compare_paired(b + rng.normal(0, 0.2, 300), b + rng.normal(0, 0.2, 300))
    assert noise["low"] <= noise["difference"] <= noise["high"]
    assert ss.compare_paired(b, b)["verdict"] == "inconclusive"
    with pytest.raises(ValueError, match="same length"):
        ss.compare_paired(b, b[:10])


@pytest.fixture(scope="module")
def small_study():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(30, 32)) * 4
    vectors = (centres[rng.integers(30, size=560)] + rng.normal(size=(560, 32))).astype(np.float32)
    protocol = SimpleNamespace(queries=vectors[:60], database=vectors[60:], train=vectors[60:])
    groundtruth = euclidean_ground_truth(protocol.queries, protocol.database, 50)
    codes = {}
    for method in ("lsh", "itq"):
        for n_bytes in (2, 4):
            hasher = make_hasher(method, 8 * n_bytes, seed=0).fit(protocol.train)
            codes[(method, n_bytes)] = (hasher.encode(protocol.queries), hasher.encode(protocol.database), 0.0)
    result = ss.search_grid(protocol, groundtruth, codes, dataset="toy", k=50, reranks=(50, 500),
                            pq_train_size=500, threads=1)
    return protocol, groundtruth, codes, result


def test_search_grid_scores_every_configuration(small_study):
    _, _, _, result = small_study
    frame = result.records
    assert len(frame) == 2 * 2 * 4 * 3 + 3 * 2 + 1 - sum("left out" in n for n in result.notes)
    assert set(frame["family"]) == set(ss.FAMILIES)
    for column in ("recall@1", "recall@10", "qps (1 thread)", "qps (all threads)", "index bytes/vector"):
        assert frame[column].notna().all() and (frame[column] >= 0).all()
    assert frame[["recall@1", "recall@10"]].le(1).all().all()
    assert frame["recall@100"].isna().all()  # k = 50: recall@100 is not defined
    assert len(result.per_query) == len(frame)
    flat = frame[frame["index"] == "flat"]  # each code added once: the flat index holds the codes alone
    assert np.all((flat["index bytes/vector"] >= flat["bytes"]) & (flat["index bytes/vector"] < 2 * flat["bytes"]))


def test_re_ranking_the_whole_database_and_exact_search_find_every_neighbour(small_study):
    _, _, _, result = small_study
    frame = result.records
    whole = frame[frame["rerank"] == 500]
    assert np.allclose(whole[["recall@1", "recall@10"]][whole["index"] == "flat"], 1.0)
    exact = frame[frame["family"] == "exact"].iloc[0]
    assert exact["recall@10"] > 0.99 and exact["index bytes/vector"] >= 4 * 32


def test_flat_recall_matches_the_hamming_reference(small_study):
    from sigah.codes import hamming_knn

    protocol, groundtruth, codes, result = small_study
    frame = result.records
    q, db, _ = codes[("itq", 4)]
    dist, ids = hamming_knn(q, db, 50, engine="numpy")
    row = frame[(frame["method"] == "ITQ") & (frame["bytes"] == 4) & (frame["index"] == "flat")
                & (frame["rerank"] == 0)].iloc[0]
    # ties at the 10th distance may be broken differently: the recall can differ by those ties only
    tied = np.mean([np.count_nonzero(d == d[9]) for d in dist]) / 10
    assert abs(row["recall@10"] - ss.recall_at(ids, groundtruth, 10).mean()) <= tied


def test_verdicts_name_each_budget_and_a_verdict(small_study):
    protocol, groundtruth, _, result = small_study
    header = ss.study_header(ss.SearchStudy(SimpleNamespace(description="toy: 60 queries"), groundtruth,
                                            result, ["a size was lowered."]))
    assert header.startswith("**toy: 60 queries**, k = 50") and "\n- a size was lowered." in header
    text = ss.search_verdicts(result)
    assert "**2 bytes per vector**" in text and "**4 bytes per vector**" in text
    assert any(word in text for word in ("higher", "lower", "inconclusive"))
    best = ss.best_per_family(result, 4)
    at = result.records[(result.records["bytes"] == 4)]
    for family, row in best.iterrows():
        assert row["recall@10"] == at[at["family"] == family]["recall@10"].max()


def test_tables_and_fronts_render(small_study):
    import matplotlib

    matplotlib.use("Agg")
    _, _, _, result = small_study
    assert "<table" in ss.recall_table(result, 4).to_html()
    assert "<table" in ss.memory_table(result, 2).to_html()
    fig = ss.plot_fronts(result)
    assert len(fig.axes) == 2


def test_scan_throughput_and_its_extrapolation():
    frame = ss.scan_throughput([2000, 8000], n_queries=5, k=10)
    assert set(frame["engine"]) == {"faiss", "ours"} and (frame["ns per code"] > 0).all()
    line = pd.DataFrame({"engine": "faiss", "n_database": [10, 20, 40],
                         "seconds per query": [1.0 + 2e-9 * n for n in (10, 20, 40)]})
    fit = ss.extrapolate_scan(line, "faiss", 1e9)
    assert fit["ns per code"] == pytest.approx(2.0) and fit["intercept"] == pytest.approx(1.0)
    assert fit["seconds per query at target"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="two database sizes"):
        ss.extrapolate_scan(line.iloc[:1])
    sentence = ss.throughput_sentence(frame, ss.extrapolate_scan(frame), source="random codes")
    assert "random codes" in sentence and "extrapolation" in sentence
    html = ss.scan_table(frame, source="random codes").to_html()
    assert "8,000" in html and "random codes" in html
    assert 0 < ss.peak_memory_gb() < 100 and "GB" in ss.memory_sentence()


def test_scan_results_agree_and_limits_are_measured():
    database, queries = ss.random_codes(5000, 64, 0), ss.random_codes(10, 64, 1)
    assert ss.same_scan_results(queries, database, 20)
    limits = ss.scan_limits(n_words=1 << 18, cache_words=1 << 12, repeats=2)
    assert limits["bandwidth GB/s"] > 0 and limits["xor+popcount ns per code"] > 0
    frame = pd.DataFrame({"engine": ["faiss", "ours"], "n_database": 100, "ns per code": [1.0, 3.0]})
    assert "stays the exhaustive index" in ss.scan_sentence(frame, limits, identical=True)
    frame["ns per code"] = [3.0, 1.0]
    assert "would switch to it" in ss.scan_sentence(frame, limits, identical=True)
    assert "stays the exhaustive index" in ss.scan_sentence(frame, limits, identical=False)


def test_file_codes_encode_a_prefix_and_later_queries(tmp_path):
    vectors = np.random.default_rng(3).normal(size=(300, 12)).astype(np.float32)
    write_fvecs(tmp_path / "base.fvecs", vectors)
    database, queries = ss.file_codes(tmp_path / "base.fvecs", 200, n_bits=32, n_queries=50)
    assert database.shape == (200, 4) and queries.shape == (50, 4)
    lsh = make_hasher("lsh", 32, seed=0).fit(vectors)
    np.testing.assert_array_equal(database, lsh.encode(vectors[:200]))
    np.testing.assert_array_equal(queries, lsh.encode(vectors[200:250]))
