"""Binary codes: bit packing, Hamming distances, Hamming ranking and k-NN search.

Bit layout (the one faiss binary indexes use): bit ``j`` of a code is stored in byte
``j // 8`` at bit position ``j % 8``, least significant bit first, and a bit is set for
``+1`` (a non-negative projection, Eq. 2 of the paper). Hamming distances do not depend
on the layout as long as queries and database are packed alike; exchanging codes with
faiss does, so every packed array in :mod:`sigah` uses this one.

Two engines compute distances: a NumPy reference (XOR + byte popcount table) and faiss's
``IndexBinaryFlat``; the tests check that they agree exactly.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "pack_bits",
    "unpack_bits",
    "signs_to_bits",
    "hamming_distances",
    "hamming_knn",
    "hamming_ranking",
]

Engine = Literal["numpy", "faiss"]

# popcount of every byte value, for the NumPy engine
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


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


def hamming_distances(
    queries: np.ndarray,
    database: np.ndarray,
    *,
    engine: Engine = "numpy",
    block_size: int = 256,
) -> np.ndarray:
    """All Hamming distances between packed query and database codes.

    Parameters
    ----------
    queries : numpy.ndarray, shape (nq, n_bytes), uint8
    database : numpy.ndarray, shape (nd, n_bytes), uint8
    engine : {"numpy", "faiss"}
        ``"numpy"``: XOR and a byte popcount table (the reference);
        ``"faiss"``: ``IndexBinaryFlat`` exhaustive search (fast).
    block_size : int
        Queries processed at once by the NumPy engine (memory ``block_size * nd * n_bytes``).

    Returns
    -------
    numpy.ndarray, shape (nq, nd), uint16 (uint8 when ``n_bits < 256``)
    """
    queries, database = _check_pair(queries, database)
    n_bits = 8 * queries.shape[1]
    dtype = np.uint8 if n_bits < 256 else np.uint16
    if engine == "faiss":
        return _faiss_all_distances(queries, database).astype(dtype)
    if engine != "numpy":
        raise ValueError(f"engine must be 'numpy' or 'faiss', got {engine!r}")
    out = np.empty((queries.shape[0], database.shape[0]), dtype=dtype)
    for start in range(0, queries.shape[0], block_size):
        q = queries[start : start + block_size]
        xor = np.bitwise_xor(q[:, None, :], database[None, :, :])
        out[start : start + block_size] = _POPCOUNT[xor].sum(axis=2, dtype=np.uint16)
    return out


def hamming_ranking(distances: np.ndarray) -> np.ndarray:
    """Database indices of each query sorted by Hamming distance, ties by database index.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd)

    Returns
    -------
    numpy.ndarray, shape (nq, nd), int64
        A stable sort: equal distances keep the database order (the Matlab convention).
    """
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

    Returns
    -------
    distances : numpy.ndarray, shape (nq, k), int32
    indices : numpy.ndarray, shape (nq, k), int64
        Which of several equally distant items is returned is engine-dependent; the
        NumPy engine returns the lowest database indices (stable order).
    """
    queries, database = _check_pair(queries, database)
    if not 1 <= k <= database.shape[0]:
        raise ValueError(f"k must be between 1 and the database size {database.shape[0]}, got {k}")
    if engine == "faiss":
        import faiss

        index = faiss.IndexBinaryFlat(8 * queries.shape[1])
        index.add(database)
        dist, idx = index.search(queries, k)
        return dist.astype(np.int32), idx.astype(np.int64)
    if engine != "numpy":
        raise ValueError(f"engine must be 'numpy' or 'faiss', got {engine!r}")
    dist = hamming_distances(queries, database)
    idx = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(dist, idx, axis=1).astype(np.int32), idx.astype(np.int64)


# -- helpers ------------------------------------------------------------------------------
def _faiss_all_distances(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    import faiss

    n_bits = 8 * queries.shape[1]
    out = np.empty((queries.shape[0], database.shape[0]), dtype=np.int32)
    index = faiss.IndexBinaryFlat(n_bits)
    index.add(database)
    dist, idx = index.search(queries, database.shape[0])
    rows = np.arange(queries.shape[0])[:, None]
    out[rows, idx] = dist
    return out


def _check_codes(codes: np.ndarray, name: str) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of packed codes (n, n_bytes), got shape {codes.shape}")
    if codes.dtype != np.uint8:
        raise ValueError(f"{name} must be packed uint8 codes, got dtype {codes.dtype}")
    return np.ascontiguousarray(codes)


def _check_pair(queries: np.ndarray, database: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    queries = _check_codes(queries, "queries")
    database = _check_codes(database, "database")
    if queries.shape[1] != database.shape[1]:
        raise ValueError(
            f"queries have {8 * queries.shape[1]}-bit codes but the database has {8 * database.shape[1]}-bit codes"
        )
    return queries, database
