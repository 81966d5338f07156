"""Atomic writes: a crash half-way never leaves a truncated cache, model or output file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

__all__ = ["atomic_open", "atomic_save_npz", "atomic_save_npy", "atomic_write_text"]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` as an (uncompressed) ``.npz``, atomically."""
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write one array to ``path`` as ``.npy``, atomically."""
    with atomic_open(path, "wb") as fh:
        np.save(fh, np.asarray(array))


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)
