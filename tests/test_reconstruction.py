"""Reconstructions from binary codes and the relative error, against direct computations."""

import numpy as np
import pytest

from sigah.hashers import make_hasher
from sigah.studies.reconstruction import reconstruct_from_codes, relative_error


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((300, 16)) @ rng.standard_normal((16, 16)) + 3.0).astype(np.float32)


def test_relative_error_brute_force(data):
    rng = np.random.default_rng(1)
    noisy = data + rng.standard_normal(data.shape).astype(np.float32)
    mean = data.mean(axis=0)
    expected = sum(np.sum((x - y) ** 2) for x, y in zip(data, noisy)) / sum(np.sum((x - mean) ** 2) for x in data)
    assert relative_error(data, noisy, mean) == pytest.approx(expected, rel=1e-6)
    assert relative_error(data, data, mean) == 0.0
    assert relative_error(data, np.broadcast_to(mean, data.shape), mean) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        relative_error(data, data[:5], mean)
    with pytest.raises(ValueError, match="undefined"):
        relative_error(np.ones((3, 2)), np.zeros((3, 2)), np.ones(2))


def test_ba_and_sgh_decode_their_binary_codes(data):
    for method, params in (("ba", {"n_iter": 2}), ("sgh", {"n_iter": 20})):
        model = make_hasher(method, 8, seed=0, **params).fit(data)
        expected = model.decode(model.encode_bits(data[:10]).astype(np.float32))
        np.testing.assert_allclose(reconstruct_from_codes(model, data[:10]), expected, rtol=1e-6)


def test_qolsh_directions_get_one_length(data):
    model = make_hasher("qolsh", 16, seed=0).fit(data)
    drawn = reconstruct_from_codes(model, data[:20], norm_scale=2.5)
    np.testing.assert_allclose(np.linalg.norm(drawn - model.mean_, axis=1), 2.5, rtol=1e-5)
    with pytest.raises(ValueError, match="norm_scale"):
        reconstruct_from_codes(model, data[:2], norm_scale=-1.0)


def test_sigah_reconstructs_from_its_codes_and_lsh_cannot(data):
    model = make_hasher("sigah", 8, seed=0, epochs=1, progress=False).fit(data)
    signs = np.where(model.encode_bits(data[:10]), 1.0, -1.0)
    np.testing.assert_allclose(reconstruct_from_codes(model, data[:10]), model.reconstruct_from_codes(signs), rtol=1e-5)
    with pytest.raises(ValueError, match="norm_scale"):
        reconstruct_from_codes(model, data[:2], norm_scale=1.0)
    with pytest.raises(ValueError, match="no decoder"):
        reconstruct_from_codes(make_hasher("lsh", 8, seed=0).fit(data), data[:2])
