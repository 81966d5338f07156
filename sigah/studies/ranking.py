"""Scores of rankings by real-valued distances or similarities, with the Hamming evaluator's metrics.

Two baselines search with something other than the integer Hamming distance:

* Spherical Hashing's spherical Hamming distance ``|a ⊕ b| / |a ∧ b|`` takes a few thousand
  distinct values (ratios of small integers), so ties remain. :func:`evaluate_distances` maps
  each distinct value to an integer *level* (its rank among all values present, order and ties
  preserved) and applies :mod:`sigah.metrics` unchanged: expected and stable mAP, expected P@N,
  and the precision–recall area with the distinct distance values as the thresholds (the analogue
  of the Hamming radii of eq. ``eq-pr-area``).
* QoLSH's asymmetric cosine estimate is continuous: almost every score is distinct, so
  :func:`evaluate_similarities` ranks each query's database by decreasing score (stable order)
  and returns the ranking mAP and P@N; a "radius" curve has no meaning there.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sigah.metrics import mean_average_precision, pr_area_over_radius, precision_at_n

__all__ = ["distance_levels", "evaluate_distances", "evaluate_similarities"]


def distance_levels(distances: np.ndarray, max_levels: int = 1 << 16, block_rows: int = 64) -> np.ndarray:
    """Replace real distances by the integer rank of their value among all distinct values.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), real
    max_levels : int
        Refuse matrices with more distinct values than this (use :func:`evaluate_similarities`).
    block_rows : int
        Rows processed at once when collecting the distinct values.

    Returns
    -------
    numpy.ndarray, shape (nq, nd), int32
        ``levels[i, j] < levels[k, l]`` exactly when ``distances[i, j] < distances[k, l]``.
    """
    distances = np.asarray(distances)
    if distances.ndim != 2:
        raise ValueError(f"distances must be a 2-D array (nq, nd), got shape {distances.shape}")
    if not np.isfinite(distances).all():
        raise ValueError("distances must be finite")
    values = np.empty(0, distances.dtype)
    for start in range(0, distances.shape[0], block_rows):
        values = np.union1d(values, distances[start : start + block_rows])
        if values.size > max_levels:
            raise ValueError(
                f"distances take more than max_levels={max_levels} distinct values; "
                "rank continuous scores with evaluate_similarities instead"
            )
    return np.searchsorted(values, distances).astype(np.int32)


def evaluate_distances(
    distances: np.ndarray, groundtruth: np.ndarray, ns: Iterable[int] = (100,), max_levels: int = 1 << 16
) -> dict[str, float]:
    """The headline metrics of :func:`sigah.metrics.evaluate_codes` for real distances with ties.

    Parameters
    ----------
    distances : numpy.ndarray, shape (nq, nd), real
        Smaller is nearer (e.g. :meth:`sigah.hashers.sph.SphericalHashing.distances`).
    groundtruth : numpy.ndarray, shape (nq, K), integers
    ns : iterable of int
        Precision cut-offs.
    max_levels : int
        See :func:`distance_levels`.

    Returns
    -------
    dict[str, float]
        ``map`` (expected under random order of equal distances), ``map_stable``, ``map_pr_area``
        (distinct distance values as thresholds), ``precision_at_{n}`` (expected), ``n_levels``.
    """
    levels = distance_levels(distances, max_levels)
    ns = list(ns)
    result = {
        "map": mean_average_precision(levels, groundtruth, ties="expected"),
        "map_stable": mean_average_precision(levels, groundtruth, ties="stable"),
        "map_pr_area": pr_area_over_radius(levels, groundtruth),
    }
    for n, p in zip(ns, precision_at_n(levels, groundtruth, ns)):
        result[f"precision_at_{n}"] = float(p)
    result["n_levels"] = float(levels.max() + 1)
    return result


def evaluate_similarities(
    similarities: np.ndarray, groundtruth: np.ndarray, ns: Iterable[int] = (100,), block_rows: int = 100
) -> dict[str, float]:
    """Ranking mAP and P@N of real-valued similarities (larger is nearer), ties by database index.

    Parameters
    ----------
    similarities : numpy.ndarray, shape (nq, nd), real
        E.g. :meth:`sigah.hashers.qolsh.QoLSH.asymmetric_scores`.
    groundtruth : numpy.ndarray, shape (nq, K), integers
    ns : iterable of int
    block_rows : int
        Queries ranked at once (memory about ``12 · block_rows · nd`` bytes).

    Returns
    -------
    dict[str, float]
        ``map`` (stable order) and ``precision_at_{n}``.
    """
    similarities = np.asarray(similarities)
    if similarities.ndim != 2:
        raise ValueError(f"similarities must be a 2-D array (nq, nd), got shape {similarities.shape}")
    if not np.isfinite(similarities).all():
        raise ValueError("similarities must be finite")
    groundtruth = np.asarray(groundtruth)
    ns = list(ns)
    nq, nd = similarities.shape
    ap_sum, hits = 0.0, np.zeros(len(ns))
    for start in range(0, nq, block_rows):
        block = similarities[start : start + block_rows]
        # integer ranks 0..nd-1 as distances: all distinct, so every metric sees a total order
        order = np.argsort(-block, axis=1, kind="stable")
        ranks = np.empty(block.shape, dtype=np.int32)
        np.put_along_axis(ranks, order, np.arange(nd, dtype=np.int32)[None, :], axis=1)
        rows = len(block)
        ap_sum += rows * mean_average_precision(ranks, groundtruth[start : start + block_rows], ties="stable")
        hits += rows * precision_at_n(ranks, groundtruth[start : start + block_rows], ns, ties="stable")
    result = {"map": ap_sum / nq}
    for n, p in zip(ns, hits / nq):
        result[f"precision_at_{n}"] = float(p)
    return result
