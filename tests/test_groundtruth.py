"""Tests for :mod:`sigah.groundtruth`: exact, tie-stable Euclidean top-K and its disk cache."""

from __future__ import annotations

import numpy as np
import pytest

import sigah.groundtruth as groundtruth_module
from sigah.metrics import euclidean_ground_truth


def naive_ground_truth(queries: np.ndarray, database: np.ndarray, k: int) -> np.ndarray:
    """float64 distances one pair at a time, sorted by (distance, index)."""
    q, x = queries.astype(np.float64), database.astype(np.float64)
    out = []
    for row in q:
        squared = np.array([np.sum((row - point) ** 2) for point in x])
        out.append(np.lexsort((np.arange(len(x)), squared))[:k])
    return np.array(out, dtype=np.int64)


@pytest.mark.parametrize("block_size", [1, 4, 256])
def test_equals_naive_float64_argsort(block_size):
    rng = np.random.default_rng(0)
    database = rng.standard_normal((150, 12)).astype(np.float32)
    queries = rng.standard_normal((9, 12)).astype(np.float32)
    got = euclidean_ground_truth(queries, database, k=20, block_size=block_size)
    assert got.dtype == np.int64 and got.shape == (9, 20)
    assert np.array_equal(got, naive_ground_truth(queries, database, 20))


def test_exact_duplicates_and_integer_ties_are_broken_by_index():
    rng = np.random.default_rng(1)
    # SIFT-like small integers with many repeated points: exact distance ties everywhere
    base = rng.integers(0, 4, size=(30, 6)).astype(np.float32)
    database = base[rng.integers(0, 30, size=200)]
    queries = np.concatenate([database[:3], rng.integers(0, 4, size=(4, 6)).astype(np.float32)])
    got = euclidean_ground_truth(queries, database, k=25)
    assert np.array_equal(got, naive_ground_truth(queries, database, 25))
    # a query equal to database point 0 finds every copy of it first, in index order
    copies = np.flatnonzero((database == database[0]).all(axis=1))
    assert got[0, : len(copies)].tolist() == copies[:25].tolist()


def test_exact_where_float32_expansion_cannot_resolve_the_order():
    # a large common offset: ‖q‖² − 2q·x + ‖x‖² in float32 loses every digit of the differences
    rng = np.random.default_rng(2)
    offset = np.full(16, 3000.0)
    database = (offset + rng.standard_normal((120, 16)) * 1e-2).astype(np.float32)
    queries = (offset + rng.standard_normal((5, 16)) * 1e-2).astype(np.float32)
    assert np.array_equal(euclidean_ground_truth(queries, database, k=10), naive_ground_truth(queries, database, 10))


def test_float64_and_integer_inputs():
    rng = np.random.default_rng(3)
    database = rng.integers(0, 256, size=(80, 8)).astype(np.uint8)
    queries = rng.integers(0, 256, size=(4, 8)).astype(np.uint8)
    assert np.array_equal(euclidean_ground_truth(queries, database, k=7), naive_ground_truth(queries, database, 7))
    d64 = rng.standard_normal((80, 8))
    assert np.array_equal(euclidean_ground_truth(d64[:3] + 1e-9, d64, k=5), naive_ground_truth(d64[:3] + 1e-9, d64, 5))


def test_k_equal_to_database_size_ranks_everything():
    rng = np.random.default_rng(4)
    database = rng.standard_normal((10, 3)).astype(np.float32)
    got = euclidean_ground_truth(database[:2], database, k=10)
    assert sorted(got[0].tolist()) == list(range(10)) and got[0, 0] == 0 and got[1, 0] == 1


# -- cache ---------------------------------------------------------------------------------------
def small_problem():
    rng = np.random.default_rng(5)
    return rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((60, 5)).astype(np.float32)


def test_cache_hit_returns_identical_result_without_recomputation(tmp_path, monkeypatch):
    queries, database = small_problem()
    first = euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"

    def fail(*args, **kwargs):
        raise AssertionError("recomputed despite a valid cache file")

    monkeypatch.setattr(groundtruth_module, "_exact_top_k", fail)
    again = euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path)
    assert np.array_equal(first, again) and again.dtype == np.int64


def test_cache_key_depends_on_data_and_k(tmp_path):
    queries, database = small_problem()
    euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path)
    euclidean_ground_truth(queries, database, k=9, cache_dir=tmp_path)
    changed = database.copy()
    changed[0, 0] += 1.0
    result = euclidean_ground_truth(queries, changed, k=8, cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 3
    assert np.array_equal(result, naive_ground_truth(queries, changed, 8))


def test_corrupted_cache_file_is_recomputed(tmp_path):
    queries, database = small_problem()
    expected = euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not a zip file")
    with pytest.warns(RuntimeWarning, match="unreadable ground-truth cache"):
        again = euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path)
    assert np.array_equal(again, expected)
    # and the file was rewritten: the next call is a silent hit
    assert np.array_equal(euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path), expected)


def test_cache_file_with_wrong_key_or_shape_is_recomputed(tmp_path):
    queries, database = small_problem()
    expected = euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path)
    (path,) = tmp_path.iterdir()
    np.savez(path, indices=np.zeros((6, 8), np.int64), key=np.array("some other key"))
    with pytest.warns(RuntimeWarning, match="does not match"):
        assert np.array_equal(euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path), expected)
    key = groundtruth_module.ground_truth_cache_key(queries, database, 8)
    np.savez(path, indices=np.zeros((6, 3), np.int64), key=np.array(key))
    with pytest.warns(RuntimeWarning, match="does not match"):
        assert np.array_equal(euclidean_ground_truth(queries, database, k=8, cache_dir=tmp_path), expected)


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("queries", "database", "k", "message"),
    [
        (np.zeros((2, 3)), np.zeros((5, 3)), 6, "between 1 and the database size 5, got 6"),
        (np.zeros((2, 3)), np.zeros((5, 3)), 0, "between 1 and the database size 5, got 0"),
        (np.zeros((2, 4)), np.zeros((5, 3)), 2, "dimension 4 but the database has dimension 3"),
        (np.array([[0.0, np.nan, 0.0]]), np.zeros((5, 3)), 2, "queries contains NaN"),
        (np.zeros((2, 3)), np.full((5, 3), np.inf), 2, "database contains NaN or infinite"),
        (np.zeros(3), np.zeros((5, 3)), 2, "queries must be a 2-D array"),
        (np.zeros((2, 3)), np.zeros((0, 3)), 1, "database must be non-empty"),
    ],
)
def test_invalid_inputs_are_rejected(queries, database, k, message):
    with pytest.raises(ValueError, match=message):
        euclidean_ground_truth(queries, database, k=k)


@pytest.mark.parametrize("chunk_rows", [7, 100, 1000])
def test_database_chunks_and_ties_beyond_the_per_chunk_candidates(chunk_rows, monkeypatch):
    # 300 rows of 2 distinct points: a chunk of 100 holds about 50 copies of each, more tied points
    # within the threshold than faiss's per-chunk candidates (2k, at least k + 32), so the full
    # rescan of that chunk must supply the rest
    rng = np.random.default_rng(4)
    base = rng.integers(0, 3, size=(2, 4)).astype(np.float32)
    database = base[rng.integers(0, 2, size=300)]
    queries = np.concatenate([base, rng.standard_normal((3, 4)).astype(np.float32)])
    scans = []
    original = groundtruth_module._scan_chunk
    monkeypatch.setattr(groundtruth_module, "_scan_chunk", lambda *a: scans.append(1) or original(*a))
    for k in (3, 40):
        got = euclidean_ground_truth(queries, database, k=k, chunk_rows=chunk_rows)
        assert np.array_equal(got, naive_ground_truth(queries, database, k))
    assert bool(scans) == (chunk_rows > 7)  # chunks of 7 rows are returned whole by faiss: nothing to rescan


def test_memory_mapped_fvecs_database_equals_in_memory(tmp_path):
    from sigah.readers import read_fvecs, write_fvecs

    rng = np.random.default_rng(5)
    database = rng.standard_normal((500, 10)).astype(np.float32)
    queries = rng.standard_normal((6, 10)).astype(np.float32)
    write_fvecs(tmp_path / "base.fvecs", database)
    mapped = read_fvecs(tmp_path / "base.fvecs")
    assert not mapped.flags.c_contiguous  # each row skips its 4-byte header
    got = euclidean_ground_truth(queries, mapped, k=15, chunk_rows=128, cache_dir=tmp_path)
    assert np.array_equal(got, naive_ground_truth(queries, database, 15))
    # the cache key reads the memory map in chunks and agrees with the in-memory array's
    key = groundtruth_module.ground_truth_cache_key
    assert key(queries, mapped, 15) == key(queries, database, 15)
