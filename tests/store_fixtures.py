"""Fixtures shared by the tests of the store of runs (`test_store.py`, `test_faults_store.py`):
a small correlated training set, an empty store in a temporary folder, and hit/miss counters
reset before every test."""

import numpy as np
import pytest

from sigah.store import RunStore, reset_counts


@pytest.fixture()
def X():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((300, 24)) @ rng.standard_normal((24, 24))).astype(np.float32)


@pytest.fixture()
def store(tmp_path):
    return RunStore(tmp_path / "fits")


@pytest.fixture(autouse=True)
def _zero_counts():
    reset_counts()
