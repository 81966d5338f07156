"""Stochastic Generative Hashing: the doubly stochastic neuron, training, determinism, persistence."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from sigah.hashers import Hasher, make_hasher  # noqa: E402
from sigah.hashers.sgh import StochasticGenerativeHashing, doubly_stochastic_neuron  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(5, 20))
    return (rng.random((600, 5)) @ basis + 0.1 * rng.normal(size=(600, 20))).astype(np.float32)


def _small(**params):
    base = {"n_bits": 8, "seed": 1, "n_iter": 300, "batch_size": 100}
    return StochasticGenerativeHashing(**{**base, **params})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_custom_gradient_matches_its_definition(seed):
    rng = np.random.default_rng(seed)
    logits = tf.constant(rng.normal(scale=2.0, size=(7, 5)), tf.float32)
    epsilon = tf.constant(rng.random((7, 5)), tf.float32)
    d_codes = tf.constant(rng.normal(size=(7, 5)), tf.float32)
    d_prob = tf.constant(rng.normal(size=(7, 5)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch([logits, epsilon])
        codes, prob = doubly_stochastic_neuron(logits, epsilon)
    g_logits, g_eps = tape.gradient([codes, prob], [logits, epsilon], output_gradients=[d_codes, d_prob])
    p = 1.0 / (1.0 + np.exp(-logits.numpy().astype(np.float64)))
    np.testing.assert_allclose(g_logits.numpy(), p * (1 - p) * (d_codes.numpy() + d_prob.numpy()), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g_eps.numpy(), d_codes.numpy())
    # forward pass: Bernoulli-style thresholding of the probabilities
    np.testing.assert_array_equal(codes.numpy(), (p > epsilon.numpy()).astype(np.float32))
    np.testing.assert_allclose(prob.numpy(), p, rtol=1e-6)


def test_neuron_gives_one_half_exactly_at_a_tie():
    codes, _ = doubly_stochastic_neuron(tf.zeros((1, 3)), tf.fill((1, 3), 0.5))
    np.testing.assert_array_equal(codes.numpy(), 0.5)


def test_gradient_inside_a_compiled_function_is_the_same():
    rng = np.random.default_rng(4)
    logits = tf.constant(rng.normal(size=(4, 3)), tf.float32)
    eps = tf.fill((4, 3), 0.5)

    def grad(z):
        with tf.GradientTape() as tape:
            tape.watch(z)
            codes, _ = doubly_stochastic_neuron(z, eps)
            total = tf.reduce_sum(codes * tf.range(3, dtype=tf.float32))
        return tape.gradient(total, z)

    np.testing.assert_allclose(tf.function(grad)(logits).numpy(), grad(logits).numpy(), rtol=1e-6)


@pytest.mark.parametrize("neuron", ["deterministic", "stochastic"])
def test_loss_decreases(data, neuron):
    model = _small(neuron=neuron).fit(data)
    assert model.loss_history_.shape == (300,)
    assert model.loss_history_[-50:].mean() < 0.5 * model.loss_history_[:10].mean()
    assert model.reconstruction_history_[-50:].mean() < model.reconstruction_history_[:10].mean()
    # the trained generative model reconstructs better than the mean alone
    err = 0.5 * ((model.decode(model.encode_bits(data)) - data) ** 2).sum(axis=1).mean()
    assert err < 0.5 * 0.5 * ((data - data.mean(axis=0)) ** 2).sum(axis=1).mean()


def test_codes_are_deterministic_at_encode_time(data):
    model = _small(neuron="stochastic").fit(data)
    first = model.encode(data)
    np.testing.assert_array_equal(model.encode(data), first)
    np.testing.assert_array_equal(model.encode_bits(data), (data - model.input_mean_) / model.input_scale_ @ model.W_ + model.b_ > 0)


def test_same_seed_same_codes_other_seed_other_codes(data):
    a, b = _small(seed=5, n_iter=100).fit(data), _small(seed=5, n_iter=100).fit(data)
    np.testing.assert_array_equal(a.encode(data), b.encode(data))
    np.testing.assert_array_equal(a.loss_history_, b.loss_history_)
    c = _small(seed=6, n_iter=100).fit(data)
    assert not np.array_equal(c.encode(data), a.encode(data))
    s1 = _small(seed=5, n_iter=100, neuron="stochastic").fit(data)
    s2 = _small(seed=5, n_iter=100, neuron="stochastic").fit(data)
    np.testing.assert_array_equal(s1.encode(data), s2.encode(data))


def test_learning_rate_schedule_changes_training(data):
    a = _small(n_iter=60).fit(data)
    b = _small(n_iter=60, lr_halving_every=20).fit(data)
    np.testing.assert_array_equal(a.loss_history_[:21], b.loss_history_[:21])  # same until the first halving
    assert not np.array_equal(a.loss_history_[21:], b.loss_history_[21:])


def test_save_load_round_trip(data, tmp_path):
    model = make_hasher("sgh", 8, seed=2, n_iter=50, batch_size=50).fit(data)
    loaded = Hasher.load(model.save(tmp_path / "sgh.npz"))
    assert isinstance(loaded, StochasticGenerativeHashing) and loaded.n_iter == 50
    np.testing.assert_array_equal(loaded.encode(data), model.encode(data))


@pytest.mark.parametrize(
    "params, message",
    [({"neuron": "bernoulli"}, "neuron"), ({"n_iter": 0}, "n_iter"), ({"learning_rate": 0.0}, "learning_rate"),
     ({"alpha": -1.0}, "alpha"), ({"lr_halving_every": 0}, "lr_halving_every")],
)
def test_bad_parameters_are_rejected(data, params, message):
    with pytest.raises(ValueError, match=message):
        _small(**params).fit(data)
