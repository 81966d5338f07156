"""SiGAH's training step against independent references.

* the stochastic generator input: ±1 values whose mean over many draws is ``tanh(u)``, and the
  straight-through gradient (that of ``tanh``);
* the parameter updates of one training step against the gradients of the documented objectives
  (Eq. 21 for the discriminator, Eq. 20 plus ``λ_bd L_bd`` for the hash layer and generator) written
  out again here in float64 from the raw weights, with the discriminator updated first;
* the Taylor bound of chapter "Hash learning" (eq-taylor) carried through a trained generator: the
  reconstructions from ``sgn(u)`` and from ``tanh(u)`` differ by at most ``‖A‖₂ ‖V‖₂ (Σ_j tanh′(u_j)²)^½``.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow as tf

from sigah.hashers.sigah import SiGAH
from sigah.sigah_model import training
from sigah.sigah_model.networks import LEAKY_SLOPE, EnergyDiscriminator, HashLayer, make_generator


# -- the stochastic generator input ----------------------------------------------------------
def test_stochastic_input_is_binary_with_mean_tanh_u():
    u = tf.constant(np.linspace(-2.5, 2.5, 41, dtype=np.float32)[None, :])
    noise = tf.random.Generator.from_seed(3)
    draws = 20000
    fed = training.generator_input(tf.tanh(tf.repeat(u, draws, axis=0)), "stochastic", noise).numpy()
    assert set(np.unique(fed)) == {-1.0, 1.0}
    # each entry is +1 with probability (1 + tanh u) / 2: its mean has std sqrt(1 - tanh²u) / sqrt(draws)
    expected = np.tanh(u.numpy()[0])
    tolerance = 5 * np.sqrt(1 - expected**2) / np.sqrt(draws) + 1e-6
    assert np.all(np.abs(fed.mean(axis=0) - expected) <= tolerance)
    # the draws are not all alike: an entry with tanh u = 0 is +1 about half of the time
    assert 0.45 < (fed[:, 20] > 0).mean() < 0.55


@pytest.mark.parametrize("kind", ["stochastic", "sign", "relaxed"])
def test_generator_input_gradient_is_that_of_tanh(kind):
    rng = np.random.default_rng(0)
    u = tf.Variable(rng.standard_normal((6, 5)).astype(np.float32))
    weights = tf.constant(rng.standard_normal((6, 5)).astype(np.float32))
    noise = tf.random.Generator.from_seed(1)
    with tf.GradientTape() as tape:
        fed = training.generator_input(tf.tanh(u), kind, noise)
        loss = tf.reduce_sum(weights * fed)
    grad = tape.gradient(loss, u).numpy()
    assert np.allclose(grad, weights.numpy() * (1 - np.tanh(u.numpy()) ** 2), rtol=1e-5, atol=1e-7)
    if kind == "sign":
        assert np.array_equal(fed.numpy(), np.where(u.numpy() >= 0, 1.0, -1.0))


# -- one training step against the documented objective --------------------------------------
def _leaky(t):
    return tf.where(t >= 0, t, LEAKY_SLOPE * t)


def _energy(z, E, eb, Dd, db):
    return tf.reduce_mean((_leaky(z @ E + eb) @ Dd + db - z) ** 2, axis=1)


def _reference_gradients(x, W, V, c, A, disc, settings, lr):
    """Gradients of Eq. 21 and of Eq. 20 + λ_bd L_bd in float64, written out from the raw weights."""
    alpha, beta, gamma, margin, sigma, lam = settings
    x = tf.constant(x, tf.float64)
    W, V, c = (tf.Variable(t.astype(np.float64)) for t in (W, V, c))
    A = tf.constant(A, tf.float64)
    E, eb, Dd, db = (tf.Variable(t.astype(np.float64)) for t in disc)
    n, k = x.shape[0], W.shape[1]
    x_hat = _leaky(tf.tanh(x @ W) @ V + c) @ tf.transpose(A)
    with tf.GradientTape() as tape:  # Eq. 21 on the real batch and the synthetic one
        loss_d = tf.reduce_mean(_energy(x, E, eb, Dd, db)) + tf.reduce_mean(
            tf.nn.relu(margin - _energy(x_hat, E, eb, Dd, db)))
    grads_d = tape.gradient(loss_d, [E, eb, Dd, db])
    updated = [w - lr * g for w, g in zip((E, eb, Dd, db), grads_d)]  # the generator sees the updated D
    diff2 = np.sum((x.numpy()[:, None, :] - x.numpy()[None, :, :]) ** 2, axis=-1)
    S = tf.constant(np.exp(-diff2 / (2 * sigma**2)))
    with tf.GradientTape() as tape:
        b = tf.tanh(x @ W)
        s = _leaky(b @ V + c)
        x_hat = s @ tf.transpose(A)
        pair = tf.reduce_sum((b[:, None, :] - b[None, :, :]) ** 2, axis=-1)
        graph = tf.reduce_sum(S * pair) / n**2
        gram = tf.transpose(b) @ b / n
        balance = tf.reduce_sum((gram - tf.eye(k, dtype=tf.float64)) ** 2) / k**2 + tf.reduce_sum(
            tf.reduce_mean(b, axis=0) ** 2) / k
        total = (tf.reduce_mean((x - x_hat) ** 2) + alpha * tf.reduce_mean(tf.abs(s)) + beta * graph
                 + gamma * tf.reduce_mean(_energy(x_hat, *updated)) + lam * balance)
    grads_g = tape.gradient(total, [W, V, c])
    return [g.numpy() for g in grads_d], [g.numpy() for g in grads_g]


def test_one_step_follows_the_gradients_of_eq20_and_eq21():
    rng = np.random.default_rng(11)
    d, k, m, n = 7, 8, 14, 24
    x = rng.standard_normal((n, d)).astype(np.float32)
    hash_layer = HashLayer((rng.standard_normal((d, k)) / np.sqrt(d)).astype(np.float32))
    gen = make_generator("sparse", k, d, m, "leaky_relu", False, rng, rng)
    disc = EnergyDiscriminator(d, 4, rng)
    before_g = [hash_layer.W.numpy().copy(), gen.V.numpy().copy(), gen.c.numpy().copy()]
    before_d = [w.numpy().copy() for w in disc.weights]
    lr = 1e-3  # plain gradient descent: the update is −lr × gradient
    g_opt, d_opt = keras.optimizers.SGD(lr), keras.optimizers.SGD(lr)
    g_opt.build([hash_layer.W] + gen.weights)
    d_opt.build(disc.weights)
    settings = (0.3, 0.7, 0.5, 1.5, 2.5, 0.8)  # α, β, γ, μ, σ, λ_bd: every term weighs in
    weights = training.LossWeights(alpha=0.3, beta=0.7, gamma=0.5, margin=1.5, sigma=2.5, decorrelation=0.8)
    step = tf.function(training.make_train_step(hash_layer, gen, disc, g_opt, d_opt, weights, "relaxed"))
    step(tf.constant(x))
    ref_d, ref_g = _reference_gradients(x, *before_g, gen.A.numpy(), before_d, settings, lr)
    for name, old, new, ref in zip(("encoder", "encoder_bias", "decoder", "decoder_bias"), before_d,
                                   [w.numpy() for w in disc.weights], ref_d):
        np.testing.assert_allclose((old - new) / lr, ref, rtol=2e-3, atol=2e-4, err_msg=name)
    for name, old, new, ref in zip(("W", "V", "c"), before_g, [hash_layer.W.numpy(), gen.V.numpy(), gen.c.numpy()], ref_g):
        assert np.abs(ref).max() > 1e-3, name  # the check is not of zeros
        np.testing.assert_allclose((old - new) / lr, ref, rtol=2e-3, atol=2e-4, err_msg=name)


# -- the Taylor bound on a trained model -----------------------------------------------------
def test_reconstruction_gap_of_a_trained_model_obeys_the_taylor_bound():
    X = np.random.default_rng(5).standard_normal((400, 16)).astype(np.float32)
    model = SiGAH(n_bits=8, seed=0, epochs=3, min_steps=0, batch_size=64, progress=False).fit(X)
    u = model.project(X).astype(np.float64)
    signs, relaxed = np.where(u >= 0, 1.0, -1.0), np.tanh(u)
    gap = np.linalg.norm(model.reconstruct_from_codes(signs) - model.reconstruct_from_codes(relaxed), axis=1)
    gap /= model.scale_  # back to the standardised units the generator works in
    A, V = model.measurement_matrix_.astype(np.float64), model.generator_weights_["V"].astype(np.float64)
    lipschitz = np.linalg.norm(A, 2) * np.linalg.norm(V, 2)  # LeakyReLU is 1-Lipschitz
    taylor = np.sqrt(((1 - relaxed**2) ** 2).sum(axis=1))  # eq-taylor: ‖b − b̃‖ ≤ (Σ tanh′(u_j)²)^½
    assert np.all(np.linalg.norm(signs - relaxed, axis=1) <= taylor + 1e-9)
    assert np.all(gap <= lipschitz * taylor * (1 + 1e-4) + 1e-5)
    # not vacuous: the trained generator does move its output with the quantisation, and the bound
    # is tighter than the one that ignores the pre-activations (‖b − b̃‖ ≤ √k)
    assert np.median(gap) > 0.01 * np.median(lipschitz * taylor)
    assert np.median(taylor) < 0.9 * np.sqrt(model.n_bits)
