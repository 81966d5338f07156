"""Searching packed codes: every index kind against the exhaustive NumPy reference, re-ranking against
the exact Euclidean ground truth, and the NumPy scan against the sorted reference."""

import numpy as np
import pytest

from sigah import search as search_module
from sigah.codes import hamming_distances, hamming_knn, pack_bits
from sigah.groundtruth import euclidean_ground_truth
from sigah.readers import read_fvecs, write_fvecs
from sigah.search import INDEX_KINDS, CodeIndex, index_bytes, rerank, scan_knn


def _clustered(n: int, d: int, seed: int, n_clusters: int = 20) -> np.ndarray:
    """Vectors around a few centres, so that near neighbours exist (as in real data)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, d)) * 3
    return (centres[rng.integers(n_clusters, size=n)] + rng.normal(size=(n, d))).astype(np.float32)


def _codes(vectors: np.ndarray, n_bits: int, seed: int = 0) -> np.ndarray:
    """Sign-of-random-projection codes: nearby vectors get nearby codes."""
    projection = np.random.default_rng(seed).normal(size=(vectors.shape[1], n_bits))
    return pack_bits(vectors @ projection >= 0)


@pytest.fixture(scope="module")
def data():
    vectors = _clustered(3000, 32, seed=1, n_clusters=300)
    return vectors[:2800], vectors[2800:]


def _recall(ids: np.ndarray, queries: np.ndarray, database: np.ndarray, k: int) -> float:
    """Share of the true k nearest codes found, ties at the k-th distance counted as found."""
    true_d = hamming_distances(queries, database).astype(np.int64)
    kth = np.sort(true_d, axis=1)[:, k - 1]
    hits = 0
    for row, found in zip(range(len(ids)), ids):
        found = found[found >= 0]
        hits += min(k, np.count_nonzero(true_d[row, found] <= kth[row]))
    return hits / (k * len(ids))


def _assert_exact(distances, ids, queries, database, k):
    """Equal to the reference up to the order of ties: the same distances, the same ids strictly
    below the k-th distance, and every returned id at the distance reported."""
    ref_d, ref_i = hamming_knn(queries, database, k, engine="numpy")
    np.testing.assert_array_equal(distances, ref_d)
    true_d = hamming_distances(queries, database)
    np.testing.assert_array_equal(np.take_along_axis(true_d, ids, axis=1), distances)
    for row in range(len(queries)):
        below = distances[row] < distances[row, -1]
        assert set(ids[row][below]) == set(ref_i[row][ref_d[row] < ref_d[row, -1]])
        assert len(set(ids[row])) == k


@pytest.mark.parametrize("n_bits", [32, 64, 128])
def test_flat_index_equals_the_numpy_reference(data, n_bits):
    database, queries = (_codes(v, n_bits) for v in data)
    index = CodeIndex(n_bits, "flat").add(database)
    distances, ids = index.search(queries, 50)
    assert distances.dtype == np.int32 and ids.dtype == np.int64 and distances.shape == (len(queries), 50)
    _assert_exact(distances, ids, queries, database, 50)


def test_ivf_scanning_every_list_is_exact(data):
    database, queries = (_codes(v, 64) for v in data)
    index = CodeIndex(64, "ivf", nlist=16, nprobe=16).add(database)
    _assert_exact(*index.search(queries, 20), queries, database, 20)


def test_mih_finds_every_code_within_its_guaranteed_radius(data):
    database, queries = (_codes(v, 64) for v in data)
    index = CodeIndex(64, "mih", nhash=4, nflip=1).add(database)
    radius = index.exact_radius()
    assert radius == 4 * 2 - 1
    distances, ids = index.search(queries, 30)
    true_d = hamming_distances(queries, database)
    for row in range(len(queries)):
        found = ids[row][ids[row] >= 0]
        np.testing.assert_array_equal(true_d[row, found], distances[row][: len(found)])
        within = np.flatnonzero(true_d[row] <= radius)
        if len(within) <= 30:  # all of them fit in the answer, so all must be there
            assert set(within) <= set(found)
    assert np.any(np.bincount(true_d.ravel())[: radius + 1]), "the test needs codes inside the radius"


@pytest.mark.parametrize(("kind", "options", "bound"), [
    ("mih", {}, 0.85),
    ("ivf", {"nlist": 32, "nprobe": 8}, 0.9),
    ("hnsw", {"M": 16, "ef_search": 128}, 0.95),
])
def test_approximate_index_recall_is_measured_and_high(data, kind, options, bound):
    # A broken index (wrong ids, wrong layout) scores near k / n = 0.004 here, and weaker settings
    # (no flips, one probe, M = 4) score 0.3-0.7 on IVF and MIH; the bounds sit a little below what
    # these settings give on this data (0.93, 0.98, 1.0).
    database, queries = (_codes(v, 64) for v in data)
    index = CodeIndex(64, kind, **options).add(database)
    distances, ids = index.search(queries, 10)
    true_d = hamming_distances(queries, database)
    valid = ids >= 0
    np.testing.assert_array_equal(np.take_along_axis(true_d, np.where(valid, ids, 0), axis=1)[valid],
                                  distances[valid])
    assert _recall(ids, queries, database, 10) > bound


def test_adding_in_two_batches_continues_the_ids(data):
    database, queries = (_codes(v, 32) for v in data)
    for kind in INDEX_KINDS:
        index = CodeIndex(32, kind, nlist=8, nprobe=8) if kind == "ivf" else CodeIndex(32, kind)
        index.add(database[:1000]).add(database[1000:])
        assert index.ntotal == len(database)
        _, ids = index.search(database[1500:1510], 1)
        assert np.all(hamming_distances(database[1500:1510], database[ids[:, 0]]).diagonal() == 0)


@pytest.mark.parametrize("n_bytes", [3, 4, 8, 16])
def test_scan_returns_exactly_the_sorted_reference(n_bytes, monkeypatch):
    rng = np.random.default_rng(n_bytes)
    database = rng.integers(0, 256, size=(5000, n_bytes), dtype=np.uint8)
    database[100:140] = database[7]  # exact ties, across the block boundary below
    queries = np.concatenate([database[[7, 4999]], rng.integers(0, 256, size=(20, n_bytes), dtype=np.uint8)])
    monkeypatch.setattr(search_module, "_SCAN_BLOCK", 1024)  # several blocks of codes
    for k in (1, 37, 200):
        ref_d, ref_i = hamming_knn(queries, database, k, engine="numpy")
        got_d, got_i = scan_knn(queries, database, k)
        np.testing.assert_array_equal(got_d, ref_d)
        np.testing.assert_array_equal(got_i, ref_i)


def test_rerank_of_every_id_is_the_exact_ground_truth(data):
    database, queries = data
    candidates = np.tile(np.arange(len(database)), (len(queries), 1))
    squared, ids = rerank(queries, database, candidates, 25)
    np.testing.assert_array_equal(ids, euclidean_ground_truth(queries, database, 25))
    assert np.all(np.diff(squared, axis=1) >= 0)
    np.testing.assert_allclose(squared[:, 0], ((database[ids[:, 0]] - queries) ** 2).sum(axis=1), rtol=1e-5)


def test_rerank_reads_a_memory_mapped_file_and_improves_recall(data, tmp_path):
    database, queries = data
    write_fvecs(tmp_path / "base.fvecs", database)
    mapped = read_fvecs(tmp_path / "base.fvecs")
    assert isinstance(mapped.base, np.memmap) or isinstance(mapped, np.memmap)
    db_codes, q_codes = _codes(database, 32), _codes(queries, 32)
    _, hamming_ids = CodeIndex(32).add(db_codes).search(q_codes, 200)
    squared, ids = rerank(queries, mapped, hamming_ids, 10)
    np.testing.assert_array_equal((squared, ids), rerank(queries, database, hamming_ids, 10))
    truth = euclidean_ground_truth(queries, database, 10)

    def recall(found):
        return np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])

    assert recall(ids) > recall(hamming_ids[:, :10]) + 0.1  # the exact distances fix the order


def test_rerank_skips_missing_candidates():
    database = np.arange(12, dtype=np.float32).reshape(6, 2)
    candidates = np.array([[3, -1, 3, 0], [-1, -1, -1, -1]])
    squared, ids = rerank(database[[2, 5]], database, candidates, 3)
    np.testing.assert_array_equal(ids, [[3, 0, -1], [-1, -1, -1]])
    assert squared[0, 0] == 8.0 and np.isinf(squared[0, 2]) and np.isinf(squared[1]).all()


def test_memory_bytes_hold_at_least_the_codes(data):
    database = _codes(data[0], 64)
    for kind in INDEX_KINDS:
        index = CodeIndex(64, kind).add(database)
        assert index.memory_bytes() >= database.nbytes
    assert index_bytes(CodeIndex(64).add(database).index) < 2 * database.nbytes


@pytest.mark.parametrize(("call", "message"), [
    (lambda: CodeIndex(60), "multiple of 8, got 60"),
    (lambda: CodeIndex(64, "lsh"), "kind must be one of 'flat', 'mih', 'ivf', 'hnsw', got 'lsh'"),
    (lambda: CodeIndex(64, "mih", nhash=0), "nhash must be in"),
    (lambda: CodeIndex(64).add(np.zeros((3, 4), np.uint8)), "hold 32-bit codes, expected 64-bit"),
    (lambda: CodeIndex(64).add(np.zeros((3, 8), np.int64)), "must be packed codes, a 2-D uint8 array"),
    (lambda: CodeIndex(64).search(np.zeros((1, 8), np.uint8), 1), "the index is empty"),
    (lambda: CodeIndex(64).add(np.zeros((3, 8), np.uint8)).search(np.zeros((1, 8), np.uint8), 4),
     "k must be in [1, 3], got 4"),
    (lambda: CodeIndex(64, "ivf", nlist=10).add(np.zeros((3, 8), np.uint8)), "nlist = 10 needs at least"),
    (lambda: rerank(np.zeros((2, 3)), np.zeros((5, 4)), np.zeros((2, 2), int), 1), "shape (n, 3)"),
    (lambda: rerank(np.zeros((2, 3)), np.zeros((5, 3)), np.full((2, 2), 5), 1), "ids in [0, 5) or -1"),
    (lambda: rerank(np.zeros((2, 3)), np.zeros((5, 3)), np.zeros((3, 2), int), 1), "shape (2, L)"),
    (lambda: scan_knn(np.zeros((1, 8), np.uint8), np.zeros((5, 4), np.uint8), 1), "expected 64-bit"),
])
def test_bad_arguments_fail_with_one_clear_line(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)
