"""Stochastic Generative Hashing (Dai, Guo, Kumar, He, Song; ICML 2017), in TensorFlow.

Encoder: ``q(h|x) = Π_l σ(z_l)^{h_l} (1 − σ(z_l))^{1−h_l}`` with logits ``z = xW + b``, codes
``h ∈ {0,1}^L``. Generative model: linear, ``x̂ = (hU) ⊙ |s| + t``. Training minimises the
description length of the data: reconstruction plus the code-length term (chapter "The
baselines", Eq. ``eq-sgh-loss``)::

    ℓ = ½ ‖x̂ − x‖² + α Σ_l BCE(z_l, h_l) + ½ β ‖U‖² + ½ β ‖W‖²,

where ``BCE(z, h) = −h log σ(z) − (1−h) log(1−σ(z))`` is ``−log q(h|x)`` of the sampled code.

The codes pass through the **doubly stochastic neuron** (Eq. ``eq-sgh-neuron``):
``h = 1[σ(z) ≥ ε]`` (implemented as ``(sign(σ(z) − ε) + 1)/2``, so exactly ½ at a tie), which
returns ``(h, σ(z))`` and whose gradient is replaced (``tf.custom_gradient``) by
``∂z = σ(z)(1 − σ(z)) (∂h + ∂p)`` and ``∂ε = ∂h``, as in the authors' code. With ``ε ~ U(0,1)``
(``neuron="stochastic"``) ``h`` is a Bernoulli(σ(z)) sample and the estimator is the paper's
distributional gradient; with ``ε = ½`` (``neuron="deterministic"``, what the authors'
published script trains with) it is deterministic thresholding with a straight-through-like
gradient.

Settings of the authors' script (``doubling/Stochastic_Generative_Hashing``,
``sgh_notebook/stochastic_hashing.py``), used as defaults: mini-batches of 500 drawn with
replacement, Adam with learning rate ``10⁻²`` (TF1 defaults ``β₁ = 0.9``, ``β₂ = 0.999``,
``ε̂ = 10⁻⁸``), 5 000 iterations, ``α = β = 10⁻³``; ``W ~ N(0, 1/d)``, ``b ~ N(0, 1)``,
``U ~ N(0, 1/L)``. The script's "halve the learning rate every 2 000 iterations" has no
effect there (it rebinds a Python number after the optimiser is built); here a schedule is
available as ``lr_halving_every`` and is off by default, matching what the script does.

Input scaling (``preprocess``). The script feeds raw inputs and starts ``s`` at the
per-dimension *variance* and ``t`` at the mean; it was only run on MNIST pixels in [0, 1],
where both are small. On other data this is ill-posed: with non-negative, uncentred inputs
(SIFT descriptors, values 0..255) every logit ``xW + b`` shares one large common component
``x̄W``, within a few Adam steps ``W`` aligns with it, the sigmoids saturate (``σ′ = 0`` in
float32) and every vector gets (nearly) the same code; and a variance-valued ``s`` (about 950
on SIFT against a standard deviation of about 31) starts the decoder at 30× the data's scale.
So by default (``preprocess="standardize"``) the model works on ``x̃ = (x − x̄)/ρ``, with
``x̄`` the training mean and ``ρ`` the root mean square of the centred training entries (one
number, so the Euclidean geometry of the data is kept), and ``s`` starts at the per-dimension
*standard deviation* of ``x̃``, ``t`` at its mean (zero). ``x̄`` and ``ρ`` are stored with the
model, so :meth:`~StochasticGenerativeHashing.encode` applies them too. ``preprocess="none"``
reproduces the script (raw inputs, variance-valued ``s``).

Codes at encode time are deterministic: ``h = 1[σ(x̃W + b) > ½]``, i.e. ``x̃W + b > 0``.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from sigah.hashers.base import Hasher
from sigah.progress import progress_bar
from sigah.validation import check_choice, check_scalar

__all__ = ["StochasticGenerativeHashing", "doubly_stochastic_neuron"]

_NEURONS = ("deterministic", "stochastic")
_PREPROCESS = ("standardize", "none")


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


@lru_cache(maxsize=1)
def _neuron_op():
    tf = _tf()

    @tf.custom_gradient
    def neuron(logits, epsilon):
        prob = tf.sigmoid(logits)
        codes = (tf.sign(prob - epsilon) + 1.0) / 2.0

        def grad(d_codes, d_prob):
            d_logits = prob * (1.0 - prob) * (d_codes + d_prob)
            return d_logits, d_codes

        return (codes, prob), grad

    return neuron


def doubly_stochastic_neuron(logits, epsilon):
    """The doubly stochastic neuron with its surrogate gradient (Eq. ``eq-sgh-neuron``).

    Parameters
    ----------
    logits : tf.Tensor, shape (n, L), float32
    epsilon : tf.Tensor, shape (n, L) or broadcastable, float32
        Thresholds: ½ for the deterministic neuron, ``U(0, 1)`` samples for the stochastic one.

    Returns
    -------
    codes : tf.Tensor, shape (n, L), float32
        ``(sign(σ(z) − ε) + 1) / 2``: 1 above the threshold, 0 below, ½ at a tie.
    prob : tf.Tensor, shape (n, L), float32
        ``σ(z)``.

    Notes
    -----
    Backward pass: ``∂logits = σ(z)(1 − σ(z)) (∂codes + ∂prob)``, ``∂ε = ∂codes`` (authors' code).
    """
    return _neuron_op()(logits, epsilon)


class _SGHModel:
    """Variables, loss and one Adam step of SGH, compiled once (variables exist before tracing)."""

    def __init__(self, init: dict[str, np.ndarray], alpha: float, beta: float) -> None:
        tf = _tf()
        self.tf = tf
        self.vars = {k: tf.Variable(v.astype(np.float32), name=k) for k, v in init.items()}
        self.order = ["W", "b", "U", "scale", "shift"]
        self.m = [tf.Variable(tf.zeros_like(self.vars[k])) for k in self.order]
        self.v = [tf.Variable(tf.zeros_like(self.vars[k])) for k in self.order]
        self.t = tf.Variable(0.0, dtype=tf.float32)
        self.alpha = tf.constant(alpha, tf.float32)
        self.beta = tf.constant(beta, tf.float32)
        d, L = init["W"].shape
        self.step = tf.function(
            self._step,
            input_signature=[
                tf.TensorSpec([None, d], tf.float32),
                tf.TensorSpec([None, L], tf.float32),
                tf.TensorSpec([], tf.float32),
            ],
        )

    def loss(self, x, epsilon):
        tf = self.tf
        V = self.vars
        logits = tf.matmul(x, V["W"]) + V["b"]
        codes, _ = doubly_stochastic_neuron(logits, epsilon)
        x_hat = tf.matmul(codes, V["U"]) * tf.abs(V["scale"]) + V["shift"]
        reconstruction = 0.5 * tf.reduce_sum(tf.square(x_hat - x))
        code_length = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=codes, logits=logits))
        penalty = 0.5 * self.beta * (tf.reduce_sum(tf.square(V["U"])) + tf.reduce_sum(tf.square(V["W"])))
        return reconstruction + self.alpha * code_length + penalty, reconstruction

    def _step(self, x, epsilon, learning_rate):
        tf = self.tf
        variables = [self.vars[k] for k in self.order]
        with tf.GradientTape() as tape:
            loss, reconstruction = self.loss(x, epsilon)
        grads = tape.gradient(loss, variables)
        # Adam exactly as TF1's AdamOptimizer (beta1 0.9, beta2 0.999, epsilon 1e-8)
        self.t.assign_add(1.0)
        lr_t = learning_rate * tf.sqrt(1.0 - 0.999**self.t) / (1.0 - 0.9**self.t)
        for var, g, m, v in zip(variables, grads, self.m, self.v):
            m.assign(0.9 * m + 0.1 * g)
            v.assign(0.999 * v + 0.001 * tf.square(g))
            var.assign_sub(lr_t * m / (tf.sqrt(v) + 1e-8))
        n = tf.cast(tf.shape(x)[0], tf.float32)
        return loss / n, reconstruction / n


class StochasticGenerativeHashing(Hasher):
    """Stochastic Generative Hashing with a linear encoder and a linear generative model.

    Parameters
    ----------
    n_bits : int
        Code length ``L``, a positive multiple of 8.
    seed : int
        Seed of the initial weights, the mini-batches and the stochastic thresholds.
    neuron : {"deterministic", "stochastic"}
        Thresholds of the doubly stochastic neuron during training: ``ε = ½`` (the authors'
        script, default) or ``ε ~ U(0, 1)`` (the paper's stochastic neuron).
    n_iter : int
        Training iterations (mini-batches), default 5 000.
    batch_size : int
        Points per mini-batch, drawn with replacement (default 500).
    learning_rate : float
        Adam learning rate (default ``1e-2``).
    alpha : float
        Weight of the code-length (BCE) term (default ``1e-3``).
    beta : float
        Weight of the ``½‖U‖² + ½‖W‖²`` penalty (default ``1e-3``).
    lr_halving_every : int or None
        Halve the learning rate every this many iterations (default None: constant rate,
        which is what the authors' script effectively does).
    progress : bool
        Show a progress bar.
    preprocess : {"standardize", "none"}
        ``"standardize"`` (default): train and encode on ``(x − x̄)/ρ`` and start the decoder
        scale at the standard deviation (see the module docstring); ``"none"``: raw inputs and a
        variance-valued decoder scale, as the authors' script (well-posed for MNIST in [0, 1] only).

    Attributes
    ----------
    input_mean_ : numpy.ndarray, shape (d,), float32
        ``x̄`` subtracted before encoding (zeros with ``preprocess="none"``).
    input_scale_ : float
        ``ρ`` the centred input is divided by (1 with ``preprocess="none"``).
    W_ : numpy.ndarray, shape (d, n_bits), float32
    b_ : numpy.ndarray, shape (n_bits,), float32
    U_ : numpy.ndarray, shape (n_bits, d), float32
    scale_, shift_ : numpy.ndarray, shape (d,), float32
        ``s`` and ``t`` of the generative model, in the units of the preprocessed input.
    loss_history_ : numpy.ndarray, shape (n_iter,), float64
        Per-point loss ``ℓ / batch`` of every iteration (in the units of the preprocessed input).
    reconstruction_history_ : numpy.ndarray, shape (n_iter,), float64
        Per-point ``½‖x̂ − x‖²`` of every iteration, in the units of the data ``x``.
    """

    name = "sgh"
    stored_attributes = Hasher.stored_attributes + ("loss_history_", "reconstruction_history_")

    def __init__(
        self,
        n_bits: int = 32,
        seed: int = 0,
        neuron: str = "deterministic",
        n_iter: int = 5000,
        batch_size: int = 500,
        learning_rate: float = 1e-2,
        alpha: float = 1e-3,
        beta: float = 1e-3,
        lr_halving_every: int | None = None,
        progress: bool = False,
        preprocess: str = "standardize",
    ) -> None:
        super().__init__(n_bits=n_bits, seed=seed)
        self.neuron = neuron
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.beta = beta
        self.lr_halving_every = lr_halving_every
        self.progress = progress
        self.preprocess = preprocess

    def _validate_params(self) -> None:
        check_choice(self.neuron, "neuron", _NEURONS)
        for name in ("n_iter", "batch_size"):
            check_scalar(getattr(self, name), name, int, min_val=1)
        check_scalar(self.learning_rate, "learning_rate", float, min_val=0, include_boundaries="neither")
        for name in ("alpha", "beta"):
            check_scalar(getattr(self, name), name, float, min_val=0)
        check_scalar(self.lr_halving_every, "lr_halving_every", int, min_val=1, allow_none=True)
        check_scalar(self.progress, "progress", bool)
        check_choice(self.preprocess, "preprocess", _PREPROCESS)

    def _initial_weights(self, X: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        d, L = X.shape[1], self.n_bits
        var = X.var(axis=0, dtype=np.float64)
        return {
            "W": rng.normal(0.0, 1.0 / np.sqrt(d), (d, L)),
            "b": rng.normal(0.0, 1.0, L),
            "U": rng.normal(0.0, 1.0 / np.sqrt(L), (L, d)),
            # the authors' script: the variance; standardised: the standard deviation, the data's own scale
            "scale": np.clip(np.sqrt(var) if self.preprocess == "standardize" else var, 1e-7, None),
            "shift": X.mean(axis=0, dtype=np.float64),
        }

    def _fit_preprocessing(self, X: np.ndarray) -> None:
        """``x̄`` and ``ρ`` (root mean square of the centred entries) of the training data."""
        d = X.shape[1]
        if self.preprocess == "none":
            self.input_mean_, self.input_scale_ = np.zeros(d, np.float32), 1.0
            return
        mean = X.mean(axis=0, dtype=np.float64)
        centred_sq = float(np.mean(np.square(X - mean.astype(np.float32)), dtype=np.float64))
        self.input_mean_ = mean.astype(np.float32)
        self.input_scale_ = float(np.sqrt(centred_sq)) if centred_sq > 0 else 1.0

    def _preprocessed(self, X: np.ndarray) -> np.ndarray:
        return (X - self.input_mean_) / np.float32(self.input_scale_)

    def _fit(self, X: np.ndarray) -> None:
        rng = self._rng()
        self._fit_preprocessing(X)
        X = self._preprocessed(X)
        model = _SGHModel(self._initial_weights(X, rng), float(self.alpha), float(self.beta))
        tf = model.tf
        n, L = X.shape[0], self.n_bits
        half = np.full((self.batch_size, L), 0.5, np.float32)
        losses = np.empty(self.n_iter)
        reconstructions = np.empty(self.n_iter)
        bar = progress_bar(range(self.n_iter), desc="SGH", enabled=self.progress, leave=False)
        for it in bar:
            rate = self.learning_rate
            if self.lr_halving_every:
                rate *= 0.5 ** (it // self.lr_halving_every)
            batch = X[rng.integers(0, n, self.batch_size)]  # with replacement, as the authors' script
            if self.neuron == "stochastic":
                epsilon = rng.random((self.batch_size, L), dtype=np.float32)
            else:
                epsilon = half
            loss, recon = model.step(tf.constant(batch), tf.constant(epsilon), tf.constant(rate, tf.float32))
            losses[it], reconstructions[it] = float(loss), float(recon)
            if it % 100 == 0:
                bar.set_postfix(loss=f"{losses[it]:.3f}")
        self.loss_history_ = losses
        self.reconstruction_history_ = reconstructions * self.input_scale_**2  # back in data units
        V = {k: var.numpy().astype(np.float32) for k, var in model.vars.items()}
        self.W_, self.b_, self.U_ = V["W"], V["b"], V["U"]
        self.scale_, self.shift_ = V["scale"], V["shift"]

    def project(self, X: np.ndarray) -> np.ndarray:
        """Encoder logits ``x̃W + b`` (``x̃`` the preprocessed input), shape ``(n, n_bits)``, float32 (bit = logit > 0)."""
        return self._project(self._checked_input(X))

    def _project(self, X: np.ndarray) -> np.ndarray:
        return self._preprocessed(X) @ self.W_ + self.b_

    def _encode_bits(self, X: np.ndarray) -> np.ndarray:
        return self._project(X) > 0  # σ(z) > ½, as the authors' encoder

    def decode(self, bits: np.ndarray) -> np.ndarray:
        """Reconstructions ``((hU) ⊙ |s| + t) ρ + x̄`` of unpacked codes, in data units, shape ``(n, d)``."""
        self._check_fitted()
        x_tilde = (np.asarray(bits, np.float32) @ self.U_) * np.abs(self.scale_) + self.shift_
        return x_tilde * np.float32(self.input_scale_) + self.input_mean_

    def _state(self) -> dict[str, np.ndarray]:
        return {
            "W": self.W_, "b": self.b_, "U": self.U_, "scale": self.scale_, "shift": self.shift_,
            "input_mean": self.input_mean_, "input_scale": np.float64(self.input_scale_),
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.W_, self.b_, self.U_ = state["W"], state["b"], state["U"]
        self.scale_, self.shift_ = state["scale"], state["shift"]
        self.input_mean_, self.input_scale_ = state["input_mean"], float(state["input_scale"])
