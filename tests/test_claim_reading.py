"""One claim read from paired comparisons (:func:`sigah.studies.claims.reading_of`): planted effects.

The same comparisons are given as a :class:`sigah.stats.Family` and as a table of
:func:`sigah.studies.ablation.compare_to_baseline`, and must read the same either way.
"""

import numpy as np
import pandas as pd
import pytest

from sigah import stats
from sigah.studies.ablation import compare_to_baseline
from sigah.studies.claims import (
    NO_INTERVAL,
    ClaimError,
    claim_list,
    combine_readings,
    detectable_text,
    read_comparisons,
    reading_of,
    record_verdict,
    verdict_table,
)


def grids(effects, *, n_seeds=3, n_queries=300, noise=0.02, seed=0):
    """Per-query scores of a baseline and each variant: a shared query difficulty + the effect + noise."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0.2, 0.8, n_queries)
    return {name: difficulty + effect + rng.normal(0, noise, (n_seeds, n_queries))
            for name, effect in {"base": 0.0, **effects}.items()}


def family(effects, *, margin=None, **kw):
    scores = grids(effects, **kw)
    return stats.compare_family({v: (scores[v], scores["base"]) for v in effects}, margin=margin)


def records(effects, *, per_query=True, **kw):
    """The same scores as runs of ``compare_to_baseline`` (one dataset, one code length)."""
    rows = []
    for variant, scores in grids(effects, **kw).items():
        for s, row in enumerate(scores):
            rows.append({"dataset": "toy", "bits": 64, "variant": variant, "seed": s, "map_pr_area": row.mean()}
                        | ({"map_pr_area_per_query": row} if per_query else {}))
    return pd.DataFrame(rows)


def table(effects, *, margin=None, per_query=True, **kw):
    return compare_to_baseline(records(effects, per_query=per_query, **kw), "base", groups=("dataset", "bits"),
                               margin=margin)


def test_a_planted_effect_is_held_in_its_direction_and_not_held_against_it():
    up = family({"a": 0.05, "b": 0.08})
    held = reading_of(up, "higher", note="rule")
    assert held["verdict"] == "held" and held["note"].startswith("rule; found 2 held of 2 comparisons")
    assert held["interval"][0] <= held["effect"] <= held["interval"][1]
    nearest = min(up.labels, key=lambda label: up[label].low)  # the bound nearest zero closest to zero
    assert held["measured"]["shown"] == nearest and held["effect"] == up[nearest].effect
    assert held["smallest_detectable"] == max(c.mde for c in up.comparisons)
    assert held["n"] == 3 and held["measured"]["queries"] == 300
    against = reading_of(up, "lower", note="rule")
    assert against["verdict"] == "not held" and against["measured"]["against the claim"] == ["a", "b"]
    farthest = max(up.labels, key=lambda label: up[label].low)  # the interval farthest above zero
    assert against["measured"]["shown"] == farthest and against["effect"] == up[farthest].effect
    down = reading_of(up, "lower", flip=True, note="rule")  # the baseline minus each variant
    assert down["verdict"] == "held" and down["effect"] == pytest.approx(-held["effect"])
    assert down["interval"] == pytest.approx((-held["interval"][1], -held["interval"][0]))
    record_verdict("T01", **held, claims=claim_list())  # what it returns is what the ledger takes


def test_one_comparison_against_the_claim_fails_it_and_the_clearest_is_shown():
    mixed = family({"a": 0.05, "b": -0.03, "c": -0.06})
    reading = reading_of(mixed, "higher", note="rule")
    assert reading["verdict"] == "not held"
    assert reading["measured"]["shown"] == "c" and reading["interval"][1] == mixed["c"].high
    assert reading["note"].endswith("(effect: c)")
    nearest = reading_of(family({"a": 0.05, "b": 0.02}), "higher", note="r")
    assert nearest["verdict"] == "held" and nearest["measured"]["shown"] == "b"  # the lowest lower bound


def test_no_effect_at_a_small_sample_is_inconclusive_with_the_largest_mde():
    small = family({"a": 0.0, "b": 0.0, "c": 0.0}, n_seeds=2, n_queries=6, noise=0.2, seed=3)
    assert all(c.verdict == "inconclusive" for c in small.comparisons)
    reading = reading_of(small, "higher", note="rule")
    assert reading["verdict"] == "inconclusive"
    assert reading["smallest_detectable"] == max(c.mde for c in small.comparisons) > 0
    low, high = reading["interval"]
    assert low < 0 < high
    assert small[reading["measured"]["shown"]].mde == reading["smallest_detectable"]  # the least certain


def test_equivalence_within_the_margin_holds_an_equivalent_or_competitive_claim_only():
    same = family({"a": 0.0}, margin=0.01, noise=0.005, n_queries=500, seed=4)
    assert same["a"].verdict == "equivalent"
    assert reading_of(same, "equivalent", note="r")["verdict"] == "held"
    assert reading_of(same, "competitive", note="r")["verdict"] == "held"
    assert reading_of(same, "higher", note="r")["verdict"] == "not held"  # equivalence counts against
    one = reading_of(same, "equivalent", note="r")
    assert "margin ±0.01" in one["note"] and "shown" not in one["measured"]  # one comparison: no tally
    worse = family({"a": -0.05}, margin=0.01, seed=5)
    assert reading_of(worse, "competitive", note="r")["verdict"] == "not held"
    assert reading_of(worse, "competitive", flip=True, note="r")["verdict"] == "held"
    with pytest.raises(ClaimError, match="no equivalence margin"):
        reading_of(family({"a": 0.0}), "equivalent", note="r")


def test_a_family_and_a_table_of_the_same_comparisons_read_the_same():
    effects = {"a": 0.04, "b": 0.0, "c": -0.03}
    by_family = reading_of(family(effects, seed=6), "higher", note="r")
    by_table = reading_of(table(effects, seed=6), "higher", note="r",
                          label=lambda row: row["variant"])
    assert by_table["verdict"] == by_family["verdict"] == "not held" and by_table["n"] == by_family["n"]
    for key in ("effect", "interval", "smallest_detectable"):
        assert by_table[key] == pytest.approx(by_family[key], rel=1e-9), key
    assert by_table["measured"]["shown"] == by_family["measured"]["shown"] == "c"


def test_rows_without_an_interval_are_not_testable_and_keep_a_claim_from_being_held():
    one_seed = table({"a": 0.05, "b": 0.05}, n_seeds=1, per_query=False)
    reading = reading_of(one_seed, "higher", note="rule")
    assert reading["verdict"] == "not testable" and "no comparison has an interval" in reading["note"]
    assert [r.reading for r in read_comparisons(one_seed, "higher")] == [NO_INTERVAL] * 2
    with pytest.raises(ClaimError, match="no interval"):
        reading_of(one_seed, "higher", note="rule", require_intervals=True)
    held_rows = table({"a": 0.05}, seed=7)
    mixed = pd.concat([held_rows, one_seed.iloc[:1]], ignore_index=True)
    partial = reading_of(mixed, "higher", note="rule")
    assert partial["verdict"] == "inconclusive"  # held where tested, but one cell untested
    assert partial["smallest_detectable"] == held_rows["mde"].iloc[0]
    assert partial["interval"] is None and partial["measured"][NO_INTERVAL] == 1


def test_each_row_may_claim_its_own_direction():
    mixed = pd.concat([table({"bigger": 0.05}, seed=8).assign(variant="mAP"),
                       table({"bigger": -0.05}, seed=9).assign(variant="error")], ignore_index=True)
    assert reading_of(mixed, ["higher", "lower"], note="r")["verdict"] == "held"
    assert reading_of(mixed, "higher", note="r")["verdict"] == "not held"
    nearest = reading_of(mixed, ["higher", "lower"], note="r")
    bounds = [mixed["low"].iloc[0], -mixed["high"].iloc[1]]  # the bounds nearest zero, toward each claim
    assert nearest["effect"] == mixed["difference"].iloc[int(np.argmin(bounds))]
    with pytest.raises(ClaimError, match="one per comparison"):
        reading_of(mixed, ["higher"], note="r")


def test_bad_arguments_are_refused_in_one_line():
    up = family({"a": 0.05})
    with pytest.raises(ClaimError, match="expects must be one of"):
        reading_of(up, "better", note="r")
    with pytest.raises(ClaimError, match="table is empty"):
        reading_of(table({"a": 0.05}).iloc[:0], "higher", note="r")
    with pytest.raises(ClaimError, match="comparisons must be"):
        reading_of([1, 2], "higher", note="r")


def test_measured_entries_come_first_and_each_comparison_is_listed_unless_told_not_to():
    up = family({"a": 0.05, "b": 0.08})
    reading = reading_of(up, "higher", note="r", measured={"schedule": "short"})
    assert next(iter(reading["measured"])) == "schedule"
    assert reading["measured"]["a"].startswith("held (higher; claimed higher): +0.05")
    assert "a" not in reading_of(up, "higher", note="r", itemise=False)["measured"]


def test_combined_readings_hold_only_when_every_part_holds():
    parts = {"MNIST": reading_of(family({"a": 0.05}), "higher", note="r"),
             "SIFT10K": reading_of(family({"a": 0.0}, n_seeds=2, n_queries=6, noise=0.2, seed=3), "higher",
                                   note="r")}
    combined = combine_readings(parts, note="both")
    # inconclusive: the shown part is the undecided one, not the first one given
    assert combined["verdict"] == "inconclusive" and combined["effect"] == parts["SIFT10K"]["effect"]
    assert combined["measured"]["shown"] == "SIFT10K" and "SIFT10K" in combined["note"]
    assert combined["smallest_detectable"] == max(p["smallest_detectable"] for p in parts.values())
    assert combined["measured"]["SIFT10K verdict"] == "inconclusive"
    parts["SIFT10K"] = reading_of(family({"a": -0.05}), "higher", note="r")
    against = combine_readings(parts, note="both")
    assert against["verdict"] == "not held" and against["interval"] == parts["SIFT10K"]["interval"]
    assert against["interval"][1] < 0  # the shown interval is the one that decides against the claim
    assert combine_readings({"MNIST": parts["MNIST"]}, note="one")["verdict"] == "held"
    with pytest.raises(ClaimError, match="no readings"):
        combine_readings({}, note="none")


def test_a_competitive_claim_is_non_inferiority_within_the_margin():
    rng = np.random.default_rng(11)
    base = rng.normal(0.5, 0.05, 8)

    def read(shift: float, noise: float) -> str:
        c = stats.compare_paired(base + shift + rng.normal(0, noise, 8), base, margin=0.01)
        return reading_of(c, "competitive", note="r")["verdict"]

    assert read(-0.002, 1e-5) == "held"  # a negligible loss, decided lower, is no inferiority
    assert read(-0.05, 1e-5) == "not held"  # a loss beyond the margin
    assert read(-0.01, 0.05) == "inconclusive"  # an interval across −δ


def test_a_same_claim_holds_when_the_interval_lies_inside_the_margin_whatever_the_test_decides():
    rng = np.random.default_rng(10)
    tiny = stats.compare_paired(1.01 + rng.normal(0, 1e-4, 8), np.ones(8), margin=0.1)
    assert tiny.verdict == "higher"  # decided, yet a hundredth is no difference at this margin
    assert reading_of(tiny, "same", note="r")["verdict"] == "held"
    large = stats.compare_paired(1.5 + rng.normal(0, 1e-4, 8), np.ones(8), margin=0.1)
    assert reading_of(large, "same", note="r")["verdict"] == "not held"
    wide = stats.compare_paired(rng.normal(0, 1, 3), rng.normal(0, 1, 3), margin=0.1)
    assert reading_of(wide, "same", note="r")["verdict"] == "inconclusive"


def test_the_undecided_comparison_with_the_largest_mde_is_shown_and_gives_the_detectable_effect():
    mixed = {"sure": family({"a": 3.0}, n_seeds=3, n_queries=6, noise=0.5, seed=12)["a"],  # held, a large MDE
             "unsure": family({"a": 0.0}, n_seeds=3, n_queries=300, seed=11)["a"],
             "wide": family({"a": 0.0}, n_seeds=3, n_queries=6, noise=0.05, seed=3)["a"]}
    assert [c.verdict for c in mixed.values()] == ["higher", "inconclusive", "inconclusive"]
    assert mixed["sure"].mde > mixed["wide"].mde > mixed["unsure"].mde  # the held one is the least certain
    undecided = reading_of(mixed, "higher", note="r")
    assert undecided["verdict"] == "inconclusive"
    assert undecided["measured"]["shown"] == "wide" and undecided["effect"] == mixed["wide"].effect
    assert undecided["smallest_detectable"] == mixed["wide"].mde  # the held comparison's MDE is left out
    assert undecided["note"].endswith("(effect: wide)")
    reordered = reading_of(dict(reversed(mixed.items())), "higher", note="r")
    assert reordered["measured"]["shown"] == "wide"  # the order given does not choose


def test_a_decided_verdict_carries_the_largest_mde_of_every_comparison():
    up = family({"a": 0.08, "b": 0.02, "c": 0.05}, seed=13)
    assert [c.verdict for c in up.comparisons] == ["higher"] * 3
    for expects in ("higher", "lower"):
        reading = reading_of(up, expects, note="r")
        assert reading["verdict"] == ("held" if expects == "higher" else "not held")
        assert reading["smallest_detectable"] == max(c.mde for c in up.comparisons)


# -- the shown comparison: one rule, checked on planted tables against a brute-force reading ------
def planted(intervals, *, margin=None):
    """A compare_to_baseline table with the given (low, high) intervals, decided as sigah.stats decides."""
    rows = []
    for name, (low, high) in intervals.items():
        verdict = ("higher" if low > 0 else "lower" if high < 0 else "equivalent"
                   if margin is not None and -margin < low and high < margin else "inconclusive")
        rows.append({"variant": name, "difference": (low + high) / 2, "low": low, "high": high,
                     "mde": (high - low) / 2 * 1.4, "verdict": verdict, "n_variant": 3, "margin": margin})
    return pd.DataFrame(rows)


def read(intervals, expects, **kw):
    reading = reading_of(planted(intervals, margin=kw.pop("margin", None)), expects, note="r",
                         label=lambda row: row["variant"], **kw)
    assert reading["note"].endswith(f"(effect: {reading['measured']['shown']})")  # the note names it
    low, high = intervals[reading["measured"]["shown"]]
    assert reading["interval"] == (low, high) and reading["effect"] == (low + high) / 2
    return reading


def test_the_clearest_evidence_against_the_claim_is_shown_wherever_it_stands():
    far, barely = (-0.9, -0.5), (-0.2, -0.01)
    for order in (["far", "barely", "ok"], ["barely", "ok", "far"], ["ok", "far", "barely"]):
        given = {"far": far, "barely": barely, "ok": (0.1, 0.3)}
        reading = read({name: given[name] for name in order}, "higher")
        assert reading["verdict"] == "not held" and reading["measured"]["shown"] == "far"
    down = read({"barely": (0.01, 0.2), "far": (0.5, 0.9)}, "lower")  # wrong direction for "lower": above
    assert down["verdict"] == "not held" and down["measured"]["shown"] == "far"
    # the bound nearest zero decides, not the effect: a wide interval reaching far is less clear
    wide = read({"wide": (-2.0, -0.05), "tight": (-0.4, -0.3)}, "higher")
    assert wide["measured"]["shown"] == "tight"
    tie = read({"small": (-0.4, -0.3), "large": (-0.8, -0.3)}, "higher")  # same bound: the larger |effect|
    assert tie["measured"]["shown"] == "large"
    # a decided difference is clearer against the claim than an equivalence
    mixed = read({"equal": (-0.004, 0.006), "lower": (-0.03, -0.02)}, "higher", margin=0.01)
    assert mixed["measured"]["shown"] == "lower"
    apart = read({"near": (0.02, 0.05), "far": (-0.9, -0.6)}, "same", margin=0.01)  # either side is wrong
    assert apart["verdict"] == "not held" and apart["measured"]["shown"] == "far"


def test_the_comparison_nearest_to_failing_is_shown_when_held():
    rng = np.random.default_rng(14)
    for _ in range(20):
        lows = rng.uniform(0.01, 1.0, 5)
        intervals = {f"c{i}": (low, low + width) for i, (low, width) in enumerate(zip(lows, rng.uniform(0, 2, 5)))}
        reading = read(intervals, "higher")
        assert reading["verdict"] == "held" and reading["measured"]["shown"] == f"c{int(np.argmin(lows))}"
        flipped = read({k: (-high, -low) for k, (low, high) in intervals.items()}, "lower")
        assert flipped["verdict"] == "held" and flipped["measured"]["shown"] == reading["measured"]["shown"]
    # for a claim of no difference, nearest to failing is the bound nearest the margin
    same = read({"centred": (-0.02, 0.02), "edge": (0.05, 0.09), "inside": (-0.06, 0.01)}, "same", margin=0.1)
    assert same["verdict"] == "held" and same["measured"]["shown"] == "edge"


def test_the_undecided_comparison_with_the_largest_mde_is_shown_when_inconclusive():
    rng = np.random.default_rng(15)
    for _ in range(20):
        widths = rng.uniform(0.1, 2.0, 4)
        intervals = {f"u{i}": (-w / 3, 2 * w / 3) for i, w in enumerate(widths)} | {"held": (0.1, 5.0)}
        table_ = planted(intervals)
        reading = read(intervals, "higher")
        assert reading["verdict"] == "inconclusive"
        assert reading["measured"]["shown"] == f"u{int(np.argmax(widths))}"
        assert reading["smallest_detectable"] == table_.loc[table_["verdict"] == "inconclusive", "mde"].max()


def test_a_single_comparison_shows_itself():
    for interval in ((0.1, 0.2), (-0.2, -0.1), (-0.1, 0.2)):
        reading = reading_of(planted({"only": interval}), "higher", note="r")
        assert reading["interval"] == interval and "shown" not in reading["measured"]


def test_a_detectable_effect_beyond_the_metric_reads_not_decidable_in_the_verdict_table():
    assert detectable_text(0.0123, 3) == "0.0123"
    assert detectable_text(4.78, 2) == "not decidable with n = 2"
    assert detectable_text(4.78, 2, effect_range=10.0) == "4.7800"
    table = verdict_table({"R13": dict(verdict="inconclusive", n=2, smallest_detectable=4.78, note="r"),
                           "R12": dict(verdict="inconclusive", n=2, smallest_detectable=0.13, note="r")})
    html = table.to_html()
    assert "not decidable with n = 2" in html and "0.1300" in html and "4.78" not in html


def test_below_tolerance_reads_the_interval_against_the_stated_value():
    from sigah.stats import estimate_mean
    from sigah.studies.claims import below_tolerance

    tight_low = estimate_mean(np.array([0.10, 0.11, 0.09, 0.10, 0.105]))
    assert below_tolerance(tight_low, 0.2, n=5)["verdict"] == "held"
    assert below_tolerance(tight_low, 0.05, n=5)["verdict"] == "not held"
    wide = estimate_mean(np.array([0.0, 0.4, 0.1, 0.3]))
    reading = below_tolerance(wide, 0.2, n=4)
    assert reading["verdict"] == "inconclusive" and reading["interval"][0] < 0.2 < reading["interval"][1]
    assert reading["smallest_detectable"] > 0 and reading["n"] == 4 and reading["effect"] == pytest.approx(0.2)
