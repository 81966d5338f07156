"""Downloads under real faults: a loopback HTTP server that closes half-way, serves another archive,
or is asked for bytes past the end; a complete or over-long ``.part``; two downloads at once; a
corrupted or oversized archive. Each ends in one clear error or in the exact archive, never in a
"complete" archive that is not, and nothing is extracted from an archive that failed a check."""

from __future__ import annotations

import gzip
import hashlib
import io
import subprocess
import sys
import tarfile
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from loopback import ROOT, ArchiveServer, ServedFile, one_error_line, run_sigah

from sigah.download import ArchiveSpec, DownloadError, download_dataset, fetch
from sigah.readers import read_fvecs

SHAPES = {"toy/toy_base.fvecs": (40, 6), "toy/toy_query.fvecs": (4, 6), "toy/toy_groundtruth.ivecs": (4, 3)}


def _toy_archive(seed: int, *, base_bytes: bytes | None = None) -> bytes:
    """A .tar.gz of the toy files (another seed: another archive of the same shapes)."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member, (n, d) in SHAPES.items():
            raw = io.BytesIO()
            if member.endswith(".ivecs"):
                values = rng.integers(0, 40, size=(n, d)).astype("<i4")
            else:
                values = rng.standard_normal((n, d)).astype("<f4")
            records = np.concatenate([np.full((n, 1), d, dtype="<i4").view(values.dtype), values], axis=1)
            raw.write(records.tobytes())
            data = base_bytes if (base_bytes is not None and member.endswith("base.fvecs")) else raw.getvalue()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def genuine() -> bytes:
    return _toy_archive(0)


def _spec(url: str, pinned: str | None) -> ArchiveSpec:
    return ArchiveSpec("toy", url, dict(SHAPES), sha256=pinned)


def _left_in(dest: Path) -> set[str]:
    return {str(p.relative_to(dest)) for p in dest.rglob("*")}


# ------------------------------------------------------------------------------ length and resume


def test_a_connection_closed_half_way_is_not_a_complete_archive(tmp_path, genuine):
    target = tmp_path / "toy.tar.gz"
    half = len(genuine) // 2
    with ArchiveServer(ServedFile(genuine, truncate_at=half)) as server:
        with pytest.raises(DownloadError, match=rf"stopped after {half:,} of the {len(genuine):,} bytes"):
            fetch(server.url, target, progress=False)
    assert not target.exists()
    assert (tmp_path / "toy.tar.gz.part").read_bytes() == genuine[:half]
    # the next run continues from the byte where the first stopped, and the archive is exact
    with ArchiveServer(ServedFile(genuine)) as server:
        assert fetch(server.url, target, progress=False) == half
        assert server.served.ranges == [f"bytes={half}-"]
    assert target.read_bytes() == genuine
    assert not (tmp_path / "toy.tar.gz.part").exists()


def test_a_complete_part_is_done_without_a_416_loop(tmp_path, genuine):
    target = tmp_path / "toy.tar.gz"
    (tmp_path / "toy.tar.gz.part").write_bytes(genuine)
    with ArchiveServer(ServedFile(genuine)) as server:
        assert fetch(server.url, target, progress=False) == len(genuine)
        assert len(server.served.ranges) == 1  # one request, answered 416 with the length: done
    assert target.read_bytes() == genuine


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_a_part_longer_than_the_archive_is_refused(tmp_path, genuine, scheme):
    target = tmp_path / "dest" / "toy.tar.gz"
    target.parent.mkdir()
    part = target.with_name("toy.tar.gz.part")
    part.write_bytes(genuine + b"junk tail")
    source = tmp_path / "toy.tar.gz"
    source.write_bytes(genuine)
    with ArchiveServer(ServedFile(genuine)) as server:
        url = server.url if scheme == "http" else source.as_uri()
        with pytest.raises(DownloadError, match=rf"holds {len(genuine) + 9:,} bytes, more than the {len(genuine):,}"):
            fetch(url, target, progress=False)
    assert not target.exists()
    assert part.read_bytes() == genuine + b"junk tail"  # named in the message, left for the user to delete


def test_two_concurrent_downloads_cannot_mix(tmp_path, genuine):
    target = tmp_path / "toy.tar.gz"
    part = tmp_path / "toy.tar.gz.part"
    served = ServedFile(genuine, chunk=max(1, len(genuine) // 20), delay=0.1)
    with ArchiveServer(served) as server:
        code = (f"from sigah.download import fetch; fetch({server.url!r}, {str(target)!r}, progress=False)")
        first = subprocess.Popen([sys.executable, "-c", code], env={"PYTHONPATH": str(ROOT)}, cwd=str(ROOT),
                                 stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while not (part.exists() and part.stat().st_size) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert part.exists() and part.stat().st_size < len(genuine), first.stderr.read1().decode()
            with pytest.raises(DownloadError, match="another process is downloading .*toy.tar.gz"):
                fetch(server.url, target, progress=False)
        finally:
            _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err.decode()[-2000:]
    assert target.read_bytes() == genuine
    assert not part.exists()


# ------------------------------------------------------------------------------------- digests


def test_a_swapped_archive_fails_the_pinned_digest_and_nothing_is_extracted(tmp_path, genuine):
    swapped = _toy_archive(1)  # the same files and shapes, other values
    dest = tmp_path / "dest"
    with ArchiveServer(ServedFile(swapped)) as server:
        with pytest.raises(DownloadError, match=rf"sha256 {_sha(swapped)}, expected {_sha(genuine)} \(pinned"):
            download_dataset("toy", dest, spec=_spec(server.url, _sha(genuine)), progress=False)
    assert _left_in(dest) == {"toy.tar.gz"}  # the archive named in the message; no files, no .sha256


def test_a_recorded_digest_is_never_overwritten(tmp_path, genuine):
    swapped = _toy_archive(1)
    dest = tmp_path / "dest"
    dest.mkdir()
    record = dest / "toy.tar.gz.sha256"
    record.write_text(f"{_sha(genuine)}  toy.tar.gz\n")
    with ArchiveServer(ServedFile(swapped)) as server:
        with pytest.raises(DownloadError, match=rf"expected {_sha(genuine)} \(recorded in .*toy.tar.gz.sha256\)"):
            download_dataset("toy", dest, spec=_spec(server.url, None), progress=False, trust_unpinned=True)
    assert record.read_text() == f"{_sha(genuine)}  toy.tar.gz\n"
    assert not (dest / "toy").exists()


def test_an_unpinned_archive_is_extracted_only_when_trusted_and_then_recorded(tmp_path, genuine):
    dest = tmp_path / "dest"
    with ArchiveServer(ServedFile(genuine)) as server:
        with pytest.raises(DownloadError, match=rf"sha256 {_sha(genuine)} is pinned nowhere.*--trust-unpinned"):
            download_dataset("toy", dest, spec=_spec(server.url, None), progress=False)
        assert _left_in(dest) == {"toy.tar.gz"}
        result = download_dataset("toy", dest, spec=_spec(server.url, None), progress=False, trust_unpinned=True)
        assert len(server.served.ranges) == 1  # the archive was kept: the second call did not fetch it again
    assert result.sha256 == _sha(genuine) and not result.pinned
    assert (dest / "toy.tar.gz.sha256").read_text() == f"{_sha(genuine)}  toy.tar.gz\n"
    assert read_fvecs(dest / "toy/toy_base.fvecs").shape == (40, 6)


def test_the_texmex_archives_are_pinned_or_refused(tmp_path):
    """No digest is invented: the shipped pins are 64 hex digits or null, and null means refusal."""
    import json

    from sigah.download import PINS_FILE, TEXMEX, pinned_sha256

    pins = json.loads((ROOT / "data" / PINS_FILE).read_text())
    for spec in TEXMEX.values():
        assert spec.archive in pins
        assert pinned_sha256(spec.archive) == pins[spec.archive]


def test_cli_refuses_an_unpinned_archive_in_one_line(tmp_path):
    served = ServedFile(b"not the TEXMEX archive at all")
    with ArchiveServer(served, name="sift.tar.gz") as server:
        result = run_sigah("download", "sift1m", "--dest", str(tmp_path / "d"), "--url", server.url)
    line = one_error_line(result)
    assert "sift.tar.gz" in line and "pinned nowhere" in line and "--trust-unpinned" in line
    assert _left_in(tmp_path / "d") == {"sift.tar.gz"}


def test_cli_reports_a_truncated_transfer_in_one_line(tmp_path, genuine):
    with ArchiveServer(ServedFile(genuine, truncate_at=100), name="sift.tar.gz") as server:
        result = run_sigah("download", "sift1m", "--dest", str(tmp_path / "d"), "--url", server.url)
    line = one_error_line(result)
    assert f"stopped after 100 of the {len(genuine):,} bytes" in line and "sift.tar.gz.part" in line
    assert _left_in(tmp_path / "d") == {"sift.tar.gz.part"}


# ------------------------------------------------------------------------------ damaged archives


def _broken_gzip(data: bytes, keep: float) -> bytes:
    """gzip of ``data`` whose deflate stream turns invalid after the first ``keep`` of the data."""
    compressor = zlib.compressobj(wbits=31)
    cut = int(len(data) * keep)
    # a full flush ends on a byte boundary; 0x07 then starts a final block of the reserved type 3
    return compressor.compress(data[:cut]) + compressor.flush(zlib.Z_FULL_FLUSH) + b"\x07" + bytes(64)


@pytest.mark.parametrize("base_rows", [40, 8000], ids=["at-open", "mid-extraction"])
def test_a_corrupted_gzip_archive_is_one_error_and_nothing_is_extracted(tmp_path, base_rows):
    rng = np.random.default_rng(3)
    shapes = dict(SHAPES) | {"toy/toy_base.fvecs": (base_rows, 6)}
    base = np.concatenate([np.full((base_rows, 1), 6, "<i4").view("<f4"),
                           rng.standard_normal((base_rows, 6)).astype("<f4")], axis=1).tobytes()
    tar = gzip.decompress(_toy_archive(0, base_bytes=base))
    damaged = _broken_gzip(tar, 0.6)  # incompressible rows: the damage comes after several reads
    archive = tmp_path / "toy.tar.gz"
    archive.write_bytes(damaged)
    dest = tmp_path / "dest"
    # pinned to the damaged bytes themselves: the extraction, not the digest, meets the damage
    spec = ArchiveSpec("toy", archive.as_uri(), shapes, sha256=_sha(damaged))
    with pytest.raises(DownloadError, match=r"toy.tar.gz: cannot extract .*invalid block type.*nothing was extracted"
                       ) as info:
        download_dataset("toy", dest, spec=spec, progress=False)
    assert "\n" not in str(info.value)
    assert _left_in(dest) == {"toy.tar.gz", "toy.tar.gz.sha256"}


def test_an_oversized_member_is_refused_before_it_is_written(tmp_path):
    """A tar.gz of a few kilobytes whose base file inflates to 64 MB: refused from its header."""
    bomb = _toy_archive(0, base_bytes=bytes(64 << 20))
    assert len(bomb) < 200_000
    archive = tmp_path / "toy.tar.gz"
    archive.write_bytes(bomb)
    dest = tmp_path / "dest"
    expected = 40 * (4 + 4 * 6)
    with pytest.raises(DownloadError, match=rf"toy/toy_base.fvecs: {64 << 20:,} bytes, expected {expected:,}"):
        download_dataset("toy", dest, spec=_spec(archive.as_uri(), _sha(bomb)), progress=False)
    assert _left_in(dest) == {"toy.tar.gz", "toy.tar.gz.sha256"}


def test_a_gzip_member_of_the_wrong_kind_is_named(tmp_path):
    """A .gz that is not a tar: one error naming the archive."""
    archive = tmp_path / "toy.tar.gz"
    archive.write_bytes(gzip.compress(b"plain text, not a tar archive" * 100))
    with pytest.raises(DownloadError, match="toy.tar.gz: cannot extract"):
        download_dataset("toy", tmp_path / "dest", spec=_spec(archive.as_uri(), _sha(archive.read_bytes())),
                         progress=False)


def test_files_go_to_their_place_only_when_all_pass(tmp_path, genuine):
    archive = tmp_path / "toy.tar.gz"
    archive.write_bytes(genuine)
    dest = tmp_path / "dest"
    result = download_dataset("toy", dest, spec=_spec(archive.as_uri(), _sha(genuine)), progress=False)
    assert result.pinned and result.sha256 == _sha(genuine)
    assert _left_in(dest) == {"toy", *SHAPES, "toy.tar.gz", "toy.tar.gz.sha256"}
