"""Tests of sigah.energy: auto-encoder energy gradients, margin loss, toy training loops."""

from __future__ import annotations

import numpy as np
import pytest
from numeric import numerical_gradient

from sigah import energy as en




def test_energy_is_the_mean_squared_reconstruction_error():
    model = en.AutoEncoderEnergy(3, hidden=5, bottleneck=2, seed=0)
    X = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(model.energy(X), ((model.net(X) - X) ** 2).mean(axis=1))
    assert np.all(model.energy(X) >= 0)


def test_energy_gradients_match_finite_differences():
    model = en.AutoEncoderEnergy(2, hidden=6, bottleneck=1, seed=1)
    X = np.random.default_rng(2).standard_normal((5, 2))
    w = np.array([0.2, -0.5, 1.0, 0.3, -0.1])

    def weighted():
        return float(w @ model.energy(X))

    _, g_in, g_params = model.energy_and_gradients(X, w)
    np.testing.assert_allclose(g_in, numerical_gradient(weighted, X), atol=1e-6)
    for p, g in zip(model.net.parameters(), g_params):
        np.testing.assert_allclose(g, numerical_gradient(weighted, p), atol=1e-6)


def test_margin_loss():
    assert en.margin_loss(np.array([0.1, 0.3]), np.array([0.5, 2.0]), 1.0) == pytest.approx(0.2 + 0.25)
    assert en.margin_loss(np.array([0.0]), np.array([3.0]), 1.0) == 0.0
    with pytest.raises(ValueError, match="margin"):
        en.margin_loss(np.zeros(1), np.zeros(1), 0.0)


def test_margin_training_separates_real_from_fake_energies():
    real = en.ring_of_gaussians(500, seed=0)
    fake = np.random.default_rng(1).uniform(-3, 3, (500, 2))
    plain = en.AutoEncoderEnergy(seed=0)
    before = plain.energy(real).mean()
    en.train_energy(plain, real, n_steps=400, seed=0)
    assert plain.energy(real).mean() < 0.5 * before
    margin = 1.0
    model = en.AutoEncoderEnergy(seed=0)
    hist = en.train_energy(model, real, fake, margin=margin, n_steps=600, seed=0)
    assert len(hist["energy_real"]) == 600
    assert np.median(model.energy(fake)) > margin * 0.8
    assert model.energy(real).mean() < 0.2 * margin


def test_train_ebgan_records_history_and_moves_the_generator_to_the_data():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((800, 2)) * 0.3 + np.array([2.0, 1.0])
    gen, disc, hist = en.train_ebgan(real, margin=1.0, generator_hidden=(), n_steps=1200, record_every=200, seed=0)
    assert len(hist.energy_real) == len(hist.energy_fake) == len(hist.mean_distance_to_data) == 7
    assert hist.mean_distance_to_data[-1] < 0.5 * hist.mean_distance_to_data[0]
    assert gen.n_inputs == 2 and gen.n_outputs == 2
    with pytest.raises(ValueError, match="margin"):
        en.train_ebgan(real, margin=-1.0)


def test_helpers_and_bad_input():
    pts = en.ring_of_gaussians(100, n_modes=4, radius=1.0, std=0.0, seed=0)
    np.testing.assert_allclose(np.linalg.norm(pts, axis=1), 1.0)
    xx, yy, e = en.energy_on_grid(en.AutoEncoderEnergy(seed=0), (-1, 1), (-2, 2), resolution=7)
    assert xx.shape == yy.shape == e.shape == (7, 7)
    with pytest.raises(ValueError, match="2-D models"):
        en.energy_on_grid(en.AutoEncoderEnergy(3, bottleneck=1), (-1, 1), (-1, 1))
    with pytest.raises(ValueError, match="X has 3 features per row, expected 2"):
        en.AutoEncoderEnergy().energy(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="bottleneck"):
        en.AutoEncoderEnergy(2, bottleneck=0)
    with pytest.raises(ValueError, match="fake"):
        en.train_energy(en.AutoEncoderEnergy(), pts, np.zeros((3, 5)))


@pytest.mark.parametrize("margin", [1.0, 10.0])
def test_ebgan_toy_reaches_the_equilibrium_loss_l_d_equal_to_the_margin(margin):
    # Zhao et al. (2017), Theorem 2: at a Nash equilibrium p_G = p_data, D ∈ [0, μ] on the data and L_D = μ.
    rng = np.random.default_rng(0)
    real = rng.standard_normal((2000, 2)) @ np.array([[0.5, 0.0], [0.3, 0.2]]).T + np.array([2.0, 1.0])
    _, _, hist = en.train_ebgan(real, margin=margin, generator_hidden=(), n_steps=3000, record_every=50, seed=0)
    assert np.mean(hist.discriminator_loss[-10:]) == pytest.approx(margin, rel=0.1)
    # not there at the start: the equilibrium is reached by training, not built in
    assert abs(hist.discriminator_loss[0] - margin) > 0.1 * margin
