"""Binary autoencoder (MAC): Z-step solvers, monotone steps, the stopping rule, persistence."""

import itertools

import numpy as np
import pytest

from sigah.hashers import Hasher, make_hasher
from sigah.hashers.ba import BinaryAutoencoder, penalised_objective, z_step_alternating, z_step_enumerate


def _problem(n=300, L=6, d=10, mu=0.3, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, L))
    X = rng.normal(size=(n, d))
    C = X @ W
    H = (rng.random((n, L)) < 0.5).astype(float)
    return C, W.T @ W, H, mu


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2)
    basis = rng.normal(size=(6, 24))
    return (rng.normal(size=(800, 6)) @ basis + 0.3 * rng.normal(size=(800, 24))).astype(np.float32)


def test_penalised_objective_matches_the_reconstruction_error():
    rng = np.random.default_rng(1)
    W, w = rng.normal(size=(5, 3)), rng.normal(size=5)
    X = rng.normal(size=(7, 5))
    Z = (rng.random((7, 3)) < 0.5).astype(float)
    H = (rng.random((7, 3)) < 0.5).astype(float)
    direct = ((X - Z @ W.T - w) ** 2).sum(axis=1) + 0.7 * ((Z - H) ** 2).sum(axis=1)
    constant = ((X - w) ** 2).sum(axis=1)
    got = constant + penalised_objective((X - w) @ W, W.T @ W, Z, H, 0.7)
    np.testing.assert_allclose(got, direct)


def test_enumeration_finds_the_brute_force_minimum():
    C, G, H, mu = _problem(n=40, L=5)
    Z = z_step_enumerate(C, G, H, mu)
    all_codes = np.array(list(itertools.product([0.0, 1.0], repeat=5)))
    for i in range(40):
        values = penalised_objective(np.repeat(C[i : i + 1], 32, 0), G, all_codes, np.repeat(H[i : i + 1], 32, 0), mu)
        assert penalised_objective(C[i : i + 1], G, Z[i : i + 1], H[i : i + 1], mu)[0] == pytest.approx(values.min())


def test_alternating_z_step_never_increases_and_ends_at_a_bitwise_optimum():
    C, G, H, mu = _problem()
    Z, sweeps = z_step_alternating(C, G, H, mu, H.copy())
    before = penalised_objective(C, G, H, H, mu)
    after = penalised_objective(C, G, Z, H, mu)
    assert np.all(after <= before + 1e-12) and np.any(after < before)
    assert sweeps < 100
    for l in range(Z.shape[1]):
        flipped = Z.copy()
        flipped[:, l] = 1 - flipped[:, l]
        assert np.all(penalised_objective(C, G, flipped, H, mu) >= after - 1e-9)
    exact = penalised_objective(C, G, z_step_enumerate(C, G, H, mu), H, mu)
    assert np.all(exact <= after + 1e-9)  # enumeration is the global optimum


def test_huge_mu_makes_the_z_step_return_h():
    C, G, H, _ = _problem()
    Z, _ = z_step_alternating(C, G, H, 1e6, 1 - H)
    np.testing.assert_array_equal(Z, H)


@pytest.mark.parametrize("n_bits, z_step", [(8, "auto"), (16, "alternate")])
def test_mac_steps_decrease_the_objective_and_training_stops_when_z_equals_h(data, n_bits, z_step):
    model = BinaryAutoencoder(n_bits=n_bits, seed=0, z_step=z_step, n_iter=40, mu0_scale=1e-3).fit(data)
    history = model.history_
    assert len(history) > 3
    for record in history:
        # the Z-step (exact or alternating) never increases E_Q at fixed mu ...
        assert record["objective_after_z"] <= record["objective_after_hf"] + 1e-6
    for record in history[1:]:
        # ... nor does the least-squares f-step
        assert record["objective_after_hf"] <= record["objective_before_f"] + 1e-6
    assert np.mean([r["objective_after_hf"] - r["objective_after_z"] for r in history]) > 0
    mus = [r["mu"] for r in history]
    assert all(b > a for a, b in zip(mus, mus[1:]))
    assert model.stop_reason_ == "Z == h(X)"
    assert history[-1]["mismatched_bits"] == 0
    assert history[-1]["objective_after_z"] == pytest.approx(history[-1]["nested_error"])


def test_stop_reason_explains_an_early_stop(data):
    model = BinaryAutoencoder(n_bits=16, seed=0, n_iter=2).fit(data)
    assert model.history_[-1]["mismatched_bits"] > 0
    assert "n_iter=2" in model.stop_reason_ and "different from h(X)" in model.stop_reason_


def test_decoder_reconstructs_better_than_the_mean(data):
    model = BinaryAutoencoder(n_bits=16, seed=0).fit(data)
    recon = model.decode(model.encode_bits(data))
    err = ((recon - data) ** 2).sum(axis=1).mean()
    baseline = ((data - data.mean(axis=0)) ** 2).sum(axis=1).mean()
    assert err < 0.7 * baseline
    assert err == pytest.approx(model.history_[-1]["nested_error"], rel=1e-3)


def test_same_seed_same_codes_and_save_load_round_trip(data, tmp_path):
    a = make_hasher("ba", 16, seed=3).fit(data)
    b = make_hasher("ba", 16, seed=3).fit(data)
    np.testing.assert_array_equal(a.encode(data), b.encode(data))
    loaded = Hasher.load(a.save(tmp_path / "ba.npz"))
    assert isinstance(loaded, BinaryAutoencoder)
    np.testing.assert_array_equal(loaded.encode(data), a.encode(data))


@pytest.mark.parametrize(
    "params, message",
    [({"mu_factor": 0.5}, "mu_factor"), ({"z_step": "greedy"}, "z_step"), ({"n_iter": 0}, "n_iter"),
     ({"mu0_scale": 0.0}, "mu0_scale"), ({"z_step": "enumerate", "n_bits": 24}, "too many")],
)
def test_bad_parameters_are_rejected(data, params, message):
    params = {"n_bits": 8, **params}
    with pytest.raises(ValueError, match=message):
        BinaryAutoencoder(**params).fit(data)


def test_more_bits_than_dimensions_is_refused(data):
    with pytest.raises(ValueError, match="n_bits <= d"):
        BinaryAutoencoder(n_bits=32).fit(data)
