"""Locality-sensitive hashing by sign random projections (Charikar 2002).

The paper cites Datar et al.'s p-stable scheme but compares binary codes, so the baseline
is the binary form: ``b = sgn(Rᵀ(x − x̄))`` with ``R`` a ``d × k`` standard Gaussian
matrix. For centred data, ``Pr[b_l(x) ≠ b_l(y)] = θ(x, y) / π`` (the angle between the
centred vectors); the chapter "The baselines" and the tests check this.

Input scaling: the training mean ``x̄`` is subtracted (``center=True``, stored with the model),
because the bits of uncentred non-negative data (pixels, SIFT descriptors) share the sign of
``Rᵀx̄`` and are nearly constant. No scaling: the sign of a projection does not change when
``x`` is multiplied by a positive number, and a per-feature scaling would change the Euclidean
geometry the neighbours are measured in.
"""

from __future__ import annotations

import numpy as np

from sigah.codes import signs_to_bits
from sigah.hashers.base import Hasher
from sigah.validation import check_scalar

__all__ = ["LSH"]


class LSH(Hasher):
    """Sign-random-projection LSH.

    Parameters
    ----------
    n_bits : int
        Code length, a positive multiple of 8.
    seed : int
        Seed of the Gaussian projection.
    center : bool
        Subtract the training mean before projecting (default ``True``; without it the
        bits of non-negative data such as pixels are strongly biased).

    Attributes
    ----------
    mean_ : numpy.ndarray, shape (d,)
    projection_ : numpy.ndarray, shape (d, n_bits)
    """

    name = "lsh"

    def __init__(self, n_bits: int = 32, seed: int = 0, center: bool = True) -> None:
        super().__init__(n_bits=n_bits, seed=seed)
        self.center = center

    def _validate_params(self) -> None:
        check_scalar(self.center, "center", bool)

    def _fit(self, X: np.ndarray) -> None:
        d = X.shape[1]
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32) if self.center else np.zeros(d, np.float32)
        self.projection_ = self._rng().standard_normal((d, self.n_bits)).astype(np.float32)

    def project(self, X: np.ndarray) -> np.ndarray:
        """Real-valued projections ``Rᵀ(x − x̄)`` of ``X`` (validated like :meth:`encode`), shape ``(n, n_bits)``."""
        return self._project(self._checked_input(X))

    def _project(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) @ self.projection_

    def _encode_bits(self, X: np.ndarray) -> np.ndarray:
        return signs_to_bits(self._project(X))

    def _state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean_, "projection": self.projection_}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.mean_ = state["mean"]
        self.projection_ = state["projection"]
