"""The three networks of SiGAH as small TensorFlow modules (paper §3, Eqs. 13-16, and §4; chapter *Hash learning*).

* :class:`HashLayer`: ``b̃ = tanh(Wᵀx)`` in training, ``b = sgn(Wᵀx)`` for codes (Eq. 2, 18); no bias,
  the data are centred.
* :class:`SparseGenerator`: ``s = φ(V b̃ + c) ∈ R^m`` followed by the fixed Gaussian measurement
  ``x̂ = A s`` (Eq. 5, 13). :class:`AutoencoderGenerator`: the multi-layer ReLU decoders of the paper's
  Fig. 8(d), which map codes straight back to the ``d`` features (no ``A``).
* :class:`EnergyDiscriminator`: an auto-encoder ``d → h → d`` (LeakyReLU hidden, linear output) whose
  mean squared reconstruction error is the energy ``D(x)`` (Eq. 14).

Weights are plain ``tf.Variable`` objects initialised from NumPy generators, so a model is a
deterministic function of its seed without touching TensorFlow's global random state.
Initialisation: ``N(0, 1/fan_in)`` for weights (the paper: "random Gaussian matrices"), zeros for biases.
"""

from __future__ import annotations

import os
import re
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from sigah.sigah_model.losses import energy

__all__ = [
    "ACTIVATIONS",
    "GENERATORS",
    "activation_function",
    "parse_generator",
    "measurement_matrix",
    "HashLayer",
    "SparseGenerator",
    "AutoencoderGenerator",
    "EnergyDiscriminator",
    "make_generator",
]

#: generator activations of the paper's Table 5
ACTIVATIONS = ("leaky_relu", "sigmoid", "tanh", "relu", "swish")
#: generator architectures: the paper's one-layer sparse generator and the Fig. 8(d) auto-encoder decoders
GENERATORS = ("sparse", "ae3", "ae4-<hidden>")

LEAKY_SLOPE = 0.2  # LeakyReLU slope (lost in the paper; the common GAN value)


def activation_function(name: str) -> Callable[[tf.Tensor], tf.Tensor]:
    """The element-wise activation called ``name`` (one of :data:`ACTIVATIONS`)."""
    functions = {
        "leaky_relu": lambda t: tf.nn.leaky_relu(t, alpha=LEAKY_SLOPE),
        "sigmoid": tf.sigmoid,
        "tanh": tf.tanh,
        "relu": tf.nn.relu,
        "swish": tf.nn.silu,
    }
    if name not in functions:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}")
    return functions[name]


def parse_generator(name: str) -> tuple[str, int | None]:
    """Split a generator name into its kind and hidden width.

    ``"sparse"`` → ``("sparse", None)``; ``"ae3"`` → ``("ae3", None)``; ``"ae4-512"`` → ``("ae4", 512)``.
    """
    if name in ("sparse", "ae3"):
        return name, None
    match = re.fullmatch(r"ae4-(\d+)", str(name))
    if match and int(match.group(1)) >= 1:
        return "ae4", int(match.group(1))
    raise ValueError(
        f"generator must be 'sparse', 'ae3' or 'ae4-<hidden width>' (for example 'ae4-512'), got {name!r}"
    )


def measurement_matrix(n_features: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian measurement matrix ``A`` with i.i.d. ``N(0, 1/d)`` entries (Eq. 5, eq-measurement).

    Returns
    -------
    numpy.ndarray, shape (n_features, m), float32
    """
    return (rng.standard_normal((n_features, m)) / np.sqrt(n_features)).astype(np.float32)


def _gaussian(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    return (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32)


class HashLayer(tf.Module):
    """Linear hash layer ``u = Wᵀx`` (rows: ``x @ W``), relaxed by tanh (Eq. 18, eq-relaxation).

    The relaxation is ``tanh(s · u)`` with a non-trainable scale ``s`` (1 by default, the paper's
    ``tanh(Wᵀx)``); a continuation schedule raises ``s`` during training so that ``tanh(s u)`` tends to
    ``sgn(u)``, and the final ``s`` is folded into ``W`` afterwards (``tanh((sW)ᵀx)``, the same model).

    Parameters
    ----------
    W : numpy.ndarray, shape (d, k), float32
    """

    def __init__(self, W: np.ndarray) -> None:
        super().__init__(name="hash_layer")
        self.W = tf.Variable(W, name="W")
        self.scale = tf.Variable(1.0, trainable=False, name="tanh_scale", dtype=tf.float32)

    def preactivation(self, x: tf.Tensor) -> tf.Tensor:
        """``u = Wᵀx``, shape (n, k)."""
        return tf.matmul(x, self.W)

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        """Relaxed codes ``b̃ = tanh(s · Wᵀx)``, shape (n, k)."""
        return tf.tanh(self.scale * self.preactivation(x))


class SparseGenerator(tf.Module):
    """``s = φ(V b + c)``, ``x̂ = A s`` (Eq. 5, 13; eq-generator).

    Parameters
    ----------
    V : numpy.ndarray, shape (k, m), float32
        Generator weights (rows: ``b @ V``).
    A : numpy.ndarray, shape (d, m), float32
        Measurement matrix.
    activation : str
        One of :data:`ACTIVATIONS`.
    trainable_A : bool
        Whether ``A`` is a trainable variable (the paper keeps it fixed).
    """

    def __init__(self, V: np.ndarray, A: np.ndarray, activation: str, trainable_A: bool = False) -> None:
        super().__init__(name="sparse_generator")
        self.V = tf.Variable(V, name="V")
        self.c = tf.Variable(np.zeros(V.shape[1], np.float32), name="c")
        self.A = tf.Variable(A, name="A", trainable=trainable_A)
        self.phi = activation_function(activation)

    @property
    def weights(self) -> list[tf.Variable]:
        """The trained variables (``A`` only when trainable)."""
        return [self.V, self.c] + ([self.A] if self.A.trainable else [])

    def code(self, b: tf.Tensor) -> tf.Tensor:
        """Sparse code ``s = G(b) = φ(V b + c)``, shape (n, m)."""
        return self.phi(tf.matmul(b, self.V) + self.c)

    def __call__(self, b: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """``(s, x̂)`` with ``x̂ = A s``, shapes (n, m) and (n, d)."""
        s = self.code(b)
        return s, tf.matmul(s, self.A, transpose_b=True)


class AutoencoderGenerator(tf.Module):
    """Decoder of the auto-encoder variants of the paper's Fig. 8(d) (no measurement matrix).

    ``hidden=None`` is the 3-layer auto-encoder ``d → k → d`` (linear decoder ``x̂ = U b + c``);
    ``hidden=h`` the 4-layer one ``d → k → h → d`` (``x̂ = U ReLU(V b + c) + c₂``). The L1 term of
    Eq. 13 acts on the hidden layer of the 4-layer decoder and vanishes for the 3-layer one.
    """

    def __init__(self, n_bits: int, n_features: int, hidden: int | None, rng: np.random.Generator) -> None:
        super().__init__(name="autoencoder_generator")
        self.hidden = hidden
        layers = [n_bits] + ([hidden] if hidden else []) + [n_features]
        self.kernels = [tf.Variable(_gaussian(rng, a, b), name=f"kernel{i}") for i, (a, b) in enumerate(zip(layers, layers[1:]))]
        self.biases = [tf.Variable(np.zeros(b, np.float32), name=f"bias{i}") for i, b in enumerate(layers[1:])]

    @property
    def weights(self) -> list[tf.Variable]:
        return self.kernels + self.biases

    def code(self, b: tf.Tensor) -> tf.Tensor:
        """Hidden layer (the tensor the L1 term acts on), shape (n, h); (n, 0) without hidden layer."""
        if self.hidden is None:
            return tf.zeros((tf.shape(b)[0], 0), tf.float32)
        return tf.nn.relu(tf.matmul(b, self.kernels[0]) + self.biases[0])

    def __call__(self, b: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        if self.hidden is None:
            return self.code(b), tf.matmul(b, self.kernels[0]) + self.biases[0]
        h = self.code(b)
        return h, tf.matmul(h, self.kernels[1]) + self.biases[1]


class EnergyDiscriminator(tf.Module):
    """Auto-encoder discriminator ``d → h → d`` (LeakyReLU hidden, linear output; Eq. 14, eq-energy).

    Parameters
    ----------
    n_features : int
        ``d``.
    hidden : int
        ``h`` (``d // 2`` in SiGAH).
    rng : numpy.random.Generator
    """

    def __init__(self, n_features: int, hidden: int, rng: np.random.Generator) -> None:
        super().__init__(name="energy_discriminator")
        self.encoder = tf.Variable(_gaussian(rng, n_features, hidden), name="encoder")
        self.encoder_bias = tf.Variable(np.zeros(hidden, np.float32), name="encoder_bias")
        self.decoder = tf.Variable(_gaussian(rng, hidden, n_features), name="decoder")
        self.decoder_bias = tf.Variable(np.zeros(n_features, np.float32), name="decoder_bias")

    @property
    def weights(self) -> list[tf.Variable]:
        return [self.encoder, self.encoder_bias, self.decoder, self.decoder_bias]

    def reconstruct(self, x: tf.Tensor) -> tf.Tensor:
        """``Dec(Enc(x))``, shape (n, d)."""
        hidden = tf.nn.leaky_relu(tf.matmul(x, self.encoder) + self.encoder_bias, alpha=LEAKY_SLOPE)
        return tf.matmul(hidden, self.decoder) + self.decoder_bias

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        """Energy ``D(x)`` (mean squared reconstruction error per row), shape (n,)."""
        return energy(x, self.reconstruct(x))


def make_generator(
    generator: str,
    n_bits: int,
    n_features: int,
    m: int,
    activation: str,
    trainable_A: bool,
    rng_generator: np.random.Generator,
    rng_measurement: np.random.Generator,
) -> SparseGenerator | AutoencoderGenerator:
    """Build the generator named ``generator`` (see :func:`parse_generator`)."""
    kind, hidden = parse_generator(generator)
    if kind == "sparse":
        A = measurement_matrix(n_features, m, rng_measurement)
        return SparseGenerator(_gaussian(rng_generator, n_bits, m), A, activation, trainable_A)
    return AutoencoderGenerator(n_bits, n_features, hidden, rng_generator)
