"""The rules that turn chapters 03 and 04's measurements into verdicts on the theory claims."""

import numpy as np
import pandas as pd
import pytest

from sigah.studies import theory_claims
from sigah.studies.claims import VERDICTS, claim_list, record_verdict


@pytest.fixture(autouse=True)
def _outside_a_build(monkeypatch):
    for name in ("SIGAH_VERDICTS_DIR", "SIGAH_CHAPTER", "SIGAH_BOOK_SIZE"):
        monkeypatch.delenv(name, raising=False)


def test_a_bound_is_read_only_where_it_beats_the_trivial_estimator():
    trivial = np.ones(6)
    # informative in the first four draws, holding in all four: the two violations are vacuous draws
    lhs = np.array([0.1, 0.2, 0.3, 0.4, 1.5, 1.5])
    rhs = np.array([0.5, 0.5, 0.5, 0.5, 1.2, 1.2])
    out = theory_claims.bound_verdict(lhs, rhs, trivial, what="draws")
    assert out["verdict"] == "held" and out["effect"] == 1.0 and out["n"] == 4
    assert out["measured"]["vacuous share"] == pytest.approx(2 / 6)
    assert out["measured"]["holds, all draws"] == pytest.approx(4 / 6)
    failing = theory_claims.bound_verdict(np.array([0.6, 0.1]), np.array([0.5, 0.5]), 1.0, what="draws")
    assert failing["verdict"] == "not held" and failing["effect"] == 0.5


def test_a_bound_vacuous_everywhere_is_inconclusive_with_what_it_could_detect():
    out = theory_claims.bound_verdict(np.array([0.1, 0.2]), np.array([3.0, 2.0]), np.array([1.0, 1.0]), what="draws")
    assert out["verdict"] == "inconclusive" and out["smallest_detectable"] == 2.0
    with pytest.raises(ValueError, match="equal non-empty"):
        theory_claims.bound_verdict(np.array([0.1]), np.array([1.0, 2.0]), 1.0, what="draws")


def test_the_holds_threshold_is_applied_at_its_boundary():
    n = 100
    rhs = np.full(n, 0.5)
    lhs = np.where(np.arange(n) < round(theory_claims.HOLDS_SHARE * n), 0.1, 0.9)
    assert theory_claims.bound_verdict(lhs, rhs, 1.0, what="d")["verdict"] == "held"
    lhs[0] = 0.9
    assert theory_claims.bound_verdict(lhs, rhs, 1.0, what="d")["verdict"] == "not held"


def test_theorem1_is_read_where_its_premise_on_p_holds():
    theorem = pd.DataFrame({"p": [2, 2, 60, 60], "lhs": [0.9, 0.9, 0.1, 0.2], "rhs": [0.3, 0.3, 0.3, 0.3],
                            "norm": [1.0] * 4})
    out = theory_claims.theorem1(theorem, 53.0)
    assert out["verdict"] == "held" and out["n"] == 2          # the failures at p = 2 < kℓ ln n do not count
    assert out["measured"]["holds, p below kℓ ln n"] == 0.0
    short = theory_claims.theorem1(theorem[theorem.p < 10], 53.0)
    assert short["verdict"] == "inconclusive" and short["smallest_detectable"] == 53.0


def test_deterministic_inequalities_must_hold_everywhere():
    assert theory_claims.relaxation([0, 1, 2], [0.5, 1.0, 2.5], [0.0, 0.1])["verdict"] == "held"
    assert theory_claims.relaxation([0, 2], [0.5, 1.0], [0.0])["verdict"] == "not held"
    assert theory_claims.relaxation([0], [0.5], [-0.1])["verdict"] == "not held"
    assert theory_claims.lipschitz([0.5, 2.0], 2.0)["verdict"] == "held"
    assert theory_claims.lipschitz([0.5, 2.1], 2.0)["verdict"] == "not held"


def test_recovery_claims():
    kappa = [1, 5, 9, 13]
    assert theory_claims.sparse_recovery(kappa, [10, 30, 50, np.nan], 100, 6)["verdict"] == "held"
    assert theory_claims.sparse_recovery(kappa, [10, np.nan, 50, 60], 100, 6)["verdict"] == "not held"
    with pytest.raises(ValueError, match="at most n/10"):
        theory_claims.sparse_recovery([20], [50], 100, 6)
    assert theory_claims.generator_recovery(16, 128, 0.05, 20, 400)["verdict"] == "held"
    assert theory_claims.generator_recovery(None, None, 0.5, 20, 400)["verdict"] == "not held"
    assert theory_claims.underdetermined(1e-16, 0.5, 0.4, 500)["verdict"] == "held"
    assert theory_claims.underdetermined(0.2, 0.5, 0.4, 500)["verdict"] == "not held"


def test_mnist_bound_and_gap_rules():
    images = pd.DataFrame({"observed": [0.4, 0.5, 0.6], "predicted": [0.9, 3.0, 4.0]})
    assert theory_claims.reconstruction_bound(images)["verdict"] == "held"      # holds where informative
    assert theory_claims.bound_informative(images)["verdict"] == "not held"    # but only for 1 in 3
    theorem = pd.DataFrame({"epsilon": [0.0, 0.001, 0.5], "norm": [1.0, 1.0, 1.0]})
    assert theory_claims.optimisation_gap(theorem)["verdict"] == "held"
    assert theory_claims.optimisation_gap(theorem.assign(epsilon=[0.1, 0.2, 0.3]))["verdict"] == "not held"


@pytest.mark.parametrize("claim, make", [
    ("T01", lambda: theory_claims.underdetermined(1e-16, 0.5, 0.4, 500)),
    ("T02", lambda: theory_claims.sparse_recovery([1, 5], [10, 30], 100, 6)),
    ("T03", lambda: theory_claims.gaussian_composition(np.random.default_rng(0).normal(0, 0.1, 5000), 100,
                                                       [0.95, 1.05], [0.5, 3.0])),
    ("T04", lambda: theory_claims.generator_recovery(16, None, 0.05, 20, 400)),
    ("T05", lambda: theory_claims.theorem1(pd.DataFrame({"p": [60], "lhs": [0.1], "rhs": [0.5], "norm": [1.0]}),
                                           53.0)),
    ("T08", lambda: theory_claims.discrete_bound(pd.DataFrame({"lhs": [0.1], "rhs": [5.0], "norm": [1.0]}))),
])
def test_every_rule_gives_a_record_the_ledger_accepts(claim, make):
    kwargs = make()
    assert kwargs["verdict"] in VERDICTS and kwargs["note"]
    record = record_verdict(claim, **kwargs, claims=claim_list())
    assert record.claim == claim and record.verdict == kwargs["verdict"]


def test_t03_reads_the_ks_distance_against_an_equivalence_bound_not_a_p_value():
    rng = np.random.default_rng(8)
    d = 100
    exact = rng.normal(0, 1 / np.sqrt(d), 200_000)
    held = theory_claims.gaussian_composition(exact, d, [0.99, 1.01], [0.5, 3.0])
    low, high = held["interval"]
    assert held["verdict"] == "held" and low <= held["effect"] < high < theory_claims.KS_BOUND
    # the DKW interval covers the true distance (0 here: its low end is clamped at 0) at least 95 % of
    # the time, checked by brute force over repeated samples
    covered = [theory_claims.gaussian_composition(rng.normal(0, 0.1, 400), d, [1, 1], [1, 1])["interval"][0]
               == 0.0 for _ in range(200)]
    assert np.mean(covered) >= 0.95
    # few entries: a test would not reject, but the interval is too wide to hold the claim
    few = theory_claims.gaussian_composition(exact[:200], d, [1, 1], [1, 1])
    assert few["verdict"] == "inconclusive"
    assert few["smallest_detectable"] == pytest.approx(np.sqrt(np.log(2 / 0.05) / (2 * 200)))  # the DKW half-width
    assert few["interval"][0] < theory_claims.KS_BOUND < few["interval"][1]
    wider = theory_claims.gaussian_composition(rng.normal(0, 1.3 / np.sqrt(d), 200_000), d, [1, 1], [1, 1])
    assert wider["verdict"] == "not held" and wider["interval"][0] > theory_claims.KS_BOUND
    with pytest.raises(ValueError, match="bound on the KS distance must lie in"):
        theory_claims.gaussian_composition(exact, d, [1, 1], [1, 1], bound=0.0)
