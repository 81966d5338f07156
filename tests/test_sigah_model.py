"""Tests of the SiGAH model: loss terms against NumPy, gradients, the discriminator step, the
Hasher interface (determinism, save/load, inference helpers) and argument validation.

All data are tiny random arrays; the whole module runs in well under a minute on two cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from scipy.spatial.distance import pdist

from sigah.codes import pack_bits
from sigah.hashers import Hasher, make_hasher
from sigah.hashers.sigah import SiGAH
from sigah.sigah_model import losses, training
from sigah.sigah_model.networks import (
    LEAKY_SLOPE,
    EnergyDiscriminator,
    HashLayer,
    SparseGenerator,
    make_generator,
    measurement_matrix,
    parse_generator,
)

RNG = np.random.default_rng(7)
X_TINY = RNG.standard_normal((200, 12)).astype(np.float32)
SMALL = dict(epochs=2, min_steps=0, batch_size=32, progress=False)


def np_leaky(t):
    return np.where(t >= 0, t, LEAKY_SLOPE * t)


@pytest.fixture(scope="module")
def fitted() -> SiGAH:
    return SiGAH(n_bits=8, seed=3, **SMALL).fit(X_TINY)


# -- loss terms against NumPy -----------------------------------------------------------------
def test_reconstruction_loss_is_mean_squared_error():
    x, x_hat = RNG.standard_normal((5, 4)), RNG.standard_normal((5, 4))
    got = losses.reconstruction_loss(tf.constant(x, tf.float32), tf.constant(x_hat, tf.float32))
    assert np.isclose(float(got), np.mean((x - x_hat) ** 2), rtol=1e-5)


def test_sparsity_loss_is_mean_absolute_value_and_zero_for_empty_codes():
    s = RNG.standard_normal((6, 10))
    assert np.isclose(float(losses.sparsity_loss(tf.constant(s, tf.float32))), np.abs(s).mean(), rtol=1e-5)
    assert float(losses.sparsity_loss(tf.zeros((6, 0)))) == 0.0


def test_graph_loss_matches_double_sum():
    x, b = RNG.standard_normal((7, 5)), np.tanh(RNG.standard_normal((7, 3)))
    sigma = 1.7
    S = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / (2 * sigma**2))
    expected = sum(S[i, j] * ((b[i] - b[j]) ** 2).sum() for i in range(7) for j in range(7)) / 49
    got = losses.graph_loss(tf.constant(x, tf.float32), tf.constant(b, tf.float32), sigma)
    assert np.isclose(float(got), expected, rtol=1e-4)
    affinity = losses.gaussian_affinity(tf.constant(x, tf.float32), sigma).numpy()
    assert np.allclose(affinity, S, rtol=1e-4, atol=1e-6)


def test_knn_graph_loss_keeps_only_symmetric_nearest_pairs():
    x, b = RNG.standard_normal((9, 4)), np.tanh(RNG.standard_normal((9, 3)))
    sigma, k = 1.3, 2
    D2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    mask = np.zeros((9, 9))
    for i in range(9):
        others = [j for j in np.argsort(D2[i]) if j != i]
        mask[i, others[:k]] = 1.0
    mask = np.maximum(mask, mask.T)
    got_mask = losses.knn_mask(tf.constant(x, tf.float32), k).numpy()
    assert np.array_equal(got_mask, mask)
    assert np.all(np.diag(got_mask) == 0) and np.all(got_mask.sum(1) >= k)
    S = np.exp(-D2 / (2 * sigma**2)) * mask
    expected = sum(S[i, j] * ((b[i] - b[j]) ** 2).sum() for i in range(9) for j in range(9)) / 81
    got = losses.graph_loss(tf.constant(x, tf.float32), tf.constant(b, tf.float32), sigma, n_neighbors=k)
    assert np.isclose(float(got), expected, rtol=1e-4)
    # more neighbours than rows: every other row is a neighbour, the loss of all pairs
    full = losses.graph_loss(tf.constant(x, tf.float32), tf.constant(b, tf.float32), sigma)
    wide = losses.graph_loss(tf.constant(x, tf.float32), tf.constant(b, tf.float32), sigma, n_neighbors=50)
    assert np.isclose(float(wide), float(full), rtol=1e-5)


def test_balance_decorrelation_loss_matches_numpy_and_vanishes_on_orthogonal_balanced_codes():
    b = np.tanh(RNG.standard_normal((10, 4)))
    gram = b.T @ b / 10
    expected = ((gram - np.eye(4)) ** 2).sum() / 16 + (b.mean(0) ** 2).sum() / 4
    got = losses.balance_decorrelation_loss(tf.constant(b, tf.float32))
    assert np.isclose(float(got), expected, rtol=1e-5)
    hadamard = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], np.float32)
    balanced = hadamard[:, 1:]  # columns orthogonal to each other and to the all-ones column
    assert float(losses.balance_decorrelation_loss(tf.constant(balanced))) < 1e-7
    constant = np.ones((4, 3), np.float32)  # collapsed codes: the penalty is large
    assert float(losses.balance_decorrelation_loss(tf.constant(constant))) > 1.0


def test_median_neighbor_distance_is_the_median_kth_neighbour_distance():
    X = RNG.standard_normal((40, 3))
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    np.fill_diagonal(D, np.inf)
    expected = np.median(np.sort(D, axis=1)[:, 2])  # third neighbour, the batch is the whole set
    assert np.isclose(losses.median_neighbor_distance(X, 3, batch_size=40, n_batches=1), expected, rtol=1e-9)
    assert losses.median_neighbor_distance(np.ones((5, 2)), 2, batch_size=5) == 1.0
    with pytest.raises(ValueError, match="at least two points"):
        losses.median_neighbor_distance(np.ones((1, 3)), 1, batch_size=8)


def test_energy_and_discriminator_loss_match_numpy():
    x, rec = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 4))
    e = losses.energy(tf.constant(x, tf.float32), tf.constant(rec, tf.float32)).numpy()
    assert np.allclose(e, ((x - rec) ** 2).mean(axis=1), rtol=1e-5)
    real, fake, mu = np.array([0.2, 0.4]), np.array([0.5, 2.0]), 1.0
    expected = real.mean() + np.maximum(mu - fake, 0).mean()
    got = losses.discriminator_loss(tf.constant(real, tf.float32), tf.constant(fake, tf.float32), mu)
    assert np.isclose(float(got), expected, rtol=1e-6)


def test_quantization_error_uses_sgn_zero_as_plus_one():
    b = np.array([[0.0, -0.5, 0.9], [-1.0, 0.3, -0.1]], np.float32)
    signs = np.where(b >= 0, 1.0, -1.0)
    assert np.isclose(float(losses.quantization_error(tf.constant(b))), ((signs - b) ** 2).mean(), rtol=1e-6)


def test_median_pairwise_distance_matches_scipy_and_validates():
    X = RNG.standard_normal((50, 3))
    assert np.isclose(losses.median_pairwise_distance(X), np.median(pdist(X)), rtol=1e-6)
    assert losses.median_pairwise_distance(np.ones((4, 2))) == 1.0
    with pytest.raises(ValueError, match="at least two points"):
        losses.median_pairwise_distance(np.ones((1, 3)))


# -- networks --------------------------------------------------------------------------------
def test_sparse_generator_and_discriminator_match_numpy():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((4, 10)).astype(np.float32)
    A = measurement_matrix(6, 10, rng)
    gen = SparseGenerator(V, A, "leaky_relu")
    b = np.tanh(rng.standard_normal((3, 4))).astype(np.float32)
    s, x_hat = gen(tf.constant(b))
    assert np.allclose(s.numpy(), np_leaky(b @ V), atol=1e-5)
    assert np.allclose(x_hat.numpy(), np_leaky(b @ V) @ A.T, atol=1e-5)
    disc = EnergyDiscriminator(6, 3, rng)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    hidden = np_leaky(x @ disc.encoder.numpy() + disc.encoder_bias.numpy())
    rec = hidden @ disc.decoder.numpy() + disc.decoder_bias.numpy()
    assert np.allclose(disc(tf.constant(x)).numpy(), ((rec - x) ** 2).mean(axis=1), rtol=1e-4)


def test_measurement_matrix_has_variance_one_over_d():
    A = measurement_matrix(200, 400, np.random.default_rng(1))
    assert A.shape == (200, 400) and A.dtype == np.float32
    assert abs(A.var() * 200 - 1.0) < 0.02 and abs(A.mean()) < 0.01


def test_generator_names_parse_and_bad_names_raise():
    assert parse_generator("ae4-512") == ("ae4", 512)
    assert parse_generator("sparse") == ("sparse", None)
    for bad in ("ae4-0", "ae5", "dense"):
        with pytest.raises(ValueError, match="generator must be"):
            parse_generator(bad)


# -- one training step -----------------------------------------------------------------------
def _one_step(trainable_A: bool = False, use_discriminator: bool = True, **extra):
    rng = np.random.default_rng(2)
    d, k, m = 6, 8, 12
    hash_layer = HashLayer((rng.standard_normal((d, k)) / np.sqrt(d)).astype(np.float32))
    gen = make_generator("sparse", k, d, m, "leaky_relu", trainable_A, rng, rng)
    disc = EnergyDiscriminator(d, 3, rng) if use_discriminator else None
    g_opt, d_opt = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2)
    g_opt.build([hash_layer.W] + gen.weights)
    if disc:
        d_opt.build(disc.weights)
    weights = training.LossWeights(**{"alpha": 0.1, "beta": 0.2, "gamma": 0.3, "margin": 1.0, "sigma": 2.0,
                                      "decorrelation": 0.0, **extra})
    step = tf.function(training.make_train_step(hash_layer, gen, disc, g_opt, d_opt, weights, "relaxed"))
    before = {
        "W": hash_layer.W.numpy().copy(), "V": gen.V.numpy().copy(), "c": gen.c.numpy().copy(),
        "A": gen.A.numpy().copy(), "D": [w.numpy().copy() for w in disc.weights] if disc else [],
    }
    out = step(tf.constant(rng.standard_normal((16, d)), tf.float32)).numpy()
    return before, (hash_layer, gen, disc), dict(zip(training.STEP_OUTPUTS, out.astype(float)))


def test_step_updates_W_V_and_discriminator_but_never_fixed_A():
    before, (hash_layer, gen, disc), out = _one_step()
    assert not np.allclose(before["W"], hash_layer.W.numpy())
    assert not np.allclose(before["V"], gen.V.numpy())
    assert not np.allclose(before["c"], gen.c.numpy())
    assert all(not np.allclose(b, w.numpy()) for b, w in zip(before["D"], disc.weights))
    assert np.array_equal(before["A"], gen.A.numpy())
    assert all(w is not gen.A for w in gen.weights)


def test_trainable_A_is_updated():
    before, (_, gen, _), _ = _one_step(trainable_A=True)
    assert not np.allclose(before["A"], gen.A.numpy())


def test_step_total_is_weighted_sum_of_terms():
    _, _, out = _one_step()
    expected = out["reconstruction"] + 0.1 * out["sparsity"] + 0.2 * out["graph"] + 0.3 * out["adversarial"]
    assert np.isclose(out["generator_loss"], expected, rtol=1e-5)
    assert out["adversarial"] > 0 and out["discriminator_loss"] > 0


def test_decorrelation_weight_adds_its_term_and_knn_graph_changes_the_graph_term():
    _, _, dense = _one_step()
    _, _, out = _one_step(decorrelation=0.4, graph_neighbors=3)
    expected = (out["reconstruction"] + 0.1 * out["sparsity"] + 0.2 * out["graph"] + 0.3 * out["adversarial"]
                + 0.4 * out["decorrelation"])
    assert np.isclose(out["generator_loss"], expected, rtol=1e-5)
    assert out["decorrelation"] > 0 and np.isclose(out["decorrelation"], dense["decorrelation"], rtol=1e-5)
    assert 0 < out["graph"] < dense["graph"]  # the 3-NN graph keeps a subset of the pairs


def test_step_without_discriminator_has_no_adversarial_term():
    _, _, out = _one_step(use_discriminator=False)
    assert out["adversarial"] == 0.0 and out["discriminator_loss"] == 0.0
    assert np.isclose(out["generator_loss"], out["reconstruction"] + 0.1 * out["sparsity"] + 0.2 * out["graph"], rtol=1e-5)


def test_discriminator_learns_lower_energy_for_real_than_synthetic_data():
    # real data on a 2-D subspace of R^8, "synthetic" data isotropic: the auto-encoder can learn the subspace
    rng = np.random.default_rng(4)
    basis = np.linalg.qr(rng.standard_normal((8, 2)))[0]
    real = tf.constant(rng.standard_normal((128, 2)) @ basis.T * 2.0, tf.float32)
    fake = tf.constant(rng.standard_normal((128, 8)), tf.float32)
    disc = EnergyDiscriminator(8, 4, rng)
    opt = keras.optimizers.Adam(1e-2)
    opt.build(disc.weights)
    gap_before = float(tf.reduce_mean(disc(fake)) - tf.reduce_mean(disc(real)))
    for _ in range(150):
        with tf.GradientTape() as tape:
            loss = losses.discriminator_loss(disc(real), disc(fake), 2.0)
        opt.apply_gradients(zip(tape.gradient(loss, disc.weights), disc.weights))
    e_real, e_fake = float(tf.reduce_mean(disc(real))), float(tf.reduce_mean(disc(fake)))
    assert e_fake - e_real > gap_before + 0.5
    assert e_real < 0.5 * e_fake


# -- the Hasher ------------------------------------------------------------------------------
def test_registry_builds_sigah():
    model = make_hasher("sigah", 16, seed=2, m_ratio=0.5)
    assert isinstance(model, SiGAH) and model.m_ratio == 0.5 and model.n_bits == 16


def test_fit_outputs_have_documented_shapes(fitted):
    X = X_TINY[:9]
    u = fitted.project(X)
    assert u.shape == (9, 8) and u.dtype == np.float32
    assert np.allclose(fitted.relaxed_codes(X), np.tanh(u))
    assert np.array_equal(fitted.encode_bits(X), u >= 0)
    assert fitted.measurement_matrix_.shape == (12, 24)
    assert fitted.generate(np.sign(u)).shape == (9, 24)
    assert fitted.reconstruct(X).shape == (9, 12)
    assert fitted.energy(X).shape == (9,)
    # packed codes, booleans and ±1 give the same reconstruction
    bits = fitted.encode_bits(X)
    from_bool = fitted.reconstruct_from_codes(bits)
    assert np.allclose(from_bool, fitted.reconstruct_from_codes(pack_bits(bits)))
    assert np.allclose(from_bool, fitted.reconstruct_from_codes(np.where(bits, 1.0, -1.0)))


def test_generate_and_reconstruct_match_numpy_forward(fitted):
    X = X_TINY[:5]
    b = fitted.relaxed_codes(X)
    g = fitted.generator_weights_
    s = np_leaky(b @ g["V"] + g["c"])
    assert np.allclose(fitted.generate(b), s, atol=1e-5)
    expected = (s @ g["A"].T) * fitted.scale_ + fitted.mean_
    assert np.allclose(fitted.reconstruct(X), expected, atol=1e-4)


def test_history_has_one_entry_per_epoch(fitted):
    frame = pd.DataFrame(fitted.history_)
    assert len(frame) == 2 and list(frame["epoch"]) == [1, 2]
    for key in ("reconstruction", "sparsity", "graph", "adversarial", "energy_real", "energy_fake",
                "reconstruction_error", "quantization_error", "discriminator_loss"):
        assert key in frame and np.isfinite(frame[key]).all()
    assert (frame["quantization_error"].between(0, 1)).all()


def test_preprocessing_has_unit_mean_square(fitted):
    Xs = (X_TINY - fitted.mean_) / fitted.scale_
    assert np.isclose(np.mean(Xs**2), 1.0, rtol=1e-4)


def test_same_seed_same_codes_other_seed_other_weights():
    a = SiGAH(n_bits=8, seed=5, **SMALL).fit(X_TINY)
    b = SiGAH(n_bits=8, seed=5, **SMALL).fit(X_TINY)
    c = SiGAH(n_bits=8, seed=6, **SMALL).fit(X_TINY)
    assert np.array_equal(a.encode(X_TINY), b.encode(X_TINY))
    assert np.array_equal(a.W_, b.W_)
    assert not np.allclose(a.W_, c.W_)


def test_training_lowers_reconstruction_error():
    model = SiGAH(n_bits=8, seed=0, epochs=6, min_steps=0, batch_size=32, learning_rate=3e-3, progress=False).fit(X_TINY)
    rec = model.history_["reconstruction_error"]
    assert rec[-1] < 0.9 * rec[0]


@pytest.mark.parametrize("generator", ["sparse", "ae3", "ae4-16"])
def test_save_load_round_trip_is_identical(tmp_path, generator):
    model = SiGAH(n_bits=8, seed=1, generator=generator, **SMALL).fit(X_TINY)
    path = model.save(tmp_path / "sigah.npz")
    loaded = Hasher.load(path)
    assert isinstance(loaded, SiGAH) and loaded.get_params() == model.get_params()
    assert np.array_equal(loaded.encode(X_TINY), model.encode(X_TINY))
    assert np.allclose(loaded.reconstruct(X_TINY), model.reconstruct(X_TINY))
    assert np.allclose(loaded.energy(X_TINY), model.energy(X_TINY))
    assert loaded.history_ == {k: [float(x) for x in v] for k, v in model.history_.items()}
    if generator == "sparse":
        assert np.array_equal(loaded.measurement_matrix_, model.measurement_matrix_)
    else:
        assert loaded.measurement_matrix_ is None


def test_continuation_schedule_is_applied_folded_into_W_and_saved(tmp_path):
    kwargs = dict(n_bits=8, seed=2, epochs=3, min_steps=0, batch_size=32, progress=False)
    model = SiGAH(tanh_scale_end=100.0, **kwargs).fit(X_TINY)
    # geometric from 1 to the end over the epochs
    assert np.allclose(model.history_["tanh_scale"], [1.0, 10.0, 100.0])
    # the steeper relaxation is what the quantisation error of the history measures: it shrinks
    assert model.history_["quantization_error"][-1] < 0.5 * model.history_["quantization_error"][0]
    # the last scale is folded into W, so that the saved model is tanh(Wᵀx) of the paper
    assert model._networks[0].scale.numpy() == 1.0
    u = model.project(X_TINY)
    quantization = np.mean((np.where(u >= 0, 1.0, -1.0) - model.relaxed_codes(X_TINY)) ** 2)
    assert quantization < 0.5 * np.mean((np.where(u >= 0, 1.0, -1.0) - np.tanh(u / 100.0)) ** 2)
    # the defaults keep the paper's fixed relaxation tanh(Wᵀx)
    default = SiGAH(**kwargs).fit(X_TINY)
    assert default.history_["tanh_scale"] == [1.0, 1.0, 1.0] and not np.allclose(default.W_, model.W_)
    loaded = Hasher.load(model.save(tmp_path / "continuation.npz"))
    assert loaded.tanh_scale_end == 100.0
    assert np.array_equal(loaded.encode(X_TINY), model.encode(X_TINY))
    assert np.allclose(loaded.relaxed_codes(X_TINY), model.relaxed_codes(X_TINY))
    assert loaded.history_["tanh_scale"] == model.history_["tanh_scale"]


def test_min_steps_raises_the_number_of_epochs_on_small_data():
    # 200 rows in batches of 32: 7 steps per epoch; 30 steps need 5 epochs
    model = SiGAH(n_bits=8, epochs=2, min_steps=30, batch_size=32, progress=False).fit(X_TINY)
    assert model.n_epochs_ == 5 and model.history_["epoch"] == [1, 2, 3, 4, 5] and model.epochs == 2
    assert SiGAH(n_bits=8, epochs=2, min_steps=10, batch_size=32, progress=False).fit(X_TINY).n_epochs_ == 2


def test_hash_layer_relaxation_uses_its_scale():
    W = (RNG.standard_normal((12, 8)) / np.sqrt(12)).astype(np.float32)
    layer = HashLayer(W)
    layer.scale.assign(7.0)
    x = X_TINY[:4]
    assert np.allclose(layer(tf.constant(x)).numpy(), np.tanh(7.0 * (x @ W)), atol=1e-6)


def test_without_discriminator_energy_is_unavailable():
    model = SiGAH(n_bits=8, use_discriminator=False, **SMALL).fit(X_TINY)
    assert model.history_["adversarial"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="use_discriminator=False"):
        model.energy(X_TINY)


def test_ctrl_c_keeps_the_model_trained_so_far(monkeypatch):
    real_make = training.make_epoch
    calls = {"n": 0}

    def interrupting(*args, **kwargs):
        epoch = real_make(*args, **kwargs)

        def wrapped(order):
            calls["n"] += 1
            if calls["n"] == 2:  # during the second epoch
                raise KeyboardInterrupt
            return epoch(order)

        return wrapped

    monkeypatch.setattr(training, "make_epoch", interrupting)
    with pytest.warns(RuntimeWarning, match="interrupted after 1 complete epoch"):
        model = SiGAH(n_bits=8, epochs=5, min_steps=0, batch_size=32, progress=False).fit(X_TINY)
    assert model.interrupted_ and model.history_["epoch"] == [1]
    assert model.encode(X_TINY).shape == (200, 1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"m_ratio": 0}, r"m_ratio must be in \(0, inf\)"),
        ({"alpha": -1e-3}, r"alpha must be in \[0, inf\]"),
        ({"beta": -1.0}, "beta must be"),
        ({"gamma": float("nan")}, "gamma must be"),
        ({"margin": -0.5}, "margin must be"),
        ({"decorrelation": -0.1}, "decorrelation must be"),
        ({"graph_neighbors": 0}, "graph_neighbors must be in"),
        ({"graph_neighbors": 2.5}, "graph_neighbors must be an integer or None"),
        ({"sigma_scale": 0.0}, "sigma_scale must be in"),
        ({"batch_size": 1}, "batch_size must be in"),
        ({"min_steps": -1}, "min_steps must be in"),
        ({"epochs": -1}, "epochs must be"),
        ({"learning_rate": 0}, "learning_rate must be"),
        ({"adam_beta1": 1.0}, "adam_beta1 must be"),
        ({"tanh_scale_end": float("inf")}, "tanh_scale_end must be finite"),
        ({"tanh_scale_end": 0.0}, "tanh_scale_end must be in"),
        ({"generator_input": "binary"}, "generator_input must be one of"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"generator": "cnn"}, "generator must be"),
        ({"use_discriminator": "yes"}, "use_discriminator must be True or False"),
        ({"n_bits": 12}, "n_bits must be a positive multiple of 8"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    params = {"n_bits": 8, **SMALL, **kwargs}
    with pytest.raises(ValueError, match=message):
        SiGAH(**params).fit(X_TINY)


def test_wrong_dimension_at_encode_and_bad_codes_raise(fitted):
    with pytest.raises(ValueError, match="fitted on 12"):
        fitted.encode(np.zeros((3, 11), np.float32))
    with pytest.raises(ValueError, match="fitted on 12"):
        fitted.reconstruct(np.zeros((3, 13), np.float32))
    with pytest.raises(ValueError, match="codes must have 8 columns"):
        fitted.reconstruct_from_codes(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        fitted.generate(np.full((2, 8), 3.0))


def test_stochastic_input_trains_deterministically_per_seed_and_differs_from_sign_input():
    params = dict(n_bits=8, seed=5, generator_input="stochastic", **SMALL)
    first, second = SiGAH(**params).fit(X_TINY), SiGAH(**params).fit(X_TINY)
    assert np.array_equal(first.W_, second.W_)
    deterministic = SiGAH(**{**params, "generator_input": "sign"}).fit(X_TINY)
    assert not np.allclose(first.W_, deterministic.W_)
    other_seed = SiGAH(**{**params, "seed": 6}).fit(X_TINY)
    assert not np.allclose(first.W_, other_seed.W_)
