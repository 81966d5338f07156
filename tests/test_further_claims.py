"""The machinery of the chapter on claims the paper's experiments do not test: brute-force references and properties."""

import itertools

import numpy as np
import pytest
from scipy import stats as scipy_stats

from sigah import stats
from sigah.studies.claims import combine_readings, reading_of
from sigah.studies.further_claims import (
    ABLATIONS,
    REDUCTIONS,
    block_energy,
    energy_distance,
    energy_test,
    hamming_of_pairs,
    interval_verdict,
    quasi_isometry,
    random_codes,
    random_pairs,
    spearman_interval,
    variant_settings,
    violations,
)
from sigah.hashers.sigah import SiGAH


def brute_energy(X, Y, unbiased):
    X, Y = np.atleast_2d(X.T).T, np.atleast_2d(Y.T).T
    d = lambda a, b: float(np.sqrt(((a - b) ** 2).sum()))  # noqa: E731
    xy = np.mean([d(a, b) for a in X for b in Y])
    pairs = lambda Z: [d(Z[i], Z[j]) for i in range(len(Z)) for j in range(len(Z)) if not unbiased or i != j]  # noqa: E731
    return 2 * xy - np.mean(pairs(X)) - np.mean(pairs(Y))


@pytest.mark.parametrize("unbiased", [False, True])
def test_energy_distance_agrees_with_a_double_loop(unbiased):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(6, 3)), rng.normal(1.0, size=(5, 3))
    assert energy_distance(X, Y, unbiased=unbiased) == pytest.approx(brute_energy(X, Y, unbiased), rel=1e-9)


def test_energy_distance_in_one_dimension_is_scipys_squared():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=40), rng.exponential(size=30)
    assert np.sqrt(energy_distance(u, v)) == pytest.approx(scipy_stats.energy_distance(u, v), rel=1e-9)


def test_energy_distance_is_symmetric_non_negative_and_zero_for_a_sample_with_itself():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(20, 4)), rng.normal(size=(15, 4))
    assert energy_distance(X, Y) == pytest.approx(energy_distance(Y, X))
    assert energy_distance(X, Y) >= 0
    assert energy_distance(X, X) == pytest.approx(0.0, abs=1e-12)


def test_the_permutation_p_value_approaches_the_exact_enumeration():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(4, 2)), rng.normal(0.8, size=(4, 2))
    pooled = np.vstack([X, Y])
    observed = energy_distance(X, Y)
    splits = [energy_distance(pooled[list(a)], pooled[[i for i in range(8) if i not in a]])
              for a in itertools.combinations(range(8), 4)]
    exact = np.mean(np.array(splits) >= observed - 1e-12)
    test = energy_test(X, Y, n_permutations=4000, seed=0)
    assert test.statistic == pytest.approx(observed)
    assert abs(test.p_value - exact) < 0.03  # Monte Carlo error at 4,000 draws: about 0.008


def test_the_permutation_test_keeps_its_level_under_the_null():
    rng = np.random.default_rng(4)
    p = [energy_test(rng.normal(size=(12, 2)), rng.normal(size=(12, 2)), n_permutations=49, seed=i).p_value
         for i in range(150)]
    assert np.mean(np.array(p) <= 0.05) <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 150)


def test_the_permutation_test_detects_a_shift():
    rng = np.random.default_rng(5)
    assert energy_test(rng.normal(size=(40, 3)), rng.normal(1.5, size=(40, 3)), n_permutations=99).p_value <= 0.01


def test_block_energy_is_the_unbiased_statistic_of_each_block():
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(9, 2)), rng.normal(size=(9, 2))
    blocks = block_energy(X, Y, 3)
    assert blocks.shape == (3,)
    assert blocks[1] == pytest.approx(energy_distance(X[3:6], Y[3:6], unbiased=True))
    with pytest.raises(ValueError, match="equal size"):
        block_energy(X, Y[:8], 3)


def test_random_pairs_are_distinct_rows_in_range():
    pairs = random_pairs(7, 500, seed=1)
    assert pairs.shape == (500, 2) and (pairs[:, 0] != pairs[:, 1]).all()
    assert pairs.min() >= 0 and pairs.max() < 7


def test_hamming_of_pairs_counts_differing_bits():
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2, (5, 16)).astype(np.uint8)
    pairs = random_pairs(5, 20, seed=2)
    expected = (bits[pairs[:, 0]] != bits[pairs[:, 1]]).sum(1)
    assert np.array_equal(hamming_of_pairs(np.packbits(bits, axis=1), pairs), expected)


def test_random_codes_have_half_their_bits_set_on_average():
    codes = random_codes(2000, 32, seed=0)
    assert codes.shape == (2000, 4)
    assert np.unpackbits(codes).mean() == pytest.approx(0.5, abs=0.01)


def test_the_quasi_isometry_delta_is_the_largest_violation():
    rng = np.random.default_rng(8)
    e = rng.uniform(0.5, 2.0, 200)
    h = np.round(8 * e + rng.normal(0, 1, 200)).clip(0)
    qi = quasi_isometry(e, h, lambdas=(1.0, 2.0))
    for lam, delta in qi.delta.items():
        lower, upper = qi.scale * e / lam - delta, lam * qi.scale * e + delta
        assert ((lower <= h + 1e-9) & (h <= upper + 1e-9)).all()  # the bound holds with this δ
        slack = violations(e, h, qi.scale, lam)
        assert delta == pytest.approx(slack.max())  # and no smaller δ would
    assert qi.delta[2.0] <= qi.delta[1.0]  # a looser λ never needs a larger δ
    assert qi.spearman == pytest.approx(scipy_stats.spearmanr(e, h).statistic)


def test_an_exact_isometry_needs_no_slack():
    e = np.linspace(1, 3, 50)
    qi = quasi_isometry(e, 4 * e, lambdas=(1.0,))
    assert qi.scale == pytest.approx(4.0) and qi.delta[1.0] == pytest.approx(0.0, abs=1e-12)


def test_spearman_interval_matches_scipy_and_covers_its_estimate():
    rng = np.random.default_rng(9)
    x = rng.normal(size=30)
    y = -x + rng.normal(0, 0.5, 30)
    rho, low, high = spearman_interval(x, y, n_boot=500)
    assert rho == pytest.approx(scipy_stats.spearmanr(x, y).statistic)
    assert low <= rho <= high < 0
    assert spearman_interval(np.exp(x), y, n_boot=500)[0] == pytest.approx(rho)  # ranks only


def test_spearman_interval_averages_within_strata():
    rng = np.random.default_rng(10)
    x = rng.normal(size=20)
    y = np.r_[x[:10], -x[10:]]
    strata = np.repeat(["a", "b"], 10)
    rho, _, _ = spearman_interval(x, y, strata, n_boot=200)
    assert rho == pytest.approx(0.0, abs=1e-12)  # +1 in one stratum, −1 in the other
    with pytest.raises(ValueError, match="at least 3 units"):
        spearman_interval(x[:12], y[:12], np.r_[np.zeros(10), np.ones(2)])


@pytest.mark.parametrize("low, high, verdict", [(-0.5, -0.1, "held"), (0.1, 0.3, "not held"), (-0.2, 0.2, "inconclusive")])
def test_interval_verdict_reads_the_sign(low, high, verdict):
    out = interval_verdict((low + high) / 2, low, high, expects="negative", n=10, what="ρ")
    assert out["verdict"] == verdict
    # the 80 %-power detectable effect of a normal test: (z_0.975 + z_0.80) standard errors, where the
    # interval's half-width is z_0.975 of them
    z, z_power = scipy_stats.norm.ppf(0.975), scipy_stats.norm.ppf(0.80)
    assert out["smallest_detectable"] == pytest.approx((high - low) / 2 * (z + z_power) / z, rel=1e-3)
    assert out["smallest_detectable"] > (high - low) / 2


def test_interval_verdict_refuses_a_reversed_interval():
    with pytest.raises(ValueError, match="low <= high"):
        interval_verdict(0.0, 0.2, -0.2, expects="negative", n=10)


def test_competitiveness_and_combination():
    rng = np.random.default_rng(11)
    a = rng.normal(0.5, 0.01, (3, 50))
    same = stats.compare_paired(a + rng.normal(0, 0.001, a.shape), a, margin=0.02)
    worse = stats.compare_paired(a - 0.1, a, margin=0.02)
    assert reading_of(same, "competitive", note="")["verdict"] == "held"
    assert reading_of(worse, "competitive", note="")["verdict"] == "not held"
    readings = {"MNIST": {"verdict": "held", "effect": 0.1, "interval": (0.0, 0.2), "smallest_detectable": 0.05},
                "SIFT10K": {"verdict": "inconclusive", "effect": 0.0, "interval": (-0.1, 0.1),
                            "smallest_detectable": 0.08}}
    combined = combine_readings(readings, note="x")
    assert combined["verdict"] == "inconclusive" and combined["smallest_detectable"] == 0.08
    readings["SIFT10K"]["verdict"] = "not held"
    assert combine_readings(readings, note="x")["verdict"] == "not held"


def test_the_variants_are_valid_sigah_settings():
    rows = variant_settings({"sigah": {"progress": False}, "ba": {"n_iter": 3}, "sgh": {"n_iter": 3}})
    for method, params in rows.values():
        if method == "sigah":
            SiGAH(**params)._validate_params()
    assert {f"SiGAH, {n}" for n in [*REDUCTIONS, *ABLATIONS]} <= set(rows)


def _family(effects, labels, margin=0.02):
    rng = np.random.default_rng(12)
    pairs = {}
    for label, effect in zip(labels, effects):
        b = rng.normal(0.5, 0.05, (3, 80))
        pairs[label] = (b + effect + rng.normal(0, 0.002, b.shape), b)
    return stats.compare_family(pairs, margin=margin)


def test_chapter_verdicts_read_every_claim_by_its_rule():
    from sigah.studies.further_claims import COMPARISONS, chapter_verdicts

    datasets = ["MNIST", "SIFT10K"]
    labels = [f"{ds}: {label}" for ds in datasets for label in COMPARISONS]
    effects = {"BA reduction − BA": 0.0, "SGH reduction − SGH": -0.1, "all weights zero − defaults": 0.05,
               "defaults − β = 0": 0.05, "defaults − α = 0": 0.0}
    family = _family([effects[label.split(": ")[1]] for label in labels], labels)
    slack = _family([-0.05, 0.0, -0.05, 0.0], [f"{ds}: SiGAH − {o}" for ds in datasets for o in ("random codes", "LSH")])
    energy = _family([-0.1, -0.1, 0.1, -0.1], [f"{ds}: SiGAH − {o}" for ds in datasets for o in ("BA", "SGH")])
    out = chapter_verdicts(family, slack, energy, (-0.5, -0.8, -0.2), (0.1, -0.2, 0.4), datasets=datasets, n_models=16)
    assert {k: v["verdict"] for k, v in out.items()} == {
        "T15": "held", "T16": "not held", "A08": "held", "A10": "held", "A12": "not held",
        "T17": "held", "C09": "not held", "C01": "held", "C07": "inconclusive"}
    from sigah.studies.claims import record_verdict
    for claim, kwargs in out.items():  # every reading is a valid record of the claim list
        assert record_verdict(claim, **kwargs).verdict == kwargs["verdict"]


def test_sentences_name_the_datasets_and_the_correlation():
    from sigah.studies.further_claims import correlation_sentence, family_sentences

    family = _family([0.1, 0.0], ["MNIST: SiGAH − BA", "SIFT10K: SiGAH − SGH"])
    text = family_sentences(family, metric="energy distance")
    assert "energy distance on MNIST" in text and "than BA's" in text and "SIFT10K" in text
    assert "+0.100" in correlation_sentence((0.1, -0.2, 0.4), "a", "b", 5) and "5 models" in \
        correlation_sentence((0.1, -0.2, 0.4), "a", "b", 5)
    with pytest.raises(ValueError, match="expected"):
        family_sentences(_family([0.0], ["no difference here"]), metric="x")


def test_energy_distance_scales_with_the_features():
    rng = np.random.default_rng(13)
    X, Y = rng.normal(size=(10, 3)), rng.normal(0.5, size=(12, 3))
    assert energy_distance(7 * X, 7 * Y) == pytest.approx(7 * energy_distance(X, Y))  # why energy_study divides


def test_energy_study_trivial_rows_are_unit_free_and_ordered():
    from sigah.studies.further_claims import energy_study

    rng = np.random.default_rng(14)
    train, X = rng.normal(size=(300, 4)), rng.normal(size=(200, 4))
    table, blocks = energy_study(train, X, {}, [], [0, 1], n_points=60, n_blocks=3, n_permutations=19)
    scaled, _ = energy_study(10 * train, 10 * X, {}, [], [0, 1], n_points=60, n_blocks=3, n_permutations=19)
    assert np.allclose(table["energy distance"], scaled["energy distance"], rtol=1e-6)
    assert set(blocks) == {"Gaussian fit", "training mean"} and blocks["Gaussian fit"].shape == (2, 3)
    means = table.groupby("row")["energy distance"].mean()
    assert means["Gaussian fit"] < means["training mean"]  # the right distribution beats a point mass


def test_distortion_study_of_random_codes_is_uncorrelated():
    from sigah.studies.further_claims import distortion_study

    X = np.random.default_rng(15).normal(size=(100, 5))
    table, slack = distortion_study(X, {}, [], [0, 1], n_bits=64, n_pairs=400)
    assert slack["random codes"].shape == (2, 400) and (slack["random codes"] >= 0).all()
    assert table["Spearman ρ"].abs().max() < 0.2  # codes that ignore the data
