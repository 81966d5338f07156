"""Tests of sigah.cs: measurement matrices, sparse recovery, generative recovery, bound terms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sigah import cs


# -- measurements -----------------------------------------------------------------------------
def test_gaussian_matrix_scalings():
    A = cs.gaussian_matrix(400, 300, seed=0)
    assert A.shape == (400, 300)
    assert A.var() == pytest.approx(1 / 400, rel=0.02)
    assert cs.gaussian_matrix(50, 2000, variance="cols", seed=1).var() == pytest.approx(1 / 2000, rel=0.03)
    assert cs.gaussian_matrix(50, 2000, variance=4.0, seed=1).var() == pytest.approx(4.0, rel=0.03)
    # N(0, 1/m): E‖Ax‖² = ‖x‖² (Bora et al.'s normalisation)
    x = np.random.default_rng(0).standard_normal(300)
    norms = [np.linalg.norm(cs.gaussian_matrix(200, 300, seed=s) @ x) ** 2 for s in range(50)]
    assert np.mean(norms) == pytest.approx(x @ x, rel=0.05)


def test_gaussian_matrix_is_reproducible():
    np.testing.assert_array_equal(cs.gaussian_matrix(5, 7, seed=3), cs.gaussian_matrix(5, 7, seed=3))
    assert not np.array_equal(cs.gaussian_matrix(5, 7, seed=3), cs.gaussian_matrix(5, 7, seed=4))


@pytest.mark.parametrize("bad", [dict(n_rows=0, n_cols=3), dict(n_rows=3, n_cols=2.5), dict(n_rows=True, n_cols=3)])
def test_gaussian_matrix_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match="n_rows|n_cols"):
        cs.gaussian_matrix(**bad)


def test_gaussian_matrix_rejects_bad_variance():
    with pytest.raises(ValueError, match="variance"):
        cs.gaussian_matrix(3, 3, variance="wide")
    with pytest.raises(ValueError, match="variance"):
        cs.gaussian_matrix(3, 3, variance=-1.0)


def test_orthonormal_rows():
    Phi = cs.orthonormal_rows(16, 64, seed=0)
    np.testing.assert_allclose(Phi @ Phi.T, np.eye(16), atol=1e-12)
    with pytest.raises(ValueError, match="orthonormal rows"):
        cs.orthonormal_rows(65, 64)


def test_orthonormal_projection_of_gaussian_stays_gaussian():
    d, k, m = 128, 16, 3000
    Phi = cs.orthonormal_rows(k, d, seed=1)
    A = cs.gaussian_matrix(d, m, seed=2)
    cov = cs.column_covariance(Phi @ A)
    np.testing.assert_allclose(cov, np.eye(k) / d, atol=4 / d / np.sqrt(m) * 3)
    summary = cs.gaussianity_summary(Phi @ A, 1 / d)
    assert summary["variance_ratio"] == pytest.approx(1.0, abs=0.03)
    assert summary["ks_pvalue"] > 1e-3
    # a non-orthonormal Φ correlates the rows: covariance Φ Φᵀ / d, far from I / d
    Psi = np.random.default_rng(3).standard_normal((k, d)) / np.sqrt(d) + 0.2
    cov_bad = cs.column_covariance(Psi @ A)
    assert np.abs(cov_bad - np.eye(k) / d).max() > 10 * np.abs(cov - np.eye(k) / d).max()


def test_row_ks_separates_unequal_variances_from_non_gaussian_rows():
    rng = np.random.default_rng(4)
    scales = np.array([0.5, 1.0, 2.0])
    M = rng.standard_normal((3, 4000)) * scales[:, None]
    pooled = cs.gaussianity_summary(M, float(np.mean(scales**2)))["ks_pvalue"]
    assert pooled < 1e-6  # pooled rows of different variances look non-Gaussian
    assert cs.row_ks_pvalues(M, scales**2).min() > 1e-3  # each row is Gaussian at its own variance
    uniform = rng.uniform(-np.sqrt(3), np.sqrt(3), (2, 4000))  # unit variance, not Gaussian
    assert cs.row_ks_pvalues(uniform, 1.0).max() < 1e-3
    with pytest.raises(ValueError, match="variance"):
        cs.row_ks_pvalues(M, 0.0)


def test_sparse_vectors_have_exact_support_size():
    X = cs.sparse_vectors(50, 7, 30, seed=0)
    assert X.shape == (50, 30)
    np.testing.assert_array_equal(np.count_nonzero(X, axis=0), 7)
    S = cs.sparse_vectors(50, 7, 30, seed=0, values="signs")
    assert set(np.unique(S)) == {-1.0, 0.0, 1.0}
    assert not np.count_nonzero(cs.sparse_vectors(10, 0, 3))
    with pytest.raises(ValueError, match="n_nonzero"):
        cs.sparse_vectors(10, 11)


def test_measure_checks_shapes_and_adds_noise():
    A = cs.gaussian_matrix(4, 6, seed=0)
    x = np.arange(6.0)
    np.testing.assert_allclose(cs.measure(A, x), A @ x)
    noisy = cs.measure(A, np.tile(x[:, None], (1, 2000)), noise_std=0.5, seed=1)
    assert (noisy - (A @ x)[:, None]).std() == pytest.approx(0.5, rel=0.05)
    with pytest.raises(ValueError, match="rows to be measured"):
        cs.measure(A, np.zeros(5))


# -- sparse recovery --------------------------------------------------------------------------
def _lasso_objective(A, y, x, lam):
    return 0.5 * np.sum((y - A @ x) ** 2) + lam * np.abs(x).sum()


def test_soft_threshold():
    np.testing.assert_allclose(cs.soft_threshold(np.array([-3.0, -0.5, 0.0, 0.2, 2.0]), 1.0), [-2, 0, 0, 0, 1])


def test_fista_solves_the_lasso_optimality_conditions():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 60))
    y = rng.standard_normal(30)
    lam = 2.0
    x = cs.lasso_fista(A, y, lam, n_iter=20000, tol=1e-14)
    g = A.T @ (y - A @ x)  # KKT: g_i = λ sign(x_i) on the support, |g_i| ≤ λ elsewhere
    on = x != 0
    np.testing.assert_allclose(g[on], lam * np.sign(x[on]), atol=1e-6)
    assert np.all(np.abs(g[~on]) <= lam + 1e-6)
    # no random perturbation does better
    best = _lasso_objective(A, y, x, lam)
    for _ in range(200):
        assert _lasso_objective(A, y, x + 1e-3 * rng.standard_normal(60), lam) >= best - 1e-9


def test_ista_and_fista_agree_and_fista_is_faster():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((20, 40))
    y = rng.standard_normal(20)
    ref = cs.lasso_fista(A, y, 1.0, n_iter=20000, tol=1e-15)
    f_ista = _lasso_objective(A, y, cs.lasso_ista(A, y, 1.0, n_iter=100, tol=0), 1.0)
    f_fista = _lasso_objective(A, y, cs.lasso_fista(A, y, 1.0, n_iter=100, tol=0), 1.0)
    f_star = _lasso_objective(A, y, ref, 1.0)
    assert f_fista - f_star < f_ista - f_star
    np.testing.assert_allclose(cs.lasso_ista(A, y, 1.0, n_iter=50000, tol=1e-15), ref, atol=1e-5)


def test_lasso_with_huge_lambda_is_zero_and_batches_match_single_columns():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((10, 25))
    Y = rng.standard_normal((10, 3))
    assert not np.any(cs.lasso_fista(A, Y, lam=1e6))
    batch = cs.lasso_fista(A, Y, 0.5, n_iter=500)
    for j in range(3):
        np.testing.assert_allclose(batch[:, j], cs.lasso_fista(A, Y[:, j], 0.5, n_iter=500), atol=1e-8)


def test_omp_matches_a_brute_force_greedy_reference():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((15, 40))
    Y = rng.standard_normal((15, 4))
    X = cs.omp(A, Y, 5)
    for j in range(4):
        y, S = Y[:, j], []
        r = y.copy()
        for _ in range(5):
            S.append(int(np.argmax(np.abs(A.T @ r) / np.linalg.norm(A, axis=0))))
            c, *_ = np.linalg.lstsq(A[:, S], y, rcond=None)
            r = y - A[:, S] @ c
        ref = np.zeros(40)
        ref[S] = c
        np.testing.assert_allclose(X[:, j], ref, atol=1e-8)


@pytest.mark.parametrize("solver", ["omp", "fista", "bp"])
def test_noiseless_recovery_succeeds_well_above_k_log_n_over_k_and_fails_well_below(solver):
    n, k = 200, 5  # k·log(n/k) ≈ 18
    above = cs.phase_transition(n, [k], [90], n_trials=40, solver=solver, seed=0)[0, 0]
    below = cs.phase_transition(n, [k], [8], n_trials=40, solver=solver, seed=0)[0, 0]
    assert above >= 0.95
    assert below <= 0.1


def test_phase_transition_shape_and_monotone_trend():
    rates = cs.phase_transition(60, [2, 10], [8, 20, 50], n_trials=20, seed=1)
    assert rates.shape == (2, 3)
    assert np.all((0 <= rates) & (rates <= 1))
    assert rates[0, 2] >= rates[0, 0] and rates[0, 2] >= rates[1, 2]
    with pytest.raises(ValueError, match="sparsity"):
        cs.phase_transition(60, [0], [8])
    with pytest.raises(ValueError, match="unknown solver"):
        cs.phase_transition(60, [2], [8], solver="magic")


def test_debias_makes_lasso_recovery_exact():
    A = cs.gaussian_matrix(60, 120, seed=5)
    X = cs.sparse_vectors(120, 6, 5, seed=6)
    Y = A @ X
    shrunk = cs.lasso_fista(A, Y, 0.002, n_iter=3000)
    assert cs.relative_error(shrunk, X).max() > 1e-3  # the ℓ1 shrinkage bias
    assert cs.recovery_success(cs.debias(A, Y, shrunk), X, tol=1e-8).all()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: cs.omp(np.zeros((3, 4, 1)), np.zeros(3), 1), "2-D"),
        (lambda: cs.omp(np.ones((3, 4)), np.zeros(5), 1), "measurements must have shape"),
        (lambda: cs.omp(np.ones((3, 4)), np.zeros(3), 4), "n_nonzero"),
        (lambda: cs.lasso_fista(np.ones((3, 4)), np.zeros((2, 2)), 0.1), "measurements must have shape"),
        (lambda: cs.lasso_fista(np.ones((3, 4)), np.full(3, np.nan), 0.1), "finite"),
        (lambda: cs.lasso_ista(np.ones((3, 4)), np.zeros(3), -1.0), "lam"),
        (lambda: cs.relative_error(np.zeros(3), np.zeros(4)), "shape"),
        (lambda: cs.debias(np.ones((3, 4)), np.zeros(3), np.zeros(5)), "X must have shape"),
    ],
)
def test_sparse_solvers_reject_bad_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- generative recovery ----------------------------------------------------------------------
def test_recovery_through_a_known_generator_reaches_near_zero_measurement_error():
    G = cs.relu_generator(4, [30], 120, seed=0, output_activation="linear")
    z_true = np.random.default_rng(1).standard_normal(4)
    A = cs.gaussian_matrix(25, 120, seed=2)
    y = A @ G(z_true)
    rec = cs.recover_latent(A, y, G, n_restarts=8, n_steps=400, seed=3)
    assert rec.residual < 1e-6 * np.linalg.norm(y)
    assert np.linalg.norm(G(rec.z) - G(z_true)) < 1e-5 * np.linalg.norm(G(z_true))
    assert rec.history[-1] <= rec.history[0]
    assert np.all(np.diff(rec.history) <= 1e-15)  # best-so-far never increases
    assert rec.restart_residuals.shape == (8,)


def test_recover_latent_respects_the_box_and_identity_measurement():
    G = cs.sparse_relu_generator(6, 40, active_fraction=0.3, activation="leaky_relu", seed=0)
    target = G(np.full(6, 3.0))  # outside [-1, 1]^6
    rec = cs.recover_latent(None, target, G, latent_box=1.0, n_restarts=4, n_steps=300, seed=1)
    assert np.abs(rec.z).max() <= 1.0
    free = cs.recover_latent(None, target, G, n_restarts=4, n_steps=600, learning_rate=0.1, seed=1)
    assert free.residual < rec.residual


def test_recover_latent_uses_extra_starting_points():
    G = cs.relu_generator(3, [10], 20, seed=4)
    z_true = np.array([0.5, -1.0, 2.0])
    rec = cs.recover_latent(None, G(z_true), G, n_restarts=1, n_steps=0, z_init=z_true[None], seed=0)
    assert rec.residual == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(A=np.ones((5, 7))), r"shape \(m, 20\)"),
        (dict(A=np.ones((5, 20)), y=np.zeros(4)), r"y must have shape \(5,\)"),
        (dict(A=None, y=np.zeros(5)), "generator's output shape"),
        (dict(n_restarts=0), "n_restarts"),
        (dict(latent_box=-1.0), "latent_box"),
        (dict(z_init=np.zeros((2, 4))), "z_init"),
        (dict(generator="G"), "sigah.mlp.MLP"),
    ],
)
def test_recover_latent_rejects_bad_input(kwargs, match):
    G = cs.relu_generator(3, [10], 20, seed=4)
    args = dict(A=np.ones((5, 20)), y=np.zeros(5), generator=G)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        cs.recover_latent(args.pop("A"), args.pop("y"), args.pop("generator"), **args)


def test_sparse_relu_generator_output_is_sparse():
    G = cs.sparse_relu_generator(8, 300, active_fraction=0.1, seed=0)
    out = G(np.random.default_rng(0).standard_normal((500, 8)))
    assert 0.07 < (out > 0).mean() < 0.13
    with pytest.raises(ValueError, match="active_fraction"):
        cs.sparse_relu_generator(8, 30, active_fraction=1.5)


# -- bound terms ------------------------------------------------------------------------------
def test_all_sign_vectors_and_hamming_distance():
    codes = cs.all_sign_vectors(4)
    assert codes.shape == (16, 4)
    assert len({tuple(c) for c in codes}) == 16
    brute = np.array([[sum(a != b for a, b in zip(c1, c2)) for c2 in codes] for c1 in codes])
    np.testing.assert_array_equal(cs.hamming_distance(codes[:, None, :], codes[None, :, :]), brute)
    # ‖b − b'‖² = 4 d_H and bᵀb' = k − 2 d_H (notation table of the design)
    np.testing.assert_allclose(((codes[:, None] - codes[None]) ** 2).sum(-1), 4 * brute)
    np.testing.assert_allclose(codes @ codes.T, 4 - 2 * brute)
    with pytest.raises(ValueError, match="k must be"):
        cs.all_sign_vectors(21)


def test_hamming_distance_is_bounded_by_squared_distance_eq9():
    rng = np.random.default_rng(0)
    Z = rng.uniform(-1, 1, (5000, 12))
    Z[:100] = np.round(Z[:100])  # include exact ±1 and 0 coordinates
    B = np.where(rng.random((5000, 12)) < 0.5, -1.0, 1.0)
    dh, sq = cs.hamming_vs_squared_distance(Z, B)
    assert np.all(dh <= sq + 1e-12)
    assert np.any(dh > 0)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        cs.hamming_vs_squared_distance(Z * 2, B)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        cs.hamming_vs_squared_distance(Z, B * 0.5)


def test_lipschitz_ratios_never_exceed_the_spectral_bound():
    G = cs.relu_generator(6, [40, 40], 80, seed=0)
    rng = np.random.default_rng(1)
    Z1, Z2 = rng.standard_normal((2, 3000, 6))
    ratios = cs.lipschitz_ratios(G, Z1, Z2)
    assert ratios.max() <= G.lipschitz_upper_bound() + 1e-9
    assert ratios.max() > 0


def test_best_code_is_the_exhaustive_minimum():
    G = cs.sparse_relu_generator(5, 30, active_fraction=0.4, seed=1)
    A = cs.gaussian_matrix(12, 30, seed=2)
    b_true = cs.sgn(np.random.default_rng(3).standard_normal(5))
    y = A @ G(b_true)
    b, res = cs.best_code(A, y, G)
    assert set(np.unique(b)) <= {-1.0, 1.0}
    assert res == pytest.approx(0.0, abs=1e-10)
    for c in itertools.product([-1.0, 1.0], repeat=5):
        assert np.linalg.norm(y - A @ G(np.array(c))) >= res - 1e-12


def test_bound_right_hand_sides():
    assert cs.theorem1_rhs(1.0, 2.0, 0.5) == pytest.approx(6 + 6 + 1)
    np.testing.assert_allclose(cs.theorem1_rhs(np.array([0.0, 1.0]), 0.0), [0.0, 6.0])
    assert cs.discrete_bound_rhs(1.0, 0.5, 0.0, lipschitz=2.0) == pytest.approx(6 + 6 * 2 * 0.5)
    assert cs.reconstruction_bound_rhs(2.5, 4.0, 1.0) == pytest.approx(11.0)
    with pytest.raises(ValueError, match="noise_norm"):
        cs.theorem1_rhs(1.0, -1.0)
    with pytest.raises(ValueError, match="operator_norm"):
        cs.reconstruction_bound_rhs(0.0, 1.0, 1.0)


def test_fit_latents_matches_per_target_recovery_and_never_worsens_the_start():
    G = cs.sparse_relu_generator(5, 60, active_fraction=0.3, activation="leaky_relu", seed=2)
    A = cs.gaussian_matrix(30, 60, seed=3)
    rng = np.random.default_rng(4)
    Z_true = rng.uniform(-1, 1, (7, 5))
    Y = G(Z_true) @ A.T
    start = np.clip(Z_true + 0.3 * rng.standard_normal(Z_true.shape), -1, 1)
    start_res = np.linalg.norm(Y - G(start) @ A.T, axis=1)
    Z, res = cs.fit_latents(A, Y, G, start, n_steps=400, latent_box=1.0)
    assert np.all(res <= start_res)
    assert np.abs(Z).max() <= 1.0
    np.testing.assert_allclose(res, np.linalg.norm(Y - G(Z) @ A.T, axis=1))
    assert np.median(res / np.linalg.norm(Y, axis=1)) < 1e-3
    with pytest.raises(ValueError, match="z_init"):
        cs.fit_latents(A, Y, G, start[:3])
    with pytest.raises(ValueError, match="Y must have shape"):
        cs.fit_latents(A, Y[:, :5], G, start)


def test_generator_from_weights_matches_the_sigah_formula():
    rng = np.random.default_rng(0)
    V, c, b = rng.standard_normal((4, 9)), rng.standard_normal(9), rng.standard_normal((3, 4))
    u = b @ V + c
    np.testing.assert_allclose(cs.generator_from_weights(V, c)(b), np.where(u >= 0, u, 0.2 * u))
    with pytest.raises(ValueError, match="V must have shape"):
        cs.generator_from_weights(V, c[:3])


# -- exact ℓ1 recovery --------------------------------------------------------------------------
def test_basis_pursuit_recovers_k37_from_110_measurements_of_n200():
    # the Lasso-with-refit approximation recovers about 3 of 10 here; exact ℓ1 (δ ≈ 98 < 110) nearly all
    A = cs.gaussian_matrix(110, 200, seed=0)
    X = cs.sparse_vectors(200, 37, 10, seed=1)
    assert cs.recovery_success(cs.basis_pursuit(A, A @ X), X).sum() >= 8


def test_basis_pursuit_exact_on_known_small_cases():
    # identity: the only solution is y itself
    y = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(cs.basis_pursuit(np.eye(3), y), y, atol=1e-9)
    # s₁ + s₂ = 1 has the ℓ1 minimisers [0, 1]..[1, 0]; with s₂ counted twice (a column of 2) it is s = [0, 1/2]
    np.testing.assert_allclose(cs.basis_pursuit(np.array([[1.0, 2.0]]), np.array([1.0])), [0.0, 0.5], atol=1e-9)
    # a 1-sparse vector behind a short fat matrix with dominant column norms
    A = np.array([[1.0, 0.2, 0.1, 0.0], [0.0, 0.1, 0.2, 1.0]])
    np.testing.assert_allclose(cs.basis_pursuit(A, A @ [3.0, 0, 0, 0]), [3.0, 0, 0, 0], atol=1e-9)


def test_basis_pursuit_matches_brute_force_l1_minimum_on_tiny_systems():
    # An LP optimum is attained at a vertex: a solution supported on m linearly independent columns.
    # Enumerating every support of size m gives the exact minimum of ‖s‖₁ over As = y.
    rng = np.random.default_rng(3)
    for trial in range(5):
        m, n = 3, 6
        A = rng.standard_normal((m, n))
        y = rng.standard_normal((m, 2))
        S = cs.basis_pursuit(A, y)
        assert S.shape == (n, 2)
        for j in range(2):
            best = min(np.abs(np.linalg.solve(A[:, list(sup)], y[:, j])).sum()
                       for sup in itertools.combinations(range(n), m))
            assert np.abs(S[:, j]).sum() == pytest.approx(best, rel=1e-7)
            np.testing.assert_allclose(A @ S[:, j], y[:, j], atol=1e-8)


def test_basis_pursuit_rejects_bad_input():
    with pytest.raises(ValueError, match="measurements must have shape"):
        cs.basis_pursuit(np.ones((3, 4)), np.zeros(5))
    with pytest.raises(ValueError, match="finite"):
        cs.basis_pursuit(np.ones((3, 4)), np.full(3, np.inf))
    with pytest.raises(ValueError, match="range of"):
        cs.basis_pursuit(np.zeros((2, 3)), np.ones(2))  # As = y has no solution


def test_l1_statistical_dimension_known_values_and_limits():
    n = 200
    delta = cs.l1_statistical_dimension(n, np.array([13, 25, 37]))
    # values of Amelunxen, Lotz, McCoy & Tropp's formula at n = 200 (m ≈ 49, 76, 98)
    np.testing.assert_allclose(delta, [49.0, 76.1, 97.5], atol=0.6)
    assert cs.l1_statistical_dimension(n, 0) == 0.0 and cs.l1_statistical_dimension(n, n) == n
    ks = np.arange(1, n)
    d = cs.l1_statistical_dimension(n, ks)
    assert np.all(np.diff(d) > 0) and np.all((d > ks) & (d < n))  # increasing, between k and n
    # the asymptote 2k ln(n/k) holds only as k/n → 0 (slowly: log log corrections) and over-states δ
    ratios = [cs.l1_statistical_dimension(10**e, 10) / (20 * np.log(10**e / 10)) for e in (3, 8, 16)]
    assert np.all(np.diff(ratios) > 0) and ratios[-1] < 1
    with pytest.raises(ValueError, match="k must be integers"):
        cs.l1_statistical_dimension(n, 201)


def test_l1_statistical_dimension_locates_basis_pursuit_transition():
    # Theorem II of Amelunxen et al.: success is likely well above δ and unlikely well below
    n, k = 100, 10
    delta = cs.l1_statistical_dimension(n, k)
    above = cs.phase_transition(n, [k], [int(delta + 15)], n_trials=20, solver="bp", seed=0)[0, 0]
    below = cs.phase_transition(n, [k], [int(delta - 15)], n_trials=20, solver="bp", seed=0)[0, 0]
    assert above >= 0.9 and below <= 0.1


def test_generative_recovery_failure_rate_on_a_known_generator_is_below_5_percent():
    # noiseless signals in the range of a known sparse generator, default restarts and polish
    k, n, m, n_signals = 5, 120, 30, 40
    G = cs.sparse_relu_generator(k, n, active_fraction=0.3, seed=1)
    S = G(np.random.default_rng(0).standard_normal((n_signals, k))).T
    A = cs.gaussian_matrix(m, n, seed=2)
    recs = [cs.recover_latent(A, A @ S[:, j], G, n_steps=300, seed=j) for j in range(n_signals)]
    failed = np.array([r.relative_residual > 1e-3 for r in recs])
    assert failed.mean() < 0.05
    errors = np.array([np.linalg.norm(G(r.z) - S[:, j]) / np.linalg.norm(S[:, j]) for j, r in enumerate(recs)])
    assert np.all(errors[~failed] < 1e-6)  # polished to the exact signal, not to the Adam floor


def test_polish_lands_on_the_exact_latent_of_a_correct_activation_pattern():
    G = cs.sparse_relu_generator(4, 60, active_fraction=0.5, activation="leaky_relu", seed=0)
    z_true = np.array([0.3, -0.2, 0.5, 0.1])
    A = cs.gaussian_matrix(20, 60, seed=1)
    Z, res = cs.polish_latents(A, A @ G(z_true), G, (z_true + 1e-3)[None])
    np.testing.assert_allclose(Z[0], z_true, atol=1e-10)
    assert res[0] < 1e-10
