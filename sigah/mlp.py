"""A small fully connected network in NumPy, with exact gradients.

The theory chapters need networks small enough to run thousands of times in a few
seconds and to differentiate by hand: random ReLU generators whose latent input is
optimised (compressed sensing with a generative prior, Bora et al. 2017) and a tiny
auto-encoder whose reconstruction error is drawn as an energy landscape (EBGAN).
TensorFlow would be overkill for networks with a few hundred weights and would make
the gradient checks in the tests harder to read.

A network is a list of affine layers ``h ← φ(W h + c)``; ``φ`` is the identity, ReLU,
LeakyReLU or tanh, chosen per layer. Rows are samples: an input batch has shape
``(batch, n_in)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sigah.validation import check_scalar

__all__ = ["ACTIVATIONS", "MLP", "Adam"]

#: activation names understood by :class:`MLP`
ACTIVATIONS = ("linear", "relu", "leaky_relu", "tanh")


def _activate(u: np.ndarray, kind: str, slope: float) -> np.ndarray:
    if kind == "linear":
        return u
    if kind == "relu":
        return np.maximum(u, 0.0)
    if kind == "leaky_relu":
        return np.where(u >= 0, u, slope * u)
    return np.tanh(u)


def _activation_derivative(u: np.ndarray, out: np.ndarray, kind: str, slope: float) -> np.ndarray:
    if kind == "linear":
        return np.ones_like(u)
    if kind == "relu":
        return (u > 0).astype(u.dtype)
    if kind == "leaky_relu":
        return np.where(u >= 0, 1.0, slope).astype(u.dtype)
    return 1.0 - out**2


@dataclass
class MLP:
    """Fully connected network ``h_{l+1} = φ_l(h_l W_lᵀ + c_l)``.

    Parameters
    ----------
    weights : list of numpy.ndarray
        ``weights[l]`` has shape ``(n_out_l, n_in_l)``.
    biases : list of numpy.ndarray
        ``biases[l]`` has shape ``(n_out_l,)``.
    activations : list of str
        One of :data:`ACTIVATIONS` per layer.
    leaky_slope : float
        Slope of LeakyReLU for negative inputs.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activations: list[str]
    leaky_slope: float = 0.2
    _cache: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not (len(self.weights) == len(self.biases) == len(self.activations)) or not self.weights:
            raise ValueError(
                f"need the same positive number of weights, biases and activations, got "
                f"{len(self.weights)}, {len(self.biases)}, {len(self.activations)}"
            )
        for layer, (W, c, act) in enumerate(zip(self.weights, self.biases, self.activations)):
            if W.ndim != 2 or c.shape != (W.shape[0],):
                raise ValueError(f"layer {layer}: weight {W.shape} and bias {c.shape} do not fit")
            if act not in ACTIVATIONS:
                raise ValueError(f"layer {layer}: activation {act!r} is not one of {ACTIVATIONS}")
            if layer and W.shape[1] != self.weights[layer - 1].shape[0]:
                raise ValueError(
                    f"layer {layer} takes {W.shape[1]} inputs but layer {layer - 1} gives "
                    f"{self.weights[layer - 1].shape[0]}"
                )

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def random(
        cls,
        sizes: list[int],
        activations: list[str] | str = "relu",
        *,
        seed: int | np.random.Generator = 0,
        weight_scale: str = "fan_in",
        bias_std: float = 0.0,
        leaky_slope: float = 0.2,
    ) -> "MLP":
        """A network with Gaussian weights.

        Parameters
        ----------
        sizes : list of int
            Layer widths ``[n_in, n_hidden..., n_out]``.
        activations : str or list of str
            One activation for every layer, or one per layer.
        seed : int or numpy.random.Generator
        weight_scale : {"fan_in", "he"}
            Entries ``N(0, 1/fan_in)`` or ``N(0, 2/fan_in)`` (He et al., keeps ReLU
            activations at a constant scale through the layers).
        bias_std : float
            Standard deviation of the Gaussian biases (0: no bias).
        leaky_slope : float
        """
        if len(sizes) < 2 or any(int(s) <= 0 for s in sizes):
            raise ValueError(f"sizes must list at least two positive widths, got {sizes}")
        n_layers = len(sizes) - 1
        if isinstance(activations, str):
            activations = [activations] * n_layers
        if len(activations) != n_layers:
            raise ValueError(f"got {len(activations)} activations for {n_layers} layers")
        if weight_scale not in ("fan_in", "he"):
            raise ValueError(f"weight_scale must be 'fan_in' or 'he', got {weight_scale!r}")
        rng = np.random.default_rng(seed)
        gain = 2.0 if weight_scale == "he" else 1.0
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            weights.append(rng.standard_normal((n_out, n_in)) * np.sqrt(gain / n_in))
            biases.append(rng.standard_normal(n_out) * bias_std)
        return cls(weights, biases, list(activations), leaky_slope)

    # -- evaluation --------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.weights[0].shape[1]

    @property
    def n_outputs(self) -> int:
        return self.weights[-1].shape[0]

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        """Outputs for a batch ``Z`` of shape ``(batch, n_inputs)`` (or one vector)."""
        return self.forward(Z, keep=False)

    def forward(self, Z: np.ndarray, *, keep: bool = True) -> np.ndarray:
        """Forward pass; with ``keep`` the intermediate values are kept for :meth:`backward`."""
        Z = np.asarray(Z, dtype=np.float64)
        single = Z.ndim == 1
        H = Z[None, :] if single else Z
        if H.ndim != 2 or H.shape[1] != self.n_inputs:
            raise ValueError(f"network input must have shape (batch, {self.n_inputs}), got {Z.shape}")
        cache = []
        for W, c, act in zip(self.weights, self.biases, self.activations):
            U = H @ W.T + c
            out = _activate(U, act, self.leaky_slope)
            cache.append((H, U, out))
            H = out
        self._cache = cache if keep else []
        return H[0] if single else H

    def backward(self, grad_output: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """Back-propagate ``∂loss/∂output`` through the last :meth:`forward` (``keep=True``).

        Parameters
        ----------
        grad_output : numpy.ndarray, shape (batch, n_outputs)

        Returns
        -------
        grad_input : numpy.ndarray, shape (batch, n_inputs)
        grad_weights, grad_biases : lists of numpy.ndarray
            Same shapes as :attr:`weights` and :attr:`biases`.
        """
        if not self._cache:
            raise RuntimeError("call forward(Z, keep=True) before backward")
        G = np.asarray(grad_output, dtype=np.float64)
        if G.ndim == 1:
            G = G[None, :]
        gW: list[np.ndarray] = [np.empty(0)] * len(self.weights)
        gc: list[np.ndarray] = [np.empty(0)] * len(self.weights)
        for layer in range(len(self.weights) - 1, -1, -1):
            H, U, out = self._cache[layer]
            G = G * _activation_derivative(U, out, self.activations[layer], self.leaky_slope)
            gW[layer] = G.T @ H
            gc[layer] = G.sum(axis=0)
            G = G @ self.weights[layer]
        return G, gW, gc

    def lipschitz_upper_bound(self) -> float:
        """Product of the layers' spectral norms times each activation's largest slope.

        An upper bound on the Lipschitz constant ``L`` of the network in the Euclidean
        norm (ReLU, LeakyReLU with slope ≤ 1 and tanh are 1-Lipschitz).
        """
        bound = 1.0
        for W, act in zip(self.weights, self.activations):
            slope = max(1.0, abs(self.leaky_slope)) if act == "leaky_relu" else 1.0
            bound *= float(np.linalg.norm(W, 2)) * slope
        return bound

    def parameters(self) -> list[np.ndarray]:
        """Weights and biases interleaved (``W_0, c_0, W_1, c_1, ...``), for :class:`Adam`."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]


class Adam:
    """Adam (Kingma & Ba 2015) on a list of NumPy arrays, updated in place.

    Parameters
    ----------
    params : list of numpy.ndarray
    learning_rate : float
    beta1, beta2 : float
        Decay rates of the first and second moment estimates.
    eps : float
    """

    def __init__(
        self, params: list[np.ndarray], learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.params = params
        self.learning_rate = check_scalar(learning_rate, "learning_rate", float, min_val=0, include_boundaries="neither")
        self.beta1 = check_scalar(beta1, "beta1", float, min_val=0, max_val=1, include_boundaries="left")
        self.beta2 = check_scalar(beta2, "beta2", float, min_val=0, max_val=1, include_boundaries="left")
        self.eps = check_scalar(eps, "eps", float, min_val=0, include_boundaries="neither")
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        """Apply one update with ``grads`` (same shapes as ``params``)."""
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            p -= self.learning_rate * (m / c1) / (np.sqrt(v / c2) + self.eps)
