"""QoLSH: greedy flips improve the reconstruction cosine; tight frame with L = d gives sign codes."""

import numpy as np
import pytest

from sigah.codes import pack_bits
from sigah.hashers import Hasher, make_hasher
from sigah.hashers.qolsh import QoLSH, greedy_flip_encode


def _objective(x, W, bits):
    b = np.where(bits, 1.0, -1.0)
    v = b @ W.T.astype(np.float64)
    return (x.astype(np.float64) * v).sum(axis=1) / np.linalg.norm(v, axis=1)


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(0).normal(size=(400, 16)).astype(np.float32)


def test_each_accepted_flip_increases_the_objective():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(8, 24)).astype(np.float32)
    x = rng.normal(size=(200, 8)).astype(np.float32)
    bits, trace = greedy_flip_encode(x @ W, W.T @ W, max_flips=10, return_trace=True)
    steps = np.diff(trace, axis=1)
    made = ~np.isnan(steps)
    assert made.sum() > 100  # a non-orthogonal frame leaves room for flips
    assert np.all(steps[made] > 0)
    # the tracked objective is the true one, recomputed from scratch for the final codes
    last = np.array([row[~np.isnan(row)][-1] for row in trace])
    np.testing.assert_allclose(_objective(x, W, bits), last, rtol=1e-5)
    # and the greedy codes reconstruct better than sign-of-projection codes
    assert np.all(_objective(x, W, bits) >= _objective(x, W, x @ W >= 0) - 1e-9)


def test_flips_stop_at_a_local_optimum():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(6, 16)).astype(np.float32)
    x = rng.normal(size=(50, 6)).astype(np.float32)
    bits = greedy_flip_encode(x @ W, W.T @ W, max_flips=200)
    base = _objective(x, W, bits)
    for j in range(16):
        flipped = bits.copy()
        flipped[:, j] = ~flipped[:, j]
        assert np.all(_objective(x, W, flipped) <= base * (1 + 1e-5) + 1e-9)


def test_tight_frame_with_as_many_bits_as_dimensions_gives_sign_codes():
    X = np.random.default_rng(3).normal(size=(300, 32)).astype(np.float32)
    model = QoLSH(n_bits=32, seed=4, max_flips=50).fit(X)
    W = model.frame_.astype(np.float64)
    np.testing.assert_allclose(W @ W.T, np.eye(32), atol=1e-5)  # tight frame: W Wᵀ = I
    expected = (X - model.mean_) @ model.frame_ >= 0
    np.testing.assert_array_equal(model.encode_bits(X), expected)


def test_no_flips_gives_sign_of_projection(data):
    model = QoLSH(n_bits=24, seed=0, max_flips=0, frame="gaussian").fit(data)
    np.testing.assert_array_equal(model.encode_bits(data), model.project(data) >= 0)


def test_longer_frames_flip_bits_and_reconstruct_better(data):
    model = QoLSH(n_bits=48, seed=0, max_flips=20).fit(data)
    signs = model.project(data) >= 0
    bits = model.encode_bits(data)
    assert (bits != signs).any()
    xc = data - model.mean_
    assert np.mean(_objective(xc, model.frame_, bits)) > np.mean(_objective(xc, model.frame_, signs))


def test_asymmetric_scores_are_cosines_with_the_decoded_directions(data):
    model = QoLSH(n_bits=24, seed=0).fit(data)
    codes = model.encode(data[:30])
    scores = model.asymmetric_scores(data[:5], codes)
    q = data[:5] - model.mean_
    v = np.where(model.encode_bits(data[:30]), 1.0, -1.0) @ model.frame_.T
    want = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (v / np.linalg.norm(v, axis=1, keepdims=True)).T
    np.testing.assert_allclose(scores, want, atol=1e-5)
    assert np.all(np.abs(scores) <= 1 + 1e-5)


def test_asymmetric_scores_rank_the_point_itself_first(data):
    model = QoLSH(n_bits=64, seed=0).fit(data)
    scores = model.asymmetric_scores(data[:50], model.encode(data))
    assert np.mean(scores.argmax(axis=1) == np.arange(50)) >= 0.9


def test_fewer_bits_than_dimensions_is_refused(data):
    with pytest.raises(ValueError, match=r"n_bits=8 < d=16.*n_bits >= 16"):
        QoLSH(n_bits=8).fit(data)
    assert QoLSH.bits_for(784) == 784 and QoLSH.bits_for(100) == 104


@pytest.mark.parametrize("params, message", [({"frame": "random"}, "frame"), ({"max_flips": -1}, "max_flips")])
def test_bad_parameters_are_rejected(data, params, message):
    with pytest.raises(ValueError, match=message):
        QoLSH(n_bits=16, **params).fit(data)


def test_wrong_code_length_is_rejected(data):
    model = QoLSH(n_bits=16).fit(data)
    with pytest.raises(ValueError, match="16-bit"):
        model.asymmetric_scores(data[:2], pack_bits(np.zeros((3, 24), bool)))


def test_seeded_and_save_load_round_trip(data, tmp_path):
    a = make_hasher("qolsh", 24, seed=7, frame="gaussian").fit(data)
    b = make_hasher("qolsh", 24, seed=7, frame="gaussian").fit(data)
    np.testing.assert_array_equal(a.encode(data), b.encode(data))
    loaded = Hasher.load(a.save(tmp_path / "q.npz"))
    assert isinstance(loaded, QoLSH) and loaded.frame == "gaussian"
    np.testing.assert_array_equal(loaded.encode(data), a.encode(data))
