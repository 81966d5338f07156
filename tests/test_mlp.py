"""Tests of sigah.mlp: forward shapes, exact gradients (finite differences), Adam."""

from __future__ import annotations

import numpy as np
import pytest
from numeric import numerical_gradient

from sigah.mlp import MLP, Adam




@pytest.mark.parametrize("acts", [["relu", "linear"], ["leaky_relu", "tanh"], ["tanh", "leaky_relu"]])
def test_backward_matches_finite_differences(acts):
    net = MLP.random([3, 5, 4], acts, seed=0, bias_std=0.3)
    Z = np.random.default_rng(1).standard_normal((6, 3))
    T = np.random.default_rng(2).standard_normal((6, 4))

    def loss():
        return 0.5 * np.sum((net(Z) - T) ** 2)

    out = net.forward(Z)
    gz, gW, gc = net.backward(out - T)
    np.testing.assert_allclose(gz, numerical_gradient(loss, Z), atol=1e-5)
    for layer in range(2):
        np.testing.assert_allclose(gW[layer], numerical_gradient(loss, net.weights[layer]), atol=1e-5)
        np.testing.assert_allclose(gc[layer], numerical_gradient(loss, net.biases[layer]), atol=1e-5)


def test_single_vector_input_and_shapes():
    net = MLP.random([2, 7, 3], "relu", seed=0)
    assert net(np.zeros(2)).shape == (3,)
    assert net(np.zeros((5, 2))).shape == (5, 3)
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        net(np.zeros((5, 3)))


def test_invalid_networks_are_rejected():
    with pytest.raises(ValueError, match="activation"):
        MLP([np.ones((2, 2))], [np.zeros(2)], ["softmax"])
    with pytest.raises(ValueError, match="do not fit"):
        MLP([np.ones((2, 2))], [np.zeros(3)], ["relu"])
    with pytest.raises(ValueError, match="takes 3 inputs"):
        MLP([np.ones((2, 2)), np.ones((2, 3))], [np.zeros(2), np.zeros(2)], ["relu", "relu"])
    with pytest.raises(RuntimeError, match="forward"):
        MLP.random([2, 2], "relu").backward(np.zeros((1, 2)))


def test_lipschitz_upper_bound_of_a_linear_map_is_its_spectral_norm():
    net = MLP.random([4, 6], "linear", seed=3)
    assert net.lipschitz_upper_bound() == pytest.approx(np.linalg.svd(net.weights[0], compute_uv=False)[0])


def test_adam_minimises_a_quadratic():
    x = np.array([5.0, -3.0])
    opt = Adam([x], learning_rate=0.1)
    for _ in range(500):
        opt.step([2 * (x - np.array([1.0, 2.0]))])
    np.testing.assert_allclose(x, [1.0, 2.0], atol=1e-2)
    with pytest.raises(ValueError, match="learning_rate"):
        Adam([x], learning_rate=0.0)
