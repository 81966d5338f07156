"""Shared test set-up: every test writes its store of runs and ground-truth cache to a temporary folder."""

import pytest


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    # The default store lives in the checkout's _build/; tests must neither read a developer's fits
    # (a hit would hide a regression) nor leave theirs behind.
    monkeypatch.setenv("SIGAH_CACHE", str(tmp_path_factory.mktemp("sigah-cache")))
    monkeypatch.delenv("SIGAH_CACHE_DIR", raising=False)
    monkeypatch.delenv("SIGAH_STORE_LOG", raising=False)
