"""Datasets in, query/database/training splits out.

Two real datasets ship with the book in ``data/`` (see ``data/README.md`` for provenance and licences):

``"mnist"``
    all 70,000 MNIST digits (60,000 training images then 10,000 test images, in file order) as
    ``float32`` pixel values / 255 in [0, 1], 784 dimensions, labels 0-9;
``"siftsmall"``
    TEXMEX's ANN_SIFT10K: 10,000 base SIFT descriptors (128-d), its 100 queries and their 100 exact
    Euclidean neighbours.

Any other array file the readers in :mod:`sigah.readers` understand loads the same way, by path.
:func:`make_protocol` then splits a dataset the way the paper evaluates: random queries, the rest as
database, the database as training set (or the dataset's own queries when it has them).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigah.validation import check_finite, check_matrix
from sigah.readers import (
    SUPPORTED_EXTENSIONS,
    load_array,
    read_bvecs,
    read_csv,
    read_fvecs,
    read_idx,
    read_ivecs,
    read_mat,
    read_npy,
    write_bvecs,
    write_fvecs,
    write_idx,
    write_ivecs,
)

__all__ = [
    "DATA_DIR",
    "SHIPPED_DATASETS",
    "Dataset",
    "Protocol",
    "data_dir",
    "verify_checksums",
    "load_dataset",
    "make_protocol",
    "protocol_from_files",
    # re-exported from sigah.readers
    "SUPPORTED_EXTENSIONS",
    "load_array",
    "read_idx",
    "read_fvecs",
    "read_ivecs",
    "read_bvecs",
    "read_npy",
    "read_mat",
    "read_csv",
    "write_idx",
    "write_fvecs",
    "write_ivecs",
    "write_bvecs",
]

PathLike = str | os.PathLike

# The repository's data/ folder, beside the package when it runs from a checkout (or an editable install).
_DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def data_dir() -> Path:
    """The folder holding the shipped datasets.

    ``$SIGAH_DATA_DIR`` if set; else the checkout's ``data/`` beside the package; else, for a package
    installed with ``pip install .`` (the data are not part of the wheel), ``./data`` when the working
    directory is a checkout (it holds ``checksums.json``).
    """
    if os.environ.get("SIGAH_DATA_DIR"):
        return Path(os.environ["SIGAH_DATA_DIR"])
    if not _DEFAULT_DATA_DIR.is_dir() and (Path.cwd() / "data" / "checksums.json").is_file():
        return Path.cwd() / "data"
    return _DEFAULT_DATA_DIR


DATA_DIR: Path = data_dir()
"""``data_dir()`` at import time; call :func:`data_dir` to honour a later change of ``SIGAH_DATA_DIR``."""

SHIPPED_DATASETS = {
    "mnist": {
        "display": "MNIST",
        "files": {
            "train_images": "train-images-idx3-ubyte.gz",
            "train_labels": "train-labels-idx1-ubyte.gz",
            "test_images": "t10k-images-idx3-ubyte.gz",
            "test_labels": "t10k-labels-idx1-ubyte.gz",
        },
        # The .gz wrappers were recompressed; the decompressed bytes are the official files.
        "hash_decompressed": True,
        "shape": {"n_vectors": 70_000, "dimension": 784, "n_query_vectors": None},
    },
    "siftsmall": {
        "display": "SIFT10K",
        "files": {
            "base": "siftsmall_base.fvecs",
            "query": "siftsmall_query.fvecs",
            "groundtruth": "siftsmall_groundtruth.ivecs",
        },
        "hash_decompressed": False,
        "shape": {"n_vectors": 10_000, "dimension": 128, "n_query_vectors": 100},
    },
}
CHECKSUMS_FILE = "checksums.json"


# ------------------------------------------------------------------------------------- checksums


def _sha256_of(path: Path, *, decompress: bool) -> str:
    digest = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _shipped_name(name: str) -> str:
    key = str(name).lower()
    if key not in SHIPPED_DATASETS:
        raise ValueError(f"unknown shipped dataset {name!r}, expected one of {sorted(SHIPPED_DATASETS)}")
    return key


def _recorded_checksums(name: str, folder: Path) -> dict[str, str]:
    path = folder / CHECKSUMS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"checksum file not found: {path}")
    recorded = json.loads(path.read_text(encoding="utf-8")).get(name)
    if not recorded:
        raise ValueError(f"{path} records no checksums for dataset {name!r}")
    return {k: v for k, v in recorded.items() if not k.startswith("_")}


# Files verified in this process, keyed by (path, size, mtime): hashing 50 MB on every load is wasteful.
_VERIFIED: set[tuple[str, int, int]] = set()


def verify_checksums(name: str, *, folder: PathLike | None = None) -> dict[str, str]:
    """Check the shipped files of dataset ``name`` against ``data/checksums.json``.

    MNIST's files are hashed after decompression (their ``.gz`` wrappers were recompressed, the
    decompressed bytes equal the official files); the others as stored.

    Parameters
    ----------
    name : str
        ``"mnist"`` or ``"siftsmall"``.
    folder : str or path-like, optional
        The data folder (default :func:`data_dir`); the dataset's files are in ``folder/name/``.

    Returns
    -------
    dict of str to str
        File name -> sha256 hex digest, as verified.

    Raises
    ------
    FileNotFoundError
        If a file (or the checksum file) is missing.
    ValueError
        If a file's hash differs from the recorded one (the message names the file and both hashes).
    """
    key = _shipped_name(name)
    folder = Path(folder) if folder is not None else data_dir()
    recorded = _recorded_checksums(key, folder)
    decompress = SHIPPED_DATASETS[key]["hash_decompressed"]
    verified = {}
    for file_name in SHIPPED_DATASETS[key]["files"].values():
        path = folder / key / file_name
        if not path.is_file():
            raise FileNotFoundError(f"shipped data file not found: {path}")
        if file_name not in recorded:
            raise ValueError(f"{folder / CHECKSUMS_FILE} records no checksum for {key}/{file_name}")
        try:
            actual = _sha256_of(path, decompress=decompress)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:  # damage the checksum would have reported
            raise ValueError(
                f"checksum check failed for {path}: its gzip stream is damaged ({exc}); the file is damaged or was "
                "replaced: restore it from the repository"
            ) from None
        if actual != recorded[file_name]:
            what = "decompressed content of " if decompress else ""
            raise ValueError(
                f"checksum mismatch for {what}{path}: sha256 {actual}, expected {recorded[file_name]} "
                "(the file is damaged or was replaced)"
            )
        verified[file_name] = actual
    return verified


def _verify_once(name: str, folder: Path) -> None:
    paths = [folder / name / f for f in SHIPPED_DATASETS[name]["files"].values()]
    try:
        stamps = {(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in paths}
    except FileNotFoundError:
        stamps = None  # let verify_checksums name the missing file
    if stamps is not None and stamps <= _VERIFIED:
        return
    verify_checksums(name, folder=folder)
    _VERIFIED.update(stamps or ())


# ---------------------------------------------------------------------------------------- Dataset


def _read_only_view(array: np.ndarray | None) -> np.ndarray | None:
    """A read-only view: the dataset cannot be changed through it, and the caller's array keeps its flags."""
    if array is None:
        return None
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class Dataset:
    """Feature vectors, with optional labels, queries and ground truth.

    Constructing one validates the arrays and converts them to the dtypes below (no copy when they
    already have them); the attributes are read-only views.

    Attributes
    ----------
    name : str
        ``"mnist"``, ``"siftsmall"``, or the file's stem for a dataset loaded by path.
    features : numpy.ndarray, shape (n, d), float32
        The vectors, finite, C-contiguous.
    labels : numpy.ndarray, shape (n,), int64, or None
        Class labels of the vectors.
    queries : numpy.ndarray, shape (nq, d), float32, or None
        Queries that come with the dataset (then the whole ``features`` is the database).
    groundtruth : numpy.ndarray, shape (nq, K0), int64, or None
        Ids of each query's ``K0`` nearest ``features`` rows, if the dataset provides them.
    source : str
        Where the arrays came from (files, reference).
    """

    name: str
    features: np.ndarray
    labels: np.ndarray | None
    queries: np.ndarray | None
    groundtruth: np.ndarray | None
    source: str

    def __post_init__(self) -> None:
        what = f"dataset {self.name!r}"
        if _keeps_mapping(np.asarray(self.features)):  # validated by _as_features; kept memory-mapped
            features = np.asarray(self.features)
        else:
            features = check_matrix(self.features, f"{what} features")
        n, dim = features.shape
        labels = None if self.labels is None else _as_labels(self.labels, n, f"{what} labels")
        queries = None
        if self.queries is not None:
            queries = check_matrix(self.queries, f"{what} queries")
            if queries.shape[1] != dim:
                raise ValueError(f"{what}: features have dimension {dim}, queries have dimension {queries.shape[1]}")
        groundtruth = None
        if self.groundtruth is not None:
            groundtruth = np.ascontiguousarray(self.groundtruth, dtype=np.int64)
            if queries is None or groundtruth.ndim != 2 or groundtruth.shape[0] != queries.shape[0]:
                expected = (
                    "(nq, K0) with one row per query" if queries is not None else "no ground truth without queries"
                )
                raise ValueError(f"{what}: ground truth of shape {groundtruth.shape}, expected {expected}")
            if groundtruth.size and (groundtruth.min() < 0 or groundtruth.max() >= n):
                raise ValueError(
                    f"{what}: ground-truth ids must lie in [0, {n}), got [{groundtruth.min()}, {groundtruth.max()}]"
                )
        for field, array in (
            ("features", features),
            ("labels", labels),
            ("queries", queries),
            ("groundtruth", groundtruth),
        ):
            object.__setattr__(self, field, _read_only_view(array))

    @property
    def n(self) -> int:
        """Number of feature vectors."""
        return int(self.features.shape[0])

    @property
    def dim(self) -> int:
        """Dimension ``d`` of the vectors."""
        return int(self.features.shape[1])

    def __repr__(self) -> str:
        extras = [f"labels={self.labels is not None}"]
        if self.queries is not None:
            extras.append(f"queries={self.queries.shape[0]}")
        if self.groundtruth is not None:
            extras.append(f"groundtruth={self.groundtruth.shape}")
        return f"Dataset(name={self.name!r}, n={self.n}, dim={self.dim}, {', '.join(extras)})"


#: float32 files at least this large stay memory-mapped instead of being read into memory
LARGE_FILE_BYTES = 1 << 28


def _is_memory_mapped(array: np.ndarray) -> bool:
    base = array
    while base is not None:
        if isinstance(base, np.memmap):
            return True
        base = getattr(base, "base", None)
    return False


def _check_mapped_matrix(array: np.ndarray, what: str, rows_per_chunk: int = 1 << 16) -> np.ndarray:
    """Validate a memory-mapped float32 matrix a chunk of rows at a time, without copying it."""
    for start in range(0, array.shape[0], rows_per_chunk):
        try:
            check_finite(array[start : start + rows_per_chunk], what)
        except ValueError as exc:
            raise ValueError(f"{exc} (rows from {start:,})") from None
    return array


def _as_features(array: np.ndarray, what: str) -> np.ndarray:
    """Vectors read from a file: images (n, h, w) flattened and validated.

    Small files are copied into memory of their own (so the file is not held open); a float32 file of
    at least :data:`LARGE_FILE_BYTES` (a 1,000,000 × 960 base: 3.8 GB) stays memory-mapped, read only
    where it is used.
    """
    array = np.asarray(array)
    if array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    if _keeps_mapping(array):
        return _check_mapped_matrix(array, what)
    features = check_matrix(array, what)
    if _is_memory_mapped(features):
        features = np.array(features)  # own the memory, so the file is not held open
    return features


def _keeps_mapping(array: np.ndarray) -> bool:
    return (array.ndim == 2 and array.dtype == np.float32 and array.size > 0 and array.nbytes >= LARGE_FILE_BYTES
            and _is_memory_mapped(array))


def _as_labels(array: np.ndarray, n: int, what: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 2 and 1 in array.shape:
        array = array.ravel()
    if array.ndim != 1:
        raise ValueError(f"{what}: expected one label per vector (shape ({n},)), got shape {array.shape}")
    if array.shape[0] != n:
        raise ValueError(f"{what}: {array.shape[0]} labels for {n} vectors")
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"{what}: labels must be integer class ids")
    elif not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what}: labels must be integer class ids, got dtype {array.dtype}")
    return np.array(array, dtype=np.int64)


def _load_mnist(folder: Path) -> Dataset:
    files = SHIPPED_DATASETS["mnist"]["files"]
    parts = []
    for images_key, labels_key in (("train_images", "train_labels"), ("test_images", "test_labels")):
        images = read_idx(folder / files[images_key])
        labels = read_idx(folder / files[labels_key])
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{folder}: MNIST {images_key} {images.shape} and {labels_key} {labels.shape} do not match"
            )
        parts.append((images.reshape(images.shape[0], -1), labels))
    pixels = np.concatenate([images for images, _ in parts])
    features = pixels.astype(np.float32) / np.float32(255.0)
    labels = np.concatenate([labels for _, labels in parts]).astype(np.int64)
    return Dataset(
        name="mnist",
        features=features,
        labels=labels,
        queries=None,
        groundtruth=None,
        source=f"MNIST (LeCun, Cortes & Burges; CC BY-SA 3.0), {folder}: 60,000 train then 10,000 test images",
    )


def _load_siftsmall(folder: Path) -> Dataset:
    files = SHIPPED_DATASETS["siftsmall"]["files"]
    base = _as_features(read_fvecs(folder / files["base"]), "siftsmall base")
    queries = _as_features(read_fvecs(folder / files["query"]), "siftsmall queries")
    groundtruth = np.array(read_ivecs(folder / files["groundtruth"]), dtype=np.int64)
    if groundtruth.shape[0] != queries.shape[0]:
        raise ValueError(f"{folder}: {groundtruth.shape[0]} ground-truth rows for {queries.shape[0]} queries")
    return Dataset(
        name="siftsmall",
        features=base,
        labels=None,
        queries=queries,
        groundtruth=groundtruth,
        source=f"ANN_SIFT10K, TEXMEX corpus (Jégou, Douze & Schmid 2011), {folder}",
    )


def load_dataset(
    name_or_path: str | PathLike,
    *,
    labels: PathLike | None = None,
    queries: PathLike | None = None,
    key: str | None = None,
    label_column: int | None = None,
    verify: bool = True,
) -> Dataset:
    """Load a shipped dataset by name, or any supported array file by path.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"mnist"``, ``"siftsmall"`` (case-insensitive), or a file ending in one of
        :data:`sigah.readers.SUPPORTED_EXTENSIONS`. Images ``(n, h, w)`` are flattened to ``(n, h*w)``;
        values are converted to float32 as they are (only MNIST is rescaled, to pixel / 255).
    labels : str or path-like, optional
        A file of ``n`` integer labels, for a dataset loaded by path.
    queries : str or path-like, optional
        A file of query vectors of the same dimension, for a dataset loaded by path.
    key : str, optional
        Array name inside a ``.npz``/``.mat`` data file.
    label_column : int, optional
        For a ``.csv``/``.txt`` data file: the column holding integer labels.
    verify : bool
        Check the shipped files' sha256 against ``data/checksums.json`` (once per process).

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        If the name is neither a shipped dataset nor an existing file.
    ValueError
        Malformed files, NaN/inf values (with their count and first position), a dimension mismatch
        between data and queries, a label count that differs from the number of vectors.
    """
    text = os.fspath(name_or_path)
    shipped = text.lower() in SHIPPED_DATASETS and not Path(text).is_file()
    if shipped:
        if labels is not None or queries is not None or key is not None or label_column is not None:
            raise ValueError(f"labels/queries/key/label_column apply to files, not to the shipped dataset {text!r}")
        name = text.lower()
        folder = data_dir()
        if not (folder / name).is_dir():
            raise FileNotFoundError(
                f"shipped data folder not found: {folder / name}; the shipped datasets are in the data/ folder of "
                "the sigah-book repository: run from a checkout, or set SIGAH_DATA_DIR to that data/ folder "
                f"(it holds {', '.join(sorted(SHIPPED_DATASETS))} and checksums.json)"
            )
        if verify:
            _verify_once(name, folder)
        return _load_mnist(folder / name) if name == "mnist" else _load_siftsmall(folder / name)

    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(
            f"no such file: {path} (and not a shipped dataset: expected one of {sorted(SHIPPED_DATASETS)} or a path)"
        )
    if path.is_dir():
        raise IsADirectoryError(
            f"{path} is a directory, expected a data file ({', '.join(SUPPORTED_EXTENSIONS)}) or a shipped dataset "
            f"name ({', '.join(sorted(SHIPPED_DATASETS))})"
        )
    column_labels = None
    if label_column is not None:
        if path.suffix.lower() not in (".csv", ".txt"):
            raise ValueError(f"label_column applies to .csv/.txt files, not to {path}")
        raw, column_labels = read_csv(path, label_column=label_column)
    else:
        raw = load_array(path, key=key)
    features = _as_features(raw, str(path))
    label_array = None
    if labels is not None and column_labels is not None:
        raise ValueError("give labels either as a file or as label_column, not both")
    if labels is not None:
        label_array = _as_labels(load_array(labels), features.shape[0], str(labels))
    elif column_labels is not None:
        label_array = _as_labels(column_labels, features.shape[0], f"{path} column {label_column}")
    query_array = None
    if queries is not None:
        query_array = _as_features(load_array(queries), str(queries))
        if query_array.shape[1] != features.shape[1]:
            raise ValueError(
                f"dimension mismatch: data {path} has dimension {features.shape[1]}, "
                f"queries {queries} have dimension {query_array.shape[1]}"
            )
    sources = [str(path)] + [f"{what} {p}" for what, p in (("labels", labels), ("queries", queries)) if p is not None]
    return Dataset(
        name=path.name.split(".")[0] or path.name,
        features=features,
        labels=label_array,
        queries=query_array,
        groundtruth=None,
        source=", ".join(sources),
    )


# --------------------------------------------------------------------------------------- Protocol


@dataclass(frozen=True, eq=False)
class Protocol:
    """A split of a dataset into queries, database and training set.

    Attributes
    ----------
    name : str
        The dataset's name.
    queries : numpy.ndarray, shape (nq, d), float32
    database : numpy.ndarray, shape (nb, d), float32
        The vectors searched (and, by default, the training set: then ``train is database``).
    train : numpy.ndarray, shape (nt, d), float32
    query_labels, database_labels : numpy.ndarray of int64, or None
    query_index : numpy.ndarray, shape (nq,), int64, or None
        Rows of ``dataset.features`` used as queries; ``None`` for the dataset's own (external) queries.
    database_index : numpy.ndarray, shape (nb,), int64
    train_index : numpy.ndarray, shape (nt,), int64
        Rows of ``dataset.features`` (sorted ascending).
    seed : int
    description : str
        One sentence, e.g. "MNIST: 1,000 random queries, 69,000 database = training points, seed 0".
    groundtruth : numpy.ndarray, shape (nq, K0), int64, or None
        The dataset's own ground truth, indices into ``database``, when it still applies (own queries,
        whole database); ``None`` otherwise.
    """

    name: str
    queries: np.ndarray
    database: np.ndarray
    train: np.ndarray
    query_labels: np.ndarray | None
    database_labels: np.ndarray | None
    query_index: np.ndarray | None
    database_index: np.ndarray
    train_index: np.ndarray
    seed: int
    description: str
    groundtruth: np.ndarray | None = None

    @property
    def n_queries(self) -> int:
        return int(self.queries.shape[0])

    @property
    def n_database(self) -> int:
        return int(self.database.shape[0])

    @property
    def n_train(self) -> int:
        return int(self.train.shape[0])

    @property
    def dim(self) -> int:
        return int(self.database.shape[1])

    @functools.cached_property
    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        # What exact ground truth depends on: the query and database vectors (and where they came from).
        for label, array in (
            ("queries", self.queries),
            ("database", self.database),
            ("query_index", self.query_index),
            ("database_index", self.database_index),
        ):
            digest.update(label.encode())
            if array is None:
                digest.update(b"none")
            else:
                digest.update(f"{array.dtype.str}{array.shape}".encode())
                rows = max(1, (1 << 26) // max(1, array[:1].nbytes))
                for start in range(0, array.shape[0], rows):  # chunks: no copy of a memory-mapped database
                    digest.update(memoryview(np.ascontiguousarray(array[start : start + rows])).cast("B"))
        return digest.hexdigest()[:16]

    def fingerprint(self) -> str:
        """A short sha256 hex digest (16 characters) of the queries, database and their indices.

        Equal fingerprints mean equal query and database arrays, so a cached ground truth keyed by it
        (and by ``k``) can be reused. The training set is left out: ground truth does not depend on it.
        """
        return self._fingerprint

    def __repr__(self) -> str:
        return f"Protocol({self.description!r}, fingerprint={self.fingerprint()!r})"


def _display_name(dataset: Dataset) -> str:
    return SHIPPED_DATASETS.get(dataset.name, {}).get("display", dataset.name)


def _check_count(value: int | None, name: str, low: int, high: int, context: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}] ({context}), got {value}")
    return int(value)


def _take(array: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
    return None if array is None else array[index]


def make_protocol(
    dataset: Dataset,
    n_queries: int = 1000,
    seed: int = 0,
    n_database: int | None = None,
    n_train: int | None = None,
) -> Protocol:
    """Split ``dataset`` into queries, database and training set (the paper's protocol by default).

    If the dataset has its own queries (``siftsmall``, or a queries file) they are used as they are and
    ``n_queries`` is ignored; the whole ``features`` is the database. Otherwise ``n_queries`` rows drawn
    at random (``numpy.random.default_rng(seed)``) are the queries and all other rows the database.
    ``n_database`` then subsamples the database (for CI-sized runs) and ``n_train`` subsamples the
    training set from the database; by default the training set is the database itself.

    Parameters
    ----------
    dataset : Dataset
    n_queries : int
        Number of random queries, in ``[1, n - 1]``.
    seed : int
        Seed of every random draw.
    n_database : int, optional
        Keep this many database points, drawn at random (at most the number available).
    n_train : int, optional
        Train on this many database points, drawn at random (at most the database size).

    Returns
    -------
    Protocol
        Indices are sorted; arrays are new copies (``train is database`` when not subsampled), except
        that a memory-mapped dataset used whole is the database itself, read-only.
    """
    if not isinstance(dataset, Dataset):
        raise ValueError(f"dataset must be a sigah.data.Dataset, got {type(dataset).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    n = dataset.n
    own_queries = dataset.queries is not None
    if own_queries:
        _check_count(n_queries, "n_queries", 1, np.iinfo(np.int64).max, "ignored: the dataset has its own queries")
        query_index = None
        available = np.arange(n, dtype=np.int64)
    else:
        if n < 2:
            raise ValueError(f"dataset {dataset.name!r} has {n} vector(s); a query/database split needs at least 2")
        _check_count(n_queries, "n_queries", 1, n - 1, f"dataset {dataset.name!r} has {n} vectors")
        order = rng.permutation(n)
        query_index = np.sort(order[:n_queries]).astype(np.int64)
        available = np.sort(order[n_queries:]).astype(np.int64)
    n_database = _check_count(n_database, "n_database", 1, available.size, f"{available.size:,} available")
    database_index = available
    if n_database is not None and n_database < available.size:
        database_index = np.sort(rng.choice(available, size=n_database, replace=False)).astype(np.int64)
    n_train = _check_count(n_train, "n_train", 1, database_index.size, f"database of {database_index.size:,}")
    subsample_train = n_train is not None and n_train < database_index.size

    queries = dataset.queries.copy() if own_queries else dataset.features[query_index]
    if database_index.size == n and _is_memory_mapped(dataset.features):
        database = dataset.features  # the whole memory-mapped file: no 4 GB copy (it is read-only)
    else:
        database = dataset.features[database_index]
    if subsample_train:
        train_index = np.sort(rng.choice(database_index, size=n_train, replace=False)).astype(np.int64)
        train = dataset.features[train_index]
    else:
        train_index, train = database_index, database
    labels = dataset.labels
    groundtruth = None
    if own_queries and dataset.groundtruth is not None and database_index.size == n:
        groundtruth = dataset.groundtruth.copy()

    display = _display_name(dataset)
    if own_queries:
        query_text = f"the {queries.shape[0]:,} given queries"
    else:
        query_text = f"{queries.shape[0]:,} random queries"
    subset_text = f" (a random subset of {available.size:,})" if database_index.size < available.size else ""
    if subsample_train:
        train_text = (
            f"{database.shape[0]:,} database points{subset_text}, "
            f"{train.shape[0]:,} training points drawn from the database"
        )
    else:
        train_text = f"{database.shape[0]:,} database = training points{subset_text}"
    description = f"{display}: {query_text}, {train_text}, seed {seed}"

    return Protocol(
        name=dataset.name,
        queries=queries,
        database=database,
        train=train,
        query_labels=None if labels is None or own_queries else labels[query_index],
        database_labels=_take(labels, database_index),
        query_index=_read_only_view(query_index),
        database_index=_read_only_view(database_index),
        train_index=_read_only_view(train_index),
        seed=int(seed),
        description=description,
        groundtruth=groundtruth,
    )


def protocol_from_files(
    data_path: PathLike,
    queries_path: PathLike | None = None,
    *,
    labels_path: PathLike | None = None,
    n_queries: int = 1000,
    seed: int = 0,
    n_database: int | None = None,
    n_train: int | None = None,
    key: str | None = None,
    label_column: int | None = None,
) -> Protocol:
    """Load a data file (and optional queries and labels files) and split it with :func:`make_protocol`.

    With ``queries_path`` the queries are used as given and the whole data file is the database;
    without it, ``n_queries`` random rows of the data file become the queries. ``data_path`` may also
    be a shipped dataset name. Parameters as in :func:`load_dataset` and :func:`make_protocol`.

    Returns
    -------
    Protocol
    """
    dataset = load_dataset(data_path, labels=labels_path, queries=queries_path, key=key, label_column=label_column)
    return make_protocol(dataset, n_queries=n_queries, seed=seed, n_database=n_database, n_train=n_train)
