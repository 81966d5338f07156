"""Exact Euclidean top-K ground truth, computed in query blocks and cached on disk.

The relevant set of a query is its ``K`` nearest database points in Euclidean distance
(the paper's §5.2; book chapter "Binary codes and their evaluation"). Exactness matters: the
book's mAP tables are only as good as this list, and integer-valued or duplicated data
(SIFT, MNIST) produce exact distance ties at the K-th neighbour.

Algorithm, per block of queries, the database read a chunk of rows at a time (so a memory-mapped
1,000,000 × 960 base file is never copied whole):

1. **Candidates** from faiss (``faiss.knn``): per database chunk, the ``k'`` smallest float32
   values of ``d²(q, x) ≈ ‖q‖² − 2 q·x + ‖x‖²`` (``k' = 2k``, at least ``k + 32``). Its rounding error is bounded by
   ``e_q = 4 (d + 2) u (‖q‖ + max ‖x‖)²`` (``u`` = float32 unit round-off; the classical
   bound for a dot product summed in any order is ``d u Σ|q_i x_i|``, the factor 4 covers
   the norms, the sum and the float32 conversion). If ``t_k`` is the k-th smallest
   approximate value, every true top-k point (and every point tied with the k-th) has an
   approximate value ``<= t_k + 2 e_q``; those are the candidates. A chunk whose ``k'``-th value
   is still within that threshold may hold more of them: it is scanned again in full for that query,
   so the candidate set is complete whatever the ties.
2. **Exact re-ranking** of the candidates: ``Σ (q_i − x_i)²`` in float64 from the
   differences (no cancellation, and identical points give bit-identical distances), then a
   sort by (distance, database index): ties are broken by the lower index (stable).

The cache key is a SHA-256 of the metric name, the shapes, dtypes and bytes of queries and
database, and ``k``; the file stores the key beside the indices, so a file from other inputs
or a damaged file is detected and recomputed.
"""

from __future__ import annotations

import hashlib
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from sigah.validation import check_matrix
from sigah.progress import progress_bar
from sigah.storage import atomic_save_npz

__all__ = ["euclidean_ground_truth", "ground_truth_cache_key"]

_METRIC = "euclidean-topk"
# bump when the algorithm's output could change, so that old cache files are not reused
_CACHE_VERSION = 1


def euclidean_ground_truth(
    queries: np.ndarray,
    database: np.ndarray,
    k: int = 1000,
    *,
    cache_dir: str | os.PathLike | None = None,
    block_size: int = 256,
    chunk_rows: int = 1 << 16,
    progress: bool = False,
) -> np.ndarray:
    """Exact ``k`` nearest database points of every query in Euclidean distance.

    Parameters
    ----------
    queries : numpy.ndarray, shape (nq, d), real
    database : numpy.ndarray, shape (nd, d), real
        May be a (non-contiguous) memory map: it is read ``chunk_rows`` rows at a time.
    k : int
        Neighbours per query, ``1 <= k <= nd`` (default 1000, the reading of the paper argued in the book chapter "Binary codes and their evaluation").
    cache_dir : path, optional
        Folder for the on-disk cache (``None``: no cache). The experiments pass
        :data:`sigah.studies.experiments.DEFAULT_CACHE_DIR`, ``groundtruth/`` under :func:`sigah.store.cache_root`
        (or ``$SIGAH_CACHE_DIR``).
    block_size : int
        Queries per block; memory is about ``12 * block_size * 2k`` bytes per database chunk.
    chunk_rows : int
        Database rows per chunk; each chunk is copied as float32 (``4 * chunk_rows * d`` bytes).
    progress : bool
        Show a progress bar over the query blocks.

    Returns
    -------
    numpy.ndarray, shape (nq, k), int64
        Database indices, sorted by increasing distance; equal distances in increasing
        index order.

    Raises
    ------
    ValueError
        On non-2-D or non-finite inputs, different dimensions, or ``k`` out of range.
    """
    queries = check_matrix(queries, "queries", dtype=None)
    database = check_matrix(database, "database", dtype=None)
    if queries.shape[1] != database.shape[1]:
        raise ValueError(
            f"queries have dimension {queries.shape[1]} but the database has dimension {database.shape[1]}"
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= database.shape[0]:
        raise ValueError(f"k must be an integer between 1 and the database size {database.shape[0]}, got {k!r}")
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    k = int(k)
    if cache_dir is None:
        return _exact_top_k(queries, database, k, int(block_size), int(chunk_rows), progress)
    key = ground_truth_cache_key(queries, database, k)
    path = Path(cache_dir) / f"groundtruth-{_METRIC}-k{k}-{key[:24]}.npz"
    cached = _read_cache(path, key, (queries.shape[0], k), database.shape[0])
    if cached is not None:
        return cached
    indices = _exact_top_k(queries, database, k, int(block_size), int(chunk_rows), progress)
    try:
        atomic_save_npz(path, {"indices": indices, "key": np.array(key)})
    except OSError as error:  # a cache that cannot be written costs time, never the result
        warnings.warn(f"the ground-truth cache {cache_dir} cannot be written ({error}); the ground truth is "
                      f"computed but not cached", RuntimeWarning, stacklevel=2)
    return indices


def ground_truth_cache_key(queries: np.ndarray, database: np.ndarray, k: int) -> str:
    """SHA-256 (hex) of everything the ground truth depends on: metric, arrays and ``k``."""
    digest = hashlib.sha256()
    digest.update(f"{_METRIC}/v{_CACHE_VERSION}/k={int(k)}".encode())
    for array in (queries, database):
        digest.update(f"|{array.dtype.str}{array.shape}|".encode())
        for chunk in _row_chunks(array):  # the same bytes as the whole C-ordered array, without a copy of it
            digest.update(memoryview(chunk).cast("B"))
    return digest.hexdigest()


def _row_chunks(array: np.ndarray, max_bytes: int = 1 << 26):
    """C-contiguous copies of consecutive row blocks of ``array`` (about ``max_bytes`` each)."""
    rows = max(1, max_bytes // max(1, array[:1].nbytes))
    for start in range(0, array.shape[0], rows):
        yield np.ascontiguousarray(array[start : start + rows])


# -- computation ----------------------------------------------------------------------------
def _exact_top_k(
    queries: np.ndarray, database: np.ndarray, k: int, block_size: int, chunk_rows: int, progress: bool
) -> np.ndarray:
    n_db, dim = database.shape
    db_sq = _squared_norms(database)
    max_db_norm = float(np.sqrt(db_sq.max()))
    error_scale = 4.0 * (dim + 2) * float(np.finfo(np.float32).eps) / 2
    per_chunk = max(2 * k, k + 32)
    chunks = [(c, min(c + chunk_rows, n_db)) for c in range(0, n_db, chunk_rows)]
    out = np.empty((queries.shape[0], k), dtype=np.int64)
    bar = progress_bar(total=queries.shape[0] * len(chunks), desc="exact ground truth", unit="query-chunk",
                       enabled=progress)
    for start in range(0, queries.shape[0], block_size):
        q64 = queries[start : start + block_size].astype(np.float64)
        q32 = np.ascontiguousarray(q64, dtype=np.float32)
        found = [_chunk_candidates(q32, database, lo, hi, per_chunk, bar) for lo, hi in chunks]
        approx = np.concatenate([f[0] for f in found], axis=1)
        ids = np.concatenate([f[1] for f in found], axis=1)
        kth = np.partition(approx, k - 1, axis=1)[:, k - 1].astype(np.float64)
        threshold = kth + 2.0 * error_scale * (np.sqrt(_squared_norms(q64)) + max_db_norm) ** 2
        for row in range(q64.shape[0]):
            candidates = [ids[row][approx[row] <= threshold[row]]]
            for (lo, hi), (dist, _) in zip(chunks, found):
                if dist.shape[1] < hi - lo and dist[row, -1] <= threshold[row]:  # the chunk may hold more
                    candidates.append(lo + _scan_chunk(q32[row], database[lo:hi], threshold[row]))
            out[start + row] = _rerank_exactly(q64[row], database, np.unique(np.concatenate(candidates)), k)
    bar.close()
    return out


def _chunk_candidates(q32: np.ndarray, database: np.ndarray, lo: int, hi: int, per_chunk: int, bar) -> tuple:
    """faiss's ``per_chunk`` smallest approximate squared distances in rows ``lo:hi``, with global ids."""
    import faiss

    chunk = np.ascontiguousarray(database[lo:hi], dtype=np.float32)
    dist, idx = faiss.knn(q32, chunk, min(per_chunk, hi - lo))
    bar.update(q32.shape[0])
    return dist, idx + lo


def _scan_chunk(q32: np.ndarray, chunk: np.ndarray, threshold: float) -> np.ndarray:
    """Rows of ``chunk`` whose approximate squared distance to ``q32`` is within ``threshold``."""
    chunk = np.ascontiguousarray(chunk, dtype=np.float32)
    approx = (chunk * chunk).sum(axis=1) - 2.0 * (chunk @ q32) + float(q32 @ q32)
    return np.flatnonzero(approx <= threshold)


def _rerank_exactly(query: np.ndarray, database: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    diff = database[candidates].astype(np.float64) - query[None, :]
    # a row-wise reduction of the same numbers in the same order: identical points tie exactly
    squared = (diff * diff).sum(axis=1)
    order = np.lexsort((candidates, squared))[:k]
    return candidates[order]


def _squared_norms(vectors: np.ndarray, rows_per_chunk: int = 8192) -> np.ndarray:
    """Row norms squared in float64, a chunk at a time (no float64 copy of a large database)."""
    out = np.empty(vectors.shape[0], dtype=np.float64)
    for start in range(0, vectors.shape[0], rows_per_chunk):
        chunk = vectors[start : start + rows_per_chunk].astype(np.float64)
        out[start : start + rows_per_chunk] = np.einsum("ij,ij->i", chunk, chunk)
    return out


# -- cache and validation ---------------------------------------------------------------------
def _read_cache(path: Path, key: str, shape: tuple[int, int], n_database: int) -> np.ndarray | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            stored_key = str(stored["key"])
            indices = np.array(stored["indices"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        warnings.warn(f"unreadable ground-truth cache {path} ({error}); recomputing", RuntimeWarning, stacklevel=3)
        return None
    valid = (
        stored_key == key
        and indices.shape == shape
        and indices.dtype == np.int64
        and (indices.size == 0 or (indices.min() >= 0 and indices.max() < n_database))
    )
    if not valid:
        warnings.warn(f"ground-truth cache {path} does not match its inputs; recomputing", RuntimeWarning, stacklevel=3)
        return None
    return indices


