"""SiGAH's training: a discriminator Adam step on Eq. 21, then a hash/generator Adam step on Eq. 20.

:func:`make_train_step` builds one step of one model. The synthetic batch ``x̂`` is computed once per
step: the discriminator is updated on ``(x, stop_gradient(x̂))`` first, then the generator loss is
evaluated with the *updated* discriminator, which is the alternating scheme of GAN training (the paper
"iteratively trains the discriminator and the generator", §3.4).

:func:`train` runs the epochs. The standardised training matrix is a tensor, and a whole epoch (the
loop over its mini-batches, the sums of the logged values) runs inside one compiled ``tf.function``
that takes the epoch's permutation of the rows: Python is entered once per epoch, not once per
batch, and the logged values reach NumPy once per epoch. The batches, their order and the stream of
stochastic thresholds are those of a plain Python loop over ``permutation[i·N_b:(i+1)·N_b]``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from sigah.sigah_model.losses import (
    balance_decorrelation_loss,
    discriminator_loss,
    graph_loss,
    quantization_error,
    reconstruction_loss,
    sparsity_loss,
)
from sigah.sigah_model.networks import AutoencoderGenerator, EnergyDiscriminator, HashLayer, SparseGenerator

__all__ = ["GENERATOR_INPUTS", "LossWeights", "STEP_OUTPUTS", "make_train_step", "make_epoch", "train"]

#: what the generator receives: binary samples with mean tanh(u), tanh(u) itself, or sgn(u)
GENERATOR_INPUTS = ("stochastic", "relaxed", "sign")

#: names of the per-step values a training step returns (the per-epoch history averages them)
STEP_OUTPUTS = (
    "generator_loss",
    "reconstruction",
    "sparsity",
    "graph",
    "adversarial",
    "discriminator_loss",
    "energy_real",
    "energy_fake",
    "reconstruction_error",
    "quantization_error",
    "decorrelation",
)


@dataclass(frozen=True)
class LossWeights:
    """Weights of Eq. 20-21 and of the balance/decorrelation penalty.

    α (L1 sparsity), β (graph), γ (adversarial), μ (margin), σ (graph bandwidth), ``graph_neighbors``
    (None: the graph term on all pairs of the batch; an integer: on its symmetric k-NN graph) and
    ``decorrelation`` (λ_bd). The defaults are :class:`~sigah.hashers.sigah.SiGAH`'s; σ has none (it is
    derived from the data).
    """

    sigma: float
    alpha: float = 1e-2
    beta: float = 1e-3
    gamma: float = 1e-3
    margin: float = 0.5
    graph_neighbors: int | None = None
    decorrelation: float = 1.0


def generator_input(b_relaxed: tf.Tensor, kind: str, noise: tf.random.Generator | None) -> tf.Tensor:
    """What the generator receives for relaxed codes ``b̃ = tanh(u)`` (chapter "Hash learning", eq-stochastic).

    ``"relaxed"``: ``b̃`` itself (the paper). ``"sign"``: ``sgn(b̃)`` forward, the gradient of ``b̃``
    backward (straight-through). ``"stochastic"``: ``sgn(b̃ − ε)``, ``ε ~ U(−1, 1)`` drawn afresh per
    entry, whose mean is ``b̃``, with the gradient of ``b̃`` (a stochastic binary neuron).

    Parameters
    ----------
    b_relaxed : tf.Tensor, shape (N_b, k), float32
    kind : {"stochastic", "relaxed", "sign"}
    noise : tf.random.Generator or None
        Source of ``ε`` (needed for ``"stochastic"`` only).

    Returns
    -------
    tf.Tensor, shape (N_b, k), float32
    """
    if kind == "relaxed":
        return b_relaxed
    threshold = noise.uniform(tf.shape(b_relaxed), -1.0, 1.0) if kind == "stochastic" else 0.0
    signs = tf.where(b_relaxed >= threshold, 1.0, -1.0)
    # forward exactly ±1 (b̃ − b̃ is exactly 0, b̃ + (±1 − b̃) is not), backward the identity on b̃
    return signs + (b_relaxed - tf.stop_gradient(b_relaxed))


def make_train_step(
    hash_layer: HashLayer,
    generator: SparseGenerator | AutoencoderGenerator,
    discriminator: EnergyDiscriminator | None,
    generator_optimizer,
    discriminator_optimizer,
    weights: LossWeights,
    generator_input_kind: str = "stochastic",
    noise_seed: int = 0,
) -> Callable[[tf.Tensor], tf.Tensor]:
    """One training step of one model (not compiled: :func:`make_epoch` compiles a loop over it).

    Parameters
    ----------
    hash_layer, generator, discriminator
        The networks; ``discriminator=None`` trains without the adversarial term (Table 4 ablation).
    generator_optimizer, discriminator_optimizer : keras.optimizers.Optimizer
        Already built on their variables (so the traced function creates none).
    weights : LossWeights
    generator_input_kind : {"stochastic", "relaxed", "sign"}
        See :func:`generator_input`; SiGAH's default is ``"stochastic"``.
    noise_seed : int
        Seed of the thresholds ``ε`` (the same seed gives the same training run).

    Returns
    -------
    callable
        ``step(x)`` for a float32 batch ``x`` of shape (N_b, d); returns a float32 vector of the
        values named in :data:`STEP_OUTPUTS`, in that order.
    """
    if generator_input_kind not in GENERATOR_INPUTS:
        raise ValueError(f"generator_input must be one of {GENERATOR_INPUTS}, got {generator_input_kind!r}")
    generator_variables = [hash_layer.W] + generator.weights
    zero = tf.constant(0.0, tf.float32)
    noise = tf.random.Generator.from_seed(int(noise_seed)) if generator_input_kind == "stochastic" else None

    def discriminator_step(x: tf.Tensor, x_hat: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        n = tf.shape(x)[0]
        with tf.GradientTape() as tape:
            # real and synthetic rows in one pass (one matmul of 2 N_b rows instead of two of N_b)
            energies = discriminator(tf.concat([x, x_hat], axis=0))
            e_real, e_fake = energies[:n], energies[n:]
            loss = discriminator_loss(e_real, e_fake, weights.margin)
        grads = tape.gradient(loss, discriminator.weights)
        discriminator_optimizer.apply_gradients(zip(grads, discriminator.weights))
        return loss, tf.reduce_mean(e_real), tf.reduce_mean(e_fake)

    def step(x: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            b_relaxed = hash_layer(x)
            sparse_code, x_hat = generator(generator_input(b_relaxed, generator_input_kind, noise))
            loss_d = energy_real = energy_fake = zero
            if discriminator is not None:
                with tape.stop_recording():
                    loss_d, energy_real, energy_fake = discriminator_step(x, tf.stop_gradient(x_hat))
            reconstruction = reconstruction_loss(x, x_hat)
            sparsity = sparsity_loss(sparse_code)
            adversarial = tf.reduce_mean(discriminator(x_hat)) if discriminator is not None else zero
            total = reconstruction + weights.alpha * sparsity + weights.gamma * adversarial
            if weights.beta > 0:
                graph = graph_loss(x, b_relaxed, weights.sigma, weights.graph_neighbors)
                total += weights.beta * graph
            if weights.decorrelation > 0:
                decorrelation = balance_decorrelation_loss(b_relaxed)
                total += weights.decorrelation * decorrelation
        grads = tape.gradient(total, generator_variables)
        generator_optimizer.apply_gradients(zip(grads, generator_variables))
        # a term with weight 0 only feeds the history: computed off the tape
        if weights.beta == 0:
            graph = graph_loss(x, b_relaxed, weights.sigma, weights.graph_neighbors)
        if weights.decorrelation == 0:
            decorrelation = balance_decorrelation_loss(b_relaxed)
        quantization = quantization_error(b_relaxed)
        return tf.stack([
            total, reconstruction, sparsity, graph, adversarial, loss_d, energy_real, energy_fake,
            reconstruction, quantization, decorrelation,
        ])

    return step


def make_epoch(step: Callable[[tf.Tensor], tf.Tensor], X: tf.Tensor, batch_size: int) -> Callable[[tf.Tensor], tf.Tensor]:
    """Compile one epoch: ``step`` over the batches ``X[order[i·N_b:(i+1)·N_b]]``, the last one shorter.

    Parameters
    ----------
    step : callable
        From :func:`make_train_step`.
    X : tf.Tensor, shape (n, d), float32
        The standardised training set, kept as one tensor.
    batch_size : int
        ``N_b``.

    Returns
    -------
    callable
        ``epoch(order)`` for an int32 permutation of ``range(n)``; returns the sums over the epoch of
        the step's values, each weighted by its batch's number of rows (a float32 vector; divided by
        ``n`` it is the per-row mean).
    """
    n = int(X.shape[0])
    n_full, rest = divmod(n, int(batch_size))

    def weighted_step(rows: tf.Tensor) -> tf.Tensor:
        return step(tf.gather(X, rows)) * tf.cast(tf.shape(rows)[0], tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([n], tf.int32)])
    def epoch(order: tf.Tensor) -> tf.Tensor:
        sums = tf.zeros([len(STEP_OUTPUTS)], tf.float32)
        full = tf.reshape(order[: n_full * batch_size], [n_full, batch_size])
        for i in tf.range(n_full):
            sums += weighted_step(full[i])
        if rest:
            sums += weighted_step(order[n_full * batch_size:])
        return sums

    return epoch


def relaxation_scale(epoch: int, epochs: int, end: float) -> float:
    """``s_t`` of epoch ``t`` (0-based) of ``T``: geometric from 1 to ``end`` (chapter "Hash learning", eq-continuation)."""
    return float(end) ** (epoch / max(epochs - 1, 1))


def train(
    networks: tuple[HashLayer, SparseGenerator | AutoencoderGenerator, EnergyDiscriminator | None],
    X: np.ndarray,
    weights: LossWeights,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    adam_beta1: float,
    weight_decay: float,
    tanh_scale_end: float,
    generator_input_kind: str,
    noise_seed: int,
    rng_order: np.random.Generator,
    progress: bool = False,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[dict[str, list[float]], bool]:
    """Train the networks in place for ``epochs`` passes over ``X`` and return the per-epoch history.

    Each epoch draws a permutation of the rows from ``rng_order``, sets the relaxation scale ``s_t``
    (:func:`relaxation_scale`) and runs the compiled epoch. Ctrl-C stops the training: the history then
    holds the complete epochs and the networks the state reached (the model trained so far).

    Parameters
    ----------
    networks : (HashLayer, generator, discriminator or None)
    X : numpy.ndarray, shape (n, d), float32
        Standardised training set.
    weights : LossWeights
    epochs, batch_size : int
    learning_rate, adam_beta1, weight_decay : float
        Settings of both Adam optimisers (decoupled weight decay; 0 disables it).
    tanh_scale_end : float
        Last relaxation scale (1: the paper's fixed ``tanh(Wᵀx)``).
    generator_input_kind : {"stochastic", "relaxed", "sign"}
    noise_seed : int
    rng_order : numpy.random.Generator
        Source of the batch order.
    progress : bool
        A bar over the epochs with the main loss terms (on a terminal only, :mod:`sigah.progress`).
    on_epoch : callable, optional
        Called with the number of complete epochs after each one.

    Returns
    -------
    history : dict[str, list[float]]
        ``epoch``, ``seconds`` (cumulative), ``tanh_scale`` and the per-row means of
        :data:`STEP_OUTPUTS`, one entry per complete epoch.
    interrupted : bool
        True when Ctrl-C stopped the training.
    """
    import keras

    hash_layer, generator, discriminator = networks

    def adam() -> keras.optimizers.Optimizer:
        return keras.optimizers.Adam(
            learning_rate=float(learning_rate), beta_1=float(adam_beta1), weight_decay=float(weight_decay) or None
        )

    g_opt, d_opt = adam(), adam()
    g_opt.build([hash_layer.W] + generator.weights)
    if discriminator is not None:
        d_opt.build(discriminator.weights)
    step = make_train_step(hash_layer, generator, discriminator, g_opt, d_opt, weights, generator_input_kind, noise_seed)
    n = X.shape[0]
    run_epoch = make_epoch(step, tf.constant(X, tf.float32), batch_size)
    history: dict[str, list[float]] = {key: [] for key in ("epoch", "seconds", "tanh_scale", *STEP_OUTPUTS)}
    start = time.perf_counter()
    try:
        _run_epochs(run_epoch, hash_layer, history, epochs, tanh_scale_end, rng_order, n, start, progress, on_epoch)
    except KeyboardInterrupt:
        return history, True
    return history, False


def _run_epochs(run_epoch, hash_layer, history, epochs, tanh_scale_end, rng_order, n, start, progress, on_epoch) -> None:
    from sigah.progress import progress_bar

    with progress_bar(total=epochs, desc="SiGAH", unit="epoch", enabled=progress, leave=False) as bar:
        for epoch in range(epochs):
            order = rng_order.permutation(n).astype(np.int32)
            scale = relaxation_scale(epoch, epochs, tanh_scale_end)
            hash_layer.scale.assign(scale)
            means = run_epoch(tf.constant(order)).numpy().astype(np.float64) / n
            history["epoch"].append(epoch + 1)
            history["seconds"].append(time.perf_counter() - start)
            history["tanh_scale"].append(scale)
            for key, value in zip(STEP_OUTPUTS, means):
                history[key].append(float(value))
            bar.update(1)
            bar.set_postfix(rec=f"{means[1]:.3f}", graph=f"{means[3]:.3f}", Dr=f"{means[6]:.3f}", Df=f"{means[7]:.3f}")
            if on_epoch is not None:
                on_epoch(epoch + 1)
