"""Binary Autoencoder trained by the method of auxiliary coordinates (Carreira-Perpiñán and
Raziperchikolaei, "Hashing with binary autoencoders", CVPR 2015).

Model: an encoder of ``L`` binary linear classifiers ``h(x) = step(Fᵀx + f₀) ∈ {0,1}^L`` and a
linear decoder ``f(z) = Wz + w``; the binary autoencoder minimises the nested error
``E_BA(h, f) = Σ_n ‖x_n − f(h(x_n))‖²``. MAC introduces one auxiliary code ``z_n ∈ {0,1}^L`` per
point and the penalised objective (chapter "The baselines", Eq. ``eq-ba-mac``)::

    E_Q(h, f, Z; μ) = Σ_n ‖x_n − f(z_n)‖² + μ ‖z_n − h(x_n)‖²,

minimised by alternation over an increasing schedule ``μ₀ < μ₁ < …``:

* **(h, f)-step**, decoupled given ``Z``: ``f`` by linear least squares of ``X`` on ``Z``;
  ``h`` as ``L`` independent binary linear classifiers predicting ``z_nl`` from ``x_n``;
* **Z-step**, independent per point: ``min_z ‖x − f(z)‖² + μ‖z − h(x)‖²`` over ``{0,1}^L``, by
  exact enumeration of the ``2^L`` codes for small ``L`` or by alternating optimisation over
  single bits otherwise (each bit set to its optimum given the others, sweeps until no bit
  changes, at most ``max_sweeps``), vectorised over all points at once;
* stop when ``Z = h(X)`` (then ``E_Q = E_BA``): further iterations would not change the model.

``Z`` starts at the ITQ codes of the training set, as in the paper (the ITQ rotation is
learned on a random sample of ``init_sample`` points, then applied to all of them).

Deviations and choices (documented in the chapter):

* the classifiers are fitted by (ridge-regularised) least squares on ``±1`` targets, one
  shared linear solve for all bits, instead of linear SVMs: a NumPy port cannot afford
  ``L`` SVMs per iteration on 69 000 points. Least squares is a surrogate classifier, so the
  h-step is not guaranteed to lower ``E_Q`` (the f- and Z-steps are, and the tests check it);
* ``μ₀ = mu0_scale · mean ‖x − x̄‖²`` (default ``10⁻⁵``), multiplied by ``mu_factor = 2`` per
  iteration, at most ``n_iter = 30`` iterations; the paper does not fix the schedule;
* the Z-step of a point starts from whichever of its previous code and ``h(x)`` has the
  lower penalised objective, so the step never increases ``E_Q``;
* data are centred with the training mean (both maps have biases, so this only improves
  the conditioning); the last iterate is kept (the paper selects it on validation
  precision, which needs held-out ground truth).

Input scaling: the training mean is subtracted (stored with the model); no scaling is
applied because none is needed: ``μ₀`` is proportional to ``mean ‖x − x̄‖²`` and the ridge weight
to the trace of ``XᵀX``, so multiplying the data by ``a > 0`` multiplies every term of ``E_Q``
by ``a²`` and leaves the codes of every step unchanged.
"""

from __future__ import annotations

import numpy as np

from sigah.hashers.base import Hasher
from sigah.progress import progress_bar
from sigah.validation import check_choice, check_scalar

__all__ = ["BinaryAutoencoder", "z_step_alternating", "z_step_enumerate", "penalised_objective"]

_Z_STEPS = ("auto", "enumerate", "alternate")


def penalised_objective(C: np.ndarray, gram: np.ndarray, Z: np.ndarray, H: np.ndarray, mu: float) -> np.ndarray:
    """Per-point ``‖x − f(z)‖² + μ‖z − h‖²`` up to the constant ``‖x − w‖²``.

    With ``c = Wᵀ(x − w)`` and ``G = WᵀW``: ``‖x − w − Wz‖² = ‖x − w‖² − 2cᵀz + zᵀGz``.

    Parameters
    ----------
    C : numpy.ndarray, shape (n, L)
    gram : numpy.ndarray, shape (L, L)
    Z, H : numpy.ndarray, shape (n, L), {0, 1}
    mu : float

    Returns
    -------
    numpy.ndarray, shape (n,), float64
    """
    Z = Z.astype(np.float64)
    return ((Z @ gram - 2.0 * C) * Z).sum(axis=1) + mu * np.abs(Z - H).sum(axis=1)


def z_step_alternating(
    C: np.ndarray, gram: np.ndarray, H: np.ndarray, mu: float, Z0: np.ndarray, max_sweeps: int = 100
) -> tuple[np.ndarray, int]:
    """Z-step by alternating optimisation over single bits, all points at once.

    Chapter "The baselines", Eq. ``eq-ba-zstep``. Bit ``l`` is set to 1 exactly when that
    lowers the objective given the other bits:
    ``Δ_l = G_ll + 2 Σ_{m≠l} G_lm z_m − 2 c_l + μ (1 − 2 h_l) < 0`` (kept when ``Δ_l = 0``), so
    the objective never increases. Sweeps over the bits repeat until one sweep changes
    nothing or ``max_sweeps`` sweeps were made.

    Parameters
    ----------
    C : numpy.ndarray, shape (n, L)
        ``c = Wᵀ(x − w)``.
    gram : numpy.ndarray, shape (L, L)
        ``G = WᵀW``.
    H : numpy.ndarray, shape (n, L), {0, 1}
        Encoder outputs ``h(x)``.
    mu : float
    Z0 : numpy.ndarray, shape (n, L), {0, 1}
        Starting codes.
    max_sweeps : int

    Returns
    -------
    Z : numpy.ndarray, shape (n, L), float64 in {0, 1}
    sweeps : int
        Sweeps made.
    """
    Z = Z0.astype(np.float64).copy()
    G = np.asarray(gram, np.float64)
    linear = -2.0 * np.asarray(C, np.float64) + mu * (1.0 - 2.0 * H)  # terms of Δ that do not depend on Z
    Q = Z @ G  # Q[n, l] = Σ_m G_lm z_m
    diag = np.diag(G)
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):
        changed = 0
        for l in range(Z.shape[1]):
            delta = diag[l] + 2.0 * (Q[:, l] - diag[l] * Z[:, l]) + linear[:, l]
            new = np.where(delta < 0, 1.0, np.where(delta > 0, 0.0, Z[:, l]))
            diff = new - Z[:, l]
            moved = np.flatnonzero(diff)
            if moved.size:
                changed += moved.size
                Z[moved, l] = new[moved]
                Q[moved] += diff[moved, None] * G[l]
        if not changed:
            break
    return Z, sweeps


def z_step_enumerate(C: np.ndarray, gram: np.ndarray, H: np.ndarray, mu: float, block_size: int = 8192) -> np.ndarray:
    """Exact Z-step: the best of all ``2^L`` codes for every point (small ``L`` only).

    Parameters
    ----------
    C, gram, H, mu
        As in :func:`z_step_alternating`.
    block_size : int
        Points scored at once (memory ``block_size · 2^L`` floats).

    Returns
    -------
    numpy.ndarray, shape (n, L), float64 in {0, 1}
        Ties go to the code with the smallest integer value (bit 0 least significant).
    """
    n, L = C.shape
    if L > 20:
        raise ValueError(f"exact enumeration of 2^{L} codes is infeasible; use the alternating Z-step")
    codes = ((np.arange(2**L)[:, None] >> np.arange(L)) & 1).astype(np.float64)  # (2^L, L)
    quadratic = np.einsum("cl,lm,cm->c", codes, gram, codes)
    linear = -2.0 * np.asarray(C, np.float64) + mu * (1.0 - 2.0 * H)
    out = np.empty((n, L))
    for start in range(0, n, block_size):
        scores = linear[start : start + block_size] @ codes.T + quadratic
        out[start : start + block_size] = codes[scores.argmin(axis=1)]
    return out


class BinaryAutoencoder(Hasher):
    """Binary autoencoder hashing trained by MAC (linear encoder and decoder).

    Parameters
    ----------
    n_bits : int
        Code length ``L``, a positive multiple of 8, at most the data dimension.
    seed : int
        Seed of the ITQ initialisation.
    n_iter : int
        Maximum MAC iterations (one per value of ``μ``), default 30.
    mu0_scale : float
        ``μ₀ = mu0_scale · mean ‖x − x̄‖²`` (default ``1e-5``).
    mu_factor : float
        ``μ_{i+1} = mu_factor · μ_i`` (default 2).
    z_step : {"auto", "enumerate", "alternate"}
        Z-step solver; "auto" enumerates when ``n_bits <= enumerate_max_bits``.
    enumerate_max_bits : int
        Largest code length solved by enumeration under "auto" (default 8).
    max_sweeps : int
        Maximum sweeps of the alternating Z-step (default 100, as in the authors' code).
    ridge : float
        Ridge weight of the least-squares classifiers, relative to the mean diagonal of ``XᵀX``
        (default ``1e-4``).
    itq_iter : int
        Iterations of the ITQ initialisation (default 50).
    init_sample : int
        Training points the ITQ initialisation is fitted on (default 20 000; all when fewer).
    progress : bool
        Show a progress bar.

    Attributes
    ----------
    mean_ : numpy.ndarray, shape (d,), float32
    encoder_ : numpy.ndarray, shape (d, n_bits), float32
        ``F``; bit ``l`` is ``1`` when ``(x − x̄)ᵀ F_l + f₀_l ≥ 0``.
    encoder_bias_ : numpy.ndarray, shape (n_bits,), float32
    decoder_ : numpy.ndarray, shape (d, n_bits), float32
        ``W`` of ``f(z) = Wz + w`` (on centred data).
    decoder_bias_ : numpy.ndarray, shape (d,), float32
    history_ : list of dict
        Per iteration: ``mu``, ``objective_after_hf`` and ``objective_after_z`` (``E_Q / n`` after the
        (h, f)-step and after the Z-step), ``objective_before_f`` (``E_Q / n`` before the f-step),
        ``nested_error`` (``E_BA / n``, decoder applied to ``h(X)``), ``mismatched_bits``
        (``|Z ≠ h(X)|`` after the Z-step), ``sweeps``.
    stop_reason_ : str
        Why training stopped: ``"Z == h(X)"`` or the number of mismatched bits left at ``n_iter``.
    """

    name = "ba"
    stored_attributes = Hasher.stored_attributes + ("history_", "stop_reason_")

    def __init__(
        self,
        n_bits: int = 32,
        seed: int = 0,
        n_iter: int = 30,
        mu0_scale: float = 1e-5,
        mu_factor: float = 2.0,
        z_step: str = "auto",
        enumerate_max_bits: int = 8,
        max_sweeps: int = 100,
        ridge: float = 1e-4,
        itq_iter: int = 50,
        init_sample: int = 20_000,
        progress: bool = False,
    ) -> None:
        super().__init__(n_bits=n_bits, seed=seed)
        self.n_iter = n_iter
        self.mu0_scale = mu0_scale
        self.mu_factor = mu_factor
        self.z_step = z_step
        self.enumerate_max_bits = enumerate_max_bits
        self.max_sweeps = max_sweeps
        self.ridge = ridge
        self.itq_iter = itq_iter
        self.init_sample = init_sample
        self.progress = progress

    def _validate_params(self) -> None:
        for name in ("n_iter", "max_sweeps", "enumerate_max_bits", "init_sample"):
            check_scalar(getattr(self, name), name, int, min_val=1)
        check_scalar(self.itq_iter, "itq_iter", int, min_val=0)
        for name in ("mu0_scale", "ridge"):
            check_scalar(getattr(self, name), name, float, min_val=0, include_boundaries="neither")
        check_scalar(self.mu_factor, "mu_factor", float, min_val=1)  # an increasing schedule
        check_choice(self.z_step, "z_step", _Z_STEPS)
        check_scalar(self.progress, "progress", bool)
        if self.z_step == "enumerate" and self.n_bits > 16:
            raise ValueError(f"z_step='enumerate' enumerates 2^n_bits codes; n_bits={self.n_bits} is too many (max 16)")

    # -- the (h, f)-step --------------------------------------------------------------------------
    def _classifier_solver(self, X: np.ndarray):
        """Factorise the ridge system once: every h-step reuses it (X does not change)."""
        from scipy.linalg import cho_factor, cho_solve

        n, d = X.shape
        A = np.empty((d + 1, d + 1))
        A[:d, :d] = (X.T @ X).astype(np.float64)
        s = X.sum(axis=0, dtype=np.float64)
        A[:d, d] = A[d, :d] = s
        A[d, d] = n
        A[np.arange(d), np.arange(d)] += self.ridge * np.trace(A[:d, :d]) / d
        factor = cho_factor(A)

        def solve(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            T = (2.0 * Z - 1.0).astype(np.float32)  # ±1 targets
            rhs = np.vstack([(X.T @ T).astype(np.float64), T.sum(axis=0, dtype=np.float64)])
            sol = cho_solve(factor, rhs)
            return sol[:d].astype(np.float32), sol[d].astype(np.float32)

        return solve

    @staticmethod
    def _fit_decoder(X: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Least squares ``X ≈ Z Wᵀ + w`` (minimum-norm solution when a bit is constant)."""
        n, L = Z.shape
        Z1 = np.hstack([Z, np.ones((n, 1))]).astype(np.float32)
        A = (Z1.T @ Z1).astype(np.float64)
        sol = np.linalg.lstsq(A, (Z1.T @ X).astype(np.float64), rcond=None)[0]
        return sol[:L].T.astype(np.float32), sol[L].astype(np.float32)

    def _encoder_bits(self, Xc: np.ndarray, F: np.ndarray, f0: np.ndarray) -> np.ndarray:
        return (Xc @ F + f0 >= 0).astype(np.float64)

    # -- training --------------------------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        from sigah.hashers.itq import ITQ

        n, d = X.shape
        if self.n_bits > d:
            raise ValueError(f"BA initialises from ITQ and needs n_bits <= d; got n_bits={self.n_bits}, d={d}")
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32)
        Xc = X - self.mean_
        sq_norms = np.einsum("nd,nd->n", Xc, Xc, dtype=np.float64)
        mu = self.mu0_scale * float(sq_norms.mean())
        rng = self._rng()
        sample = X if n <= self.init_sample else X[np.sort(rng.choice(n, self.init_sample, replace=False))]
        itq = ITQ(n_bits=self.n_bits, seed=self.seed, n_iter=self.itq_iter).fit(sample)
        Z = itq.encode_bits(X).astype(np.float64)
        solve_classifiers = self._classifier_solver(Xc)
        use_enumeration = self.z_step == "enumerate" or (
            self.z_step == "auto" and self.n_bits <= self.enumerate_max_bits
        )
        self.history_ = []
        self.stop_reason_ = ""
        bar = progress_bar(range(self.n_iter), desc="BA (MAC)", enabled=self.progress, leave=False)
        for it in bar:
            if it:
                mu *= self.mu_factor
            F, f0 = solve_classifiers(Z)
            H = self._encoder_bits(Xc, F, f0)
            W_old = getattr(self, "_W", None)
            record = {"mu": mu}
            if W_old is not None:
                # E_Q with the new h but the previous f: the f-step must not increase it
                record["objective_before_f"] = self._objective(Xc, sq_norms, W_old, self._w, Z, H, mu)
            W, w = self._fit_decoder(Xc, Z)
            self._W, self._w = W, w
            C, gram = self._linear_terms(Xc, W, w)
            const = self._constant(Xc, sq_norms, w)
            record["objective_after_hf"] = float((const + penalised_objective(C, gram, Z, H, mu)).mean())
            if use_enumeration:
                Z_new, sweeps = z_step_enumerate(C, gram, H, mu), 0
            else:
                # start each point from the better of its previous code and h(x)
                start_prev = penalised_objective(C, gram, Z, H, mu)
                start_h = penalised_objective(C, gram, H, H, mu)
                Z0 = np.where((start_h < start_prev)[:, None], H, Z)
                Z_new, sweeps = z_step_alternating(C, gram, H, mu, Z0, self.max_sweeps)
            Z = Z_new
            record["objective_after_z"] = float((const + penalised_objective(C, gram, Z, H, mu)).mean())
            record["nested_error"] = float((const + penalised_objective(C, gram, H, H, mu)).mean())
            record["mismatched_bits"] = int((Z != H).sum())
            record["sweeps"] = sweeps
            self.history_.append(record)
            bar.set_postfix(mu=f"{mu:.3g}", mismatched=record["mismatched_bits"])
            self.encoder_, self.encoder_bias_ = F, f0
            self.decoder_, self.decoder_bias_ = W, w
            if record["mismatched_bits"] == 0:
                self.stop_reason_ = "Z == h(X)"
                break
        else:
            self.stop_reason_ = (
                f"reached n_iter={self.n_iter} with {self.history_[-1]['mismatched_bits']} bits of Z different "
                f"from h(X) (mu={mu:.3g}); raise n_iter or mu_factor"
            )
        del self._W, self._w

    @staticmethod
    def _constant(Xc: np.ndarray, sq_norms: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``‖x − w‖²`` per point."""
        return sq_norms - 2.0 * (Xc @ w).astype(np.float64) + float(w.astype(np.float64) @ w)

    @staticmethod
    def _linear_terms(Xc: np.ndarray, W: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``C = (X − w) W`` (n, L) and ``G = WᵀW`` (L, L), float64, without an (n, d) temporary."""
        C = (Xc @ W).astype(np.float64) - (w @ W).astype(np.float64)
        return C, (W.T @ W).astype(np.float64)

    def _objective(self, Xc, sq_norms, W, w, Z, H, mu) -> float:
        C, gram = self._linear_terms(Xc, W, w)
        return float((self._constant(Xc, sq_norms, w) + penalised_objective(C, gram, Z, H, mu)).mean())

    # -- codes -------------------------------------------------------------------------------------
    def project(self, X: np.ndarray) -> np.ndarray:
        """Classifier scores ``(x − x̄)ᵀF + f₀``, shape ``(n, n_bits)``, float32 (bit = score ≥ 0)."""
        return self._project(self._checked_input(X))

    def _project(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) @ self.encoder_ + self.encoder_bias_

    def _encode_bits(self, X: np.ndarray) -> np.ndarray:
        return self._project(X) >= 0

    def decode(self, bits: np.ndarray) -> np.ndarray:
        """Reconstructions ``f(z) = Wz + w + x̄`` of unpacked codes ``(n, n_bits)``, shape ``(n, d)``."""
        self._check_fitted()
        return np.asarray(bits, np.float32) @ self.decoder_.T + self.decoder_bias_ + self.mean_

    def _state(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.mean_, "encoder": self.encoder_, "encoder_bias": self.encoder_bias_,
            "decoder": self.decoder_, "decoder_bias": self.decoder_bias_,
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.mean_ = state["mean"]
        self.encoder_ = state["encoder"]
        self.encoder_bias_ = state["encoder_bias"]
        self.decoder_ = state["decoder"]
        self.decoder_bias_ = state["decoder_bias"]
