"""Quantisation-optimised LSH, "Beyond 'project and sign' for cosine estimation with binary
codes" (Balu, Furon, Jégou, ICASSP 2014).

Sign-of-projection sketches ``b₀ = sgn(Wᵀx)`` are not the codes whose reconstruction is
closest to ``x``. With a frame ``W ∈ ℝ^{d×L}`` (``L ≥ d`` columns ``w_j``), a code ``b`` is
decoded as the direction ``Wb / ‖Wb‖``, and the best code for ``x`` maximises the cosine
(chapter "The baselines", Eq. ``eq-qolsh-objective``)::

    J(b) = xᵀ W b / ‖W b‖,   b ∈ {−1, +1}^L.

The encoder starts at ``b₀`` and flips, greedily, the single bit that most increases
``J`` until no flip increases it or ``max_flips`` flips were made. Flipping bit ``j``
changes ``Wb`` by ``−2 b_j w_j``, so with ``u = Wᵀx`` and ``s = WᵀW b`` both terms update in
closed form: ``xᵀWb − 2 b_j u_j`` and ``‖Wb‖² − 4 b_j s_j + 4 ‖w_j‖²``.

Search may be symmetric (Hamming distance between codes, what ``sigah evaluate`` reports)
or asymmetric: the query is not quantised and the cosine is estimated as
``qᵀ W b_x / (‖q‖ ‖W b_x‖)`` (:meth:`QoLSH.asymmetric_scores`, Eq. ``eq-qolsh-asym``).

Choices (no public code of the method is known): the data are centred with the training
mean (cosine of centred vectors, for Euclidean neighbours); the frame is by default the
first ``d`` rows of a random orthogonal ``L × L`` matrix (a tight frame, ``WWᵀ = I_d``) or,
with ``frame="gaussian"``, i.i.d. Gaussian columns scaled to unit norm; ``max_flips``
defaults to 64. With ``L = d`` and the tight frame, ``WᵀW = I`` makes ``‖Wb‖`` constant, so
``b₀`` is already optimal and the codes are those of random-rotation LSH with ``d`` bits:
this is what the SiGAH paper's "QoLSH (d bits)" row measures.

Input scaling: the training mean is subtracted (``center=True``, stored with the model), so
the cosine is that of centred vectors, which tracks Euclidean neighbours; no scaling, since
``J(b)`` and the codes do not change when ``x`` is multiplied by a positive number.
"""

from __future__ import annotations

import numpy as np

from sigah.codes import unpack_bits
from sigah.hashers.base import Hasher
from sigah.validation import check_choice, check_scalar

__all__ = ["QoLSH", "greedy_flip_encode"]

_FRAMES = ("tight", "gaussian")


def greedy_flip_encode(
    projections: np.ndarray,
    gram: np.ndarray,
    max_flips: int,
    *,
    return_trace: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Greedy bit flips from ``sgn(u)`` that increase ``J(b) = uᵀb / sqrt(bᵀ K b)``.

    Chapter "The baselines", Eq. ``eq-qolsh-objective`` (``u = Wᵀx``, ``K = WᵀW``).

    Parameters
    ----------
    projections : numpy.ndarray, shape (n, L), float32
        ``u = Wᵀx`` for each point.
    gram : numpy.ndarray, shape (L, L), float32
        ``K = WᵀW``.
    max_flips : int
        Maximum number of flips per point (0 gives the sign-of-projection codes).
    return_trace : bool
        Also return the objective after each flip step.

    Returns
    -------
    bits : numpy.ndarray, shape (n, L), bool
        True for ``+1``.
    trace : numpy.ndarray, shape (n, max_flips + 1), float64
        Only with ``return_trace``: ``J`` at the start and after each step (NaN once a
        point has stopped flipping). A flip is accepted only when it raises ``J`` by more
        than ``1e-6`` relative (float32 search precision).
    """
    # the search over flips runs in float32 (it only has to find the best candidate); the
    # objective of the accepted flip is tracked in float64, so the acceptance test is exact
    u = np.asarray(projections, np.float32)
    K = np.asarray(gram, np.float32)
    n, L = u.shape
    b = np.where(u >= 0, np.float32(1), np.float32(-1))
    s = b @ K  # K b for every point (K symmetric)
    num = (u.astype(np.float64) * b).sum(axis=1)
    den2 = (b.astype(np.float64) * s).sum(axis=1)
    diag4 = 4.0 * np.diag(K)
    trace = np.full((n, max_flips + 1), np.nan) if return_trace else None
    if return_trace:
        trace[:, 0] = num / np.sqrt(den2)
    active = np.arange(n)
    for step in range(1, max_flips + 1):
        if active.size == 0:
            break
        ba, sa = b[active], s[active]
        # new ‖Wb‖² and new xᵀWb of every single-bit flip
        cand_den2 = ba * sa
        cand_den2 *= -4.0
        cand_den2 += den2[active, None].astype(np.float32)
        cand_den2 += diag4
        cand = ba * u[active]
        cand *= -2.0
        cand += num[active, None].astype(np.float32)
        np.maximum(cand_den2, np.float32(1e-30), out=cand_den2)
        np.sqrt(cand_den2, out=cand_den2)
        cand /= cand_den2
        best = cand.argmax(axis=1)
        rows = np.arange(active.size)
        b_j = ba[rows, best].astype(np.float64)
        new_num = num[active] - 2.0 * b_j * u[active, best]
        new_den2 = den2[active] - 4.0 * b_j * sa[rows, best] + diag4[best]
        current = num[active] / np.sqrt(den2[active])
        # accept only a strict increase beyond float32 rounding, so every flip improves J
        improves = (new_den2 > 0) & (new_num / np.sqrt(np.maximum(new_den2, 1e-300)) > current + 1e-6 * np.abs(current))
        keep = active[improves]
        j = best[improves]
        old = b[keep, j]
        num[keep] = new_num[improves]
        den2[keep] = new_den2[improves]
        b[keep, j] = -old
        s[keep] -= (2.0 * old)[:, None] * K[j]
        if return_trace:
            trace[keep, step] = num[keep] / np.sqrt(den2[keep])
        active = keep
    bits = b > 0
    return (bits, trace) if return_trace else bits


class QoLSH(Hasher):
    """Quantisation-optimised LSH with a frame of ``L = n_bits ≥ d`` vectors.

    Parameters
    ----------
    n_bits : int
        Code length ``L``: a multiple of 8, at least the data dimension ``d``.
    seed : int
        Seed of the random frame.
    max_flips : int
        Maximum greedy flips per code (default 64; 0 gives sign-of-projection codes).
    frame : {"tight", "gaussian"}
        ``"tight"``: ``d`` rows of a random orthogonal ``L × L`` matrix (``WWᵀ = I``);
        ``"gaussian"``: i.i.d. Gaussian columns of unit norm.
    center : bool
        Subtract the training mean before encoding (default True).

    Attributes
    ----------
    mean_ : numpy.ndarray, shape (d,), float32
    frame_ : numpy.ndarray, shape (d, n_bits), float32
    """

    name = "qolsh"

    def __init__(
        self, n_bits: int = 784, seed: int = 0, max_flips: int = 64, frame: str = "tight", center: bool = True
    ) -> None:
        super().__init__(n_bits=n_bits, seed=seed)
        self.max_flips = max_flips
        self.frame = frame
        self.center = center

    @staticmethod
    def bits_for(n_features: int) -> int:
        """The smallest valid code length for ``n_features``-dimensional data (``d`` rounded up to bytes)."""
        return -(-int(n_features) // 8) * 8

    def _validate_params(self) -> None:
        check_scalar(self.max_flips, "max_flips", int, min_val=0)
        check_choice(self.frame, "frame", _FRAMES)
        check_scalar(self.center, "center", bool)

    def _fit(self, X: np.ndarray) -> None:
        d, L = X.shape[1], self.n_bits
        if L < d:
            raise ValueError(
                f"QoLSH needs at least as many bits as input dimensions: n_bits={L} < d={d}; "
                f"use n_bits >= {self.bits_for(d)}"
            )
        rng = self._rng()
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32) if self.center else np.zeros(d, np.float32)
        if self.frame == "tight":
            Q, R = np.linalg.qr(rng.standard_normal((L, L)))
            Q *= np.sign(np.diag(R))  # Haar-distributed orthogonal matrix
            W = Q[:d]
        else:
            W = rng.standard_normal((d, L))
            W /= np.linalg.norm(W, axis=0)
        self.frame_ = W.astype(np.float32)

    def _centered(self, X: np.ndarray) -> np.ndarray:
        return X - self.mean_

    def project(self, X: np.ndarray) -> np.ndarray:
        """Frame coefficients ``Wᵀ(x − x̄)``, shape ``(n, n_bits)``, float32."""
        return self._project(self._checked_input(X))

    def _project(self, X: np.ndarray) -> np.ndarray:
        return self._centered(X) @ self.frame_

    def _encode_bits(self, X: np.ndarray, block_size: int = 4096) -> np.ndarray:
        gram = self.frame_.T @ self.frame_
        out = np.empty((X.shape[0], self.n_bits), dtype=bool)
        for start in range(0, X.shape[0], block_size):
            u = self._project(X[start : start + block_size])
            out[start : start + block_size] = greedy_flip_encode(u, gram, self.max_flips)
        return out

    def reconstruct(self, codes: np.ndarray) -> np.ndarray:
        """Unit directions ``W b / ‖W b‖`` decoded from packed codes, shape ``(n, d)``, float32."""
        self._check_fitted()
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] * 8 != self.n_bits:
            raise ValueError(f"codes must be packed {self.n_bits}-bit codes of shape (n, {self.n_bits // 8}), "
                             f"got shape {codes.shape}")
        signs = np.where(unpack_bits(codes, self.n_bits), 1.0, -1.0).astype(np.float32)
        V = signs @ self.frame_.T
        norms = np.linalg.norm(V, axis=1, keepdims=True)
        return V / np.maximum(norms, np.finfo(np.float32).tiny)

    def asymmetric_scores(self, queries: np.ndarray, database_codes: np.ndarray) -> np.ndarray:
        """Asymmetric cosine estimates ``qᵀ W b / (‖q‖ ‖W b‖)`` (Eq. ``eq-qolsh-asym``).

        The query is centred but not quantised. Larger is nearer (a similarity, not a
        distance); rank by ``-scores`` to use a distance-based evaluator.

        Parameters
        ----------
        queries : array_like, shape (nq, d)
        database_codes : numpy.ndarray, shape (nd, n_bits // 8), uint8

        Returns
        -------
        numpy.ndarray, shape (nq, nd), float32
        """
        Q = self._centered(self._checked_input(queries, name="queries"))
        Q /= np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), np.finfo(np.float32).tiny)
        return Q @ self.reconstruct(database_codes).T

    def _state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "frame": self.frame_}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.mean_ = state["mean"]
        self.frame_ = state["frame"]
