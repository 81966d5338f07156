"""Auto-encoder energies and the EBGAN margin loss, small enough to draw (chapter *The energy discriminator*).

SiGAH's discriminator (its Eqs. 14-16, after Zhao, Mathieu & LeCun's EBGAN) is an auto-encoder
whose reconstruction error is an *energy*:

    D(x) = (1/d) ‖Dec(Enc(x)) − x‖²                                     (eq-ed-energy)
    L_D = E_x D(x) + E_x̂ [μ − D(x̂)]⁺,       L_G = E_x̂ D(x̂)              (eq-ed-margin)

This module implements both in NumPy for low-dimensional toy data, where the energy can be
evaluated on a grid and drawn, and a tiny EBGAN (a generator trained against that energy) to see
what the margin ``μ`` does. SiGAH's own discriminator, on MNIST, is the TensorFlow model in
:mod:`sigah.hashers.sigah`; this one exists so the idea can be seen in two dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sigah.mlp import MLP, Adam
from sigah.validation import check_matrix

__all__ = [
    "AutoEncoderEnergy",
    "margin_loss",
    "EBGANHistory",
    "train_energy",
    "train_ebgan",
    "ring_of_gaussians",
    "energy_on_grid",
]


def _check_points(X, n_features: int, name: str = "X") -> np.ndarray:
    return check_matrix(X, name, dtype=np.float64, n_features=n_features)


class AutoEncoderEnergy:
    """Energy ``D(x) = (1/d)‖Dec(Enc(x)) − x‖²`` of a small auto-encoder (chapter equation ``eq-ed-energy``).

    Parameters
    ----------
    n_features : int
        Input dimension ``d``.
    hidden : int
        Width of the encoder's and decoder's hidden layers.
    bottleneck : int
        Code size; smaller than ``d`` so that the auto-encoder cannot learn the identity.
    activation : str
        Hidden activation (see :data:`sigah.mlp.ACTIVATIONS`).
    seed : int
    """

    def __init__(self, n_features: int = 2, hidden: int = 32, bottleneck: int = 1, activation: str = "tanh",
                 seed: int = 0) -> None:
        if not 0 < bottleneck < n_features + 1 or hidden < 1:
            raise ValueError(f"need 0 < bottleneck <= n_features and hidden >= 1, got {bottleneck}, {hidden}")
        self.n_features = int(n_features)
        sizes = [n_features, hidden, bottleneck, hidden, n_features]
        self.net = MLP.random(sizes, [activation, "linear", activation, "linear"], seed=seed, bias_std=0.1)

    def energy(self, X: np.ndarray) -> np.ndarray:
        """``D(x)`` per row, shape ``(n,)``."""
        X = _check_points(X, self.n_features)
        return ((self.net(X) - X) ** 2).mean(axis=1)

    def energy_and_gradients(self, X: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
        """Energies, and the gradients of ``Σ_i w_i D(x_i)`` with respect to the inputs and parameters.

        Parameters
        ----------
        X : numpy.ndarray, shape (n, d)
        weights : numpy.ndarray, shape (n,)

        Returns
        -------
        energies : numpy.ndarray, shape (n,)
        grad_inputs : numpy.ndarray, shape (n, d)
        grad_params : list of numpy.ndarray
            In the order of :meth:`sigah.mlp.MLP.parameters`.
        """
        X = _check_points(X, self.n_features)
        out = self.net.forward(X)
        diff = out - X
        energies = (diff**2).mean(axis=1)
        g_out = (2.0 / self.n_features) * diff * np.asarray(weights, dtype=np.float64)[:, None]
        g_in, gW, gc = self.net.backward(g_out)
        # D depends on x through the reconstruction and directly through "− x"
        g_in = g_in - g_out
        return energies, g_in, [g for pair in zip(gW, gc) for g in pair]


def margin_loss(energy_real: np.ndarray, energy_fake: np.ndarray, margin: float) -> float:
    """EBGAN's discriminator loss ``mean D(x) + mean [μ − D(x̂)]⁺`` (chapter equation ``eq-ed-margin``).

    Parameters
    ----------
    energy_real, energy_fake : numpy.ndarray, shape (n,) and (n',)
    margin : float
        ``μ > 0``.
    """
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    return float(np.mean(energy_real) + np.mean(np.maximum(margin - np.asarray(energy_fake), 0.0)))


def _discriminator_step(model: AutoEncoderEnergy, opt: Adam, real: np.ndarray, fake: np.ndarray | None,
                        margin: float) -> tuple[float, float, float]:
    """One Adam step on L_D; returns the batch's mean real energy, mean fake energy and L_D."""
    n_r = len(real)
    if fake is None:
        e_r, _, grads = model.energy_and_gradients(real, np.full(n_r, 1.0 / n_r))
        opt.step(grads)
        return float(e_r.mean()), float("nan"), float(e_r.mean())
    X = np.vstack([real, fake])
    e = model.energy(X)
    e_r, e_f = e[:n_r], e[n_r:]
    # ∂L_D: +1/n_r on real points, −1/n_f on fakes still inside the margin (the hinge is active)
    w = np.concatenate([np.full(n_r, 1.0 / n_r), -(e_f < margin).astype(np.float64) / len(fake)])
    _, _, grads = model.energy_and_gradients(X, w)
    opt.step(grads)
    return float(e_r.mean()), float(e_f.mean()), margin_loss(e_r, e_f, margin)


def train_energy(
    model: AutoEncoderEnergy, real: np.ndarray, fake: np.ndarray | None = None, *, margin: float = 1.0,
    n_steps: int = 2000, batch_size: int = 128, learning_rate: float = 3e-3, seed: int = 0,
) -> dict[str, list[float]]:
    """Fit the energy model alone: plain auto-encoder (``fake=None``) or the margin loss against fixed fakes.

    Parameters
    ----------
    model : AutoEncoderEnergy
    real : numpy.ndarray, shape (n, d)
    fake : numpy.ndarray, shape (n', d), optional
        Fixed "synthetic" points whose energy is pushed up to the margin.
    margin : float
    n_steps, batch_size : int
    learning_rate : float
    seed : int

    Returns
    -------
    dict
        ``energy_real`` and ``energy_fake`` (batch means per step).
    """
    real = _check_points(real, model.n_features, "real")
    if fake is not None:
        fake = _check_points(fake, model.n_features, "fake")
    if not margin > 0 or n_steps < 1 or batch_size < 1:
        raise ValueError(f"need margin > 0, n_steps >= 1, batch_size >= 1; got {margin}, {n_steps}, {batch_size}")
    rng = np.random.default_rng(seed)
    opt = Adam(model.net.parameters(), learning_rate=learning_rate)
    history: dict[str, list[float]] = {"energy_real": [], "energy_fake": []}
    for _ in range(n_steps):
        r = real[rng.integers(0, len(real), batch_size)]
        f = None if fake is None else fake[rng.integers(0, len(fake), batch_size)]
        e_r, e_f, _ = _discriminator_step(model, opt, r, f, margin)
        history["energy_real"].append(e_r)
        history["energy_fake"].append(e_f)
    return history


@dataclass
class EBGANHistory:
    """Record of :func:`train_ebgan` every ``record_every`` steps (batch values before the step).

    ``discriminator_loss`` is the batch's ``L_D = mean D(x) + mean [μ − D(x̂)]⁺`` (chapter
    equation ``eq-ed-margin``). At an equilibrium of EBGAN (Zhao et al. 2017, Theorem 2) the
    generator matches the data, the energy lies in ``[0, μ]`` on it and ``L_D = μ``.
    """

    energy_real: list[float] = field(default_factory=list)
    energy_fake: list[float] = field(default_factory=list)
    discriminator_loss: list[float] = field(default_factory=list)
    mean_distance_to_data: list[float] = field(default_factory=list)


def train_ebgan(
    real: np.ndarray, *, margin: float = 1.0, latent_dim: int = 2, hidden: int = 32,
    generator_hidden: tuple[int, ...] = (32, 32), n_steps: int = 3000,
    batch_size: int = 128, learning_rate: float = 1e-3, seed: int = 0, record_every: int = 10,
    progress: bool = False,
) -> tuple[MLP, AutoEncoderEnergy, EBGANHistory]:
    """A small EBGAN on low-dimensional points: one discriminator step on ``L_D``, one generator step on ``L_G``.

    Chapter *The energy discriminator*, equation ``eq-ed-margin``. The generator is an MLP
    ``R^latent_dim → R^d`` fed with ``N(0, I)`` noise; Adam with first-moment decay 0.5 for both
    players (the GAN habit, also SiGAH's optimiser setting).

    Parameters
    ----------
    real : numpy.ndarray, shape (n, d)
    margin : float
        ``μ`` of the hinge.
    latent_dim : int
    hidden : int
        Hidden width of the discriminator's auto-encoder.
    generator_hidden : tuple of int
        Hidden widths of the generator (LeakyReLU); ``()`` gives an affine generator ``W z + c``.
    n_steps, batch_size : int
    learning_rate : float
    seed : int
    record_every : int
        Steps between two records of :class:`EBGANHistory`; the mean distance of generated points
        to their nearest real point is computed at each record on 256 samples.
    progress : bool
        Show a progress bar (on a terminal only, :mod:`sigah.progress`).

    Returns
    -------
    generator : sigah.mlp.MLP
    discriminator : AutoEncoderEnergy
    history : EBGANHistory
    """
    real = np.asarray(real, dtype=np.float64)
    if real.ndim != 2 or len(real) < 2:
        raise ValueError(f"real must be an (n, d) array with n >= 2, got shape {real.shape}")
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    d = real.shape[1]
    rng = np.random.default_rng(seed)
    gen_sizes = [latent_dim, *generator_hidden, d]
    gen = MLP.random(gen_sizes, ["leaky_relu"] * len(generator_hidden) + ["linear"], seed=rng, bias_std=0.0)
    disc = AutoEncoderEnergy(d, hidden=hidden, bottleneck=max(1, d - 1), seed=int(rng.integers(1 << 31)))
    opt_d = Adam(disc.net.parameters(), learning_rate=learning_rate, beta1=0.5)
    opt_g = Adam(gen.parameters(), learning_rate=learning_rate, beta1=0.5)
    history = EBGANHistory()
    probe = real[rng.choice(len(real), size=min(len(real), 500), replace=False)]
    steps = range(n_steps)
    if progress:
        from sigah.progress import progress_bar

        steps = progress_bar(steps, desc=f"EBGAN (margin {margin:g})")
    for step in steps:
        r = real[rng.integers(0, len(real), batch_size)]
        fake = gen(rng.standard_normal((batch_size, latent_dim)))
        e_r, e_f, loss_d = _discriminator_step(disc, opt_d, r, fake, margin)
        # generator step on L_G = mean D(G(z)): back-propagate through D into x̂, then through G
        z = rng.standard_normal((batch_size, latent_dim))
        x_fake = gen.forward(z)
        _, g_x, _ = disc.energy_and_gradients(x_fake, np.full(batch_size, 1.0 / batch_size))
        _, gW, gc = gen.backward(g_x)
        opt_g.step([g for pair in zip(gW, gc) for g in pair])
        if step % record_every == 0 or step == n_steps - 1:
            sample = gen(rng.standard_normal((256, latent_dim)))
            dist = np.sqrt(((sample[:, None, :] - probe[None, :, :]) ** 2).sum(-1)).min(axis=1)
            history.energy_real.append(e_r)
            history.energy_fake.append(e_f)
            history.discriminator_loss.append(loss_d)
            history.mean_distance_to_data.append(float(dist.mean()))
    return gen, disc, history


def ring_of_gaussians(n: int, *, n_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                      seed: int = 0) -> np.ndarray:
    """``n`` points from ``n_modes`` Gaussian blobs evenly spaced on a circle (a classic GAN toy).

    Returns
    -------
    numpy.ndarray, shape (n, 2)
    """
    if n < 1 or n_modes < 1 or radius <= 0 or std < 0:
        raise ValueError(f"need n >= 1, n_modes >= 1, radius > 0, std >= 0; got {n}, {n_modes}, {radius}, {std}")
    rng = np.random.default_rng(seed)
    angle = 2 * np.pi * rng.integers(0, n_modes, n) / n_modes
    centres = radius * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres + std * rng.standard_normal((n, 2))


def energy_on_grid(model: AutoEncoderEnergy, xlim: tuple[float, float], ylim: tuple[float, float],
                   resolution: int = 150) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``D`` evaluated on a ``resolution × resolution`` grid of the plane, for contour plots.

    Returns
    -------
    xx, yy, energy : numpy.ndarray, each of shape (resolution, resolution)
    """
    if model.n_features != 2:
        raise ValueError(f"the energy can be drawn on a plane only for 2-D models, got {model.n_features}-D")
    xx, yy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    e = model.energy(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    return xx, yy, e
