"""Evaluation of binary codes: tie-aware mAP, precision–recall over Hamming radii, P@N, R@N.

Book chapter "Binary codes and their evaluation" (equations ``eq-ap``, ``eq-expected-ap``,
``eq-pr-area``); the paper's protocol in its §5.2 (Euclidean neighbours as ground truth). Every metric is computed from per-query
**Hamming shell histograms** (no sort of the database): for query ``q`` and distance
``s = 0..n_bits``, ``n_s`` items of the database lie at distance ``s`` and ``r_s`` of them
are relevant (in the ground truth ``G_q``). Only the "stable" variants, which break ties by
database index like Matlab's ``sort``, need the order inside a shell; they use NumPy's
linear-time stable (radix) sort of the small-integer distances.

Ties. Codes of 32 or 64 bits put thousands of database items at the same distance, and the
order among them is arbitrary. ``ties="expected"`` returns the exact expectation of a metric
when every order inside each shell is equally likely (closed forms of the book's eq. ``eq-expected-ap``);
``ties="stable"`` the value for ties broken by increasing database index.

The exact Euclidean ground truth (:func:`euclidean_ground_truth`) lives in
:mod:`sigah.groundtruth` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import digamma, gammaln
from sigah.progress import progress_bar

from sigah.codes import _check_pair, hamming_distances
from sigah.groundtruth import euclidean_ground_truth

__all__ = [
    "euclidean_ground_truth",
    "ShellHistograms",
    "shell_histograms",
    "average_precision",
    "mean_average_precision",
    "precision_at_n",
    "recall_at_n",
    "pr_curve_over_radius",
    "pr_area_over_radius",
    "pr_area_per_query",
    "label_average_precision_at_k",
    "label_map_at_k",
    "label_shell_histograms",
    "label_precision_at_n",
    "evaluate_codes",
    "evaluate_label_codes",
]

Ties = Literal["expected", "stable"]

# Elements of a (queries × database) temporary processed at once: bounds the memory of
# the bincounts, the stable sorts (int64 indices) and the distance blocks.
_SORT_ELEMENTS = 1 << 22
_DISTANCE_ELEMENTS = 1 << 26


# -- shell histograms ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ShellHistograms:
    """Per-query counts of database items and relevant items in each Hamming shell.

    Attributes
    ----------
    items : numpy.ndarray, shape (nq, n_shells), int64
        ``items[q, s]`` = ``n_s``, the database items at Hamming distance ``s`` from query ``q``.
    relevant : numpy.ndarray, shape (nq, n_shells), int64
        ``relevant[q, s]`` = ``r_s``, the relevant ones among them.
    n_relevant : numpy.ndarray, shape (nq,), int64
        ``|G_q|``, the size of each query's relevant set (the AP and recall denominator).
    """

    items: np.ndarray
    relevant: np.ndarray
    n_relevant: np.ndarray

    @property
    def n_database(self) -> int:
        """Number of database items (the same for every query)."""
        return int(self.items[0].sum()) if self.items.shape[0] else 0

    def items_before(self) -> np.ndarray:
        """``N_s``: items in shells closer than ``s``, shape (nq, n_shells), int64."""
        return np.cumsum(self.items, axis=1) - self.items

    def relevant_before(self) -> np.ndarray:
        """``R_s``: relevant items in shells closer than ``s``, shape (nq, n_shells), int64."""
        return np.cumsum(self.relevant, axis=1) - self.relevant


def shell_histograms(distances: np.ndarray, groundtruth: np.ndarray, n_bits: int | None = None) -> ShellHistograms:
    """Hamming shell histograms ``(n_s, r_s)`` of every query, by bincount (no sorting).

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
        Hamming distances, e.g. from :func:`sigah.codes.hamming_distances`.
    groundtruth : numpy.ndarray, shape (nq, K), integers
        Distinct database indices of the relevant items of each query.
    n_bits : int, optional
        Code length: the histograms get ``n_bits + 1`` shells. Default: the largest distance.

    Returns
    -------
    ShellHistograms
    """
    distances = _check_distances(distances)
    groundtruth = _check_groundtruth(groundtruth, distances.shape)
    n_shells = _n_shells(distances, n_bits)
    relevant_distances = np.take_along_axis(distances, groundtruth, axis=1)
    return ShellHistograms(
        items=_row_bincount(distances, n_shells),
        relevant=_row_bincount(relevant_distances, n_shells),
        n_relevant=np.full(distances.shape[0], groundtruth.shape[1], dtype=np.int64),
    )


# -- mean average precision --------------------------------------------------------------------
def average_precision(distances: np.ndarray, groundtruth: np.ndarray, ties: Ties = "expected") -> np.ndarray:
    r"""Average precision of each query over the whole Hamming ranking.

    .. math::

       \mathrm{AP}(q) = \frac{1}{|G_q|}\sum_{t=1}^{n_d} \mathbb 1[r_t\in G_q]\,
       \frac{|\{r_1..r_t\}\cap G_q|}{t}

    (book: "Binary codes and their evaluation", eq. ``eq-ap``). With ``ties="expected"`` the
    exact expectation under uniformly random order inside each Hamming shell (eq.
    ``eq-expected-ap``):

    .. math::

       \mathbb E[\mathrm{AP}(q)] = \frac{1}{|G_q|}\sum_{s:\,r_s>0}\frac{r_s}{n_s}
       \Big[(R_s+1)\,\Delta H_s + \frac{r_s-1}{n_s-1}\big(n_s-(N_s+1)\,\Delta H_s\big)\Big],
       \qquad \Delta H_s = \psi(N_s+n_s+1)-\psi(N_s+1),

    ``O(1)`` per shell (``(r_s-1)/(n_s-1)`` read as 0 when ``n_s = 1``). With
    ``ties="stable"`` ties are broken by increasing database index.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
    groundtruth : numpy.ndarray, shape (nq, K), integers
        Distinct relevant database indices per query; ``|G_q| = K``.
    ties : {"expected", "stable"}

    Returns
    -------
    numpy.ndarray, shape (nq,), float64, values in [0, 1]
    """
    ties = _check_ties(ties)
    if ties == "expected":
        return _expected_average_precision(shell_histograms(distances, groundtruth))
    return _stable_average_precision(_stable_relevant_positions(distances, groundtruth))


def mean_average_precision(distances: np.ndarray, groundtruth: np.ndarray, ties: Ties = "expected") -> float:
    """Mean over queries of :func:`average_precision` (eq. ``eq-ap``; expected: ``eq-expected-ap``).

    By linearity the mean of the expected APs is the expected mAP.

    Returns
    -------
    float in [0, 1]
    """
    return float(np.mean(average_precision(distances, groundtruth, ties)))


# -- precision and recall at N --------------------------------------------------------------------
def precision_at_n(
    distances: np.ndarray, groundtruth: np.ndarray, ns: int | Iterable[int], ties: Ties = "expected"
) -> np.ndarray:
    r"""Precision of the top ``N`` of the Hamming ranking, averaged over queries.

    ``P@N(q) = |\{r_1..r_N\} ∩ G_q| / N``. Expected version (same chapter, section on ties): if the cut
    falls inside shell ``s`` (``N_s < N <= N_s + n_s``), the expected number of relevant
    items in the top ``N`` is ``R_s + (N - N_s) r_s / n_s``.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
    groundtruth : numpy.ndarray, shape (nq, K), integers
    ns : int or iterable of int
        Cut-offs, each in ``1..nd``.
    ties : {"expected", "stable"}

    Returns
    -------
    numpy.ndarray, shape (len(ns),), float64
    """
    distances = _check_distances(distances)
    ns = _check_cutoffs(ns, distances.shape[1])
    return _hits_at_n(distances, groundtruth, ns, _check_ties(ties)).mean(axis=0) / ns


def recall_at_n(
    distances: np.ndarray, groundtruth: np.ndarray, ns: int | Iterable[int], ties: Ties = "expected"
) -> np.ndarray:
    r"""Recall of the top ``N`` of the Hamming ranking, averaged over queries.

    ``R@N(q) = |\{r_1..r_N\} ∩ G_q| / |G_q|``; the expected version as in :func:`precision_at_n`.
    The paper's "R-K" curves are ``recall_at_n`` with ``K``-NN ground truth (the paper's §5.2 and Fig. 3).

    Returns
    -------
    numpy.ndarray, shape (len(ns),), float64
    """
    distances = _check_distances(distances)
    ns = _check_cutoffs(ns, distances.shape[1])
    groundtruth = _check_groundtruth(groundtruth, distances.shape)
    return _hits_at_n(distances, groundtruth, ns, _check_ties(ties)).mean(axis=0) / groundtruth.shape[1]


def _hits_at_n(distances: np.ndarray, groundtruth: np.ndarray, ns: np.ndarray, ties: Ties) -> np.ndarray:
    if ties == "expected":
        return _expected_hits_at_n(shell_histograms(distances, groundtruth), ns)
    return _stable_hits_at_n(_stable_relevant_positions(distances, groundtruth), ns)


# -- precision–recall over Hamming radii ------------------------------------------------------------
def pr_curve_over_radius(
    distances: np.ndarray, groundtruth: np.ndarray, n_bits: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Precision and recall of Hamming-ball retrieval at every radius, pooled over queries.

    The ITQ/HABIR protocol (book eq. ``eq-pr-area`` and its section "Which mAP do the paper's tables report?"): at radius ``r``
    every database item within Hamming distance ``r`` of the query is retrieved, and the
    counts are pooled over all queries before dividing (a micro-average):

    .. math::

       P(r) = \frac{\sum_q \sum_{s\le r} r_s(q)}{\sum_q \sum_{s\le r} n_s(q)},\qquad
       R(r) = \frac{\sum_q \sum_{s\le r} r_s(q)}{\sum_q |G_q|}.

    Tie-invariant by construction: whole shells are retrieved at once.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
    groundtruth : numpy.ndarray, shape (nq, K), integers
    n_bits : int, optional
        Last radius (the code length). Default: the largest distance present; larger radii
        repeat the last point.

    Returns
    -------
    radii : numpy.ndarray, shape (n_bits + 1,), int64
    precision : numpy.ndarray, shape (n_bits + 1,), float64
        NaN at a radius that retrieves nothing for any query.
    recall : numpy.ndarray, shape (n_bits + 1,), float64
    """
    return _pr_curve(shell_histograms(distances, groundtruth, n_bits))


def pr_area_over_radius(distances: np.ndarray, groundtruth: np.ndarray) -> float:
    r"""Area under the pooled precision–recall curve over Hamming radii (book eq. ``eq-pr-area``).

    Most likely what the paper's tables call "mAP" (measured in the book chapter "Binary codes and their evaluation"). Construction:

    - the points ``(R(r), P(r))`` of :func:`pr_curve_over_radius` for ``r = 0..n_bits`` in
      radius order; radii that retrieve nothing (precision undefined) are skipped;
    - the curve starts at ``(0, P(r_0))``, ``r_0`` the smallest radius retrieving anything:
      the first precision extended flat to recall 0. This is HABIR's ``area_RP.m``, which
      prepends ``(0, precision(1))`` and back-fills an undefined precision from the next radius;
    - the trapezoid rule over recall, :math:`A=\sum_i \tfrac12 (R_{i+1}-R_i)(P_{i+1}+P_i)`.
      Consecutive radii with equal recall add nothing (all points are kept; ``area_RP.m``'s
      ``unique`` keeps one of them, which differs only when no relevant item enters a shell).

    Returns
    -------
    float in [0, 1]
    """
    return _pr_area(shell_histograms(distances, groundtruth))


# -- label-based mAP@K -------------------------------------------------------------------------------
def label_average_precision_at_k(
    distances: np.ndarray,
    query_labels: np.ndarray,
    database_labels: np.ndarray,
    k: int = 1000,
    ties: Ties = "expected",
) -> np.ndarray:
    r"""Label-based AP within the top ``k`` of the Hamming ranking (mAP@K of deep hashing).

    Relevant = same class label. Convention of the published evaluation code of HashNet (Cao et al., 2017) and FIRe: the sum of
    precisions at the relevant positions of the top ``k`` divided by the number of relevant
    items **found in the top** ``k``, and 0 for a query with none there:

    .. math::

       \mathrm{AP@}k(q) = \frac{\sum_{t\le k}\mathbb 1[\mathrm{rel}_t]\,\mathrm{P@}t}
                              {\max(1,\ \sum_{t\le k}\mathbb 1[\mathrm{rel}_t])}.

    ``ties="expected"`` is exact under random order inside each shell: shells closer than the
    cut shell ``s*`` contribute their expected precision sums (as in :func:`average_precision`),
    the cut shell contributes ``h`` relevant items among its first ``m = k - N_{s*}`` positions
    with ``h`` hypergeometric, and the expectation of the ratio is taken over ``h`` exactly.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
    query_labels : numpy.ndarray, shape (nq,)
    database_labels : numpy.ndarray, shape (nd,)
    k : int
        Cut-off, ``1 <= k <= nd``.
    ties : {"expected", "stable"}

    Returns
    -------
    numpy.ndarray, shape (nq,), float64
    """
    distances = _check_distances(distances)
    query_labels, database_labels = _check_labels(query_labels, database_labels, distances.shape)
    k = int(_check_cutoffs(k, distances.shape[1])[0])
    ties = _check_ties(ties)
    out = np.empty(distances.shape[0], dtype=np.float64)
    for rows in _row_blocks(distances.shape, _SORT_ELEMENTS):
        relevant = query_labels[rows, None] == database_labels[None, :]
        if ties == "stable":
            out[rows] = _stable_label_ap_at_k(distances[rows], relevant, k)
        else:
            out[rows] = _expected_label_ap_at_k(distances[rows], relevant, k)
    return out


def label_map_at_k(
    distances: np.ndarray,
    query_labels: np.ndarray,
    database_labels: np.ndarray,
    k: int = 1000,
    ties: Ties = "expected",
) -> float:
    """Mean over queries of :func:`label_average_precision_at_k`."""
    return float(np.mean(label_average_precision_at_k(distances, query_labels, database_labels, k, ties)))


def label_shell_histograms(
    distances: np.ndarray, query_labels: np.ndarray, database_labels: np.ndarray, n_bits: int | None = None
) -> ShellHistograms:
    """Hamming shell histograms with relevance = same class label.

    As :func:`shell_histograms`, but ``relevant[q, s]`` counts the database items at distance ``s``
    that share query ``q``'s label, and ``n_relevant[q]`` is the number of database items of that
    label (0 for a label absent from the database).

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
    query_labels : numpy.ndarray, shape (nq,)
    database_labels : numpy.ndarray, shape (nd,)
    n_bits : int, optional
        Code length: the histograms get ``n_bits + 1`` shells. Default: the largest distance.

    Returns
    -------
    ShellHistograms
    """
    distances = _check_distances(distances)
    query_labels, database_labels = _check_labels(query_labels, database_labels, distances.shape)
    n_shells = _n_shells(distances, n_bits)
    relevant = np.empty((distances.shape[0], n_shells), dtype=np.int64)
    for rows in _row_blocks(distances.shape, _SORT_ELEMENTS):
        same = query_labels[rows, None] == database_labels[None, :]
        # relevant items keep their distance, the others go to an extra bin that is dropped
        relevant[rows] = _row_bincount(np.where(same, distances[rows], n_shells), n_shells + 1)[:, :n_shells]
    classes, counts = np.unique(database_labels, return_counts=True)
    position = np.clip(np.searchsorted(classes, query_labels), 0, len(classes) - 1)
    n_relevant = np.where(classes[position] == query_labels, counts[position], 0).astype(np.int64)
    return ShellHistograms(items=_row_bincount(distances, n_shells), relevant=relevant, n_relevant=n_relevant)


def label_precision_at_n(
    distances: np.ndarray, query_labels: np.ndarray, database_labels: np.ndarray, ns: int | Iterable[int]
) -> np.ndarray:
    r"""Label-based precision of the top ``N`` of the Hamming ranking, averaged over queries.

    ``P@N(q)`` = share of the first ``N`` items with the query's label, in expectation under
    random order inside each Hamming shell (as :func:`precision_at_n`).

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
    query_labels : numpy.ndarray, shape (nq,)
    database_labels : numpy.ndarray, shape (nd,)
    ns : int or iterable of int
        Cut-offs, each in ``1..nd``.

    Returns
    -------
    numpy.ndarray, shape (len(ns),), float64
    """
    distances = _check_distances(distances)
    ns = _check_cutoffs(ns, distances.shape[1])
    histograms = label_shell_histograms(distances, query_labels, database_labels)
    return _expected_hits_at_n(histograms, ns).mean(axis=0) / ns


def evaluate_label_codes(
    query_codes: np.ndarray,
    database_codes: np.ndarray,
    query_labels: np.ndarray,
    database_labels: np.ndarray,
    *,
    k: int = 1000,
    ns: Iterable[int] = (100,),
    progress: bool = False,
    per_query: bool = False,
) -> dict[str, float] | tuple[dict[str, float], dict[str, np.ndarray]]:
    """Label-based (semantic) scores of packed codes: mAP@``k`` and P@N, exact under ties.

    The protocol of the paper's Tables 6-7 (§5.6): relevant = same class label, AP within the top
    ``k`` of the Hamming ranking (:func:`label_average_precision_at_k`). Hamming distances are
    computed a block of queries at a time and reduced to label shell histograms, from which both
    scores follow; no (nq × nd) matrix is held.

    Parameters
    ----------
    query_codes : numpy.ndarray, shape (nq, n_bytes), uint8
    database_codes : numpy.ndarray, shape (nd, n_bytes), uint8
    query_labels : numpy.ndarray, shape (nq,)
    database_labels : numpy.ndarray, shape (nd,)
    k : int
        Cut-off of the mAP, ``1..nd``.
    ns : iterable of int
        Cut-offs of the label precision, each ``1..nd``.
    progress : bool
        Show a progress bar over the query blocks.
    per_query : bool
        Also return each score query by query.

    Returns
    -------
    scores : dict[str, float]
        ``label_map_at_{k}`` and ``label_precision_at_{n}`` for each ``n`` in ``ns`` (expected values).
    per_query_scores : dict[str, numpy.ndarray of shape (nq,)], only if ``per_query``
        The same keys, one value per query; their means are the scores.
    """
    query_codes, database_codes = _check_pair(query_codes, database_codes)
    nq, nd = query_codes.shape[0], database_codes.shape[0]
    if nq == 0 or nd == 0:
        raise ValueError(f"need at least one query and one database code, got {nq} and {nd}")
    query_labels, database_labels = _check_labels(query_labels, database_labels, (nq, nd))
    k = int(_check_cutoffs(k, nd)[0])
    cutoffs = _check_cutoffs(ns, nd)
    n_bits = 8 * query_codes.shape[1]
    ap, hits = np.empty(nq), np.empty((nq, len(cutoffs)))
    blocks = list(_row_blocks((nq, nd), _DISTANCE_ELEMENTS))
    for rows in progress_bar(blocks, desc="evaluating codes by label", unit="block", enabled=progress):
        distances = hamming_distances(query_codes[rows], database_codes)
        h = label_shell_histograms(distances, query_labels[rows], database_labels, n_bits=n_bits)
        ap[rows] = _expected_label_ap_at_k_from_histograms(h.items, h.relevant, k)
        hits[rows] = _expected_hits_at_n(h, cutoffs)
    precision = hits / cutoffs
    result = {f"label_map_at_{k}": float(ap.mean())}
    for n, value in zip(cutoffs.tolist(), precision.mean(axis=0).tolist()):
        result[f"label_precision_at_{n}"] = value
    if not per_query:
        return result
    scores = {f"label_map_at_{k}": ap}
    for j, n in enumerate(cutoffs.tolist()):
        scores[f"label_precision_at_{n}"] = precision[:, j]
    return result, scores


# -- everything at once ----------------------------------------------------------------------------
def evaluate_codes(
    query_codes: np.ndarray,
    database_codes: np.ndarray,
    groundtruth: np.ndarray,
    *,
    ns: Iterable[int] = (100,),
    progress: bool = False,
    per_query: bool = False,
) -> dict[str, float] | tuple[dict[str, float], dict[str, np.ndarray]]:
    """All headline metrics of packed codes against a top-K ground truth.

    Hamming distances are computed once, a block of queries at a time (about 64 M distances
    per block, so a 10,000 × 1,000,000 evaluation never holds the full matrix); each block is
    reduced to shell histograms and the stable positions of its relevant items, and every
    metric follows from those.

    Parameters
    ----------
    query_codes : numpy.ndarray, shape (nq, n_bytes), uint8
    database_codes : numpy.ndarray, shape (nd, n_bytes), uint8
        Packed codes (any length, including 784 bits).
    groundtruth : numpy.ndarray, shape (nq, K), integers
        Distinct relevant database indices per query, e.g. from :func:`euclidean_ground_truth`.
    ns : iterable of int
        Cut-offs for precision (each ``1..nd``).
    progress : bool
        Show a progress bar over the query blocks.
    per_query : bool
        Also return every metric query by query (what :mod:`sigah.stats` resamples).

    Returns
    -------
    scores : dict[str, float]
        ``map`` (expected AP, eq. ``eq-expected-ap``), ``map_stable`` (ties by index),
        ``map_pr_area`` (eq. ``eq-pr-area``, the paper's "mAP"), and ``precision_at_{n}``
        (expected) for each ``n`` in ``ns``.
    per_query_scores : dict[str, numpy.ndarray of shape (nq,)], only if ``per_query``
        The same keys, one value per query, whose mean is the score: the query's AP (expected
        and stable) and precision, and for ``map_pr_area``, which pools counts over queries and
        is no mean of per-query values, its jackknife linearisation
        (:func:`pr_area_per_query`).
    """
    query_codes, database_codes = _check_pair(query_codes, database_codes)
    nq, nd = query_codes.shape[0], database_codes.shape[0]
    if nq == 0 or nd == 0:
        raise ValueError(f"need at least one query and one database code, got {nq} and {nd}")
    groundtruth = _check_groundtruth(groundtruth, (nq, nd))
    cutoffs = _check_cutoffs(ns, nd)
    n_shells = 8 * query_codes.shape[1] + 1

    items, relevant, positions = [], [], []
    blocks = list(_row_blocks((nq, nd), _DISTANCE_ELEMENTS))
    for rows in progress_bar(blocks, desc="evaluating codes", unit="block", enabled=progress):
        distances = hamming_distances(query_codes[rows], database_codes)
        histograms = shell_histograms(distances, groundtruth[rows], n_bits=n_shells - 1)
        items.append(histograms.items)
        relevant.append(histograms.relevant)
        positions.append(_stable_relevant_positions(distances, groundtruth[rows]))
    histograms = ShellHistograms(
        items=np.concatenate(items),
        relevant=np.concatenate(relevant),
        n_relevant=np.full(nq, groundtruth.shape[1], dtype=np.int64),
    )
    positions = np.concatenate(positions)

    ap, ap_stable = _expected_average_precision(histograms), _stable_average_precision(positions)
    precision = _expected_hits_at_n(histograms, cutoffs) / cutoffs  # (nq, len(ns))
    result = {
        "map": float(np.mean(ap)),
        "map_stable": float(np.mean(ap_stable)),
        "map_pr_area": _pr_area(histograms),
    }
    for n, value in zip(cutoffs.tolist(), precision.mean(axis=0).tolist()):
        result[f"precision_at_{n}"] = value
    if not per_query:
        return result
    scores = {"map": ap, "map_stable": ap_stable, "map_pr_area": _pr_area_per_query(histograms)}
    for j, n in enumerate(cutoffs.tolist()):
        scores[f"precision_at_{n}"] = precision[:, j]
    return result, scores


def pr_area_per_query(distances: np.ndarray, groundtruth: np.ndarray) -> np.ndarray:
    r"""Per-query values of the pooled PR area whose mean is :func:`pr_area_over_radius`.

    The PR area pools counts over queries before dividing, so a query has no area of its own.
    Its jackknife linearisation stands in: with :math:`A` the area of all ``n`` queries,
    :math:`A_{-q}` the area without query ``q`` and :math:`ar A_{-}` their mean,

    .. math::

       a_q = A + (n-1)\,(ar A_{-} - A_{-q}),

    so that :math:`	frac1n\sum_q a_q = A` exactly and the variance of their mean,
    :math:`	frac{1}{n(n-1)}\sum_q (a_q-A)^2`, is the jackknife variance of :math:`A`: a query
    bootstrap or a standard error over these values treats the pooled area like a mean.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), non-negative integers
    groundtruth : numpy.ndarray, shape (nq, K), integers

    Returns
    -------
    numpy.ndarray, shape (nq,), float64 (the area itself for a single query)
    """
    return _pr_area_per_query(shell_histograms(distances, groundtruth))


# -- computations from histograms ------------------------------------------------------------------
def _expected_precision_sums(n: np.ndarray, r: np.ndarray, before: np.ndarray, relevant_before: np.ndarray) -> np.ndarray:
    """Expected ``Σ_i rel_i · precision_i`` over the positions of a shell (book eq. ``eq-expected-ap``).

    All arguments broadcast; float64. A shell of ``n`` items holding ``r`` relevant ones,
    after ``before`` items of which ``relevant_before`` are relevant.
    """
    n, r = np.asarray(n, np.float64), np.asarray(r, np.float64)
    before, relevant_before = np.asarray(before, np.float64), np.asarray(relevant_before, np.float64)
    # ΔH = H(before + n) − H(before) through digamma: exact to ~1e-15 for any shell size
    delta_h = digamma(before + n + 1.0) - digamma(before + 1.0)
    share = np.divide(r, n, out=np.zeros(np.broadcast(r, n).shape), where=n > 0)
    pair = np.divide(r - 1.0, n - 1.0, out=np.zeros(np.broadcast(r, n).shape), where=n > 1)
    inner = (relevant_before + 1.0) * delta_h + pair * (n - (before + 1.0) * delta_h)
    return np.where(r > 0, share * inner, 0.0)


def _expected_average_precision(h: ShellHistograms) -> np.ndarray:
    sums = _expected_precision_sums(h.items, h.relevant, h.items_before(), h.relevant_before())
    return sums.sum(axis=1) / h.n_relevant


def _expected_hits_at_n(h: ShellHistograms, ns: np.ndarray) -> np.ndarray:
    """Expected relevant items in the top ``N``: shape (nq, len(ns)), float64."""
    cumulative = np.cumsum(h.items, axis=1)
    cumulative_relevant = np.cumsum(h.relevant, axis=1)
    out = np.empty((h.items.shape[0], len(ns)), dtype=np.float64)
    rows = np.arange(h.items.shape[0])
    for j, n in enumerate(ns.tolist()):
        shell = (cumulative < n).sum(axis=1)  # N_s < N <= N_s + n_s, and n_s > 0 there
        items_here = h.items[rows, shell]
        before = cumulative[rows, shell] - items_here
        relevant_here = h.relevant[rows, shell]
        relevant_before = cumulative_relevant[rows, shell] - relevant_here
        out[:, j] = relevant_before + (n - before) * relevant_here / items_here
    return out


def _pr_curve(h: ShellHistograms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    retrieved = np.cumsum(h.items.sum(axis=0))
    retrieved_relevant = np.cumsum(h.relevant.sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(retrieved > 0, retrieved_relevant / retrieved, np.nan)
    recall = retrieved_relevant / h.n_relevant.sum()
    return np.arange(len(retrieved), dtype=np.int64), precision, recall


def _pr_area_per_query(h: ShellHistograms) -> np.ndarray:
    """Jackknife linearisation of the pooled PR area (:func:`pr_area_per_query`): shape (nq,)."""
    area = _pr_area(h)
    n = h.items.shape[0]
    if n < 2:
        return np.full(n, area)
    total_items, total_hits = np.cumsum(h.items.sum(axis=0)), np.cumsum(h.relevant.sum(axis=0))
    leave_one_out = np.empty(n)
    for rows in _row_blocks(h.items.shape, _SORT_ELEMENTS):  # bounded memory for long codes
        # the leave-one-out curves of a block at once: pooled cumulative counts minus the query's own
        retrieved = total_items[None, :] - np.cumsum(h.items[rows], axis=1)
        hits = total_hits[None, :] - np.cumsum(h.relevant[rows], axis=1)
        recall = hits / (h.n_relevant.sum() - h.n_relevant[rows])[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(retrieved > 0, hits / retrieved, np.nan)
        # radii retrieving nothing form a prefix (recall 0 there): giving them the first defined
        # precision adds no area and is _pr_area's flat start at recall 0
        first = np.argmax(retrieved > 0, axis=1)
        start = precision[np.arange(len(first)), first][:, None]
        precision = np.concatenate([start, np.where(np.isnan(precision), start, precision)], axis=1)
        recall = np.concatenate([np.zeros((len(first), 1)), recall], axis=1)
        leave_one_out[rows] = np.sum(0.5 * np.diff(recall, axis=1) * (precision[:, 1:] + precision[:, :-1]), axis=1)
    return area + (n - 1) * (leave_one_out.mean() - leave_one_out)


def _pr_area(h: ShellHistograms) -> float:
    _, precision, recall = _pr_curve(h)
    defined = ~np.isnan(precision)
    precision, recall = precision[defined], recall[defined]
    precision = np.concatenate([precision[:1], precision])
    recall = np.concatenate([[0.0], recall])
    return float(np.sum(0.5 * np.diff(recall) * (precision[1:] + precision[:-1])))


# -- stable (ties by database index) -----------------------------------------------------------------
def _stable_relevant_positions(distances: np.ndarray, groundtruth: np.ndarray) -> np.ndarray:
    """1-based positions of the relevant items in the stable ranking, sorted: (nq, K) int64."""
    distances = _check_distances(distances)
    groundtruth = _check_groundtruth(groundtruth, distances.shape)
    nq, k = groundtruth.shape
    out = np.empty((nq, k), dtype=np.int64)
    for rows in _row_blocks(distances.shape, _SORT_ELEMENTS):
        block = distances[rows]
        order = np.argsort(block, axis=1, kind="stable")  # radix sort for uint8/uint16
        is_relevant = np.zeros(block.shape, dtype=bool)
        np.put_along_axis(is_relevant, groundtruth[rows], True, axis=1)
        ranked = np.take_along_axis(is_relevant, order, axis=1)
        _, columns = np.nonzero(ranked)  # row-major: each row's positions in increasing order
        out[rows] = columns.reshape(block.shape[0], k) + 1
    return out


def _stable_average_precision(positions: np.ndarray) -> np.ndarray:
    k = positions.shape[1]
    return (np.arange(1, k + 1, dtype=np.float64)[None, :] / positions).sum(axis=1) / k


def _stable_hits_at_n(positions: np.ndarray, ns: np.ndarray) -> np.ndarray:
    return (positions[:, :, None] <= ns[None, None, :]).sum(axis=1).astype(np.float64)


# -- label mAP@K --------------------------------------------------------------------------------------
def _stable_label_ap_at_k(distances: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    top = np.argsort(distances, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(relevant, top, axis=1).astype(np.float64)
    found = np.cumsum(hits, axis=1)
    precision_sums = (hits * found / np.arange(1, k + 1)).sum(axis=1)
    return np.divide(precision_sums, found[:, -1], out=np.zeros(len(hits)), where=found[:, -1] > 0)


def _expected_label_ap_at_k(distances: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    n_shells = int(distances.max()) + 1
    items = _row_bincount(distances, n_shells)
    rel = _row_bincount(np.where(relevant, distances.astype(np.int64), n_shells), n_shells + 1)[:, :n_shells]
    return _expected_label_ap_at_k_from_histograms(items, rel, k)


def _expected_label_ap_at_k_from_histograms(items: np.ndarray, rel: np.ndarray, k: int) -> np.ndarray:
    """Expected label AP@k from shell histograms ``items``, ``rel`` of shape (nq, n_shells)."""
    n_shells = items.shape[1]
    before = np.cumsum(items, axis=1) - items
    relevant_before = np.cumsum(rel, axis=1) - rel
    rows = np.arange(items.shape[0])
    cut = (np.cumsum(items, axis=1) < k).sum(axis=1)  # the shell holding position k
    full_shells = np.arange(n_shells)[None, :] < cut[:, None]
    full_sum = np.where(full_shells, _expected_precision_sums(items, rel, before, relevant_before), 0.0).sum(axis=1)

    n_cut, r_cut = items[rows, cut][:, None], rel[rows, cut][:, None]
    b_cut, rb_cut = before[rows, cut][:, None], relevant_before[rows, cut][:, None]
    m = k - b_cut  # positions of the cut shell inside the top k, 1..n_cut
    # relevant items among them: h = 0..min(m, r_cut), nothing above has any probability
    h = np.arange(0, int(np.minimum(m, r_cut).max()) + 1)[None, :]
    probability = _hypergeometric_pmf(h, n_cut, r_cut, m)
    partial = _expected_precision_sums(m, h, b_cut, rb_cut)
    found = rb_cut + h
    ratio = np.divide(full_sum[:, None] + partial, found, out=np.zeros(found.shape), where=found > 0)
    return (probability * ratio).sum(axis=1)


def _hypergeometric_pmf(h: np.ndarray, population: np.ndarray, successes: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """``P(H = h)`` for ``draws`` draws without replacement: log-binomials, broadcast.

    scipy.stats.hypergeom gives the same values, about 50 times slower on (1000, 1000) grids.
    """
    h, population = np.asarray(h, np.float64), np.asarray(population, np.float64)
    successes, draws = np.asarray(successes, np.float64), np.asarray(draws, np.float64)
    possible = (h <= successes) & (h <= draws) & (draws - h <= population - successes) & (h >= 0)
    h_ok = np.where(possible, h, 0.0)
    log_p = (
        _log_binomial(successes, h_ok) + _log_binomial(population - successes, draws - h_ok)
        - _log_binomial(population, draws)
    )
    return np.where(possible, np.exp(np.where(possible, log_p, 0.0)), 0.0)


def _log_binomial(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)


# -- helpers -------------------------------------------------------------------------------------------
def _row_bincount(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Histogram of each row of a non-negative integer array: (n_rows, n_bins) int64."""
    out = np.empty((values.shape[0], n_bins), dtype=np.int64)
    for rows in _row_blocks(values.shape, _SORT_ELEMENTS):
        block = values[rows].astype(np.int64)
        block += (np.arange(block.shape[0], dtype=np.int64) * n_bins)[:, None]
        out[rows] = np.bincount(block.ravel(), minlength=block.shape[0] * n_bins).reshape(-1, n_bins)
    return out


def _row_blocks(shape: tuple[int, int], max_elements: int) -> Iterable[slice]:
    n_rows, n_columns = shape
    step = max(1, max_elements // max(1, n_columns))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _n_shells(distances: np.ndarray, n_bits: int | None) -> int:
    largest = int(distances.max()) if distances.size else 0
    if n_bits is None:
        return largest + 1
    if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or n_bits < largest:
        raise ValueError(f"n_bits must be an integer >= the largest distance {largest}, got {n_bits!r}")
    return int(n_bits) + 1


def _check_ties(ties: str) -> Ties:
    if ties not in ("expected", "stable"):
        raise ValueError(f"ties must be 'expected' or 'stable', got {ties!r}")
    return ties  # type: ignore[return-value]


def _check_distances(distances: np.ndarray) -> np.ndarray:
    distances = np.asarray(distances)
    if distances.ndim != 2 or distances.shape[1] == 0:
        raise ValueError(f"distances must be a 2-D array (nq, nd) with nd >= 1, got shape {distances.shape}")
    if not np.issubdtype(distances.dtype, np.integer):
        raise ValueError(f"distances must be integer Hamming distances, got dtype {distances.dtype}")
    if np.issubdtype(distances.dtype, np.signedinteger) and distances.size and distances.min() < 0:
        raise ValueError(f"distances must be non-negative, got minimum {distances.min()}")
    return distances


def _check_groundtruth(groundtruth: np.ndarray, distances_shape: tuple[int, int]) -> np.ndarray:
    groundtruth = np.asarray(groundtruth)
    nq, nd = distances_shape
    if groundtruth.ndim != 2 or groundtruth.shape[0] != nq or groundtruth.shape[1] == 0:
        raise ValueError(f"groundtruth must have shape ({nq}, K) with K >= 1, got {groundtruth.shape}")
    if not np.issubdtype(groundtruth.dtype, np.integer):
        raise ValueError(f"groundtruth must hold integer database indices, got dtype {groundtruth.dtype}")
    if groundtruth.size and (groundtruth.min() < 0 or groundtruth.max() >= nd):
        raise ValueError(
            f"groundtruth indices must lie in [0, {nd}), got range [{groundtruth.min()}, {groundtruth.max()}]"
        )
    ordered = np.sort(groundtruth, axis=1)
    repeated = np.flatnonzero((np.diff(ordered, axis=1) == 0).any(axis=1))
    if repeated.size:
        raise ValueError(f"groundtruth rows must not repeat an index; row {repeated[0]} does")
    return groundtruth.astype(np.int64, copy=False)


def _check_labels(
    query_labels: np.ndarray, database_labels: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    query_labels, database_labels = np.asarray(query_labels), np.asarray(database_labels)
    if query_labels.shape != (shape[0],) or database_labels.shape != (shape[1],):
        raise ValueError(
            f"labels of shapes {query_labels.shape} and {database_labels.shape} do not match {shape[0]} queries and "
            f"{shape[1]} database items: expected ({shape[0]},) and ({shape[1]},)"
        )
    return query_labels, database_labels


def _check_cutoffs(ns: int | Iterable[int], n_database: int) -> np.ndarray:
    values = np.atleast_1d(np.asarray(list(ns) if not np.isscalar(ns) else ns))
    if values.ndim != 1 or values.size == 0 or not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"cut-offs must be integers, got {ns!r}")
    if values.min() < 1 or values.max() > n_database:
        raise ValueError(f"cut-offs must lie between 1 and the database size {n_database}, got {values.tolist()}")
    return values.astype(np.int64)
