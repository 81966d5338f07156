"""LSH and ITQ: their defining properties, determinism and the shared interface."""

import numpy as np
import pytest

from sigah.codes import unpack_bits
from sigah.hashers import Hasher, NotFittedError, make_hasher
from sigah.hashers.itq import ITQ, pca_directions
from sigah.hashers.lsh import LSH


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    # correlated features with unequal variances, as real data has
    return (rng.standard_normal((2000, 32)) @ rng.standard_normal((32, 32))).astype(np.float32)


def test_lsh_bit_disagreement_matches_angle_over_pi():
    """Pr[b(x) != b(y)] = angle(x, y) / pi for sign random projections of centred data."""
    rng = np.random.default_rng(1)
    d, n_bits, n_pairs = 16, 4096, 40
    x = rng.standard_normal((n_pairs, d))
    y = rng.standard_normal((n_pairs, d))
    lsh = LSH(n_bits=n_bits, seed=3, center=False).fit(np.vstack([x, y]))
    bx, by = lsh.encode_bits(x), lsh.encode_bits(y)
    disagreement = (bx != by).mean(axis=1)
    cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    angle_over_pi = np.arccos(np.clip(cos, -1, 1)) / np.pi
    # binomial std with 4096 bits is at most 0.008; allow 4 sigma
    assert np.abs(disagreement - angle_over_pi).max() < 0.035
    assert np.corrcoef(disagreement, angle_over_pi)[0, 1] > 0.99


def test_lsh_centres_by_default(data):
    shifted = data + 100.0  # all-positive data: uncentred projections would give nearly constant bits
    bits = LSH(n_bits=64, seed=0).fit(shifted).encode_bits(shifted)
    balance = bits.mean(axis=0)
    assert 0.3 < balance.mean() < 0.7


def test_itq_quantisation_loss_never_increases(data):
    itq = ITQ(n_bits=16, seed=0, n_iter=50).fit(data)
    loss = np.array(itq.loss_history_)
    assert len(loss) == 51
    assert np.all(np.diff(loss) <= 1e-9 * loss[:-1])
    assert loss[-1] < loss[0]  # it actually learns something


def test_itq_rotation_is_orthogonal(data):
    itq = ITQ(n_bits=16, seed=2).fit(data)
    R = itq.rotation_.astype(np.float64)
    np.testing.assert_allclose(R.T @ R, np.eye(16), atol=1e-5)


def test_pca_directions_are_orthonormal_and_sorted(data):
    mean, P = pca_directions(data, 8)
    np.testing.assert_allclose(P.T.astype(np.float64) @ P, np.eye(8), atol=1e-5)
    variances = ((data - mean) @ P).var(axis=0)
    assert np.all(np.diff(variances) <= 1e-3 * variances[0])


@pytest.mark.parametrize("method", ["lsh", "itq"])
def test_same_seed_same_codes_other_seed_other_codes(method, data):
    a = make_hasher(method, 32, seed=5).fit(data).encode(data)
    b = make_hasher(method, 32, seed=5).fit(data).encode(data)
    c = make_hasher(method, 32, seed=6).fit(data).encode(data)
    assert a.dtype == np.uint8 and a.shape == (len(data), 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("method", ["lsh", "itq"])
def test_save_load_round_trip(method, data, tmp_path):
    model = make_hasher(method, 24, seed=1).fit(data)
    path = model.save(tmp_path / "model.npz")
    loaded = Hasher.load(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.encode(data), model.encode(data))


@pytest.mark.parametrize("method", ["lsh", "itq"])
def test_codes_are_signs_of_projection(method, data):
    model = make_hasher(method, 16, seed=0).fit(data)
    np.testing.assert_array_equal(unpack_bits(model.encode(data)), model.project(data) >= 0)


@pytest.mark.parametrize("bad", [0, -8, 12, 7.5, "32", True])
def test_bad_bits_rejected(bad, data):
    with pytest.raises(ValueError, match="n_bits"):
        LSH(n_bits=bad).fit(data)


def test_itq_more_bits_than_dimensions_rejected(data):
    with pytest.raises(ValueError, match="at most 32 bits"):
        ITQ(n_bits=40).fit(data)


def test_encode_checks_dimension_and_fit(data):
    with pytest.raises(NotFittedError):
        ITQ(n_bits=8).encode(data)
    model = ITQ(n_bits=8).fit(data)
    with pytest.raises(ValueError, match="31 features per row but the model was fitted on 32"):
        model.encode(data[:, :31])


def test_nan_rejected(data):
    bad = data.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values: 1 of them"):
        LSH(n_bits=8).fit(bad)


def test_load_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        Hasher.load(tmp_path / "nope.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a sigah model"):
        Hasher.load(tmp_path / "other.npz")


def test_unknown_method_named_in_error():
    with pytest.raises(ValueError, match="unknown method 'pq'"):
        make_hasher("pq", 32)
