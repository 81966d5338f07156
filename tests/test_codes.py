"""Tests for :mod:`sigah.codes`: bit layout, both distance engines, ranking and k-NN search."""

from __future__ import annotations

import faiss
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sigah.codes import (
    distance_dtype,
    hamming_distances,
    hamming_knn,
    hamming_ranking,
    pack_bits,
    signs_to_bits,
    unpack_bits,
)


def random_codes(rng: np.random.Generator, n: int, n_bits: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, n_bits // 8), dtype=np.uint8)


def brute_force_distances(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """Bit-by-bit reference: unpack and count differing bits."""
    q, d = unpack_bits(queries), unpack_bits(database)
    return (q[:, None, :] != d[None, :, :]).sum(axis=2)


# -- layout ----------------------------------------------------------------------------------
def test_bit_zero_is_least_significant_bit_of_byte_zero():
    bits = np.zeros((1, 16), dtype=bool)
    bits[0, 0] = True  # dimension 0
    bits[0, 9] = True  # dimension 9 -> byte 1, bit 1
    assert pack_bits(bits).tolist() == [[0x01, 0x02]]


def test_signs_to_bits_maps_zero_to_plus_one():
    assert signs_to_bits(np.array([[-0.5, 0.0, 2.0]])).tolist() == [[False, True, True]]


def test_layout_equals_faiss_index_lsh_codes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 32)).astype(np.float32)
    index = faiss.IndexLSH(32, 32, False, False)  # no rotation, zero thresholds: plain sign bits
    index.train(x)
    assert np.array_equal(index.sa_encode(x), pack_bits(signs_to_bits(x)))


def test_layout_equals_faiss_pack_bitstrings():
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, size=(6, 40)).astype(np.int32)
    assert np.array_equal(faiss.pack_bitstrings(bits, 1), pack_bits(bits.astype(bool)))


@given(hnp.arrays(bool, st.tuples(st.integers(0, 5), st.sampled_from([8, 16, 64, 784]))))
@settings(max_examples=30, deadline=None)
def test_pack_unpack_round_trip(bits):
    packed = pack_bits(bits)
    assert packed.dtype == np.uint8 and packed.shape == (bits.shape[0], bits.shape[1] // 8)
    assert np.array_equal(unpack_bits(packed), bits)


def test_unpack_truncates_to_n_bits_and_rejects_too_many():
    codes = np.array([[0xFF, 0x01]], dtype=np.uint8)
    assert unpack_bits(codes, 9).tolist() == [[True] * 9]
    with pytest.raises(ValueError, match="n_bits=24"):
        unpack_bits(codes, 24)


def test_pack_rejects_bit_counts_not_multiple_of_eight():
    with pytest.raises(ValueError, match="multiple of 8, got 12"):
        pack_bits(np.zeros((2, 12), dtype=bool))


# -- distances -------------------------------------------------------------------------------
@pytest.mark.parametrize("n_bits", [8, 32, 64, 784])
def test_engines_agree_with_bit_by_bit_reference(n_bits):
    rng = np.random.default_rng(n_bits)
    queries, database = random_codes(rng, 13, n_bits), random_codes(rng, 101, n_bits)
    expected = brute_force_distances(queries, database)
    fast = hamming_distances(queries, database, engine="faiss")
    reference = hamming_distances(queries, database, engine="numpy")
    assert fast.dtype == reference.dtype == distance_dtype(n_bits)
    assert np.array_equal(fast, expected)
    assert np.array_equal(reference, expected)


@pytest.mark.parametrize("engine", ["faiss", "numpy"])
def test_query_blocks_do_not_change_distances(engine):
    rng = np.random.default_rng(3)
    queries, database = random_codes(rng, 10, 24), random_codes(rng, 30, 24)
    whole = hamming_distances(queries, database, engine=engine)
    blocked = hamming_distances(queries, database, engine=engine, block_size=3)
    assert np.array_equal(whole, blocked)
    assert np.array_equal(whole, brute_force_distances(queries, database))


def test_distance_dtype_holds_the_largest_distance():
    ones, zeros = np.full((1, 98), 0xFF, np.uint8), np.zeros((1, 98), np.uint8)
    assert hamming_distances(ones, zeros)[0, 0] == 784
    assert hamming_distances(ones[:, :31], zeros[:, :31]).dtype == np.uint8  # 248 bits
    assert hamming_distances(ones[:, :32], zeros[:, :32])[0, 0] == 256


def test_empty_query_set_gives_empty_matrix():
    assert hamming_distances(np.zeros((0, 4), np.uint8), np.zeros((5, 4), np.uint8)).shape == (0, 5)


@pytest.mark.parametrize(
    ("queries", "database", "message"),
    [
        (np.zeros((2, 4), np.uint8), np.zeros((3, 8), np.uint8), "32-bit codes but the database has 64-bit"),
        (np.zeros((2, 4), np.int64), np.zeros((3, 4), np.uint8), "uint8 codes, got dtype int64"),
        (np.zeros(4, np.uint8), np.zeros((3, 4), np.uint8), r"2-D array .* got shape \(4,\)"),
        (np.zeros((2, 0), np.uint8), np.zeros((3, 0), np.uint8), "at least one byte"),
    ],
)
def test_invalid_codes_are_rejected(queries, database, message):
    with pytest.raises(ValueError, match=message):
        hamming_distances(queries, database)


def test_invalid_engine_and_block_size_are_rejected():
    codes = np.zeros((2, 4), np.uint8)
    with pytest.raises(ValueError, match="engine must be"):
        hamming_distances(codes, codes, engine="gpu")
    with pytest.raises(ValueError, match="block_size must be a positive integer, got 0"):
        hamming_distances(codes, codes, block_size=0)


# -- ranking and k-NN ------------------------------------------------------------------------
def test_ranking_is_stable_by_database_index():
    distances = np.array([[2, 0, 2, 1, 0]], dtype=np.uint8)
    assert hamming_ranking(distances).tolist() == [[1, 4, 3, 0, 2]]


@pytest.mark.parametrize("n_bits", [8, 32, 64, 784])
@pytest.mark.parametrize("engine", ["faiss", "numpy"])
def test_knn_agrees_with_brute_force(n_bits, engine):
    rng = np.random.default_rng(n_bits + 1)
    # few distinct database codes, so that the ranking has many ties
    database = random_codes(rng, 6, n_bits)[rng.integers(0, 6, size=80)]
    queries = random_codes(rng, 9, n_bits)
    k = 17
    expected = brute_force_distances(queries, database)
    dist, idx = hamming_knn(queries, database, k, engine=engine)
    assert dist.shape == idx.shape == (9, k) and dist.dtype == np.int32 and idx.dtype == np.int64
    expected_sorted = np.sort(expected, axis=1)[:, :k]
    assert np.array_equal(dist, expected_sorted)
    # the returned indices are distinct and really lie at the returned distances (ties may differ)
    assert np.array_equal(np.take_along_axis(expected, idx, axis=1), dist)
    assert all(len(set(row)) == k for row in idx.tolist())
    if engine == "numpy":  # lowest indices first inside a tie
        assert np.array_equal(idx, np.argsort(expected, axis=1, kind="stable")[:, :k])


@pytest.mark.parametrize("k", [0, 6, 2.0, True])
def test_knn_rejects_bad_k(k):
    codes = np.zeros((5, 2), np.uint8)
    with pytest.raises(ValueError, match="k must be"):
        hamming_knn(codes, codes, k)
