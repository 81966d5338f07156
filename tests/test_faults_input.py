"""Damaged and unusual input, made for real: a gzip stream that turns invalid, a gzip bomb, a damaged
shipped MNIST file, a vector file given as a model, an empty code database, a folder given as the
data, a database smaller than the cut-offs. Each bad invocation of ``sigah`` ends in exactly one
``sigah: error:`` line naming the file and what was expected, with exit status 2."""

from __future__ import annotations

import gzip
import json
import shutil
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from loopback import ROOT, one_error_line, run_sigah

from sigah.data import load_dataset
from sigah.readers import read_idx, write_idx


def _broken_gzip(data: bytes, keep: float) -> bytes:
    """gzip of ``data`` whose deflate stream turns invalid after the first ``keep`` of the data."""
    compressor = zlib.compressobj(wbits=31)
    cut = int(len(data) * keep)
    # a full flush ends on a byte boundary; 0x07 then starts a final block of the reserved type 3
    return compressor.compress(data[:cut]) + compressor.flush(zlib.Z_FULL_FLUSH) + b"\x07" + bytes(64)


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _gzip_bomb(path: Path, header_shape: tuple[int, ...], zeros: int) -> int:
    """An IDX header of ``header_shape`` followed by ``zeros`` zero bytes, gzip-compressed as a stream."""
    compressor = zlib.compressobj(9, wbits=31)
    header = bytes([0, 0, 0x08, len(header_shape)]) + np.asarray(header_shape, dtype=">i4").tobytes()
    with open(path, "wb") as out:
        out.write(compressor.compress(header))
        block = bytes(1 << 20)
        for _ in range(zeros >> 20):
            out.write(compressor.compress(block))
        out.write(compressor.flush())
    return path.stat().st_size


# -------------------------------------------------------------------------------------- IDX/gzip


def test_an_idx_gzip_stream_that_turns_invalid_is_one_sentence(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(400, 28, 28), dtype=np.uint8)  # incompressible: several reads
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(_broken_gzip(_idx_bytes(images), 0.7))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: corrupt gzip stream .*invalid block type"):
        read_idx(path)
    line = one_error_line(run_sigah("fit", "--method", "lsh", "--bits", "8", "--data", str(path),
                                    "--model", str(tmp_path / "m.npz")))
    assert "train-images-idx3-ubyte.gz: corrupt gzip stream" in line
    assert not (tmp_path / "m.npz").exists()


def test_the_chapter_check_reports_a_damaged_idx_file_in_one_sentence(tmp_path):
    from sigah.tools.params import ChapterParameterError, check_chapter_parameters

    rng = np.random.default_rng(0)
    path = tmp_path / "base-idx2-ubyte.gz"
    path.write_bytes(_broken_gzip(_idx_bytes(rng.integers(0, 256, size=(400, 784), dtype=np.uint8)), 0.7))
    with pytest.raises(ChapterParameterError) as info:
        check_chapter_parameters(dataset=path, bits=[32])
    message = str(info.value)
    assert "base-idx2-ubyte.gz' cannot be read as a data file" in message and "corrupt gzip stream" in message
    assert "\n" not in message


@pytest.mark.parametrize(("header_shape", "words"), [
    ((10,), "needs 18 bytes in all, the file holds more"),  # a small header, then 128 MB of zeros
    ((1 << 27,), "gzip bomb"),  # a header that agrees with the 128 MB of zeros
], ids=["trailing", "consistent"])
def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path, header_shape, words):
    path = tmp_path / "bomb-idx1-ubyte.gz"
    size = _gzip_bomb(path, header_shape, 1 << 27)
    assert size < 200_000  # about 130 KB on disk
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=words):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"reading the bomb allocated {peak:,} bytes"


def test_gzip_idx_files_still_read_exactly(tmp_path):
    rng = np.random.default_rng(1)
    for shape in [(3,), (5, 4), (7, 3, 2)]:
        array = rng.integers(0, 256, size=shape).astype(np.uint8)
        write_idx(tmp_path / "x-ubyte.gz", array)
        np.testing.assert_array_equal(read_idx(tmp_path / "x-ubyte.gz"), array)
    zeros = np.zeros((1000, 28, 28), dtype=np.uint8)  # highly compressible, but under the free allowance
    write_idx(tmp_path / "z-ubyte.gz", zeros)
    np.testing.assert_array_equal(read_idx(tmp_path / "z-ubyte.gz"), zeros)


@pytest.fixture
def damaged_mnist(tmp_path) -> Path:
    """A data folder whose MNIST test labels are damaged inside the gzip stream."""
    shipped = ROOT / "data"
    folder = tmp_path / "data"
    (folder / "mnist").mkdir(parents=True)
    shutil.copy(shipped / "checksums.json", folder / "checksums.json")
    for source in (shipped / "mnist").iterdir():
        (folder / "mnist" / source.name).symlink_to(source)
    labels = folder / "mnist" / "t10k-labels-idx1-ubyte.gz"
    content = gzip.decompress(labels.read_bytes())
    labels.unlink()
    labels.write_bytes(_broken_gzip(content, 0.5))
    return folder


def test_a_damaged_shipped_mnist_file_fails_its_checksum_in_one_line(damaged_mnist, tmp_path):
    result = run_sigah("fit", "--method", "lsh", "--bits", "8", "--data", "mnist", "--model", str(tmp_path / "m.npz"),
                       env={"SIGAH_DATA_DIR": str(damaged_mnist)})
    line = one_error_line(result)
    assert "checksum" in line and "t10k-labels-idx1-ubyte.gz" in line and "damaged" in line
    assert not (tmp_path / "m.npz").exists()
    checksums = json.loads((damaged_mnist / "checksums.json").read_text())
    assert "t10k-labels-idx1-ubyte.gz" in checksums["mnist"]  # the file the message names is a checked one


# ------------------------------------------------------------------------------------ commands


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    rng = np.random.default_rng(2)
    paths = {name: tmp_path / name for name in ("vectors.npy", "queries.npy", "empty.npy", "floats.npy")}
    np.save(paths["vectors.npy"], rng.standard_normal((90, 16)).astype(np.float32))
    np.save(paths["queries.npy"], rng.standard_normal((5, 16)).astype(np.float32))
    np.save(paths["empty.npy"], np.zeros((0, 1), dtype=np.uint8))
    np.save(paths["floats.npy"], rng.standard_normal((6, 1)).astype(np.float32))
    paths["folder"] = tmp_path / "folder.npy"
    paths["folder"].mkdir()
    return paths


def test_encode_with_a_vector_file_as_model_is_one_line(files, tmp_path):
    out = tmp_path / "codes.npy"
    line = one_error_line(run_sigah("encode", "--model", str(files["vectors.npy"]), "--data",
                                    str(files["vectors.npy"]), "--out", str(out)))
    assert "vectors.npy is not a sigah model file" in line and ".npz" in line
    assert not out.exists()


@pytest.fixture
def model(files, tmp_path) -> Path:
    path = tmp_path / "itq8.npz"
    result = run_sigah("fit", "--method", "itq", "--bits", "8", "--data", str(files["vectors.npy"]), "--model", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.mark.parametrize("database", ["empty.npy", "floats.npy"])
def test_search_in_a_code_file_that_holds_no_codes_is_one_line(files, model, tmp_path, database):
    out = tmp_path / "knn.npz"
    line = one_error_line(run_sigah("search", "--model", str(model), "--database", str(files[database]),
                                    "--queries", str(files["queries.npy"]), "--out", str(out)))
    assert database in line and "sigah encode" in line and "(n ≥ 1, 1)" in line
    assert not out.exists()


def test_a_folder_given_as_the_data_is_named_a_folder(files, tmp_path):
    line = one_error_line(run_sigah("evaluate", "--data", str(files["folder"]), "--methods", "lsh", "--bits", "8"))
    assert "folder.npy is a directory, expected a data file" in line
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_dataset(files["folder"])
    # a chapter stops in its check cell, and the command reports it as the user error it is
    line = one_error_line(run_sigah("book", "run", "01_evaluation", "-p", "dataset", str(files["folder"]),
                                    "--size", "ci", "--output-dir", str(tmp_path / "runs")))
    assert "01_evaluation: dataset" in line and "folder.npy' is a directory, expected a data file" in line


def test_evaluate_on_a_database_under_100_vectors_caps_the_cut_offs(files):
    result = run_sigah("evaluate", "--data", str(files["vectors.npy"]), "--methods", "lsh", "--bits", "8",
                       "--format", "json", "--no-store")
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(result.stdout.splitlines()[-1])
    # 1,000 queries asked of 90 vectors: half stay in the database; k and P@100 at its size
    assert record["n_queries"] == 45 and record["n_database"] == 45 and record["k"] == 45
    assert 0 <= record["precision_at_100"] <= 1
    notes = [line for line in result.stderr.splitlines() if line.startswith("# ")]
    assert any("n_queries" in note for note in notes) and any("k = 1,000 capped to 45" in note for note in notes)
    assert any("P@100" in note and "45" in note for note in notes)
