"""The rules that turn chapter 08's timings into verdicts on the efficiency claims (E01-E04, E06)."""

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


def _verdicts(seconds=TABLE3, shift=0.0, growth=1.0):
    """Every claim's verdict on planted times; SiGAH's time per step is ``growth`` times larger at the larger n."""
    times = pd.concat([_times(seconds, n=10_000), _times(seconds, n=1_000, seed=1)], ignore_index=True)
    times["seconds_per_step"] = np.nan
    rng = np.random.default_rng(4)
    for size, factor in ((1_000, 1.0), (10_000, growth)):
        rows = (times["method"] == "sigah") & (times["n"] == size)
        times.loc[rows, "seconds_per_step"] = 1e-3 * factor * np.exp(0.01 * rng.standard_normal(rows.sum()))
    at_scale = _times({m: 100 * t for m, t in seconds.items()}, n=10_000, seed=2)
    return timing_claims.chapter_verdicts(times, at_scale, _retrieval(shift), n=10_000,
                                          n_star=10**6, n_small=1_000, margin=0.02)


def test_the_paper_s_ordering_with_equal_retrieval_holds_every_claim():
    out = _verdicts()
    assert {claim: v["verdict"] for claim, v in out.items()} == dict.fromkeys(
        ("E01", "E02", "E03", "E04", "E06"), "held")
    assert "derived from two timed schedule lengths" in out["E02"]["note"]
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


def test_e06_reads_the_time_per_step_against_its_tolerance():
    # a step that costs less on more data (a fixed cost spread thinner) still scales
    assert _verdicts(growth=0.5)["E06"]["verdict"] == "held"
    inside = float(np.exp(0.5 * timing_claims.STEP_TOLERANCE))
    assert _verdicts(growth=inside)["E06"]["verdict"] == "held"
    steep = _verdicts(growth=2.0)  # twice the time per step on ten times the data
    assert steep["E06"]["verdict"] == "not held"
    assert steep["E06"]["effect"] == pytest.approx(np.log(2.0), abs=0.02)
    assert steep["E06"]["interval"][0] > timing_claims.STEP_TOLERANCE


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


def test_full_schedule_time_is_fixed_cost_plus_steps_from_two_schedules():
    from sigah.studies.timing import optimiser_steps

    run = {"sigah": {"epochs": 2, "min_steps": 0}, "sgh": {"n_iter": 50}}
    longer = timing_claims.longer_schedules(run)
    assert longer["sgh"]["n_iter"] == 100 and longer["sigah"]["epochs"] == 4
    assert longer["sigah"]["min_steps"] == 0 and run["sgh"]["n_iter"] == 50  # a copy
    full = {"sigah": {}, "sgh": {"n_iter": 500}}
    fixed, step = {"sigah": 3.0, "sgh": 1.5}, {"sigah": 2e-3, "sgh": 4e-3}

    def timed(params):  # a planted cost model: fixed cost plus a time per step
        rows = []
        for m in ("sigah", "sgh", "itq"):
            for s in (0, 1):
                for n in (1000, 4000):
                    steps = optimiser_steps(m, n, params.get(m))
                    t = float(n) / 1000 if steps is None else fixed[m] + step[m] * steps
                    rows.append({"method": m, "seed": s, "n": n, "fit_seconds": t})
        return pd.DataFrame(rows)

    short, long = timed(run), timed(longer)
    out = timing_claims.full_schedule_seconds(short, run, full, longer=long, longer_params=longer)
    for m in ("sigah", "sgh"):
        for r in out[out.method == m].itertuples():
            assert r.seconds_per_step == pytest.approx(step[m])
            assert r.full_seconds == pytest.approx(fixed[m] + step[m] * optimiser_steps(m, r.n, full[m]))
    itq = out[out.method == "itq"]
    assert (itq.full_seconds == itq.fit_seconds).all() and itq.seconds_per_step.isna().all()
    big = timing_claims.full_schedule_seconds(short, run, full, longer=long, longer_params=longer, at=16_000)
    assert len(big) == 6  # one row per method and seed, from its largest n
    assert big[big.method == "itq"].iloc[0].full_seconds == pytest.approx(16.0)  # t ∝ n: 4 s → 16 s
    sigah = big[big.method == "sigah"].iloc[0]
    assert sigah.full_seconds == pytest.approx(fixed["sigah"] + step["sigah"] * optimiser_steps("sigah", 16_000, {}))
    # a longer schedule that was not slower (load noise) gives no time per step, and a rescaled time
    noisy = long.assign(fit_seconds=np.where(long.method == "sgh", short.fit_seconds - 0.1, long.fit_seconds))
    out = timing_claims.full_schedule_seconds(short, run, full, longer=noisy, longer_params=longer)
    assert out[out.method == "sgh"].seconds_per_step.isna().all() and (out.full_seconds > 0).all()
    with pytest.raises(ValueError, match="no fit of 'sgh' with the longer schedule"):
        timing_claims.full_schedule_seconds(short, run, full, longer=long[long.method != "sgh"], longer_params=longer)
    with pytest.raises(ValueError, match="factor must be an integer of at least 2"):
        timing_claims.longer_schedules(run, factor=1)


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


def test_rescaled_note_counts_the_fits_without_a_time_per_step():
    from sigah.studies.timing_claims import rescaled_note

    times = pd.DataFrame({"method": ["sigah", "sigah", "sgh", "itq"], "seconds_per_step": [0.1, np.nan, 0.2, np.nan]})
    assert rescaled_note(times).startswith("; for 1 of 3 fits with a step schedule the longer schedule did not")
    assert rescaled_note(times.assign(seconds_per_step=[0.1, 0.1, 0.2, np.nan])) == ""
