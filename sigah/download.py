"""Fetch the TEXMEX descriptor archives (SIFT1M, GIST1M), resumably, and check what arrives.

TEXMEX (Jégou, Douze & Schmid) publishes each dataset as one ``.tar.gz`` at
``ftp://ftp.irisa.fr/local/texmex/corpus/`` (listed on ``http://corpus-texmex.irisa.fr/``). The archive
holds ``<name>_base.fvecs`` (the database), ``<name>_learn.fvecs``, ``<name>_query.fvecs`` and
``<name>_groundtruth.ivecs`` (the 100 exact neighbours of each query) in a folder of its own.

:func:`download_dataset`:

1. downloads into ``<archive>.part`` beside the destination and continues a partial file where it
   stopped (HTTP ``Range``, FTP ``REST``, or a seek for ``file://``), then renames it;
2. writes the SHA-256 of the archive beside it (``<archive>.sha256``, ``sha256sum`` format): TEXMEX
   publishes no checksums, so this records what was fetched, for later comparison;
3. extracts it and checks every expected file: its size is exactly ``n`` records of ``4 + 4 d`` bytes,
   every record header declares ``d`` (read through :func:`sigah.readers.read_fvecs`), and the shape is
   the published one.

Without a network it fails in one line naming the file to fetch elsewhere and where to place it.
"""

from __future__ import annotations

import ftplib
import hashlib
import os
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

__all__ = ["ArchiveSpec", "DownloadError", "DownloadResult", "TEXMEX", "download_dataset", "fetch", "check_vecs_file"]

PathLike = str | os.PathLike
_CHUNK = 1 << 20


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
    """

    name: str
    url: str
    files: dict[str, tuple[int, int]] = field(default_factory=dict)

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
        Its SHA-256, also written to ``<archive>.sha256``.
    resumed_from : int
        Bytes already present in the partial file when the download started (0: a fresh download).
    files : dict
        ``{path: (n_records, dim)}`` of the checked files.
    """

    archive: Path | None
    sha256: str | None
    resumed_from: int
    files: dict[Path, tuple[int, int]]


def check_vecs_file(path: PathLike, shape: tuple[int, int]) -> tuple[int, int]:
    """Check a ``.fvecs``/``.ivecs`` file's size and record structure against ``shape = (n, d)``.

    Raises
    ------
    DownloadError
        Missing file, wrong size, a record with another dimension, or another shape.
    """
    from sigah.readers import read_fvecs, read_ivecs

    path = Path(path)
    n, dim = shape
    if not path.is_file():
        raise DownloadError(f"expected file {path} is missing after extraction")
    expected = n * (4 + 4 * dim)
    if path.stat().st_size != expected:
        raise DownloadError(f"{path}: {path.stat().st_size:,} bytes, expected {expected:,} "
                            f"({n:,} records of dimension {dim}); the archive is damaged or a different release")
    try:
        array = (read_ivecs if path.suffix == ".ivecs" else read_fvecs)(path)
    except ValueError as exc:  # a record header that disagrees
        raise DownloadError(str(exc)) from None
    if array.shape != (n, dim):
        raise DownloadError(f"{path}: shape {array.shape}, expected {(n, dim)}")
    return array.shape


def fetch(url: str, target: PathLike, *, progress: bool = True) -> int:
    """Download ``url`` to ``target``, continuing ``target + ".part"`` if it exists.

    Returns
    -------
    int
        Bytes that were already in the partial file (0 for a fresh download).

    Raises
    ------
    DownloadError
        The address cannot be reached (the message says where to place the file instead).
    """
    target = Path(target)
    part = target.with_name(target.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    scheme = urllib.parse.urlparse(url).scheme
    try:
        with open(part, "ab") as out:
            if scheme == "file":
                _fetch_file(url, out, start, progress)
            elif scheme == "ftp":
                _fetch_ftp(url, out, start, progress)
            elif scheme in ("http", "https"):
                start = _fetch_http(url, out, part, start, progress)
            else:
                raise DownloadError(f"unsupported address {url!r}: expected ftp://, http(s):// or file://")
    except (OSError, urllib.error.URLError, ftplib.Error, EOFError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DownloadError(f"cannot fetch {url} ({reason}); fetch it elsewhere and place it at {target}, "
                            "then run the command again") from None
    part.replace(target)
    return start


def _bar(total: int | None, start: int, progress: bool, name: str):
    return tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=name, disable=not progress)


def _fetch_file(url: str, out, start: int, progress: bool) -> None:
    source = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    with open(source, "rb") as src, _bar(source.stat().st_size, start, progress, source.name) as bar:
        src.seek(start)
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            out.write(chunk)
            bar.update(len(chunk))


def _fetch_ftp(url: str, out, start: int, progress: bool) -> None:
    parts = urllib.parse.urlparse(url)
    with ftplib.FTP(parts.hostname, timeout=60) as ftp:
        ftp.login()
        ftp.voidcmd("TYPE I")
        size = ftp.size(parts.path)
        with _bar(size, start, progress, Path(parts.path).name) as bar:
            def write(chunk: bytes) -> None:
                out.write(chunk)
                bar.update(len(chunk))

            ftp.retrbinary(f"RETR {parts.path}", write, blocksize=_CHUNK, rest=start or None)


def _fetch_http(url: str, out, part: Path, start: int, progress: bool) -> int:
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        if start and response.status != 206:  # the server ignored the range: start again
            out.seek(0)
            out.truncate()
            start = 0
        length = response.headers.get("Content-Length")
        with _bar(start + int(length) if length else None, start, progress, part.name) as bar:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                bar.update(len(chunk))
    return start


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
) -> DownloadResult:
    """Fetch a TEXMEX dataset into ``dest``, check it and record the archive's SHA-256.

    Parameters
    ----------
    name : str
        ``"sift1m"`` or ``"gist1m"`` (case-insensitive); ignored when ``spec`` is given.
    dest : path-like
        Folder to download and extract into (created if needed).
    url : str, optional
        Another address of the same archive (a mirror, or a ``file://`` copy).
    spec : ArchiveSpec, optional
        A whole specification instead of :data:`TEXMEX` (tests use small archives).
    keep_archive : bool
        Keep the ``.tar.gz`` after extraction (its SHA-256 file stays either way).
    progress : bool
        Show a progress bar.

    Returns
    -------
    DownloadResult

    Raises
    ------
    ValueError
        Unknown dataset name.
    DownloadError
        Unreachable address, or a file that fails its checks.
    """
    if spec is None:
        key = str(name).lower()
        if key not in TEXMEX:
            raise ValueError(f"unknown dataset {name!r}, expected one of {sorted(TEXMEX)}")
        spec = TEXMEX[key]
    if url is not None:
        spec = ArchiveSpec(spec.name, url, spec.files)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if _all_present(spec, dest):
        return DownloadResult(None, None, 0, {dest / m: s for m, s in spec.files.items()})
    archive = dest / spec.archive
    resumed_from = 0 if archive.exists() else fetch(spec.url, archive, progress=progress)
    sha256 = _sha256(archive)
    (dest / f"{archive.name}.sha256").write_text(f"{sha256}  {archive.name}\n", encoding="utf-8")
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")  # no absolute paths, links out of dest or devices
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DownloadError(f"{archive}: cannot extract ({exc}); delete it and download again") from None
    files = {dest / m: check_vecs_file(dest / m, s) for m, s in spec.files.items()}
    if not keep_archive:
        archive.unlink()
    return DownloadResult(archive, sha256, resumed_from, files)
