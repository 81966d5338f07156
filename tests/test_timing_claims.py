"""The rules that turn chapter 08's timings into verdicts on the efficiency claims (E01-E06)."""

import numpy as np
import pandas as pd
import pytest

from sigah.stats import compare_family, compare_paired
from sigah.studies import timing_claims
from sigah.studies.claims import VERDICTS, claim_list, read_comparisons, reading_of, record_verdict

SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture(autouse=True)
def _outside_a_build(monkeypatch):
    for name in ("SIGAH_VERDICTS_DIR", "SIGAH_CHAPTER", "SIGAH_BOOK_SIZE"):
        monkeypatch.delenv(name, raising=False)


def _times(seconds: dict[str, float], *, n: int, spread: float = 0.02, seed: int = 0) -> pd.DataFrame:
    """Full-schedule times per method and seed around ``seconds`` (a lognormal seed-to-seed spread)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"method": m, "seed": s, "n": n, "fit_seconds": t, "full_seconds": t * np.exp(spread * rng.standard_normal())}
                         for m, t in seconds.items() for s in SEEDS])


def _retrieval(shift: float, *, n_queries: int = 200, margin: float = 0.02, seed: int = 0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.2, 0.6, (len(SEEDS), n_queries))
    noise = lambda: 0.002 * rng.standard_normal(base.shape)  # noqa: E731
    per_query = {}
    for m, delta in (("sigah", shift), ("ba", 0.0), ("sgh", 0.0)):
        for b in (32, 64):
            for i, s in enumerate(SEEDS):
                per_query[(m, b, s)] = {"map_pr_area": base[i] + delta + noise()[i]}
    return timing_claims.retrieval_family(per_query, [32, 64], SEEDS, margin=margin)


TABLE3 = {"itq": 1.0, "och": 8.0, "sigah": 40.0, "sgh": 200.0, "ba": 400.0}


def _verdicts(seconds=TABLE3, shift=0.0, search_ratio=1.0, exponent=0.9):
    times = pd.concat([_times(seconds, n=10_000), _times(seconds, n=1_000, seed=1)], ignore_index=True)
    small = (times["method"] == "sigah") & (times["n"] == 1_000)
    times.loc[small, "fit_seconds"] = seconds["sigah"] / 10**exponent * np.exp(0.01 * np.arange(small.sum()))
    times.loc[(times["method"] == "sigah") & (times["n"] == 10_000), "fit_seconds"] = seconds["sigah"]
    at_scale = _times({m: 100 * t for m, t in seconds.items()}, n=10_000, seed=2)
    rng = np.random.default_rng(3)
    rounds = np.exp(0.01 * rng.standard_normal(8))
    search = timing_claims.search_family({"sigah": 0.1 * rounds, "itq": 0.1 * search_ratio * rounds
                                          * np.exp(0.01 * rng.standard_normal(8))})
    return timing_claims.chapter_verdicts(times, at_scale, _retrieval(shift), search, n=10_000,
                                          n_star=10**6, n_small=1_000, margin=0.02)


def test_the_paper_s_ordering_with_equal_retrieval_holds_every_claim():
    out = _verdicts()
    assert {claim: v["verdict"] for claim, v in out.items()} == dict.fromkeys(
        ("E01", "E02", "E03", "E04", "E06", "E05"), "held")
    claims = claim_list()
    for claim, kwargs in out.items():
        record = record_verdict(claim, **kwargs, claims=claims)
        assert record.verdict in VERDICTS and record.note


def test_a_reversed_ordering_or_worse_retrieval_is_not_held():
    slow_sigah = dict(TABLE3, sigah=1000.0)  # slower than BA and SGH
    out = _verdicts(seconds=slow_sigah)
    assert out["E02"]["verdict"] == out["E03"]["verdict"] == out["E01"]["verdict"] == "not held"
    assert out["E01"]["effect"] < 0 and out["E01"]["interval"][1] < 0
    worse = _verdicts(shift=-0.1)  # SiGAH's mAP 0.1 below BA's and SGH's: not competitive
    assert worse["E01"]["verdict"] == "not held" and worse["E02"]["verdict"] == "held"
    steep = _verdicts(exponent=1.5)
    assert steep["E06"]["verdict"] == "not held"
    assert _verdicts(search_ratio=2.0)["E05"]["verdict"] == "not held"


def all_of(comparisons, expects, *, note):
    """The reading the chapter's claims of several comparisons take."""
    return reading_of(comparisons, expects, note=note)


def reading(comparison, expects):
    return read_comparisons(comparison, expects)[0].reading


def test_no_difference_at_few_seeds_is_inconclusive_with_its_detectable_effect():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 3), rng.normal(0, 1, 3)
    family = compare_family({"SGH − SiGAH": (a, b)})
    out = all_of({"SGH − SiGAH": family["SGH − SiGAH"]}, "higher", note="rule")
    assert out["verdict"] == "inconclusive"
    assert out["smallest_detectable"] == pytest.approx(family["SGH − SiGAH"].mde) and out["smallest_detectable"] > 0


def test_one_comparison_against_the_claim_decides_the_whole():
    rng = np.random.default_rng(1)
    up = compare_paired(5 + rng.normal(0, 0.1, 6), rng.normal(0, 0.1, 6))
    down = compare_paired(rng.normal(0, 0.1, 6), 5 + rng.normal(0, 0.1, 6))
    unsure = compare_paired(rng.normal(0, 1, 3), rng.normal(0, 1, 3))
    assert all_of({"a": up, "b": unsure}, "higher", note="")["verdict"] == "inconclusive"
    out = all_of({"a": up, "b": unsure, "c": down}, "higher", note="")
    assert out["verdict"] == "not held" and out["measured"]["shown"] == "c"
    with pytest.raises(ValueError, match="at least one"):
        all_of({}, "higher", note="")


def test_the_readings_of_a_comparison():
    rng = np.random.default_rng(2)
    tiny = compare_paired(1.0 + 0.01 + rng.normal(0, 1e-4, 8), np.ones(8), margin=0.1)
    assert tiny.verdict == "higher"  # decided, but well inside the margin
    assert reading(tiny, "same") == "held" and reading(tiny, "competitive") == "held"
    assert reading(tiny, "lower") == "not held" and reading(tiny, "higher") == "held"
    with pytest.raises(ValueError, match="margin"):
        reading(compare_paired(rng.normal(size=4), rng.normal(size=4)), "same")
    with pytest.raises(ValueError, match="expects"):
        reading(tiny, "better")


def test_full_schedule_time_rescales_steps_and_extrapolates_the_rest():
    from sigah.studies.timing import optimiser_steps

    run = {"sigah": {"epochs": 2, "min_steps": 0}, "sgh": {"n_iter": 50}}
    full = {"sigah": {}, "sgh": {"n_iter": 500}}
    times = pd.DataFrame([{"method": m, "seed": s, "n": n, "fit_seconds": float(n) / 1000}
                          for m in ("sigah", "sgh", "itq") for s in (0, 1) for n in (1000, 4000)])
    out = timing_claims.full_schedule_seconds(times, run, full)
    row = out[(out.method == "sgh") & (out.n == 4000)].iloc[0]
    assert row.full_seconds == pytest.approx(row.fit_seconds * 10)
    row = out[(out.method == "sigah") & (out.n == 4000)].iloc[0]
    ratio = optimiser_steps("sigah", 4000, {}) / optimiser_steps("sigah", 4000, run["sigah"])
    assert row.full_seconds == pytest.approx(row.fit_seconds * ratio)
    assert (out[out.method == "itq"].full_seconds == out[out.method == "itq"].fit_seconds).all()
    big = timing_claims.full_schedule_seconds(times, run, full, at=16_000)
    assert len(big) == 6  # one row per method and seed, from its largest n
    itq = big[big.method == "itq"].iloc[0]
    assert itq.full_seconds == pytest.approx(16.0)  # t ∝ n exactly: 4 s at 4,000 → 16 s at 16,000


def test_repeated_fit_times_reuse_the_first_seed_and_time_the_others():
    X = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32)
    first = pd.DataFrame([{"method": "itq", "bits": 8, "n": n, "d": 16, "fit_seconds": 123.0} for n in (100, 300)])
    out = timing_claims.repeated_fit_times(X, ["itq", "lsh"], [100, 300], seeds=[0, 1], n_bits=8, params={},
                                           first=first)
    assert sorted(out.columns) == ["fit_seconds", "method", "n", "seed"]
    assert len(out) == 8
    reused = out[(out.method == "itq") & (out.seed == 0)]
    assert (reused.fit_seconds == 123.0).all()
    assert (out[(out.seed == 1) | (out.method == "lsh")].fit_seconds < 100).all()


def test_search_times_pair_the_methods_over_rounds():
    rng = np.random.default_rng(0)
    database = rng.integers(0, 256, (2000, 8), dtype=np.uint8)
    queries = rng.integers(0, 256, (50, 8), dtype=np.uint8)
    seconds = timing_claims.search_times({"a": (queries, database), "b": (queries, database[::-1].copy())}, 10,
                                         repeats=3)
    assert set(seconds) == {"a", "b"} and all(v.shape == (3,) and (v > 0).all() for v in seconds.values())
    with pytest.raises(ValueError, match="one length"):
        timing_claims.search_times({"a": (queries, database), "b": (queries[:, :4], database[:, :4])}, 10, repeats=2)
    with pytest.raises(ValueError, match="at least 2"):
        timing_claims.search_times({"a": (queries, database)}, 10, repeats=1)
    with pytest.raises(ValueError, match="best_of"):
        timing_claims.search_times({"a": (queries, database)}, 10, repeats=2, best_of=0)
    with pytest.raises(ValueError, match="reference"):
        timing_claims.search_family({"a": np.ones(3)})
