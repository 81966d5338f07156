"""The loss terms of SiGAH (Eq. 13-21 of the paper; chapter "Hash learning").

Every function works on one mini-batch of float32 tensors and returns a scalar (or one value
per row), so that each term can be checked against a NumPy reference. Notation of the
book: ``x`` (N_b, d) standardised features, ``b_relaxed = tanh(Wᵀx)`` (N_b, k), ``s = G(b)``
(N_b, m) the sparse code, ``x_hat = A s`` (N_b, d) the synthetic feature, ``D`` the energy.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from sigah.distances import squared_euclidean

__all__ = [
    "reconstruction_loss",
    "sparsity_loss",
    "gaussian_affinity",
    "knn_mask",
    "graph_loss",
    "energy",
    "discriminator_loss",
    "quantization_error",
    "balance_decorrelation_loss",
    "median_pairwise_distance",
    "median_neighbor_distance",
]


def reconstruction_loss(x: tf.Tensor, x_hat: tf.Tensor) -> tf.Tensor:
    """Reconstruction error ``(1/(N_b d)) Σ_i ‖x_i − x̂_i‖²`` (Eq. 11/13, chapter "Hash learning", eq-loss-g).

    Averaged over the features as well as the batch (the mean squared error), so that the weights
    α, β, γ of the other terms do not scale with the dimension d.

    Parameters
    ----------
    x, x_hat : tf.Tensor, shape (N_b, d), float32

    Returns
    -------
    tf.Tensor, scalar float32
    """
    return tf.reduce_mean(tf.square(x - x_hat))


def sparsity_loss(sparse_code: tf.Tensor) -> tf.Tensor:
    """L1 norm of the generator output per entry, ``(1/(N_b m)) Σ_i ‖G(b̃_i)‖₁`` (Eq. 13, eq-sigm).

    Averaged over the m entries (like the reconstruction error over the d features), so that α
    does not scale with m; 0 for an empty code (m = 0).

    Parameters
    ----------
    sparse_code : tf.Tensor, shape (N_b, m), float32

    Returns
    -------
    tf.Tensor, scalar float32
    """
    size = tf.cast(tf.size(sparse_code), tf.float32)
    return tf.reduce_sum(tf.abs(sparse_code)) / tf.maximum(size, 1.0)


def _squared_distances(x: tf.Tensor) -> tf.Tensor:
    # ‖x_i‖² + ‖x_j‖² − 2 x_iᵀx_j costs one matmul; clip the round-off below zero
    sq = tf.reduce_sum(tf.square(x), axis=1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * tf.matmul(x, x, transpose_b=True)
    return tf.maximum(d2, 0.0)


def gaussian_affinity(x: tf.Tensor, sigma: tf.Tensor | float) -> tf.Tensor:
    """In-batch similarity ``S_ij = exp(−‖x_i − x_j‖² / 2σ²)`` (Eq. 17, eq-graph).

    Parameters
    ----------
    x : tf.Tensor, shape (N_b, d), float32
    sigma : float or scalar tensor
        Bandwidth σ > 0.

    Returns
    -------
    tf.Tensor, shape (N_b, N_b), float32
    """
    return _affinity_from_distances(_squared_distances(x), sigma)


def _affinity_from_distances(d2: tf.Tensor, sigma: tf.Tensor | float) -> tf.Tensor:
    sigma = tf.cast(sigma, tf.float32)
    return tf.exp(-d2 / (2.0 * sigma * sigma))


def knn_mask(x: tf.Tensor, n_neighbors: int) -> tf.Tensor:
    """Symmetric in-batch k-nearest-neighbour graph (SpectralNet's ``knn_affinity`` support).

    ``M_ij = 1`` when ``j`` is among the ``n_neighbors`` nearest other rows of ``i`` or ``i`` among
    those of ``j`` (Euclidean distance; a row is never its own neighbour).

    Parameters
    ----------
    x : tf.Tensor, shape (N_b, d), float32
    n_neighbors : int
        ``k_nn ≥ 1``; clipped to ``N_b − 1``.

    Returns
    -------
    tf.Tensor, shape (N_b, N_b), float32 of zeros and ones
    """
    return _knn_mask_from_distances(_squared_distances(x), n_neighbors)


def _knn_mask_from_distances(d2: tf.Tensor, n_neighbors: int) -> tf.Tensor:
    n = tf.shape(d2)[0]
    d2 = tf.linalg.set_diag(d2, tf.fill([n], tf.constant(np.inf, tf.float32)))
    k = tf.minimum(tf.constant(int(n_neighbors)), n - 1)
    kth = -tf.math.top_k(-d2, k=k).values[:, -1]  # distance² to the k-th nearest other row
    mask = tf.cast(d2 <= kth[:, None], tf.float32)
    return tf.maximum(mask, tf.transpose(mask))


def graph_loss(
    x: tf.Tensor, b_relaxed: tf.Tensor, sigma: tf.Tensor | float, n_neighbors: int | None = None
) -> tf.Tensor:
    """Graph regulariser ``(1/N_b²) Σ_ij S_ij ‖b̃_i − b̃_j‖²`` (Eq. 17, eq-graph).

    Parameters
    ----------
    x : tf.Tensor, shape (N_b, d), float32
        Features defining the similarities ``S``.
    b_relaxed : tf.Tensor, shape (N_b, k), float32
        Relaxed codes ``tanh(Wᵀx)``.
    sigma : float or scalar tensor
        Bandwidth of ``S``.
    n_neighbors : int or None
        None: ``S`` on all pairs (the paper's in-batch graph). An integer ``k_nn``: ``S`` kept on the
        symmetric ``k_nn``-nearest-neighbour graph of the batch and zero elsewhere, as in SpectralNet's
        affinity (the paper's reference for the term), so that only near pairs are pulled together.

    Returns
    -------
    tf.Tensor, scalar float32
    """
    d2 = _squared_distances(x)  # once, for the affinities and the neighbour graph
    similarity = _affinity_from_distances(d2, sigma)
    if n_neighbors:
        similarity = similarity * _knn_mask_from_distances(d2, n_neighbors)
    similarity = tf.stop_gradient(similarity)
    n = tf.cast(tf.shape(x)[0], tf.float32)
    return tf.reduce_sum(similarity * _squared_distances(b_relaxed)) / (n * n)


def energy(x: tf.Tensor, x_reconstructed: tf.Tensor) -> tf.Tensor:
    """Energy of the auto-encoder discriminator, ``D(x) = (1/d) ‖Dec(Enc(x)) − x‖²`` (Eq. 14, eq-energy).

    The mean over the d features (not the sum) makes the margin μ independent of d.

    Parameters
    ----------
    x, x_reconstructed : tf.Tensor, shape (n, d), float32
        Inputs of the discriminator and its auto-encoder's outputs.

    Returns
    -------
    tf.Tensor, shape (n,), float32
    """
    return tf.reduce_mean(tf.square(x_reconstructed - x), axis=1)


def discriminator_loss(energy_real: tf.Tensor, energy_fake: tf.Tensor, margin: tf.Tensor | float) -> tf.Tensor:
    """EBGAN margin loss ``(1/N_b) Σ_i D(x_i) + [μ − D(x̂_i)]⁺`` (Eq. 16/21, eq-loss-d).

    Parameters
    ----------
    energy_real, energy_fake : tf.Tensor, shape (N_b,), float32
        Energies of real and synthetic features.
    margin : float
        μ ≥ 0.

    Returns
    -------
    tf.Tensor, scalar float32
    """
    margin = tf.cast(margin, tf.float32)
    return tf.reduce_mean(energy_real) + tf.reduce_mean(tf.nn.relu(margin - energy_fake))


def quantization_error(b_relaxed: tf.Tensor) -> tf.Tensor:
    """Mean per-bit quantisation error ``(1/(N_b k)) Σ_i ‖sgn(b̃_i) − b̃_i‖²`` (Eq. 19, eq-taylor).

    ``sgn(0) = +1`` as in Eq. 2.

    Parameters
    ----------
    b_relaxed : tf.Tensor, shape (N_b, k), float32

    Returns
    -------
    tf.Tensor, scalar float32
    """
    signs = tf.where(b_relaxed >= 0, 1.0, -1.0)
    return tf.reduce_mean(tf.square(signs - b_relaxed))


def median_pairwise_distance(X: np.ndarray, n_sample: int = 2000, seed: int = 0) -> float:
    """Median Euclidean distance between distinct points of a random sample (σ of Eq. 17, eq-graph).

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
    n_sample : int
        Sample size (all points if ``n <= n_sample``); the cost is O(n_sample² d).
    seed : int
        Seed of the sample.

    Returns
    -------
    float
        Median over the ``n_sample (n_sample − 1) / 2`` pairs; 1.0 if all points coincide
        (a bandwidth must be positive).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"need at least two points of shape (n, d) for a median distance, got shape {X.shape}")
    if X.shape[0] > n_sample:
        X = X[np.random.default_rng(seed).choice(X.shape[0], size=n_sample, replace=False)]
    d2 = squared_euclidean(X)
    upper = d2[np.triu_indices(X.shape[0], k=1)]
    median = float(np.sqrt(np.median(upper)))
    return median if median > 0 else 1.0


def median_neighbor_distance(
    X: np.ndarray, n_neighbors: int, batch_size: int, n_batches: int = 8, seed: int = 0
) -> float:
    """Median distance from a point to its ``n_neighbors``-th nearest neighbour inside a random batch.

    SpectralNet's local scale (``get_scale``): the bandwidth σ of the k-nearest-neighbour graph term is
    measured at the scale of the neighbours the term connects, within batches like the training ones.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
    n_neighbors : int
        Rank of the neighbour (≥ 1); clipped to the batch size minus one.
    batch_size : int
        Rows per random batch (all rows if ``n`` is smaller).
    n_batches : int
        Number of random batches pooled.
    seed : int

    Returns
    -------
    float
        The median over the pooled rows; 1.0 if it is zero.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"need at least two points of shape (n, d) for a neighbour distance, got shape {X.shape}")
    rng = np.random.default_rng(seed)
    size = min(int(batch_size), X.shape[0])
    rank = min(int(n_neighbors), size - 1)
    distances = []
    for _ in range(n_batches):
        d2 = squared_euclidean(X[rng.choice(X.shape[0], size=size, replace=False)])
        np.fill_diagonal(d2, np.inf)
        distances.append(np.sqrt(np.partition(d2, rank - 1, axis=1)[:, rank - 1]))
    median = float(np.median(np.concatenate(distances)))
    return median if median > 0 else 1.0


def balance_decorrelation_loss(b_relaxed: tf.Tensor) -> tf.Tensor:
    """Soft form of graph hashing's constraints ``Bᵀ1 = 0`` and ``BᵀB = N I`` (Discrete Graph Hashing).

    ``‖(1/N_b) B̃ᵀB̃ − I‖²_F / k² + ‖(1/N_b) B̃ᵀ1‖² / k``: bits that are balanced (each +1 on half of
    the batch) and uncorrelated give 0. Without these constraints a graph term is minimised by
    codes that are all alike.

    Parameters
    ----------
    b_relaxed : tf.Tensor, shape (N_b, k), float32

    Returns
    -------
    tf.Tensor, scalar float32
    """
    n = tf.cast(tf.shape(b_relaxed)[0], tf.float32)
    k = tf.cast(tf.shape(b_relaxed)[1], tf.float32)
    gram = tf.matmul(b_relaxed, b_relaxed, transpose_a=True) / n
    decorrelation = tf.reduce_sum(tf.square(gram - tf.eye(tf.shape(b_relaxed)[1]))) / (k * k)
    balance = tf.reduce_sum(tf.square(tf.reduce_mean(b_relaxed, axis=0))) / k
    return decorrelation + balance
