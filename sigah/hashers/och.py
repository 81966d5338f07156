"""Ordinal Constraint Hashing (Liu, Ji, Wu, Huang, AAAI 2017; Liu, Ji, Wang, Shen, TPAMI 2019),
as a documented reconstruction.

OCH preserves the *ordinal relations* of the data, the rank order of distances, in Hamming
space. To avoid the ``O(n⁴)`` tensor of all tuples, the constraints are projected onto a
small set of landmarks (Ordinal Constraint Projection); the hash functions are linear and
kept orthogonal by optimising on the Stiefel manifold. No public code of OCH is known and
its exact loss is not reproduced here; this module implements the following design
(chapter "The baselines", Eqs. ``eq-och-loss`` and ``eq-och-stiefel``):

1. ``L`` landmarks ``c_1..c_L`` by k-means on a training sample (``landmarks="kmeans"``) or
   drawn at random (``"random"``).
2. For each training point ``x`` of a mini-batch, ``pairs_per_point`` landmark pairs
   ``(a, b)`` are drawn among its ``n_near`` nearest landmarks with ``‖x − c_a‖ < ‖x − c_b‖``;
   the ordinal constraint ``d̃(x, c_a) < d̃(x, c_b)`` is enforced by the logistic loss
   ``softplus(sharpness · (d̃(x, c_a) − d̃(x, c_b)))`` on the relaxed Hamming distance
   ``d̃(u, v) = ¼ ‖tanh(Wᵀ(u − x̄)/τ) − tanh(Wᵀ(v − x̄)/τ)‖²`` (in bits once ``tanh`` saturates).
3. ``W ∈ ℝ^{d×k}`` stays orthonormal (``WᵀW = I_k``): the Euclidean gradient ``G`` is projected
   onto the tangent space, ``ξ = G − W sym(WᵀG)``, and the step ``W − ηξ`` is retracted by a QR
   decomposition (signs fixed so that ``diag R > 0``).
4. Codes ``sgn(Wᵀ(x − x̄))``; ``W`` starts at the top-``k`` principal directions (optionally
   followed by a random rotation, ``init="pca_rotated"``), ``τ`` is fixed at the start as the
   mean absolute initial projection.

Choices: the principal directions and the k-means landmarks are computed on a random
sample of ``n_sample`` training points; the learning rate decays linearly to zero.

Input scaling: the training mean is subtracted (stored with the model); no scaling is
applied because none is needed: ``τ`` is measured on the data, so ``tanh(Wᵀx/τ)`` and the
gradient ``∝ 1/τ · Xᵀ(…)`` do not change when the data are multiplied by ``a > 0``, and ``W``
stays orthonormal whatever the data's units.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from sigah.distances import squared_euclidean
from sigah.hashers.base import Hasher
from sigah.progress import progress_bar
from sigah.validation import check_choice, check_scalar

__all__ = ["OrdinalConstraintHashing", "kmeans", "stiefel_step", "violated_fraction"]

_LANDMARKS = ("kmeans", "random")
_INITS = ("pca", "pca_rotated")


def kmeans(X: np.ndarray, n_clusters: int, n_iter: int, rng: np.random.Generator) -> np.ndarray:
    """Lloyd's k-means from ``n_clusters`` random points (empty clusters keep their centre).

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d), float32
    n_clusters : int
    n_iter : int
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n_clusters, d), float32
    """
    centers = X[rng.choice(len(X), n_clusters, replace=False)].copy()
    for _ in range(n_iter):
        assign = squared_euclidean(X, centers).argmin(axis=1)
        counts = np.bincount(assign, minlength=n_clusters)
        # cluster sums as one sparse one-hot product (np.add.at is far slower)
        one_hot = sparse.csr_matrix(
            (np.ones(len(X), np.float32), (assign, np.arange(len(X)))), shape=(n_clusters, len(X))
        )
        sums = one_hot @ X
        full = counts > 0
        centers[full] = (sums[full] / counts[full, None]).astype(np.float32)
    return centers


def stiefel_step(W: np.ndarray, grad: np.ndarray, step: float) -> np.ndarray:
    """One Riemannian gradient step on the Stiefel manifold with a QR retraction.

    Chapter "The baselines", Eq. ``eq-och-stiefel``: ``ξ = G − W sym(WᵀG)``, ``W ← qf(W − ηξ)``.

    Parameters
    ----------
    W : numpy.ndarray, shape (d, k)
        Orthonormal columns.
    grad : numpy.ndarray, shape (d, k)
        Euclidean gradient ``G``.
    step : float
        ``η``.

    Returns
    -------
    numpy.ndarray, shape (d, k), dtype of ``W``
        Orthonormal columns (``WᵀW = I_k`` to rounding).
    """
    WtG = W.T @ grad
    xi = grad - W @ (0.5 * (WtG + WtG.T))
    Q, R = np.linalg.qr((W - step * xi).astype(W.dtype))
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def violated_fraction(point_bits: np.ndarray, landmark_bits: np.ndarray, triplets: np.ndarray) -> float:
    """Fraction of ordinal constraints violated in Hamming space (ties count one half).

    Parameters
    ----------
    point_bits : numpy.ndarray, shape (n, k), bool
    landmark_bits : numpy.ndarray, shape (L, k), bool
    triplets : numpy.ndarray, shape (T, 3), int
        ``(i, a, b)``: landmark ``a`` is nearer to point ``i`` than landmark ``b``.

    Returns
    -------
    float
    """
    i, a, b = triplets.T
    d_a = (point_bits[i] != landmark_bits[a]).sum(axis=1)
    d_b = (point_bits[i] != landmark_bits[b]).sum(axis=1)
    return float(np.mean((d_a > d_b) + 0.5 * (d_a == d_b)))


def _scatter_rows(index: np.ndarray, values: np.ndarray, n_rows: int) -> np.ndarray:
    """``out[index[t]] += values[t]`` for all ``t`` (a bincount, much faster than ``np.add.at``)."""
    k = values.shape[1]
    flat = (index[:, None] * k + np.arange(k)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=n_rows * k).reshape(n_rows, k)


class OrdinalConstraintHashing(Hasher):
    """Linear orthogonal hashing that preserves distance orders to landmarks (reconstruction of OCH).

    Parameters
    ----------
    n_bits : int
        Code length ``k``, a positive multiple of 8, at most the data dimension.
    seed : int
        Seed of the sample, the landmarks, the rotation and the mini-batches.
    n_landmarks : int
        Number of landmarks ``L`` (default 256).
    landmarks : {"kmeans", "random"}
    n_sample : int
        Training points used for PCA and k-means (default 5 000).
    kmeans_iter : int
        Lloyd iterations (default 10).
    n_near : int
        Constraints are drawn among each point's ``n_near`` nearest landmarks (default 50).
    pairs_per_point : int
        Ordinal constraints per point and step (default 16).
    batch_size : int
        Points per step (default 256).
    n_steps : int
        Stiefel gradient steps (default 300).
    learning_rate : float
        Initial step ``η₀`` (decays linearly to 0; default 2, tuned on MNIST for the
        gradient averaged over constraints).
    sharpness : float
        Slope of the logistic loss per bit of relaxed distance (default 1).
    init : {"pca", "pca_rotated"}
        Start at the principal directions, or at them times a random rotation.
    eval_every : int
        Record the violated fraction on fixed monitoring triplets every this many steps.
    progress : bool

    Attributes
    ----------
    mean_ : numpy.ndarray, shape (d,), float32
    projection_ : numpy.ndarray, shape (d, n_bits), float32
        ``W``, orthonormal columns.
    landmarks_ : numpy.ndarray, shape (n_landmarks, d), float32
        Centred (the training mean subtracted).
    tau_ : float
    history_ : list of dict
        ``step``, ``violated`` (fraction of monitoring constraints violated by the binary codes)
        and ``loss`` (mean logistic loss of the last mini-batch).
    """

    name = "och"
    stored_attributes = Hasher.stored_attributes + ("history_",)

    def __init__(
        self,
        n_bits: int = 32,
        seed: int = 0,
        n_landmarks: int = 256,
        landmarks: str = "kmeans",
        n_sample: int = 5000,
        kmeans_iter: int = 10,
        n_near: int = 50,
        pairs_per_point: int = 16,
        batch_size: int = 256,
        n_steps: int = 300,
        learning_rate: float = 2.0,
        sharpness: float = 1.0,
        init: str = "pca",
        eval_every: int = 25,
        progress: bool = False,
    ) -> None:
        super().__init__(n_bits=n_bits, seed=seed)
        self.n_landmarks = n_landmarks
        self.landmarks = landmarks
        self.n_sample = n_sample
        self.kmeans_iter = kmeans_iter
        self.n_near = n_near
        self.pairs_per_point = pairs_per_point
        self.batch_size = batch_size
        self.n_steps = n_steps
        self.learning_rate = learning_rate
        self.sharpness = sharpness
        self.init = init
        self.eval_every = eval_every
        self.progress = progress

    def _validate_params(self) -> None:
        for name in ("n_landmarks", "n_sample", "pairs_per_point", "batch_size", "eval_every"):
            check_scalar(getattr(self, name), name, int, min_val=1)
        check_scalar(self.n_near, "n_near", int, min_val=2, max_val=self.n_landmarks)
        for name in ("kmeans_iter", "n_steps"):
            check_scalar(getattr(self, name), name, int, min_val=0)
        for name in ("learning_rate", "sharpness"):
            check_scalar(getattr(self, name), name, float, min_val=0, include_boundaries="neither")
        check_choice(self.landmarks, "landmarks", _LANDMARKS)
        check_choice(self.init, "init", _INITS)
        check_scalar(self.progress, "progress", bool)

    # -- training ------------------------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        # Every step works on small matrices (a batch of 256, a d × k QR): threaded BLAS only
        # adds synchronisation there, and on a busy machine it made training 50-80× slower.
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit_single_thread(X)

    def _fit_single_thread(self, X: np.ndarray) -> None:
        n, d = X.shape
        k = self.n_bits
        if k > d:
            raise ValueError(f"OCH learns k orthonormal directions and needs n_bits <= d; got n_bits={k}, d={d}")
        if n < self.n_landmarks:
            raise ValueError(f"OCH needs at least n_landmarks={self.n_landmarks} training points, got {n}")
        rng = self._rng()
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32)
        sample = X[np.sort(rng.choice(n, min(n, self.n_sample), replace=False))] - self.mean_
        if self.landmarks == "kmeans":
            self.landmarks_ = kmeans(sample, self.n_landmarks, self.kmeans_iter, rng)
        else:
            self.landmarks_ = sample[rng.choice(len(sample), self.n_landmarks, replace=False)].copy()
        W = self._initial_projection(sample, rng)
        self.tau_ = float(np.abs(sample @ W).mean())
        monitor = self._draw_triplets(sample[: min(len(sample), 2000)], rng)
        monitor_points = sample[: min(len(sample), 2000)]
        self.history_ = []
        bar = progress_bar(range(self.n_steps + 1), desc="OCH", enabled=self.progress, leave=False)
        loss = float("nan")
        for step in bar:
            if step % self.eval_every == 0 or step == self.n_steps:
                frac = violated_fraction(monitor_points @ W >= 0, self.landmarks_ @ W >= 0, monitor)
                self.history_.append({"step": step, "violated": frac, "loss": loss})
                bar.set_postfix(violated=f"{frac:.3f}")
            if step == self.n_steps:
                break
            batch = X[rng.integers(0, n, self.batch_size)] - self.mean_
            triplets = self._draw_triplets(batch, rng)
            loss, grad = self._loss_and_gradient(W, batch, triplets)
            rate = self.learning_rate * (1.0 - step / self.n_steps)
            W = stiefel_step(W, grad, rate).astype(np.float32)
        self.projection_ = W.astype(np.float32)

    def _initial_projection(self, sample: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cov = (sample.T @ sample).astype(np.float64) / max(len(sample) - 1, 1)
        eigval, eigvec = np.linalg.eigh(cov)
        W = eigvec[:, np.argsort(eigval)[::-1][: self.n_bits]]
        if self.init == "pca_rotated":
            R, _ = np.linalg.qr(rng.standard_normal((self.n_bits, self.n_bits)))
            W = W @ R
        return W.astype(np.float32)

    def _draw_triplets(self, points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``(i, a, b)`` with landmark ``a`` nearer to point ``i`` than ``b``, among its ``n_near`` nearest."""
        d2 = squared_euclidean(points, self.landmarks_)
        near = np.argsort(d2, axis=1)[:, : self.n_near]  # by increasing distance
        m, p = len(points), self.pairs_per_point
        r1 = rng.integers(0, self.n_near, (m, p))
        r2 = rng.integers(0, self.n_near - 1, (m, p))
        r2 = r2 + (r2 >= r1)  # a different rank, uniformly
        rows = np.repeat(np.arange(m), p)
        lo, hi = np.minimum(r1, r2).ravel(), np.maximum(r1, r2).ravel()
        return np.stack([rows, near[rows, lo], near[rows, hi]], axis=1)

    def _loss_and_gradient(self, W: np.ndarray, points: np.ndarray, triplets: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean logistic ordinal loss (Eq. ``eq-och-loss``) and its Euclidean gradient in ``W``."""
        tau, s = self.tau_, self.sharpness
        Ax = np.tanh(points @ W / tau)
        Ac = np.tanh(self.landmarks_ @ W / tau)
        i, a, b = triplets.T
        diff_a = Ax[i] - Ac[a]
        diff_b = Ax[i] - Ac[b]
        margin = 0.25 * ((diff_a**2).sum(axis=1) - (diff_b**2).sum(axis=1))  # d̃(x, c_a) − d̃(x, c_b)
        z = s * margin
        loss = float(np.mean(np.logaddexp(0.0, z)))
        g = s / (1.0 + np.exp(-z)) / len(triplets)  # dℓ/d margin, averaged over triplets
        half_g = 0.5 * g[:, None]
        # triplets come grouped by point (pairs_per_point consecutive rows per point)
        grad_Ax = (half_g * (Ac[b] - Ac[a])).reshape(len(points), -1, Ax.shape[1]).sum(axis=1)
        grad_Ac = _scatter_rows(a, -half_g * diff_a, len(Ac)) + _scatter_rows(b, half_g * diff_b, len(Ac))
        grad = points.T @ (grad_Ax * (1.0 - Ax**2)) + self.landmarks_.T @ (grad_Ac * (1.0 - Ac**2))
        return loss, grad / tau

    # -- codes -------------------------------------------------------------------------------------
    def project(self, X: np.ndarray) -> np.ndarray:
        """Projections ``Wᵀ(x − x̄)``, shape ``(n, n_bits)``, float32."""
        return self._project(self._checked_input(X))

    def _project(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) @ self.projection_

    def _encode_bits(self, X: np.ndarray) -> np.ndarray:
        return self._project(X) >= 0

    def _state(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.mean_, "projection": self.projection_, "landmarks": self.landmarks_,
            "tau": np.float64(self.tau_),
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.mean_ = state["mean"]
        self.projection_ = state["projection"]
        self.landmarks_ = state["landmarks"]
        self.tau_ = float(state["tau"])
