"""Ordinal constraint hashing: Stiefel steps, the ordinal loss and its gradient, training, persistence."""

import numpy as np
import pytest

from sigah.hashers import Hasher, make_hasher
from sigah.hashers.och import OrdinalConstraintHashing, kmeans, stiefel_step, violated_fraction


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(10, 24)) * 2.0
    return (centers[rng.integers(0, 10, 1500)] + rng.normal(size=(1500, 24))).astype(np.float32)


def _small(**params):
    base = {"n_bits": 8, "seed": 0, "n_landmarks": 40, "n_near": 20, "n_sample": 1000, "n_steps": 120,
            "batch_size": 64, "eval_every": 20}
    return OrdinalConstraintHashing(**{**base, **params})


def test_stiefel_step_keeps_orthonormal_columns_and_descends():
    rng = np.random.default_rng(1)
    W, _ = np.linalg.qr(rng.normal(size=(12, 4)))
    A = rng.normal(size=(12, 12))
    A = A @ A.T

    def f(V):
        return -np.trace(V.T @ A @ V)  # minimised by the top eigenvectors of A

    for _ in range(50):
        new = stiefel_step(W, -2.0 * A @ W, 0.01)
        np.testing.assert_allclose(new.T @ new, np.eye(4), atol=1e-10)
        assert f(new) <= f(W) + 1e-9
        W = new
    top = np.sort(np.linalg.eigvalsh(A))[-4:].sum()
    assert -f(W) > 0.95 * top


def test_riemannian_gradient_is_tangent():
    rng = np.random.default_rng(2)
    W, _ = np.linalg.qr(rng.normal(size=(9, 3)))
    G = rng.normal(size=(9, 3))
    WtG = W.T @ G
    xi = G - W @ (0.5 * (WtG + WtG.T))
    skew = W.T @ xi
    np.testing.assert_allclose(skew, -skew.T, atol=1e-12)  # tangent space of the Stiefel manifold


def test_loss_gradient_matches_finite_differences(data):
    model = _small(n_steps=0).fit(data)
    rng = np.random.default_rng(3)
    points = data[:30].astype(np.float64) - model.mean_
    model.landmarks_ = model.landmarks_.astype(np.float64)
    triplets = model._draw_triplets(points, rng)
    W = model.projection_.astype(np.float64)
    _, grad = model._loss_and_gradient(W, points, triplets)
    direction = rng.normal(size=W.shape)
    h = 1e-6
    plus, _ = model._loss_and_gradient(W + h * direction, points, triplets)
    minus, _ = model._loss_and_gradient(W - h * direction, points, triplets)
    assert (plus - minus) / (2 * h) == pytest.approx(float((grad * direction).sum()), rel=1e-4)


def test_triplets_respect_the_true_distance_order(data):
    model = _small(n_steps=0).fit(data)
    points = data[:50] - model.mean_
    triplets = model._draw_triplets(points, np.random.default_rng(4))
    i, a, b = triplets.T
    d_a = np.linalg.norm(points[i] - model.landmarks_[a], axis=1)
    d_b = np.linalg.norm(points[i] - model.landmarks_[b], axis=1)
    assert np.all(d_a <= d_b) and np.all(a != b)
    assert len(triplets) == 50 * model.pairs_per_point


def test_violated_fraction_matches_brute_force():
    rng = np.random.default_rng(5)
    P = rng.random((6, 8)) < 0.5
    C = rng.random((5, 8)) < 0.5
    T = np.array([[i, a, b] for i in range(6) for a in range(5) for b in range(5) if a != b])
    want = []
    for i, a, b in T:
        da, db = np.sum(P[i] != C[a]), np.sum(P[i] != C[b])
        want.append(1.0 if da > db else 0.5 if da == db else 0.0)
    assert violated_fraction(P, C, T) == pytest.approx(np.mean(want))


def test_training_reduces_violated_constraints_and_keeps_w_orthonormal(data):
    model = _small().fit(data)
    violated = [r["violated"] for r in model.history_]
    assert violated[-1] < violated[0] - 0.02
    W = model.projection_.astype(np.float64)
    np.testing.assert_allclose(W.T @ W, np.eye(8), atol=1e-5)


def test_kmeans_recovers_separated_clusters():
    rng = np.random.default_rng(6)
    true = np.array([[0, 0], [10, 0], [0, 10]], np.float32)
    X = (true[np.repeat(np.arange(3), 100)] + 0.1 * rng.normal(size=(300, 2))).astype(np.float32)
    found = kmeans(X, 3, 10, np.random.default_rng(0))
    dist = np.linalg.norm(found[:, None] - true[None], axis=2)
    assert np.all(dist.min(axis=0) < 0.1)


def test_same_seed_same_codes_and_save_load_round_trip(data, tmp_path):
    a = make_hasher("och", 8, seed=2, n_landmarks=40, n_near=20, n_steps=30).fit(data)
    b = make_hasher("och", 8, seed=2, n_landmarks=40, n_near=20, n_steps=30).fit(data)
    np.testing.assert_array_equal(a.encode(data), b.encode(data))
    loaded = Hasher.load(a.save(tmp_path / "och.npz"))
    assert isinstance(loaded, OrdinalConstraintHashing) and loaded.tau_ == a.tau_
    np.testing.assert_array_equal(loaded.encode(data), a.encode(data))


@pytest.mark.parametrize(
    "params, message",
    [({"landmarks": "grid"}, "landmarks"), ({"init": "random"}, "init"), ({"n_near": 100}, "n_near"),
     ({"learning_rate": 0}, "learning_rate"), ({"n_bits": 32}, "n_bits <= d")],
)
def test_bad_parameters_are_rejected(data, params, message):
    with pytest.raises(ValueError, match=message):
        _small(**params).fit(data)
