"""Array file formats: read them into NumPy (and write the binary ones back, for tests and conversions).

Supported formats
-----------------
IDX (``.idx``, ``*-ubyte``, optionally ``.gz``)
    MNIST's format: two zero bytes, a type code, the number of dimensions, then each dimension as a
    big-endian ``int32``, then the values, big-endian.
``.fvecs`` / ``.ivecs`` / ``.bvecs``
    TEXMEX's formats (SIFT, GIST, Deep1B): every record is a little-endian ``int32`` dimension ``d``
    followed by ``d`` values (``float32``, ``int32`` or ``uint8``).
``.npy`` / ``.npz``, ``.mat`` (MATLAB, via :func:`scipy.io.loadmat`), ``.csv`` / ``.txt`` (numeric text).

:func:`load_array` picks the reader from the file name. Uncompressed binary files are memory-mapped,
so reading a large base file costs no copy until the values are used.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import tarfile
import zlib
from pathlib import Path

import numpy as np

from sigah.storage import atomic_open

__all__ = [
    "load_array",
    "read_cifar10",
    "read_idx",
    "read_fvecs",
    "read_ivecs",
    "read_bvecs",
    "read_npy",
    "check_npz_sizes",
    "read_mat",
    "read_csv",
    "write_idx",
    "write_fvecs",
    "write_ivecs",
    "write_bvecs",
    "SUPPORTED_EXTENSIONS",
]

PathLike = str | os.PathLike

# IDX type codes (third byte of the magic number) -> big-endian dtype.
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dtype.newbyteorder("="): code for code, dtype in _IDX_DTYPES.items()}

SUPPORTED_EXTENSIONS = (
    ".idx",
    "-ubyte",
    ".idx.gz",
    "-ubyte.gz",
    ".fvecs",
    ".ivecs",
    ".bvecs",
    ".npy",
    ".npz",
    ".mat",
    ".csv",
    ".txt",
)


def _existing_file(path: PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, expected a data file")
    if not path.is_file():
        raise FileNotFoundError(f"not a regular file: {path}")
    return path


# --------------------------------------------------------------------------------------------- IDX


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


#: a gzip-compressed IDX file may decompress to this many bytes whatever its size (MNIST's largest
#: file: 47 MB), or to this many times its compressed size. Real data compress far less (MNIST 5:1);
#: a header claiming more is a "gzip bomb" (deflate reaches about 1000:1 on constant bytes), refused
#: before any allocation. Plain IDX files are memory-mapped and have no such limit.
GZIP_IDX_FREE_BYTES = 64 << 20
GZIP_IDX_MAX_RATIO = 200


def _idx_header(path: Path, header: bytes) -> tuple[np.dtype, int]:
    """The dtype and number of dimensions of a 4-byte IDX magic number, or a one-sentence error."""
    if len(header) < 4 or header[0] != 0 or header[1] != 0:
        raise ValueError(
            f"{path}: not an IDX file (magic bytes {header.hex() or 'missing'}, expected 0000<type><ndim>)"
        )
    code, ndim = header[2], header[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X}, expected one of {known}")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions, expected at least 1")
    return _IDX_DTYPES[code], ndim


def _size_mismatch(path: Path, shape: tuple[int, ...], dtype: np.dtype, expected: int, held: str) -> ValueError:
    return ValueError(
        f"{path}: IDX payload size mismatch: header shape {shape} of {dtype.newbyteorder('=')} needs "
        f"{expected} bytes in all, the file holds {held}"
    )


def _read_idx_gzip(path: Path) -> np.ndarray:
    """A gzip-compressed IDX file, decompressed as a stream into an array of the size its header gives.

    Nothing beyond the declared payload is decompressed, and a header declaring more than the
    compressed file can hold is refused at once: a small file cannot make the reader allocate
    gigabytes (a "gzip bomb").
    """
    compressed = path.stat().st_size
    try:
        with gzip.open(path, "rb") as fh:
            dtype, ndim = _idx_header(path, fh.read(4))
            offset = 4 + 4 * ndim
            dims_bytes = fh.read(4 * ndim)
            if len(dims_bytes) < 4 * ndim:
                raise ValueError(f"{path}: truncated IDX header ({4 + len(dims_bytes)} bytes, expected at least {offset})")
            shape = tuple(int(d) for d in np.frombuffer(dims_bytes, dtype=">i4"))
            payload = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            limit = max(GZIP_IDX_FREE_BYTES, GZIP_IDX_MAX_RATIO * compressed)
            if min(shape) < 0 or payload > limit:
                raise ValueError(
                    f"{path}: IDX header shape {shape} of {dtype.newbyteorder('=')} asks for {offset + payload:,} "
                    f"bytes from {compressed:,} compressed ones, expected at most {limit:,} (a damaged header or a "
                    "gzip bomb); if the data are real, decompress the file and give the plain IDX file"
                )
            buffer = bytearray(payload)
            view, filled = memoryview(buffer), 0
            while filled < payload:
                got = fh.readinto(view[filled:])
                if not got:
                    raise _size_mismatch(path, shape, dtype, offset + payload, str(offset + filled))
                filled += got
            if fh.read(1):  # more after the payload: not decompressed any further
                raise _size_mismatch(path, shape, dtype, offset + payload, "more")
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt gzip stream ({exc})") from None
    return np.frombuffer(buffer, dtype=dtype).reshape(shape)


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed, detected from the content).

    Parameters
    ----------
    path : str or path-like
        An IDX file such as ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        Shape as stored (e.g. ``(60000, 28, 28)`` for MNIST images, ``(60000,)`` for labels), in the
        stored type converted to native byte order (``uint8`` for MNIST). Plain ``uint8`` files are
        memory-mapped read-only.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the magic number, the type code or the number of dimensions is invalid, the payload size
        does not match the dimensions in the header, or the gzip stream is damaged.
    """
    path = _existing_file(path)
    if _is_gzip(path):
        array = _read_idx_gzip(path)
    else:
        size = path.stat().st_size
        dtype, ndim = _idx_header(path, _read_bytes(path, 0, 4))
        offset = 4 + 4 * ndim
        if size < offset:
            raise ValueError(f"{path}: truncated IDX header ({size} bytes, expected at least {offset})")
        shape = tuple(int(d) for d in np.frombuffer(_read_bytes(path, 4, 4 * ndim), dtype=">i4"))
        expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if min(shape) < 0 or size != expected:
            raise _size_mismatch(path, shape, dtype, expected, str(size))
        array = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    if array.dtype.byteorder == ">":  # big-endian on disk: convert once to native order
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _read_bytes(path: Path, offset: int, count: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(offset)
        return fh.read(count)


def write_idx(path: PathLike, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination; gzip-compressed when ``compress`` is true (default: when the name ends in ``.gz``).
    array : numpy.ndarray
        Any shape with at least one dimension; dtype uint8, int8, int16, int32, float32 or float64.
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _IDX_CODES or array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"cannot write dtype {array.dtype} with {array.ndim} dimensions as IDX")
    code = _IDX_CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()
    if compress is None:
        compress = str(path).endswith(".gz")
    with atomic_open(path, "wb") as fh:
        fh.write(gzip.compress(payload) if compress else payload)


# ------------------------------------------------------------------------------ fvecs/ivecs/bvecs


def _read_vecs(path: PathLike, value_dtype: str) -> np.ndarray:
    """Shared reader for the TEXMEX formats: records of ``int32 d`` then ``d`` values."""
    path = _existing_file(path)
    value_dtype = np.dtype(value_dtype)
    size = path.stat().st_size
    if size < 4:
        raise ValueError(f"{path}: empty or truncated file ({size} bytes), expected at least one record")
    dim = int(np.fromfile(path, dtype="<i4", count=1)[0])
    if dim <= 0:
        raise ValueError(f"{path}: record 0 declares dimension {dim}, expected a positive integer")
    record_bytes = 4 + dim * value_dtype.itemsize
    n_full = size // record_bytes
    # Memory-map the whole records as raw bytes; headers and values are views of it.
    raw = np.memmap(path, dtype=np.uint8, mode="r", shape=(n_full, record_bytes)) if n_full else None
    if raw is not None:
        dims = np.ascontiguousarray(raw[:, :4]).view("<i4").ravel()
        bad = np.flatnonzero(dims != dim)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{path}: record {i} declares dimension {int(dims[i])}, but record 0 declares {dim} "
                "(inconsistent record dimensions)"
            )
    if size != n_full * record_bytes:
        raise ValueError(
            f"{path}: truncated last record {n_full}: {size - n_full * record_bytes} bytes left over, a record "
            f"of dimension {dim} needs {record_bytes} bytes ({n_full} complete records)"
        )
    if value_dtype.itemsize == 4:
        # 4-byte values: view the file as (n, d + 1) words and drop the header column (no copy).
        words = np.memmap(path, dtype=value_dtype.newbyteorder("<"), mode="r", shape=(n_full, dim + 1))
        values = words[:, 1:]
    else:
        values = raw[:, 4:].view(value_dtype)
    return values


def read_fvecs(path: PathLike) -> np.ndarray:
    """Read a ``.fvecs`` file.

    Returns
    -------
    numpy.ndarray, shape (n, d), float32
        A read-only memory-mapped view (not C-contiguous: each row skips its 4-byte header).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a record's dimension differs from the first record's, or the last record is truncated.
    """
    return _read_vecs(path, "<f4")


def read_ivecs(path: PathLike) -> np.ndarray:
    """Read a ``.ivecs`` file (e.g. ground-truth neighbour ids).

    Returns
    -------
    numpy.ndarray, shape (n, d), int32
        A read-only memory-mapped view. Errors as for :func:`read_fvecs`.
    """
    return _read_vecs(path, "<i4")


def read_bvecs(path: PathLike) -> np.ndarray:
    """Read a ``.bvecs`` file (e.g. SIFT1B).

    Returns
    -------
    numpy.ndarray, shape (n, d), uint8
        A read-only memory-mapped view. Errors as for :func:`read_fvecs`.
    """
    return _read_vecs(path, "u1")


def _write_vecs(path: PathLike, array: np.ndarray, value_dtype: str) -> None:
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError(f"expected a 2-D array with at least one column, got shape {array.shape}")
    values = np.ascontiguousarray(array, dtype=value_dtype)
    n, dim = values.shape
    records = np.empty((n, 4 + values.itemsize * dim), dtype=np.uint8)
    records[:, :4] = np.frombuffer(np.int32(dim).astype("<i4").tobytes(), dtype=np.uint8)
    records[:, 4:] = values.view(np.uint8).reshape(n, -1)
    with atomic_open(path, "wb") as fh:
        fh.write(records.tobytes())


def write_fvecs(path: PathLike, array: np.ndarray) -> None:
    """Write a 2-D array as ``.fvecs`` (float32), atomically."""
    _write_vecs(path, array, "<f4")


def write_ivecs(path: PathLike, array: np.ndarray) -> None:
    """Write a 2-D integer array as ``.ivecs`` (int32), atomically."""
    _write_vecs(path, array, "<i4")


def write_bvecs(path: PathLike, array: np.ndarray) -> None:
    """Write a 2-D array of values 0..255 as ``.bvecs`` (uint8), atomically."""
    array = np.asarray(array)
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError(f"bvecs values must lie in 0..255, got range [{array.min()}, {array.max()}]")
    _write_vecs(path, array, "u1")


# ------------------------------------------------------------------------------- npy / npz / mat


def _pick_key(path: Path, arrays: dict, key: str | None) -> np.ndarray:
    keys = sorted(arrays)
    if key is not None:
        if key not in arrays:
            raise ValueError(f"{path}: no array named {key!r}; the file holds {keys}")
        return arrays[key]
    if len(keys) == 1:
        return arrays[keys[0]]
    if not keys:
        raise ValueError(f"{path}: the file holds no arrays")
    raise ValueError(f"{path}: the file holds several arrays {keys}, expected one; save the one to use "
                     f"alone (in Python, load_array(path, key=NAME) picks one)")


#: the most a deflate stream can expand (its longest match is 258 bytes from a 2-bit code: 1032 to 1)
_DEFLATE_MAX_RATIO = 1032


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _claimed_bytes(header: tuple, path: Path, member: str) -> int:
    shape, _, dtype = header
    if dtype.hasobject:
        raise ValueError(f"{path}: array {member!r} holds Python objects, expected numbers")
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def check_npz_sizes(path: PathLike) -> None:
    """Refuse a ``.npz`` whose arrays claim more bytes than the archive can hold, before any is read.

    Each member's ``.npy`` header gives a shape and a dtype; reading it allocates their product
    first. A crafted header (a few bytes claiming terabytes) must therefore be caught here: the
    claimed array must fit in the member's stated size, that size in what its compression can give
    (deflate expands at most 1032-fold; members stored uncompressed not at all), and the array in
    the machine's memory.

    Raises
    ------
    ValueError
        Naming the file, the array, its shape and the bytes it claims, when a bound is broken or
        the archive is not a zip file.
    """
    import zipfile

    path = Path(path)
    memory = _memory_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.compress_type == zipfile.ZIP_STORED:
                    limit = info.compress_size
                elif info.compress_type == zipfile.ZIP_DEFLATED:
                    limit = info.compress_size * _DEFLATE_MAX_RATIO
                else:
                    limit = info.file_size
                name = info.filename.removesuffix(".npy")
                if info.file_size > limit:
                    raise ValueError(f"{path}: array {name!r} claims {info.file_size:,} bytes from "
                                     f"{info.compress_size:,} compressed, more than its compression can give")
                with archive.open(info) as member:
                    try:
                        version = np.lib.format.read_magic(member)
                        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                       else np.lib.format.read_array_header_2_0)
                        header = read_header(member)
                    except ValueError as exc:
                        raise ValueError(f"{path}: member {info.filename!r} is not a NumPy array ({exc})") from None
                    available = info.file_size - member.tell()
                claimed = _claimed_bytes(header, path, name)
                if claimed > available or (memory is not None and claimed > memory):
                    bound = (f"the archive holds {available:,}" if claimed > available
                             else f"this machine has {memory:,} bytes of memory")
                    raise ValueError(f"{path}: array {name!r} claims shape {tuple(header[0])} of "
                                     f"{header[2]} ({claimed:,} bytes), but {bound}")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npz archive ({exc})") from None


def read_npy(path: PathLike, key: str | None = None) -> np.ndarray:
    """Read a ``.npy`` array (memory-mapped) or one array of a ``.npz`` archive.

    Parameters
    ----------
    path : str or path-like
    key : str, optional
        Name of the array inside a ``.npz``; needed when it holds several.

    Returns
    -------
    numpy.ndarray
    """
    path = _existing_file(path)
    is_npz = path.suffix.lower() == ".npz"
    if is_npz:
        check_npz_sizes(path)  # before np.load, which allocates whatever a header claims
    try:
        if is_npz:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {k: archive[k] for k in archive.files}
        else:
            return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, EOFError, ValueError) as exc:  # how np.load reports a malformed file
        raise ValueError(f"{path}: not a readable NumPy file ({exc})") from exc
    return _pick_key(path, arrays, key)


def read_mat(path: PathLike, key: str | None = None) -> np.ndarray:
    """Read one array from a MATLAB ``.mat`` file.

    Files up to version 7 are read with :func:`scipy.io.loadmat`. Version 7.3 files are HDF5: they are
    read with ``h5py`` when it is installed (arrays transposed back from MATLAB's column-major order),
    otherwise a ``ValueError`` explains how to convert them.

    Parameters
    ----------
    path : str or path-like
    key : str, optional
        Variable name; needed when the file holds several variables.

    Returns
    -------
    numpy.ndarray
    """
    import scipy.io

    path = _existing_file(path)
    try:
        variables = scipy.io.loadmat(path)
    except NotImplementedError:  # scipy's signal for a v7.3 (HDF5) file
        return _read_mat_hdf5(path, key)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path}: not a readable MATLAB file ({exc})") from exc
    arrays = {k: v for k, v in variables.items() if not k.startswith("__")}
    return np.asarray(_pick_key(path, arrays, key))


def _read_mat_hdf5(path: Path, key: str | None) -> np.ndarray:
    try:
        import h5py
    except ImportError:
        raise ValueError(
            f"{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read. Install h5py, or re-save it in "
            "MATLAB with save(file, '-v7') or as .npy/.csv"
        ) from None
    with h5py.File(path, "r") as fh:
        arrays = {k: v for k, v in fh.items() if isinstance(v, h5py.Dataset) and not k.startswith("#")}
        return np.asarray(_pick_key(path, arrays, key)[()]).T


# --------------------------------------------------------------------------------------- csv/txt


def _sniff_delimiter(line: str) -> str | None:
    for delimiter in (",", "\t", ";"):
        if delimiter in line:
            return delimiter
    return None  # whitespace


def _is_numeric_row(line: str, delimiter: str | None) -> bool:
    try:
        [float(field) for field in line.split(delimiter) if field.strip() != ""]
    except ValueError:
        return False
    return True


def read_csv(
    path: PathLike, *, label_column: int | None = None, delimiter: str | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a numeric text table (``.csv``, ``.txt``), one vector a row.

    A first line that does not parse as numbers is taken as a header and skipped. The delimiter is
    guessed from the first line (comma, tab, semicolon, else whitespace) unless given.

    Parameters
    ----------
    path : str or path-like
    label_column : int, optional
        Index (negative counts from the end) of a column of integer class labels, split off the features.
    delimiter : str, optional
        Field separator; guessed when omitted.

    Returns
    -------
    features : numpy.ndarray, shape (n, d), float64
    labels : numpy.ndarray, shape (n,), int64, or None
        ``None`` when ``label_column`` is None.
    """
    path = _existing_file(path)
    with open(path, encoding="utf-8") as fh:
        first = next((line for line in fh if line.strip()), None)
    if first is None:
        raise ValueError(f"{path}: empty text file, expected rows of numbers")
    if delimiter is None:
        delimiter = _sniff_delimiter(first)
    has_header = not _is_numeric_row(first, delimiter)
    try:
        table = np.loadtxt(path, delimiter=delimiter, skiprows=int(has_header), ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path}: not a numeric table ({exc})") from exc
    if table.size == 0:
        raise ValueError(f"{path}: no data rows, expected rows of numbers")
    if label_column is None:
        return table, None
    n_columns = table.shape[1]
    if not -n_columns <= label_column < n_columns or n_columns < 2:
        raise ValueError(f"{path}: label_column {label_column} out of range for {n_columns} columns")
    labels = table[:, label_column]
    if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
        raise ValueError(f"{path}: label column {label_column} holds non-integer values, expected class ids")
    features = np.delete(table, label_column % n_columns, axis=1)
    return features, labels.astype(np.int64)


# ----------------------------------------------------------------------------------------- CIFAR-10

_CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
# what the official pickles need to rebuild their arrays, and nothing else: unpickling runs code,
# so a file that asks for any other global is refused instead of executed
_CIFAR10_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 spell a bytes object
}


class _Cifar10Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle's signature
        if (module, name) not in _CIFAR10_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: not part of a CIFAR-10 batch")
        return super().find_class(module, name)


def _cifar10_batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _Cifar10Unpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # a corrupt or foreign pickle: say which member
        raise ValueError(f"{where}: not a CIFAR-10 batch pickle ({exc})") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(f"{where}: expected a dict with keys b'data' and b'labels', got {keys}")
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (data.shape[0],):
        raise ValueError(
            f"{where}: expected data (n, 3072) uint8 and n labels, got data {data.shape} {data.dtype} and "
            f"labels {labels.shape}"
        )
    # each row: 1,024 red, then green, then blue values of a 32 × 32 image in row-major order
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.int64)


def read_cifar10(path: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read CIFAR-10's official "python version" (``cifar-10-python.tar.gz``, or its extracted folder).

    The archive holds a folder ``cifar-10-batches-py`` with the pickled batches ``data_batch_1`` to
    ``data_batch_5`` (the training split, 50,000 images) and ``test_batch`` (10,000 images), each a
    dict with ``b"data"`` (n, 3072) uint8 and ``b"labels"`` (n integers 0-9). Only the globals
    numpy needs to rebuild those arrays are allowed while unpickling.

    Parameters
    ----------
    path : str or path-like
        The ``.tar.gz`` archive, or a folder holding the six batch files.

    Returns
    -------
    train_images : numpy.ndarray, shape (n_train, 32, 32, 3), uint8
    train_labels : numpy.ndarray, shape (n_train,), int64
    test_images : numpy.ndarray, shape (n_test, 32, 32, 3), uint8
    test_labels : numpy.ndarray, shape (n_test,), int64

    Raises
    ------
    FileNotFoundError
        No such file or folder.
    ValueError
        Not a tar archive, a batch missing, or a batch that is not a CIFAR-10 pickle.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    raw: dict[str, bytes] = {}
    if path.is_dir():
        for name in _CIFAR10_BATCHES:
            member = next((p for p in (path / name, path / "cifar-10-batches-py" / name) if p.is_file()), None)
            if member is not None:
                raw[name] = member.read_bytes()
    else:
        if not tarfile.is_tarfile(path):
            raise ValueError(f"{path}: not a tar archive; expected CIFAR-10's cifar-10-python.tar.gz")
        with tarfile.open(path, "r:*") as archive:
            for member in archive.getmembers():
                name = Path(member.name).name
                if member.isfile() and name in _CIFAR10_BATCHES:
                    raw[name] = archive.extractfile(member).read()
    missing = [name for name in _CIFAR10_BATCHES if name not in raw]
    if missing:
        raise ValueError(f"{path}: CIFAR-10 batches missing: {', '.join(missing)} (expected {', '.join(_CIFAR10_BATCHES)})")
    batches = [_cifar10_batch(raw[name], f"{path}:{name}") for name in _CIFAR10_BATCHES]
    train_images = np.concatenate([images for images, _ in batches[:5]])
    train_labels = np.concatenate([labels for _, labels in batches[:5]])
    return train_images, train_labels, batches[5][0], batches[5][1]


# ------------------------------------------------------------------------------------- dispatch


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
        return "idx" if name.endswith((".idx", "-ubyte")) or re.search(r"idx\d$", name) else None
    if name.endswith((".idx", "-ubyte")) or re.search(r"\.idx\d$", name):
        return "idx"
    return {
        ".fvecs": "fvecs",
        ".ivecs": "ivecs",
        ".bvecs": "bvecs",
        ".npy": "npy",
        ".npz": "npy",
        ".mat": "mat",
        ".csv": "csv",
        ".txt": "csv",
    }.get(path.suffix.lower())


def load_array(path: PathLike, key: str | None = None) -> np.ndarray:
    """Read an array from any supported file, choosing the reader from the file name.

    Parameters
    ----------
    path : str or path-like
        A file ending in one of :data:`SUPPORTED_EXTENSIONS`.
    key : str, optional
        Array name inside a ``.npz`` or ``.mat`` file.

    Returns
    -------
    numpy.ndarray
        As returned by the matching ``read_*`` function (for text files, the whole numeric table).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the extension is not supported or the content is malformed.
    """
    path = Path(path)
    kind = _format_of(path)
    if path.is_dir():  # before the name: a folder is never the file meant, whatever it is called
        _existing_file(path)
    if kind is None:
        raise ValueError(
            f"{path}: unsupported file type, expected a name ending in one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    _existing_file(path)
    if key is not None and kind not in ("npy", "mat"):
        raise ValueError(f"{path}: key={key!r} only applies to .npz and .mat files")
    if kind == "idx":
        return read_idx(path)
    if kind == "fvecs":
        return read_fvecs(path)
    if kind == "ivecs":
        return read_ivecs(path)
    if kind == "bvecs":
        return read_bvecs(path)
    if kind == "npy":
        return read_npy(path, key)
    if kind == "mat":
        return read_mat(path, key)
    return read_csv(path)[0]
