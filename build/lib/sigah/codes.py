"""Binary codes: bit packing, Hamming distances, Hamming ranking and k-NN search.

Bit layout (the one faiss binary indexes use): bit ``j`` of a code is stored in byte
``j // 8`` at bit position ``j % 8``, least significant bit first, and a bit is set for
``+1`` (a non-negative projection, Eq. 2 of the paper). So the code ``+1, -1, -1, -1,
-1, -1, -1, -1 | -1, +1, ...`` packs to bytes ``0x01, 0x02, ...``. Hamming distances do
not depend on the layout as long as queries and database are packed alike; exchanging
codes with faiss does, so every packed array in :mod:`sigah` uses this one.

Two engines compute all-pairs distances, and the tests check that they agree exactly:

- ``"faiss"`` (the fast path, default): ``faiss.hammings``, faiss's direct pairwise
  Hamming kernel (popcount over 64-bit words, multi-threaded), called through swig
  pointers. Codes are zero-padded to a multiple of 8 bytes first, which selects faiss's
  fast 64-bit kernel and leaves every distance unchanged (the padding XORs to zero).
- ``"numpy"`` (the reference): the same padding, the codes viewed as ``uint64`` words,
  XOR and ``numpy.bitwise_count``, in query blocks that bound the temporary memory.

On 1,000 × 69,000 codes of 64 bits faiss takes about 0.1 s and NumPy about 0.8 s; at
784 bits about 0.6 s and 5 s (two shared cores; ``tests/benchmarks/bench_evaluator.py``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "pack_bits",
    "unpack_bits",
    "signs_to_bits",
    "distance_dtype",
    "hamming_distances",
    "hamming_knn",
    "hamming_ranking",
]

Engine = Literal["numpy", "faiss"]

# Upper bound on the bytes of a temporary array of one query block (XOR words or int32
# distances): large enough to amortise the Python loop, small enough for any machine.
_BLOCK_BYTES = 1 << 27


def signs_to_bits(values: np.ndarray) -> np.ndarray:
    """Bits of ``sgn(values)``: ``True`` where ``values >= 0`` (sgn(0) = +1, Eq. 2)."""
    return np.asarray(values) >= 0


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack boolean codes into bytes.

    Parameters
    ----------
    bits : array_like of bool, shape (n, n_bits)
        ``True`` for +1. ``n_bits`` must be a multiple of 8.

    Returns
    -------
    numpy.ndarray, shape (n, n_bits // 8), uint8
        Bit ``j`` in byte ``j // 8`` at position ``j % 8`` (least significant first).
    """
    bits = np.asarray(bits)
    if bits.ndim != 2:
        raise ValueError(f"bits must be a 2-D array (n, n_bits), got shape {bits.shape}")
    if bits.shape[1] % 8:
        raise ValueError(f"the number of bits must be a multiple of 8, got {bits.shape[1]}")
    return np.packbits(bits.astype(bool), axis=1, bitorder="little")


def unpack_bits(codes: np.ndarray, n_bits: int | None = None) -> np.ndarray:
    """Inverse of :func:`pack_bits`.

    Parameters
    ----------
    codes : numpy.ndarray, shape (n, n_bytes), uint8
    n_bits : int, optional
        Defaults to ``8 * n_bytes``.

    Returns
    -------
    numpy.ndarray, shape (n, n_bits), bool
    """
    codes = _check_codes(codes, "codes")
    bits = np.unpackbits(codes, axis=1, bitorder="little").astype(bool)
    if n_bits is not None:
        if n_bits > bits.shape[1]:
            raise ValueError(f"n_bits={n_bits} exceeds the {bits.shape[1]} bits stored per code")
        bits = bits[:, :n_bits]
    return bits


def distance_dtype(n_bits: int) -> np.dtype:
    """Smallest unsigned dtype holding every Hamming distance ``0..n_bits``: uint8 below 256 bits, else uint16."""
    return np.dtype(np.uint8) if n_bits < 256 else np.dtype(np.uint16)


def hamming_distances(
    queries: np.ndarray,
    database: np.ndarray,
    *,
    engine: Engine = "faiss",
    block_size: int | None = None,
) -> np.ndarray:
    """All Hamming distances between packed query and database codes.

    Parameters
    ----------
    queries : numpy.ndarray, shape (nq, n_bytes), uint8
    database : numpy.ndarray, shape (nd, n_bytes), uint8
    engine : {"faiss", "numpy"}
        ``"faiss"``: ``faiss.hammings``, the fast path; ``"numpy"``: XOR of 64-bit words and
        ``numpy.bitwise_count``, the reference. Both give identical results.
    block_size : int, optional
        Queries processed at once. The default keeps each block's temporary array near
        128 MiB; the output itself is ``nq * nd`` bytes (twice that from 256 bits on).

    Returns
    -------
    numpy.ndarray, shape (nq, nd), uint8 (``n_bits < 256``) or uint16
        ``out[i, j]`` is the number of differing bits of ``queries[i]`` and ``database[j]``.
    """
    queries, database = _check_pair(queries, database)
    if engine not in ("faiss", "numpy"):
        raise ValueError(f"engine must be 'faiss' or 'numpy', got {engine!r}")
    n_bits = 8 * queries.shape[1]
    nq, nd = queries.shape[0], database.shape[0]
    out = np.empty((nq, nd), dtype=distance_dtype(n_bits))
    if nq == 0 or nd == 0:
        return out
    q_words, d_words = _as_words(queries), _as_words(database)
    bytes_per_row = nd * (4 if engine == "faiss" else 8 * d_words.shape[1])
    block = _check_block_size(block_size) if block_size is not None else max(1, _BLOCK_BYTES // bytes_per_row)
    compute = _faiss_block if engine == "faiss" else _numpy_block
    for start in range(0, nq, block):
        stop = min(start + block, nq)
        out[start:stop] = compute(q_words[start:stop], d_words)
    return out


def hamming_ranking(distances: np.ndarray) -> np.ndarray:
    """Database indices of each query sorted by Hamming distance, ties by database index.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), unsigned integers

    Returns
    -------
    numpy.ndarray, shape (nq, nd), int64
        A stable sort: equal distances keep the database order (the Matlab convention).
        NumPy sorts uint8/uint16 keys stably with a radix sort, so this is linear in ``nd``.
    """
    distances = np.asarray(distances)
    if distances.ndim != 2:
        raise ValueError(f"distances must be a 2-D array (nq, nd), got shape {distances.shape}")
    return np.argsort(distances, axis=1, kind="stable")


def hamming_knn(
    queries: np.ndarray,
    database: np.ndarray,
    k: int,
    *,
    engine: Engine = "faiss",
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest database codes of every query in Hamming distance.

    Parameters
    ----------
    queries : numpy.ndarray, shape (nq, n_bytes), uint8
    database : numpy.ndarray, shape (nd, n_bytes), uint8
    k : int
        Number of neighbours, ``1 <= k <= nd``.
    engine : {"faiss", "numpy"}
        ``"faiss"``: ``IndexBinaryFlat.search`` (a heap, fast for small ``k``);
        ``"numpy"``: all distances, then a stable sort.

    Returns
    -------
    distances : numpy.ndarray, shape (nq, k), int32
        Non-decreasing along each row.
    indices : numpy.ndarray, shape (nq, k), int64
        Which of several equally distant items is returned is engine-dependent; the
        NumPy engine returns the lowest database indices (stable order).
    """
    queries, database = _check_pair(queries, database)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer, got {k!r}")
    if not 1 <= k <= database.shape[0]:
        raise ValueError(f"k must be between 1 and the database size {database.shape[0]}, got {k}")
    if engine == "faiss":
        import faiss

        index = faiss.IndexBinaryFlat(8 * queries.shape[1])
        index.add(database)
        dist, idx = index.search(queries, int(k))
        return dist.astype(np.int32), idx.astype(np.int64)
    if engine != "numpy":
        raise ValueError(f"engine must be 'faiss' or 'numpy', got {engine!r}")
    dist = hamming_distances(queries, database, engine="numpy")
    idx = hamming_ranking(dist)[:, :k]
    return np.take_along_axis(dist, idx, axis=1).astype(np.int32), idx.astype(np.int64)


# -- helpers ------------------------------------------------------------------------------
def _as_words(codes: np.ndarray) -> np.ndarray:
    """Codes zero-padded to whole 64-bit words, as a C-contiguous (n, n_words) uint64 view.

    Zero padding changes no distance (0 XOR 0 = 0) and lets both engines work on words.
    """
    pad = (-codes.shape[1]) % 8
    if pad:
        codes = np.concatenate([codes, np.zeros((codes.shape[0], pad), dtype=np.uint8)], axis=1)
    return np.ascontiguousarray(codes).view(np.uint64)


def _numpy_block(q_words: np.ndarray, d_words: np.ndarray) -> np.ndarray:
    xor = np.bitwise_xor(q_words[:, None, :], d_words[None, :, :])
    return np.bitwise_count(xor).sum(axis=2, dtype=np.uint16)


def _faiss_block(q_words: np.ndarray, d_words: np.ndarray) -> np.ndarray:
    import faiss

    q = np.ascontiguousarray(q_words)
    out = np.empty((q.shape[0], d_words.shape[0]), dtype=np.int32)
    faiss.hammings(
        faiss.swig_ptr(q.view(np.uint8)),
        faiss.swig_ptr(d_words.view(np.uint8)),
        q.shape[0],
        d_words.shape[0],
        8 * d_words.shape[1],
        faiss.swig_ptr(out),
    )
    return out


def _check_block_size(block_size: int) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
    return int(block_size)


def _check_codes(codes: np.ndarray, name: str) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of packed codes (n, n_bytes), got shape {codes.shape}")
    if codes.dtype != np.uint8:
        raise ValueError(f"{name} must be packed uint8 codes, got dtype {codes.dtype}")
    if codes.shape[1] == 0:
        raise ValueError(f"{name} must hold at least one byte per code, got shape {codes.shape}")
    return np.ascontiguousarray(codes)


def _check_pair(queries: np.ndarray, database: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    queries = _check_codes(queries, "queries")
    database = _check_codes(database, "database")
    if queries.shape[1] != database.shape[1]:
        raise ValueError(
            f"queries have {8 * queries.shape[1]}-bit codes but the database has {8 * database.shape[1]}-bit codes"
        )
    return queries, database
