"""Fit a chapter's size preset to the dataset it runs on.

A chapter's parameters (and the CI-size block of its front matter) are chosen for MNIST. Run on a
reader's smaller file, a preset can ask for more training vectors, database points, queries or true
neighbours than the file holds; :func:`cap_sizes` lowers each such count to what the data allows and
says so, instead of stopping the chapter on a range error. :func:`cap_values` does the same for a
list of sizes, such as the training-set sizes of a scaling study.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["DataSizes", "cap_bits", "cap_sizes", "cap_values"]


@dataclass(frozen=True)
class DataSizes:
    """What the caps need to know of a dataset known only from its files' headers.

    Attributes
    ----------
    name : str
        Shown in the notes.
    n : int
        Number of vectors (the database, or the pool of queries and database).
    n_own_queries : int or None
        Number of query vectors the dataset brings (``None``: queries are drawn from the ``n``).
    """

    name: str
    n: int
    n_own_queries: int | None = None

    @property
    def queries(self) -> range | None:
        """Stands for the own queries: only their number is used."""
        return None if self.n_own_queries is None else range(self.n_own_queries)


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
    n_queries: int | None,
    n_database: int | None = None,
    n_train: int | None = None,
    k: int | None = None,
    draw_queries: bool = False,
) -> tuple[dict[str, int | None], list[str]]:
    """Lower every count of a size preset that the dataset cannot supply, with a note for each.

    The counts follow :func:`sigah.data.make_protocol`: ``n_queries`` random rows become the queries
    (ignored when the dataset brings its own), the rest is the database, optionally subsampled to
    ``n_database``, and ``n_train`` of the database points are the training set; ``k`` true
    neighbours are taken from the database. Caps, in that order:

    * ``n_queries`` at half the vectors (so that a database remains); for a dataset with its own
      queries it is left as it is (they are used whole), unless ``draw_queries`` says that
      ``n_queries`` of them are drawn: then at their number;
    * ``n_database`` at the vectors left after the queries;
    * ``n_train`` at the database size;
    * ``k`` at the database size.

    Parameters
    ----------
    dataset : sigah.data.Dataset or DataSizes
        Needs ``n`` (number of vectors), ``queries`` (own queries or None) and ``name``.
    n_queries : int or None
        ``None`` only for a dataset with its own queries (all of them).
    n_database, n_train, k : int or None
        ``None`` (all available, or not used) is left as it is.
    draw_queries : bool
        ``n_queries`` are drawn from the dataset's own queries (a test split of labelled data).

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
    if requested["n_queries"] is None and dataset.queries is None:
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
        if draw_queries:
            own = len(dataset.queries)
            cap("n_queries", own, f"{name} brings {own:,} query vectors to draw them from")
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


def cap_bits(bits: int | Sequence[int], dimension: int, name: str = "the data") -> tuple[list[int], list[str]]:
    """Code lengths above the data's dimension lowered to the longest whole-byte length it allows.

    Methods that learn ``k`` orthonormal directions or principal components (ITQ, BA, OCH) need
    ``k ≤ d``; the others are held to the same lengths so that all methods stay comparable.

    Parameters
    ----------
    bits : int or sequence of int
        Positive multiples of 8.
    dimension : int
        The data's dimension ``d``.
    name : str
        The data's name, for the note.

    Returns
    -------
    bits : list of int
        Sorted, without duplicates, each at most ``8 * (d // 8)``.
    notes : list of str
        One sentence naming the lowered lengths; empty when none was.

    Raises
    ------
    ValueError
        A dimension below 8: no code of whole bytes fits (one sentence saying so).
    """
    values = [bits] if isinstance(bits, int) or hasattr(bits, "__index__") else list(bits)
    values = [_count(v, "bits") for v in values]
    dimension = _count(dimension, "dimension")
    if dimension < 8:
        raise ValueError(f"{name} has dimension {dimension}, fewer than the 8 bits of the shortest code (codes are "
                         "whole bytes and ITQ, BA and OCH need at most d bits): give vectors of 8 or more dimensions")
    return cap_values(values, 8 * (dimension // 8), "bits",
                      f"{name} has {dimension:,} dimensions and ITQ, BA and OCH learn at most d bits")
