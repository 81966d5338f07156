"""Compressed sensing through a generative model (Bora, Jalal, Price & Dimakis, ICML 2017).

Instead of assuming that the signal is sparse, assume it lies near the range of a generator
``G: R^k → R^n`` and estimate it as ``G(ẑ)`` with

    ẑ ∈ argmin_z ‖y − A G(z)‖₂                     (chapter *The generator bound*, ``eq-gb-estimator``)

found by gradient descent from several random starts (the objective is non-convex). SiGAH's
Eq. 5-6 use the same construction with a one-layer sparse (Leaky)ReLU generator; see
:func:`sparse_relu_generator`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sigah.mlp import MLP, Adam

__all__ = ["LatentRecovery", "recover_latent", "polish_latents", "fit_latents", "sparse_relu_generator", "relu_generator",
           "generator_from_weights"]


@dataclass
class LatentRecovery:
    """Result of :func:`recover_latent`.

    Attributes
    ----------
    z : numpy.ndarray, shape (k,)
        Best latent vector found over all restarts, steps and polishing.
    residual : float
        ``‖y − A G(z)‖₂`` at ``z``.
    restart_residuals : numpy.ndarray, shape (n_restarts_used,)
        Best residual reached by each random restart (extra starts ``z_init`` not included).
    history : numpy.ndarray
        Best residual so far after each Adam step and each polishing step, all rounds of
        restarts one after the other (entry 0: the first random starts); never increases.
    relative_residual : float
        ``residual / ‖y‖`` (``residual`` itself when ``y = 0``).
    n_restarts_used : int
        Random restarts run before the tolerance was met or ``max_restarts`` reached.
    """

    z: np.ndarray
    residual: float
    restart_residuals: np.ndarray
    history: np.ndarray
    relative_residual: float = float("nan")
    n_restarts_used: int = 0


def _jacobians(generator: MLP, Z: np.ndarray) -> np.ndarray:
    """``∂G(z)/∂z`` for each row of ``Z``, shape ``(r, n_outputs, n_inputs)`` (forward mode).

    For a (Leaky)ReLU network ``G`` is linear on each activation pattern, so this Jacobian is
    the exact linear map of the pattern ``z`` lies in.
    """
    from sigah.mlp import _activate, _activation_derivative

    H = np.asarray(Z, dtype=np.float64)
    J = np.broadcast_to(np.eye(H.shape[1]), (H.shape[0], H.shape[1], H.shape[1]))
    for W, c, act in zip(generator.weights, generator.biases, generator.activations):
        U = H @ W.T + c
        out = _activate(U, act, generator.leaky_slope)
        slope = _activation_derivative(U, out, act, generator.leaky_slope)
        J = slope[:, :, None] * np.einsum("oi,rik->rok", W, J)
        H = out
    return J


def polish_latents(
    A: np.ndarray | None, y: np.ndarray, generator: MLP, Z: np.ndarray, *, n_steps: int = 20,
    latent_box: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Newton polish of latent vectors: least squares on each one's activation pattern.

    On an activation pattern a (Leaky)ReLU generator is affine, ``G(z') = G(z) + J (z' − z)``, so
    ``z' = z + (A J)⁺ (y − A G(z))`` is the exact least-squares latent of that pattern; repeated
    while the residual falls, it lands on the exact solution once gradient descent has found
    the right pattern, where Adam would crawl. A step is kept only if it lowers the residual.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n), or None (identity)
    y : numpy.ndarray, shape (m,)
    generator : sigah.mlp.MLP
    Z : numpy.ndarray, shape (r, k)
        Starting latents (e.g. the end points of gradient descent).
    n_steps : int
        Maximum number of Gauss-Newton steps.
    latent_box : float, optional
        Project onto ``[−latent_box, latent_box]^k`` after each step.

    Returns
    -------
    Z : numpy.ndarray, shape (r, k)
        Polished latents (never worse than the start).
    residuals : numpy.ndarray, shape (r,)
        ``‖y − A G(z)‖₂`` per row.
    """
    Z = np.array(Z, dtype=np.float64, ndmin=2)

    def residuals(Zb):
        out = generator(Zb)
        R = y - (out if A is None else out @ A.T)
        return R, np.linalg.norm(R, axis=1)

    R, res = residuals(Z)
    for _ in range(n_steps):
        J = _jacobians(generator, Z)
        M = J if A is None else np.einsum("mn,rnk->rmk", A, J)
        Z_new = Z + (np.linalg.pinv(M, rcond=1e-10) @ R[:, :, None])[:, :, 0]
        if latent_box is not None:
            np.clip(Z_new, -latent_box, latent_box, out=Z_new)
        R_new, res_new = residuals(Z_new)
        better = res_new < res * (1.0 - 1e-12)
        if not better.any():
            break
        Z[better], R[better], res[better] = Z_new[better], R_new[better], res_new[better]
    return Z, res


def recover_latent(
    A: np.ndarray | None,
    y: np.ndarray,
    generator: MLP,
    *,
    n_restarts: int = 10,
    max_restarts: int | None = None,
    tol: float = 1e-6,
    polish: bool = True,
    n_steps: int = 500,
    learning_rate: float = 0.05,
    latent_box: float | None = None,
    init_std: float = 1.0,
    z_init: np.ndarray | None = None,
    seed: int | np.random.Generator = 0,
) -> LatentRecovery:
    """Minimise ``‖y − A G(z)‖₂`` over ``z`` by Adam with random restarts (Bora et al. 2017).

    Chapter *The generator bound*, equation ``eq-gb-estimator``. Restarts run in rounds of
    ``n_restarts`` (one batch each); each round's end points are polished by
    :func:`polish_latents` (least squares on their activation patterns); rounds stop as soon as
    the relative residual ``‖y − A G(z)‖ / ‖y‖`` falls below ``tol`` or ``max_restarts`` random
    starts have been used. The objective is non-convex: a single round of gradient descent
    ends in a wrong activation pattern for a sizeable share of signals (chapter
    *Compressed-sensing recovery* measures how many); more rounds and the polish fix most of them.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n), or None
        Measurement matrix; ``None`` means the identity, i.e. ``min_z ‖y − G(z)‖``, the
        best approximation of ``y`` in the range of ``G`` (the first term of Theorem 1).
    y : numpy.ndarray, shape (m,)
        Measurements (shape ``(n,)`` when ``A`` is ``None``).
    generator : sigah.mlp.MLP
        ``G: R^k → R^n``.
    n_restarts : int
        Random starting points per round.
    max_restarts : int, optional
        Most random starting points in all (rounded up to whole rounds); default
        ``4 · n_restarts``. ``max_restarts = n_restarts`` runs a single round.
    tol : float
        Relative residual at which no further round is started (noiseless data in the range
        of ``G`` reach about 1e-12; noisy data never reach a small ``tol`` and use every round).
    polish : bool
        Polish each round's end points by :func:`polish_latents`.
    n_steps : int
        Adam steps per restart.
    learning_rate : float
    latent_box : float, optional
        If given, ``z`` is projected onto ``[−latent_box, latent_box]^k`` after each step
        (``1.0`` gives SiGAH's relaxed code set ``C = [−1, 1]^k``, Eq. 8).
    init_std : float
        Standard deviation of the Gaussian starts (clipped to the box when there is one).
    z_init : numpy.ndarray, shape (r, k), optional
        Extra starting points tried in the first round, in addition to the random ones.
    seed : int or numpy.random.Generator

    Returns
    -------
    LatentRecovery
    """
    if not isinstance(generator, MLP):
        raise ValueError(f"generator must be a sigah.mlp.MLP, got {type(generator).__name__}")
    y = np.asarray(y, dtype=np.float64)
    n_out = generator.n_outputs
    if A is None:
        if y.shape != (n_out,):
            raise ValueError(f"without A, y must have the generator's output shape ({n_out},), got {y.shape}")
    else:
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[1] != n_out:
            raise ValueError(f"A must have shape (m, {n_out}) to measure the generator's output, got {A.shape}")
        if y.shape != (A.shape[0],):
            raise ValueError(f"y must have shape ({A.shape[0]},) to match A of shape {A.shape}, got {y.shape}")
    if n_restarts < 1 or n_steps < 0:
        raise ValueError(f"need n_restarts >= 1 and n_steps >= 0, got {n_restarts} and {n_steps}")
    max_restarts = 4 * n_restarts if max_restarts is None else max_restarts
    if max_restarts < n_restarts:
        raise ValueError(f"max_restarts must be >= n_restarts = {n_restarts}, got {max_restarts}")
    if not tol >= 0:
        raise ValueError(f"tol must be non-negative, got {tol}")
    if latent_box is not None and not latent_box > 0:
        raise ValueError(f"latent_box must be positive or None, got {latent_box}")
    k = generator.n_inputs
    if z_init is not None:
        z_init = np.atleast_2d(np.asarray(z_init, dtype=np.float64))
        if z_init.shape[1] != k:
            raise ValueError(f"z_init must have {k} columns, got shape {z_init.shape}")
    rng = np.random.default_rng(seed)
    y_norm = float(np.linalg.norm(y))
    best_z, best = np.zeros(k), np.inf
    restart_best: list[np.ndarray] = []
    history: list[float] = []
    used = 0
    while used < max_restarts and not (used and best <= tol * y_norm):
        Z = rng.standard_normal((n_restarts, k)) * init_std
        if used == 0 and z_init is not None:
            Z = np.vstack([Z, z_init])
        used += n_restarts
        Z_round, res_round, round_history = _adam_round(A, y, generator, Z, n_steps, learning_rate, latent_box)
        if polish:
            Z_round, res_round = polish_latents(A, y, generator, Z_round, latent_box=latent_box)
        restart_best.append(res_round[:n_restarts])
        i = int(np.argmin(res_round))
        if res_round[i] < best:
            best, best_z = float(res_round[i]), Z_round[i].copy()
        history.extend(np.minimum(round_history, history[-1] if history else np.inf))
        history.append(best)
    relative = best / y_norm if y_norm > 0 else best
    return LatentRecovery(best_z, best, np.concatenate(restart_best), np.minimum.accumulate(history),
                          float(relative), used)


def _adam_round(A, y, generator, Z, n_steps, learning_rate, latent_box):
    """One batch of restarts: Adam on ``½‖y − A G(z)‖²``; best point and residual per restart."""
    if latent_box is not None:
        np.clip(Z, -latent_box, latent_box, out=Z)

    def residuals(Zb: np.ndarray, keep: bool) -> tuple[np.ndarray, np.ndarray]:
        out = generator.forward(Zb, keep=keep)
        R = y - (out if A is None else out @ A.T)  # (r, m)
        return R, np.linalg.norm(R, axis=1)

    R, res = residuals(Z, keep=False)
    best_res = res.copy()
    best_Z = Z.copy()
    history = [best_res.min()]
    opt = Adam([Z], learning_rate=learning_rate)
    for _ in range(n_steps):
        R, res = residuals(Z, keep=True)
        improved = res < best_res
        best_res[improved] = res[improved]
        best_Z[improved] = Z[improved]
        history.append(best_res.min())
        # gradient of ½‖y − A G(z)‖² with respect to G(z) is −Aᵀ r
        grad_out = -(R if A is None else R @ A)
        grad_z, _, _ = generator.backward(grad_out)
        opt.step([grad_z])
        if latent_box is not None:
            np.clip(Z, -latent_box, latent_box, out=Z)
    _, res = residuals(Z, keep=False)
    improved = res < best_res
    best_res[improved] = res[improved]
    best_Z[improved] = Z[improved]
    history[-1] = best_res.min()
    return best_Z, best_res, np.array(history)


def relu_generator(
    latent_dim: int, hidden: list[int], output_dim: int, *, seed: int | np.random.Generator = 0,
    output_activation: str = "relu", bias_std: float = 0.1,
) -> MLP:
    """A random ``d``-layer ReLU generator ``G: R^k → R^n`` (He-scaled Gaussian weights).

    ``d = len(hidden) + 1``; every hidden layer uses ReLU, the output layer
    ``output_activation`` (Theorem 1 covers ReLU and linear output layers).

    Returns
    -------
    sigah.mlp.MLP
    """
    sizes = [latent_dim, *hidden, output_dim]
    acts = ["relu"] * len(hidden) + [output_activation]
    return MLP.random(sizes, acts, seed=seed, weight_scale="he", bias_std=bias_std)


def sparse_relu_generator(
    latent_dim: int, output_dim: int, *, active_fraction: float = 0.1, activation: str = "relu",
    leaky_slope: float = 0.2, seed: int | np.random.Generator = 0,
) -> MLP:
    """One-layer sparse generator ``G(z) = φ(V z + c)`` as in SiGAH's Eq. 5 and Eq. 13.

    ``V`` has ``N(0, 1/k)`` entries and the bias ``c`` is the ``active_fraction`` quantile of
    ``N(0, 1)``, so that for ``z ~ N(0, I_k)`` each ReLU output is non-zero with probability
    about ``active_fraction``: the outputs are sparse.

    Parameters
    ----------
    latent_dim : int
        ``k`` (the number of bits in SiGAH).
    output_dim : int
        ``m`` (``2d`` in SiGAH).
    active_fraction : float
        In ``(0, 1)``.
    activation : {"relu", "leaky_relu"}
    leaky_slope : float
    seed : int or numpy.random.Generator

    Returns
    -------
    sigah.mlp.MLP
    """
    from scipy.stats import norm

    if not 0 < active_fraction < 1:
        raise ValueError(f"active_fraction must lie in (0, 1), got {active_fraction}")
    if activation not in ("relu", "leaky_relu"):
        raise ValueError(f"activation must be 'relu' or 'leaky_relu', got {activation!r}")
    net = MLP.random([latent_dim, output_dim], activation, seed=seed, weight_scale="fan_in",
                     leaky_slope=leaky_slope)
    net.biases[0][:] = norm.ppf(active_fraction)
    return net


def fit_latents(
    A: np.ndarray | None,
    Y: np.ndarray,
    generator: MLP,
    z_init: np.ndarray,
    *,
    n_steps: int = 200,
    learning_rate: float = 0.05,
    latent_box: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``‖y_i − A G(z_i)‖₂`` for many targets at once, one warm start each.

    The batched, restart-free companion of :func:`recover_latent` (chapter *The generator
    bound*, equation ``eq-gb-estimator``), for many feature vectors whose good starting point is
    known, e.g. SiGAH's relaxed codes ``tanh(Wᵀx)``.

    Parameters
    ----------
    A : numpy.ndarray, shape (m, n), or None (identity)
    Y : numpy.ndarray, shape (t, m)
        One target per row.
    generator : sigah.mlp.MLP
    z_init : numpy.ndarray, shape (t, k)
    n_steps : int
    learning_rate : float
    latent_box : float, optional
        Project onto ``[−latent_box, latent_box]^k`` after every step.

    Returns
    -------
    Z : numpy.ndarray, shape (t, k)
        Best latent found for each target (never worse than its start).
    residuals : numpy.ndarray, shape (t,)
        ``‖y_i − A G(z_i)‖₂``.
    """
    if not isinstance(generator, MLP):
        raise ValueError(f"generator must be a sigah.mlp.MLP, got {type(generator).__name__}")
    Y = np.asarray(Y, dtype=np.float64)
    Z = np.array(z_init, dtype=np.float64)
    n_out = generator.n_outputs
    m = n_out if A is None else np.shape(A)[0]
    if A is not None:
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2 or A.shape[1] != n_out:
            raise ValueError(f"A must have shape (m, {n_out}) to measure the generator's output, got {A.shape}")
    if Y.ndim != 2 or Y.shape[1] != m:
        raise ValueError(f"Y must have shape (t, {m}), got {Y.shape}")
    if Z.shape != (Y.shape[0], generator.n_inputs):
        raise ValueError(f"z_init must have shape ({Y.shape[0]}, {generator.n_inputs}), got {Z.shape}")
    if latent_box is not None:
        np.clip(Z, -latent_box, latent_box, out=Z)

    def residuals(keep: bool):
        out = generator.forward(Z, keep=keep)
        R = Y - (out if A is None else out @ A.T)
        return R, np.linalg.norm(R, axis=1)

    R, best_res = residuals(False)
    best_Z = Z.copy()
    opt = Adam([Z], learning_rate=learning_rate)
    for _ in range(n_steps):
        R, res = residuals(True)
        better = res < best_res
        best_res[better], best_Z[better] = res[better], Z[better]
        grad_z, _, _ = generator.backward(-(R if A is None else R @ A))
        opt.step([grad_z])
        if latent_box is not None:
            np.clip(Z, -latent_box, latent_box, out=Z)
    _, res = residuals(False)
    better = res < best_res
    best_res[better], best_Z[better] = res[better], Z[better]
    return best_Z, best_res


def generator_from_weights(V: np.ndarray, c: np.ndarray, activation: str = "leaky_relu",
                           leaky_slope: float = 0.2) -> MLP:
    """The one-layer generator ``G(b) = φ(b V + c)`` of a trained SiGAH model as a :class:`sigah.mlp.MLP`.

    Parameters
    ----------
    V : numpy.ndarray, shape (k, m)
        SiGAH's generator weights (``generator_weights_["V"]``; codes multiply from the left).
    c : numpy.ndarray, shape (m,)
    activation : {"leaky_relu", "relu", "linear", "tanh"}
    leaky_slope : float

    Returns
    -------
    sigah.mlp.MLP
    """
    V = np.asarray(V, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    if V.ndim != 2 or c.shape != (V.shape[1],):
        raise ValueError(f"V must have shape (k, m) and c shape (m,), got {V.shape} and {c.shape}")
    return MLP([V.T.copy()], [c.copy()], [activation], leaky_slope=leaky_slope)
