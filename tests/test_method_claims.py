"""The rules that turn chapters 03, 05 and 06's measurements into verdicts on T12, T13, T14, T18 and A03."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sigah.studies import method_claims
from sigah.studies.claims import claim_list, record_verdict


@pytest.fixture(autouse=True)
def _outside_a_build(monkeypatch):
    for name in ("SIGAH_VERDICTS_DIR", "SIGAH_CHAPTER", "SIGAH_BOOK_SIZE"):
        monkeypatch.delenv(name, raising=False)


def test_orthonormal_measurements_recover_better_than_gaussian_ones_decoded_alike():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 60))
    errors = method_claims.orthogonal_reconstruction(X - X.mean(0), [8, 16], seed=1)
    for e in errors.values():
        # U Uᵀ with orthonormal U is a projection: the error never exceeds the norm
        assert (e["orthonormal"] <= 1 + 1e-12).all()
        # least squares makes the Gaussian U the projection onto its span: the orthonormalised one's
        np.testing.assert_allclose(e["Gaussian, least squares"], e["orthonormal"], atol=1e-10)
        assert e["orthonormal"].shape == (10, 300)
    out = method_claims.orthogonal_verdict(errors)
    # the record states the margin the difference had to clear at each k
    for k, e in errors.items():
        margin = out["measured"][f"margin, k = {k}"]
        assert margin == pytest.approx(method_claims.ORTHOGONAL_MARGIN * e["Gaussian"].mean())
    # at k = 8 the orthonormal matrix's gap (about 0.011) barely clears its 1 % margin (about 0.009):
    # 10 draws cannot tell, so the reading is undecided with an interval across zero
    assert out["verdict"] == "inconclusive" and out["interval"][0] < 0 < out["interval"][1]
    assert "transpose decoding" in out["note"]
    record_verdict("T18", **out, claims=claim_list())


def test_t18_is_held_only_when_the_orthonormal_error_is_lower_by_more_than_the_margin():
    rng = np.random.default_rng(5)
    base = rng.uniform(0.5, 1.0, (10, 200))
    noise = 1e-4 * rng.standard_normal((10, 200))
    clear = {8: {"orthonormal": 0.95 * base + noise, "Gaussian": base}}
    assert method_claims.orthogonal_verdict(clear)["verdict"] == "held"
    # lower for certain, but by a fifth of the margin: what any projection gives by construction
    slight = {8: {"orthonormal": (1 - 0.2 * method_claims.ORTHOGONAL_MARGIN) * base + noise, "Gaussian": base}}
    out = method_claims.orthogonal_verdict(slight)
    assert (slight[8]["orthonormal"] < base).mean() > 0.9 and out["verdict"] == "not held"
    with pytest.raises(ValueError, match="margin_share must lie in"):
        method_claims.orthogonal_verdict(clear, margin_share=0.0)


def test_a_planted_reverse_effect_is_not_held_and_no_effect_is_inconclusive():
    rng = np.random.default_rng(2)
    base = rng.uniform(0.5, 1.0, 40)
    reverse = {8: {"orthonormal": base + 0.1 + 0.01 * rng.standard_normal(40), "Gaussian": base}}
    assert method_claims.orthogonal_verdict(reverse)["verdict"] == "not held"
    tied = {8: {"orthonormal": base[:4] + 0.05 * rng.standard_normal(4), "Gaussian": base[:4]}}
    out = method_claims.orthogonal_verdict(tied)
    assert out["verdict"] == "inconclusive" and out["smallest_detectable"] > 0
    with pytest.raises(ValueError, match="below d"):
        method_claims.orthogonal_reconstruction(np.ones((5, 4)), [4])


def test_the_noise_term_is_read_against_predicting_zero_not_against_its_bound():
    rng = np.random.default_rng(3)
    saturated = rng.choice([-1, 1], (2000, 16)) * rng.uniform(4, 6, (2000, 16))
    held = method_claims.noise_term_verdict(saturated)
    assert held["verdict"] == "held" and held["interval"][1] < method_claims.NEGLIGIBLE_SHARE
    steep = rng.normal(0, 0.5, (2000, 16))  # in the steep part of tanh: the term is large
    out = method_claims.noise_term_verdict(steep)
    assert out["verdict"] == "not held" and out["interval"][0] > method_claims.NEGLIGIBLE_SHARE
    # the Taylor bound holds there too, and is informative: it still confirms nothing by itself
    assert out["measured"]["share of codes where the bound is informative"] == 1.0
    near = np.full((3, 16), np.arctanh(1 - np.sqrt(method_claims.NEGLIGIBLE_SHARE)))
    near[0] *= 1.05
    near[1] *= 0.95
    unsure = method_claims.noise_term_verdict(near)
    assert unsure["verdict"] == "inconclusive" and unsure["smallest_detectable"] > 0
    with pytest.raises(ValueError, match="tolerance"):
        method_claims.noise_term_verdict(steep, tolerance=1.5)
    record_verdict("T12", **out, claims=claim_list())


def _history(loss, distance):
    return SimpleNamespace(discriminator_loss=list(loss), mean_distance_to_data=list(distance))


def test_loss_and_match_reads_the_changes_not_the_trends_and_margins_are_not_pooled():
    rng = np.random.default_rng(6)
    t = np.linspace(0, 1, 60)

    def runs(sign, margins=(0.1, 1.0)):
        out = {}
        for mu in margins:
            for r in range(3):
                wiggle = 0.01 * rng.standard_normal(t.size)
                # the loss rises towards μ while the points close in: the trends alone give ρ < 0
                out[(mu, r)] = _history(mu * t + wiggle, 1 - t + sign(mu) * 0.5 * wiggle)
        return out

    together = runs(lambda mu: 1)
    rhos = method_claims.loss_and_match(together)
    assert (rhos["rho"] > 0.5).all()
    from scipy.stats import spearmanr
    h = together[(1.0, 0)]
    assert spearmanr(h.discriminator_loss, h.mean_distance_to_data).statistic < 0  # what the trends say
    assert method_claims.loss_match_verdict(rhos)["verdict"] == "held"
    against = method_claims.loss_and_match(runs(lambda mu: -1))
    assert method_claims.loss_match_verdict(against)["verdict"] == "not held"
    # opposite signs at two margins: pooled they would cancel; per margin one is against the claim
    split = method_claims.loss_and_match(runs(lambda mu: 1 if mu < 0.5 else -1))
    assert method_claims.loss_match_verdict(split)["verdict"] == "not held"
    mixed = pd.DataFrame({"margin": [1.0, 1.0, 1.0], "repeat": [0, 1, 2], "rho": [0.5, -0.4, 0.1]})
    out = method_claims.loss_match_verdict(mixed)
    assert out["verdict"] == "inconclusive" and out["smallest_detectable"] > 0
    with pytest.raises(ValueError, match="4 paired records"):
        method_claims.loss_and_match({(1.0, 0): _history([1, 2, 3], [1, 2, 3])})
    with pytest.raises(ValueError, match="2 runs per margin"):
        method_claims.loss_match_verdict(mixed.iloc[:1])


def test_a_margin_that_speeds_the_early_approach_holds_t14():
    rng = np.random.default_rng(4)
    t = np.linspace(0, 1, 40)

    def runs(speed):
        return {(mu, r): _history(t, np.exp(-speed(mu) * t) * (1 + 0.01 * rng.standard_normal()))
                for mu in (0.01, 0.1, 1.0) for r in range(3)}

    early = method_claims.early_distance(runs(lambda mu: 1 + 5 * mu))
    assert early.shape == (9, 3)
    held = method_claims.margin_gradient_verdict(early)
    assert held["verdict"] == "held" and "no μ = 0; the verdict reads μ = 0.01" in held["note"]
    slower = method_claims.early_distance(runs(lambda mu: 6 - 5 * mu))
    assert method_claims.margin_gradient_verdict(slower)["verdict"] == "not held"
    with pytest.raises(ValueError, match="two margins"):
        method_claims.margin_gradient_verdict(early[early.margin == 0.01])


def test_the_energy_gap_of_a_trained_discriminator():
    table = pd.DataFrame({"γ": [0.0, 0.0, 0.001, 0.001, 0.1, 0.1], "seed": [0, 1] * 3,
                          "D(real), last epoch": [None, None, 0.10, 0.11, 0.20, 0.21],
                          "D(synthetic), last epoch": [None, None, 0.50, 0.56, 0.90, 0.99]})
    out = method_claims.energy_gap_verdict(table)
    assert out["verdict"] in ("held", "inconclusive")  # two seeds: one degree of freedom
    many = pd.DataFrame({"γ": [0.1] * 6, "seed": range(6), "D(real), last epoch": np.linspace(0.1, 0.2, 6),
                         "D(synthetic), last epoch": np.linspace(0.5, 0.7, 6)})
    assert method_claims.energy_gap_verdict(many)["verdict"] == "held"
    swapped = many.rename(columns={"D(real), last epoch": "D(synthetic), last epoch",
                                   "D(synthetic), last epoch": "D(real), last epoch"})
    assert method_claims.energy_gap_verdict(swapped)["verdict"] == "not held"
    with pytest.raises(ValueError, match="never trained"):
        method_claims.energy_gap_verdict(table[table["γ"] == 0])
    record_verdict("A03", **out, claims=claim_list())


def test_the_sentences_read_the_tables_with_their_verdicts():
    rng = np.random.default_rng(9)
    base = rng.uniform(0.5, 1.0, (10, 200))
    errors = {8: {"orthonormal": 0.95 * base, "Gaussian": base, "Gaussian, least squares": 0.95 * base}}
    reading = method_claims.orthogonal_verdict(errors)
    sentence = method_claims.orthogonal_sentence(errors, reading)
    assert "by 5.00% of the latter" in sentence and f"**{reading['verdict']}**" in sentence
    assert "transpose decoding only" in sentence
    wider = method_claims.orthogonal_verdict(errors, margin_share=0.2)
    assert "lower by more than 20 %" in method_claims.orthogonal_sentence(errors, wider)  # the margin used
    tiny = method_claims.orthogonal_verdict(errors, margin_share=0.004)
    assert "lower by more than 0.4 %" in method_claims.orthogonal_sentence(errors, tiny)
    del errors[8]["Gaussian, least squares"]  # no least-squares run: the sentence leaves that clause out
    assert "least squares" not in method_claims.orthogonal_sentence(errors, reading)
    rhos = pd.DataFrame({"margin": [0.1, 0.1, 1.0, 1.0], "repeat": [0, 1, 0, 1], "rho": [0.4, 0.5, -0.3, -0.2]})
    t13 = {"verdict": "not held"}
    t14 = {"verdict": "inconclusive"}
    text = method_claims.energy_toy_sentence(t13, t14, rhos)
    assert "between \u22120.25 and +0.45, below zero at μ = 1;" in text
    assert "**not held**" in text and "**inconclusive**" in text
