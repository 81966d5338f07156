"""Tests of sigah.stats: references (scipy, brute force), calibration under the null, power, words."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as sps

from sigah import stats as st


def _variant_scores(rng, n_seeds, n_queries, *, seed_sd, query_sd, noise_sd, shift=0.0, difficulty=None):
    """Scores of one variant: its own seed effects, query effects and noise around shared query difficulty."""
    if difficulty is None:
        difficulty = np.zeros(n_queries)
    return (0.5 + shift + difficulty[None, :] + rng.normal(0, seed_sd, (n_seeds, 1))
            + rng.normal(0, query_sd, (1, n_queries)) + rng.normal(0, noise_sd, (n_seeds, n_queries)))


def _binomial_tolerance(rate, n):
    """Three Monte-Carlo standard errors of a simulated rate."""
    return 3.0 * np.sqrt(rate * (1 - rate) / n)


# -- references --------------------------------------------------------------------------------------
def test_seed_level_comparison_is_scipys_paired_t_test():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.5, 0.02, 6), rng.normal(0.49, 0.02, 6)
    c = st.compare_paired(a, b)
    reference = sps.ttest_rel(a, b)
    d = a - b
    low, high = sps.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sps.sem(d))
    assert c.p_value == pytest.approx(reference.pvalue, rel=1e-10)
    assert (c.low, c.high) == pytest.approx((low, high), rel=1e-10)
    assert c.df == len(d) - 1 and c.n_queries is None and c.n_seeds == 6


def test_one_seed_is_the_paired_t_test_over_queries_and_one_query_the_test_over_seeds():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.5, 0.1, (1, 40)), rng.normal(0.47, 0.1, (1, 40))
    assert st.compare_paired(a, b).p_value == pytest.approx(sps.ttest_rel(a[0], b[0]).pvalue, rel=1e-10)
    a, b = rng.normal(0.5, 0.1, (5, 1)), rng.normal(0.47, 0.1, (5, 1))
    column, flat = st.compare_paired(a, b), st.compare_paired(a[:, 0], b[:, 0])
    assert (column.low, column.high, column.p_value) == pytest.approx((flat.low, flat.high, flat.p_value))


def test_redrawn_queries_use_the_seed_means_alone():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.5, 0.1, (4, 30)), rng.normal(0.5, 0.1, (4, 30))
    c = st.compare_paired(a, b, queries="redrawn")
    assert c.p_value == pytest.approx(sps.ttest_rel(a.mean(axis=1), b.mean(axis=1)).pvalue, rel=1e-10)


def test_mean_squares_agree_with_a_complete_enumeration_of_the_two_way_bootstrap():
    # Every resample of seeds (S^S) crossed with every resample of queries (Q^Q), the same query
    # resample for every seed: the exact variance of the resampled grand mean is the plug-in
    # ((n - 1)/n) form of the mean squares, Var* = (S-1) M_s/(S^2 Q) + (Q-1) M_q/(Q^2 S)
    # + (S-1)(Q-1) M_e/(SQ)^2.
    rng = np.random.default_rng(4)
    n_seeds, n_queries = 3, 4
    d = (rng.normal(0, 1.0, (n_seeds, 1)) + rng.normal(0, 1.0, (1, n_queries))
         + rng.normal(0, 0.3, (n_seeds, n_queries)))
    seeds = np.array(list(itertools.product(range(n_seeds), repeat=n_seeds)))  # (S^S, S)
    queries = np.array(list(itertools.product(range(n_queries), repeat=n_queries)))  # (Q^Q, Q)
    # mean of d[seeds[i]][:, queries[j]] for all i, j = (1/SQ) sum over counts_s * counts_q * d
    seed_counts = np.stack([np.bincount(r, minlength=n_seeds) for r in seeds])
    query_counts = np.stack([np.bincount(r, minlength=n_queries) for r in queries])
    means = seed_counts @ d @ query_counts.T / (n_seeds * n_queries)
    exact_variance = means.var()
    e = st.estimate_mean(d)
    ms_s, ms_q, ms_e = e.seed_mean_square, e.query_mean_square, e.interaction_mean_square
    plug_in = ((n_seeds - 1) * ms_s / (n_seeds**2 * n_queries) + (n_queries - 1) * ms_q / (n_queries**2 * n_seeds)
               + (n_seeds - 1) * (n_queries - 1) * ms_e / (n_seeds * n_queries) ** 2)
    assert exact_variance == pytest.approx(plug_in, rel=1e-10)
    assert means.mean() == pytest.approx(e.mean, rel=1e-12)
    # the standard error is the unbiased combination of the same mean squares
    assert e.standard_error**2 == pytest.approx((ms_s + ms_q - ms_e) / (n_seeds * n_queries), rel=1e-10)


def test_standard_error_is_floored_at_the_interaction_share():
    # no seed and no query effect at all: M_s + M_q may fall below 2 M_e, never the variance below M_e/SQ
    rng = np.random.default_rng(5)
    for _ in range(50):
        d = rng.normal(0, 1, (3, 20))
        e = st.estimate_mean(d)
        assert e.standard_error**2 >= e.interaction_mean_square / d.size * (1 - 1e-12)


# -- Holm ------------------------------------------------------------------------------------------
def _holm_step_down(p, alpha):
    """Holm's procedure as defined: reject in increasing order while p_(j) <= alpha / (m - j + 1)."""
    rejected = np.zeros(len(p), dtype=bool)
    for j, i in enumerate(np.argsort(p, kind="stable")):
        if p[i] > alpha / (len(p) - j):
            break
        rejected[i] = True
    return rejected


def test_holm_adjusted_p_values_reproduce_the_step_down_procedure():
    rng = np.random.default_rng(6)
    for _ in range(300):
        m = int(rng.integers(1, 9))
        p = rng.uniform(0, 0.2, m) ** rng.uniform(0.5, 2)
        alpha = float(rng.uniform(0.01, 0.2))
        adjusted = st.holm_adjust(p)
        np.testing.assert_array_equal(adjusted <= alpha, _holm_step_down(p, alpha))
        assert np.all(adjusted >= p) and np.all(adjusted <= st.bonferroni_adjust(p) + 1e-15)


def test_holm_family_verdicts_follow_holms_decisions_and_intervals_lie_between_plain_and_bonferroni():
    rng = np.random.default_rng(7)
    for _ in range(20):
        m = int(rng.integers(2, 7))
        shifts = rng.choice([0.0, 0.01, 0.03], m)
        pairs = [(_variant_scores(rng, 3, 30, seed_sd=0.005, query_sd=0.02, noise_sd=0.02, shift=s),
                  _variant_scores(rng, 3, 30, seed_sd=0.005, query_sd=0.02, noise_sd=0.02)) for s in shifts]
        family = st.compare_family(pairs)
        plain = st.compare_family(pairs, method="none")
        bonferroni = st.compare_family(pairs, method="bonferroni")
        for c, c0, cb in zip(family.comparisons, plain.comparisons, bonferroni.comparisons):
            assert (c.verdict in ("higher", "lower")) == (c.p_adjusted < c.alpha)
            assert c.method == "holm" and c.family_size == m
            assert cb.low - 1e-12 <= c.low <= c0.low + 1e-12 and c0.high - 1e-12 <= c.high <= cb.high + 1e-12


# -- calibration and power (seeded simulations) ---------------------------------------------------
@pytest.mark.parametrize("n_seeds, n_queries, seed_sd, query_sd, noise_sd", [
    (3, 50, 0.02, 0.005, 0.02),    # seed effects dominate
    (3, 50, 0.001, 0.03, 0.02),    # query effects dominate
    (5, 20, 0.01, 0.01, 0.03),     # both, and a large interaction
    (2, 30, 0.0, 0.0, 0.05),       # noise only: the floor of the variance is at work
    (1, 40, 0.0, 0.02, 0.02),      # one seed: only without seed effects (the interval cannot see them)
])
def test_false_positive_rate_under_the_null_is_at_most_nominal(n_seeds, n_queries, seed_sd, query_sd, noise_sd):
    rng = np.random.default_rng(8)
    n_simulations = 1500
    difficulty = rng.normal(0, 0.1, n_queries)  # shared by both variants: the pairing removes it
    rejections = 0
    for _ in range(n_simulations):
        a, b = (_variant_scores(rng, n_seeds, n_queries, seed_sd=seed_sd, query_sd=query_sd, noise_sd=noise_sd,
                                difficulty=difficulty) for _ in range(2))
        rejections += st.estimate_mean(a - b).p_value() < st.ALPHA
    rate = rejections / n_simulations
    assert rate <= st.ALPHA + _binomial_tolerance(st.ALPHA, n_simulations)


def test_family_wise_error_of_holm_is_at_most_nominal_under_the_global_null():
    rng = np.random.default_rng(9)
    n_simulations, m = 400, 5
    any_rejection = 0
    for _ in range(n_simulations):
        pairs = [(_variant_scores(rng, 3, 20, seed_sd=0.01, query_sd=0.01, noise_sd=0.02),
                  _variant_scores(rng, 3, 20, seed_sd=0.01, query_sd=0.01, noise_sd=0.02)) for _ in range(m)]
        p = np.array([st.estimate_mean(a - b).p_value() for a, b in pairs])
        any_rejection += bool((st.holm_adjust(p) < st.ALPHA).any())
    assert any_rejection / n_simulations <= st.ALPHA + _binomial_tolerance(st.ALPHA, n_simulations)


@pytest.mark.parametrize("shape", [(4,), (1, 25)])
def test_an_effect_equal_to_the_mde_is_detected_at_the_stated_power(shape):
    # normal differences over seeds (S,) or over the queries of one seed (1, Q): the paired t test's
    # power is exactly the noncentral t's, so the MDE of the true standard error is detected 80 % of the time
    rng = np.random.default_rng(10)
    sd, n_simulations, n = 0.02, 2000, int(np.prod(shape))
    mde = st.minimum_detectable_effect(sd / np.sqrt(n), n - 1)
    detected = 0
    for _ in range(n_simulations):
        d = rng.normal(mde, sd, shape)
        detected += st.estimate_mean(d).p_value() < st.ALPHA
    assert detected / n_simulations == pytest.approx(st.POWER, abs=_binomial_tolerance(st.POWER, n_simulations))


def test_mde_grows_with_the_standard_error_and_shrinks_with_degrees_of_freedom_and_level():
    base = st.minimum_detectable_effect(0.01, 5)
    assert st.minimum_detectable_effect(0.02, 5) == pytest.approx(2 * base)
    assert st.minimum_detectable_effect(0.01, 50) < base
    assert st.minimum_detectable_effect(0.01, 5, alpha=0.01) > base
    assert st.minimum_detectable_effect(0.0, 5) == 0.0
    # normal reference: the textbook (z_{1-α/2} + z_power) se, up to the far tail's share
    normal = (sps.norm.ppf(1 - st.ALPHA / 2) + sps.norm.ppf(st.POWER)) * 0.01
    assert st.minimum_detectable_effect(0.01, np.inf) == pytest.approx(normal, rel=1e-3)
    with pytest.raises(ValueError, match="power"):
        st.minimum_detectable_effect(0.01, 5, power=0.01)


# -- verdicts --------------------------------------------------------------------------------------
def _pair(rng, shift, noise_sd=0.01, n_seeds=3, n_queries=50):
    b = _variant_scores(rng, n_seeds, n_queries, seed_sd=0.001, query_sd=0.0, noise_sd=noise_sd)
    return b + shift + rng.normal(0, noise_sd / 10, b.shape), b


def test_every_verdict_word():
    rng = np.random.default_rng(11)
    assert st.compare_paired(*_pair(rng, 0.05)).verdict == "higher"
    assert st.compare_paired(*_pair(rng, -0.05)).verdict == "lower"
    a, b = _pair(rng, 0.0)
    c = st.compare_paired(a, b, margin=0.01)
    assert c.verdict == "equivalent" and -0.01 < c.low and c.high < 0.01
    assert st.verdict_phrase(c, 2) == "equivalent within ±0.01"
    assert st.compare_paired(a, b).verdict == "inconclusive"  # no margin stated: never "equivalent"
    narrow = st.compare_paired(a, b, margin=abs(c.low) / 2 + 1e-9)
    assert narrow.verdict == "inconclusive"
    assert st.verdict_phrase(narrow, 3) == f"inconclusive (the design detects {narrow.mde:.3f})"
    assert set(st.VERDICTS) == {"higher", "lower", "equivalent", "inconclusive"}


def test_identical_runs_give_a_zero_width_interval_and_a_sensible_sentence():
    scores = np.full((2, 5), 0.25)
    c = st.compare_paired(scores + 0.001, scores)
    assert (c.low, c.high, c.verdict, c.mde) == (pytest.approx(0.001), pytest.approx(0.001), "higher", 0.0)
    sentence = st.comparison_sentence(c, subject="A", reference="B", digits=4)
    assert "+0.0010 exactly" in sentence and "+0.0010 to +0.0010" not in sentence
    same = st.compare_paired(scores, scores)
    assert same.verdict == "inconclusive" and same.p_value == 1.0


def test_published_number_inside_or_outside_our_interval():
    rng = np.random.default_rng(12)
    ours = _variant_scores(rng, 3, 40, seed_sd=0.005, query_sd=0.01, noise_sd=0.02)
    inside = st.compare_to_published(ours, float(ours.mean()))
    assert inside.verdict == "inside our interval" and inside.distance == 0.0
    above = st.compare_to_published(ours, inside.high + 0.02)
    assert above.verdict == "outside our interval" and above.distance == pytest.approx(0.02)
    below = st.compare_to_published(ours, inside.low - 0.03)
    assert below.distance == pytest.approx(-0.03)
    assert "0.030 below our interval" in st.published_sentence(below, what="mAP")
    wider = st.compare_to_published(ours, 0.0, family_size=10)
    assert wider.low < inside.low and wider.high > inside.high and wider.confidence == pytest.approx(0.995)


def test_leader_named_only_beyond_the_interval():
    rng = np.random.default_rng(13)
    base = _variant_scores(rng, 3, 50, seed_sd=0.001, query_sd=0.0, noise_sd=0.01)
    noise = lambda: rng.normal(0, 0.001, base.shape)  # noqa: E731
    clear = st.find_leader({"A": base + 0.05 + noise(), "B": base + noise(), "C": base - 0.02 + noise()})
    assert clear.leader == "A" and clear.tied == ("A",)
    assert st.leader_sentence(clear, digits=2).startswith("A leads in mAP (")
    tie = st.find_leader({"A": base + 0.0001 + noise(), "B": base + noise(), "C": base - 0.05 + noise()})
    assert tie.leader is None and set(tie.tied) == {"A", "B"}
    assert " and ".join(tie.tied) in st.leader_sentence(tie) and "tied" in st.leader_sentence(tie)
    lower = st.find_leader({"fast": np.full(4, 1.0) + rng.normal(0, 0.01, 4), "slow": np.full(4, 2.0)},
                           higher_is_better=False)
    assert lower.leader == "fast"


# -- words and tables --------------------------------------------------------------------------------
def test_counts_agree_with_their_nouns():
    assert st.plural(1, "seed") == "1 seed" and st.plural(2, "seed") == "2 seeds"
    assert st.plural(1, "query") == "1 query" and st.plural(100, "query") == "100 queries"
    assert st.plural(1000, "cell") == "1,000 cells" and st.plural(0, "cell") == "0 cells"
    assert st.count_of(1, 1, "cell") == "1 of 1 cell" and st.count_of(0, 3, "cell") == "0 of 3 cells"
    with pytest.raises(ValueError, match="between 0 and n"):
        st.count_of(4, 3, "cell")


def test_signed_numbers_and_intervals():
    assert st.format_signed(0.0123, 3) == "+0.012" and st.format_signed(-0.0123, 3) == "\u22120.012"
    assert st.format_signed(-0.00004, 3) == "0.000"
    assert st.format_interval(-0.0022, -0.0022, 4) == "\u22120.0022 exactly"
    assert st.format_interval(-0.00221, -0.00219, 4) == "\u22120.0022 exactly"
    assert st.format_interval(-0.003, 0.011, 3) == "\u22120.003 to +0.011"


def test_sentences_name_the_design_in_the_singular_and_the_plural():
    rng = np.random.default_rng(14)
    a, b = _pair(rng, 0.0, n_seeds=1, n_queries=2)
    one = st.comparison_sentence(st.compare_paired(a, b), subject="A", reference="B")
    assert "1 seed\u00a0×\u00a02 queries; with one seed the interval covers the query sample" in one
    assert st.design_phrase(1, None) == "1 seed" and st.design_phrase(3, 1) == "3 seeds\u00a0×\u00a01 query"
    many = st.compare_family([_pair(rng, 0.05), _pair(rng, 0.0)])
    sentence = st.comparison_sentence(many.comparisons[0], subject="A", reference="B")
    assert "Holm-corrected over 2 comparisons" in sentence and sentence.startswith("A's mAP is higher than B's")
    texts = [st.comparison_sentence(c, subject="A", reference="B") for c in many.comparisons]
    assert not any("no real effect" in t for t in texts)


def test_mean_pm_std_keeps_the_cell_on_one_line():
    assert st.mean_pm_std(0.51234, 0.0041, 3) == "0.512\u00a0±\u00a00.004"
    assert st.mean_pm_std(0.5, float("nan"), 2) == "0.50"


def test_comparison_table_has_one_row_per_comparison():
    rng = np.random.default_rng(15)
    family = st.compare_family({"x": _pair(rng, 0.05), "y": _pair(rng, 0.0)}, margin=0.01)
    table = st.comparison_table(family)
    assert list(table["comparison"]) == ["x", "y"]
    assert list(table.columns) == ["comparison", "effect", "interval", "p (Holm)", "verdict", "detectable", "design"]
    assert list(table["verdict"]) == [st.verdict_phrase(c) for c in family.comparisons]
    assert family.count("higher") + family.count("equivalent") + family.count("inconclusive") == 2


# -- bad input ----------------------------------------------------------------------------------------
def test_bad_input_is_named():
    good = np.zeros((3, 4))
    with pytest.raises(ValueError, match="same shape"):
        st.compare_paired(good, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="finite"):
        st.compare_paired(good, np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="at least two values"):
        st.compare_paired(np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="method"):
        st.compare_family([(good, good)], method="sidak")
    with pytest.raises(ValueError, match="margin"):
        st.compare_paired(good, good, margin=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        st.compare_paired(good, good, alpha=1.5)
    with pytest.raises(ValueError, match="two methods"):
        st.find_leader({"A": good})
    with pytest.raises(ValueError, match="p-values"):
        st.holm_adjust([0.5, 1.2])


def test_estimate_from_summary_is_the_seed_level_estimate():
    values = np.array([0.41, 0.43, 0.40, 0.45])
    direct, summary = st.estimate_mean(values), st.estimate_from_summary(values.mean(), values.std(ddof=1), 4)
    assert (summary.mean, summary.standard_error, summary.df) == pytest.approx(
        (direct.mean, direct.standard_error, direct.df))
    assert st.compare_to_published(summary, 0.5) == st.compare_to_published(values, 0.5)
    with pytest.raises(ValueError, match="two seeds"):
        st.estimate_from_summary(0.4, 0.0, 1)


def test_swapping_the_variants_mirrors_the_comparison_and_shared_difficulty_cancels():
    rng = np.random.default_rng(16)
    for _ in range(30):
        shape = (int(rng.integers(1, 5)), int(rng.integers(2, 30)))
        a = _variant_scores(rng, *shape, seed_sd=0.01, query_sd=0.02, noise_sd=0.02, shift=rng.uniform(-0.03, 0.03))
        b = _variant_scores(rng, *shape, seed_sd=0.01, query_sd=0.02, noise_sd=0.02)
        forward, backward = st.compare_paired(a, b), st.compare_paired(b, a)
        assert backward.effect == pytest.approx(-forward.effect)
        assert (backward.low, backward.high) == pytest.approx((-forward.high, -forward.low))
        assert backward.p_value == pytest.approx(forward.p_value)
        mirror = {"higher": "lower", "lower": "higher"}
        assert backward.verdict == mirror.get(forward.verdict, forward.verdict)
        # a per-query and a per-seed offset common to both variants changes nothing
        offset = rng.normal(0, 0.1, (1, shape[1])) + rng.normal(0, 0.1, (shape[0], 1))
        shifted = st.compare_paired(a + offset, b + offset)
        assert (shifted.effect, shifted.low, shifted.high) == pytest.approx((forward.effect, forward.low, forward.high))
        # the order of seeds and of queries is irrelevant
        rows, columns = rng.permutation(shape[0]), rng.permutation(shape[1])
        permuted = st.compare_paired(a[rows][:, columns], b[rows][:, columns])
        assert (permuted.low, permuted.high) == pytest.approx((forward.low, forward.high))


@pytest.mark.parametrize("shift", [-0.2, 0.2])
def test_a_decided_difference_reads_with_its_size_not_a_second_sign(shift):
    rng = np.random.default_rng(11)
    b = rng.normal(0.5, 0.01, size=(3, 50))
    c = st.compare_paired(b + shift, b)
    sentence = st.comparison_sentence(c, subject="SiGAH", reference="ITQ")
    word = "higher" if shift > 0 else "lower"
    assert c.verdict == word
    assert f"is {word} than ITQ's by {abs(shift):.3f} (" in sentence


def test_against_tolerance_agrees_with_scipys_one_sided_t_tests():
    rng = np.random.default_rng(7)
    seen = set()
    for trial in range(300):
        values = rng.normal(rng.uniform(-1, 1), rng.uniform(0.05, 1.0), size=int(rng.integers(3, 30)))
        tolerance = float(rng.uniform(-1, 1))
        verdict, low, high = st.against_tolerance(st.estimate_mean(values), tolerance)
        below = sps.ttest_1samp(values, tolerance, alternative="less").pvalue < st.ALPHA / 2
        above = sps.ttest_1samp(values, tolerance, alternative="greater").pvalue < st.ALPHA / 2
        expected = "below" if below else "above" if above else "inconclusive"
        assert verdict == expected, (trial, values, tolerance)
        assert low <= values.mean() <= high
        seen.add(verdict)
    assert seen == set(st.TOLERANCE_VERDICTS)


def test_against_tolerance_rejects_a_non_finite_tolerance():
    with pytest.raises(ValueError, match="tolerance must be a finite number, got nan"):
        st.against_tolerance(st.estimate_mean(np.arange(4.0)), float("nan"))


def test_interval_against_a_tolerance():
    assert st.interval_against((0.1, 0.2), 0.3) == "below"
    assert st.interval_against((0.4, 0.5), 0.3) == "above"
    assert st.interval_against((0.2, 0.4), 0.3) == "inconclusive"
    with pytest.raises(ValueError, match="low <= high"):
        st.interval_against((0.5, 0.4), 0.3)
    with pytest.raises(ValueError, match="finite number, got nan"):
        st.interval_against((0.1, 0.2), float("nan"))


def test_dkw_interval_covers_the_true_distance_at_the_nominal_rate():
    from scipy.stats import kstest

    rng = np.random.default_rng(5)
    n, misses = 200, 0
    for _ in range(400):  # the true distance from N(0, 1) of N(0, 1) draws is 0
        distance = kstest(rng.standard_normal(n), "norm").statistic
        low, high = st.dkw_interval(distance, n)
        misses += low > 0
        assert high - distance == pytest.approx(np.sqrt(np.log(2 / 0.05) / (2 * n)))
    # DKW is conservative: the miss rate is at most 5 %, up to the binomial noise of 400 draws
    assert misses / 400 <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 400)
    assert st.dkw_interval(0.001, 10)[0] == 0.0  # clipped at zero
    with pytest.raises(ValueError, match="lies in \\[0, 1\\], got 1.5"):
        st.dkw_interval(1.5, 10)
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        st.dkw_interval(0.1, 0)
