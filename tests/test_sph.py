"""Spherical Hashing: balanced spheres, the stopping rule, both distances, persistence."""

import numpy as np
import pytest

from sigah.codes import hamming_distances, unpack_bits
from sigah.hashers import Hasher, make_hasher
from sigah.hashers.sph import SphericalHashing, sphere_overlaps, spherical_hamming_distances


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    # a mixture of Gaussians: structure for the spheres to adapt to
    centers = rng.normal(size=(6, 12)) * 3
    return (centers[rng.integers(0, 6, 3000)] + rng.normal(size=(3000, 12))).astype(np.float32)


@pytest.fixture(scope="module")
def fitted(data):
    return SphericalHashing(n_bits=16, seed=3, n_train=2000).fit(data)


def test_each_sphere_holds_half_of_the_training_points(fitted, data):
    rng = np.random.default_rng(3)  # the subsample the model drew, reproduced from its seed
    train = data[np.sort(rng.choice(len(data), 2000, replace=False))]
    inside = fitted.encode_bits(train)
    assert np.all(np.abs(inside.sum(axis=0) - 1000) <= 1)


def test_stopping_rule_met_by_the_overlaps(fitted, data):
    rng = np.random.default_rng(3)
    train = data[np.sort(rng.choice(len(data), 2000, replace=False))]
    overlaps = sphere_overlaps(fitted.encode_bits(train))
    off = overlaps[~np.eye(16, dtype=bool)]
    quarter = 2000 / 4
    assert fitted.converged_
    assert np.abs(off - quarter).mean() <= 0.10 * quarter + 1e-9
    assert off.std() <= 0.15 * quarter + 1e-9
    # the forces did work: the random start is further from independence than the result
    assert fitted.history_[0]["mean_abs_dev"] > fitted.history_[-1]["mean_abs_dev"]


def test_overlaps_match_brute_force_counts():
    inside = np.random.default_rng(0).random((50, 5)) < 0.5
    expected = np.array([[np.sum(inside[:, i] & inside[:, j]) for j in range(5)] for i in range(5)])
    np.testing.assert_array_equal(sphere_overlaps(inside), expected)


def test_spherical_hamming_distance_matches_its_definition():
    rng = np.random.default_rng(5)
    a = rng.random((20, 8)) < 0.4
    b = rng.random((30, 8)) < 0.4
    b[0] = False  # an all-outside code: exercises the empty-intersection convention
    a[0] = False
    got = spherical_hamming_distances(a, b)
    for i in range(20):
        for j in range(30):
            xor = np.sum(a[i] ^ b[j])
            common = np.sum(a[i] & b[j])
            want = xor / common if common else (8 + xor if xor else 0.0)
            assert got[i, j] == pytest.approx(want, rel=1e-6)
    assert got[0, 0] == 0.0


def test_empty_intersection_ranks_after_every_shared_sphere():
    a = np.array([[1, 1, 0, 0, 0, 0, 0, 0]], bool)
    b = np.array([[1, 0, 1, 1, 1, 1, 1, 1], [0, 0, 1, 0, 0, 0, 0, 0]], bool)  # ratio 7/1 vs no common sphere
    d = spherical_hamming_distances(a, b)
    assert d[0, 0] == 7.0 and d[0, 1] > d[0, 0]


def test_distances_follow_the_distance_parameter(fitted, data):
    codes = fitted.encode(data[:40])
    shd = fitted.distances(codes[:10], codes)
    want = spherical_hamming_distances(unpack_bits(codes[:10]), unpack_bits(codes))
    np.testing.assert_array_equal(shd, want)
    ham_model = SphericalHashing(n_bits=16, seed=3, n_train=2000, distance="hamming").fit(data)
    np.testing.assert_array_equal(ham_model.encode(data[:40]), codes)  # same codes, other distance
    np.testing.assert_array_equal(ham_model.distances(codes[:10], codes), hamming_distances(codes[:10], codes))


def test_codes_are_inside_the_spheres(fitted, data):
    bits = fitted.encode_bits(data[:100])
    dist = np.linalg.norm(data[:100, None, :].astype(np.float64) - fitted.centers_[None], axis=2)
    margin = np.abs(dist - fitted.radii_)
    clear = margin > 1e-3  # away from float32 rounding at the boundary
    np.testing.assert_array_equal(bits[clear], (dist <= fitted.radii_)[clear])


def test_same_seed_same_codes_and_save_load_round_trip(fitted, data, tmp_path):
    again = make_hasher("sph", 16, seed=3, n_train=2000).fit(data)
    np.testing.assert_array_equal(again.encode(data), fitted.encode(data))
    path = fitted.save(tmp_path / "sph.npz")
    loaded = Hasher.load(path)
    assert isinstance(loaded, SphericalHashing) and loaded.distance == "spherical"
    np.testing.assert_array_equal(loaded.encode(data), fitted.encode(data))


def test_non_convergence_warns(data):
    with pytest.warns(RuntimeWarning, match="stopping rule"):
        model = SphericalHashing(n_bits=16, seed=0, n_train=2000, max_iter=1, eps_mean=1e-6).fit(data)
    assert not model.converged_


@pytest.mark.parametrize(
    "params, message",
    [({"distance": "cosine"}, "distance"), ({"n_train": 0}, "n_train"), ({"eps_std": -1.0}, "eps_std")],
)
def test_bad_parameters_are_rejected(data, params, message):
    with pytest.raises(ValueError, match=message):
        SphericalHashing(n_bits=8, **params).fit(data)


def test_distances_reject_codes_of_another_length(fitted):
    with pytest.raises(ValueError, match="16-bit"):
        fitted.distances(np.zeros((2, 1), np.uint8), np.zeros((3, 2), np.uint8))
