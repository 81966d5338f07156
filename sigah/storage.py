"""Atomic writes: a crash half-way never leaves a truncated cache, model or output file.

A file is written to a temporary file beside it, flushed to disk (``fsync``), renamed onto its name
and the folder's entry flushed too, so that after a crash or a power cut the name holds either the
old content or the new, never a mixture. The temporary file is created with mode ``0o666``, which
the process' umask narrows as it does for any other file (a private ``0600``, as
:func:`tempfile.mkstemp` gives, would make shared caches unreadable to the rest of a group).

Temporary names carry the writer's process id and host (:func:`temporary_name`), so that the
leftovers of a writer killed with ``kill -9`` can be told from a write in progress and removed
(:func:`remove_stale_temporaries`); each write of a file removes its own stale leftovers first.
Errors name the file being written, never its temporary name (:func:`error_about`).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

__all__ = [
    "STALE_SECONDS", "atomic_open", "atomic_save_npz", "atomic_save_npy", "atomic_write_text", "error_about",
    "fsync_folder", "is_stale_temporary", "remove_stale_temporaries", "temporary_name",
]

#: a temporary file this old is a leftover whoever wrote it (a write takes seconds, not hours)
STALE_SECONDS = 3600.0
# ".<name>.<pid>@<host>.<random>.tmp"
_TEMPORARY = re.compile(r"^\..*\.(?P<pid>\d+)@(?P<host>[0-9a-f]{8})\.[0-9a-f]+\.tmp$")
_ANY_TEMPORARY = re.compile(r"^\..*\.tmp$")


@functools.cache
def _host_tag() -> str:
    """Eight hex digits naming this host: a process id means something only on its own host."""
    return hashlib.blake2b(socket.gethostname().encode(), digest_size=4).hexdigest()


def temporary_name(path: str | os.PathLike) -> Path:
    """A fresh temporary name beside ``path``: ``.<name>.<pid>@<host>.<random>.tmp``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}@{_host_tag()}.{secrets.token_hex(4)}.tmp")


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill would terminate the process there: leftovers go by their age only
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # a process of another user, or not a pid we can ask about: assume it lives
    return True


def is_stale_temporary(path: str | os.PathLike, *, now: float | None = None,
                       max_age: float = STALE_SECONDS) -> bool:
    """Whether ``path`` is a temporary file no writer will finish.

    True for a name of :func:`temporary_name` whose writer ran on this host and has exited, and for
    any hidden ``.tmp`` file older than ``max_age`` seconds (a writer on another host, or a name
    from before process ids were recorded).
    """
    path = Path(path)
    if not _ANY_TEMPORARY.match(path.name):
        return False
    match = _TEMPORARY.match(path.name)
    if match and match["host"] == _host_tag() and not _pid_alive(int(match["pid"])):
        return True
    try:
        age = (time.time() if now is None else now) - path.lstat().st_mtime
    except OSError:
        return False
    return age > max_age


def remove_stale_temporaries(folder: str | os.PathLike, *, max_age: float = STALE_SECONDS) -> list[Path]:
    """Delete the stale temporary files (:func:`is_stale_temporary`) under ``folder``, recursively.

    Returns
    -------
    list of pathlib.Path
        The files removed (a file another process removed first is skipped silently).
    """
    removed = []
    now = time.time()
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            if is_stale_temporary(path, now=now, max_age=max_age):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
    return removed


def _remove_own_leftovers(path: Path) -> None:
    """Remove the stale temporary files of earlier writes of ``path`` (a writer killed half-way)."""
    with contextlib.suppress(OSError):
        now = time.time()
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            if is_stale_temporary(leftover, now=now):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()


def fsync_folder(folder: str | os.PathLike) -> None:
    """Flush a folder's entries to disk (a rename is durable only then); a no-op where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (and Windows) cannot fsync a folder
    finally:
        os.close(fd)


def error_about(exc: OSError, path: str | os.PathLike) -> OSError:
    """The same error (same class and errno) about ``path``: to report a temporary file's failure."""
    if exc.errno:
        return type(exc)(exc.errno, exc.strerror or str(exc), str(path))
    return type(exc)(f"{path}: {exc}")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds.

    The file gets the mode the umask gives new files; its data and the folder's entry are flushed
    to disk. An :class:`OSError` names ``path``, not the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)  # its error names the folder that could not be made
    _remove_own_leftovers(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = temporary_name(path)
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask narrows 0o666, as for any new file
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise error_about(exc, path) from None
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp)):
            raise error_about(exc, path) from None
        raise
    fsync_folder(path.parent)


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
