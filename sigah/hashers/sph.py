"""Spherical Hashing (Heo, Lee, He, Chang, Yoon; CVPR 2012, TPAMI 2015).

Each bit is a hypersphere ``(p_l, t_l)``: ``b_l(x) = +1`` when ``‖x − p_l‖ ≤ t_l`` (inside)
and ``−1`` outside. Training balances the spheres (chapter "The baselines", Eqs.
``eq-sph-balance`` and ``eq-sph-force``):

1. each centre starts as the mean of 5 random training points;
2. each radius is the median distance from its centre to the training points, so every
   sphere holds half of them;
3. the pairwise overlaps ``o_ij = |S_i ∩ S_j|`` are driven to ``N/4`` (pairwise
   independent bits) by forces ``f_ij = ½ (o_ij − N/4)/(N/4) (p_i − p_j)`` applied as
   ``p_i += (1/k) Σ_j f_ij`` (over-full pairs move apart, under-full pairs come closer);
4. radii and overlaps are recomputed until the published stopping rule holds:
   ``mean |o_ij − N/4| ≤ ε_mean N/4`` and ``std(o_ij) ≤ ε_std N/4`` (ε = 0.10 and 0.15).

Two distances between codes are offered: the spherical Hamming distance the paper
proposes, ``d_SHD(a, b) = |a ⊕ b| / |a ∧ b|`` (XOR count over the number of spheres that
hold both points), and the plain Hamming distance. The distance is chosen by the
``distance`` parameter and used by :meth:`SphericalHashing.distances`; the packed codes
are the same for both.

Choices where the published method is open: training runs on a random subsample of
``n_train`` points (the paper does not fix the training-set size), the overlaps are counted with one float32 matrix product of the 0/1 membership
matrix, and the convention for ``|a ∧ b| = 0`` is documented in :func:`spherical_hamming_distances`.

Input scaling: none is needed, and none is applied (as in the published code). The centres
start as means of data points, the radii are medians of distances and the force moves a
centre by differences of centres, so a shift ``x + c`` or a scaling ``a x`` (``a > 0``) of the
data moves every sphere with it and leaves every code unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np

from sigah.codes import unpack_bits
from sigah.distances import squared_euclidean
from sigah.hashers.base import Hasher
from sigah.progress import progress_bar
from sigah.validation import check_choice, check_scalar

__all__ = ["SphericalHashing", "spherical_hamming_distances", "sphere_overlaps"]

_DISTANCES = ("spherical", "hamming")


def sphere_overlaps(inside: np.ndarray) -> np.ndarray:
    """Pairwise overlaps ``o_ij = |S_i ∩ S_j|`` of the spheres.

    Parameters
    ----------
    inside : numpy.ndarray, shape (n, k), bool
        ``inside[n, l]`` is True when point ``n`` lies in sphere ``l``.

    Returns
    -------
    numpy.ndarray, shape (k, k), float64
        Counts; the diagonal holds the sphere sizes. Computed as one float32 matrix product
        (exact: counts below 2**24).
    """
    M = inside.astype(np.float32)
    return (M.T @ M).astype(np.float64)


def spherical_hamming_distances(query_bits: np.ndarray, database_bits: np.ndarray) -> np.ndarray:
    """Spherical Hamming distance ``|a ⊕ b| / |a ∧ b|`` between all query and database codes.

    Chapter "The baselines", Eq. ``eq-shd``. Convention when the codes share no sphere
    (``|a ∧ b| = 0``): the distance is ``0`` if the codes are equal (both all-outside) and
    otherwise ``n_bits + |a ⊕ b|``, which is larger than every ratio with a non-empty
    intersection (those are at most ``n_bits − 1``), so such pairs rank after all pairs
    that share a sphere and, among themselves, by Hamming distance.

    Parameters
    ----------
    query_bits : numpy.ndarray, shape (nq, k), bool
        Unpacked codes, True for "inside".
    database_bits : numpy.ndarray, shape (nd, k), bool

    Returns
    -------
    numpy.ndarray, shape (nq, nd), float32
    """
    if query_bits.shape[1] != database_bits.shape[1]:
        raise ValueError(
            f"query codes have {query_bits.shape[1]} bits but database codes have {database_bits.shape[1]}"
        )
    k = query_bits.shape[1]
    Q = query_bits.astype(np.float32)
    B = database_bits.astype(np.float32)
    common = Q @ B.T  # |a ∧ b|, exact small integers in float32
    xor = Q.sum(axis=1, keepdims=True) + B.sum(axis=1) - 2.0 * common
    with np.errstate(divide="ignore", invalid="ignore"):
        shd = np.where(common > 0, xor / common, np.where(xor > 0, k + xor, 0.0))
    return shd.astype(np.float32)


class SphericalHashing(Hasher):
    """Spherical Hashing: one hypersphere per bit, trained to balanced, independent bits.

    Parameters
    ----------
    n_bits : int
        Number of spheres (bits), a positive multiple of 8.
    seed : int
        Seed of the training subsample and of the initial centres.
    distance : {"spherical", "hamming"}
        Distance used by :meth:`distances`: the spherical Hamming distance of the paper
        (default) or the plain Hamming distance.
    n_train : int
        Size of the random training subsample (all points when the data has fewer).
        Default 10 000.
    max_iter : int
        Maximum number of force iterations (100, as in the published code; a warning is
        issued when the stopping rule is not met by then).
    eps_mean, eps_std : float
        Stopping rule: ``mean|o_ij − N/4| ≤ eps_mean · N/4`` and ``std(o_ij) ≤ eps_std · N/4``
        (published values 0.10 and 0.15).
    progress : bool
        Show a progress bar over the iterations.

    Attributes
    ----------
    centers_ : numpy.ndarray, shape (n_bits, d), float32
    radii_ : numpy.ndarray, shape (n_bits,), float32
    n_iter_ : int
        Iterations run.
    converged_ : bool
        Whether the stopping rule was met.
    history_ : list of dict
        Per iteration: ``mean_abs_dev`` and ``std`` of the off-diagonal overlaps, in units of ``N/4``.
    """

    name = "sph"
    stored_attributes = Hasher.stored_attributes + ("converged_", "history_", "n_iter_")

    def __init__(
        self,
        n_bits: int = 32,
        seed: int = 0,
        distance: str = "spherical",
        n_train: int = 10_000,
        max_iter: int = 100,
        eps_mean: float = 0.10,
        eps_std: float = 0.15,
        progress: bool = False,
    ) -> None:
        super().__init__(n_bits=n_bits, seed=seed)
        self.distance = distance
        self.n_train = n_train
        self.max_iter = max_iter
        self.eps_mean = eps_mean
        self.eps_std = eps_std
        self.progress = progress

    def _validate_params(self) -> None:
        check_choice(self.distance, "distance", _DISTANCES)
        for name in ("n_train", "max_iter"):
            check_scalar(getattr(self, name), name, int, min_val=1)
        for name in ("eps_mean", "eps_std"):
            check_scalar(getattr(self, name), name, float, min_val=0, include_boundaries="neither")
        check_scalar(self.progress, "progress", bool)

    # -- training -------------------------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        rng = self._rng()
        if X.shape[0] < 5:
            raise ValueError(f"Spherical Hashing needs at least 5 training points, got {X.shape[0]}")
        if X.shape[0] > self.n_train:
            X = X[np.sort(rng.choice(X.shape[0], self.n_train, replace=False))]
        n, k = X.shape[0], self.n_bits
        # centres start as the mean of 5 random training points each (published initialisation)
        picks = np.stack([rng.choice(n, 5, replace=False) for _ in range(k)])
        centers = X[picks].mean(axis=1).astype(np.float64)
        quarter = n / 4.0
        off_diagonal = ~np.eye(k, dtype=bool)
        self.history_ = []
        self.converged_ = False
        bar = progress_bar(range(self.max_iter), desc="SpH", enabled=self.progress, leave=False)
        for it in bar:
            radii, inside = self._balanced_radii(X, centers)
            overlaps = sphere_overlaps(inside)
            dev = overlaps[off_diagonal] - quarter
            stats = {"mean_abs_dev": float(np.abs(dev).mean() / quarter), "std": float(dev.std() / quarter)}
            self.history_.append(stats)
            bar.set_postfix(stats)
            if stats["mean_abs_dev"] <= self.eps_mean and stats["std"] <= self.eps_std:
                self.converged_ = True
                break
            # f_ij = ½ (o_ij − N/4)/(N/4) (p_i − p_j); p_i += (1/k) Σ_j f_ij  (Eq. eq-sph-force)
            coef = 0.5 * (overlaps - quarter) / quarter
            np.fill_diagonal(coef, 0.0)
            forces = coef.sum(axis=1, keepdims=True) * centers - coef @ centers
            centers = centers + forces / k
        else:
            # the loop ran out: the centres moved once more after the last check
            radii, inside = self._balanced_radii(X, centers)
        self.n_iter_ = len(self.history_)
        if not self.converged_:
            last = self.history_[-1]
            warnings.warn(
                f"Spherical Hashing stopped after {self.max_iter} iterations without meeting the stopping rule "
                f"(mean |o - N/4| = {last['mean_abs_dev']:.3f}, std = {last['std']:.3f} in units of N/4)",
                RuntimeWarning,
                stacklevel=3,
            )
        self.centers_ = centers.astype(np.float32)
        self.radii_ = radii.astype(np.float32)

    @staticmethod
    def _balanced_radii(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Radius of each sphere = median distance of the training points (half inside)."""
        d2 = squared_euclidean(X, centers.astype(np.float32))
        radii2 = np.median(d2, axis=0)
        return np.sqrt(radii2), d2 <= radii2

    # -- codes and distances ----------------------------------------------------------------------
    def _encode_bits(self, X: np.ndarray) -> np.ndarray:
        return squared_euclidean(X, self.centers_) <= self.radii_.astype(np.float32) ** 2

    def project(self, X: np.ndarray) -> np.ndarray:
        """Signed margins ``t_l − ‖x − p_l‖`` (positive inside), shape ``(n, n_bits)``, float32."""
        X = self._checked_input(X)
        return self.radii_ - np.sqrt(squared_euclidean(X, self.centers_))

    def distances(self, query_codes: np.ndarray, database_codes: np.ndarray) -> np.ndarray:
        """Distances between packed query and database codes, by the ``distance`` parameter.

        Parameters
        ----------
        query_codes : numpy.ndarray, shape (nq, n_bits // 8), uint8
        database_codes : numpy.ndarray, shape (nd, n_bits // 8), uint8

        Returns
        -------
        numpy.ndarray, shape (nq, nd), float32
            Spherical Hamming distances (:func:`spherical_hamming_distances`) or plain
            Hamming distances. Smaller is nearer.
        """
        check_choice(self.distance, "distance", _DISTANCES)
        for name, codes in (("query_codes", query_codes), ("database_codes", database_codes)):
            shape = np.shape(codes)
            if len(shape) != 2 or shape[1] * 8 != self.n_bits:
                raise ValueError(f"{name} must be packed {self.n_bits}-bit codes of shape (n, {self.n_bits // 8}), "
                                 f"got shape {shape}")
        q = unpack_bits(query_codes, self.n_bits)
        b = unpack_bits(database_codes, self.n_bits)
        if self.distance == "spherical":
            return spherical_hamming_distances(q, b)
        Q = q.astype(np.float32)
        B = b.astype(np.float32)
        return Q.sum(axis=1, keepdims=True) + B.sum(axis=1) - 2.0 * (Q @ B.T)

    def _state(self) -> dict[str, np.ndarray]:
        return {"centers": self.centers_, "radii": self.radii_}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.centers_ = state["centers"]
        self.radii_ = state["radii"]
