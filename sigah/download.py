"""Fetch the TEXMEX descriptor archives (SIFT1M, GIST1M), resumably, and check what arrives.

TEXMEX (Jégou, Douze & Schmid) publishes each dataset as one ``.tar.gz`` at
``ftp://ftp.irisa.fr/local/texmex/corpus/`` (listed on ``http://corpus-texmex.irisa.fr/``). The archive
holds ``<name>_base.fvecs`` (the database), ``<name>_learn.fvecs``, ``<name>_query.fvecs`` and
``<name>_groundtruth.ivecs`` (the 100 exact neighbours of each query) in a folder of its own.

:func:`download_dataset`:

1. downloads into ``<archive>.part`` beside the destination, holding an exclusive lock on it (so that
   two downloads cannot write into one file), continues a partial file where it stopped (HTTP
   ``Range``, FTP ``REST``, or a seek for ``file://``), and renames it only once the bytes received
   equal the length the server announced (a connection closed half-way leaves a ``.part`` to
   continue, never a "complete" archive); a ``.part`` already as long as the archive is complete,
   one longer than it is refused;
2. checks the archive's SHA-256 before extracting anything: against the digest pinned in
   ``data/texmex_sha256.json`` and against the one recorded beside it earlier
   (``<archive>.sha256``, ``sha256sum`` format, never overwritten). TEXMEX publishes no checksums
   and serves the archives over plain FTP, which nothing authenticates: a digest pinned from a copy
   one trusts is what makes such a download safe. An archive whose digest is pinned nowhere is
   not extracted unless ``trust_unpinned`` is set, which records its digest for later runs;
3. extracts into a temporary folder beside the destination only the expected members, each of
   the size its published shape gives (a damaged or swapped archive cannot fill the disk), checks
   every file (its size is exactly ``n`` records of ``4 + 4 d`` bytes, every record header declares
   ``d``, read through :func:`sigah.readers.read_fvecs`), and only then moves them into place.

Without a network it fails in one line naming the file to fetch elsewhere and where to place it.
"""

from __future__ import annotations

import contextlib
import ftplib
import hashlib
import http.client
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

try:  # POSIX: an advisory lock keeps two downloads out of one .part
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; downloads there are not locked
    fcntl = None

__all__ = [
    "ArchiveSpec",
    "DownloadError",
    "DownloadResult",
    "PINS_FILE",
    "TEXMEX",
    "check_vecs_file",
    "download_dataset",
    "fetch",
    "pinned_sha256",
]

PathLike = str | os.PathLike
_CHUNK = 1 << 20
#: the file of ``data/`` that pins the SHA-256 of each TEXMEX archive (``null``: not pinned)
PINS_FILE = "texmex_sha256.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DownloadError(RuntimeError):
    """The archive could not be fetched or failed a check; the message says what to do."""


@dataclass(frozen=True)
class ArchiveSpec:
    """What to fetch and what it must contain.

    Attributes
    ----------
    name : str
        Dataset name (``"sift1m"``).
    url : str
        ``ftp://``, ``http(s)://`` or ``file://`` address of the archive.
    files : dict
        ``{path inside the archive: (n_records, dim)}``; ``.fvecs`` and ``.ivecs`` files.
    sha256 : str, optional
        The archive's pinned SHA-256 (lower-case hex); ``None``: look it up in :data:`PINS_FILE`.
    """

    name: str
    url: str
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    sha256: str | None = None

    @property
    def archive(self) -> str:
        return Path(urllib.parse.urlparse(self.url).path).name


_TEXMEX_FTP = "ftp://ftp.irisa.fr/local/texmex/corpus"

#: the TEXMEX archives, with the shapes TEXMEX publishes for their files
TEXMEX: dict[str, ArchiveSpec] = {
    "sift1m": ArchiveSpec("sift1m", f"{_TEXMEX_FTP}/sift.tar.gz", {
        "sift/sift_base.fvecs": (1_000_000, 128),
        "sift/sift_learn.fvecs": (100_000, 128),
        "sift/sift_query.fvecs": (10_000, 128),
        "sift/sift_groundtruth.ivecs": (10_000, 100),
    }),
    "gist1m": ArchiveSpec("gist1m", f"{_TEXMEX_FTP}/gist.tar.gz", {
        "gist/gist_base.fvecs": (1_000_000, 960),
        "gist/gist_learn.fvecs": (500_000, 960),
        "gist/gist_query.fvecs": (1_000, 960),
        "gist/gist_groundtruth.ivecs": (1_000, 100),
    }),
}


@dataclass(frozen=True)
class DownloadResult:
    """What :func:`download_dataset` did.

    Attributes
    ----------
    archive : pathlib.Path
        The fetched archive (``None`` if the files were already there and checked).
    sha256 : str or None
        Its SHA-256, also in ``<archive>.sha256``.
    resumed_from : int
        Bytes already present in the partial file when the download started (0: a fresh download).
    files : dict
        ``{path: (n_records, dim)}`` of the checked files.
    pinned : bool
        The digest matched a pinned one (``False``: it was trusted on the caller's word, or matched
        only the digest recorded beside the archive by an earlier run).
    """

    archive: Path | None
    sha256: str | None
    resumed_from: int
    files: dict[Path, tuple[int, int]]
    pinned: bool = False


def pinned_sha256(archive: str, *, folder: PathLike | None = None) -> str | None:
    """The SHA-256 pinned for ``archive`` (``"sift.tar.gz"``) in :data:`PINS_FILE`, or ``None``.

    Parameters
    ----------
    archive : str
        The archive's file name.
    folder : path-like, optional
        The data folder (default :func:`sigah.data.data_dir`).

    Raises
    ------
    DownloadError
        The pins file exists but is not a JSON object of names to 64-digit hex digests (or null).
    """
    from sigah.data import data_dir

    path = Path(folder if folder is not None else data_dir()) / PINS_FILE
    if not path.is_file():
        return None
    try:
        pins = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DownloadError(f"{path}: not a readable JSON file of pinned digests ({exc})") from None
    value = pins.get(archive) if isinstance(pins, dict) else None
    if value is not None and (not isinstance(value, str) or not _SHA256.fullmatch(value)):
        raise DownloadError(f"{path}: the digest pinned for {archive} is {value!r}, expected 64 lower-case hex digits")
    return value


def _member_bytes(shape: tuple[int, int]) -> int:
    n, dim = shape
    return n * (4 + 4 * dim)


def check_vecs_file(path: PathLike, shape: tuple[int, int], *, name: str | None = None) -> tuple[int, int]:
    """Check a ``.fvecs``/``.ivecs`` file's size and record structure against ``shape = (n, d)``.

    Parameters
    ----------
    path : path-like
        The file.
    shape : tuple of int
        The expected ``(n_records, dim)``.
    name : str, optional
        How messages name the file (default: its path).

    Raises
    ------
    DownloadError
        Missing file, wrong size, a record with another dimension, or another shape.
    """
    from sigah.readers import read_fvecs, read_ivecs

    path = Path(path)
    shown = name or str(path)
    n, dim = shape
    if not path.is_file():
        raise DownloadError(f"expected file {shown} is missing after extraction")
    expected = _member_bytes(shape)
    if path.stat().st_size != expected:
        raise DownloadError(f"{shown}: {path.stat().st_size:,} bytes, expected {expected:,} "
                            f"({n:,} records of dimension {dim}); the archive is damaged or a different release")
    try:
        array = (read_ivecs if path.suffix == ".ivecs" else read_fvecs)(path)
    except ValueError as exc:  # a record header that disagrees
        raise DownloadError(str(exc).replace(str(path), shown)) from None
    if array.shape != (n, dim):
        raise DownloadError(f"{shown}: shape {array.shape}, expected {(n, dim)}")
    return array.shape


# -------------------------------------------------------------------------------------- fetching


@contextlib.contextmanager
def _locked(path: Path, mode: str, busy: str) -> Iterator[BinaryIO]:
    """``path`` opened in ``mode`` under an exclusive lock; ``busy`` is the error if another holds it."""
    handle = open(path, mode)  # noqa: SIM115 - closed below, after the lock is released
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DownloadError(busy) from None
        yield handle
    finally:
        handle.close()  # releases the lock


def _same_file(path: Path, handle: BinaryIO) -> bool:
    """Whether ``path`` still names the open file (another process may have renamed it meanwhile)."""
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False


def fetch(url: str, target: PathLike, *, progress: bool = True) -> int:
    """Download ``url`` to ``target``, continuing ``target + ".part"`` if it exists.

    The ``.part`` is locked while it is written. It becomes ``target`` only when it holds exactly
    the number of bytes the server announced (``Content-Length``/``Content-Range``, the FTP ``SIZE``,
    or the file's size); a ``.part`` already that long is complete without a request for more. A
    ``target`` that another process completed while this one waited is kept as it is.

    Returns
    -------
    int
        Bytes that were already in the partial file (0 for a fresh download).

    Raises
    ------
    DownloadError
        The address cannot be reached (the message says where to place the file instead), the
        transfer stopped before the announced length (the ``.part`` is kept, to continue), the
        ``.part`` is longer than the archive, or another process is downloading into it.
    """
    target = Path(target)
    part = target.with_name(target.name + ".part")
    scheme = urllib.parse.urlparse(url).scheme
    fetchers = {"file": _fetch_file, "ftp": _fetch_ftp, "http": _fetch_http, "https": _fetch_http}
    if scheme not in fetchers:
        raise DownloadError(f"unsupported address {url!r}: expected ftp://, http(s):// or file://")
    busy = (f"another process is downloading {target} (it holds the lock on {part}); "
            "run the command again when it has finished")
    with _locked(part, "ab", busy) as out:
        start = os.fstat(out.fileno()).st_size
        if not _same_file(part, out) or (target.exists() and not start):
            # another process finished the download while this one waited to open the .part
            if _same_file(part, out):
                part.unlink()
            return 0
        try:
            try:
                start, total = fetchers[scheme](url, out, part, start, progress)
            finally:
                out.flush()
                if not os.fstat(out.fileno()).st_size:
                    part.unlink()  # nothing received: no empty .part left behind
        except (OSError, urllib.error.URLError, ftplib.Error, EOFError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            size = os.fstat(out.fileno()).st_size
            kept = f" ({size:,} bytes kept in {part}, continued by the next run)" if size else ""
            raise DownloadError(f"cannot fetch {url} ({reason}){kept}; fetch it elsewhere and place it at {target}, "
                                "then run the command again") from None
        out.flush()
        os.fsync(out.fileno())
        received = os.fstat(out.fileno()).st_size
        if not received:
            raise DownloadError(f"{url}: the server sent no bytes; fetch it elsewhere and place it at {target}")
        if total is not None and received < total:
            raise DownloadError(f"{url}: the transfer stopped after {received:,} of the {total:,} bytes announced; "
                                f"{part} keeps them and the next run continues from there")
        if total is not None and received > total:
            raise _too_long(part, received, total, url)
        part.replace(target)  # still under the lock: no other process appends to it meanwhile
    return start


def _too_long(part: Path, start: int, total: int, url: str) -> DownloadError:
    return DownloadError(f"{part} holds {start:,} bytes, more than the {total:,} of {url}: it is not a partial copy "
                         "of this archive; delete it and run the command again")


def _bar(total: int | None, start: int, progress: bool, name: str):
    return tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=name, disable=not progress)


def _copy(read, out: BinaryIO, start: int, total: int | None, progress: bool, name: str) -> None:
    """Copy chunks from ``read(n)`` into ``out``, never past ``total`` bytes in all."""
    written = start
    with _bar(total, start, progress, name) as bar:
        while total is None or written < total:
            chunk = read(_CHUNK if total is None else min(_CHUNK, total - written))
            if not chunk:
                break
            out.write(chunk)
            out.flush()  # what arrived is in the .part, for the next run to continue, even after a kill
            written += len(chunk)
            bar.update(len(chunk))


def _fetch_file(url: str, out: BinaryIO, part: Path, start: int, progress: bool) -> tuple[int, int]:
    source = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    with open(source, "rb") as src:
        total = os.fstat(src.fileno()).st_size
        if start > total:
            raise _too_long(part, start, total, url)
        src.seek(start)
        _copy(src.read, out, start, total, progress, source.name)
    return start, total


def _fetch_ftp(url: str, out: BinaryIO, part: Path, start: int, progress: bool) -> tuple[int, int | None]:
    parts = urllib.parse.urlparse(url)
    with ftplib.FTP(parts.hostname, timeout=60) as ftp:
        ftp.login()
        ftp.voidcmd("TYPE I")
        try:
            total = ftp.size(parts.path)
        except ftplib.error_perm:  # a server without SIZE: only the pinned digest can tell
            total = None
        if total is not None and start > total:
            raise _too_long(part, start, total, url)
        if total is not None and start == total:
            return start, total
        with _bar(total, start, progress, Path(parts.path).name) as bar:
            def write(chunk: bytes) -> None:
                out.write(chunk)
                bar.update(len(chunk))

            ftp.retrbinary(f"RETR {parts.path}", write, blocksize=_CHUNK, rest=start or None)
    return start, total


_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)")


def _range_total(header: str | None) -> tuple[int | None, int | None]:
    """(first byte, total length) of a ``Content-Range`` header; ``None`` for what it does not give."""
    match = _CONTENT_RANGE.fullmatch((header or "").strip())
    if not match:
        return None, None
    first, total = match.groups()
    return (int(first) if first else None), (int(total) if total != "*" else None)


def _fetch_http(url: str, out: BinaryIO, part: Path, start: int, progress: bool) -> tuple[int, int | None]:
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not start:
            raise
        # "range not satisfiable": the .part already holds the whole archive, or more than it
        _, total = _range_total(exc.headers.get("Content-Range"))
        exc.close()
        if total is None:
            raise DownloadError(f"{url} refused to continue {part} at byte {start:,} without saying its length; "
                                "delete the .part and run the command again") from None
        if start > total:
            raise _too_long(part, start, total, url) from None
        return start, total
    with response:
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        if start and response.status == 206:
            first, total = _range_total(response.headers.get("Content-Range"))
            if first is not None and first != start:
                raise DownloadError(f"{url} answered a request from byte {start:,} with bytes from {first:,}")
            if total is None and length is not None:
                total = start + length
        else:  # a fresh download, or a server that ignored the range: start again
            out.seek(0)
            out.truncate()
            start, total = 0, length
        if total is not None and start > total:
            raise _too_long(part, start, total, url)
        _copy(response.read1, out, start, total, progress, part.name)  # read1: what has arrived, not a full chunk
    return start, total


# ------------------------------------------------------------------------------ digest, extraction


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _recorded_sha256(record: Path) -> str | None:
    if not record.exists():
        return None
    text = record.read_text(encoding="utf-8", errors="replace").split()
    if not text or not _SHA256.fullmatch(text[0]):
        raise DownloadError(f"{record}: expected '<sha256>  <archive>' (sha256sum format); "
                            "it is damaged: restore it or delete it")
    return text[0]


def _check_digest(archive: Path, spec: ArchiveSpec, trust_unpinned: bool) -> tuple[str, bool]:
    """The archive's SHA-256, checked against the pinned and the recorded digests; whether it was pinned."""
    from sigah.data import data_dir

    record = archive.with_name(f"{archive.name}.sha256")
    pinned = spec.sha256 or pinned_sha256(archive.name)
    recorded = _recorded_sha256(record)
    actual = _sha256(archive)
    for expected, where in ((pinned, f"pinned in {data_dir() / PINS_FILE}"), (recorded, f"recorded in {record}")):
        if expected is not None and actual != expected:
            raise DownloadError(f"{archive}: sha256 {actual}, expected {expected} ({where}); it is damaged or not "
                                "the published archive: nothing was extracted; delete it and download it again")
    if pinned is None and recorded is None and not trust_unpinned:
        raise DownloadError(
            f"{archive}: sha256 {actual} is pinned nowhere ({data_dir() / PINS_FILE} has no digest for "
            f"{archive.name}) and the address is not authenticated, so nothing was extracted; compare it with a "
            "copy you trust, then pin it there, or run again with --trust-unpinned to record it in "
            f"{record.name} and extract")
    if recorded is None:
        record.write_text(f"{actual}  {archive.name}\n", encoding="utf-8")
    return actual, pinned is not None


def _extract_members(tar: tarfile.TarFile, spec: ArchiveSpec, archive: Path, staging: Path) -> None:
    """Write the dataset's members, and nothing else, into ``staging``.

    Only regular files whose names are the archive's known relative paths are read, each checked
    against its published size before a byte is written; directories, links, devices and any other
    name are skipped. Every file written therefore lands at a fixed path inside ``staging``, whatever
    the archive holds, on any Python 3.11 (no need for the extraction filters of 3.11.4).
    """
    expected = {member: _member_bytes(shape) for member, shape in spec.files.items()}
    for member in tar:
        name = member.name.removeprefix("./")
        if name not in expected or not member.isfile():
            continue  # not part of the dataset: never written
        if member.size != expected[name]:
            n, dim = spec.files[name]
            raise DownloadError(f"{archive}:{name}: {member.size:,} bytes, expected {expected[name]:,} ({n:,} records "
                                f"of dimension {dim}); the archive is damaged or a different release")
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with tar.extractfile(member) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)


def _extract(archive: Path, spec: ArchiveSpec, dest: Path) -> dict[Path, tuple[int, int]]:
    """Extract and check the expected members in a temporary folder of ``dest``, then move them in."""
    for stale in dest.glob(f".{archive.name}.extract-*"):  # left by a killed run (we hold the archive's lock)
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{archive.name}.extract-", dir=dest))
    try:
        try:
            with tarfile.open(archive, "r:*") as tar:
                _extract_members(tar, spec, archive, staging)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            reason = "; ".join(line.strip(" -") for line in str(exc).splitlines() if line.strip())  # one line
            raise DownloadError(f"{archive}: cannot extract ({reason}); nothing was extracted; delete it and "
                                "download it again") from None
        for member, shape in spec.files.items():
            check_vecs_file(staging / member, shape, name=f"{archive}:{member}")
        for member in spec.files:
            (dest / member).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / member, dest / member)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {dest / member: shape for member, shape in spec.files.items()}


def _all_present(spec: ArchiveSpec, dest: Path) -> bool:
    try:
        for member, shape in spec.files.items():
            check_vecs_file(dest / member, shape)
    except DownloadError:
        return False
    return True


def download_dataset(
    name: str,
    dest: PathLike,
    *,
    url: str | None = None,
    spec: ArchiveSpec | None = None,
    keep_archive: bool = True,
    progress: bool = True,
    trust_unpinned: bool = False,
) -> DownloadResult:
    """Fetch a TEXMEX dataset into ``dest``, check its digest, extract it and check its files.

    Parameters
    ----------
    name : str
        ``"sift1m"`` or ``"gist1m"`` (case-insensitive); ignored when ``spec`` is given.
    dest : path-like
        Folder to download and extract into (created if needed).
    url : str, optional
        Another address of the same archive (a mirror, or a ``file://`` copy); the pinned digest
        still applies.
    spec : ArchiveSpec, optional
        A whole specification instead of :data:`TEXMEX` (tests use small archives).
    keep_archive : bool
        Keep the ``.tar.gz`` after extraction (its SHA-256 file stays either way).
    progress : bool
        Show a progress bar.
    trust_unpinned : bool
        Extract an archive whose digest is neither pinned nor recorded beside it, and record it
        in ``<archive>.sha256`` (later runs then hold the archive to it).

    Returns
    -------
    DownloadResult

    Raises
    ------
    ValueError
        Unknown dataset name.
    DownloadError
        Unreachable address, an incomplete transfer, a digest that differs from the pinned or
        recorded one or is pinned nowhere, or a file that fails its checks. Nothing is extracted
        into ``dest`` unless every expected file passed.
    """
    if spec is None:
        key = str(name).lower()
        if key not in TEXMEX:
            raise ValueError(f"unknown dataset {name!r}, expected one of {sorted(TEXMEX)}")
        spec = TEXMEX[key]
    if url is not None:
        spec = replace(spec, url=url)
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise DownloadError(f"--dest {dest} is a file, expected a folder to download and extract into")
    dest.mkdir(parents=True, exist_ok=True)
    if _all_present(spec, dest):
        return DownloadResult(None, None, 0, {dest / m: s for m, s in spec.files.items()})
    archive = dest / spec.archive
    resumed_from = 0 if archive.exists() else fetch(spec.url, archive, progress=progress)
    busy = f"another process is extracting {archive}; run the command again when it has finished"
    with _locked(archive, "rb", busy):
        sha256, pinned = _check_digest(archive, spec, trust_unpinned)
        files = _extract(archive, spec, dest)
    if not keep_archive:
        archive.unlink()
    return DownloadResult(archive, sha256, resumed_from, files, pinned)
