"""Check a chapter's parameters before it does any work.

A chapter run on a reader's own data (``sigah book run 01_evaluation -p dataset base.fvecs ...``)
should stop in the cell right after its ``parameters`` cell with one sentence that names the bad
value, not with a traceback twenty cells down. Each chapter that takes data calls
:func:`check_chapter_parameters` there with the parameters it has.

The checks are cheap: file headers are read, not the files (``.fvecs``/``.ivecs``/``.bvecs`` store
the dimension in their first four bytes, ``.npy`` is memory-mapped); other formats are read whole,
as the chapter would read them anyway.

:class:`ChapterParameterError` renders in a notebook as its one sentence (IPython's
``_render_traceback_`` hook), and :func:`parameter_error_message` lets the book build report it in
one line.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ChapterParameterError",
    "cap_chapter_parameters",
    "check_chapter_parameters",
    "parameter_error_message",
    "size_notes",
    "vector_file_shape",
]

PathLike = str | os.PathLike


class ChapterParameterError(ValueError):
    """A chapter parameter that cannot work, with one sentence saying which and why."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing the traceback: the reader sees the sentence only.
        return [f"{type(self).__name__}: {self}"]


def _shipped_names() -> set[str]:
    from sigah.data import SHIPPED_DATASETS

    return {name.lower() for name in SHIPPED_DATASETS}


def vector_file_shape(path: PathLike) -> tuple[int, int]:
    """``(n_vectors, dimension)`` of a data file, reading as little of it as the format allows.

    Parameters
    ----------
    path : path-like
        Any file :func:`sigah.readers.load_array` reads.

    Returns
    -------
    tuple of int
        Number of rows and number of columns (images are counted flattened, ``h * w``).
    """
    path = Path(path)
    try:
        return _vector_file_shape(path)
    except ChapterParameterError:
        raise
    except (ValueError, OSError, EOFError) as exc:  # a damaged file: one sentence, not a traceback
        reason = " ".join(str(exc).replace(str(path), "").split()).strip(" :")
        raise ChapterParameterError(f"{str(path)!r} cannot be read as a data file: {reason}") from None


def _vector_file_shape(path: Path) -> tuple[int, int]:
    from sigah.readers import load_array

    suffix = path.suffix.lower()
    if suffix in (".fvecs", ".ivecs", ".bvecs"):
        # TEXMEX layout: each row is an int32 dimension d followed by d values of 4 (or 1) bytes.
        with path.open("rb") as handle:
            head = handle.read(4)
        if len(head) < 4:
            raise ChapterParameterError(f"{path} is empty or truncated: a {suffix} file starts with its dimension")
        dim = struct.unpack("<i", head)[0]
        row_bytes = 4 + dim * (1 if suffix == ".bvecs" else 4)
        size = path.stat().st_size
        if dim <= 0 or size % row_bytes:
            raise ChapterParameterError(f"{path} is not a valid {suffix} file (first dimension {dim}, {size} bytes)")
        return size // row_bytes, dim
    if suffix == ".npy":
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    else:
        array = load_array(path)
    if array.ndim == 1:
        return array.shape[0], 1
    return array.shape[0], int(np.prod(array.shape[1:]))


def _existing(path: PathLike, what: str) -> Path:
    path = Path(path).expanduser()
    if path.is_dir():
        raise ChapterParameterError(f"{what} {str(path)!r} is a directory, expected a data file")
    if not path.is_file():
        raise ChapterParameterError(f"{what} {str(path)!r} does not exist (give a shipped dataset name or a file path)")
    return path


def _label_count(path: Path) -> int:
    return vector_file_shape(path)[0]


def _check_labels(labels_path: PathLike, n_vectors: int, what: str, of: str) -> None:
    n_labels = _label_count(_existing(labels_path, what))
    if n_labels != n_vectors:
        raise ChapterParameterError(
            f"{what} {str(labels_path)!r} holds {n_labels} labels but {of} has {n_vectors} vectors: give one label "
            "per vector"
        )


def check_chapter_parameters(
    *,
    dataset: str | PathLike | None = None,
    queries_path: PathLike | None = None,
    labels_path: PathLike | None = None,
    queries_labels_path: PathLike | None = None,
    bits: int | Sequence[int] | None = None,
    n_queries: int | None = None,
    k: int | None = None,
) -> dict[str, Any]:
    """Check the data and size parameters a chapter was given; raise one clear sentence if one is bad.

    Parameters
    ----------
    dataset : str or path-like, optional
        A shipped dataset name (``"mnist"``, ``"siftsmall"``) or a data file.
    queries_path : path-like, optional
        A query file; its dimension must equal the dataset's.
    labels_path : path-like, optional
        A label file; it must hold one label per vector of ``dataset``.
    queries_labels_path : path-like, optional
        A label file of the queries; one label per vector of ``queries_path``.
    bits : int or sequence of int, optional
        Code lengths; each a positive multiple of 8 (codes are packed into whole bytes). Data of
        fewer than 8 dimensions fit no code; longer codes than the dimension are for the chapter
        to lower (:func:`sigah.studies.sizes.cap_bits`).
    n_queries, k : int, optional
        Positive counts.

    Returns
    -------
    dict
        What was learnt about the data without reading it all: ``n_vectors``, ``dimension`` and
        ``n_query_vectors`` (``None``: queries are drawn from the dataset) of a dataset file or a
        shipped dataset; empty without ``dataset``.

    Raises
    ------
    ChapterParameterError
        The first bad parameter, named with its value and what was expected.
    """
    found: dict[str, Any] = {}
    if bits is not None:
        for value in [bits] if np.isscalar(bits) else list(bits):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0 or value % 8:
                raise ChapterParameterError(f"bits must be positive multiples of 8 (codes are whole bytes), got {value!r}")
    for name, value in (("n_queries", n_queries), ("k", k)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1):
            raise ChapterParameterError(f"{name} must be a positive integer, got {value!r}")
    if dataset is not None and str(dataset).lower() in _shipped_names():
        if queries_path is not None or labels_path is not None or queries_labels_path is not None:
            which = "queries_path" if queries_path is not None else "labels_path"
            raise ChapterParameterError(
                f"{which} is given but dataset {str(dataset)!r} is a shipped dataset with its own queries and "
                "labels; set dataset to your base file"
            )
        from sigah.data import SHIPPED_DATASETS

        found.update(SHIPPED_DATASETS[str(dataset).lower()]["shape"])
    elif dataset is not None:
        base = _existing(dataset, "dataset")
        found["n_vectors"], found["dimension"] = vector_file_shape(base)
        found["n_query_vectors"] = None
        if queries_path is not None:
            n_q, dim_q = vector_file_shape(_existing(queries_path, "queries_path"))
            if dim_q != found["dimension"]:
                raise ChapterParameterError(
                    f"queries_path {str(queries_path)!r} has dimension {dim_q} but dataset {str(dataset)!r} has "
                    f"dimension {found['dimension']}: base and queries must be vectors of the same length"
                )
            found["n_query_vectors"] = n_q
            if queries_labels_path is not None:
                _check_labels(queries_labels_path, n_q, "queries_labels_path", f"queries_path {str(queries_path)!r}")
        if labels_path is not None:
            _check_labels(labels_path, found["n_vectors"], "labels_path", f"dataset {str(dataset)!r}")
    elif queries_path is not None or labels_path is not None:
        which = "queries_path" if queries_path is not None else "labels_path"
        raise ChapterParameterError(
            f"{which} is given but dataset {str(dataset)!r} is a shipped dataset with its own queries and labels; "
            "set dataset to your base file"
        )
    if bits is not None and found.get("dimension") is not None and found["dimension"] < 8:
        raise ChapterParameterError(
            f"dataset {str(dataset)!r} has dimension {found['dimension']}, fewer than the 8 bits of the shortest "
            "code (codes are whole bytes, and ITQ, BA and OCH learn at most d bits): give vectors of 8 or more "
            "dimensions"
        )
    return found


def parameter_error_message(exc: BaseException) -> str | None:
    """The one sentence of a :class:`ChapterParameterError` raised inside an executed notebook, else None.

    papermill re-raises a cell's exception as ``PapermillExecutionError`` with the original class
    name in ``ename`` and its message in ``evalue``.
    """
    if isinstance(exc, ChapterParameterError):
        return f"{type(exc).__name__}: {exc}"
    if getattr(exc, "ename", None) == ChapterParameterError.__name__:
        return f"{ChapterParameterError.__name__}: {exc.evalue}"
    return None


def cap_chapter_parameters(
    found: dict[str, Any],
    name: Any,
    *,
    n_queries: int | None = None,
    n_database: int | None = None,
    n_train: int | None = None,
    k: int | None = None,
    bits: int | Sequence[int] | None = None,
    draw_queries: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """A chapter's counts lowered to what the data of :func:`check_chapter_parameters` holds.

    Counts go through :func:`sigah.studies.sizes.cap_sizes` and code lengths through
    :func:`sigah.studies.sizes.cap_bits`, from the files' headers, before anything is loaded.

    Parameters
    ----------
    found : dict
        What :func:`check_chapter_parameters` returned (empty: nothing is lowered).
    name : str or path-like
        The dataset, for the notes.
    n_queries, n_database, n_train, k : int or None
        As in :func:`sigah.studies.sizes.cap_sizes`.
    bits : int or sequence of int, optional
        Code lengths.
    draw_queries : bool
        ``n_queries`` are drawn from the given query file (a test split), so they are capped by it.

    Returns
    -------
    values : dict
        ``n_queries``, ``n_database``, ``n_train``, ``k`` and ``bits`` after capping (``bits`` a
        list; unchanged values are returned as given).
    notes : list of str
        One sentence per lowered value, as the chapters print them.
    """
    from sigah.studies.sizes import DataSizes, cap_bits, cap_sizes

    values: dict[str, Any] = {"n_queries": n_queries, "n_database": n_database, "n_train": n_train, "k": k,
                              "bits": bits}
    if not found:
        return values, []
    label = Path(str(name)).name
    sizes = DataSizes(label, found["n_vectors"], found.get("n_query_vectors"))
    if n_queries is not None or sizes.queries is not None:
        capped, notes = cap_sizes(sizes, n_queries=n_queries, n_database=n_database, n_train=n_train, k=k,
                                  draw_queries=draw_queries)
        values.update(capped)
    else:
        notes = []
    if bits is not None and found.get("dimension") is not None:
        values["bits"], bit_notes = cap_bits(bits, found["dimension"], label)
        notes += bit_notes
    return values, notes


def size_notes(notes: Sequence[str]) -> str:
    """The chapters' Markdown list of lowered counts (empty text when there are none)."""
    return "\n".join(f"- Size preset lowered: {note}" for note in notes)
