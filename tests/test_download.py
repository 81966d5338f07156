"""sigah.download against a local file:// archive of small .fvecs/.ivecs files built here."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from sigah.tools.cli import main
from sigah.download import ArchiveSpec, DownloadError, download_dataset, fetch
from sigah.readers import read_fvecs, read_ivecs, write_fvecs, write_ivecs

SHAPES = {"toy/toy_base.fvecs": (50, 12), "toy/toy_query.fvecs": (5, 12), "toy/toy_groundtruth.ivecs": (5, 7)}


@pytest.fixture()
def archive(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    src = tmp_path / "src" / "toy"
    src.mkdir(parents=True)
    arrays = {}
    for member, (n, d) in SHAPES.items():
        if member.endswith(".ivecs"):
            arrays[member] = rng.integers(0, 50, size=(n, d)).astype(np.int32)
            write_ivecs(src / Path(member).name, arrays[member])
        else:
            arrays[member] = rng.standard_normal((n, d)).astype(np.float32)
            write_fvecs(src / Path(member).name, arrays[member])
    path = tmp_path / "toy.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(src, arcname="toy")
    return path, arrays


def _spec(path: Path) -> ArchiveSpec:
    """The toy archive with its digest pinned, as the TEXMEX archives are pinned in data/."""
    return ArchiveSpec("toy", path.as_uri(), dict(SHAPES), sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def test_download_extracts_checks_and_records_sha256(archive, tmp_path):
    path, arrays = archive
    dest = tmp_path / "dest"
    result = download_dataset("toy", dest, spec=_spec(path), progress=False)
    expected_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.sha256 == expected_sha
    assert (dest / "toy.tar.gz.sha256").read_text() == f"{expected_sha}  toy.tar.gz\n"
    assert result.resumed_from == 0
    for member, array in arrays.items():
        read = read_ivecs if member.endswith(".ivecs") else read_fvecs
        np.testing.assert_array_equal(read(dest / member), array)
    # a second call finds checked files and fetches nothing
    again = download_dataset("toy", dest, spec=_spec(path), progress=False)
    assert again.archive is None and set(again.files) == set(result.files)


def test_download_resumes_a_partial_file(archive, tmp_path):
    path, _ = archive
    dest = tmp_path / "dest"
    dest.mkdir()
    data = path.read_bytes()
    half = len(data) // 2
    (dest / "toy.tar.gz.part").write_bytes(data[:half])
    result = download_dataset("toy", dest, spec=_spec(path), progress=False)
    assert result.resumed_from == half
    assert (dest / "toy.tar.gz").read_bytes() == data
    assert not (dest / "toy.tar.gz.part").exists()


def test_fetch_unreachable_names_the_file_and_where_to_put_it(tmp_path):
    missing = (tmp_path / "nowhere" / "gist.tar.gz").as_uri()
    target = tmp_path / "dest" / "gist.tar.gz"
    target.parent.mkdir()
    with pytest.raises(DownloadError, match=r"cannot fetch .*gist\.tar\.gz.*place it at .*dest/gist\.tar\.gz"):
        fetch(missing, target, progress=False)


def test_wrong_shape_is_reported(archive, tmp_path):
    path, _ = archive
    spec = ArchiveSpec("toy", path.as_uri(), dict(SHAPES) | {"toy/toy_base.fvecs": (60, 12)},
                       sha256=_spec(path).sha256)
    with pytest.raises(DownloadError, match=r"toy_base\.fvecs: .* bytes, expected .*60 records of dimension 12"):
        download_dataset("toy", tmp_path / "dest", spec=spec, progress=False)


def test_record_header_mismatch_is_reported(tmp_path):
    rng = np.random.default_rng(1)
    good = tmp_path / "x.fvecs"
    write_fvecs(good, rng.standard_normal((4, 3)))
    raw = bytearray(good.read_bytes())
    raw[16:20] = np.int32(5).tobytes()  # the second record's header claims dimension 5
    good.write_bytes(bytes(raw))
    from sigah.download import check_vecs_file

    with pytest.raises(DownloadError, match="record 1 declares dimension 5"):
        check_vecs_file(good, (4, 3))


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'deep1b'"):
        download_dataset("deep1b", tmp_path)


def test_cli_offline_fails_in_one_line(tmp_path, capsys):
    url = (tmp_path / "absent" / "sift.tar.gz").as_uri()
    code = main(["download", "sift1m", "--dest", str(tmp_path / "d"), "--url", url])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "place it at" in err and "sift.tar.gz" in err


def test_extraction_writes_only_the_datasets_files_inside_dest(archive, tmp_path):
    """Entries that climb out of the folder, absolute paths, links and devices are never written;
    a link named like a dataset file is skipped, not followed (the dataset's own file is then missing)."""
    path, arrays = archive
    hostile = tmp_path / "hostile.tar.gz"
    outside = tmp_path / "outside"
    with tarfile.open(path) as good, tarfile.open(hostile, "w:gz") as tar:
        for member in good:
            tar.addfile(member, good.extractfile(member) if member.isfile() else None)
        for name in ("../outside/escaped.txt", str(tmp_path / "outside" / "absolute.txt")):
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
        link = tarfile.TarInfo("../outside")
        link.type = tarfile.DIRTYPE
        tar.addfile(link)
        device = tarfile.TarInfo("toy/device")
        device.type = tarfile.CHRTYPE
        tar.addfile(device)
    dest = tmp_path / "dest"
    result = download_dataset("toy", dest, spec=_spec(hostile), progress=False)
    assert set(result.files) == {dest / member for member in SHAPES}
    assert not outside.exists() and not (dest / "toy" / "device").exists()
    written = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert written == set(SHAPES) | {"hostile.tar.gz", "hostile.tar.gz.sha256"}

    linked = tmp_path / "linked.tar.gz"
    with tarfile.open(linked, "w:gz") as tar:
        info = tarfile.TarInfo("toy/toy_base.fvecs")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(DownloadError):
        download_dataset("toy", tmp_path / "dest2", spec=_spec(linked), progress=False)
    assert not (tmp_path / "dest2" / "toy" / "toy_base.fvecs").exists()
