"""Fit a chapter's size preset to the dataset it runs on.

A chapter's parameters (and the CI-size block of its front matter) are chosen for MNIST. Run on a
reader's smaller file, a preset can ask for more training vectors, database points, queries or true
neighbours than the file holds; :func:`cap_sizes` lowers each such count to what the data allows and
says so, instead of stopping the chapter on a range error. :func:`cap_values` does the same for a
list of sizes, such as the training-set sizes of a scaling study.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["cap_sizes", "cap_values"]


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    value = int(value)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {value}")
    return value


def cap_sizes(
    dataset: Any,
    *,
    n_queries: int,
    n_database: int | None = None,
    n_train: int | None = None,
    k: int | None = None,
) -> tuple[dict[str, int | None], list[str]]:
    """Lower every count of a size preset that the dataset cannot supply, with a note for each.

    The counts follow :func:`sigah.data.make_protocol`: ``n_queries`` random rows become the queries
    (ignored when the dataset brings its own), the rest is the database, optionally subsampled to
    ``n_database``, and ``n_train`` of the database points are the training set; ``k`` true
    neighbours are taken from the database. Caps, in that order:

    * ``n_queries`` at half the vectors (so that a database remains);
    * ``n_database`` at the vectors left after the queries;
    * ``n_train`` at the database size;
    * ``k`` at the database size.

    Parameters
    ----------
    dataset : sigah.data.Dataset
        Needs ``n`` (number of vectors), ``queries`` (own queries or None) and ``name``.
    n_queries : int
    n_database, n_train, k : int or None
        ``None`` (all available, or not used) is left as it is.

    Returns
    -------
    sizes : dict
        ``{"n_queries", "n_database", "n_train", "k"}`` after capping (``None`` stays ``None``).
    notes : list of str
        One sentence per count that was lowered; empty when the preset fits.

    Raises
    ------
    ValueError
        A count that is not a positive integer (or None), or a dataset of fewer than 2 vectors
        without its own queries.
    """
    requested = {"n_queries": _count(n_queries, "n_queries"), "n_database": _count(n_database, "n_database"),
                 "n_train": _count(n_train, "n_train"), "k": _count(k, "k")}
    if requested["n_queries"] is None:
        raise ValueError("n_queries must be a positive integer, got None")
    n = int(dataset.n)
    name = getattr(dataset, "name", "the dataset")
    sizes = dict(requested)
    notes = []

    def cap(key: str, limit: int, why: str) -> None:
        if sizes[key] is not None and sizes[key] > limit:
            notes.append(f"{key} = {sizes[key]:,} capped to {limit:,}: {why}.")
            sizes[key] = limit

    if dataset.queries is None:
        if n < 2:
            raise ValueError(f"dataset {name!r} has {n} vector(s); a query/database split needs at least 2")
        cap("n_queries", n // 2, f"{name} has {n:,} vectors and at least half of them stay in the database")
        available = n - sizes["n_queries"]
    else:
        available = n
    cap("n_database", available, f"{name} leaves {available:,} vectors for the database")
    database = available if sizes["n_database"] is None else sizes["n_database"]
    cap("n_train", database, f"the training set is drawn from the {database:,} database points")
    cap("k", database, f"true neighbours are taken from the {database:,} database points")
    return sizes, notes


def cap_values(values: Iterable[int], limit: int, name: str, why: str) -> tuple[list[int], list[str]]:
    """A list of sizes with each one above ``limit`` lowered to it, duplicates dropped, in increasing order.

    Parameters
    ----------
    values : iterable of int
        Positive sizes.
    limit : int
        The largest size the data supplies.
    name : str
        The parameter's name, for the note.
    why : str
        Why ``limit`` is the largest, for the note.

    Returns
    -------
    sizes : list of int
        Sorted, without duplicates.
    notes : list of str
        One sentence naming the lowered values; empty when none was.

    Raises
    ------
    ValueError
        A value that is not a positive integer, or an empty list.
    """
    values = [_count(v, name) for v in values]
    if not values or None in values:
        raise ValueError(f"{name} must be a non-empty list of positive integers, got {values}")
    limit = _count(limit, "limit")
    over = [v for v in values if v > limit]
    notes = [f"{name} {', '.join(f'{v:,}' for v in over)} capped to {limit:,}: {why}."] if over else []
    return sorted({min(v, limit) for v in values}), notes
