"""One SiGAH training step: a discriminator Adam step on Eq. 21, then a hash/generator Adam step on Eq. 20.

:func:`make_train_step` compiles the step once per model with ``tf.function`` and a fixed
``input_signature`` (the last, smaller batch does not retrace). The synthetic batch ``x̂`` is computed
once per step: the discriminator is updated on ``(x, stop_gradient(x̂))`` first, then the generator
loss is evaluated with the *updated* discriminator, which is the alternating scheme of GAN training
(the paper "iteratively trains the discriminator and the generator").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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

__all__ = ["LossWeights", "STEP_OUTPUTS", "make_train_step"]

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
    """Weights of Eq. 20-21: α (L1 sparsity), β (graph), γ (adversarial), μ (margin), σ (graph bandwidth).

    ``quantization`` (λ) weights the quantisation error ``‖sgn(b̃) − b̃‖²`` of Eq. 10/19, which the paper
    drops from the objective (0 by default). ``graph_neighbors`` restricts the graph term to the in-batch
    k-nearest-neighbour graph (None: all pairs).
    """

    alpha: float
    beta: float
    gamma: float
    margin: float
    sigma: float
    quantization: float = 0.0
    graph_neighbors: int | None = None
    decorrelation: float = 0.0


def make_train_step(
    hash_layer: HashLayer,
    generator: SparseGenerator | AutoencoderGenerator,
    discriminator: EnergyDiscriminator | None,
    generator_optimizer,
    discriminator_optimizer,
    weights: LossWeights,
    n_features: int,
    jit_compile: bool = False,
    straight_through: bool = False,
    stochastic_codes: bool = False,
    noise_seed: int = 0,
) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """Compile the training step of one model.

    Parameters
    ----------
    hash_layer, generator, discriminator
        The networks; ``discriminator=None`` trains without the adversarial term (Table 4 ablation).
    generator_optimizer, discriminator_optimizer : keras.optimizers.Optimizer
        Already built on their variables (so the traced function creates none).
    weights : LossWeights
    n_features : int
        ``d``, the width of the input signature.
    jit_compile : bool
        Compile the step with XLA.
    straight_through : bool
        Feed the generator the binary codes ``sgn(Wᵀx)`` in the forward pass, with the gradient of
        ``tanh`` in the backward pass (a straight-through estimator); the paper feeds ``tanh(Wᵀx)``.
    stochastic_codes : bool
        Feed the generator stochastic codes ``sgn(tanh(Wᵀx) − ε)``, ``ε ~ U(−1, 1)`` drawn afresh for every
        entry and step, whose mean is ``tanh(Wᵀx)``, with the gradient of ``tanh`` (a stochastic binary
        neuron with a straight-through gradient, in the spirit of SGH's neurons); implies binary
        codes in the forward pass.
    noise_seed : int
        Seed of the thresholds ``ε`` (the same seed gives the same training run).

    Returns
    -------
    callable
        ``step(x)`` for a float32 batch ``x`` of shape (N_b, d); returns a dict of scalar tensors
        named as in :data:`STEP_OUTPUTS`.
    """
    alpha, beta, gamma = (tf.constant(v, tf.float32) for v in (weights.alpha, weights.beta, weights.gamma))
    margin, sigma = tf.constant(weights.margin, tf.float32), tf.constant(weights.sigma, tf.float32)
    lam = tf.constant(weights.quantization, tf.float32)
    generator_variables = [hash_layer.W] + generator.weights
    use_discriminator = discriminator is not None
    zero = tf.constant(0.0, tf.float32)
    noise = tf.random.Generator.from_seed(int(noise_seed)) if stochastic_codes else None

    def step(x: tf.Tensor) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as tape:
            b_relaxed = hash_layer(x)
            if straight_through or stochastic_codes:
                threshold = noise.uniform(tf.shape(b_relaxed), -1.0, 1.0) if stochastic_codes else 0.0
                signs = tf.where(b_relaxed >= threshold, 1.0, -1.0)
                sparse_code, x_hat = generator(b_relaxed + tf.stop_gradient(signs - b_relaxed))
            else:
                sparse_code, x_hat = generator(b_relaxed)
            energy_real = energy_fake = loss_d = zero
            if use_discriminator:
                with tape.stop_recording():
                    with tf.GradientTape() as d_tape:
                        e_real = discriminator(x)
                        e_fake = discriminator(tf.stop_gradient(x_hat))
                        loss_d = discriminator_loss(e_real, e_fake, margin)
                    grads = d_tape.gradient(loss_d, discriminator.weights)
                    discriminator_optimizer.apply_gradients(zip(grads, discriminator.weights))
                    energy_real, energy_fake = tf.reduce_mean(e_real), tf.reduce_mean(e_fake)
            reconstruction = reconstruction_loss(x, x_hat)
            sparsity = sparsity_loss(sparse_code)
            if weights.beta > 0:
                graph = graph_loss(x, b_relaxed, sigma, weights.graph_neighbors)
            else:  # the term only feeds the history: keep it off the tape
                with tape.stop_recording():
                    graph = graph_loss(x, b_relaxed, sigma, weights.graph_neighbors)
            adversarial = tf.reduce_mean(discriminator(x_hat)) if use_discriminator else zero
            quantization = quantization_error(b_relaxed)
            total = reconstruction + alpha * sparsity + beta * graph + gamma * adversarial
            if weights.quantization > 0:
                total = total + lam * quantization
            if weights.decorrelation > 0:
                decorrelation = balance_decorrelation_loss(b_relaxed)
                total = total + weights.decorrelation * decorrelation
            else:  # history only
                with tape.stop_recording():
                    decorrelation = balance_decorrelation_loss(b_relaxed)
        grads = tape.gradient(total, generator_variables)
        generator_optimizer.apply_gradients(zip(grads, generator_variables))
        return {
            "generator_loss": total,
            "reconstruction": reconstruction,
            "sparsity": sparsity,
            "graph": graph,
            "adversarial": adversarial,
            "discriminator_loss": loss_d,
            "energy_real": energy_real,
            "energy_fake": energy_fake,
            "reconstruction_error": reconstruction,
            "quantization_error": quantization,
            "decorrelation": decorrelation,
        }

    signature = [tf.TensorSpec(shape=(None, n_features), dtype=tf.float32)]
    return tf.function(step, input_signature=signature, jit_compile=jit_compile, reduce_retracing=True)
