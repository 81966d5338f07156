"""Searching packed binary codes: one index interface over faiss's binary indexes, and re-ranking.

Any fitted method's codes (packed as :mod:`sigah.codes` packs them, the layout of faiss's binary
indexes) go into a :class:`CodeIndex` of one of four kinds:

``"flat"``
    ``faiss.IndexBinaryFlat``: every code compared with every query (exact).
``"mih"``
    ``faiss.IndexBinaryMultiHash``, multi-index hashing: the code is cut into ``nhash`` substrings
    of ``b`` bits, each the key of a hash table; a query probes every bucket within ``nflip`` bit
    flips of its own substrings. By the pigeonhole principle every code within Hamming distance
    ``nhash · (nflip + 1) − 1`` of the query is found (:meth:`CodeIndex.exact_radius`); farther
    neighbours only if they happen to share a probed bucket, so the k-NN result is approximate.
``"ivf"``
    ``faiss.IndexBinaryIVF``, an inverted file: codes are assigned to the nearest of ``nlist``
    centroids learnt by binary k-means (training), and a query scans the ``nprobe`` nearest lists
    (exact when ``nprobe = nlist``).
``"hnsw"``
    ``faiss.IndexBinaryHNSW``, a navigable small-world graph of ``M`` links per node, searched
    greedily with a beam of ``efSearch`` candidates (approximate).

Every kind answers ``search(query_codes, k)`` with Hamming distances and database ids.
:func:`rerank` reorders the top ``L`` Hamming candidates by exact Euclidean distance on the
original vectors, which may be a memory-mapped file (:func:`sigah.readers.read_fvecs`): only the
candidate rows are read. :func:`scan_knn` is an exhaustive scan in NumPy (XOR, ``bitwise_count``
and a counting selection: Hamming distances are small integers, so the ``k``-th smallest is
found by counting, not sorting); it returns exactly what the sorted reference
(:func:`sigah.codes.hamming_knn` with ``engine="numpy"``) returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sigah.validation import check_choice, check_matrix, check_scalar

__all__ = ["INDEX_KINDS", "CodeIndex", "rerank", "scan_knn", "index_bytes"]

#: the index kinds of :class:`CodeIndex`
INDEX_KINDS = ("flat", "mih", "ivf", "hnsw")

# Database codes compared at once by scan_knn: the XOR words and distances of one block
# stay near a few megabytes, so the passes over them run from cache.
_SCAN_BLOCK = 1 << 18


class CodeIndex:
    """A searchable collection of packed binary codes, backed by a faiss binary index.

    Parameters
    ----------
    n_bits : int
        Code length, a positive multiple of 8.
    kind : {"flat", "mih", "ivf", "hnsw"}
        The index (module docstring).
    nhash : int, optional
        ``"mih"``: hash tables (default: ``n_bits // 16``, at least 1, so 16-bit substrings).
    nflip : int
        ``"mih"``: bits flipped when probing each table (default 2).
    nlist : int, optional
        ``"ivf"``: inverted lists (default: about ``4 √n`` of the first codes added, at most
        ``n / 39`` so that k-means has 39 codes per centroid, at least 1).
    nprobe : int, optional
        ``"ivf"``: lists scanned per query (default: ``max(1, nlist // 16)``).
    M : int
        ``"hnsw"``: links per node (default 16).
    ef_search : int
        ``"hnsw"``: beam width of the search, raised to ``k`` when smaller (default 64).
    ef_construction : int
        ``"hnsw"``: beam width while building (default 40).

    Attributes
    ----------
    ntotal : int
        Codes added so far.
    index : faiss.IndexBinary
        The underlying faiss index (created by the first :meth:`add` for ``"ivf"``).

    Examples
    --------
    >>> index = CodeIndex(64, "mih")
    >>> index.add(database_codes)              # (n, 8) uint8
    >>> distances, ids = index.search(query_codes, 10)
    """

    def __init__(
        self,
        n_bits: int,
        kind: str = "flat",
        *,
        nhash: int | None = None,
        nflip: int = 2,
        nlist: int | None = None,
        nprobe: int | None = None,
        M: int = 16,
        ef_search: int = 64,
        ef_construction: int = 40,
    ) -> None:
        self.n_bits = check_scalar(n_bits, "n_bits", int, min_val=8)
        if self.n_bits % 8:
            raise ValueError(f"n_bits must be a positive multiple of 8, got {n_bits}")
        self.kind = check_choice(kind, "kind", INDEX_KINDS)
        default_nhash = max(1, self.n_bits // 16)
        self.nhash = check_scalar(nhash, "nhash", int, min_val=1, allow_none=True) or default_nhash
        self.nflip = check_scalar(nflip, "nflip", int, min_val=0)
        self.nlist = check_scalar(nlist, "nlist", int, min_val=1, allow_none=True)
        self.nprobe = check_scalar(nprobe, "nprobe", int, min_val=1, allow_none=True)
        self.M = check_scalar(M, "M", int, min_val=2)
        self.ef_search = check_scalar(ef_search, "ef_search", int, min_val=1)
        self.ef_construction = check_scalar(ef_construction, "ef_construction", int, min_val=1)
        if self.kind == "mih" and self.nhash > self.n_bits:
            raise ValueError(f"nhash must be at most n_bits = {self.n_bits} (one bit per table), got {self.nhash}")
        self.index: Any = None if self.kind == "ivf" else self._make_index()

    def __repr__(self) -> str:
        return f"CodeIndex(n_bits={self.n_bits}, kind={self.kind!r}, ntotal={self.ntotal})"

    @property
    def ntotal(self) -> int:
        return 0 if self.index is None else int(self.index.ntotal)

    def exact_radius(self) -> int | None:
        """The Hamming radius within which every code is found: ``"mih"`` only (else ``None``).

        Returns
        -------
        int or None
            ``nhash · (nflip + 1) − 1``: a code at distance ``r`` from the query differs in at most
            ``nflip`` bits from it in at least one of the ``nhash`` substrings whenever
            ``r < nhash · (nflip + 1)``. Only whole substrings of ``b = n_bits // nhash`` bits are
            hashed; bits beyond ``nhash · b`` are compared but not hashed.
        """
        return self.nhash * (self.nflip + 1) - 1 if self.kind == "mih" else None

    def _make_index(self, n_train: int = 0):
        import faiss

        d = self.n_bits
        if self.kind == "flat":
            return faiss.IndexBinaryFlat(d)
        if self.kind == "mih":
            index = faiss.IndexBinaryMultiHash(d, self.nhash, d // self.nhash)
            index.nflip = self.nflip
            return index
        if self.kind == "hnsw":
            index = faiss.IndexBinaryHNSW(d, self.M)
            index.hnsw.efConstruction = self.ef_construction
            return index
        nlist = self.nlist or max(1, min(int(4 * np.sqrt(n_train)), n_train // 39))
        if nlist > n_train:
            raise ValueError(f"nlist = {nlist} needs at least that many codes to train on, got {n_train}")
        self._quantizer = faiss.IndexBinaryFlat(d)  # referenced here: the IVF index does not own it
        index = faiss.IndexBinaryIVF(self._quantizer, d, nlist)
        index.nprobe = min(nlist, self.nprobe or max(1, nlist // 16))
        return index

    def add(self, codes: np.ndarray) -> CodeIndex:
        """Add database codes; their ids continue from :attr:`ntotal`.

        ``"ivf"`` learns its centroids from the codes of the first call (binary k-means).

        Parameters
        ----------
        codes : numpy.ndarray, shape (n, n_bits // 8), uint8

        Returns
        -------
        CodeIndex
            ``self``.
        """
        codes = _check_codes(codes, "codes", self.n_bits)
        if self.index is None:
            self.index = self._make_index(len(codes))
            self.index.train(codes)
        self.index.add(codes)
        return self

    def search(self, query_codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes of every query in Hamming distance, as the index finds them.

        Parameters
        ----------
        query_codes : numpy.ndarray, shape (nq, n_bits // 8), uint8
        k : int
            ``1 <= k <= ntotal``.

        Returns
        -------
        distances : numpy.ndarray, shape (nq, k), int32
            Non-decreasing along each row.
        ids : numpy.ndarray, shape (nq, k), int64
            Database ids (insertion order). An approximate index that finds fewer than ``k``
            codes for a query fills the rest of its row with id ``-1`` (and a distance larger
            than any Hamming distance).
        """
        if self.ntotal == 0:
            raise ValueError("the index is empty: add codes before searching")
        query_codes = _check_codes(query_codes, "query_codes", self.n_bits)
        k = check_scalar(k, "k", int, min_val=1, max_val=self.ntotal)
        if self.kind == "hnsw":
            self.index.hnsw.efSearch = max(self.ef_search, k)
        distances, ids = self.index.search(query_codes, k)
        return distances.astype(np.int32), ids.astype(np.int64)

    def memory_bytes(self) -> int:
        """Bytes of the serialised index (codes, ids, tables or links): what it costs to hold."""
        if self.index is None:
            return 0
        return index_bytes(self.index)


def index_bytes(index: Any) -> int:
    """Size in bytes of a faiss index (binary or float) serialised to memory.

    Parameters
    ----------
    index : faiss.Index or faiss.IndexBinary

    Returns
    -------
    int
        The length of faiss's own serialisation, which holds the codes and every structure a
        search needs (inverted-list ids, hash tables, graph links, codebooks).
    """
    import faiss

    if isinstance(index, faiss.IndexBinary):
        return int(faiss.serialize_index_binary(index).size)
    return int(faiss.serialize_index(index).size)


def rerank(
    query_vectors: np.ndarray,
    database_vectors: np.ndarray,
    candidates: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Reorder each query's candidates by exact Euclidean distance and keep the ``k`` nearest.

    Parameters
    ----------
    query_vectors : array_like, shape (nq, d)
    database_vectors : numpy.ndarray, shape (n, d)
        The original vectors; a memory-mapped array (:func:`sigah.readers.load_array` maps
        ``.fvecs``, ``.bvecs`` and ``.npy`` files) is read only at each query's candidate rows.
    candidates : array_like, shape (nq, L), integer
        Database ids (for example the ``L`` nearest codes of :meth:`CodeIndex.search`); ``-1``
        entries and repeated ids are skipped.
    k : int
        ``1 <= k <= L``.

    Returns
    -------
    squared_distances : numpy.ndarray, shape (nq, k), float64
        ``Σ (q_i − x_i)²`` in float64 from the differences, non-decreasing; ``inf`` where a query
        had fewer than ``k`` valid candidates.
    ids : numpy.ndarray, shape (nq, k), int64
        Ties broken by the lower id, with the arithmetic of
        :func:`sigah.groundtruth.euclidean_ground_truth`: re-ranking every database id gives the
        exact ground truth. ``-1`` where there was no candidate.
    """
    queries = check_matrix(query_vectors, "query_vectors", dtype=None)
    database = database_vectors if isinstance(database_vectors, np.ndarray) else np.asarray(database_vectors)
    if database.ndim != 2 or database.shape[1] != queries.shape[1] or len(database) == 0:
        raise ValueError(f"database_vectors must have shape (n, {queries.shape[1]}) (the queries' "
                         f"dimension), got shape {database.shape}")
    candidates = np.asarray(candidates)
    if candidates.ndim != 2 or len(candidates) != len(queries) or not np.issubdtype(candidates.dtype, np.integer):
        raise ValueError(f"candidates must be an integer array of shape ({len(queries)}, L), got "
                         f"shape {candidates.shape} and dtype {candidates.dtype}")
    k = check_scalar(k, "k", int, min_val=1, max_val=max(1, candidates.shape[1]))
    if candidates.size and (candidates.max() >= len(database) or candidates.min() < -1):
        raise ValueError(f"candidates must be database ids in [0, {len(database)}) or -1, got values in "
                         f"[{candidates.min()}, {candidates.max()}]")
    out_d = np.full((len(queries), k), np.inf)
    out_i = np.full((len(queries), k), -1, dtype=np.int64)
    for j, row in enumerate(candidates):
        ids = np.unique(row[row >= 0])  # sorted: a memory map is read front to back
        diff = database[ids].astype(np.float64) - queries[j].astype(np.float64)[None, :]
        squared = (diff * diff).sum(axis=1)  # the ground truth's own reduction: equal points tie exactly
        order = np.lexsort((ids, squared))[:k]
        out_d[j, : len(order)], out_i[j, : len(order)] = squared[order], ids[order]
    return out_d, out_i


def scan_knn(query_codes: np.ndarray, database_codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exhaustive Hamming k-NN in NumPy with a counting selection; ties go to the lower id.

    Per query and block of database codes: XOR of 64-bit words and ``numpy.bitwise_count``
    give the distances (small integers); the ``k``-th smallest is the least threshold ``t``
    with at least ``k`` distances ``<= t``, found by counting (started from the histogram of a
    sample of the block, then moved one step at a time), and only the codes within ``t`` are
    sorted. Across blocks, the running threshold of the ``k`` best so far prunes each block.

    Parameters
    ----------
    query_codes : numpy.ndarray, shape (nq, n_bytes), uint8
    database_codes : numpy.ndarray, shape (n, n_bytes), uint8
    k : int
        ``1 <= k <= n``.

    Returns
    -------
    distances : numpy.ndarray, shape (nq, k), int32
        Non-decreasing along each row.
    ids : numpy.ndarray, shape (nq, k), int64
        Equal distances in increasing id: the same arrays as
        ``sigah.codes.hamming_knn(..., engine="numpy")``.
    """
    queries = _check_codes(query_codes, "query_codes")
    database = _check_codes(database_codes, "database_codes", 8 * queries.shape[1])
    k = check_scalar(k, "k", int, min_val=1, max_val=len(database))
    q_words, d_words = _as_words(queries), _as_words(database)
    out_d = np.empty((len(queries), k), dtype=np.int32)
    out_i = np.empty((len(queries), k), dtype=np.int64)
    block = max(k, _SCAN_BLOCK // d_words.shape[1])
    xor = np.empty((min(block, len(database)), d_words.shape[1]), dtype=np.uint64)
    for j, q in enumerate(q_words):
        best_d, best_i = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int64)
        for start in range(0, len(database), block):
            words = d_words[start : start + block]
            x = np.bitwise_xor(words, q, out=xor[: len(words)])
            dist = np.bitwise_count(x) if x.shape[1] == 1 else np.bitwise_count(x).sum(axis=1, dtype=np.uint16)
            dist = dist.ravel()
            limit = int(best_d[-1]) if len(best_d) == k else None
            near = _within_kth(dist, k, limit)
            ids = near + start
            merged_d = np.concatenate([best_d, dist[near].astype(np.int32)])
            merged_i = np.concatenate([best_i, ids])
            order = np.argsort(merged_d, kind="stable")[:k]  # earlier blocks first: lower ids win ties
            best_d, best_i = merged_d[order], merged_i[order]
        out_d[j], out_i[j] = best_d, best_i
    return out_d, out_i


def _within_kth(dist: np.ndarray, k: int, limit: int | None) -> np.ndarray:
    """Positions of ``dist`` at most its ``k``-th smallest value (and at most ``limit``), ascending."""
    k = min(k, len(dist))
    sample = dist[:: max(1, len(dist) // 4096)]
    counts = np.cumsum(np.bincount(sample, minlength=1))
    t = int(np.searchsorted(counts, k * len(sample) / len(dist)))
    while np.count_nonzero(dist <= t) < k:
        t += 1
    while t > 0 and np.count_nonzero(dist <= t - 1) >= k:
        t -= 1
    if limit is not None:
        t = min(t, limit)
    return np.flatnonzero(dist <= t)


def _as_words(codes: np.ndarray) -> np.ndarray:
    """Codes zero-padded to whole 64-bit words, shape (n, n_words), uint64 (padding XORs to 0)."""
    pad = (-codes.shape[1]) % 8
    if pad:
        codes = np.concatenate([codes, np.zeros((len(codes), pad), dtype=np.uint8)], axis=1)
    return np.ascontiguousarray(codes).view(np.uint64)


def _check_codes(codes: Any, name: str, n_bits: int | None = None) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.dtype != np.uint8 or codes.shape[1] == 0:
        raise ValueError(f"{name} must be packed codes, a 2-D uint8 array (n, n_bytes), got shape "
                         f"{codes.shape} and dtype {codes.dtype}")
    if n_bits is not None and 8 * codes.shape[1] != n_bits:
        raise ValueError(f"{name} hold {8 * codes.shape[1]}-bit codes, expected {n_bits}-bit codes "
                         f"({n_bits // 8} bytes per row)")
    if len(codes) == 0:
        raise ValueError(f"{name} must hold at least one code, got shape {codes.shape}")
    return np.ascontiguousarray(codes)
