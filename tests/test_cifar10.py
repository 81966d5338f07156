"""The CIFAR-10 reader, on small archives written in the official "python version" format."""

import io
import pickle
import tarfile

import numpy as np
import pytest

from sigah.readers import read_cifar10

BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def write_archive(path, sizes, *, rng, tamper=None):
    """A cifar-10-python.tar.gz with the official layout; returns the images and labels written."""
    written = {}
    with tarfile.open(path, "w:gz") as archive:
        for name, n in zip(BATCHES, sizes):
            images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
            labels = rng.integers(0, 10, size=n).tolist()
            # the official row layout: 1,024 red values, then green, then blue, each image row-major
            batch = {b"batch_label": name.encode(), b"data": images.transpose(0, 3, 1, 2).reshape(n, 3072),
                     b"labels": labels, b"filenames": [b"x.png"] * n}
            if tamper is not None:
                batch = tamper(name, batch)
            raw = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
            written[name] = (images, np.array(labels))
    return written


def test_reads_images_and_labels_in_batch_order(tmp_path):
    path = tmp_path / "cifar-10-python.tar.gz"
    written = write_archive(path, [3, 2, 4, 1, 2, 5], rng=np.random.default_rng(0))
    train_images, train_labels, test_images, test_labels = read_cifar10(path)
    assert train_images.shape == (12, 32, 32, 3) and train_images.dtype == np.uint8
    assert test_images.shape == (5, 32, 32, 3) and test_labels.dtype == np.int64
    np.testing.assert_array_equal(train_images, np.concatenate([written[n][0] for n in BATCHES[:5]]))
    np.testing.assert_array_equal(train_labels, np.concatenate([written[n][1] for n in BATCHES[:5]]))
    np.testing.assert_array_equal(test_images, written["test_batch"][0])
    np.testing.assert_array_equal(test_labels, written["test_batch"][1])
    # one pixel by hand: red channel of image 0 at row 1, column 2 is byte 1 * 32 + 2 of its row
    raw_row = written["data_batch_1"][0][0].transpose(2, 0, 1).reshape(3072)
    assert train_images[0, 1, 2, 0] == raw_row[34] and train_images[0, 1, 2, 2] == raw_row[2048 + 34]


def test_reads_an_extracted_folder_too(tmp_path):
    path = tmp_path / "cifar-10-python.tar.gz"
    written = write_archive(path, [1] * 6, rng=np.random.default_rng(1))
    with tarfile.open(path) as archive:  # our own archive: no extraction filter needed (3.11.0-3.11.3 have none)
        archive.extractall(tmp_path)
    _, _, test_images, _ = read_cifar10(tmp_path / "cifar-10-batches-py")
    np.testing.assert_array_equal(test_images, written["test_batch"][0])


def test_clear_errors_for_wrong_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_cifar10(tmp_path / "absent.tar.gz")
    (tmp_path / "plain.tar.gz").write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match="not a tar archive"):
        read_cifar10(tmp_path / "plain.tar.gz")
    partial = tmp_path / "partial.tar.gz"
    with tarfile.open(partial, "w:gz") as archive:
        info = tarfile.TarInfo("cifar-10-batches-py/readme.html")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(ValueError, match="batches missing: data_batch_1"):
        read_cifar10(partial)
    rng = np.random.default_rng(2)
    wrong_keys = tmp_path / "keys.tar.gz"
    write_archive(wrong_keys, [1] * 6, rng=rng, tamper=lambda name, b: {b"pixels": b[b"data"]})
    with pytest.raises(ValueError, match=r"data_batch_1: expected a dict with keys b'data' and b'labels'"):
        read_cifar10(wrong_keys)
    wrong_shape = tmp_path / "shape.tar.gz"
    write_archive(wrong_shape, [2] * 6, rng=rng, tamper=lambda name, b: b | {b"data": b[b"data"][:, :100]})
    with pytest.raises(ValueError, match=r"expected data \(n, 3072\) uint8"):
        read_cifar10(wrong_shape)


class Payload:
    """An object whose unpickling would run a function: the reader must refuse it."""

    def __reduce__(self):
        return (print, ("unpickled code ran",))


def test_refuses_pickles_that_would_run_code(tmp_path):
    path = tmp_path / "evil.tar.gz"
    write_archive(path, [1] * 6, rng=np.random.default_rng(3), tamper=lambda name, b: b | {b"extra": Payload()})
    with pytest.raises(ValueError, match=r"refusing to load (__builtin__|builtins)\.print"):
        read_cifar10(path)
