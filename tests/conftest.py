"""Shared test set-up: every test writes its store of runs and ground-truth cache to a temporary folder;
a one-cell chapter for the tests of the book pipeline."""

import pytest


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    # The default store lives in the checkout's _build/; tests must neither read a developer's fits
    # (a hit would hide a regression) nor leave theirs behind.
    monkeypatch.setenv("SIGAH_CACHE", str(tmp_path_factory.mktemp("sigah-cache")))
    monkeypatch.delenv("SIGAH_CACHE_DIR", raising=False)
    monkeypatch.delenv("SIGAH_STORE_LOG", raising=False)


#: the smallest chapter the book pipeline accepts: CI-size front matter, a parameters cell, one output
TINY_CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
sigah:
  ci:
    n: 3
---
# A chapter

```{code-cell} ipython3
:tags: [parameters]
n = 10  # how many squares
fail = False  # raise on purpose
```

```{code-cell} ipython3
if fail:
    raise RuntimeError("asked to fail")
print("sum of squares:", sum(i * i for i in range(n)))
```
"""


@pytest.fixture()
def tiny_chapter() -> str:
    """:data:`TINY_CHAPTER`, the MyST source of a one-chapter book's chapter."""
    return TINY_CHAPTER
