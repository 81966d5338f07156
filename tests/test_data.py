"""Tests of sigah.readers and sigah.data: file formats, the shipped datasets, checksums and splits."""

from __future__ import annotations

import gzip
import json
import shutil

import numpy as np
import pytest
import scipy.io

from sigah import data as sdata
from sigah.data import (
    Dataset,
    load_array,
    load_dataset,
    make_protocol,
    protocol_from_files,
    read_bvecs,
    read_csv,
    read_fvecs,
    read_idx,
    read_ivecs,
    read_mat,
    read_npy,
    verify_checksums,
    write_bvecs,
    write_fvecs,
    write_idx,
    write_ivecs,
)

RNG = np.random.default_rng(12345)


# ------------------------------------------------------------------------------------- readers


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, dtype, compress):
    array = (RNG.integers(0, 120, size=(5, 3, 4))).astype(dtype)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    np.testing.assert_array_equal(load_array(path), array)


def test_idx_header_is_big_endian_like_mnist(tmp_path):
    labels = np.array([5, 0, 4], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, labels)
    raw = path.read_bytes()
    assert raw[:8] == bytes([0, 0, 8, 1, 0, 0, 0, 3])  # magic 2049, count 3
    assert raw[8:] == bytes([5, 0, 4])


def test_idx_bad_magic(tmp_path):
    path = tmp_path / "bad-ubyte"
    path.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)


def test_idx_unknown_type_code(tmp_path):
    path = tmp_path / "bad-ubyte"
    path.write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 9]))
    with pytest.raises(ValueError, match="type code 0x07"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_truncated_payload(tmp_path, compress):
    good = tmp_path / "good-ubyte"
    write_idx(good, np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    payload = good.read_bytes()[:-5]
    path = tmp_path / ("cut-ubyte.gz" if compress else "cut-ubyte")
    path.write_bytes(gzip.compress(payload) if compress else payload)
    with pytest.raises(ValueError, match=r"payload size mismatch.*\(2, 3, 4\)"):
        read_idx(path)


def test_idx_truncated_header(tmp_path):
    path = tmp_path / "short-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(path)


@pytest.mark.parametrize(
    "writer, reader, dtype",
    [(write_fvecs, read_fvecs, np.float32), (write_ivecs, read_ivecs, np.int32), (write_bvecs, read_bvecs, np.uint8)],
)
def test_vecs_round_trip(tmp_path, writer, reader, dtype):
    array = RNG.integers(0, 256, size=(7, 5)).astype(dtype)
    if dtype == np.float32:
        array += np.float32(0.25)
    suffix = {np.float32: "fvecs", np.int32: "ivecs", np.uint8: "bvecs"}[dtype]
    path = tmp_path / f"x.{suffix}"
    writer(path, array)
    assert path.stat().st_size == 7 * (4 + 5 * np.dtype(dtype).itemsize)
    back = reader(path)
    assert back.dtype == dtype and back.shape == (7, 5)
    np.testing.assert_array_equal(back, array)
    np.testing.assert_array_equal(load_array(path), array)


def test_fvecs_layout_matches_texmex(tmp_path):
    path = tmp_path / "one.fvecs"
    write_fvecs(path, np.array([[1.5, -2.0]], dtype=np.float32))
    raw = path.read_bytes()
    assert np.frombuffer(raw[:4], "<i4")[0] == 2
    np.testing.assert_array_equal(np.frombuffer(raw[4:], "<f4"), [1.5, -2.0])


def test_fvecs_is_memory_mapped_without_copy(tmp_path):
    path = tmp_path / "m.fvecs"
    write_fvecs(path, np.ones((4, 3), dtype=np.float32))
    back = read_fvecs(path)
    assert isinstance(back.base, np.memmap) or isinstance(back, np.memmap)
    assert not back.flags.writeable


def test_vecs_inconsistent_dimension_names_record(tmp_path):
    path = tmp_path / "bad.fvecs"
    write_fvecs(path, np.zeros((4, 3), dtype=np.float32))
    raw = bytearray(path.read_bytes())
    raw[2 * 16 : 2 * 16 + 4] = np.int32(5).astype("<i4").tobytes()  # record 2 claims 5 dimensions
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="record 2 declares dimension 5"):
        read_fvecs(path)


def test_vecs_truncated_last_record(tmp_path):
    path = tmp_path / "cut.ivecs"
    write_ivecs(path, np.arange(12).reshape(4, 3))
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(ValueError, match="truncated last record 3"):
        read_ivecs(path)


def test_bvecs_truncated_last_record(tmp_path):
    path = tmp_path / "cut.bvecs"
    write_bvecs(path, np.arange(12).reshape(3, 4))
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="truncated last record 2"):
        read_bvecs(path)


def test_vecs_empty_and_nonpositive_dimension(tmp_path):
    empty = tmp_path / "e.fvecs"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        read_fvecs(empty)
    zero = tmp_path / "z.fvecs"
    zero.write_bytes(np.int32(0).tobytes())
    with pytest.raises(ValueError, match="dimension 0"):
        read_fvecs(zero)


def test_bvecs_writer_rejects_out_of_range(tmp_path):
    with pytest.raises(ValueError, match="0..255"):
        write_bvecs(tmp_path / "x.bvecs", np.array([[300]]))


def test_npy_and_npz(tmp_path):
    a, b = RNG.normal(size=(4, 2)), np.arange(3)
    np.save(tmp_path / "a.npy", a)
    np.testing.assert_array_equal(read_npy(tmp_path / "a.npy"), a)
    np.savez(tmp_path / "one.npz", only=a)
    np.testing.assert_array_equal(load_array(tmp_path / "one.npz"), a)
    np.savez(tmp_path / "two.npz", first=a, second=b)
    np.testing.assert_array_equal(load_array(tmp_path / "two.npz", key="second"), b)
    with pytest.raises(ValueError, match=r"several arrays \['first', 'second'\]"):
        read_npy(tmp_path / "two.npz")
    with pytest.raises(ValueError, match="no array named 'third'"):
        read_npy(tmp_path / "two.npz", key="third")
    garbage = tmp_path / "g.npy"
    garbage.write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match="not a readable NumPy file"):
        read_npy(garbage)


def test_mat(tmp_path):
    a = RNG.normal(size=(5, 3))
    scipy.io.savemat(tmp_path / "one.mat", {"X": a})
    np.testing.assert_allclose(read_mat(tmp_path / "one.mat"), a)
    scipy.io.savemat(tmp_path / "two.mat", {"X": a, "Y": a[:2]})
    np.testing.assert_allclose(load_array(tmp_path / "two.mat", key="Y"), a[:2])
    with pytest.raises(ValueError, match=r"several arrays \['X', 'Y'\]"):
        read_mat(tmp_path / "two.mat")


def test_mat_v73_without_h5py_suggests_conversion(tmp_path, monkeypatch):
    import builtins

    # A v7.3 file is HDF5 with a MATLAB text header; scipy recognises the version from the header.
    path = tmp_path / "big.mat"
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    path.write_bytes(header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM" + b"\x00" * 512)
    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("no h5py")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_h5py)
    with pytest.raises(ValueError, match=r"v7\.3 \(HDF5\).*h5py.*-v7"):
        read_mat(path)


def test_csv_header_autodetect_and_label_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("f1,f2,label\n0.5,1.5,3\n2,4,7\n")
    features, labels = read_csv(path, label_column=-1)
    np.testing.assert_array_equal(features, [[0.5, 1.5], [2, 4]])
    np.testing.assert_array_equal(labels, [3, 7])
    assert labels.dtype == np.int64
    table, none = read_csv(path)
    assert none is None and table.shape == (2, 3)
    plain = tmp_path / "t.txt"
    plain.write_text("1 2 3\n4 5 6\n")
    np.testing.assert_array_equal(load_array(plain), [[1, 2, 3], [4, 5, 6]])


def test_csv_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n")
    with pytest.raises(ValueError, match="not a numeric table"):
        read_csv(path)
    labels = tmp_path / "frac.csv"
    labels.write_text("1,0.5\n2,1.5\n")
    with pytest.raises(ValueError, match="non-integer"):
        read_csv(labels, label_column=1)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    with pytest.raises(ValueError, match="empty"):
        read_csv(empty)


def test_load_array_unknown_extension_and_missing_file(tmp_path):
    odd = tmp_path / "data.xyz"
    odd.write_bytes(b"123")
    with pytest.raises(ValueError, match=r"unsupported file type.*\.fvecs"):
        load_array(odd)
    with pytest.raises(ValueError, match="unsupported"):
        load_array(tmp_path / "x.fvecs.gz")
    missing = tmp_path / "nothing.fvecs"
    with pytest.raises(FileNotFoundError, match="nothing.fvecs"):
        load_array(missing)
    with pytest.raises(FileNotFoundError, match="nothing.fvecs"):
        read_fvecs(missing)


# ------------------------------------------------------------------------------ datasets by path


def test_load_dataset_from_files(tmp_path):
    X = RNG.normal(size=(30, 6)).astype(np.float32)
    Q = RNG.normal(size=(4, 6)).astype(np.float32)
    write_fvecs(tmp_path / "base.fvecs", X)
    write_fvecs(tmp_path / "query.fvecs", Q)
    np.save(tmp_path / "labels.npy", np.arange(30) % 3)
    dataset = load_dataset(tmp_path / "base.fvecs", labels=tmp_path / "labels.npy", queries=tmp_path / "query.fvecs")
    assert dataset.name == "base" and dataset.n == 30 and dataset.dim == 6
    np.testing.assert_array_equal(dataset.features, X)
    np.testing.assert_array_equal(dataset.queries, Q)
    assert dataset.labels.dtype == np.int64 and dataset.labels[4] == 1
    assert dataset.features.flags.c_contiguous and not dataset.features.flags.writeable
    assert dataset.groundtruth is None


def test_load_dataset_images_are_flattened_and_csv_labels(tmp_path):
    write_idx(tmp_path / "img-idx3-ubyte", np.arange(2 * 3 * 2, dtype=np.uint8).reshape(2, 3, 2))
    dataset = load_dataset(tmp_path / "img-idx3-ubyte")
    assert dataset.features.shape == (2, 6) and dataset.features.dtype == np.float32
    assert dataset.features[1, 5] == 11.0  # values as they are: only the shipped MNIST is rescaled
    (tmp_path / "t.csv").write_text("x,y,c\n1,2,0\n3,4,1\n5,6,1\n")
    table = load_dataset(tmp_path / "t.csv", label_column=2)
    np.testing.assert_array_equal(table.features, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(table.labels, [0, 1, 1])


def test_load_dataset_nan_names_count_and_place(tmp_path):
    X = np.ones((5, 3), dtype=np.float32)
    X[2, 1] = np.nan
    X[4, 0] = np.inf
    np.save(tmp_path / "nan.npy", X)
    with pytest.raises(ValueError, match=r"NaN or infinite values: 2 of them, first at index \(2, 1\)"):
        load_dataset(tmp_path / "nan.npy")


def test_load_dataset_dimension_mismatch_and_bad_labels(tmp_path):
    write_fvecs(tmp_path / "base.fvecs", np.zeros((5, 4)))
    write_fvecs(tmp_path / "q.fvecs", np.zeros((2, 3)))
    with pytest.raises(ValueError, match="dimension 4.*dimension 3"):
        load_dataset(tmp_path / "base.fvecs", queries=tmp_path / "q.fvecs")
    np.save(tmp_path / "few.npy", np.arange(4))
    with pytest.raises(ValueError, match="4 labels for 5 vectors"):
        load_dataset(tmp_path / "base.fvecs", labels=tmp_path / "few.npy")
    np.save(tmp_path / "vec.npy", np.arange(5.0))
    with pytest.raises(ValueError, match=r"2-D array.*\(5,\)"):
        load_dataset(tmp_path / "vec.npy")


def test_load_dataset_unknown_name():
    with pytest.raises(FileNotFoundError, match=r"no-such-data.*'mnist', 'siftsmall'"):
        load_dataset("no-such-data")


# ------------------------------------------------------------------------------ shipped datasets


@pytest.fixture(scope="module")
def mnist() -> Dataset:
    return load_dataset("mnist")


@pytest.fixture(scope="module")
def siftsmall() -> Dataset:
    return load_dataset("siftsmall")


def test_mnist_matches_provenance(mnist):
    assert mnist.name == "mnist"
    assert mnist.features.shape == (70000, 784) and mnist.features.dtype == np.float32
    assert mnist.labels.shape == (70000,) and mnist.labels.dtype == np.int64
    assert mnist.features.min() == 0.0 and mnist.features.max() == 1.0
    # pixel / 255: every value is a multiple of 1/255
    sample = mnist.features[:50]
    np.testing.assert_allclose(sample * 255, np.round(sample * 255), atol=1e-4)
    train, test = mnist.labels[:60000], mnist.labels[60000:]
    assert np.bincount(train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert mnist.queries is None and mnist.groundtruth is None


def test_siftsmall_shapes_and_values(siftsmall):
    assert siftsmall.features.shape == (10000, 128) and siftsmall.features.dtype == np.float32
    assert siftsmall.queries.shape == (100, 128) and siftsmall.queries.dtype == np.float32
    assert siftsmall.groundtruth.shape == (100, 100) and siftsmall.groundtruth.dtype == np.int64
    assert siftsmall.features.min() >= 0 and siftsmall.features.max() <= 255
    np.testing.assert_array_equal(siftsmall.features, np.round(siftsmall.features))  # integer-valued SIFT


def test_siftsmall_groundtruth_is_exact_euclidean_top100(siftsmall):
    X = siftsmall.features.astype(np.float64)
    Q = siftsmall.queries.astype(np.float64)
    # Integer-valued vectors: squared distances are exact in float64, so ties are exact ties.
    distances = (Q**2).sum(1)[:, None] - 2 * Q @ X.T + (X**2).sum(1)[None, :]
    distances = np.round(distances)
    for i, shipped in enumerate(siftsmall.groundtruth):
        kth = np.sort(distances[i])[99]
        strictly_closer = set(np.flatnonzero(distances[i] < kth))
        at_boundary = set(np.flatnonzero(distances[i] == kth))
        shipped = set(shipped.tolist())
        assert len(shipped) == 100
        assert strictly_closer <= shipped, f"query {i}: a true neighbour is missing"
        assert shipped <= strictly_closer | at_boundary, f"query {i}: a listed id is farther than the 100th"


def test_checksums_pass_on_shipped_files():
    for name in ("mnist", "siftsmall"):
        hashes = verify_checksums(name)
        assert len(hashes) == len(sdata.SHIPPED_DATASETS[name]["files"])
        assert all(len(h) == 64 for h in hashes.values())


def _copy_siftsmall(tmp_path):
    shutil.copytree(sdata.data_dir() / "siftsmall", tmp_path / "siftsmall")
    shutil.copy(sdata.data_dir() / "checksums.json", tmp_path / "checksums.json")
    for path in (tmp_path / "siftsmall").iterdir():
        path.chmod(0o644)


def test_checksums_fail_on_modified_copy(tmp_path, monkeypatch):
    _copy_siftsmall(tmp_path)
    query = tmp_path / "siftsmall" / "siftsmall_query.fvecs"
    raw = bytearray(query.read_bytes())
    raw[100] ^= 0x01
    query.write_bytes(bytes(raw))
    expected = json.loads((tmp_path / "checksums.json").read_text())["siftsmall"]["siftsmall_query.fvecs"]
    with pytest.raises(ValueError, match=rf"siftsmall_query\.fvecs: sha256 [0-9a-f]{{64}}, expected {expected}"):
        verify_checksums("siftsmall", folder=tmp_path)
    monkeypatch.setenv("SIGAH_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_dataset("siftsmall")
    assert load_dataset("siftsmall", verify=False).queries.shape == (100, 128)


def test_mnist_checksum_is_of_decompressed_bytes(tmp_path):
    shutil.copytree(sdata.data_dir() / "mnist", tmp_path / "mnist")
    shutil.copy(sdata.data_dir() / "checksums.json", tmp_path / "checksums.json")
    labels = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    labels.chmod(0o644)
    content = gzip.decompress(labels.read_bytes())
    labels.write_bytes(gzip.compress(content, compresslevel=1, mtime=0))  # new wrapper, same content
    verify_checksums("mnist", folder=tmp_path)  # must still pass
    labels.write_bytes(gzip.compress(content[:-1] + bytes([(content[-1] + 1) % 256])))
    with pytest.raises(ValueError, match=r"decompressed content of .*t10k-labels-idx1-ubyte\.gz"):
        verify_checksums("mnist", folder=tmp_path)


def test_verification_is_cached_per_process(tmp_path, monkeypatch):
    _copy_siftsmall(tmp_path)
    monkeypatch.setenv("SIGAH_DATA_DIR", str(tmp_path))
    load_dataset("siftsmall")
    calls = []
    monkeypatch.setattr(sdata, "_sha256_of", lambda *a, **k: calls.append(a) or "0" * 64)
    load_dataset("siftsmall")
    assert calls == []


def test_missing_shipped_file(tmp_path, monkeypatch):
    _copy_siftsmall(tmp_path)
    (tmp_path / "siftsmall" / "siftsmall_base.fvecs").unlink()
    monkeypatch.setenv("SIGAH_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="siftsmall_base.fvecs"):
        load_dataset("siftsmall")


def test_missing_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGAH_DATA_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(FileNotFoundError, match="SIGAH_DATA_DIR"):
        load_dataset("mnist")


def test_dataset_validates_and_leaves_caller_arrays_writeable():
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    dataset = Dataset("toy", X, np.array([0, 1, 1, 0]), None, None, "test")
    assert dataset.features.dtype == np.float32 and not dataset.features.flags.writeable
    assert X.flags.writeable  # the caller's array is not frozen
    with pytest.raises(ValueError, match="read-only"):
        dataset.features[0, 0] = 1.0
    with pytest.raises(ValueError, match="3 labels for 4 vectors"):
        Dataset("toy", X, np.array([0, 1, 1]), None, None, "test")
    with pytest.raises(ValueError, match="features have dimension 3, queries have dimension 2"):
        Dataset("toy", X, None, np.zeros((2, 2)), None, "test")
    with pytest.raises(ValueError, match=r"ground-truth ids must lie in \[0, 4\)"):
        Dataset("toy", X, None, np.zeros((2, 3)), np.array([[0, 4], [1, 2]]), "test")
    with pytest.raises(ValueError, match="no ground truth without queries"):
        Dataset("toy", X, None, None, np.array([[0, 1]]), "test")
    bad = X.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values: 1 of them, first at index \(1, 2\)"):
        Dataset("toy", bad, None, None, None, "test")


# ------------------------------------------------------------------------------------ protocols


def _small_dataset(n=50, d=4, with_labels=True) -> Dataset:
    rng = np.random.default_rng(7)
    return Dataset(
        name="toy",
        features=rng.normal(size=(n, d)).astype(np.float32),
        labels=rng.integers(0, 3, size=n) if with_labels else None,
        queries=None,
        groundtruth=None,
        source="test",
    )


def test_protocol_sizes_disjointness_and_content():
    dataset = _small_dataset()
    protocol = make_protocol(dataset, n_queries=10, seed=3)
    assert protocol.queries.shape == (10, 4) and protocol.database.shape == (40, 4)
    assert protocol.train is protocol.database
    assert set(protocol.query_index).isdisjoint(protocol.database_index)
    assert sorted(np.concatenate([protocol.query_index, protocol.database_index])) == list(range(50))
    np.testing.assert_array_equal(protocol.queries, dataset.features[protocol.query_index])
    np.testing.assert_array_equal(protocol.database, dataset.features[protocol.database_index])
    np.testing.assert_array_equal(protocol.query_labels, dataset.labels[protocol.query_index])
    np.testing.assert_array_equal(protocol.database_labels, dataset.labels[protocol.database_index])
    assert protocol.description == "toy: 10 random queries, 40 database = training points, seed 3"


def test_protocol_deterministic_per_seed():
    dataset = _small_dataset()
    a, b = make_protocol(dataset, 10, seed=1), make_protocol(dataset, 10, seed=1)
    c = make_protocol(dataset, 10, seed=2)
    np.testing.assert_array_equal(a.query_index, b.query_index)
    assert a.fingerprint() == b.fingerprint() and len(a.fingerprint()) == 16
    assert not np.array_equal(a.query_index, c.query_index)
    assert a.fingerprint() != c.fingerprint()


def test_protocol_subsampled_database_and_train():
    dataset = _small_dataset(n=100)
    protocol = make_protocol(dataset, n_queries=10, seed=0, n_database=30, n_train=12)
    assert protocol.n_database == 30 and protocol.n_train == 12
    assert set(protocol.train_index) <= set(protocol.database_index)
    assert set(protocol.query_index).isdisjoint(protocol.database_index)
    np.testing.assert_array_equal(protocol.train, dataset.features[protocol.train_index])
    assert "30 database points (a random subset of 90), 12 training points" in protocol.description
    full = make_protocol(dataset, n_queries=10, seed=0)
    np.testing.assert_array_equal(full.query_index, protocol.query_index)  # queries don't depend on n_database
    assert full.fingerprint() != protocol.fingerprint()


def test_protocol_errors():
    dataset = _small_dataset(n=20)
    for bad in (0, 20, -1):
        with pytest.raises(ValueError, match=r"n_queries must be in \[1, 19\]"):
            make_protocol(dataset, n_queries=bad)
    with pytest.raises(ValueError, match=r"n_database must be in \[1, 15\]"):
        make_protocol(dataset, n_queries=5, n_database=16)
    with pytest.raises(ValueError, match=r"n_train must be in \[1, 8\]"):
        make_protocol(dataset, n_queries=5, n_database=8, n_train=9)
    with pytest.raises(ValueError, match="n_queries must be an integer"):
        make_protocol(dataset, n_queries=2.5)
    with pytest.raises(ValueError, match="seed"):
        make_protocol(dataset, seed=-1)
    with pytest.raises(ValueError, match="Dataset"):
        make_protocol(np.zeros((5, 2)))


def test_protocol_with_own_queries(siftsmall):
    protocol = make_protocol(siftsmall)
    assert protocol.query_index is None and protocol.n_queries == 100 and protocol.n_database == 10000
    np.testing.assert_array_equal(protocol.groundtruth, siftsmall.groundtruth)
    assert protocol.description == "SIFT10K: the 100 given queries, 10,000 database = training points, seed 0"
    subset = make_protocol(siftsmall, n_database=500)
    assert subset.groundtruth is None  # the shipped neighbours no longer index this database


def test_mnist_paper_protocol(mnist):
    protocol = make_protocol(mnist)
    assert protocol.n_queries == 1000 and protocol.n_database == 69000 and protocol.train is protocol.database
    assert protocol.description == "MNIST: 1,000 random queries, 69,000 database = training points, seed 0"
    assert set(protocol.query_labels.tolist()) == set(range(10))


def test_protocol_from_files(tmp_path):
    write_fvecs(tmp_path / "b.fvecs", RNG.normal(size=(20, 3)))
    write_fvecs(tmp_path / "q.fvecs", RNG.normal(size=(5, 3)))
    protocol = protocol_from_files(tmp_path / "b.fvecs", tmp_path / "q.fvecs")
    assert protocol.n_queries == 5 and protocol.n_database == 20 and protocol.query_index is None
    random_split = protocol_from_files(tmp_path / "b.fvecs", n_queries=4, seed=1)
    assert random_split.n_queries == 4 and random_split.n_database == 16


def test_idx_corrupt_gzip_stream(tmp_path):
    path = tmp_path / "broken-ubyte.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 1, 2]))[:-6])
    with pytest.raises(ValueError, match="corrupt gzip stream"):
        read_idx(path)


def test_large_float32_file_stays_memory_mapped_and_splits_like_a_copy(tmp_path, monkeypatch):
    import sigah.data as data_module
    from sigah.readers import write_fvecs as write

    rng = np.random.default_rng(7)
    base = rng.standard_normal((300, 16)).astype(np.float32)
    queries = rng.standard_normal((4, 16)).astype(np.float32)
    write(tmp_path / "base.fvecs", base)
    write(tmp_path / "query.fvecs", queries)
    small = data_module.load_dataset(tmp_path / "base.fvecs", queries=tmp_path / "query.fvecs")
    monkeypatch.setattr(data_module, "LARGE_FILE_BYTES", 1000)  # "large" = this 19 kB file
    large = data_module.load_dataset(tmp_path / "base.fvecs", queries=tmp_path / "query.fvecs")
    assert data_module._is_memory_mapped(large.features) and not data_module._is_memory_mapped(small.features)
    np.testing.assert_array_equal(large.features, base)
    protocol = data_module.make_protocol(large, n_train=50)
    assert np.shares_memory(protocol.database, large.features)  # used whole: no copy
    assert not protocol.database.flags.writeable
    same = data_module.make_protocol(small, n_train=50)
    assert protocol.fingerprint() == same.fingerprint()
    np.testing.assert_array_equal(protocol.train, same.train)


def test_non_finite_value_in_a_memory_mapped_file_is_reported(tmp_path, monkeypatch):
    import sigah.data as data_module
    from sigah.readers import write_fvecs as write

    base = np.ones((200, 8), dtype=np.float32)
    base[150, 3] = np.nan
    write(tmp_path / "bad.fvecs", base)
    monkeypatch.setattr(data_module, "LARGE_FILE_BYTES", 1000)
    with pytest.raises(ValueError, match="NaN or infinite"):
        data_module.load_dataset(tmp_path / "bad.fvecs")
