"""The label-based (semantic) retrieval protocol of the paper's §5.6 (Tables 6-7).

Queries come from a dataset's **test** split, the database is its **training** split, and a database
item is relevant to a query when it carries the same class label. Codes are scored by mAP over the
top 1,000 of the Hamming ranking (:func:`sigah.metrics.evaluate_label_codes`). CIFAR-10 in the paper:
the 10,000 test images as queries, the 50,000 training images as database; MNIST here: its 10,000
test digits and 60,000 training digits, or the features a network computes from them.

:func:`labelled_protocol` builds a :class:`sigah.data.Protocol` with ``query_labels`` and
``database_labels`` set, so :func:`sigah.studies.experiments.run_grid` adds the label scores to its records.
"""

from __future__ import annotations

import os

import numpy as np

from sigah.data import Protocol, _as_labels, _check_count, _read_only_view
from sigah.validation import check_matrix

__all__ = ["labelled_protocol", "mnist_splits", "protocol_from_feature_files"]

PathLike = str | os.PathLike

#: MNIST's training split: the first 60,000 rows of ``load_dataset("mnist")``, the test split the rest
MNIST_TRAIN_SIZE = 60_000


def labelled_protocol(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    *,
    name: str = "features",
    n_queries: int | None = None,
    n_train: int | None = None,
    seed: int = 0,
) -> Protocol:
    """Queries from the test split, database = training split, labels on both sides.

    Parameters
    ----------
    train_features : numpy.ndarray, shape (n, d)
        The training split: the database, and the pool the hashers are trained on.
    train_labels : numpy.ndarray, shape (n,), integers
    test_features : numpy.ndarray, shape (n_test, d)
        The test split: the pool of queries.
    test_labels : numpy.ndarray, shape (n_test,), integers
    name : str
        Shown in the protocol's description.
    n_queries : int, optional
        Draw this many queries at random from the test split (default: all of it).
    n_train : int, optional
        Train the hashers on this many random training points (default: the whole database).
    seed : int
        Seed of both draws (``numpy.random.default_rng(seed)``); equal sizes and seeds give equal
        indices, so pixels and the features of any network are split alike.

    Returns
    -------
    sigah.data.Protocol
        ``query_index`` holds rows of the test split, ``database_index`` and ``train_index`` rows of
        the training split.
    """
    database = check_matrix(train_features, f"{name} training features")
    test = check_matrix(test_features, f"{name} test features")
    if test.shape[1] != database.shape[1]:
        raise ValueError(
            f"{name}: training features have dimension {database.shape[1]}, test features {test.shape[1]}"
        )
    database_labels = _as_labels(train_labels, database.shape[0], f"{name} training labels")
    test_labels = _as_labels(test_labels, test.shape[0], f"{name} test labels")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    n_queries = _check_count(n_queries, "n_queries", 1, test.shape[0], f"the test split has {test.shape[0]:,}")
    n_train = _check_count(n_train, "n_train", 1, database.shape[0], f"the training split has {database.shape[0]:,}")
    rng = np.random.default_rng(seed)
    query_index = np.arange(test.shape[0], dtype=np.int64)
    if n_queries is not None and n_queries < test.shape[0]:
        query_index = np.sort(rng.choice(test.shape[0], size=n_queries, replace=False)).astype(np.int64)
    database_index = np.arange(database.shape[0], dtype=np.int64)
    train_index, train = database_index, database
    if n_train is not None and n_train < database.shape[0]:
        train_index = np.sort(rng.choice(database.shape[0], size=n_train, replace=False)).astype(np.int64)
        train = database[train_index]
    train_text = (
        "database = training points" if train is database else f"database, {len(train_index):,} training points drawn from it"
    )
    description = (
        f"{name}: {len(query_index):,} test queries, {database.shape[0]:,} training-split {train_text}, "
        f"relevant = same label, seed {seed}"
    )
    return Protocol(
        name=name,
        queries=test[query_index],
        database=database,
        train=train,
        query_labels=test_labels[query_index],
        database_labels=database_labels,
        query_index=_read_only_view(query_index),
        database_index=_read_only_view(database_index),
        train_index=_read_only_view(train_index),
        seed=int(seed),
        description=description,
    )


def mnist_splits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST's official splits as pixels / 255.

    Returns
    -------
    train_features : numpy.ndarray, shape (60000, 784), float32
    train_labels : numpy.ndarray, shape (60000,), int64
    test_features : numpy.ndarray, shape (10000, 784), float32
    test_labels : numpy.ndarray, shape (10000,), int64
    """
    from sigah.data import load_dataset

    mnist = load_dataset("mnist")
    cut = MNIST_TRAIN_SIZE
    return mnist.features[:cut], mnist.labels[:cut], mnist.features[cut:], mnist.labels[cut:]


def protocol_from_feature_files(
    features_path: PathLike,
    labels_path: PathLike,
    queries_features_path: PathLike,
    queries_labels_path: PathLike,
    *,
    n_queries: int | None = None,
    n_train: int | None = None,
    seed: int = 0,
) -> Protocol:
    """:func:`labelled_protocol` on four files: training features and labels, test features and labels.

    Any format of :func:`sigah.readers.load_array` (``.npy``, ``.fvecs``, ``.mat``, ...), e.g.
    CIFAR-10 VGG features of the training and test images and their labels.

    Returns
    -------
    sigah.data.Protocol
    """
    from pathlib import Path

    from sigah.readers import load_array

    features, labels, queries, query_labels = (
        np.asarray(load_array(p)) for p in (features_path, labels_path, queries_features_path, queries_labels_path)
    )
    return labelled_protocol(
        features.reshape(features.shape[0], -1), labels, queries.reshape(queries.shape[0], -1), query_labels,
        name=Path(features_path).name.split(".")[0], n_queries=n_queries, n_train=n_train, seed=seed,
    )
