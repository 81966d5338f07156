"""Tests of sigah.studies.sizes: a size preset, or a list of sizes, never asks for more than the dataset holds."""

from __future__ import annotations

import numpy as np
import pytest

from sigah.data import Dataset, make_protocol
from sigah.studies.sizes import cap_sizes, cap_values


def dataset(n, *, own_queries=0):
    rng = np.random.default_rng(0)
    queries = rng.standard_normal((own_queries, 4)).astype(np.float32) if own_queries else None
    return Dataset(name="small", features=rng.standard_normal((n, 4)).astype(np.float32), labels=None,
                   queries=queries, groundtruth=None, source="test")


def test_preset_that_fits_is_unchanged():
    sizes, notes = cap_sizes(dataset(5000), n_queries=300, n_database=None, n_train=1000, k=100)
    assert sizes == {"n_queries": 300, "n_database": None, "n_train": 1000, "k": 100} and notes == []


def test_ci_preset_on_a_4800_vector_file_is_capped_and_the_protocol_builds():
    data = dataset(4800)
    sizes, notes = cap_sizes(data, n_queries=300, n_database=None, n_train=10_000, k=1000)
    assert sizes == {"n_queries": 300, "n_database": None, "n_train": 4500, "k": 1000}
    assert len(notes) == 1 and "n_train = 10,000 capped to 4,500" in notes[0]
    protocol = make_protocol(data, n_queries=sizes["n_queries"], n_database=sizes["n_database"],
                             n_train=sizes["n_train"])
    assert protocol.n_train == protocol.n_database == 4500
    with pytest.raises(ValueError):  # what the chapter did before the cap
        make_protocol(data, n_queries=300, n_train=10_000)


def test_every_count_is_capped_in_order():
    sizes, notes = cap_sizes(dataset(100), n_queries=1000, n_database=10_000, n_train=20_000, k=1000)
    assert sizes == {"n_queries": 50, "n_database": 50, "n_train": 50, "k": 50}
    assert [note.split(" =")[0] for note in notes] == ["n_queries", "n_database", "n_train", "k"]
    # n_train and k follow the (capped) database subsample, not the whole file
    sizes, _ = cap_sizes(dataset(1000), n_queries=100, n_database=200, n_train=500, k=300)
    assert sizes["n_train"] == 200 and sizes["k"] == 200


def test_own_queries_leave_the_whole_file_as_database():
    sizes, notes = cap_sizes(dataset(300, own_queries=20), n_queries=1000, n_train=10_000, k=1000)
    assert sizes == {"n_queries": 1000, "n_database": None, "n_train": 300, "k": 300} and len(notes) == 2


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "10"])
def test_bad_counts_are_named(bad):
    with pytest.raises(ValueError, match="n_train must be a positive integer"):
        cap_sizes(dataset(100), n_queries=10, n_train=bad)


def test_too_small_dataset():
    with pytest.raises(ValueError, match="at least 2"):
        cap_sizes(dataset(1), n_queries=1)


def test_list_of_sizes_is_capped_sorted_and_deduplicated():
    sizes, notes = cap_values([4000, 500, 2000, 3000], 2500, "train_sizes", "the training set holds 2,500 vectors")
    assert sizes == [500, 2000, 2500]
    assert notes == ["train_sizes 4,000, 3,000 capped to 2,500: the training set holds 2,500 vectors."]
    assert cap_values([300, 100], 2500, "train_sizes", "why") == ([100, 300], [])


@pytest.mark.parametrize("values", [[], [100, 0], [2.5]])
def test_bad_list_of_sizes_is_named(values):
    with pytest.raises(ValueError, match="train_sizes must be"):
        cap_values(values, 1000, "train_sizes", "why")
